// Open pactd's public page (index.html) in Debian's headless Chromium, as a
// visitor would: served from a tiny HTTP server on 127.0.0.1 (so that the
// page's links to pact.json and feed.atom resolve), wait until it has
// loaded, collect console errors and page errors, inject axe-core and run
// it, check that a phone-sized window needs no sideways scrolling, and keep a
// full-page screenshot.
//
//   node check.mjs [--screenshot FILE] [--chromium PATH] DIR_OR_INDEX_HTML
//
// Prints one JSON document:
//   {"url","title","lang","text","headings":[],"console_errors":[],
//    "page_errors":[],"failed_requests":[],"violations":[{"id","impact",
//    "help","nodes":[]}],"incomplete":[ids],"passes":N,"mobile_overflow":px,
//    "screenshot","ok"}
// and exits 0 when there is no console error, no page error, no failed
// request and no axe-core violation; 1 when there is; 2 when it could not
// check at all.

import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const HERE = path.dirname(fileURLToPath(import.meta.url));
const { chromium } = require('playwright-core');
const AXE = require.resolve('axe-core/axe.min.js');

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.atom': 'application/atom+xml; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.pdf': 'application/pdf',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

function parseArgs(argv) {
  const o = {
    screenshot: path.join(HERE, '..', 'artefacts', 'page.png'),
    chromium: process.env.CHROMIUM || '/usr/bin/chromium',
    target: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--screenshot') o.screenshot = argv[++i];
    else if (a === '--chromium') o.chromium = argv[++i];
    else if (a.startsWith('-')) throw new Error(`unknown option ${a}`);
    else o.target = a;
  }
  if (!o.target) throw new Error('usage: node check.mjs [--screenshot FILE] [--chromium PATH] DIR_OR_INDEX_HTML');
  return o;
}

// A static file server for one directory, on 127.0.0.1 and a free port.
function serve(root) {
  const server = http.createServer((req, res) => {
    const u = new URL(req.url, 'http://127.0.0.1');
    let rel = decodeURIComponent(u.pathname);
    if (rel.endsWith('/')) rel += 'index.html';
    const file = path.resolve(root, '.' + rel);
    // Chromium asks every HTTP site for /favicon.ico on its own; the page
    // names no icon, so that request is the browser's, not the page's.
    if (rel === '/favicon.ico' && !fs.existsSync(file)) {
      res.writeHead(204);
      res.end();
      return;
    }
    if (!file.startsWith(path.resolve(root) + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found');
      return;
    }
    res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  let root = path.resolve(o.target);
  let page_name = 'index.html';
  if (fs.statSync(root).isFile()) {
    page_name = path.basename(root);
    root = path.dirname(root);
  }
  const server = await serve(root);
  const url = `http://127.0.0.1:${server.address().port}/${page_name}`;
  const result = {
    url, title: null, lang: null, text: '', headings: [],
    console_errors: [], page_errors: [], failed_requests: [],
    violations: [], incomplete: [], passes: 0, mobile_overflow: null,
    screenshot: path.resolve(o.screenshot), ok: false,
  };
  const browser = await chromium.launch({
    executablePath: o.chromium,
    headless: true,
    // Flags for a closed network and a root user, as the machine notes say.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--disable-dev-shm-usage', '--disable-extensions'],
    timeout: 60000,
  });
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'da-DK' });
    const page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') result.console_errors.push(`${m.text()} (${m.location()?.url || ''})`);
    });
    page.on('pageerror', (e) => result.page_errors.push(String(e)));
    page.on('requestfailed', (r) => result.failed_requests.push(`${r.url()}: ${r.failure()?.errorText}`));
    page.on('response', (r) => {
      if (r.status() >= 400) result.failed_requests.push(`${r.url()}: HTTP ${r.status()}`);
    });
    await page.goto(url, { waitUntil: 'load', timeout: 30000 });
    await page.waitForLoadState('networkidle', { timeout: 10000 }).catch(() => {});
    result.title = await page.title();
    result.lang = await page.evaluate(() => document.documentElement.lang);
    result.text = await page.evaluate(() => document.body.innerText);
    result.headings = await page.evaluate(() =>
      Array.from(document.querySelectorAll('h1,h2,h3,h4,h5,h6')).map((h) => `${h.tagName.toLowerCase()} ${h.textContent.trim()}`));

    fs.mkdirSync(path.dirname(result.screenshot), { recursive: true });
    await page.screenshot({ path: result.screenshot, fullPage: true });

    await page.addScriptTag({ path: AXE });
    const axe = await page.evaluate(async () => {
      // Every rule axe-core runs by default (WCAG 2.x A/AA and best practices).
      const r = await window.axe.run(document, { resultTypes: ['violations'] });
      return {
        violations: r.violations.map((v) => ({
          id: v.id, impact: v.impact, help: v.help,
          nodes: v.nodes.map((n) => ({ target: n.target, html: n.html.slice(0, 300), summary: n.failureSummary })),
        })),
        incomplete: r.incomplete.map((v) => v.id),
        passes: r.passes.length,
      };
    });
    Object.assign(result, axe);

    // Responsive: a phone-sized window scrolls only downwards.
    await page.setViewportSize({ width: 360, height: 740 });
    result.mobile_overflow = await page.evaluate(() =>
      document.documentElement.scrollWidth - document.documentElement.clientWidth);
    await context.close();
  } finally {
    await browser.close();
    server.close();
  }
  result.ok = result.console_errors.length === 0 && result.page_errors.length === 0 &&
    result.failed_requests.length === 0 && result.violations.length === 0;
  process.stdout.write(JSON.stringify(result, null, 1) + '\n');
  process.exit(result.ok ? 0 : 1);
}

main().catch((e) => {
  process.stdout.write(JSON.stringify({ ok: false, error: String(e && e.stack || e) }) + '\n');
  process.exit(2);
});

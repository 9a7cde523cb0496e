"""The page where people can read it (issue 13, item 3; SPEC sections 8 and
10): output_dir served by a real nginx to an HTTP client, and [page]
publish_url uploading the page to a real SFTP server (a private OpenSSH
sshd) and a real WebDAV server (nginx's dav module, basic authentication),
each on loopback. What is asserted is what a visitor and an operator see:
the files as nginx serves them (each parses: JSON loads, Atom parses, HTML
ends with </html>), the same bytes as in output_dir once published, never
a half-written or missing file while uploads go on, and pactctl publish
(--json too) with the state, last success, last error and next try."""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET

from pactlib import BUILD, PACT, TOP, Pact, make_mail, sandbox

sys.path.insert(0, os.path.join(TOP, "tests", "sandbox"))
from webservers import Nginx, Sshd  # noqa: E402

FILES = ("index.html", "pact.json", "feed.atom")
ANNE = "Anne Holm <anne@di.example.test>"
DAV_USER, DAV_PASSWORD = "pagt-publish", "s3cret publish"


def check_file(name, data):
    """A whole file: JSON loads, Atom parses, HTML ends with </html>."""
    if name == "pact.json":
        return json.loads(data.decode("utf-8"))
    if name == "feed.atom":
        return ET.fromstring(data)
    text = data.decode("utf-8")
    if not text.rstrip().endswith("</html>"):
        raise AssertionError("index.html does not end with </html>: ...%r" % text[-80:])
    return text


def fetch(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.headers.get("Content-Type", ""), r.read()


def wait_for(pred, timeout, what, step=0.3):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for %s" % what)
        time.sleep(step)


def declaration(motivation):
    body = ("Hej sekretariat,\n\nMotivation: %s\nMålsætninger:\n- Et sikkerhedstjek til alle\n\n"
            "Venlig hilsen\nAnne\n" % motivation)
    raw, _ = make_mail(ANNE, "ERKLÆRING", body)
    return raw


def page_pact(**page):
    """A Pact whose [page] has these keys, output_dir www/pagt by default."""
    pact = Pact()
    page.setdefault("output_dir", "www/pagt")
    os.makedirs(os.path.join(pact.dir, "www"), exist_ok=True)
    with open(pact.conf) as f:
        lines = [ln for ln in f.read().split("\n") if not ln.startswith("output_dir =")]
    at = lines.index("[page]") + 1
    lines[at:at] = ["%s = %s" % kv for kv in page.items()]
    with open(pact.conf, "w") as f:
        f.write("\n".join(lines))
    return pact


class PublishCase(unittest.TestCase):
    """A pact whose output_dir is DIR/www/pagt, and helpers to read it."""

    def make_pact(self, **page):
        self.pact = page_pact(**page)
        self.addCleanup(self.pact.cleanup)
        self.addCleanup(self.keep_log)
        self.out = os.path.join(self.pact.dir, "www", "pagt")
        return self.pact

    def keep_log(self):
        logs = os.path.join(tempfile.gettempdir(), "pactd-publish-logs")
        os.makedirs(logs, exist_ok=True)
        if os.path.exists(self.pact.logfile):
            shutil.copy(self.pact.logfile, os.path.join(logs, "%s.log" % self.id().split(".")[-1]))

    def once(self, **kw):
        rc, err = self.pact.once(**kw)
        self.assertEqual(rc, 0, err[-3000:])
        return err

    def submit(self, raw):
        """A mail to the pact, then one pass."""
        sb = sandbox()
        sb.send(raw, "anne@di.example.test", [PACT])
        sb.wait_messages(PACT, 1)
        return self.once()

    def local(self, name):
        with open(os.path.join(self.out, name), "rb") as f:
            return f.read()

    def status(self):
        return self.pact.ctl("publish")

    def state(self):
        """The state, None while pactd has not made its database yet."""
        try:
            return self.status()["state"]
        except AssertionError:
            return None

    def assert_published(self, target):
        """Every file in target is the one in output_dir, whole."""
        for name in FILES:
            with open(os.path.join(target, name), "rb") as f:
                data = f.read()
            check_file(name, data)
            self.assertEqual(data, self.local(name), "%s differs from output_dir" % name)
        st = self.status()
        self.assertEqual(st["state"], "current", st)
        self.assertTrue(all(f["current"] for f in st["files"]), st)
        self.assertIsNotNone(st["last_success"], st)

    def leftovers(self, target):
        """Temporary files left: none; over SFTP the previous version of
        each file stays as NAME.pactd-old, whole."""
        for n in os.listdir(target):
            if n.endswith(".pactd-old"):
                with open(os.path.join(target, n), "rb") as f:
                    check_file(n[:-len(".pactd-old")], f.read())
        return sorted(n for n in os.listdir(target) if n.endswith(".pactd-new"))


class TestServed(PublishCase):
    """output_dir behind nginx with the lines pactd.conf(5) recommends."""

    def test_nginx_serves_output_dir(self):
        self.make_pact()
        self.once()
        web = Nginx(os.path.join(self.pact.dir, "nginx"), serve={"/pagt/": os.path.join(self.pact.dir, "www")})
        self.addCleanup(web.cleanup)
        web.start()
        types = {"index.html": "text/html", "pact.json": "application/json", "feed.atom": "application/atom+xml"}
        for name in FILES:
            status, ctype, data = fetch("%s/pagt/%s" % (web.url, name))
            self.assertEqual(status, 200)
            self.assertTrue(ctype.startswith(types[name]), ctype)
            self.assertIn("charset=utf-8", ctype)
            self.assertEqual(data, self.local(name))
            check_file(name, data)
        status, _, data = fetch("%s/pagt/" % web.url)
        self.assertEqual(data, self.local("index.html"))
        self.assertEqual(json.loads(self.local("pact.json"))["name"], "Cybersikkerhedspagten")
        # The temporary files of an atomic write are never served.
        with open(os.path.join(self.out, "index.html.tmp"), "w") as f:
            f.write("<html>half")
        with self.assertRaises(urllib.error.HTTPError) as e:
            fetch("%s/pagt/index.html.tmp" % web.url)
        self.assertEqual(e.exception.code, 404)

    def test_plain_http_only_to_loopback(self):
        for url, why in (("http://192.0.2.7/dav/pagt/", "unencrypted"),
                         ("ftp://192.0.2.7/pagt/", "neither sftp"),
                         ("https://user:pw@192.0.2.7/dav/", "holds a login"),
                         ("sftp://192.0.2.7/pagt/", "needs publish_user")):
            pact = page_pact(publish_url=url)
            try:
                p = subprocess.run([os.path.join(BUILD, "pactd"), "-c", pact.conf, "--check-config"],
                                   capture_output=True, text=True, timeout=30)
                self.assertEqual(p.returncode, 78, p.stderr)
                self.assertIn("[page] publish_url", p.stderr)
                self.assertIn(why, p.stderr)
                self.assertNotIn("user:pw@", p.stderr)
            finally:
                pact.cleanup()

    def test_no_publish_url(self):
        self.make_pact()
        self.once()
        st = self.status()
        self.assertEqual(st["state"], "off")
        self.assertIsNone(st["url"])


class TestSftp(PublishCase):
    """sftp://, logging in with a key, the host checked against known_hosts."""

    def setUp(self):
        self.ssh = Sshd(tempfile.mkdtemp(prefix="pactd-sshd-"))
        self.addCleanup(self.ssh.cleanup)
        self.ssh.start()
        self.remote = os.path.join(self.ssh.root, "www", "pagt")
        pact = self.make_pact(publish_url="sftp://127.0.0.1:%d%s/" % (self.ssh.port, self.remote),
                              publish_user="root", publish_password_file="publish.key")
        key = os.path.join(pact.dir, "publish.key")
        shutil.copy(self.ssh.user_key, key)
        os.chmod(key, 0o600)
        with open(os.path.join(pact.dir, "known_hosts"), "w") as f:
            f.write(self.ssh.known_hosts_line())

    def test_change_is_published(self):
        self.once()
        self.assert_published(self.remote)
        first = self.status()["last_success"]
        self.submit(declaration("Vi vil have et sikkert erhvervsliv over SFTP."))
        self.assert_published(self.remote)
        with open(os.path.join(self.remote, "pact.json"), encoding="utf-8") as f:
            di = [p for p in json.load(f)["parties"] if p["id"] == "DI"][0]
        self.assertEqual(di["declaration"]["motivation"], "Vi vil have et sikkert erhvervsliv over SFTP.")
        self.assertEqual(self.leftovers(self.remote), [])
        self.assertGreaterEqual(self.status()["last_success"], first)
        self.assertIn("publish: 3 file(s) uploaded to sftp://", self.pact.logtext())
        # Text for people, too.
        p = self.pact.ctl("publish", json_out=False)
        self.assertRegex(p.stdout, r"(?m)^state\s+current$")
        self.assertRegex(p.stdout, r"(?m)^last success\s+\d{4}-")

    def test_unknown_host_key_is_refused(self):
        other = os.path.join(self.ssh.root, "other_key")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", other], check=True)
        with open(os.path.join(self.pact.dir, "known_hosts"), "w") as f:
            f.write(self.ssh.known_hosts_line(other))
        self.once()
        st = self.status()
        self.assertEqual(st["state"], "failing", st)
        self.assertIn("host key differs", st["last_error"])
        self.assertIn("known_hosts", st["last_error"])
        self.assertIsNotNone(st["next_try"])
        self.assertFalse(os.path.exists(os.path.join(self.remote, "index.html")))

    def test_server_down_then_back(self):
        """The daemon: sshd gone while the page changes, then back: every
        file ends up current, after one logged failure and one logged
        recovery."""
        self.pact.start()
        wait_for(lambda: self.state() == "current", 30, "the first upload")
        self.ssh.stop()
        sb = sandbox()
        sb.send(declaration("Skrevet mens SFTP-serveren var nede."), "anne@di.example.test", [PACT])
        st = wait_for(lambda: (lambda s: s if s["state"] == "failing" else None)(self.status()), 30,
                      "the failure")
        self.assertIsNotNone(st["last_error"])
        self.assertIsNotNone(st["next_try"])
        self.assertEqual(st["attempts"], 1)
        self.assertFalse(all(f["current"] for f in st["files"]))
        time.sleep(3)
        self.ssh.start()
        wait_for(lambda: self.status()["state"] == "current", 75, "the retry")
        self.pact.stop()
        self.assert_published(self.remote)
        with open(os.path.join(self.remote, "pact.json"), encoding="utf-8") as f:
            self.assertIn("Skrevet mens SFTP-serveren var nede.", f.read())
        log = self.pact.logtext()
        self.assertEqual(log.count("retrying in 30 s"), 1, log[-3000:])
        self.assertIn("after 1 failed attempt(s)", log)


class TestWebdav(PublishCase):
    """http:// on loopback to nginx's dav module, with basic auth."""

    def setUp(self):
        root = tempfile.mkdtemp(prefix="pactd-dav-")
        self.davroot = os.path.join(root, "files")
        os.makedirs(os.path.join(self.davroot, "dav", "pagt"))
        self.dav = Nginx(os.path.join(root, "nginx"), dav=("/dav/", self.davroot),
                         users={DAV_USER: DAV_PASSWORD})
        self.addCleanup(shutil.rmtree, root, True)
        self.addCleanup(self.dav.stop)
        self.dav.start()
        self.remote = os.path.join(self.davroot, "dav", "pagt")
        pact = self.make_pact(publish_url="%s/dav/pagt/" % self.dav.url, publish_user=DAV_USER,
                              publish_password_file="publish.password")
        pw = os.path.join(pact.dir, "publish.password")
        with open(pw, "w") as f:
            f.write(DAV_PASSWORD + "\n")
        os.chmod(pw, 0o600)

    def test_change_is_published(self):
        self.once()
        self.assert_published(self.remote)
        self.submit(declaration("Vi vil have et sikkert erhvervsliv over WebDAV."))
        self.assert_published(self.remote)
        with open(os.path.join(self.remote, "pact.json"), encoding="utf-8") as f:
            self.assertIn("over WebDAV.", f.read())
        self.assertEqual(self.leftovers(self.remote), [])
        with open(self.dav.path("access.log")) as f:
            log = f.read()
        self.assertIn('"MOVE /dav/pagt/index.html.pactd-new', log)

    def test_status_pdf_goes_first(self):
        """A status PDF in output_dir (as page.c copies one the page links)
        goes up before the page that links it, and only once."""
        self.once()
        pdf = "status-PAGT-2026-0042.pdf"
        with open(os.path.join(self.out, pdf), "wb") as f:
            f.write(b"%PDF-1.4\n" + os.urandom(300000) + b"\n%%EOF\n")
        self.pact.ctl("render")
        self.once()
        with open(os.path.join(self.remote, pdf), "rb") as f:
            self.assertEqual(f.read(), self.local(pdf))
        with open(self.dav.path("access.log")) as f:
            moves = [ln.split()[6] for ln in f if '"MOVE ' in ln]
        last = moves[-4:]
        self.assertEqual(last[0], "/dav/pagt/%s.pactd-new" % pdf, moves)
        self.assertEqual(last[-1], "/dav/pagt/index.html.pactd-new", moves)
        self.assertEqual(sum(1 for m in moves if pdf in m), 1)
        self.pact.ctl("render")
        self.once()
        with open(self.dav.path("access.log")) as f:
            self.assertEqual(sum(1 for ln in f if '"MOVE ' in ln and pdf in ln), 1)
        names = [f["name"] for f in self.status()["files"]]
        self.assertEqual(names, [pdf, "feed.atom", "pact.json", "index.html"])

    def test_wrong_password(self):
        pw = os.path.join(self.pact.dir, "publish.password")
        with open(pw, "w") as f:
            f.write("not the password\n")
        self.once()
        st = self.status()
        self.assertEqual(st["state"], "failing", st)
        self.assertIn("HTTP 401", st["last_error"])
        self.assertNotIn("not the password", self.pact.logtext())

    def test_password_file_others_can_read(self):
        os.chmod(os.path.join(self.pact.dir, "publish.password"), 0o644)
        rc, err = self.pact.once()
        self.assertEqual(rc, 78, err)
        self.assertIn("chmod 600", err)

    def test_server_down_then_back_across_restarts(self):
        """pactd --once with nginx down records the failure; the next run,
        after the back-off, with nginx back, resumes from the database."""
        self.once()
        self.dav.stop()
        self.submit(declaration("Skrevet mens WebDAV-serveren var nede."))
        st = self.status()
        self.assertEqual(st["state"], "failing", st)
        self.assertIn("127.0.0.1", st["last_error"])
        # Not due yet: the next run leaves it alone.
        self.once()
        self.assertEqual(self.status()["attempts"], 1)
        self.dav.start()
        later = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 45))
        self.once(now=later)
        self.assert_published(self.remote)
        with open(os.path.join(self.remote, "pact.json"), encoding="utf-8") as f:
            self.assertIn("Skrevet mens WebDAV-serveren var nede.", f.read())
        self.assertIn("after 1 failed attempt(s)", self.pact.logtext())


class TestSilentServer(PublishCase):
    """A server that takes the connection and never answers holds a pass
    for the connect timeout (10 s), not for ever."""

    def test_bounded(self):
        lsock = socket.socket()
        lsock.bind(("127.0.0.1", 0))
        lsock.listen(8)
        self.addCleanup(lsock.close)
        held = []

        def accept():
            try:
                while True:
                    held.append(lsock.accept()[0])
            except OSError:
                pass
        threading.Thread(target=accept, daemon=True).start()
        self.addCleanup(lambda: [c.close() for c in held])
        pact = self.make_pact(publish_url="sftp://127.0.0.1:%d/srv/pagt/" % lsock.getsockname()[1],
                              publish_user="pagt", publish_password_file="publish.password")
        with open(os.path.join(pact.dir, "publish.password"), "w") as f:
            f.write("x")
        os.chmod(os.path.join(pact.dir, "publish.password"), 0o600)
        start = time.monotonic()
        self.once()
        self.assertLess(time.monotonic() - start, 30)
        st = self.status()
        self.assertEqual(st["state"], "failing", st)
        self.assertIn("SFTP", st["last_error"])


class TestNeverHalfWritten(PublishCase):
    """Readers polling through nginx while the page is uploaded again and
    again see whole files only: never missing, truncated or mixed."""

    def poll(self, url, stop, seen, errors):
        while not stop.is_set():
            for name in FILES:
                try:
                    status, _, data = fetch("%s%s" % (url, name))
                    doc = check_file(name, data)
                    if name == "pact.json":
                        seen.add(doc["generated"])
                except Exception as e:  # noqa: BLE001 - every failure is the finding
                    errors.append("%s: %r" % (name, e))

    def churn(self, url, rounds=8):
        stop, seen, errors = threading.Event(), set(), []
        readers = [threading.Thread(target=self.poll, args=(url, stop, seen, errors)) for _ in range(2)]
        for t in readers:
            t.start()
        try:
            for _ in range(rounds):
                time.sleep(1.1)  # a new "generated" second
                self.pact.ctl("render")
                self.once()
        finally:
            stop.set()
            for t in readers:
                t.join()
        self.assertEqual(errors[:5], [])
        self.assertGreaterEqual(len(seen), 3, seen)

    def test_sftp(self):
        ssh = Sshd(tempfile.mkdtemp(prefix="pactd-sshd-"))
        self.addCleanup(ssh.cleanup)
        ssh.start()
        root = os.path.join(ssh.root, "www")
        pact = self.make_pact(publish_url="sftp://127.0.0.1:%d%s/pagt/" % (ssh.port, root),
                              publish_user="root", publish_password_file="publish.key")
        shutil.copy(ssh.user_key, os.path.join(pact.dir, "publish.key"))
        os.chmod(os.path.join(pact.dir, "publish.key"), 0o600)
        with open(os.path.join(pact.dir, "known_hosts"), "w") as f:
            f.write(ssh.known_hosts_line())
        self.once()
        web = Nginx(os.path.join(ssh.root, "nginx"), serve={"/pagt/": root})
        self.addCleanup(web.stop)
        web.start()
        self.churn("%s/pagt/" % web.url)
        self.assert_published(os.path.join(root, "pagt"))

    def test_webdav(self):
        root = tempfile.mkdtemp(prefix="pactd-dav-")
        self.addCleanup(shutil.rmtree, root, True)
        files = os.path.join(root, "files")
        os.makedirs(os.path.join(files, "dav", "pagt"))
        dav = Nginx(os.path.join(root, "nginx"), dav=("/dav/", files), serve={"/pagt/": os.path.join(files, "dav")},
                    users={DAV_USER: DAV_PASSWORD})
        self.addCleanup(dav.stop)
        dav.start()
        pact = self.make_pact(publish_url="%s/dav/pagt/" % dav.url, publish_user=DAV_USER,
                              publish_password_file="publish.password")
        with open(os.path.join(pact.dir, "publish.password"), "w") as f:
            f.write(DAV_PASSWORD)
        os.chmod(os.path.join(pact.dir, "publish.password"), 0o600)
        self.once()
        self.churn("%s/pagt/" % dav.url)
        self.assert_published(os.path.join(files, "dav", "pagt"))


if __name__ == "__main__":
    unittest.main()

#!/usr/bin/python3
"""Power-cut torture for pactd (issue 17): what a power cut does.

The crash torture (torture.py) kills pactd with SIGKILL: what the kernel
took is kept.  A power cut is harsher: what was not yet on the disk is gone.
Here every life of `pactd -f` runs with build/powercut.so preloaded
(tests/powercut): a crash VFS under SQLite and a shim over the plain-file
calls that, at a random sync point (or write, or moment), undo every write
and every rename that was not fsynced -- SQLite's unsynced pages dropped or
the last one torn, a page file or status PDF not fsynced left empty, a
rename in a directory not fsynced undone -- and end the process.  Then
pactd starts again on what a disk would hold.

The mix is torture.py's, plus annual statuses with a PDF attached (each
for a year of its own).  After every cut, on the state the cut left:
  - every message moved out of the INBOX has its row in `processed` with
    the outcome of its folder, and its effect (the declaration, ballot,
    vote, comment or status row; the reply queued);
  - no submission lost: each one appended is in exactly one of INBOX and
    the pactd/ folders;
  - the page matches the database when its "rendered from" stamp says it
    is current (pact.json, index.html and feed.atom as `pactctl render`
    makes them now, the times left aside);
  - every status PDF the database names is there, whole, as it was sent,
    and so is each copy in the page's folder;
  - `pactctl verify-log` is ok.
At the end, after a life without cut that empties INBOX and outbox, the
whole of torture.py's check, except that a mail found twice in its
recipient's INBOX is counted as resent instead of failing: a cut between
the server's reply and the commit that marks a mail sent (the `delivering`
mark is written with synchronous=OFF, see outbox.c) sends it again.  Each
resent mail must have been sent by a life that ended in a cut, among the
last mails that life sent (at most one batch, OUTBOX_BATCH = 64).

    powercut.py [--mails N] [--cuts K] [--seed S] [--keep]

Exit status 0 when all holds, 1 with a report of each violation, 2 when the
harness could not run.  Needs root, build/pactd, build/pactctl and
build/powercut.so (make all build/powercut.so).
"""

import argparse
import collections
import email.mime.application
import email.mime.multipart
import email.mime.text
import email.utils
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import torture  # noqa: E402
from torture import (FOLDER_OF, FOLDERS, PACT, SECRETARIAT, HarnessError,  # noqa: E402
                     header_parse, msgid_of, pactlib, say)

POWER_EXIT = 86          # tests/powercut/power.h
OUTBOX_BATCH = 64        # src/outbox.c: mails sent before one commit marks them
FIRST_YEAR = 2100        # the statuses' years; the preparation's is this year

# statuses with a PDF join torture.py's mix
torture.MIX = torture.MIX + [("status", 0.03)]


def pdf_bytes(marker, rng):
    """A small PDF-looking file with the marker inside, 8-40 KiB."""
    body = bytes(rng.randrange(256) for _ in range(rng.randrange(8192, 40960)))
    return b"%PDF-1.4\n% " + marker.encode() + b"\n" + body + b"\n%%EOF\n"


def status_mail(year, pdf, name):
    m = email.mime.multipart.MIMEMultipart()
    m["From"] = SECRETARIAT
    m["To"] = PACT
    m["Subject"] = "ÅRSSTATUS"
    m["Date"] = email.utils.formatdate()
    mid = email.utils.make_msgid(domain="client.example.test")
    m["Message-ID"] = mid
    m.attach(email.mime.text.MIMEText("Hej\n\nÅr: %d\n\nStatus vedhæftet.\n\nVenlig hilsen\n"
                                      "Sekretariatet\n" % year, "plain", "utf-8"))
    a = email.mime.application.MIMEApplication(pdf, "pdf")
    a.add_header("Content-Disposition", "attachment", filename=name)
    m.attach(a)
    return m.as_bytes(), mid.strip("<>")


TIMES = re.compile(r"\d{4}-\d{2}-\d{2}T[0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?|\d{1,2}[.:]\d{2}(?:[.:]\d{2})?")


def masked(text):
    """A page file with its times left aside (render time, local times)."""
    return TIMES.sub("T", text)


class Powercut(torture.Torture):
    RESULT_OK = "RESULT: OK -- nothing lost; only mails in flight at a cut sent twice"

    def __init__(self, args):
        args.kills = args.cuts
        super().__init__(args)
        self.pdfs = {}               # year -> bytes sent
        self.cuts = collections.Counter()
        self.lives = []              # per life: {"cut": how or None, "sent": [(mid, rcpt)]}
        self.appended = set()        # Message-IDs in the pact's mailbox
        self.checks_after_cut = collections.Counter()
        self.resent = {}
        self.seen = {"sync": args.max_points, "write": 20 * args.max_points}

    # -------------------------------------------------------------- setup
    def setup(self):
        so = os.path.join(torture.BUILD, "powercut.so")
        if not os.access(so, os.R_OK):
            raise HarnessError("%s missing: run make %s" % (so, os.path.relpath(so, torture.TOP)))
        super().setup()
        self.so = os.path.join(self.root, "bin", "powercut.so")
        shutil.copy2(so, self.so)
        self.out = os.path.join(self.pact.dir, "public")
        os.makedirs(self.out, exist_ok=True)
        # a second config, for renders to compare with
        self.cmp_out = os.path.join(self.root, "render")
        self.cmp_conf = os.path.join(self.pact.dir, "compare.conf")
        with open(self.pact.conf) as f:
            conf = f.read()
        with open(self.cmp_conf, "w") as f:
            f.write(re.sub(r"(?m)^output_dir = .*$", "output_dir = %s" % self.cmp_out, conf))

    # -------------------------------------------------------------- the mix
    def make(self, kinds):
        super().make([k for k in kinds if k != "status"])
        for pos, kind in enumerate(kinds):
            if kind != "status":
                continue
            year = FIRST_YEAR + len(self.pdfs)
            marker = "powercut-%d-%d" % (self.args.seed, pos)
            pdf = self.pdfs[year] = pdf_bytes(marker, self.rng)
            raw, mid = status_mail(year, pdf, "status-%d.pdf" % year)
            self.subs.insert(pos, {"kind": "status", "outcome": "processed", "reply": True,
                                   "marker": marker, "year": year, "sender": SECRETARIAT,
                                   "raw": raw, "msgid": mid})
        for i, s in enumerate(self.subs):
            s["i"] = i

    def append(self, subs):
        super().append(subs)
        self.appended.update(s["msgid"] for s in subs)

    # -------------------------------------------------------------- the cut loop
    def spec(self):
        """Where this life's power goes: at a sync point (or a write) drawn
        from 1 to as many as a life was seen to make, so that start-up,
        the mail pass, the page and the outbox are all cut; a timer too,
        for the pactd that went idle first."""
        a = self.args
        if self.rng.random() < a.write_share:
            point = "write:%d" % self.rng.randint(1, self.seen["write"])
        else:
            point = "sync:%d" % self.rng.randint(1, self.seen["sync"])
        items = [point, "ms:%d" % self.rng.randrange(a.max_ms // 4, a.max_ms)]
        if self.rng.random() < a.tear_share:
            items.append("tear")
        return ",".join(items)

    def start(self, spec):
        env = self.pact.env()
        if spec:
            env["LD_PRELOAD"] = self.so
            env["PACTD_TEST_VFS"] = spec
            env["PACTD_TEST_CUTFS"] = "%s:%s" % (self.out, os.path.dirname(self.pact.db))
        logf = open(self.log, "a")
        proc = subprocess.Popen([os.path.join(torture.BUILD, "pactd"), "-c", self.pact.conf, "-f", "-v"],
                                env=env, stdout=logf, stderr=logf)
        logf.close()
        self.pact.proc = proc
        return proc

    def life_log(self, since):
        with open(self.log, errors="replace") as f:
            f.seek(since)
            return f.read()

    def cut_life(self, n, feed):
        spec = self.spec()
        with open(self.log, "a") as f:
            f.write("=== powercut life %d: PACTD_TEST_VFS=%s, %d mail(s) appended\n" % (n, spec, len(feed)))
        since = os.path.getsize(self.log)
        proc = self.start(spec)
        try:
            self.append(feed)
            try:
                proc.wait(self.args.max_ms / 1000.0 + 30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                self.violate("life %d (%s): no power cut within %d s" % (n, spec, self.args.max_ms / 1000 + 30))
        finally:
            self.pact.proc = None
        text = self.life_log(since)
        m = re.search(r"powercut: power cut (at a sync point|at a write|on the timer) "
                      r"\(sync (\d+), write (\d+)", text)
        if m:   # how many a life makes, for the next draws (at least a few)
            for k, v in (("sync", int(m.group(2))), ("write", int(m.group(3)))):
                self.seen[k] = max(self.seen[k] * 3 // 4, v + 1, 4)
        life = {"spec": spec, "cut": m.group(1) if m else None,
                "sent": re.findall(r"sent <([^>]+)> to (\S+)", text)}
        self.lives.append(life)
        if proc.returncode != POWER_EXIT or not m:
            self.violate("life %d (%s): pactd exited %s, not by the power cut; see %s"
                         % (n, spec, proc.returncode, self.log))
            return
        self.cuts[m.group(1)] += 1
        if "last write torn" in text:
            self.cuts["... the last write torn"] += 1
        self.check_after_cut(n)

    def calm_life(self, n):
        """A life without cut until INBOX and outbox are empty, stopped with
        SIGTERM: the end of the run."""
        with open(self.log, "a") as f:
            f.write("=== powercut life %d: no cut, until all is done\n" % n)
        since = os.path.getsize(self.log)
        proc = self.start(None)
        deadline = time.time() + 300
        try:
            while time.time() < deadline and proc.poll() is None:
                time.sleep(1)
                if self.pending() == (0, 0):
                    break
            done = self.pending() == (0, 0)
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
        finally:
            self.pact.proc = None
        self.lives.append({"spec": None, "cut": None,
                           "sent": re.findall(r"sent <([^>]+)> to (\S+)", self.life_log(since))})
        if not done:
            self.violate("the last life (no cut) did not empty INBOX and outbox in 300 s")

    def run(self):
        a = self.args
        slices = self.deal(a.cuts, "powercut")
        t0 = time.time()
        for n in range(a.cuts):
            self.cut_life(n, slices[n])
            if (n + 1) % 10 == 0:
                say("powercut: %d cuts, %.0f s" % (n + 1, time.time() - t0))
            if time.time() - t0 > a.time_limit:
                self.violate("time limit: %d of %d cuts in %.0f s" % (n + 1, a.cuts, time.time() - t0))
                break
        self.calm_life(a.cuts)
        self.check_after_cut(a.cuts, final=True)
        self.stats["lives"] = len(self.lives)
        self.stats["kills"] = sum(self.cuts[k] for k in self.cuts if not k.startswith("..."))
        self.run_seconds = time.time() - t0
        say("powercut: %d lives, %d cuts in %.1f s" % (len(self.lives), self.stats["kills"], self.run_seconds))

    # -------------------------------------------------------------- after each cut
    def check_after_cut(self, n, final=False):
        """What the disk holds after cut n (or at the end) is consistent."""
        where = collections.defaultdict(list)
        for folder in FOLDERS:
            for raw in torture.fetch_all(self.sb, PACT, folder):
                where[msgid_of(header_parse(raw))].append(folder)
        con = sqlite3.connect("file:%s?mode=ro" % self.pact.db, uri=True, timeout=10)
        try:
            processed = {mid: (outcome, ref) for mid, outcome, ref in
                         con.execute("SELECT message_id, outcome, ref FROM processed")}
            refs = set()
            for table in ("declarations", "ballots", "comments", "statuses"):
                refs.update(r for (r,) in con.execute("SELECT ref FROM %s" % table))
            voted = set(k for (k,) in con.execute("SELECT msgkey FROM votes"))
            replies = set(c for (c,) in con.execute("SELECT cause FROM outbox WHERE kind = 'reply'"))
            stamp = con.execute("SELECT value FROM meta WHERE key = 'page_rendered'").fetchone()
            last = con.execute("SELECT max(id) FROM log WHERE event NOT IN "
                               "('mail sent', 'mail failed', 'reply suppressed')").fetchone()[0]
            statuses = con.execute("SELECT ref, year, pdf FROM statuses").fetchall()
        finally:
            con.close()
        tag = "after cut %d" % n if not final else "at the end"
        for s in self.subs:
            if s["msgid"] not in self.appended:
                continue
            fs = where.get(s["msgid"], [])
            if len(fs) != 1:
                self.violate("%s: submission %d (%s, <%s>) in %s, want one folder"
                             % (tag, s["i"], s["kind"], s["msgid"], fs or "no folder"))
                continue
            if fs[0] == "INBOX":
                continue
            got = processed.get(s["msgid"])
            if got is None or FOLDER_OF[got[0]] != fs[0]:
                self.violate("%s: submission %d (%s, <%s>) moved to %s, processed says %r"
                             % (tag, s["i"], s["kind"], s["msgid"], fs[0], got))
                continue
            self.checks_after_cut["moved, with their row in processed"] += 1
            effect = True
            if s["kind"] == "vote":
                effect = s["msgid"] in voted
            elif s["outcome"] == "processed" and s["kind"] != "help":
                effect = got[1] in refs
            if s["reply"] and s["msgid"] not in replies:
                effect = False
            if not effect:
                self.violate("%s: submission %d (%s, <%s>) processed as %r without its effect or reply"
                             % (tag, s["i"], s["kind"], s["msgid"], got))
            else:
                self.checks_after_cut["moved, with their effect and reply"] += 1
        self.check_pdfs(tag, statuses)
        self.check_page(tag, stamp[0] if stamp else None, last)
        try:
            verify = self.ctl("verify-log")
        except AssertionError as e:     # pactctl failed: say how
            verify = str(e)
        if not isinstance(verify, dict) or verify.get("ok") is not True:
            self.violate("%s: pactctl verify-log: %r" % (tag, verify))
        else:
            self.checks_after_cut["verify-log ok"] += 1

    def check_pdfs(self, tag, statuses):
        for ref, year, path in statuses:
            want = self.pdfs.get(year)
            if want is None or path is None:
                continue
            copies = [path] + [p for p in [os.path.join(self.out, "status-%s.pdf" % ref)] if os.path.exists(p)]
            for p in copies:
                try:
                    with open(p, "rb") as f:
                        got = f.read()
                except OSError as e:
                    got = "%s" % e
                if got != want:
                    self.violate("%s: status %s (%d): %s is not the PDF sent (%s)"
                                 % (tag, ref, year, p, "%d bytes" % len(got) if isinstance(got, bytes) else got))
                else:
                    self.checks_after_cut["status PDFs whole"] += 1

    def check_page(self, tag, stamp, last):
        """A stamp naming the last entry says the page is current: then it
        must be what a render makes now."""
        if stamp is None or stamp.split(" ")[0] != str(last):
            self.checks_after_cut["page stamped as stale: rendered again at the next start"] += 1
            return
        shutil.rmtree(self.cmp_out, ignore_errors=True)
        p = subprocess.run([os.path.join(torture.BUILD, "pactctl"), "-c", self.cmp_conf, "render"],
                           capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            self.violate("%s: pactctl render: %s" % (tag, p.stderr.strip()))
            return
        for name in ("pact.json", "index.html", "feed.atom"):
            try:
                with open(os.path.join(self.out, name), encoding="utf-8") as f:
                    have = f.read()
            except (OSError, UnicodeError) as e:
                self.violate("%s: the page is stamped current but %s: %s" % (tag, name, e))
                continue
            with open(os.path.join(self.cmp_out, name), encoding="utf-8") as f:
                want = f.read()
            if name == "pact.json":
                try:
                    have, want = json.loads(have), json.loads(want)
                    have.pop("generated", None)
                    want.pop("generated", None)
                except ValueError as e:
                    self.violate("%s: the page is stamped current but pact.json does not parse: %s" % (tag, e))
                    continue
            else:
                have, want = masked(have), masked(want)
            if have != want:
                self.violate("%s: the page is stamped current (%s) but %s is not what the database renders"
                             % (tag, stamp, name))
            else:
                self.checks_after_cut["page files stamped current and matching"] += 1

    # -------------------------------------------------------------- the end
    def check(self):
        """torture.py's check, on mailboxes where a mail found twice is
        counted as resent (and bounded below) instead of failing."""
        fetch = torture.fetch_all
        copies = collections.Counter()

        def once_each(sb, user, folder="INBOX"):
            raws = fetch(sb, user, folder)
            if user == PACT:
                return raws
            seen, out = set(), []
            for raw in raws:
                mid = msgid_of(header_parse(raw))
                copies[(user, mid)] += 1
                if mid not in seen:
                    seen.add(mid)
                    out.append(raw)
            return out

        torture.fetch_all = once_each
        try:
            super().check()
        finally:
            torture.fetch_all = fetch
        self.check_resent({k: n - 1 for k, n in copies.items() if n > 1})
        # statuses: one row per status submission, its year, its PDF
        byyear = collections.Counter(st["year"] for st in self.ctl("statuses"))
        for s in self.subs:
            if s["kind"] == "status":
                self.effects["status"] += byyear.get(s["year"], 0)
                if byyear.get(s["year"], 0) != 1:
                    self.violate("submission %d (status %d, <%s>): %d status(es) for the year, want 1"
                                 % (s["i"], s["year"], s["msgid"], byyear.get(s["year"], 0)))

    def check_resent(self, extra):
        """Each resent mail went out in a life that ended in a cut, among
        the last OUTBOX_BATCH mails that life sent."""
        per_cut = collections.Counter()
        for (rcpt, mid), n in sorted(extra.items()):
            lives = [i for i, life in enumerate(self.lives) if (mid, rcpt) in life["sent"]]
            ok = False
            for i in lives[:-1] or lives:
                life = self.lives[i]
                tail = life["sent"][-(OUTBOX_BATCH + 1):]
                if life["cut"] and (mid, rcpt) in tail:
                    per_cut[i] += 1
                    ok = True
            if not ok:
                self.violate("<%s> to %s: %d extra cop(y/ies), not sent in flight at a cut (sent in lives %s)"
                             % (mid, rcpt, n, lives))
        self.resent = {"mails": len(extra), "copies": sum(extra.values()),
                       "cuts": len(per_cut), "max": max(per_cut.values()) if per_cut else 0}

    def report(self, counts):
        a = self.args
        say("")
        say("=" * 78)
        say("pactd power cuts: %d submissions, %d cuts, seed %d" % (a.mails, a.cuts, a.seed))
        say("=" * 78)
        say("cuts made (each followed by a restart on what the disk held):")
        for k in sorted(self.cuts):
            say("  %-62s %6d" % (k, self.cuts[k]))
        say("checks after each cut and at the end (counted when they held):")
        for k in sorted(self.checks_after_cut):
            say("  %-62s %6d" % (k, self.checks_after_cut[k]))
        r = self.resent
        say("resent mails (outgoing, found twice): %d mail(s), %d extra cop(y/ies), after %d of %d cuts, "
            "at most %d at one cut (bound: mails in flight, at most %d)"
            % (r.get("mails", 0), r.get("copies", 0), r.get("cuts", 0), sum(
                self.cuts[k] for k in self.cuts if not k.startswith("...")), r.get("max", 0), OUTBOX_BATCH))
        super().report(counts)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mails", type=int, default=120, help="submissions (default 120)")
    ap.add_argument("--cuts", type=int, default=12, help="power cuts, one per life (default 12)")
    ap.add_argument("--seed", type=int, default=None, help="random seed (default: from the clock)")
    ap.add_argument("--max-points", type=int, default=60,
                    help="the first cut comes at sync point 1..this (default 60) or write "
                    "1..20 times this; later ones up to what lives were seen to make")
    ap.add_argument("--max-ms", type=int, default=4000, help="and at the latest this many ms after a start")
    ap.add_argument("--write-share", type=float, default=0.4, help="share of cuts at a write, not a sync")
    ap.add_argument("--tear-share", type=float, default=0.3, help="share of cuts that tear the last write")
    ap.add_argument("--time-limit", type=int, default=3600, help="give up after this many seconds")
    ap.add_argument("--keep", action="store_true", help="keep the directories (kept anyway on failure)")
    args = ap.parse_args(argv)
    if args.seed is None:
        args.seed = int(time.time()) % 100000
    if args.mails < 20:
        ap.error("--mails must be at least 20")
    if args.mails * 0.03 > 100:
        ap.error("--mails: at most 100 statuses (years %d-%d)" % (FIRST_YEAR, FIRST_YEAR + 99))
    return torture.drive(Powercut, args, "powercut")

if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Crash torture for pactd (issue 7, item 1; SPEC sections 6-7).

A private Dovecot + OpenSMTPD (tests/sandbox) and a pactd of its own
(tests/e2e/pactlib.Pact).  First a few passes of `pactd --once` prepare what
the torture's votes and comments answer: an annual status (its consultation
mails reach the advisory board) and enough nominations (their ballot mails
reach every delegate).  Then N mixed submissions go into the pact's INBOX
-- HELP, declarations, nominations, votes on the prepared ballots, comments
on the open consultation, rejected ones (invalid CVR, missing field,
ambiguous vote), mail from a stranger (Quarantine) and automatic replies
(Ignored) -- half of them before the first start, the rest a slice after
each restart, so that every life of pactd has work.  `pactd -f` is started
and killed with SIGKILL after a random 0-400 ms, sometimes with PACTD_FAULT
set so that it kills itself at a crash point (after-commit, before-dot,
after-dot), at least K times, and restarted, until the INBOX is empty and
`pactctl --json outbox` shows nothing queued, sending or delivering.

Then it checks, and prints the counts:
  - every submission has exactly one row in `processed` (its Message-ID once)
    with the expected outcome, and exactly one effect in the pact's state
    (pactctl --json declarations | ballots | ballot REF | statuses, and the
    votes table's msgkey);
  - every expected reply is in its recipient's mailbox exactly once: by
    Message-ID (each outbox row's Message-ID once in its recipient's INBOX,
    no Message-ID twice in any mailbox) and by content (exactly one mail whose
    In-Reply-To is the submission's Message-ID; none for Quarantine and
    Ignored; one ballot mail per delegate for each new ballot);
  - every original is in exactly one of INBOX and the four pactd/ folders,
    the expected one;
  - no outbox row is stuck (every row 'sent'), and the audit log verifies.

    torture.py [--mails N] [--kills K] [--seed S] [--keep]

Exit status 0 when all holds, 1 with a report of each violation, 2 when the
harness itself could not run.  Needs root (the sandbox) and build/pactd,
build/pactctl (PACTD_BUILD overrides the directory).
"""

import argparse
import collections
import datetime
import email
import email.parser
import email.policy
import email.utils
import imaplib
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(TOP, "tests", "e2e"))
os.environ.setdefault("PACTD_BUILD", os.path.join(TOP, "build"))

import clients  # noqa: E402
import pactlib  # noqa: E402
from pactlib import PACT, make_mail  # noqa: E402

BUILD = pactlib.BUILD
FOLDERS = ["INBOX", "pactd/Processed", "pactd/Rejected", "pactd/Quarantine", "pactd/Ignored"]
FOLDER_OF = {"processed": "pactd/Processed", "rejected": "pactd/Rejected",
             "quarantine": "pactd/Quarantine", "ignored": "pactd/Ignored"}
FAULTS = ["after-commit", "before-dot", "after-dot"]

PARTIES = collections.OrderedDict([
    ("EM", ["mette@em.example.test"]),
    ("DI", ["anne@di.example.test", "bo@di.example.test"]),
    ("DE", ["jens@danskerhverv.example.test"]),
    ("ITB", ["sofie@itb.example.test"]),
    ("IF", ["peter@industriensfond.example.test"]),
    ("SMVDK", ["pia@smvdanmark.example.test"]),
    ("IDA", ["lise@ida.example.test"]),
    ("FD", ["eva@finansdanmark.example.test"]),
    ("HK", ["mads@hk.example.test"]),
    ("FP", ["ole@forsikringogpension.example.test"]),
])
DELEGATES = [a for addrs in PARTIES.values() for a in addrs]
ADVISORY = ["carl@vfds.example.test", "dorte@vfds.example.test"]
SECRETARIAT = "sekretariat@erst.example.test"
ROSTER = DELEGATES + ADVISORY + [SECRETARIAT]
STRANGER = "someone@elsewhere.example.net"

VOTE_WORDS = {"yes": ["Ja", "JA", "Yes", "+1"], "no": ["Nej", "NEJ", "No", "-1"],
              "abstain": ["Undlad", "Blank", "Abstain", "0"]}

# the share of each kind in the N submissions (rest: HELP)
MIX = [("declaration", 0.12), ("nomination", 0.08), ("vote", 0.33), ("comment", 0.12),
       ("bad-cvr", 0.04), ("bad-declaration", 0.03), ("bad-vote", 0.03),
       ("stranger", 0.025), ("automatic", 0.025)]


class HarnessError(RuntimeError):
    pass


def say(*a):
    print(*a, flush=True)


# ------------------------------------------------------------------ helpers
def cvr_ok(cvr):
    d = [int(c) for c in cvr]
    return len(d) == 8 and sum(w * x for w, x in zip((2, 7, 6, 5, 4, 3, 2, 1), d)) % 11 == 0


class CvrSource:
    """Distinct valid CVR numbers (and invalid ones) from the run's seed."""

    def __init__(self, rng):
        self.rng = rng
        self.used = set()

    def valid(self):
        while True:
            digits = [self.rng.randrange(1, 10)] + [self.rng.randrange(10) for _ in range(6)]
            check = (-sum(w * x for w, x in zip((2, 7, 6, 5, 4, 3, 2), digits))) % 11
            if check == 10:
                continue
            cvr = "".join(map(str, digits)) + str(check)
            if cvr not in self.used:
                assert cvr_ok(cvr)
                self.used.add(cvr)
                return cvr

    def invalid(self):
        cvr = self.valid()
        bad = cvr[:7] + str((int(cvr[7]) + 1 + self.rng.randrange(9)) % 10)
        assert not cvr_ok(bad)
        return bad


def msgid_of(msg):
    return (msg.get("Message-ID") or "").strip().strip("<>")


def header_parse(raw):
    return email.parser.BytesParser(policy=email.policy.default).parsebytes(raw, headersonly=True)


def fetch_all(sb, user, folder="INBOX"):
    """Raw messages of user's folder over one IMAP connection ([] when the
    folder does not exist)."""
    try:
        return sb.messages(user, folder)
    except (OSError, imaplib.IMAP4.error):
        return []


def nomination_body(org, cvr, contact, dialogue):
    return ("Hej sekretariat,\n\nVi indstiller hermed efter vores dialog:\n\n"
            "Organisation: %s\nType: virksomhed\nCVR: %s\nKontakt: %s\nDialog: %s\n"
            "Principper: ja\nInitiativer:\n- Gratis sikkerhedstjek for 100 SMV'er\n"
            "- Webinarer om phishing\n"
            "Sammenhæng: Initiativerne styrker SMV'ernes sikkerhed (formål 1 og 3).\n\n"
            "Venlig hilsen\n" % (org, cvr, contact, dialogue))


def declaration_body(marker, objectives=True):
    body = ("Hej sekretariat,\n\nMotivation: Vi ønsker at løfte SMV'ernes digitale sikkerhed "
            "(%s).\n" % marker)
    if objectives:
        body += ("Målsætninger:\n- Alle medlemsvirksomheder tilbydes et sikkerhedstjek\n"
                 "- 500 SMV'er gennemfører et awareness-forløb (%s)\n" % marker)
    body += "Bidrag: Rådgivning og netværk\n\nVenlig hilsen\n"
    return body


# ------------------------------------------------------------------ the run
class Torture:
    RESULT_OK = "RESULT: OK -- nothing lost, nothing twice"

    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.cvrs = CvrSource(self.rng)
        self.violations = []
        self.stats = collections.Counter()
        self.subs = []          # the N submissions (dicts)
        self.prep_ids = []      # Message-IDs of the preparation mails
        self.ballots = []       # prepared ballots: {"ref", "org", "mails": {addr: raw}}
        self.consultation = {}  # advisory member -> raw consultation mail
        self.status_ref = None
        self.today = datetime.date.today()

    # -------------------------------------------------------------- setup
    def setup(self):
        if os.geteuid() != 0:
            raise HarnessError("needs root (the mail sandbox)")
        self.root = tempfile.mkdtemp(prefix="pactd-torture-")
        os.chmod(self.root, 0o755)  # Dovecot's mail processes run as nobody
        self.snapshot_binaries()
        self.sb = pactlib.sandbox_mod.Sandbox(os.path.join(self.root, "sandbox"), 0, 0, 0)
        self.sb.start()
        pactlib.SANDBOX = self.sb     # pactlib.Pact uses this sandbox
        self.pact = pactlib.Pact()
        # a torture run answers far more than reply_rate_per_hour allows
        with open(self.pact.conf, "a") as f:
            f.write("[security]\nreply_rate_per_hour = 100000\n\n")
        self.log = self.pact.logfile
        say("torture: sandbox %s (imap %d, smtp %d), pact %s" % (
            self.sb.root, self.sb.imap_port, self.sb.smtp_port, self.pact.dir))

    def snapshot_binaries(self):
        """Run copies of pactd and pactctl: a rebuild in the work tree
        while the torture runs must not swap the binary under it."""
        global BUILD
        bindir = os.path.join(self.root, "bin")
        os.makedirs(bindir)
        deadline = time.time() + 120
        for b in ("pactd", "pactctl"):
            src = os.path.join(BUILD, b)
            while True:
                try:
                    if os.access(src, os.X_OK):
                        shutil.copy2(src, os.path.join(bindir, b))
                        r = subprocess.run([os.path.join(bindir, b), "--help"], capture_output=True)
                        if r.returncode in (0, 64):
                            break
                except OSError:
                    pass
                if time.time() > deadline:
                    raise HarnessError("%s missing or not runnable: run make all" % src)
                time.sleep(1)
        say("torture: running copies of %s/pactd and pactctl (%s)" % (BUILD, bindir))
        BUILD = pactlib.BUILD = bindir

    def cleanup(self, keep):
        if getattr(self, "sb", None) is None:
            return
        if self.pact is not None and getattr(self.pact, "proc", None) is not None:
            try:
                self.pact.proc.kill()
                self.pact.proc.wait()
            except OSError:
                pass
        try:
            self.sb.stop()
        except Exception as e:  # pragma: no cover
            say("torture: stopping the sandbox: %s" % e)
        dirs = [self.root] + ([self.pact.dir] if self.pact is not None else [])
        if keep:
            say("torture: kept %s" % " and ".join(dirs))
        else:
            for d in dirs:
                shutil.rmtree(d, ignore_errors=True)

    def once(self):
        rc, err = self.pact.once()
        if rc != 0:
            raise HarnessError("preparation: pactd --once exited %d:\n%s" % (rc, err[-3000:]))
        return err

    def ctl(self, *args):
        return self.pact.ctl(*args)

    # -------------------------------------------------------------- preparation
    def prepare(self, nballots):
        """An open consultation and nballots open ballots, their mails read
        from the advisory board's and the delegates' mailboxes."""
        t0 = time.time()
        year = self.today.year
        raw, mid = make_mail(SECRETARIAT, "ÅRSSTATUS",
                             "Hej\n\nÅr: %d\nStatus: Pagten har i år samlet 40 initiativer.\n\n"
                             "Venlig hilsen\nSekretariatet\n" % year)
        self.sb.append(PACT, raw)
        self.prep_ids.append(mid)
        orgs = []
        for i in range(nballots):
            sender = self.rng.choice(DELEGATES)
            org = "Forberedt %03d ApS" % i
            dialogue = (self.today - datetime.timedelta(days=10)).isoformat()
            raw, mid = make_mail(sender, "INDSTILLING",
                                 nomination_body(org, self.cvrs.valid(),
                                                 "Kontakt %d <prep%d@nominee.example.test>" % (i, i),
                                                 dialogue))
            self.sb.append(PACT, raw)
            self.prep_ids.append(mid)
            orgs.append(org)
        self.once()
        if self.sb.count(PACT, "INBOX") != 0:
            raise HarnessError("preparation: the INBOX was not emptied:\n%s" % open(self.log).read()[-3000:])
        statuses = self.ctl("statuses")
        if len(statuses) != 1:
            raise HarnessError("preparation: no annual status: %r" % statuses)
        self.status_ref = statuses[0]["ref"]
        byorg = {b["organisation"]: b for b in self.ctl("ballots")}
        for org in orgs:
            b = byorg.get(org)
            if b is None or b["state"] != "open":
                raise HarnessError("preparation: no open ballot for %s: %r" % (org, b))
            self.ballots.append({"ref": b["ref"], "org": org, "mails": {}})
        # the mails the torture answers
        want = {a: len(self.ballots) for a in DELEGATES}
        deadline = time.time() + 60
        while True:
            missing = []
            for addr in DELEGATES:
                if all(addr in b["mails"] for b in self.ballots):
                    continue
                for raw in fetch_all(self.sb, addr):
                    m = header_parse(raw)
                    mid = msgid_of(m)
                    for b in self.ballots:
                        if mid.startswith("v-") and (".%s." % b["ref"]) in mid:
                            b["mails"][addr] = raw
                if not all(addr in b["mails"] for b in self.ballots):
                    missing.append(addr)
            for addr in ADVISORY:
                if addr in self.consultation:
                    continue
                for raw in fetch_all(self.sb, addr):
                    m = header_parse(raw)
                    if msgid_of(m).startswith("c-") and self.status_ref in msgid_of(m):
                        self.consultation[addr] = raw
                if addr not in self.consultation:
                    missing.append(addr)
            if not missing:
                break
            if time.time() > deadline:
                raise HarnessError("preparation: ballot/consultation mails missing for %s (want %r)"
                                   % (missing, want))
            time.sleep(0.3)
        say("torture: prepared %d open ballots and consultation %s in %.1f s" % (
            len(self.ballots), self.status_ref, time.time() - t0))

    # -------------------------------------------------------------- the mix
    def plan(self, n):
        counts = {k: int(round(n * share)) for k, share in MIX}
        counts["help"] = n - sum(counts.values())
        if counts["help"] < 0:
            raise HarnessError("mix does not add up")
        kinds = [k for k, c in counts.items() for _ in range(c)]
        self.rng.shuffle(kinds)
        return counts, kinds

    def vote_slots(self, nvotes):
        """(ballot, party, vote) triples: at most 9 parties a ballot (so that
        not every party has voted), at most 4 yes and 4 no (so that the
        outcome can still change): every prepared ballot stays open."""
        slots = []
        for b in self.ballots:
            parties = list(PARTIES)
            self.rng.shuffle(parties)
            words = ["yes"] * 4 + ["no"] * 4 + ["abstain"]
            self.rng.shuffle(words)
            for party, word in zip(parties[:9], words):
                slots.append((b, party, word))
        self.rng.shuffle(slots)
        if len(slots) < nvotes:
            raise HarnessError("not enough prepared ballots for %d votes" % nvotes)
        return slots[:nvotes]

    def make(self, kinds):
        nvotes = kinds.count("vote")
        slots = self.vote_slots(nvotes)
        for i, kind in enumerate(kinds):
            sub = {"i": i, "kind": kind, "outcome": "processed", "reply": True}
            marker = "torture-%d-%d" % (self.args.seed, i)
            sub["marker"] = marker
            if kind == "help":
                sender = self.rng.choice(ROSTER)
                raw, mid = make_mail(sender, self.rng.choice(["HJÆLP", "HELP", "Hjælp"]),
                                     "Hej\n\nHvordan gør jeg? (%s)\n" % marker)
            elif kind in ("declaration", "bad-declaration"):
                sender = self.rng.choice(DELEGATES)
                raw, mid = make_mail(sender, self.rng.choice(["ERKLÆRING", "ERKLAERING"]),
                                     declaration_body(marker, objectives=kind == "declaration"))
                if kind == "bad-declaration":
                    sub["outcome"] = "rejected"
            elif kind in ("nomination", "bad-cvr"):
                sender = self.rng.choice(DELEGATES)
                org = "Torture %d-%04d ApS" % (self.args.seed, i)
                cvr = self.cvrs.valid() if kind == "nomination" else self.cvrs.invalid()
                dialogue = (self.today - datetime.timedelta(days=self.rng.randrange(1, 60))).strftime(
                    self.rng.choice(["%Y-%m-%d", "%d.%m.%Y"]))
                raw, mid = make_mail(sender, "INDSTILLING", nomination_body(
                    org, cvr, "Kontakt %d <kontakt%d@nominee.example.test>" % (i, i), dialogue))
                sub["org"] = org
                sub["cvr"] = cvr
                if kind == "bad-cvr":
                    sub["outcome"] = "rejected"
            elif kind == "vote":
                b, party, word = slots.pop()
                sender = self.rng.choice(PARTIES[party])
                client = "thunderbird" if sender == "lise@ida.example.test" else \
                    self.rng.choice(["gmail", "outlook", "apple"])
                raw, mid = clients.reply(client, b["mails"][sender], sender,
                                         self.rng.choice(VOTE_WORDS[word]))
                sub.update(ballot=b["ref"], party=party, vote=word, client=client)
            elif kind == "bad-vote":
                b = self.rng.choice(self.ballots)
                sender = self.rng.choice(DELEGATES)
                raw, mid = clients.reply("gmail", b["mails"][sender], sender, "Ja / Nej")
                sub.update(ballot=b["ref"], outcome="rejected")
            elif kind == "comment":
                sender = self.rng.choice(ADVISORY)
                client = self.rng.choice(["gmail", "outlook", "thunderbird"])
                raw, mid = clients.reply(client, self.consultation[sender], sender,
                                         "Vi bakker op om statussen, men savner tal for region Nord (%s)."
                                         % marker)
                sub["client"] = client
            elif kind == "stranger":
                sender = STRANGER
                raw, mid = make_mail(sender, "HELP", "Hello, who are you? (%s)\n" % marker)
                sub.update(outcome="quarantine", reply=False)
            elif kind == "automatic":
                sender = self.rng.choice(DELEGATES)
                raw, mid = make_mail(sender, "Automatisk svar: Afstemning",
                                     "Jeg er på ferie til mandag. (%s)\n" % marker,
                                     headers={"Auto-Submitted": "auto-replied"})
                sub.update(outcome="ignored", reply=False)
            else:  # pragma: no cover
                raise HarnessError("unknown kind %s" % kind)
            sub.update(sender=sender, raw=raw, msgid=mid)
            self.subs.append(sub)
        ids = [s["msgid"] for s in self.subs]
        if len(set(ids)) != len(ids):
            raise HarnessError("duplicate Message-IDs in the plan")

    # -------------------------------------------------------------- feeding
    def append(self, subs):
        if not subs:
            return
        for attempt in range(5):
            try:
                c = self.sb.imap(PACT)
                break
            except (OSError, imaplib.IMAP4.error):
                time.sleep(0.2)
        else:
            raise HarnessError("cannot log in to IMAP to append")
        try:
            for s in subs:
                typ, data = c.append("INBOX", None, None, s["raw"])
                if typ != "OK":
                    raise HarnessError("APPEND: %r" % data)
        finally:
            try:
                c.logout()
            except (OSError, imaplib.IMAP4.error):
                pass

    # -------------------------------------------------------------- the kill loop
    def pending(self):
        """(messages in INBOX, outbox rows queued/sending/delivering)."""
        inbox = self.sb.count(PACT, "INBOX")
        box = self.ctl("outbox")
        return inbox, sum(1 for r in box if r["state"] in ("queued", "sending", "delivering"))

    def progress(self):
        try:
            con = sqlite3.connect("file:%s?mode=ro" % self.pact.db, uri=True, timeout=10)
            try:
                p = con.execute("SELECT count(*) FROM processed").fetchone()[0]
                o = con.execute("SELECT count(*) FROM outbox WHERE state = 'sent'").fetchone()[0]
                return p, o
            finally:
                con.close()
        except sqlite3.Error:
            return None

    def life(self, n, fault, delay, feed):
        with open(self.log, "a") as f:
            f.write("=== torture life %d: fault=%s, SIGKILL after %d ms, %d mail(s) appended\n"
                    % (n, fault or "-", delay * 1000, len(feed)))
        logf = open(self.log, "a")
        t0 = time.monotonic()
        proc = subprocess.Popen([os.path.join(BUILD, "pactd"), "-c", self.pact.conf, "-f", "-v"],
                                env=self.pact.env(fault=fault), stdout=logf, stderr=logf)
        self.pact.proc = proc
        try:
            self.append(feed)
            left = delay - (time.monotonic() - t0)
            if left > 0:
                try:
                    proc.wait(left)
                except subprocess.TimeoutExpired:
                    pass
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                how = "harness"
            else:
                how = "self" if proc.returncode == -signal.SIGKILL else "exit"
        finally:
            self.pact.proc = None
            logf.close()
        return how, proc.returncode

    def deal(self, lives, name):
        """Half the submissions into the INBOX now, the rest dealt into
        one slice for each restart to come."""
        first = len(self.subs) // 2
        self.append(self.subs[:first])
        rest = self.subs[first:]
        slices = [[] for _ in range(max(lives, 1))]
        for j, s in enumerate(rest):
            slices[j * len(slices) // len(rest)].append(s)
        say("%s: %d submissions in the INBOX, %d more in %d slices, one after each restart"
            % (name, first, len(rest), len(slices)))
        return slices

    def run(self):
        a = self.args
        slices = self.deal(a.kills, "torture")
        t0 = time.time()
        lives = kills = 0
        last, stuck = None, 0
        time_limit = a.time_limit
        while True:
            feed = slices[lives] if lives < len(slices) else []
            fault = self.rng.choice(FAULTS) if self.rng.random() < a.fault_share else None
            delay = self.rng.uniform(0, a.max_delay_ms / 1000.0)
            how, rc = self.life(lives, fault, delay, feed)
            lives += 1
            if how == "harness":
                self.stats["SIGKILL by the harness"] += 1
                kills += 1
            elif how == "self":
                self.stats["SIGKILL at fault point %s" % fault] += 1
                kills += 1
            else:
                self.violate("pactd -f exited by itself with status %s in life %d (fault=%s); see %s"
                             % (rc, lives - 1, fault, self.log))
            if lives % 25 == 0:
                say("torture: %d lives, %d kills, %.0f s" % (lives, kills, time.time() - t0))
            if kills >= a.kills and lives >= len(slices):
                inbox, pend = self.pending()
                if inbox == 0 and pend == 0:
                    break
            prog = self.progress()
            if prog is not None and prog == last:
                stuck += 1
            else:
                stuck = 0
            last = prog
            if stuck >= 300 or time.time() - t0 > time_limit:
                inbox, pend = self.pending()
                self.violate("no end: after %d lives (%d without progress, %.0f s) the INBOX holds %d "
                             "and the outbox %d unsent mail(s)" % (lives, stuck, time.time() - t0, inbox, pend))
                break
        self.stats["lives"] = lives
        self.stats["kills"] = kills
        self.run_seconds = time.time() - t0
        say("torture: %d lives, %d kills in %.1f s" % (lives, kills, self.run_seconds))

    def violate(self, msg):
        self.violations.append(msg)

    # -------------------------------------------------------------- checks
    def wait_delivery(self, expected):
        """Wait until every recipient's INBOX holds what the outbox sent it
        (OpenSMTPD may still be delivering), then a moment more so that a
        late duplicate shows too."""
        deadline = time.time() + 120
        last, since = None, time.time()
        while True:
            have = {a: self.sb.count(a, "INBOX") for a in expected}
            if all(have[a] >= n for a, n in expected.items()) or time.time() > deadline:
                break
            if have != last:
                last, since = have, time.time()
            elif time.time() - since > 10:
                break       # nothing arrives any more: some mail is missing
            time.sleep(0.5)
        time.sleep(2)

    def check(self):
        subs = self.subs
        byid = {s["msgid"]: s for s in subs}
        rows = {}
        con = sqlite3.connect("file:%s?mode=ro" % self.pact.db, uri=True, timeout=10)
        try:
            processed = con.execute("SELECT msgkey, message_id, outcome, kind, ref FROM processed").fetchall()
            sent_how = dict(con.execute("SELECT message_id, detail FROM log WHERE event = 'mail sent'").fetchall())
            outbox = con.execute("SELECT id, message_id, rcpt, kind, ref, state, cause, attempts "
                                 "FROM outbox ORDER BY id").fetchall()
            votes = con.execute("SELECT ref, party, vote, msgkey FROM votes").fetchall()
        finally:
            con.close()
        box = self.ctl("outbox")
        decls = self.ctl("declarations")
        ballots = self.ctl("ballots")
        statuses = self.ctl("statuses")
        verify = self.ctl("verify-log")

        # --- the outbox: nothing stuck
        states = collections.Counter(r["state"] for r in box)
        for r in box:
            if r["state"] != "sent":
                self.violate("outbox row %d to %s (%s %s) is %s after %d attempt(s): %s"
                             % (r["id"], r["to"], r["kind"], r["ref"], r["state"], r["attempts"], r["error"]))
        if len(box) != len(outbox):
            self.violate("pactctl outbox shows %d rows, the table holds %d" % (len(box), len(outbox)))
        if not isinstance(verify, dict) or verify.get("ok") is not True:
            self.violate("pactctl verify-log: %r" % verify)

        # --- processed: each Message-ID exactly once, with the expected outcome
        per_key = collections.Counter(k for k, _, _, _, _ in processed)
        per_mid = collections.Counter(m for _, m, _, _, _ in processed if m)
        prow = {}
        for key, mid, outcome, kind, ref in processed:
            prow[mid or key] = (outcome, kind, ref)
        for k, n in per_key.items():
            if n != 1:
                self.violate("processed: key %s %d times" % (k, n))
        known = set(byid) | set(self.prep_ids)
        for mid in per_mid:
            if mid not in known:
                self.violate("processed: a Message-ID nobody sent: %s" % mid)
        outcome_found = collections.Counter()
        for s in subs:
            n = per_mid.get(s["msgid"], 0)
            if n != 1:
                self.violate("submission %d (%s from %s, <%s>): %d row(s) in processed, want 1"
                             % (s["i"], s["kind"], s["sender"], s["msgid"], n))
                continue
            outcome, kind, ref = prow[s["msgid"]]
            s["ref"] = ref
            s["got_outcome"] = outcome
            outcome_found[(s["kind"], outcome)] += 1
            if outcome != s["outcome"]:
                self.violate("submission %d (%s from %s, <%s>): outcome %s (%s), want %s"
                             % (s["i"], s["kind"], s["sender"], s["msgid"], outcome, kind, s["outcome"]))
        for mid in self.prep_ids:
            if per_mid.get(mid, 0) != 1:
                self.violate("preparation mail <%s>: %d row(s) in processed" % (mid, per_mid.get(mid, 0)))

        # --- effects
        effects = collections.Counter()
        # declarations: one row per accepted declaration, found by its marker
        for s in subs:
            if s["kind"] not in ("declaration", "bad-declaration"):
                continue
            hits = [d for d in decls if s["marker"] + ")" in (d["motivation"] or "")]
            want = 1 if s["kind"] == "declaration" else 0
            effects[s["kind"]] += len(hits)
            if len(hits) != want:
                self.violate("submission %d (%s <%s>): %d declaration(s), want %d"
                             % (s["i"], s["kind"], s["msgid"], len(hits), want))
            elif want and hits[0]["ref"] != s.get("ref"):
                self.violate("submission %d: declaration %s, processed says %s"
                             % (s["i"], hits[0]["ref"], s.get("ref")))
        ndecl = sum(1 for s in subs if s["kind"] == "declaration")
        if len(decls) != ndecl:
            self.violate("pactctl declarations: %d, want %d" % (len(decls), ndecl))
        versions = collections.defaultdict(list)
        for d in decls:
            versions[d["party"]].append(d["version"])
        for party, vs in versions.items():
            if sorted(vs) != list(range(1, len(vs) + 1)):
                self.violate("declarations of %s: versions %s" % (party, sorted(vs)))
        # nominations: one ballot per accepted nomination, none for a bad CVR
        byorg = collections.defaultdict(list)
        for b in ballots:
            byorg[b["organisation"]].append(b)
        for s in subs:
            if s["kind"] not in ("nomination", "bad-cvr"):
                continue
            hits = byorg.get(s["org"], [])
            want = 1 if s["kind"] == "nomination" else 0
            effects[s["kind"]] += len(hits)
            if len(hits) != want:
                self.violate("submission %d (%s <%s>, %s): %d ballot(s), want %d"
                             % (s["i"], s["kind"], s["msgid"], s["org"], len(hits), want))
            elif want and hits[0]["ref"] != s.get("ref"):
                self.violate("submission %d: ballot %s, processed says %s" % (s["i"], hits[0]["ref"], s.get("ref")))
        nnom = sum(1 for s in subs if s["kind"] == "nomination")
        if len(ballots) != len(self.ballots) + nnom:
            self.violate("pactctl ballots: %d, want %d prepared + %d new"
                         % (len(ballots), len(self.ballots), nnom))
        # votes: each vote the one row of its (ballot, party), by msgkey; the
        # ballot's tally as planned
        vote_by_key = collections.Counter(k for _, _, _, k in votes)
        vrow = {k: (ref, party, vote) for ref, party, vote, k in votes}
        for s in subs:
            if s["kind"] not in ("vote", "bad-vote"):
                continue
            n = vote_by_key.get(s["msgid"], 0)
            want = 1 if s["kind"] == "vote" else 0
            effects[s["kind"]] += n
            if n != want:
                self.violate("submission %d (%s from %s on %s, <%s>): %d vote row(s), want %d"
                             % (s["i"], s["kind"], s["sender"], s["ballot"], s["msgid"], n, want))
            elif want and vrow[s["msgid"]] != (s["ballot"], s["party"], s["vote"]):
                self.violate("submission %d: vote recorded as %r, want %r"
                             % (s["i"], vrow[s["msgid"]], (s["ballot"], s["party"], s["vote"])))
        nvote_rows = 0
        for b in self.ballots:
            doc = self.ctl("ballot", b["ref"])
            want = {s["party"]: s["vote"] for s in subs if s["kind"] == "vote" and s["ballot"] == b["ref"]}
            got = {v["party"]: v["vote"] for v in doc["votes"]}
            nvote_rows += len(doc["votes"])
            tally = collections.Counter(want.values())
            if got != want or doc["state"] != "open" or \
                    (doc["yes"], doc["no"], doc["abstain"]) != (tally["yes"], tally["no"], tally["abstain"]):
                self.violate("ballot %s: state %s, yes %d no %d abstain %d, votes %r; want open, %r"
                             % (b["ref"], doc["state"], doc["yes"], doc["no"], doc["abstain"], got, want))
        nvotes = sum(1 for s in subs if s["kind"] == "vote")
        if nvote_rows != nvotes:
            self.violate("votes on the prepared ballots: %d, want %d" % (nvote_rows, nvotes))
        # comments: one per comment submission, found by its marker
        comments = [c for st in statuses for c in st["comments"]]
        for s in subs:
            if s["kind"] != "comment":
                continue
            hits = [c for c in comments if s["marker"] + ")" in (c["text"] or "")]
            effects["comment"] += len(hits)
            if len(hits) != 1:
                self.violate("submission %d (comment from %s, <%s>): %d comment(s), want 1"
                             % (s["i"], s["sender"], s["msgid"], len(hits)))
            elif hits[0]["ref"] != s.get("ref"):
                self.violate("submission %d: comment %s, processed says %s" % (s["i"], hits[0]["ref"], s.get("ref")))
        ncomm = sum(1 for s in subs if s["kind"] == "comment")
        if len(comments) != ncomm:
            self.violate("pactctl statuses: %d comment(s), want %d" % (len(comments), ncomm))
        self.effects = effects

        # --- the mail: by Message-ID and by content
        expected = collections.Counter(r[2] for r in outbox if r[5] == "sent")
        self.wait_delivery(expected)
        mailboxes = {}
        for addr in sorted(set(expected) | set(ROSTER)):
            mailboxes[addr] = [email.message_from_bytes(r, policy=email.policy.default)
                               for r in fetch_all(self.sb, addr)]
        by_rcpt_ids = {a: collections.Counter(msgid_of(m) for m in ms) for a, ms in mailboxes.items()}
        # each Message-ID at most once in any mailbox
        dup_ids = 0
        for a, ids in by_rcpt_ids.items():
            for mid, n in ids.items():
                if n > 1:
                    dup_ids += 1
                    self.violate("%s's INBOX holds <%s> %d times" % (a, mid, n))
        # each outbox row once in its recipient's INBOX
        sent_ids = set()
        lost = once_ok = 0
        for oid, mid, rcpt, kind, ref, state, cause, attempts in outbox:
            sent_ids.add((rcpt, mid))
            n = by_rcpt_ids.get(rcpt, {}).get(mid, 0)
            once_ok += n == 1
            if n != 1:
                lost += n == 0
                self.violate("outbox row %d (%s %s to %s, %s, %d attempt(s); audit log: %r) <%s>: "
                             "%d time(s) in the INBOX" % (oid, kind, ref or "-", rcpt, state, attempts,
                                                          sent_how.get(mid), mid, n))
                if n == 0 and "before a restart" in (sent_how.get(mid) or ""):
                    self.stats["lost: counted as sent by recovery ('delivering' at a kill)"] += 1
        for a, ids in by_rcpt_ids.items():
            for mid in ids:
                if (a, mid) not in sent_ids:
                    self.violate("%s's INBOX holds <%s>, which no outbox row sent" % (a, mid))
        # one reply row per answered submission, none for the others
        reply_rows = collections.Counter(r[6] for r in outbox if r[3] == "reply")
        replies_by_id = collections.Counter()
        replies_by_content = collections.Counter()
        for s in subs:
            want = 1 if s["reply"] else 0
            n = reply_rows.get(s["msgid"], 0)
            replies_by_id[s["kind"]] += n
            if n != want:
                self.violate("submission %d (%s from %s, <%s>): %d reply row(s) in the outbox, want %d"
                             % (s["i"], s["kind"], s["sender"], s["msgid"], n, want))
            got = [m for m in mailboxes.get(s["sender"], [])
                   if (m.get("In-Reply-To") or "").strip() == "<%s>" % s["msgid"]]
            replies_by_content[s["kind"]] += len(got)
            if len(got) != want:
                self.violate("submission %d (%s from %s, <%s>): %d repl(y/ies) in %s's INBOX, want %d"
                             % (s["i"], s["kind"], s["sender"], s["msgid"], len(got), s["sender"], want))
                continue
            if not got:
                continue
            text = pactlib.text_of(got[0])
            if s["outcome"] == "processed" and s.get("ref") and s["ref"] not in text:
                self.violate("submission %d (%s): the reply does not quote its reference %s"
                             % (s["i"], s["kind"], s["ref"]))
            if s["kind"] == "bad-cvr" and s["cvr"] not in text:
                self.violate("submission %d (bad CVR %s): the reply does not name the CVR" % (s["i"], s["cvr"]))
        self.replies_by_id = replies_by_id
        self.replies_by_content = replies_by_content
        # one ballot mail per delegate for each new ballot
        ballot_mails = 0
        for s in subs:
            if s["kind"] != "nomination" or not s.get("ref"):
                continue
            for addr in DELEGATES:
                got = [m for m in mailboxes[addr] if msgid_of(m).startswith("v-")
                       and (".%s." % s["ref"]) in msgid_of(m) and "[%s]" % s["ref"] in (m["Subject"] or "")]
                ballot_mails += len(got)
                if len(got) != 1:
                    self.violate("ballot %s (submission %d): %d ballot mail(s) in %s's INBOX, want 1"
                                 % (s["ref"], s["i"], len(got), addr))
        self.ballot_mails = ballot_mails

        # --- the originals: each in exactly one folder, the expected one
        where = collections.defaultdict(list)
        for folder in FOLDERS:
            for raw in fetch_all(self.sb, PACT, folder):
                where[msgid_of(header_parse(raw))].append(folder)
        folder_counts = collections.Counter()
        self.in_folder = collections.Counter()
        for s in subs:
            fs = where.get(s["msgid"], [])
            for f in fs:
                folder_counts[f] += 1
            if fs == [FOLDER_OF[s["outcome"]]]:
                self.in_folder[s["kind"]] += 1
            else:
                self.violate("submission %d (%s from %s, <%s>): in %s, want only %s"
                             % (s["i"], s["kind"], s["sender"], s["msgid"], fs or "no folder",
                                FOLDER_OF[s["outcome"]]))
        for mid in self.prep_ids:
            if where.get(mid) != ["pactd/Processed"]:
                self.violate("preparation mail <%s>: in %s" % (mid, where.get(mid)))
        self.folder_counts = folder_counts
        self.outbox_states = states
        self.outbox_total = len(box)
        self.dup_ids = dup_ids
        self.lost = lost
        self.once_ok = once_ok
        self.outcome_found = outcome_found
        self.processed_rows = len(processed)

    # -------------------------------------------------------------- report
    def log_counts(self):
        try:
            with open(self.log, errors="replace") as f:
                text = f.read()
        except OSError:
            return {}
        out = collections.OrderedDict()
        out["fault points reached (pactd's own words)"] = len(re.findall(r"fault point \S+ reached", text))
        out["messages seen again after a kill ('already processed')"] = len(re.findall(r"already processed", text))
        n = 0
        for m in re.finditer(r"outbox: (\d+) mail\(s\) (?:interrupted after their final dot|taken by the "
                             r"server before a restart)", text):
            n += int(m.group(1))
        out["mails 'delivering' at a kill, counted as sent"] = n
        out["SMTP attempts that failed (pactd's warnings)"] = len(re.findall(r"pactd: sending <", text))
        return out

    def report(self, counts):
        a = self.args
        say("")
        say("=" * 78)
        say("pactd crash torture: %d submissions, at least %d kills, seed %d" % (a.mails, a.kills, a.seed))
        say("=" * 78)
        say("kill loop: %d lives of pactd -f in %.1f s, %d kills:"
            % (self.stats["lives"], getattr(self, "run_seconds", 0), self.stats["kills"]))
        for k in sorted(self.stats):
            if k.startswith("SIGKILL") or k.startswith("lost"):
                say("  %-62s %6d" % (k, self.stats[k]))
        for k, v in self.log_counts().items():
            say("  %-62s %6d" % (k, v))
        say("")
        say("%-16s %5s %9s  %-15s %7s %8s %9s  %s" % ("kind", "sent", "processed", "outcome", "effects",
                                                       "reply-id", "reply-txt", "in the expected folder"))
        kinds = [k for k, _ in MIX] + ["help"]
        for k in sorted(kinds, key=lambda k: (-counts.get(k, 0), k)):
            ss = [s for s in self.subs if s["kind"] == k]
            if not ss:
                continue
            want = ss[0]["outcome"]
            n_rows = sum(1 for s in ss if "got_outcome" in s)
            n_ok = sum(1 for s in ss if s.get("got_outcome") == want)
            eff = str(getattr(self, "effects", {}).get(k, 0)) if k not in ("help", "stranger", "automatic") else "-"
            say("%-16s %5d %9d  %-15s %7s %8d %9d  %s %d"
                % (k, len(ss), n_rows, "%4d %s" % (n_ok, want), eff,
                   self.replies_by_id.get(k, 0), self.replies_by_content.get(k, 0),
                   FOLDER_OF[want], self.in_folder.get(k, 0)))
        say("")
        say("processed rows: %d (%d submissions + %d preparation mails)"
            % (self.processed_rows, len(self.subs), len(self.prep_ids)))
        say("originals by folder: %s" % ", ".join("%s %d" % (f, self.folder_counts.get(f, 0)) for f in FOLDERS))
        say("outbox: %d rows, %s" % (self.outbox_total,
                                    ", ".join("%s %d" % kv for kv in sorted(self.outbox_states.items()))))
        say("mail by Message-ID: %d of %d outbox rows exactly once in their recipient's INBOX; "
            "lost %d, Message-IDs found more than once %d" % (self.once_ok, self.outbox_total, self.lost, self.dup_ids))
        say("ballot mails for the %d new ballots: %d (want %d)"
            % (sum(1 for s in self.subs if s["kind"] == "nomination"), self.ballot_mails,
               len(DELEGATES) * sum(1 for s in self.subs if s["kind"] == "nomination")))
        say("")
        if self.violations:
            say("VIOLATIONS: %d" % len(self.violations))
            for v in self.violations[:200]:
                say("  - " + v)
            if len(self.violations) > 200:
                say("  ... and %d more" % (len(self.violations) - 200))
            say("pactd's log: %s" % self.log)
            say("RESULT: FAIL")
        else:
            say(self.RESULT_OK)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mails", type=int, default=120, help="submissions (default 120)")
    ap.add_argument("--kills", type=int, default=20, help="at least this many SIGKILLs (default 20)")
    ap.add_argument("--seed", type=int, default=None, help="random seed (default: from the clock)")
    ap.add_argument("--max-delay-ms", type=int, default=400, help="a kill comes 0..this ms after a start")
    ap.add_argument("--fault-share", type=float, default=0.25,
                    help="share of lives with PACTD_FAULT set (default 0.25)")
    ap.add_argument("--time-limit", type=int, default=3600, help="give up after this many seconds")
    ap.add_argument("--keep", action="store_true", help="keep the directories (kept anyway on failure)")
    args = ap.parse_args(argv)
    if args.seed is None:
        args.seed = int(time.time()) % 100000
    if args.mails < 20:
        ap.error("--mails must be at least 20")
    return drive(Torture, args, "torture")


def drive(cls, args, name):
    """Run one torture of class cls (Torture or a subclass) to the end:
    0 when nothing was violated, 1 when something was, 2 when the harness
    itself failed; the directories are kept unless all went well."""
    t = cls(args)
    t.pact = t.sb = None
    ok = False
    try:
        t.setup()
        counts, kinds = t.plan(args.mails)
        nvotes = kinds.count("vote")
        t.prepare(max(1, -(-nvotes // 9)) + 1)
        t.make(kinds)
        say("%s: seed %d; %s" % (name, args.seed, ", ".join("%s %d" % kv for kv in sorted(counts.items()))))
        t.run()
        t.check()
        t.report(counts)
        ok = not t.violations
    except (HarnessError, pactlib.sandbox_mod.SandboxError) as e:
        say("%s: harness error: %s" % (name, e))
        t.cleanup(keep=True)
        return 2
    except KeyboardInterrupt:
        say("%s: interrupted" % name)
        t.cleanup(keep=True)
        return 2
    t.cleanup(keep=args.keep or not ok)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

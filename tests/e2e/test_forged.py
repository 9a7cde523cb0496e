"""Forged senders, every kind (SPEC section 2, issue 12).

tests/data/forged/ holds real-world spoofing mails, each as the trusted MX
(mx.example.test) delivers it, with its expected outcome on its README line.
Each is filled in as every kind of submission -- vote, declaration,
nomination, initiative, annual status, comment, meeting, withdrawal and
calendar RSVP -- forging the person who may send that kind, and run
end-to-end with [security] sender_auth = dmarc. None of the forged ones may
count, publish, open a ballot or cause mail to anyone but a sender whose own
address passed DMARC: the test compares what users see before and after (the
pactctl --json lists, pact.json, the mailboxes of everyone on the roster and
the nominees, the outbox), finds each mail in the Quarantine folder and its
reason in `pactctl quarantine --json`. Then the genuine mails of the
catalogue go through and their effect must show, so that the comparison is
known to see effects at all.

Also: the real shapes of Authentication-Results in tests/data/auth_*.eml
pass for their own server's authserv-id only; --check-config warns on
sender_auth = from; pactctl quarantine says what and why.

Mail is put into the pact's INBOX with IMAP APPEND; pactd runs with --once;
every Pact's log is kept in $TMPDIR/pactd-forged-logs/<test>.log."""

import datetime
import email.header
import email.utils
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest
import uuid

from pactlib import (BUILD, DATA, PACT, clear_mailbox, cvr, folder_message_ids, load_eml,
                     make_mail, make_pact, parse, replies_to, sandbox)

FORGED = os.path.join(DATA, "forged")
LOGS = os.path.join(tempfile.gettempdir(), "pactd-forged-logs")
TRUSTED = "mx.example.test"
PROCESSED = "pactd/Processed"
REJECTED = "pactd/Rejected"
QUARANTINE = "pactd/Quarantine"

ANNE = "anne@di.example.test"
CARL = "carl@vfds.example.test"
SECRETARIAT = "sekretariat@erst.example.test"
EVE = "eve@evil.example.test"
KAREN = "karen@acme.example.test"
NAMES = {ANNE: "Anne Holm", CARL: "Carl Berg", SECRETARIAT: "Sekretariatet"}
DELEGATES = ["mette@em.example.test", ANNE, "bo@di.example.test", "jens@danskerhverv.example.test",
             "sofie@itb.example.test", "peter@industriensfond.example.test",
             "pia@smvdanmark.example.test", "lise@ida.example.test",
             "eva@finansdanmark.example.test", "mads@hk.example.test",
             "ole@forsikringogpension.example.test"]
EVERYONE = DELEGATES + [CARL, "dorte@vfds.example.test", SECRETARIAT, KAREN, EVE]
ORG = "Acme Sikkerhed ApS"
CVR = "10150817"


def catalogue():
    """[(file, expectation)] from the README: ("quarantine", reason part,
    whether the sender may be answered) or ("accepted",)."""
    out = []
    with open(os.path.join(FORGED, "README"), encoding="utf-8") as f:
        for line in f:
            m = re.match(r"(\S+\.eml): .* => (.*)$", line.rstrip("\n"))
            if not m:
                continue
            q = re.fullmatch(r'quarantine "(.*)", (no reply|reply to the sender only)', m.group(2))
            if q:
                out.append((m.group(1), ("quarantine", q.group(1), q.group(2) != "no reply")))
            else:
                assert m.group(2) == "accepted", line
                out.append((m.group(1), ("accepted",)))
    return out


def lookalike(domain):
    """The domain with a Cyrillic a (U+0430) for its first Latin a."""
    return domain.replace("a", "\u0430", 1)


def a_label(domain):
    return ".".join("xn--" + label.encode("punycode").decode() if not label.isascii() else label
                    for label in domain.split("."))


def q_encode(s):
    return "".join(c if c.isalnum() else "=%02X" % ord(c) for c in s)


def header_text(s):
    return email.header.Header(s, "utf-8").encode() if not s.isascii() else s


def with_pass(raw, sender):
    """raw as the trusted MX delivers genuine mail from sender."""
    d = sender.split("@")[1]
    return ("Authentication-Results: %s; dkim=pass header.d=%s header.s=s1; spf=pass "
            "smtp.mailfrom=%s; dmarc=pass (p=reject dis=none) header.from=%s\r\n"
            % (TRUSTED, d, d, d)).encode() + raw


class Forged(unittest.TestCase):
    """One Pact per kind, with sender_auth = dmarc."""

    def setUp(self):
        self.sb = sandbox()
        self.pact = make_pact({("security", "sender_auth"): "dmarc",
                               ("security", "trusted_authserv_id"): TRUSTED})
        for addr in EVERYONE:
            clear_mailbox(addr)
        self.today = datetime.date.today()
        self.run_pact()  # the database and the page exist from here on

    def tearDown(self):
        os.makedirs(LOGS, exist_ok=True)
        if os.path.exists(self.pact.logfile):
            shutil.copy(self.pact.logfile, os.path.join(LOGS, self.id().split(".")[-1] + ".log"))
        self.pact.cleanup()

    # ------------------------------------------------------------ running
    def run_pact(self, *raws):
        for raw in raws:
            self.sb.append(PACT, raw)
        rc, err = self.pact.once()
        self.assertEqual(rc, 0, err[-3000:])
        self.assertEqual(self.sb.count(PACT, "INBOX"), 0, "mail left in INBOX\n" + err[-3000:])
        return err

    def genuine(self, sender, subject, body, **kw):
        """A mail with the trusted MX's aligned pass, processed; returns its
        reference from the receipt."""
        raw, mid = make_mail(sender, subject, body, **kw)
        self.run_pact(with_pass(raw, sender))
        r = replies_to(sender, mid)
        self.assertEqual(len(r), 1, self.pact.logtext()[-3000:])
        m = re.search(r"\[(PAGT-\d{4}-\d{4})\]", str(r[0]["Subject"]))
        self.assertIsNotNone(m, str(r[0]["Subject"]))
        return m.group(1)

    def wait_for(self, addr, match, timeout=20):
        deadline = time.time() + timeout
        while True:
            for raw in self.sb.messages(addr):
                m = parse(raw)
                if match(m):
                    m.raw = raw
                    return m
            if time.time() >= deadline:
                self.fail("no such mail in %s's mailbox" % addr)
            time.sleep(0.2)

    def ballot_mail(self, addr, ref):
        return self.wait_for(addr, lambda m: (m["Message-ID"] or "").startswith("<v-")
                             and "[%s]" % ref in str(m["Subject"] or ""))

    def fill(self, name, victim, f):
        """The catalogue mail `name` forging `victim`, with the kind's
        fields f (subject, body, to, thread, content_type)."""
        local, domain = victim.split("@")
        mid = "%s@forger.example.test" % uuid.uuid4().hex
        values = {
            "VICTIM": victim, "VICTIM_NAME": NAMES[victim], "VICTIM_LOCAL": local,
            "VICTIM_DOMAIN": domain, "VICTIM_UPPER": victim.upper(),
            "LOOKALIKE_DOMAIN": lookalike(domain), "IDN_DOMAIN": a_label(lookalike(domain)),
            "VICTIM_QP": q_encode(victim), "DATE": email.utils.formatdate(), "MSGID": mid,
            "TO": f.get("to", PACT), "SUBJECT": header_text(f["subject"]),
            "THREAD": "".join("%s: %s\r\n" % h for h in f.get("thread", [])),
            "CONTENT_TYPE": f.get("content_type", "text/plain; charset=utf-8"),
            "BODY": f["body"].replace("\r\n", "\n").replace("\n", "\r\n"),
        }
        with open(os.path.join(FORGED, name), encoding="utf-8", newline="") as fp:
            text = fp.read()
        text = re.sub(r"\{([A-Z_]+)\}", lambda m: values[m.group(1)], text)
        return text.encode("utf-8"), mid

    # ------------------------------------------------------------ what users see
    def seen(self):
        """Everything a user can see of the pact's state, but the clock."""
        lists = {c: self.pact.ctl(c) for c in ("parties", "members", "ballots", "meetings",
                                              "declarations", "initiatives", "statuses")}
        with open(os.path.join(self.pact.dir, "public", "pact.json")) as f:
            page = json.load(f)
        page.pop("generated", None)
        events = [e["event"] for e in self.pact.ctl("log")
                  if e["event"] not in ("mail processed", "mail sent")]
        return {"lists": lists, "page": page, "events": events}

    def page_text(self):
        out = ""
        for name in ("index.html", "pact.json", "feed.atom"):
            with open(os.path.join(self.pact.dir, "public", name), encoding="utf-8") as f:
                out += f.read()
        return out

    def mailboxes(self):
        return {a: self.sb.count(a) for a in EVERYONE}

    # ------------------------------------------------------------ the run
    def run_kind(self, kind, victim, fields, accepted_effect, extra_allowed=()):
        """The whole catalogue as one kind: the forged mails first, which
        must change nothing, then the genuine ones, whose effect must show
        (accepted_effect(mids) asserts it)."""
        cat = catalogue()
        forged = [(n, e) for n, e in cat if e[0] == "quarantine"]
        genuine = [n for n, e in cat if e[0] == "accepted"]
        self.assertGreaterEqual(len(forged), 15)
        self.assertTrue(genuine)
        time.sleep(1.5)  # let the set-up's mail be delivered before counting
        before, boxes, nout = self.seen(), self.mailboxes(), len(self.pact.ctl("outbox"))
        mails = {}
        for name, exp in forged:
            raw, mid = self.fill(name, victim, fields("FORGED " + name))
            mails[mid] = (name, exp)
            self.sb.append(PACT, raw)
        self.run_pact()
        rows = {q["message_id"]: q for q in self.pact.ctl("quarantine")}
        folder = set(folder_message_ids(PACT, QUARANTINE))
        answerable = set()
        for mid, (name, exp) in mails.items():
            with self.subTest(kind=kind, mail=name):
                self.assertIn(mid, folder, self.pact.logtext()[-3000:])
                self.assertIn(mid, rows)
                self.assertIn(exp[1], rows[mid]["reason"] or "")
                if exp[2]:
                    self.assertEqual(rows[mid]["from"], EVE)
                    answerable.add(EVE)
                if name.startswith("07_"):  # the look-alike is not folded into the roster
                    self.assertEqual(rows[mid]["from"], victim.split("@")[0] + "@" +
                                     lookalike(victim.split("@")[1]))
                if name.startswith("08_"):
                    self.assertEqual(rows[mid]["from"], victim.split("@")[0] + "@" +
                                     a_label(lookalike(victim.split("@")[1])))
                if name.startswith("09_"):  # upper case is the roster address
                    self.assertEqual(rows[mid]["from"], victim)
        # the log line says why
        log = self.pact.logtext()
        for mid in mails:
            self.assertRegex(log, r"<%s> from .*: quarantine.*: " % re.escape(mid))
        # mail only to authenticated senders (and, for RSVPs, their forwards)
        new = self.pact.ctl("outbox")[nout:]
        for o in new:
            self.assertIn(o["to"].lower(), answerable | set(extra_allowed), o)
        self.assertEqual(len([o for o in new if o["to"].lower() == EVE]),
                         len([1 for n, e in forged if e[2]]))
        # nothing counted, published, opened or written
        self.assertEqual(self.seen(), before)
        self.assertNotIn("FORGED", self.page_text())
        time.sleep(2)  # anything sent has reached Dovecot by now
        after = self.mailboxes()
        for addr in EVERYONE:
            if addr != EVE and addr not in extra_allowed:
                self.assertEqual(after[addr], boxes[addr], "mail to %s" % addr)
        # the genuine ones go through, and what they do is seen
        gmids = []
        for name in genuine:
            raw, mid = self.fill(name, victim, fields("GENUINE " + name))
            gmids.append(mid)
            self.sb.append(PACT, raw)
        self.run_pact()
        rows = {q["message_id"] for q in self.pact.ctl("quarantine")}
        for name, mid in zip(genuine, gmids):
            with self.subTest(kind=kind, genuine=name):
                self.assertNotIn(mid, rows, self.pact.logtext()[-3000:])
                self.assertIn(mid, set(folder_message_ids(PACT, PROCESSED)) |
                              set(folder_message_ids(PACT, REJECTED)))
                self.assertEqual(len(replies_to(victim, mid)), 1)
        accepted_effect(gmids)
        self.assertNotEqual(self.seen(), before)

    # ------------------------------------------------------------ the kinds
    def nomination_body(self, org, number=CVR, contact=KAREN):
        dialogue = (self.today - datetime.timedelta(days=10)).isoformat()
        return ("Hej sekretariat,\n\nOrganisation: %s\nType: virksomhed\nCVR: %s\n"
                "Kontakt: Karen Madsen <%s>\nDialog: %s\nPrincipper: ja\nInitiativer:\n"
                "- Gratis sikkerhedstjek for 100 SMV'er\nSammenhæng: Formål 1 og 3.\n\n"
                "Venlig hilsen\nAnne\n" % (org, number, contact, dialogue))

    def test_vote(self):
        ref = self.genuine(ANNE, "INDSTILLING", self.nomination_body(ORG))
        ballot = self.ballot_mail(ANNE, ref)
        mid = ballot["Message-ID"]

        def fields(marker):
            return {"subject": "SV: " + str(ballot["Subject"]), "to": str(ballot["Reply-To"]),
                    "thread": [("In-Reply-To", mid), ("References", mid)],
                    "body": ("Ja" if marker.startswith("GENUINE") else "Nej") + "\n\n" + marker + "\n"}

        def effect(gmids):
            b = self.pact.ctl("ballot", ref)
            self.assertEqual([(v["party"], v["vote"]) for v in b["votes"]], [("DI", "yes")])
            counted = {e["message_id"] for e in self.pact.ctl("log") if e["event"] == "vote counted"}
            self.assertEqual(counted, set(gmids))
        self.run_kind("vote", ANNE, fields, effect)

    def test_declaration(self):
        def fields(marker):
            return {"subject": "DECLARATION",
                    "body": "Motivation: %s\nObjectives:\n- Sikkerhedstjek for alle\n" % marker}

        def effect(gmids):
            di = [p for p in self.pact.ctl("parties") if p["id"] == "DI"][0]
            self.assertEqual(di["declaration_version"], 2)
            self.assertIn("GENUINE 23_", self.page_text())
        self.run_kind("declaration", ANNE, fields, effect)

    def test_nomination(self):
        def fields(marker):
            # a CVR number of its own: two nominations of one company would be one too many
            seed = int(marker.split()[1][:2])
            return {"subject": "NOMINATION", "body": self.nomination_body(marker + " ApS", cvr(seed))}

        def effect(gmids):
            orgs = sorted(b["organisation"] for b in self.pact.ctl("ballots"))
            self.assertEqual(len(orgs), 2, orgs)
            self.assertTrue(all(o.startswith("GENUINE") for o in orgs), orgs)
            self.ballot_mail("mette@em.example.test", self.pact.ctl("ballots")[0]["ref"])
        self.run_kind("nomination", ANNE, fields, effect)

    def test_initiative(self):
        def fields(marker):
            return {"subject": "INITIATIVE",
                    "body": "Title: %s\nDescription: Kurser i phishing\nPurpose: 1\n" % marker}

        def effect(gmids):
            titles = [i["title"] for i in self.pact.ctl("initiatives")]
            self.assertEqual(sorted(titles), sorted("GENUINE " + n for n, e in catalogue()
                                                   if e[0] == "accepted"))
        self.run_kind("initiative", ANNE, fields, effect)

    def test_annual_status(self):
        years = iter((2025, 2026))

        def fields(marker):
            year = next(years) if marker.startswith("GENUINE") else 2026
            return {"subject": "ANNUAL STATUS", "body": "Year: %d\nStatus: %s\n" % (year, marker)}

        def effect(gmids):
            self.assertEqual(sorted(s["year"] for s in self.pact.ctl("statuses")), [2025, 2026])
        self.run_kind("status", SECRETARIAT, fields, effect)

    def test_comment(self):
        self.genuine(SECRETARIAT, "ANNUAL STATUS", "Year: 2026\nStatus: Pagten har holdt to møder.\n")

        def fields(marker):
            return {"subject": "COMMENT", "body": "Godt arbejde. %s\n\nMvh Carl\n" % marker}

        def effect(gmids):
            comments = [c["text"] for s in self.pact.ctl("statuses") for c in s.get("comments", [])]
            self.assertEqual(len(comments), 2, comments)
            self.assertTrue(all("GENUINE" in c for c in comments), comments)
        self.run_kind("comment", CARL, fields, effect)

    def test_meeting(self):
        start = (self.today + datetime.timedelta(days=40)).isoformat()

        def fields(marker):
            return {"subject": "MEETING",
                    "body": "Title: %s\nStart: %s 10:00\nLocation: Langelinie Allé 17\n" % (marker, start)}

        def effect(gmids):
            titles = sorted(m["title"] for m in self.pact.ctl("meetings"))
            self.assertEqual(len(titles), 2, titles)
            self.assertTrue(all(t.startswith("GENUINE") for t in titles), titles)
            self.wait_for(ANNE, lambda m: (m["Message-ID"] or "").startswith("<m-"))
        self.run_kind("meeting", SECRETARIAT, fields, effect)

    def admit(self):
        """An active associate: Anne nominates, six parties vote yes."""
        ref = self.genuine(ANNE, "INDSTILLING", self.nomination_body(ORG))
        voters = ["mette@em.example.test", ANNE, "jens@danskerhverv.example.test",
                  "sofie@itb.example.test", "peter@industriensfond.example.test",
                  "pia@smvdanmark.example.test"]
        raws = []
        for addr in voters:
            b = self.ballot_mail(addr, ref)
            raw, _ = make_mail(addr, "SV: " + str(b["Subject"]), "Ja\n", to=str(b["Reply-To"]),
                               headers={"In-Reply-To": b["Message-ID"]})
            raws.append(with_pass(raw, addr))
        self.run_pact(*raws)
        self.assertEqual(self.pact.ctl("ballot", ref)["state"], "approved", self.pact.logtext()[-3000:])
        return ref

    def members_state(self):
        return [m["state"] for m in self.pact.ctl("members") if m["name"] == ORG]

    def test_withdrawal(self):
        self.admit()
        self.assertEqual(self.members_state(), ["active"])

        def fields(marker):
            return {"subject": "WITHDRAWAL", "body": "Organisation: %s\n\n%s\n" % (ORG, marker)}

        def effect(gmids):
            self.assertNotEqual(self.members_state(), ["active"])
            self.assertNotIn(ORG, [a["name"] for a in json.load(
                open(os.path.join(self.pact.dir, "public", "pact.json")))["associates"]])
        self.run_kind("withdrawal", SECRETARIAT, fields, effect)

    def test_rsvp(self):
        start = (self.today + datetime.timedelta(days=40)).isoformat()
        ref = self.genuine(SECRETARIAT, "MEETING", "Title: Halvårsmøde\nStart: %s 10:00\n"
                           "Location: Langelinie Allé 17\n" % start)
        inv = self.wait_for(ANNE, lambda m: (m["Message-ID"] or "").startswith("<m-"))
        uid = re.search(rb"(?m)^UID:(\S+)", inv.raw.replace(b"\r\n ", b"")).group(1).decode()
        boundary = "b" + uuid.uuid4().hex

        def fields(marker):
            stamp = datetime.datetime.utcnow().strftime("%Y%m%dT%H%M%SZ")
            ics = ("BEGIN:VCALENDAR\r\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\r\n"
                   "VERSION:2.0\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\nDTSTAMP:%s\r\n"
                   "ORGANIZER:mailto:%s\r\nUID:%s\r\n"
                   "ATTENDEE;PARTSTAT=ACCEPTED;CN=Anne Holm:mailto:%s\r\nSEQUENCE:0\r\n"
                   "COMMENT:%s\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n" % (stamp, PACT, uid, ANNE, marker))
            body = ("--%s\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n"
                    "Anne Holm has accepted this invitation.\r\n"
                    "--%s\r\nContent-Type: text/calendar; charset=UTF-8; method=REPLY\r\n\r\n%s"
                    "--%s--\r\n" % (boundary, boundary, ics, boundary))
            return {"subject": "Accepted: Halvårsmøde", "body": body,
                    "content_type": 'multipart/mixed; boundary="%s"' % boundary}

        def partstat():
            return {a["address"].lower(): a["partstat"] for a in self.pact.ctl("meeting", ref)["attendees"]}[ANNE]

        def effect(gmids):
            self.assertEqual(partstat(), "ACCEPTED")
        self.assertEqual(partstat(), "NEEDS-ACTION")
        # an authenticated stranger's calendar answer is the secretariat's to judge
        self.run_kind("rsvp", ANNE, fields, effect, extra_allowed=(SECRETARIAT,))


class RealShapes(unittest.TestCase):
    """tests/data/auth_*.eml, the Authentication-Results of Microsoft 365,
    Gmail, OpenDMARC and rspamd, pass with their own server's id (empty for
    Microsoft 365, which writes none) and with no other."""

    SHAPES = [("auth_m365.eml", ""), ("auth_gmail.eml", "mx.google.com"),
              ("auth_opendmarc.eml", TRUSTED), ("auth_rspamd.eml", TRUSTED)]

    def setUp(self):
        self.sb = sandbox()
        clear_mailbox(ANNE)

    def run_shape(self, name, authserv_id):
        pact = make_pact({("security", "sender_auth"): "dmarc",
                          ("security", "trusted_authserv_id"): authserv_id})
        try:
            raw, mid = load_eml(name)
            self.sb.append(PACT, raw)
            rc, err = pact.once()
            self.assertEqual(rc, 0, err)
            return mid, {q["message_id"]: q["reason"] for q in pact.ctl("quarantine")}, err
        finally:
            pact.cleanup()

    def test_each_passes_for_its_own_server(self):
        for name, authserv_id in self.SHAPES:
            with self.subTest(mail=name):
                mid, quarantined, err = self.run_shape(name, authserv_id)
                self.assertEqual(quarantined, {}, err[-2000:])
                self.assertIn(mid, folder_message_ids(PACT, PROCESSED))
                r = replies_to(ANNE, mid)
                self.assertEqual(len(r), 1)

    def test_and_for_no_other(self):
        for name, authserv_id in self.SHAPES:
            other = "mx.example.test" if authserv_id != TRUSTED else "mx.google.com"
            with self.subTest(mail=name):
                mid, quarantined, err = self.run_shape(name, other)
                self.assertIn("no Authentication-Results of %s" % other, quarantined.get(mid, ""))
                self.assertEqual(replies_to(ANNE, mid, timeout=1), [])


class Operator(unittest.TestCase):
    """What the operator is told: --check-config's warning, pactctl quarantine."""

    def setUp(self):
        self.sb = sandbox()
        self.pacts = []

    def tearDown(self):
        for p in self.pacts:
            p.cleanup()

    def check_config(self, overrides):
        pact = make_pact(overrides)
        self.pacts.append(pact)
        return subprocess.run([os.path.join(BUILD, "pactd"), "-c", pact.conf, "--check-config"],
                              capture_output=True, text=True, timeout=60)

    def test_check_config_warns_on_from(self):
        p = self.check_config({})  # the built-in default is from
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stderr, r"sender_auth = from: .*set sender_auth = dmarc")
        self.assertIn(": ok (", p.stdout)
        p = self.check_config({("security", "sender_auth"): "from"})
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("sender_auth = from", p.stderr)
        p = self.check_config({("security", "sender_auth"): "dmarc"})
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotIn("sender_auth", p.stderr)

    def test_quarantine_lists_what_and_why(self):
        pact = make_pact({("security", "sender_auth"): "dmarc",
                          ("security", "trusted_authserv_id"): TRUSTED})
        self.pacts.append(pact)
        clear_mailbox(ANNE)
        stranger, m1 = make_mail("Mallory <mallory@attacker.example.test>", "HELP", "Hej\n")
        trick, m2 = make_mail("anne@di.example.test (x) eve@evil.example.test", "HELP", "Hej\n")
        nopass, m3 = make_mail("Anne Holm <anne@di.example.test>", "HELP", "Hej\n")
        genuine, m4 = make_mail("Anne Holm <anne@di.example.test>", "HELP", "Hej\n")
        for raw in (stranger, trick, nopass, with_pass(genuine, ANNE)):
            self.sb.append(PACT, raw)
        rc, err = pact.once()
        self.assertEqual(rc, 0, err)
        rows = pact.ctl("quarantine")
        self.assertEqual([r["message_id"] for r in rows], [m1, m2, m3])
        self.assertEqual([r["from"] for r in rows],
                         ["mallory@attacker.example.test", None, ANNE])
        self.assertTrue(rows[0]["reason"].startswith("sender not on the roster; no reply, no DMARC pass: "
                                                     "no Authentication-Results of mx.example.test"),
                        rows[0])
        self.assertEqual(rows[1]["reason"], "From is not one mailbox: text after the address")
        self.assertEqual(rows[2]["reason"], "sender_auth = dmarc: no DMARC pass: "
                         "no Authentication-Results of mx.example.test")
        self.assertTrue(all(r["subject"] == "HELP" and r["at"] for r in rows), rows)
        text = pact.ctl("quarantine", json_out=False).stdout
        for r in rows:
            self.assertIn(r["reason"], text)
        self.assertIn("mallory@attacker.example.test", text)
        # the log line of each says why, and only the genuine one is answered
        self.assertRegex(err, r"<%s> from \?: quarantine: From is not one mailbox: text after "
                         r"the address" % re.escape(m2))
        self.assertRegex(err, r"<%s> from anne@di\.example\.test: quarantine: sender_auth = dmarc"
                         % re.escape(m3))
        self.assertEqual(len(replies_to(ANNE, m4)), 1)
        self.assertEqual([o["to"] for o in pact.ctl("outbox")], [ANNE])


if __name__ == "__main__":
    unittest.main()

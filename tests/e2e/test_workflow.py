"""The pact's workflow end to end (SPEC sections 2-4, 6, 9; issue 3):
nominations, ballots answered the way real clients reply, associate
members, declarations, initiatives, the annual status and the advisory
board's comments, withdrawal. Everything goes through the sandbox's real
Dovecot and OpenSMTPD; the clock is moved with PACTD_NOW; the assertions are
on what users see: mail in their mailboxes, the pact's IMAP folders and
pactctl --json."""

import datetime
import email.message
import email.policy
import email.utils
import os
import re
import shutil
import tempfile
import time
import unittest

import clients
from pactlib import (PACT, clear_mailbox, folder_message_ids, make_mail, make_pact,
                     parse, replies_to, sandbox, text_of)

try:
    from zoneinfo import ZoneInfo
    ZONE = ZoneInfo("Europe/Copenhagen")
except Exception:  # pragma: no cover
    ZONE = None

PROCESSED = "pactd/Processed"
REJECTED = "pactd/Rejected"
IGNORED = "pactd/Ignored"
LOGS = os.path.join(tempfile.gettempdir(), "pactd-workflow-logs")

# the roster of config/roster.conf
PARTIES = {
    "EM": ["mette@em.example.test"],
    "DI": ["anne@di.example.test", "bo@di.example.test"],
    "DE": ["jens@danskerhverv.example.test"],
    "ITB": ["sofie@itb.example.test"],
    "IF": ["peter@industriensfond.example.test"],
    "SMVDK": ["pia@smvdanmark.example.test"],
    "IDA": ["lise@ida.example.test"],
    "FD": ["eva@finansdanmark.example.test"],
    "HK": ["mads@hk.example.test"],
    "FP": ["ole@forsikringogpension.example.test"],
}
NAMES = {
    "mette@em.example.test": "Mette Lund",
    "anne@di.example.test": "Anne Holm",
    "bo@di.example.test": None,
    "jens@danskerhverv.example.test": "Jens Kjær",
    "sofie@itb.example.test": "Sofie Dahl",
    "peter@industriensfond.example.test": "Peter Friis",
    "pia@smvdanmark.example.test": "Pia Skov",
    "lise@ida.example.test": "Lise Berg",
    "eva@finansdanmark.example.test": "Eva Nørgaard",
    "mads@hk.example.test": "Mads Holt",
    "ole@forsikringogpension.example.test": "Ole Bach",
}
DELEGATES = [a for addrs in PARTIES.values() for a in addrs]
PARTY_OF = {a: p for p, addrs in PARTIES.items() for a in addrs}
ENGLISH = {"lise@ida.example.test"}
SHORT = {a.split("@")[0]: a for a in DELEGATES}
ADVISORY = ["carl@vfds.example.test", "dorte@vfds.example.test"]
SECRETARIAT = "sekretariat@erst.example.test"
# nominees' contacts (each has a sandbox mailbox)
KAREN = "karen@acme.example.test"
NINA = "nina@aeroedata.example.test"
OTHERS = ["olga@lapsed.example.test", "tim@tie.example.test", "abe@absolute.example.test",
          "rita@reminder.example.test", "vera@votes.example.test", "nils@nominee.example.test"]

TOKEN = r"[a-z2-7]{20,}"  # >= 96 bits of lower-case base32


def cvr_check(cvr):
    d = [int(c) for c in cvr.replace(" ", "")]
    return len(d) == 8 and sum(w * x for w, x in zip((2, 7, 6, 5, 4, 3, 2, 1), d)) % 11 == 0


def make_cvr(seed):
    """A valid CVR number from a seed: seven digits and the digit that makes
    the weighted sum (2,7,6,5,4,3,2,1) divisible by 11."""
    n = 1000000 + (seed * 7919) % 9000000
    while True:
        digits = [int(c) for c in str(n)]
        s = sum(w * x for w, x in zip((2, 7, 6, 5, 4, 3, 2), digits))
        check = (-s) % 11
        if check < 10:
            cvr = "%d%d" % (n, check)
            assert cvr_check(cvr)
            return cvr
        n += 1


CVR = "10150817"
assert cvr_check(CVR)
assert not cvr_check("12345678")


def base_time():
    """The first step of every scenario: 1 Dec 2026 09:00 UTC, or tomorrow
    when the real date is later (the clock is only ever moved forward)."""
    base = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.timezone.utc)
    tomorrow = datetime.datetime.now(datetime.timezone.utc).replace(
        hour=9, minute=0, second=0, microsecond=0) + datetime.timedelta(days=1)
    return max(base, tomorrow)


def iso(t):
    return t.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def from_iso(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)


def end_of_local_day(t, days):
    """The end of the local day `days` after t (the ballot deadline rule)."""
    local = t.astimezone(ZONE)
    day = local.date() + datetime.timedelta(days=days + 1)
    midnight = datetime.datetime(day.year, day.month, day.day, tzinfo=ZONE)
    return (midnight - datetime.timedelta(seconds=1)).astimezone(datetime.timezone.utc)


def who(addr):
    name = NAMES.get(addr)
    return "%s <%s>" % (name, addr) if name else addr


def nomination_body(org, cvr, contact, dialogue, principles="ja", typ="virksomhed",
                    drop=(), english=False):
    if english:
        fields = [("Organisation", org), ("Type", "company" if typ == "virksomhed" else typ),
                  ("CVR", cvr), ("Contact", contact), ("Dialogue", dialogue),
                  ("Principles", "yes" if principles == "ja" else principles),
                  ("Initiatives", "\n- Free security check for 100 SMEs\n- Phishing webinars"),
                  ("Fit", "The initiatives serve purposes 1 and 3 of the pact.")]
        head, tail = "Dear secretariat,\n\n", "\nKind regards\n"
    else:
        fields = [("Organisation", org), ("Type", typ), ("CVR", cvr), ("Kontakt", contact),
                  ("Dialog", dialogue), ("Principper", principles),
                  ("Initiativer", "\n- Gratis sikkerhedstjek for 100 SMV'er\n* Webinarer om phishing"),
                  ("Sammenhæng", "Initiativerne styrker SMV'ernes sikkerhed og skaber nye\n"
                                 "  samarbejder på tværs af sektorer (formål 1 og 3).")]
        head, tail = "Hej sekretariat,\n\nVi indstiller hermed efter vores dialog:\n\n", "\nVenlig hilsen\n"
    lines = []
    for k, v in fields:
        if k in drop:
            continue
        lines.append("%s:%s%s" % (k, "" if v.startswith("\n") else " ", v))
    return head + "\n".join(lines) + "\n" + tail


class Workflow(unittest.TestCase):
    """A Pact of its own per test, its clock started at base_time() and only
    moved forward; every mailbox the scenario looks at emptied first."""

    overrides = {}

    def setUp(self):
        self.sb = sandbox()
        self.pact = make_pact(self.overrides)
        for addr in DELEGATES + ADVISORY + [SECRETARIAT, KAREN, NINA] + OTHERS:
            clear_mailbox(addr)
        self.t = base_time()

    def tearDown(self):
        """The Pact's pactd.log is kept in LOGS/<test>.log; with
        WORKFLOW_DUMP=1 every mailbox the test looked at goes beside it."""
        name = self.id().split(".")[-1]
        os.makedirs(LOGS, exist_ok=True)
        if os.path.exists(self.pact.logfile):
            shutil.copy(self.pact.logfile, os.path.join(LOGS, name + ".log"))
        if os.environ.get("WORKFLOW_DUMP"):
            with open(os.path.join(LOGS, name + ".mail"), "w") as f:
                for addr in DELEGATES + ADVISORY + [SECRETARIAT, KAREN, NINA] + OTHERS:
                    for m in self.mails(addr):
                        f.write("=" * 70 + "\n%s\nSubject: %s\nFrom: %s\nTo: %s\nReply-To: %s\nMessage-ID: %s\n"
                                "In-Reply-To: %s\nAuto-Submitted: %s\n\n%s\n"
                                % (addr, m["Subject"], m["From"], m["To"], m["Reply-To"], m["Message-ID"],
                                   m["In-Reply-To"], m["Auto-Submitted"], text_of(m)))
        self.pact.cleanup()

    # ------------------------------------------------------------ the clock
    def step(self, at=None, minutes=2):
        """One `pactd --once` at `at`, or `minutes` after the last step."""
        self.t = at if at is not None else self.t + datetime.timedelta(minutes=minutes)
        rc, err = self.pact.once(now=iso(self.t))
        self.assertEqual(rc, 0, err)
        return err

    # ------------------------------------------------------------ mail
    def submit(self, *mails):
        """Deliver (raw, envelope sender) pairs to the pact's mailbox, one
        after the other, then run one pass."""
        for i, (raw, sender) in enumerate(mails):
            rcpts = rcpt_of(raw)
            self.sb.send(raw, sender, rcpts)
            self.sb.wait_messages(PACT, i + 1)
        return self.step()

    def mails(self, addr):
        return [parse(r) for r in self.sb.messages(addr)]

    def raw_mails(self, addr):
        return self.sb.messages(addr)

    def wait_mail(self, addr, pred, want=1, timeout=15):
        """The messages in addr's INBOX for which pred holds, waiting until
        there are `want` of them (or the timeout)."""
        deadline = time.time() + timeout
        while True:
            found = [m for m in self.mails(addr) if pred(m)]
            if len(found) >= want or time.time() >= deadline:
                return found
            time.sleep(0.1)

    def settle(self):
        """Let mail already handed to SMTP arrive before asserting absence."""
        time.sleep(1.0)

    def reply_to(self, addr, msgid):
        r = replies_to(addr, msgid)
        self.assertEqual(len(r), 1, "%s: %d replies to <%s>\n%s" % (addr, len(r), msgid, self.pact.logtext()[-3000:]))
        return r[0], text_of(r[0])

    # ------------------------------------------------------------ submissions
    def nominate(self, sender, org, contact, cvr=CVR, dialogue=None, subject="INDSTILLING", **kw):
        dialogue = dialogue or (self.t - datetime.timedelta(days=10)).strftime("%Y-%m-%d")
        body = nomination_body(org, cvr, contact, dialogue, english=subject == "NOMINATION", **kw)
        raw, mid = make_mail(who(sender), subject, body)
        self.submit((raw, sender))
        return mid

    def open_ballot(self, sender, org, contact, cvr=CVR):
        mid = self.nominate(sender, org, contact, cvr=cvr)
        r, text = self.reply_to(sender, mid)
        m = re.search(r"\[(PAGT-\d{4}-\d{4})\]", r["Subject"])
        self.assertIsNotNone(m, "receipt subject %r\n%s" % (r["Subject"], text))
        ref = m.group(1)
        self.assertEqual(r["Subject"], "Re: Indstilling [%s]" % ref)
        return ref

    def ballot_raw(self, addr, ref):
        """The ballot mail for ref in addr's mailbox, raw."""
        deadline = time.time() + 15
        while True:
            for raw in self.raw_mails(addr):
                m = parse(raw)
                if (m["Message-ID"] or "").startswith("<v-") and ref in (m["Message-ID"] or "") \
                        and "[%s]" % ref in (m["Subject"] or ""):
                    return raw
            if time.time() >= deadline:
                self.fail("no ballot mail for %s in %s's mailbox" % (ref, addr))
            time.sleep(0.1)

    def vote(self, client, addr, ref, text, to=None, thread=True, original=None):
        """addr answers the ballot mail in their mailbox the way `client`
        does; returns (receipt or None, receipt text, Message-ID)."""
        original = original or self.ballot_raw(addr, ref)
        raw, mid = clients.reply(client, original, who(addr), text, to=to, thread=thread)
        self.submit((raw, addr))
        return mid

    def vote_ok(self, client, addr, ref, text, **kw):
        mid = self.vote(client, addr, ref, text, **kw)
        r, body = self.reply_to(addr, mid)
        self.assertIn(mid, folder_message_ids(PACT, PROCESSED), body)
        return r, body, mid

    def ballot(self, ref):
        return self.pact.ctl("ballot", ref)

    def tally(self, ref):
        b = self.ballot(ref)
        return (b["state"], b["yes"], b["no"], b["abstain"], b["not_voted"])

    def results(self, ref, approved=None, rejected=None, lapsed=None):
        """Every delegate's result mail for ref (one each), checked."""
        out = {}
        for addr in DELEGATES:
            en = addr in ENGLISH
            got = self.wait_mail(addr, lambda m: (m["Subject"] or "").startswith(
                "[%s] %s: " % (ref, "Result" if en else "Resultat")))
            self.assertEqual(len(got), 1, "%s: result mails for %s: %d" % (addr, ref, len(got)))
            out[addr] = got[0]
        return out


def rcpt_of(raw):
    """The envelope recipients of a mail as its client would give them: its
    To and Cc addresses."""
    m = parse(raw)
    addrs = [a for _, a in email.utils.getaddresses([str(m.get("To") or ""), str(m.get("Cc") or "")]) if a]
    return addrs or [PACT]


# ====================================================================== ballots
class Admission(Workflow):
    def test_whole_admission(self):
        # a nomination from DI
        mid = self.nominate("anne@di.example.test", "Acme Sikkerhed ApS", "Karen Madsen <%s>" % KAREN)
        self.assertIn(mid, folder_message_ids(PACT, PROCESSED))
        r, text = self.reply_to("anne@di.example.test", mid)
        ref = re.search(r"\[(PAGT-\d{4}-\d{4})\]", r["Subject"]).group(1)
        self.assertEqual(ref[5:9], str(self.t.year))
        self.assertEqual(r["Subject"], "Re: Indstilling [%s]" % ref)
        for s in (ref, "Acme Sikkerhed ApS", CVR, KAREN, "Gratis sikkerhedstjek for 100 SMV'er",
                  "Webinarer om phishing"):
            self.assertIn(s, text)
        b = self.ballot(ref)
        self.assertEqual((b["ref"], b["organisation"], b["state"]), (ref, "Acme Sikkerhed ApS", "open"))
        self.assertEqual((b["yes"], b["no"], b["abstain"], b["not_voted"], b["votes"]), (0, 0, 0, 10, []))
        self.assertEqual(from_iso(b["deadline"]), end_of_local_day(self.t, 14))

        # the ballot mail in every delegate's mailbox, one each
        tokens = {}
        for addr in DELEGATES:
            with self.subTest(ballot_mail=addr):
                raw = self.ballot_raw(addr, ref)
                self.assertEqual(len([m for m in self.mails(addr) if (m["Message-ID"] or "").startswith("<v-")]), 1)
                m = parse(raw)
                org = "Acme Sikkerhed ApS"
                self.assertEqual(m["Subject"], "[%s] Ballot: admission of %s" % (ref, org) if addr in ENGLISH
                                 else "[%s] Afstemning: optagelse af %s" % (ref, org))
                rt = re.fullmatch(r"pagt\+v-(%s)@example\.test" % TOKEN, str(m["Reply-To"]).strip())
                self.assertIsNotNone(rt, m["Reply-To"])
                tok = rt.group(1)
                self.assertRegex(m["Message-ID"], r"^<v-%s\.%s\.\d+@example\.test>$" % (tok, ref))
                self.assertIn("Ref: %s/v-%s" % (ref, tok), text_of(m).splitlines())
                self.assertEqual(m["Auto-Submitted"], "auto-generated")
                self.assertIn(addr, str(m["To"]))
                tokens.setdefault(PARTY_OF[addr], set()).add((tok, m["Message-ID"]))
        # one token per party; DI's two delegates get mails told apart by the last number
        self.assertEqual(len({t for s in tokens.values() for t, _ in s}), 10)
        di = sorted(tokens["DI"], key=lambda t: t[1])
        self.assertEqual(len({t for t, _ in di}), 1)
        self.assertEqual({re.search(r"\.(\d+)@", i).group(1) for _, i in di}, {"1", "2"})
        self.assertEqual(self.sb.count(KAREN), 0, "the nominee is written to only on approval")

        # DI votes no (Gmail, to Reply-To)
        r, body, vmid = self.vote_ok("gmail", "anne@di.example.test", ref, "Nej")
        self.assertEqual(r["Subject"], "Re: Re: [%s] Afstemning: optagelse af Acme Sikkerhed ApS" % ref)
        self.assertIn("nej", body.lower())
        self.assertIn(ref, body)
        # the receipt is threaded under the vote, which is threaded under the ballot mail
        refs = (r["References"] or "").split()
        self.assertEqual(refs[-1], "<%s>" % vmid)
        self.assertIn(parse(self.ballot_raw("anne@di.example.test", ref))["Message-ID"], refs)
        self.assertEqual(r["Auto-Submitted"], "auto-replied")
        self.assertTrue(r["Message-ID"].strip().endswith("@example.test>"))
        self.assertIsNotNone(r["Date"])
        self.assertEqual((r.get_content_type(), r.get_content_charset()), ("text/plain", "utf-8"))
        self.assertEqual(self.tally(ref), ("open", 0, 1, 0, 9))
        # EM: Outlook to Reply-To (the token is in To, In-Reply-To, References and the
        # quoted text: it counts once)
        r, body, _ = self.vote_ok("outlook", "mette@em.example.test", ref, "Ja")
        self.assertEqual(r["Subject"], "Re: SV: [%s] Afstemning: optagelse af Acme Sikkerhed ApS" % ref)
        self.assertEqual(self.tally(ref), ("open", 1, 1, 0, 8))
        # DE: Apple Mail answers From: (pagt@example.test), matched by In-Reply-To/References
        self.vote_ok("apple", "jens@danskerhverv.example.test", ref, "Ja.")
        self.assertEqual(self.tally(ref), ("open", 2, 1, 0, 7))
        # ITB: Outlook to From: with no threading headers: only the quoted Ref line names the ballot
        self.vote_ok("outlook", "sofie@itb.example.test", ref, "JA – vi støtter optagelsen", to="from", thread=False)
        self.assertEqual(self.tally(ref), ("open", 3, 1, 0, 6))
        # IF: Gmail "+1"
        self.vote_ok("gmail", "peter@industriensfond.example.test", ref, "+1")
        self.assertEqual(self.tally(ref), ("open", 4, 1, 0, 5))
        # IDA: Thunderbird, bottom-posted, in English; the receipt is in English
        r, body, _ = self.vote_ok("thunderbird", "lise@ida.example.test", ref, "Yes! IDA supports the admission.")
        self.assertEqual(r["Subject"], "Re: Re: [%s] Ballot: admission of Acme Sikkerhed ApS" % ref)
        self.assertIn("yes", body.lower())
        self.assertEqual(self.tally(ref), ("open", 5, 1, 0, 4))
        # DI's second delegate changes DI's vote (Apple Mail, to From:): six yes of ten
        # parties and the outcome can no longer change, so the ballot closes
        r, body, _ = self.vote_ok("apple", "bo@di.example.test", ref, "Ja")
        self.assertIn("erstatter", body)
        self.assertIn("godkendt", body)
        b = self.ballot(ref)
        self.assertEqual((b["state"], b["yes"], b["no"], b["abstain"], b["not_voted"]), ("approved", 6, 0, 0, 4))
        self.assertEqual(sorted((v["party"], v["vote"]) for v in b["votes"]),
                         [("DE", "yes"), ("DI", "yes"), ("EM", "yes"), ("IDA", "yes"), ("IF", "yes"), ("ITB", "yes")])
        self.assertIsNotNone(b.get("closed"))

        # the welcome mail, and only that, in the contact's mailbox
        welcome = self.wait_mail(KAREN, lambda m: True)
        self.assertEqual(len(welcome), 1)
        self.assertEqual(welcome[0]["Subject"], "Velkommen i Cybersikkerhedspagten [%s]" % ref)
        self.assertIn("Acme Sikkerhed ApS", text_of(welcome[0]))
        # the result, with the tally, to every founding party's delegates
        res = self.results(ref)
        for addr, m in res.items():
            if addr in ENGLISH:
                self.assertEqual(m["Subject"], "[%s] Result: Acme Sikkerhed ApS is admitted" % ref)
                self.assertIn("Yes: 6", text_of(m))
            else:
                self.assertEqual(m["Subject"], "[%s] Resultat: Acme Sikkerhed ApS er optaget" % ref)
                self.assertIn("Ja: 6", text_of(m))
        # an active associate member
        members = self.pact.ctl("members")
        self.assertEqual(len(members), 1)
        self.assertEqual((members[0]["ref"], members[0]["state"], members[0]["cvr"], members[0]["contact"]),
                         (ref, "active", CVR, KAREN))
        self.assertEqual(self.sb.count(PACT, "INBOX"), 0)

    def test_rejection(self):
        org = "Ærø Data ApS"
        ref = self.open_ballot("jens@danskerhverv.example.test", org, "Nina Holm <%s>" % NINA)
        self.vote_ok("outlook", "jens@danskerhverv.example.test", ref, "Ja")
        votes = [("outlook", "mette@em.example.test", "Nej tak"),
                 ("gmail", "anne@di.example.test", "NEJ –"),
                 ("apple", "sofie@itb.example.test", "-1"),
                 ("thunderbird", "lise@ida.example.test", "No."),
                 ("gmail", "peter@industriensfond.example.test", "nej")]
        for i, (client, addr, word) in enumerate(votes):
            self.vote_ok(client, addr, ref, word)
            if i < len(votes) - 1:
                self.assertEqual(self.tally(ref)[0], "open")
        # five no of ten: the outcome can no longer change
        self.assertEqual(self.tally(ref), ("rejected", 1, 5, 0, 4))
        res = self.results(ref)
        self.assertEqual(res["pia@smvdanmark.example.test"]["Subject"], "[%s] Resultat: %s er ikke optaget" % (ref, org))
        self.assertEqual(res["lise@ida.example.test"]["Subject"], "[%s] Result: %s is not admitted" % (ref, org))
        self.settle()
        self.assertEqual(self.sb.count(NINA), 0, "the nominee is never written to on rejection")
        self.assertEqual(self.pact.ctl("members"), [])
        # a closed ballot gets no reminder, no second result, whatever the clock does
        deadline = from_iso(self.ballot(ref)["deadline"])
        self.step(at=deadline - datetime.timedelta(days=2))
        self.step(at=deadline + datetime.timedelta(hours=1))
        self.settle()
        self.assertEqual(self.tally(ref), ("rejected", 1, 5, 0, 4))
        for addr in DELEGATES:
            subjects = [m["Subject"] or "" for m in self.mails(addr) if "[%s]" % ref in (m["Subject"] or "")]
            self.assertEqual([x for x in subjects if re.search(r"\] (Påmindelse|Reminder)", x)], [], addr)
            self.assertEqual(len([x for x in subjects if re.search(r"\] (Resultat|Result):", x)]), 1, addr)
        # the ballot is closed: the same CVR may be nominated again
        ref2 = self.open_ballot("jens@danskerhverv.example.test", org, "Nina Holm <%s>" % NINA)
        self.assertNotEqual(ref2, ref)
        self.assertEqual(self.tally(ref2)[0], "open")

    def test_lapsed_when_quorum_not_met(self):
        self.pact = self._replace_pact({("rules", "quorum"): "6"})
        t0 = self.t
        ref1 = self.open_ballot("anne@di.example.test", "Lapse ApS", "Olga <olga@lapsed.example.test>")
        ref2 = self.open_ballot("pia@smvdanmark.example.test", "Stille ApS", "nils@nominee.example.test",
                                cvr=make_cvr(2))
        self.vote_ok("outlook", "mette@em.example.test", ref1, "Ja")
        self.vote_ok("gmail", "peter@industriensfond.example.test", ref1, "Ja")
        deadline = from_iso(self.ballot(ref1)["deadline"])
        self.assertEqual(deadline, end_of_local_day(t0, 14))
        # the first pass after the deadline closes both: 2 of 6 parties, and none
        self.step(at=deadline + datetime.timedelta(minutes=30))
        self.assertEqual(self.tally(ref1), ("lapsed", 2, 0, 0, 8))
        self.assertEqual(self.tally(ref2), ("lapsed", 0, 0, 0, 10))
        for ref, org in ((ref1, "Lapse ApS"), (ref2, "Stille ApS")):
            res = self.results(ref)
            self.assertEqual(res["anne@di.example.test"]["Subject"],
                             "[%s] Resultat: %s - afstemningen er bortfaldet" % (ref, org))
            self.assertIn("bortfaldet", text_of(res["anne@di.example.test"]))
            self.assertEqual(res["lise@ida.example.test"]["Subject"], "[%s] Result: %s - the ballot lapsed" % (ref, org))
        self.settle()
        self.assertEqual(self.sb.count("olga@lapsed.example.test"), 0)
        self.assertEqual(self.sb.count("nils@nominee.example.test"), 0)
        # no reminder for a deadline that has already passed
        for addr in DELEGATES:
            self.assertEqual([m["Subject"] for m in self.mails(addr)
                              if re.search(r"Påmindelse|Reminder", m["Subject"] or "")], [], addr)

    def test_tie_is_not_approval(self):
        self.pact = self._replace_pact({("rules", "quorum"): "6"})
        ref = self.open_ballot("sofie@itb.example.test", "Lige ApS", "Tim <tim@tie.example.test>")
        yes = ["mette@em.example.test", "anne@di.example.test", "jens@danskerhverv.example.test", "sofie@itb.example.test"]
        no = ["peter@industriensfond.example.test", "lise@ida.example.test", "eva@finansdanmark.example.test",
              "mads@hk.example.test"]
        cl = ["outlook", "gmail", "apple"]
        for i, addr in enumerate(yes):
            self.vote_ok(cl[i % 3], addr, ref, "Ja")
        for i, addr in enumerate(no):
            self.vote_ok("thunderbird" if addr in ENGLISH else cl[i % 3], addr, ref,
                         "No" if addr in ENGLISH else "Nej")
        # 4-4 with two parties left: still open, also just before the deadline
        deadline = from_iso(self.ballot(ref)["deadline"])
        self.step(at=deadline - datetime.timedelta(minutes=30))
        self.assertEqual(self.tally(ref), ("open", 4, 4, 0, 2))
        self.step(at=deadline + datetime.timedelta(minutes=30))
        self.assertEqual(self.tally(ref), ("rejected", 4, 4, 0, 2))
        res = self.results(ref)
        self.assertEqual(res["ole@forsikringogpension.example.test"]["Subject"],
                         "[%s] Resultat: Lige ApS er ikke optaget" % ref)
        self.settle()
        self.assertEqual(self.sb.count("tim@tie.example.test"), 0)
        self.assertEqual(self.pact.ctl("members"), [])

    def test_absolute_majority(self):
        self.pact = self._replace_pact({("rules", "majority"): "absolute"})
        a = self.open_ballot("anne@di.example.test", "Absolut A ApS", "abe@absolute.example.test", cvr=make_cvr(11))
        b = self.open_ballot("mette@em.example.test", "Absolut B ApS", "Vera <vera@votes.example.test>", cvr=make_cvr(12))
        c = self.open_ballot("jens@danskerhverv.example.test", "Absolut C ApS", "nils@nominee.example.test", cvr=make_cvr(13))
        clients_ = ["gmail", "outlook", "apple"]
        # A: 4 yes, 1 no: a simple majority of the votes cast, not of all ten parties
        for i, addr in enumerate(DELEGATES[:5]):  # mette, anne, bo, jens, sofie: bo replaces anne
            self.vote_ok(clients_[i % 3], addr, a, "Nej" if addr == "sofie@itb.example.test" else "Ja")
        self.vote_ok("gmail", "peter@industriensfond.example.test", a, "Ja")
        self.assertEqual(self.tally(a), ("open", 4, 1, 0, 5))
        # B: six yes close it at once
        for i, addr in enumerate(["mette@em.example.test", "anne@di.example.test", "jens@danskerhverv.example.test",
                                  "sofie@itb.example.test", "peter@industriensfond.example.test"]):
            self.vote_ok(clients_[i % 3], addr, b, "Ja")
            self.assertEqual(self.tally(b)[0], "open")
        self.vote_ok("thunderbird", "lise@ida.example.test", b, "Yes")
        self.assertEqual(self.tally(b), ("approved", 6, 0, 0, 4))
        # C: 3 no + 2 abstain = half of all parties: yes can no longer exceed half
        for i, (addr, w) in enumerate([("mette@em.example.test", "Nej"), ("anne@di.example.test", "Undlad"),
                                       ("jens@danskerhverv.example.test", "Nej"), ("sofie@itb.example.test", "0")]):
            self.vote_ok(clients_[i % 3], addr, c, w)
            self.assertEqual(self.tally(c)[0], "open")
        self.vote_ok("gmail", "peter@industriensfond.example.test", c, "NEJ")
        self.assertEqual(self.tally(c), ("rejected", 0, 3, 2, 5))
        # A at its deadline: 4 yes is not more than half of ten
        self.step(at=from_iso(self.ballot(a)["deadline"]) + datetime.timedelta(hours=1))
        self.assertEqual(self.tally(a), ("rejected", 4, 1, 0, 5))
        self.assertEqual(self.results(a)["mads@hk.example.test"]["Subject"], "[%s] Resultat: Absolut A ApS er ikke optaget" % a)
        self.assertEqual(self.results(b)["mads@hk.example.test"]["Subject"], "[%s] Resultat: Absolut B ApS er optaget" % b)
        self.settle()
        self.assertEqual(self.sb.count("abe@absolute.example.test"), 0)
        self.assertEqual(len(self.wait_mail("vera@votes.example.test", lambda m: True)), 1)
        self.assertEqual([m["ref"] for m in self.pact.ctl("members")], [b])
        # the ballot mail tells the voters the rule in force, not the default one
        for addr in ("mads@hk.example.test", "lise@ida.example.test"):
            text = text_of(parse(self.ballot_raw(addr, a)))
            self.assertNotIn("almindeligt flertal", text)
            self.assertNotIn("simple majority", text)

    def test_reminder_once_to_exactly_the_non_voters(self):
        t0 = self.t
        ref = self.open_ballot("pia@smvdanmark.example.test", "Husk ApS", "Rita <rita@reminder.example.test>")
        voters = ["anne@di.example.test", "mette@em.example.test", "lise@ida.example.test"]
        self.vote_ok("gmail", "anne@di.example.test", ref, "Ja")
        self.vote_ok("outlook", "mette@em.example.test", ref, "Undlad")
        self.vote_ok("thunderbird", "lise@ida.example.test", ref, "Abstain")
        deadline = from_iso(self.ballot(ref)["deadline"])
        self.assertEqual(deadline, end_of_local_day(t0, 14))
        due = deadline - datetime.timedelta(days=3)

        def reminders(addr):
            return [m for m in self.mails(addr) if (m["Subject"] or "").startswith("[%s] Påmindelse" % ref)
                    or (m["Subject"] or "").startswith("[%s] Reminder" % ref)]

        self.step(at=due - datetime.timedelta(hours=2))
        self.settle()
        self.assertEqual({a: len(reminders(a)) for a in DELEGATES}, {a: 0 for a in DELEGATES})
        self.step(at=due + datetime.timedelta(hours=2))
        non_voters = [a for a in DELEGATES if PARTY_OF[a] not in ("DI", "EM", "IDA")]
        for addr in non_voters:
            self.wait_mail(addr, lambda m: re.match(r"\[%s\] (Påmindelse|Reminder)" % ref, m["Subject"] or ""))
        self.step(at=due + datetime.timedelta(days=1))
        self.settle()
        got = {a: len(reminders(a)) for a in DELEGATES}
        want = {a: (0 if a in voters or a == "bo@di.example.test" else 1) for a in DELEGATES}
        self.assertEqual(got, want)
        m = reminders("jens@danskerhverv.example.test")[0]
        self.assertEqual(m["Subject"], "[%s] Påmindelse: afstemning om Husk ApS" % ref)
        self.assertEqual(m["Auto-Submitted"], "auto-generated")
        # the reminder can be answered like the ballot mail
        rem_raw = [r for r in self.raw_mails("jens@danskerhverv.example.test")
                   if parse(r)["Subject"] == m["Subject"]][0]
        self.vote_ok("outlook", "jens@danskerhverv.example.test", ref, "Ja", original=rem_raw)
        self.assertEqual(self.tally(ref), ("open", 2, 0, 2, 6))

    def test_vote_words_subject_vote_and_closing_when_all_voted(self):
        org = "Alle ApS"
        ref = self.open_ballot("ole@forsikringogpension.example.test", org, "vera@votes.example.test")
        votes = [  # (client, delegate, new text, counted as)
            ("outlook", "mette@em.example.test", "UNDLAD", "abstain"),
            ("gmail", "anne@di.example.test", "Blank", "abstain"),
            ("apple", "jens@danskerhverv.example.test", "0", "abstain"),
            ("outlook", "sofie@itb.example.test", "+1", "yes"),
            ("gmail", "peter@industriensfond.example.test", "YES", "yes"),
            ("thunderbird", "lise@ida.example.test", "-1", "no"),
            ("gmail", "eva@finansdanmark.example.test", "NO", "no"),
        ]
        for client, addr, word, _ in votes:
            self.vote_ok(client, addr, ref, word)
        # a vote in the subject when the new text is empty (only a signature)
        pia = "pia@smvdanmark.example.test"
        ballot = parse(self.ballot_raw(pia, ref))
        raw, mid = make_mail(who(pia), "Ja", "\n-- \nPia Skov\nSMV-Danmark\n", to=str(ballot["Reply-To"]),
                             headers={"In-Reply-To": ballot["Message-ID"], "References": ballot["Message-ID"]})
        self.submit((raw, pia))
        r, text = self.reply_to(pia, mid)
        self.assertIn(mid, folder_message_ids(PACT, PROCESSED), text)
        # a reply that names the ballot only by its subject tag carries no token
        mads = "mads@hk.example.test"
        raw, mid = make_mail(who(mads), "SV: [%s] Afstemning: optagelse af %s" % (ref, org), "Nej\n")
        self.submit((raw, mads))
        r, text = self.reply_to(mads, mid)
        self.assertIn(mid, folder_message_ids(PACT, REJECTED))
        self.assertEqual(self.tally(ref), ("open", 3, 2, 3, 2))
        # a mail that carries a token is the answer it belongs to, whatever its subject says
        ballot = parse(self.ballot_raw(mads, ref))
        raw, mid = make_mail(who(mads), "INDSTILLING", "Nej\n\nMads\n", to=str(ballot["Reply-To"]))
        self.submit((raw, mads))
        r, text = self.reply_to(mads, mid)
        self.assertIn(mid, folder_message_ids(PACT, PROCESSED), text)
        # nine parties: 3 yes, 3 no, 3 abstain; the last one can still decide it
        self.assertEqual(self.tally(ref), ("open", 3, 3, 3, 1))
        self.vote_ok("apple", "ole@forsikringogpension.example.test", ref, "JA!")
        b = self.ballot(ref)
        self.assertEqual((b["state"], b["yes"], b["no"], b["abstain"], b["not_voted"]), ("approved", 4, 3, 3, 0))
        want = {PARTY_OF[a]: v for _, a, _, v in votes}
        want.update({"SMVDK": "yes", "HK": "no", "FP": "yes"})
        self.assertEqual({v["party"]: v["vote"] for v in b["votes"]}, want)
        self.results(ref)
        self.assertEqual(len(self.wait_mail("vera@votes.example.test", lambda m: True)), 1)
        # the contact was given as a bare address (SPEC 3 allows it): the ballot mail
        # still tells the voters who it is
        text = text_of(parse(self.ballot_raw("mette@em.example.test", ref)))
        self.assertRegex(text, r"(?m)^Kontakt: .*vera@votes\.example\.test", text)

    def _replace_pact(self, overrides):
        self.pact.cleanup()
        return make_pact(overrides)


# ==================================================================== vote_auth
def with_ar(raw, *results):
    """raw with Authentication-Results headers on top, the first topmost (as
    the receiving MX would add them)."""
    return b"".join(b"Authentication-Results: " + r.encode() + b"\r\n" for r in results) + raw


class VoteAuthTokenDmarc(Workflow):
    overrides = {("security", "vote_auth"): "token+dmarc"}

    def vote_ar(self, client, addr, ref, word, *results):
        raw, mid = clients.reply(client, self.ballot_raw(addr, ref), who(addr), word)
        self.submit((with_ar(raw, *results), addr))
        r, text = self.reply_to(addr, mid)
        return mid, text

    def test_token_and_dmarc(self):
        ref = self.open_ballot("anne@di.example.test", "Godkendt Afsender ApS", "vera@votes.example.test")
        # the token alone is not enough
        mid, text = self.vote_ar("outlook", "mette@em.example.test", ref, "Ja")
        self.assertIn(mid, folder_message_ids(PACT, REJECTED))
        self.assertIn("DMARC", text)
        # DMARC pass from the trusted server
        mid, text = self.vote_ar("gmail", "jens@danskerhverv.example.test", ref, "Ja",
                                 "mx.example.test; dkim=pass header.d=danskerhverv.example.test; "
                                 "spf=pass smtp.mailfrom=danskerhverv.example.test; dmarc=pass (p=reject) "
                                 "header.from=danskerhverv.example.test")
        self.assertIn(mid, folder_message_ids(PACT, PROCESSED), text)
        # an aligned DKIM signature is as good
        mid, text = self.vote_ar("thunderbird", "lise@ida.example.test", ref, "Yes",
                                 "mx.example.test; dkim=pass header.d=ida.example.test header.s=s1; "
                                 "spf=none smtp.mailfrom=ida.example.test")
        self.assertIn(mid, folder_message_ids(PACT, PROCESSED), text)
        # only the topmost header of the trusted server counts (a pass below it is forged)
        mid, text = self.vote_ar("outlook", "sofie@itb.example.test", ref, "Ja",
                                 "mx.example.test; dmarc=fail (p=none) header.from=itb.example.test",
                                 "mx.example.test; dmarc=pass header.from=itb.example.test")
        self.assertIn(mid, folder_message_ids(PACT, REJECTED))
        # another server's verdict is ignored
        mid, text = self.vote_ar("apple", "peter@industriensfond.example.test", ref, "Ja",
                                 "mx.elsewhere.example.net; dmarc=pass header.from=industriensfond.example.test")
        self.assertIn(mid, folder_message_ids(PACT, REJECTED))
        self.assertEqual(self.tally(ref), ("open", 2, 0, 0, 8))
        self.assertEqual(sorted(v["party"] for v in self.ballot(ref)["votes"]), ["DE", "IDA"])


class VoteAuthDmarc(Workflow):
    overrides = {("security", "vote_auth"): "dmarc"}

    def test_dmarc_alone(self):
        org = "Kun DMARC ApS"
        ref = self.open_ballot("anne@di.example.test", org, "vera@votes.example.test")
        pass_ = "mx.example.test; dmarc=pass header.from=%s"
        # the ballot named by its subject tag only, DMARC pass
        pia = "pia@smvdanmark.example.test"
        raw, mid = make_mail(who(pia), "SV: [%s] Afstemning: optagelse af %s" % (ref, org), "Ja\n")
        self.submit((with_ar(raw, pass_ % "smvdanmark.example.test"), pia))
        r, text = self.reply_to(pia, mid)
        self.assertIn(mid, folder_message_ids(PACT, PROCESSED), text)
        # a token without DMARC pass is not enough
        eva = "eva@finansdanmark.example.test"
        raw, mid = clients.reply("gmail", self.ballot_raw(eva, ref), who(eva), "Nej")
        self.submit((raw, eva))
        r, text = self.reply_to(eva, mid)
        self.assertIn(mid, folder_message_ids(PACT, REJECTED))
        # the subject tag and no DMARC pass
        mads = "mads@hk.example.test"
        raw, mid = make_mail(who(mads), "SV: [%s] Afstemning: optagelse af %s" % (ref, org), "Ja\n")
        self.submit((raw, mads))
        r, text = self.reply_to(mads, mid)
        self.assertIn(mid, folder_message_ids(PACT, REJECTED))
        self.assertEqual(self.tally(ref), ("open", 1, 0, 0, 9))
        self.assertEqual([v["party"] for v in self.ballot(ref)["votes"]], ["SMVDK"])


# ===================================================================== refusals
class Refusals(Workflow):
    def test_refused_nominations(self):
        contact = "Nils <nils@nominee.example.test>"
        dialogue = (self.t - datetime.timedelta(days=3)).strftime("%d.%m.%Y").lstrip("0")
        future = (self.t + datetime.timedelta(days=5)).strftime("%Y-%m-%d")
        cases = [
            # (sender, subject, body, phrases the reply must name)
            ("mette@em.example.test", "INDSTILLING",
             nomination_body("Fejl CVR ApS", "12345678", contact, dialogue), ["12345678", "CVR"]),
            ("jens@danskerhverv.example.test", "INDSTILLING",
             nomination_body("Mangler ApS", make_cvr(21), contact, dialogue, drop=("Sammenhæng",)),
             ["Sammenhæng", "mangler"]),
            ("sofie@itb.example.test", "INDSTILLING",
             nomination_body("Tvivl ApS", make_cvr(22), contact, dialogue, principles="måske"),
             ["Principper", "måske"]),
            ("peter@industriensfond.example.test", "INDSTILLING",
             nomination_body("Fremtid ApS", make_cvr(23), contact, future), [future]),
            ("lise@ida.example.test", "NOMINATION",
             nomination_body("Missing Ltd", make_cvr(24), contact, dialogue, english=True, drop=("Fit",)),
             ["Fit", "missing"]),
            ("eva@finansdanmark.example.test", "INDSTILLING",
             nomination_body("Ingen Initiativer ApS", make_cvr(25), contact, dialogue, drop=("Initiativer",)),
             ["Initiativer"]),
        ]
        sent = []
        for sender, subject, body, phrases in cases:
            raw, mid = make_mail(who(sender), subject, body)
            sent.append((raw, sender, mid, phrases))
        self.submit(*[(raw, s) for raw, s, _, _ in sent])
        rejected = folder_message_ids(PACT, REJECTED)
        for raw, sender, mid, phrases in sent:
            with self.subTest(sender=sender, phrases=phrases):
                r, text = self.reply_to(sender, mid)
                self.assertIn(mid, rejected)
                for p in phrases:
                    self.assertIn(p, text)
                self.assertEqual(r["Auto-Submitted"], "auto-replied")
        self.assertEqual(self.pact.ctl("ballots"), [])
        # spaces in a CVR number are allowed; a second nomination of the same CVR
        # while the first is open is refused with its reference
        ref = self.open_ballot("anne@di.example.test", "Dobbelt ApS", contact, cvr="10 15 08 17")
        mid = self.nominate("mads@hk.example.test", "Dobbelt ApS", contact, cvr=CVR)
        r, text = self.reply_to("mads@hk.example.test", mid)
        self.assertIn(ref, text)
        self.assertIn(mid, folder_message_ids(PACT, REJECTED))
        self.assertEqual([b["ref"] for b in self.pact.ctl("ballots")], [ref])
        self.assertEqual(self.sb.count("nils@nominee.example.test"), 0)

    def test_refused_votes(self):
        ref = self.open_ballot("anne@di.example.test", "Stem ApS", "Vera <vera@votes.example.test>")

        # a stolen token: ITB's delegate forwards her ballot mail (as an attachment) to
        # HK's delegate, who opens it and replies: HK's sender with ITB's token
        sofie, mads = "sofie@itb.example.test", "mads@hk.example.test"
        fwd, fwd_id = clients.forward_as_attachment(self.ballot_raw(sofie, ref), who(sofie), mads)
        self.sb.send(fwd, sofie, [mads])
        got = self.wait_mail(mads, lambda m: (m["Message-ID"] or "").strip("<> ") == fwd_id)
        self.assertEqual(len(got), 1)
        inner = clients.attached_message([r for r in self.raw_mails(mads) if fwd_id.encode() in r][0])
        self.assertIn(b"Reply-To: pagt+v-", inner)
        mid = self.vote("outlook", mads, ref, "Ja", original=inner)
        r, text = self.reply_to(mads, mid)
        self.assertIn(mid, folder_message_ids(PACT, REJECTED))
        self.assertIn("anden part", text)
        self.assertEqual(self.tally(ref), ("open", 0, 0, 0, 10))
        self.assertEqual(self.ballot(ref)["votes"], [])
        self.settle()
        # nothing to ITB's delegate about HK's attempt: her ballot mail is all she has
        self.assertEqual([m["Message-ID"] for m in self.mails(sofie)],
                         [parse(self.ballot_raw(sofie, ref))["Message-ID"]])

        # an ambiguous vote
        pia = "pia@smvdanmark.example.test"
        mid = self.vote("gmail", pia, ref, "Ja / Nej")
        r, text = self.reply_to(pia, mid)
        self.assertIn(mid, folder_message_ids(PACT, REJECTED))
        self.assertIn("mere end ét valg", text)
        self.assertEqual(self.tally(ref), ("open", 0, 0, 0, 10))

        # out-of-office replies to the ballot: with Auto-Submitted (sent to From:), and
        # without it, only its subject saying so, sent to the token address
        eva, ole = "eva@finansdanmark.example.test", "ole@forsikringogpension.example.test"
        raw1, ooo1 = clients.reply("ooo", self.ballot_raw(eva, ref), who(eva), "")
        raw2, ooo2 = clients.reply("ooo", self.ballot_raw(ole, ref), who(ole), "", to="reply-to")
        raw2 = re.sub(rb"(?im)^Auto-Submitted:.*\r\n", b"", raw2)
        raw2 = re.sub(rb"(?im)^X-Auto-Response-Suppress:.*\r\n", b"", raw2)
        self.assertNotIn(b"Auto-Submitted", raw2)
        self.submit((raw1, eva), (raw2, ole))
        ignored = folder_message_ids(PACT, IGNORED)
        self.assertIn(ooo1, ignored)
        self.assertIn(ooo2, ignored)
        self.assertEqual(self.tally(ref), ("open", 0, 0, 0, 10))

        # six yes close the ballot; a vote after that is told the result
        for client, addr in [("gmail", "mette@em.example.test"), ("outlook", "anne@di.example.test"),
                             ("apple", "jens@danskerhverv.example.test"), ("outlook", "sofie@itb.example.test"),
                             ("gmail", "peter@industriensfond.example.test"), ("thunderbird", "lise@ida.example.test")]:
            self.vote_ok(client, addr, ref, "Yes" if addr in ENGLISH else "Ja")
        self.assertEqual(self.tally(ref), ("approved", 6, 0, 0, 4))
        mid = self.vote("outlook", ole, ref, "Nej")
        r, text = self.reply_to(ole, mid)
        self.assertIn("lukket", text)
        self.assertIn("godkendt", text)
        self.assertIn(ref, text)
        self.assertRegex(text, r"(?i)ja: 6")
        self.assertEqual(self.tally(ref), ("approved", 6, 0, 0, 4))
        self.assertNotIn("FP", [v["party"] for v in self.ballot(ref)["votes"]])

        self.settle()
        # one result each, however many passes came after the close
        self.results(ref)
        # nobody answered the automatic mail
        for addr, ooo in ((eva, ooo1), (ole, ooo2)):
            self.assertEqual(replies_to(addr, ooo, timeout=0.5), [])


# ============================================================ associate members
class Associates(Workflow):
    def admit(self, org, contact_addr, contact_name, cvr):
        ref = self.open_ballot("anne@di.example.test", org, "%s <%s>" % (contact_name, contact_addr), cvr=cvr)
        for addr in ["mette@em.example.test", "anne@di.example.test", "jens@danskerhverv.example.test",
                     "sofie@itb.example.test", "peter@industriensfond.example.test", "pia@smvdanmark.example.test"]:
            self.vote_ok("gmail", addr, ref, "Ja")
        self.assertEqual(self.tally(ref)[0], "approved")
        self.assertEqual(len(self.wait_mail(contact_addr, lambda m: "Velkommen" in (m["Subject"] or ""))), 1)
        return ref

    def test_associate_initiative_nomination_withdrawal(self):
        ref = self.admit("Acme Sikkerhed ApS", KAREN, "Karen Madsen", CVR)
        karen = "Karen Madsen <%s>" % KAREN

        # an associate may not nominate
        raw, mid = make_mail(karen, "INDSTILLING",
                             nomination_body("Ven ApS", make_cvr(31), "nils@nominee.example.test",
                                             (self.t - datetime.timedelta(days=2)).strftime("%Y-%m-%d")))
        self.submit((raw, KAREN))
        r, text = self.reply_to(KAREN, mid)
        self.assertIn(mid, folder_message_ids(PACT, REJECTED))
        self.assertIn("INDSTILLING kan ikke sendes af dig", text)
        self.assertEqual([b["ref"] for b in self.pact.ctl("ballots")], [ref])

        # an initiative from the associate
        raw, mid = make_mail(karen, "INITIATIV",
                             "Hej\n\nTitel: Phishing-træning for SMV'er\n"
                             "Beskrivelse: Gratis e-læring og phishing-test for 200 SMV'er\n"
                             "  i Region Midtjylland.\nFormål: 1, 3\nPartnere:\n- DI\n- IDA\n"
                             "Link: https://acme.example.test/phishing\n\nVenlig hilsen\nKaren\n")
        self.submit((raw, KAREN))
        r, text = self.reply_to(KAREN, mid)
        iref = re.search(r"\[(PAGT-\d{4}-\d{4})\]", r["Subject"]).group(1)
        self.assertIn(mid, folder_message_ids(PACT, PROCESSED))
        inits = self.pact.ctl("initiatives")
        self.assertEqual(len(inits), 1)
        i = inits[0]
        self.assertEqual((i["ref"], i["title"], i["purposes"]), (iref, "Phishing-træning for SMV'er", ["1", "3"]))
        self.assertIn("Region Midtjylland", i["description"])
        self.assertEqual(i["partners"], ["DI", "IDA"])
        self.assertEqual(i["link"], "https://acme.example.test/phishing")

        # a founding party's delegate may not withdraw an associate; the secretariat
        # names one that exists
        raw1, m1 = make_mail(who("anne@di.example.test"), "UDMELDELSE", "Organisation: Acme Sikkerhed ApS\n")
        raw2, m2 = make_mail(SECRETARIAT, "UDMELDELSE", "Organisation: Findes Ikke ApS\n")
        self.submit((raw1, "anne@di.example.test"), (raw2, SECRETARIAT))
        r, text = self.reply_to("anne@di.example.test", m1)
        self.assertIn("UDMELDELSE kan ikke sendes af dig", text)
        r, text = self.reply_to(SECRETARIAT, m2)
        self.assertIn("Findes Ikke ApS", text)
        rejected = folder_message_ids(PACT, REJECTED)
        self.assertIn(m1, rejected)
        self.assertIn(m2, rejected)
        self.assertEqual([(m["ref"], m["state"]) for m in self.pact.ctl("members")], [(ref, "active")])

        # a second associate, withdrawn by the secretariat
        ref2 = self.admit("Beta Sikkerhed A/S", "nils@nominee.example.test", "Nils Berg", make_cvr(32))
        raw, mid = make_mail("Erhvervsstyrelsen <%s>" % SECRETARIAT, "UDMELDELSE",
                             "Organisation: Beta Sikkerhed A/S\n")
        self.submit((raw, SECRETARIAT))
        r, text = self.reply_to(SECRETARIAT, mid)
        self.assertIn(mid, folder_message_ids(PACT, PROCESSED))
        self.assertIn("Beta Sikkerhed A/S", text)
        states = {m["ref"]: m["state"] for m in self.pact.ctl("members")}
        self.assertEqual(states, {ref: "active", ref2: "withdrawn"})

        # the withdrawal by the associate's contact
        raw, mid = make_mail(karen, "UDMELDELSE", "Hej\n\nVi melder os ud af pagten.\n\nVenlig hilsen\nKaren\n")
        self.submit((raw, KAREN))
        r, text = self.reply_to(KAREN, mid)
        self.assertIn(mid, folder_message_ids(PACT, PROCESSED))
        self.assertIn("Acme Sikkerhed ApS", text)
        members = {m["ref"]: m for m in self.pact.ctl("members")}
        self.assertEqual(sorted(members), sorted([ref, ref2]))
        self.assertEqual(members[ref]["state"], "withdrawn")
        self.assertIsNotNone(members[ref]["withdrawn"])

        # no longer on the roster: an initiative from the contact is quarantined, unanswered
        raw, mid = make_mail(karen, "INITIATIV", "Titel: Endnu et\nBeskrivelse: Noget\nFormål: 2\n")
        self.submit((raw, KAREN))
        self.assertIn(mid, folder_message_ids(PACT, "pactd/Quarantine"))
        self.settle()
        self.assertEqual(replies_to(KAREN, mid, timeout=0.5), [])
        self.assertEqual(len(self.pact.ctl("initiatives")), 1)


# ================================================================= declarations
class Declarations(Workflow):
    def test_declarations_in_both_languages_and_versions(self):
        anne, lise = "anne@di.example.test", "lise@ida.example.test"
        raw, mid1 = make_mail(who(anne), "ERKLÆRING",
                              "Hej sekretariat,\n\nMotivation: Vi ønsker at løfte SMV'ernes digitale sikkerhed,\n"
                              "  fordi de er rygraden i dansk erhvervsliv.\nMålsætninger:\n"
                              "- Alle medlemsvirksomheder tilbydes et sikkerhedstjek inden 2027\n"
                              "- 500 SMV'er gennemfører et awareness-forløb\n"
                              "Bidrag: Rådgivning og netværk\n\nVenlig hilsen\nAnne\n")
        raw2, mid2 = make_mail(who(lise), "DECLARATION",
                               "Dear secretariat,\n\nMotivation: Engineers build the systems SMEs rely on.\n"
                               "Objectives:\n1. Security training for 1,000 members\n2. A helpdesk for SMEs\n"
                               "Contribution: Expert volunteers\nColour: blue\n\nKind regards\nLise\n")
        self.submit((raw, anne), (raw2, lise))
        r, text = self.reply_to(anne, mid1)
        ref1 = re.search(r"\[(PAGT-\d{4}-\d{4})\]", r["Subject"]).group(1)
        # the keyword in normal case (SpamAssassin's SUBJ_ALL_CAPS), the thread kept
        self.assertEqual(r["Subject"], "Re: Erklæring [%s]" % ref1)
        self.assertIn("<%s>" % mid1, r["References"])
        self.assertIn("500 SMV'er gennemfører et awareness-forløb", text)
        r, text = self.reply_to(lise, mid2)
        ref2 = re.search(r"\[(PAGT-\d{4}-\d{4})\]", r["Subject"]).group(1)
        self.assertEqual(r["Subject"], "Re: Declaration [%s]" % ref2)
        self.assertIn("A helpdesk for SMEs", text)
        self.assertIn("Colour", text, "an unknown field is reported back as a warning")
        self.assertNotEqual(ref1, ref2)

        # a second version from DI's other delegate
        raw, mid3 = make_mail("bo@di.example.test", "Erklaering",
                              "Motivation: Ny motivation efter bestyrelsesmødet.\nMålsætninger:\n"
                              "* 1.000 SMV'er får et sikkerhedstjek\n")
        self.submit((raw, "bo@di.example.test"))
        r, text = self.reply_to("bo@di.example.test", mid3)
        self.assertIn("2", text)
        # one missing its objectives is refused
        raw, mid4 = make_mail(who("mads@hk.example.test"), "ERKLÆRING", "Motivation: Vi er med.\n")
        self.submit((raw, "mads@hk.example.test"))
        r, text = self.reply_to("mads@hk.example.test", mid4)
        self.assertIn("Målsætninger", text)
        self.assertIn(mid4, folder_message_ids(PACT, REJECTED))

        decl = self.pact.ctl("declarations")
        got = sorted((d["party"], d["version"]) for d in decl)
        self.assertEqual(got, [("DI", 1), ("DI", 2), ("IDA", 1)])
        by = {(d["party"], d["version"]): d for d in decl}
        self.assertEqual(by[("DI", 1)]["motivation"],
                         "Vi ønsker at løfte SMV'ernes digitale sikkerhed,\nfordi de er rygraden i dansk erhvervsliv."
                         if "\n" in by[("DI", 1)]["motivation"] else
                         "Vi ønsker at løfte SMV'ernes digitale sikkerhed, fordi de er rygraden i dansk erhvervsliv.")
        self.assertEqual(by[("DI", 1)]["objectives"],
                         ["Alle medlemsvirksomheder tilbydes et sikkerhedstjek inden 2027",
                          "500 SMV'er gennemfører et awareness-forløb"])
        self.assertEqual(by[("DI", 1)]["contribution"], "Rådgivning og netværk")
        self.assertEqual(by[("DI", 2)]["motivation"], "Ny motivation efter bestyrelsesmødet.")
        self.assertEqual(by[("DI", 2)]["objectives"], ["1.000 SMV'er får et sikkerhedstjek"])
        self.assertEqual(by[("IDA", 1)]["objectives"], ["Security training for 1,000 members", "A helpdesk for SMEs"])
        self.assertEqual(by[("IDA", 1)]["contribution"], "Expert volunteers")
        self.assertNotIn("HK", [d["party"] for d in decl])
        parties = {p["id"]: p for p in self.pact.ctl("parties")}
        self.assertEqual(sorted(parties), sorted(PARTIES))
        self.assertEqual(parties["DI"]["delegates"], PARTIES["DI"])
        self.assertEqual((parties["DI"]["declaration_version"], parties["IDA"]["declaration_version"],
                          parties["HK"]["declaration_version"]), (2, 1, 0))


# ================================================================== initiatives
class Initiatives(Workflow):
    def test_initiatives_from_founding_parties(self):
        sofie, lise, ole = "sofie@itb.example.test", "lise@ida.example.test", "ole@forsikringogpension.example.test"
        raw1, m1 = make_mail(who(sofie), "INITIATIV",
                             "Titel: Sikker SMV\nBeskrivelse: Et gratis sikkerhedstjek for SMV'er.\n"
                             "Formål: 1 og 3\n")
        raw2, m2 = make_mail(who(lise), "INITIATIVE",
                             "Title: Security helpdesk\nDescription: Engineers answer SMEs' questions.\n"
                             "Purpose: 2\nLink: https://ida.example.test/helpdesk\n")
        raw3, m3 = make_mail(who(ole), "INITIATIV", "Titel: Forkert\nBeskrivelse: Noget\nFormål: 4\n")
        # IDA's lang is en, but a Danish keyword gets a Danish reply
        raw4, m4 = make_mail(who(lise), "Initiativ", "Titel: Ingeniører hjælper\nBeskrivelse: Frivillige.\n"
                             "Formål: 3\n")
        self.submit((raw1, sofie), (raw2, lise), (raw3, ole), (raw4, lise))
        r4, t4 = self.reply_to(lise, m4)
        self.assertIn("Tak.", t4)
        self.assertIn("Ingeniører hjælper", t4)
        r1, t1 = self.reply_to(sofie, m1)
        r2, t2 = self.reply_to(lise, m2)
        r3, t3 = self.reply_to(ole, m3)
        self.assertRegex(r1["Subject"], r"^Re: Initiativ \[PAGT-\d{4}-\d{4}\]$")
        self.assertRegex(r2["Subject"], r"^Re: Initiative \[PAGT-\d{4}-\d{4}\]$")
        self.assertIn("Formål", t3)
        self.assertIn("4", t3)
        self.assertIn(m3, folder_message_ids(PACT, REJECTED))
        inits = {i["title"]: i for i in self.pact.ctl("initiatives")}
        self.assertEqual(sorted(inits), ["Ingeniører hjælper", "Security helpdesk", "Sikker SMV"])
        self.assertEqual(inits["Ingeniører hjælper"]["purposes"], ["3"])
        self.assertEqual(inits["Sikker SMV"]["purposes"], ["1", "3"])
        self.assertEqual(inits["Sikker SMV"]["party"], "ITB")
        self.assertEqual(inits["Security helpdesk"]["purposes"], ["2"])
        self.assertEqual(inits["Security helpdesk"]["link"], "https://ida.example.test/helpdesk")
        self.assertEqual(inits["Security helpdesk"]["party"], "IDA")

    def test_purposes_as_a_bulleted_list(self):
        """Formål takes "one or more" purposes; written one a line with
        bullets, as SPEC section 3 allows for lists, they are still 1 and 3."""
        sofie = "sofie@itb.example.test"
        raw, mid = make_mail(who(sofie), "INITIATIV", "Titel: Punktliste\nBeskrivelse: Et initiativ.\n"
                             "Formål:\n- 1\n- 3\n")
        self.submit((raw, sofie))
        r, text = self.reply_to(sofie, mid)
        self.assertIn(mid, folder_message_ids(PACT, PROCESSED), text)
        self.assertEqual([i["purposes"] for i in self.pact.ctl("initiatives")], [["1", "3"]])


# ============================================================ status + comments
def minimal_pdf(title):
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>"]
    stream = b"BT /F1 24 Tf 72 760 Td (" + title.encode() + b") Tj ET"
    objs.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    offsets = []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return out


class AnnualStatus(Workflow):
    def test_status_with_pdf_comments_and_publication(self):
        pdf = minimal_pdf("Cybersikkerhedspagten - status 2026")
        msg = email.message.EmailMessage(policy=email.policy.SMTP)
        msg["From"] = "Erhvervsstyrelsen <%s>" % SECRETARIAT
        msg["To"] = PACT
        msg["Subject"] = "ÅRSSTATUS"
        msg["Date"] = email.utils.formatdate()
        mid = "%s@erst.example.test" % os.urandom(8).hex()
        msg["Message-ID"] = "<%s>" % mid
        msg.set_content("Kære alle\n\nÅr: 2026\nStatus: Se den vedhæftede PDF.\n\nVenlig hilsen\nSekretariatet\n")
        msg.add_attachment(pdf, maintype="application", subtype="pdf", filename="aarsstatus-2026.pdf")
        t0 = self.t
        self.submit((msg.as_bytes(), SECRETARIAT))
        r, text = self.reply_to(SECRETARIAT, mid)
        sref = re.search(r"\[(PAGT-\d{4}-\d{4})\]", r["Subject"]).group(1)
        self.assertEqual(r["Subject"], "Re: Årsstatus [%s]" % sref)
        self.assertIn("PDF", text)
        st = self.pact.ctl("statuses")
        self.assertEqual(len(st), 1)
        self.assertEqual((st[0]["ref"], st[0]["year"], st[0]["published"], st[0]["comments"]), (sref, 2026, None, []))
        # the PDF is kept
        path = st[0]["pdf"]
        self.assertTrue(path, st[0])
        cands = [path, os.path.join(os.path.dirname(self.pact.db), path), os.path.join(self.pact.dir, path)]
        found = [p for p in cands if os.path.isfile(p)]
        self.assertTrue(found, "the PDF %r is not kept" % path)
        with open(found[0], "rb") as f:
            self.assertEqual(f.read(), pdf)
        deadline = from_iso(st[0]["deadline"])
        self.assertGreaterEqual(deadline, t0 + datetime.timedelta(days=30) - datetime.timedelta(hours=1))
        self.assertLess(deadline, t0 + datetime.timedelta(days=32))

        # every advisory board member got the consultation with a reply token
        cons = {}
        for addr in ADVISORY:
            got = self.wait_mail(addr, lambda m: (m["Subject"] or "").startswith("[%s]" % sref))
            self.assertEqual(len(got), 1, addr)
            m = got[0]
            rt = re.fullmatch(r"pagt\+([a-z]-%s)@example\.test" % TOKEN, str(m["Reply-To"]).strip())
            self.assertIsNotNone(rt, m["Reply-To"])
            self.assertIn("Ref: %s/%s" % (sref, rt.group(1)), text_of(m).splitlines())
            self.assertIn(rt.group(1), m["Message-ID"])
            cons[addr] = (rt.group(1), [raw for raw in self.raw_mails(addr) if parse(raw)["Message-ID"] == m["Message-ID"]][0])
        self.assertNotEqual(cons[ADVISORY[0]][0], cons[ADVISORY[1]][0])
        # the PDF is "kept and linked": the consultation mail links to it (checked at the end)
        cons_text = text_of(parse(cons[ADVISORY[0]][1]))
        links = re.findall(r"https://example\.test/pagt/\S+\.pdf", cons_text)
        self.assertEqual(self.sb.count("anne@di.example.test"), 0)

        # a comment by replying to the consultation mail (Gmail), one with KOMMENTAR
        carl, dorte = ADVISORY
        c1 = ("Vi bakker op om statussen.\n\nVi savner dog tal for, hvor mange SMV'er der har\n"
              "gennemført et sikkerhedstjek.")
        raw, cmid1 = clients.reply("gmail", cons[carl][1], "Carl Berg <%s>" % carl, c1)
        self.submit((raw, carl))
        r, text = self.reply_to(carl, cmid1)
        self.assertIn(cmid1, folder_message_ids(PACT, PROCESSED))
        self.assertIn(sref, text)
        raw, cmid2 = make_mail(dorte, "KOMMENTAR", "År: 2026\n\nForummet anbefaler flere initiativer for de mindste virksomheder.\n")
        self.submit((raw, dorte))
        r, text = self.reply_to(dorte, cmid2)
        self.assertIn(cmid2, folder_message_ids(PACT, PROCESSED))
        self.assertRegex(r["Subject"], r"^Re: Kommentar \[PAGT-\d{4}-\d{4}\]$")
        # only the advisory board comments
        raw, cmid3 = make_mail(who("anne@di.example.test"), "KOMMENTAR", "Godt arbejde.\n")
        self.submit((raw, "anne@di.example.test"))
        r, text = self.reply_to("anne@di.example.test", cmid3)
        self.assertIn("KOMMENTAR kan ikke sendes af dig", text)
        self.assertIn(cmid3, folder_message_ids(PACT, REJECTED))
        st = self.pact.ctl("statuses")[0]
        self.assertIsNone(st["published"])
        texts = [c["text"] for c in st["comments"]]
        self.assertEqual(len(texts), 2, st)
        self.assertIn("Vi bakker op om statussen.", texts[0])
        self.assertIn("sikkerhedstjek", texts[0])
        self.assertNotIn("Ref:", texts[0])
        self.assertNotIn(">", texts[0])
        self.assertNotIn("skrev", texts[0])
        self.assertEqual(texts[1], "Forummet anbefaler flere initiativer for de mindste virksomheder.")
        self.assertEqual(st["comments"][0]["by"], "Carl Berg")

        # the consultation ends: the comments are published
        self.step(at=deadline - datetime.timedelta(hours=1))
        self.assertIsNone(self.pact.ctl("statuses")[0]["published"])
        self.step(at=deadline + datetime.timedelta(hours=1))
        st = self.pact.ctl("statuses")[0]
        self.assertIsNotNone(st["published"])
        self.assertEqual(len(st["comments"]), 2)

        self.assertTrue(links, "the consultation mail does not link to the status PDF:\n" + cons_text)
        local = os.path.join(self.pact.dir, "public", links[0][len("https://example.test/pagt/"):])
        self.assertTrue(os.path.isfile(local), local)
        with open(local, "rb") as f:
            self.assertEqual(f.read(), pdf)


if __name__ == "__main__":
    unittest.main()

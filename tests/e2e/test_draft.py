"""The drafted annual status end to end (SPEC section 11, issue 15 part 1):
a pact year played through the real Dovecot and OpenSMTPD with the clock
moved by PACTD_NOW, and the draft that the secretariat finds in its mailbox
on [status] draft_date checked against that year item by item: once, not
before the day, not again after a restart that day or a jump past it; its
body sent back as ÅRSSTATUS is a valid status; pactctl draft-status YEAR
and --json give the same."""

import datetime
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest

import clients
from pactlib import BUILD, PACT, clear_mailbox, folder_message_ids, make_mail, parse, replies_to, sandbox, text_of
from test_workflow import (ADVISORY, CVR, DELEGATES, KAREN, NINA, SECRETARIAT, iso, make_cvr, make_pact,
                           nomination_body, rcpt_of, who)

try:
    from zoneinfo import ZoneInfo
    ZONE = ZoneInfo("Europe/Copenhagen")
except Exception:  # pragma: no cover
    ZONE = None

PROCESSED = "pactd/Processed"
LOGS = os.path.join(tempfile.gettempdir(), "pactd-draft-logs")
OLGA = "olga@lapsed.example.test"
DI = "DI – Dansk Industri"
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]
EM = "Erhvervsministeriet"


def utc(y, mo, d, h=9, mi=0):
    return datetime.datetime(y, mo, d, h, mi, tzinfo=datetime.timezone.utc)


def day(t):
    """A day as the Danish draft writes it: 3.2.2027 (local time)."""
    t = t.astimezone(ZONE)
    return "%d.%d.%d" % (t.day, t.month, t.year)


def norm(s):
    return " ".join(s.split())


def status_field(body):
    """The draft's status text as pactd reads it back: the indented lines
    under "Status:", up to the first line that is not indented."""
    lines = body.splitlines()
    i = lines.index("Status:")
    out = []
    for ln in lines[i + 1:]:
        if ln and not ln.startswith(" "):
            break
        out.append(ln.strip())
    return "\n".join(out).strip()


def section(text, start, end):
    """The part of a normalised text between two headings."""
    a = text.index(start)
    b = text.index(end, a) if end else len(text)
    return text[a:b]


class Draft(unittest.TestCase):
    def setUp(self):
        self.sb = sandbox()
        self.pact = make_pact({})
        for addr in DELEGATES + ADVISORY + [SECRETARIAT, KAREN, NINA, OLGA]:
            clear_mailbox(addr)
        # The clock only moves forward from tomorrow; the pact begins in
        # the last month of a year and the scenario's year Y is the next.
        now = datetime.datetime.now(datetime.timezone.utc)
        start = max(utc(now.year, 12, 10), utc(now.year, now.month, now.day) + datetime.timedelta(days=1))
        self.t = start
        self.Y = start.year + 1

    def tearDown(self):
        os.makedirs(LOGS, exist_ok=True)
        if os.path.exists(self.pact.logfile):
            shutil.copy(self.pact.logfile, os.path.join(LOGS, self.id().split(".")[-1] + ".log"))
        self.pact.cleanup()

    # ------------------------------------------------------------ clock and mail
    def step(self, at=None, minutes=2):
        self.t = at if at is not None else self.t + datetime.timedelta(minutes=minutes)
        rc, err = self.pact.once(now=iso(self.t))
        self.assertEqual(rc, 0, err)
        return err

    def submit(self, *mails, at=None):
        """Deliver (raw, envelope sender) pairs to the pact, then one pass."""
        have = self.sb.count(PACT)
        for i, (raw, sender) in enumerate(mails):
            self.sb.send(raw, sender, rcpt_of(raw))
            self.sb.wait_messages(PACT, have + i + 1)
        return self.step(at)

    def wait_mail(self, addr, pred, want=1, timeout=15):
        deadline = time.time() + timeout
        while True:
            found = [(raw, parse(raw)) for raw in self.sb.messages(addr)]
            found = [(r, m) for r, m in found if pred(m)]
            if len(found) >= want or time.time() >= deadline:
                return found
            time.sleep(0.1)

    def receipt(self, addr, mid):
        r = replies_to(addr, mid)
        self.assertEqual(len(r), 1, "%s: no receipt for <%s>\n%s" % (addr, mid, self.pact.logtext()[-3000:]))
        self.assertIn(mid, folder_message_ids(PACT, PROCESSED), text_of(r[0]))
        m = re.search(r"\[(PAGT-\d{4}-\d{4})\]", r[0]["Subject"] or "")
        return m.group(1) if m else None

    def send(self, sender, subject, body, addr=None):
        """One submission, accepted; returns its reference."""
        addr = addr or re.sub(r".*<|>.*", "", sender)
        raw, mid = make_mail(sender, subject, body)
        self.submit((raw, addr))
        return self.receipt(addr, mid)

    def drafts(self, year, settle=True, english=False):
        """The draft mails for year in the secretariat's INBOX."""
        if settle:
            time.sleep(1.0)
        prefix = ("Draft annual status for %d" if english else "Udkast til årsstatus for %d") % year
        return [(r, m) for r, m in ((r, parse(r)) for r in self.sb.messages(SECRETARIAT))
                if (m["Subject"] or "").startswith(prefix)]

    def ctl(self, *args, **kw):
        """pactctl at the scenario's time: a year's meetings held are
        those begun by then."""
        os.environ["PACTD_NOW"] = iso(self.t)
        try:
            return self.pact.ctl(*args, **kw)
        finally:
            del os.environ["PACTD_NOW"]

    # ------------------------------------------------------------ the year's steps
    def declare(self, addr, objectives, motivation="Vi vil løfte SMV'ernes sikkerhed."):
        body = "Hej\n\nMotivation: %s\nMålsætninger:\n%s\n\nVenlig hilsen\n" % (
            motivation, "\n".join("- " + o for o in objectives))
        return self.send(who(addr), "ERKLÆRING", body, addr)

    def ballot_raw(self, addr, ref):
        deadline = time.time() + 15
        while time.time() < deadline:
            for raw in self.sb.messages(addr):
                m = parse(raw)
                if (m["Message-ID"] or "").startswith("<v-") and ref in (m["Message-ID"] or ""):
                    return raw
            time.sleep(0.1)
        self.fail("no ballot mail for %s in %s's mailbox" % (ref, addr))

    def nominate(self, org, contact, cvr):
        dialogue = (self.t - datetime.timedelta(days=10)).strftime("%Y-%m-%d")
        return self.send(who("anne@di.example.test"), "INDSTILLING",
                         nomination_body(org, cvr, contact, dialogue), "anne@di.example.test")

    def vote_all(self, ref, voters, word):
        """Each voter answers the ballot mail in their mailbox (Gmail)."""
        mails = []
        for addr in voters:
            raw, _ = clients.reply("gmail", self.ballot_raw(addr, ref), who(addr), word)
            mails.append((raw, addr))
        self.submit(*mails)
        return self.pact.ctl("ballot", ref)

    def call_meeting(self, title, start, location):
        body = "Hej alle,\n\nTitel: %s\nStart: %s\nSted: %s\n\nVenlig hilsen\nSekretariatet\n" % (
            title, start, location)
        return self.send("Erhvervsstyrelsen <%s>" % SECRETARIAT, "MØDE", body, SECRETARIAT)

    def invitation(self, addr, ref):
        got = self.wait_mail(addr, lambda m: "<m-" in (m["Message-ID"] or "")
                             and ".%s." % ref in (m["Message-ID"] or ""))
        self.assertTrue(got, "%s: no invitation to %s" % (addr, ref))
        return got[0][0]

    def rsvp(self, ref, answers):
        """Plain replies to the invitation: {address: first word}."""
        mails = []
        for addr, word in answers.items():
            raw, _ = clients.reply("gmail", self.invitation(addr, ref), who(addr), word)
            mails.append((raw, addr))
        self.submit(*mails)

    def initiative(self, sender, addr, title, purposes, partners=(), english=False):
        if english:
            body = "Title: %s\nDescription: Open data on incidents in SMEs.\nPurpose: %s\n" % (title, purposes)
            if partners:
                body += "Partners:\n" + "".join("- %s\n" % p for p in partners)
            return self.send(sender, "INITIATIVE", body, addr)
        body = "Hej\n\nTitel: %s\nBeskrivelse: Et tilbud til SMV'er i hele landet.\nFormål: %s\n" % (title, purposes)
        if partners:
            body += "Partnere:\n" + "".join("- %s\n" % p for p in partners)
        return self.send(sender, "INITIATIV", body + "\nVenlig hilsen\n", addr)

    # ------------------------------------------------------------ the test
    def test_pact_year_drafted_once_and_checked(self):
        Y = self.Y
        anne, mette, lise = "anne@di.example.test", "mette@em.example.test", "lise@ida.example.test"

        # The year before: the pact begins, the ministry declares.
        self.step(at=self.t)
        self.declare(mette, ["Alle ministeriets SMV-tilbud samles ét sted"])
        t0 = self.t

        # No draft for a year before the pact's database began: the first
        # pass is long past 01-15 of its own year.
        self.assertEqual(self.drafts(Y - 2), [])

        # Not before draft_date (01-15): nothing on 01-14 late in the evening.
        self.step(at=utc(Y, 1, 14, 22, 30))
        self.assertEqual(self.drafts(Y - 1), [])

        # A clock jump past draft_date (first pass on 01-20): the draft for
        # the year that ended goes out once; a restart that day sends none.
        self.step(at=utc(Y, 1, 20, 8))
        prev = self.drafts(Y - 1)
        self.assertEqual(len(prev), 1, self.pact.logtext()[-3000:])
        self.step(at=utc(Y, 1, 20, 8, 30))
        self.assertEqual(len(self.drafts(Y - 1)), 1)
        raw, m = prev[0]
        self.assertEqual(m["Auto-Submitted"], "auto-generated")
        self.assertEqual(m["Subject"], "Udkast til årsstatus for %d – ret det, og send det med emnet ÅRSSTATUS" % (Y - 1))
        body = text_of(m).replace("\r\n", "\n")
        self.assertIn("År: %d" % (Y - 1), body.splitlines())
        first = norm(status_field(body))
        self.assertIn("%s afgav sin erklæring den %s med disse målsætninger: - Alle ministeriets "
                      "SMV-tilbud samles ét sted" % (EM, day(t0)), first)
        self.assertIn("Der var ingen årsstatus for %d i høring." % (Y - 2), first)

        # The draft's body is a ready ÅRSSTATUS: sent back as it stands
        # (with a deadline added), it is the status for Y-1.
        form = body[body.index("År: "):body.index("Sådan sender I statussen")]
        form = form.replace("Status:\n", "Frist: %d-02-20\nStatus:\n" % Y, 1)
        sref = self.send("Erhvervsstyrelsen <%s>" % SECRETARIAT, "ÅRSSTATUS",
                         "Hej\n\n" + form + "\nVenlig hilsen\nSekretariatet\n", SECRETARIAT)
        st = self.pact.ctl("statuses")
        self.assertEqual([(s["ref"], s["year"]) for s in st], [(sref, Y - 1)])
        self.assertEqual(norm(st[0]["text"]), first)
        self.assertNotIn("Status:", st[0]["text"])
        comment = "Forummet savner tal for, hvor mange SMV'er der har gennemført et sikkerhedstjek."
        self.send("Carl Berg <%s>" % ADVISORY[0], "KOMMENTAR", "År: %d\n\n%s\n" % (Y - 1, comment), ADVISORY[0])

        # The year Y: declarations new and changed.
        self.step(at=utc(Y, 2, 1))
        self.declare(mette, ["Et samlet overblik over statens SMV-tilbud", "Halvårlig opfølgning i pagten"])
        t_em = self.t
        self.declare(anne, ["Sikkerhedstjek for 500 medlemsvirksomheder"])
        t_di = self.t

        # Admissions: two approved, one rejected.
        yes = [mette, anne, "jens@danskerhverv.example.test", "sofie@itb.example.test",
               "peter@industriensfond.example.test", "pia@smvdanmark.example.test"]
        self.step(at=utc(Y, 2, 10))
        alfa = self.nominate("Alfa Sikkerhed ApS", "Karen Madsen <%s>" % KAREN, CVR)
        self.assertEqual(self.vote_all(alfa, yes, "Ja")["state"], "approved")
        t_alfa = self.t
        beta = self.nominate("Beta Data A/S", "Nina Holm <%s>" % NINA, make_cvr(41))
        self.assertEqual(self.vote_all(beta, yes, "Ja")["state"], "approved")
        gamma = self.nominate("Gamma IT ApS", OLGA, make_cvr(42))
        b = self.vote_all(gamma, yes[:5], "Nej")
        self.assertEqual((b["state"], b["yes"], b["no"]), ("rejected", 0, 5))

        # The consultation on Y-1's status closes with the comment.
        self.step(at=utc(Y, 2, 21))
        self.assertIsNotNone(self.pact.ctl("statuses")[0]["published"])

        # Initiatives under each purpose, from parties and an associate.
        self.step(at=utc(Y, 3, 1))
        self.initiative(who(anne), anne, "Sikkerhedstjek på tour", "1", ["IDA"])
        self.initiative(who(lise), lise, "National incident picture", "2", english=True)
        self.initiative("Karen Madsen <%s>" % KAREN, KAREN, "Fælles beredskab for SMV'er", "1, 3", ["DI", "HK"])

        # Two meetings, answered; a third cancelled, which is no meeting held.
        self.step(at=utc(Y, 3, 5))
        m1 = self.call_meeting("Forårsmøde", "%d-04-10 10:00" % Y, "Børsen, København")
        m2 = self.call_meeting("Efterårsmøde", "%d-09-15 14:00" % Y, "Aarhus")
        m3 = self.call_meeting("Ekstra møde", "%d-10-01 10:00" % Y, "Odense")
        self.rsvp(m1, {anne: "Ja", KAREN: "Ja", mette: "Nej", "sofie@itb.example.test": "Måske"})
        self.rsvp(m2, {lise: "Yes", "jens@danskerhverv.example.test": "Ja"})
        self.send("Erhvervsstyrelsen <%s>" % SECRETARIAT, "MØDE AFLYS %s" % m3, "Hej\n\nAflyst.\n", SECRETARIAT)

        # An associate leaves.
        self.step(at=utc(Y, 6, 1))
        self.send("Nina Holm <%s>" % NINA, "UDMELDELSE", "Hej\n\nVi melder os ud.\n", NINA)
        t_beta = self.t
        self.step(at=utc(Y, 10, 2))
        no_answer, invited = {}, {}
        for ref in (m1, m2):
            att = self.pact.ctl("meeting", ref)["attendees"]
            no_answer[ref] = len([a for a in att if a["partstat"] == "NEEDS-ACTION"])
            invited[ref] = len(att)

        # Not before draft_date; then once on the day, not again after a
        # restart that day nor after a jump past it.
        self.step(at=utc(Y + 1, 1, 14, 22, 30))
        self.assertEqual(self.drafts(Y), [])
        # On the day the daemon runs (pactd -f), is stopped and started
        # again; the second one has done a whole pass once it answered.
        self.t = utc(Y + 1, 1, 15, 9)
        self.pact.start(now=iso(self.t))
        deadline = time.time() + 30
        while not self.drafts(Y, settle=False) and time.time() < deadline:
            time.sleep(0.2)
        self.assertEqual(self.pact.stop(), 0)
        got = self.drafts(Y)
        self.assertEqual(len(got), 1, self.pact.logtext()[-3000:])
        self.t = utc(Y + 1, 1, 15, 14)
        self.pact.start(now=iso(self.t))
        raw, mid = make_mail(who(anne), "OVERBLIK", "Hej\n")
        self.sb.send(raw, anne, [PACT])
        self.assertEqual(len(replies_to(anne, mid, timeout=30)), 1, self.pact.logtext()[-3000:])
        self.assertEqual(self.pact.stop(), 0)
        self.assertEqual(len(self.drafts(Y)), 1)
        self.step(at=utc(Y + 1, 3, 1))
        self.assertEqual(len(self.drafts(Y)), 1)
        self.assertEqual(len(self.drafts(Y - 1, settle=False)), 1)
        raw, m = got[0]
        self.assertEqual(m["To"].addresses[0].addr_spec, SECRETARIAT)
        body = text_of(m).replace("\r\n", "\n")
        self.assertIn("År: %d" % Y, body.splitlines())
        self.assertIn("ÅRSSTATUS", body)
        self.assertIn(PACT, body)
        self.assertNotRegex(status_field(body), r"[\w.+-]+@[\w-]+\.example\.test")
        s = norm(status_field(body))

        # 1. declarations: EM's changed one with its new objectives, DI's new
        decl = section(s, "1. Parternes erklæringer", "2. Associerede medlemmer")
        self.assertIn("%s ændrede sin erklæring (version 2) den %s med disse målsætninger: "
                      "- Et samlet overblik over statens SMV-tilbud - Halvårlig opfølgning i pagten"
                      % (EM, day(t_em)), decl)
        self.assertNotIn("Alle ministeriets SMV-tilbud", decl)
        self.assertIn("%s afgav sin erklæring den %s med disse målsætninger: "
                      "- Sikkerhedstjek for 500 medlemsvirksomheder" % (DI, day(t_di)), decl)
        self.assertLess(decl.index(EM), decl.index(DI))   # the roster's order

        # 2. associates admitted (with their promised initiatives), withdrawn
        assoc = section(s, "2. Associerede medlemmer", "3. Initiativer")
        self.assertIn("Alfa Sikkerhed ApS blev optaget som associeret medlem den %s efter indstilling fra %s. "
                      "Alfa Sikkerhed ApS har forpligtet sig til disse initiativer: "
                      "- Gratis sikkerhedstjek for 100 SMV'er - Webinarer om phishing" % (day(t_alfa), DI), assoc)
        self.assertIn("Beta Data A/S blev optaget", assoc)
        self.assertNotIn("Gamma", assoc)
        self.assertIn("Beta Data A/S meldte sig ud af pagten den %s." % day(t_beta), assoc)

        # 3. initiatives by purpose, with owners and partners
        ini = section(s, "3. Initiativer", "4. Afstemninger")
        self.assertIn("Der blev anmeldt 3 nye initiativer i %d." % Y, ini)
        p1 = section(ini, "Formål 1,", "Formål 2,")
        p2 = section(ini, "Formål 2,", "Formål 3,")
        p3 = section(ini, "Formål 3,", None)
        self.assertIn("- Sikkerhedstjek på tour (%s, med IDA)" % DI, p1)
        self.assertIn("- Fælles beredskab for SMV'er (Alfa Sikkerhed ApS, med DI, HK)", p1)
        self.assertNotIn("National incident picture", p1)
        self.assertIn("- National incident picture (IDA)", p2)
        self.assertEqual(p2.count("- "), 1, p2)
        self.assertIn("- Fælles beredskab for SMV'er (Alfa Sikkerhed ApS, med DI, HK)", p3)
        self.assertEqual(p3.count("- "), 1, p3)

        # 4. ballots and outcomes
        bal = section(s, "4. Afstemninger", "5. Møder")
        self.assertIn("- Alfa Sikkerhed ApS, indstillet af %s: godkendt (6 for, 0 imod, 0 undlod at stemme)" % DI, bal)
        self.assertIn("- Beta Data A/S, indstillet af %s: godkendt (6 for, 0 imod, 0 undlod at stemme)" % DI, bal)
        self.assertIn("- Gamma IT ApS, indstillet af %s: afvist (0 for, 5 imod, 0 undlod at stemme)" % DI, bal)

        # 5. meetings held, with attendance from the RSVPs; not the cancelled one
        mtg = section(s, "5. Møder", "6. Høringen")
        self.assertIn("Forårsmøde, 10.4.%d kl. 10.00, Børsen, København." % Y, mtg)
        spring = section(mtg, "Forårsmøde", "Efterårsmøde")
        self.assertIn("- Deltog: %s, Alfa Sikkerhed ApS." % DI, spring)
        self.assertIn("- Meldte afbud: %s." % EM, spring)
        self.assertIn("- Svarede måske: IT-Branchen.", spring)
        self.assertIn("- Svarede ikke: %d af %d indbudte." % (no_answer[m1], invited[m1]), spring)
        autumn = section(mtg, "Efterårsmøde", None)
        self.assertIn("Efterårsmøde, 15.9.%d kl. 14.00, Aarhus." % Y, autumn)
        self.assertIn("- Deltog: Dansk Erhverv, IDA.", autumn)
        self.assertNotIn("afbud", autumn)
        self.assertIn("- Svarede ikke: %d af %d indbudte." % (no_answer[m2], invited[m2]), autumn)
        self.assertNotIn("Ekstra møde", mtg)

        # 6. last year's consultation with the advisory board's comment
        con = section(s, "6. Høringen", None)
        self.assertIn("Årsstatus for %d (%s) blev sendt i høring hos advisory boardet" % (Y - 1, sref), con)
        self.assertIn("med frist den 20.2.%d." % Y, con)
        self.assertIn("Advisory boardets kommentarer (1): - Carl Berg: %s" % comment, con)

        # pactctl draft-status Y prints that mail's text; --json the record
        plain = self.ctl("draft-status", str(Y), json_out=False).stdout
        self.assertEqual([ln.rstrip() for ln in plain.splitlines()[2:]],
                         [ln.rstrip() for ln in body.splitlines()])
        j = self.ctl("draft-status", str(Y))
        self.assertEqual(j["year"], Y)
        self.assertEqual(j["language"], "da")
        self.assertEqual(j["subject"], m["Subject"])
        self.assertEqual([ln.rstrip() for ln in j["text"].splitlines()], [ln.rstrip() for ln in body.splitlines()])
        self.assertEqual([(d["party"], d["state"], d["version"], d["objectives"]) for d in j["declarations"]],
                         [(EM, "changed", 2, ["Et samlet overblik over statens SMV-tilbud",
                                              "Halvårlig opfølgning i pagten"]),
                          (DI, "new", 1, ["Sikkerhedstjek for 500 medlemsvirksomheder"])])
        self.assertEqual([(a["organisation"], a["nominated_by"], a["initiatives"]) for a in j["associates_admitted"]],
                         [("Alfa Sikkerhed ApS", DI, ["Gratis sikkerhedstjek for 100 SMV'er", "Webinarer om phishing"]),
                          ("Beta Data A/S", DI, ["Gratis sikkerhedstjek for 100 SMV'er", "Webinarer om phishing"])])
        self.assertEqual([a["organisation"] for a in j["associates_withdrawn"]], ["Beta Data A/S"])
        by = {p["purpose"]: [(i["title"], i["by"], i["partners"]) for i in p["initiatives"]]
              for p in j["initiatives_by_purpose"]}
        self.assertEqual(by, {
            1: [("Sikkerhedstjek på tour", DI, ["IDA"]), ("Fælles beredskab for SMV'er", "Alfa Sikkerhed ApS", ["DI", "HK"])],
            2: [("National incident picture", "IDA", [])],
            3: [("Fælles beredskab for SMV'er", "Alfa Sikkerhed ApS", ["DI", "HK"])]})
        self.assertEqual([(b["ref"], b["organisation"], b["state"], b["yes"], b["no"], b["abstain"]) for b in j["ballots"]],
                         [(alfa, "Alfa Sikkerhed ApS", "approved", 6, 0, 0), (beta, "Beta Data A/S", "approved", 6, 0, 0),
                          (gamma, "Gamma IT ApS", "rejected", 0, 5, 0)])
        self.assertEqual([(x["ref"], x["attendance"]) for x in j["meetings"]], [
            (m1, {"accepted": [DI, "Alfa Sikkerhed ApS"], "declined": [EM], "tentative": ["IT-Branchen"],
                  "invited": invited[m1], "no_answer": no_answer[m1]}),
            (m2, {"accepted": ["Dansk Erhverv", "IDA"], "declined": [], "tentative": [],
                  "invited": invited[m2], "no_answer": no_answer[m2]})])
        c = j["consultation"]
        self.assertEqual((c["ref"], c["year"], c["comments"]), (sref, Y - 1, [{"by": "Carl Berg", "text": comment}]))

        # a year with no record says so plainly; a bad year is a usage error
        empty = self.ctl("draft-status", str(Y + 5))
        self.assertEqual((empty["declarations"], empty["ballots"], empty["meetings"], empty["consultation"]),
                         ([], [], [], None))
        self.assertIn("Der blev ikke anmeldt nye initiativer i %d." % (Y + 5), norm(empty["text"]))
        p = self.ctl("draft-status", "next", json_out=False, check=False)
        self.assertEqual(p.returncode, 64, p.stderr)

    def test_english_draft_late_in_the_year_and_a_bad_draft_date(self):
        """draft_date in the second half of the year drafts the year about
        to end; the secretariat's language decides the draft's."""
        self.pact.cleanup()
        self.pact = make_pact({("pact", "default_language"): "en", ("status", "draft_date"): "12-20"})
        y = self.t.year
        self.step(at=self.t)
        self.declare("lise@ida.example.test", ["Security training for members"])
        t_decl = self.t
        self.step(at=utc(y, 12, 19, 22, 30))
        self.assertEqual(self.drafts(y, english=True), [])
        self.step(at=utc(y, 12, 20, 9))
        self.step(at=utc(y, 12, 20, 9, 30))
        got = self.drafts(y, english=True)
        self.assertEqual(len(got), 1, self.pact.logtext()[-3000:])
        m = got[0][1]
        self.assertEqual(m["Subject"], "Draft annual status for %d – edit it and send it as ANNUAL STATUS" % y)
        body = text_of(m).replace("\r\n", "\n")
        self.assertIn("Year: %d" % y, body.splitlines())
        self.assertIn("ANNUAL STATUS", body)
        s = norm(status_field(body))
        self.assertIn("IDA made its declaration on %s with these objectives: - Security training for members"
                      % "%d %s %d" % (t_decl.astimezone(ZONE).day, MONTHS[t_decl.astimezone(ZONE).month - 1], y), s)
        self.assertIn("No new associate members were admitted in %d." % y, s)
        self.assertIn("No new initiatives were announced in %d." % y, s)
        self.assertIn("There were no ballots in %d." % y, s)
        self.assertIn("The pact held no meetings in %d." % y, s)
        self.assertIn("No annual status for %d was in consultation." % (y - 1), s)
        self.assertNotIn("characters long", body)
        self.assertLessEqual(self.ctl("draft-status", str(y))["characters"], 4000)

        # a year too long for the status field (SPEC section 3: 4 000
        # characters) says so, and by how much
        many = ["Målsætning %02d: %s" % (i, "sikkerhedstjek og rådgivning for små virksomheder " * 2)
                for i in range(50)]
        self.declare("anne@di.example.test", many)
        j = self.ctl("draft-status", str(y))
        self.assertGreater(j["characters"], 4000)
        self.assertIn("Please note that the draft is %d characters long, but an annual status in the mail "
                      "itself may hold at most 4000 characters." % j["characters"], norm(j["text"]))

        # a draft_date that no year has is refused at start, naming the key
        bad = os.path.join(self.pact.dir, "bad.conf")
        with open(self.pact.conf) as f, open(bad, "w") as g:
            g.write(f.read().replace("draft_date = 12-20", "draft_date = 02-30"))
        p = subprocess.run([os.path.join(BUILD, "pactd"), "-c", bad, "--check-config"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 78, p.stderr)
        self.assertIn("draft_date", p.stderr)
        self.assertIn("02-30", p.stderr)


if __name__ == "__main__":
    unittest.main()

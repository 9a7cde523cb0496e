"""The limits of SPEC section 3 and a page that cannot be frozen (section
10; issue 12, defect 4), against the sandbox's real Dovecot and OpenSMTPD.

Giant fields of every kind that has fields are refused with a reply, read
from the sender's own mailbox, that names the field as written and its
limit, in the sender's language; nothing is stored. A giant row put
straight into the database (as one from before the limits) neither stops
a later accepted initiative from reaching all three files nor reaches them
unclipped. A file that cannot be written does not stop the other two and
is written at the next pass. After every pass the three files are new."""

import datetime
import email.policy
import email.utils
import json
import os
import re
import shutil
import sqlite3
import unittest
import uuid
import xml.etree.ElementTree as ET
from email.message import EmailMessage

from pactlib import PACT, Pact, clear_mailbox, parse, replies_to, sandbox, text_of

FILES = ("index.html", "pact.json", "feed.atom")
METTE = "mette@em.example.test"  # EM, Danish
ANNE = "anne@di.example.test"  # DI, lang = da
SOFIE = "sofie@itb.example.test"  # ITB
LISE = "lise@ida.example.test"  # IDA, lang = en
CARL = "carl@vfds.example.test"  # advisory board
SECRETARIAT = "sekretariat@erst.example.test"
PEOPLE = [METTE, ANNE, SOFIE, LISE, CARL, SECRETARIAT]
ELLIPSIS = "\u2026"
PAGE_FAILURE = re.compile(r"page: (?:index\.html|pact\.json|feed\.atom|database): .*")


def iso(t):
    return t.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def base_time():
    """1 Dec 2026 09:00 UTC, or tomorrow 09:00 when the real date is later."""
    base = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.timezone.utc)
    tomorrow = datetime.datetime.now(datetime.timezone.utc).replace(
        hour=9, minute=0, second=0, microsecond=0) + datetime.timedelta(days=1)
    return max(base, tomorrow)


def mail(sender, subject, body):
    """A UTF-8 mail in base64, as clients send long text: a field can be
    one line of any length."""
    m = EmailMessage(policy=email.policy.SMTP)
    mid = "%s@client.example.test" % uuid.uuid4().hex
    m["From"] = sender
    m["To"] = PACT
    m["Subject"] = subject
    m["Date"] = email.utils.formatdate()
    m["Message-ID"] = "<%s>" % mid
    m.set_content(body, cte="base64")
    return m.as_bytes(), mid


def bullets(items):
    return "\n".join("- %s" % i for i in items)


class Limits(unittest.TestCase):
    """One pactd, one scripted sequence; the tests look at what it left."""

    @classmethod
    def setUpClass(cls):
        cls.sb = sandbox()
        cls.pact = Pact()
        cls.out = os.path.join(cls.pact.dir, "public")
        for addr in PEOPLE:
            clear_mailbox(addr)
        cls.t = base_time()
        cls.dialogue = (cls.t - datetime.timedelta(days=10)).strftime("%Y-%m-%d")
        rc, err = cls.pact.once(now=iso(cls.t))  # the database and the page
        if rc != 0:
            cls.pact.cleanup()
            raise AssertionError("pactd --once: %d\n%s" % (rc, err[-3000:]))

    @classmethod
    def tearDownClass(cls):
        cls.pact.cleanup()

    # -- helpers
    def step(self):
        """One pass a minute later, after which all three files are new."""
        before = self.stamps()
        type(self).t += datetime.timedelta(minutes=1)
        rc, err = self.pact.once(now=iso(self.t))
        self.assertEqual(rc, 0, err[-3000:])
        self.assertEqual(PAGE_FAILURE.findall(err), [])
        self.assert_page_fresh(before)
        return err

    def stamps(self):
        out = {}
        for f in FILES:
            try:
                st = os.stat(os.path.join(self.out, f))
                out[f] = (st.st_ino, st.st_mtime_ns)
            except FileNotFoundError:
                out[f] = None
        return out

    def assert_page_fresh(self, before):
        after = self.stamps()
        for f in FILES:
            self.assertNotEqual(after[f], before[f], "%s was not written" % f)
        files = self.files()
        self.assert_generated(files["pact.json"])
        ET.fromstring(files["feed.atom"].encode("utf-8"))  # well-formed
        for name, text in files.items():
            self.assertLess(len(text.encode("utf-8")), 2 * 1024 * 1024, name)

    def assert_generated(self, text):
        """pact.json says it was made in this pass (PACTD_NOW runs on)."""
        gen = datetime.datetime.strptime(json.loads(text)["generated"], "%Y-%m-%dT%H:%M:%SZ")
        gen = gen.replace(tzinfo=datetime.timezone.utc)
        self.assertTrue(self.t <= gen < self.t + datetime.timedelta(seconds=50), (gen, self.t))

    def files(self):
        out = {}
        for f in FILES:
            with open(os.path.join(self.out, f), encoding="utf-8") as fh:
                out[f] = fh.read()
        return out

    def send(self, sender, subject, body):
        raw, mid = mail(sender, subject, body)
        self.sb.send(raw, sender, [PACT])
        self.sb.wait_messages(PACT, 1)
        return mid

    def reply(self, sender, mid):
        got = replies_to(sender, mid, timeout=30)
        self.assertEqual(len(got), 1, "%s: no reply to %s\n%s" % (sender, mid, self.pact.logtext()[-2000:]))
        return got[0]

    def counts(self):
        return {what: len(self.pact.ctl(what)) for what in
                ("declarations", "initiatives", "ballots", "meetings", "statuses", "members")}

    def refused(self, sender, subject, body, *problems):
        """Send a mail, run a pass; the sender's reply lists every problem,
        nothing is stored, and the mail lies in pactd/Rejected."""
        before = self.counts()
        mid = self.send(sender, subject, body)
        self.step()
        m = self.reply(sender, mid)
        text = text_of(m)
        for p in problems:
            self.assertIn(p, text)
        self.assertEqual(self.counts(), before)
        rejected = [parse(r)["Message-ID"] for r in self.sb.messages(PACT, "pactd/Rejected")]
        self.assertIn("<%s>" % mid, rejected)
        return text

    # -- the giant fields, kind by kind, in the order the script runs them
    def test_1_declaration_text_counts_characters_not_bytes(self):
        """4000 æ (8000 bytes) is within Motivation; 4001 is one over."""
        objs = bullets(["Et mål"])
        self.refused(METTE, "ERKLÆRING", "Hej\n\nMotivation: %s\nMålsætninger:\n%s\n" % ("æ" * 4001, objs),
                     "Motivation: højst 4000 tegn (din tekst har 4001)")
        mid = self.send(METTE, "ERKLÆRING", "Motivation: %s\nMålsætninger:\n%s\n" % ("æ" * 4000, objs))
        self.step()
        self.assertIn("PAGT-", self.reply(METTE, mid)["Subject"])
        self.assertEqual(len(self.pact.ctl("declarations")), 1)

    def test_2_declaration_list_in_english(self):
        text = self.refused(LISE, "DECLARATION", "Motivation: Short.\nObjectives:\n%s\n"
                            % bullets("Goal %d" % i for i in range(51)),
                            "Objectives: at most 50 items (yours has 51)")
        self.assertNotIn("højst", text)

    def test_3_nomination_other_problems_still_listed(self):
        body = ("Organisation: %s\nType: virksomhed\nCVR: 12345678\nKontakt: Karen <karen@sikkersmv.example.test>\n"
                "Dialog: %s\nPrincipper: ja\nInitiativer:\n- Tjek\n- %s\nSammenhæng: Formål 1.\n"
                % ("O" * 201, self.dialogue, "å" * 301))
        self.refused(ANNE, "INDSTILLING", body,
                     "Organisation: højst 200 tegn (din tekst har 201)",
                     "Initiativer, punkt 2: højst 300 tegn (punktet har 301)",
                     "CVR-nummeret \"12345678\" er ikke gyldigt")

    def test_4_initiative_of_four_megabytes(self):
        """The defect as found: a 4 MB description, refused with its size."""
        body = "Title: Big\nDescription: %s\nPurpose: 1\n" % ("x" * 4000123)
        self.refused(SOFIE, "INITIATIVE", body, "Description: at most 4000 characters (yours has 4,000,123)")

    def test_5_initiative_names_the_field_as_written(self):
        body = "TITEL: %s\nbeskrivelse: Kort.\nFormål: 2\nPartnere:\n%s\n" % (
            "T" * 201, bullets("Partner %d" % i for i in range(60)))
        self.refused(SOFIE, "INITIATIV", body, "TITEL: højst 200 tegn (din tekst har 201)",
                     "Partnere: højst 50 punkter (din liste har 60)")

    def test_6_status_text(self):
        self.refused(SECRETARIAT, "ÅRSSTATUS", "År: 2026\nStatus: %s\n" % ("ø" * 4001),
                     "Status: højst 4000 tegn (din tekst har 4001)")

    def test_7_meeting_title_location_agenda(self):
        body = "Titel: %s\nStart: 2027-06-10 10:00\nSted: %s\nDagsorden:\n%s\n" % (
            "M" * 201, "S" * 4001, bullets("Punkt %d" % i for i in range(51)))
        self.refused(SECRETARIAT, "MØDE", body, "Titel: højst 200 tegn (din tekst har 201)",
                     "Sted: højst 4000 tegn (din tekst har 4001)",
                     "Dagsorden: højst 50 punkter (din liste har 51)")

    def test_8_withdrawal_organisation(self):
        self.refused(SECRETARIAT, "WITHDRAWAL", "Organization: %s\n" % ("A" * 201),
                     "Organization: at most 200 characters (yours has 201)",
                     "is not an active associate member")

    def test_9_comment_text(self):
        """A comment's text is its whole new text: 4001 characters are one
        too many; once within, it counts."""
        mid = self.send(SECRETARIAT, "ÅRSSTATUS", "År: 2026\nStatus: Et kort år.\n")
        self.step()
        self.assertIn("PAGT-", self.reply(SECRETARIAT, mid)["Subject"])
        before = self.pact.ctl("statuses")
        self.refused(CARL, "KOMMENTAR", "år: 2026\n\n%s\n" % ("k" * 4001),
                     "Kommentaren: højst 4000 tegn (din tekst har 4001)")
        self.assertEqual(self.pact.ctl("statuses"), before)
        mid = self.send(CARL, "KOMMENTAR", "år: 2026\n\n%s\n" % ("k" * 4000))
        self.step()
        self.assertIn("PAGT-", self.reply(CARL, mid)["Subject"])

    # -- rows from before the limits, and a file that cannot be written
    def test_a_giant_row_is_clipped_and_the_page_goes_on(self):
        db = sqlite3.connect(self.pact.db)
        giant = 'Sikkerhed & "tillid" <b> ' * 170000  # 4.25 MB, 6 times that escaped
        now = int(self.t.timestamp())
        with db:
            db.execute("INSERT INTO initiatives(ref, title, description, purposes, partners, link, by_party, "
                       "by_name, sender, submitted) VALUES('PAGT-2026-0900', ?, ?, '1,2,3', ?, NULL, 'ITB', "
                       "'IT-Branchen', ?, ?)",
                       ("Kæmpe " * 100000, giant, "\n".join(["p" * 5000] * 500), SOFIE, now))
            db.execute("INSERT INTO declarations(ref, party, version, motivation, objectives, contribution, "
                       "sender, submitted) VALUES('PAGT-2026-0901', 'EM', 99, ?, ?, ?, ?, ?)",
                       (giant, "\n".join(["o" * 400] * 80), giant, METTE, now))
            db.execute("UPDATE statuses SET text = ? WHERE year = 2026", (giant,))
            db.execute("INSERT INTO meetings(ref, uid, title, start, end, location, agenda, created) "
                       "VALUES('PAGT-2026-0902', 'giant@test', ?, ?, ?, ?, NULL, ?)",
                       ("Møde " * 100000, now + 86400 * 30, now + 86400 * 30 + 3600, giant, now))
        db.close()
        mid = self.send(SOFIE, "INITIATIV", "Titel: Efter kæmpen\nBeskrivelse: Kort og godt.\nFormål: 2\n")
        self.step()
        self.assertIn("PAGT-", self.reply(SOFIE, mid)["Subject"])
        files = self.files()
        for name, text in files.items():
            self.assertIn("Efter kæmpen", text, name)
        js = json.loads(files["pact.json"])
        big = [i for i in js["initiatives"] if i["ref"] == "PAGT-2026-0900"][0]
        self.assertEqual(len(big["description"]), 4000)
        self.assertTrue(big["description"].endswith(ELLIPSIS))
        self.assertEqual(len(big["title"]), 200)
        self.assertEqual(len(big["partners"]), 50)
        self.assertTrue(all(len(p) == 300 and p.endswith(ELLIPSIS) for p in big["partners"]))
        em = [p for p in js["parties"] if p["id"] == "EM"][0]["declaration"]
        self.assertEqual(em["version"], 99)
        self.assertEqual((len(em["motivation"]), len(em["contribution"])), (4000, 4000))
        self.assertEqual(len(em["objectives"]), 50)
        self.assertTrue(all(len(o) == 300 for o in em["objectives"]))
        self.assertEqual(len(js["statuses"][0]["text"]), 4000)
        mt = [m for m in js["meetings"] if m["ref"] == "PAGT-2026-0902"][0]
        self.assertEqual((len(mt["title"]), len(mt["location"])), (200, 4000))
        self.assertIn("Kæmpe Kæmpe", files["index.html"])
        self.assertNotIn("Kæmpe " * 201, files["index.html"])
        entry = [t for t in re.findall(r"<title>(.*?)</title>", files["feed.atom"]) if "Kæmpe" in t]
        self.assertFalse(entry)  # no audit event for a row put in by hand

    def test_b_a_file_that_fails_stops_neither_the_others_nor_itself(self):
        index = os.path.join(self.out, "index.html")
        os.remove(index)
        os.mkdir(index)  # a rename onto a directory fails
        os.mkdir(os.path.join(index, "x"))
        mid = self.send(SOFIE, "INITIATIV", "Titel: Mens siden fejler\nBeskrivelse: Kort.\nFormål: 3\n")
        type(self).t += datetime.timedelta(minutes=1)
        rc, err = self.pact.once(now=iso(self.t))
        self.assertEqual(rc, 0, err[-3000:])
        self.assertIn("PAGT-", self.reply(SOFIE, mid)["Subject"])
        with open(os.path.join(self.out, "pact.json"), encoding="utf-8") as f:
            text = f.read()
        self.assert_generated(text)
        js = json.loads(text)
        self.assertIn("Mens siden fejler", [i["title"] for i in js["initiatives"]])
        with open(os.path.join(self.out, "feed.atom"), encoding="utf-8") as f:
            self.assertIn("Mens siden fejler", f.read())
        failures = PAGE_FAILURE.findall(err)
        self.assertEqual(len(failures), 1, err[-3000:])
        self.assertTrue(failures[0].startswith("page: index.html: "), failures)
        # nothing new, but index.html is written at the next pass
        shutil.rmtree(index)
        err = self.step()
        self.assertIn("Mens siden fejler", self.files()["index.html"])
        self.assertIn("page: rendered", err)

    def test_c_many_rows_within_the_limits_do_not_freeze_the_page(self):
        """1100 initiatives under all three purposes, each at its limits
        and written to be escaped: index.html shows 1000 a purpose and
        says how many more; pact.json has every one."""
        db = sqlite3.connect(self.pact.db)
        desc = '"' * 4000
        rows = [("PAGT-2026-%04d" % (2000 + i), "&" * 200, desc, "1,2,3", "\n".join(["'" * 300] * 50),
                 "IT-Branchen", SOFIE, int(self.t.timestamp())) for i in range(1100)]
        with db:
            db.executemany("INSERT INTO initiatives(ref, title, description, purposes, partners, by_party, "
                           "by_name, sender, submitted) VALUES(?, ?, ?, ?, ?, 'ITB', ?, ?, ?)", rows)
        db.close()
        mid = self.send(SOFIE, "INITIATIV", "Titel: Efter de mange\nBeskrivelse: Kort.\nFormål: 1\n")
        before = self.stamps()
        type(self).t += datetime.timedelta(minutes=1)
        rc, err = self.pact.once(now=iso(self.t))
        self.assertEqual(rc, 0, err[-3000:])
        self.assertEqual(PAGE_FAILURE.findall(err), [])
        self.assertIn("PAGT-", self.reply(SOFIE, mid)["Subject"])
        after = self.stamps()
        for f in FILES:
            self.assertNotEqual(after[f], before[f], "%s was not written" % f)
        files = self.files()
        self.assertIn("initiativer mere under dette formål", files["index.html"])
        self.assertLess(len(files["index.html"].encode("utf-8")), 16 * 1024 * 1024)
        js = json.loads(files["pact.json"])
        self.assertIn("Efter de mange", [i["title"] for i in js["initiatives"]])
        self.assertGreaterEqual(len(js["initiatives"]), 1100)

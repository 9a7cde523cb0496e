"""The public page, the audit log and the operator's pactctl (SPEC sections
9 and 10; issue 5), after a pact year scripted through the sandbox's real
Dovecot and OpenSMTPD: declarations, an admission, a rejected nomination,
initiatives, an annual status with the advisory board's comments, a meeting.

The assertions are on what people see: the three files in output_dir as a
visitor gets them (index.html in Debian's headless Chromium with axe-core,
feed.atom through python3-feedparser, pact.json through json), and what
pactctl --json answers an operator. The year is scripted once (setUpClass);
the tests that change the database work on copies of it, each with a config
of its own that points `[pact] database` at the copy.

Needs tests/sandbox/page_deps.sh (Debian's chromium, Node.js, npm ci in
tests/page, python3-feedparser, sqlite3)."""

import datetime
import email.utils
import glob
import html as htmlmod
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest
import xml.etree.ElementTree as ET

import clients
from pactlib import (BUILD, PACT, TOP, Pact, clear_mailbox, make_mail, parse,
                     replies_to, sandbox, text_of)

try:
    import feedparser
except ImportError:  # reported by the test that needs it
    feedparser = None

PAGE_DIR = os.path.join(TOP, "tests", "page")
ARTEFACTS = os.path.join(TOP, "tests", "artefacts")
SCREENSHOT = os.path.join(ARTEFACTS, "page.png")
LOGS = os.path.join(tempfile.gettempdir(), "pactd-page-logs")
FILES = ("index.html", "pact.json", "feed.atom")

# config/roster.conf
PARTIES = {
    "EM": ("Erhvervsministeriet", ["mette@em.example.test"]),
    "DI": ("DI – Dansk Industri", ["anne@di.example.test", "bo@di.example.test"]),
    "DE": ("Dansk Erhverv", ["jens@danskerhverv.example.test"]),
    "ITB": ("IT-Branchen", ["sofie@itb.example.test"]),
    "IF": ("Industriens Fond", ["peter@industriensfond.example.test"]),
    "SMVDK": ("SMV-Danmark", ["pia@smvdanmark.example.test"]),
    "IDA": ("IDA", ["lise@ida.example.test"]),
    "FD": ("Finans Danmark", ["eva@finansdanmark.example.test"]),
    "HK": ("HK", ["mads@hk.example.test"]),
    "FP": ("Forsikring & Pension", ["ole@forsikringogpension.example.test"]),
}
DELEGATES = [a for _, addrs in PARTIES.values() for a in addrs]
PARTY_OF = {a: p for p, (_, addrs) in PARTIES.items() for a in addrs}
NAMES = {
    "mette@em.example.test": "Mette Lund", "anne@di.example.test": "Anne Holm",
    "jens@danskerhverv.example.test": "Jens Kjær", "sofie@itb.example.test": "Sofie Dahl",
    "peter@industriensfond.example.test": "Peter Friis", "pia@smvdanmark.example.test": "Pia Skov",
    "lise@ida.example.test": "Lise Berg", "eva@finansdanmark.example.test": "Eva Nørgaard",
    "mads@hk.example.test": "Mads Holt", "ole@forsikringogpension.example.test": "Ole Bach",
    "carl@vfds.example.test": "Carl Berg",
}
CARL, DORTE = ADVISORY = ["carl@vfds.example.test", "dorte@vfds.example.test"]
SECRETARIAT = "sekretariat@erst.example.test"

# the associate-to-be and the nominee that is rejected
KAREN = "karen@sikkersmv.example.test"
KAREN_NAME = "Karen Sikker"
ORG = "Sikker SMV ApS"
CVR = "10150817"
ROLF = "rolf@skyggeraad.example.test"
ROLF_NAME = "Rolf Skygge"
REJECTED_ORG = "Skyggerådgivning ApS"
REJECTED_CVR = "25313763"
PEOPLE = DELEGATES + ADVISORY + [SECRETARIAT, KAREN, ROLF]

# what the parties write
DECL = {
    "EM": ("Staten vil gå foran med et sikkert digitalt erhvervsliv.",
           ["Et nationalt overblik over SMV'ernes sikkerhed i 2027", "Fælles vejledning på virk.dk"],
           "Sekretariatsbetjening"),
    "DI": ("Vores medlemmer efterspørger konkret hjælp til cybersikkerhed.",
           ["Alle medlemsvirksomheder tilbydes et sikkerhedstjek inden 2027",
            "500 SMV'er gennemfører et awareness-forløb"],
           "Rådgivning og netværk"),
    "FP": ("Forsikringsbranchen ser skaderne først og vil forebygge dem.",
           ["Skadesdata deles anonymiseret med pagten"], None),
}
EM_V1_MOTIVATION = "Ministeriet ønsker en tryg digital omstilling (første udkast)."
IDA_DECL = ("IDA's members build and defend the systems SMEs rely on.",
            ["Free security clinics for 200 SMEs", "A mentoring scheme for IT staff in SMEs"],
            "Volunteer engineers")
INIT_ITB = ("Sikkerhedstjek & træning for <SMV'er>",
            "Et gratis tjek af de vigtigste sikkerhedsindstillinger, fulgt op af et kort kursus.",
            "1, 3", ["Dansk Erhverv", "Industriens Fond"], "https://example.test/tjek")
INIT_KAREN = ("Phishing-værksted for mindre virksomheder",
              "Halvdagsværksteder hvor ejerledere øver sig i at genkende svindelmails.",
              "2", ["Lokale erhvervsråd"], "https://example.test/vaerksted")
STATUS_TEXT = ("Pagten har i sit første år samlet ti stiftende parter og optaget det første "
               "associerede medlem.")
COMMENT_CARL = "Forummet hilser statussen velkommen og ønsker tal for sikkerhedstjek."
COMMENT_DORTE = "Vi anbefaler flere tilbud til de helt små virksomheder."
MEETING_TITLE = "Halvårligt pagtmøde"
MEETING_PLACE = "Erhvervsstyrelsen, Langelinie Allé 17, København Ø"

ADDRESS_RX = re.compile(r"[A-Za-z0-9._%+=-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
BALLOT_WORDS = re.compile(r"(?i)\b(afstemning\w*|ballot\w*|stemme\w*|stemte|votes?|voted|voting|"
                          r"tally|not_voted|nej-stemmer|ja-stemmer)\b")


def base_time():
    """1 Dec 2026 09:00 UTC, or tomorrow 09:00 when the real date is later."""
    base = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.timezone.utc)
    tomorrow = datetime.datetime.now(datetime.timezone.utc).replace(
        hour=9, minute=0, second=0, microsecond=0) + datetime.timedelta(days=1)
    return max(base, tomorrow)


def iso(t):
    return t.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def from_iso(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)


def who(addr):
    return "%s <%s>" % (NAMES[addr], addr) if addr in NAMES else addr


def bullets(items):
    return "\n" + "\n".join("- %s" % i for i in items)


def read_files(d):
    out = {}
    for f in FILES:
        p = os.path.join(d, f)
        with open(p, "rb") as fh:
            out[f] = fh.read().decode("utf-8")
    return out


class PactYear(unittest.TestCase):
    """One pact year, scripted once; every test looks at it or at a copy."""

    pact = None

    # ------------------------------------------------------------------ script
    @classmethod
    def setUpClass(cls):
        cls.sb = sandbox()
        cls.pact = Pact()
        # The year's mail keeps its text, for the forget tests to look at
        # (retention has its own test in test_forget.py).
        with open(cls.pact.conf, "a") as f:
            f.write("[security]\noutbox_retention_days = 36500\n\n")
        for addr in PEOPLE:
            clear_mailbox(addr)
        cls.t = base_time()
        try:
            cls.script_year()
        except BaseException:
            cls.keep_log()
            cls.pact.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.keep_log()
        if cls.pact is not None:
            cls.pact.cleanup()

    @classmethod
    def keep_log(cls):
        os.makedirs(LOGS, exist_ok=True)
        if cls.pact is not None and os.path.exists(cls.pact.logfile):
            shutil.copy(cls.pact.logfile, os.path.join(LOGS, "pactd.log"))

    @classmethod
    def step(cls, at=None, minutes=5):
        cls.t = at if at is not None else cls.t + datetime.timedelta(minutes=minutes)
        rc, err = cls.pact.once(now=iso(cls.t))
        if rc != 0:
            raise AssertionError("pactd --once at %s: %d\n%s" % (iso(cls.t), rc, err[-3000:]))
        return err

    @classmethod
    def submit(cls, *mails):
        """Deliver (raw, envelope sender, recipients) to the pact, then one pass."""
        for i, (raw, sender, rcpts) in enumerate(mails):
            cls.sb.send(raw, sender, rcpts)
            cls.sb.wait_messages(PACT, i + 1)
        return cls.step()

    @classmethod
    def mail(cls, sender, subject, body, to=PACT):
        raw, mid = make_mail(who(sender), subject, body, to=to)
        return raw, sender, [to]

    @classmethod
    def receipt_ref(cls, addr, raw):
        mid = parse(raw)["Message-ID"].strip("<>")
        got = replies_to(addr, mid)
        if len(got) != 1:
            raise AssertionError("%s: %d replies to %s\n%s" % (addr, len(got), mid, cls.pact.logtext()[-3000:]))
        m = re.search(r"\[(PAGT-\d{4}-\d{4})\]", got[0]["Subject"] or "")
        if m is None:
            raise AssertionError("%s: no reference in %r\n%s" % (addr, got[0]["Subject"], text_of(got[0])))
        return m.group(1)

    @classmethod
    def find_mail(cls, addr, pred, timeout=15):
        """The raw mail in addr's INBOX for which pred(parsed) holds."""
        deadline = time.time() + timeout
        while True:
            for raw in cls.sb.messages(addr):
                if pred(parse(raw)):
                    return raw
            if time.time() >= deadline:
                raise AssertionError("no such mail in %s's mailbox" % addr)
            time.sleep(0.1)

    @classmethod
    def answer(cls, addr, original, text):
        """addr answers `original` the way Gmail does (to its Reply-To)."""
        raw, mid = clients.reply("gmail", original, who(addr), text)
        m = parse(raw)
        rcpts = [a for _, a in email.utils.getaddresses([str(m["To"] or ""), str(m["Cc"] or "")]) if a]
        return raw, addr, rcpts or [PACT]

    @classmethod
    def ballot_mail(cls, addr, ref):
        return cls.find_mail(addr, lambda m: (m["Message-ID"] or "").startswith("<v-")
                             and ref in (m["Message-ID"] or ""))

    @classmethod
    def script_year(cls):
        pact = cls.pact
        # -- declarations: EM twice (the second is current), DI, FP, IDA in English
        em_v1 = cls.mail("mette@em.example.test", "ERKLÆRING",
                         "Hej\n\nMotivation: %s\nMålsætninger:\n- Et udkast\n\nHilsen\nMette\n" % EM_V1_MOTIVATION)
        decl = [em_v1]
        for pid in ("DI", "FP"):
            mot, objs, contrib = DECL[pid]
            body = "Hej sekretariat,\n\nMotivation: %s\nMålsætninger:%s\n" % (mot, bullets(objs))
            if contrib:
                body += "Bidrag: %s\n" % contrib
            decl.append(cls.mail(PARTIES[pid][1][0], "ERKLÆRING", body + "\nVenlig hilsen\n"))
        mot, objs, contrib = IDA_DECL
        decl.append(cls.mail("lise@ida.example.test", "DECLARATION",
                             "Dear secretariat,\n\nMotivation: %s\nObjectives:%s\nContribution: %s\n\nBest\nLise\n"
                             % (mot, bullets(objs), contrib)))
        cls.submit(*decl)
        mot, objs, contrib = DECL["EM"]
        cls.submit(cls.mail("mette@em.example.test", "ERKLÆRING",
                            "Motivation: %s\nMålsætninger:%s\nBidrag: %s\n" % (mot, bullets(objs), contrib)))

        # -- two nominations: DI's is admitted, DE's rejected
        dialogue = (cls.t - datetime.timedelta(days=20)).strftime("%Y-%m-%d")
        nom = ("Hej sekretariat,\n\nVi indstiller efter vores dialog:\n\n"
               "Organisation: %s\nType: virksomhed\nCVR: %s\nKontakt: %s <%s>\nDialog: %s\nPrincipper: ja\n"
               "Initiativer:\n- %s\n- Netværksmøder for ejerledere\n"
               "Sammenhæng: Initiativerne styrker SMV'ernes sikkerhed (formål 1 og 3).\n\nVenlig hilsen\n")
        n1 = cls.mail("anne@di.example.test", "INDSTILLING", nom % (ORG, CVR, KAREN_NAME, KAREN, dialogue,
                                                                    "Gratis sikkerhedstjek"))
        n2 = cls.mail("jens@danskerhverv.example.test", "INDSTILLING",
                      nom % (REJECTED_ORG, REJECTED_CVR, ROLF_NAME, ROLF, dialogue, "Skyggetjek"))
        cls.submit(n1, n2)
        cls.ref_admitted = cls.receipt_ref("anne@di.example.test", n1[0])
        cls.ref_rejected = cls.receipt_ref("jens@danskerhverv.example.test", n2[0])

        # -- six parties vote JA on the first, six NEJ on the second, replying
        # to their ballot mails (Gmail, to Reply-To)
        cls.tokens = set()
        yes = ["mette@em.example.test", "anne@di.example.test", "jens@danskerhverv.example.test",
               "sofie@itb.example.test", "peter@industriensfond.example.test", "pia@smvdanmark.example.test"]
        no = ["lise@ida.example.test", "eva@finansdanmark.example.test", "mads@hk.example.test",
              "ole@forsikringogpension.example.test", "mette@em.example.test", "sofie@itb.example.test"]
        votes = []
        for addr in DELEGATES:
            for ref in (cls.ref_admitted, cls.ref_rejected):
                m = parse(cls.ballot_mail(addr, ref))
                cls.tokens.add(re.search(r"\+(v-[a-z2-7]+)@", str(m["Reply-To"])).group(1))
        for addr in yes:
            votes.append(cls.answer(addr, cls.ballot_mail(addr, cls.ref_admitted), "JA"))
        for addr in no:
            votes.append(cls.answer(addr, cls.ballot_mail(addr, cls.ref_rejected), "NEJ"))
        cls.submit(*votes)
        b1, b2 = pact.ctl("ballot", cls.ref_admitted), pact.ctl("ballot", cls.ref_rejected)
        assert b1["state"] == "approved", b1
        assert b2["state"] == "rejected", b2
        cls.find_mail(KAREN, lambda m: True)  # the welcome mail

        # -- initiatives from a delegate and from the new associate
        def initiative(sender, spec):
            title, desc, purposes, partners, link = spec
            return cls.mail(sender, "INITIATIV", "Hej\n\nTitel: %s\nBeskrivelse: %s\nFormål: %s\nPartnere:%s\n"
                            "Link: %s\n\nHilsen\n" % (title, desc, purposes, bullets(partners), link))
        i1, i2 = initiative("sofie@itb.example.test", INIT_ITB), initiative(KAREN, INIT_KAREN)
        cls.submit(i1, i2)
        cls.ref_init_itb = cls.receipt_ref("sofie@itb.example.test", i1[0])
        cls.ref_init_karen = cls.receipt_ref(KAREN, i2[0])

        # -- the annual status, and the consultation of the advisory board
        st = cls.mail(SECRETARIAT, "ÅRSSTATUS", "Kære alle\n\nÅr: 2026\nStatus: %s\n\nVenlig hilsen\n"
                      "Sekretariatet\n" % STATUS_TEXT)
        cls.submit(st)
        cls.ref_status = cls.receipt_ref(SECRETARIAT, st[0])
        cons = {}
        for addr in ADVISORY:
            cons[addr] = cls.find_mail(addr, lambda m: ("[%s]" % cls.ref_status) in (m["Subject"] or ""))
            cls.tokens.add(re.search(r"\+([a-z]-[a-z2-7]+)@", str(parse(cons[addr])["Reply-To"])).group(1))
        cls.submit(cls.answer(CARL, cons[CARL], COMMENT_CARL),
                   cls.mail(DORTE, "KOMMENTAR", "År: 2026\n\n%s\n" % COMMENT_DORTE))

        # -- the next meeting
        mt = cls.mail(SECRETARIAT, "MØDE", "Titel: %s\nStart: 2027-06-10 10:00\nSted: %s\nDagsorden:\n"
                      "- Årsstatus 2026\n- Nye initiativer\n" % (MEETING_TITLE, MEETING_PLACE))
        cls.submit(mt)
        cls.ref_meeting = cls.receipt_ref(SECRETARIAT, mt[0])

        # -- the consultation is still open: what the page shows now
        cls.before = read_files(pact.dir + "/public")
        cls.status_before = pact.ctl("statuses")
        # -- past the consultation's deadline: the comments are published
        deadline = from_iso(cls.status_before[0]["deadline"])
        cls.step(at=deadline + datetime.timedelta(hours=1))
        cls.after = read_files(pact.dir + "/public")
        cls.public_listing = sorted(os.listdir(pact.dir + "/public"))
        # kept for a look after the run
        for when, files in (("before", cls.before), ("after", cls.after)):
            d = os.path.join(LOGS, "page-" + when)
            os.makedirs(d, exist_ok=True)
            for f, text in files.items():
                with open(os.path.join(d, f), "w", encoding="utf-8") as fh:
                    fh.write(text)
        cls.status_after = pact.ctl("statuses")
        # the database as the year left it, for the tests that change a copy
        cls.snapshot = os.path.join(pact.dir, "snapshot")
        os.makedirs(cls.snapshot)
        for f in glob.glob(pact.db + "*"):
            shutil.copy(f, cls.snapshot)

    # ------------------------------------------------------------------ copies
    def copy_pact(self, name):
        """A copy of the year's database with a config of its own beside the
        original (the roster and password files are found relative to it)."""
        d = os.path.join(self.pact.dir, name)
        os.makedirs(d)
        for f in glob.glob(os.path.join(self.snapshot, "*")):
            shutil.copy(f, d)
        db = os.path.join(d, os.path.basename(self.pact.db))
        conf = self.conf_for(db, os.path.join(d, "public"), name)
        return db, conf

    def conf_for(self, db, output_dir, name):
        with open(self.pact.conf) as f:
            text = f.read()
        text = re.sub(r"(?m)^database = .*$", "database = %s" % db, text)
        text = re.sub(r"(?m)^output_dir = .*$", "output_dir = %s" % output_dir, text)
        conf = os.path.join(self.pact.dir, "%s.conf" % name)
        with open(conf, "w") as f:
            f.write(text)
        return conf

    def ctl(self, conf, *args, json_out=True):
        cmd = [os.path.join(BUILD, "pactctl"), "-c", conf] + (["--json"] if json_out else []) + list(args)
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=self.pact.env(iso(self.t)))
        return p, (json.loads(p.stdout) if json_out and p.stdout.strip() else None)

    def sqlite(self, db, sql):
        p = subprocess.run(["sqlite3", db, sql], capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        return p.stdout

    def grep_db(self, db, text):
        """Every file of the database (main, -wal, -journal) in which
        grep -a finds text (case-insensitive)."""
        hits = []
        for f in [db, db + "-wal", db + "-journal"]:
            if os.path.exists(f):
                p = subprocess.run(["grep", "-a", "-i", "-c", "-F", text, f], capture_output=True, text=True)
                if p.returncode == 0:
                    hits.append("%s: %s lines" % (os.path.basename(f), p.stdout.strip()))
        return hits

    def log_lines(self, *words):
        lines = self.pact.logtext().splitlines()
        return "\n".join(l for l in lines if any(w in l for w in words))[-3000:]

    # ------------------------------------------------------------------ the page
    def test_page_after_the_year(self):
        """index.html, pact.json and feed.atom show the parties with their
        current declarations, the associate with its initiative, every
        initiative, the status with both comments, the coming meeting."""
        html, pj, feed = (self.after[f] for f in FILES)
        doc = json.loads(pj)
        plain = htmlmod.unescape(html)
        # the ten founding parties, each once, in both files
        parties = {p["id"]: p for p in doc["parties"]}
        self.assertEqual(sorted(parties), sorted(PARTIES))
        for pid, (name, _) in PARTIES.items():
            self.assertEqual(parties[pid]["name"], name)
            self.assertIn(name, plain)
        # current declarations; EM's first version is gone
        for pid, (mot, objs, contrib) in list(DECL.items()) + [("IDA", IDA_DECL)]:
            with self.subTest(declaration=pid):
                d = parties[pid]["declaration"]
                self.assertIsNotNone(d)
                self.assertEqual(d["motivation"], mot)
                self.assertEqual(d["objectives"], objs)
                if contrib:
                    self.assertEqual(d["contribution"], contrib)
                self.assertIn(mot, plain)
                for o in objs:
                    self.assertIn(o, plain)
        self.assertEqual(parties["EM"]["declaration"]["version"], 2)
        self.assertNotIn(EM_V1_MOTIVATION, html + pj + feed)
        for pid in ("DE", "ITB", "IF", "SMVDK", "FD", "HK"):
            self.assertIsNone(parties[pid]["declaration"], pid)
        # the associate, with its own initiative
        self.assertEqual(len(doc["associates"]), 1, doc["associates"])
        a = doc["associates"][0]
        self.assertEqual((a["ref"], a["name"], a["cvr"]), (self.ref_admitted, ORG, CVR))
        self.assertIn(a["nominated_by"], ("DI", PARTIES["DI"][0]))
        # its initiatives are the items its nomination listed, in order
        # (SPEC section 10); its later INITIATIV is among all initiatives
        self.assertEqual(a["initiatives"], ["Gratis sikkerhedstjek", "Netværksmøder for ejerledere"], a)
        self.assertNotIn(self.ref_init_karen, json.dumps(a["initiatives"]))
        self.assertIn(ORG, plain)
        # every initiative
        inits = {i["ref"]: i for i in doc["initiatives"]}
        self.assertEqual(sorted(inits), sorted([self.ref_init_itb, self.ref_init_karen]))
        self.assertEqual(inits[self.ref_init_itb]["title"], INIT_ITB[0])
        self.assertEqual(inits[self.ref_init_karen]["title"], INIT_KAREN[0])
        self.assertEqual(inits[self.ref_init_karen]["description"], INIT_KAREN[1])
        self.assertIn(PARTIES["ITB"][0], inits[self.ref_init_itb]["by"])
        self.assertIn(ORG, inits[self.ref_init_karen]["by"])
        # escaped in the HTML: the title's & and <...> are text, not markup
        self.assertIn("Sikkerhedstjek &amp; træning for &lt;SMV", html)
        self.assertNotIn("<SMV", html)
        self.assertIn(INIT_KAREN[0], plain)
        # the status, with the two comments, published
        self.assertEqual(len(doc["statuses"]), 1)
        s = doc["statuses"][0]
        self.assertEqual((s["year"], s["ref"]), (2026, self.ref_status))
        self.assertIsNotNone(s["published"])
        # a comment's text is the whole new text (Gmail's reply adds the sign-off)
        texts = [c["text"] for c in s["comments"]]
        self.assertEqual(len(texts), 2, texts)
        self.assertEqual(len([t for t in texts if COMMENT_CARL in t]), 1, texts)
        self.assertEqual(len([t for t in texts if COMMENT_DORTE in t]), 1, texts)
        for t in (STATUS_TEXT, COMMENT_CARL, COMMENT_DORTE):
            self.assertIn(t, plain)
        # the coming meeting
        self.assertEqual(len(doc["meetings"]), 1, doc["meetings"])
        m = doc["meetings"][0]
        self.assertEqual((m["ref"], m["title"], m["location"], m["state"]),
                         (self.ref_meeting, MEETING_TITLE, MEETING_PLACE, "scheduled"))
        self.assertTrue(m["start"].startswith("2027-06-10"), m["start"])
        self.assertIn(MEETING_TITLE, plain)
        self.assertIn("Langelinie Allé 17", plain)
        # written by temporary file and rename: nothing else left behind
        self.assertEqual([f for f in self.public_listing if f not in FILES and not f.endswith(".pdf")], [],
                         self.public_listing)
        # readable without JavaScript, printable, for phones, in Danish
        self.assertIsNone(re.search(r"(?i)<script", html))
        self.assertRegex(html, r'<html[^>]* lang="da"')
        self.assertIn("@media print", html)
        self.assertIn('name="viewport"', html)

    def test_comments_only_after_the_deadline(self):
        """While the consultation runs the status is shown and its comments
        are not; once it has closed they are, in all three files."""
        self.assertIsNone(self.status_before[0]["published"])
        html, pj, feed = (self.before[f] for f in FILES)
        self.assertIn(STATUS_TEXT, htmlmod.unescape(html))
        for t in (COMMENT_CARL, COMMENT_DORTE):
            for f, text in self.before.items():
                self.assertNotIn(t, text, "%s shows a comment before the consultation closed" % f)
        s = json.loads(pj)["statuses"][0]
        self.assertEqual((s["ref"], s["published"], s["comments"]), (self.ref_status, None, []))
        self.assertIsNotNone(self.status_after[0]["published"])
        for t in (COMMENT_CARL, COMMENT_DORTE):
            self.assertIn(t, htmlmod.unescape(self.after["index.html"]))
            self.assertIn(t, self.after["pact.json"])

    def test_page_shows_no_address_no_ballot_no_rejected_nominee(self):
        for when, files in (("before the deadline", self.before), ("after the deadline", self.after)):
            for f, text in files.items():
                with self.subTest(file=f, when=when):
                    low = text.lower()
                    for addr in PEOPLE + [PACT]:
                        self.assertNotIn(addr.lower(), low)
                        self.assertNotIn(addr.split("@")[0] + "&#64;", low)
                        self.assertNotIn(addr.split("@")[0] + "&#x40;", low)
                    # no address at all
                    self.assertEqual(ADDRESS_RX.findall(text), [])
                    self.assertNotIn("mailto:", low)
                    # no ballot: no ballot words, no vote tallies, no tokens,
                    # no reference of the rejected ballot
                    self.assertEqual(BALLOT_WORDS.findall(text), [])
                    self.assertIsNone(re.search(r"(?i)\b(ja|nej|yes|no|undlad|abstain)\s*:\s*\d", text))
                    self.assertNotIn("pagt+", low)
                    for tok in self.tokens:
                        self.assertNotIn(tok.split("-", 1)[1], text)
                    self.assertNotIn(self.ref_rejected, text)
                    # no rejected nominee
                    for s in (REJECTED_ORG, "Skyggerådgivning", REJECTED_CVR, ROLF_NAME, "skyggeraad", "Skyggetjek"):
                        self.assertNotIn(s, text)

    def test_pact_json_members_and_types(self):
        doc = json.loads(self.after["pact.json"])
        self.assertIsInstance(doc, dict)
        self.assertEqual(doc["name"], "Cybersikkerhedspagten")
        self.assertIsInstance(doc["generated"], str)
        for key in ("parties", "associates", "initiatives", "statuses", "meetings"):
            self.assertIsInstance(doc[key], list, key)

        def has(obj, where, **types):
            for k, t in types.items():
                with self.subTest(member="%s.%s" % (where, k)):
                    self.assertIn(k, obj)
                    self.assertIsInstance(obj[k], t, "%s.%s = %r" % (where, k, obj.get(k)))

        for p in doc["parties"]:
            has(p, "parties[]", id=str, name=str)
            self.assertIn("declaration", p)
            if p["declaration"] is not None:
                has(p["declaration"], "parties[].declaration", motivation=str, objectives=list,
                    contribution=(str, type(None)), version=int, submitted=str)
                for o in p["declaration"]["objectives"]:
                    self.assertIsInstance(o, str)
        for a in doc["associates"]:
            has(a, "associates[]", ref=str, name=str, type=str, cvr=str, nominated_by=str,
                approved=str, initiatives=list)
        for i in doc["initiatives"]:
            has(i, "initiatives[]", ref=str, title=str, description=str, purposes=list, by=str)
        for s in doc["statuses"]:
            has(s, "statuses[]", year=int, ref=str, published=(str, type(None)), comments=list)
            for c in s["comments"]:
                has(c, "statuses[].comments[]", by=str, text=str)
        for m in doc["meetings"]:
            has(m, "meetings[]", ref=str, title=(str, type(None)), start=str, end=str, location=str, state=str)
            self.assertIn(m["state"], ("scheduled", "cancelled"))
        inits = {i["ref"]: i for i in doc["initiatives"]}
        self.assertEqual([str(x) for x in inits[self.ref_init_itb]["purposes"]], ["1", "3"])
        self.assertEqual([str(x) for x in inits[self.ref_init_karen]["purposes"]], ["2"])
        # times are ISO 8601
        for t in [doc["generated"], doc["associates"][0]["approved"], doc["statuses"][0]["published"],
                  doc["meetings"][0]["start"], doc["meetings"][0]["end"]]:
            self.assertRegex(t, r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?(Z|[+-]\d\d:\d\d)$")

    def test_pact_json_purposes_are_numbers(self):
        """The pact's purposes are numbers 1-3, as the year of a status is a
        number: "Formål: 1, 3" is [1, 3] in pact.json (SPEC §10 names the
        member; a careful consumer of the JSON expects numbers)."""
        inits = {i["ref"]: i for i in json.loads(self.after["pact.json"])["initiatives"]}
        self.assertEqual(inits[self.ref_init_itb]["purposes"], [1, 3])
        self.assertEqual(inits[self.ref_init_karen]["purposes"], [2])

    def test_feed_atom_parses_with_the_public_events(self):
        self.assertIsNotNone(feedparser, "python3-feedparser is missing: run tests/sandbox/page_deps.sh")
        feed = self.after["feed.atom"]
        ET.fromstring(feed.encode("utf-8"))  # well-formed XML
        f = feedparser.parse(feed.encode("utf-8"))
        self.assertFalse(f.bozo, getattr(f, "bozo_exception", None))
        self.assertEqual(f.version, "atom10")
        self.assertTrue(f.feed.get("title"))
        self.assertTrue(f.feed.get("id"))
        self.assertTrue(f.feed.get("updated"))
        ids = [e.get("id") for e in f.entries]
        self.assertEqual(len(ids), len(set(ids)), "entry ids repeat")
        for e in f.entries:
            self.assertTrue(e.get("title") and e.get("id") and e.get("updated"), e)
        everything = "\n".join("%s %s" % (e.get("title", ""), e.get("summary", "")) for e in f.entries)

        def entries(*words):
            return [e for e in f.entries
                    if any(w.lower() in ("%s %s" % (e.get("title", ""), e.get("summary", ""))).lower()
                           for w in words)]

        # the declarations (EM twice), the admission, both initiatives, the
        # status, its comments published, the meeting
        for pid in ("EM", "DI", "FP", "IDA"):
            with self.subTest(declaration=pid):
                got = [e for e in f.entries
                       if re.search(r"(?i)erklæring|declaration", e.get("title", ""))
                       and (PARTIES[pid][0] in e.get("title", "") or re.search(r"\b%s\b" % pid, e.get("title", "")))]
                self.assertGreaterEqual(len(got), 2 if pid == "EM" else 1, everything)
        self.assertEqual(len(entries(ORG)) >= 1, True, everything)
        self.assertGreaterEqual(len(entries(INIT_ITB[0])), 1, everything)
        self.assertGreaterEqual(len(entries(INIT_KAREN[0])), 1, everything)
        self.assertGreaterEqual(len(entries("årsstatus 2026", "annual status 2026")), 2, everything)
        self.assertGreaterEqual(len(entries("kommentar", "comment")), 1, everything)
        self.assertGreaterEqual(len(entries(MEETING_TITLE)), 1, everything)
        # the comments' publication is news only once the consultation closed
        fb = feedparser.parse(self.before["feed.atom"].encode("utf-8"))
        self.assertFalse(fb.bozo)
        self.assertEqual([e for e in fb.entries if re.search(r"(?i)kommentar|comment", e.get("title", ""))], [])
        self.assertEqual(len(fb.entries) + 1, len(f.entries))

    def test_feed_links_to_index_anchors_with_real_summaries(self):
        """Every feed entry links to an id index.html has, and its summary
        says something of its own (the first sentences of the text, clipped),
        not the title again."""
        for when in ("before", "after"):
            files = getattr(self, when)
            ids = set(re.findall(r'\sid="([^"]*)"', files["index.html"]))
            atom = "{http://www.w3.org/2005/Atom}"
            root = ET.fromstring(files["feed.atom"].encode("utf-8"))
            entries = root.findall(atom + "entry")
            self.assertTrue(entries, when)
            for e in entries:
                title = e.findtext(atom + "title")
                href = e.find(atom + "link").get("href")
                with self.subTest(when=when, entry=title):
                    self.assertIn("#", href, href)
                    self.assertIn(href.split("#", 1)[1], ids, "%s links to %s" % (title, href))
                    summary = e.findtext(atom + "summary") or ""
                    self.assertTrue(summary.strip(), "no summary")
                    self.assertNotEqual(summary.strip(), title.strip())
                    self.assertNotIn(title.strip(), summary)
                    self.assertLessEqual(len(summary), 400, summary)
                    self.assertNotIn("\n", summary)
        # an entry of its own goes to its own place: an initiative to its article
        root = ET.fromstring(self.after["feed.atom"].encode("utf-8"))
        hrefs = [e.find(atom + "link").get("href") for e in root.findall(atom + "entry")]
        self.assertIn(self.ref_init_itb, [h.split("#", 1)[1] for h in hrefs])
        self.assertIn("party-EM", [h.split("#", 1)[1] for h in hrefs])

    browser = None

    def browser_check(self):
        """tests/page/check.mjs on the page after the year, once."""
        cls = type(self)
        if cls.browser is None:
            self.assertTrue(os.path.isdir(os.path.join(PAGE_DIR, "node_modules", "playwright-core")),
                            "tests/page has no node_modules: run tests/sandbox/page_deps.sh")
            d = os.path.join(LOGS, "page-after")
            if os.path.exists(SCREENSHOT):
                os.unlink(SCREENSHOT)
            p = subprocess.run(["node", os.path.join(PAGE_DIR, "check.mjs"), "--screenshot", SCREENSHOT,
                                os.path.join(d, "index.html")], capture_output=True, text=True, timeout=120)
            self.assertIn(p.returncode, (0, 1), "check.mjs could not check: %s %s"
                          % (p.stdout[-2000:], p.stderr[-2000:]))
            r = json.loads(p.stdout)
            r["exit"] = p.returncode
            with open(os.path.join(LOGS, "check.json"), "w") as fh:
                json.dump(r, fh, indent=1, ensure_ascii=False)
            cls.browser = r
        return cls.browser

    def test_index_html_in_chromium_with_axe(self):
        """Debian's Chromium, driven by playwright-core, shows the
        participants; no console error; no axe-core violation; the
        screenshot is kept in tests/artefacts/page.png."""
        r = self.browser_check()
        text = r["text"]
        # the participants a visitor sees
        for name, _ in PARTIES.values():
            self.assertIn(name, text)
        self.assertIn(ORG, text)
        self.assertIn("Sikkerhedstjek & træning for <SMV'er>", text)
        for t in (DECL["DI"][0], IDA_DECL[0], STATUS_TEXT, COMMENT_CARL, COMMENT_DORTE, MEETING_TITLE):
            self.assertIn(t, text)
        self.assertNotIn(REJECTED_ORG, text)
        self.assertEqual(r["lang"], "da")
        self.assertTrue(r["title"])
        # what a visitor's browser reports
        self.assertEqual(r["console_errors"], [])
        self.assertEqual(r["page_errors"], [])
        self.assertEqual(r["failed_requests"], [])
        self.assertEqual(r["violations"], [], json.dumps(r["violations"], indent=1, ensure_ascii=False))
        self.assertEqual(r["exit"], 0)
        self.assertTrue(os.path.getsize(SCREENSHOT) > 1000)
        with open(SCREENSHOT, "rb") as fh:
            self.assertEqual(fh.read(8), b"\x89PNG\r\n\x1a\n")

    def test_index_html_fits_a_phone(self):
        """Responsive (issue 5): in a 360 px wide window nothing sticks out
        sideways, so nothing is cut off and the page only scrolls down."""
        r = self.browser_check()
        self.assertLessEqual(r["mobile_overflow"], 0,
                             "a 360 px wide window is %d px too narrow for the page" % r["mobile_overflow"])

    def test_index_html_ids_are_unique(self):
        """Valid HTML: every id once, so that an in-page link (#ref) has one
        target."""
        ids = re.findall(r'\sid="([^"]*)"', self.after["index.html"])
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        self.assertEqual(dupes, [], "ids used more than once in index.html")
        # An initiative under purposes 1 and 3 is listed twice, anchored once.
        for ref in (self.ref_init_itb, self.ref_init_karen):
            self.assertEqual(ids.count(ref), 1, "no anchor for %s" % ref)

    def test_render_on_demand(self):
        """pactctl render writes the same page again into an empty output_dir."""
        db, conf = self.copy_pact("render")
        p, out = self.ctl(conf, "render")
        self.assertEqual(p.returncode, 0, p.stderr)
        again = read_files(os.path.join(os.path.dirname(db), "public"))
        a, b = json.loads(again["pact.json"]), json.loads(self.after["pact.json"])
        a.pop("generated"), b.pop("generated")
        self.assertEqual(a, b)
        self.assertIn(ORG, again["index.html"])
        self.assertEqual(ADDRESS_RX.findall(again["index.html"] + again["feed.atom"]), [])

    # ------------------------------------------------------------------ audit log
    def test_verify_log_ok_and_a_changed_detail_is_caught(self):
        db, conf = self.copy_pact("detail")
        p, out = self.ctl(conf, "verify-log")
        self.assertEqual((p.returncode, out.get("ok"), out.get("mode")), (0, True, "SHA-256"), p.stderr)
        self.sqlite(db, "UPDATE log SET detail='x' WHERE id=3")
        p, out = self.ctl(conf, "verify-log")
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIs(out["ok"], False)
        self.assertIn(3, [v for v in out.values() if isinstance(v, int) and not isinstance(v, bool)], out)
        p, _ = self.ctl(conf, "verify-log", json_out=False)
        self.assertEqual(p.returncode, 1)
        self.assertRegex(p.stdout + p.stderr, r"\b3\b")

    def test_a_changed_event_name_is_caught(self):
        db, conf = self.copy_pact("event")
        victim = int(self.sqlite(db, "SELECT min(id) FROM log WHERE event = 'member admitted'").strip())
        self.sqlite(db, "UPDATE log SET event='member rejected' WHERE id=%d" % victim)
        p, out = self.ctl(conf, "verify-log")
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertEqual(out["ok"], False)
        self.assertIn(victim, out.values(), out)
        # and an entry deleted
        db, conf = self.copy_pact("deleted")
        self.sqlite(db, "DELETE FROM log WHERE id=%d" % victim)
        p, out = self.ctl(conf, "verify-log")
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertEqual(out["ok"], False)
        self.assertIn(victim + 1, out.values(), out)

    def test_pactctl_log_lists_the_decisions(self):
        log = self.pact.ctl("log")
        events = [e["event"] for e in log]
        for ev in ("mail processed", "mail sent", "member admitted"):
            self.assertIn(ev, events)
        self.assertEqual([e.get("id") for e in log], list(range(1, len(log) + 1)))

    # ------------------------------------------------------------------ forget
    def test_forget_the_associate_contact(self):
        db, conf = self.copy_pact("forget-karen")
        self.assertTrue(self.grep_db(db, KAREN), "the address should be in the database before")
        self.assertTrue(self.grep_db(db, KAREN_NAME), "the name should be in the database before")
        p, before = self.ctl(conf, "ballot", self.ref_admitted)
        p, members_before = self.ctl(conf, "members")
        p, out = self.ctl(conf, "forget", KAREN)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.grep_db(db, KAREN), [], "grep -a finds the address after forget")
        self.assertEqual(self.grep_db(db, KAREN_NAME), [], "grep -a finds the contact's name after forget")
        # nor in what pactctl export shows (mail kept in the outbox, decoded)
        p, exp = self.ctl(conf, "export")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotIn(KAREN, json.dumps(exp, ensure_ascii=False).lower())
        about_org = 0
        for row in exp["outbox"]:
            data = row.get("data") or ""
            if data:
                body = text_of(parse(data.encode("utf-8", "surrogateescape")))
                self.assertNotIn(KAREN, body.lower(), "outbox %s" % row.get("id"))
                self.assertNotIn(KAREN_NAME, body, "outbox %s" % row.get("id"))
                about_org += ORG in body
        self.assertGreater(about_org, 10, "the ballot and result mails about the member are kept")
        # the tally is unchanged; the member stays, without its contact
        p, after = self.ctl(conf, "ballot", self.ref_admitted)
        self.assertEqual(after, before)
        p, members = self.ctl(conf, "members")
        self.assertEqual([(m["ref"], m["state"], m["cvr"]) for m in members],
                         [(m["ref"], m["state"], m["cvr"]) for m in members_before])
        self.assertNotIn(KAREN, json.dumps(members))
        p, out = self.ctl(conf, "verify-log")
        self.assertEqual((p.returncode, out.get("ok"), out.get("mode")), (0, True, "SHA-256"), p.stdout)
        # the page rendered from it still has the member
        p, _ = self.ctl(conf, "render")
        self.assertEqual(p.returncode, 0, p.stderr)
        page = read_files(os.path.join(os.path.dirname(db), "public"))
        self.assertIn(ORG, page["index.html"])

    def test_forget_a_delegate_keeps_the_party_vote(self):
        db, conf = self.copy_pact("forget-peter")
        peter = "peter@industriensfond.example.test"
        self.assertTrue(self.grep_db(db, peter))
        p, before = self.ctl(conf, "ballot", self.ref_admitted)
        self.assertIn({"party": "IF", "vote": "yes"}, [{"party": v["party"], "vote": v["vote"]} for v in before["votes"]])
        p, out = self.ctl(conf, "forget", "Peter@IndustriensFond.example.test")  # as an operator types it
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.grep_db(db, peter), [])
        self.assertEqual(self.grep_db(db, "Peter Friis"), [])
        p, after = self.ctl(conf, "ballot", self.ref_admitted)
        self.assertEqual((after["state"], after["yes"], after["no"], after["abstain"], after["not_voted"]),
                         (before["state"], before["yes"], before["no"], before["abstain"], before["not_voted"]))
        self.assertEqual(sorted((v["party"], v["vote"]) for v in after["votes"]),
                         sorted((v["party"], v["vote"]) for v in before["votes"]))
        p, out = self.ctl(conf, "verify-log")
        self.assertEqual((p.returncode, out.get("ok"), out.get("mode")), (0, True, "SHA-256"), p.stdout)
        # an edit after forget is still caught
        self.sqlite(db, "UPDATE log SET detail='x' WHERE id=3")
        p, out = self.ctl(conf, "verify-log")
        self.assertEqual(p.returncode, 1, out)

    def test_an_edit_of_a_forgotten_entry_is_caught(self):
        """forget blanks the address in an entry but keeps the rest of its
        detail ("from [forgotten]: processed vote"); what is left must stay
        tamper-evident: an edit of it shows in verify-log."""
        db, conf = self.copy_pact("forget-edit")
        p, out = self.ctl(conf, "forget", "peter@industriensfond.example.test")
        self.assertEqual(p.returncode, 0, p.stderr)
        p, out = self.ctl(conf, "verify-log")
        self.assertEqual((p.returncode, out.get("ok"), out.get("mode")), (0, True, "SHA-256"), p.stdout)
        rows = self.sqlite(db, "SELECT id, detail FROM log WHERE forgotten = 1 AND event = 'mail processed' "
                               "ORDER BY id LIMIT 1").strip()
        self.assertTrue(rows, "no forgotten 'mail processed' entry")
        victim, detail = rows.split("|", 1)
        self.assertIn("[forgotten]", detail)
        self.sqlite(db, "UPDATE log SET detail = replace(detail, 'processed', 'rejected') WHERE id=%s" % victim)
        self.assertNotEqual(self.sqlite(db, "SELECT detail FROM log WHERE id=%s" % victim).strip(), detail)
        p, out = self.ctl(conf, "verify-log")
        self.assertEqual(p.returncode, 1, "entry %s changed from %r: %s" % (victim, detail, p.stdout))
        self.assertIn(int(victim), out.values(), out)

    # ------------------------------------------------------------------ backup
    def test_backup_while_pactd_runs(self):
        """pactctl backup copies the database while pactd -f has it open;
        pactctl -c with a config pointing at the copy reads it."""
        later = self.t + datetime.timedelta(minutes=10)
        backup = os.path.join(self.pact.dir, "backup.db")
        self.pact.start(now=iso(later))
        try:
            time.sleep(1.5)
            self.assertIsNone(self.pact.proc.poll(), self.log_lines("pactd"))
            # a mail for pactd to work on meanwhile
            raw, mid = make_mail(who("bo@di.example.test"), "OVERBLIK", "Hej\n")
            self.sb.send(raw, "bo@di.example.test", [PACT])
            p = subprocess.run([os.path.join(BUILD, "pactctl"), "-c", self.pact.conf, "--json", "backup", backup],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(json.loads(p.stdout).get("backup"), backup)
            self.assertEqual(len(replies_to("bo@di.example.test", mid, timeout=30)), 1, self.log_lines("error", "fail"))
            self.assertIsNone(self.pact.proc.poll())
        finally:
            rc = self.pact.stop()
        self.assertEqual(rc, 0)
        conf = self.conf_for(backup, os.path.join(self.pact.dir, "public-backup"), "backup")
        for what in (("ballots",), ("members",), ("ballot", self.ref_admitted), ("statuses",),
                     ("initiatives",), ("declarations",), ("meetings",)):
            with self.subTest(command=" ".join(what)):
                p, copy = self.ctl(conf, *what)
                self.assertEqual(p.returncode, 0, p.stderr)
                orig = self.pact.ctl(*what)
                self.assertEqual(copy, orig)
        p, out = self.ctl(conf, "verify-log")
        self.assertEqual((p.returncode, out.get("ok"), out.get("mode")), (0, True, "SHA-256"))
        self.assertEqual(self.sqlite(backup, "PRAGMA integrity_check").strip(), "ok")

    # ------------------------------------------------------------------ export, exit codes
    def test_export_and_exit_codes(self):
        exp = self.pact.ctl("export")
        self.assertIsInstance(exp, dict)
        for table in ("declarations", "nominations", "ballots", "votes", "associates", "initiatives",
                      "statuses", "comments", "meetings", "attendees", "outbox", "log"):
            with self.subTest(table=table):
                self.assertIn(table, exp)
                self.assertIsInstance(exp[table], list)
                self.assertTrue(exp[table], "%s is empty" % table)
        self.assertEqual(len(exp["declarations"]), 5)
        self.assertEqual(len(exp["comments"]), 2)
        self.assertEqual(len(exp["log"]), len(self.pact.ctl("log")))
        self.assertEqual({b["ref"] for b in exp["ballots"]}, {self.ref_admitted, self.ref_rejected})
        # errors
        p = self.pact.ctl("no-such-command", check=False, json_out=False)
        self.assertEqual(p.returncode, 64, p.stdout + p.stderr)
        self.assertTrue(p.stderr.strip())
        p = self.pact.ctl("--json", "no-such-command", check=False, json_out=False)
        self.assertEqual(p.returncode, 64)
        p = self.pact.ctl("ballot", "PAGT-1999-0001", check=False, json_out=False)
        self.assertEqual(p.returncode, 65, p.stdout + p.stderr)
        self.assertIn("PAGT-1999-0001", p.stderr)
        p = self.pact.ctl("--json", "ballot", "PAGT-1999-0001", check=False, json_out=False)
        self.assertEqual(p.returncode, 65, p.stdout + p.stderr)
        p = self.pact.ctl("forget", "not-an-address", check=False, json_out=False)
        self.assertEqual(p.returncode, 64, p.stdout + p.stderr)


if __name__ == "__main__":
    unittest.main()

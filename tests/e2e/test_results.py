"""Results since the last meeting, and associates' commitments (SPEC
sections 5, 10 and 11; issue 15 parts 2 and 4), end to end against the
sandbox's real Dovecot and OpenSMTPD with the clock moved by PACTD_NOW.

A pact year with two meetings: before the first, one declaration; between
them two declarations (one new, one changed), an HTML-only nomination whose
initiatives are a <ul> list (approved by vote), a nomination that is
rejected, two initiatives and an annual status. The second meeting's
invitation, as a participant's mailbox holds it, lists exactly what
happened since the first; the first's lists what came before it; the
update carries the list too, with what came since; the page's meeting
entry shows the same; the associate's initiatives are its nomination's
items, in order. A second pact with nothing in it says so plainly, and a
cancelled meeting is not "the last meeting".

Each test keeps its pactd.log in $TMPDIR/pactd-results-logs/."""

import datetime
import email.utils
import html as htmlmod
import json
import os
import re
import shutil
import tempfile
import time
import unittest
from zoneinfo import ZoneInfo

import clients
from pactlib import PACT, Pact, clear_mailbox, make_mail, parse, replies_to, sandbox, text_of

try:
    import icalendar
except ImportError:  # reported by the test that needs it
    icalendar = None

UTC = datetime.timezone.utc
CPH = ZoneInfo("Europe/Copenhagen")
LOGS = os.path.join(tempfile.gettempdir(), "pactd-results-logs")
REF_RX = re.compile(r"PAGT-\d{4}-\d{4}")

NAMES = {
    "mette@em.example.test": "Mette Lund", "anne@di.example.test": "Anne Holm",
    "jens@danskerhverv.example.test": "Jens Kjær", "sofie@itb.example.test": "Sofie Dahl",
    "peter@industriensfond.example.test": "Peter Friis", "pia@smvdanmark.example.test": "Pia Skov",
    "lise@ida.example.test": "Lise Berg", "eva@finansdanmark.example.test": "Eva Nørgaard",
    "mads@hk.example.test": "Mads Holt", "ole@forsikringogpension.example.test": "Ole Bach",
}
DELEGATES = list(NAMES) + ["bo@di.example.test"]
SECRETARIAT = "sekretariat@erst.example.test"
ADVISORY = ["carl@vfds.example.test", "dorte@vfds.example.test"]
PETER = "peter@industriensfond.example.test"     # reads his invitations in Danish
LISE = "lise@ida.example.test"                   # in English (lang = en)

KAREN = "karen@resultat-smv.example.test"
ORG = "Resultat SMV ApS"
CVR = "10150817"
ROLF = "rolf@skygge-results.example.test"
REJECTED_ORG = "Skyggeresultater ApS"
REJECTED_CVR = "25313763"
EVERYONE = DELEGATES + ADVISORY + [SECRETARIAT, KAREN, ROLF]

# the nomination's initiatives, as Gmail writes a bulleted list; the third
# item is a paragraph in its item, as some editors write it
COMMITMENTS = ["Gratis sikkerhedstjek for 100 SMV'er",
               "Phishing-værksteder for ejerledere",
               "Netværk & sparring om beredskabsplaner"]
INIT_ITB = "Sikkerhedstjek og træning for SMV'er"
INIT_KAREN = "Phishing-værksted i Aarhus"
INIT_KAREN2 = "Beredskabsskabelon til små virksomheder"
M1_TITLE = "Første halvårsmøde"
M2_TITLE = "Andet halvårsmøde"
PLACE = "Erhvervsstyrelsen, Langelinie Allé 17, København Ø"


def who(addr):
    return "%s <%s>" % (NAMES[addr], addr) if addr in NAMES else addr


def iso(t):
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def base_time():
    """1 Dec 2026 09:00 UTC, or tomorrow 09:00 when the real date is later."""
    base = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    tomorrow = datetime.datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0) \
        + datetime.timedelta(days=1)
    return max(base, tomorrow)


def local_start(t):
    """A meeting's Start field: 10:00 local time on t's day."""
    return t.astimezone(CPH).strftime("%Y-%m-%d") + " 10:00"


def da_date(t):
    d = t.astimezone(CPH)
    return "%d.%d.%d" % (d.day, d.month, d.year)


def results_block(text):
    """The results part of an invitation's text: its first line (joined
    when wrapped) and {heading: [item, ...]}, wrapped items joined."""
    lines = text.splitlines()
    starts = [i for i, l in enumerate(lines)
              if re.match(r"(Nyt i pagten|New in the pact|Der er (endnu )?intet nyt|Nothing new)", l)]
    if len(starts) != 1:
        raise AssertionError("no one results paragraph in:\n%s" % text)
    end = next(i for i in range(starts[0], len(lines))
               if lines[i].startswith(("Svar med knapperne", "Answer with the buttons")))
    joined = []
    for l in lines[starts[0]:end]:
        if l.startswith("  ") and joined:
            joined[-1] += " " + l.strip()
        elif l.strip():
            joined.append(l)
    head, sections, cur = joined[0], {}, None
    # the first paragraph may run over two lines
    while len(joined) > 1 and not joined[1].startswith("- ") and not joined[1].endswith(":") \
            and not head.endswith(":"):
        head += " " + joined.pop(1)
    for l in joined[1:]:
        if l.startswith("- "):
            sections.setdefault(cur, []).append(l[2:])
        else:
            cur = l.rstrip(":")
    return head, sections


def refs_in(items):
    return [r for it in items for r in REF_RX.findall(it)]


class ResultsBase(unittest.TestCase):
    """Clock, mail and meeting helpers shared by the two pacts below."""

    pact = None

    @classmethod
    def begin(cls):
        cls.sb = sandbox()
        cls.pact = Pact()
        for addr in EVERYONE:
            clear_mailbox(addr)
        cls.t = base_time()

    @classmethod
    def tearDownClass(cls):
        if cls.pact is not None:
            os.makedirs(LOGS, exist_ok=True)
            if os.path.exists(cls.pact.logfile):
                shutil.copy(cls.pact.logfile, os.path.join(LOGS, cls.__name__ + ".log"))
            cls.pact.cleanup()

    @classmethod
    def step(cls, at=None, minutes=5):
        cls.t = at if at is not None else cls.t + datetime.timedelta(minutes=minutes)
        rc, err = cls.pact.once(now=iso(cls.t))
        if rc != 0:
            raise AssertionError("pactd --once at %s: %d\n%s" % (iso(cls.t), rc, err[-3000:]))

    @classmethod
    def submit(cls, *mails, at=None):
        have = cls.sb.count(PACT)
        for i, (raw, sender, rcpts) in enumerate(mails):
            cls.sb.send(raw, sender, rcpts)
            cls.sb.wait_messages(PACT, have + i + 1)
        cls.step(at)

    @classmethod
    def mail(cls, sender, subject, body, headers=None):
        raw, _ = make_mail(who(sender), subject, body, headers=headers)
        return raw, sender, [PACT]

    @classmethod
    def find_mails(cls, addr, pred, want=1, timeout=20):
        deadline = time.time() + timeout
        while True:
            got = [parse(r) for r in cls.sb.messages(addr)]
            got = [m for m in got if pred(m)]
            if len(got) >= want or time.time() >= deadline:
                return got
            time.sleep(0.1)

    @classmethod
    def receipt_ref(cls, addr, raw):
        mid = parse(raw)["Message-ID"].strip("<>")
        got = replies_to(addr, mid)
        if len(got) != 1:
            raise AssertionError("%s: %d replies to %s\n%s" % (addr, len(got), mid, cls.pact.logtext()[-3000:]))
        m = REF_RX.search(got[0]["Subject"] or "")
        if m is None:
            raise AssertionError("%s: no reference in %r\n%s" % (addr, got[0]["Subject"], text_of(got[0])))
        return m.group(0)

    @classmethod
    def call(cls, title, start, subject="MØDE"):
        m = cls.mail(SECRETARIAT, subject, "Hej alle,\n\nTitel: %s\nStart: %s\nSted: %s\n\nVenlig hilsen\n"
                     "Sekretariatet\n" % (title, local_start(start), PLACE))
        cls.submit(m)
        return cls.receipt_ref(SECRETARIAT, m[0])

    @classmethod
    def invitation(cls, addr, ref, word="Invitation"):
        """The newest calendar mail for ref in addr's mailbox whose subject
        has word (Invitation, Ændret, Changed)."""
        got = cls.find_mails(addr, lambda m: (m["Message-ID"] or "").startswith("<m-")
                             and ".%s." % ref in (m["Message-ID"] or "")
                             and (m["Subject"] or "").startswith("[%s] %s" % (ref, word)))
        if not got:
            raise AssertionError("no %s for %s in %s's mailbox\n%s" % (word, ref, addr, cls.pact.logtext()[-3000:]))
        return got[-1]

    @classmethod
    def public(cls):
        d = os.path.join(cls.pact.dir, "public")
        with open(os.path.join(d, "pact.json"), encoding="utf-8") as f:
            doc = json.load(f)
        with open(os.path.join(d, "index.html"), encoding="utf-8") as f:
            page = f.read()
        return doc, page

    @staticmethod
    def card(page, ref):
        """The <li> with id ref on the page (a member, a meeting), up to
        the next such item or the end of its section."""
        i = page.index('<li id="%s"' % ref)
        ends = [j for j in (page.find('<li id="PAGT-', i + 1), page.find("</section>", i)) if j > 0]
        return page[i:min(ends)]

    @staticmethod
    def description(msg):
        """The DESCRIPTION of the calendar part beside the text."""
        for part in msg.walk():
            if part.get_content_type() == "text/calendar" and part.get_content_disposition() != "attachment":
                cal = icalendar.Calendar.from_ical(part.get_content())
                for ev in cal.walk("VEVENT"):
                    return str(ev.get("DESCRIPTION", ""))
        raise AssertionError("no calendar part")


class ResultsYear(ResultsBase):
    """One year, scripted once (setUpClass); the tests read it."""

    @classmethod
    def setUpClass(cls):
        cls.begin()
        try:
            cls.script()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def declaration(cls, addr, motivation, objective):
        m = cls.mail(addr, "ERKLÆRING", "Hej\n\nMotivation: %s\nMålsætninger:\n- %s\n\nHilsen\n"
                     % (motivation, objective))
        cls.submit(m)
        return cls.receipt_ref(addr, m[0])

    @classmethod
    def html_nomination(cls, dialogue):
        """Anne nominates from Gmail with a rich-text body only."""
        items = "".join(['<li style="margin-left:15px">%s</li>' % htmlmod.escape(COMMITMENTS[0], quote=False),
                         '<li style="margin-left:15px"><div>%s</div></li>' % htmlmod.escape(COMMITMENTS[1]),
                         '<li><p>%s</p></li>' % htmlmod.escape(COMMITMENTS[2], quote=False)])
        body = ('<div dir="ltr"><div>Hej sekretariat,</div><div><br></div>\n'
                '<div>Vi indstiller efter vores dialog:</div><div><br></div>\n'
                '<div>Organisation: %s</div><div>Type: virksomhed</div><div>CVR: %s</div>\n'
                '<div>Kontakt: Karen Resultat &lt;%s&gt;</div><div>Dialog: %s</div>\n'
                '<div>Principper: ja</div><div>Initiativer:</div>\n<ul>%s</ul>\n'
                '<div>Sammenhæng: Initiativerne styrker SMV&#39;ernes sikkerhed (formål 1 og 3).</div>\n'
                '<div><br></div><div>Venlig hilsen</div><div>Anne</div></div>\n'
                % (ORG, CVR, KAREN, dialogue, items))
        return cls.mail("anne@di.example.test", "INDSTILLING", body,
                        headers={"Content-Type": "text/html; charset=UTF-8"})

    @classmethod
    def vote(cls, addr, ref, word):
        ballot = [r for r in cls.sb.messages(addr) if (parse(r)["Message-ID"] or "").startswith("<v-")
                  and ref in (parse(r)["Message-ID"] or "")]
        if not ballot:
            raise AssertionError("no ballot %s for %s\n%s" % (ref, addr, cls.pact.logtext()[-3000:]))
        raw, _ = clients.reply("gmail", ballot[0], who(addr), word)
        m = parse(raw)
        rcpts = [a for _, a in email.utils.getaddresses([str(m["To"] or ""), str(m["Cc"] or "")]) if a]
        return raw, addr, rcpts or [PACT]

    @classmethod
    def initiative(cls, addr, title, purpose):
        m = cls.mail(addr, "INITIATIV", "Hej\n\nTitel: %s\nBeskrivelse: Et initiativ for pagtens SMV'er.\n"
                     "Formål: %s\n\nHilsen\n" % (title, purpose))
        cls.submit(m)
        return cls.receipt_ref(addr, m[0])

    @classmethod
    def script(cls):
        t0 = cls.t
        # -- before the first meeting: Erhvervsministeriet declares
        cls.em_v1 = cls.declaration("mette@em.example.test", "En tryg digital omstilling.", "Et udkast")
        # -- the first meeting, ten days ahead
        cls.m1_start = t0 + datetime.timedelta(days=10)
        cls.m1 = cls.call(M1_TITLE, cls.m1_start)
        cls.m1_invite = cls.invitation(PETER, cls.m1)
        cls.m1_doc, cls.m1_page = cls.public()

        # -- after the first meeting
        cls.step(at=t0 + datetime.timedelta(days=11))
        cls.em_v2 = cls.declaration("mette@em.example.test", "Staten går foran med et sikkert erhvervsliv.",
                                    "Et nationalt overblik i 2027")
        cls.di_v1 = cls.declaration("anne@di.example.test", "Vores medlemmer vil have konkret hjælp.",
                                    "Sikkerhedstjek til alle medlemmer")
        dialogue = (cls.t - datetime.timedelta(days=20)).strftime("%Y-%m-%d")
        n1 = cls.html_nomination(dialogue)
        n2 = cls.mail("jens@danskerhverv.example.test", "INDSTILLING",
                      "Organisation: %s\nType: virksomhed\nCVR: %s\nKontakt: Rolf <%s>\nDialog: %s\n"
                      "Principper: ja\nInitiativer:\n- Skyggetjek\nSammenhæng: Formål 1.\n"
                      % (REJECTED_ORG, REJECTED_CVR, ROLF, dialogue))
        cls.submit(n1, n2)
        cls.admitted = cls.receipt_ref("anne@di.example.test", n1[0])
        cls.rejected = cls.receipt_ref("jens@danskerhverv.example.test", n2[0])
        yes = ["mette@em.example.test", "anne@di.example.test", "jens@danskerhverv.example.test",
               "sofie@itb.example.test", PETER, "pia@smvdanmark.example.test"]
        no = [LISE, "eva@finansdanmark.example.test", "mads@hk.example.test",
              "ole@forsikringogpension.example.test", "mette@em.example.test"]
        cls.submit(*([cls.vote(a, cls.admitted, "JA") for a in yes] +
                     [cls.vote(a, cls.rejected, "NEJ") for a in no]))
        b1, b2 = cls.pact.ctl("ballot", cls.admitted), cls.pact.ctl("ballot", cls.rejected)
        assert (b1["state"], b2["state"]) == ("approved", "rejected"), (b1, b2)
        cls.init_itb = cls.initiative("sofie@itb.example.test", INIT_ITB, "1, 3")
        cls.init_karen = cls.initiative(KAREN, INIT_KAREN, "2")
        st = cls.mail(SECRETARIAT, "ÅRSSTATUS", "År: 2026\nStatus: Pagtens første år.\n")
        cls.submit(st)
        cls.status = cls.receipt_ref(SECRETARIAT, st[0])

        # -- the second meeting
        cls.m2_start = t0 + datetime.timedelta(days=60)
        cls.m2 = cls.call(M2_TITLE, cls.m2_start)
        cls.m2_invite = cls.invitation(PETER, cls.m2)
        cls.m2_invite_en = cls.invitation(LISE, cls.m2)
        cls.m2_invite_karen = cls.invitation(KAREN, cls.m2)
        cls.m2_doc, cls.m2_page = cls.public()

        # -- one more initiative, then the second meeting moves
        cls.init_karen2 = cls.initiative(KAREN, INIT_KAREN2, "3")
        upd = cls.mail(SECRETARIAT, "MØDE ÆNDRING %s" % cls.m2, "Sted: Industriens Hus, København V\n")
        cls.submit(upd)
        cls.m2_update = cls.invitation(PETER, cls.m2, "Ændret")
        cls.final_doc, cls.final_page = cls.public()
        # kept for a look after the run
        os.makedirs(LOGS, exist_ok=True)
        for name, msg in (("m1-invite", cls.m1_invite), ("m2-invite", cls.m2_invite),
                          ("m2-invite-en", cls.m2_invite_en), ("m2-update", cls.m2_update)):
            with open(os.path.join(LOGS, name + ".eml"), "wb") as f:
                f.write(msg.as_bytes())
        with open(os.path.join(LOGS, "index.html"), "w", encoding="utf-8") as f:
            f.write(cls.final_page)

    # ------------------------------------------------------------ the mails
    def expected_m2(self):
        return {
            "Nye associerede medlemmer": [self.admitted],
            "Nye initiativer": [self.init_itb, self.init_karen],
            "Nye og ændrede erklæringer": [self.em_v2, self.di_v1],
            "Årsstatus": [self.status],
        }

    def test_first_invitation_lists_what_came_before(self):
        """The first meeting has none before it: its invitation lists what
        the pact created since it began, here one declaration."""
        head, sections = results_block(text_of(self.m1_invite))
        self.assertEqual(head, "Nyt i pagten, siden den begyndte:")
        self.assertEqual({k: refs_in(v) for k, v in sections.items()},
                         {"Nye og ændrede erklæringer": [self.em_v1]})
        self.assertEqual(sections["Nye og ændrede erklæringer"],
                         ["Erhvervsministeriet, ny erklæring (%s)" % self.em_v1])

    def test_second_invitation_lists_exactly_what_happened_since_the_first(self):
        text = text_of(self.m2_invite)
        head, sections = results_block(text)
        self.assertEqual(head, "Nyt i pagten siden sidste møde den %s:" % da_date(self.m1_start))
        self.assertEqual({k: refs_in(v) for k, v in sections.items()}, self.expected_m2())
        self.assertEqual(sections["Nye associerede medlemmer"], ["%s (%s)" % (ORG, self.admitted)])
        self.assertEqual(sections["Nye initiativer"],
                         ["%s, IT-Branchen (%s)" % (INIT_ITB, self.init_itb),
                          "%s, %s (%s)" % (INIT_KAREN, ORG, self.init_karen)])
        self.assertEqual(sections["Nye og ændrede erklæringer"],
                         ["Erhvervsministeriet, ændret erklæring (%s)" % self.em_v2,
                          "DI – Dansk Industri, ny erklæring (%s)" % self.di_v1])
        self.assertEqual(sections["Årsstatus"], ["Årsstatus 2026 (%s)" % self.status])
        # nothing from before the first meeting, nothing rejected
        for s in (self.em_v1, self.rejected, REJECTED_ORG, "Skyggetjek", self.m1):
            self.assertNotIn(s, text)

    def test_every_attendee_gets_the_list_in_their_language(self):
        head, sections = results_block(text_of(self.m2_invite_en))
        d = self.m1_start.astimezone(CPH)
        self.assertEqual(head, "New in the pact since the last meeting on %d %s %d:"
                         % (d.day, d.strftime("%B"), d.year))
        self.assertEqual({k: refs_in(v) for k, v in sections.items()}, {
            "New associate members": [self.admitted],
            "New initiatives": [self.init_itb, self.init_karen],
            "New and changed declarations": [self.em_v2, self.di_v1],
            "Annual statuses": [self.status],
        })
        self.assertIn("Erhvervsministeriet, changed declaration (%s)" % self.em_v2,
                      sections["New and changed declarations"])
        # the new associate's contact is invited, with the same list
        _, sections = results_block(text_of(self.m2_invite_karen))
        self.assertEqual({k: refs_in(v) for k, v in sections.items()}, self.expected_m2())

    def test_update_carries_the_list_with_what_came_since(self):
        text = text_of(self.m2_update)
        self.assertIn("Industriens Hus", text)
        head, sections = results_block(text)
        self.assertEqual(head, "Nyt i pagten siden sidste møde den %s:" % da_date(self.m1_start))
        want = self.expected_m2()
        want["Nye initiativer"] = [self.init_itb, self.init_karen, self.init_karen2]
        self.assertEqual({k: refs_in(v) for k, v in sections.items()}, want)

    def test_calendar_description_has_one_short_line(self):
        self.assertIsNotNone(icalendar, "python3-icalendar is missing")
        self.assertEqual(self.description(self.m2_invite),
                         "Siden sidste møde: 1 nyt associeret medlem, 2 initiativer, 2 erklæringer, 1 årsstatus.")
        self.assertEqual(self.description(self.m2_invite_en),
                         "Since the last meeting: 1 new associate, 2 initiatives, 2 declarations, 1 annual status.")
        self.assertEqual(self.description(self.m1_invite), "Siden pagten begyndte: 1 erklæring.")

    # ------------------------------------------------------------ the page
    def test_page_entry_shows_the_same(self):
        m = {x["ref"]: x for x in self.m2_doc["meetings"]}[self.m2]
        r = m["results"]
        self.assertEqual(r["previous"], self.m1)
        self.assertEqual(r["since"], iso(self.m1_start.astimezone(CPH).replace(hour=10, minute=0)))
        self.assertEqual(r["associates"], [{"ref": self.admitted, "name": ORG}])
        self.assertEqual([(i["ref"], i["title"], i["by"]) for i in r["initiatives"]],
                         [(self.init_itb, INIT_ITB, "IT-Branchen"), (self.init_karen, INIT_KAREN, ORG)])
        self.assertEqual(r["declarations"],
                         [{"ref": self.em_v2, "party": "Erhvervsministeriet", "change": "changed"},
                          {"ref": self.di_v1, "party": "DI – Dansk Industri", "change": "new"}])
        self.assertEqual(r["statuses"], [{"ref": self.status, "year": 2026}])
        self.assertEqual(r["more"], 0)
        entry = self.card(self.m2_page, self.m2)
        plain = htmlmod.unescape(re.sub(r"<[^>]+>", "", entry))
        self.assertEqual(set(REF_RX.findall(entry)),
                         {self.m2, self.admitted, self.init_itb, self.init_karen, self.em_v2, self.di_v1,
                          self.status})
        self.assertIn("Nyt i pagten siden sidste møde den %s:" % da_date(self.m1_start), plain)
        for s in ("Nyt associeret medlem: %s" % ORG, "Initiativ: %s, IT-Branchen" % INIT_ITB,
                  "Initiativ: %s, %s" % (INIT_KAREN, ORG),
                  "Ændret erklæring: Erhvervsministeriet (%s)" % self.em_v2,
                  "Ny erklæring: DI – Dansk Industri (%s)" % self.di_v1, "Årsstatus 2026"):
            self.assertIn(s, plain)
        # each link goes to a place on the page
        ids = set(re.findall(r'\sid="([^"]*)"', self.m2_page))
        for href in re.findall(r'href="#([^"]*)"', entry):
            self.assertIn(href, ids)

    def test_page_entry_of_the_first_meeting(self):
        m = {x["ref"]: x for x in self.m1_doc["meetings"]}[self.m1]
        self.assertEqual(m["results"]["previous"], None)
        self.assertEqual(m["results"]["declarations"],
                         [{"ref": self.em_v1, "party": "Erhvervsministeriet", "change": "new"}])
        plain = htmlmod.unescape(re.sub(r"<[^>]+>", "", self.card(self.m1_page, self.m1)))
        self.assertIn("Nyt i pagten, siden den begyndte:", plain)
        self.assertIn("Ny erklæring: Erhvervsministeriet (%s)" % self.em_v1, plain)

    # ------------------------------------------------------------ commitments
    def test_html_nomination_items_are_the_associates_initiatives_in_order(self):
        a = {x["ref"]: x for x in self.final_doc["associates"]}[self.admitted]
        self.assertEqual(a["name"], ORG)
        self.assertEqual(a["initiatives"], COMMITMENTS)
        # its later announcements stand among all initiatives, by it
        inits = {i["ref"]: i for i in self.final_doc["initiatives"]}
        for ref in (self.init_karen, self.init_karen2):
            self.assertEqual(inits[ref]["by"], ORG)
        # on the page, under the member, in order
        card = self.card(self.final_page, self.admitted)
        items = [htmlmod.unescape(x) for x in re.findall(r"<li>([^<]*)</li>", card)]
        self.assertEqual(items, COMMITMENTS)
        self.assertIn(INIT_KAREN, htmlmod.unescape(card))
        # the rejected nominee is nowhere
        for f in (json.dumps(self.final_doc, ensure_ascii=False), self.final_page):
            for s in (REJECTED_ORG, "Skyggetjek", self.rejected):
                self.assertNotIn(s, f)


class NothingNew(ResultsBase):
    """A pact where nothing happens: invitations and page say so plainly,
    and a cancelled meeting is not the last meeting."""

    @classmethod
    def setUpClass(cls):
        cls.begin()

    def test_nothing_new_said_plainly(self):
        t0 = self.t
        a = self.call("Møde A", t0 + datetime.timedelta(days=10))
        head, sections = results_block(text_of(self.invitation(PETER, a)))
        self.assertEqual((head, sections), ("Der er endnu intet nyt i pagten: ingen nye medlemmer, initiativer, "
                                            "erklæringer eller årsstatusser.", {}))
        # cancelled: the next meeting has no meeting before it
        cancel = self.mail(SECRETARIAT, "MØDE AFLYS %s" % a, "Mødet er aflyst.\n")
        self.submit(cancel)
        self.assertEqual(self.pact.ctl("meeting", a)["state"], "cancelled")
        b_start = t0 + datetime.timedelta(days=20)
        b = self.call("Møde B", b_start)
        head, _ = results_block(text_of(self.invitation(PETER, b)))
        self.assertTrue(head.startswith("Der er endnu intet nyt i pagten"), head)
        # after B, nothing happens before C
        self.step(at=b_start + datetime.timedelta(days=1))
        c = self.call("Møde C", b_start + datetime.timedelta(days=30))
        text = text_of(self.invitation(PETER, c))
        head, sections = results_block(text)
        self.assertEqual((head, sections), ("Der er intet nyt i pagten siden sidste møde den %s: ingen nye "
                                            "medlemmer, initiativer, erklæringer eller årsstatusser."
                                            % da_date(b_start), {}))
        en, _ = results_block(text_of(self.invitation(LISE, c)))
        self.assertTrue(en.startswith("Nothing new in the pact since the last meeting on"), en)
        doc, page = self.public()
        r = {x["ref"]: x for x in doc["meetings"]}[c]["results"]
        self.assertEqual((r["previous"], r["associates"], r["initiatives"], r["declarations"], r["statuses"]),
                         (b, [], [], [], []))
        plain = htmlmod.unescape(re.sub(r"<[^>]+>", "", self.card(page, c)))
        self.assertIn("Intet nyt i pagten siden sidste møde den %s." % da_date(b_start), plain)


if __name__ == "__main__":
    unittest.main()

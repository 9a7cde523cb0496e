"""Header injection end to end (issue 12, defect 3; issue 13, item 5):
names, organisations and IDs that try to add header fields, read back from
the recipients' real mailboxes in the sandbox.

- A nomination whose `Kontakt:` continues over `Bcc:` and `Reply-To:`
  lines, and one whose contact name holds quotes, commas, angle brackets,
  addresses and Danish letters, both admitted by votes: the welcome mail
  and the invitation to a coming meeting reach the contact with exactly one
  To address (the contact's), no Bcc or Cc, the pact's own Reply-To only,
  CRLF line ends only, header lines within 78 characters (76 with encoded
  words), and the calendar's ATTENDEE naming only the contact. Nothing
  reaches the addresses hidden in the names.
- Replies to mail whose Message-ID, In-Reply-To and References carry
  folded `Bcc:` lines, junk and malformed IDs: In-Reply-To and References
  hold only real msg-ids, and no field is added.

Each test keeps its Pact's pactd.log in $TMPDIR/pactd-injection-logs/."""

import datetime
import email
import email.header
import email.policy
import email.utils
import os
import re
import shutil
import tempfile
import time
import unittest
import uuid

import calendar_check as cc
import test_meetings as tm  # helpers only: no TestCase is named here
from pactlib import PACT, clear_mailbox, make_mail, parse, replies_to, sandbox

UTC = datetime.timezone.utc
LOGS = os.path.join(tempfile.gettempdir(), "pactd-injection-logs")
ANNE = "anne@di.example.test"
SECRETARIAT = tm.SECRETARIAT
KAREN = tm.KAREN
NINA = tm.NINA
VICTIM = "victim@third.example.test"
EVE = "eve@evil.example.test"
MALLORY = "mallory@evil.example.test"
HIDDEN = [VICTIM, EVE, MALLORY]

# a contact continued over lines that look like header fields: one line,
# joined with spaces
FOLDED = "Karen Madsen\n  Bcc: %s\n  Reply-To: %s\n  <%s>" % (VICTIM, EVE, KAREN)
KAREN_NAME = "Karen Madsen Bcc: %s Reply-To: %s" % (VICTIM, EVE)
# quotes, commas, angle brackets, addresses and non-ASCII in a quoted name
QUOTED = '"Nina \\"NH\\" Ærø-Holm, <%s>, %s" <%s>' % (MALLORY, EVE, NINA)
NINA_NAME = 'Nina "NH" Ærø-Holm, <%s>, %s' % (MALLORY, EVE)
# an organisation folded the same way reaches every ballot's subject
ORG = "Acme Sikkerhed ApS\n  Bcc: %s" % VICTIM
ORG_NAME = "Acme Sikkerhed ApS Bcc: %s" % VICTIM

TRANSIT = {"return-path", "delivered-to", "received"}  # added on the way


def unfold(value):
    return re.sub(r"\r?\n[ \t]", " ", value) if "\n" in value else value


def rfc2047_phrase(raw_value):
    """The display name of a raw mailbox value decoded as RFC 2047 6.2
    says (white space between adjacent encoded words ignored), for names
    in encoded words: Python 3.11's address parser keeps that space."""
    phrase = unfold(raw_value).rsplit("<", 1)[0].strip()
    return str(email.header.make_header(email.header.decode_header(phrase)))


class Injection(unittest.TestCase):
    def setUp(self):
        self.sb = sandbox()
        self.pact = tm.make_pact({})
        for addr in tm.EVERYONE + HIDDEN:
            clear_mailbox(addr)
        self.t = tm.base_time()

    def tearDown(self):
        os.makedirs(LOGS, exist_ok=True)
        if os.path.exists(self.pact.logfile):
            shutil.copy(self.pact.logfile, os.path.join(LOGS, self.id().split(".")[-1] + ".log"))
        self.pact.cleanup()

    # ------------------------------------------------------------ plumbing
    def step(self, at=None, minutes=2):
        self.t = at if at is not None else self.t + datetime.timedelta(minutes=minutes)
        rc, err = self.pact.once(now=tm.iso(self.t))
        self.assertEqual(rc, 0, err)
        return err

    def submit(self, *mails):
        """Deliver (raw, envelope sender[, recipients]) to the pact, then one pass."""
        have = self.sb.count(PACT)
        for i, m in enumerate(mails):
            self.sb.send(m[0], m[1], m[2] if len(m) > 2 else [PACT])
            self.sb.wait_messages(PACT, have + i + 1)
        return self.step()

    def mails(self, addr):
        return [(raw, parse(raw)) for raw in self.sb.messages(addr)]

    def wait_for(self, addr, pred, want=1, timeout=15):
        deadline = time.time() + timeout
        while True:
            found = [(r, m) for r, m in self.mails(addr) if pred(m)]
            if len(found) >= want or time.time() >= deadline:
                return found
            time.sleep(0.1)

    def log(self):
        return self.pact.logtext()[-4000:]

    # ------------------------------------------------------------ the checks
    def check_raw(self, raw, what):
        """CRLF only; every header line pactd wrote within 78 characters,
        76 when it holds an encoded word; each field a known one, once."""
        self.assertNotRegex(raw, rb"[^\r]\n", "%s: bare LF" % what)
        self.assertNotRegex(raw, rb"\r[^\n]", "%s: bare CR" % what)
        head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
        fields, cur = [], None
        for line in head.split("\r\n"):
            if line[:1] in (" ", "\t"):
                self.assertIsNotNone(cur, what)
                cur.append(line)
            else:
                cur = [line]
                fields.append(cur)
        names = []
        for lines in fields:
            name = lines[0].split(":", 1)[0].lower()
            if name in TRANSIT:
                continue
            names.append(name)
            for line in lines:
                limit = 76 if "=?" in line else 78
                self.assertLessEqual(len(line), limit, "%s: %r" % (what, line))
        for n in set(names):
            self.assertEqual(names.count(n), 1, "%s: %d %s fields" % (what, names.count(n), n))
        self.assertFalse({"bcc", "cc"} & set(names), "%s: %s" % (what, names))
        return names

    def check_mail(self, raw, owner, name, what, reply_to):
        """One mail as `owner` got it: strict parse, one To address with
        the expected name, Reply-To only the pact's own."""
        names = self.check_raw(raw, what)
        msg = email.message_from_bytes(raw, policy=email.policy.strict)
        self.assertEqual(msg.defects, [], what)
        for k in msg.keys():
            self.assertEqual(list(msg[k].defects), [], "%s: %s %r" % (what, k, msg[k].defects))
        to = msg["To"].addresses
        self.assertEqual(len(to), 1, "%s: To %r" % (what, str(msg["To"])))
        self.assertEqual(to[0].addr_spec, owner, what)
        raw_to = [v for k, v in msg.raw_items() if k.lower() == "to"][0]
        if "=?" in raw_to:
            self.assertEqual(rfc2047_phrase(raw_to), name, what)
            self.assertEqual(to[0].display_name.replace(" ", ""), name.replace(" ", ""), what)
        else:
            self.assertEqual(to[0].display_name, name, what)
        if reply_to:
            self.assertIn("reply-to", names, what)
        if "reply-to" in names:
            rt = msg["Reply-To"].addresses
            self.assertEqual(len(rt), 1, "%s: Reply-To %r" % (what, str(msg["Reply-To"])))
            self.assertRegex(rt[0].addr_spec, r"^pagt\+[a-z]-[a-z2-7]+@example\.test$", what)
        return msg

    def check_nothing_hidden_sent(self):
        time.sleep(1.0)
        for addr in HIDDEN:
            self.assertEqual(self.sb.messages(addr), [], "%s got mail" % addr)

    # ------------------------------------------------------------ the scenario
    def call_meeting(self):
        raw, mid = make_mail(SECRETARIAT, "MØDE", tm.meeting_body(**tm.SUMMER))
        self.submit((raw, SECRETARIAT))
        r = replies_to(SECRETARIAT, mid)
        self.assertEqual(len(r), 1, self.log())
        return re.search(r"\[(PAGT-\d{4}-\d{4})\]", r[0]["Subject"]).group(1)

    def admit(self, org, org_name, contact, cvr):
        """DI nominates; six parties vote JA to their ballot mails' Reply-To."""
        body = ("Hej sekretariat,\n\nOrganisation: %s\nType: virksomhed\nCVR: %s\n"
                "Kontakt: %s\nDialog: 2026-11-20\nPrincipper: ja\n"
                "Initiativer:\n- Gratis sikkerhedstjek for 100 SMV'er\n"
                "Sammenhæng: Initiativet styrker SMV'ernes sikkerhed (formål 1).\n\nVenlig hilsen\nAnne\n"
                % (org, cvr, contact))
        raw, mid = make_mail(tm.who(ANNE), "INDSTILLING", body)
        self.submit((raw, ANNE))
        r = replies_to(ANNE, mid)
        self.assertEqual(len(r), 1, self.log())
        m = re.search(r"\[(PAGT-\d{4}-\d{4})\]", r[0]["Subject"])
        self.assertIsNotNone(m, "%s\n%s" % (r[0]["Subject"], r[0].get_body(("plain",)).get_content()))
        bref = m.group(1)
        votes = []
        for addr in tm.DELEGATES[:7]:
            if addr == "bo@di.example.test":
                continue  # one vote per party
            ballot = self.wait_for(addr, lambda m: (m["Message-ID"] or "").startswith("<v-")
                                   and bref in (m["Message-ID"] or ""))
            self.assertEqual(len(ballot), 1, "%s: ballot mail" % addr)
            braw, bm = ballot[0]
            self.check_mail(braw, addr, tm.NAMES.get(addr) or "", "ballot to %s" % addr, True)
            self.assertEqual(str(bm["Subject"]), "[%s] Afstemning: optagelse af %s" % (bref, org_name))
            to = email.utils.parseaddr(str(bm["Reply-To"]))[1]
            raw, vmid = make_mail(tm.who(addr), "Re: %s" % bm["Subject"], "Ja\n", to=to,
                                  headers={"In-Reply-To": bm["Message-ID"], "References": bm["Message-ID"]})
            votes.append((raw, addr, [to]))
        self.submit(*votes)
        self.assertEqual(self.pact.ctl("ballot", bref)["state"], "approved", self.log())
        return bref

    def check_member(self, contact, name, ref):
        """The welcome mail and the invitation as the new member got them."""
        welcome = self.wait_for(contact, lambda m: (m["Subject"] or "").startswith("Velkommen"))
        self.assertEqual(len(welcome), 1, "%s: welcome\n%s" % (contact, self.log()))
        self.check_mail(welcome[0][0], contact, name, "welcome to %s" % contact, False)
        inv = self.wait_for(contact, lambda m: ".%s." % ref in (m["Message-ID"] or ""))
        self.assertEqual(len(inv), 1, "%s: invitation\n%s" % (contact, self.log()))
        msg = self.check_mail(inv[0][0], contact, name, "invitation to %s" % contact, True)
        cals = cc.mime_calendars(msg)
        self.assertEqual(len(cals), 2)
        for _, _, _, _, data, _ in cals:
            self.assertEqual(cc.crlf_problems(data), [])
            for parser, v in cc.read_all(data).items():
                self.assertEqual(v.errors, [], parser)
                self.assertEqual(len(v.attendees), 1, "%s: %r" % (parser, v.attendees))
                addr, params = v.attendees[0]
                self.assertEqual(addr.lower(), "mailto:" + contact, parser)
                self.assertEqual(params.get("CN"), name.replace('"', ""), parser)
                self.assertEqual(params.get("RSVP"), "TRUE", parser)

    def test_folded_and_quoted_contacts_admitted(self):
        meeting = self.call_meeting()
        self.admit(ORG, ORG_NAME, FOLDED, tm.CVR)
        self.check_member(KAREN, KAREN_NAME, meeting)
        self.admit("AeroData A/S", "AeroData A/S", QUOTED, tm.cvr_with_check(4271903))
        self.check_member(NINA, NINA_NAME, meeting)
        self.check_nothing_hidden_sent()

    def test_contact_that_no_header_can_carry_is_refused(self):
        body = ("Organisation: Acme\nType: virksomhed\nCVR: %s\nKontakt: Karen <karen@acme..example.test>\n"
                "Dialog: 2026-11-20\nPrincipper: ja\nInitiativer:\n- Sikkerhedstjek\n"
                "Sammenhæng: Formål 1.\n" % tm.CVR)
        raw, mid = make_mail(tm.who(ANNE), "INDSTILLING", body)
        self.submit((raw, ANNE))
        r = replies_to(ANNE, mid)
        self.assertEqual(len(r), 1, self.log())
        self.assertEqual(str(r[0]["Subject"]), "Re: Indstilling")
        self.assertIn("er ikke en kontakt", r[0].get_body(("plain",)).get_content())
        self.assertEqual(self.pact.ctl("ballots"), [])

    # ------------------------------------------------------------ threads
    def test_hostile_thread_ids_add_no_field(self):
        good = "%s@client.example.test" % uuid.uuid4().hex
        raw, mid = make_mail(tm.who(ANNE), "HJÆLP", "Hej\n", msgid=good, headers={
            "In-Reply-To": "<x@client.example.test>\r\n Bcc: %s" % VICTIM,
            "References": "<r1@client.example.test>\r\n Bcc: %s\r\n <bad id@x>\r\n junk"
                          " <r2@client.example.test>Bcc:<r3@client.example.test>,\r\n <%s>\r\n"
                          " Reply-To: %s" % (VICTIM, good, EVE),
        })
        # a Message-ID that is no msg-id, its continuation a field
        bad = make_mail(tm.who(ANNE), "OVERBLIK", "Hej\n", msgid="no id here")[0]
        bad = bad.replace(b"Message-ID: <no id here>", b"Message-ID: <no id here>\r\n Bcc: " +
                          VICTIM.encode() + b"\r\n Reply-To: " + EVE.encode())
        self.submit((raw, ANNE), (bad, ANNE))
        got = self.wait_for(ANNE, lambda m: True, want=2)
        self.assertEqual(len(got), 2, self.log())
        answers = {}
        for r, m in got:
            msg = self.check_mail(r, ANNE, "Anne Holm", "reply %s" % m["Subject"], False)
            answers["thread" if msg["In-Reply-To"] else "none"] = msg
        self.assertEqual(set(answers), {"thread", "none"})
        msg = answers["thread"]
        self.assertEqual(str(msg["In-Reply-To"]), "<%s>" % good)
        refs = unfold(str(msg["References"])).split()
        self.assertEqual(refs, ["<r1@client.example.test>", "<r2@client.example.test>",
                                "<r3@client.example.test>", "<%s>" % good])
        self.assertNotIn("References", answers["none"])
        self.check_nothing_hidden_sent()


if __name__ == "__main__":
    unittest.main()

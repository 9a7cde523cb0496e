"""Meetings end to end (SPEC sections 5 and 9; issue 4): invitations,
updates and cancellations read back from each attendee's own mailbox in
the sandbox and parsed by three independent iCalendar parsers (libical
through ctypes, python3-icalendar, python3-vobject); answers sent the way
Outlook/Exchange, Outlook for Windows, Google Calendar, Apple Calendar,
iPhone and Thunderbird send them (tests/data/rsvp/*.eml) and as plain
replies; a COUNTER and answers pactd cannot place reaching the
secretariat; a participant admitted later and one who withdraws.

The clock is moved with PACTD_NOW and only forward. Each test keeps its
Pact's pactd.log in $TMPDIR/pactd-meetings-logs/<test>.log."""

import datetime
import email.utils
import os
import re
import shutil
import tempfile
import time
import unittest
import uuid
from zoneinfo import ZoneInfo

import calendar_check as cc
import clients
from pactlib import (DATA, PACT, Pact, clear_mailbox, folder_message_ids,
                     make_mail, parse, replies_to, sandbox, text_of)

UTC = datetime.timezone.utc
CPH = ZoneInfo("Europe/Copenhagen")
LOGS = os.path.join(tempfile.gettempdir(), "pactd-meetings-logs")
RSVP = os.path.join(DATA, "rsvp")
PROCESSED = "pactd/Processed"
QUARANTINE = "pactd/Quarantine"

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
    "carl@vfds.example.test": "Carl Berg",
    "dorte@vfds.example.test": None,
    "sekretariat@erst.example.test": None,
}
DELEGATES = [a for a in NAMES if not a.endswith("vfds.example.test") and not a.startswith("sekretariat")]
ADVISORY = ["carl@vfds.example.test", "dorte@vfds.example.test"]
SECRETARIAT = "sekretariat@erst.example.test"
ATTENDEES = DELEGATES + [SECRETARIAT]
ENGLISH = {"lise@ida.example.test"}
KAREN = "karen@acme.example.test"
NINA = "nina@aeroedata.example.test"
GUEST = "gaest@partner.example.test"
STRANGER = "ukendt@elsewhere.example.test"
EVERYONE = list(NAMES) + [KAREN, NINA, GUEST, STRANGER]
CVR = "10150817"
TOKEN = r"[a-z2-7]{20,}"

LOCATION = "Erhvervsstyrelsen, Langelinie Allé 17, 2100 København Ø"


def who(addr):
    name = NAMES.get(addr)
    return "%s <%s>" % (name, addr) if name else addr


def iso(t):
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def local(y, mo, d, h, mi=0):
    return datetime.datetime(y, mo, d, h, mi, tzinfo=CPH)


def wall(t):
    return t.astimezone(CPH).strftime("%Y%m%dT%H%M%S")


def zulu(t):
    return t.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def base_time():
    """1 Dec 2026 09:00 UTC, or tomorrow when the real date is later."""
    base = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    tomorrow = datetime.datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0) \
        + datetime.timedelta(days=1)
    return max(base, tomorrow)


def ical_escape(s):
    return s.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def make_pact(overrides):
    """A Pact with these {(section, key): value} settings added."""
    pact = Pact()
    if overrides:
        sections = {}
        for (sec, key), val in overrides.items():
            sections.setdefault(sec, []).append("%s = %s" % (key, val))
        with open(pact.conf, "a") as f:
            for sec, lines in sections.items():
                f.write("[%s]\n%s\n\n" % (sec, "\n".join(lines)))
    return pact


def meeting_body(title=None, start=None, end=None, location=None, agenda=None, english=False):
    names = ("Title", "Start", "End", "Location", "Agenda") if english else \
        ("Titel", "Start", "Slut", "Sted", "Dagsorden")
    lines = ["Hej alle,", ""]
    for k, v in zip(names, (title, start, end, location)):
        if v is not None:
            lines.append("%s: %s" % (k, v))
    if agenda:
        lines.append("%s:" % names[4])
        lines += ["- %s" % a for a in agenda]
    lines += ["", "Venlig hilsen", "Sekretariatet"]
    return "\n".join(lines) + "\n"


class Meetings(unittest.TestCase):
    overrides = {}

    def setUp(self):
        self.sb = sandbox()
        self.pact = make_pact(self.overrides)
        for addr in EVERYONE:
            clear_mailbox(addr)
        self.t = base_time()

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
        """Deliver (raw, envelope sender[, recipients]) to the pact, then one pass."""
        have = self.sb.count(PACT)
        for i, m in enumerate(mails):
            raw, sender = m[0], m[1]
            rcpts = m[2] if len(m) > 2 else [PACT]
            self.sb.send(raw, sender, rcpts)
            self.sb.wait_messages(PACT, have + i + 1)
        return self.step(at)

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

    # ------------------------------------------------------------ meetings
    def call(self, subject="MØDE", at=None, **fields):
        """The secretariat sends a MØDE mail; returns the meeting's reference
        from the receipt."""
        raw, mid = make_mail(SECRETARIAT, subject, meeting_body(**fields))
        self.submit((raw, SECRETARIAT), at=at)
        r = replies_to(SECRETARIAT, mid)
        self.assertEqual(len(r), 1, "no receipt for %s\n%s" % (subject, self.log()))
        m = re.search(r"\[(PAGT-\d{4}-\d{4})\]", r[0]["Subject"] or "")
        self.assertIsNotNone(m, "receipt %r:\n%s" % (r[0]["Subject"], text_of(r[0])))
        self.assertIn(mid, folder_message_ids(PACT, PROCESSED))
        return m.group(1)

    def calendar_mails(self, addr, ref, want=1, timeout=15):
        """The pact's calendar mails (invitation, update, cancellation) for
        ref in addr's mailbox, oldest first, waiting for `want`."""
        def is_cal(m):
            return ("<m-" in (m["Message-ID"] or "") and ".%s." % ref in (m["Message-ID"] or "")
                    and (m["Subject"] or "").startswith("[%s] " % ref))
        got = self.wait_for(addr, is_cal, want, timeout)
        return got

    def meeting(self, ref):
        return self.pact.ctl("meeting", ref)

    def partstats(self, ref):
        return {a["address"].lower(): a["partstat"] for a in self.meeting(ref)["attendees"]}

    # ------------------------------------------------------------ the checks
    def check_calendar_mail(self, raw, msg, owner, ref, method, start, end, sequence,
                            stamp=None, uid=None, title=None, partstat="NEEDS-ACTION", whole=True):
        """Everything SPEC section 5 says of one calendar mail, as the
        attendee `owner` got it. Returns (uid, token)."""
        what = "%s %s to %s" % (method, ref, owner)
        # headers
        self.assertEqual(email.utils.parseaddr(str(msg["From"]))[1], PACT, what)
        self.assertEqual(email.utils.parseaddr(str(msg["To"]))[1].lower(), owner, what)
        self.assertEqual(msg["Auto-Submitted"], "auto-generated", what)
        self.assertIsNotNone(msg["Date"], what)
        rt = re.fullmatch(r"pagt\+m-(%s)@example\.test" % TOKEN, email.utils.parseaddr(str(msg["Reply-To"]))[1])
        self.assertIsNotNone(rt, "%s: Reply-To %r" % (what, msg["Reply-To"]))
        token = rt.group(1)
        self.assertRegex(msg["Message-ID"].strip(), r"^<m-%s\.%s\.\d+@example\.test>$" % (token, ref), what)
        self.assertTrue(msg["Subject"].startswith("[%s] " % ref), msg["Subject"])
        # MIME: mixed { alternative { text/plain, text/calendar }, application/ics invite.ics }
        self.assertEqual(msg.get_content_type(), "multipart/mixed", what)
        top = list(msg.iter_parts())
        self.assertEqual([p.get_content_type() for p in top], ["multipart/alternative", "application/ics"], what)
        alt = list(top[0].iter_parts())
        self.assertEqual([p.get_content_type() for p in alt], ["text/plain", "text/calendar"], what)
        self.assertEqual((alt[1].get_param("charset") or "").upper(), "UTF-8", what)
        self.assertEqual(alt[1].get_param("method"), method, "%s: MIME method= must equal METHOD, upper case" % what)
        self.assertEqual(top[1].get_filename(), "invite.ics", what)
        self.assertEqual(top[1].get_content_disposition(), "attachment", what)
        inline = alt[1].get_payload(decode=True)
        attached = top[1].get_payload(decode=True)
        self.assertEqual(inline, attached, "%s: invite.ics differs from the inline calendar" % what)
        # line ends: CRLF exactly once, folded at 75 octets
        self.assertEqual(cc.crlf_problems(inline), [], what)
        # the short two-rule VTIMEZONE, no history
        self.assertEqual(cc.vtimezone_shape(inline), (1, 1, 2, 0),
                         "%s: VTIMEZONE (DAYLIGHT, STANDARD, RRULE, RDATE)" % what)
        lines = cc.unfolded_lines(inline)
        ev = lines[lines.index("BEGIN:VEVENT"):lines.index("END:VEVENT")]
        self.assertFalse([ln for ln in ev if ln.startswith(("RRULE", "RDATE"))], "%s: no series" % what)
        self.assertIn("TZID:Europe/Copenhagen", lines, what)
        # the text part: what and where, in the attendee's language
        text = text_of(msg)
        self.assertIn("Ref: %s/m-%s" % (ref, token), text, what)
        self.assertIn(LOCATION, text, what)
        st = start.astimezone(CPH)
        self.assertTrue(re.search(r"%d\.%d\.%d kl\. %02d\.%02d|%04d-%02d-%02d %02d:%02d" % (
            st.day, st.month, st.year, st.hour, st.minute, st.year, st.month, st.day, st.hour, st.minute), text),
            "%s: local start time %s not in the text:\n%s" % (what, st, text))
        if method == "CANCEL":
            self.check_cancel(inline, text, whole, what)
        # three parsers, the same answers
        views = cc.read_all(inline)
        views["libical+iTIP"] = cc.libical_read(inline, restrictions=True)
        for name, v in views.items():
            with self.subTest(parser=name, mail=what):
                self.assertEqual(v.errors, [], "%s: %s" % (name, v.errors))
                if name == "libical+iTIP":
                    continue
                self.assertEqual(v.nevents, 1)
                self.assertEqual(v.method, method)
                self.assertTrue(v.uid)
                if uid is not None:
                    self.assertEqual(v.uid, uid, "UID must stay the same for the meeting's life")
                self.assertEqual(v.sequence, sequence)
                self.assertEqual(v.dtstart_utc, start.astimezone(UTC))
                self.assertEqual(v.dtend_utc, end.astimezone(UTC))
                self.assertEqual(v.dtstart_local, wall(start))
                if name != "vobject":  # vobject turns TZID into a tzinfo
                    self.assertEqual(v.dtstart_tzid, "Europe/Copenhagen")
                if stamp is not None:  # the pass's clock (it runs on from PACTD_NOW)
                    self.assertTrue(stamp <= v.dtstamp_utc <= stamp + datetime.timedelta(seconds=60),
                                    "DTSTAMP %s, the pass ran at %s" % (v.dtstamp_utc, stamp))
                self.assertEqual((v.organizer or "").lower(), "mailto:" + PACT)
                self.assertEqual(len(v.attendees), 1, v.attendees)
                addr, params = v.attendees[0]
                self.assertEqual(addr.lower(), "mailto:" + owner)
                if NAMES.get(owner):
                    self.assertEqual(params.get("CN"), NAMES[owner])
                if method == "REQUEST":
                    self.assertEqual(params.get("RSVP"), "TRUE")
                    self.assertEqual(params.get("PARTSTAT"), partstat)
                    self.assertEqual(params.get("ROLE"), "REQ-PARTICIPANT")
                    self.assertNotEqual(v.status, "CANCELLED")
                else:
                    # a cancellation asks for no answer; STATUS:CANCELLED only when
                    # the whole meeting is off (RFC 5546 section 3.2.5)
                    self.assertNotEqual((params.get("RSVP") or "FALSE").upper(), "TRUE", what)
                    self.assertNotEqual(params.get("PARTSTAT"), "NEEDS-ACTION", what)
                    self.assertEqual(v.status, "CANCELLED" if whole else None, what)
                self.assertEqual(v.location, LOCATION)
                if title is not None:
                    self.assertEqual(v.summary, title)
        return views["icalendar"].uid, token

    def check_cancel(self, inline, text, whole, what):
        """A cancellation as python3-icalendar reads it, and its text: it
        says the meeting is off for the reader and asks nothing."""
        import icalendar
        cal = icalendar.Calendar.from_ical(inline)
        self.assertEqual(str(cal["METHOD"]), "CANCEL", what)
        for ev in cal.walk("VEVENT"):
            atts = ev.get("ATTENDEE")
            atts = atts if isinstance(atts, list) else [atts]
            self.assertEqual(len(atts), 1, what)
            for a in atts:
                self.assertNotIn("RSVP", a.params, "%s: %s" % (what, a.params))
                self.assertNotIn("PARTSTAT", a.params, "%s: %s" % (what, a.params))
            self.assertEqual(str(ev.get("STATUS")) if "STATUS" in ev else None,
                             "CANCELLED" if whole else None, what)
        said = r"er aflyst|is\s+cancelled" if whole else r"ikke\s+længere\s+inviteret|no\s+longer\s+invited"
        self.assertRegex(text, said, what)
        self.assertNotRegex(text, r"JA, NEJ|YES, NO|knapperne|buttons|[Ss]var på denne|[Rr]eply to this", what)

    # ------------------------------------------------------------ answers
    def rsvp(self, name, sender, attendee, meeting, seq=None, start=None, end=None, extra=None,
             envelope=None):
        """A corpus answer filled for this meeting, as `sender` sends it to
        the pact (calendar clients write to the ORGANIZER)."""
        with open(os.path.join(RSVP, name), "rb") as f:
            raw = f.read()
        start = start or meeting["start_dt"]
        end = end or meeting["end_dt"]
        st = start.astimezone(CPH)
        en = end.astimezone(CPH)
        gwhen = "%s %d %s %d %s - %s (%s)" % (
            st.strftime("%a"), st.day, st.strftime("%b"), st.year,
            st.strftime("%-I%p").lower() if st.minute == 0 else st.strftime("%-I:%M%p").lower(),
            en.strftime("%-I%p").lower() if en.minute == 0 else en.strftime("%-I:%M%p").lower(),
            st.tzname())
        name_of = NAMES.get(sender.lower()) or sender.split("@")[0].capitalize()
        values = {
            "@@FROM@@": "%s <%s>" % (name_of, sender),
            "@@FROM_NAME@@": name_of,
            "@@FROM_ADDR@@": sender,
            "@@ATTENDEE@@": attendee,
            "@@UID@@": meeting["uid"],
            "@@MSGID@@": "%s@client.example.test" % uuid.uuid4().hex,
            "@@DATE@@": email.utils.format_datetime(self.t.astimezone(CPH)),
            "@@DTSTAMP@@": zulu(self.t),
            "@@DTSTART@@": wall(start),
            "@@DTEND@@": wall(end),
            "@@DTSTART_UTC@@": zulu(start),
            "@@DTEND_UTC@@": zulu(end),
            "@@SEQUENCE@@": str(meeting["sequence"] if seq is None else seq),
            "@@TITLE@@": meeting["title"],
            "@@LOCATION@@": ical_escape(meeting["location"]),
            "@@GOOGLE_WHEN@@": gwhen,
        }
        values.update(extra or {})
        raw = cc.fill_eml(raw, values)
        return raw, values["@@MSGID@@"], envelope or sender

    def current(self, ref):
        m = self.meeting(ref)
        m["start_dt"] = datetime.datetime.strptime(m["start"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        m["end_dt"] = datetime.datetime.strptime(m["end"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        return m

    def forwards(self, ref, want, timeout=15):
        """Mails to the secretariat about answers pactd cannot record."""
        return self.wait_for(SECRETARIAT, lambda m: (m["Subject"] or "").startswith(
            "[%s] Svar til mødet " % ref) and (m["Subject"] or "").endswith("som pactd ikke kan registrere"),
            want, timeout)


SUMMER = dict(title="Halvårsmøde juni 2027", start="2027-06-10 10:00", end="2027-06-10 13:00",
              location=LOCATION, agenda=["Status på initiativerne", "Årsstatus 2026", "Eventuelt"])
SUMMER_T = (local(2027, 6, 10, 10), local(2027, 6, 10, 13))
WINTER = dict(title="Vintermøde", start="14.1.2027 kl. 13.30", end="14.1.2027 kl. 16.00",
              location=LOCATION, agenda=["Nye associerede medlemmer"])
WINTER_T = (local(2027, 1, 14, 13, 30), local(2027, 1, 14, 16))


# ================================================================ invitations
class Invitations(Meetings):
    def test_summer_and_winter_invitations_in_every_mailbox(self):
        summer = self.call(**SUMMER)
        t0 = self.t
        winter = self.call(**WINTER)
        self.assertNotEqual(summer, winter)
        for ref, (start, end), fields, stamp in ((summer, SUMMER_T, SUMMER, t0),
                                                 (winter, WINTER_T, WINTER, self.t)):
            # CEST is UTC+2, CET UTC+1: 08:00Z and 12:30Z
            self.assertEqual(start.utcoffset(), datetime.timedelta(hours=2 if ref == summer else 1))
            m = self.meeting(ref)
            self.assertEqual((m["ref"], m["title"], m["location"], m["state"], m["sequence"]),
                             (ref, fields["title"], LOCATION, "scheduled", 0))
            self.assertEqual(m["start"], iso(start))
            self.assertEqual(m["end"], iso(end))
            self.assertEqual(sorted(a["address"] for a in m["attendees"]), sorted(ATTENDEES),
                             "the advisory board is not invited unless configured")
            self.assertEqual({a["partstat"] for a in m["attendees"]}, {"NEEDS-ACTION"})
            uids, tokens = set(), set()
            for owner in ATTENDEES:
                got = self.calendar_mails(owner, ref)
                self.assertEqual(len(got), 1, "%s: invitations to %s: %d\n%s" % (owner, ref, len(got), self.log()))
                raw, msg = got[0]
                self.assertTrue(msg["Subject"].startswith("[%s] Invitation: %s, " % (ref, fields["title"])),
                                msg["Subject"])
                uid, token = self.check_calendar_mail(raw, msg, owner, ref, "REQUEST", start, end, 0,
                                                      stamp=stamp, title=fields["title"])
                uids.add(uid)
                tokens.add(token)
                text = text_of(msg)
                for item in fields["agenda"]:
                    self.assertIn(item, text)
                if owner in ENGLISH:
                    self.assertIn("Agenda", text)
                    self.assertNotIn("Dagsorden", text)
                else:
                    self.assertIn("Dagsorden", text)
            self.assertEqual(len(uids), 1, "one UID per meeting: %s" % uids)
            self.assertEqual(uids, {m["uid"]})
            self.assertEqual(len(tokens), len(ATTENDEES), "one token per attendee")
            for addr in ADVISORY + [KAREN]:
                self.assertEqual(self.calendar_mails(addr, ref, timeout=0), [])
        listed = self.pact.ctl("meetings")
        self.assertEqual([x["ref"] for x in listed], [winter, summer], "pactctl meetings, by start")

    def test_start_in_the_past_or_missing_place_is_refused(self):
        raw, mid = make_mail(SECRETARIAT, "MØDE", meeting_body(start="2026-11-01 10:00", location="Kbh"))
        raw2, mid2 = make_mail(SECRETARIAT, "MEETING", meeting_body(start="2027-03-01 10:00"))
        self.submit((raw, SECRETARIAT), (raw2, SECRETARIAT))
        for m in (mid, mid2):
            self.assertEqual(len(replies_to(SECRETARIAT, m)), 1)
            self.assertIn(m, folder_message_ids(PACT, "pactd/Rejected"))
        self.assertEqual(self.pact.ctl("meetings"), [])
        # and only the secretariat calls meetings
        raw, mid = make_mail(who("anne@di.example.test"), "MØDE", meeting_body(**SUMMER))
        self.submit((raw, "anne@di.example.test"))
        self.assertEqual(len(replies_to("anne@di.example.test", mid)), 1)
        self.assertEqual(self.pact.ctl("meetings"), [])
        # pactctl on a reference that does not exist: exit 65, one line
        for cmd in ("meeting", "ballot"):
            p = self.pact.ctl(cmd, "PAGT-2099-0001", json_out=False, check=False)
            self.assertEqual((p.returncode, p.stdout, p.stderr),
                             (65, "", "pactctl: no %s PAGT-2099-0001\n" % cmd))

    def test_dst_switch_days_and_english_fields(self):
        # On the Sundays the clocks change (28 March, 31 October 2027) a
        # 10:00 meeting is 08:00Z and 09:00Z; called with English field names.
        spring = self.call(subject="MEETING", title="Spring", start="2027-03-28 10:00", end="2027-03-28 12:00",
                           location=LOCATION, agenda=["One"], english=True)
        autumn = self.call(subject="MEETING", title="Autumn", start="31.10.2027 kl. 10.00",
                           location=LOCATION, english=True)
        for ref, start, end in ((spring, local(2027, 3, 28, 10), local(2027, 3, 28, 12)),
                                (autumn, local(2027, 10, 31, 10), local(2027, 10, 31, 13))):  # default 180 min
            self.assertEqual(self.meeting(ref)["start"], iso(start))
            for owner in ("bo@di.example.test", "lise@ida.example.test"):
                raw, msg = self.calendar_mails(owner, ref)[0]
                self.check_calendar_mail(raw, msg, owner, ref, "REQUEST", start, end, 0)
        self.assertEqual(iso(local(2027, 3, 28, 10)), "2027-03-28T08:00:00Z")
        self.assertEqual(iso(local(2027, 10, 31, 10)), "2027-10-31T09:00:00Z")


class AdvisoryInvited(Meetings):
    overrides = {("meetings", "invite_advisory_board"): "yes"}

    def test_advisory_board_invited_when_configured(self):
        ref = self.call(**WINTER)
        m = self.meeting(ref)
        self.assertEqual(sorted(a["address"] for a in m["attendees"]), sorted(ATTENDEES + ADVISORY))
        for owner in ADVISORY:
            got = self.calendar_mails(owner, ref)
            self.assertEqual(len(got), 1, owner)
            self.check_calendar_mail(got[0][0], got[0][1], owner, ref, "REQUEST", *WINTER_T, 0)


# ===================================================== updates and cancellation
class Changes(Meetings):
    def test_reschedule_move_and_cancel(self):
        # 18 March is winter time, 15 April summer time: the reschedule crosses the switch
        ref = self.call(title="Forårsmøde", start="2027-03-18 10:00", end="2027-03-18 12:00",
                        location=LOCATION, agenda=["Status"])
        t0 = self.t
        first = (local(2027, 3, 18, 10), local(2027, 3, 18, 12))
        raw, msg = self.calendar_mails("anne@di.example.test", ref)[0]
        uid, _ = self.check_calendar_mail(raw, msg, "anne@di.example.test", ref, "REQUEST", *first, 0, stamp=t0)
        self.assertEqual(self.meeting(ref)["start"], "2027-03-18T09:00:00Z")

        # reschedule: same UID, SEQUENCE 1, new DTSTAMP, to everyone
        raw, mid = make_mail(SECRETARIAT, "MØDE ÆNDRING %s" % ref,
                             meeting_body(start="15.4.2027 kl. 14.00", end="2027-04-15 16:30"))
        self.submit((raw, SECRETARIAT))
        t1 = self.t
        self.assertEqual(len(replies_to(SECRETARIAT, mid)), 1, self.log())
        second = (local(2027, 4, 15, 14), local(2027, 4, 15, 16, 30))
        m = self.meeting(ref)
        self.assertEqual((m["sequence"], m["start"], m["end"], m["state"], m["uid"]),
                         (1, "2027-04-15T12:00:00Z", "2027-04-15T14:30:00Z", "scheduled", uid))
        for owner in ATTENDEES:
            got = self.calendar_mails(owner, ref, want=2)
            self.assertEqual(len(got), 2, "%s: %d calendar mails\n%s" % (owner, len(got), self.log()))
            self.check_calendar_mail(got[1][0], got[1][1], owner, ref, "REQUEST", *second, 1, stamp=t1, uid=uid)

        # an answer to the old version (iPhone, SEQUENCE 0, the old times in UTC) still counts
        mt = self.current(ref)
        raw, mid, env = self.rsvp("ios_old_sequence.eml", "mads@hk.example.test", "mads@hk.example.test", mt,
                                  seq=0, start=first[0], end=first[1])
        self.submit((raw, env))
        self.assertEqual(self.partstats(ref)["mads@hk.example.test"], "DECLINED", self.log())

        # only the place changes: still a change, SEQUENCE 2
        raw, mid = make_mail(SECRETARIAT, "Re: MØDE ÆNDRING %s" % ref,
                             meeting_body(location=LOCATION.replace("17", "18")))
        self.submit((raw, SECRETARIAT))
        m = self.meeting(ref)
        self.assertEqual(m["sequence"], 2, self.log())
        got = self.calendar_mails("lise@ida.example.test", ref, want=3)
        self.assertEqual(len(got), 3)
        views = cc.read_all(cc.mime_calendars(got[2][1])[0][4])
        for name, v in views.items():
            self.assertEqual((v.errors, v.uid, v.sequence, v.method, v.location),
                             ([], uid, 2, "REQUEST", LOCATION.replace("17", "18")), name)
        # back to the old place for the checks below
        raw, mid = make_mail(SECRETARIAT, "MEETING UPDATE %s" % ref, meeting_body(location=LOCATION))
        self.submit((raw, SECRETARIAT))
        self.assertEqual(self.meeting(ref)["sequence"], 3, self.log())

        # cancellation: METHOD:CANCEL, STATUS:CANCELLED, SEQUENCE 4, same UID, to everyone
        raw, mid = make_mail(SECRETARIAT, "MØDE AFLYS %s" % ref, "Hej\n\nVi aflyser.\n")
        self.submit((raw, SECRETARIAT))
        t4 = self.t
        self.assertEqual(len(replies_to(SECRETARIAT, mid)), 1)
        m = self.meeting(ref)
        self.assertEqual((m["state"], m["sequence"], m["uid"]), ("cancelled", 4, uid))
        for owner in ATTENDEES:
            got = self.calendar_mails(owner, ref, want=5)
            self.assertEqual(len(got), 5, "%s: %d calendar mails" % (owner, len(got)))
            self.check_calendar_mail(got[4][0], got[4][1], owner, ref, "CANCEL", *second, 4, stamp=t4, uid=uid)
        # a cancelled meeting cannot be changed or cancelled again
        raw, mid = make_mail(SECRETARIAT, "MØDE ÆNDRING %s" % ref, meeting_body(start="2027-05-01 10:00"))
        self.submit((raw, SECRETARIAT))
        self.assertIn(mid, folder_message_ids(PACT, "pactd/Rejected"))
        self.assertEqual(self.meeting(ref)["sequence"], 4)


# ===================================================================== answers
# (file, sender, ATTENDEE as the client writes it, PARTSTAT to be recorded)
CLIENT_ANSWERS = [
    ("outlook_exchange_accepted.eml", "anne@di.example.test", "Anne@DI.Example.Test", "ACCEPTED"),
    ("outlook_desktop_da_accepteret.eml", "jens@danskerhverv.example.test", "JENS@danskerhverv.example.test",
     "ACCEPTED"),
    ("outlook_desktop_da_afvist.eml", "peter@industriensfond.example.test", "peter@industriensfond.example.test",
     "DECLINED"),
    ("google_accepted.eml", "sofie@itb.example.test", "sofie@itb.example.test", "ACCEPTED"),
    ("apple_tentative.eml", "pia@smvdanmark.example.test", "Pia@SMVdanmark.example.test", "TENTATIVE"),
    ("thunderbird_declined.eml", "lise@ida.example.test", "lise@ida.example.test", "DECLINED"),
]


class Answers(Meetings):
    def test_calendar_clients_answers_are_recorded(self):
        ref = self.call(**SUMMER)
        mt = self.current(ref)
        mails = []
        for name, sender, attendee, _ in CLIENT_ANSWERS:
            raw, mid, env = self.rsvp(name, sender, attendee, mt)
            mails.append((raw, env))
        self.submit(*mails)
        ps = self.partstats(ref)
        for name, sender, attendee, want in CLIENT_ANSWERS:
            with self.subTest(client=name):
                self.assertEqual(ps.get(sender), want, "%s from %s\n%s" % (name, sender, self.log()))
        untouched = set(ATTENDEES) - {s for _, s, _, _ in CLIENT_ANSWERS}
        self.assertEqual({ps[a] for a in untouched}, {"NEEDS-ACTION"})
        self.assertEqual(self.forwards(ref, 0, timeout=0), [])
        # a later answer replaces the earlier: Anne declines after all (Thunderbird)
        raw, mid, env = self.rsvp("thunderbird_declined.eml", "anne@di.example.test", "anne@di.example.test", mt)
        self.submit((raw, env))
        self.assertEqual(self.partstats(ref)["anne@di.example.test"], "DECLINED")

    def test_plain_replies_ja_nej_maaske(self):
        ref = self.call(**WINTER)
        cases = [("outlook", "anne@di.example.test", "Ja, jeg kommer.", "ACCEPTED"),
                 ("gmail", "eva@finansdanmark.example.test", "Nej – desværre optaget", "DECLINED"),
                 ("apple", "ole@forsikringogpension.example.test", "MÅSKE", "TENTATIVE"),
                 ("thunderbird", "lise@ida.example.test", "Maybe, depends on travel.", "TENTATIVE"),
                 ("gmail", "bo@di.example.test", "yes!", "ACCEPTED"),
                 ("outlook", "mads@hk.example.test", "Måske, hvis toget kører", "TENTATIVE")]
        sent = []
        for client, addr, text, _ in cases:
            inv = self.calendar_mails(addr, ref)[0][0]
            raw, mid = clients.reply(client, inv, who(addr), text)
            rcpts = [a for _, a in email.utils.getaddresses([str(parse(raw)["To"])])]
            sent.append((raw, addr, rcpts))
        self.submit(*sent)
        ps = self.partstats(ref)
        for (client, addr, text, want), (raw, _, _) in zip(cases, sent):
            with self.subTest(client=client, reply=text):
                self.assertEqual(ps[addr], want, "%s: %r\n%s" % (addr, text, self.log()))
                mid = parse(raw)["Message-ID"].strip("<>")
                r = replies_to(addr, mid)
                self.assertEqual(len(r), 1, "receipt to %s" % addr)
                self.assertIn(ref, text_of(r[0]) + str(r[0]["Subject"]))
        # a reply that says neither changes nothing
        inv = self.calendar_mails("sofie@itb.example.test", ref)[0][0]
        raw, mid = clients.reply("gmail", inv, who("sofie@itb.example.test"), "Hvem kommer ellers?")
        self.submit((raw, "sofie@itb.example.test", [email.utils.parseaddr(str(parse(raw)["To"]))[1]]))
        self.assertEqual(self.partstats(ref)["sofie@itb.example.test"], "NEEDS-ACTION")
        self.assertEqual(len(replies_to("sofie@itb.example.test", mid)), 1)

    def test_counter_and_unknown_attendees_reach_the_secretariat(self):
        ref = self.call(**SUMMER)
        mt = self.current(ref)
        new_start, new_end = local(2027, 6, 17, 14), local(2027, 6, 17, 17)
        counter = self.rsvp("outlook_counter.eml", "eva@finansdanmark.example.test",
                            "eva@finansdanmark.example.test", mt,
                            extra={"@@NEW_DTSTART@@": wall(new_start), "@@NEW_DTEND@@": wall(new_end)})
        # bo answers for a guest who was never invited (Google)
        guest = self.rsvp("google_accepted.eml", "bo@di.example.test", GUEST, mt)
        self.submit(*[(raw, env) for raw, _, env in (counter, guest)])
        fw = self.forwards(ref, 2)
        bodies = [text_of(m) for _, m in fw]
        self.assertEqual(len(fw), 2, "forwards to the secretariat: %s\n%s" % (
            [m["Subject"] for _, m in fw], self.log()))

        def about(addr):
            return [b for b in bodies if addr in b]
        self.assertEqual(len(about("eva@finansdanmark.example.test")), 1, bodies)
        self.assertRegex(about("eva@finansdanmark.example.test")[0],
                         r"17\.6\.2027 kl\. 14\.00|2027-06-17 14:00", "the proposed time is shown")
        self.assertEqual(len(about(GUEST)), 1, bodies)
        m = self.meeting(ref)
        self.assertEqual((m["start"], m["sequence"]), (iso(SUMMER_T[0]), 0), "a COUNTER changes nothing by itself")
        self.assertNotIn(GUEST, {a["address"].lower() for a in m["attendees"]})
        self.assertEqual(self.partstats(ref)["bo@di.example.test"], "NEEDS-ACTION")

    def test_answer_for_an_uninvited_roster_member_reaches_the_secretariat(self):
        # Issue 4: "an iMIP COUNTER or a reply for an unknown attendee goes
        # to the secretariat". Carl (advisory board, on the roster, not invited
        # without invite_advisory_board) answers in Thunderbird for himself.
        ref = self.call(**SUMMER)
        raw, mid, env = self.rsvp("thunderbird_declined.eml", "carl@vfds.example.test",
                                  "carl@vfds.example.test", self.current(ref))
        self.submit((raw, env))
        self.assertNotIn("carl@vfds.example.test", {a["address"] for a in self.meeting(ref)["attendees"]})
        fw = self.forwards(ref, 1)
        self.assertEqual(len(fw), 1, "the secretariat hears of Carl's answer (pactd.log: %s)" % [
            ln for ln in self.pact.logtext().splitlines() if mid in ln])
        self.assertIn("carl@vfds.example.test", text_of(fw[0][1]))

    def test_answer_from_outside_the_roster_reaches_the_secretariat(self):
        ref = self.call(**SUMMER)
        mt = self.current(ref)
        raw, mid, env = self.rsvp("outlook_exchange_accepted.eml", STRANGER, STRANGER, mt)
        self.submit((raw, env))
        self.assertIn(mid, folder_message_ids(PACT, QUARANTINE))
        fw = self.forwards(ref, 1)
        self.assertEqual(len(fw), 1, self.log())
        self.assertIn(STRANGER, text_of(fw[0][1]))
        time.sleep(1.0)
        self.assertEqual(self.sb.messages(STRANGER), [], "nothing is sent to a stranger")
        self.assertNotIn(STRANGER, {a["address"] for a in self.meeting(ref)["attendees"]})


# ============================================================= joiners, leavers
def cvr_with_check(seven):
    """A valid CVR: seven digits and the modulus-11 check digit."""
    while True:
        d = [int(c) for c in str(seven)]
        check = (-sum(w * x for w, x in zip((2, 7, 6, 5, 4, 3, 2), d))) % 11
        if check < 10:
            return "%d%d" % (seven, check)
        seven += 1


class JoinAndLeave(Meetings):
    def admit(self, org, contact, cvr, at=None):
        """DI nominates; six parties vote JA to their ballot mails' Reply-To."""
        body = ("Hej sekretariat,\n\nOrganisation: %s\nType: virksomhed\nCVR: %s\n"
                "Kontakt: %s\nDialog: 2027-01-04\nPrincipper: ja\n"
                "Initiativer:\n- Gratis sikkerhedstjek for 100 SMV'er\n"
                "Sammenhæng: Initiativet styrker SMV'ernes sikkerhed (formål 1).\n\nVenlig hilsen\nAnne\n"
                % (org, cvr, contact))
        raw, mid = make_mail(who("anne@di.example.test"), "INDSTILLING", body)
        self.submit((raw, "anne@di.example.test"), at=at)
        r = replies_to("anne@di.example.test", mid)
        self.assertEqual(len(r), 1, self.log())
        bref = re.search(r"\[(PAGT-\d{4}-\d{4})\]", r[0]["Subject"]).group(1)
        votes = []
        for addr in DELEGATES[:7]:
            if addr == "bo@di.example.test":
                continue  # one vote per party
            ballot = self.wait_for(addr, lambda m: (m["Message-ID"] or "").startswith("<v-")
                                   and bref in (m["Message-ID"] or ""))
            self.assertEqual(len(ballot), 1, "%s: ballot mail" % addr)
            bm = ballot[0][1]
            to = email.utils.parseaddr(str(bm["Reply-To"]))[1]
            raw, vmid = make_mail(who(addr), "Re: %s" % bm["Subject"], "Ja\n", to=to,
                                  headers={"In-Reply-To": bm["Message-ID"], "References": bm["Message-ID"]})
            votes.append((raw, addr, [to]))
        self.assertEqual(len(votes), 6)
        self.submit(*votes)
        self.assertEqual(self.pact.ctl("ballot", bref)["state"], "approved", self.log())
        return bref

    def test_admitted_associate_invited_to_coming_meetings_and_withdrawal_cancels(self):
        summer = self.call(**SUMMER)
        winter = self.call(**WINTER)
        past = self.call(title="Nytårskur", start="2027-01-05 10:00", end="2027-01-05 12:00", location=LOCATION)
        dropped = self.call(title="Ekstra møde", start="2027-02-01 10:00", location=LOCATION)
        raw, mid = make_mail(SECRETARIAT, "MØDE AFLYS %s" % dropped, "Hej\n\nAflyst.\n")
        self.submit((raw, SECRETARIAT))
        self.assertEqual(self.meeting(dropped)["state"], "cancelled")
        # the winter meeting is rescheduled once: the late joiner gets the current version
        raw, mid = make_mail(SECRETARIAT, "MØDE ÆNDRING %s" % winter, meeting_body(title="Vintermøde (flyttet)"))
        self.submit((raw, SECRETARIAT))
        self.assertEqual(self.meeting(winter)["sequence"], 1)
        # let the update mails finish their way into the mailboxes first
        seen = {}
        for a in ("anne@di.example.test", SECRETARIAT):
            n, still = -1, time.time()
            while time.time() - still < 2.0:
                m = len(self.mails(a))
                if m != n:
                    n, still = m, time.time()
                time.sleep(0.2)
            seen[a] = n

        # 7 January 2027: the new year's reception is over; DI nominates Acme and AeroData
        self.t = datetime.datetime(2027, 1, 7, 9, 0, tzinfo=UTC)
        self.admit("Acme Sikkerhed ApS", "Karen Madsen <%s>" % KAREN, CVR, at=self.t)
        self.admit("AeroData A/S", "Nina Holm <%s>" % NINA, cvr_with_check(4271903))

        # both contacts are invited to the two coming meetings, not to the past or the cancelled one
        for contact in (KAREN, NINA):
            for ref, (start, end), seq, title in ((summer, SUMMER_T, 0, SUMMER["title"]),
                                                 (winter, WINTER_T, 1, "Vintermøde (flyttet)")):
                got = self.calendar_mails(contact, ref)
                self.assertEqual(len(got), 1, "%s: invitations to %s\n%s" % (contact, ref, self.log()))
                self.check_calendar_mail(got[0][0], got[0][1], contact, ref, "REQUEST", start, end, seq,
                                         uid=self.meeting(ref)["uid"], title=title)
                self.assertIn(contact, [a["address"] for a in self.meeting(ref)["attendees"]])
                self.assertEqual(self.partstats(ref)[contact], "NEEDS-ACTION")
            for ref in (past, dropped):
                self.assertEqual(self.calendar_mails(contact, ref, timeout=0), [], ref)
                self.assertNotIn(contact, [a["address"] for a in self.meeting(ref)["attendees"]])
        time.sleep(1.0)
        for a, n in seen.items():
            new = [m for _, m in self.mails(a)[n:] if "<m-" in (m["Message-ID"] or "")]
            self.assertEqual(new, [], "%s got calendar mail because Karen joined" % a)

        # Karen answers her invitation in Outlook: recorded like anyone else's
        raw, mid, env = self.rsvp("outlook_exchange_accepted.eml", KAREN, KAREN.upper(), self.current(summer))
        self.submit((raw, env))
        self.assertEqual(self.partstats(summer)[KAREN], "ACCEPTED", self.log())

        # Acme withdraws: Karen's calendar gets a cancellation for each coming meeting
        raw, mid = make_mail("Karen Madsen <%s>" % KAREN, "UDMELDELSE", "Hej\n\nVi melder os ud.\n\nKaren\n")
        self.submit((raw, KAREN))
        self.assertEqual(len(replies_to(KAREN, mid)), 1, self.log())
        for ref, (start, end), seq in ((summer, SUMMER_T, 0), (winter, WINTER_T, 1)):
            got = self.calendar_mails(KAREN, ref, want=2)
            self.assertEqual(len(got), 2, "%s: calendar mails for %s after the withdrawal\n%s" % (KAREN, ref, self.log()))
            raw, msg = got[1]
            mt = self.meeting(ref)
            # SEQUENCE not below the invitation's, or clients ignore the cancellation
            views = cc.read_all(cc.mime_calendars(msg)[0][4])
            self.assertGreaterEqual(views["icalendar"].sequence, seq)
            self.check_calendar_mail(raw, msg, KAREN, ref, "CANCEL", start, end, views["icalendar"].sequence,
                                     uid=mt["uid"], whole=False)
            self.assertEqual(mt["state"], "scheduled", "the meeting itself goes on")
        for ref in (past, dropped):
            self.assertEqual(self.calendar_mails(KAREN, ref, timeout=0), [])

        self.assertNotIn(KAREN, [a["address"] for a in self.meeting(summer)["attendees"]])

        # a change after that reaches Nina, not Karen
        raw, mid = make_mail(SECRETARIAT, "MØDE ÆNDRING %s" % summer, meeting_body(agenda=["Kun status"]))
        self.submit((raw, SECRETARIAT))
        got = self.calendar_mails(NINA, summer, want=2)
        self.assertEqual(len(got), 2, self.log())
        self.check_calendar_mail(got[1][0], got[1][1], NINA, summer, "REQUEST", *SUMMER_T, 1,
                                 uid=self.meeting(summer)["uid"])
        time.sleep(1.0)
        self.assertEqual(len(self.calendar_mails(KAREN, summer, timeout=0)), 2, "Karen left: no update for her")

        # the secretariat withdraws AeroData: Nina's calendar gets the cancellations too
        raw, mid = make_mail(SECRETARIAT, "UDMELDELSE", "Hej\n\nOrganisation: AeroData A/S\n\nHilsen\n")
        self.submit((raw, SECRETARIAT))
        self.assertEqual(len(replies_to(SECRETARIAT, mid)), 1, self.log())
        self.assertIn(mid, folder_message_ids(PACT, PROCESSED), self.log())
        for ref, (start, end), n, least in ((summer, SUMMER_T, 3, 1), (winter, WINTER_T, 2, 1)):
            got = self.calendar_mails(NINA, ref, want=n)
            self.assertEqual(len(got), n, "%s: calendar mails for %s after the withdrawal\n%s" % (NINA, ref, self.log()))
            raw, msg = got[-1]
            seq = cc.read_all(cc.mime_calendars(msg)[0][4])["icalendar"].sequence
            self.assertGreaterEqual(seq, least, "SEQUENCE not below the last one Nina got")
            self.check_calendar_mail(raw, msg, NINA, ref, "CANCEL", start, end, seq,
                                     uid=self.meeting(ref)["uid"], whole=False)


# ==================================================================== cadence
class Cadence(Meetings):
    def test_secretariat_reminded_when_no_next_meeting(self):
        self.call(**WINTER)
        n0 = len(self.mails(SECRETARIAT))
        self.step(at=datetime.datetime(2027, 1, 10, 9, tzinfo=UTC))
        time.sleep(1.0)
        self.assertEqual(len(self.mails(SECRETARIAT)), n0, "no reminder while a meeting is scheduled")

        def reminder(m):
            return "<m-" not in (m["Message-ID"] or "") and not m["In-Reply-To"] and "MØDE" in text_of(m)
        self.step(at=datetime.datetime(2027, 7, 20, 9, tzinfo=UTC))
        got = self.wait_for(SECRETARIAT, reminder)
        self.assertEqual(len(got), 1, self.log())
        self.step(at=datetime.datetime(2027, 7, 21, 9, tzinfo=UTC))
        time.sleep(1.0)
        self.assertEqual(len(self.wait_for(SECRETARIAT, reminder, timeout=0)), 1, "one reminder only")


# ================================================================ the corpus
class Corpus(unittest.TestCase):
    """tests/data/rsvp/*.eml filled in read as the client meant them, in
    all three parsers (so that what pactd is held to is real iCalendar)."""

    def test_rsvp_files_are_what_they_claim(self):
        want = {"outlook_exchange_accepted.eml": ("REPLY", "ACCEPTED", ["text/calendar"]),
                "outlook_desktop_da_accepteret.eml": ("REPLY", "ACCEPTED", ["application/ics"]),
                "outlook_desktop_da_afvist.eml": ("REPLY", "DECLINED", ["application/ics"]),
                "google_accepted.eml": ("REPLY", "ACCEPTED", ["text/calendar", "application/ics"]),
                "apple_tentative.eml": (None, "TENTATIVE", ["text/calendar"]),
                "thunderbird_declined.eml": ("REPLY", "DECLINED", ["text/calendar", "application/ics"]),
                "outlook_counter.eml": ("COUNTER", "TENTATIVE", ["text/calendar"]),
                "ios_old_sequence.eml": ("REPLY", "DECLINED", ["text/calendar"])}
        self.assertEqual(sorted(want), sorted(f for f in os.listdir(RSVP) if f.endswith(".eml")))
        start, end = SUMMER_T
        values = {"@@FROM@@": "Jens Kjær <jens@danskerhverv.example.test>", "@@FROM_NAME@@": "Jens Kjær",
                  "@@FROM_ADDR@@": "jens@danskerhverv.example.test", "@@ATTENDEE@@": "Jens@DanskErhverv.example.test",
                  "@@UID@@": "PAGT-2026-0001-x@example.test", "@@MSGID@@": "a@b.example.test",
                  "@@DATE@@": "Tue, 01 Dec 2026 10:00:00 +0100", "@@DTSTAMP@@": "20261201T090000Z",
                  "@@DTSTART@@": wall(start), "@@DTEND@@": wall(end), "@@DTSTART_UTC@@": zulu(start),
                  "@@DTEND_UTC@@": zulu(end), "@@SEQUENCE@@": "0", "@@TITLE@@": SUMMER["title"],
                  "@@LOCATION@@": ical_escape(LOCATION), "@@GOOGLE_WHEN@@": "Thu 10 Jun 2027 10am - 1pm (CEST)",
                  "@@NEW_DTSTART@@": "20270617T140000", "@@NEW_DTEND@@": "20270617T170000"}
        for name, (method, partstat, types) in want.items():
            with self.subTest(file=name):
                with open(os.path.join(RSVP, name), "rb") as f:
                    raw = f.read()
                self.assertNotIn(b"\n", raw.replace(b"\r\n", b""), "CRLF corpus")
                msg = parse(cc.fill_eml(raw, values))
                self.assertIn(SUMMER["title"], str(msg["Subject"]))
                cals = cc.mime_calendars(msg)
                self.assertEqual([c[0] for c in cals], types)
                for ct, mparam, fn, disp, data, parent in cals:
                    self.assertEqual(cc.crlf_problems(data), [])
                    for pname, v in cc.read_all(data).items():
                        # libical notes the empty COMMENT/DESCRIPTION real clients send
                        errs = [e for e in v.errors if "No value for" not in e]
                        self.assertEqual(errs, [], pname)
                        self.assertEqual(v.method, method, pname)
                        self.assertEqual(v.uid, values["@@UID@@"], pname)
                        self.assertEqual(len(v.attendees), 1, pname)
                        self.assertEqual(v.attendees[0][1].get("PARTSTAT"), partstat, pname)
                        self.assertEqual(v.attendees[0][0].lower(), "mailto:jens@danskerhverv.example.test", pname)
                        if method != "COUNTER":
                            self.assertEqual(v.dtstart_utc, start.astimezone(UTC), pname)


if __name__ == "__main__":
    unittest.main()

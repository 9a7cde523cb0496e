"""The hostile input catalogue (issue 7 item 5; SPEC sections 6 and 7).

Each mail comes from someone on the roster and is put straight into the
pact's INBOX (IMAP APPEND, so that no SMTP size or line limit gets in the
way; where Dovecot will not take the bytes, into the Maildir). After it, in
the same pass, an ordinary HJÆLP. pactd --once must exit 0, leave nothing in
INBOX, answer the hostile mail (a rejection naming the problem, or a normal
answer) or quarantine it, and answer the HJÆLP that came after it.
Every Pact's log is kept in $TMPDIR/pactd-hostile-logs/<test>.log; with
HOSTILE_VERBOSE=1 each hostile mail's outcome and answer are printed."""

import base64
import datetime
import email.utils
import os
import re
import shutil
import tempfile
import time
import unittest
import uuid

from pactlib import PACT, Pact, clear_mailbox, folder_message_ids, make_mail, parse, sandbox, text_of

FOLDERS = {"pactd/Processed": "processed", "pactd/Rejected": "rejected",
           "pactd/Quarantine": "quarantine", "pactd/Ignored": "ignored"}
LOGS = os.path.join(tempfile.gettempdir(), "pactd-hostile-logs")
ANNE = "anne@di.example.test"
BO = "bo@di.example.test"
HELP_DA = "Her er de formularer"


def replies_to(user, msgid, timeout=20, want=1):
    """As pactlib.replies_to, each parsed answer with its bytes as .raw."""
    sb = sandbox()
    deadline = time.time() + timeout
    while True:
        found = []
        for raw in sb.messages(user):
            m = parse(raw)
            if (m.get("In-Reply-To") or "").strip() == "<%s>" % msgid:
                m.raw = raw
                found.append(m)
        if len(found) >= want or time.time() >= deadline:
            return found
        time.sleep(0.2)


def head(sender, subject, content_type, msgid=None, extra=""):
    """A header block (bytes, CRLF) with a fresh Message-ID."""
    msgid = msgid or "%s@hostile.example.test" % uuid.uuid4().hex
    h = ("From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s>\r\n"
         "MIME-Version: 1.0\r\nContent-Type: %s\r\n%s" % (
             sender, PACT, subject, email.utils.formatdate(), msgid, content_type, extra))
    return h.encode("utf-8"), msgid


def mail(sender, subject, content_type, body, extra=""):
    h, msgid = head(sender, subject, content_type, extra=extra)
    return h + b"\r\n" + body, msgid


class HostileBase(unittest.TestCase):
    overrides = {}

    def setUp(self):
        self.sb = sandbox()
        self.pact = Pact()
        if self.overrides:
            with open(self.pact.conf, "a") as f:
                for sec, kv in self.overrides.items():
                    f.write("[%s]\n%s\n" % (sec, "".join("%s = %s\n" % i for i in kv.items())))
        for a in (ANNE, BO):
            clear_mailbox(a)

    def tearDown(self):
        os.makedirs(LOGS, exist_ok=True)
        if os.path.exists(self.pact.logfile):
            shutil.copy(self.pact.logfile, os.path.join(LOGS, self.id().split(".")[-1] + ".log"))
        self.pact.cleanup()

    # ------------------------------------------------------------ delivery
    def deliver(self, raw):
        """Into the pact's INBOX: IMAP APPEND, or (when Dovecot refuses
        the bytes) a file in the Maildir's new/ folder."""
        try:
            self.sb.append(PACT, raw)
            return "append"
        except Exception:
            new = os.path.join(self.sb.maildir(PACT), "new")
            os.makedirs(new, exist_ok=True)
            name = "%d.%s.hostile" % (time.time(), uuid.uuid4().hex)
            tmp = os.path.join(self.sb.maildir(PACT), "tmp", name)
            os.makedirs(os.path.dirname(tmp), exist_ok=True)
            with open(tmp, "wb") as f:
                f.write(raw)
            st = os.stat(self.sb.maildir(PACT))
            os.chown(tmp, st.st_uid, st.st_gid)
            os.rename(tmp, os.path.join(new, name))
            return "maildir"

    def run_batch(self, mails, sender=ANNE, timeout_note=""):
        """Deliver the (raw, msgid) pairs and then a HJÆLP, run one pass,
        check everything; return {msgid: (outcome, reply or None)}."""
        for raw, _ in mails:
            self.deliver(raw)
        hraw, hmid = make_mail(sender, "HJÆLP", "Hej\n")
        self.deliver(hraw)
        t0 = time.time()
        rc, err = self.pact.once()
        self.elapsed = time.time() - t0
        self.assertEqual(rc, 0, "pactd --once exit %r %s\n%s" % (rc, timeout_note, err[-3000:]))
        self.assertEqual(self.sb.count(PACT, "INBOX"), 0, "left in INBOX\n" + err[-3000:])
        got = {}
        for raw, mid in mails:
            where = [n for f, n in FOLDERS.items() if mid in folder_message_ids(PACT, f)]
            self.assertEqual(len(where), 1, "<%s> is in %r\n%s" % (mid, where, err[-3000:]))
            outcome = where[0]
            self.assertIn(outcome, ("processed", "rejected", "quarantine"), err[-3000:])
            reply = None
            if outcome != "quarantine":
                r = replies_to(sender, mid)
                self.assertEqual(len(r), 1, "%s: no single answer to <%s>\n%s" % (outcome, mid, err[-3000:]))
                reply = r[0]
            got[mid] = (outcome, reply)
            if os.environ.get("HOSTILE_VERBOSE"):
                print("\n    <%s>: %s %.0f KB; answer %r %d bytes: %s" % (
                    mid[:8], outcome, len(raw) / 1024, reply and str(reply["Subject"])[:60],
                    len(reply.raw) if reply else 0,
                    reply and " / ".join(l for l in text_of(reply).splitlines() if l.strip())[:300]),
                    end="")
        r = replies_to(sender, hmid)
        self.assertEqual(len(r), 1, "the HJÆLP after the hostile mail was not answered\n" + err[-3000:])
        self.assertIn(HELP_DA, text_of(r[0]))
        self.assertIn(hmid, folder_message_ids(PACT, "pactd/Processed"))
        return got

    def answered(self, raw, mid, sender=ANNE, must=None):
        """One hostile mail; it must be answered (not quarantined); `must`
        is a regular expression the answer's text must match."""
        got = self.run_batch([(raw, mid)], sender)
        outcome, reply = got[mid]
        self.assertNotEqual(outcome, "quarantine", "a roster member's mail was quarantined")
        if must:
            self.assertRegex(text_of(reply), must)
        self.reply_is_clean(reply)
        return outcome, reply

    def reply_is_clean(self, reply):
        """The answer itself is a well-formed mail: ASCII header (RFC 5322,
        no SMTPUTF8), UTF-8 text, no NUL, not absurdly large."""
        raw = reply.raw
        hdr = raw.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0]
        self.assertTrue(all(b < 128 for b in hdr), "8-bit bytes in the answer's header: %r" % hdr[:2000])
        longest = max(len(l) for l in hdr.split(b"\n"))
        self.assertLessEqual(longest, 998, "a header line of %d octets (RFC 5322 2.1.1)" % longest)
        self.assertNotIn(b"\0", raw)
        self.assertLess(len(raw), 2 * 1024 * 1024, "answer of %d bytes" % len(raw))
        text_of(reply).encode("utf-8")


class Hostile(HostileBase):
    # ------------------------------------------------------------ MIME structure
    def test_200_nested_multiparts(self):
        depth = 200
        body = b""
        for i in range(depth):
            body += b"--b%d\r\nContent-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n" % (i, i + 1)
        body += (b"--b%d\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHj\xc3\xa6lp mig\r\n--b%d--\r\n"
                 % (depth, depth))
        for i in range(depth - 1, -1, -1):
            body += b"--b%d--\r\n" % i
        raw, mid = mail(ANNE, "=?utf-8?q?HJ=C3=86LP?=",
                        'multipart/mixed; boundary="b0"', body)
        self.answered(raw, mid)

    def test_nested_forwards(self):
        """200 messages each forwarded as a message/rfc822 attachment of the next."""
        inner = b"From: x@example.test\r\nSubject: innerst\r\n\r\nHej\r\n"
        for i in range(200):
            inner = (b"From: x@example.test\r\nSubject: fwd %d\r\nMIME-Version: 1.0\r\n"
                     b"Content-Type: multipart/mixed; boundary=\"f%d\"\r\n\r\n--f%d\r\n"
                     b"Content-Type: text/plain\r\n\r\nse vedh\xc3\xa6ftet\r\n--f%d\r\n"
                     b"Content-Type: message/rfc822\r\n\r\n" % (i, i, i, i) + inner + b"\r\n--f%d--\r\n" % i)
        raw, mid = mail(ANNE, "OVERBLIK", "message/rfc822", inner)
        self.answered(raw, mid)

    def test_20000_parts(self):
        parts = b"".join(b"--xx\r\nContent-Type: text/plain\r\n\r\ndel %d\r\n" % i for i in range(20000))
        body = b"--xx\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHej\r\n" + parts + b"--xx--\r\n"
        raw, mid = mail(ANNE, "HELP", 'multipart/mixed; boundary="xx"', body)
        self.answered(raw, mid, must=r"These are the forms|problem|could not")
        print("\n  20 000 parts: %.1f s, %d bytes" % (self.elapsed, len(raw)), end=" ")

    def test_boundary_that_never_ends(self):
        cases = [
            # parts, but no closing delimiter, and the last part runs to the end
            mail(ANNE, "=?utf-8?q?HJ=C3=86LP?=",
                 'multipart/mixed; boundary="endless"',
                 b"--endless\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHej\r\n"
                 b"--endless\r\nContent-Type: application/octet-stream\r\n\r\n" + b"A" * 100000),
            # a boundary that is never used at all
            mail(ANNE, "HELP", 'multipart/mixed; boundary="nowhere"', b"Hej\r\n" * 1000),
            # a boundary inside a boundary that never closes, 50 deep
            mail(ANNE, "HELP", 'multipart/mixed; boundary="a0"',
                 b"".join(b"--a%d\r\nContent-Type: multipart/mixed; boundary=\"a%d\"\r\n\r\n" % (i, i + 1)
                          for i in range(50)) + b"Hej\r\n"),
            # an empty boundary
            mail(ANNE, "HELP", 'multipart/mixed; boundary=""', b"--\r\nHej\r\n----\r\n"),
        ]
        got = self.run_batch(cases)
        for raw, mid in cases:
            if got[mid][1] is not None:
                self.reply_is_clean(got[mid][1])

    def test_boundary_a_lone_quote(self):
        # boundary="\"": the boundary is one double quote
        body = (b'--"\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHej\r\n'
                b'--"\r\nContent-Type: text/plain\r\n\r\nigen\r\n--"--\r\n')
        raw, mid = mail(ANNE, "HELP", 'multipart/mixed; boundary="\\""', body)
        # and its broken cousins: an open quote, a backslash at the end
        raw2, mid2 = mail(ANNE, "HELP", 'multipart/mixed; boundary="\\', b'--\\\r\n\r\nHej\r\n')
        raw3, mid3 = mail(ANNE, "HELP", 'multipart/mixed; boundary="abc', b'--"abc\r\n\r\nHej\r\n')
        got = self.run_batch([(raw, mid), (raw2, mid2), (raw3, mid3)])
        for m in (mid, mid2, mid3):
            if got[m][1] is not None:
                self.reply_is_clean(got[m][1])

    # ------------------------------------------------------------ sizes
    def test_1mb_header_line(self):
        cases = [
            # one unfolded 1 MB field of its own
            mail(ANNE, "HELP", "text/plain; charset=utf-8", b"Hej\r\n",
                 extra="X-Junk: " + "a" * (1 << 20) + "\r\n"),
            # a 1 MB subject (what goes into "Re: ..."?)
            mail(ANNE, "HELP " + "x" * (1 << 20), "text/plain; charset=utf-8", b"Hej\r\n"),
            # a 1 MB References line full of Message-IDs
            mail(ANNE, "HELP", "text/plain; charset=utf-8", b"Hej\r\n",
                 extra="References: " + " ".join("<%d@x.example.test>" % i for i in range(60000)) + "\r\n"),
            # a 1 MB To: of addresses
            mail(ANNE, "HELP", "text/plain; charset=utf-8", b"Hej\r\n",
                 extra="Cc: " + ", ".join("u%d@example.test" % i for i in range(60000)) + "\r\n"),
        ]
        got = self.run_batch(cases)
        for raw, mid in cases:
            self.assertNotEqual(got[mid][0], "quarantine")
            self.reply_is_clean(got[mid][1])

    def test_50mb_attachment(self):
        attachment = base64.encodebytes(os.urandom(37 * 1024 * 1024)).replace(b"\n", b"\r\n")
        body = (b"--big\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHej, se bilaget\r\n"
                b"--big\r\nContent-Type: application/pdf; name=\"stor.pdf\"\r\n"
                b"Content-Transfer-Encoding: base64\r\n"
                b"Content-Disposition: attachment; filename=\"stor.pdf\"\r\n\r\n" + attachment +
                b"--big--\r\n")
        raw, mid = mail(ANNE, "=?utf-8?q?ERKL=C3=86RING?=",
                        'multipart/mixed; boundary="big"', body)
        self.assertGreater(len(raw), 50 * 1000 * 1000)
        outcome, reply = self.answered(raw, mid, must=r"(?i)10485760|10 MB|too large|for stor|larger than|større end")
        self.assertEqual(outcome, "rejected")

    def test_just_over_and_under_the_limit(self):
        """max_message_bytes = 10485760: a mail of that size is read, one
        byte more is refused as too large."""
        def sized(n, subject):
            h, mid = head(ANNE, subject, "text/plain; charset=us-ascii")
            pad = n - len(h) - 2 - len(b"Hej\r\n")
            body = b"Hej\r\n" + (b"x" * 998 + b"\r\n") * (pad // 1000) + b"y" * (pad % 1000)
            raw = h + b"\r\n" + body
            self.assertEqual(len(raw), n)
            return raw, mid
        limit = 10485760
        at, at_mid = sized(limit, "HELP")
        over, over_mid = sized(limit + 1, "HELP")
        got = self.run_batch([(at, at_mid), (over, over_mid)])
        self.assertEqual(got[at_mid][0], "processed")
        self.assertEqual(got[over_mid][0], "rejected")
        self.assertRegex(text_of(got[over_mid][1]), r"(?i)10485760|10 MB|too large|for stor|larger than")

    def test_refusal_in_the_senders_language(self):
        """SPEC 6: replies are in the language of the keyword used. The
        problem named in a refusal of a Danish mail is Danish too."""
        depth = 200
        body = b"".join(b"--b%d\r\nContent-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n" % (i, i + 1)
                        for i in range(depth)) + b"Hej\r\n"
        nested = mail(ANNE, "=?utf-8?q?HJ=C3=86LP?=", 'multipart/mixed; boundary="b0"', body)
        h, mid = head(ANNE, "=?utf-8?q?HJ=C3=86LP?=", "text/plain; charset=us-ascii")
        big = (h + b"\r\n" + (b"x" * 998 + b"\r\n") * 10500, mid)
        many = mail(ANNE, "=?utf-8?q?HJ=C3=86LP?=", 'multipart/mixed; boundary="xx"',
                    b"".join(b"--xx\r\n\r\ndel %d\r\n" % i for i in range(10001)) + b"--xx--\r\n")
        got = self.run_batch([nested, big, many])
        for (raw, m), what in ((nested, "nested"), (big, "too large"), (many, "too many parts")):
            with self.subTest(what=what):
                outcome, reply = got[m]
                self.assertEqual(outcome, "rejected")
                text = text_of(reply)
                self.assertIn("Vi kunne ikke tage imod din mail", text)
                problem = [l for l in text.splitlines() if l.startswith("- ")][0]
                self.assertNotRegex(problem, r"(?i)\b(the message|larger than|more than|nested|levels|parts)\b",
                                    "English in a Danish answer: %r" % problem)

    # ------------------------------------------------------------ bytes
    def test_nul_bytes_in_header_and_body(self):
        h, mid = head(ANNE, "HEL\0P", "text/plain; charset=utf-8", extra="X-Nul: a\0b\0c\r\n")
        raw = h + b"\r\nHej\0 med\0 dig\r\n\0\0\0\r\n"
        how = self.deliver(raw)
        h2, mid2 = head(ANNE, "HELP", "text/plain; charset=utf-8")
        raw2 = h2 + b"\r\n\0" * 1000 + b"\r\n"
        how2 = self.deliver(raw2)
        print("\n  NUL mails delivered by %s, %s" % (how, how2), end=" ")
        got = self.run_batch([])
        for m in (mid, mid2):
            where = [n for f, n in FOLDERS.items() if m in folder_message_ids(PACT, f)]
            self.assertEqual(len(where), 1, where)
            self.assertIn(where[0], ("processed", "rejected", "quarantine"))
            if where[0] != "quarantine":
                r = replies_to(ANNE, m)
                self.assertEqual(len(r), 1)
                self.reply_is_clean(r[0])
        del got

    def test_unknown_and_lying_charsets(self):
        cases = [
            # a charset nobody has heard of
            mail(ANNE, "HELP", "text/plain; charset=x-klingon-7", b"Hej med dig\r\n"),
            # UTF-8 that is not
            mail(ANNE, "HELP", "text/plain; charset=utf-8", b"Hej \xff\xfe\xc3\x28 \xe2\x82 \xf0\x9f\r\n"),
            # claims US-ASCII, is Latin-1
            mail(ANNE, "HELP", "text/plain; charset=us-ascii", b"K\xe6re sekretariat, hj\xe6lp\r\n"),
            # claims UTF-16 with an odd number of bytes
            mail(ANNE, "HELP", "text/plain; charset=utf-16", b"\xff\xfeH\x00e\x00j"),
            # claims ISO-2022-JP with broken escapes
            mail(ANNE, "HELP", "text/plain; charset=iso-2022-jp", b"\x1b$B\x1b(\x1b$\r\nHej\r\n"),
            # an encoded-word subject in an unknown charset, and one that lies
            mail(ANNE, "=?x-unknown?B?SEVMUA==?=", "text/plain; charset=utf-8", b"Hej\r\n"),
            mail(ANNE, "=?utf-8?B?/////w==?=", "text/plain; charset=utf-8", b"Hej\r\n"),
            # a charset parameter 10 000 characters long
            mail(ANNE, "HELP", "text/plain; charset=" + "u" * 10000, b"Hej\r\n"),
        ]
        got = self.run_batch(cases)
        for raw, mid in cases:
            self.assertNotEqual(got[mid][0], "quarantine")
            self.reply_is_clean(got[mid][1])

    def test_truncated_base64_and_quoted_printable(self):
        cases = [
            mail(ANNE, "HELP", "text/plain; charset=utf-8", b"SGVq", extra="Content-Transfer-Encoding: base64\r\n"),
            mail(ANNE, "HELP", "text/plain; charset=utf-8", b"SGVqIG1lZCBka", extra="Content-Transfer-Encoding: base64\r\n"),
            mail(ANNE, "HELP", "text/plain; charset=utf-8", b"S=G=V=q=\r\n!!!!\r\n====",
                 extra="Content-Transfer-Encoding: base64\r\n"),
            mail(ANNE, "HELP", "text/plain; charset=utf-8", b"Hej =\r\n=C3=\r\n=", extra="Content-Transfer-Encoding: quoted-printable\r\n"),
            mail(ANNE, "HELP", "text/plain; charset=utf-8", b"Hej", extra="Content-Transfer-Encoding: x-uuencode-9\r\n"),
            # a nomination whose only text part is truncated base64
            mail(ANNE, "INDSTILLING", 'multipart/alternative; boundary="t"',
                 b"--t\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
                 base64.b64encode("Organisation: Halv ApS\nType: virksomhed\nCVR: 10150817\n".encode())[:-7] +
                 b"\r\n--t--\r\n"),
        ]
        got = self.run_batch(cases)
        for raw, mid in cases:
            self.assertNotEqual(got[mid][0], "quarantine")
            self.reply_is_clean(got[mid][1])

    # ------------------------------------------------------------ headers
    def test_encoded_word_flood(self):
        words = []
        for i in range(20000):
            cs = ("utf-8", "iso-8859-1", "windows-1252", "x-nonsense")[i % 4]
            words.append("=?%s?%s?%s?=" % (cs, "BQ"[i % 2], "SGVq" if i % 2 == 0 else "Hej_=E6"))
        subject = "\r\n ".join(words)
        cases = [
            mail(ANNE, subject, "text/plain; charset=utf-8", b"Hej\r\n"),
            # a flood in the display name of From, the address still plain
            mail("%s <%s>" % ("\r\n ".join(words[:5000]), ANNE), "HELP", "text/plain; charset=utf-8", b"Hej\r\n"),
            # one encoded word of 1 MB
            mail(ANNE, "=?utf-8?B?%s?=" % base64.b64encode(b"HELP " * 200000).decode(),
                 "text/plain; charset=utf-8", b"Hej\r\n"),
        ]
        got = self.run_batch(cases)
        for raw, mid in cases:
            self.assertNotEqual(got[mid][0], "quarantine")
            self.reply_is_clean(got[mid][1])

    def test_8bit_raw_headers(self):
        cases = [
            # UTF-8 straight in the header (RFC 6532 style)
            (("From: Anne S\xf8rensen <%s>\r\nTo: %s\r\nSubject: HJ\xc6LP om \xe6\xf8\xe5\r\n" % (ANNE, PACT))
             .encode("utf-8")),
            # Latin-1 bytes straight in the header
            (("From: Anne S\xf8rensen <%s>\r\nTo: %s\r\nSubject: Hj\xe6lp \xe6\xf8\xe5\r\n" % (ANNE, PACT))
             .encode("latin-1")),
            # bytes that are no charset at all, and a header name with 8-bit bytes
            (b"From: \xff\xfe\xfd <" + ANNE.encode() + b">\r\nTo: " + PACT.encode() +
             b"\r\nSubject: \x80\x81\x82 HELP\r\n"),
        ]
        mails = []
        for i, h in enumerate(cases):
            mid = "%s@hostile.example.test" % uuid.uuid4().hex
            raw = h + ("Date: %s\r\nMessage-ID: <%s>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; "
                       "charset=utf-8\r\n" % (email.utils.formatdate(), mid)).encode()
            if i == 2:  # a field name with 8-bit bytes, last (it may end the header)
                raw += b"X-\xc3\xa6\xc3\xb8: \xff\r\n"
            mails.append((raw + b"\r\nHej\r\n", mid))
        got = self.run_batch(mails)
        for raw, mid in mails:
            self.assertNotEqual(got[mid][0], "quarantine")
            self.reply_is_clean(got[mid][1])


class LongVote(HostileBase):
    def test_vote_of_10000_lines(self):
        dialogue = (datetime.date.today() - datetime.timedelta(days=10)).isoformat()
        body = ("Organisation: Lang Stemme ApS\nType: virksomhed\nCVR: 10150817\n"
                "Kontakt: Karen <karen@acme.example.test>\nDialog: %s\nPrincipper: ja\n"
                "Initiativer:\n- Et\nSammenhæng: Formål 1.\n" % dialogue)
        raw, mid = make_mail(ANNE, "INDSTILLING", body)
        got = self.run_batch([(raw, mid)])
        self.assertEqual(got[mid][0], "processed", text_of(got[mid][1]))
        ref = re.search(r"\[(PAGT-\d{4}-\d{4})\]", got[mid][1]["Subject"]).group(1)
        ballots = {}
        for addr in ("anne@di.example.test", "mette@em.example.test", "jens@danskerhverv.example.test"):
            deadline = time.time() + 20
            while addr not in ballots and time.time() < deadline:
                for r in self.sb.messages(addr):
                    m = parse(r)
                    if (m["Message-ID"] or "").startswith("<v-") and ref in m["Message-ID"]:
                        ballots[addr] = m
                time.sleep(0.1)
            self.assertIn(addr, ballots)

        def vote(addr, text):
            b = ballots[addr]
            return make_mail(addr, "SV: " + str(b["Subject"]), text, to=str(b["Reply-To"]),
                             headers={"In-Reply-To": b["Message-ID"], "References": b["Message-ID"]})
        lines = "\n".join("linje %d: vi har overvejet sagen grundigt" % i for i in range(9999))
        cases = [
            vote("anne@di.example.test", "Ja\n" + lines + "\n"),          # the first line is the vote
            vote("mette@em.example.test", "\n" * 9999 + "Nej\n"),          # after 9 999 empty lines
            vote("jens@danskerhverv.example.test", "\n".join(["Ja / Nej"] * 10000) + "\n"),  # ambiguous
        ]
        got = self.run_batch(cases, sender=BO)  # BO's HJÆLP comes after them
        self.assertEqual(got[cases[0][1]][0], "processed")
        self.assertEqual(got[cases[1][1]][0], "processed")
        self.assertEqual(got[cases[2][1]][0], "rejected")
        b = self.pact.ctl("ballot", ref)
        self.assertEqual({v["party"]: v["vote"] for v in b["votes"]}, {"DI": "yes", "EM": "no"})
        for raw, mid in cases:
            self.reply_is_clean(got[mid][1])

    def run_batch(self, mails, sender=ANNE, timeout_note=""):
        """Answers go to each mail's own sender here."""
        for raw, _ in mails:
            self.deliver(raw)
        hraw, hmid = make_mail(sender, "HJÆLP", "Hej\n")
        self.deliver(hraw)
        rc, err = self.pact.once()
        self.assertEqual(rc, 0, err[-3000:])
        self.assertEqual(self.sb.count(PACT, "INBOX"), 0)
        got = {}
        for raw, mid in mails:
            who = email.utils.parseaddr(parse(raw)["From"])[1]
            where = [n for f, n in FOLDERS.items() if mid in folder_message_ids(PACT, f)]
            self.assertEqual(len(where), 1, where)
            r = replies_to(who, mid)
            self.assertEqual(len(r), 1, "%s <%s>\n%s" % (who, mid, err[-3000:]))
            got[mid] = (where[0], r[0])
        self.assertEqual(len(replies_to(sender, hmid)), 1)
        return got


if __name__ == "__main__":
    unittest.main()

"""Bounces end to end (SPEC section 6, issue 14 item 4): every mail leaves
with its own envelope sender pagt+b-ID-TAG@; a report that comes back to it
(or names its Message-ID) marks it bounced with status and diagnostic, goes
to pactd/Ignored unanswered, and the secretariat hears of it once a day. The
reports are real: OpenSMTPD accepting a ballot mail and then failing to
deliver it writes its own; a 550 at RCPT is another; and the corpus in
tests/data/bounces/ is appended with a real mail's identifiers put in."""

import datetime
import os
import re
import unittest

from pactlib import DATA, PACT, folder_message_ids, parse, text_of
from test_workflow import KAREN, SECRETARIAT, Workflow

IGNORED = "pactd/Ignored"
ANNE = "anne@di.example.test"
OLE = "ole@forsikringogpension.example.test"
MADS = "mads@hk.example.test"
NOTICE = "Mail der ikke nåede frem"
ENVELOPE = re.compile(r"<(pagt\+b-(\d+-[a-z2-7]+)@example\.test)>")

# corpus file: (the delegate whose ballot mail it returns, the ID-TAG and
# Message-ID written in it, the status pactd must record or None)
CORPUS = {
    "postfix_rfc3464.eml": (OLE, "7-k2v4m6q8s3ta",
                            "v-ohbvrp4ztqbkmnuwsa3dsmn7.PAGT-2026-0007.1@example.test", "5.1.1"),
    "exchange_m365_ndr.eml": (MADS, "12-p7rt3wz5x2qa",
                              "v-q3zk7m2xw5rtnb4yca6dhe8fuj.PAGT-2026-0007.1@example.test", "5.1.10"),
    "exchange_legacy_ndr.eml": ("sofie@itb.example.test", None,
                                "v-m4nb7vc2xz5lk3jh6gf8ds9aq.PAGT-2026-0007.1@example.test", "5.1.10"),
    "gmail_dsn.eml": ("pia@smvdanmark.example.test", "15-h5j7k9m2n4pq",
                      "v-w2e4r6t8y3u5i7o9p2a4s6d8f.PAGT-2026-0007.1@example.test", "5.1.1"),
    "opensmtpd_report.eml": (ANNE, "21-c3d5f7g9h2j4",
                             "v-a7s9d2f4g6h8j3k5l7z9x2c4v.PAGT-2026-0007.1@example.test", "5.3.0"),
}


class Bounces(Workflow):
    def tearDown(self):
        self.sb.refuse_delivery([])
        self.sb.refuse_rcpt([])
        super().tearDown()

    def outbox(self):
        return self.pact.ctl("outbox")

    def row(self, kind, to, ref=None):
        rows = [r for r in self.outbox() if r["kind"] == kind and r["to"] == to
                and (ref is None or r["ref"] == ref)]
        self.assertEqual(len(rows), 1, "%s to %s: %r" % (kind, to, rows))
        return rows[0]

    def notices(self):
        return [m for m in self.mails(SECRETARIAT) if (m["Subject"] or "").startswith(NOTICE)]

    def envelope_of(self, addr, ref):
        """The envelope sender (ID-TAG) and Message-ID of addr's ballot mail,
        as the delivered copy shows them (Return-Path)."""
        m = parse(self.ballot_raw(addr, ref))
        env = ENVELOPE.search(str(m["Return-Path"]))
        self.assertIsNotNone(env, "Return-Path %r" % m["Return-Path"])
        return env.group(2), m["Message-ID"].strip().strip("<>")

    def inbox_ids(self, n):
        msgs = [parse(r) for r in self.sb.wait_messages(PACT, n, timeout=60)]
        return [(m["Message-ID"] or "").strip().strip("<>") for m in msgs]

    def test_ballot_bounce_after_acceptance(self):
        """OpenSMTPD takes the ballot mail to Ole, fails to deliver it and
        sends its own report to the mail's envelope sender."""
        self.sb.refuse_delivery([OLE])
        ref = self.open_ballot(ANNE, "Eksempel ApS", KAREN)
        ballot = self.row("ballot", OLE, ref)
        self.assertEqual(ballot["state"], "sent")
        report = self.inbox_ids(1)
        rows_before = len(self.outbox())
        self.step()
        ballot = self.row("ballot", OLE, ref)
        self.assertEqual(ballot["state"], "bounced", self.pact.logtext()[-2000:])
        self.assertRegex(ballot["status"], r"^5\.\d+\.\d+$")
        self.assertIn("mailbox unavailable", ballot["diagnostic"])
        self.assertIn(report[0], folder_message_ids(PACT, IGNORED))
        self.assertEqual(self.sb.count(PACT, "INBOX"), 0)
        # No answer to the report: the one new mail is the secretariat's notice.
        new = self.outbox()[rows_before:]
        self.assertEqual([r["kind"] for r in new], ["bounces"], new)
        self.assertEqual(new[0]["to"], SECRETARIAT)
        got = self.wait_mail(SECRETARIAT, lambda m: (m["Subject"] or "").startswith(NOTICE))
        self.assertEqual(len(got), 1)
        text = text_of(got[0])
        self.assertIn("Forsikring & Pension", text)
        self.assertIn(ref, text)
        self.assertIn(OLE, text)
        self.assertIn("Eksempel ApS", text)
        self.assertEqual(got[0]["Auto-Submitted"], "auto-generated")
        pactctl = self.pact.ctl("outbox", json_out=False).stdout
        self.assertIn("bounced", pactctl)
        self.assertIn("mailbox unavailable", pactctl)

        # Another report the same day waits for tomorrow's notice, across
        # restarts (every step is a new pactd).
        mads_env, mads_mid = self.envelope_of(MADS, ref)
        self.append_corpus("exchange_m365_ndr.eml", mads_env, mads_mid)
        self.step()
        self.assertEqual(self.row("ballot", MADS, ref)["state"], "bounced")
        self.step(minutes=60)
        self.settle()
        self.assertEqual(len(self.notices()), 1)
        self.step(at=self.t + datetime.timedelta(days=1))
        got = self.wait_mail(SECRETARIAT, lambda m: (m["Subject"] or "").startswith(NOTICE), want=2)
        self.assertEqual(len(got), 2)
        second = [text_of(m) for m in got if OLE not in text_of(m)]
        self.assertEqual(len(second), 1)
        self.assertIn(MADS, second[0])
        self.assertIn("HK", second[0])
        self.assertIn("5.1.10", second[0])
        self.step(minutes=30)
        self.settle()
        self.assertEqual(len(self.notices()), 2)

    def test_refused_at_rcpt_bounces_at_once(self):
        self.sb.refuse_rcpt([MADS])
        ref = self.open_ballot(ANNE, "Eksempel ApS", KAREN)
        ballot = self.row("ballot", MADS, ref)
        self.assertEqual(ballot["state"], "bounced", self.pact.logtext()[-2000:])
        self.assertEqual(ballot["status"], "5.0.0")
        self.assertIn("550", ballot["diagnostic"])
        self.assertIn("Invalid recipient", ballot["diagnostic"])
        self.assertEqual(self.row("ballot", OLE, ref)["state"], "sent")
        self.step()
        got = self.wait_mail(SECRETARIAT, lambda m: (m["Subject"] or "").startswith(NOTICE))
        self.assertEqual(len(got), 1)
        self.assertIn(MADS, text_of(got[0]))
        self.assertIn(ref, text_of(got[0]))

    def append_corpus(self, name, env, mid, rcpt=None, old=None):
        with open(os.path.join(DATA, "bounces", name), "rb") as f:
            raw = f.read()
        delegate, old_env, old_mid, _ = CORPUS.get(name, (None, None, None, None))
        if old is not None:
            delegate, old_env, old_mid = old
        if old_env is not None:
            raw = raw.replace(old_env.encode(), env.encode())
        raw = raw.replace(old_mid.encode(), mid.encode())
        if rcpt is not None:
            raw = raw.replace(delegate.encode(), rcpt.encode())
        self.sb.append(PACT, raw)
        return parse(raw)["Message-ID"].strip().strip("<>")

    def test_corpus_reports_are_matched(self):
        ref = self.open_ballot(ANNE, "Eksempel ApS", KAREN)
        reports = {}
        for name, (addr, _, _, _) in CORPUS.items():
            env, mid = self.envelope_of(addr, ref)
            reports[name] = self.append_corpus(name, env, mid)
        # A delay notice for Bo's ballot mail marks nothing.
        env, mid = self.envelope_of("bo@di.example.test", ref)
        reports["postfix_delayed.eml"] = self.append_corpus(
            "postfix_delayed.eml", env, mid, rcpt="bo@di.example.test",
            old=(OLE, "7-k2v4m6q8s3ta", "v-ohbvrp4ztqbkmnuwsa3dsmn7.PAGT-2026-0007.1@example.test"))
        rows_before = len(self.outbox())
        self.step()
        ignored = folder_message_ids(PACT, IGNORED)
        for name, (addr, _, _, status) in CORPUS.items():
            with self.subTest(report=name):
                r = self.row("ballot", addr, ref)
                self.assertEqual(r["state"], "bounced")
                self.assertEqual(r["status"], status)
                self.assertTrue(r["diagnostic"])
                self.assertIn(reports[name], ignored)
        self.assertEqual(self.row("ballot", "bo@di.example.test", ref)["state"], "sent")
        self.assertIn(reports["postfix_delayed.eml"], ignored)
        self.assertEqual([r["kind"] for r in self.outbox()[rows_before:]], ["bounces"])
        got = self.wait_mail(SECRETARIAT, lambda m: (m["Subject"] or "").startswith(NOTICE))
        self.assertEqual(len(got), 1)
        for addr, _, _, _ in CORPUS.values():
            self.assertIn(addr, text_of(got[0]))

    def test_forged_report_marks_nothing(self):
        """A report naming a row's number with a wrong tag, or another
        recipient's Message-ID, changes nothing."""
        ref = self.open_ballot(ANNE, "Eksempel ApS", KAREN)
        env, mid = self.envelope_of(OLE, ref)
        number = env.split("-")[0]
        self.append_corpus("postfix_rfc3464.eml", number + "-aaaaaaaaaaaa", "x-" + mid)
        _, mads_mid = self.envelope_of(MADS, ref)
        self.append_corpus("exchange_legacy_ndr.eml", None, mads_mid)  # names Sofie, not Mads
        self.step()
        self.assertEqual(self.row("ballot", OLE, ref)["state"], "sent")
        self.assertEqual(self.row("ballot", MADS, ref)["state"], "sent")
        self.assertEqual(self.notices(), [])


if __name__ == "__main__":
    unittest.main()

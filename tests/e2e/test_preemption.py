"""Two attacks an earlier review found (issue 16), against the real servers.

Message-ID pre-emption: pactd records each message under a key so that the
same message seen again has no new effect (SPEC section 7). When the key
was the Message-ID alone, a stranger who sent a mail first with the
Message-ID of a genuine mail (one they were copied on, or could guess)
made pactd treat the genuine mail as already processed: a vote that never
counted. The key now holds a digest of the From address and the body as
well: the stranger's mail is quarantined, the genuine one counts, and the
genuine one delivered again still has no new effect.

Forward flooding: an iMIP COUNTER, or a calendar answer pactd cannot place,
is forwarded to the secretariat. Anyone who knows a meeting's UID could
make pactd write to the secretariat without end. Now at most
reply_rate_per_hour such forwards go out an hour for one roster address,
and as many for all addresses outside the roster together.

Each test keeps its Pact's pactd.log in $TMPDIR/pactd-security-logs/ or
$TMPDIR/pactd-meetings-logs/ (the classes it builds on)."""

import datetime
import time
import unittest

import test_meetings as tm
import test_security as ts
from pactlib import PACT, folder_message_ids, make_mail, replies_to, text_of


class MessageIdPreemption(ts.Votes):
    def in_folder(self, folder, mid):
        return folder_message_ids(PACT, folder).count(mid)

    def test_strangers_mail_with_the_votes_message_id_first(self):
        ref = self.open_ballot("Forkøbt ApS", 5)
        ballot = self.ballot_mail(ts.ANNE, ref)
        genuine, mid = self.vote_mail(ts.ANNE, ballot, "Ja")
        # Mallory sends first, with the Message-ID Anne's client will use
        forged, _ = make_mail(ts.STRANGER, "SV: " + str(ballot["Subject"]), "Nej\n",
                              to=str(ballot["Reply-To"]), msgid=mid,
                              headers={"In-Reply-To": ballot["Message-ID"]})
        self.run_pact(forged)
        self.assertEqual(self.in_folder(ts.QUARANTINE, mid), 1, self.pact.logtext()[-2000:])
        self.assertEqual(self.votes(ref), {})
        # Anne's own vote counts, and she gets her receipt
        err = self.run_pact(genuine)
        self.assertEqual(self.in_folder(ts.PROCESSED, mid), 1, err[-2000:])
        self.assertEqual(self.votes(ref), {"DI": "yes"})
        self.assertEqual(len(replies_to(ts.ANNE, mid)), 1)
        events = [e["event"] for e in self.pact.ctl("log") if mid in (e.get("message_id") or "")]
        self.assertIn("vote counted", events)
        # delivered again (a second copy, or a kill before the move): no new effect
        n_replies = self.replies_sent()
        err = self.run_pact(genuine)
        self.assertIn("already processed", err)
        self.assertEqual(self.in_folder(ts.PROCESSED, mid), 2)
        self.assertEqual(self.replies_sent(), n_replies)
        time.sleep(1.0)
        self.assertEqual(len(replies_to(ts.ANNE, mid, timeout=0.5)), 1)
        self.assertEqual(self.tally(ref), ("open", 1, 0, 0, 9))
        self.no_mail_to(ts.STRANGER)

    def test_the_same_vote_from_another_delegate_is_not_the_same_message(self):
        # Bo (DI too) reuses the Message-ID of Anne's vote with another
        # text: his is a message of its own, and the later vote of DI
        ref = self.open_ballot("Genbrugt ApS", 6)
        anne, mid = self.vote_mail(ts.ANNE, self.ballot_mail(ts.ANNE, ref), "Ja")
        bo, _ = make_mail(ts.BO, "SV: [%s]" % ref, "Nej\n",
                          to=str(self.ballot_mail(ts.BO, ref)["Reply-To"]), msgid=mid)
        self.run_pact(anne)
        self.assertEqual(self.votes(ref), {"DI": "yes"})
        self.run_pact(bo)
        self.assertEqual(self.votes(ref), {"DI": "no"})
        self.assertEqual(len(replies_to(ts.BO, mid)), 1)


class ForwardFlood(tm.Meetings):
    overrides = {("security", "reply_rate_per_hour"): "3"}

    def counter(self, mt, sender):
        return self.rsvp("outlook_counter.eml", sender, sender, mt,
                         extra={"@@NEW_DTSTART@@": "20270617T140000", "@@NEW_DTEND@@": "20270617T170000"})

    def test_strangers_with_the_uid_cannot_flood_the_secretariat(self):
        ref = self.call(**tm.SUMMER)
        mt = self.current(ref)
        # six COUNTERs from six made-up addresses outside the roster
        sent = [self.counter(mt, "ukendt%d@elsewhere.example.test" % i) for i in range(6)]
        self.submit(*[(raw, env) for raw, _, env in sent])
        fw = self.forwards(ref, 3)
        time.sleep(1.5)
        fw = self.forwards(ref, 3, timeout=0)
        self.assertEqual(len(fw), 3, "forwards to the secretariat:\n%s" % self.log())
        for _, mid, _ in sent:
            self.assertIn(mid, folder_message_ids(tm.PACT, tm.QUARANTINE))
        self.assertEqual(self.pact.logtext().count("not forwarded to the secretariat"), 3)
        suppressed = [e for e in self.pact.ctl("log") if e["event"] == "forward suppressed"]
        self.assertEqual(len(suppressed), 3, suppressed)
        for i in range(6):
            self.assertEqual(self.sb.messages("ukendt%d@elsewhere.example.test" % i), [])
        # an hour on, the secretariat hears of the next one again
        later = self.counter(mt, "ukendt9@elsewhere.example.test")
        self.submit(later[0::2], at=self.t + datetime.timedelta(minutes=61))
        self.assertEqual(len(self.forwards(ref, 4)), 4, self.log())

    def test_one_member_cannot_flood_the_secretariat(self):
        ref = self.call(**tm.SUMMER)
        mt = self.current(ref)
        eva = "eva@finansdanmark.example.test"
        sent = [self.counter(mt, eva) for _ in range(4)]
        self.submit(*[(raw, env) for raw, _, env in sent])
        self.forwards(ref, 3)
        time.sleep(1.5)
        fw = self.forwards(ref, 3, timeout=0)
        self.assertEqual(len(fw), 3, self.log())
        self.assertTrue(all(eva in text_of(m) for _, m in fw))
        # another member's COUNTER still reaches the secretariat
        self.submit(self.counter(mt, "bo@di.example.test")[0::2])
        fw = self.forwards(ref, 4)
        self.assertEqual(len(fw), 4, self.log())
        self.assertTrue(any("bo@di.example.test" in text_of(m) for _, m in fw))


if __name__ == "__main__":
    unittest.main()

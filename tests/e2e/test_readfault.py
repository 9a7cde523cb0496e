"""A read from the database that fails is not an answer (issue 16): the
pass stops, nobody is written to, the mail waits in the INBOX, and the
next pass does what the first should have. PACTD_FAULT_READ=TEXT makes
SQLite fail the first read whose SQL contains TEXT (once in a process).

Before store_row, a failed read of the ballot told the voter "there is no
ballot", and a failed read of the messages already processed answered a
message a second time."""

import contextlib
import datetime
import os
import time

import clients
from pactlib import PACT, folder_message_ids, make_mail, replies_to
from test_workflow import KAREN, PROCESSED, Workflow, iso, rcpt_of, who

ANNE = "anne@di.example.test"
PIA = "pia@smvdanmark.example.test"
MADS = "mads@hk.example.test"


@contextlib.contextmanager
def read_fault(sql):
    """PACTD_FAULT_READ for the pactd runs started inside."""
    os.environ["PACTD_FAULT_READ"] = sql
    try:
        yield
    finally:
        os.environ.pop("PACTD_FAULT_READ", None)


class ReadFault(Workflow):

    def failed_pass(self, sql, mid, sender, replies=0):
        """One pass with the read failing: exit 75, the cause told, the
        mail still in the INBOX, no (new) reply."""
        self.t = self.t + datetime.timedelta(minutes=2)
        with read_fault(sql):
            rc, err = self.pact.once(now=iso(self.t))
        self.assertEqual(rc, 75, "exit %d, want 75 (temporary failure)\n%s" % (rc, err))
        self.assertIn("read fault: failing", err)
        self.assertRegex(err, r"store: .*pactd\.db: interrupted", err)
        self.assertEqual(self.sb.count(PACT, "INBOX"), 1, "the mail must stay in the INBOX\n" + err)
        self.assertEqual(folder_message_ids(PACT, PROCESSED).count(mid), replies)
        self.settle()
        self.assertEqual(len(replies_to(sender, mid, timeout=1)), replies, err)
        return err

    def test_vote_whose_ballot_cannot_be_read(self):
        ref = self.open_ballot(ANNE, "Læsefejl ApS", "Karen Madsen <%s>" % KAREN)
        raw, mid = clients.reply("gmail", self.ballot_raw(PIA, ref), who(PIA), "Ja")
        self.sb.send(raw, PIA, rcpt_of(raw))
        self.sb.wait_messages(PACT, 1)
        self.failed_pass("SELECT state FROM ballots WHERE ref", mid, PIA)
        b = self.ballot(ref)
        self.assertEqual((b["yes"], b["votes"]), (0, []), "nothing counted while the read failed")
        # the next pass reads the ballot and counts the vote, answered once
        self.step()
        r, text = self.reply_to(PIA, mid)
        self.assertNotIn("ingen afstemning", text)
        self.assertNotIn("no ballot", text)
        self.assertIn(ref, r["Subject"])
        b = self.ballot(ref)
        self.assertEqual(b["yes"], 1, b)
        self.assertEqual([v["party"] for v in b["votes"]], ["SMVDK"])
        self.assertEqual(folder_message_ids(PACT, PROCESSED).count(mid), 1)
        self.assertEqual(self.sb.count(PACT, "INBOX"), 0)

    def test_seen_message_whose_record_cannot_be_read(self):
        raw, mid = make_mail(who(MADS), "HJÆLP", "Hej\n")
        self.submit((raw, MADS))
        self.reply_to(MADS, mid)
        # the same message again (a client that sends twice, a server
        # that delivers twice): it must not be answered again, also when
        # the record of it cannot be read at first
        self.sb.send(raw, MADS, [PACT])
        self.sb.wait_messages(PACT, 1)
        self.failed_pass("SELECT outcome FROM processed", mid, MADS, replies=1)
        self.step()
        self.assertEqual(self.sb.count(PACT, "INBOX"), 0)
        self.settle()
        self.assertEqual(len(replies_to(MADS, mid, timeout=1)), 1, "answered twice\n" + self.pact.logtext()[-3000:])
        self.assertIn("already processed", self.pact.logtext())

    def test_daemon_goes_on_after_a_failed_read(self):
        """pactd -f: the pass with the failed read stops without a reply;
        pactd tries again by itself and answers once."""
        with read_fault("SELECT outcome FROM processed"):
            self.pact.start()
        deadline = time.time() + 20
        while "ready" not in self.pact.logtext() and time.time() < deadline:
            time.sleep(0.2)
        raw, mid = make_mail(who(MADS), "HJÆLP", "Hej\n")
        self.sb.send(raw, MADS, [PACT])
        got = replies_to(MADS, mid, timeout=120)
        self.settle()
        got = replies_to(MADS, mid, timeout=1)
        log = self.pact.logtext()
        self.assertIn("read fault: failing", log)
        self.assertRegex(log, r"store: .*pactd\.db: interrupted")
        self.assertEqual(len(got), 1, log[-3000:])
        self.assertEqual(folder_message_ids(PACT, PROCESSED).count(mid), 1)
        self.assertIsNone(self.pact.proc.poll())
        self.assertEqual(self.pact.stop(), 0)

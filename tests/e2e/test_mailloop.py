"""The mail loop against real Dovecot and OpenSMTPD: a mail in the pact's
mailbox becomes one threaded reply in the sender's own mailbox."""

import os
import subprocess
import time
import unittest

from pactlib import (PACT, Pact, clear_mailbox, folder_message_ids, load_eml,
                     make_mail, parse, replies_to, sandbox, text_of)

PROCESSED = "pactd/Processed"
QUARANTINE = "pactd/Quarantine"
IGNORED = "pactd/Ignored"
REJECTED = "pactd/Rejected"

# (file, sender, language of the reply, a phrase only that reply has)
ANSWERED = [
    ("outlook_da_help.eml", "anne@di.example.test", "da", "Her er de formularer"),
    ("gmail_da_overview.eml", "bo@di.example.test", "da", "Åbne afstemninger"),
    ("applemail_en_help.eml", "lise@ida.example.test", "en", "These are the forms"),
    ("iphone_da_help.eml", "mads@hk.example.test", "da", "Her er de formularer"),
    ("thunderbird_en_overview.eml", "sekretariat@erst.example.test", "en", "Open ballots"),
    ("html_only_help.eml", "carl@vfds.example.test", "da", "Her er de formularer"),
    ("base64_utf8_help.eml", "eva@finansdanmark.example.test", "da", "Her er de formularer"),
    ("encoded_subject_overview.eml", "pia@smvdanmark.example.test", "da", "Åbne afstemninger"),
    ("exchange_plain_help.eml", "jens@danskerhverv.example.test", "en", "These are the forms"),
]


class MailLoop(unittest.TestCase):
    def setUp(self):
        self.sb = sandbox()
        self.pact = Pact()

    def tearDown(self):
        self.pact.cleanup()

    def send(self, raw, sender):
        self.sb.send(raw, sender, [PACT])

    def wait_inbox(self, n, timeout=20):
        return self.sb.wait_messages(PACT, n, timeout=timeout)

    def test_real_clients_get_one_threaded_reply(self):
        sent = []
        for name, sender, lang, phrase in ANSWERED:
            raw, mid = load_eml(name)
            self.send(raw, sender)
            sent.append((name, sender, lang, phrase, mid, parse(raw)))
        self.wait_inbox(len(sent))
        rc, err = self.pact.once()
        self.assertEqual(rc, 0, err)
        processed = folder_message_ids(PACT, PROCESSED)
        for name, sender, lang, phrase, mid, orig in sent:
            with self.subTest(mail=name):
                replies = replies_to(sender, mid)
                self.assertEqual(len(replies), 1, "%s: replies %d" % (name, len(replies)))
                r = replies[0]
                body = text_of(r)
                self.assertIn(phrase, body, "%s: reply text:\n%s" % (name, body))
                refs = (r.get("References") or "").split()
                self.assertEqual(refs[-1], "<%s>" % mid)
                for earlier in (orig.get("References") or "").split():
                    self.assertIn(earlier, refs)
                self.assertTrue(r["Subject"].startswith("Re: "), r["Subject"])
                self.assertEqual(r["Auto-Submitted"], "auto-replied")
                self.assertTrue(r["Message-ID"].strip().endswith("@example.test>"))
                self.assertIsNotNone(r["Date"])
                self.assertIn(mid, processed)
        self.assertEqual(self.sb.count(PACT, "INBOX"), 0)

    def test_long_values_are_wrapped_after_filling(self):
        """A receipt filled with long Danish values: every line fits in 78
        characters (counted as characters, not bytes), the paragraph reads
        in order, the URL stays whole on its own line, and the subject
        carries the keyword in normal case."""
        title = ("Sikkerhedsløft for små og mellemstore virksomheder i Sønderjylland, "
                 "på Ærø og i Nordvestjylland med fælles rådgivning")
        desc = ("Økonomiafdelinger, værksteder og små håndværksvirksomheder får et "
                "gratis tjek af deres vigtigste sikkerhedsindstillinger, efterfulgt af et "
                "kort kursus på dansk i phishing, adgangskoder og sikkerhedskopier.")
        url = "https://sikkerdigital.example.test/pagten/initiativer/" + "sikkerhedsløft-" * 5 + "2027.html"
        body = ("Hej\n\nTitel: %s\nBeskrivelse: %s\nFormål: 1, 3\nLink: %s\n\nHilsen\nAnne\n"
                % (title, desc, url))
        raw, mid = make_mail("Anne Holm <anne@di.example.test>", "INITIATIV", body)
        self.send(raw, "anne@di.example.test")
        self.wait_inbox(1)
        self.assertEqual(self.pact.once()[0], 0)
        r = replies_to("anne@di.example.test", mid)
        self.assertEqual(len(r), 1, self.pact.logtext()[-2000:])
        self.assertRegex(r[0]["Subject"], r"^Re: Initiativ \[PAGT-\d{4}-\d{4}\]$")
        text = text_of(r[0])
        lines = text.splitlines()
        self.assertEqual([ln for ln in lines if len(ln) > 78 and ln.strip() != url], [], text)
        self.assertIn(url, [ln.strip() for ln in lines], "the URL whole on a line of its own:\n" + text)
        flat = " ".join(text.split())
        self.assertIn(title, flat)
        self.assertIn(desc, flat)
        # the words were re-flowed, not cut: some line is near the width
        self.assertTrue([ln for ln in lines if 70 <= len(ln) <= 78], text)

    def test_help_lists_only_the_forms_of_the_role(self):
        raw, mid = make_mail("carl@vfds.example.test", "HELP", "Hello\n")
        self.send(raw, "carl@vfds.example.test")
        self.wait_inbox(1)
        self.assertEqual(self.pact.once()[0], 0)
        body = text_of(replies_to("carl@vfds.example.test", mid)[0])
        self.assertIn("Subject: COMMENT", body)
        self.assertNotIn("Subject: NOMINATION", body)
        raw, mid = make_mail("anne@di.example.test", "HJÆLP", "Hej\n")
        self.send(raw, "anne@di.example.test")
        self.wait_inbox(1)
        self.assertEqual(self.pact.once()[0], 0)
        body = text_of(replies_to("anne@di.example.test", mid)[0])
        self.assertIn("Emne: INDSTILLING", body)
        self.assertIn("Målsætninger:", body)
        self.assertNotIn("Emne: KOMMENTAR", body)

    def test_stranger_is_quarantined_and_nobody_written_to(self):
        raw, mid = load_eml("stranger.eml")
        stranger = "someone@elsewhere.example.net"
        self.send(raw, stranger)
        self.wait_inbox(1)
        self.assertEqual(self.pact.once()[0], 0)
        self.assertIn(mid, folder_message_ids(PACT, QUARANTINE))
        self.assertEqual(self.pact.ctl("outbox"), [])

    def test_automatic_mail_is_ignored(self):
        mids = []
        for name, sender in [("ooo_da.eml", "anne@di.example.test"),
                             ("ooo_subject_only.eml", "bo@di.example.test"),
                             ("bounce.eml", "MAILER-DAEMON@example.test"),
                             ("list_mail.eml", "sofie@itb.example.test")]:
            raw, mid = load_eml(name)
            self.send(raw, sender if "@" in sender else "")
            mids.append(mid)
        self.wait_inbox(len(mids))
        self.assertEqual(self.pact.once()[0], 0)
        ignored = folder_message_ids(PACT, IGNORED)
        for mid in mids:
            self.assertIn(mid, ignored)
        self.assertEqual(self.pact.ctl("outbox"), [])

    def test_same_mail_twice_one_reply(self):
        raw, mid = make_mail("anne@di.example.test", "HJÆLP", "Hej\n")
        self.send(raw, "anne@di.example.test")
        self.send(raw, "anne@di.example.test")
        self.wait_inbox(2)
        self.assertEqual(self.pact.once()[0], 0)
        # and once more, delivered after the first was answered
        self.send(raw, "anne@di.example.test")
        self.wait_inbox(1)
        self.assertEqual(self.pact.once()[0], 0)
        time.sleep(1.5)
        self.assertEqual(len(replies_to("anne@di.example.test", mid, timeout=2)), 1)
        self.assertEqual(folder_message_ids(PACT, PROCESSED).count(mid), 3)

    def test_reply_rate_per_hour(self):
        """SPEC 6: at most reply_rate_per_hour replies go to one address per
        hour. The mail over the limit is still processed (its effect holds),
        only unanswered; an hour later the address is answered again."""
        with open(self.pact.conf, "a") as f:
            f.write("[security]\nreply_rate_per_hour = 3\n\n")
        sender = "sofie@itb.example.test"
        clear_mailbox(sender)
        start = time.time()
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start))
        ids = []
        for i in range(5):
            raw, mid = make_mail(sender, "HJÆLP", "Hej %d\n" % i)
            self.send(raw, sender)
            ids.append(mid)
        self.wait_inbox(5)
        self.assertEqual(self.pact.once(now=now)[0], 0)
        # OpenSMTPD delivers in parallel: which three come first varies.
        answered = [mid for mid in ids if replies_to(sender, mid, timeout=5)]
        self.assertEqual(len(answered), 3, answered)
        self.assertEqual(self.pact.logtext().count("replies in the last hour"), 2)
        processed = folder_message_ids(PACT, PROCESSED)
        self.assertEqual([processed.count(mid) for mid in ids], [1] * 5)
        # 61 minutes on: the hour of the first three is over
        later = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start + 61 * 60))
        raw, mid = make_mail(sender, "HJÆLP", "Hej igen\n")
        self.send(raw, sender)
        self.wait_inbox(1)
        self.assertEqual(self.pact.once(now=later)[0], 0)
        self.assertEqual(len(replies_to(sender, mid)), 1)

    def test_kill_after_commit_before_move(self):
        raw, mid = make_mail("bo@di.example.test", "OVERBLIK", "Hej\n")
        self.send(raw, "bo@di.example.test")
        self.wait_inbox(1)
        rc, err = self.pact.once(fault="after-commit")
        self.assertEqual(rc, -9, err)
        self.assertEqual(self.sb.count(PACT, "INBOX"), 1)  # not moved
        rc, err = self.pact.once()
        self.assertEqual(rc, 0, err)
        self.assertIn("already processed", err)
        time.sleep(1.5)
        self.assertEqual(len(replies_to("bo@di.example.test", mid, timeout=2)), 1)
        self.assertEqual(self.sb.count(PACT, "INBOX"), 0)
        self.assertIn(mid, folder_message_ids(PACT, PROCESSED))

    def test_kill_around_the_final_dot(self):
        # killed with all data sent but before the dot: the server never
        # took it; killed right after the server took it: not sent again
        for fault in ("before-dot", "after-dot"):
            with self.subTest(fault=fault):
                raw, mid = make_mail("eva@finansdanmark.example.test", "HELP", "Hi\n")
                self.send(raw, "eva@finansdanmark.example.test")
                self.wait_inbox(1)
                rc, err = self.pact.once(fault=fault)
                self.assertEqual(rc, -9, err)
                rc, err = self.pact.once()
                self.assertEqual(rc, 0, err)
                time.sleep(1.5)
                self.assertEqual(len(replies_to("eva@finansdanmark.example.test", mid, timeout=2)), 1)
                box = [b for b in self.pact.ctl("outbox") if b["to"] == "eva@finansdanmark.example.test"]
                self.assertEqual(box[-1]["state"], "sent")

    def test_smtp_down_then_back(self):
        raw, mid = make_mail("sofie@itb.example.test", "HELP", "Hi\n")
        self.send(raw, "sofie@itb.example.test")
        self.wait_inbox(1)
        self.sb.pause_smtp()
        try:
            rc, err = self.pact.once()
            self.assertEqual(rc, 69, err)
            box = self.pact.ctl("outbox")
            self.assertEqual(len(box), 1)
            self.assertEqual(box[0]["state"], "queued")
            self.assertTrue(box[0]["error"])
            self.assertEqual(box[0]["attempts"], 1)
        finally:
            self.sb.resume_smtp()
        # the retry is due after the back-off: move the clock on
        later = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 600))
        rc, err = self.pact.once(now=later)
        self.assertEqual(rc, 0, err)
        self.assertEqual(len(replies_to("sofie@itb.example.test", mid)), 1)
        box = self.pact.ctl("outbox")
        self.assertEqual(box[0]["state"], "sent")
        self.assertEqual(box[0]["attempts"], 2)

    def test_daemon_idle_and_imap_restart(self):
        self.pact.start()
        try:
            raw, mid = make_mail("peter@industriensfond.example.test", "HJÆLP", "Hej\n")
            self.send(raw, "peter@industriensfond.example.test")
            self.assertEqual(len(replies_to("peter@industriensfond.example.test", mid)), 1)
            self.sb.restart_imap()
            raw, mid = make_mail("peter@industriensfond.example.test", "OVERBLIK", "Hej\n")
            self.send(raw, "peter@industriensfond.example.test")
            self.assertEqual(len(replies_to("peter@industriensfond.example.test", mid, timeout=40)), 1,
                             self.pact.logtext())
            self.assertIsNone(self.pact.proc.poll())
        finally:
            t0 = time.time()
            rc = self.pact.stop()
            self.assertEqual(rc, 0)
            self.assertLess(time.time() - t0, 5)

    def test_log_and_outbox_json(self):
        raw, mid = make_mail("ole@forsikringogpension.example.test", "HJÆLP", "Hej\n")
        self.send(raw, "ole@forsikringogpension.example.test")
        self.wait_inbox(1)
        self.assertEqual(self.pact.once()[0], 0)
        log = self.pact.ctl("log")
        events = [e["event"] for e in log]
        self.assertIn("mail processed", events)
        self.assertIn("mail sent", events)
        self.assertEqual([e for e in log if e["event"] == "mail processed"][0]["message_id"], mid)
        box = self.pact.ctl("outbox")
        self.assertEqual(box[0]["to"], "ole@forsikringogpension.example.test")
        self.assertEqual(box[0]["state"], "sent")
        v = self.pact.ctl("verify-log")
        self.assertEqual((v["ok"], v["mode"]), (True, "SHA-256"), v)


class Config(unittest.TestCase):
    def test_check_config(self):
        pact = Pact()
        try:
            p = subprocess.run([os.path.join(os.environ.get("PACTD_BUILD", "build"), "pactd"),
                                "-c", pact.conf, "--check-config"], capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, p.stderr)
            with open(pact.conf, "a") as f:
                f.write("[rules]\nmajority = most\n")
            p = subprocess.run([os.path.join(os.environ.get("PACTD_BUILD", "build"), "pactd"),
                                "-c", pact.conf, "--check-config"], capture_output=True, text=True)
            self.assertEqual(p.returncode, 78)
            self.assertRegex(p.stderr, r"pactd\.conf:\d+: \[rules\] majority: 'most'")
        finally:
            pact.cleanup()


if __name__ == "__main__":
    unittest.main()

"""Servers without MOVE, UIDPLUS or IDLE (issue 14, item 2; SPEC section 7)
and files and credentials (issue 12).

The shared sandbox's Dovecot is restarted with an `imap_capability` that
leaves MOVE out (UIDPLUS and IDLE kept), or MOVE, UIDPLUS and IDLE out.
Dovecot still serves what it no longer advertises, so only a pactd that
honours the advertisement passes: every submission answered once and in
the right folder, with `--once` and under `pactd -f` polling; another
client's mail flagged \\Deleted left alone; without UIDPLUS the originals
left flagged \\Deleted in INBOX and never read again.

Then the start-up refusals (a password file others can read, a login
without TLS to a host that is not loopback) and the modes of the files
pactd writes under umask 022 and 000."""

import os
import re
import shutil
import stat
import subprocess
import tempfile
import time
import unittest

from pactlib import BUILD, PACT, Pact, folder_message_ids, make_mail, replies_to, sandbox

PROCESSED = "pactd/Processed"
REJECTED = "pactd/Rejected"
QUARANTINE = "pactd/Quarantine"
IGNORED = "pactd/Ignored"

# profile -> (the mode pactd must log, whether originals stay flagged in INBOX)
PROFILES = {
    "no-move": (r"moving with UID COPY, \\Deleted and UID EXPUNGE \(no MOVE\); "
                r"polling every 1 s \(idle = no\)", False),
    "no-move-uidplus-idle": (r"moving with UID COPY and \\Deleted, the originals left in the "
                             r"mailbox for the server's own expunge \(no MOVE, no UIDPLUS\); "
                             r"polling every 1 s \(no IDLE\)", True),
}


def inbox_flags(sb):
    """INBOX as {Message-ID: set of flags}, \\Deleted messages included."""
    out = {}
    with sb.imap(PACT) as c:
        c.select("INBOX", readonly=True)
        typ, data = c.uid("FETCH", "1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
        for item in data or []:
            if not isinstance(item, tuple):
                continue
            m = re.search(rb"(?i)Message-ID:\s*<([^>]*)>", item[1])
            flags = re.search(rb"FLAGS \(([^)]*)\)", item[0])
            if m:
                out[m.group(1).decode()] = set(flags.group(1).decode().split()) if flags else set()
    return out


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def run(cmd, umask=None, timeout=120):
    """A command under the given umask: (exit status, stderr)."""
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                       preexec_fn=(lambda: os.umask(umask)) if umask is not None else None)
    return p.returncode, p.stdout + p.stderr


def set_conf(pact, section, key, value):
    """Set [section] key in the pact's config."""
    with open(pact.conf) as f:
        lines = f.read().splitlines()
    cur, at, done = None, None, False
    for i, line in enumerate(lines):
        if line.startswith("["):
            cur = line.strip("[]")
            if cur == section:
                at = i + 1
        elif cur == section and line.split("=")[0].strip() == key:
            lines[i] = "%s = %s" % (key, value)
            done = True
    if not done:
        if at is None:
            lines += ["[%s]" % section]
            at = len(lines)
        lines.insert(at, "%s = %s" % (key, value))
    with open(pact.conf, "w") as f:
        f.write("\n".join(lines) + "\n")


class Capabilities(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sb = sandbox()

    @classmethod
    def tearDownClass(cls):
        cls.sb.set_imap_profile("full")

    def setUp(self):
        self.pact = None

    def tearDown(self):
        if self.pact is not None:
            logs = os.path.join(tempfile.gettempdir(), "pactd-capabilities-logs")
            os.makedirs(logs, exist_ok=True)
            if os.path.exists(self.pact.logfile):
                shutil.copy(self.pact.logfile, os.path.join(logs, self.id().split(".")[-1] + ".log"))
            self.pact.cleanup()

    def pact_for(self, profile):
        self.sb.set_imap_profile(profile)
        self.pact = Pact()
        set_conf(self.pact, "imap", "poll_interval", "1")
        if profile == "no-move":
            set_conf(self.pact, "imap", "idle", "no")  # IDLE advertised, polling chosen
        return self.pact

    def other_clients_deleted_mail(self):
        """A mail another client flagged \\Deleted and did not expunge: a
        roster member's HELP, which would be answered if pactd read it."""
        raw, mid = make_mail("sofie@itb.example.test", "HELP", "Deleted by another client\n")
        self.sb.append(PACT, raw, flags=r"(\Deleted)")
        return mid

    def submissions(self, tag):
        """(mid, sender, folder, answered) for a wave of mails of each outcome."""
        plan = [
            ("anne@di.example.test", "HJÆLP", "Hej %s\n", {}, PROCESSED, True),
            ("lise@ida.example.test", "OVERVIEW", "Hi %s\n", {}, PROCESSED, True),
            ("bo@di.example.test", "ERKLÆRING", "Motivation: %s\n", {}, REJECTED, True),
            ("someone@elsewhere.example.net", "HELP", "Hi %s\n", {}, QUARANTINE, False),
            ("mads@hk.example.test", "Automatic reply: away", "Away %s\n",
             {"Auto-Submitted": "auto-replied"}, IGNORED, False),
        ]
        out = []
        for sender, subject, body, headers, folder, answered in plan:
            raw, mid = make_mail(sender, subject, body % tag, headers=headers)
            self.sb.send(raw, sender, [PACT])
            out.append((mid, sender, folder, answered))
        return out

    def wait_inbox(self, n, timeout=30):
        deadline = time.time() + timeout
        while len(inbox_flags(self.sb)) < n and time.time() < deadline:
            time.sleep(0.2)
        self.assertGreaterEqual(len(inbox_flags(self.sb)), n, "mail did not arrive")

    def wait_answered(self, sent, timeout=60):
        """Until every mail is in its folder and every answer arrived."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if all(mid in folder_message_ids(PACT, folder) and
                   (not answered or replies_to(sender, mid, timeout=0))
                   for mid, sender, folder, answered in sent):
                return
            time.sleep(0.5)

    def assert_once(self, sent, deleted_left):
        """Each mail in its folder once and answered once (or not at all);
        INBOX holds only flagged originals when the server lacks UIDPLUS."""
        log = self.pact.logtext()[-4000:]
        folders = {f: folder_message_ids(PACT, f) for f in (PROCESSED, REJECTED, QUARANTINE, IGNORED)}
        inbox = inbox_flags(self.sb)
        for mid, sender, folder, answered in sent:
            with self.subTest(mid=mid, folder=folder):
                for f, ids in folders.items():
                    self.assertEqual(ids.count(mid), 1 if f == folder else 0,
                                     "%s in %s\n%s" % (mid, f, log))
                self.assertEqual(len(replies_to(sender, mid, timeout=0)), 1 if answered else 0, log)
                if deleted_left:
                    self.assertIn(r"\Deleted", inbox.get(mid, set()), "original not left flagged")
                else:
                    self.assertNotIn(mid, inbox, "original not expunged")
        return inbox

    def assert_other_left(self, other):
        inbox = inbox_flags(self.sb)
        self.assertIn(other, inbox, "another client's deleted mail was expunged")
        self.assertIn(r"\Deleted", inbox[other])
        self.assertEqual(replies_to("sofie@itb.example.test", other, timeout=0), [])
        for f in (PROCESSED, REJECTED, QUARANTINE, IGNORED):
            self.assertNotIn(other, folder_message_ids(PACT, f))

    def once_profile(self, profile):
        want_log, deleted_left = PROFILES[profile]
        pact = self.pact_for(profile)
        other = self.other_clients_deleted_mail()
        sent = self.submissions("once")
        self.wait_inbox(len(sent) + 1)
        rc, err = pact.once()
        self.assertEqual(rc, 0, err)
        self.assertRegex(err, want_log)
        self.assertEqual(len(re.findall(r"imap \S+: moving with", err)), 1, err)
        self.wait_answered(sent)
        self.assert_once(sent, deleted_left)
        self.assert_other_left(other)
        # later passes read nothing again, answer nothing again
        outbox = len(pact.ctl("outbox"))
        for _ in range(2):
            rc, err = pact.once()
            self.assertEqual(rc, 0, err)
            self.assertNotRegex(err, r"pass: \d+ message")
        self.assertEqual(len(pact.ctl("outbox")), outbox)
        time.sleep(1)
        self.assert_once(sent, deleted_left)
        self.assert_other_left(other)

    def test_deleted_mail_left_alone_with_move_too(self):
        """With MOVE (Dovecot's own list), too, a mail another client flagged
        \\Deleted is neither read nor touched."""
        self.sb.set_imap_profile("full")
        self.pact = Pact()
        other = self.other_clients_deleted_mail()
        raw, mid = make_mail("anne@di.example.test", "HELP", "Hi\n")
        self.sb.send(raw, "anne@di.example.test", [PACT])
        self.wait_inbox(2)
        rc, err = self.pact.once()
        self.assertEqual(rc, 0, err)
        self.assertRegex(err, r"moving with UID MOVE; waiting with IDLE")
        self.assert_once([(mid, "anne@di.example.test", PROCESSED, True)], False)
        self.assert_other_left(other)

    def test_once_without_move(self):
        self.once_profile("no-move")

    def test_once_without_move_uidplus_idle(self):
        self.once_profile("no-move-uidplus-idle")

    def test_killed_after_commit_without_uidplus(self):
        """Killed after the commit, before the copy: the next pass
        recognises the answered mails, copies and flags them, and answers
        nothing twice."""
        want_log, deleted_left = PROFILES["no-move-uidplus-idle"]
        pact = self.pact_for("no-move-uidplus-idle")
        sent = self.submissions("killed")
        self.wait_inbox(len(sent))
        rc, err = pact.once(fault="after-commit")
        self.assertEqual(rc, -9, err)
        self.assertEqual([f for f in inbox_flags(self.sb).values() if r"\Deleted" in f], [])
        rc, err = pact.once()
        self.assertEqual(rc, 0, err)
        self.wait_answered(sent)
        time.sleep(1)
        self.assert_once(sent, deleted_left)

    def daemon_profile(self, profile):
        want_log, deleted_left = PROFILES[profile]
        pact = self.pact_for(profile)
        other = self.other_clients_deleted_mail()
        pact.start()
        deadline = time.time() + 20
        while "ready" not in pact.logtext() and time.time() < deadline:
            time.sleep(0.2)
        self.assertRegex(pact.logtext(), want_log)
        sent = []
        for wave in ("first", "second"):  # mail arriving while pactd polls
            sent += self.submissions(wave)
            self.wait_answered(sent)
        time.sleep(3)  # three more polls: nothing read twice
        self.assertIsNone(pact.proc.poll(), pact.logtext())
        log = pact.logtext()
        self.assertNotIn("-> idling", log)
        # every mail read once: the flagged originals are never fetched again
        self.assertEqual(sum(int(n) for n in re.findall(r"pass: (\d+) message", log)), len(sent), log)
        self.assertEqual(len(re.findall(r"imap \S+: moving with", log)), 1, log)
        self.assertEqual(pact.stop(), 0)
        self.assert_once(sent, deleted_left)
        self.assert_other_left(other)

    def test_daemon_without_move(self):
        self.daemon_profile("no-move")

    def test_daemon_without_move_uidplus_idle(self):
        self.daemon_profile("no-move-uidplus-idle")


class StartupRefusals(unittest.TestCase):
    def setUp(self):
        self.pact = Pact()

    def tearDown(self):
        self.pact.cleanup()

    def pactd(self, *args):
        return run([os.path.join(BUILD, "pactd"), "-c", self.pact.conf] + list(args))

    def rewrite(self, section, key, value):
        set_conf(self.pact, section, key, value)

    def test_password_file_readable_by_others(self):
        pw = os.path.join(self.pact.dir, "imap.password")
        for m in (0o644, 0o604, 0o602):
            os.chmod(pw, m)
            for args in (["--once"], ["--check-config"]):
                rc, err = self.pactd(*args)
                self.assertEqual(rc, 78, err)
                self.assertIn(pw, err)
                self.assertIn("chmod 600 %s" % pw, err)
        os.chmod(pw, 0o640)  # root:pactd 0640 is a sound setup
        rc, err = self.pactd("--check-config")
        self.assertEqual(rc, 0, err)

    def test_credentials_directory_is_exempt(self):
        creds = tempfile.mkdtemp(prefix="pactd-creds-")
        try:
            with open(os.path.join(creds, "imap-password"), "w") as f:
                f.write("secret\n")
            os.chmod(os.path.join(creds, "imap-password"), 0o644)
            os.chmod(os.path.join(self.pact.dir, "imap.password"), 0o644)
            p = subprocess.run([os.path.join(BUILD, "pactd"), "-c", self.pact.conf, "--check-config"],
                               capture_output=True, text=True, timeout=60,
                               env=dict(os.environ, CREDENTIALS_DIRECTORY=creds))
            self.assertEqual(p.returncode, 0, p.stderr)
        finally:
            shutil.rmtree(creds)

    def test_login_without_tls_to_a_remote_host(self):
        for section, url in (("imap", "imap://192.0.2.1:143"), ("smtp", "smtp://192.0.2.1:25")):
            if section == "smtp":
                self.rewrite("smtp", "user", PACT)
                self.rewrite("smtp", "password_file", "imap.password")
            self.rewrite(section, "url", url)
            for args in (["--once"], ["--check-config"]):
                t0 = time.time()
                rc, err = self.pactd(*args)
                self.assertEqual(rc, 78, err)
                self.assertRegex(err, r"pactd\.conf:\d+: \[%s\] url: %s .*unencrypted" %
                                 (section, re.escape(url)))
                self.assertIn("starttls = yes", err)
                self.assertLess(time.time() - t0, 10, "refused before any connection")
            self.rewrite(section, "starttls", "yes")  # TLS: allowed (not reached here)
            rc, err = self.pactd("--check-config")
            self.assertEqual(rc, 0, err)
            self.rewrite(section, "starttls", "no")
            self.rewrite(section, "url", "%s://127.0.0.1:%d" % (
                section, getattr(self.pact.sb, section + "_port")))

    def test_loopback_accepted(self):
        sb = self.pact.sb
        for host in ("127.0.0.1", "localhost"):
            self.rewrite("imap", "url", "imap://%s:%d" % (host, sb.imap_port))
            rc, err = self.pactd("--check-config")
            self.assertEqual(rc, 0, err)
        rc, err = self.pactd("--once")
        self.assertEqual(rc, 0, err)


class FileModes(unittest.TestCase):
    """The database and backups are the owner's alone (0600); the page is
    public by definition: its files 0644, its folder 0755."""

    def setUp(self):
        self.pact = Pact()

    def tearDown(self):
        self.pact.cleanup()

    def check_modes(self, umask):
        p = self.pact
        rc, out = run([os.path.join(BUILD, "pactd"), "-c", p.conf, "--once"], umask=umask)
        self.assertEqual(rc, 0, out)
        self.assertEqual(mode(p.db), 0o600)
        public = os.path.join(p.dir, "public")
        self.assertEqual(mode(public), 0o755)
        for name in ("index.html", "pact.json", "feed.atom"):
            self.assertEqual(mode(os.path.join(public, name)), 0o644, name)
        backup = os.path.join(p.dir, "backup-%03o.db" % umask)
        rc, out = run([os.path.join(BUILD, "pactctl"), "-c", p.conf, "backup", backup], umask=umask)
        self.assertEqual(rc, 0, out)
        self.assertEqual(mode(backup), 0o600)
        for side in ("-wal", "-shm", "-journal"):
            if os.path.exists(backup + side):
                self.assertEqual(mode(backup + side), 0o600, side)

    def test_umask_022(self):
        self.check_modes(0o022)

    def test_umask_000(self):
        self.check_modes(0o000)

    def test_side_files_while_running_and_old_modes_tightened(self):
        p = self.pact
        rc, out = run([os.path.join(BUILD, "pactd"), "-c", p.conf, "--once"], umask=0o022)
        self.assertEqual(rc, 0, out)
        os.chmod(p.db, 0o644)  # as an older pactd left it
        old = os.umask(0)
        try:
            p.start()
        finally:
            os.umask(old)
        deadline = time.time() + 20
        while "ready" not in p.logtext() and time.time() < deadline:
            time.sleep(0.2)
        for f in (p.db, p.db + "-wal", p.db + "-shm"):
            self.assertEqual(mode(f), 0o600, f)
        self.assertEqual(p.stop(), 0)


if __name__ == "__main__":
    unittest.main()

"""Outages (issue 7, item 2; SPEC sections 7 and 9): the IMAP server killed
and restarted under a running `pactd -f`; the SMTP server down for six hours
of PACTD_NOW time, with the back-off visible in `pactctl --json outbox`; the
database's file system full or read-only. In each case the mail waits, pactd
says why, and once the outage ends the mail is answered exactly once."""

import datetime
import errno
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

from pactlib import PACT, Pact, folder_message_ids, make_mail, replies_to, sandbox

PROCESSED = "pactd/Processed"


def iso(t):
    return t.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def from_iso(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)


def start_of_minute():
    """Now, on a whole minute: the clock is only ever moved forward."""
    return datetime.datetime.now(datetime.timezone.utc).replace(second=0, microsecond=0) + \
        datetime.timedelta(minutes=1)


def imap_session_pids(port):
    """Dovecot's imap processes serving a connection on port."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":
                        inodes.add(fields[9])
        except OSError:
            pass
    pids = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/comm" % name) as f:
                if f.read().strip() != "imap":
                    continue
            fds = os.listdir("/proc/%s/fd" % name)
        except OSError:
            continue
        for fd in fds:
            try:
                link = os.readlink("/proc/%s/fd/%s" % (name, fd))
            except OSError:
                continue
            if link.startswith("socket:[") and link[8:-1] in inodes:
                pids.append(int(name))
                break
    return pids


def kill_imap_server(sb):
    """Dovecot down, its sessions cut: the sandbox's stop_imap() stops the
    master, but an established imap process goes on serving its client, so
    the processes of this sandbox's IMAP port are killed by PID too."""
    sb.stop_imap()
    pids = imap_session_pids(sb.imap_port)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return pids


class Outages(unittest.TestCase):
    def setUp(self):
        self.sb = sandbox()
        self.pact = Pact()

    def tearDown(self):
        # the servers are up again whatever happened
        try:
            self.sb.start_imap()
        finally:
            self.sb.resume_smtp()
        logs = os.path.join(tempfile.gettempdir(), "pactd-outages-logs")
        os.makedirs(logs, exist_ok=True)
        if os.path.exists(self.pact.logfile):
            shutil.copy(self.pact.logfile, os.path.join(logs, self.id().split(".")[-1] + ".log"))
        self.pact.cleanup()

    def one_reply(self, sender, mid, timeout=30):
        """Exactly one answer to mid in sender's mailbox, also a moment later."""
        got = replies_to(sender, mid, timeout=timeout)
        time.sleep(1.5)
        got = replies_to(sender, mid, timeout=1)
        self.assertEqual(len(got), 1, "%d replies to <%s> in %s's mailbox\n%s"
                         % (len(got), mid, sender, self.pact.logtext()[-3000:]))
        return got[0]

    # ------------------------------------------------------------ IMAP
    def test_imap_server_killed_and_restarted_under_pactd_f(self):
        sender = "peter@industriensfond.example.test"
        self.pact.start()
        # pactd is up and in IDLE: a first mail is answered
        raw, mid = make_mail(sender, "HJÆLP", "Hej\n")
        self.sb.send(raw, sender, [PACT])
        self.one_reply(sender, mid)
        # Dovecot goes down; a mail arrives meanwhile (OpenSMTPD queues it,
        # LMTP being down too); pactd notices, says so, and retries
        kill_imap_server(self.sb)  # the stop drops pactd's session too
        deadline = time.time() + 10
        while "imap:" not in self.pact.logtext().split("ready", 1)[-1] and time.time() < deadline:
            time.sleep(0.2)
        self.assertIn("imap:", self.pact.logtext().split("ready", 1)[-1], "pactd did not notice the server went")
        raw, mid = make_mail(sender, "HELP", "Hello, the server was down\n")
        self.sb.send(raw, sender, [PACT])
        time.sleep(4)
        self.assertIsNone(self.pact.proc.poll(), "pactd -f must outlive the IMAP server\n" + self.pact.logtext())
        self.sb.start_imap()
        try:
            self.sb.smtpctl("schedule", "all")  # deliver the queued mail now, not at the next retry
        except Exception:
            pass
        self.one_reply(sender, mid, timeout=90)
        self.assertIsNone(self.pact.proc.poll())
        self.assertEqual(self.sb.count(PACT, "INBOX"), 0)
        self.assertEqual(folder_message_ids(PACT, PROCESSED).count(mid), 1)
        log = self.pact.logtext()
        self.assertRegex(log, r"imap: .*(retrying in \d+ s)", "pactd does not say the IMAP server is away")
        self.assertEqual(self.pact.stop(), 0)
        box = [b for b in self.pact.ctl("outbox") if b["to"] == sender]
        self.assertEqual([b["state"] for b in box], ["sent", "sent"])

    # ------------------------------------------------------------ SMTP
    def test_smtp_down_for_six_hours_with_back_off(self):
        sender = "sofie@itb.example.test"
        raw, mid = make_mail(sender, "HELP", "Hi\n")
        self.sb.pause_smtp()
        self.sb.append(PACT, raw)  # IMAP APPEND: the SMTP server is away
        t0 = start_of_minute()
        # a pass every 20 minutes (and 10 s more each time, so that no retry
        # falls due on the very second of a pass) for six hours
        history = []  # (time of the pass, exit status, attempts, next_try, error)
        for k in range(19):
            at = t0 + datetime.timedelta(seconds=k * (20 * 60 + 10))
            rc, err = self.pact.once(now=iso(at))
            self.assertIn(rc, (0, 69), err)
            box = self.pact.ctl("outbox")
            self.assertEqual(len(box), 1, box)
            row = box[0]
            self.assertEqual(row["state"], "queued", row)
            self.assertEqual(row["to"], sender)
            history.append((at, rc, row["attempts"], from_iso(row["next_try"]), row["error"]))
            if rc == 69:
                self.assertRegex(err, r"(?i)smtp|outbox", "pactd does not say why the mail waits:\n" + err)
            # the message itself was taken at the first pass and is not read again
            self.assertEqual(self.sb.count(PACT, "INBOX"), 0)
        self.assertGreaterEqual(history[-1][0] - t0, datetime.timedelta(hours=6))
        table = "\n".join("%5.1f h: exit %d, attempts %d, next try %s (+%d s), %s"
                          % ((at - t0).total_seconds() / 3600, rc, a, iso(n), (n - at).total_seconds(), e)
                          for at, rc, a, n, e in history)
        print("\nSMTP down, pactctl --json outbox after each pass:\n" + table)
        # every pass where a try was due made one: attempts only grow, next_try only moves out
        attempts = [a for _, _, a, _, _ in history]
        nexts = [n for _, _, _, n, _ in history]
        self.assertEqual(attempts, sorted(attempts), table)
        self.assertEqual(nexts, sorted(nexts), table)
        self.assertEqual(attempts[0], 1, table)
        self.assertGreaterEqual(attempts[-1], 8, table)
        for (at, rc, a, n, e), (at2, rc2, a2, n2, e2) in zip(history, history[1:]):
            due = n <= at2
            self.assertEqual(a2, a + 1 if due else a, "pass at %s\n%s" % (iso(at2), table))
            self.assertEqual(rc2, 69 if due else 0, "pass at %s\n%s" % (iso(at2), table))
            self.assertTrue(e2, table)
        # the back-off after each attempt: growing, capped at one hour
        # (whole minutes: the clock runs on during a pass, a second may pass before the try)
        waits = [int((n - at).total_seconds() // 60) * 60 for at, rc, a, n, e in history if rc == 69]
        self.assertEqual(waits, sorted(waits), "back-off must grow\n" + table)
        self.assertLess(waits[0], 600, table)
        self.assertGreater(waits[-1], waits[0], table)
        self.assertTrue(all(w <= 3600 for w in waits), "back-off above one hour\n" + table)
        self.assertEqual(waits[-1], 3600, "back-off never reached its cap of one hour\n" + table)
        self.assertEqual(replies_to(sender, mid, timeout=0.5), [])
        # the server is back: one more pass after the last next_try delivers it once
        self.sb.resume_smtp()
        last = history[-1]
        later = max(last[3], last[0]) + datetime.timedelta(minutes=1)
        rc, err = self.pact.once(now=iso(later))
        self.assertEqual(rc, 0, err)
        self.one_reply(sender, mid)
        box = self.pact.ctl("outbox")
        self.assertEqual((box[0]["state"], box[0]["attempts"]), ("sent", last[2] + 1), box)
        self.assertIsNotNone(box[0]["sent"])
        # and a pass after that sends nothing again
        rc, err = self.pact.once(now=iso(later + datetime.timedelta(hours=2)))
        self.assertEqual(rc, 0, err)
        self.one_reply(sender, mid, timeout=2)
        sent = [e for e in self.pact.ctl("log") if e["event"] == "mail sent"]
        self.assertEqual(len(sent), 1, sent)


# ------------------------------------------------------------------ storage
def mount_tmpfs(path, size):
    """Mount a small tmpfs on path; the reason when that is impossible."""
    if os.geteuid() != 0:
        return "not root"
    if shutil.which("mount") is None:
        return "no mount(8)"
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s,mode=0755" % size, "tmpfs", path],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return (r.stderr or r.stdout).strip() or "mount exited %d" % r.returncode
    return None


def fill(path):
    """Write zeros into path until the file system is full."""
    block = b"\0" * 65536
    with open(path, "wb", buffering=0) as f:
        while True:
            try:
                f.write(block)
            except OSError as e:
                if e.errno != errno.ENOSPC:
                    raise
                break
        # and the last few bytes too
        while True:
            try:
                f.write(b"\0" * 512)
            except OSError:
                break
    try:
        with open(path, "ab", buffering=0) as f:
            while True:
                f.write(b"\0")
    except OSError:
        pass


class Storage(unittest.TestCase):
    """The database on a small tmpfs of its own, mounted for the test."""

    SIZE = "4m"

    def setUp(self):
        self.sb = sandbox()
        self.pact = Pact()
        self.unclear = []
        self.dbdir = os.path.join(self.pact.dir, "db")
        os.mkdir(self.dbdir)
        why = mount_tmpfs(self.dbdir, self.SIZE)
        if why is not None:
            self.mounted = False
            self.skipTest("cannot mount a tmpfs for the database here (%s): the disk-full and "
                          "read-only cases need root and mount(8)" % why)
        self.mounted = True
        db = os.path.join(self.dbdir, "pactd.db")
        with open(self.pact.conf) as f:
            conf = f.read()
        conf = re.sub(r"(?m)^database = .*$", "database = %s" % db, conf, count=1)
        with open(self.pact.conf, "w") as f:
            f.write(conf)
        self.pact.db = db
        # a first pass creates the database while there is room
        rc, err = self.pact.once()
        self.assertEqual(rc, 0, err)
        self.assertTrue(os.path.exists(db))

    def tearDown(self):
        logs = os.path.join(tempfile.gettempdir(), "pactd-outages-logs")
        os.makedirs(logs, exist_ok=True)
        if os.path.exists(self.pact.logfile):
            shutil.copy(self.pact.logfile, os.path.join(logs, self.id().split(".")[-1] + ".log"))
        if self.mounted:
            for args in (["umount", self.dbdir], ["umount", "-l", self.dbdir]):
                if subprocess.run(args, capture_output=True).returncode == 0:
                    break
        self.pact.cleanup()

    def submit_help(self, sender):
        raw, mid = make_mail(sender, "HJÆLP", "Hej\n")
        self.sb.send(raw, sender, [PACT])
        self.sb.wait_messages(PACT, 1)
        return mid

    def refused(self, sender, mid, reason, why):
        """Two passes in a row: each exits 75, says why, leaves the mail.
        A message that does not name the cause is reported at the end of
        the test, after the rest has been checked."""
        for _ in range(2):
            rc, err = self.pact.once()
            self.assertEqual(rc, 75, "exit %d, want 75 (temporary failure)\n%s" % (rc, err))
            self.assertTrue(err.strip(), "pactd says nothing")
            if not re.search(reason, err) and not self.unclear:
                self.unclear.append("pactd exits 75 but does not say that the %s; it says:\n%s"
                                    % (why, err.strip()))
            self.assertEqual(self.sb.count(PACT, "INBOX"), 1, "the mail must stay in the INBOX\n" + err)
        self.assertNotIn(mid, folder_message_ids(PACT, PROCESSED))
        self.assertEqual(replies_to(sender, mid, timeout=1), [])

    def resumed(self, sender, mid):
        rc, err = self.pact.once()
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.sb.count(PACT, "INBOX"), 0, err)
        self.assertEqual(folder_message_ids(PACT, PROCESSED).count(mid), 1)
        got = replies_to(sender, mid, timeout=20)
        time.sleep(1.5)
        got = replies_to(sender, mid, timeout=1)
        self.assertEqual(len(got), 1, "%d replies\n%s" % (len(got), err))
        # one more pass changes nothing
        rc, err = self.pact.once()
        self.assertEqual(rc, 0, err)
        time.sleep(1)
        self.assertEqual(len(replies_to(sender, mid, timeout=1)), 1)
        box = self.pact.ctl("outbox")
        self.assertEqual([(b["to"], b["state"]) for b in box], [(sender, "sent")])

    def test_disk_full(self):
        sender = "mads@hk.example.test"
        mid = self.submit_help(sender)
        filler = os.path.join(self.dbdir, "filler")
        fill(filler)
        st = os.statvfs(self.dbdir)
        self.assertLess(st.f_bavail * st.f_frsize, 8192, "the tmpfs is not full")
        self.refused(sender, mid, r"(?i)(disk is full|no space left|disk full|file system is full)",
                     "file system holding the database is full")
        os.unlink(filler)
        self.resumed(sender, mid)
        if self.unclear:
            self.fail(self.unclear[0])

    def test_disk_full_under_pactd_f(self):
        """The file system fills while the daemon runs: the mail waits in
        the INBOX, pactd says why and goes on; once there is room it is
        answered once."""
        sender = "jens@danskerhverv.example.test"
        self.pact.start()
        deadline = time.time() + 20
        while "ready" not in self.pact.logtext() and time.time() < deadline:
            time.sleep(0.2)
        filler = os.path.join(self.dbdir, "filler")
        fill(filler)
        before = len(self.pact.logtext())
        raw, mid = make_mail(sender, "HJÆLP", "Hej\n")
        self.sb.send(raw, sender, [PACT])
        deadline = time.time() + 30
        while "store:" not in self.pact.logtext()[before:] and time.time() < deadline:
            time.sleep(0.2)
        log = self.pact.logtext()[before:]
        self.assertRegex(log, r"store: .*(?i:disk is full|no space left)", "pactd does not say why:\n" + log)
        time.sleep(1)
        self.assertIsNone(self.pact.proc.poll(), "pactd -f must outlive a full disk\n" + log)
        self.assertEqual(self.sb.count(PACT, "INBOX"), 1, "the mail must stay in the INBOX\n" + log)
        self.assertEqual(replies_to(sender, mid, timeout=1), [])
        os.unlink(filler)
        # pactd tries again by itself (at the latest after a minute)
        got = replies_to(sender, mid, timeout=90)
        time.sleep(1.5)
        got = replies_to(sender, mid, timeout=1)
        self.assertEqual(len(got), 1, self.pact.logtext()[before:])
        self.assertEqual(self.sb.count(PACT, "INBOX"), 0)
        self.assertEqual(folder_message_ids(PACT, PROCESSED).count(mid), 1)
        self.assertIsNone(self.pact.proc.poll())
        self.assertEqual(self.pact.stop(), 0)

    def test_read_only(self):
        sender = "pia@smvdanmark.example.test"
        mid = self.submit_help(sender)
        r = subprocess.run(["mount", "-o", "remount,ro", self.dbdir], capture_output=True, text=True)
        if r.returncode != 0:
            self.skipTest("cannot remount the tmpfs read-only: %s" % r.stderr.strip())
        try:
            self.refused(sender, mid, r"(?i)(read-?only)", "database's file system is read-only")
        finally:
            subprocess.run(["mount", "-o", "remount,rw", self.dbdir], check=True)
        self.resumed(sender, mid)
        if self.unclear:
            self.fail(self.unclear[0])


if __name__ == "__main__":
    unittest.main()

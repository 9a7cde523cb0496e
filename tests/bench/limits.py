"""The mail servers' own limits, measured in the same run as pactd: the raw
rate of one UID FETCH of every message, and the rate at which OpenSMTPD
accepts small mails on reused connections while its delivery is paused."""

import email.utils
import imaplib
import os
import smtplib
import threading
import time

# OpenSMTPD's sandbox config ends a session after 1000 mails
# (smtp limit max-mails); pactd's libcurl reconnects the same way.
MAILS_PER_SESSION = 1000


def imap_fetch_rate(sb, user, folder="INBOX"):
    """(messages, mails/s) of `UID FETCH 1:* (UID BODY.PEEK[])`."""
    c = sb.imap(user)
    try:
        typ, _ = c.select('"%s"' % folder, readonly=True)
        if typ != "OK":
            raise RuntimeError("SELECT %s failed" % folder)
        t0 = time.monotonic()
        typ, data = c.uid("FETCH", "1:*", "(UID BODY.PEEK[])")
        dt = time.monotonic() - t0
        if typ != "OK":
            raise RuntimeError("UID FETCH failed: %r" % data[:1])
        n = sum(1 for d in data if isinstance(d, tuple))
    finally:
        c.logout()
    return n, n / dt if dt > 0 else 0.0


def small_mail(i, sender, rcpt):
    return ("From: %s\r\nTo: %s\r\nSubject: limit %d\r\nDate: %s\r\n"
            "Message-ID: <limit-%d-%d@bench.example.test>\r\n\r\n"
            "A small mail to measure acceptance.\r\n" % (
                sender, rcpt, i, email.utils.formatdate(), i, os.getpid())).encode()


def smtp_accept_rate(sb, n, sender, rcpt):
    """mails/s at which the SMTP server accepts n small mails, a session
    reused for MAILS_PER_SESSION of them. Delivery must be paused by the
    caller, so that acceptance is what is measured."""
    mails = [small_mail(i, sender, rcpt) for i in range(n)]
    t0 = time.monotonic()
    s = None
    for i, raw in enumerate(mails):
        if i % MAILS_PER_SESSION == 0:
            if s is not None:
                s.quit()
            s = smtplib.SMTP(sb.host, sb.smtp_port, local_hostname="bench.example.test", timeout=60)
        s.sendmail(sender, [rcpt], raw)
    s.quit()
    dt = time.monotonic() - t0
    return n / dt if dt > 0 else 0.0


def server_cpu(sb):
    """CPU seconds used so far by the sandbox's Dovecot and OpenSMTPD: every
    process of their sessions, with the children they have reaped."""
    tick = os.sysconf("SC_CLK_TCK")
    sessions = {pid for pid in (sb.dovecot_pid, sb.smtpd_pid) if pid}
    total = 0
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name) as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        # fields[3] is the session; 11..14 utime, stime, cutime, cstime
        if int(fields[3]) in sessions:
            total += sum(int(x) for x in fields[11:15])
    return total / tick


class AnonWatch(threading.Thread):
    """The largest anonymous memory (RssAnon) of pactd, a child of the
    maxrss process pid, sampled every 10 ms while it runs."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.parent = pid
        self.peak = 0
        self.done = threading.Event()
        self.start()

    def child(self):
        try:
            with open("/proc/%d/task/%d/children" % (self.parent, self.parent)) as f:
                kids = f.read().split()
        except OSError:
            return None
        return kids[0] if kids else None

    def run(self):
        pid = None
        while not self.done.is_set():
            pid = pid or self.child()
            if pid is not None:
                try:
                    with open("/proc/%s/status" % pid) as f:
                        for line in f:
                            if line.startswith("RssAnon:"):
                                self.peak = max(self.peak, int(line.split()[1]))
                except OSError:
                    return
            time.sleep(0.01)

    def stop(self):
        self.done.set()
        self.join()
        return self.peak

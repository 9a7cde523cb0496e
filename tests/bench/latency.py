"""Latency: from the SMTP server's acceptance of a submission to the reply's
arrival in the sender's mailbox, for pactd -f and for the floor, a bare
IDLE client that answers at once over the same servers.

A reply has arrived when Dovecot's LMTP renames it into the recipient's
Maildir/new: that rename is watched with inotify, so that the harness
neither polls the server nor adds a delay of its own."""

import ctypes
import ctypes.util
import email.utils
import os
import re
import select
import smtplib
import socket
import struct
import threading
import time

IN_MOVED_TO = 0x00000080
IN_CREATE = 0x00000100
IN_NONBLOCK = 0o4000

_libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)


class MaildirWatch:
    """Files arriving in a Maildir's new/ (made beforehand)."""

    def __init__(self, maildir):
        self.dir = os.path.join(maildir, "new")
        self.fd = _libc.inotify_init1(IN_NONBLOCK)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        if _libc.inotify_add_watch(self.fd, self.dir.encode(), IN_MOVED_TO | IN_CREATE) < 0:
            raise OSError(ctypes.get_errno(), "inotify_add_watch %s" % self.dir)

    def wait_for(self, needle, timeout):
        """The monotonic time at which a file holding needle (bytes)
        appeared, or None after timeout seconds."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self.fd], [], [], left)
            if not r:
                continue
            at = time.monotonic()
            for name in self._names(os.read(self.fd, 65536)):
                try:
                    with open(os.path.join(self.dir, name), "rb") as f:
                        if needle in f.read():
                            return at
                except FileNotFoundError:
                    continue  # Dovecot moved it on to cur/ meanwhile

    @staticmethod
    def _names(buf):
        off = 0
        while off + 16 <= len(buf):
            _, _, _, ln = struct.unpack_from("iIII", buf, off)
            name = buf[off + 16:off + 16 + ln].rstrip(b"\0").decode()
            off += 16 + ln
            if name:
                yield name

    def close(self):
        os.close(self.fd)


class FloorClient(threading.Thread):
    """Logs in as `user`, IDLEs on INBOX, and answers every new message at
    once with a one-line reply to its From, then expunges it."""

    def __init__(self, sb, user):
        super().__init__(daemon=True)
        self.sb, self.user = sb, user
        self.stop_flag = threading.Event()
        self.error = None
        self.ready = threading.Event()

    # -- a minimal IMAP conversation: IDLE is not in imaplib before 3.14
    def _fill(self, timeout=None):
        """More bytes into the buffer; False when timeout passed first."""
        if timeout is not None and not select.select([self.s], [], [], timeout)[0]:
            return False
        data = self.s.recv(65536)
        if not data:
            raise ConnectionError("IMAP server closed the connection")
        self.buf += data
        return True

    def _line(self, timeout=None):
        """A line, or None when timeout passed before one was complete."""
        while b"\r\n" not in self.buf:
            if not self._fill(timeout):
                return None
        i = self.buf.index(b"\r\n") + 2
        line, self.buf = bytes(self.buf[:i]), self.buf[i:]
        return line

    def _read(self, n):
        while len(self.buf) < n:
            self._fill()
        data, self.buf = bytes(self.buf[:n]), self.buf[n:]
        return data

    def _cmd(self, tag, text):
        """Send a command; the untagged answers (literals inlined)."""
        self.s.sendall(b"%s %s\r\n" % (tag, text))
        out = []
        while True:
            line = self._line()
            m = re.search(rb"\{(\d+)\}\r\n$", line)
            if m:
                line += self._read(int(m.group(1))) + self._line()
            if line.startswith(tag + b" "):
                if not line.startswith(tag + b" OK"):
                    raise RuntimeError("IMAP %s: %r" % (text, line))
                return out
            out.append(line)

    def run(self):
        try:
            self.s = socket.create_connection((self.sb.host, self.sb.imap_port))
            self.buf = bytearray()
            self._line()
            self._cmd(b"l", b"LOGIN %s %s" % (self.user.encode(), self.sb.password.encode()))
            self._cmd(b"s", b"SELECT INBOX")
            self.ready.set()
            while not self.stop_flag.is_set():
                self._answer_new()
                self._idle()
            self._cmd(b"o", b"LOGOUT")
        except Exception as e:  # reported by the harness
            self.error = e
            self.ready.set()

    def _idle(self):
        self.s.sendall(b"i IDLE\r\n")
        if not self._line().startswith(b"+"):
            raise RuntimeError("IDLE refused")
        while not self.stop_flag.is_set():
            line = self._line(0.2)
            if line is not None and line.endswith(b"EXISTS\r\n"):
                break
        self.s.sendall(b"DONE\r\n")  # ends IDLE; the answer is tagged i
        while not self._line().startswith(b"i "):
            pass

    def _answer_new(self):
        lines = self._cmd(b"f", b"UID FETCH 1:* (UID BODY.PEEK[HEADER.FIELDS (FROM MESSAGE-ID)])")
        if not lines:
            return
        for line in lines:
            frm = re.search(rb"(?im)^From:[^\r\n]*<([^>]+)>|^From:\s*(\S+@\S+)", line)
            mid = re.search(rb"(?im)^Message-ID:\s*(<[^>]+>)", line)
            if frm and mid:
                addr = (frm.group(1) or frm.group(2)).decode()
                self._reply(addr, mid.group(1).decode())
        self._cmd(b"d", b"UID STORE 1:* +FLAGS.SILENT (\\Deleted)")
        self._cmd(b"e", b"EXPUNGE")

    def _reply(self, addr, msgid):
        raw = ("From: %s\r\nTo: %s\r\nSubject: Re: floor\r\nIn-Reply-To: %s\r\n"
               "Date: %s\r\nMessage-ID: <%s.floor@bench.example.test>\r\n\r\nAnswered.\r\n"
               % (self.user, addr, msgid, email.utils.formatdate(), os.urandom(8).hex())).encode()
        with smtplib.SMTP(self.sb.host, self.sb.smtp_port, local_hostname="bench.example.test",
                          timeout=30) as s:
            s.sendmail(self.user, [addr], raw)

    def stop(self):
        self.stop_flag.set()
        self.join(10)


def request(i, sender, to, subject):
    mid = "lat-%d-%s@bench.example.test" % (i, os.urandom(6).hex())
    raw = ("From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s>\r\n"
           "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
           "Hej, hvordan indsender jeg? (%d)\r\n" % (
               sender, to, subject, email.utils.formatdate(), mid, i)).encode()
    return raw, mid


def one_round(smtp, watch, i, sender, to, subject, timeout=30):
    """Seconds from acceptance to arrival of the reply, or None."""
    raw, mid = request(i, sender, to, subject)
    smtp.sendmail(sender, [to], raw)
    accepted = time.monotonic()
    at = watch.wait_for(mid.encode(), timeout)
    return None if at is None else at - accepted


def percentile(values, p):
    v = sorted(values)
    if not v:
        return None
    k = max(0, min(len(v) - 1, int(round(p / 100.0 * len(v) + 0.5)) - 1))
    return v[k]

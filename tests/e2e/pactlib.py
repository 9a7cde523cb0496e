"""Helpers for the end-to-end tests: a pactd instance of its own (config,
roster, database) against the shared sandbox's real Dovecot and OpenSMTPD,
and ways to read what users would see."""

import email
import email.policy
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
BUILD = os.environ.get("PACTD_BUILD", os.path.join(TOP, "build"))
DATA = os.path.join(TOP, "tests", "data")
sys.path.insert(0, os.path.join(TOP, "tests", "sandbox"))

import sandbox as sandbox_mod  # noqa: E402

PACT = "pagt@example.test"
SANDBOX = None


def sandbox():
    """The one sandbox of this test run, started on first use."""
    global SANDBOX
    if SANDBOX is None:
        root = os.environ.get("PACTD_SANDBOX_DIR") or tempfile.mkdtemp(prefix="pactd-sandbox-")
        # Free ports unless PACTD_TEST_*_PORT fix them: runs can overlap.
        ports = [int(os.environ.get("PACTD_TEST_%s_PORT" % k, "0")) for k in ("IMAP", "LMTP", "SMTP")]
        SANDBOX = sandbox_mod.Sandbox(root, *ports)
        SANDBOX.start()
    return SANDBOX


def parse(raw):
    return email.message_from_bytes(raw, policy=email.policy.default)


def text_of(msg):
    """The text/plain part of a parsed message, decoded."""
    part = msg.get_body(preferencelist=("plain",))
    return part.get_content() if part is not None else ""


def load_eml(name, **replace):
    """A corpus mail with a fresh Message-ID, so that tests do not share."""
    with open(os.path.join(DATA, name), "rb") as f:
        raw = f.read()
    new_id = "<%s@test.example.test>" % uuid.uuid4().hex
    raw = re.sub(rb"(?im)^Message-ID:[ \t]*<[^>]*>", b"Message-ID: " + new_id.encode(), raw, count=1)
    for k, v in replace.items():
        raw = raw.replace(k.encode(), v.encode())
    return raw, new_id.strip("<>")


def make_mail(sender, subject, body, to=PACT, headers=None, msgid=None):
    """A plain UTF-8 mail as a simple client writes it."""
    msgid = msgid or "%s@client.example.test" % uuid.uuid4().hex
    h = {
        "From": sender,
        "To": to,
        "Subject": subject,
        "Date": email.utils.formatdate(localtime=False),
        "Message-ID": "<%s>" % msgid,
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=utf-8",
        "Content-Transfer-Encoding": "8bit",
    }
    for k, v in (headers or {}).items():
        h[k] = v
    hdr = "".join("%s: %s\r\n" % (k, v) for k, v in h.items() if v is not None)
    if any(ord(c) > 127 for c in subject):
        hdr = hdr.replace("Subject: %s" % subject, "Subject: %s" % email.header.Header(subject, "utf-8").encode())
    raw = (hdr + "\r\n" + body.replace("\n", "\r\n")).encode("utf-8")
    return raw, msgid


import email.header  # noqa: E402
import email.utils  # noqa: E402


class Pact:
    """One pactd with its own directory, database and config."""

    def __init__(self, **overrides):
        sb = sandbox()
        self.sb = sb
        self.dir = tempfile.mkdtemp(prefix="pactd-e2e-")
        self.conf = os.path.join(self.dir, "pactd.conf")
        self.db = os.path.join(self.dir, "pactd.db")
        self.proc = None
        self.logfile = os.path.join(self.dir, "pactd.log")
        shutil.copy(os.path.join(TOP, "config", "roster.conf"), os.path.join(self.dir, "roster.conf"))
        with open(os.path.join(self.dir, "imap.password"), "w") as f:
            f.write("secret\n")
        os.chmod(os.path.join(self.dir, "imap.password"), 0o600)
        settings = {
            ("pact", "address"): PACT,
            ("pact", "database"): self.db,
            ("pact", "roster"): "roster.conf",
            ("pact", "templates"): os.path.join(TOP, "templates"),
            ("imap", "url"): "imap://127.0.0.1:%d" % sb.imap_port,
            ("imap", "user"): PACT,
            ("imap", "password_file"): "imap.password",
            ("imap", "poll_interval"): "2",
            ("smtp", "url"): "smtp://127.0.0.1:%d" % sb.smtp_port,
            ("smtp", "user"): "",
            ("smtp", "from"): "Cybersikkerhedspagten <%s>" % PACT,
            ("page", "output_dir"): os.path.join(self.dir, "public"),
        }
        settings.update(overrides)
        sections = {}
        for (sec, key), val in settings.items():
            sections.setdefault(sec, []).append("%s = %s" % (key, val))
        with open(self.conf, "w") as f:
            for sec, lines in sections.items():
                f.write("[%s]\n%s\n\n" % (sec, "\n".join(lines)))
        clear_mailbox(PACT)

    def env(self, now=None, fault=None):
        e = dict(os.environ)
        e.pop("PACTD_NOW", None)
        e.pop("PACTD_FAULT", None)
        if now:
            e["PACTD_NOW"] = now
        if fault:
            e["PACTD_FAULT"] = fault
        return e

    def once(self, now=None, fault=None, check=True):
        """pactd --once; returns (exit status, stderr)."""
        p = subprocess.run([os.path.join(BUILD, "pactd"), "-c", self.conf, "--once", "-v"],
                           env=self.env(now, fault), capture_output=True, text=True, timeout=120)
        with open(self.logfile, "a") as f:
            f.write(p.stderr)
        return p.returncode, p.stderr

    def start(self, now=None):
        """pactd -f in the background."""
        self.log = open(self.logfile, "a")
        self.proc = subprocess.Popen([os.path.join(BUILD, "pactd"), "-c", self.conf, "-f", "-v"],
                                     env=self.env(now), stderr=self.log)
        return self.proc

    def stop(self, timeout=10):
        if self.proc is None:
            return None
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.proc = None
        self.log.close()
        return rc

    def ctl(self, *args, json_out=True, check=True):
        cmd = [os.path.join(BUILD, "pactctl"), "-c", self.conf] + (["--json"] if json_out else []) + list(args)
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        if check and p.returncode != 0:
            raise AssertionError("pactctl %s: %d %s" % (" ".join(args), p.returncode, p.stderr))
        return json.loads(p.stdout) if json_out and p.stdout.strip() else p

    def logtext(self):
        with open(self.logfile) as f:
            return f.read()

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def clear_mailbox(user, folder="INBOX"):
    """Expunge everything in a folder (no error when it does not exist)."""
    sb = sandbox()
    with sb.imap(user) as m:
        typ, _ = m.select('"%s"' % folder)
        if typ != "OK":
            return
        typ, data = m.uid("SEARCH", None, "ALL")
        uids = data[0].split() if data and data[0] else []
        if uids:
            m.uid("STORE", b",".join(uids), "+FLAGS.SILENT", r"(\Deleted)")
            m.expunge()


def replies_to(user, msgid, timeout=20, want=1):
    """Messages in user's INBOX that answer msgid (In-Reply-To), waiting
    until at least `want` are there or the timeout passes."""
    sb = sandbox()
    deadline = time.time() + timeout
    while True:
        found = [parse(r) for r in sb.messages(user)]
        found = [m for m in found if (m.get("In-Reply-To") or "").strip() == "<%s>" % msgid]
        if len(found) >= want or time.time() >= deadline:
            return found
        time.sleep(0.2)


def folder_message_ids(user, folder):
    sb = sandbox()
    try:
        msgs = sb.messages(user, folder)
    except Exception:
        return []
    return [(parse(r).get("Message-ID") or "").strip().strip("<>") for r in msgs]

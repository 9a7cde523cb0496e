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

# make e2e-san: where sanitizer reports are kept for the run to fail on.
# ASan writes its own there (log_path); UBSan, which GCC's runtime writes
# to stderr whatever log_path says, is found in what pactd and pactctl
# wrote to stderr.
SAN_REPORTS = os.environ.get("PACTD_SAN_REPORTS")
SAN_MARKS = ("runtime error:", "ERROR: AddressSanitizer", "ERROR: LeakSanitizer")


def keep_san_report(text, what):
    """Keep text where make e2e-san looks when it holds a report."""
    if SAN_REPORTS and any(m in text for m in SAN_MARKS):
        os.makedirs(SAN_REPORTS, exist_ok=True)
        with open(os.path.join(SAN_REPORTS, "stderr.%s.%s" % (what, uuid.uuid4().hex[:8])), "w") as f:
            f.write(text)


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


# ------------------------------------------------------------ mail hygiene
# Every mail pactd sends is checked as the tests read it from a mailbox
# (Sandbox.messages, below): line lengths, line ends and the headers SPEC
# section 6 asks for. Its envelope sender names it (pagt or pagt+b-ID).
WIDTH = 78
TRACE_HEADERS = ("return-path", "delivered-to", "received", "x-original-to")
_hygiene_seen = set()
HYGIENE_COUNT = [0]     # outgoing mails checked, for run.py to report


def is_outgoing(raw):
    """Whether pactd sent this mail: the pact's address, or its bounce
    address pagt+b-ID, is the envelope sender, which delivery records as
    Return-Path."""
    end = raw.find(b"\r\n\r\n")
    head = raw[:end if end >= 0 else 65536]
    return re.search(rb"(?im)^Return-Path:[ \t]*<pagt(\+b-[^>@]*)?@example\.test>", head) is not None


def _unbreakable(line):
    """A line too long only because of one token (a URL, a long name),
    which pactd leaves whole rather than break."""
    body = re.sub(r"^[ \t]*(?:[-*>][ \t]*)?", "", line)
    return not re.search(r"\s", body.strip())


def hygiene_problems(raw):
    """What is wrong with one outgoing mail, as a list of strings: CRLF
    only; header lines of at most 78 octets (folded); exactly one To
    address; Message-ID, Date, Auto-Submitted present; text/plain lines
    of at most 78 characters once decoded, but for one unbreakable token."""
    out = []
    if re.search(rb"(?<!\r)\n", raw) or re.search(rb"\r(?!\n)", raw):
        out.append("a line end other than CRLF")
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii", "replace")
    name = None
    for ln in head.split("\r\n"):
        if ln[:1] not in (" ", "\t"):
            name = ln.split(":", 1)[0].strip().lower()
        if name in TRACE_HEADERS:
            continue
        if len(ln) > WIDTH:
            out.append("header line of %d octets: %r" % (len(ln), ln[:100]))
    msg = parse(raw)
    for h in ("Message-ID", "Date", "Auto-Submitted", "To", "From", "Subject"):
        if len(msg.get_all(h) or []) != 1:
            out.append("%s: %d fields" % (h, len(msg.get_all(h) or [])))
    tos = email.utils.getaddresses([str(v) for v in msg.get_all("To") or []])
    if len([a for _, a in tos if a]) != 1:
        out.append("To: %d addresses %r" % (len(tos), tos))
    for part in msg.walk():
        if part.get_content_type() != "text/plain" or part.get_content_disposition() == "attachment":
            continue
        for ln in part.get_content().splitlines():
            if len(ln) > WIDTH and not _unbreakable(ln):
                out.append("body line of %d characters: %r" % (len(ln), ln))
    return out


def check_hygiene(raw):
    """Raise AssertionError when an outgoing mail breaks the rules above;
    each mail is checked once, however often it is read."""
    if not is_outgoing(raw):
        return
    key = hash(raw)
    if key in _hygiene_seen:
        return
    HYGIENE_COUNT[0] += 1
    problems = hygiene_problems(raw)
    if problems:
        msg = parse(raw)
        raise AssertionError("outgoing mail %s (%s) to %s:\n  %s" % (
            msg.get("Message-ID"), msg.get("Subject"), msg.get("To"), "\n  ".join(problems)))
    _hygiene_seen.add(key)


def _checked_messages(self, user, folder="INBOX"):
    raws = _sandbox_messages(self, user, folder)
    for raw in raws:
        check_hygiene(raw)
    return raws


_sandbox_messages = sandbox_mod.Sandbox.messages
sandbox_mod.Sandbox.messages = _checked_messages


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
        keep_san_report(p.stderr, "pactctl")
        if check and p.returncode != 0:
            raise AssertionError("pactctl %s: %d %s" % (" ".join(args), p.returncode, p.stderr))
        return json.loads(p.stdout) if json_out and p.stdout.strip() else p

    def logtext(self):
        with open(self.logfile) as f:
            return f.read()

    def cleanup(self):
        self.stop()
        if os.path.exists(self.logfile):
            with open(self.logfile, errors="replace") as f:
                keep_san_report(f.read(), "pactd")
        shutil.rmtree(self.dir, ignore_errors=True)


def make_pact(overrides=None):
    """A Pact whose pactd.conf has these {(section, key): value} settings,
    replacing the defaults written above or added to them (a key given
    twice would be an error: Pact(**kw) takes string keys only)."""
    pact = Pact()
    sections, cur = {}, None
    with open(pact.conf) as f:
        for line in f:
            line = line.strip()
            m = re.match(r"\[(.*)\]$", line)
            if m:
                cur = m.group(1)
                sections.setdefault(cur, {})
            elif "=" in line:
                k, v = line.split("=", 1)
                sections[cur][k.strip()] = v.strip()
    for (sec, key), val in (overrides or {}).items():
        sections.setdefault(sec, {})[key] = val
    with open(pact.conf, "w") as f:
        for sec, kv in sections.items():
            f.write("[%s]\n%s\n" % (sec, "".join("%s = %s\n" % i for i in kv.items())))
    return pact


def cvr(seed):
    """A valid CVR number: seven digits from the seed and the check digit
    that makes the weighted sum (2,7,6,5,4,3,2,1) divisible by 11."""
    n = 2000000 + (seed * 104729) % 7000000
    while True:
        d = [int(c) for c in str(n)]
        check = (-sum(w * x for w, x in zip((2, 7, 6, 5, 4, 3, 2), d))) % 11
        if check < 10:
            return "%d%d" % (n, check)
        n += 1


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

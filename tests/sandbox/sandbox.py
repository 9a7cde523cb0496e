#!/usr/bin/python3
"""A private mail system on loopback for pactd's tests and demos.

Dovecot (IMAP + LMTP) and OpenSMTPD (SMTP, delivering to Dovecot over LMTP),
both configured and run from a directory of their own.  Standard library only;
needs root (OpenSMTPD and Dovecot's mail_uid switch both require it).

    from sandbox import Sandbox
    sb = Sandbox("/tmp/some-dir")          # ports from $PACTD_TEST_*_PORT or defaults
    sb.start()
    sb.send(raw_bytes, "anne@di.example.test", ["pagt@example.test"])
    msgs = sb.wait_messages("pagt@example.test", 1)
    sb.stop()

Every user name works with the password "secret"; a user is a full address,
its mailbox lives at ROOT/mail/DOMAIN/LOCALPART/Maildir.  Mail to any address
at example.test or any subdomain of it is accepted by SMTP and delivered;
`local+detail@domain` is delivered to `local@domain`'s INBOX.

Command line (for demos and trying pactd by hand):

    sandbox.py start DIR [--keep] [--imap-port N] [--lmtp-port N] [--smtp-port N]
                         [--imap-profile full|no-move|no-move-uidplus-idle]
    sandbox.py stop DIR
    sandbox.py status DIR
    sandbox.py send DIR FILE [--from X] [--to Y ...]   (default: Return-Path/From, To+Cc)
    sandbox.py append DIR FILE [--user U] [--folder F]  (IMAP APPEND, default pagt@example.test INBOX)
    sandbox.py list DIR USER [FOLDER]
    sandbox.py folders DIR USER
    sandbox.py selftest [DIR]

OpenSMTPD can run only once per machine (its control socket and spool are
compiled in).  Where mount namespaces are available (root in an ordinary
container or host) each sandbox's smtpd runs in a private mount namespace
with its own /var/spool and /run, so sandboxes never disturb each other.
Otherwise (or with PACTD_SANDBOX_SMTPD_NS=0) the machine-wide instance is used:
a smtpd left behind by an earlier sandbox is stopped, and queued mail for
example.test left by it is removed before starting.
"""

import argparse
import atexit
import email
import email.header
import email.policy
import email.utils
import hashlib
import imaplib
import json
import os
import re
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
import weakref

PASSWORD = "secret"
MAIL_UID = 65534
MAIL_GID = 65534
HOST = "127.0.0.1"
DEFAULT_PORTS = {"imap": 24143, "lmtp": 24024, "smtp": 24025}
MARKER = "# pactd test sandbox"
DOMAIN = "example.test"

GLOBAL_SPOOL = "/var/spool/smtpd"

# What Dovecot advertises after login, by profile (its imap_capability):
# this changes what is advertised, not what is served, so a client that
# honours the advertisement is tested for servers lacking MOVE, UIDPLUS
# or IDLE. None: Dovecot's own list (MOVE, UIDPLUS, IDLE and more).
IMAP_BASE_CAPABILITY = ("IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE SORT THREAD=REFERENCES "
                        "MULTIAPPEND UNSELECT CHILDREN NAMESPACE LIST-EXTENDED I18NLEVEL=1 "
                        "ESEARCH SEARCHRES WITHIN CONTEXT=SEARCH LIST-STATUS BINARY SPECIAL-USE LITERAL+")
IMAP_PROFILES = {
    "full": None,
    "no-move": IMAP_BASE_CAPABILITY + " UIDPLUS IDLE",
    "no-move-uidplus-idle": IMAP_BASE_CAPABILITY,
}

__all__ = ["Sandbox", "SandboxError", "PASSWORD", "selftest", "main"]


class SandboxError(RuntimeError):
    pass


# ----------------------------------------------------------------- helpers

def _env_port(kind):
    v = os.environ.get("PACTD_TEST_%s_PORT" % kind.upper())
    if v:
        return int(v)
    return DEFAULT_PORTS[kind]


def _free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind((HOST, 0))
        return s.getsockname()[1]
    finally:
        s.close()


def _port_open(port, host=HOST):
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _pid_alive(pid):
    """True when pid exists and is not a zombie."""
    if not pid:
        return False
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            stat = f.read()
    except OSError:
        return False
    # state is the field after the parenthesised command name
    try:
        state = stat[stat.rindex(b")") + 2:][:1]
    except ValueError:
        return True
    return state not in (b"Z", b"X")


def _cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return [a.decode("utf-8", "replace") for a in f.read().split(b"\0") if a]
    except OSError:
        return []


def _comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return ""


def _same_mount_ns(pid):
    try:
        return os.readlink("/proc/%d/ns/mnt" % pid) == os.readlink("/proc/self/ns/mnt")
    except OSError:
        return True


def _all_pids():
    for name in os.listdir("/proc"):
        if name.isdigit():
            yield int(name)


def _read_greeting(port, expect, timeout):
    """Connect and read one line; True when it starts with `expect`."""
    try:
        with socket.create_connection((HOST, port), timeout=timeout) as s:
            s.settimeout(timeout)
            data = b""
            while b"\n" not in data:
                chunk = s.recv(512)
                if not chunk:
                    break
                data += chunk
            return data.startswith(expect)
    except OSError:
        return False


def _imap_quote(name):
    if isinstance(name, bytes):
        name = name.decode("ascii")
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _mutf7_encode(s):
    """RFC 3501 modified UTF-7 for mailbox names."""
    out, buf = [], []

    def flush():
        if buf:
            b = "".join(buf).encode("utf-16-be")
            import base64
            enc = base64.b64encode(b).decode("ascii").rstrip("=").replace("/", ",")
            out.append("&" + enc + "-")
            buf.clear()

    for ch in s:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            buf.append(ch)
    flush()
    return "".join(out)


def _mutf7_decode(s):
    import base64

    def dec(m):
        body = m.group(1)
        if body == "":
            return "&"
        b64 = body.replace(",", "/")
        b64 += "=" * (-len(b64) % 4)
        return base64.b64decode(b64).decode("utf-16-be")

    return re.sub(r"&([A-Za-z0-9+,]*)-", dec, s)


def _decode_header(value):
    if value is None:
        return ""
    try:
        return str(email.header.make_header(email.header.decode_header(value)))
    except Exception:
        return value


def _kill_and_wait(pid, proc=None, timeout=10.0, sig=signal.SIGTERM):
    """Send sig to pid, wait until it exits (SIGKILL after timeout)."""
    if proc is not None and proc.poll() is not None:
        return
    if not _pid_alive(pid):
        if proc is not None:
            proc.wait()
        return
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass
    deadline = time.monotonic() + timeout
    killed = False
    while True:
        if proc is not None:
            try:
                proc.wait(timeout=0.05)
                return
            except subprocess.TimeoutExpired:
                pass
        else:
            if not _pid_alive(pid):
                return
            time.sleep(0.05)
        if time.monotonic() > deadline:
            if killed:
                raise SandboxError("process %d does not exit" % pid)
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            killed = True
            deadline = time.monotonic() + 5.0


_ns_propagation = None


def _ns_probe(propagation):
    """Whether a bind mount made in a new mount namespace with this
    propagation works there and stays out of ours."""
    src = tempfile.mkdtemp(prefix="pactd-nscheck-")
    dst = tempfile.mkdtemp(prefix="pactd-nscheck-")
    try:
        open(os.path.join(src, "probe"), "w").close()
        r = subprocess.run(
            ["unshare", "--mount", "--propagation", propagation, "sh", "-c",
             'mount --bind "$1" "$2" && test -e "$2/probe"', "sh", src, dst],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, timeout=10)
        leaked = os.path.exists(os.path.join(dst, "probe"))
        if leaked:
            subprocess.run(["umount", dst], stderr=subprocess.DEVNULL)
        return r.returncode == 0 and not leaked
    except Exception:
        return False
    finally:
        shutil.rmtree(src, ignore_errors=True)
        shutil.rmtree(dst, ignore_errors=True)


def _smtpd_propagation():
    """How to give each sandbox's smtpd a private mount namespace: "private"
    (the usual case), "unchanged" where / is no mount point (a chroot) but
    mounts do not propagate back anyway, or None when neither works."""
    global _ns_propagation
    if _ns_propagation is None:
        _ns_propagation = ""
        if os.geteuid() == 0 and shutil.which("unshare") and shutil.which("nsenter"):
            for prop in ("private", "unchanged"):
                if _ns_probe(prop):
                    _ns_propagation = prop
                    break
    return _ns_propagation or None


def _namespaces_work():
    """Can we run smtpd in a private mount namespace with bind mounts?"""
    env = os.environ.get("PACTD_SANDBOX_SMTPD_NS")
    if env is not None and env.strip() != "":
        return env.strip() not in ("0", "no", "false")
    return _smtpd_propagation() is not None


# Sandboxes to stop at exit or on SIGTERM.
_live = weakref.WeakSet()
_handlers_installed = False
_prev_sigterm = None


def _stop_all():
    for sb in list(_live):
        try:
            sb.stop()
        except Exception as e:  # pragma: no cover - best effort at exit
            sys.stderr.write("sandbox: stop failed: %s\n" % e)


def _on_sigterm(signum, frame):
    _stop_all()
    prev = _prev_sigterm
    if callable(prev):
        prev(signum, frame)
        return
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTERM)


def _install_handlers():
    global _handlers_installed, _prev_sigterm
    if _handlers_installed:
        return
    _handlers_installed = True
    atexit.register(_stop_all)
    if threading.current_thread() is threading.main_thread():
        try:
            prev = signal.getsignal(signal.SIGTERM)
            if prev is not signal.SIG_IGN:
                _prev_sigterm = prev if callable(prev) else None
                signal.signal(signal.SIGTERM, _on_sigterm)
        except (ValueError, OSError):
            pass


# ----------------------------------------------------------------- sandbox

class Sandbox:
    """Private Dovecot + OpenSMTPD under root_dir.

    Ports: None takes $PACTD_TEST_{IMAP,LMTP,SMTP}_PORT or 24143/24024/24025;
    0 picks a free port.  autostop=True stops the servers at interpreter exit
    and on SIGTERM.
    """

    def __init__(self, root_dir, imap_port=None, lmtp_port=None, smtp_port=None,
                 autostop=True, separator="/", smtpd_namespace=None, tls=False,
                 imap_profile="full", oauth2_introspection_url=None,
                 oauth2_mechanisms="oauthbearer xoauth2"):
        self.root = os.path.abspath(root_dir)
        # imap_profile: which capabilities Dovecot advertises (IMAP_PROFILES).
        if imap_profile not in IMAP_PROFILES:
            raise SandboxError("unknown IMAP profile %r (one of %s)" % (
                imap_profile, ", ".join(sorted(IMAP_PROFILES))))
        self.imap_profile = imap_profile
        # oauth2_introspection_url: IMAP and Dovecot's submission service
        # (plain or STARTTLS, relaying to OpenSMTPD) also take bearer tokens
        # by these SASL mechanisms, checked by RFC 7662 introspection.
        self.oauth2_url = oauth2_introspection_url
        self.oauth2_mechanisms = oauth2_mechanisms
        # tls=True: a CA made at start, IMAP STARTTLS + imaps and SMTP
        # STARTTLS (submission) + smtps listeners on free ports.
        self.tls = tls
        self.imaps_port = self.smtps_port = self.submission_port = 0
        self.imap_port = _env_port("imap") if imap_port is None else imap_port
        self.lmtp_port = _env_port("lmtp") if lmtp_port is None else lmtp_port
        self.smtp_port = _env_port("smtp") if smtp_port is None else smtp_port
        self.host = HOST
        self.password = PASSWORD
        self.domain = DOMAIN
        self.separator = separator
        self.autostop = autostop
        self._ns_pref = smtpd_namespace
        self.smtpd_ns = None
        self.dovecot_pid = None
        self.smtpd_pid = None
        self._dovecot_proc = None
        self._smtpd_proc = None
        self.started = False

    # -- paths
    def path(self, *parts):
        return os.path.join(self.root, *parts)

    @property
    def dovecot_conf(self):
        return self.path("dovecot.conf")

    @property
    def smtpd_conf(self):
        return self.path("smtpd.conf")

    @property
    def mail_dir(self):
        return self.path("mail")

    @property
    def imap_url(self):
        return "imap://%s:%d" % (self.host, self.imap_port)

    @property
    def smtp_url(self):
        return "smtp://%s:%d" % (self.host, self.smtp_port)

    def maildir(self, user):
        local, _, domain = user.partition("@")
        return self.path("mail", domain.lower(), local.lower(), "Maildir")

    def _base_dir(self):
        # Unix socket paths are limited to 107 bytes: keep Dovecot's short.
        d = self.path("run")
        if len(d) + 40 > 100:
            h = hashlib.sha1(self.root.encode()).hexdigest()[:12]
            d = os.path.join("/run" if os.path.isdir("/run") else "/tmp",
                             "pactd-sandbox-" + h)
        return d

    def _instance_name(self):
        return "pactd-sb-" + hashlib.sha1(self.root.encode()).hexdigest()[:10]

    # -- lifecycle
    def start(self, fresh=True):
        """Write configs, start Dovecot and OpenSMTPD, wait until both serve.

        fresh=True empties the mail store (and this sandbox's smtpd spool) of
        an earlier run in the same directory."""
        if os.geteuid() != 0:
            raise SandboxError("the mail sandbox needs root (OpenSMTPD, Dovecot mail_uid)")
        for bad in (" ", "\t", "\n", '"', "%", "'"):
            if bad in self.root:
                raise SandboxError("sandbox directory must not contain %r: %s" % (bad, self.root))
        os.makedirs(self.root, exist_ok=True)
        self._stop_leftovers()
        self._check_traversable()
        self.smtpd_ns = _namespaces_work() if self._ns_pref is None else bool(self._ns_pref)
        if not self.smtpd_ns:
            self._stop_sandbox_smtpds()
        for kind in ("imap", "lmtp", "smtp"):
            if getattr(self, kind + "_port") == 0:
                setattr(self, kind + "_port", _free_port())
        if self.tls:
            self.imaps_port, self.smtps_port, self.submission_port = (
                _free_port(), _free_port(), _free_port())
            self._make_certificates()
        elif self.oauth2_url:
            self.submission_port = _free_port()
        ports = [self.imap_port, self.lmtp_port, self.smtp_port]
        if len(set(ports)) != 3:
            raise SandboxError("ports must differ: %r" % ports)
        for p in ports:
            if _port_open(p):
                raise SandboxError("port %d on %s is already in use (another sandbox? "
                                   "set PACTD_TEST_*_PORT or pass 0)" % (p, HOST))
        if fresh:
            shutil.rmtree(self.mail_dir, ignore_errors=True)
            shutil.rmtree(self.path("smtpd-ns"), ignore_errors=True)
            shutil.rmtree(self.path("dovecot-state"), ignore_errors=True)
            for log in ("dovecot.log", "smtpd.log"):
                try:
                    os.unlink(self.path(log))
                except FileNotFoundError:
                    pass
        if self.autostop:
            _live.add(self)
            _install_handlers()
        try:
            self._write_dovecot_conf()
            self._start_dovecot()
            self._write_smtpd_conf()
            self._prepare_smtpd()
            self._start_smtpd()
        except BaseException:
            self.stop()
            raise
        self.started = True
        self._write_state()
        return self

    def stop(self):
        """Stop both servers (by PID) and wait for them to exit."""
        self._stop_smtpd()
        self._stop_dovecot()
        self.started = False
        self._write_state()
        _live.discard(self)

    def __enter__(self):
        if not self.started:
            self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def pause_smtp(self):
        """Stop OpenSMTPD (SMTP connections are refused until resume_smtp)."""
        self._stop_smtpd()
        self._write_state()

    def resume_smtp(self):
        """Start OpenSMTPD again, keeping its queue."""
        if not (self.smtpd_pid and _pid_alive(self.smtpd_pid)):
            self._start_smtpd()
            self._write_state()

    def stop_imap(self):
        """Stop Dovecot (IMAP and LMTP down)."""
        self._stop_dovecot()
        self._write_state()

    def start_imap(self):
        if not (self.dovecot_pid and _pid_alive(self.dovecot_pid)):
            self._start_dovecot()
            self._write_state()

    def set_oauth2(self, introspection_url, mechanisms="oauthbearer xoauth2"):
        """Take bearer tokens too (None: passwords only), restarting
        Dovecot when it runs; passwords keep working either way."""
        self.oauth2_url = introspection_url
        self.oauth2_mechanisms = mechanisms
        if introspection_url and not self.submission_port:
            self.submission_port = _free_port()
        self._write_dovecot_conf()
        if self.started:
            self.restart_imap()

    def restart_imap(self):
        """Stop and start Dovecot; mail is kept; IMAP sessions are cut."""
        self.stop_imap()
        self.start_imap()

    def set_imap_profile(self, profile):
        """Advertise another IMAP_PROFILES entry from now on: Dovecot is
        restarted when it runs (mail is kept, sessions are cut)."""
        if profile not in IMAP_PROFILES:
            raise SandboxError("unknown IMAP profile %r (one of %s)" % (
                profile, ", ".join(sorted(IMAP_PROFILES))))
        self.imap_profile = profile
        if self.started:
            self._write_dovecot_conf()
            self.restart_imap()

    def _dovecot_capability(self):
        caps = IMAP_PROFILES[self.imap_profile]
        return "" if caps is None else "imap_capability = %s\n" % caps

    # -- state file (for the CLI)
    def state(self):
        return {
            "root": self.root,
            "host": self.host,
            "imap_port": self.imap_port,
            "lmtp_port": self.lmtp_port,
            "smtp_port": self.smtp_port,
            "imap_url": self.imap_url,
            "smtp_url": self.smtp_url,
            "imap_profile": self.imap_profile,
            "password": self.password,
            "dovecot_pid": self.dovecot_pid if _pid_alive(self.dovecot_pid or 0) else None,
            "smtpd_pid": self.smtpd_pid if _pid_alive(self.smtpd_pid or 0) else None,
            "smtpd_namespace": self.smtpd_ns,
            "dovecot_conf": self.dovecot_conf,
            "smtpd_conf": self.smtpd_conf,
            "base_dir": self._base_dir(),
            "mail_dir": self.mail_dir,
        }

    def _write_state(self):
        try:
            tmp = self.path("sandbox.json.tmp")
            with open(tmp, "w") as f:
                json.dump(self.state(), f, indent=2)
                f.write("\n")
            os.replace(tmp, self.path("sandbox.json"))
        except OSError:
            pass

    @classmethod
    def attach(cls, root_dir, autostop=False):
        """A Sandbox object for servers started earlier (by the CLI)."""
        root = os.path.abspath(root_dir)
        with open(os.path.join(root, "sandbox.json")) as f:
            st = json.load(f)
        sb = cls(root, st["imap_port"], st["lmtp_port"], st["smtp_port"], autostop=autostop,
                 imap_profile=st.get("imap_profile", "full"))
        sb.smtpd_ns = st.get("smtpd_namespace")
        sb._ns_pref = sb.smtpd_ns
        sb.dovecot_pid = st.get("dovecot_pid")
        sb.smtpd_pid = st.get("smtpd_pid")
        sb.started = bool(sb.dovecot_pid or sb.smtpd_pid)
        if autostop and sb.started:
            _live.add(sb)
            _install_handlers()
        return sb

    # -- internals: leftovers and permissions
    def _ours(self, pid, conf):
        args = _cmdline(pid)
        return _pid_alive(pid) and conf in args

    def _stop_leftovers(self):
        """Stop servers an earlier run in this directory left running."""
        st = {}
        try:
            with open(self.path("sandbox.json")) as f:
                st = json.load(f)
        except (OSError, ValueError):
            pass
        for key, conf in (("smtpd_pid", self.smtpd_conf), ("dovecot_pid", self.dovecot_conf)):
            pid = st.get(key)
            if pid and self._ours(pid, conf):
                _kill_and_wait(pid)
        for pidfile, conf in (("smtpd.pid", self.smtpd_conf), ("dovecot.pid", self.dovecot_conf)):
            try:
                with open(self.path(pidfile)) as f:
                    pid = int(f.read().strip() or 0)
            except (OSError, ValueError):
                continue
            if pid and self._ours(pid, conf):
                _kill_and_wait(pid)

    def _check_traversable(self):
        os.chmod(self.root, os.stat(self.root).st_mode | 0o711)
        d = os.path.dirname(self.root)
        while True:
            st = os.stat(d)
            if d == "/" and not st.st_mode & 0o001 and os.geteuid() == 0:
                # Only a chroot made by mktemp has a root of mode 700.
                print("sandbox: / is mode %o; adding o+x so that Dovecot's mail "
                      "processes reach the sandbox" % (st.st_mode & 0o7777), file=sys.stderr)
                os.chmod("/", st.st_mode | 0o001)
                st = os.stat(d)
            if not st.st_mode & 0o001 and st.st_uid != MAIL_UID:
                raise SandboxError(
                    "%s is not searchable by uid %d (mode %o); Dovecot's mail processes "
                    "run as that user: put the sandbox under a world-searchable directory "
                    "such as /tmp" % (d, MAIL_UID, st.st_mode & 0o7777))
            parent = os.path.dirname(d)
            if parent == d:
                break
            d = parent

    # -- TLS
    @property
    def ca_file(self):
        """The CA that signed the servers' certificate."""
        return self.path("tls", "ca.pem")

    @property
    def other_ca_file(self):
        """A CA that signed nothing here: trusting it must fail."""
        return self.path("tls", "other-ca.pem")

    def _openssl(self, *args):
        r = subprocess.run(["openssl"] + list(args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if r.returncode != 0:
            raise SandboxError("openssl %s: %s" % (args[0], r.stdout.decode(errors="replace")))

    def _make_certificates(self):
        """Two CAs and a server certificate for 127.0.0.1 and localhost."""
        d = self.path("tls")
        os.makedirs(d, exist_ok=True)
        for ca in ("ca", "other-ca"):
            self._openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                          "-subj", "/CN=pactd sandbox %s" % ca, "-keyout", os.path.join(d, ca + ".key"),
                          "-out", os.path.join(d, ca + ".pem"))
        with open(os.path.join(d, "san.cnf"), "w") as f:
            f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                    "extendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n")
        self._openssl("req", "-new", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
                      "-keyout", os.path.join(d, "server.key"), "-out", os.path.join(d, "server.csr"))
        self._openssl("x509", "-req", "-in", os.path.join(d, "server.csr"), "-CA", self.ca_file,
                      "-CAkey", os.path.join(d, "ca.key"), "-CAcreateserial", "-days", "2",
                      "-extfile", os.path.join(d, "san.cnf"), "-out", os.path.join(d, "server.pem"))
        for f in os.listdir(d):
            os.chmod(os.path.join(d, f), 0o600 if f.endswith(".key") else 0o644)

    def _dovecot_tls(self):
        if not self.tls:
            return "ssl = no\n", "0"
        return ("ssl = yes\nssl_cert = <%s\nssl_key = <%s\n" % (
            self.path("tls", "server.pem"), self.path("tls", "server.key")), str(self.imaps_port))

    def _smtpd_tls(self):
        # OpenSMTPD 6.8 on Debian 12 cannot do TLS with OpenSSL 3 (its
        # privilege-separated signing fails: OpenSMTPD issues #1171, #1239),
        # so SMTP over TLS is Dovecot's submission server, relaying to it.
        return ""

    @property
    def submission_url(self):
        """Dovecot's submission service (tls or oauth2 sandboxes)."""
        return "smtp://%s:%d" % (self.host, self.submission_port)

    def _dovecot_oauth2(self):
        """Mechanisms, passdbs and anvil settings for bearer tokens."""
        if not self.oauth2_url:
            return "", "", ""
        args = self.path("dovecot-oauth2.conf.ext")
        with open(args, "w") as f:
            f.write("introspection_mode = post\nintrospection_url = %s\n"
                    "username_attribute = username\nactive_attribute = active\n"
                    "active_value = true\n" % self.oauth2_url)
        os.chmod(args, 0o644)
        passdb = """passdb {{
  driver = oauth2
  mechanisms = {mechs}
  args = {args}
}}
""".format(mechs=self.oauth2_mechanisms, args=args)
        # Refused tokens must not slow the next logins of a test down.
        anvil = """service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
"""
        return " " + self.oauth2_mechanisms, passdb, anvil

    def _dovecot_submission(self):
        """Dovecot's submission service: STARTTLS and implicit TLS, relaying
        to OpenSMTPD's plain port; plain only in an oauth2 sandbox without
        TLS."""
        if not self.tls and self.oauth2_url:
            return (" submission", """
submission_relay_host = {h}
submission_relay_port = {smtp}
submission_relay_trusted = yes
service submission-login {{
  inet_listener submission {{
    address = {h}
    port = {sub}
  }}
}}
""".format(h=HOST, smtp=self.smtp_port, sub=self.submission_port))
        if not self.tls:
            return "", ""
        return (" submission", """
submission_relay_host = {h}
submission_relay_port = {smtp}
submission_relay_trusted = yes
service submission-login {{
  inet_listener submission {{
    address = {h}
    port = {sub}
  }}
  inet_listener submissions {{
    address = {h}
    port = {smtps}
    ssl = yes
  }}
}}
""".format(h=HOST, smtp=self.smtp_port, sub=self.submission_port, smtps=self.smtps_port))

    # -- Dovecot
    def _write_dovecot_conf(self):
        base = self._base_dir()
        os.makedirs(base, exist_ok=True)
        os.makedirs(self.path("dovecot-state"), exist_ok=True)
        os.makedirs(self.mail_dir, exist_ok=True)
        os.chown(self.mail_dir, MAIL_UID, MAIL_GID)
        os.chmod(self.mail_dir, 0o700)
        conf = """{marker}
# Generated by tests/sandbox/sandbox.py; rewritten on every start.
base_dir = {base}
state_dir = {root}/dovecot-state
instance_name = {instance}
log_path = {root}/dovecot.log
protocols = imap lmtp{submission}
listen = {host}
{ssl}disable_plaintext_auth = no
auth_mechanisms = plain login{oauth2_mechs}
auth_failure_delay = 0
auth_cache_size = 0
mail_uid = {uid}
mail_gid = {gid}
first_valid_uid = 1
mail_location = maildir:~/Maildir
mail_fsync = never
mail_max_userip_connections = 200
recipient_delimiter = +
lmtp_save_to_detail_mailbox = no
lda_mailbox_autocreate = yes
lda_mailbox_autosubscribe = yes
postmaster_address = postmaster@{domain}
hostname = mail.{domain}

namespace inbox {{
  inbox = yes
  separator = {sep}
}}

# Any user name, password "secret"; every address has a mailbox.
{oauth2_passdb}passdb {{
  driver = static
  args = password={password}{static_mechs}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%d/%n allow_all_users=yes
}}

service imap-login {{
  inet_listener imap {{
    address = {host}
    port = {imap}
  }}
  inet_listener imaps {{
    address = {host}
    port = {imaps}
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = {host}
    port = {lmtp}
  }}
}}
service imap {{
  process_limit = 512
}}
protocol imap {{
  mail_max_userip_connections = 200
  {capability}}}
{submission_conf}{oauth2_anvil}""".format(marker=MARKER, base=base, root=self.root, instance=self._instance_name(),
           host=HOST, uid=MAIL_UID, gid=MAIL_GID, domain=DOMAIN, sep=self.separator,
           password=PASSWORD, imap=self.imap_port, lmtp=self.lmtp_port,
           ssl=self._dovecot_tls()[0], imaps=self._dovecot_tls()[1],
           submission=self._dovecot_submission()[0], submission_conf=self._dovecot_submission()[1],
           capability=self._dovecot_capability(),
           oauth2_mechs=self._dovecot_oauth2()[0], oauth2_passdb=self._dovecot_oauth2()[1],
           oauth2_anvil=self._dovecot_oauth2()[2],
           static_mechs="\n  mechanisms = plain login" if self.oauth2_url else "")
        with open(self.dovecot_conf, "w") as f:
            f.write(conf)

    def _start_dovecot(self):
        log = open(self.path("dovecot.stderr"), "ab")
        try:
            self._dovecot_proc = subprocess.Popen(
                ["dovecot", "-c", self.dovecot_conf, "-F"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                start_new_session=True, close_fds=True)
        finally:
            log.close()
        self.dovecot_pid = self._dovecot_proc.pid
        with open(self.path("dovecot.pid"), "w") as f:
            f.write("%d\n" % self.dovecot_pid)
        deadline = time.monotonic() + 20
        while True:
            if self._dovecot_proc.poll() is not None:
                raise SandboxError("dovecot exited (%s); see %s and %s" % (
                    self._dovecot_proc.returncode, self.path("dovecot.stderr"),
                    self.path("dovecot.log")))
            if self._imap_ready() and _read_greeting(self.lmtp_port, b"220", 1.0):
                return
            if time.monotonic() > deadline:
                raise SandboxError("dovecot did not become ready; see %s" % self.path("dovecot.log"))
            time.sleep(0.05)

    def _imap_ready(self):
        try:
            c = imaplib.IMAP4(HOST, self.imap_port, timeout=2)
        except (OSError, imaplib.IMAP4.error):
            return False
        try:
            c.login("pagt@" + DOMAIN, PASSWORD)
            c.logout()
            return True
        except (OSError, imaplib.IMAP4.error):
            try:
                c.shutdown()
            except OSError:
                pass
            return False

    def _stop_dovecot(self):
        if self.dovecot_pid:
            if self._dovecot_proc is not None or self._ours(self.dovecot_pid, self.dovecot_conf):
                pgid = self.dovecot_pid  # started in a session of its own
                _kill_and_wait(self.dovecot_pid, self._dovecot_proc)
                # Its imap and lmtp children outlive the master and would go
                # on serving open sessions: a stopped server drops them.
                try:
                    os.killpg(pgid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        self.dovecot_pid = None
        self._dovecot_proc = None
        # children (imap, lmtp) follow the master within a moment
        deadline = time.monotonic() + 5
        while _port_open(self.imap_port) and time.monotonic() < deadline:
            time.sleep(0.05)
        try:
            os.unlink(self.path("dovecot.pid"))
        except FileNotFoundError:
            pass

    def doveadm(self, *args, input=None):
        """Run doveadm against this Dovecot; returns stdout (bytes)."""
        r = subprocess.run(["doveadm", "-c", self.dovecot_conf] + list(args),
                           input=input, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if r.returncode != 0:
            raise SandboxError("doveadm %s: %s" % (" ".join(args), r.stderr.decode(errors="replace")))
        return r.stdout

    # -- OpenSMTPD
    def _write_smtpd_conf(self):
        with open(self.path("smtpd.domains"), "w") as f:
            f.write("%s\n*.%s\n" % (DOMAIN, DOMAIN))
        with open(self.path("smtpd.vusers"), "w") as f:
            # catch-all: any local part, delivered with its original address
            f.write("@ nobody\n")
        # addresses refused at RCPT, and those whose delivery fails
        self._write_table("smtpd.refused", [])
        self._write_table("smtpd.gone", [])
        conf = """{marker}
# Generated by tests/sandbox/sandbox.py; rewritten on every start.
table domains file:{root}/smtpd.domains
table vusers file:{root}/smtpd.vusers
table refused file:{root}/smtpd.refused
table gone file:{root}/smtpd.gone

listen on {host} port {smtp}
{tls}smtp limit max-mails 1000

action "to_dovecot" lmtp "{host}:{lmtp}" rcpt-to virtual <vusers>
action "gone" mda "sh -c 'echo 550 5.1.1 mailbox unavailable >&2; exit 67'" virtual <vusers>

match from any for rcpt-to <refused> reject
match from any for rcpt-to <gone> action "gone"
match from any for domain <domains> action "to_dovecot"
""".format(marker=MARKER, root=self.root, host=HOST, smtp=self.smtp_port, lmtp=self.lmtp_port,
           tls=self._smtpd_tls())
        with open(self.smtpd_conf, "w") as f:
            f.write(conf)
        r = subprocess.run(["smtpd", "-f", self.smtpd_conf, "-n"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if r.returncode != 0:
            raise SandboxError("smtpd rejects %s: %s" % (self.smtpd_conf, r.stdout.decode(errors="replace")))

    def _prepare_smtpd(self):
        """Make sure no other smtpd stands in the way (global mode only)."""
        if self.smtpd_ns:
            os.makedirs(self.path("smtpd-ns", "spool"), exist_ok=True)
            os.makedirs(self.path("smtpd-ns", "run"), exist_ok=True)
            return
        self._stop_sandbox_smtpds()
        for pid in _all_pids():
            if _comm(pid) == "smtpd" and _pid_alive(pid) and _same_mount_ns(pid):
                raise SandboxError(
                    "another OpenSMTPD (pid %d, not from a sandbox) is running; only one "
                    "can run per machine when mount namespaces are unavailable" % pid)
        self._clean_global_queue()

    def _stop_sandbox_smtpds(self):
        """Stop machine-wide smtpd processes started from a sandbox config."""
        for pid in _all_pids():
            if _comm(pid) != "smtpd" or not _pid_alive(pid) or not _same_mount_ns(pid):
                continue
            args = _cmdline(pid)
            if not args or not args[0].endswith("smtpd") or "-f" not in args:
                continue  # a child process, or a system smtpd
            conf = args[args.index("-f") + 1] if args.index("-f") + 1 < len(args) else ""
            try:
                with open(conf) as f:
                    first = f.readline().strip()
            except OSError:
                first = ""
            if first == MARKER:
                _kill_and_wait(pid)

    def _clean_global_queue(self):
        """Remove queued mail that an earlier sandbox left: messages whose
        envelopes all use our dispatcher and go to example.test."""
        qdir = os.path.join(GLOBAL_SPOOL, "queue")
        if not os.path.isdir(qdir):
            return
        dest = re.compile(r"^dest:\s*\S*@(?:[^@\s]+\.)?%s\s*$" % re.escape(DOMAIN), re.I)
        for bucket in os.listdir(qdir):
            bdir = os.path.join(qdir, bucket)
            if not os.path.isdir(bdir):
                continue
            for msgid in os.listdir(bdir):
                mdir = os.path.join(bdir, msgid)
                try:
                    envs = [e for e in os.listdir(mdir) if re.fullmatch(r"[0-9a-f]{16}", e)]
                except OSError:
                    continue
                ours = True
                for e in envs:
                    try:
                        with open(os.path.join(mdir, e), errors="replace") as f:
                            lines = f.read().splitlines()
                    except OSError:
                        ours = False
                        break
                    dests = [l for l in lines if l.startswith("dest:")]
                    if ("dispatcher: to_dovecot" not in lines or not dests
                            or not all(dest.match(l) for l in dests)):
                        ours = False
                        break
                if ours:
                    shutil.rmtree(mdir, ignore_errors=True)

    def _start_smtpd(self):
        log = open(self.path("smtpd.log"), "ab")
        try:
            if self.smtpd_ns:
                cmd = ["unshare", "--mount", "--propagation",
                       _smtpd_propagation() or "private", "sh", "-c",
                       'mount --bind "$1" /var/spool && mount --bind "$2" /run && '
                       'exec smtpd -f "$3" -d',
                       "sh", self.path("smtpd-ns", "spool"), self.path("smtpd-ns", "run"),
                       self.smtpd_conf]
            else:
                cmd = ["smtpd", "-f", self.smtpd_conf, "-d"]
            self._smtpd_proc = subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                start_new_session=True, close_fds=True)
        finally:
            log.close()
        self.smtpd_pid = self._smtpd_proc.pid  # unshare and sh exec: same pid
        with open(self.path("smtpd.pid"), "w") as f:
            f.write("%d\n" % self.smtpd_pid)
        deadline = time.monotonic() + 20
        while True:
            if self._smtpd_proc.poll() is not None:
                raise SandboxError("smtpd exited (%s); see %s" % (
                    self._smtpd_proc.returncode, self.path("smtpd.log")))
            if _read_greeting(self.smtp_port, b"220", 1.0):
                return
            if time.monotonic() > deadline:
                raise SandboxError("smtpd did not answer 220; see %s" % self.path("smtpd.log"))
            time.sleep(0.05)

    def _stop_smtpd(self):
        if self.smtpd_pid:
            if self._smtpd_proc is not None or self._ours(self.smtpd_pid, self.smtpd_conf):
                _kill_and_wait(self.smtpd_pid, self._smtpd_proc)
        self.smtpd_pid = None
        self._smtpd_proc = None
        deadline = time.monotonic() + 5
        while _port_open(self.smtp_port) and time.monotonic() < deadline:
            time.sleep(0.05)
        try:
            os.unlink(self.path("smtpd.pid"))
        except FileNotFoundError:
            pass

    def smtpctl(self, *args):
        """Run smtpctl against this sandbox's smtpd; returns stdout (str)."""
        if not self.smtpd_pid:
            raise SandboxError("smtpd is not running")
        cmd = ["smtpctl"] + list(args)
        if self.smtpd_ns:
            # -r: the target's root too, which differs from the namespace's
            # own in a chroot.
            cmd = ["nsenter", "-t", str(self.smtpd_pid), "-m", "-r"] + cmd
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if r.returncode != 0:
            raise SandboxError("smtpctl %s: %s" % (" ".join(args), r.stderr.decode(errors="replace")))
        return r.stdout.decode(errors="replace")

    def refuse_delivery(self, users):
        """Make OpenSMTPD accept mail for these addresses and then fail to
        deliver it for good (a mailbox gone after acceptance): it writes
        its own failure report to the envelope sender."""
        self._write_table("smtpd.gone", users)
        self.smtpctl("update", "table", "gone")

    def _write_table(self, name, users):
        with open(self.path(name), "w") as f:
            for u in list(users) + ["%s@%s" % (name.replace(".", "-"), DOMAIN)]:
                f.write("%s\n" % u)

    def refuse_rcpt(self, users):
        """Make OpenSMTPD refuse these addresses at RCPT TO (550)."""
        self._write_table("smtpd.refused", users)
        self.smtpctl("update", "table", "refused")

    # -- mail helpers
    def send(self, raw_bytes, mail_from, rcpt_tos):
        """Submit raw_bytes over SMTP; returns smtplib's refused-recipients dict."""
        if isinstance(rcpt_tos, str):
            rcpt_tos = [rcpt_tos]
        if isinstance(raw_bytes, str):
            raw_bytes = raw_bytes.encode("utf-8")
        with smtplib.SMTP(HOST, self.smtp_port, local_hostname="sandbox.example.test",
                          timeout=30) as s:
            return s.sendmail(mail_from, list(rcpt_tos), raw_bytes)

    def imap(self, user):
        """A logged-in imaplib.IMAP4 connection for user (caller logs out)."""
        c = imaplib.IMAP4(HOST, self.imap_port, timeout=30)
        c.login(user, PASSWORD)
        return c

    def append(self, user, raw_bytes, folder="INBOX", flags=None, date_time=None):
        """IMAP APPEND raw_bytes to user's folder (created when missing)."""
        if isinstance(raw_bytes, str):
            raw_bytes = raw_bytes.encode("utf-8")
        c = self.imap(user)
        try:
            name = _imap_quote(_mutf7_encode(folder))
            typ, data = c.append(name, flags, date_time, raw_bytes)
            if typ != "OK":
                c.create(name)
                typ, data = c.append(name, flags, date_time, raw_bytes)
            if typ != "OK":
                raise SandboxError("APPEND to %s failed: %r" % (folder, data))
            return data
        finally:
            c.logout()

    def create_folder(self, user, folder):
        c = self.imap(user)
        try:
            typ, data = c.create(_imap_quote(_mutf7_encode(folder)))
            if typ != "OK" and b"ALREADYEXISTS" not in b" ".join(d for d in data if d):
                raise SandboxError("CREATE %s failed: %r" % (folder, data))
        finally:
            c.logout()

    def folders(self, user, selectable_only=True):
        """Names of user's folders (decoded), INBOX included; \\Noselect
        parents (such as "pactd" above "pactd/Processed") only when
        selectable_only is False."""
        c = self.imap(user)
        try:
            typ, data = c.list('""', '"*"')
        finally:
            c.logout()
        names = []
        rx = re.compile(rb'^\((?P<flags>[^)]*)\) (?P<sep>"[^"]*"|NIL) (?P<name>.*)$')
        i = 0
        while i < len(data):
            item = data[i]
            i += 1
            if item is None:
                continue
            literal = None
            if isinstance(item, tuple):  # name sent as a literal
                item, literal = item[0], item[1]
            m = rx.match(item.rstrip())
            if not m:
                continue
            flags = m.group("flags").lower()
            if selectable_only and (b"\\noselect" in flags or b"\\nonexistent" in flags):
                continue
            if literal is not None:
                names.append(_mutf7_decode(literal.decode("utf-8", "replace")))
                continue
            name = m.group("name")
            if name.startswith(b'"') and name.endswith(b'"'):
                name = name[1:-1].replace(b'\\"', b'"').replace(b"\\\\", b"\\")
            names.append(_mutf7_decode(name.decode("utf-8", "replace")))
        return names

    def _select(self, c, folder):
        typ, data = c.select(_imap_quote(_mutf7_encode(folder)), readonly=True)
        return typ == "OK"

    def messages(self, user, folder="INBOX"):
        """Raw bytes of every message in user's folder, in UID order
        ([] when the folder does not exist)."""
        c = self.imap(user)
        try:
            return self._fetch_all(c, folder)
        finally:
            try:
                c.logout()
            except (OSError, imaplib.IMAP4.error):
                pass

    def _fetch_all(self, c, folder):
        if not self._select(c, folder):
            return []
        typ, data = c.uid("SEARCH", None, "ALL")
        uids = data[0].split() if typ == "OK" and data and data[0] else []
        if not uids:
            return []
        typ, data = c.uid("FETCH", b"1:*", "(UID BODY.PEEK[])")
        out = []
        for item in data:
            if isinstance(item, tuple):
                m = re.search(rb"UID (\d+)", item[0])
                out.append((int(m.group(1)) if m else 0, item[1]))
        out.sort(key=lambda t: t[0])
        return [raw for _, raw in out]

    def count(self, user, folder="INBOX"):
        """Number of messages in user's folder (0 when it does not exist)."""
        c = self.imap(user)
        try:
            return self._count(c, folder)
        finally:
            c.logout()

    def _count(self, c, folder):
        typ, data = c.status(_imap_quote(_mutf7_encode(folder)), "(MESSAGES)")
        if typ != "OK" or not data or not data[0]:
            return 0
        m = re.search(rb"MESSAGES (\d+)", data[0])
        return int(m.group(1)) if m else 0

    def wait_messages(self, user, n, folder="INBOX", timeout=20, raise_on_timeout=True):
        """Poll every 0.1 s until user's folder holds at least n messages;
        return them (raw bytes).  On timeout raise TimeoutError, or return
        what is there when raise_on_timeout is False."""
        deadline = time.monotonic() + timeout
        c = None
        try:
            while True:
                try:
                    if c is None:
                        c = self.imap(user)
                    have = self._count(c, folder)
                    if have >= n:
                        return self._fetch_all(c, folder)
                except (OSError, imaplib.IMAP4.error, imaplib.IMAP4.abort):
                    c = None  # server restarting: reconnect
                    have = None
                if time.monotonic() >= deadline:
                    if raise_on_timeout:
                        raise TimeoutError("%s/%s holds %s message(s), wanted %d after %ss"
                                           % (user, folder, have, n, timeout))
                    try:
                        return self.messages(user, folder)
                    except (OSError, imaplib.IMAP4.error):
                        return []
                time.sleep(0.1)
        finally:
            if c is not None:
                try:
                    c.logout()
                except (OSError, imaplib.IMAP4.error, imaplib.IMAP4.abort):
                    pass

    def write_password_file(self, path):
        """Write the password (for pactd's password_file), mode 0600."""
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(PASSWORD + "\n")
        return path


# ----------------------------------------------------------------- self-test

def selftest(root_dir=None, verbose=True):
    """Start, deliver over SMTP (plain and +detail), read back over IMAP,
    create a folder, pause/resume SMTP, restart IMAP, stop; then start again
    in the same directory.  Raises on failure."""
    def say(msg):
        if verbose:
            print("selftest:", msg, flush=True)

    own = root_dir is None
    root = root_dir or tempfile.mkdtemp(prefix="pactd-sandbox-")
    try:
        sb = Sandbox(root, imap_port=0, lmtp_port=0, smtp_port=0)
        t0 = time.monotonic()
        sb.start()
        say("started in %.2fs (imap %d, lmtp %d, smtp %d, smtpd %s)" % (
            time.monotonic() - t0, sb.imap_port, sb.lmtp_port, sb.smtp_port,
            "in its own mount namespace" if sb.smtpd_ns else "machine-wide"))

        def mail(to, subject):
            return ("From: Anne Holm <anne@di.example.test>\r\nTo: %s\r\n"
                    "Subject: %s\r\nMessage-ID: <%s@sandbox.example.test>\r\n"
                    "Date: %s\r\nMIME-Version: 1.0\r\n"
                    "Content-Type: text/plain; charset=utf-8\r\n"
                    "Content-Transfer-Encoding: 8bit\r\n\r\nHej – æøå\r\n" % (
                        to, subject, os.urandom(8).hex(),
                        email.utils.formatdate(localtime=True))).encode("utf-8")

        sb.send(mail("anne@di.example.test", "one"), "pagt@example.test", ["anne@di.example.test"])
        sb.send(mail("pagt+v-abc@example.test", "two"), "anne@di.example.test",
                ["pagt+v-abc@example.test"])
        got = sb.wait_messages("anne@di.example.test", 1, timeout=20)
        assert b"Subject: one" in got[0], got
        got = sb.wait_messages("pagt@example.test", 1, timeout=20)
        assert b"Subject: two" in got[0], got
        assert b"pagt+v-abc@example.test" in got[0]
        say("SMTP -> LMTP -> IMAP delivery ok (also pagt+v-abc -> pagt INBOX)")
        try:
            sb.send(mail("x@elsewhere.example.net", "nope"), "pagt@example.test",
                    ["x@elsewhere.example.net"])
            raise AssertionError("foreign recipient accepted")
        except smtplib.SMTPRecipientsRefused:
            say("foreign domain refused")

        sb.create_folder("pagt@example.test", "pactd/Processed")
        sb.append("pagt@example.test", mail("pagt@example.test", "three"), "pactd/Processed")
        f = sb.folders("pagt@example.test")
        assert "INBOX" in f and "pactd/Processed" in f, f
        assert sb.count("pagt@example.test", "pactd/Processed") == 1
        assert sb.count("pagt@example.test", "pactd/Nothing") == 0
        say("folders %s" % f)

        sb.pause_smtp()
        try:
            sb.send(mail("pagt@example.test", "down"), "a@example.test", ["pagt@example.test"])
            raise AssertionError("SMTP still answering after pause_smtp")
        except OSError:
            pass
        sb.resume_smtp()
        sb.send(mail("pagt@example.test", "four"), "anne@di.example.test", ["pagt@example.test"])
        sb.wait_messages("pagt@example.test", 2, timeout=20)
        say("pause_smtp/resume_smtp ok")

        sb.restart_imap()
        assert sb.count("pagt@example.test") == 2
        say("restart_imap ok, mail kept")
        sb.stop()
        assert not _port_open(sb.imap_port) and not _port_open(sb.smtp_port)
        say("stopped")

        t0 = time.monotonic()
        sb.start()
        assert sb.count("pagt@example.test") == 0
        sb.send(mail("bo@di.example.test", "again"), "pagt@example.test", ["bo@di.example.test"])
        sb.wait_messages("bo@di.example.test", 1)
        sb.stop()
        say("clean restart in the same directory ok (%.2fs)" % (time.monotonic() - t0))
        say("PASS")
        return True
    finally:
        if own:
            shutil.rmtree(root, ignore_errors=True)


# ----------------------------------------------------------------- CLI

def _cli_start(a):
    sb = Sandbox(a.dir, a.imap_port, a.lmtp_port, a.smtp_port, autostop=False,
                 imap_profile=a.imap_profile)
    sb.start(fresh=not a.keep)
    st = sb.state()
    print("sandbox running in %s" % sb.root)
    print("  IMAP %s   SMTP %s   LMTP %s:%d" % (sb.imap_url, sb.smtp_url, HOST, sb.lmtp_port))
    print("  IMAP capabilities: %s" % (IMAP_PROFILES[sb.imap_profile] or "Dovecot's own"))
    print("  any user at example.test or a subdomain, password %r" % PASSWORD)
    print("  dovecot pid %s, smtpd pid %s; state in %s" % (
        st["dovecot_pid"], st["smtpd_pid"], sb.path("sandbox.json")))
    print("  stop with: %s stop %s" % (sys.argv[0], a.dir))
    return 0


def _cli_stop(a):
    try:
        sb = Sandbox.attach(a.dir)
    except FileNotFoundError:
        print("no sandbox.json in %s" % a.dir, file=sys.stderr)
        return 1
    sb.stop()
    print("sandbox in %s stopped" % sb.root)
    return 0


def _cli_status(a):
    sb = Sandbox.attach(a.dir)
    st = sb.state()
    print(json.dumps(st, indent=2))
    return 0 if st["dovecot_pid"] and st["smtpd_pid"] else 1


def _cli_send(a):
    sb = Sandbox.attach(a.dir)
    with open(a.file, "rb") as f:
        raw = f.read()
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    if a.mail_from is not None:
        sender = a.mail_from
    elif msg.get("Return-Path") is not None:  # "<>" for bounces
        sender = email.utils.parseaddr(msg["Return-Path"])[1]
    else:
        sender = email.utils.parseaddr(msg.get("From", ""))[1]
    rcpts = a.to or [addr for _, addr in email.utils.getaddresses(
        msg.get_all("To", []) + msg.get_all("Cc", [])) if addr]
    if (not sender and msg.get("Return-Path") is None and a.mail_from is None) or not rcpts:
        print("need --from and --to (not found in the file's headers)", file=sys.stderr)
        return 64
    refused = sb.send(raw, sender, rcpts)
    print("sent %s from <%s> to %s%s" % (a.file, sender, ", ".join(rcpts),
                                       (" (refused: %r)" % refused) if refused else ""))
    return 0


def _cli_append(a):
    sb = Sandbox.attach(a.dir)
    with open(a.file, "rb") as f:
        raw = f.read()
    sb.append(a.user, raw, a.folder)
    print("appended %s to %s of %s" % (a.file, a.folder, a.user))
    return 0


def _cli_list(a):
    sb = Sandbox.attach(a.dir)
    msgs = sb.messages(a.user, a.folder)
    for i, raw in enumerate(msgs, 1):
        msg = email.message_from_bytes(raw, policy=email.policy.compat32)
        print("%3d  Subject: %s" % (i, _decode_header(msg.get("Subject"))))
        print("     From: %s" % _decode_header(msg.get("From")))
    print("%d message(s) in %s of %s" % (len(msgs), a.folder, a.user))
    return 0


def _cli_folders(a):
    sb = Sandbox.attach(a.dir)
    for name in sb.folders(a.user):
        print("%5d  %s" % (sb.count(a.user, name), name))
    return 0


def _cli_selftest(a):
    return 0 if selftest(a.dir) else 1


def main(argv=None):
    p = argparse.ArgumentParser(prog="sandbox.py",
                                description="Private Dovecot + OpenSMTPD on 127.0.0.1 for pactd")
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("start", help="start servers in DIR, leave them running")
    s.add_argument("dir")
    s.add_argument("--keep", action="store_true", help="keep mail from an earlier run")
    s.add_argument("--imap-port", type=int, default=None)
    s.add_argument("--lmtp-port", type=int, default=None)
    s.add_argument("--smtp-port", type=int, default=None)
    s.add_argument("--imap-profile", choices=sorted(IMAP_PROFILES), default="full",
                   help="capabilities Dovecot advertises: all, none of MOVE, or none of "
                        "MOVE, UIDPLUS and IDLE")
    s.set_defaults(fn=_cli_start)
    s = sub.add_parser("stop", help="stop the servers started in DIR")
    s.add_argument("dir")
    s.set_defaults(fn=_cli_stop)
    s = sub.add_parser("status", help="print DIR/sandbox.json with live PIDs")
    s.add_argument("dir")
    s.set_defaults(fn=_cli_status)
    s = sub.add_parser("send", help="send a raw mail file over SMTP")
    s.add_argument("dir")
    s.add_argument("file")
    s.add_argument("--from", dest="mail_from", default=None)
    s.add_argument("--to", action="append", default=None)
    s.set_defaults(fn=_cli_send)
    s = sub.add_parser("append", help="IMAP APPEND a raw mail file (no SMTP)")
    s.add_argument("dir")
    s.add_argument("file")
    s.add_argument("--user", default="pagt@" + DOMAIN)
    s.add_argument("--folder", default="INBOX")
    s.set_defaults(fn=_cli_append)
    s = sub.add_parser("list", help="print Subject/From of a folder's messages")
    s.add_argument("dir")
    s.add_argument("user")
    s.add_argument("folder", nargs="?", default="INBOX")
    s.set_defaults(fn=_cli_list)
    s = sub.add_parser("folders", help="list a user's folders with message counts")
    s.add_argument("dir")
    s.add_argument("user")
    s.set_defaults(fn=_cli_folders)
    s = sub.add_parser("selftest", help="end-to-end check of the sandbox")
    s.add_argument("dir", nargs="?", default=None)
    s.set_defaults(fn=_cli_selftest)
    a = p.parse_args(argv)
    try:
        return a.fn(a)
    except SandboxError as e:
        print("sandbox: %s" % e, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

"""pactd as a service: sd_notify, the watchdog through IMAP outages,
SIGHUP, SIGTERM in IDLE, the units (verify, hardening, state directories),
make install, the command line and the man pages."""

import configparser
import glob
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import unittest

from pactlib import BUILD, PACT, TOP, Pact, make_mail, replies_to, sandbox


class Notify:
    """A NOTIFY_SOCKET that records what the daemon says."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="pactd-notify-")
        self.path = os.path.join(self.dir, "notify")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.2)
        self.lines = []

    def wait_for(self, text, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if any(text in m for m in self.lines):
                return True
            try:
                self.lines.append(self.sock.recv(4096).decode())
            except socket.timeout:
                pass
        return False

    def close(self):
        self.sock.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class Recorder:
    """A NOTIFY_SOCKET that keeps every datagram with the time it came."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="pactd-notify-")
        self.path = os.path.join(self.dir, "notify")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.1)
        self.msgs = []  # (monotonic time, one line)
        self.done = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.done:
            try:
                data = self.sock.recv(4096).decode()
            except socket.timeout:
                continue
            except OSError:
                return
            now = time.monotonic()
            self.msgs.extend((now, line) for line in data.split("\n") if line)

    def lines(self, prefix=""):
        return [m for _, m in list(self.msgs) if m.startswith(prefix)]

    def wait_for(self, pred, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(pred(m) for _, m in list(self.msgs)):
                return True
            time.sleep(0.05)
        return False

    def feeds(self):
        return [t for t, m in list(self.msgs) if m == "WATCHDOG=1"]

    def close(self):
        self.done = True
        self.thread.join()
        self.sock.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class Proxy:
    """A TCP relay to Dovecot that can turn into a server that accepts and
    never answers, and cut the sessions it carries without closing them:
    the outage that a closed port does not show."""

    def __init__(self, port):
        self.target = port
        self.up = False
        self.lsock = socket.socket()
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(16)
        self.port = self.lsock.getsockname()[1]
        self.held = []  # client sockets, kept open and silent
        self.upstream = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.lsock.accept()
            except OSError:
                return
            self.held.append(c)
            if not self.up:
                continue
            u = socket.create_connection(("127.0.0.1", self.target))
            self.upstream.append(u)
            threading.Thread(target=self._pump, args=(c, u), daemon=True).start()
            threading.Thread(target=self._pump, args=(u, c), daemon=True).start()

    def _pump(self, src, dst):
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                return
            if not data or not self.up:
                return
            try:
                dst.sendall(data)
            except OSError:
                return

    def set_up(self, up):
        self.up = up
        if not up:
            for u in self.upstream:
                try:
                    u.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                u.close()
            self.upstream = []

    def close(self):
        self.set_up(False)
        self.lsock.close()
        for c in self.held:
            c.close()


class Watchdog(unittest.TestCase):
    """IMAP silent at start and again later: READY=1 all the same, STATUS
    names the outage, WATCHDOG=1 at least every half WATCHDOG_USEC."""

    WATCHDOG_USEC = 8000000

    def setUp(self):
        self.sb = sandbox()
        self.proxy = Proxy(self.sb.imap_port)
        self.pact = Pact()
        with open(self.pact.conf) as f:
            conf = f.read()
        with open(self.pact.conf, "w") as f:
            f.write(conf.replace("imap://127.0.0.1:%d" % self.sb.imap_port,
                                 "imap://127.0.0.1:%d" % self.proxy.port))
        self.rec = Recorder()
        os.environ["NOTIFY_SOCKET"] = self.rec.path
        os.environ["WATCHDOG_USEC"] = str(self.WATCHDOG_USEC)

    def tearDown(self):
        os.environ.pop("NOTIFY_SOCKET", None)
        os.environ.pop("WATCHDOG_USEC", None)
        self.pact.cleanup()
        self.rec.close()
        self.proxy.close()

    def assert_fed(self, since):
        """No gap between feeds (and until now) over half the interval."""
        half = self.WATCHDOG_USEC / 2e6
        times = [t for t in self.rec.feeds() if t >= since] + [time.monotonic()]
        self.assertGreater(len(times), 2, self.rec.lines())
        gaps = [b - a for a, b in zip(times, times[1:])]
        self.assertLessEqual(max(gaps), half, "longest gap %.2f s: %s" % (max(gaps), self.pact.logtext()))

    def test_ready_and_fed_while_imap_is_down(self):
        t0 = time.monotonic()
        self.pact.start()
        self.assertTrue(self.rec.wait_for(lambda m: m == "READY=1", 10), self.rec.lines())
        self.assertTrue(self.rec.wait_for(lambda m: m.startswith("STATUS=IMAP unreachable")),
                        self.rec.lines("STATUS="))
        self.assertRegex(self.rec.lines("STATUS=IMAP unreachable")[0], r"\(retrying\)$")
        time.sleep(10)
        self.assertIsNone(self.pact.proc.poll())
        self.assert_fed(t0)

        # the server comes back: mail is answered, STATUS says so
        self.proxy.set_up(True)
        t1 = time.monotonic()
        self.assertTrue(self.rec.wait_for(lambda m: m == "STATUS=Waiting for mail", 40),
                        self.rec.lines("STATUS=") + [self.pact.logtext()])
        sender = "anne@di.example.test"
        raw, mid = make_mail(sender, "HELP", "Hej\n")
        self.sb.send(raw, sender, [PACT])
        self.assertEqual(len(replies_to(sender, mid, timeout=30)), 1, self.pact.logtext())
        self.assert_fed(t1)

        # and goes silent again, in the middle of an IDLE
        n = len(self.rec.lines("STATUS=IMAP unreachable"))
        self.proxy.set_up(False)
        t2 = time.monotonic()
        self.assertTrue(self.rec.wait_for(
            lambda m: m.startswith("STATUS=IMAP unreachable") and
            len(self.rec.lines("STATUS=IMAP unreachable")) > n, 20), self.rec.lines("STATUS="))
        time.sleep(8)
        self.assert_fed(t2)
        self.assertIsNone(self.pact.proc.poll())
        t3 = time.monotonic()
        self.assertEqual(self.pact.stop(timeout=10), 0)
        self.assertLess(time.monotonic() - t3, 5)


class Daemon(unittest.TestCase):
    def setUp(self):
        self.sb = sandbox()
        self.pact = Pact()
        self.notify = Notify()
        os.environ["NOTIFY_SOCKET"] = self.notify.path
        os.environ["WATCHDOG_USEC"] = "60000000"

    def tearDown(self):
        os.environ.pop("NOTIFY_SOCKET", None)
        os.environ.pop("WATCHDOG_USEC", None)
        self.pact.cleanup()
        self.notify.close()

    def test_ready_watchdog_and_sigterm_in_idle(self):
        self.pact.start()
        self.assertTrue(self.notify.wait_for("READY=1"), self.notify.lines)
        self.assertTrue(self.notify.wait_for("WATCHDOG=1"), self.notify.lines)
        self.assertTrue(self.notify.wait_for("STATUS="), self.notify.lines)
        time.sleep(1)  # now blocked in IDLE
        t0 = time.time()
        rc = self.pact.stop(timeout=10)
        self.assertEqual(rc, 0)
        self.assertLess(time.time() - t0, 5)

    def test_sighup_rereads_roster_and_keeps_old_on_error(self):
        roster = os.path.join(self.pact.dir, "roster.conf")
        self.pact.start()
        self.assertTrue(self.notify.wait_for("READY=1"))
        newcomer = "nina@hk.example.test"
        with open(roster) as f:
            text = f.read()
        with open(roster, "w") as f:
            f.write(text.replace("[party HK]\n", "[party HK]\ndelegate = %s\n" % newcomer))
        self.pact.proc.send_signal(1)  # SIGHUP
        self.assertTrue(self.notify.wait_for("RELOADING=1"))
        raw, mid = make_mail(newcomer, "HELP", "Hi\n")
        self.sb.send(raw, newcomer, [PACT])
        self.assertEqual(len(replies_to(newcomer, mid, timeout=30)), 1, self.pact.logtext())
        # a broken roster: the old one stays in force
        with open(roster, "a") as f:
            f.write("[party XX]\ndelegate = not an address\n")
        self.pact.proc.send_signal(1)
        deadline = time.time() + 10
        while time.time() < deadline and "keeping the old configuration" not in self.pact.logtext():
            time.sleep(0.2)
        log = self.pact.logtext()
        self.assertIn("keeping the old configuration", log)
        self.assertRegex(log, r"roster\.conf:\d+: 'not an address'")
        raw, mid = make_mail(newcomer, "OVERVIEW", "Hi\n")
        self.sb.send(raw, newcomer, [PACT])
        self.assertEqual(len(replies_to(newcomer, mid, timeout=30)), 1)
        self.assertEqual(self.pact.stop(), 0)


class Packaging(unittest.TestCase):
    def test_unit_exposure(self):
        if shutil.which("systemd-analyze") is None:
            self.skipTest("systemd-analyze is not installed")
        tmp = tempfile.mkdtemp()
        try:
            unit = os.path.join(tmp, "pactd.service")
            with open(os.path.join(TOP, "systemd", "pactd.service")) as f:
                open(unit, "w").write(f.read().replace("@SBINDIR@", "/usr/sbin"))
            p = subprocess.run(["systemd-analyze", "security", "--offline=yes", unit],
                               capture_output=True, text=True)
            m = re.search(r"Overall exposure level for pactd.service: ([0-9.]+)", p.stdout + p.stderr)
            self.assertIsNotNone(m, p.stdout + p.stderr)
            self.assertLessEqual(float(m.group(1)), 2.0)
        finally:
            shutil.rmtree(tmp)

    def test_install_and_man_pages(self):
        dest = tempfile.mkdtemp()
        try:
            subprocess.run(["make", "-s", "-C", TOP, "install", "DESTDIR=" + dest, "PREFIX=/usr/local"],
                           check=True, capture_output=True)
            for f in ["usr/local/sbin/pactd", "usr/local/bin/pactctl", "etc/pactd/pactd.conf",
                      "etc/pactd/roster.conf", "lib/systemd/system/pactd.service",
                      "lib/systemd/system/pactd-backup.timer", "lib/systemd/system/pactd-backup.service",
                      "usr/local/share/pactd/templates/da/help.txt",
                      "usr/local/share/pactd/templates/page/da/index.html",
                      "usr/local/share/man/man8/pactd.8", "usr/local/share/man/man8/pactctl.8",
                      "usr/local/share/man/man5/pactd.conf.5"]:
                self.assertTrue(os.path.exists(os.path.join(dest, f)), f)
            conf = os.path.join(dest, "etc/pactd/pactd.conf")
            with open(conf, "a") as f:
                f.write("; mine\n")
            subprocess.run(["make", "-s", "-C", TOP, "install", "DESTDIR=" + dest, "PREFIX=/usr/local"],
                           check=True, capture_output=True)
            self.assertTrue(open(conf).read().endswith("; mine\n"), "install overwrote the config")
            if shutil.which("man") is None:
                self.skipTest("man is not installed")
            for page in ["man8/pactd.8", "man8/pactctl.8", "man5/pactd.conf.5"]:
                p = subprocess.run(["man", "--warnings", "-l", os.path.join(dest, "usr/local/share/man", page)],
                                   capture_output=True, text=True, env=dict(os.environ, MANWIDTH="80"))
                self.assertEqual(p.returncode, 0)
                self.assertEqual(p.stderr.strip(), "", page)
            # every key of the config table is in pactd.conf(5), with its default
            keys = subprocess.run([os.path.join(BUILD, "pactd"), "--dump-defaults"], capture_output=True,
                                  text=True, check=True).stdout
            man = open(os.path.join(TOP, "man", "pactd.conf.5")).read()
            self.assertEqual(keys.count("="), 40)
            for line in keys.splitlines():
                if "=" not in line:
                    continue
                key, default = [x.strip() for x in line.split("=", 1)]
                self.assertRegex(man, r"(?m)^\.BR? %s\b" % re.escape(key), key)
                if default:
                    self.assertIn('%s " = %s"' % (key, default.replace("-", "\\-")), man, key)
        finally:
            shutil.rmtree(dest)

"""pactd as a service: sd_notify, SIGHUP, SIGTERM in IDLE, the unit's
hardening score, make install and the man pages."""

import os
import re
import shutil
import socket
import subprocess
import tempfile
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


class Daemon(unittest.TestCase):
    def setUp(self):
        self.sb = sandbox()
        self.pact = Pact()
        self.notify = Notify()
        os.environ["NOTIFY_SOCKET"] = self.notify.path

    def tearDown(self):
        os.environ.pop("NOTIFY_SOCKET", None)
        self.pact.cleanup()
        self.notify.close()

    def test_ready_watchdog_and_sigterm_in_idle(self):
        self.pact.start()
        self.assertTrue(self.notify.wait_for("READY=1"), self.notify.lines)
        self.assertTrue(self.notify.wait_for("WATCHDOG=1"), self.notify.lines)
        self.assertTrue(any("STATUS=" in m for m in self.notify.lines))
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

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


def unit_settings(path):
    """The [Service] settings of a unit file: name -> list of values."""
    out, section = {}, None
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("["):
                section = line.strip("[]")
            elif section == "Service" and "=" in line and not line.startswith("#"):
                k, v = line.split("=", 1)
                out.setdefault(k.strip(), []).append(v.strip())
    return out


class Units(unittest.TestCase):
    """Every unit as systemd would load it: systemd-analyze verify, the
    exposure of every service (templates as an instance), and no state
    directory shared between two users."""

    INSTANCE = "test"

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="pactd-units-")
        self.units = []
        for src in sorted(glob.glob(os.path.join(TOP, "systemd", "*"))):
            with open(src) as f:
                text = f.read().replace("@SBINDIR@", BUILD).replace("@BINDIR@", BUILD)
            name = os.path.basename(src)
            with open(os.path.join(self.tmp, name), "w") as f:
                f.write(text)
            self.units.append(name.replace("@.", "@%s." % self.INSTANCE))
        # Documentation= is checked with man(1): the pages of this tree.
        for page in glob.glob(os.path.join(TOP, "man", "*.[58]")):
            d = os.path.join(self.tmp, "man", "man" + page[-1])
            os.makedirs(d, exist_ok=True)
            shutil.copy(page, d)

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def analyze(self, *args):
        if shutil.which("systemd-analyze") is None:
            self.skipTest("systemd-analyze is not installed (Debian package systemd): units not checked")
        env = dict(os.environ, MANPATH=os.path.join(self.tmp, "man"), SYSTEMD_LOG_COLOR="0")
        return subprocess.run(["systemd-analyze"] + list(args), capture_output=True, text=True, env=env)

    def test_every_unit_is_there(self):
        for u in ("pactd.service", "pactd@test.service", "pactd-backup.service", "pactd-backup.timer",
                  "pactd-backup@test.service", "pactd-backup@test.timer"):
            self.assertIn(u, self.units)

    def test_verify(self):
        for u in self.units:
            p = self.analyze("verify", os.path.join(self.tmp, u))
            # Without man(1) Documentation= cannot be checked (and fails).
            have_man = shutil.which("man") is not None
            out = [line for line in (p.stdout + p.stderr).splitlines()
                   if have_man or "Command 'man " not in line]
            self.assertEqual(out, [], u)
            if have_man:
                self.assertEqual(p.returncode, 0, u + ": " + p.stderr)

    def test_exposure(self):
        for u in self.units:
            if not u.endswith(".service"):
                continue
            p = self.analyze("security", "--offline=yes", os.path.join(self.tmp, u))
            m = re.search(r"Overall exposure level for %s: ([0-9.]+)" % re.escape(u), p.stdout + p.stderr)
            self.assertIsNotNone(m, p.stdout + p.stderr)
            self.assertLessEqual(float(m.group(1)), 1.5, u)

    def test_state_directories_have_one_owner(self):
        """systemd chowns a StateDirectory= to the unit's user at every
        start: two users on one directory (or one inside the other) take
        it from each other."""
        owners = {}
        for u in self.units:
            if not u.endswith(".service"):
                continue
            inst = u.split("@", 1)[1].split(".")[0] if "@" in u else ""
            s = unit_settings(os.path.join(self.tmp, u.replace("@" + inst + ".", "@.") if inst else u))
            sub = lambda v: v.replace("%i", inst)  # noqa: E731
            user = sub(s["User"][-1]) if "User" in s else (
                u.rsplit(".", 1)[0] if s.get("DynamicUser", ["no"])[-1] == "yes" else "root")
            for v in s.get("StateDirectory", []):
                for d in sub(v).split():
                    owners.setdefault(d.strip("/"), set()).add(user)
        self.assertIn("pactd", owners)
        for d, users in owners.items():
            self.assertEqual(len(users), 1, "%s: %s" % (d, users))
            for other, users2 in owners.items():
                if other.startswith(d + "/"):
                    self.assertEqual(users, users2, "%s inside %s" % (other, d))


class CommandLine(unittest.TestCase):
    def run_pactd(self, *args, env=None):
        return subprocess.run([os.path.join(BUILD, "pactd")] + list(args), capture_output=True, text=True,
                              env=env, timeout=30)

    def test_help_version_usage(self):
        p = self.run_pactd("--help")
        self.assertEqual((p.returncode, p.stderr), (0, ""))
        self.assertIn("usage: pactd", p.stdout)
        with open(os.path.join(TOP, "Makefile")) as f:
            version = re.search(r"(?m)^VERSION = (\S+)", f.read()).group(1)
        p = self.run_pactd("--version")
        self.assertEqual((p.returncode, p.stdout), (0, "pactd %s\n" % version))
        p = self.run_pactd("--no-such-option")
        self.assertEqual((p.returncode, p.stdout), (64, ""))
        self.assertIn("usage: pactd", p.stderr)

    def test_check_config_reads_the_units_credentials(self):
        """--credentials DIR reads what LoadCredential= passes from DIR;
        an empty credential (the units' SetCredential= stand-in for an
        absent file) falls back to password_file."""
        sandbox()
        pact = Pact()
        try:
            cred = os.path.join(pact.dir, "credentials")
            os.mkdir(cred, 0o700)
            with open(pact.conf) as f:
                conf = f.read()
            with open(pact.conf, "w") as f:
                f.write(conf.replace("password_file = imap.password", "password_file = absent.password"))
            env = dict(os.environ)
            env.pop("CREDENTIALS_DIRECTORY", None)
            p = self.run_pactd("-c", pact.conf, "--check-config", env=env)
            self.assertEqual(p.returncode, 78)
            self.assertIn("absent.password", p.stderr)
            with open(os.path.join(cred, "imap-password"), "w") as f:
                f.write("secret\n")
            p = self.run_pactd("-c", pact.conf, "--credentials", cred, "--check-config", env=env)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn(": ok", p.stdout)
            with open(os.path.join(cred, "imap-password"), "w") as f:
                f.write("\n")
            p = self.run_pactd("-c", pact.conf, "--check-config", env=dict(env, CREDENTIALS_DIRECTORY=cred))
            self.assertEqual(p.returncode, 78)
            self.assertIn("imap-password: no credential, and", p.stderr)
        finally:
            pact.cleanup()


class CtlTables(unittest.TestCase):
    def test_header_and_display_width(self):
        """A header row, and columns that line up on screen with names
        in Danish (two bytes a letter) and an en dash (three)."""
        sandbox()
        pact = Pact()
        try:
            roster = os.path.join(pact.dir, "roster.conf")
            with open(roster) as f:
                text = f.read()
            with open(roster, "w") as f:
                f.write(re.sub(r"(\[party HK\]\nname = )[^\n]*", r"\1Ærø Åbenrå – Øst", text))
            pact.once()
            p = pact.ctl("parties", json_out=False)
            lines = p.stdout.splitlines()
            self.assertEqual(lines[0].split(), ["ID", "NAME", "DECLARATION", "DELEGATES"])
            self.assertTrue(any("Ærø Åbenrå – Øst" in l for l in lines), lines)
            col = lines[0].index("DELEGATES")  # all of them one column wide
            for line in lines:
                self.assertEqual(len(line) - len(line.split()[-1]), col, lines)
        finally:
            pact.cleanup()

    def test_help_and_version(self):
        p = subprocess.run([os.path.join(BUILD, "pactctl"), "--help"], capture_output=True, text=True)
        self.assertEqual((p.returncode, p.stderr), (0, ""))
        self.assertIn("usage: pactctl", p.stdout)
        p = subprocess.run([os.path.join(BUILD, "pactctl"), "--version"], capture_output=True, text=True)
        self.assertRegex(p.stdout, r"^pactctl \S+\n$")


class Packaging(unittest.TestCase):
    def test_install_and_man_pages(self):
        dest = tempfile.mkdtemp()
        try:
            subprocess.run(["make", "-s", "-C", TOP, "install", "DESTDIR=" + dest, "PREFIX=/usr/local"],
                           check=True, capture_output=True)
            for f in ["usr/local/sbin/pactd", "usr/local/bin/pactctl", "etc/pactd/pactd.conf",
                      "etc/pactd/roster.conf", "lib/systemd/system/pactd.service",
                      "lib/systemd/system/pactd-backup.timer", "lib/systemd/system/pactd-backup.service",
                      "lib/systemd/system/pactd@.service", "lib/systemd/system/pactd-backup@.service",
                      "lib/systemd/system/pactd-backup@.timer", "usr/local/share/man/man5/roster.conf.5",
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
            for page in ["man8/pactd.8", "man8/pactctl.8", "man5/pactd.conf.5", "man5/roster.conf.5"]:
                p = subprocess.run(["man", "--warnings", "-l", os.path.join(dest, "usr/local/share/man", page)],
                                   capture_output=True, text=True, env=dict(os.environ, MANWIDTH="80"))
                self.assertEqual(p.returncode, 0)
                self.assertEqual(p.stderr.strip(), "", page)
            # every key of the config table is in pactd.conf(5), with its default
            keys = subprocess.run([os.path.join(BUILD, "pactd"), "--dump-defaults"], capture_output=True,
                                  text=True, check=True).stdout
            man = open(os.path.join(TOP, "man", "pactd.conf.5")).read()
            self.assertGreaterEqual(keys.count("="), 58)
            for line in keys.splitlines():
                if "=" not in line:
                    continue
                key, default = [x.strip() for x in line.split("=", 1)]
                self.assertRegex(man, r"(?m)^\.BR? %s\b" % re.escape(key), key)
                if default:
                    self.assertIn('%s " = %s"' % (key, default.replace("-", "\\-")), man, key)
        finally:
            shutil.rmtree(dest)

    def test_mandoc_lint(self):
        """Not a warning, not a style remark, on any page."""
        if shutil.which("mandoc") is None:
            self.skipTest("mandoc is not installed (make deps installs it)")
        pages = sorted(glob.glob(os.path.join(TOP, "man", "*.[0-9]")))
        self.assertGreaterEqual(len(pages), 4)
        for page in pages:
            p = subprocess.run(["mandoc", "-Tlint", "-Wall", page], capture_output=True, text=True)
            self.assertEqual((p.returncode, p.stdout + p.stderr), (0, ""), page)

    def test_build_names_missing_packages(self):
        """Without the libraries the build stops before compiling and
        names them, rather than failing at the link."""
        tmp = tempfile.mkdtemp()
        try:
            fake = os.path.join(tmp, "pkg-config")
            with open(fake, "w") as f:
                f.write('#!/bin/sh\ncase "$*" in *libetpan*|*libical*) exit 1;; esac\n'
                        'exec /usr/bin/pkg-config "$@"\n')
            os.chmod(fake, 0o755)
            env = dict(os.environ, PATH=tmp + ":" + os.environ["PATH"])
            p = subprocess.run(["make", "-C", TOP, "BUILD=" + os.path.join(tmp, "b"), "all"],
                               capture_output=True, text=True, env=env)
            self.assertNotEqual(p.returncode, 0)
            self.assertIn("pkg-config: missing libetpan libical", p.stderr)
            self.assertIn("run make deps", p.stderr)
            self.assertNotIn("cc ", p.stdout)
        finally:
            shutil.rmtree(tmp)

    def test_packager_flags(self):
        """CPPFLAGS, CFLAGS and LDFLAGS reach every command; -Werror only
        with WERROR=1, as make check sets it."""
        tmp = tempfile.mkdtemp()
        # a packager's make, not one under make check's WERROR=1 (which
        # make exports to its recipes, also as a variable of its own)
        env = {k: v for k, v in os.environ.items()
               if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "WERROR", "SANITIZE", "BUILD")}
        try:
            args = ["make", "-n", "-C", TOP, "BUILD=" + tmp, "CPPFLAGS=-DPKG_CPP", "CFLAGS=-O1 -DPKG_C",
                    "LDFLAGS=-Wl,-z,now"]
            out = subprocess.run(args + ["all"], capture_output=True, text=True, check=True, env=env).stdout
            compiles = [l for l in out.splitlines() if " -c " in l]
            links = [l for l in out.splitlines() if "libpactd.a" in l and " -c " not in l and "ar rcs" not in l]
            self.assertTrue(compiles and links, out)
            for line in compiles:
                self.assertIn("-DPKG_CPP", line)
                self.assertIn("-DPKG_C", line)
                self.assertNotIn("-Werror", line)
            for line in links:
                self.assertIn("-Wl,-z,now", line)
            out = subprocess.run(args + ["WERROR=1", "all"], capture_output=True, text=True, check=True,
                                 env=env).stdout
            self.assertIn("-Werror", out)
        finally:
            shutil.rmtree(tmp)

    def test_install_honours_unitdir(self):
        dest = tempfile.mkdtemp()
        try:
            subprocess.run(["make", "-s", "-C", TOP, "install", "DESTDIR=" + dest, "PREFIX=/usr",
                            "UNITDIR=/usr/lib/systemd/system"], check=True, capture_output=True)
            self.assertTrue(os.path.exists(os.path.join(dest, "usr/lib/systemd/system/pactd@.service")))
            with open(os.path.join(dest, "usr/lib/systemd/system/pactd.service")) as f:
                self.assertIn("ExecStart=/usr/sbin/pactd ", f.read())
        finally:
            shutil.rmtree(dest)

"""pactd --check-config --connect (issue 14, item 3; SPEC section 9): against
a good setup it logs in to both servers, lists the capabilities and folders,
and finds its probe to pagt+probe-...@ in the mailbox, then removes it;
against each broken one it says in one line what failed and which keys to
look at. The OAuth 2.0 cases are in test_oauth2.py."""

import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest

import sandbox as sandbox_mod
from pactlib import BUILD, PACT, Pact, sandbox
from test_oauth2 import configure


def connect(pact, seconds=None):
    """(exit status, stdout, stderr) of pactd --check-config --connect."""
    env = dict(os.environ)
    env.pop("PACTD_NOW", None)
    if seconds:
        env["PACTD_PROBE_SECONDS"] = str(seconds)
    p = subprocess.run([os.path.join(BUILD, "pactd"), "-c", pact.conf, "--check-config", "--connect"],
                       env=env, capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def edit(pact, section, key, value):
    configure(pact, {(section, key): value})


class Connect(unittest.TestCase):
    def setUp(self):
        self.sb = sandbox()
        self.pact = Pact()

    def tearDown(self):
        self.pact.cleanup()

    def test_good(self):
        rc, out, err = connect(self.pact)
        self.assertEqual(rc, 0, out + err)
        lines = out.splitlines()
        self.assertTrue(lines[0].endswith("secretariat members)"), out)
        self.assertRegex(out, r"(?m)^imap: imap://127\.0\.0\.1:\d+: logged in as %s \(auth = password\), "
                              r"INBOX selected$" % re.escape(PACT))
        caps = [l for l in lines if l.startswith("imap: capabilities:")]
        self.assertEqual(len(caps), 1, out)
        self.assertIn(" IMAP4REV1", caps[0].upper())
        folders = [l for l in lines if l.startswith("imap: folders:")][0]
        for f in ("INBOX", "pactd/Processed", "pactd/Rejected", "pactd/Quarantine", "pactd/Ignored"):
            self.assertIn(f, folders)
        self.assertRegex(out, r"(?m)^smtp: smtp://127\.0\.0\.1:\d+: logged in \(auth = none\), "
                              r"the probe to pagt\+probe-[0-9a-f]{16}@example\.test taken$")
        self.assertRegex(out, r"(?m)^probe: arrived in INBOX after [0-9.]+ s; removed$")
        self.assertEqual(lines[-1], "connect: ok")
        # removed: not in the INBOX, and nothing else was touched
        self.assertEqual(self.sb.count(PACT, "INBOX"), 0)

    def test_other_mail_left_alone(self):
        """Another client's \\Deleted mail survives the probe's removal."""
        raw = b"From: a@example.test\r\nSubject: keep\r\nMessage-ID: <keep@example.test>\r\n\r\nx\r\n"
        self.sb.append(PACT, raw, flags=r"(\Deleted)")
        rc, out, err = connect(self.pact)
        self.assertEqual(rc, 0, out + err)
        self.assertEqual(self.sb.count(PACT, "INBOX"), 1)

    def test_with_pactd_running(self):
        """A running pactd may take the probe first: it is found in
        pactd/Ignored then, and removed there."""
        ignored = self.sb.count(PACT, "pactd/Ignored")
        self.pact.start()
        try:
            deadline = time.time() + 20
            while "ready" not in self.pact.logtext() and time.time() < deadline:
                time.sleep(0.2)
            rc, out, err = connect(self.pact)
        finally:
            self.pact.stop()
        self.assertEqual(rc, 0, out + err + self.pact.logtext())
        self.assertRegex(out, r"(?m)^probe: arrived in (INBOX|pactd/Ignored) after [0-9.]+ s; removed$")
        self.assertEqual(self.sb.count(PACT, "INBOX"), 0)
        # the probe was removed there too; earlier tests' mail stays
        self.assertEqual(self.sb.count(PACT, "pactd/Ignored"), ignored)

    def test_wrong_password(self):
        with open(os.path.join(self.pact.dir, "imap.password"), "w") as f:
            f.write("wrong\n")
        rc, out, err = connect(self.pact)
        self.assertEqual(rc, 69, out + err)
        line = out.splitlines()[-1]
        self.assertTrue(line.startswith("imap: "), out)
        self.assertIn("LOGIN failed", line)
        self.assertTrue(line.endswith("(see [imap] user, password_file)"), line)

    def test_no_subaddressing(self):
        """A provider that does not deliver pagt-probe-...@ to pagt@ (here:
        a separator the server does not know)."""
        edit(self.pact, "pact", "subaddress_separator", "-")
        rc, out, err = connect(self.pact, seconds=3)
        self.assertEqual(rc, 69, out + err)
        line = out.splitlines()[-1]
        self.assertRegex(line, r"^probe: the mail to pagt-probe-[0-9a-f]{16}@example\.test did not reach "
                               r"INBOX within 3 s: .*\(see \[pact\] address, subaddress_separator, "
                               r"\[imap\] mailbox\)$")

    def test_smtp_down(self):
        edit(self.pact, "smtp", "url", "smtp://127.0.0.1:1")
        rc, out, err = connect(self.pact)
        self.assertEqual(rc, 69, out + err)
        line = out.splitlines()[-1]
        self.assertTrue(line.startswith("smtp: smtp://127.0.0.1:1: the probe to pagt+probe-"), line)
        self.assertTrue(line.endswith("(see [smtp] url)"), line)


class ConnectTLS(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        sandbox()
        cls.root = tempfile.mkdtemp(prefix="pactd-connect-tls-")
        cls.tsb = sandbox_mod.Sandbox(cls.root, 0, 0, 0, tls=True).start()

    @classmethod
    def tearDownClass(cls):
        cls.tsb.stop()
        shutil.rmtree(cls.root, ignore_errors=True)

    def test_bad_ca(self):
        t = self.tsb
        pact = Pact()
        try:
            edit(pact, "imap", "url", "imaps://127.0.0.1:%d" % t.imaps_port)
            edit(pact, "imap", "ca_file", t.other_ca_file)
            rc, out, err = connect(pact)
            self.assertEqual(rc, 69, out + err)
            line = out.splitlines()[-1]
            self.assertIn("not trusted", line)
            self.assertTrue(line.endswith("(see [imap] url, starttls, ca_file)"), line)
            # the right CA: the IMAP side passes
            edit(pact, "imap", "ca_file", t.ca_file)
            rc, out, err = connect(pact, seconds=1)
            self.assertRegex(out, r"(?m)^imap: imaps://127\.0\.0\.1:\d+: logged in as ")
        finally:
            pact.cleanup()


if __name__ == "__main__":
    unittest.main()

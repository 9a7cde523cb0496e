"""A power cut right after pactd or pactctl ended (issue 17): what they
reported done is on the disk.  build/powercut.so (tests/powercut) is
preloaded with PACTD_TEST_VFS=exit: when the process exits, every write and
every rename that was not fsynced -- file and directory -- is undone, as a
power cut at that moment would.  The long, random version is
tests/torture/powercut.py."""

import email.mime.application
import email.mime.multipart
import email.mime.text
import email.utils
import json
import os
import re
import shutil
import subprocess
import unittest

from pactlib import BUILD, PACT, Pact, sandbox

SECRETARIAT = "sekretariat@erst.example.test"
POWER_EXIT = 86     # tests/powercut/power.h
FILES = ("index.html", "pact.json", "feed.atom")


def status_mail(year, pdf):
    m = email.mime.multipart.MIMEMultipart()
    m["From"] = SECRETARIAT
    m["To"] = PACT
    m["Subject"] = "ÅRSSTATUS"
    m["Date"] = email.utils.formatdate()
    m["Message-ID"] = email.utils.make_msgid(domain="client.example.test")
    m.attach(email.mime.text.MIMEText("Hej\n\nÅr: %d\n\nStatus vedhæftet.\n" % year, "plain", "utf-8"))
    a = email.mime.application.MIMEApplication(pdf, "pdf")
    a.add_header("Content-Disposition", "attachment", filename="status-%d.pdf" % year)
    m.attach(a)
    return m.as_bytes()


class PowerCutAtExit(unittest.TestCase):
    def setUp(self):
        if os.environ.get("PACTD_VALGRIND_LOG"):
            self.skipTest("make check-valgrind: the shim is not preloaded under valgrind")
        self.so = os.path.join(BUILD, "powercut.so")
        self.assertTrue(os.path.exists(self.so), "%s missing: make build/powercut.so" % self.so)
        self.pact = Pact()
        self.out = os.path.join(self.pact.dir, "public")
        os.makedirs(self.out)

    def tearDown(self):
        self.pact.cleanup()

    def preload(self, binary):
        """The shim; after the ASan runtime when binary is the sanitizer
        build's, which wants its runtime first in the library list."""
        out = subprocess.run(["ldd", binary], capture_output=True, text=True).stdout
        asan = re.search(r"libasan\.so\S* => (\S+)", out)
        return " ".join(([asan.group(1)] if asan else []) + [self.so])

    def run_cut(self, *cmd):
        env = self.pact.env()
        env.update(LD_PRELOAD=self.preload(cmd[0]), PACTD_TEST_VFS="exit",
                   PACTD_TEST_CUTFS="%s:%s" % (self.out, self.pact.dir))
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, POWER_EXIT, p.stderr[-3000:])
        self.assertIn("powercut: power cut at exit", p.stderr)
        return p

    def read(self, name, mode="r"):
        with open(os.path.join(self.out, name), mode) as f:
            return f.read()

    def test_status_pdf_and_page_survive_a_cut(self):
        """The status, its PDF beside the database and in the page's folder,
        and the page that shows it are all there after the cut."""
        pdf = b"%PDF-1.4\n" + os.urandom(30000) + b"\n%%EOF\n"
        sandbox().append(PACT, status_mail(2026, pdf))
        self.run_cut(os.path.join(BUILD, "pactd"), "-c", self.pact.conf, "--once", "-v")
        statuses = self.pact.ctl("statuses")
        self.assertEqual(len(statuses), 1, statuses)
        ref = statuses[0]["ref"]
        with open(statuses[0]["pdf"], "rb") as f:
            self.assertEqual(f.read(), pdf, "the status PDF beside the database")
        self.assertEqual(self.read("status-%s.pdf" % ref, "rb"), pdf, "the page's copy of the PDF")
        page = json.loads(self.read("pact.json"))
        self.assertEqual([s["ref"] for s in page["statuses"]], [ref])
        self.assertEqual(page["statuses"][0]["pdf"], "status-%s.pdf" % ref)
        self.assertIn("status-%s.pdf" % ref, self.read("index.html"))
        self.assertEqual(self.pact.ctl("verify-log")["ok"], True)

    def test_render_survives_a_cut(self):
        """pactctl render said it wrote the page: after the cut it is there."""
        self.assertEqual(self.pact.once()[0], 0)
        shutil.rmtree(self.out)
        os.makedirs(self.out)
        p = self.run_cut(os.path.join(BUILD, "pactctl"), "-c", self.pact.conf, "render")
        self.assertIn("rendered index.html, pact.json and feed.atom", p.stdout)
        for name in FILES:
            self.assertGreater(len(self.read(name)), 100, name)
        page = json.loads(self.read("pact.json"))
        self.assertEqual(len(page["parties"]), len(self.pact.ctl("parties")))

if __name__ == "__main__":
    unittest.main()

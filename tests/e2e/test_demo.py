"""make demo runs to the end and shows the admission and the RSVPs."""

import os
import subprocess
import sys
import unittest

from pactlib import TOP


class Demo(unittest.TestCase):
    def test_demo_plays_a_pact_year(self):
        env = dict(os.environ)
        env.pop("PACTD_SANDBOX_DIR", None)
        p = subprocess.run([sys.executable, os.path.join(TOP, "tests", "demo", "demo.py")],
                           capture_output=True, text=True, timeout=600, env=env)
        out = p.stdout
        self.assertEqual(p.returncode, 0, out + p.stderr)
        self.assertRegex(out, r"pactctl ballot PAGT-\d{4}-\d{4}: state approved, yes 6")
        self.assertIn("Velkommen i Cybersikkerhedspagten", out)
        for answer in ("ACCEPTED", "DECLINED", "TENTATIVE"):
            self.assertIn(answer, out)
        self.assertIn("with 2 comment(s)", out)
        self.assertIn("associates: Sikker SMV ApS", out)
        self.assertIn("Udkast til årsstatus for 2026", out)
        self.assertIn("Sikker SMV ApS blev optaget som associeret medlem", out)
        # the invitation lists what the pact has created so far (issue 15)
        self.assertIn("Nyt i pagten, siden den begyndte:", out)
        self.assertRegex(out, r"- Sikker SMV ApS \(PAGT-\d{4}-\d{4}\)")
        self.assertRegex(out, r"PAGT-\d{4}-\d{4}: results since the pact began: associates 1, initiatives 1")
        self.assertIn("servers stopped", out)


if __name__ == "__main__":
    unittest.main()

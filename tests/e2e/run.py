"""Run the end-to-end tests against a private Dovecot and OpenSMTPD on
loopback, started here and stopped by PID at the end."""

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
os.environ.setdefault("PACTD_BUILD", os.path.join(os.path.dirname(os.path.dirname(HERE)), "build"))

import pactlib  # noqa: E402


def main():
    pattern = sys.argv[1] if len(sys.argv) > 1 else "test_*.py"
    suite = unittest.defaultTestLoader.discover(HERE, pattern=pattern)
    try:
        pactlib.sandbox()
        result = unittest.TextTestRunner(verbosity=2).run(suite)
        print("mail hygiene: %d outgoing mails checked" % pactlib.HYGIENE_COUNT[0])
    finally:
        if pactlib.SANDBOX is not None:
            pactlib.SANDBOX.stop()
    sys.exit(0 if result.wasSuccessful() else 1)


if __name__ == "__main__":
    main()

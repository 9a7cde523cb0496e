"""OAuth 2.0 login (issue 14, item 1; SPEC section 8): IMAP and SMTP both log
in with bearer tokens for real. The shared sandbox's Dovecot gets an oauth2
passdb that checks tokens by introspection against tests/sandbox/
tokenservice.py, and pactd sends through Dovecot's submission service, which
authenticates by the same tokens and relays to OpenSMTPD.

A pact year's core (nomination, ballot mails, votes, result) runs once for
each grant; pactd -f lives through tokens that expire, die early, are
revoked, and a token service that answers 500 or is gone, with nothing lost
or sent twice; the log and the database never hold a secret or a token."""

import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

from pactlib import BUILD, PACT, TOP, folder_message_ids, make_mail, sandbox
from test_workflow import DELEGATES, KAREN, Workflow, iso

sys.path.insert(0, os.path.join(TOP, "tests", "sandbox"))
from tokenservice import TokenService  # noqa: E402

CLIENT_ID = "7c3f2a9e-pactd-test"
SECRET = "Zq8~pactd-client-secret-" + os.urandom(6).hex()
REFRESH = "1.AQ-initial-refresh-" + os.urandom(12).hex()
SCOPE = "https://outlook.office365.com/.default"
LOGS = os.path.join(tempfile.gettempdir(), "pactd-oauth2-logs")
SVC = None
FILES = None


def private(path, text):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)
    return path


def setUpModule():
    """One token service for the module; Dovecot takes its tokens."""
    global SVC, FILES
    FILES = tempfile.mkdtemp(prefix="pactd-oauth2-")
    key, cert = os.path.join(FILES, "client.key"), os.path.join(FILES, "client.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=pactd test client", "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    os.chmod(key, 0o600)
    private(os.path.join(FILES, "secret"), SECRET + "\n")
    private(os.path.join(FILES, "refresh"), REFRESH + "\n")
    SVC = TokenService(CLIENT_ID, PACT, secret=SECRET, cert_file=cert,
                       refresh_token=REFRESH).start()
    # grant = command: what msmtp's passwordeval users run (here Python,
    # which the tests have anyway, where people use curl or oama).
    private(os.path.join(FILES, "token_command.py"), """#!/usr/bin/python3
import json, urllib.parse, urllib.request
secret = open(%r).read().strip()
form = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": %r,
                               "client_secret": secret}).encode()
print(json.load(urllib.request.urlopen(%r, form, timeout=10))["access_token"])
""" % (os.path.join(FILES, "secret"), CLIENT_ID, SVC.token_url))
    os.chmod(os.path.join(FILES, "token_command.py"), 0o700)
    sandbox().set_oauth2(SVC.introspection_url)


def tearDownModule():
    sandbox().set_oauth2(None)
    SVC.stop()
    shutil.rmtree(FILES, ignore_errors=True)


def oauth_overrides(grant="client_credentials", assertion=False):
    sb = sandbox()
    ov = {("imap", "auth"): "oauth2", ("smtp", "auth"): "oauth2",
          ("smtp", "url"): sb.submission_url, ("smtp", "user"): PACT,
          ("oauth2", "grant"): grant, ("oauth2", "token_url"): SVC.token_url,
          ("oauth2", "client_id"): CLIENT_ID, ("oauth2", "scope"): SCOPE,
          ("oauth2", "client_secret_file"): os.path.join(FILES, "secret")}
    if assertion:
        ov[("oauth2", "client_secret_file")] = os.path.join(FILES, "absent")
        ov[("oauth2", "client_certificate_file")] = os.path.join(FILES, "client.pem")
        ov[("oauth2", "client_key_file")] = os.path.join(FILES, "client.key")
    if grant == "refresh_token":
        ov[("oauth2", "refresh_token_file")] = os.path.join(FILES, "refresh")
    if grant == "command":
        ov[("oauth2", "token_command")] = os.path.join(FILES, "token_command.py")
    return ov


def configure(pact, overrides):
    """Set {(section, key): value} in the pact's config, in place."""
    sections, order = {}, []
    sec = None
    with open(pact.conf) as f:
        for line in f:
            m = re.match(r"\[(.*)\]\s*$", line)
            if m:
                sec = m.group(1)
                if sec not in sections:
                    sections[sec] = {}
                    order.append(sec)
            elif "=" in line and sec is not None:
                k, v = line.split("=", 1)
                sections[sec][k.strip()] = v.strip()
    for (sec, key), val in overrides.items():
        if sec not in sections:
            sections[sec] = {}
            order.append(sec)
        sections[sec][key] = val
    with open(pact.conf, "w") as f:
        for sec in order:
            f.write("[%s]\n%s\n\n" % (sec, "\n".join("%s = %s" % kv for kv in sections[sec].items())))


class OAuth(Workflow):
    grant = "client_credentials"
    assertion = False

    def setUp(self):
        if SVC.server is None:  # a test that failed while it was down
            SVC.start()
        SVC.mode = SVC.introspect_mode = "ok"
        SVC.expires_in, SVC.lifetime, SVC.dead_next = 3600, None, 0
        self.issued0 = len(SVC.issued)
        self.dovelog0 = os.path.getsize(sandbox().path("dovecot.log"))
        super().setUp()
        configure(self.pact, oauth_overrides(self.grant, self.assertion))
        # No password to fall back on (the tests' own PLAIN logins remain).
        os.unlink(os.path.join(self.pact.dir, "imap.password"))

    def tearDown(self):
        os.makedirs(LOGS, exist_ok=True)
        if os.path.exists(self.pact.logfile):
            shutil.copy(self.pact.logfile, os.path.join(LOGS, self.id().split(".")[-1] + ".log"))
        self.pact.stop()
        super().tearDown()

    def dovecot_logins(self):
        """(service, method) of each login by pactd since the test began."""
        with open(sandbox().path("dovecot.log"), errors="replace") as f:
            f.seek(self.dovelog0)
            text = f.read()
        return re.findall(r"(imap|submission)-login: (?:Info: )?Login: user=<%s>, method=([A-Z0-9]+)" %
                          re.escape(PACT), text)

    def assert_no_secrets(self):
        """Neither the log nor the database file holds a secret or token."""
        blobs = {"log": self.pact.logtext().encode()}
        for path in glob.glob(self.pact.db + "*"):
            with open(path, "rb") as f:
                blobs[os.path.basename(path)] = f.read()
        needles = [SECRET, REFRESH] + SVC.issued + SVC.refresh_issued + SVC.assertions
        self.assertGreater(len(SVC.issued), self.issued0, "no token was issued")
        for where, blob in blobs.items():
            for n in needles:
                # a 24-character piece is enough to call it a leak
                for piece in {n[:24], n[len(n) // 2:len(n) // 2 + 24], n[-24:]}:
                    self.assertNotIn(piece.encode(), blob, "%s holds a secret or token" % where)
            self.assertNotIn(b"Bearer ", blob, where)

    def year(self):
        """Nomination, ballot mails, six votes, the result: each mail once."""
        ref = self.open_ballot("anne@di.example.test", "Acme Sikkerhed ApS",
                               "Karen Madsen <%s>" % KAREN)
        for addr in DELEGATES:
            self.ballot_raw(addr, ref)
        for client, addr in [("gmail", "anne@di.example.test"), ("outlook", "mette@em.example.test"),
                             ("apple", "jens@danskerhverv.example.test"),
                             ("thunderbird", "lise@ida.example.test"),
                             ("gmail", "peter@industriensfond.example.test"),
                             ("outlook", "sofie@itb.example.test")]:
            self.vote_ok(client, addr, ref, "Yes" if addr == "lise@ida.example.test" else "Ja")
        self.assertEqual(self.tally(ref), ("approved", 6, 0, 0, 4))
        self.results(ref)
        self.assertEqual(len(self.wait_mail(KAREN, lambda m: True)), 1)
        self.settle()
        for addr in DELEGATES:
            ballots = [m for m in self.mails(addr) if (m["Message-ID"] or "").startswith("<v-")]
            self.assertEqual(len(ballots), 1, addr)
        self.assertEqual([b["state"] for b in self.pact.ctl("outbox") if b["state"] != "sent"], [])
        return ref


class ClientSecret(OAuth):
    """The year's core with each grant, both servers on OAuth 2.0."""

    def test_year(self):
        n = len(SVC.requests)
        self.year()
        logins = self.dovecot_logins()
        self.assertIn(("imap", "OAUTHBEARER"), logins)
        self.assertIn(("submission", "OAUTHBEARER"), logins)
        with SVC.lock:
            requests = SVC.requests[n:]
        self.assertTrue(requests)
        self.assertEqual({o for _, o in requests}, {"ok"})
        self.assertEqual({g for g, _ in requests}, {self.grant_seen})
        self.assertNotIn("refused", self.pact.logtext())
        self.assert_no_secrets()
        return requests

    grant_seen = "client_credentials"


class ClientAssertion(ClientSecret):
    assertion = True

    def test_year(self):
        n = len(SVC.assertions)
        super().test_year()
        self.assertGreater(len(SVC.assertions), n)


class RefreshToken(ClientSecret):
    grant = grant_seen = "refresh_token"

    def test_year(self):
        super().test_year()
        self.assertIn(REFRESH, SVC.refresh_used)


class Command(ClientSecret):
    grant = "command"

    def test_year(self):
        super().test_year()
        self.assertIn("command grant", self.pact.logtext())


class Mechanisms(OAuth):
    def test_xoauth2_only(self):
        """A server that offers XOAUTH2 alone (Microsoft 365 does) gets it."""
        sb = sandbox()
        sb.set_oauth2(SVC.introspection_url, "xoauth2")
        try:
            self.dovelog0 = os.path.getsize(sb.path("dovecot.log"))
            raw, mid = make_mail("anne@di.example.test", "HELP", "Hi\n")
            self.submit((raw, "anne@di.example.test"))
            self.reply_to("anne@di.example.test", mid)
            logins = self.dovecot_logins()
            self.assertIn(("imap", "XOAUTH2"), logins)
            self.assertIn(("submission", "XOAUTH2"), logins)
        finally:
            sb.set_oauth2(SVC.introspection_url)

    def test_smtp_refused_token_replaced_once(self):
        """IMAP by password, SMTP by a token the server refuses: pactd
        fetches another and sends the reply, once."""
        with open(os.path.join(self.pact.dir, "imap.password"), "w") as f:
            f.write("secret\n")
        os.chmod(os.path.join(self.pact.dir, "imap.password"), 0o600)
        configure(self.pact, {("imap", "auth"): "password"})
        SVC.dead_next = 1
        raw, mid = make_mail("anne@di.example.test", "HELP", "Hi\n")
        self.submit((raw, "anne@di.example.test"))
        self.reply_to("anne@di.example.test", mid)
        logins = self.dovecot_logins()
        self.assertEqual([l for l in logins if l[0] == "submission"], [("submission", "OAUTHBEARER")])
        self.assertEqual(self.pact.logtext().count("refused the access token"), 1)
        self.assertEqual(len(SVC.issued) - self.issued0, 2)
        self.assertEqual([b["state"] for b in self.pact.ctl("outbox")], ["sent"])
        self.assert_no_secrets()

    def test_server_without_sasl_ir(self):
        """No SASL-IR advertised: the token goes after the "+"."""
        sb = sandbox()
        sb.set_oauth2(SVC.introspection_url)
        try:
            with open(sb.dovecot_conf, "a") as f:
                f.write("protocol imap {\n  imap_capability = IMAP4rev1 LITERAL+ ID ENABLE IDLE\n}\n")
            sb.restart_imap()
            self.dovelog0 = os.path.getsize(sb.path("dovecot.log"))
            with sb.imap(PACT) as m:
                self.assertNotIn("SASL-IR", m.capabilities)
            raw, mid = make_mail("anne@di.example.test", "HELP", "Hi\n")
            self.submit((raw, "anne@di.example.test"))
            self.reply_to("anne@di.example.test", mid)
            self.assertIn(("imap", "OAUTHBEARER"), self.dovecot_logins())
        finally:
            sb.set_oauth2(SVC.introspection_url)

    def test_token_endpoint_timeout(self):
        """A token endpoint that does not answer: one line after 15 s, the
        mail waits, and is answered once the endpoint answers again."""
        SVC.mode = "hang"
        raw, mid = make_mail("anne@di.example.test", "HELP", "Hi\n")
        sandbox().send(raw, "anne@di.example.test", [PACT])
        sandbox().wait_messages(PACT, 1)
        t0 = time.monotonic()
        rc, err = self.pact.once(now=iso(self.t))
        self.assertEqual(rc, 69, err)
        self.assertLess(time.monotonic() - t0, 30)
        lines = [l for l in err.splitlines() if "oauth2:" in l]
        self.assertEqual(len(lines), 1, err)
        self.assertIn("token endpoint: Timeout was reached", lines[0])
        self.assertEqual(sandbox().count(PACT, "INBOX"), 1, "the mail waits")
        SVC.mode = "ok"
        self.step()
        self.reply_to("anne@di.example.test", mid)

    def test_invalid_client_is_one_line(self):
        SVC.mode = "invalid_client"
        raw, mid = make_mail("anne@di.example.test", "HELP", "Hi\n")
        sandbox().send(raw, "anne@di.example.test", [PACT])
        sandbox().wait_messages(PACT, 1)
        rc, err = self.pact.once(now=iso(self.t))
        self.assertEqual(rc, 69, err)
        lines = [l for l in err.splitlines() if "invalid_client" in l]
        self.assertEqual(len(lines), 1, err)
        self.assertIn("AADSTS7000215: Invalid client secret provided.", lines[0])
        self.assertEqual(sandbox().count(PACT, "INBOX"), 1, "the mail waits")
        SVC.mode = "ok"
        self.step()
        self.reply_to("anne@di.example.test", mid)
        self.assert_no_secrets()


class Connect(OAuth):
    """pactd --check-config --connect with OAuth 2.0 logins."""

    def connect(self):
        p = subprocess.run([os.path.join(BUILD, "pactd"), "-c", self.pact.conf, "--check-config",
                            "--connect"], capture_output=True, text=True, timeout=120)
        return p.returncode, p.stdout, p.stderr

    def test_good(self):
        rc, out, err = self.connect()
        self.assertEqual(rc, 0, out + err)
        self.assertRegex(out, r"(?m)^imap: imap://127\.0\.0\.1:\d+: logged in as %s \(auth = oauth2\)"
                         % re.escape(PACT))
        self.assertRegex(out, r"(?m)^smtp: smtp://127\.0\.0\.1:\d+: logged in \(auth = oauth2\), the probe")
        self.assertRegex(out, r"(?m)^probe: arrived in INBOX after [0-9.]+ s; removed$")
        self.assertEqual(sandbox().count(PACT, "INBOX"), 0)
        for n in [SECRET] + SVC.issued:
            self.assertNotIn(n[:24], out + err)

    def test_wrong_secret(self):
        wrong = private(os.path.join(self.pact.dir, "wrong.secret"), "not-the-secret\n")
        configure(self.pact, {("oauth2", "client_secret_file"): wrong})
        rc, out, err = self.connect()
        self.assertEqual(rc, 69, out + err)
        line = out.splitlines()[-1]
        self.assertRegex(line, r"^imap: 127\.0\.0\.1:\d+: oauth2: token endpoint refused \(HTTP 401\): "
                               r"invalid_client: AADSTS7000215: Invalid client secret provided\.; next attempt "
                               r"in 5 s \(see \[oauth2\] token_url, client_id, client_secret_file, scope\)$")

    def test_secret_readable_by_others(self):
        os.chmod(os.path.join(FILES, "secret"), 0o644)
        try:
            rc, out, err = self.connect()
        finally:
            os.chmod(os.path.join(FILES, "secret"), 0o600)
        self.assertEqual(rc, 78, out + err)
        self.assertIn("secret: secret file is readable by others", err)
        self.assertIn("chmod 600", err)


class DaemonBase(OAuth):
    """pactd -f, and a HELP mail answered through whatever happens."""

    def wait_for(self, pred, what, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if pred():
                return
            time.sleep(0.3)
        self.fail("%s\n%s" % (what, self.pact.logtext()[-4000:]))

    def help_answered(self, sender, timeout=60):
        """A HELP mail is answered once, whatever pactd had to go through."""
        raw, mid = make_mail(sender, "HELP", "Hi\n")
        sandbox().send(raw, sender, [PACT])
        self.wait_for(lambda: mid in folder_message_ids(PACT, "pactd/Processed"),
                      "the HELP mail was not processed", timeout)
        r = self.wait_mail(sender, lambda m: (m["In-Reply-To"] or "").strip() == "<%s>" % mid,
                           timeout=timeout)
        self.assertEqual(len(r), 1, self.pact.logtext()[-3000:])
        return mid

class Daemon(DaemonBase):
    """pactd -f through expiry, early death, revocation and outages."""

    def test_expiry_revocation_and_outage(self):
        SVC.expires_in = 4
        self.pact.start(now=iso(self.t))
        self.help_answered("anne@di.example.test")
        # SIGHUP reads the [oauth2] files again (and fetches a new token).
        self.pact.proc.send_signal(signal.SIGHUP)
        self.wait_for(lambda: "reload: configuration and roster read again" in self.pact.logtext(),
                      "no reload")
        # Honest short lifetimes: renewed before they run out, never refused.
        time.sleep(5)
        self.help_answered("bo@di.example.test")
        self.assertGreaterEqual(self.pact.logtext().count("oauth2: new access token"), 2)
        self.assertNotIn("refused", self.pact.logtext())

        # A token that dies long before its announced hour, then new logins.
        SVC.expires_in, SVC.lifetime = 3600, 2
        time.sleep(4)   # the cached 4-second token is due: a 2-second one follows
        self.help_answered("mette@em.example.test")
        time.sleep(3)
        sandbox().restart_imap()    # cuts the IMAP and submission sessions
        self.help_answered("jens@danskerhverv.example.test")
        self.assertIn("refused the access token", self.pact.logtext())

        # Revoked, and the token service answers 500: refused, logged, and
        # the mail waits in the INBOX until the service works again.
        SVC.lifetime = None
        SVC.revoke_all()
        SVC.mode = "error500"
        sandbox().restart_imap()
        raw, mid = make_mail("sofie@itb.example.test", "HELP", "Hi\n")
        sandbox().send(raw, "sofie@itb.example.test", [PACT])
        self.wait_for(lambda: "HTTP 500" in self.pact.logtext(), "no token endpoint error logged")
        time.sleep(3)
        self.assertEqual(sandbox().count(PACT, "INBOX"), 1)
        self.assertNotIn(mid, folder_message_ids(PACT, "pactd/Processed"))
        SVC.mode = "ok"
        self.wait_for(lambda: mid in folder_message_ids(PACT, "pactd/Processed"),
                      "not recovered after the token service came back", 90)
        self.assertEqual(len(self.wait_mail("sofie@itb.example.test",
                                            lambda m: (m["In-Reply-To"] or "").strip() == "<%s>" % mid)), 1)

        # The token service gone altogether for a while (connections refused).
        SVC.revoke_all()
        SVC.stop()
        sandbox().restart_imap()
        raw, mid = make_mail("peter@industriensfond.example.test", "HELP", "Hi\n")
        sandbox().send(raw, "peter@industriensfond.example.test", [PACT])
        self.wait_for(lambda: "Couldn't connect" in self.pact.logtext(), "no connection failure logged")
        time.sleep(2)
        self.assertNotIn(mid, folder_message_ids(PACT, "pactd/Processed"))
        SVC.start()
        self.wait_for(lambda: mid in folder_message_ids(PACT, "pactd/Processed"),
                      "not recovered after the token service returned", 120)
        self.assertEqual(len(self.wait_mail("peter@industriensfond.example.test",
                                            lambda m: (m["In-Reply-To"] or "").strip() == "<%s>" % mid)), 1)

        # Nothing sent twice, nothing left behind.
        self.settle()
        for who in ["anne@di.example.test", "bo@di.example.test", "mette@em.example.test",
                    "jens@danskerhverv.example.test", "sofie@itb.example.test",
                    "peter@industriensfond.example.test"]:
            self.assertEqual(len(self.mails(who)), 1, who)
        self.assertEqual(sandbox().count(PACT, "INBOX"), 0)
        self.assertEqual([b["state"] for b in self.pact.ctl("outbox") if b["state"] != "sent"], [])
        self.pact.stop()
        self.assert_no_secrets()


class RefreshDaemon(DaemonBase):
    grant = "refresh_token"

    def test_rotated_refresh_token_kept(self):
        """A refresh token the server rotates is used from memory next."""
        SVC.expires_in = 3
        n = len(SVC.refresh_used)
        self.pact.start(now=iso(self.t))
        self.help_answered("anne@di.example.test")
        time.sleep(4)
        self.help_answered("bo@di.example.test")
        used = SVC.refresh_used[n:]
        self.assertGreaterEqual(len(used), 2, self.pact.logtext())
        self.assertEqual(used[0], REFRESH)
        self.assertNotEqual(used[-1], REFRESH)
        self.assertIn(used[-1], SVC.refresh_issued)
        with open(os.path.join(FILES, "refresh")) as f:
            self.assertEqual(f.read().strip(), REFRESH, "the file is left alone")
        self.pact.stop()
        self.assert_no_secrets()


if __name__ == "__main__":
    unittest.main()

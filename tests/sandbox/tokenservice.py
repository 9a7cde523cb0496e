#!/usr/bin/python3
"""A small OAuth 2.0 token service on loopback, for the tests.

It issues access tokens for the client-credentials grant (a client secret,
or a client assertion: an RS256 JWT whose signature and x5t are checked
against the client's certificate, with the standard library and the
openssl CLI only) and the refresh-token grant, and answers Dovecot's token
introspection (RFC 7662). A test can make tokens short-lived, make them
die earlier than announced, revoke them, refuse the client, answer 500 or
stop listening altogether.

    svc = TokenService(client_id="pactd", secret="s3cret", username=USER)
    svc.start()            # svc.token_url, svc.introspection_url
    svc.mode = "error500"  # or "invalid_client", "ok"
    svc.revoke_all(); svc.stop(); svc.start()

Run alone: tokenservice.py --port 8080 --client-id ID --secret S --user U
"""

import argparse
import base64
import hashlib
import json
import re
import secrets
import subprocess
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOST = "127.0.0.1"
# DigestInfo of SHA-256 for EMSA-PKCS1-v1_5 (RFC 8017 section 9.2).
SHA256_PREFIX = bytes.fromhex("3031300d060960864801650304020105000420")
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def _openssl(*args, input=None):
    return subprocess.run(["openssl"] + list(args), input=input, check=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE).stdout


def certificate_key(cert_file):
    """(n, e, x5t) of a PEM certificate, by the openssl CLI."""
    modulus = _openssl("x509", "-in", cert_file, "-noout", "-modulus").decode()
    n = int(modulus.strip().split("=", 1)[1], 16)
    text = _openssl("x509", "-in", cert_file, "-noout", "-text").decode()
    m = re.search(r"Exponent: (\d+)", text)
    e = int(m.group(1)) if m else 65537
    der = _openssl("x509", "-in", cert_file, "-outform", "DER")
    return n, e, b64url(hashlib.sha1(der).digest())


def rs256_verify(n, e, signing_input, signature):
    """PKCS#1 v1.5 with SHA-256, by pow() on the public key."""
    k = (n.bit_length() + 7) // 8
    if len(signature) != k:
        return False
    em = pow(int.from_bytes(signature, "big"), e, n).to_bytes(k, "big")
    t = SHA256_PREFIX + hashlib.sha256(signing_input).digest()
    expected = b"\x00\x01" + b"\xff" * (k - len(t) - 3) + b"\x00" + t
    return secrets.compare_digest(em, expected)


class TokenService:
    def __init__(self, client_id, username, secret=None, cert_file=None,
                 refresh_token=None, port=0, expires_in=3600, lifetime=None,
                 token_bytes=1200, rotate_refresh=True,
                 introspect_user="dovecot", introspect_password=None):
        self.client_id = client_id
        self.username = username
        self.secret = secret
        self.key = certificate_key(cert_file) if cert_file else None
        self.refresh_tokens = {refresh_token} if refresh_token else set()
        self.rotate_refresh = rotate_refresh
        self.port = port
        # expires_in is what the answer says; lifetime how long the token
        # really lives (shorter: a token that dies before its time).
        self.expires_in = expires_in
        self.lifetime = lifetime
        self.token_bytes = token_bytes
        self.introspect_user = introspect_user
        self.introspect_password = introspect_password or secrets.token_hex(8)
        self.dead_next = 0          # so many next tokens are born revoked
        self.mode = "ok"            # "ok" | "error500" | "invalid_client" | "hang"
        self.introspect_mode = "ok"  # "ok" | "error500"
        self.lock = threading.Lock()
        self.tokens = {}            # token -> expiry (monotonic) or None
        self.issued = []            # every access token, for log scans
        self.refresh_issued = list(self.refresh_tokens)
        self.refresh_used = []      # the refresh tokens presented
        self.assertions = []        # every client assertion seen
        self.requests = []          # (grant, outcome)
        self.jtis = set()
        self.introspections = 0
        self.server = None
        self.thread = None

    @property
    def token_url(self):
        return "http://%s:%d/token" % (HOST, self.port)

    @property
    def introspection_url(self):
        return "http://%s:%s@%s:%d/introspect" % (
            self.introspect_user, self.introspect_password, HOST, self.port)

    def start(self):
        svc = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                svc._handle(self)

        self.server = ThreadingHTTPServer((HOST, self.port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       daemon=True)
        self.thread.start()
        return self

    def stop(self):
        """Stop listening: connections are refused until start()."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def revoke_all(self):
        with self.lock:
            for t in self.tokens:
                self.tokens[t] = 0

    def grants(self, outcome="ok"):
        with self.lock:
            return [g for g, o in self.requests if o == outcome]

    # -- requests
    def _reply(self, h, status, obj):
        body = json.dumps(obj).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(body)))
        h.send_header("Cache-Control", "no-store")
        h.end_headers()
        h.wfile.write(body)

    def _handle(self, h):
        n = int(h.headers.get("Content-Length") or 0)
        form = urllib.parse.parse_qs(h.rfile.read(n).decode(),
                                     keep_blank_values=True)
        form = {k: v[0] for k, v in form.items()}
        if h.path == "/token":
            self._token(h, form)
        elif h.path == "/introspect":
            self._introspect(h, form)
        else:
            self._reply(h, 404, {"error": "not_found"})

    def _refuse(self, h, grant, error, desc, status=400):
        with self.lock:
            self.requests.append((grant, error))
        self._reply(h, status, {"error": error, "error_description": desc,
                                "error_codes": [7000215],
                                "timestamp": time.strftime("%Y-%m-%d %H:%M:%SZ"),
                                "trace_id": secrets.token_hex(8)})

    def _token(self, h, form):
        grant = form.get("grant_type", "")
        if self.mode == "hang":
            # Longer than any client waits; the answer goes nowhere.
            with self.lock:
                self.requests.append((grant, "hang"))
            time.sleep(20)
            return
        if self.mode == "error500":
            with self.lock:
                self.requests.append((grant, "500"))
            h.send_response(500)
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        why = self._client_error(form)
        if why is None and self.mode == "invalid_client":
            why = "AADSTS7000215: Invalid client secret provided."
        if why is not None:
            return self._refuse(h, grant, "invalid_client", why, 401)
        if grant == "refresh_token":
            rt = form.get("refresh_token", "")
            with self.lock:
                ok = rt in self.refresh_tokens
            if not ok:
                return self._refuse(h, grant, "invalid_grant",
                                    "AADSTS70000: The refresh token is invalid.")
            with self.lock:
                self.refresh_used.append(rt)
        elif grant != "client_credentials":
            return self._refuse(h, grant, "unsupported_grant_type", grant)
        self._reply(h, 200, self._issue(grant))

    def _issue(self, grant):
        token = "eyJ0" + secrets.token_urlsafe(self.token_bytes)
        life = self.lifetime if self.lifetime is not None else self.expires_in
        answer = {"token_type": "Bearer", "expires_in": self.expires_in,
                  "ext_expires_in": self.expires_in, "access_token": token}
        with self.lock:
            self.tokens[token] = time.monotonic() + life
            if self.dead_next > 0:
                self.dead_next -= 1
                self.tokens[token] = 0
            self.issued.append(token)
            self.requests.append((grant, "ok"))
            if grant == "refresh_token" and self.rotate_refresh:
                rt = "1.AQ" + secrets.token_urlsafe(60)
                # Like Microsoft's: the old one stays valid too.
                self.refresh_tokens.add(rt)
                self.refresh_issued.append(rt)
                answer["refresh_token"] = rt
        return answer

    def _client_error(self, form):
        if form.get("client_id") != self.client_id:
            return "AADSTS700016: Application with identifier '%s' was not found." % form.get("client_id")
        if "client_assertion" in form:
            return self._assertion_error(form)
        if self.secret is None:
            # A public client (refresh token only) needs no secret.
            return None if form.get("grant_type") == "refresh_token" else \
                "AADSTS7000218: client_assertion or client_secret required."
        if not secrets.compare_digest(form.get("client_secret", ""), self.secret):
            return "AADSTS7000215: Invalid client secret provided."
        return None

    def _assertion_error(self, form):
        jwt = form["client_assertion"]
        with self.lock:
            self.assertions.append(jwt)
        if form.get("client_assertion_type") != ASSERTION_TYPE:
            return "AADSTS50027: bad client_assertion_type"
        if self.key is None:
            return "AADSTS700027: no certificate registered"
        try:
            head64, claims64, sig64 = jwt.split(".")
            head = json.loads(b64url_decode(head64))
            claims = json.loads(b64url_decode(claims64))
            sig = b64url_decode(sig64)
        except ValueError:
            return "AADSTS50027: JWT token is invalid or malformed."
        n, e, x5t = self.key
        now = time.time()
        checks = [
            (head.get("alg") == "RS256", "alg is not RS256"),
            (head.get("x5t") == x5t, "x5t does not match the certificate"),
            (rs256_verify(n, e, (head64 + "." + claims64).encode(), sig),
             "signature does not verify"),
            (claims.get("aud") == self.token_url, "aud is not the token URL"),
            (claims.get("iss") == self.client_id and
             claims.get("sub") == self.client_id, "iss/sub are not the client"),
            (claims.get("nbf", 0) <= now + 60, "not yet valid"),
            (claims.get("exp", 0) > now, "expired"),
            (claims.get("exp", 0) - now <= 3600, "lives too long"),
            (claims.get("jti") and claims.get("jti") not in self.jtis,
             "jti missing or replayed"),
        ]
        for ok, why in checks:
            if not ok:
                return "AADSTS700027: Client assertion failed: " + why
        with self.lock:
            self.jtis.add(claims["jti"])
        return None

    def _introspect(self, h, form):
        want = "Basic " + base64.b64encode(("%s:%s" % (
            self.introspect_user, self.introspect_password)).encode()).decode()
        if h.headers.get("Authorization") != want:
            return self._reply(h, 401, {"error": "unauthorized"})
        with self.lock:
            self.introspections += 1
        if self.introspect_mode == "error500":
            return self._reply(h, 500, {"error": "server_error"})
        token = form.get("token", "")
        with self.lock:
            exp = self.tokens.get(token)
        if exp is None or time.monotonic() >= exp:
            return self._reply(h, 200, {"active": False})
        self._reply(h, 200, {"active": True, "username": self.username,
                             "client_id": self.client_id,
                             "exp": int(time.time() + exp - time.monotonic())})


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--client-id", required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--secret")
    p.add_argument("--cert")
    p.add_argument("--refresh-token")
    p.add_argument("--expires-in", type=int, default=3600)
    a = p.parse_args()
    svc = TokenService(a.client_id, a.user, secret=a.secret, cert_file=a.cert,
                       refresh_token=a.refresh_token, port=a.port,
                       expires_in=a.expires_in).start()
    print("token_url = %s\nintrospection_url = %s" % (svc.token_url,
                                                      svc.introspection_url),
          flush=True)
    try:
        svc.thread.join()
    except KeyboardInterrupt:
        svc.stop()


if __name__ == "__main__":
    main()

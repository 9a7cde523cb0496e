"""Forgetting a person, keeping sent mail only for a while, and the audit
chain's key (SPEC sections 8, 9; issue 12 defect 5 and "Audit log").

A contact whose name has æøå (Søren Ærøskøbing) is nominated, balloted,
admitted and invited to a meeting; he writes to the pact himself. Then
`pactctl forget` and a dump of the whole database, every table and every
column, decoded the way a reader would decode it (MIME parts, quoted-
printable, base64, RFC 2047 words, folded calendar lines, JSON escapes),
must hold neither his name nor his address. His organisation's admission
and the votes on it stay, and the audit chain verifies.

Retention: the text of mail sent 31 days before a pass is gone, its row is
still listed; queued mail keeps its text. Audit key: verify-log names the
chain it checked, an HMAC chain is not accepted without its key, with the
wrong key or with an entry recomputed without it."""

import base64
import binascii
import datetime
import email
import email.header
import email.policy
import hashlib
import json
import os
import quopri
import re
import sqlite3
import subprocess
import unittest

from pactlib import BUILD, PACT, clear_mailbox, folder_message_ids, make_mail, parse, text_of
from test_meetings import meeting_body
from test_workflow import CVR, NINA, SECRETARIAT, Workflow, who

NAME = "Søren Ærøskøbing"
ADDR = NINA
ORG = "Ærø Data ApS"
SURNAME = "Ærøskøbing"
VOTERS = ["mette@em.example.test", "anne@di.example.test", "jens@danskerhverv.example.test",
          "sofie@itb.example.test", "peter@industriensfond.example.test", "pia@smvdanmark.example.test"]


def fold(s):
    """Lower case with every run of white space one space."""
    return re.sub(r"\s+", " ", s).casefold()


def rfc2047(s):
    try:
        return str(email.header.make_header(email.header.decode_header(s)))
    except Exception:
        return s


def mail_texts(raw):
    """Every header and every part of a mail, decoded."""
    out = []
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    for part in msg.walk():
        for k, v in part.items():
            out.append("%s: %s" % (k, rfc2047(v)))
        payload = part.get_payload(decode=True)
        if payload:
            text = payload.decode("utf-8", "replace")
            out.append(text)
            out.append(re.sub(r"\r?\n[ \t]", "", text))  # iCalendar lines unfolded
    return out


def decodings(value):
    """value as stored and every decoding a reader might try."""
    if value is None or isinstance(value, (int, float)):
        return []
    raw = value if isinstance(value, bytes) else value.encode("utf-8", "surrogateescape")
    text = raw.decode("utf-8", "replace")
    out = [text, rfc2047(text), quopri.decodestring(raw).decode("utf-8", "replace")]
    if b"\n" in raw and re.search(rb"(?im)^(content-type|subject|from|to):", raw):
        out += mail_texts(raw)
    for run in re.findall(rb"[A-Za-z0-9+/=\r\n]{16,}", raw):
        try:
            out.append(base64.b64decode(re.sub(rb"\s", b"", run) + b"==", validate=False)
                       .decode("utf-8", "replace"))
        except (binascii.Error, ValueError):
            pass
    if text.strip()[:1] in ("{", "["):
        try:
            out.append(json.dumps(json.loads(text), ensure_ascii=False))
        except ValueError:
            pass
    out.append(text.encode("utf-8").decode("unicode_escape", "replace") if "\\u" in text else "")
    return out


def dump_db(path):
    """(table, column, rowid, value) for every cell of every table."""
    db = sqlite3.connect(path)
    try:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")]
        for t in tables:
            cols = [r[1] for r in db.execute('PRAGMA table_info("%s")' % t)]
            for row in db.execute('SELECT rowid, %s FROM "%s"' % (", ".join('"%s"' % c for c in cols), t)):
                for c, v in zip(cols, row[1:]):
                    yield t, c, row[0], v
    finally:
        db.close()


def findings(path, needles):
    """Where any needle is found in the database, decoded."""
    wanted = [fold(n) for n in needles]
    found = []
    for t, c, rowid, v in dump_db(path):
        for d in decodings(v):
            f = fold(d)
            for n in wanted:
                if n in f:
                    found.append("%s.%s rowid %s: %r" % (t, c, rowid, n))
    return sorted(set(found))


class Forget(Workflow):
    """Søren Ærøskøbing, admitted as Ærø Data ApS's contact, forgotten."""

    def admit(self):
        ref = self.open_ballot("anne@di.example.test", ORG, "%s <%s>" % (NAME, ADDR), cvr=CVR)
        for addr in VOTERS:
            self.vote_ok("gmail", addr, ref, "Ja")
        self.assertEqual(self.tally(ref)[0], "approved")
        welcome = self.wait_mail(ADDR, lambda m: "Velkommen" in (m["Subject"] or ""))
        self.assertEqual(len(welcome), 1)
        self.assertIn(NAME, str(welcome[0]["To"]))
        return ref

    def test_forget_finds_nothing_decoded(self):
        ref = self.admit()
        # an invitation: the name also in the calendar (8bit and base64)
        raw, mid = make_mail(SECRETARIAT, "MØDE", meeting_body(start="2027-03-01 10:00", location="Odense"))
        self.submit((raw, SECRETARIAT))
        self.assertIn(mid, folder_message_ids(PACT, "pactd/Processed"))
        invites = self.wait_mail(ADDR, lambda m: (m["Message-ID"] or "").startswith("<m-"))
        self.assertEqual(len(invites), 1, self.pact.logtext()[-2000:])
        # he writes himself: an initiative and an overview
        raw, mid = make_mail("%s <%s>" % (email.header.Header(NAME, "utf-8").encode(), ADDR), "INITIATIV",
                             "Hej\n\nTitel: Sikkerhedstjek på Ærø\nBeskrivelse: Tjek for 20 SMV'er, "
                             "ved %s.\nFormål: 1\n\nVenlig hilsen\n%s\n" % (NAME, NAME))
        self.submit((raw, ADDR))
        self.reply_to(ADDR, mid)
        raw, mid = make_mail("%s <%s>" % (email.header.Header(NAME, "utf-8").encode(), ADDR), "OVERBLIK",
                             "Hej\n")
        self.submit((raw, ADDR))
        self.reply_to(ADDR, mid)
        # a mail that waits: one to him, one to a delegate that names him
        db = sqlite3.connect(self.pact.db)
        for kind, to in (("welcome", ADDR), ("ballot", "bo@di.example.test")):
            db.execute("INSERT INTO outbox(message_id, rcpt, kind, ref, subject, data, next_try, created) "
                       "SELECT 'queued-' || message_id, rcpt, kind, ref, subject, data, ?, created FROM outbox "
                       "WHERE rcpt = ? AND kind = ? ORDER BY id LIMIT 1",
                       (int(self.t.timestamp()) + 7 * 86400, to, kind))
        db.commit()
        queued = dict(db.execute("SELECT rcpt, id FROM outbox WHERE message_id LIKE 'queued-%'").fetchall())
        db.close()
        self.assertEqual(sorted(queued), sorted([ADDR, "bo@di.example.test"]), "queued copies")

        before_db = findings(self.pact.db, [NAME, SURNAME, ADDR])
        self.assertTrue(any(f.startswith("outbox.data") for f in before_db), before_db)
        before = self.ballot(ref)
        members_before = self.pact.ctl("members")

        p = self.pact.ctl("forget", ADDR, json_out=False)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(str(queued[ADDR]), p.stderr, "a line for the mail that is not sent")

        # nowhere, decoded, nor in the file's bytes
        self.assertEqual(findings(self.pact.db, [NAME, SURNAME, ADDR]), [])
        with open(self.pact.db, "rb") as f:
            data = f.read()
        for needle in (NAME, SURNAME, ADDR, "S=C3=B8ren", "=C3=86r=C3=B8sk=C3=B8bing"):
            self.assertNotIn(needle.encode(), data, needle)
        # the mail to him does not go; the one naming him goes redacted
        out = {m["id"]: m for m in self.pact.ctl("outbox")}
        self.assertEqual(out[queued[ADDR]]["state"], "failed")
        self.assertEqual(out[queued["bo@di.example.test"]]["state"], "queued")
        db = sqlite3.connect(self.pact.db)
        kept = db.execute("SELECT data FROM outbox WHERE id = ?", (queued["bo@di.example.test"],)).fetchone()[0]
        db.close()
        msg = parse(kept if isinstance(kept, bytes) else kept.encode())
        self.assertIn(ORG, text_of(msg))
        self.assertIn("[forgotten]", text_of(msg))
        # the admission and the votes stay
        after = self.ballot(ref)
        self.assertEqual((after["state"], after["yes"], after["no"], after["abstain"], after["not_voted"]),
                         (before["state"], before["yes"], before["no"], before["abstain"], before["not_voted"]))
        self.assertEqual(sorted((v["party"], v["vote"]) for v in after["votes"]),
                         sorted((v["party"], v["vote"]) for v in before["votes"]))
        self.assertEqual([(m["ref"], m["state"]) for m in self.pact.ctl("members")],
                         [(m["ref"], m["state"]) for m in members_before])
        p = self.pact.ctl("verify-log", json_out=False)
        self.assertRegex(p.stdout, r"^ok \(SHA-256 chain, \d+ entries\)$")
        # the redacted mail still goes, as a mail a client reads
        clear_mailbox("bo@di.example.test")
        self.step(at=self.t + datetime.timedelta(days=8))
        got = self.wait_mail("bo@di.example.test", lambda m: "[forgotten]" in text_of(m))
        self.assertEqual(len(got), 1, self.pact.logtext()[-2000:])
        self.assertIn(ORG, text_of(got[0]))
        self.assertNotIn(fold(NAME), fold(text_of(got[0])))
        self.assertEqual(findings(self.pact.db, [NAME, SURNAME, ADDR]), [])


class Retention(Workflow):
    overrides = {("security", "outbox_retention_days"): "30"}

    def body(self, mid):
        db = sqlite3.connect(self.pact.db)
        try:
            return db.execute("SELECT length(data) FROM outbox WHERE message_id = ?", (mid,)).fetchone()[0]
        finally:
            db.close()

    def test_sent_bodies_dropped_queued_kept(self):
        raw, mid = make_mail(who("anne@di.example.test"), "OVERBLIK", "Hej\n")
        self.submit((raw, "anne@di.example.test"))
        r, _ = self.reply_to("anne@di.example.test", mid)
        sent = r["Message-ID"].strip("<>")
        self.assertGreater(self.body(sent), 0)
        # a mail that waits (its next try far ahead), from the same day
        db = sqlite3.connect(self.pact.db)
        db.execute("INSERT INTO outbox(message_id, rcpt, kind, ref, subject, data, next_try, created) "
                   "SELECT 'waiting-' || message_id, rcpt, kind, ref, subject, data, ?, created FROM outbox "
                   "WHERE message_id = ?", (int(self.t.timestamp()) + 90 * 86400, sent))
        db.commit()
        db.close()
        self.step(at=self.t + datetime.timedelta(days=29))
        self.assertGreater(self.body(sent), 0, "kept for 30 days")
        self.step(at=self.t + datetime.timedelta(days=31))
        self.assertEqual(self.body(sent), 0, self.pact.logtext()[-1500:])
        self.assertGreater(self.body("waiting-" + sent), 0, "queued mail keeps its text")
        rows = {m["message_id"]: m for m in self.pact.ctl("outbox")}
        self.assertEqual(rows[sent]["state"], "sent")
        self.assertEqual(rows[sent]["to"], "anne@di.example.test")
        self.assertIn("dropped the text of", self.pact.logtext())


def ctl(conf, *args, json_out=True, env=None):
    cmd = [os.path.join(BUILD, "pactctl"), "-c", conf] + (["--json"] if json_out else []) + list(args)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env)
    return p, (json.loads(p.stdout) if json_out and p.stdout.strip() else None)


def plain_digest(head, fields):
    """The plain chain's SHA-256 of length-prefixed fields, as anyone who
    can write the database can compute it."""
    return hashlib.sha256(head.encode() + b"".join(
        b"-" if v is None else b"%d:%s" % (len(v.encode()), v.encode()) for v in fields)).hexdigest()


class AuditKey(Workflow):
    KEY = "k3y-f0r-the-p4ct-audit-chain-0123456789"

    def write_key(self, name, key):
        path = os.path.join(self.pact.dir, name)
        with open(path, "w") as f:
            f.write(key + "\n")
        os.chmod(path, 0o600)
        return path

    def set_key(self, name):
        with open(self.pact.conf, "a") as f:
            f.write("[security]\naudit_key_file = %s\n\n" % name)

    def some_mail(self):
        raw, mid = make_mail(who("anne@di.example.test"), "OVERBLIK", "Hej\n")
        self.submit((raw, "anne@di.example.test"))
        self.reply_to("anne@di.example.test", mid)

    def test_plain_chain_then_key(self):
        self.some_mail()
        p, out = ctl(self.pact.conf, "verify-log")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual((out["ok"], out["mode"]), (True, "SHA-256"))
        p, _ = ctl(self.pact.conf, "verify-log", json_out=False)
        self.assertRegex(p.stdout, r"^ok \(SHA-256 chain, %d entries\)$" % out["entries"])
        plain = out["entries"]
        # a key for an existing log: pactctl alone finds it unsealed
        self.write_key("audit.key", self.KEY)
        self.set_key("audit.key")
        p, out = ctl(self.pact.conf, "verify-log")
        self.assertEqual((p.returncode, out["ok"], out["mode"]), (1, False, "HMAC-SHA256"), out)
        self.assertEqual(out["first_broken"], plain)
        # pactd seals it at its start; new entries are HMAC entries
        self.some_mail()
        self.assertIn("sealed with the audit key", self.pact.logtext())
        p, out = ctl(self.pact.conf, "verify-log")
        self.assertEqual((p.returncode, out["ok"], out["mode"], out["before_key"]), (0, True, "HMAC-SHA256", plain),
                         out)
        p, _ = ctl(self.pact.conf, "verify-log", json_out=False)
        self.assertRegex(p.stdout, r"^ok \(HMAC-SHA256 chain, %d entries" % out["entries"])
        # an entry written before the key, changed and the plain chain
        # recomputed after it: the first entry sealed with the key says so
        db = sqlite3.connect(self.pact.db)
        db.execute("UPDATE log SET detail = 'x' WHERE id = 2")
        prev = db.execute("SELECT hash FROM log WHERE id = 1").fetchone()[0]
        for i in range(2, plain + 1):
            row = db.execute("SELECT id, at, event, ref, message_id, detail FROM log WHERE id = ?", (i,)).fetchone()
            payload = plain_digest("pactd-payload\n", row[4:6])
            h = plain_digest("pactd-entry 2\n%d;%d;" % row[:2], (row[2], row[3], payload, prev))
            db.execute("UPDATE log SET scheme = 2, payload = ?, prev = ?, hash = ? WHERE id = ?", (payload, prev, h, i))
            prev = h
        db.commit()
        db.close()
        p, out = ctl(self.pact.conf, "verify-log")
        self.assertEqual((p.returncode, out["ok"]), (1, False), out)
        self.assertEqual(out["first_broken"], plain + 1, out)

    def test_hmac_chain(self):
        self.write_key("audit.key", self.KEY)
        self.set_key("audit.key")
        self.some_mail()
        p, _ = ctl(self.pact.conf, "verify-log", json_out=False)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertRegex(p.stdout, r"^ok \(HMAC-SHA256 chain, \d+ entries\)$")
        n = int(re.search(r"(\d+) entries", p.stdout).group(1))
        # the wrong key
        conf2 = self.pact.conf + ".wrong"
        with open(self.pact.conf) as f:
            text = f.read()
        self.write_key("wrong.key", self.KEY[::-1])
        with open(conf2, "w") as f:
            f.write(text.replace("audit_key_file = audit.key", "audit_key_file = wrong.key"))
        p, out = ctl(conf2, "verify-log")
        self.assertEqual((p.returncode, out["ok"], out["first_broken"]), (1, False, 1), out)
        self.assertIn("HMAC", out["reason"])
        # no key at all: an HMAC chain is not checked as a plain one
        with open(conf2, "w") as f:
            f.write(text.replace("audit_key_file = audit.key", "audit_key_file ="))
        p, out = ctl(conf2, "verify-log")
        self.assertEqual((p.returncode, out["ok"], out["first_broken"]), (1, False, 1), out)
        # the key as a systemd credential instead of the file
        creds = os.path.join(self.pact.dir, "creds")
        os.makedirs(creds)
        os.rename(os.path.join(self.pact.dir, "audit.key"), os.path.join(creds, "audit-key"))
        env = dict(os.environ, CREDENTIALS_DIRECTORY=creds)
        p, out = ctl(conf2, "verify-log", env=env)
        self.assertEqual((p.returncode, out["ok"], out["mode"], out["entries"]), (0, True, "HMAC-SHA256", n), out)
        # an entry recomputed the way anyone who can write the database can
        db = sqlite3.connect(self.pact.db)
        row = db.execute("SELECT id, at, event, ref, payload, prev FROM log WHERE id = 2").fetchone()
        h = plain_digest("pactd-entry 2\n%d;%d;" % row[:2], row[2:])
        db.execute("UPDATE log SET scheme = 2, hash = ? WHERE id = 2", (h,))
        db.commit()
        db.close()
        p, out = ctl(conf2, "verify-log", env=env)
        self.assertEqual((p.returncode, out["ok"], out["first_broken"]), (1, False, 2), out)
        self.assertIn("no HMAC", out["reason"])


if __name__ == "__main__":
    unittest.main()

"""Sender authentication and TLS (SPEC sections 4, 6, 7, 8; issue 7 item 3).

A catalogue of forged votes, one test each: none may count (the ballot's
tally stays as it was) and each must leave a trace (a "mail processed" audit
entry naming the message with its outcome, rejected, quarantine or ignored,
and no "vote counted" entry). Then pactd against servers that speak TLS only:
a private Dovecot (IMAP STARTTLS, imaps, submission with STARTTLS and
implicit TLS) whose certificate is signed by a CA made at test time, with the
right CA, the wrong CA, no CA and the wrong host name.

Mail is put into the pact's INBOX with IMAP APPEND (the trusted MX's
Authentication-Results are written on top by the test, as the MX would);
pactd runs with `--once`; every Pact's log is kept in
$TMPDIR/pactd-security-logs/<test>.log."""

import datetime
import os
import re
import shutil
import socket
import tempfile
import time
import unittest

import clients
from pactlib import (PACT, clear_mailbox, cvr, folder_message_ids, make_mail,
                     make_pact, parse, replies_to, sandbox, sandbox_mod, text_of)

PROCESSED = "pactd/Processed"
REJECTED = "pactd/Rejected"
QUARANTINE = "pactd/Quarantine"
IGNORED = "pactd/Ignored"
FOLDERS = {PROCESSED: "processed", REJECTED: "rejected", QUARANTINE: "quarantine", IGNORED: "ignored"}
LOGS = os.path.join(tempfile.gettempdir(), "pactd-security-logs")

PARTIES = {
    "EM": ["mette@em.example.test"],
    "DI": ["anne@di.example.test", "bo@di.example.test"],
    "DE": ["jens@danskerhverv.example.test"],
    "ITB": ["sofie@itb.example.test"],
    "IF": ["peter@industriensfond.example.test"],
    "SMVDK": ["pia@smvdanmark.example.test"],
    "IDA": ["lise@ida.example.test"],
    "FD": ["eva@finansdanmark.example.test"],
    "HK": ["mads@hk.example.test"],
    "FP": ["ole@forsikringogpension.example.test"],
}
DELEGATES = [a for addrs in PARTIES.values() for a in addrs]
PARTY_OF = {a: p for p, addrs in PARTIES.items() for a in addrs}
ANNE, BO, METTE, JENS = "anne@di.example.test", "bo@di.example.test", "mette@em.example.test", \
    "jens@danskerhverv.example.test"
STRANGER = "mallory@attacker.example.net"
NOMINEES = ["karen@acme.example.test", "nina@aeroedata.example.test"]
TOKEN = r"[a-z2-7]{20,}"
TRUSTED = "mx.example.test"


def with_ar(raw, *results):
    """raw with Authentication-Results headers on top, the first topmost."""
    return b"".join(b"Authentication-Results: " + r.encode() + b"\r\n" for r in results) + raw


def keep_log(test, pact):
    os.makedirs(LOGS, exist_ok=True)
    if os.path.exists(pact.logfile):
        shutil.copy(pact.logfile, os.path.join(LOGS, test.id().split(".")[-1] + ".log"))


class Votes(unittest.TestCase):
    """A Pact of its own per test; ballots opened by nominations from DI."""

    overrides = {}

    def setUp(self):
        self.sb = sandbox()
        self.pact = make_pact(self.overrides)
        for addr in DELEGATES + NOMINEES:
            clear_mailbox(addr)

    def tearDown(self):
        keep_log(self, self.pact)
        self.pact.cleanup()

    # ------------------------------------------------------------ running
    def run_pact(self, *raws):
        """APPEND the mails to the pact's INBOX and run one pass."""
        for raw in raws:
            self.sb.append(PACT, raw)
        rc, err = self.pact.once()
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.sb.count(PACT, "INBOX"), 0, "mail left in INBOX\n" + err)
        return err

    def outcome(self, mid):
        """The folder (outcome name) the message was moved to."""
        found = [name for folder, name in FOLDERS.items() if mid in folder_message_ids(PACT, folder)]
        self.assertEqual(len(found), 1, "<%s> in folders %r" % (mid, found))
        return found[0]

    def log_entries(self, mid):
        return [e for e in self.pact.ctl("log") if e.get("message_id") == mid]

    def assert_refused(self, mid, outcome, ref=None, before=None):
        """mid was moved to the folder of `outcome`, an audit entry says so,
        no vote was counted from it and (with ref) the tally is `before`."""
        self.assertEqual(self.outcome(mid), outcome, self.pact.logtext()[-2000:])
        entries = self.log_entries(mid)
        self.assertTrue(any(e["event"] == "mail processed" and outcome in (e.get("detail") or "")
                            for e in entries), "no audit entry for <%s>: %r" % (mid, entries))
        self.assertFalse([e for e in entries if e["event"] == "vote counted"], entries)
        if ref is not None:
            self.assertEqual(self.tally(ref), before)

    # ------------------------------------------------------------ ballots
    def open_ballot(self, org, seed, sender=ANNE):
        dialogue = (datetime.date.today() - datetime.timedelta(days=10)).isoformat()
        body = ("Hej sekretariat,\n\nOrganisation: %s\nType: virksomhed\nCVR: %s\n"
                "Kontakt: Karen Madsen <%s>\nDialog: %s\nPrincipper: ja\nInitiativer:\n"
                "- Gratis sikkerhedstjek for 100 SMV'er\n- Webinarer om phishing\n"
                "Sammenhæng: Initiativerne tjener formål 1 og 3.\n\nVenlig hilsen\nAnne\n"
                % (org, cvr(seed), NOMINEES[seed % 2], dialogue))
        raw, mid = make_mail(sender, "INDSTILLING", body)
        self.run_pact(raw)
        r = replies_to(sender, mid)
        self.assertEqual(len(r), 1, self.pact.logtext()[-2000:])
        m = re.search(r"\[(PAGT-\d{4}-\d{4})\]", r[0]["Subject"])
        self.assertIsNotNone(m, r[0]["Subject"])
        ref = m.group(1)
        self.assertEqual(self.tally(ref), ("open", 0, 0, 0, 10))
        return ref

    def ballot_mail(self, addr, ref):
        """The parsed ballot mail for ref in addr's mailbox."""
        deadline = time.time() + 20
        while True:
            for raw in self.sb.messages(addr):
                m = parse(raw)
                if (m["Message-ID"] or "").startswith("<v-") and "[%s]" % ref in (m["Subject"] or ""):
                    m.raw = raw
                    return m
            if time.time() >= deadline:
                self.fail("no ballot mail for %s in %s's mailbox" % (ref, addr))
            time.sleep(0.1)

    def token(self, addr, ref):
        m = self.ballot_mail(addr, ref)
        rt = re.fullmatch(r"pagt\+v-(%s)@example\.test" % TOKEN, str(m["Reply-To"]).strip())
        self.assertIsNotNone(rt, m["Reply-To"])
        return rt.group(1)

    def vote_mail(self, sender, ballot, word, to=None, headers=None, subject=None):
        """A plain reply by `sender` to the parsed ballot mail `ballot`: to
        its Reply-To (or `to`), threaded under it, `word` on the first line."""
        h = {"In-Reply-To": ballot["Message-ID"], "References": ballot["Message-ID"]}
        h.update(headers or {})
        return make_mail(sender, subject or "SV: " + str(ballot["Subject"]), word + "\n\nVenlig hilsen\n",
                         to=to or str(ballot["Reply-To"]), headers=h)

    def tally(self, ref):
        b = self.pact.ctl("ballot", ref)
        return (b["state"], b["yes"], b["no"], b["abstain"], b["not_voted"])

    def votes(self, ref):
        return {v["party"]: v["vote"] for v in self.pact.ctl("ballot", ref)["votes"]}

    def counted(self, sender, ballot, word, ref, **kw):
        """A genuine vote that must count; returns its Message-ID."""
        raw, mid = self.vote_mail(sender, ballot, word, **kw)
        self.run_pact(raw)
        self.assertEqual(self.outcome(mid), "processed", self.pact.logtext()[-2000:])
        self.assertTrue([e for e in self.log_entries(mid) if e["event"] == "vote counted"])
        return mid

    def replies_sent(self):
        """How many answers (not ballots) the outbox holds."""
        return len([b for b in self.pact.ctl("outbox") if b["kind"] == "reply"])

    def no_mail_to(self, *addrs):
        box = self.pact.ctl("outbox")
        for a in addrs:
            self.assertEqual([b for b in box if b["to"].lower() == a.lower()], [], a)


# ======================================================= vote_auth = token
class ForgedVotes(Votes):
    def test_stranger_with_the_right_token(self):
        ref = self.open_ballot("Stranger ApS", 1)
        ballot = self.ballot_mail(ANNE, ref)
        before = self.tally(ref)
        cases = [
            ("plain", STRANGER),
            # the display name pretends to be Anne; the address is Mallory's
            ("display name", '"%s" <%s>' % (ANNE, STRANGER)),
            ("lookalike domain", "Anne Holm <anne@di.example.test.attacker.example.net>"),
        ]
        for label, sender in cases:
            with self.subTest(case=label):
                raw, mid = self.vote_mail(sender, ballot, "Ja")
                self.run_pact(raw)
                self.assert_refused(mid, "quarantine", ref, before)
                self.assertEqual(replies_to(ANNE, mid, timeout=0.5), [])
        # no reply to anybody: not the stranger, not the delegate whose token it was
        self.no_mail_to(STRANGER, "anne@di.example.test.attacker.example.net")
        self.assertEqual(self.replies_sent(), 1)  # the nomination's receipt only
        self.assertEqual(self.votes(ref), {})

    def test_other_partys_delegate_with_the_right_token(self):
        ref = self.open_ballot("Forkert Part ApS", 2)
        ballot = self.ballot_mail(ANNE, ref)      # DI's ballot mail, DI's token
        before = self.tally(ref)
        raw, mid = self.vote_mail(JENS, ballot, "Ja")  # DE's delegate
        self.run_pact(raw)
        self.assert_refused(mid, "rejected", ref, before)
        r = replies_to(JENS, mid)
        self.assertEqual(len(r), 1)
        self.assertIn("anden part", text_of(r[0]))
        self.assertEqual(self.votes(ref), {})
        # DE can still vote with its own token, and DI with its own
        self.counted(JENS, self.ballot_mail(JENS, ref), "Nej", ref)
        self.counted(BO, self.ballot_mail(BO, ref), "Ja", ref)
        self.assertEqual(self.votes(ref), {"DE": "no", "DI": "yes"})

    def test_right_from_with_another_partys_token(self):
        ref = self.open_ballot("Lånt Kode ApS", 3)
        em = self.ballot_mail(METTE, ref)          # EM's token
        di = self.ballot_mail(ANNE, ref)
        before = self.tally(ref)
        cases = [
            # Anne answers EM's ballot mail (forwarded to her) as it stands
            ("reply to EM's mail", dict(ballot=em)),
            # EM's token address in To, her own ballot in In-Reply-To
            ("EM's token in To", dict(ballot=di, to=str(em["Reply-To"]))),
            # only the quoted footer line names EM's token
            ("EM's Ref line quoted", None),
        ]
        for label, kw in cases:
            with self.subTest(case=label):
                if kw is None:
                    footer = [l for l in text_of(em).splitlines() if l.startswith("Ref: ")][0]
                    raw, mid = make_mail(ANNE, "SV: " + str(em["Subject"]),
                                         "Ja\n\n> %s\n" % footer)
                else:
                    raw, mid = self.vote_mail(ANNE, kw["ballot"], "Ja", to=kw.get("to"))
                self.run_pact(raw)
                self.assert_refused(mid, "rejected", ref, before)
                self.assertIn("anden part", text_of(replies_to(ANNE, mid)[0]))
        self.assertEqual(self.votes(ref), {})

    def test_token_from_another_ballot(self):
        ref_a = self.open_ballot("Ballot A ApS", 4)
        ref_b = self.open_ballot("Ballot B ApS", 5)
        self.assertNotEqual(ref_a, ref_b)
        a_di, b_di, b_de = (self.ballot_mail(ANNE, ref_a), self.ballot_mail(ANNE, ref_b),
                            self.ballot_mail(JENS, ref_b))
        tok_a, tok_b = self.token(ANNE, ref_a), self.token(ANNE, ref_b)
        self.assertNotEqual(tok_a, tok_b)
        before_a = self.tally(ref_a)

        # DI's token of B on a mail that names A by subject and threading: the token
        # decides (SPEC 2), so it is a vote on B; A's tally does not move
        raw, mid = self.vote_mail(ANNE, a_di, "Nej", to=str(b_di["Reply-To"]))
        self.run_pact(raw)
        self.assertEqual(self.tally(ref_a), before_a)
        self.assertNotIn("DI", self.votes(ref_a))
        self.assertFalse([e for e in self.log_entries(mid) if e["event"] == "vote counted"
                          and e.get("ref") == ref_a])
        r = replies_to(ANNE, mid)
        self.assertEqual(len(r), 1)
        self.assertIn(ref_b, text_of(r[0]))
        self.assertEqual(self.votes(ref_b).get("DI"), "no")

        # DE's token of B, A's subject tag, from DI: refused, neither ballot moves
        before_b = self.tally(ref_b)
        raw, mid = self.vote_mail(BO, a_di, "Ja", to=str(b_de["Reply-To"]), headers={
            "In-Reply-To": None, "References": None})
        self.run_pact(raw)
        self.assert_refused(mid, "rejected", ref_a, before_a)
        self.assertEqual(self.tally(ref_b), before_b)

        # a spliced Message-ID: B's token with A's reference in In-Reply-To
        spliced = "<v-%s.%s.1@example.test>" % (tok_b, ref_a)
        raw, mid = make_mail(BO, "SV: " + str(a_di["Subject"]), "Ja\n", to=PACT,
                             headers={"In-Reply-To": spliced, "References": spliced})
        self.run_pact(raw)
        self.assertEqual(self.tally(ref_a), before_a)
        self.assertFalse([e for e in self.log_entries(mid) if e["event"] == "vote counted"
                          and e.get("ref") == ref_a])

    def test_out_of_office_reply_carrying_the_token(self):
        ref = self.open_ballot("Ferie ApS", 6)
        before = self.tally(ref)
        eva, ole, pia = ("eva@finansdanmark.example.test", "ole@forsikringogpension.example.test",
                         "pia@smvdanmark.example.test")
        # Exchange: Auto-Submitted, "Automatisk svar:", sent to From:, the token in
        # In-Reply-To/References and the quoted Ref line
        raw1, m1 = clients.reply("ooo", self.ballot_mail(eva, ref).raw, eva, "")
        # the same, sent to the token address
        raw2, m2 = clients.reply("ooo", self.ballot_mail(ole, ref).raw, ole, "", to="reply-to")
        # no Auto-Submitted: only the subject says it is automatic; it starts "Ja"
        raw3, m3 = clients.reply("ooo", self.ballot_mail(pia, ref).raw, pia, "Ja, jeg er tilbage mandag",
                                 to="reply-to")
        raw3 = re.sub(rb"(?im)^(Auto-Submitted|X-Auto-Response-Suppress):.*\r\n", b"", raw3)
        self.assertIn(b"Subject: Automatisk svar:", raw1)
        self.assertNotIn(b"Auto-Submitted", raw3)
        self.run_pact(raw1, raw2, raw3)
        for who, mid in ((eva, m1), (ole, m2), (pia, m3)):
            with self.subTest(sender=who):
                self.assert_refused(mid, "ignored", ref, before)
                self.assertEqual(replies_to(who, mid, timeout=0.5), [])
        self.assertEqual(self.replies_sent(), 1)  # the nomination's receipt only

    def test_replayed_vote_after_close(self):
        ref = self.open_ballot("Genspil ApS", 7)
        di = self.ballot_mail(ANNE, ref)
        # DI votes no, then changes its vote to yes
        raw_no, mid_no = self.vote_mail(ANNE, di, "Nej")
        self.run_pact(raw_no)
        self.assertEqual(self.votes(ref), {"DI": "no"})
        self.counted(BO, self.ballot_mail(BO, ref), "Ja", ref)
        # five more yes: six of ten, the outcome cannot change, the ballot closes
        for addr in (METTE, JENS, "sofie@itb.example.test", "peter@industriensfond.example.test",
                     "pia@smvdanmark.example.test"):
            self.counted(addr, self.ballot_mail(addr, ref), "Ja", ref)
        self.assertEqual(self.tally(ref), ("approved", 6, 0, 0, 4))
        log_before = [e for e in self.pact.ctl("log") if e["event"] == "vote counted"]
        # the captured "Nej" sent again with a new Message-ID (and a new Date)
        new_mid = "replay-%d@client.example.test" % os.getpid()
        replay = raw_no.replace(("<%s>" % mid_no).encode(), ("<%s>" % new_mid).encode())
        self.assertNotEqual(replay, raw_no)
        self.run_pact(replay)
        self.assert_refused(new_mid, "rejected", ref, ("approved", 6, 0, 0, 4))
        self.assertEqual(self.votes(ref)["DI"], "yes")
        self.assertEqual([e for e in self.pact.ctl("log") if e["event"] == "vote counted"], log_before)
        r = replies_to(ANNE, new_mid)
        self.assertEqual(len(r), 1)
        self.assertIn("lukket", text_of(r[0]))
        self.assertIn(ref, text_of(r[0]))
        # the very same mail again (same Message-ID): no new effect, no second reply
        self.run_pact(replay)
        time.sleep(1.5)
        self.assertEqual(len(replies_to(ANNE, new_mid, timeout=0.5)), 1)


# ================================================= vote_auth = token+dmarc
class TokenAndDmarc(Votes):
    overrides = {("security", "vote_auth"): "token+dmarc",
                 ("security", "trusted_authserv_id"): TRUSTED}

    def ar_vote(self, sender, ref, word, *results, **kw):
        raw, mid = self.vote_mail(sender, self.ballot_mail(sender, ref), word, **kw)
        self.run_pact(with_ar(raw, *results))
        return mid

    def test_forged_pass_below_the_trusted_header(self):
        ref = self.open_ballot("Under ApS", 11)
        before = self.tally(ref)
        mid = self.ar_vote(ANNE, ref, "Ja",
                           "%s; dkim=none; spf=fail smtp.mailfrom=di.example.test; dmarc=fail (p=reject) "
                           "header.from=di.example.test" % TRUSTED,
                           "%s; dkim=pass header.d=di.example.test; dmarc=pass header.from=di.example.test"
                           % TRUSTED)
        self.assert_refused(mid, "rejected", ref, before)
        self.assertIn("DMARC", text_of(replies_to(ANNE, mid)[0]))

    def test_forged_pass_above_with_another_authserv_id(self):
        ref = self.open_ballot("Over ApS", 12)
        before = self.tally(ref)
        trusted_fail = "%s; dmarc=fail (p=reject) header.from=%%s" % TRUSTED
        forged_ids = ["mx.attacker.example.net", "mx.example.test.attacker.example.net",
                      "mx.example.testx", "mx-example.test"]
        voters = [METTE, JENS, "sofie@itb.example.test", "peter@industriensfond.example.test"]
        for forged, voter in zip(forged_ids, voters):
            with self.subTest(authserv_id=forged):
                dom = voter.split("@")[1]
                mid = self.ar_vote(voter, ref, "Ja",
                                   "%s; dkim=pass header.d=%s; dmarc=pass header.from=%s" % (forged, dom, dom),
                                   trusted_fail % dom)
                self.assert_refused(mid, "rejected", ref, before)
        # with no header of the trusted server at all
        mid = self.ar_vote("pia@smvdanmark.example.test", ref, "Ja",
                           "mx.attacker.example.net; dmarc=pass header.from=smvdanmark.example.test")
        self.assert_refused(mid, "rejected", ref, before)
        self.assertEqual(self.votes(ref), {})

    def test_trusted_pass_counts(self):
        ref = self.open_ballot("Ægte ApS", 13)
        # a pass from the trusted server, topmost
        self.ar_vote(JENS, ref, "Ja", "%s; spf=pass smtp.mailfrom=danskerhverv.example.test; "
                     "dmarc=pass (p=reject) header.from=danskerhverv.example.test" % TRUSTED)
        # a forged fail above it (another id) and below it: the trusted pass stands
        self.ar_vote(METTE, ref, "Nej",
                     "mx.attacker.example.net; dmarc=fail header.from=em.example.test",
                     "%s; dmarc=pass header.from=em.example.test" % TRUSTED,
                     "%s; dmarc=fail header.from=em.example.test" % TRUSTED)
        # the id in another case, and a version number after it (RFC 8601)
        self.ar_vote(ANNE, ref, "Undlad", "MX.Example.Test 1; dmarc=pass header.from=di.example.test")
        self.assertEqual(self.votes(ref), {"DE": "yes", "EM": "no", "DI": "abstain"})
        self.assertEqual(self.tally(ref), ("open", 1, 1, 1, 7))

    def test_dmarc_fail_with_the_right_token(self):
        ref = self.open_ballot("Fejl DMARC ApS", 14)
        before = self.tally(ref)
        for label, voter, results in [
                ("fail", ANNE, ["%s; dmarc=fail (p=none) header.from=di.example.test" % TRUSTED]),
                ("no header", METTE, []),
                ("none", JENS, ["%s; dmarc=none header.from=danskerhverv.example.test" % TRUSTED]),
                # DKIM passes, but for another domain, and DMARC says fail
                ("unaligned dkim", "sofie@itb.example.test",
                 ["%s; dkim=pass header.d=attacker.example.net; dmarc=fail header.from=itb.example.test"
                  % TRUSTED]),
                ("unaligned dkim only", "peter@industriensfond.example.test",
                 ["%s; dkim=pass header.d=attacker.example.net" % TRUSTED]),
        ]:
            with self.subTest(case=label):
                mid = self.ar_vote(voter, ref, "Ja", *results)
                self.assert_refused(mid, "rejected", ref, before)
                self.assertIn("DMARC", text_of(replies_to(voter, mid)[0]))

    def test_pass_smuggled_inside_the_trusted_header(self):
        """The trusted header says dmarc=fail; the word "dmarc=pass" appears
        only inside a quoted value (the envelope sender, which the attacker
        chooses) or a comment: RFC 8601 does not make either a result."""
        ref = self.open_ballot("Smugler ApS", 15)
        before = self.tally(ref)
        cases = [
            ("quoted smtp.mailfrom", ANNE,
             '%s; dmarc=fail (p=reject) header.from=di.example.test; '
             'spf=fail smtp.mailfrom="x;dmarc=pass;"@attacker.example.net' % TRUSTED),
            ("comment", METTE,
             '%s; dmarc=fail (p=reject; dmarc=pass) header.from=em.example.test' % TRUSTED),
        ]
        for label, voter, ar in cases:
            with self.subTest(case=label):
                mid = self.ar_vote(voter, ref, "Ja", ar)
                self.assert_refused(mid, "rejected", ref, before)


# ======================================================= vote_auth = dmarc
class DmarcAlone(Votes):
    overrides = {("security", "vote_auth"): "dmarc",
                 ("security", "trusted_authserv_id"): TRUSTED}

    def tag_vote(self, sender, ref, org, word, *results, extra_from=None):
        raw, mid = make_mail(sender, "SV: [%s] Afstemning: optagelse af %s" % (ref, org), word + "\n")
        if extra_from:
            raw = raw.replace(b"\r\nTo: ", b"\r\nFrom: " + extra_from.encode() + b"\r\nTo: ", 1)
        self.run_pact(with_ar(raw, *results))
        return mid

    def test_subject_tag_and_dmarc_pass_counts(self):
        org = "Kun Emne ApS"
        ref = self.open_ballot(org, 21)
        mid = self.tag_vote("pia@smvdanmark.example.test", ref, org, "Ja",
                            "%s; dmarc=pass header.from=smvdanmark.example.test" % TRUSTED)
        self.assertEqual(self.outcome(mid), "processed", self.pact.logtext()[-2000:])
        self.assertEqual(self.votes(ref), {"SMVDK": "yes"})
        self.assertEqual(self.tally(ref), ("open", 1, 0, 0, 9))

    def test_subject_tag_and_dmarc_fail_does_not(self):
        org = "Kun Emne Fejl ApS"
        ref = self.open_ballot(org, 22)
        before = self.tally(ref)
        for label, voter, results in [
                ("fail", "mads@hk.example.test", ["%s; dmarc=fail header.from=hk.example.test" % TRUSTED]),
                ("no header", "eva@finansdanmark.example.test", []),
                ("forged below", "lise@ida.example.test",
                 ["%s; dmarc=fail header.from=ida.example.test" % TRUSTED,
                  "%s; dmarc=pass header.from=ida.example.test" % TRUSTED]),
                ("other server", "ole@forsikringogpension.example.test",
                 ["mx.attacker.example.net; dmarc=pass header.from=forsikringogpension.example.test"]),
        ]:
            with self.subTest(case=label):
                mid = self.tag_vote(voter, ref, org, "Ja", *results)
                self.assert_refused(mid, "rejected", ref, before)
                self.assertEqual(len(replies_to(voter, mid)), 1)
        self.assertEqual(self.votes(ref), {})

    def test_pass_for_another_from_does_not_count(self):
        """Two From fields: the MX checked DMARC for the attacker's own
        domain (header.from says so); pactd must not credit that pass to
        the delegate named in the other From."""
        org = "To Afsendere ApS"
        ref = self.open_ballot(org, 23)
        before = self.tally(ref)
        mid = self.tag_vote("mads@hk.example.test", ref, org, "Ja",
                            "%s; dkim=pass header.d=attacker.example.net; dmarc=pass "
                            "header.from=attacker.example.net" % TRUSTED,
                            extra_from=STRANGER)
        self.assertNotIn("HK", self.votes(ref))
        self.assertEqual(self.tally(ref), before)
        self.assertIn(self.outcome(mid), ("rejected", "quarantine"))


# ===================================================================== TLS
def clear_box(sb, user, folder="INBOX"):
    with sb.imap(user) as m:
        if m.select('"%s"' % folder)[0] != "OK":
            return
        typ, data = m.uid("SEARCH", None, "ALL")
        uids = data[0].split() if data and data[0] else []
        if uids:
            m.uid("STORE", b",".join(uids), "+FLAGS.SILENT", r"(\Deleted)")
            m.expunge()


def resolves_to_loopback(name):
    try:
        return socket.gethostbyname(name) == "127.0.0.1"
    except OSError:
        return False


class TLS(unittest.TestCase):
    """pactd against a sandbox of its own that speaks TLS."""

    @classmethod
    def setUpClass(cls):
        sandbox()  # the shared one (pactlib's Pact clears the pact's mailbox there)
        cls.root = tempfile.mkdtemp(prefix="pactd-tls-")
        cls.tsb = sandbox_mod.Sandbox(cls.root, 0, 0, 0, tls=True).start()

    @classmethod
    def tearDownClass(cls):
        cls.tsb.stop()
        shutil.rmtree(cls.root, ignore_errors=True)

    def setUp(self):
        self.pacts = []
        clear_box(self.tsb, PACT)

    def tearDown(self):
        for p in self.pacts:
            keep_log(self, p)
            p.cleanup()

    def pact(self, imap_url, smtp_url, imap_ca=None, smtp_ca=None, imap_starttls="no",
             smtp_starttls="no"):
        t = self.tsb
        ov = {("imap", "url"): imap_url, ("imap", "starttls"): imap_starttls,
              ("imap", "ca_file"): t.ca_file if imap_ca is None else imap_ca,
              ("smtp", "url"): smtp_url, ("smtp", "starttls"): smtp_starttls,
              ("smtp", "ca_file"): t.ca_file if smtp_ca is None else smtp_ca,
              ("smtp", "user"): PACT, ("smtp", "password_file"): "imap.password",
              ("imap", "idle"): "no"}
        p = make_pact(ov)
        self.pacts.append(p)
        return p

    def help_mail(self, sender="anne@di.example.test"):
        raw, mid = make_mail(sender, "HELP", "Hi\n")
        self.tsb.append(PACT, raw)
        return mid

    def reply_in(self, user, mid, timeout=20):
        deadline = time.time() + timeout
        while True:
            found = [parse(r) for r in self.tsb.messages(user)]
            found = [m for m in found if (m["In-Reply-To"] or "").strip() == "<%s>" % mid]
            if found or time.time() >= deadline:
                return found
            time.sleep(0.2)

    def answered(self, pact, sender="anne@di.example.test"):
        mid = self.help_mail(sender)
        rc, err = pact.once()
        self.assertEqual(rc, 0, err)
        got = self.reply_in(sender, mid)
        self.assertEqual(len(got), 1, err)
        self.assertIn("These are the forms", text_of(got[0]))
        box = pact.ctl("outbox")
        self.assertEqual([b["state"] for b in box], ["sent"])
        return err

    def imap_refused(self, pact, what="not trusted"):
        """pactd logs in as a user of its own here (every user has the same
        password), so that Dovecot's log shows whether pactd itself sent
        the password."""
        user = "tls-%s@example.test" % os.urandom(4).hex()
        with open(pact.conf) as f:
            conf = f.read()
        old = "[imap]\nurl = %s\nuser = %s\n" % (re.search(r"\[imap\]\nurl = (.*)\n", conf).group(1), PACT)
        self.assertIn(old, conf)
        with open(pact.conf, "w") as f:
            f.write(conf.replace(old, old.replace(PACT, user), 1))
        raw, mid = make_mail("anne@di.example.test", "HELP", "Hi\n")
        self.tsb.append(user, raw)
        self.mark_dovecot_log()
        rc, err = pact.once()
        time.sleep(0.5)  # Dovecot's log process writes a moment later
        log = self.dovecot_log_since()
        self.assertEqual(rc, 69, err)
        self.assertIn("certificate", err)
        self.assertIn(what, err)
        # pactd hung up before it logged in: the password never went over the
        # unverified connection (the test's own logins as `user` come later)
        self.assertIn("no auth attempts", log)
        self.assertNotIn("user=<%s>" % user, log)
        # nothing processed: the mail stays in INBOX, nothing queued, no log entry
        self.assertEqual(self.tsb.count(user, "INBOX"), 1)
        self.assertEqual(self.tsb.folders(user), ["INBOX"])
        self.assertEqual(pact.ctl("outbox"), [])
        self.assertEqual([e for e in pact.ctl("log") if e["event"] == "mail processed"], [])
        self.assertEqual(self.reply_in("anne@di.example.test", mid, timeout=0.5), [])
        return err

    def mark_dovecot_log(self):
        try:
            self._log_mark = os.path.getsize(self.tsb.path("dovecot.log"))
        except OSError:
            self._log_mark = 0

    def dovecot_log_since(self):
        try:
            with open(self.tsb.path("dovecot.log"), errors="replace") as f:
                f.seek(getattr(self, "_log_mark", 0))
                return f.read()
        except OSError:
            return ""

    def smtp_refused(self, pact):
        mid = self.help_mail()
        rc, err = pact.once()
        self.assertIn(rc, (0, 69, 75), err)
        box = pact.ctl("outbox")
        self.assertEqual(len(box), 1, box)
        self.assertEqual(box[0]["state"], "queued", box)
        self.assertRegex(box[0]["error"] or "", r"(?i)certificate", box)
        self.assertEqual(self.reply_in("anne@di.example.test", mid, timeout=1), [])
        return rc, box[0]["error"]

    # -------------------------------------------------------------- good
    def test_imaps_and_smtps(self):
        t = self.tsb
        p = self.pact("imaps://127.0.0.1:%d" % t.imaps_port, "smtps://127.0.0.1:%d" % t.smtps_port)
        err = self.answered(p)
        self.assertIn("(TLS)", err)

    def test_starttls_for_both(self):
        t = self.tsb
        p = self.pact("imap://127.0.0.1:%d" % t.imap_port, "smtp://127.0.0.1:%d" % t.submission_port,
                      imap_starttls="yes", smtp_starttls="yes")
        self.answered(p, "lise@ida.example.test")

    def test_host_name_in_the_certificate(self):
        t = self.tsb
        p = self.pact("imaps://localhost:%d" % t.imaps_port, "smtps://localhost:%d" % t.smtps_port)
        self.answered(p)

    # -------------------------------------------------------------- IMAP refused
    def test_imap_wrong_ca(self):
        t = self.tsb
        for label, url, starttls in [("imaps", "imaps://127.0.0.1:%d" % t.imaps_port, "no"),
                                     ("starttls", "imap://127.0.0.1:%d" % t.imap_port, "yes")]:
            with self.subTest(mode=label):
                p = self.pact(url, "smtps://127.0.0.1:%d" % t.smtps_port, imap_ca=t.other_ca_file,
                              imap_starttls=starttls)
                self.imap_refused(p)

    def test_imap_system_trust_store_does_not_know_the_test_ca(self):
        t = self.tsb
        p = self.pact("imaps://127.0.0.1:%d" % t.imaps_port, "smtps://127.0.0.1:%d" % t.smtps_port,
                      imap_ca="")
        self.imap_refused(p)

    def test_imap_host_name_not_in_the_certificate(self):
        names = [n for n in ("vm", "runsc") if resolves_to_loopback(n)]
        if not names:
            self.skipTest("no other name for 127.0.0.1 in /etc/hosts")
        t = self.tsb
        p = self.pact("imaps://%s:%d" % (names[0], t.imaps_port), "smtps://127.0.0.1:%d" % t.smtps_port)
        self.imap_refused(p, what="")

    def test_imap_starttls_not_offered(self):
        """starttls = yes against a server without STARTTLS (the shared
        plain sandbox): no fallback to plain text."""
        sb = sandbox()
        p = self.pact("imap://127.0.0.1:%d" % sb.imap_port, "smtp://127.0.0.1:%d" % sb.smtp_port,
                      imap_starttls="yes")
        raw, mid = make_mail("anne@di.example.test", "HELP", "Hi\n")
        clear_mailbox(PACT)
        sb.append(PACT, raw)
        rc, err = p.once()
        self.assertEqual(rc, 69, err)
        self.assertEqual(sb.count(PACT, "INBOX"), 1)
        self.assertEqual(p.ctl("outbox"), [])
        clear_mailbox(PACT)

    # -------------------------------------------------------------- SMTP refused
    def test_smtp_wrong_ca(self):
        t = self.tsb
        for label, url, starttls in [("smtps", "smtps://127.0.0.1:%d" % t.smtps_port, "no"),
                                     ("starttls", "smtp://127.0.0.1:%d" % t.submission_port, "yes")]:
            with self.subTest(mode=label):
                clear_box(t, PACT)
                p = self.pact("imaps://127.0.0.1:%d" % t.imaps_port, url, smtp_ca=t.other_ca_file,
                              smtp_starttls=starttls)
                rc, error = self.smtp_refused(p)
                # the right CA later: the queued reply goes out, once
                with open(p.conf) as f:
                    conf = f.read()
                with open(p.conf, "w") as f:
                    f.write(conf.replace(t.other_ca_file, t.ca_file))
                later = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
                rc, err = p.once(now=later)
                self.assertEqual(rc, 0, err)
                self.assertEqual([b["state"] for b in p.ctl("outbox")], ["sent"])

    def test_smtp_host_name_not_in_the_certificate(self):
        names = [n for n in ("vm", "runsc") if resolves_to_loopback(n)]
        if not names:
            self.skipTest("no other name for 127.0.0.1 in /etc/hosts")
        t = self.tsb
        p = self.pact("imaps://127.0.0.1:%d" % t.imaps_port, "smtps://%s:%d" % (names[0], t.smtps_port))
        mid = self.help_mail()
        rc, err = p.once()
        box = p.ctl("outbox")
        self.assertEqual([b["state"] for b in box], ["queued"], err)
        self.assertTrue(box[0]["error"], box)
        self.assertEqual(self.reply_in("anne@di.example.test", mid, timeout=1), [])

    def test_smtp_starttls_not_offered(self):
        """smtp starttls = yes against OpenSMTPD without TLS: the reply is
        not sent in plain text."""
        sb = sandbox()
        t = self.tsb
        p = self.pact("imaps://127.0.0.1:%d" % t.imaps_port, "smtp://127.0.0.1:%d" % sb.smtp_port,
                      smtp_starttls="yes")
        with open(p.conf) as f:
            conf = f.read()
        # no AUTH on the plain relay
        conf = re.sub(r"(\[smtp\][^\[]*?)user = [^\n]*\n", r"\1user = \n", conf, count=1)
        with open(p.conf, "w") as f:
            f.write(conf)
        mid = self.help_mail()
        rc, err = p.once()
        box = p.ctl("outbox")
        self.assertEqual([b["state"] for b in box], ["queued"], err)
        self.assertTrue(box[0]["error"], box)
        time.sleep(1)
        self.assertEqual(replies_to("anne@di.example.test", mid, timeout=0.5), [])


if __name__ == "__main__":
    unittest.main()

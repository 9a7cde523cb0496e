"""The advisory board as sparring partner on initiatives (SPEC section 11,
issue 15 part 3), end to end against the sandbox's Dovecot and OpenSMTPD:
each new initiative goes to every advisory board member with a reply token
of its own; a member's answer, written the way real clients write it, is
forwarded to whoever sent the initiative with Reply-To: the member, the
member gets a receipt, and the page counts the answers without showing
them. KOMMENTAR with Initiativ: does the same. Answers by others and
automatic replies do nothing. The assertions are on what people see: the
mail in their mailboxes, index.html, pact.json and pactctl --json."""

import json
import os
import re

import clients
import test_workflow as wf
from pactlib import folder_message_ids, make_mail, parse, replies_to, text_of
from test_forget import findings

CARL, DORTE = wf.ADVISORY
CARL_WHO = "Carl Berg <%s>" % CARL
SOFIE = "sofie@itb.example.test"
ANNE = "anne@di.example.test"
KAREN = wf.KAREN
STRANGER = "mallory@evil.example.test"
TOKEN = r"s-[a-z2-7]{26}"

CARL_TEXT = ("Et godt initiativ. Overvej at tage brancheforeningerne med,\n"
             "så tjekket også når ud til de mindste virksomheder.")
DORTE_TEXT = "Forummet deltager gerne i et webinar om resultaterne."


class Sparring(wf.Workflow):
    admit = wf.Associates.admit

    # ------------------------------------------------------------ helpers
    def initiative(self, sender, sender_who, title, subject="INITIATIV", ar=None):
        raw, mid = make_mail(sender_who, subject,
                             "Hej\n\nTitel: %s\nBeskrivelse: Et gratis sikkerhedstjek for SMV'er.\n"
                             "Formål: 1, 3\nPartnere:\n- IDA\n\nVenlig hilsen\n" % title)
        self.submit((wf.with_ar(raw, ar) if ar else raw, sender))
        r, text = self.reply_to(sender, mid)
        self.assertIn("også sendt til pagtens advisory board", text)
        return re.search(r"\[(PAGT-\d{4}-\d{4})\]", r["Subject"]).group(1)

    def sparring_mail(self, addr, ref):
        """The sparring mail for initiative ref in addr's mailbox, checked
        as a consultation mail is: (token, raw)."""
        def mine(m):
            return (m["Subject"] or "").startswith("[%s] Sparring på nyt initiativ: " % ref)

        self.wait_mail(addr, mine)
        got = [raw for raw in self.raw_mails(addr) if mine(parse(raw))]
        self.assertEqual(len(got), 1, "%s: sparring mails for %s" % (addr, ref))
        m = parse(got[0])
        rt = re.fullmatch(r"pagt\+(%s)@example\.test" % TOKEN, str(m["Reply-To"]).strip())
        self.assertIsNotNone(rt, m["Reply-To"])
        tok = rt.group(1)
        self.assertEqual(m["Message-ID"].strip(), "<%s.%s.1@example.test>" % (tok, ref))
        self.assertIn("Ref: %s/%s" % (ref, tok), text_of(m).splitlines())
        self.assertEqual(m["Auto-Submitted"], "auto-generated")
        return tok, got[0]

    def forwards(self, addr, ref, want=1, timeout=15):
        return self.wait_mail(addr, lambda m: (m["Subject"] or "").startswith(
            "[%s] Sparring fra advisory boardet" % ref), want=want, timeout=timeout)

    def page(self):
        out = os.path.join(self.pact.dir, "public")
        with open(os.path.join(out, "index.html"), encoding="utf-8") as f:
            html = f.read()
        with open(os.path.join(out, "pact.json"), encoding="utf-8") as f:
            data = json.load(f)
        return html, {i["ref"]: i for i in data["initiatives"]}

    def answer(self, client, addr, sender_who, original, text, to=None):
        raw, mid = clients.reply(client, original, sender_who, text, to=to)
        self.submit((raw, addr))
        return mid

    # ------------------------------------------------------------ scenarios
    def test_founding_party_and_associate(self):
        aref = self.admit("Acme Sikkerhed ApS", KAREN, "Karen Madsen", wf.CVR)
        iref1 = self.initiative(SOFIE, wf.who(SOFIE), "Sikker SMV")
        iref2 = self.initiative(KAREN, "Karen Madsen <%s>" % KAREN, "Phishing-træning")
        self.assertNotEqual(aref, iref2)

        # every member has each initiative with a token of their own
        toks = {}
        for addr in (CARL, DORTE):
            for ref in (iref1, iref2):
                toks[addr, ref] = self.sparring_mail(addr, ref)
        self.assertEqual(len({t for t, _ in toks.values()}), 4)
        carl1 = text_of(parse(toks[CARL, iref1][1]))
        self.assertIn("Hej Carl Berg", carl1)
        self.assertIn("Sikker SMV", carl1)
        self.assertIn("Et gratis sikkerhedstjek for SMV'er.", carl1)
        self.assertIn("Partner: IDA", carl1)
        self.assertIn("Acme Sikkerhed ApS", text_of(parse(toks[DORTE, iref2][1])))
        # the initiatives' senders do not get them
        self.assertEqual(self.wait_mail(SOFIE, lambda m: "Sparring" in (m["Subject"] or ""), timeout=0.5), [])

        # Carl answers Sofie's initiative from Outlook: forwarded to Sofie, Reply-To Carl
        mid = self.answer("outlook", CARL, CARL_WHO, toks[CARL, iref1][1], CARL_TEXT)
        self.assertIn(mid, folder_message_ids(wf.PACT, wf.PROCESSED))
        r, text = self.reply_to(CARL, mid)
        # the receipt's own reference, after the initiative's tag it answers
        self.assertRegex(r["Subject"], r"^Re: .*\[%s\] Sparring .*\[PAGT-\d{4}-\d{4}\]$" % iref1)
        sref = re.findall(r"\[(PAGT-\d{4}-\d{4})\]", r["Subject"])[-1]
        self.assertNotEqual(sref, iref1)
        self.assertIn("sendt videre til initiativtageren", text)
        self.assertIn(iref1, text)
        fw = self.forwards(SOFIE, iref1)
        self.assertEqual(len(fw), 1)
        f = fw[0]
        self.assertEqual(str(f["Reply-To"]), CARL_WHO)
        self.assertEqual(f["To"].addresses[0].addr_spec, SOFIE)
        self.assertEqual(f["From"].addresses[0].addr_spec, wf.PACT)
        ftext = text_of(f)
        for line in CARL_TEXT.splitlines():
            self.assertIn(line, ftext)
        self.assertIn("Carl Berg", ftext)
        self.assertIn("Ref: %s" % sref, ftext)
        # the member's new text only: nothing of the quoted sparring mail
        self.assertNotIn("Svar blot på denne mail", ftext)
        self.assertNotRegex(ftext, TOKEN)

        # Dorte answers Karen's from Apple Mail (to the From address; the token in the thread)
        mid = self.answer("apple", DORTE, DORTE, toks[DORTE, iref2][1], DORTE_TEXT)
        r, text = self.reply_to(DORTE, mid)
        f = self.forwards(KAREN, iref2)[0]
        self.assertEqual(str(f["Reply-To"]), DORTE)
        self.assertIn(DORTE_TEXT, text_of(f))
        self.assertNotIn("Ref: %s/" % iref2, text_of(f))

        # Carl also answers Karen's, from Gmail
        mid = self.answer("gmail", CARL, CARL_WHO, toks[CARL, iref2][1], "Kontakt os om materialet.")
        self.reply_to(CARL, mid)
        self.assertEqual(len(self.forwards(KAREN, iref2, want=2)), 2)

        # KOMMENTAR with Initiativ: the same effect, Danish; COMMENT with Initiative:, English
        # (from his phone: another display name, the address in capitals; the
        # forward's Reply-To is still the roster's)
        raw, mid = make_mail('"Carl (mobil), VFDS" <Carl@VFDS.example.test>', "KOMMENTAR",
                             "Initiativ: %s\n\nHusk også de frivillige.\n" % iref1)
        self.submit((raw, CARL))
        r, text = self.reply_to(CARL, mid)
        self.assertIn(mid, folder_message_ids(wf.PACT, wf.PROCESSED))
        self.assertIn("Husk også de frivillige.", text)
        fw = self.forwards(SOFIE, iref1, want=2)
        self.assertEqual(len(fw), 2)
        second = [m for m in fw if "frivillige" in text_of(m)]
        self.assertEqual(len(second), 1)
        self.assertNotIn("Initiativ:", text_of(second[0]))
        self.assertEqual(str(second[0]["Reply-To"]), CARL_WHO)
        raw, mid = make_mail(DORTE, "COMMENT", "Initiative: %s\n\nWe suggest a follow-up.\n" % iref2.lower())
        self.submit((raw, DORTE))
        r, text = self.reply_to(DORTE, mid)
        self.assertIn("passed on to the initiative's owner", text)
        self.assertEqual(len(self.forwards(KAREN, iref2, want=3)), 3)

        # a KOMMENTAR naming no initiative is refused with the reason
        raw, mid = make_mail(CARL_WHO, "KOMMENTAR", "Initiativ: PAGT-1999-0001\n\nNoget.\n")
        self.submit((raw, CARL))
        r, text = self.reply_to(CARL, mid)
        self.assertIn(mid, folder_message_ids(wf.PACT, wf.REJECTED))
        self.assertIn("intet initiativ med referencen PAGT-1999-0001", text)

        # counted on the page and in pact.json, the text never shown
        html, inits = self.page()
        self.assertEqual(inits[iref1]["sparring"], 2)
        self.assertEqual(inits[iref2]["sparring"], 3)
        self.assertIn("Sparring fra advisory boardet: 2 svar", html)
        self.assertIn("Sparring fra advisory boardet: 3 svar", html)
        for secret in ("brancheforeningerne", "frivillige", "webinar om resultaterne", "follow-up"):
            self.assertNotIn(secret, html)
            self.assertNotIn(secret, json.dumps(inits))
        ctl = {i["ref"]: i["sparring"] for i in self.pact.ctl("initiatives")}
        self.assertEqual(ctl, {iref1: 2, iref2: 3})

        # the associate withdraws: a later answer is kept, nobody outside the pact written to
        raw, mid = make_mail("Karen Madsen <%s>" % KAREN, "UDMELDELSE", "Vi melder os ud.\n")
        self.submit((raw, KAREN))
        self.reply_to(KAREN, mid)
        mid = self.answer("gmail", CARL, CARL_WHO, toks[CARL, iref2][1], "Ærgerligt; held og lykke.")
        r, text = self.reply_to(CARL, mid)
        self.assertIn("ikke længere med i pagten", text)
        self.settle()
        self.assertEqual(len(self.forwards(KAREN, iref2, want=4, timeout=0.5)), 3)
        ctl = {i["ref"]: i["sparring"] for i in self.pact.ctl("initiatives")}
        self.assertEqual(ctl, {iref1: 2, iref2: 4})

    def test_hostile_answers(self):
        """An answer over the text limit is refused with the limit; an empty
        one too; a forged Reply-To in the answer changes nothing."""
        iref = self.initiative(SOFIE, wf.who(SOFIE), "Sikker SMV")
        tok, carl_mail = self.sparring_mail(CARL, iref)
        mid = self.answer("gmail", CARL, CARL_WHO, carl_mail, "ø" * 4001)
        r, text = self.reply_to(CARL, mid)
        self.assertIn(mid, folder_message_ids(wf.PACT, wf.REJECTED))
        self.assertIn("4000", text.replace("\u00a0", "").replace(" ", ""))
        raw, mid = make_mail(CARL_WHO, "KOMMENTAR", "Initiativ: %s\n" % iref)
        self.submit((raw, CARL))
        r, text = self.reply_to(CARL, mid)
        self.assertIn("svaret er tomt", text)
        raw, mid = make_mail(CARL_WHO, "KOMMENTAR", "Initiativ: %s\n\nSe her.\n" % iref,
                             headers={"Reply-To": "Eve <eve@evil.example.test>"})
        self.submit((raw, CARL))
        self.reply_to(CARL, mid)
        fw = self.forwards(SOFIE, iref)
        self.assertEqual(len(fw), 1)
        self.assertEqual(str(fw[0]["Reply-To"]), CARL_WHO)
        self.assertNotIn("evil", fw[0].as_string())
        html, inits = self.page()
        self.assertEqual(inits[iref]["sparring"], 1)

    def test_others_and_automatic_replies_have_no_effect(self):
        iref = self.initiative(SOFIE, wf.who(SOFIE), "Sikker SMV")
        tok, carl_mail = self.sparring_mail(CARL, iref)

        # a delegate answers with Carl's mail (forwarded to her): refused, nothing forwarded
        mid = self.answer("outlook", ANNE, wf.who(ANNE), carl_mail, "Det her er ikke sparring.")
        r, text = self.reply_to(ANNE, mid)
        self.assertIn(mid, folder_message_ids(wf.PACT, wf.REJECTED))
        self.assertIn("kan ikke sendes af dig", text)
        # a stranger with the token: quarantined, unanswered
        raw, mid = clients.reply("gmail", carl_mail, "Mallory <%s>" % STRANGER, "Ja tak.")
        self.submit((raw, STRANGER))
        self.assertIn(mid, folder_message_ids(wf.PACT, "pactd/Quarantine"))
        # Carl's out-of-office reply, the token quoted, to From and to Reply-To
        raw, ooo1 = clients.reply("ooo", carl_mail, CARL_WHO, "")
        raw2, ooo2 = clients.reply("ooo", carl_mail, CARL_WHO, "", to="reply-to")
        self.submit((raw, CARL), (raw2, CARL))
        ignored = folder_message_ids(wf.PACT, wf.IGNORED)
        self.assertIn(ooo1, ignored)
        self.assertIn(ooo2, ignored)
        self.settle()
        self.assertEqual(replies_to(CARL, ooo1, timeout=0.5), [])
        self.assertEqual(replies_to(CARL, ooo2, timeout=0.5), [])
        self.assertEqual(self.wait_mail(SOFIE, lambda m: "Sparring" in (m["Subject"] or ""), timeout=0.5), [])
        html, inits = self.page()
        self.assertEqual(inits[iref]["sparring"], 0)
        self.assertNotIn("Sparring fra advisory boardet", html)

    def test_a_member_answering_again_and_again(self):
        """reply_rate_per_hour bounds the forwards to the initiative's sender:
        the answers are kept and counted, the member is told."""
        self.pact.cleanup()
        self.pact = wf.make_pact({("security", "reply_rate_per_hour"): "3"})
        iref = self.initiative(SOFIE, wf.who(SOFIE), "Sikker SMV")   # Sofie's receipt: 1
        tok, carl_mail = self.sparring_mail(CARL, iref)
        texts = []
        for i in range(3):
            texts.append("Sparring nummer %d." % (i + 1))
            mid = self.answer("gmail", CARL, CARL_WHO, carl_mail, texts[-1])
            r, text = self.reply_to(CARL, mid)
            if i < 2:
                self.assertIn("sendt videre", text)
            else:
                self.assertIn("gemt, men ikke sendt videre", text)
        self.settle()
        fw = self.forwards(SOFIE, iref, want=3, timeout=0.5)
        self.assertEqual(sorted(t for m in fw for t in texts if t in text_of(m)), texts[:2])
        html, inits = self.page()
        self.assertEqual(inits[iref]["sparring"], 3)

    def test_forgetting_a_member_keeps_the_count(self):
        """pactctl forget erases a member's answers (text, name, address);
        the count on the page stays."""
        iref = self.initiative(SOFIE, wf.who(SOFIE), "Sikker SMV")
        tok, carl_mail = self.sparring_mail(CARL, iref)
        mid = self.answer("gmail", CARL, CARL_WHO, carl_mail, "Hilsen fra Carl Berg: husk de små.")
        self.reply_to(CARL, mid)
        needles = ["Carl Berg", CARL, "husk de små"]
        self.assertTrue([f for f in findings(self.pact.db, needles) if f.startswith("sparring.")])
        p = self.pact.ctl("forget", CARL, json_out=False)
        self.assertEqual(p.returncode, 0, p.stderr)
        # name and address nowhere; the text only in the forward Sofie has had
        # (its copy in the outbox goes with outbox_retention_days)
        self.assertEqual(findings(self.pact.db, needles[:2]), [])
        self.assertEqual([f for f in findings(self.pact.db, needles) if not f.startswith("outbox.data")], [])
        self.step()
        html, inits = self.page()
        self.assertEqual(inits[iref]["sparring"], 1)
        self.assertIn("Sparring fra advisory boardet: 1 svar", html)

    def test_sender_auth_dmarc(self):
        """With sender_auth = dmarc an answer counts only with an aligned
        DMARC pass, as every other submission (SPEC section 2)."""
        self.pact.cleanup()
        self.pact = wf.make_pact({("security", "sender_auth"): "dmarc"})
        iref = self.initiative(SOFIE, wf.who(SOFIE), "Sikker SMV",
                               ar="mx.example.test; dmarc=pass header.from=itb.example.test")
        tok, carl_mail = self.sparring_mail(CARL, iref)
        cases = [("Uden afsenderkontrol.", None),
                 ("Et andet domænes pass.", "mx.example.test; dmarc=pass header.from=evil.example.test"),
                 ("En fremmed server.", "mx.evil.example.test; dmarc=pass header.from=vfds.example.test")]
        for text, ar in cases:
            raw, mid = clients.reply("outlook", carl_mail, CARL_WHO, text)
            self.submit((wf.with_ar(raw, ar) if ar else raw, CARL))
            self.assertIn(mid, folder_message_ids(wf.PACT, "pactd/Quarantine"), text)
            self.assertEqual(replies_to(CARL, mid, timeout=0.5), [], text)
        raw, mid = clients.reply("outlook", carl_mail, CARL_WHO, "Med afsenderkontrol.")
        self.submit((wf.with_ar(raw, "mx.example.test; dmarc=pass header.from=vfds.example.test"), CARL))
        self.reply_to(CARL, mid)
        fw = self.forwards(SOFIE, iref)
        self.assertEqual(len(fw), 1)
        self.assertIn("Med afsenderkontrol.", text_of(fw[0]))
        self.settle()
        self.assertEqual(len(self.forwards(SOFIE, iref, want=2, timeout=0.5)), 1)
        html, inits = self.page()
        self.assertEqual(inits[iref]["sparring"], 1)

"""make demo: a pact year through pactd, against a private Dovecot and
OpenSMTPD on loopback. Prints each step as it happens: what was sent, what
pactd answered, and where to look. Stops every server it started unless
--keep is given."""

import argparse
import email
import email.policy
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(TOP, "tests", "e2e"))

import pactlib  # noqa: E402
from pactlib import PACT, Pact, make_mail, parse, sandbox, text_of  # noqa: E402

BOLD, DIM, END = ("\033[1m", "\033[2m", "\033[0m") if sys.stdout.isatty() else ("", "", "")


def step(title):
    print("\n%s== %s%s" % (BOLD, title, END))


def show_mail(who, msg, lines=6):
    body = [l for l in text_of(msg).splitlines() if l.strip()]
    print("   %s -> %s: %s" % (PACT if who != PACT else "?", who, msg["Subject"]))
    for l in body[:lines]:
        print("      %s%s%s" % (DIM, l, END))


class Demo:
    def __init__(self):
        self.sb = sandbox()
        self.pact = Pact()
        self.seen = {}
        self.pending = 0  # mails sent to the pact since the last run

    def send(self, sender, subject, body, to=PACT, headers=None, now=None, note=None):
        raw, mid = make_mail(sender, subject, body, to=to, headers=headers)
        self.sb.send(raw, sender if "<" not in sender else re.search(r"<(.*)>", sender).group(1), [to])
        self.pending += 1
        print("   %s -> %s: %s%s" % (sender, to, subject, ("  (" + note + ")") if note else ""))
        return mid

    def send_raw(self, raw, sender, note):
        self.sb.send(raw, sender, [PACT])
        self.pending += 1
        print("   %s -> %s: %s" % (sender, PACT, note))

    def run(self, now):
        # every mail sent to the pact is in its INBOX before pactd looks
        self.sb.wait_messages(PACT, self.pending, timeout=60)
        self.pending = 0
        rc, err = self.pact.once(now=now)
        print("   %spactd --once (PACTD_NOW=%s): exit %d%s" % (DIM, now, rc, END))
        if rc != 0:
            print(err)
            raise SystemExit("pactd failed")
        time.sleep(1.0)

    def new_mail(self, user, settle=1.0):
        """Mail that arrived in user's INBOX since we last looked, once
        deliveries have stopped coming for a moment."""
        n, still, deadline = -1, time.time(), time.time() + 15
        while settle and time.time() - still < settle and time.time() < deadline:
            c = self.sb.count(user)
            if c != n:
                n, still = c, time.time()
            time.sleep(0.1)
        msgs = [parse(m) for m in self.sb.messages(user)]
        old = self.seen.get(user, 0)
        self.seen[user] = len(msgs)
        return msgs[old:]

    def answers(self, users, lines=4):
        for u in users:
            for m in self.new_mail(u, settle=0.7):
                show_mail(u, m, lines)

    def ctl(self, *args):
        return self.pact.ctl(*args)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--keep", action="store_true", help="leave the servers running")
    args = ap.parse_args()
    d = Demo()
    sb, pact = d.sb, d.pact
    delegates = ["mette@em.example.test", "anne@di.example.test", "bo@di.example.test",
                 "jens@danskerhverv.example.test", "sofie@itb.example.test",
                 "peter@industriensfond.example.test", "pia@smvdanmark.example.test",
                 "lise@ida.example.test", "eva@finansdanmark.example.test", "mads@hk.example.test",
                 "ole@forsikringogpension.example.test"]
    for u in delegates + ["sekretariat@erst.example.test", "carl@vfds.example.test",
                          "dorte@vfds.example.test", "karen@sikkersmv.example.test"]:
        d.new_mail(u, settle=0)

    step("The sandbox: Dovecot (IMAP %d) and OpenSMTPD (SMTP %d) on 127.0.0.1" % (sb.imap_port, sb.smtp_port))
    print("   pactd's config: %s" % pact.conf)

    step("1. Two founding parties declare why they join (Danish and English)")
    d.send("Anne Holm <anne@di.example.test>", "ERKLÆRING",
           "Hej sekretariat,\n\nMotivation: DI vil løfte de små virksomheders digitale sikkerhed,\n"
           "  fordi angrebene rammer dem hårdest.\nMålsætninger:\n- Alle medlemmer tilbydes et sikkerhedstjek inden 2027\n"
           "- 500 SMV'er gennemfører et awareness-forløb\nBidrag: Rådgivning og netværk\n\nVenlig hilsen\nAnne\n")
    d.send("Lise Berg <lise@ida.example.test>", "DECLARATION",
           "Motivation: IDA's engineers want secure SMEs.\nObjectives:\n- 20 webinars on security by design\n\nBest regards\nLise\n")
    d.run("2026-12-01T09:00:00Z")
    d.answers(["anne@di.example.test", "lise@ida.example.test"])

    step("2. DI nominates an associate member; every delegate gets a ballot mail")
    d.send("Anne Holm <anne@di.example.test>", "INDSTILLING",
           "Organisation: Sikker SMV ApS\nType: virksomhed\nCVR: 1015 0817\n"
           "Kontakt: Karen Sikker <karen@sikkersmv.example.test>\nDialog: 2026-11-20\nPrincipper: ja\n"
           "Initiativer:\n- Gratis sikkerhedstjek for 100 SMV'er\n- Kurser i phishing-forsvar\n"
           "Sammenhæng: Initiativerne bidrager til formål 1 og 3.\n")
    d.run("2026-12-02T09:00:00Z")
    ballots = {}
    for u in delegates:
        for m in d.new_mail(u, settle=0):
            if m["Reply-To"]:
                ballots[u] = m
            else:
                show_mail(u, m, 5)
    ref = re.search(r"PAGT-\d{4}-\d{4}", next(iter(ballots.values()))["Subject"]).group(0)
    print("   ballot %s: %d ballot mails, e.g. Reply-To %s" % (ref, len(ballots), ballots["lise@ida.example.test"]["Reply-To"]))

    step("3. Six parties vote by replying; DI's second delegate changes DI's vote")
    def vote(voter, word):
        b = ballots[voter]
        quoted = "\n".join("> " + l for l in text_of(b).splitlines())
        d.send(voter, "SV: " + str(b["Subject"]), "%s\n\nDen 2. dec. 2026 skrev Cybersikkerhedspagten:\n%s\n" % (word, quoted),
               to=b["Reply-To"], headers={"In-Reply-To": b["Message-ID"], "References": b["Message-ID"]},
               note="first line: " + word)

    for voter, word in [("mette@em.example.test", "Ja, selvfølgelig."), ("anne@di.example.test", "Nej"),
                        ("jens@danskerhverv.example.test", "+1"), ("sofie@itb.example.test", "Ja")]:
        vote(voter, word)
    d.run("2026-12-03T09:00:00Z")
    t = d.ctl("ballot", ref)
    print("   pactctl ballot %s: state %s, yes %d, no %d" % (ref, t["state"], t["yes"], t["no"]))
    for voter, word in [("bo@di.example.test", "JA – vi har talt sammen"), ("lise@ida.example.test", "Yes!"),
                        ("peter@industriensfond.example.test", "Ja tak")]:
        vote(voter, word)
    d.run("2026-12-03T15:00:00Z")
    t = d.ctl("ballot", ref)
    print("   pactctl ballot %s: state %s, yes %d, no %d, abstain %d, not voted %d"
          % (ref, t["state"], t["yes"], t["no"], t["abstain"], t["not_voted"]))
    for v in t["votes"]:
        print("      %s: %s" % (v["party"], v["vote"]))
    d.answers(["bo@di.example.test", "karen@sikkersmv.example.test"], lines=3)
    for u in delegates:
        d.new_mail(u, settle=0)

    step("4. The new associate announces an initiative")
    d.send("Karen Sikker <karen@sikkersmv.example.test>", "INITIATIV",
           "Titel: Sikkerhedstjek for SMV'er\nBeskrivelse: Et gratis tjek af 100 små virksomheders IT.\n"
           "Formål: 1, 3\nPartnere:\n- Lokale erhvervsråd\nLink: https://example.test/tjek\n")
    d.run("2026-12-04T09:00:00Z")
    d.answers(["karen@sikkersmv.example.test"])
    # the advisory board as sparring partner: Carl answers; Karen gets it, Reply-To Carl
    for c in d.new_mail("carl@vfds.example.test"):
        if "Sparring" in str(c["Subject"]):
            d.send("Carl Berg <carl@vfds.example.test>", "SV: " + str(c["Subject"]),
                   "Tag gerne brancheforeningerne med; vi hjælper med at nå de mindste.\n",
                   to=c["Reply-To"], headers={"In-Reply-To": c["Message-ID"]}, note="sparring by reply")
    d.new_mail("dorte@vfds.example.test", settle=0)
    d.run("2026-12-04T10:00:00Z")
    d.answers(["karen@sikkersmv.example.test"], lines=6)

    step("5. The secretariat calls the semi-annual meeting; calendar invitations go out")
    mref_mid = d.send("sekretariat@erst.example.test", "MØDE",
                      "Titel: Pagtens halvårsmøde\nStart: 2027-06-10 10:00\nSted: Erhvervsstyrelsen, København\n"
                      "Dagsorden:\n- Velkomst\n- Status på initiativerne\n")
    d.run("2026-12-05T09:00:00Z")
    d.answers(["sekretariat@erst.example.test"], lines=3)
    meeting = d.ctl("meetings")[-1]
    invites = {}
    for u in ["anne@di.example.test", "bo@di.example.test", "lise@ida.example.test", "karen@sikkersmv.example.test"]:
        for m in d.new_mail(u, settle=0):
            if "Invitation" in str(m["Subject"]):
                invites[u] = m
                ctype = [p.get_content_type() + (";method=" + p.get_param("method") if p.get_param("method") else "")
                         for p in m.walk()]
                print("   %s got %s (%s)" % (u, m["Subject"], ", ".join(ctype)))
    # what the pact has created so far, as the invitation lists it
    text = invites["anne@di.example.test"].get_body(("plain",)).get_content()
    start = text.find("Nyt i pagten")
    for l in text[start:text.find("Svar med knapperne")].strip().splitlines():
        print("      %s%s%s" % (DIM, l, END))

    step("6. RSVPs: Outlook accepts, Apple Calendar says maybe, a plain reply says no")
    uid = meeting["uid"]
    ical = ("BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nPRODID:Microsoft Exchange Server 2010\r\nVERSION:2.0\r\n"
            "BEGIN:VEVENT\r\nATTENDEE;PARTSTAT=ACCEPTED;CN=Anne Holm:MAILTO:Anne@DI.example.test\r\n"
            "COMMENT:\r\nUID:%s\r\nSEQUENCE:0\r\nDTSTAMP:20261206T090000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n" % uid)
    raw = ("From: Anne Holm <anne@di.example.test>\r\nTo: %s\r\nSubject: Accepteret: Pagtens halvårsmøde\r\n"
           "Message-ID: <rsvp-anne-%d@di.example.test>\r\nMIME-Version: 1.0\r\n"
           "Content-Type: text/calendar; charset=\"utf-8\"; method=REPLY\r\n\r\n%s" % (PACT, os.getpid(), ical)).encode()
    d.send_raw(raw, "anne@di.example.test", "Accepteret: Pagtens halvårsmøde (iMIP REPLY, ACCEPTED)")
    ical = ical.replace("METHOD:REPLY\r\n", "").replace("PARTSTAT=ACCEPTED;CN=Anne Holm:MAILTO:Anne@DI",
                                                         "PARTSTAT=TENTATIVE;CN=Lise Berg:mailto:lise@ida")
    raw = ("From: Lise Berg <lise@ida.example.test>\r\nTo: %s\r\nSubject: Maybe: Pagtens halvårsmøde\r\n"
           "Message-ID: <rsvp-lise-%d@ida.example.test>\r\nMIME-Version: 1.0\r\n"
           "Content-Type: text/calendar; charset=utf-8\r\n\r\n%s" % (PACT, os.getpid(), ical)).encode()
    d.send_raw(raw, "lise@ida.example.test", "Maybe: Pagtens halvårsmøde (Apple Calendar, no METHOD, TENTATIVE)")
    inv = invites["bo@di.example.test"]
    d.send("bo@di.example.test", "SV: " + str(inv["Subject"]), "Nej, desværre.\n", to=inv["Reply-To"],
           headers={"In-Reply-To": inv["Message-ID"]}, note="first line: Nej")
    d.run("2026-12-06T09:00:00Z")
    m = d.ctl("meeting", meeting["ref"])
    for a in m["attendees"]:
        if a["partstat"] != "NEEDS-ACTION":
            print("   pactctl meeting %s: %s %s" % (m["ref"], a["address"], a["partstat"]))

    step("7. The annual status goes to the advisory board, which comments")
    d.send("sekretariat@erst.example.test", "ÅRSSTATUS",
           "År: 2026\nStatus: Pagten har i 2026 fået sit første associerede medlem og holdt to møder.\n")
    d.run("2026-12-07T09:00:00Z")
    for u in ["carl@vfds.example.test", "dorte@vfds.example.test"]:
        for c in d.new_mail(u):
            if c["Reply-To"] and "Høring" in str(c["Subject"]):
                d.send(u, "SV: " + str(c["Subject"]), "Flot arbejde; vi savner flere initiativer under formål 2.\n",
                       to=c["Reply-To"], headers={"In-Reply-To": c["Message-ID"]}, note="a comment by reply")
    d.run("2026-12-08T09:00:00Z")
    d.answers(["carl@vfds.example.test"], lines=3)
    print("   ... 30 days later the consultation closes and the comments are published")
    d.run("2027-01-10T09:00:00Z")
    st = d.ctl("statuses")[-1]
    print("   pactctl statuses: %s %d published %s with %d comment(s)" % (st["ref"], st["year"], st["published"], len(st["comments"])))

    step("7b. On [status] draft_date (01-15) the secretariat gets the drafted status for 2026")
    d.run("2027-01-15T09:00:00Z")
    for m in d.new_mail("sekretariat@erst.example.test"):
        if str(m["Subject"]).startswith("Udkast til årsstatus"):
            text = text_of(m).splitlines()
            show_mail("sekretariat@erst.example.test", m, lines=0)
            for l in text[text.index("År: 2026"):text.index("År: 2026") + 24]:
                print("      %s%s%s" % (DIM, l, END))
            print("      %s...%s" % (DIM, END))
    print("   (the same draft: build/pactctl -c %s draft-status 2026)" % pact.conf)

    step("8. The public page")
    out = os.path.join(pact.dir, "public")
    data = json.load(open(os.path.join(out, "pact.json")))
    print("   %s/index.html, pact.json, feed.atom" % out)
    print("   parties with a declaration: %s" % ", ".join(p["name"] for p in data["parties"] if p["declaration"]))
    print("   associates: %s" % ", ".join(a["name"] for a in data["associates"]))
    print("   initiatives: %s" % ", ".join("%s (sparring: %d)" % (i["title"], i.get("sparring", 0))
                                          for i in data["initiatives"]))
    print("   meetings: %s" % ", ".join("%s %s" % (mt["title"], mt["start"]) for mt in data["meetings"]))
    for mt in data["meetings"]:
        r = mt.get("results") or {}
        print("   %s: results since %s: %s" % (mt["ref"], r.get("previous") or "the pact began", ", ".join(
            "%s %d" % (k, len(r[k])) for k in ("associates", "initiatives", "declarations", "statuses") if r.get(k))
            or "nothing new"))
    ok = d.ctl("verify-log")
    print("   pactctl verify-log: %s" % ("ok" if ok.get("ok") else ok))

    step("Where to look")
    print("   build/pactctl -c %s ballots | members | meetings | outbox | log" % pact.conf)
    print("   /usr/bin/python3 tests/sandbox/sandbox.py list %s anne@di.example.test" % sb.root)
    print("   the page: %s/index.html" % out)
    if args.keep:
        sb._write_state()
        print("   servers left running; stop them with: /usr/bin/python3 tests/sandbox/sandbox.py stop %s" % sb.root)
    else:
        sb.stop()
        print("   servers stopped (the mailboxes stay in %s; run `make demo DEMO_ARGS=--keep` to keep the"
              " servers up and read them over IMAP)." % sb.root)


if __name__ == "__main__":
    main()

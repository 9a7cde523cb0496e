"""Read back the mails that test_header built, with Python's strict email
parser: one To address with the expected name, one Reply-To, no Bcc or Cc,
the expected subject, CRLF only, header lines within 78 characters (76
with encoded words), and no defect on the message or any header.

Usage: check_headers.py FILE  (a JSON array of
{"raw", "name", "addr", "reply_to", "subject", "thread"})."""

import email
import email.header
import email.policy
import re
import json
import sys

WRITTEN = {"from", "to", "reply-to", "subject", "date", "message-id", "in-reply-to",
           "references", "auto-submitted", "x-auto-response-suppress", "mime-version",
           "content-type", "content-transfer-encoding"}


def adjacent_words_ok(msg, case):
    """Python 3.11's address parser keeps the white space between adjacent
    encoded words of a display name (RFC 2047 6.2 says to ignore it), so
    a name in several encoded words comes back with spaces added: such a
    name is checked with email.header's RFC 2047 decoder instead, which
    follows 6.2, and must differ from the expected name only by those
    spaces."""
    src = [v for k, v in msg.raw_items() if k.lower() == "to"][0]
    if len(re.findall(r"=\?UTF-8\?B\?[A-Za-z0-9+/=]*\?=", src)) < 2:
        return False
    decoded = str(email.header.make_header(email.header.decode_header(src.replace("\r\n", ""))))
    want = "%s <%s>" % (case["name"], case["addr"])
    name = msg["To"].addresses[0].display_name
    return decoded == want and name.replace(" ", "") == case["name"].replace(" ", "")


def check(case):
    raw = case["raw"].encode("ascii")
    head = raw.split(b"\r\n\r\n", 1)[0] + b"\r\n"
    problems = []
    if b"\n" in head.replace(b"\r\n", b"") or b"\r" in head.replace(b"\r\n", b""):
        problems.append("bare CR or LF in the header")
    for line in head.split(b"\r\n")[:-1]:
        limit = 76 if b"=?" in line else 78
        if len(line) > limit:
            problems.append("line of %d > %d: %r" % (len(line), limit, line[:90]))
    msg = email.message_from_bytes(raw, policy=email.policy.strict)
    if msg.defects:
        problems.append("message defects %r" % msg.defects)
    names = [k.lower() for k in msg.keys()]
    for k in set(names):
        if k not in WRITTEN:
            problems.append("unexpected field %s" % k)
        if names.count(k) != 1:
            problems.append("%d %s fields" % (names.count(k), k))
    for k in msg.keys():
        if msg[k].defects:
            problems.append("%s defects %r" % (k, msg[k].defects))
    to = msg["To"].addresses
    if len(to) != 1:
        problems.append("To holds %d addresses: %r" % (len(to), str(msg["To"])))
    elif (to[0].addr_spec, to[0].display_name) != (case["addr"], case["name"]) \
            and not adjacent_words_ok(msg, case):
        problems.append("To is %r %r, not %r %r" % (to[0].display_name, to[0].addr_spec,
                                                    case["name"], case["addr"]))
    rt = msg["Reply-To"].addresses
    if [a.addr_spec for a in rt] != [case["reply_to"]]:
        problems.append("Reply-To is %r" % str(msg["Reply-To"]))
    if str(msg["Subject"]) != case["subject"]:
        problems.append("Subject %r, not %r" % (str(msg["Subject"]), case["subject"]))
    if ("in-reply-to" in names) != case["thread"]:
        problems.append("In-Reply-To present: %s" % ("in-reply-to" in names))
    return problems


def main():
    with open(sys.argv[1]) as f:
        cases = json.load(f)
    bad = 0
    for i, case in enumerate(cases):
        try:
            problems = check(case)
        except Exception as e:  # a strict parser's refusal is a failure too
            problems = ["%s: %s" % (type(e).__name__, e)]
        for p in problems:
            print("case %d (%r): %s" % (i, case["name"][:40], p))
        bad += bool(problems)
    print("check_headers.py: %d mails, %d with problems" % (len(cases), bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

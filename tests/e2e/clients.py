"""Replies the way real mail clients write them, from the templates in
tests/data/replies/ and a mail the pact sent (a ballot, a reminder, a
consultation).

    raw, msgid = clients.reply("outlook", ballot_raw, "Sofie Dahl <sofie@itb.example.test>", "Ja")

Clients (template, where the reply goes by default, how the original is quoted):

    outlook      outlook_da.eml      Outlook 16 for Windows, Danish: multipart/alternative,
                                     Windows-1252 quoted-printable, "SV:", Thread-Index, new
                                     text on top of a "Fra:/Sendt:/Til:/Emne:" block and the
                                     original unquoted; replies to Reply-To
    gmail        gmail_da.eml        Gmail web, Danish: multipart/alternative UTF-8 QP,
                                     "Den ... skrev ... <" wrapped before the address, ">"
                                     quote; replies to Reply-To
    apple        applemail_da.eml    Apple Mail (macOS), Danish: text/plain format=flowed QP;
                                     answers the From address (pagt@example.test), not Reply-To
    thunderbird  thunderbird_en.eml  Thunderbird, English, bottom-posting: attribution and
                                     "> " quote first, the new text below, "-- " signature
    ooo          outlook_ooo_da.eml  Exchange/Outlook automatic reply (out of office):
                                     Auto-Submitted: auto-replied, "Automatisk svar: ...",
                                     the original quoted below (Ref line included)

Placeholders in the templates (the parts of a multipart template are decoded,
filled in and encoded again with their own charset and transfer encoding;
text/html parts get the values HTML-escaped):

    @@FROM@@ @@FROM_NAME@@ @@FROM_ADDR@@   the replier
    @@TO@@                                 where the reply is addressed
    @@SUBJECT@@                            the original subject (the template adds SV:/Re:)
    @@MSGID@@ @@DATE@@ @@THREAD_INDEX@@    the reply's own
    @@IN_REPLY_TO@@ @@REFERENCES@@         threading (lines dropped with thread=False)
    @@VOTE@@                               the new text: a vote, a comment
    @@ORIGINAL@@ @@QUOTED@@                the original text, as is / "> " quoted
    @@ORIG_FROM@@ @@ORIG_FROM_NAME@@ @@ORIG_FROM_ADDR@@ @@ORIG_TO@@
    @@ORIG_DATE_OUTLOOK@@ @@ORIG_DATE_GMAIL@@ @@ORIG_DATE_APPLE@@ @@ORIG_DATE_TB@@
"""

import base64
import datetime
import email
import email.policy
import email.utils
import html
import os
import quopri
import re
import uuid

try:
    from zoneinfo import ZoneInfo
    ZONE = ZoneInfo("Europe/Copenhagen")
except Exception:  # pragma: no cover
    ZONE = datetime.timezone(datetime.timedelta(hours=1))

HERE = os.path.dirname(os.path.abspath(__file__))
REPLIES = os.path.join(os.path.dirname(HERE), "data", "replies")

# name: (template, default recipient, quote prefix for empty / other lines,
#        header charset, quote display names)
CLIENTS = {
    "outlook": ("outlook_da.eml", "reply-to", None, "windows-1252", True),
    "gmail": ("gmail_da.eml", "reply-to", (">", "> "), "UTF-8", False),
    "apple": ("applemail_da.eml", "from", ("> ", "> "), "utf-8", False),
    "thunderbird": ("thunderbird_en.eml", "reply-to", (">", "> "), "UTF-8", True),
    "ooo": ("outlook_ooo_da.eml", "from", ("> ", "> "), "windows-1252", False),
}

DA_MONTHS = ["januar", "februar", "marts", "april", "maj", "juni", "juli",
             "august", "september", "oktober", "november", "december"]
DA_MON = ["jan.", "feb.", "mar.", "apr.", "maj", "jun.", "jul.", "aug.",
          "sep.", "okt.", "nov.", "dec."]
DA_WDAY = ["man.", "tir.", "ons.", "tor.", "fre.", "lør.", "søn."]


# ------------------------------------------------------------ headers
def encoded_word(text, charset):
    """RFC 2047 Q encoding, split into words of at most 75 characters."""
    words, cur = [], ""
    lead = "=?%s?Q?" % charset
    for ch in text:
        b = ch.encode(charset, errors="replace")
        if ch == " ":
            enc = "_"
        elif len(b) == 1 and (ch.isalnum() and ch.isascii() or ch in "!*+-/"):
            enc = ch
        else:
            enc = "".join("=%02X" % c for c in b)
        if len(lead) + len(cur) + len(enc) + 2 > 75:
            words.append(lead + cur + "?=")
            cur = ""
        cur += enc
    words.append(lead + cur + "?=")
    return "\r\n ".join(words)


def format_addr(name, addr, charset, quote):
    if not name:
        return addr
    if not name.isascii():
        return "%s <%s>" % (encoded_word(name, charset), addr)
    if quote or re.search(r'[()<>\[\]:;@\\,."]', name):
        return '"%s" <%s>' % (name.replace("\\", "\\\\").replace('"', '\\"'), addr)
    return "%s <%s>" % (name, addr)


def _header_block(text, values, charset, thread):
    lines = text.split("\r\n")
    out = []
    skip = False
    for line in lines:
        if line[:1] in (" ", "\t"):
            if not skip:
                out.append(line)
            continue
        name = line.split(":", 1)[0].lower()
        skip = not thread and name in ("in-reply-to", "references")
        if skip:
            continue
        out.append(line)
    text = "\r\n".join(out)
    for k, v in values.items():
        if k in ("@@SUBJECT@@",):
            continue
        text = text.replace(k, v.replace("\n", " "))
    # the subject (and Thread-Topic) is encoded as a whole when needed
    res = []
    for line in text.split("\r\n"):
        m = re.match(r"(?i)^(Subject|Thread-Topic):\s?(.*)$", line)
        if m and "@@SUBJECT@@" in line:
            value = m.group(2).replace("@@SUBJECT@@", values["@@SUBJECT@@"])
            if not value.isascii():
                value = encoded_word(value, charset)
            line = "%s: %s" % (m.group(1), value)
        res.append(line)
    text = "\r\n".join(res)
    assert "@@" not in text, text
    return text


# ------------------------------------------------------------ bodies
def _param(headers, name):
    m = re.search(r'(?i);\s*%s\s*=\s*"?([^";\r\n]+)"?' % name, headers)
    return m.group(1).strip() if m else None


def _unfold(headers):
    return re.sub(r"\r\n[ \t]+", " ", headers)


def _flow(text, quote_prefix):
    """format=flowed (RFC 3676): long lines broken at spaces, the space
    left at the end of the broken line; quoted lines keep their prefix."""
    out = []
    for line in text.split("\n"):
        m = re.match(r"^(>+ ?)", line)
        prefix = m.group(1) if m else ""
        body = line[len(prefix):]
        if line == "-- ":
            out.append(line)
            continue
        while len(prefix) + len(body) > 76 and " " in body[:76 - len(prefix)]:
            cut = body.rfind(" ", 0, 76 - len(prefix)) + 1
            out.append(prefix + body[:cut])
            body = body[cut:]
        out.append(prefix + body)
    return "\n".join(out)


def _leaf(headers, body, values):
    h = _unfold(headers)
    ctype = (re.search(r"(?im)^Content-Type:\s*([^;\s]+)", h) or [None, "text/plain"])[1].lower()
    charset = (_param(h, "charset") or "us-ascii").lower()
    cte = (re.search(r"(?im)^Content-Transfer-Encoding:\s*(\S+)", h) or [None, "7bit"])[1].lower()
    flowed = (_param(h, "format") or "").lower() == "flowed"
    raw = body.replace(b"\r\n", b"\n")
    if cte == "quoted-printable":
        raw = quopri.decodestring(raw)
    text = raw.decode(charset)
    for k, v in values.items():
        if ctype == "text/html":
            v = html.escape(v, quote=False).replace("\n", "<br>\n")
        text = text.replace(k, v)
    assert "@@" not in text, text
    if flowed:
        text = _flow(text, "> ")
    data = text.encode(charset, errors="replace")
    if cte == "quoted-printable":
        data = quopri.encodestring(data, quotetabs=False)
    return data.replace(b"\n", b"\r\n")


def _entity(headers, body, values):
    """Fill in one MIME entity (headers as text, body as bytes)."""
    h = _unfold(headers)
    ctype = (re.search(r"(?im)^Content-Type:\s*([^;\s]+)", h) or [None, "text/plain"])[1].lower()
    if not ctype.startswith("multipart/"):
        return _leaf(headers, body, values)
    boundary = _param(h, "boundary").encode()
    delim = b"--" + boundary
    segs = body.split(delim)
    out = [segs[0]]
    for seg in segs[1:]:
        if seg.startswith(b"--"):
            out.append(delim + seg)
            break
        part = seg[2:]  # after the CRLF that ends the delimiter line
        if part.endswith(b"\r\n"):
            part = part[:-2]
        ph, pb = part.split(b"\r\n\r\n", 1)
        new = _entity(ph.decode("ascii"), pb, values)
        out.append(delim + b"\r\n" + ph + b"\r\n\r\n" + new + b"\r\n")
    return b"".join(out)


# ------------------------------------------------------------ the original
def _local_date(msg):
    d = email.utils.parsedate_to_datetime(msg["Date"]) if msg["Date"] else \
        datetime.datetime.now(datetime.timezone.utc)
    return d.astimezone(ZONE)


def _text(msg):
    part = msg.get_body(preferencelist=("plain",))
    text = part.get_content() if part is not None else ""
    return text.replace("\r\n", "\n").rstrip("\n")


def _quote(text, prefixes):
    empty, full = prefixes
    return "\n".join(full + line if line else empty for line in text.split("\n"))


def _msgid(client, domain):
    rnd = os.urandom(16)
    if client == "outlook":
        h = rnd.hex()
        return "00%s$%s$%s$@%s" % (h[:10], h[10:18], h[18:26], domain)
    if client == "gmail":
        b = base64.b64encode(os.urandom(30)).decode().replace("/", "_").rstrip("=")
        return "CA%s@mail.gmail.com" % b
    if client == "apple":
        return "%s@%s" % (str(uuid.uuid4()).upper(), domain)
    if client == "ooo":
        return "AM7PR07MB6645%s@AM7PR07MB6645.eurprd07.prod.outlook.com" % rnd.hex().upper()
    return "%s@%s" % (uuid.uuid4(), domain)


def reply(client, original, sender, text, to=None, thread=True, date=None):
    """A reply by `sender` ("Name <addr>" or an address) to `original`
    (raw bytes or a parsed message) as `client` writes it, with `text` as
    the new text. `to`: None (the client's habit), "reply-to", "from", or
    an address. `thread=False` leaves out In-Reply-To and References.
    Returns (raw bytes, Message-ID without brackets)."""
    template, habit, quote_style, hcharset, quote_names = CLIENTS[client]
    if isinstance(original, (bytes, bytearray)):
        original = email.message_from_bytes(bytes(original), policy=email.policy.default)
    name, addr = email.utils.parseaddr(sender)
    ofrom_name, ofrom_addr = email.utils.parseaddr(str(original["From"]))
    oto = str(original["To"] or "")
    oid = (original["Message-ID"] or "").strip()
    refs = " ".join((str(original["References"] or "").split() + [oid]))
    target = to or habit
    if target == "reply-to":
        target = str(original["Reply-To"] or original["From"])
    elif target == "from":
        target = str(original["From"])
    msgid = _msgid(client, addr.split("@", 1)[1])
    d = _local_date(original)
    orig = _text(original)
    values = {
        "@@FROM@@": format_addr(name, addr, hcharset, quote_names),
        "@@FROM_NAME@@": name or addr.split("@")[0].capitalize(),
        "@@FROM_ADDR@@": addr,
        "@@TO@@": target,
        "@@SUBJECT@@": str(original["Subject"] or ""),
        "@@MSGID@@": msgid,
        "@@DATE@@": date or email.utils.formatdate(localtime=True),
        "@@THREAD_INDEX@@": base64.b64encode(os.urandom(22)).decode(),
        "@@IN_REPLY_TO@@": oid,
        "@@REFERENCES@@": refs,
        "@@VOTE@@": text.replace("\r\n", "\n"),
        "@@ORIGINAL@@": orig,
        "@@QUOTED@@": _quote(orig, quote_style or ("", "")),
        "@@ORIG_FROM@@": "%s <%s>" % (ofrom_name, ofrom_addr) if ofrom_name else ofrom_addr,
        "@@ORIG_FROM_NAME@@": ofrom_name or ofrom_addr,
        "@@ORIG_FROM_ADDR@@": ofrom_addr,
        "@@ORIG_TO@@": oto,
        "@@ORIG_DATE_OUTLOOK@@": "%d. %s %d %02d:%02d" % (d.day, DA_MONTHS[d.month - 1], d.year, d.hour, d.minute),
        "@@ORIG_DATE_GMAIL@@": "%s %d. %s %d kl. %02d.%02d" % (DA_WDAY[d.weekday()], d.day, DA_MON[d.month - 1], d.year, d.hour, d.minute),
        "@@ORIG_DATE_APPLE@@": "%d. %s %d kl. %02d.%02d" % (d.day, DA_MON[d.month - 1], d.year, d.hour, d.minute),
        "@@ORIG_DATE_TB@@": "%02d/%02d/%d %02d:%02d" % (d.day, d.month, d.year, d.hour, d.minute),
    }
    with open(os.path.join(REPLIES, template), "rb") as f:
        raw = f.read()
    head, body = raw.split(b"\r\n\r\n", 1)
    head = _header_block(head.decode("ascii"), values, hcharset, thread)
    body = _entity(head, body, {k: v for k, v in values.items()})
    return head.encode("ascii") + b"\r\n\r\n" + body, msgid


def forward_as_attachment(original, sender, to, note="Til orientering."):
    """An Outlook forward ("VS:") that carries `original` (raw bytes) as a
    message/rfc822 attachment. Returns (raw bytes, Message-ID)."""
    msg = email.message_from_bytes(bytes(original), policy=email.policy.default)
    name, addr = email.utils.parseaddr(sender)
    msgid = _msgid("outlook", addr.split("@", 1)[1])
    boundary = "----=_NextPart_000_0042_01DB63F6.1B2C3D40"
    subject = "VS: " + str(msg["Subject"] or "")
    if not subject.isascii():
        subject = encoded_word(subject, "windows-1252")
    head = ("From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: multipart/mixed;\r\n\tboundary=\"%s\"\r\n"
            "X-Mailer: Microsoft Outlook 16.0\r\nThread-Index: %s\r\nContent-Language: da\r\n"
            % (format_addr(name, addr, "windows-1252", True), to, subject,
               email.utils.formatdate(localtime=True), msgid, boundary,
               base64.b64encode(os.urandom(22)).decode()))
    note_qp = quopri.encodestring(note.encode("windows-1252")).replace(b"\n", b"\r\n")
    orig = bytes(original).replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    # only the message itself, not the delivery headers of the mailbox it came from
    orig = re.sub(rb"\A(?:(?:Return-Path|Delivered-To|Received):.*\r\n(?:[ \t].*\r\n)*)+", b"", orig)
    body = (b"This is a multipart message in MIME format.\r\n\r\n--" + boundary.encode() +
            b"\r\nContent-Type: text/plain;\r\n\tcharset=\"windows-1252\"\r\n"
            b"Content-Transfer-Encoding: quoted-printable\r\n\r\n" + note_qp + b"\r\n\r\n--" +
            boundary.encode() + b"\r\nContent-Type: message/rfc822\r\n"
            b"Content-Disposition: attachment\r\n\r\n" + orig + b"\r\n--" + boundary.encode() + b"--\r\n")
    return head.encode("ascii") + b"\r\n" + body, msgid


def attached_message(raw):
    """The first message/rfc822 attachment of a mail, as raw bytes."""
    msg = email.message_from_bytes(bytes(raw), policy=email.policy.default)
    for part in msg.walk():
        if part.get_content_type() == "message/rfc822":
            inner = part.get_payload()[0]
            return inner.as_bytes(policy=email.policy.SMTP)
    return None

"""Read an iCalendar object with three independent parsers and say what
each of them understood, in one shape, so that a test can hold all three
to the same expectations:

    libical 3 (the C library, through ctypes on libical.so.3),
    python3-icalendar (icalendar.Calendar.from_ical),
    python3-vobject (vobject.readOne(...).validate(raiseException=True)).

    from calendar_check import read_all, crlf_problems, mime_calendars, fill_eml
    views = read_all(ics_bytes)          # {"libical": View, "icalendar": View, "vobject": View}
    for name, v in views.items(): assert not v.errors, (name, v.errors)

A View has: method, uid, sequence (int or None), status, summary, location,
dtstart_utc / dtend_utc (aware UTC datetimes: the instant the parser
computed from TZID and the calendar's own VTIMEZONE), dtstart_local (naive
wall time as written), dtstart_tzid, organizer (value as written),
attendees [(value, {PARAM: value})], dtstamp_utc, errors [str].

Also: mime_calendars(msg) lists a mail's calendar parts; crlf_problems(b)
says what is wrong with a calendar's line ends and folding; fill_eml(raw,
values) fills @@PLACEHOLDERS@@ in a corpus mail, decoding and re-encoding
each MIME leaf (base64, quoted-printable) and folding calendar lines as
clients do."""

import base64
import ctypes
import ctypes.util
import datetime
import email.header
import email.utils
import quopri
import re

UTC = datetime.timezone.utc


class View:
    def __init__(self, parser):
        self.parser = parser
        self.method = None
        self.uid = None
        self.sequence = None
        self.status = None
        self.summary = None
        self.location = None
        self.dtstart_utc = None
        self.dtend_utc = None
        self.dtstart_local = None
        self.dtstart_tzid = None
        self.dtstamp_utc = None
        self.organizer = None
        self.attendees = []
        self.nevents = 0
        self.errors = []

    def __repr__(self):
        return "<%s %s>" % (self.parser, {k: v for k, v in self.__dict__.items() if k != "parser"})


# ------------------------------------------------------------------ libical
class _IcalTime(ctypes.Structure):
    _fields_ = [("year", ctypes.c_int), ("month", ctypes.c_int), ("day", ctypes.c_int),
                ("hour", ctypes.c_int), ("minute", ctypes.c_int), ("second", ctypes.c_int),
                ("is_date", ctypes.c_int), ("is_daylight", ctypes.c_int),
                ("zone", ctypes.c_void_p)]


_lib = None


def _libical():
    global _lib
    if _lib is not None:
        return _lib
    name = ctypes.util.find_library("ical") or "libical.so.3"
    try:
        lib = ctypes.CDLL(name)
    except OSError:
        lib = ctypes.CDLL("libical.so.3")
    vp, cp, ci = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int
    sig = {
        "icalparser_parse_string": (vp, [cp]),
        "icalcomponent_count_errors": (ci, [vp]),
        "icalcomponent_isa": (ci, [vp]),
        "icalcomponent_string_to_kind": (ci, [cp]),
        "icalproperty_string_to_kind": (ci, [cp]),
        "icalcomponent_get_first_component": (vp, [vp, ci]),
        "icalcomponent_get_next_component": (vp, [vp, ci]),
        "icalcomponent_get_first_property": (vp, [vp, ci]),
        "icalcomponent_get_next_property": (vp, [vp, ci]),
        "icalproperty_get_property_name": (cp, [vp]),
        "icalproperty_get_value_as_string": (cp, [vp]),
        "icalproperty_get_parameter_as_string": (cp, [vp, cp]),
        "icalcomponent_get_dtstart": (_IcalTime, [vp]),
        "icalcomponent_get_dtend": (_IcalTime, [vp]),
        "icalcomponent_get_dtstamp": (_IcalTime, [vp]),
        "icaltime_as_timet_with_zone": (ctypes.c_int64, [_IcalTime, vp]),
        "icaltimezone_get_utc_timezone": (vp, []),
        "icaltimezone_get_tzid": (cp, [vp]),
        "icalcomponent_free": (None, [vp]),
        "icalrestriction_check": (ci, [vp]),
        "icalerror_set_errors_are_fatal": (None, [ci]),
    }
    for fn, (res, args) in sig.items():
        f = getattr(lib, fn)
        f.restype = res
        f.argtypes = args
    lib.icalerror_set_errors_are_fatal(0)
    _lib = lib
    return lib


def _s(b):
    return b.decode("utf-8", "replace") if b is not None else None


def libical_read(data, restrictions=False):
    """The calendar as libical reads it. With restrictions=True also run
    icalrestriction_check (RFC 5546's rules for the METHOD) and count the
    X-LIC-ERRORs it adds."""
    v = View("libical")
    try:
        lib = _libical()
    except OSError as e:  # pragma: no cover - libical is a build dependency
        v.errors.append("libical not loadable: %s" % e)
        return v
    c = lib.icalparser_parse_string(data)
    if not c:
        v.errors.append("icalparser_parse_string returned NULL")
        return v
    try:
        k_cal = lib.icalcomponent_string_to_kind(b"VCALENDAR")
        k_ev = lib.icalcomponent_string_to_kind(b"VEVENT")
        k_any = 0  # ICAL_ANY_PROPERTY
        if lib.icalcomponent_isa(c) != k_cal:
            v.errors.append("top component is not VCALENDAR")
            return v
        n = lib.icalcomponent_count_errors(c)
        if restrictions:
            lib.icalrestriction_check(c)
            n = lib.icalcomponent_count_errors(c)
        if n:
            v.errors.append("%d X-LIC-ERROR(s): %s" % (n, "; ".join(_lic_errors(lib, c, k_any))))
        p = lib.icalcomponent_get_first_property(c, k_any)
        while p:
            if _s(lib.icalproperty_get_property_name(p)) == "METHOD":
                v.method = _s(lib.icalproperty_get_value_as_string(p))
            p = lib.icalcomponent_get_next_property(c, k_any)
        ev = lib.icalcomponent_get_first_component(c, k_ev)
        first = ev
        while ev:
            v.nevents += 1
            ev = lib.icalcomponent_get_next_component(c, k_ev)
        ev = first
        if not ev:
            v.errors.append("no VEVENT")
            return v
        utc = lib.icaltimezone_get_utc_timezone()
        p = lib.icalcomponent_get_first_property(ev, k_any)
        while p:
            name = _s(lib.icalproperty_get_property_name(p))
            val = _s(lib.icalproperty_get_value_as_string(p))
            if name == "UID":
                v.uid = val
            elif name == "SEQUENCE":
                v.sequence = int(val)
            elif name == "STATUS":
                v.status = val
            elif name == "SUMMARY":
                v.summary = _unescape(val)
            elif name == "LOCATION":
                v.location = _unescape(val)
            elif name == "ORGANIZER":
                v.organizer = val
            elif name == "ATTENDEE":
                params = {}
                for pn in ("CN", "PARTSTAT", "RSVP", "ROLE"):
                    pv = lib.icalproperty_get_parameter_as_string(p, pn.encode())
                    if pv is not None:
                        params[pn] = _s(pv)
                v.attendees.append((val, params))
            elif name == "DTSTART":
                v.dtstart_local = val
                tz = lib.icalproperty_get_parameter_as_string(p, b"TZID")
                v.dtstart_tzid = _s(tz)
            p = lib.icalcomponent_get_next_property(ev, k_any)
        for attr, getter in (("dtstart_utc", lib.icalcomponent_get_dtstart),
                             ("dtend_utc", lib.icalcomponent_get_dtend),
                             ("dtstamp_utc", lib.icalcomponent_get_dtstamp)):
            tt = getter(ev)
            if tt.year == 0:
                continue
            if v.dtstart_tzid and attr != "dtstamp_utc" and not tt.zone:
                v.errors.append("%s: TZID %s not resolved from the calendar's VTIMEZONE"
                                % (attr, v.dtstart_tzid))
            zone = tt.zone or (utc if attr == "dtstamp_utc" else None)
            if not zone:
                continue  # floating time: no instant
            t = lib.icaltime_as_timet_with_zone(tt, zone)
            setattr(v, attr, datetime.datetime.fromtimestamp(t, UTC))
    finally:
        lib.icalcomponent_free(c)
    return v


def _lic_errors(lib, comp, k_any):
    """The X-LIC-ERROR values anywhere under comp."""
    out = []
    p = lib.icalcomponent_get_first_property(comp, k_any)
    while p:
        if _s(lib.icalproperty_get_property_name(p)) == "X-LIC-ERROR":
            out.append(_s(lib.icalproperty_get_value_as_string(p)))
        p = lib.icalcomponent_get_next_property(comp, k_any)
    k_all = 1  # ICAL_ANY_COMPONENT
    sub = lib.icalcomponent_get_first_component(comp, k_all)
    while sub:
        out.extend(_lic_errors(lib, sub, k_any))
        sub = lib.icalcomponent_get_next_component(comp, k_all)
    return out


def _unescape(s):
    """TEXT value escapes as libical's value-as-string leaves them."""
    if s is None:
        return None
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), s)


# ----------------------------------------------------------------- icalendar
def _utc(d):
    if isinstance(d, datetime.datetime) and d.tzinfo is not None:
        return d.astimezone(UTC)
    return None


def icalendar_read(data):
    v = View("icalendar")
    try:
        import icalendar
    except ImportError as e:
        v.errors.append("python3-icalendar missing: %s" % e)
        return v
    try:
        cal = icalendar.Calendar.from_ical(data)
    except Exception as e:
        v.errors.append("from_ical: %r" % e)
        return v
    for comp in cal.walk():
        for err in getattr(comp, "errors", []) or []:
            v.errors.append("%s: %r" % (comp.name, err))
    if cal.name != "VCALENDAR":
        v.errors.append("top component is %s" % cal.name)
    v.method = str(cal["METHOD"]) if "METHOD" in cal else None
    events = [c for c in cal.walk("VEVENT")]
    v.nevents = len(events)
    if not events:
        v.errors.append("no VEVENT")
        return v
    ev = events[0]
    try:
        v.uid = str(ev["UID"]) if "UID" in ev else None
        v.sequence = int(ev.decoded("SEQUENCE")) if "SEQUENCE" in ev else None
        v.status = str(ev["STATUS"]) if "STATUS" in ev else None
        v.summary = str(ev["SUMMARY"]) if "SUMMARY" in ev else None
        v.location = str(ev["LOCATION"]) if "LOCATION" in ev else None
        v.organizer = str(ev["ORGANIZER"]) if "ORGANIZER" in ev else None
        atts = ev.get("ATTENDEE")
        if atts is not None and not isinstance(atts, list):
            atts = [atts]
        for a in atts or []:
            v.attendees.append((str(a), {k.upper(): str(x) for k, x in a.params.items()}))
        if "DTSTART" in ev:
            p = ev["DTSTART"]
            v.dtstart_tzid = p.params.get("TZID")
            v.dtstart_local = p.to_ical().decode() if hasattr(p, "to_ical") else None
            v.dtstart_utc = _utc(ev.decoded("DTSTART"))
        if "DTEND" in ev:
            v.dtend_utc = _utc(ev.decoded("DTEND"))
        if "DTSTAMP" in ev:
            v.dtstamp_utc = _utc(ev.decoded("DTSTAMP"))
    except Exception as e:
        v.errors.append("reading VEVENT: %r" % e)
    return v


# ------------------------------------------------------------------- vobject
def vobject_read(data):
    v = View("vobject")
    try:
        import vobject
    except ImportError as e:
        v.errors.append("python3-vobject missing: %s" % e)
        return v
    try:
        cal = vobject.readOne(data.decode("utf-8"))
        cal.validate(raiseException=True)
    except Exception as e:
        v.errors.append("readOne/validate: %r" % e)
        return v
    if cal.name != "VCALENDAR":
        v.errors.append("top component is %s" % cal.name)
    if hasattr(cal, "method"):
        v.method = cal.method.value
    events = list(getattr(cal, "vevent_list", []))
    v.nevents = len(events)
    if not events:
        v.errors.append("no VEVENT")
        return v
    ev = events[0]
    try:
        for attr in ("uid", "status", "summary", "location"):
            if hasattr(ev, attr):
                setattr(v, attr, getattr(ev, attr).value)
        if hasattr(ev, "sequence"):
            v.sequence = int(ev.sequence.value)
        if hasattr(ev, "organizer"):
            v.organizer = ev.organizer.value
        for a in getattr(ev, "attendee_list", []):
            v.attendees.append((a.value, {k.upper(): ",".join(x) for k, x in a.params.items()}))
        if hasattr(ev, "dtstart"):
            v.dtstart_tzid = ev.dtstart.params.get("TZID", [None])[0]
            d = ev.dtstart.value
            v.dtstart_local = d.strftime("%Y%m%dT%H%M%S") if isinstance(d, datetime.datetime) else str(d)
            v.dtstart_utc = _utc(d)
        if hasattr(ev, "dtend"):
            v.dtend_utc = _utc(ev.dtend.value)
        if hasattr(ev, "dtstamp"):
            v.dtstamp_utc = _utc(ev.dtstamp.value)
    except Exception as e:
        v.errors.append("reading VEVENT: %r" % e)
    return v


def read_all(data):
    """{parser name: View} for the calendar bytes."""
    return {"libical": libical_read(data), "icalendar": icalendar_read(data),
            "vobject": vobject_read(data)}


# ---------------------------------------------------------------- structure
def crlf_problems(data):
    """What is wrong with the line ends and folding of a calendar (bytes):
    bare LF, bare CR, CR CR LF, no CRLF at the end, lines over 75 octets,
    a fold that splits a UTF-8 character."""
    out = []
    if re.search(rb"(?<!\r)\n", data):
        out.append("bare LF")
    if re.search(rb"\r(?!\n)", data):
        out.append("bare CR")
    if b"\r\r\n" in data:
        out.append("CR CR LF (line ends converted twice)")
    if not data.endswith(b"\r\n"):
        out.append("does not end with CRLF")
    for line in data.split(b"\r\n"):
        if len(line) > 75:
            out.append("line of %d octets: %r" % (len(line), line[:40]))
    for m in re.finditer(rb"\r\n[ \t]", data):
        try:
            data[m.end():m.end() + 4].decode("utf-8")
        except UnicodeDecodeError as e:
            if e.start == 0:
                out.append("fold splits a UTF-8 character at %d" % m.start())
    return out


def unfolded_lines(data):
    return re.sub(rb"\r\n[ \t]", b"", data).decode("utf-8").split("\r\n")


def vtimezone_shape(data):
    """(count of DAYLIGHT, count of STANDARD, RRULE lines, RDATE lines) in
    the calendar's VTIMEZONE blocks."""
    lines = unfolded_lines(data)
    inside = False
    d = s = rr = rd = 0
    for ln in lines:
        if ln == "BEGIN:VTIMEZONE":
            inside = True
        elif ln == "END:VTIMEZONE":
            inside = False
        elif inside:
            d += ln == "BEGIN:DAYLIGHT"
            s += ln == "BEGIN:STANDARD"
            rr += ln.startswith("RRULE")
            rd += ln.startswith("RDATE")
    return d, s, rr, rd


def mime_calendars(msg):
    """[(content type, method= parameter, filename, disposition, raw decoded
    bytes, parent content type)] for every calendar part of a parsed mail
    (policy=email.policy.default)."""
    out = []

    def walk(part, parent):
        if part.is_multipart():
            for sub in part.iter_parts():
                walk(sub, part.get_content_type())
            return
        ct = part.get_content_type()
        if ct in ("text/calendar", "application/ics"):
            out.append((ct, part.get_param("method"), part.get_filename(),
                        part.get_content_disposition(), part.get_payload(decode=True), parent))
    walk(msg, None)
    return out


# --------------------------------------------------------------- corpus fill
def _fold(text):
    """Fold iCalendar lines at 75 octets without splitting UTF-8."""
    out = []
    for line in text.split("\r\n"):
        b = line.encode("utf-8")
        first = True
        while len(b) > (75 if first else 74):
            cut = 75 if first else 74
            while cut > 0 and (b[cut] & 0xC0) == 0x80:
                cut -= 1
            out.append((b"" if first else b" ") + b[:cut])
            b = b[cut:]
            first = False
        out.append((b"" if first else b" ") + b)
    return b"\r\n".join(out).decode("utf-8")


def _param(headers, name):
    m = re.search(r'(?i);\s*%s\s*=\s*"?([^";\r\n]+)"?' % name, headers)
    return m.group(1).strip() if m else None


def _fill_text(text, values):
    for k, val in values.items():
        text = text.replace(k, val)
    left = re.findall(r"@@[A-Z_]+@@", text)
    assert not left, "unfilled placeholders %s" % left
    return text


def _leaf(headers, body, values):
    h = re.sub(r"\r\n[ \t]+", " ", headers)
    ctype = (re.search(r"(?im)^Content-Type:\s*([^;\s]+)", h) or [None, "text/plain"])[1].lower()
    charset = (_param(h, "charset") or "utf-8").lower()
    cte = (re.search(r"(?im)^Content-Transfer-Encoding:\s*(\S+)", h) or [None, "7bit"])[1].lower()
    if cte == "base64":
        raw = base64.b64decode(body)
    elif cte == "quoted-printable":
        raw = quopri.decodestring(body)
    else:
        raw = body
    text = _fill_text(raw.decode(charset), values)
    if ctype in ("text/calendar", "application/ics"):
        text = _fold(text.replace("\r\n", "\n").replace("\n", "\r\n"))
    data = text.encode(charset)
    if cte == "base64":
        enc = base64.b64encode(data).decode()
        return ("\r\n".join(enc[i:i + 76] for i in range(0, len(enc), 76)) + "\r\n").encode()
    if cte == "quoted-printable":
        # line ends stay hard CRLF (quopri writes LF), the rest is encoded
        lines = data.split(b"\r\n")
        return b"\r\n".join(quopri.encodestring(ln).rstrip(b"\n").replace(b"\n", b"\r\n")
                            for ln in lines)
    return data


def _entity(headers, body, values):
    h = re.sub(r"\r\n[ \t]+", " ", headers)
    ctype = (re.search(r"(?im)^Content-Type:\s*([^;\s]+)", h) or [None, "text/plain"])[1].lower()
    if not ctype.startswith("multipart/"):
        return _leaf(headers, body, values)
    delim = b"--" + _param(h, "boundary").encode()
    segs = body.split(delim)
    out = [segs[0]]
    for seg in segs[1:]:
        if seg.startswith(b"--"):
            out.append(delim + seg)
            break
        part = seg[2:]
        if part.endswith(b"\r\n"):
            part = part[:-2]
        ph, pb = part.split(b"\r\n\r\n", 1)
        out.append(delim + b"\r\n" + ph + b"\r\n\r\n" + _entity(ph.decode("ascii"), pb, values) + b"\r\n")
    return b"".join(out)


def fill_eml(raw, values):
    """Fill @@KEY@@ placeholders (values: {"@@KEY@@": str}) in a CRLF corpus
    mail: headers as text (a non-ASCII Subject becomes an RFC 2047 word),
    each MIME leaf decoded, filled and encoded again the way it was."""
    head, body = raw.split(b"\r\n\r\n", 1)
    head = head.decode("ascii")
    lines = []
    for line in head.split("\r\n"):
        m = re.match(r"(?i)^(Subject|Thread-Topic):\s?(.*)$", line)
        if m and "=?" in line:
            # encoded words of the template join the filled text, encoded anew
            line = "%s: %s" % (m.group(1), email.header.make_header(email.header.decode_header(m.group(2))))
        line = _fill_text(line, values)
        m = re.match(r"(?i)^([A-Za-z-]+):\s?(.*)$", line)
        if m and not m.group(2).isascii():
            field, value = m.group(1), m.group(2)
            if field.lower() in ("from", "to", "cc", "reply-to", "sender"):
                name, addr = email.utils.parseaddr(value)
                line = "%s: %s <%s>" % (field, email.header.Header(name, "utf-8").encode(), addr)
            else:
                line = "%s: %s" % (field, email.header.Header(value, "utf-8").encode())
        lines.append(line)
    head = "\r\n".join(lines)
    return head.encode("ascii") + b"\r\n\r\n" + _entity(head, body, values)


"""State for the growth measure: a pact that has run for years. Many mails
in the Processed folder (written straight into the Maildir, then indexed
by Dovecot before pactd runs), and in the database as many processed rows
and sent replies, and many associate members."""

import os
import sqlite3
import time

SANDBOX_UID = SANDBOX_GID = 65534


def processed_maildir(sb, user, folder):
    """Maildir++ keeps pactd/Processed in .pactd.Processed."""
    d = os.path.join(sb.maildir(user), "." + folder.replace("/", "."))
    if not os.path.isdir(os.path.join(d, "cur")):
        raise RuntimeError("no Maildir for %s at %s" % (folder, d))
    return d


def seed_folder(sb, user, folder, n):
    """n small mails into folder, then Dovecot indexes them; returns the
    seconds Dovecot took to index (not pactd's time)."""
    cur = os.path.join(processed_maildir(sb, user, folder), "cur")
    now = int(time.time())
    for i in range(n):
        body = ("From: old%d@archive.example.test\r\nTo: %s\r\nSubject: HJÆLP\r\n"
                "Message-ID: <seed-%d@archive.example.test>\r\n"
                "Date: Mon, 2 Jan 2023 10:00:00 +0100\r\n\r\nEn gammel henvendelse.\r\n"
                % (i % 997, user, i)).encode()
        path = os.path.join(cur, "%d.M%dP%d.bench,S=%d:2,S" % (now - 86400, i, os.getpid(), len(body)))
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, body)
        finally:
            os.close(fd)
        os.chown(path, SANDBOX_UID, SANDBOX_GID)
    t0 = time.monotonic()
    out = sb.doveadm("mailbox", "status", "-u", user, "messages", folder).decode()
    return time.monotonic() - t0, out.strip()


def seed_database(db, nprocessed, nassociates):
    """Rows as years of use leave them: processed mails with their sent
    replies, and active associate members with their contacts."""
    now = int(time.time())
    con = sqlite3.connect(db, timeout=30)
    try:
        with con:
            con.executemany(
                "INSERT INTO processed(msgkey, message_id, sender, subject, kind, outcome, at) "
                "VALUES (?, ?, ?, 'HJÆLP', 'help', 'processed', ?)",
                (("seed-%d@archive.example.test" % i, "seed-%d@archive.example.test" % i,
                  "old%d@archive.example.test" % (i % 997), now - 86400 * 400 + i)
                 for i in range(nprocessed)))
            con.executemany(
                "INSERT INTO outbox(message_id, rcpt, kind, subject, data, state, attempts, "
                "next_try, created, sent_at) VALUES (?, ?, 'reply', 'Re: HJÆLP', ?, 'sent', 1, ?, ?, ?)",
                (("r-seed-%d@pagt.example.test" % i, "old%d@archive.example.test" % (i % 997),
                  b"Subject: Re: HJAELP\r\n\r\nSvar.\r\n", now - 86400 * 400 + i,
                  now - 86400 * 400 + i, now - 86400 * 400 + i)
                 for i in range(nprocessed)))
            con.executemany(
                "INSERT INTO associates(ref, organisation, type, cvr, contact_name, contact_addr, "
                "nominated_by, approved) VALUES (?, ?, 'virksomhed', ?, ?, ?, 'DI', ?)",
                (("SEED-%04d" % i, "Medlem %04d ApS" % i, "%08d" % (20000000 + i),
                  "Kontakt %d" % i, "kontakt%d@medlem%d.example.test" % (i, i),
                  now - 86400 * 300)
                 for i in range(nassociates)))
    finally:
        con.close()

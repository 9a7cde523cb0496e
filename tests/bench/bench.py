#!/usr/bin/python3
"""make bench: how close pactd comes to the mail servers' own limits.

A private Dovecot + OpenSMTPD (tests/sandbox) and a pactd of its own, set up
as the torture sets up (an open consultation, open ballots). Then:

 1. Throughput: N mixed submissions (HELP, declarations, initiatives, votes
    on the open ballots, comments) appended to the pact's INBOX, one
    `pactd --once`: mails/s from its start to the last reply accepted by the
    SMTP server, CPU seconds per 1000 mails, peak RSS.
 2. The limits, in the same run: one `UID FETCH 1:* (UID BODY.PEEK[])` of the
    same N mails, and OpenSMTPD accepting N small mails on reused sessions.
    OpenSMTPD's delivery (mda) is paused for both the limit and pactd's run,
    so that acceptance is what is measured; the queued mail is counted and
    removed afterwards.
 3. Latency: submissions one at a time over SMTP to a running `pactd -f`
    (IDLE), from acceptance to the reply's arrival in the sender's Maildir,
    interleaved with the same measure for the floor: a bare IDLE client
    that answers at once.
 4. Growth: start-up time and the throughput measure again, with G mails
    added to the Processed folder (and G processed rows with their sent
    replies in the database) and A associate members.
 5. Profile: pactd --once over P more mails under callgrind; the share of
    pactd's functions in the instructions (bench/callgrind.out).

Memory is the peak RSS of pactd alone (tests/bench/maxrss.c, built by make
bench), its anonymous part sampled from /proc, and the floor the shared
libraries set by themselves (pactd --help).

Prints a table and writes bench/results.json.

    bench.py [--mails N] [--latency L] [--growth G] [--associates A]
             [--profile P] [--keep]
"""

import argparse
import collections
import json
import os
import re
import smtplib
import sqlite3
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(TOP, "tests", "torture"))
sys.path.insert(0, HERE)

import torture  # noqa: E402
import latency  # noqa: E402
import limits  # noqa: E402
import seed  # noqa: E402
from torture import (ADVISORY, PACT, PARTIES, ROSTER, VOTE_WORDS, clients,  # noqa: E402
                     declaration_body, make_mail, pactlib)

# the share of each kind (rest: HELP)
MIX = [("declaration", 0.15), ("initiative", 0.15), ("vote", 0.30), ("comment", 0.10)]
# Votes come from four parties only: a ballot closes when the outcome can no
# longer change (5 yes or 5 no of 10), so every ballot stays open.
VOTING = ["EM", "DI", "DE", "ITB"]
DELEGATES = [a for addrs in PARTIES.values() for a in addrs]
LATENCY_SENDER = "mette@em.example.test"
FLOOR_USER = "floor@example.test"
FLOOR_SENDER = "floorsender@example.test"
SINK = "limit-sink@example.test"
MAXRSS = os.path.join(os.environ.get("PACTD_BUILD", os.path.join(TOP, "build")), "maxrss")


def say(*a):
    print(*a, flush=True)


class Bench(torture.Torture):
    def __init__(self, args):
        super().__init__(argparse.Namespace(seed=args.seed, keep=args.keep))
        self.bargs = args
        self.results = collections.OrderedDict()
        self.batch = 0

    # ---------------------------------------------------------------- the mix
    def mix(self, n):
        counts = {k: int(round(n * share)) for k, share in MIX}
        counts["help"] = n - sum(counts.values())
        kinds = [k for k, c in counts.items() for _ in range(c)]
        self.rng.shuffle(kinds)
        self.batch += 1
        subs = []
        for i, kind in enumerate(kinds):
            marker = "bench-%d-%d" % (self.batch, i)
            if kind == "help":
                raw, _ = make_mail(self.rng.choice(ROSTER), "HJÆLP", "Hej\n\nHvordan gør jeg? (%s)\n" % marker)
            elif kind == "declaration":
                raw, _ = make_mail(self.rng.choice(DELEGATES), "ERKLÆRING", declaration_body(marker))
            elif kind == "initiative":
                raw, _ = make_mail(self.rng.choice(DELEGATES), "INITIATIV",
                                   "Titel: Sikkerhedstjek %s\nBeskrivelse: Gratis tjek af SMV'ers "
                                   "opsætning.\nFormål: 1, 3\n\nVenlig hilsen\n" % marker)
            elif kind == "vote":
                b = self.rng.choice(self.ballots)
                sender = self.rng.choice(PARTIES[self.rng.choice(VOTING)])
                raw, _ = clients.reply(self.rng.choice(["gmail", "outlook", "apple"]), b["mails"][sender],
                                       sender, self.rng.choice(VOTE_WORDS[self.rng.choice(list(VOTE_WORDS))]))
            else:
                sender = self.rng.choice(ADVISORY)
                raw, _ = clients.reply("gmail", self.consultation[sender], sender,
                                       "Vi savner tal for region Nord (%s)." % marker)
            subs.append({"raw": raw})
        return counts, subs

    # ---------------------------------------------------------------- helpers
    def dbl(self, sql):
        """Rows of a query on pactd's database, read-only."""
        con = sqlite3.connect("file:%s?mode=ro" % self.pact.db, uri=True, timeout=30)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()

    def db(self, sql):
        return self.dbl(sql)[0]

    def run_pactd(self, *extra):
        """pactd -c CONF --once as systemd runs it (no -v), under maxrss:
        (status, wall s, CPU s, memory: peak RSS and the largest anonymous
        part seen, in KiB)."""
        out = os.path.join(self.root, "maxrss.out")
        with open(self.log, "a") as logf:
            t0 = time.monotonic()
            proc = subprocess.Popen([MAXRSS, out, os.path.join(torture.BUILD, "pactd"), "-c",
                                     self.pact.conf, "--once"] + list(extra),
                                    stderr=logf, stdout=logf, env=self.pact.env())
            anon = limits.AnonWatch(proc.pid)
            rc = proc.wait()
            wall = time.monotonic() - t0
        with open(out) as f:
            rss, user, system = f.read().split()
        return rc, wall, float(user) + float(system), {
            "peak_rss_kib": int(rss), "peak_anon_kib": anon.stop()}

    def queued_in_smtpd(self):
        out = self.sb.smtpctl("show", "queue")
        return sum(1 for line in out.splitlines() if line.strip())

    # ---------------------------------------------------------------- 1 + 2
    def throughput(self, label, with_limits):
        n = self.bargs.mails
        counts, subs = self.mix(n)
        t0 = time.monotonic()
        self.append(subs)
        say("bench: %s: %d submissions appended in %.1f s (%s)" % (
            label, n, time.monotonic() - t0, ", ".join("%s %d" % kv for kv in sorted(counts.items()))))
        r = collections.OrderedDict(mails=n, mix=counts)
        if with_limits:
            got, rate = limits.imap_fetch_rate(self.sb, PACT)
            if got != n:
                raise torture.HarnessError("UID FETCH returned %d of %d messages" % (got, n))
            r["imap_fetch_per_s"] = rate
        self.sb.smtpctl("pause", "mda")
        try:
            if with_limits:
                r["smtp_accept_per_s"] = limits.smtp_accept_rate(self.sb, n, "bench@example.test", SINK)
                self.sb.smtpctl("remove", "all")
            last_out = self.db("SELECT coalesce(max(id), 0) FROM outbox")[0]
            last_proc = self.db("SELECT coalesce(max(id), 0) FROM processed")[0]
            cpu0 = limits.server_cpu(self.sb)
            rc, wall, cpu, mem = self.run_pactd()
            server = limits.server_cpu(self.sb) - cpu0
            if rc != 0:
                raise torture.HarnessError("pactd --once exited %d; see %s" % (rc, self.log))
            outcomes = dict(self.dbl("SELECT outcome, count(*) FROM processed WHERE id > %d "
                                     "GROUP BY outcome" % last_proc))
            processed = sum(outcomes.values())
            sent = self.db("SELECT count(*) FROM outbox WHERE id > %d AND state = 'sent'" % last_out)[0]
            unsent = self.db("SELECT count(*) FROM outbox WHERE state <> 'sent'")[0]
            queued = self.queued_in_smtpd()
            left = self.sb.count(PACT, "INBOX")
            self.sb.smtpctl("remove", "all")
        finally:
            self.sb.smtpctl("resume", "mda")
        if processed != n or left != 0 or unsent != 0 or queued != sent or outcomes.get("processed") != n:
            raise torture.HarnessError(
                "%s: pactd did not answer everything: %d processed of %d (%r), %d left in the INBOX, "
                "%d unsent, %d sent but %d queued at the SMTP server; see %s"
                % (label, processed, n, outcomes, left, unsent, sent, queued, self.log))
        r.update(wall_s=wall, per_s=n / wall, replies=sent, cpu_s=cpu, cpu_per_1000=cpu * 1000.0 / n,
                 peak_rss_kib=mem["peak_rss_kib"], peak_anon_kib=mem["peak_anon_kib"],
                 server_cpu_per_1000=server * 1000.0 / n)
        say("bench: %s: pactd --once took %.1f s for %d mails and %d replies (%.0f mails/s), "
            "CPU %.1f s, peak RSS %d KiB (anonymous %d KiB)" % (
                label, wall, n, sent, n / wall, cpu, mem["peak_rss_kib"], mem["peak_anon_kib"]))
        return r

    def startup(self, runs=5):
        """Median wall time of pactd --once with nothing to do."""
        walls = []
        for _ in range(runs):
            rc, wall, _, mem = self.run_pactd()
            if rc != 0:
                raise torture.HarnessError("pactd --once on an empty INBOX exited %d" % rc)
            walls.append(wall)
        return statistics.median(walls), mem

    def library_floor(self):
        """Peak RSS of pactd --help: the shared libraries loaded, nothing
        done; what no work of pactd's can go below."""
        out = os.path.join(self.root, "maxrss.out")
        subprocess.run([MAXRSS, out, os.path.join(torture.BUILD, "pactd"), "--help"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(out) as f:
            return int(f.read().split()[0])

    # ---------------------------------------------------------------- 3
    def warm(self, user):
        """A first mail makes the Maildir (and its new/) exist."""
        raw, _ = make_mail("bench@example.test", "warm", "warm\n", to=user)
        self.sb.send(raw, "bench@example.test", [user])
        self.sb.wait_messages(user, 1, timeout=30)

    def latency(self):
        n = self.bargs.latency
        self.warm(FLOOR_SENDER)
        self.warm(FLOOR_USER)
        floor = latency.FloorClient(self.sb, FLOOR_USER)
        floor.start()
        floor.ready.wait(10)
        self.pact.log = open(self.log, "a")
        self.pact.proc = subprocess.Popen([os.path.join(torture.BUILD, "pactd"), "-c", self.pact.conf, "-f"],
                                          env=self.pact.env(), stderr=self.pact.log)
        wp = latency.MaildirWatch(self.sb.maildir(LATENCY_SENDER))
        wf = latency.MaildirWatch(self.sb.maildir(FLOOR_SENDER))
        got = {"pactd": [], "floor": []}
        misses = collections.Counter()
        try:
            time.sleep(1.0)  # pactd connects and enters IDLE
            with smtplib.SMTP(self.sb.host, self.sb.smtp_port, local_hostname="bench.example.test") as s:
                for i in range(-3, n):  # three rounds to warm up
                    if i % 400 == 399:
                        s.rset()
                    for who, watch, sender, to, subject in (
                            ("floor", wf, FLOOR_SENDER, FLOOR_USER, "ping"),
                            ("pactd", wp, LATENCY_SENDER, PACT, "HJÆLP")):
                        if floor.error is not None:
                            raise torture.HarnessError("the floor client failed: %r" % floor.error)
                        d = latency.one_round(s, watch, i, sender, to, subject)
                        if d is None:
                            misses[who] += 1
                        elif i >= 0:
                            got[who].append(d)
                    if i >= 0 and i % 50 == 49:
                        say("bench: latency: %d of %d rounds" % (i + 1, n))
        finally:
            wp.close()
            wf.close()
            floor.stop()
            self.pact.stop()
        if misses:
            raise torture.HarnessError("latency: replies that never came: %r" % dict(misses))
        r = collections.OrderedDict(rounds=n)
        for who in ("pactd", "floor"):
            r[who + "_p50_ms"] = latency.percentile(got[who], 50) * 1000
            r[who + "_p99_ms"] = latency.percentile(got[who], 99) * 1000
        r["p50_over_floor_ms"] = r["pactd_p50_ms"] - r["floor_p50_ms"]
        return r

    # ---------------------------------------------------------------- 4
    def grow(self):
        g, a = self.bargs.growth, self.bargs.associates
        t0 = time.monotonic()
        index_s, status = seed.seed_folder(self.sb, PACT, "pactd/Processed", g)
        seed.seed_database(self.pact.db, g, a)
        say("bench: growth: %d mails added to pactd/Processed (%s; Dovecot indexed them in %.1f s), "
            "%d processed rows, %d associates, in %.0f s" % (g, status, index_s, g, a, time.monotonic() - t0))

    # ---------------------------------------------------------------- 5
    def profile(self, n):
        """pactd --once over n more mails under callgrind (instructions, not
        seconds: the same on a busy machine); the inclusive counts of
        pactd's own functions, most first."""
        counts, subs = self.mix(n)
        self.append(subs)
        out = os.path.join(os.path.dirname(self.bargs.out), "callgrind.out")
        os.makedirs(os.path.dirname(out), exist_ok=True)
        self.sb.smtpctl("pause", "mda")
        try:
            r = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out,
                                os.path.join(torture.BUILD, "pactd"), "-c", self.pact.conf, "--once"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            self.sb.smtpctl("remove", "all")
        finally:
            self.sb.smtpctl("resume", "mda")
        if r.returncode != 0:
            raise torture.HarnessError("pactd under callgrind exited %d: %s" % (r.returncode, r.stderr[-2000:]))
        ann = subprocess.run(["callgrind_annotate", "--inclusive=yes", out],
                             capture_output=True, text=True).stdout
        total, top = None, []
        for line in ann.splitlines():
            m = re.match(r"\s*([\d,]+) \(\s*([\d.]+)%\)\s+(\S+)", line)
            if not m:
                continue
            ir, where = int(m.group(1).replace(",", "")), m.group(3)
            if where == "PROGRAM":
                total = ir
            elif where.startswith("src/") and "[" not in where and where not in [w for w, _ in top]:
                top.append((where, ir))
        if total is None:
            raise torture.HarnessError("callgrind_annotate printed no total")
        return collections.OrderedDict(mails=n, instructions=total, per_mail=total // n,
                                       file=os.path.relpath(out, TOP), top=top[:15])

    # ---------------------------------------------------------------- all
    def run(self):
        R = self.results
        R["machine"] = {"cpus": os.cpu_count(), "load_at_start": os.getloadavg()[0]}
        R["throughput"] = self.throughput("throughput", with_limits=True)
        t = R["throughput"]
        t["lower_limit_per_s"] = min(t["imap_fetch_per_s"], t["smtp_accept_per_s"])
        t["ratio_to_lower_limit"] = t["per_s"] / t["lower_limit_per_s"]
        t["libraries_rss_kib"] = self.library_floor()
        wall, mem = self.startup()
        R["startup"] = {"before_s": wall}
        t["idle_rss_kib"], t["idle_anon_kib"] = mem["peak_rss_kib"], mem["peak_anon_kib"]
        if self.bargs.latency:
            R["latency"] = self.latency()
        if self.bargs.growth:
            self.grow()
            R["startup"]["after_s"], _ = self.startup()
            R["growth"] = self.throughput("growth", with_limits=False)
            R["growth"]["processed_folder_added"] = self.bargs.growth
            R["growth"]["associates"] = self.bargs.associates
        if self.bargs.profile:
            R["profile"] = self.profile(self.bargs.profile)
        R["machine"]["load_at_end"] = os.getloadavg()[0]


def table(R):
    t = R["throughput"]
    rows = [("Throughput (pactd --once, %d mails)" % t["mails"], ""),
            ("  pactd, first fetch to last reply accepted", "%.0f mails/s" % t["per_s"]),
            ("  IMAP limit: UID FETCH 1:* BODY.PEEK[]", "%.0f mails/s" % t["imap_fetch_per_s"]),
            ("  SMTP limit: acceptance, reused sessions", "%.0f mails/s" % t["smtp_accept_per_s"]),
            ("  pactd / lower limit (target >= 50 %)", "%.0f %%" % (100 * t["ratio_to_lower_limit"])),
            ("  pactd CPU per 1000 mails", "%.2f s" % t["cpu_per_1000"]),
            ("  servers' CPU per 1000 mails", "%.2f s" % t["server_cpu_per_1000"]),
            ("  pactd peak RSS (target <= 10 MB)", "%.1f MB" % (t["peak_rss_kib"] / 1024.0)),
            ("    of it anonymous (pactd's own memory)", "%.1f MB" % (t["peak_anon_kib"] / 1024.0)),
            ("    of it the libraries' code and data", "%.1f MB" % (
                (t["peak_rss_kib"] - t["peak_anon_kib"]) / 1024.0)),
            ("  same, pactd --once with nothing to do", "%.1f MB (anonymous %.1f MB)" % (
                t["idle_rss_kib"] / 1024.0, t["idle_anon_kib"] / 1024.0)),
            ("  floor: pactd --help, libraries loaded", "%.1f MB" % (t["libraries_rss_kib"] / 1024.0))]
    if "latency" in R:
        L = R["latency"]
        rows += [("Latency (%d submissions over SMTP, pactd -f with IDLE)" % L["rounds"], ""),
                 ("  pactd p50 / p99", "%.0f / %.0f ms" % (L["pactd_p50_ms"], L["pactd_p99_ms"])),
                 ("  floor (bare IDLE client) p50 / p99", "%.0f / %.0f ms" % (L["floor_p50_ms"], L["floor_p99_ms"])),
                 ("  pactd p50 - floor p50 (target <= 100 ms)", "%+.0f ms" % L["p50_over_floor_ms"])]
    S = R["startup"]
    rows += [("Start-up (pactd --once, empty INBOX)", "%.0f ms" % (S["before_s"] * 1000))]
    if "growth" in R:
        G = R["growth"]
        rows += [("Growth (+%d mails in Processed and in the database, +%d associates)"
                  % (G["processed_folder_added"], G["associates"]), ""),
                 ("  start-up", "%.0f ms (was %.0f ms)" % (S["after_s"] * 1000, S["before_s"] * 1000)),
                 ("  pactd throughput", "%.0f mails/s (was %.0f)" % (G["per_s"], t["per_s"])),
                 ("  pactd CPU per 1000 mails", "%.2f s (was %.2f s)" % (G["cpu_per_1000"], t["cpu_per_1000"])),
                 ("  servers' CPU per 1000 mails", "%.2f s (was %.2f s)"
                  % (G["server_cpu_per_1000"], t["server_cpu_per_1000"])),
                 ("  pactd peak RSS", "%.1f MB (was %.1f MB)" % (G["peak_rss_kib"] / 1024.0,
                                                              t["peak_rss_kib"] / 1024.0))]
    if "profile" in R:
        P = R["profile"]
        rows += [("Profile (callgrind, %d mails, %s): %.2f M instructions a mail"
                  % (P["mails"], P["file"], P["per_mail"] / 1e6), "")]
        rows += [("  " + where, "%5.1f %%" % (100.0 * ir / P["instructions"])) for where, ir in P["top"][:10]]
    M = R["machine"]
    rows += [("Machine: %d CPUs, load %.2f at start, %.2f at end" % (
        M["cpus"], M["load_at_start"], M["load_at_end"]), "")]
    w = max(len(a) for a, b in rows if b) + 2
    return "\n".join(("%-*s%s" % (w, a, b)) if b else a for a, b in rows)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mails", type=int, default=10000)
    ap.add_argument("--latency", type=int, default=200, help="latency rounds (0: skip)")
    ap.add_argument("--growth", type=int, default=100000, help="mails added to Processed (0: skip)")
    ap.add_argument("--associates", type=int, default=1000)
    ap.add_argument("--ballots", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--profile", type=int, default=1000,
                    help="mails for the callgrind profile (0: skip)")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--out", default=os.path.join(TOP, "bench", "results.json"))
    args = ap.parse_args(argv)
    if not os.access(MAXRSS, os.X_OK):
        say("bench: %s is missing: run make bench" % MAXRSS)
        return 2
    b = Bench(args)
    b.pact = b.sb = None
    ok = False
    try:
        b.setup()
        b.prepare(args.ballots)
        b.run()
        ok = True
    except (torture.HarnessError, pactlib.sandbox_mod.SandboxError) as e:
        say("bench: %s" % e)
    finally:
        b.cleanup(keep=args.keep or not ok)
    if not ok:
        return 1
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(b.results, f, indent=2)
        f.write("\n")
    print()
    print(table(b.results))
    print("\nwritten to %s" % os.path.relpath(args.out, TOP))
    return 0


if __name__ == "__main__":
    sys.exit(main())

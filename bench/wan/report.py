"""The WAN benchmark's report: per delay, every row's p50/p90 time, the round trips the relay
counted, the ratio to the physical limit; the targets met or missed; RESULTS-wan.md and its chart.

    python3 report.py --results results.jsonl --meta meta.json
                      [--write RESULTS-wan.md --chart chart-wan.png --workdir DIR]

Without --write it only prints the tables (smoke mode).
"""

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys

import scenarios

GROUPS = {g.id: g for g in scenarios.GROUPS}
ROWS = {r.id: r for r in scenarios.ROWS}
ROW_ORDER = {r.id: i for i, r in enumerate(scenarios.ROWS)}


def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def p90(values):
    s = sorted(values)
    return s[max(0, math.ceil(0.9 * len(s)) - 1)]


class Summary:
    """One row at one delay, with its numbers (None where the row did not run)."""

    def __init__(self, line, cfg):
        self.line = line
        self.row = ROWS[line["row"]]
        self.group = GROUPS[self.row.group]
        self.delay_ms = line["delay_ms"]
        rcfg = dict(cfg, delay_ms=self.delay_ms)
        self.limit_rt = self.group.limit_rt(rcfg)
        self.limit_ms = self.limit_rt * 2 * self.delay_ms + self.group.extra_ms(rcfg)
        self.status = line["status"]
        samples = line.get("samples") or []
        self.ok = self.status == "ok" and samples
        if self.ok:
            ms = [s["seconds"] * 1000 for s in samples]
            self.p50_ms, self.p90_ms = statistics.median(ms), p90(ms)
            self.rts = statistics.median(s["round_trips"] for s in samples)
            self.conns = statistics.median(s["connections"] for s in samples)
            self.ratio = self.p50_ms / self.limit_ms if self.limit_ms else None
            self.n = len(samples)
            in_page = [s["in_page_ms"] for s in samples if "in_page_ms" in s]
            self.in_page_ms = statistics.median(in_page) if in_page else None

    def status_text(self):
        if self.status == "n/a":
            return "n/a (" + self.line.get("reason", "") + ")"
        if self.status == "broken":
            return "BROKEN: " + self.line.get("reason", "")[:200]
        return ""


def fmt(x, digits=1):
    if x is None:
        return "-"
    if isinstance(x, float) and not x.is_integer():
        return f"{x:,.{digits}f}"
    return f"{int(x):,}"


def summaries(rows, cfg):
    return [Summary(line, cfg) for line in rows if line.get("type") == "row"]


def best_alternative(sums, group_id, delay_ms):
    alts = [s for s in sums if s.group.id == group_id and s.delay_ms == delay_ms
            and s.row.kind == "alternative" and s.ok]
    return min(alts, key=lambda s: s.p50_ms) if alts else None


def fewest_rts_alternative(sums, group_id, delay_ms):
    alts = [s for s in sums if s.group.id == group_id and s.delay_ms == delay_ms
            and s.row.kind == "alternative" and s.ok]
    return min(alts, key=lambda s: s.rts) if alts else None


def targets(sums):
    """(what, row label, limit, got ratio or None, verdict)"""
    out = []
    for row_id, limit, what in scenarios.TARGETS:
        s = next((s for s in sums if s.row.id == row_id and s.delay_ms == scenarios.TARGET_DELAY_MS), None)
        if s is None:
            out.append((what, limit, None, f"not measured (no D = {scenarios.TARGET_DELAY_MS} ms run)"))
        elif not s.ok:
            out.append((what, limit, None, s.status_text() or "no samples"))
        else:
            out.append((what, limit, s.ratio, "met" if s.ratio <= limit else "missed"))
    return out


def round_trip_rule(sums):
    """Every library row against the alternative of its group with the fewest round trips."""
    out = []
    for s in sums:
        if s.row.kind != "library" or not s.ok:
            continue
        alt = fewest_rts_alternative(sums, s.group.id, s.delay_ms)
        if alt is None:
            continue
        out.append((s, alt, "met" if s.rts <= alt.rts else "missed"))
    return out


def table(sums, delay_ms):
    lines = []
    for g in scenarios.GROUPS:
        rows = sorted((s for s in sums if s.group.id == g.id and s.delay_ms == delay_ms),
                      key=lambda s: ROW_ORDER[s.row.id])
        if not rows:
            continue
        limit = rows[0]
        extra = g.extra_ms(dict(delay_ms=delay_ms))
        limit_text = f"{fmt(limit.limit_rt)} RTT" + (f" + {fmt(extra)} ms of work" if extra else "")
        lines.append(f"\n**{g.title}** ({g.note}). Limit: {limit_text} = {fmt(limit.limit_ms)} ms.\n")
        pages = g.id.startswith("page")
        lines.append("| row | kind | p50 ms | p90 ms | round trips | connections | p50 / limit | samples |"
                     + (" in page, p50 ms |" if pages else ""))
        lines.append("|---|---|---:|---:|---:|---:|---:|---:|" + ("---:|" if pages else ""))
        for s in rows:
            if s.ok:
                lines.append(f"| {s.row.label} | {s.row.kind} | {fmt(s.p50_ms)} | {fmt(s.p90_ms)} | {fmt(s.rts)} "
                             f"| {fmt(s.conns)} | {s.ratio:.2f}x | {s.n} |"
                             + (f" {fmt(s.in_page_ms)} |" if pages else ""))
            else:
                lines.append(f"| {s.row.label} | {s.row.kind} | {s.status_text()} | | | | | |" + (" |" if pages else ""))
    return "\n".join(lines)


def chart_data(sums, delay_ms):
    """Per group: the limit (ms), and the p50 times of the library's best row and of the best
    alternative, both over the limit."""
    out = []
    for g in scenarios.GROUPS:
        lib = [s for s in sums if s.group.id == g.id and s.delay_ms == delay_ms and s.row.kind == "library" and s.ok]
        alt = best_alternative(sums, g.id, delay_ms)
        if not lib or alt is None:
            continue
        best = min(lib, key=lambda s: s.p50_ms)
        out.append((g.short, best.limit_ms, best.ratio, alt.ratio))
    return out


def write_chart(sums, delays, path, workdir):
    """Bars of p50 time / physical limit per group (1 = the limit), one panel per delay."""
    if not shutil.which("gnuplot"):
        print("report.py: gnuplot missing, no chart", file=sys.stderr)
        return False
    plots = []
    for d in delays:
        data = chart_data(sums, d)
        if not data:
            continue
        dat = os.path.join(workdir, f"chart-{d:g}.dat")
        with open(dat, "w") as f:
            for title, limit_ms, lib, alt in data:
                f.write(f'"{title}\\n(limit {limit_ms:,.0f} ms)" {lib:.4f} {alt:.4f}\n')
        plots.append((d, dat, len(data), max(max(x[2], x[3]) for x in data)))
    if not plots:
        return False
    script = [
        f"set terminal pngcairo size 1200,{440 * len(plots)} font 'sans,10'",
        f"set output '{path}'",
        f"set multiplot layout {len(plots)},1",
        "set style data histogram",
        "set style histogram clustered gap 1",
        "set style fill solid 0.85 border -1",
        "set boxwidth 0.9",
        "set grid ytics",
        "set ylabel 'p50 time / physical limit'",
        "set xtics noenhanced font 'sans,9'",
        "set bmargin 4",
        "set key top right",
    ]
    for d, dat, n, top in plots:
        script += [
            f"set title 'Time per scenario over its physical limit, D = {d:g} ms per direction (RTT {2 * d:g} ms): "
            "library (best row) vs best alternative'",
            f"set xrange [-0.5:{n - 0.5}]",
            f"set yrange [0:{max(2.0, top * 1.1):.2f}]",
            f"plot '{dat}' using 2:xtic(1) title 'library (best row)' lc rgb '#2b7bba', "
            "'' using 3 title 'best alternative' lc rgb '#e69f00', "
            "1 with lines dt 2 lw 2 lc rgb 'black' title 'physical limit'",
        ]
    script.append("unset multiplot")
    gp = os.path.join(workdir, "chart-wan.gp")
    with open(gp, "w") as f:
        f.write("\n".join(script) + "\n")
    subprocess.run(["gnuplot", gp], check=True)
    return True


def markdown(sums, pings, meta, delays, chart_name):
    m = meta
    commit = m["commit"] + (" (with uncommitted changes in src/, sandbox/, bindings/ or include/)" if m.get("dirty") else "")
    out = [
        "# WAN benchmark results",
        "",
        "Generated by `bash bench/run.sh --wan` (see [README.md](README.md), \"On a real network's terms\"); "
        "do not edit by hand.",
        "",
        f"Measured commit **{commit}** ({m['library']}), {m['date']}, {m['duration']} s, "
        f"mode {m['mode']}. Machine: {m['cpu']}, {m['cores']} cores, {m['kernel']}; load average "
        f"{m['load_start']} at the start, {m['load_end']} at the end. {m['nginx']} ({m['openssl']}), "
        f"PHP {m['php']} (curl {m['php_curl']}), Python {m['python']} (requests {m['requests']}), curl {m['curl']}; "
        f"relay priority {m['relay_priority']}, servers and clients at nice {m.get('harness_nice', '0')}.",
        "",
        "Every client reaches `https://127.0.0.1:PORT` through the delay relay (D per direction, the TCP "
        "handshake's round trip emulated), then nginx (TLS 1.3, certificate of a CA made for the run) and "
        "the sandbox behind it. Times are wall times per sample; round trips are counted at the relay "
        "(one per connection opened, one per turn from the client's bytes to the server's), medians over the "
        "samples. The limit is the fewest round trips the job needs on the critical path (1 per exchange on "
        "a kept connection, +1 for TCP, +1 for TLS 1.3 on a new one, N calls with k in flight N/k "
        "exchanges; the token excluded, since it can be cached); the ratio is the p50 time over it.",
        "",
        "## Relay check",
        "",
        "| D ms | connect + first echo ms (want) | RTT p50 ms | RTT p90 ms | want | pings | counted |",
        "|---:|---:|---:|---:|---:|---:|---|",
    ]
    for p in pings:
        out.append(f"| {p['delay_ms']:g} | {p['first_ms']:.2f} ({p['first_expected_ms']:g}) | {p['rtt_p50_ms']:.2f} "
                   f"| {p['rtt_p90_ms']:.2f} | {p['rtt_expected_ms']:g} | {p['pings']} | "
                   f"{p['connections']} connection, {p['turns']} turns"
                   + (" **" + "; ".join(p["problems"]) + "**" if p.get("problems") else "") + " |")
    out += ["", f"## Targets (D = {scenarios.TARGET_DELAY_MS} ms, p50 time / physical limit)", "",
            "| target | at most | measured | verdict |", "|---|---:|---:|---|"]
    for what, limit, got, verdict in targets(sums):
        out.append(f"| {what} | {limit:.2f}x | {'-' if got is None else f'{got:.2f}x'} | {verdict} |")
    rule = round_trip_rule(sums)
    missed = [(s, alt) for s, alt, v in rule if v == "missed"]
    out += ["", "Round trips, every library row against the alternative of its group with the fewest: "
            + (f"**missed** by {len(missed)} of {len(rule)} rows:" if missed else f"met by all {len(rule)} rows."), ""]
    for s, alt in missed:
        out.append(f"- D = {s.delay_ms:g} ms, {s.group.title}: {s.row.label} {fmt(s.rts)} round trips, "
                   f"{alt.row.label} {fmt(alt.rts)}")
    if chart_name:
        out += ["", f"![time per scenario over its physical limit]({chart_name})"]
    for d in delays:
        out += ["", f"## D = {d:g} ms per direction (RTT {2 * d:g} ms)", table(sums, d)]
    c = m["config"]
    out += ["", "## Run", "",
            f"Samples per row {c['samples']} (one unmeasured warm-up first); bulk {c['bulk_n']} provisions x "
            f"{c['bulk_reps']} runs (their time from the client's creation to the last reply, so p90 of "
            f"{c['bulk_reps']} is the slowest); idle gap {c['idle_gap_s']} s x {c['idle_samples']}, the server "
            f"closing connections idle for {c['idle_server_keepalive_s']} s.",
            "The rows of the page-with-work group use the token cache when the build has it.",
            "", "Features of this build (true, or why not): `" + json.dumps(c["features"]) + "`", ""]
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--meta", required=True)
    ap.add_argument("--write")
    ap.add_argument("--chart")
    ap.add_argument("--workdir")
    a = ap.parse_args()
    lines = load(a.results) if os.path.exists(a.results) else []
    with open(a.meta) as f:
        meta = json.load(f)
    cfg = {"bulk_n": meta["config"]["bulk_n"]}
    sums = summaries(lines, cfg)
    pings = [line for line in lines if line.get("type") == "ping"]
    delays = meta["config"]["delays_ms"]

    for d in delays:
        print(f"\n== D = {d:g} ms per direction")
        print(table(sums, d))
    print()
    for what, limit, got, verdict in targets(sums):
        print(f"target {what}: <= {limit:.2f}x, measured {'-' if got is None else f'{got:.2f}x'}: {verdict}")
    for s, alt, verdict in round_trip_rule(sums):
        if verdict == "missed":
            print(f"round trips D={s.delay_ms:g} {s.row.id}: {fmt(s.rts)} > {alt.row.id} {fmt(alt.rts)}")

    if a.write:
        chart_name = None
        if a.chart and write_chart(sums, delays, a.chart, a.workdir or os.path.dirname(a.write)):
            chart_name = os.path.basename(a.chart)
        with open(a.write, "w") as f:
            f.write(markdown(sums, pings, meta, delays, chart_name))
        print(f"wrote {a.write}" + (f" and {a.chart}" if chart_name else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())

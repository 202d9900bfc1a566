"""Collect the harness's results, compute the ratios, write RESULTS.md and the chart.

    python3 report.py --results results.jsonl --meta meta.json
                      [--write RESULTS.md --chart chart.png --workdir DIR]

Without --write it only prints the summary (smoke mode). Every rate is the best
of the run's repetitions (the repetitions are interleaved, so each ratio
compares measurements taken at the same time).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys

SERIES = [
    # id, label, what it is
    ("wrk-c1", "wrk -t1 -c1", "the limit: wrk, one connection, the same provision request (token in the script)"),
    ("c", "C ABI, 1 thread", "small C program, jp_provision in a loop on one client"),
    ("c-2t", "C ABI, 2 threads", "the same, 2 threads sharing one client"),
    ("c-4t", "C ABI, 4 threads", "the same, 4 threads sharing one client"),
    ("php-binding", "PHP binding", "JetpackPartner\\Client (FFI) in a loop"),
    ("php-curl-reused", "PHP curl, reused", "curl extension: one handle reused, token asked once"),
    ("php-curl-common", "PHP curl, common", "curl extension: new handle and new token per provision"),
    ("php-script", "PHP script route", "exec() of a shell script: curl + jq for the token, curl + jq for the provision"),
    ("py-binding", "Python binding", "jetpack_partner.Client (ctypes) in a loop"),
    ("py-requests", "Python requests", "requests.Session, token asked once"),
]
PANEL = [
    ("panel-lib", "panel page, library", "PHP-FPM behind nginx, one provision per request, library preloaded"),
    ("panel-curl", "panel page, curl", "PHP-FPM behind nginx, one provision per request, curl per request"),
    ("panel-empty", "panel page, empty", "PHP-FPM behind nginx, no provision: the ceiling of the panel"),
]
SANDBOX_OWN = [
    ("sandbox-health-c1", "sandbox /__sandbox/health, wrk -t1 -c1"),
    ("sandbox-health-c32", "sandbox /__sandbox/health, wrk -t2 -c32"),
]

# name, numerator, denominator, target (None: reported, not a target)
RATIOS = [
    ("C ABI / wrk -t1 -c1", "c", "wrk-c1", None),
    ("PHP binding / curl reused", "php-binding", "php-curl-reused", None),
    ("PHP binding / curl common", "php-binding", "php-curl-common", 2.5),
    ("PHP binding / script route", "php-binding", "php-script", 100.0),
    ("Python binding / requests.Session", "py-binding", "py-requests", 4.0),
    ("C ABI 4 threads / 1 thread", "c-4t", "c", 1.6),
    ("panel page: library / curl (req/s)", "panel-lib", "panel-curl", 1.5),
]
RSS_TARGET_KIB = 1024


def load(path):
    rows = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                rows.append(json.loads(line))
    return rows


def best(rows, series, target):
    """The best (highest rate) good repetition of a series, or None."""
    good = [r for r in rows if r["series"] == series and r["target"] == target and "error" not in r]
    return max(good, key=lambda r: r["rate"]) if good else None


def reps(rows, series, target):
    return [r for r in rows if r["series"] == series and r["target"] == target]


def fmt_rate(x):
    if x is None:
        return "-"
    if x >= 100:
        return f"{x:,.0f}"
    return f"{x:,.1f}"


def fmt_us(x):
    if x is None:
        return "-"
    if x >= 1000:
        return f"{x / 1000:.2f} ms"
    return f"{x:.0f} us"


def paired(rows, num, den, target):
    """The ratio num/den within each repetition where both series worked."""
    out = []
    for a in rows:
        if a["series"] != num or a["target"] != target or "error" in a:
            continue
        for b in rows:
            if b["series"] == den and b["target"] == target and b["rep"] == a["rep"] and "error" not in b:
                out.append(a["rate"] / b["rate"])
    return out


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def compute_ratios(rows, target):
    """(name, ratio, goal, verdict, per-repetition ratios). The ratio is the median of the
    per-repetition ratios: both series of a pair ran seconds apart, so a load change on the
    machine between repetitions moves both."""
    out = []
    for name, num, den, goal in RATIOS:
        per = paired(rows, num, den, target)
        if not per:
            out.append((name, None, goal, "n/a", []))
            continue
        ratio = median(per)
        if goal is None:
            verdict = "reported"
        else:
            verdict = "met" if ratio >= goal else "missed"
        out.append((name, ratio, goal, verdict, per))
    return out


def rss_verdict(rows):
    r = best(rows, "c-rss", "nginx")
    if r is None:
        return None, "n/a"
    growth = r["rss_growth_kib"]
    return r, ("met" if growth < RSS_TARGET_KIB else "missed")


def print_summary(rows, meta):
    print()
    print(f"== jetpack-partner benchmarks ({meta['mode']}: best rate of {meta['reps']} repetition(s); "
          "ratios: median of the per-repetition ratios) ==")
    for target in ("nginx", "sandbox"):
        print(f"-- against {target}")
        for sid, label, _ in SERIES + (PANEL if target == "nginx" else []):
            r = best(rows, sid, target)
            errs = [x for x in reps(rows, sid, target) if "error" in x]
            state = f"{fmt_rate(r['rate']):>12} /s" if r else "     (no run)"
            if errs:
                state += f"   BROKEN x{len(errs)}"
            print(f"   {label:<24}{state}")
    for sid, label in SANDBOX_OWN:
        r = best(rows, sid, "sandbox")
        print(f"   {label:<40}{fmt_rate(r['rate']) if r else '-':>10} req/s")
    print("-- ratios (fixed-JSON nginx)" + ("" if meta["mode"] == "full" else ", smoke sizes: not judged"))
    for name, ratio, goal, verdict, _ in compute_ratios(rows, "nginx"):
        shown = f"{ratio:8.2f}x" if ratio is not None else "      n/a"
        v = verdict if meta["mode"] == "full" else "-"
        wanted = "not a target" if goal is None else f"target >= {goal}x"
        print(f"   {name:<38}{shown}   {wanted}   {v}")
    r, verdict = rss_verdict(rows)
    if r:
        v = verdict if meta["mode"] == "full" else "-"
        print(f"   {'RSS growth over %d calls' % r['calls']:<38}{r['rss_growth_kib']:>7} KiB   target < 1024 KiB   {v}")
    print()


def chart_label(label):
    """Two short lines for an x tick (gnuplot's \\n escape)."""
    words = label.replace(",", "").split()
    half = (len(words) + 1) // 2
    return " ".join(words[:half]) + "\\n" + " ".join(words[half:])


def chart(rows, path, workdir):
    """A log-scale bar chart of calls per second, nginx and sandbox side by side."""
    data = os.path.join(workdir, "chart.dat")
    labels = SERIES + PANEL
    with open(data, "w") as f:
        f.write("# label nginx sandbox\n")
        for sid, label, _ in labels:
            vals = []
            for target in ("nginx", "sandbox"):
                r = best(rows, sid, target)
                vals.append(f"{r['rate']:.2f}" if r else "-")
            f.write('"%s" %s %s\n' % (chart_label(label), vals[0], vals[1]))
    if shutil.which("gnuplot"):
        script = os.path.join(workdir, "chart.gp")
        with open(script, "w") as f:
            f.write(
                f"""set terminal pngcairo size 1400,640 font "sans,11" noenhanced
set output "{path}"
set title "jetpack-partner: provisions per second, one run (higher is better, log scale)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set logscale y 10
set yrange [1:*]
set ylabel "calls per second"
set grid ytics
set key top right
set datafile missing "-"
set xtics font "sans,9"
set bmargin 5
plot "{data}" using 2:xtic(1) title "against fixed-JSON nginx" linecolor rgb "#2a6fb0", \\
     "" using 3 title "against the sandbox" linecolor rgb "#e08a1e"
"""
            )
        subprocess.run(["gnuplot", script], check=True)
        return
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [chart_label(label).replace("\\n", "\n") for _, label, _ in labels]
    xs = range(len(labels))
    fig, ax = plt.subplots(figsize=(14, 6.4))
    for off, target, color in ((-0.2, "nginx", "#2a6fb0"), (0.2, "sandbox", "#e08a1e")):
        vals = [(best(rows, sid, target) or {}).get("rate", 0) for sid, _, _ in labels]
        ax.bar([x + off for x in xs], vals, 0.4, color=color, label=f"against {target}")
    ax.set_yscale("log")
    ax.set_xticks(list(xs), names, fontsize=8)
    ax.set_ylabel("calls per second")
    ax.set_title("jetpack-partner: provisions per second, one run (higher is better, log scale)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)


def write_markdown(rows, meta, path, chart_name):
    m = meta
    L = []
    w = L.append
    w("# Benchmark results")
    w("")
    w(f"Regenerated by `bash bench/run.sh` on {m['date']} (commit `{m['commit']}`, {m['duration']} s). "
      f"Do not edit by hand. Each series ran {m['reps']} times, the repetitions interleaved; the "
      "tables give the best rate of each series and every repetition, and each ratio is the median "
      "of the ratios within one repetition (two series measured seconds apart). Load average of the "
      f"machine at the start and at the end of the run: {m.get('load_start', '?')} / {m.get('load_end', '?')}.")
    w("")
    w(f"![provisions per second]({chart_name})")
    w("")
    w("## Machine and versions")
    w("")
    w("| | |")
    w("|---|---|")
    for k, label in (("cpu", "CPU"), ("cores", "cores"), ("mem", "memory"), ("os", "OS"), ("kernel", "kernel"),
                     ("library", "libjetpack_partner (jp_version)"), ("rustc", "rustc"), ("cc", "C compiler"),
                     ("nginx", "nginx (nginx-light)"), ("wrk", "wrk"), ("php", "PHP (CLI)"), ("fpm", "PHP-FPM"),
                     ("php_curl", "libcurl in PHP"), ("python", "Python"), ("requests", "requests"),
                     ("curl", "curl (script route)"), ("jq", "jq")):
        w(f"| {label} | {m.get(k, '')} |")
    w("")
    w("## Ratios against the targets")
    w("")
    w("Against the fixed-JSON nginx, so that the server is not what is measured.")
    w("")
    w("| ratio | measured (median) | target | | per repetition |")
    w("|---|---:|---:|---|---|")
    for name, ratio, goal, verdict, per in compute_ratios(rows, "nginx"):
        shown = "%.2fx" % ratio if ratio is not None else "n/a"
        wanted = "none (reported)" if goal is None else f">= {goal}x"
        w(f"| {name} | {shown} | {wanted} | {verdict} | {', '.join('%.2f' % x for x in per)} |")
    r, verdict = rss_verdict(rows)
    if r:
        w(f"| RSS growth of the C program over {r['calls']:,} calls | {r['rss_growth_kib']} KiB | < 1024 KiB | {verdict} | |")
    w("")
    w("The same ratios against the sandbox (for information; the sandbox does real work per request):")
    w("")
    w("| ratio | measured (median) | per repetition |")
    w("|---|---:|---|")
    for name, ratio, _, _, per in compute_ratios(rows, "sandbox"):
        if ratio is not None:
            w(f"| {name} | {'%.2fx' % ratio} | {', '.join('%.2f' % x for x in per)} |")
    w("")
    for target, title in (("nginx", "Series against the fixed-JSON nginx"), ("sandbox", "Series against the sandbox")):
        w(f"## {title}")
        w("")
        w("N sequential provisions with the token cached (one warm-up call first), "
          "`wrk` for the limit. Rates in calls per second.")
        w("")
        w("| series | what | calls | best calls/s | every repetition |")
        w("|---|---|---:|---:|---|")
        for sid, label, what in SERIES:
            allr = reps(rows, sid, target)
            b = best(rows, sid, target)
            every = ", ".join("BROKEN" if "error" in x else fmt_rate(x["rate"]) for x in allr) or "-"
            if b:
                w(f"| {label} | {what} | {b['calls']:,} | {fmt_rate(b['rate'])} | {every} |")
            else:
                w(f"| {label} | {what} | - | - | {every} |")
        w("")
    w("## The panel case")
    w("")
    w(f"PHP-FPM (static pool, {m['fpm_children']} workers) behind nginx, one provision per HTTP request to a "
      f"panel page, `wrk -t2 -c{m['panel_conns']} -d{m['panel_secs']}s --latency`. The library page uses the "
      "binding preloaded into the FPM master (`opcache.preload`, `ffi.enable=preload`); the curl page makes a "
      "new handle, asks for a token and provisions, on every request.")
    w("")
    w("| page | req/s | mean | p50 | p90 | p99 | max | every repetition (req/s) |")
    w("|---|---:|---:|---:|---:|---:|---:|---|")
    for sid, label, _ in PANEL:
        b = best(rows, sid, "nginx")
        every = ", ".join("BROKEN" if "error" in x else fmt_rate(x["rate"]) for x in reps(rows, sid, "nginx")) or "-"
        if b:
            w(f"| {label} | {fmt_rate(b['rate'])} | {fmt_us(b['lat_mean_us'])} | {fmt_us(b['lat_p50_us'])} | "
              f"{fmt_us(b['lat_p90_us'])} | {fmt_us(b['lat_p99_us'])} | {fmt_us(b['lat_max_us'])} | {every} |")
        else:
            w(f"| {label} | - | - | - | - | - | - | {every} |")
    w("")
    w("## Memory")
    w("")
    if r:
        w(f"The C program's resident set size (VmRSS): {r['rss_start_kib']:,} KiB at start, "
          f"{r['rss_before_kib']:,} KiB after {r['warmup_calls']:,} warm-up calls, "
          f"{r['rss_after_kib']:,} KiB after {r['calls']:,} more calls: growth **{r['rss_growth_kib']} KiB** "
          f"(target under 1024 KiB: {verdict}).")
    else:
        w("No measurement (the series broke).")
    w("")
    w("## The sandbox's own throughput")
    w("")
    w("`wrk` against `GET /__sandbox/health` with keep-alive:")
    w("")
    w("| run | req/s | p50 | p99 |")
    w("|---|---:|---:|---:|")
    for sid, label in SANDBOX_OWN:
        b = best(rows, sid, "sandbox")
        if b:
            w(f"| {label} | {fmt_rate(b['rate'])} | {fmt_us(b['lat_p50_us'])} | {fmt_us(b['lat_p99_us'])} |")
    b = best(rows, "wrk-c1", "sandbox")
    if b:
        w(f"| sandbox provision, wrk -t1 -c1 | {fmt_rate(b['rate'])} | {fmt_us(b['lat_p50_us'])} | "
          f"{fmt_us(b['lat_p99_us'])} |")
    w("")
    broken = [x for x in rows if "error" in x]
    if broken:
        w("## Broken series")
        w("")
        for x in broken:
            w(f"- {x['series']} ({x['target']}, rep {x['rep']}): `{x['error'][:300]}`")
        w("")
    w("## Sizes")
    w("")
    w(f"Fast series {m['n_fast']:,} calls, slow ones (curl common, requests) {m['n_slow']:,}, "
      f"script route {m['n_script']:,}, RSS {m['n_rss']:,}; wrk {m['wrk_secs']} s per run, "
      f"panel {m['panel_secs']} s per page. The series and how to run them: [README.md](README.md).")
    w("")
    with open(path, "w") as f:
        f.write("\n".join(L))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--meta", required=True)
    ap.add_argument("--write")
    ap.add_argument("--chart")
    ap.add_argument("--workdir", default=".")
    a = ap.parse_args()
    rows = load(a.results)
    with open(a.meta) as f:
        meta = json.load(f)
    print_summary(rows, meta)
    if a.write:
        if a.chart:
            chart(rows, a.chart, a.workdir)
        write_markdown(rows, meta, a.write, os.path.basename(a.chart) if a.chart else "chart.png")
        print(f"wrote {a.write}" + (f" and {a.chart}" if a.chart else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())

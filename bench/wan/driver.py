"""Runs the WAN benchmark's rows (scenarios.py) through delay relays and records, per sample,
the wall time and the round trips the relay counted.

    python3 driver.py CONFIG.json RESULTS.jsonl

CONFIG (written by bench/wan/run.sh) names the servers, programs, sizes and the features this
build has. For each delay D it starts the relays (delay_relay), checks one with a ping, then runs
every group: one unmeasured warm-up sample per row, then the samples, interleaved row by row
so that a change in the machine's load falls on every row of a group alike. The idle-gap group
runs meanwhile in a thread, on its own relay and PHP-FPM pool, so its waits cost no time.

Each line of RESULTS is {"type": "ping", ...} or {"type": "row", "delay_ms", "row", "status":
"ok" | "n/a" | "broken", "reason", "samples": [{"seconds", "connections", "turns",
"round_trips", and for pages "in_page_ms": the time the page measured itself}]}. Exits 1 if a row broke or the ping check failed.
"""

import json
import os
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

import relay as relay_mod
import scenarios


class Unsupported(Exception):
    """The build lacks what the row needs (a program said so with exit status 3)."""


def log(msg):
    print(f"[wan {time.strftime('%H:%M:%S', time.gmtime())}] {msg}", file=sys.stderr, flush=True)


class Driver:
    def __init__(self, cfg, out):
        self.cfg = cfg
        self.out = out
        self.out_lock = threading.Lock()
        self.broken = []
        self.env = dict(os.environ)
        self.env.update(cfg["env"])

    # -- one sample of each kind: returns the seconds it took, raises on failure ----------

    def _page(self, base, row, cfg):
        query = {"api": base}
        query.update(row.args.get("query", {}))
        if row.args.get("work"):
            query["work_ms"] = str(int(round(scenarios.work_ms(cfg))))
        if row.args.get("cache_if_built") and cfg["features"]["php"].get("token_cache_dir") is True:
            query["cache"] = "1"
        url = cfg["panel_base"] + row.args["path"] + "?" + urllib.parse.urlencode(query)
        t0 = time.perf_counter()
        try:
            with urllib.request.urlopen(url, timeout=120) as r:
                body = r.read()
        except urllib.error.HTTPError as e:
            body = e.read()
        seconds = time.perf_counter() - t0
        try:
            reply = json.loads(body)
        except ValueError:
            reply = None
        if not isinstance(reply, dict) or reply.get("ok") is not True:
            raise RuntimeError(f"page {row.args['path']}: {body[:300]!r}")
        if row.args["path"].startswith("/fresh/") and cfg.get("fresh_pause_s"):
            time.sleep(cfg["fresh_pause_s"])  # PHP-FPM forks the next worker
        return seconds, {"in_page_ms": round(float(reply.get("ms", 0)), 3)}

    def _process(self, cmd, env=None):
        t0 = time.perf_counter()
        p = subprocess.run(cmd, capture_output=True, text=True, env=env or self.env, timeout=600)
        seconds = time.perf_counter() - t0
        last = (p.stdout.strip().splitlines() or [""])[-1]
        if p.returncode == 3:
            try:
                raise Unsupported(json.loads(last).get("unsupported", last))
            except ValueError:
                raise Unsupported(last)
        try:
            reply = json.loads(last)
        except ValueError:
            reply = None
        if p.returncode != 0 or not isinstance(reply, dict):
            raise RuntimeError(f"{os.path.basename(cmd[0])} exit {p.returncode}: {p.stderr.strip()[:400]} {last[:200]}")
        return seconds, reply

    def _fresh(self, base, row, cfg):
        ca = cfg["ca_bundle"]
        if row.action == "cli":
            cmd = [cfg["cli"], "provision", "--user=admin", "--url=https://example.com/", "--plan=premium",
                   f"--api_base={base}", f"--ca_bundle={ca}"]
            if row.args.get("cache"):
                cmd.append(f"--token_cache_dir={cfg['token_cache_cli']}")
        elif row.action == "php-script":
            cmd = cfg["php"] + [os.path.join(cfg["wan_dir"], "php", "provision.php"), base, ca]
            if row.args.get("cache"):
                cmd.append(cfg["token_cache_cli"])
        else:  # curl-jq
            cmd = ["bash", cfg["curl_jq_script"], f"--partner_id={cfg['partner_id']}",
                   f"--partner_secret={cfg['partner_secret']}", "--user=admin", "--plan=premium",
                   "--url=https://example.com/"]
        env = dict(self.env, JETPACK_PARTNER_API_BASE=base, CURL_CA_BUNDLE=ca)
        seconds, reply = self._process(cmd, env)
        if reply.get("success") is not True:
            raise RuntimeError(f"{row.id}: reply without success=true: {json.dumps(reply)[:300]}")
        return seconds

    def _bulk(self, base, row, cfg, warmup):
        n = 1 if warmup else cfg["bulk_n"]
        ca = cfg["ca_bundle"]
        a = row.args
        if row.action == "bulk-c":
            cmd = [cfg["jp_wan_bulk"], base, ca, str(a["threads"]), str(n)]
            if a.get("cache"):
                cmd.append(cfg["token_cache_cli"])
        elif row.action == "bulk-php":
            cmd = cfg["php"] + [os.path.join(cfg["wan_dir"], "php", "bulk.php"), a["mode"], base, ca, str(n)]
            if "in_flight" in a:
                cmd.append(str(a["in_flight"]))
        else:
            cmd = ["python3", os.path.join(cfg["wan_dir"], "python", "bulk.py"), a["mode"], base, ca,
                   str(a["threads"]), str(n)]
        _, reply = self._process(cmd)
        if reply.get("failures") != 0 or reply.get("calls") != n:
            raise RuntimeError(f"{row.id}: {json.dumps(reply)}")
        return float(reply["seconds"])  # the program's own time: from the client's creation on

    def sample(self, relay, row, cfg, warmup=False):
        base = f"https://127.0.0.1:{relay.port}"
        before = relay.stats()
        extra = {}
        if row.action in ("page", "idle-page"):
            seconds, extra = self._page(base, row, cfg)
        elif row.action in ("cli", "php-script", "curl-jq"):
            seconds = self._fresh(base, row, cfg)
        else:
            seconds = self._bulk(base, row, cfg, warmup)
        # A process that exited leaves its connections closing across the relay: let them
        # finish, so that the next sample starts from a quiet link (pages keep theirs open).
        deadline = time.monotonic() + 4 * cfg["delay_ms"] / 1000 + 0.5
        after = relay.stats()
        while after["open"] > before["open"] and row.action not in ("page", "idle-page") and time.monotonic() < deadline:
            time.sleep(0.01)
            after = relay.stats()
        conns, turns, rts = relay_mod.round_trips(before, after)
        return dict(extra, seconds=round(seconds, 6), connections=conns, turns=turns, round_trips=rts)

    # -- rows and groups ------------------------------------------------------------------

    def record(self, line):
        with self.out_lock:
            self.out.write(json.dumps(line) + "\n")
            self.out.flush()

    def unavailable(self, row):
        if not row.needs:
            return None
        client, feature = row.needs
        got = self.cfg["features"].get(client, {}).get(feature, f"{client} {feature}: not detected")
        return None if got is True else f"not in this build: {got}"

    def run_group(self, relay, group, rows, cfg, samples, gap_s=0.0):
        """Warm-up, then `samples` rounds of one sample per row (after gap_s of idleness each)."""
        live, results = [], {}
        for row in rows:
            base_line = {"type": "row", "delay_ms": cfg["delay_ms"], "row": row.id, "group": group.id}
            reason = self.unavailable(row)
            if reason:
                self.record(dict(base_line, status="n/a", reason=reason, samples=[]))
                continue
            try:
                self.sample(relay, row, cfg, warmup=True)
            except Unsupported as e:
                self.record(dict(base_line, status="n/a", reason=f"not in this build: {e}", samples=[]))
                continue
            except Exception as e:
                self.fail(base_line, row, f"warm-up: {e}")
                continue
            live.append(row)
            results[row.id] = (base_line, [])
        for i in range(samples):
            if gap_s:
                time.sleep(gap_s)
            for row in list(live):
                try:
                    results[row.id][1].append(self.sample(relay, row, cfg))
                except Exception as e:
                    self.fail(results.pop(row.id)[0], row, str(e))
                    live.remove(row)
        for row in live:
            base_line, got = results[row.id]
            self.record(dict(base_line, status="ok", samples=got))
            med = sorted(s["seconds"] for s in got)[(len(got) - 1) // 2]
            log(f"D={cfg['delay_ms']:g} ms {row.id:24s} p50 {med * 1000:9.1f} ms  "
                f"round trips {[s['round_trips'] for s in got][:6]}")

    def fail(self, base_line, row, msg):
        self.record(dict(base_line, status="broken", reason=msg, samples=[]))
        self.broken.append(f"{row.id}@{base_line['delay_ms']:g}ms")
        log(f"BROKEN {row.id} (D={base_line['delay_ms']:g} ms): {msg}")

    def run_delay(self, delay_ms):
        cfg = dict(self.cfg, delay_ms=delay_ms)
        log(f"--- D = {delay_ms:g} ms per direction (RTT {2 * delay_ms:g} ms)")
        ping = relay_mod.ping(cfg["relay_bin"], delay_ms, cfg["ping_count"], cfg["relay_log"])
        problems = relay_mod.check_ping(ping, cfg["ping_slack_ms"], cfg["ping_slack_ratio"])
        self.record(dict(ping, type="ping", problems=problems))
        log(f"ping through the relay: first {ping['first_ms']:.2f} ms (want {ping['first_expected_ms']:g}), "
            f"RTT p50 {ping['rtt_p50_ms']:.2f} / p90 {ping['rtt_p90_ms']:.2f} ms (want {ping['rtt_expected_ms']:g})")
        if problems:
            self.broken.append(f"relay-ping@{delay_ms:g}ms")
            log("BROKEN relay ping: " + "; ".join(problems))
            return
        main = relay_mod.Relay(cfg["relay_bin"], cfg["api_port"], delay_ms, cfg["relay_log"])
        idle = relay_mod.Relay(cfg["relay_bin"], cfg["idle_api_port"], delay_ms, cfg["relay_log"])
        try:
            by_group = {g.id: [r for r in scenarios.ROWS if r.group == g.id] for g in scenarios.GROUPS}
            groups = {g.id: g for g in scenarios.GROUPS}
            idle_thread = threading.Thread(
                target=self.run_group,
                args=(idle, groups["page-idle"], by_group["page-idle"], cfg, cfg["idle_samples"], cfg["idle_gap_s"]),
            )
            idle_thread.start()
            for g in scenarios.GROUPS:
                if g.id == "page-idle":
                    continue
                samples = cfg["bulk_reps"] if g.id.startswith("bulk") else cfg["samples"]
                self.run_group(main, g, by_group[g.id], cfg, samples)
            idle_thread.join()
        finally:
            main.stop()
            idle.stop()


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[1]) as f:
        cfg = json.load(f)
    with open(sys.argv[2], "a") as out:
        d = Driver(cfg, out)
        for delay_ms in cfg["delays_ms"]:
            d.run_delay(delay_ms)
    if d.broken:
        log("broken: " + " ".join(d.broken))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

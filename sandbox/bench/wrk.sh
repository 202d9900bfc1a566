#!/usr/bin/env bash
# Measures the sandbox's own throughput with wrk (the figures quoted in
# sandbox/README.md). Needs wrk, curl and python3.
#   bash sandbox/bench/wrk.sh            # 5 s per case
#   WRK_SECS=10 bash sandbox/bench/wrk.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
secs="${WRK_SECS:-5}"
bin="${JETPACK_PARTNER_SANDBOX:-}"
if [ -z "$bin" ]; then
    (cd "$root" && cargo build --release -q -p jetpack-partner-sandbox)
    bin="${CARGO_TARGET_DIR:-$root/target}/release/jetpack-partner-sandbox"
fi
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }

work="$(mktemp -d)"
pid=""
cleanup() {
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

start() { # start [args...]: starts the sandbox, sets $base and $token
    "$bin" --listen 127.0.0.1:0 "$@" >"$work/out" 2>"$work/err" &
    pid=$!
    for _ in $(seq 100); do [ -s "$work/out" ] && break; sleep 0.05; done
    base="$(head -1 "$work/out")"
    token="$(curl -sf "$base/oauth2/token" -d grant_type=client_credentials \
        -d client_id=12345 -d client_secret=sandbox-demo-secret -d scope=jetpack-partner |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')"
}
stop() { kill "$pid"; wait "$pid" || true; pid=""; }

run() { # run NAME CONNECTIONS SCRIPT
    local rps
    rps="$(BENCH_TOKEN="$token" wrk -t"$(( $2 < 2 ? 1 : 2 ))" -c"$2" -d"${secs}s" -s "$3" "$base" |
        awk '/Requests\/sec/ {print $2}')"
    printf '%-45s %4s conn  %10s req/s\n' "$1" "$2" "$rps"
}

start
run "in memory, same site (bench/run.sh request)" 1 "$here/same-site.lua"
run "in memory, same site (bench/run.sh request)" 16 "$here/same-site.lua"
run "in memory, a new site each time" 16 "$here/new-site.lua"
stop
start --state "$work/state.jsonl"
run "--state, a new site each time (fsync)" 1 "$here/new-site.lua"
run "--state, a new site each time (fsync)" 16 "$here/new-site.lua"
stop

#!/usr/bin/env bash
# Bulk provisioning benchmark: N provisions (default 1,000) against the sandbox with 20 ms of server
# time per provision (its delay fault), with k = 1, 4, 16, 64 calls in flight (and k = 16 with a
# journal), from C (jp_batch), PHP (Client::provisionMany over FFI) and Python
# (Client.provision_many). Writes bench/bulk/RESULTS.md; exits 1 when a run fails or when the rate
# with k = 16 is not at least 10 times the rate with k = 1.
#
#   bash bench/bulk/run.sh            [BULK_N=1000] [BULK_DELAY_MS=20]
#   bash bench/bulk/run.sh --smoke    100 provisions per run, RESULTS.md left alone, no ratio asserted
#
# Expects `cargo build --release --workspace`; JETPACK_PARTNER_LIB and JETPACK_PARTNER_SANDBOX
# name other builds. Everything runs on 127.0.0.1 on a port chosen at run time.
set -euo pipefail

DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$DIR/../.." && pwd)
RELEASE=$ROOT/target/release
LIB=${JETPACK_PARTNER_LIB:-$RELEASE/libjetpack_partner.so}
SANDBOX=${JETPACK_PARTNER_SANDBOX:-$RELEASE/jetpack-partner-sandbox}
N=${BULK_N:-1000}
DELAY_MS=${BULK_DELAY_MS:-20}
SMOKE=0
[ "${1:-}" = --smoke ] && { SMOKE=1; N=${BULK_N:-100}; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/jp-bulk-bench.XXXXXX")
SANDBOX_PID=
cleanup() {
  [ -n "$SANDBOX_PID" ] && kill "$SANDBOX_PID" 2>/dev/null && wait "$SANDBOX_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

for f in "$LIB" "$SANDBOX"; do
  [ -e "$f" ] || { echo "missing $f: run 'cargo build --release --workspace' first" >&2; exit 1; }
done
mkdir -p "$WORK/lib"
ln -sf "$LIB" "$WORK/lib/libjetpack_partner.so"
ln -sf "$LIB" "$WORK/lib/libjetpack_partner.so.0"
${CC:-cc} -std=c11 -O2 -Wall -Wextra -Werror -I"$ROOT/include" -o "$WORK/bulk_bench" "$DIR/bulk_bench.c" \
  -L"$WORK/lib" -ljetpack_partner -Wl,-rpath,"$WORK/lib"
export JETPACK_PARTNER_LIB=$LIB

"$SANDBOX" --listen 127.0.0.1:0 >"$WORK/sandbox.out" 2>"$WORK/sandbox.err" &
SANDBOX_PID=$!
URL=
for _ in $(seq 100); do
  URL=$(head -n 1 "$WORK/sandbox.out" 2>/dev/null || true)
  [ -n "$URL" ] && break
  sleep 0.1
done
[ -n "$URL" ] || { cat "$WORK/sandbox.err" >&2; echo "the sandbox did not start" >&2; exit 1; }
python3 - "$URL" "$DELAY_MS" <<'PY'
import json, sys, urllib.request
rule = {"endpoint": "provision", "kind": "delay", "delay_ms": int(sys.argv[2]), "count": 0}
req = urllib.request.Request(sys.argv[1] + "/__sandbox/faults", data=json.dumps(rule).encode(),
                             headers={"Content-Type": "application/json"}, method="POST")
assert json.loads(urllib.request.urlopen(req, timeout=10).read())["ok"] is True
PY

RESULTS=$WORK/results.jsonl
run=0
bench() { # LANG K [journal]
  local lang=$1 k=$2 journal=${3:-} tag
  run=$((run + 1))
  tag="bulk-$lang-$k-$run"
  local args=("$URL" "$N" "$k" "$tag")
  [ -n "$journal" ] && args+=("$WORK/journal-$run.jsonl")
  case "$lang" in
    c) "$WORK/bulk_bench" "${args[@]}" ;;
    php) php -d ffi.enable=1 "$DIR/bulk_bench.php" "${args[@]}" ;;
    python) python3 "$DIR/bulk_bench.py" "${args[@]}" ;;
  esac | tee -a "$RESULTS"
}

for lang in c php python; do
  for k in 1 4 16 64; do
    bench "$lang" "$k"
  done
  bench "$lang" 16 journal
done

python3 - "$RESULTS" "$N" "$DELAY_MS" "$SMOKE" "$DIR/RESULTS.md" <<'PY'
import json, sys, datetime, subprocess
path, n, delay, smoke, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4] == "1", sys.argv[5]
rows = [json.loads(l) for l in open(path)]
rate = {(r["lang"], r["k"], r["journal"]): r["per_second"] for r in rows}
lines = [
    "# Bulk provisioning: results",
    "",
    f"{n} provisions per run against the sandbox, {delay} ms of server time per provision (its `delay`",
    "fault), loopback; rate = provisions per second from the batch's start to its last result.",
    f"Run {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC by `bash bench/bulk/run.sh`, "
    f"load average at the end {open('/proc/loadavg').read().split()[0]}.",
    "",
    "| language | k = 1 | k = 4 | k = 16 | k = 64 | k = 16, journal | k = 16 / k = 1 |",
    "|---|---|---|---|---|---|---|",
]
failed = False
for lang in ["c", "php", "python"]:
    cells = [f"{rate.get((lang, k, False), 0):.1f}/s" for k in (1, 4, 16, 64)]
    cells.append(f"{rate.get((lang, 16, True), 0):.1f}/s")
    ratio = rate.get((lang, 16, False), 0) / max(rate.get((lang, 1, False), 0), 1e-9)
    met = ratio >= 10
    failed |= not met and not smoke
    cells.append(f"{ratio:.1f}x ({'met' if met else 'MISSED'}: at least 10x)")
    lines.append(f"| {lang} | " + " | ".join(cells) + " |")
bad = [r for r in rows if r["ok"] != r["n"]]
failed |= bool(bad)
text = "\n".join(lines) + "\n"
print(text)
if not smoke:
    open(out, "w").write(text)
sys.exit(1 if failed else 0)
PY

#!/usr/bin/env bash
# The side-by-side benchmarks of jetpack-partner (see bench/README.md).
#
#   bash bench/run.sh            full run: every series, ratios against the targets,
#                                bench/RESULTS.md and bench/chart.png regenerated
#   bash bench/run.sh --smoke    a few hundred calls per series, nothing asserted but that
#                                every series works; exits non-zero if one breaks
#   bash bench/run.sh --wan [--smoke]   the same clients on a real network's terms (TLS 1.3,
#                                added latency, round trips counted): bench/wan/run.sh
#
# Options: --no-install (never call apt-get/pip), --no-build (use the built library as is),
#          --keep (keep the temporary directory, for the logs).
# Env: JETPACK_PARTNER_LIB, JETPACK_PARTNER_SANDBOX (built artifacts), CARGO_TARGET_DIR,
#      BENCH_REPS, BENCH_N_FAST, BENCH_N_SLOW, BENCH_N_SCRIPT, BENCH_N_RSS, BENCH_WRK_SECS,
#      BENCH_PANEL_SECS (sizes; defaults depend on the mode).
#
# Everything runs on 127.0.0.1, on ports chosen at run time, in a temporary
# directory; every process the harness starts is stopped on exit.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH_DIR")
MODE=full
INSTALL=1
BUILD=1
KEEP=0

usage() { sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
for arg in "$@"; do
  if [ "$arg" = --wan ]; then exec bash "$BENCH_DIR/wan/run.sh" "$@"; fi
done
for arg in "$@"; do
  case "$arg" in
    --smoke) MODE=smoke ;;
    --full) MODE=full ;;
    --no-install) INSTALL=0 ;;
    --no-build) BUILD=0 ;;
    --keep) KEEP=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run.sh: unknown argument: $arg" >&2; usage >&2; exit 2 ;;
  esac
done

START_TS=$(date +%s)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
log() { printf '[bench %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

if [ "$MODE" = smoke ]; then
  REPS=${BENCH_REPS:-1}; N_FAST=${BENCH_N_FAST:-300}; N_SLOW=${BENCH_N_SLOW:-200}
  N_SCRIPT=${BENCH_N_SCRIPT:-10}; N_RSS=${BENCH_N_RSS:-2000}
  WRK_SECS=${BENCH_WRK_SECS:-1}; PANEL_SECS=${BENCH_PANEL_SECS:-1}
else
  REPS=${BENCH_REPS:-5}; N_FAST=${BENCH_N_FAST:-20000}; N_SLOW=${BENCH_N_SLOW:-2000}
  N_SCRIPT=${BENCH_N_SCRIPT:-50}; N_RSS=${BENCH_N_RSS:-100000}
  WRK_SECS=${BENCH_WRK_SECS:-3}; PANEL_SECS=${BENCH_PANEL_SECS:-5}
fi
FPM_CHILDREN=4
PANEL_CONNS=4

# ---------------------------------------------------------------------------
# Temporary directory and cleanup of every process started here.

WORK=$(mktemp -d "${TMPDIR:-/tmp}/jp-bench.XXXXXX")
PIDS=()
cleanup() {
  local rc=$? pid i
  set +e
  for pid in "${PIDS[@]}"; do
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
  done
  for pid in "${PIDS[@]}"; do
    for i in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null
  done
  if [ "$KEEP" = 1 ]; then
    log "kept $WORK"
  else
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Start a long-running server in its own session (so its whole process group can be
# stopped), output in $WORK/NAME.out. Sets LAST_PID.
start_bg() {
  local name=$1; shift
  setsid "$@" >"$WORK/$name.out" 2>&1 </dev/null &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
}

pick_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# wait_for NAME PID CMD...: retry CMD for 10 s while the process lives.
wait_for() {
  local name=$1 pid=$2 i; shift 2
  for i in $(seq 1 100); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    kill -0 "$pid" 2>/dev/null || { cat "$WORK/$name.out" >&2 2>/dev/null; die "$name exited at start"; }
    sleep 0.1
  done
  cat "$WORK/$name.out" >&2 2>/dev/null
  die "$name did not come up"
}

# ---------------------------------------------------------------------------
# Tools: install what is missing with apt-get (and requests with pip).

find_fpm() {
  local f
  for f in php-fpm /usr/sbin/php-fpm /usr/sbin/php-fpm*; do
    if command -v "$f" >/dev/null 2>&1; then command -v "$f"; return 0; fi
  done
  return 1
}
have_chart_tool() {
  command -v gnuplot >/dev/null 2>&1 || python3 -c 'import matplotlib' >/dev/null 2>&1
}

install_deps() {
  local missing=()
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
  command -v wrk >/dev/null 2>&1 || missing+=(wrk)
  command -v php >/dev/null 2>&1 || missing+=(php-cli)
  find_fpm >/dev/null || missing+=(php-fpm)
  php -r 'exit(extension_loaded("curl") ? 0 : 1);' 2>/dev/null || missing+=(php-curl)
  command -v jq >/dev/null 2>&1 || missing+=(jq)
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  command -v cc >/dev/null 2>&1 || missing+=(gcc libc6-dev)
  if [ "$MODE" = full ] && ! have_chart_tool; then missing+=(gnuplot-nox); fi
  if [ "${#missing[@]}" -gt 0 ]; then
    [ "$INSTALL" = 1 ] || die "missing: ${missing[*]} (run without --no-install, or install them)"
    local sudo=()
    if [ "$(id -u)" != 0 ]; then
      command -v sudo >/dev/null 2>&1 || die "missing: ${missing[*]} and not root (no sudo)"
      sudo=(sudo -n)
    fi
    log "installing: ${missing[*]}"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >"$WORK/apt.log" 2>&1 \
      || { cat "$WORK/apt.log" >&2; die "apt-get update failed"; }
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      "${missing[@]}" >>"$WORK/apt.log" 2>&1 || { cat "$WORK/apt.log" >&2; die "apt-get install failed"; }
  fi
  if ! python3 -c 'import requests' >/dev/null 2>&1; then
    [ "$INSTALL" = 1 ] || die "python3 module requests missing"
    log "installing requests with pip"
    python3 -m pip install --quiet --disable-pip-version-check requests >"$WORK/pip.log" 2>&1 \
      || { cat "$WORK/pip.log" >&2; die "pip install requests failed"; }
  fi
}

install_deps
export PATH="$PATH:/usr/sbin:/sbin"
NGINX=$(command -v nginx)
FPM=$(find_fpm)

# ---------------------------------------------------------------------------
# The library, the sandbox and the C program.

TGT=${CARGO_TARGET_DIR:-$ROOT/target}
if [ "$BUILD" = 1 ] && [ -z "${JETPACK_PARTNER_LIB:-}" ]; then
  log "building the library and the sandbox (cargo build --release)"
  (cd "$ROOT" && cargo build --release -p jetpack-partner --lib \
     && cargo build --release -p jetpack-partner-sandbox --bin jetpack-partner-sandbox) >"$WORK/cargo.log" 2>&1 \
    || { tail -n 40 "$WORK/cargo.log" >&2; die "cargo build failed"; }
fi
LIB=${JETPACK_PARTNER_LIB:-$TGT/release/libjetpack_partner.so}
SANDBOX_BIN=${JETPACK_PARTNER_SANDBOX:-$TGT/release/jetpack-partner-sandbox}
[ -f "$LIB" ] || die "library not found: $LIB (build it, or set JETPACK_PARTNER_LIB)"
[ -x "$SANDBOX_BIN" ] || die "sandbox not found: $SANDBOX_BIN (build it, or set JETPACK_PARTNER_SANDBOX)"
LIB=$(readlink -f "$LIB")
export JETPACK_PARTNER_LIB="$LIB"

# Link the C program through a directory holding the library under its plain name
# and its SONAME, so the run-time lookup finds this very build.
mkdir -p "$WORK/lib"
ln -sf "$LIB" "$WORK/lib/libjetpack_partner.so"
SONAME=$(objdump -p "$LIB" 2>/dev/null | awk '$1 == "SONAME" {print $2}')
if [ -n "$SONAME" ] && [ "$SONAME" != libjetpack_partner.so ]; then ln -sf "$LIB" "$WORK/lib/$SONAME"; fi
cc -O2 -Wall -Wextra -I"$ROOT/include" "$BENCH_DIR/c/jp_bench.c" -o "$WORK/jp_bench" \
  -L"$WORK/lib" -ljetpack_partner -pthread -Wl,-rpath,"$WORK/lib" 2>"$WORK/cc.log" \
  || { cat "$WORK/cc.log" >&2; die "compiling bench/c/jp_bench.c failed"; }

# ---------------------------------------------------------------------------
# Servers: nginx (fixed-JSON API + panel), PHP-FPM, the sandbox.

API_PORT=$(pick_port)
PANEL_PORT=$(pick_port)
while [ "$PANEL_PORT" = "$API_PORT" ]; do PANEL_PORT=$(pick_port); done
API_BASE="http://127.0.0.1:$API_PORT"
PANEL_BASE="http://127.0.0.1:$PANEL_PORT"
IS_ROOT=0; [ "$(id -u)" = 0 ] && IS_ROOT=1

mkdir -p "$WORK/nginx"
USER_LINE=""; [ "$IS_ROOT" = 1 ] && USER_LINE="user root root;"
sed -e "s|@WORK@|$WORK|g" -e "s|@BENCH@|$BENCH_DIR|g" -e "s|@ROOT@|$ROOT|g" \
    -e "s|@API_PORT@|$API_PORT|g" -e "s|@PANEL_PORT@|$PANEL_PORT|g" -e "s|@USER_LINE@|$USER_LINE|g" \
    "$BENCH_DIR/conf/nginx.conf.in" >"$WORK/nginx/nginx.conf"
start_bg nginx "$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log"
NGINX_PID=$LAST_PID
wait_for nginx "$NGINX_PID" curl -sf -X POST "$API_BASE/oauth2/token"
log "nginx fixed-JSON API on $API_BASE, panel on $PANEL_BASE"

FPM_USER_LINES=""; FPM_ARGS=()
if [ "$IS_ROOT" = 1 ]; then FPM_USER_LINES=$'user = root\ngroup = root'; FPM_ARGS+=(-R); fi
awk -v users="$FPM_USER_LINES" '{ if ($0 == "@USER_LINES@") print users; else print }' \
  "$BENCH_DIR/conf/php-fpm.conf.in" | sed -e "s|@WORK@|$WORK|g" -e "s|@CHILDREN@|$FPM_CHILDREN|g" \
  >"$WORK/php-fpm.conf"
# The library is preloaded the way the binding documents for a PHP-FPM master: its FFI
# declarations through ffi.preload (PHP refuses FFI::load() in an opcache.preload run
# with opcache.preload_user, i.e. as root), its classes through opcache.preload.
php "$ROOT/bindings/php/ffi-preload-header.php" --library="$LIB" >"$WORK/jetpack_partner_ffi.h" \
  || die "bindings/php/ffi-preload-header.php failed"
start_bg php-fpm "$FPM" -F "${FPM_ARGS[@]}" -y "$WORK/php-fpm.conf" \
  -d ffi.enable=preload -d "ffi.preload=$WORK/jetpack_partner_ffi.h" \
  -d opcache.enable=1 -d "opcache.preload=$BENCH_DIR/php/panel/preload.php" \
  -d "opcache.preload_user=$(id -un)" -d display_errors=0
FPM_PID=$LAST_PID
wait_for php-fpm "$FPM_PID" test -S "$WORK/php-fpm.sock"

start_bg sandbox "$SANDBOX_BIN" --listen 127.0.0.1:0
SANDBOX_PID=$LAST_PID
wait_for sandbox "$SANDBOX_PID" grep -q '^http://' "$WORK/sandbox.out"
SANDBOX_BASE=$(grep -m1 '^http://' "$WORK/sandbox.out" | tr -d '\r')
wait_for sandbox "$SANDBOX_PID" curl -sf "$SANDBOX_BASE/__sandbox/health"
SANDBOX_TOKEN=$(curl -sf -X POST "$SANDBOX_BASE/oauth2/token" -d grant_type=client_credentials \
  -d client_id=12345 -d client_secret=sandbox-demo-secret -d scope=jetpack-partner | jq -r '.access_token // empty')
[ -n "$SANDBOX_TOKEN" ] || die "the sandbox gave no partner token"
log "sandbox on $SANDBOX_BASE"

# The panel pages must answer before they are measured.
for page in lib curl empty; do
  body=$(curl -s -m 20 "$PANEL_BASE/$page.php" || true)
  if [ "$(jq -r '.ok // false' <<<"$body" 2>/dev/null)" != true ]; then
    log "panel page $page.php failed: $body"
    tail -n 20 "$WORK/php-fpm.log" >&2 2>/dev/null || true
    die "panel page $page.php does not work"
  fi
done

# ---------------------------------------------------------------------------
# Series. Each records one JSON line in $RESULTS: {series, target, rep, calls, seconds,
# rate, failures, ...} or {series, target, rep, error}.

RESULTS="$WORK/results.jsonl"
: >"$RESULTS"
BROKEN=()
export BENCH_WRK_REPORT="$BENCH_DIR/wrk/report.lua"
export JP_BENCH_PARTNER_ID=12345 JP_BENCH_PARTNER_SECRET=sandbox-demo-secret JP_BENCH_PLAN=premium
PHP_CLI=(php -d ffi.enable=1 -d memory_limit=512M)
PY_ENV=(env "PYTHONPATH=$ROOT/bindings/python${PYTHONPATH:+:$PYTHONPATH}")

record_error() { # series target rep message
  jq -nc --arg s "$1" --arg t "$2" --argjson r "$3" --arg e "$4" \
    '{series: $s, target: $t, rep: $r, error: $e}' >>"$RESULTS"
  BROKEN+=("$1@$2")
  log "BROKEN $1 ($2): $4"
}

# run_client SERIES TARGET REP CMD...: the command prints one JSON line last.
run_client() {
  local series=$1 target=$2 rep=$3 out rc line; shift 3
  rc=0
  out=$("$@" 2>"$WORK/stderr.txt") || rc=$?
  line=$(printf '%s\n' "$out" | tail -n 1)
  if [ "$rc" != 0 ] || ! jq -e '.rate > 0 and .failures == 0' >/dev/null 2>&1 <<<"$line"; then
    record_error "$series" "$target" "$rep" "exit $rc: $(head -c 400 "$WORK/stderr.txt" | tr '\n' ' ') $line"
    return 0
  fi
  jq -c --arg s "$series" --arg t "$target" --argjson r "$rep" '{series: $s, target: $t, rep: $r} + .' \
    <<<"$line" >>"$RESULTS"
  log "$(printf '%-18s %-8s %10.1f calls/s  (%s calls)' "$series" "$target" "$(jq -r .rate <<<"$line")" \
    "$(jq -r .calls <<<"$line")")"
}

# run_wrk SERIES TARGET REP WRK-ARGS...: the Lua report hook prints "BENCH_JSON {...}".
run_wrk() {
  local series=$1 target=$2 rep=$3 out rc line; shift 3
  rc=0
  out=$(wrk --timeout 5s "$@" 2>"$WORK/stderr.txt") || rc=$?
  line=$(printf '%s\n' "$out" | sed -n 's/^BENCH_JSON //p' | tail -n 1)
  if [ "$rc" != 0 ] || ! jq -e '.rate > 0 and .failures == 0' >/dev/null 2>&1 <<<"$line"; then
    record_error "$series" "$target" "$rep" "wrk exit $rc: $(head -c 300 "$WORK/stderr.txt" | tr '\n' ' ') $line"
    case "$series" in
      panel-*)
        log "a request to the page now: $(curl -s -m 10 "${@: -1}" | head -c 300)"
        tail -n 5 "$WORK/php-fpm.log" >&2 2>/dev/null || true ;;
    esac
    return 0
  fi
  jq -c --arg s "$series" --arg t "$target" --argjson r "$rep" '{series: $s, target: $t, rep: $r} + .' \
    <<<"$line" >>"$RESULTS"
  log "$(printf '%-18s %-8s %10.1f req/s    (p50 %s us, p99 %s us)' "$series" "$target" \
    "$(jq -r .rate <<<"$line")" "$(jq -r .lat_p50_us <<<"$line")" "$(jq -r .lat_p99_us <<<"$line")")"
}

# The client series against one API base, interleaved rep by rep so that the ratios
# compare runs made at the same moment.
client_series() { # TARGET BASE TOKEN REP
  local t=$1 base=$2 token=$3 rep=$4
  BENCH_TOKEN="$token" run_wrk wrk-c1 "$t" "$rep" -t1 -c1 -d"${WRK_SECS}s" --latency \
    -s "$BENCH_DIR/wrk/provision.lua" "$base"
  run_client c "$t" "$rep" "$WORK/jp_bench" "$base" seq "$N_FAST"
  run_client c-2t "$t" "$rep" "$WORK/jp_bench" "$base" threads 2 "$N_FAST"
  run_client c-4t "$t" "$rep" "$WORK/jp_bench" "$base" threads 4 "$N_FAST"
  run_client php-binding "$t" "$rep" "${PHP_CLI[@]}" "$BENCH_DIR/php/bench.php" binding "$base" "$N_FAST"
  run_client php-curl-reused "$t" "$rep" "${PHP_CLI[@]}" "$BENCH_DIR/php/bench.php" curl-reused "$base" "$N_FAST"
  run_client php-curl-common "$t" "$rep" "${PHP_CLI[@]}" "$BENCH_DIR/php/bench.php" curl-common "$base" "$N_SLOW"
  run_client php-script "$t" "$rep" "${PHP_CLI[@]}" "$BENCH_DIR/php/bench.php" script "$base" "$N_SCRIPT"
  run_client py-binding "$t" "$rep" "${PY_ENV[@]}" python3 "$BENCH_DIR/python/bench.py" binding "$base" "$N_FAST"
  run_client py-requests "$t" "$rep" "${PY_ENV[@]}" python3 "$BENCH_DIR/python/bench.py" requests "$base" "$N_SLOW"
}

panel_series() { # REP
  local rep=$1 page
  for page in lib curl empty; do
    run_wrk "panel-$page" nginx "$rep" -t2 -c"$PANEL_CONNS" -d"${PANEL_SECS}s" --latency \
      -s "$BENCH_DIR/wrk/get.lua" "$PANEL_BASE/$page.php"
  done
}

if awk -v l="${LOAD_START%% *}" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2) }'; then
  log "warning: the machine is busy (load average $LOAD_START on $(nproc) cores): the rates will be noisy"
fi
log "mode $MODE: $REPS rep(s); $N_FAST fast / $N_SLOW slow / $N_SCRIPT script calls; wrk ${WRK_SECS}s, panel ${PANEL_SECS}s"
for rep in $(seq 1 "$REPS"); do
  log "--- rep $rep/$REPS: fixed-JSON nginx"
  client_series nginx "$API_BASE" bench-token "$rep"
  panel_series "$rep"
  log "--- rep $rep/$REPS: sandbox"
  client_series sandbox "$SANDBOX_BASE" "$SANDBOX_TOKEN" "$rep"
  run_wrk sandbox-health-c1 sandbox "$rep" -t1 -c1 -d"${WRK_SECS}s" --latency \
    -s "$BENCH_DIR/wrk/get.lua" "$SANDBOX_BASE/__sandbox/health"
  run_wrk sandbox-health-c32 sandbox "$rep" -t2 -c32 -d"${WRK_SECS}s" --latency \
    -s "$BENCH_DIR/wrk/get.lua" "$SANDBOX_BASE/__sandbox/health"
done
log "--- memory: RSS over $N_RSS calls"
run_client c-rss nginx 1 "$WORK/jp_bench" "$API_BASE" rss "$N_RSS"

# ---------------------------------------------------------------------------
# Report.

DURATION=$(( $(date +%s) - START_TS ))
first_line() { "$@" 2>&1 | head -n 1 || true; }
jq -n \
  --arg mode "$MODE" --argjson reps "$REPS" --argjson duration "$DURATION" \
  --arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  --arg load_start "$LOAD_START" --arg load_end "$(cut -d' ' -f1-3 /proc/loadavg)" \
  --arg kernel "$(uname -srm)" \
  --arg cpu "$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)" \
  --arg cores "$(nproc)" \
  --arg mem "$(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)" \
  --arg os "$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")" \
  --arg commit "${BENCH_COMMIT:-$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)}" \
  --arg library "$(jq -r 'select(.series == "c" and .version) | .version' "$RESULTS" | head -n 1)" \
  --arg rustc "$(first_line rustc --version)" \
  --arg nginx "$(first_line "$NGINX" -v | sed 's/^nginx version: //')" \
  --arg wrk "$(first_line wrk -v | awk '{print $1, $2}')" \
  --arg php "$(php -r 'echo PHP_VERSION;')" \
  --arg fpm "$(first_line "$FPM" -v | awk '{print $1, $2}')" \
  --arg php_curl "$(php -r 'echo curl_version()["version"];')" \
  --arg python "$(python3 -c 'import sys; print(sys.version.split()[0])')" \
  --arg requests "$(python3 -c 'import requests; print(requests.__version__)')" \
  --arg curl "$(first_line curl --version | awk '{print $2}')" \
  --arg jq "$(first_line jq --version)" \
  --arg cc "$(first_line cc --version)" \
  --argjson n_fast "$N_FAST" --argjson n_slow "$N_SLOW" --argjson n_script "$N_SCRIPT" \
  --argjson n_rss "$N_RSS" --argjson wrk_secs "$WRK_SECS" --argjson panel_secs "$PANEL_SECS" \
  --argjson fpm_children "$FPM_CHILDREN" --argjson panel_conns "$PANEL_CONNS" \
  '$ARGS.named' >"$WORK/meta.json"

REPORT_ARGS=(--results "$RESULTS" --meta "$WORK/meta.json")
if [ "$MODE" = full ]; then
  REPORT_ARGS+=(--write "$BENCH_DIR/RESULTS.md" --chart "$BENCH_DIR/chart.png" --workdir "$WORK")
fi
python3 "$BENCH_DIR/lib/report.py" "${REPORT_ARGS[@]}"

if [ "${#BROKEN[@]}" -gt 0 ]; then
  log "broken series: ${BROKEN[*]}"
  exit 1
fi
log "done in ${DURATION}s"

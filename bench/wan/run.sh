#!/usr/bin/env bash
# The WAN benchmarks of jetpack-partner (see bench/README.md, "On a real network's terms"):
# TLS 1.3 and added latency, round trips counted. Run through `bash bench/run.sh --wan`.
#
#   bash bench/run.sh --wan            full run: D = 10 and 40 ms, bench/RESULTS-wan.md and
#                                      bench/chart-wan.png regenerated
#   bash bench/run.sh --wan --smoke    D = 2 ms, two samples per row, 8-provision bulks, a 2 s
#                                      idle gap (1 s server idle limit); exits non-zero if a row
#                                      breaks, asserts no ratio
#
# Options: --no-install (never call apt-get/pip), --no-build (use the built artifacts as they
#          are), --keep (keep the temporary directory, for the logs).
# Env: JETPACK_PARTNER_LIB, JETPACK_PARTNER_CLI, JETPACK_PARTNER_SANDBOX (built artifacts),
#      CARGO_TARGET_DIR, BENCH_WAN_DELAYS_MS (e.g. "10 40"), BENCH_WAN_SAMPLES, BENCH_WAN_BULK_N,
#      BENCH_WAN_BULK_REPS, BENCH_WAN_IDLE_GAP_S, BENCH_WAN_IDLE_KEEPALIVE_S, BENCH_WAN_IDLE_SAMPLES,
#      BENCH_COMMIT.
#
# Everything runs on 127.0.0.1, on ports chosen at run time, in a temporary directory; every
# process the harness starts is stopped on exit.
set -euo pipefail

WAN_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BENCH_DIR=$(dirname "$WAN_DIR")
ROOT=$(dirname "$BENCH_DIR")
MODE=full
INSTALL=1
BUILD=1
KEEP=0

usage() { sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
for arg in "$@"; do
  case "$arg" in
    --wan) ;;
    --smoke) MODE=smoke ;;
    --full) MODE=full ;;
    --no-install) INSTALL=0 ;;
    --no-build) BUILD=0 ;;
    --keep) KEEP=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "wan/run.sh: unknown argument: $arg" >&2; usage >&2; exit 2 ;;
  esac
done

if [ "$MODE" = smoke ]; then
  DELAYS=${BENCH_WAN_DELAYS_MS:-2}; SAMPLES=${BENCH_WAN_SAMPLES:-2}; BULK_N=${BENCH_WAN_BULK_N:-8}
  BULK_REPS=${BENCH_WAN_BULK_REPS:-1}; IDLE_GAP=${BENCH_WAN_IDLE_GAP_S:-2}
  IDLE_KEEPALIVE=${BENCH_WAN_IDLE_KEEPALIVE_S:-1}; IDLE_SAMPLES=${BENCH_WAN_IDLE_SAMPLES:-1}; PING_COUNT=10
else
  DELAYS=${BENCH_WAN_DELAYS_MS:-10 40}; SAMPLES=${BENCH_WAN_SAMPLES:-15}; BULK_N=${BENCH_WAN_BULK_N:-200}
  BULK_REPS=${BENCH_WAN_BULK_REPS:-3}; IDLE_GAP=${BENCH_WAN_IDLE_GAP_S:-35}
  IDLE_KEEPALIVE=${BENCH_WAN_IDLE_KEEPALIVE_S:-30}; IDLE_SAMPLES=${BENCH_WAN_IDLE_SAMPLES:-4}; PING_COUNT=40
fi
# The API keeps idle connections 300 s, longer than any wait here; the idle-gap rows reach it on a
# port of its own that closes them after IDLE_KEEPALIVE s (30: the library's idle limit when these
# rows were written), and wait IDLE_GAP s between pages, so that they need a new connection.
API_KEEPALIVE_S=300
awk -v g="$IDLE_GAP" -v k="$IDLE_KEEPALIVE" 'BEGIN { exit !(g > k) }' \
  || { echo "wan/run.sh: the idle gap ($IDLE_GAP s) must be longer than the server's idle limit ($IDLE_KEEPALIVE s)" >&2; exit 2; }

START_TS=$(date +%s)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
log() { printf '[wan %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ---------------------------------------------------------------------------
# Temporary directory and cleanup of every process started here.

WORK=$(mktemp -d "${TMPDIR:-/tmp}/jp-wan.XXXXXX")
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
  if [ "$KEEP" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start_bg NAME CMD...: a server in its own session (its whole group can be stopped), output in
# $WORK/NAME.out. Sets LAST_PID.
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

install_deps() {
  local missing=()
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
  command -v php >/dev/null 2>&1 || missing+=(php-cli)
  find_fpm >/dev/null || missing+=(php-fpm)
  php -r 'exit(extension_loaded("curl") ? 0 : 1);' 2>/dev/null || missing+=(php-curl)
  php -r 'exit(extension_loaded("apcu") ? 0 : 1);' 2>/dev/null || missing+=(php-apcu)
  command -v jq >/dev/null 2>&1 || missing+=(jq)
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  command -v cc >/dev/null 2>&1 || missing+=(gcc libc6-dev)
  command -v nm >/dev/null 2>&1 || missing+=(binutils)
  if [ "$MODE" = full ] && ! command -v gnuplot >/dev/null 2>&1; then missing+=(gnuplot-nox); fi
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
# The library, the command-line tool, the sandbox; the relay and the C bulk program.

TGT=${CARGO_TARGET_DIR:-$ROOT/target}
if [ "$BUILD" = 1 ] && [ -z "${JETPACK_PARTNER_LIB:-}" ]; then
  log "building the library, the command-line tool and the sandbox (cargo build --release)"
  (cd "$ROOT" && cargo build --release -p jetpack-partner --lib \
     && cargo build --release -p jetpack-partner-cli --bin jetpack-partner \
     && cargo build --release -p jetpack-partner-sandbox --bin jetpack-partner-sandbox) >"$WORK/cargo.log" 2>&1 \
    || { tail -n 40 "$WORK/cargo.log" >&2; die "cargo build failed"; }
fi
LIB=${JETPACK_PARTNER_LIB:-$TGT/release/libjetpack_partner.so}
CLI=${JETPACK_PARTNER_CLI:-$TGT/release/jetpack-partner}
SANDBOX_BIN=${JETPACK_PARTNER_SANDBOX:-$TGT/release/jetpack-partner-sandbox}
[ -f "$LIB" ] || die "library not found: $LIB (build it, or set JETPACK_PARTNER_LIB)"
[ -x "$CLI" ] || die "command-line tool not found: $CLI (build it, or set JETPACK_PARTNER_CLI)"
[ -x "$SANDBOX_BIN" ] || die "sandbox not found: $SANDBOX_BIN (build it, or set JETPACK_PARTNER_SANDBOX)"
LIB=$(readlink -f "$LIB")
export JETPACK_PARTNER_LIB="$LIB"

cc -O2 -Wall -Wextra "$WAN_DIR/delay_relay.c" -o "$WORK/delay_relay" 2>"$WORK/cc.log" \
  || { cat "$WORK/cc.log" >&2; die "compiling bench/wan/delay_relay.c failed"; }
# The relay's timers must fire on time on a busy machine: real-time priority where allowed.
RELAY_BIN="$WORK/delay_relay"
if chrt -f 10 true 2>/dev/null; then
  printf '#!/bin/sh\nexec chrt -f 10 %q "$@"\n' "$WORK/delay_relay" >"$WORK/delay_relay_rt"
  chmod +x "$WORK/delay_relay_rt"
  RELAY_BIN="$WORK/delay_relay_rt"
else
  log "warning: no real-time priority for the relay (chrt refused): its delays may run late on a busy machine"
fi

# The C program links through a directory holding the library under its plain name and its
# SONAME, so that the run-time lookup finds this very build.
mkdir -p "$WORK/lib"
ln -sf "$LIB" "$WORK/lib/libjetpack_partner.so"
SONAME=$(objdump -p "$LIB" 2>/dev/null | awk '$1 == "SONAME" {print $2}')
if [ -n "$SONAME" ] && [ "$SONAME" != libjetpack_partner.so ]; then ln -sf "$LIB" "$WORK/lib/$SONAME"; fi
# The library's newer features, each true or the reason it is missing, per client.
c_feature() { # SYMBOL: true when the header declares it and the library exports it
  if ! grep -q "\b$1(" "$ROOT/include/jetpack_partner.h"; then echo "\"$1 is not in include/jetpack_partner.h\""
  elif ! nm -D --defined-only "$LIB" | grep -q " $1\$"; then echo "\"the library does not export $1\""
  else echo true; fi
}
C_TOKEN_CACHE=$(c_feature jp_client_builder_set_token_cache_dir)
BULK_FLAGS=()
[ "$C_TOKEN_CACHE" = true ] && BULK_FLAGS+=(-DJP_HAVE_TOKEN_CACHE_DIR)
build_bulk() {
  cc -O2 -Wall -Wextra "$@" -I"$ROOT/include" "$WAN_DIR/jp_wan_bulk.c" -o "$WORK/jp_wan_bulk" \
    -L"$WORK/lib" -ljetpack_partner -pthread -Wl,-rpath,"$WORK/lib" 2>"$WORK/cc.log"
}
if ! build_bulk "${BULK_FLAGS[@]}"; then
  if [ "${#BULK_FLAGS[@]}" -gt 0 ] && build_bulk; then
    C_TOKEN_CACHE="\"jp_client_builder_set_token_cache_dir has another signature than (jp_client_builder *, const char *): see bench/wan/jp_wan_bulk.c\""
  else
    cat "$WORK/cc.log" >&2; die "compiling bench/wan/jp_wan_bulk.c failed"
  fi
fi
if "$CLI" provision --help 2>&1 | grep -q -- '--token_cache_dir'; then CLI_TOKEN_CACHE=true
else CLI_TOKEN_CACHE='"jetpack-partner provision --help names no --token_cache_dir"'; fi

# What is measured is latency, and the machine may be busy with other work: the servers and
# clients started from here on (mostly asleep, waiting on the link) run at nice -10 where allowed,
# so that a neighbour's compile does not stretch their turns.
HARNESS_NICE=$(ps -o ni= -p $$ | tr -d ' ')
if renice -n -10 -p $$ >/dev/null 2>&1; then HARNESS_NICE=$(ps -o ni= -p $$ | tr -d ' '); else
  log "warning: cannot raise the harness's priority (renice refused): times on a busy machine will be noisier"
fi

# ---------------------------------------------------------------------------
# The test CA and the API's certificate (for 127.0.0.1), made for this run.

mkdir -p "$WORK/tls" "$WORK/token-cache-fpm" "$WORK/token-cache-cli"
chmod 700 "$WORK/token-cache-fpm" "$WORK/token-cache-cli"
(
  cd "$WORK/tls"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=jetpack-partner WAN bench CA" \
    -keyout ca.key -out ca.pem -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" -keyout server.key -out server.csr
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >ext.cnf
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile ext.cnf -out server.crt
  cat server.crt ca.pem >server.pem
) >"$WORK/openssl.log" 2>&1 || { cat "$WORK/openssl.log" >&2; die "making the test CA failed"; }

# ---------------------------------------------------------------------------
# Servers: the sandbox, nginx (TLS API + panel), PHP-FPM.

start_bg sandbox "$SANDBOX_BIN" --listen 127.0.0.1:0
SANDBOX_PID=$LAST_PID
wait_for sandbox "$SANDBOX_PID" grep -q '^http://' "$WORK/sandbox.out"
SANDBOX_PORT=$(grep -m1 '^http://' "$WORK/sandbox.out" | tr -d '\r' | sed 's|.*:||')

API_PORT=$(pick_port)
IDLE_API_PORT=$(pick_port)
while [ "$IDLE_API_PORT" = "$API_PORT" ]; do IDLE_API_PORT=$(pick_port); done
PANEL_PORT=$(pick_port)
while [ "$PANEL_PORT" = "$API_PORT" ] || [ "$PANEL_PORT" = "$IDLE_API_PORT" ]; do PANEL_PORT=$(pick_port); done
IS_ROOT=0; [ "$(id -u)" = 0 ] && IS_ROOT=1
mkdir -p "$WORK/nginx"
USER_LINE=""; [ "$IS_ROOT" = 1 ] && USER_LINE="user root root;"
sed -e "s|@WORK@|$WORK|g" -e "s|@WAN@|$WAN_DIR|g" -e "s|@API_PORT@|$API_PORT|g" \
    -e "s|@PANEL_PORT@|$PANEL_PORT|g" -e "s|@SANDBOX_PORT@|$SANDBOX_PORT|g" \
    -e "s|@API_KEEPALIVE@|$API_KEEPALIVE_S|g" -e "s|@USER_LINE@|$USER_LINE|g" \
    -e "s|@IDLE_API_PORT@|$IDLE_API_PORT|g" -e "s|@IDLE_KEEPALIVE@|$IDLE_KEEPALIVE|g" \
    "$WAN_DIR/conf/nginx.conf.in" >"$WORK/nginx/nginx.conf"
start_bg nginx "$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log"
NGINX_PID=$LAST_PID
API_BASE="https://127.0.0.1:$API_PORT"
wait_for nginx "$NGINX_PID" curl -sf --cacert "$WORK/tls/ca.pem" "$API_BASE/__sandbox/health"
curl -s --cacert "$WORK/tls/ca.pem" --tlsv1.3 -o /dev/null "$API_BASE/__sandbox/health" \
  || die "nginx does not answer TLS 1.3 on $API_BASE"
log "API (TLS 1.3, nginx -> sandbox) on $API_BASE, panel on http://127.0.0.1:$PANEL_PORT"

FPM_USER_LINES=""; FPM_ARGS=()
if [ "$IS_ROOT" = 1 ]; then FPM_USER_LINES=$'user = root\ngroup = root'; FPM_ARGS+=(-R); fi
awk -v users="$FPM_USER_LINES" '{ if ($0 == "@USER_LINES@") print users; else print }' \
  "$WAN_DIR/conf/php-fpm.conf.in" | sed -e "s|@WORK@|$WORK|g" >"$WORK/php-fpm.conf"
# Preloaded as bench/run.sh does for its panel (and README.md documents for PHP-FPM).
php "$ROOT/bindings/php/ffi-preload-header.php" --library="$LIB" >"$WORK/jetpack_partner_ffi.h" \
  || die "bindings/php/ffi-preload-header.php failed"
start_bg php-fpm "$FPM" -F "${FPM_ARGS[@]}" -y "$WORK/php-fpm.conf" \
  -d ffi.enable=preload -d "ffi.preload=$WORK/jetpack_partner_ffi.h" \
  -d opcache.enable=1 -d "opcache.preload=$BENCH_DIR/php/panel/preload.php" \
  -d "opcache.preload_user=$(id -un)" -d display_errors=0 -d apc.enabled=1
FPM_PID=$LAST_PID
for pool in warm fresh idle; do wait_for php-fpm "$FPM_PID" test -S "$WORK/fpm-$pool.sock"; done
php -d apc.enable_cli=1 -r 'exit(function_exists("apcu_fetch") ? 0 : 1);' || die "APCu is not loaded in PHP"

PHP_CLI=(php -d ffi.enable=1 -d memory_limit=512M)
PHP_FEATURES=$("${PHP_CLI[@]}" "$WAN_DIR/php/features.php" "$API_BASE" "$WORK/tls/ca.pem" "$WORK/token-cache-cli") \
  || die "bench/wan/php/features.php failed"

# ---------------------------------------------------------------------------
# The rows, through the relays.

jq -n \
  --argjson delays "$(printf '%s\n' $DELAYS | jq -s .)" \
  --argjson samples "$SAMPLES" --argjson bulk_n "$BULK_N" --argjson bulk_reps "$BULK_REPS" \
  --argjson idle_gap "$IDLE_GAP" --argjson idle_samples "$IDLE_SAMPLES" \
  --argjson idle_keepalive "$IDLE_KEEPALIVE" --argjson idle_api_port "$IDLE_API_PORT" \
  --argjson ping_count "$PING_COUNT" --argjson smoke "$([ "$MODE" = smoke ] && echo true || echo false)" \
  --arg relay_bin "$RELAY_BIN" --arg relay_log "$WORK/relay.log" --argjson api_port "$API_PORT" \
  --arg panel_base "http://127.0.0.1:$PANEL_PORT" --arg ca "$WORK/tls/ca.pem" \
  --arg cli "$CLI" --arg wan_dir "$WAN_DIR" --arg jp_wan_bulk "$WORK/jp_wan_bulk" \
  --arg curl_jq "$BENCH_DIR/php/partner-provision.sh" \
  --arg cache_cli "$WORK/token-cache-cli" \
  --argjson php_features "$PHP_FEATURES" --argjson c_token_cache "$C_TOKEN_CACHE" \
  --argjson cli_token_cache "$CLI_TOKEN_CACHE" \
  --arg pythonpath "$ROOT/bindings/python${PYTHONPATH:+:$PYTHONPATH}" \
  '{delays_ms: $delays, samples: $samples, bulk_n: $bulk_n, bulk_reps: $bulk_reps,
    idle_gap_s: $idle_gap, idle_samples: $idle_samples, idle_server_keepalive_s: $idle_keepalive,
    idle_api_port: $idle_api_port,
    ping_count: $ping_count,
    ping_slack_ms: (if $smoke then 5 else 2 end), ping_slack_ratio: (if $smoke then 0.5 else 0.25 end),
    fresh_pause_s: 0.2,
    relay_bin: $relay_bin, relay_log: $relay_log, api_port: $api_port, panel_base: $panel_base,
    ca_bundle: $ca, cli: $cli, wan_dir: $wan_dir, jp_wan_bulk: $jp_wan_bulk, curl_jq_script: $curl_jq,
    token_cache_cli: $cache_cli, php: ["php", "-d", "ffi.enable=1", "-d", "memory_limit=512M"],
    partner_id: "12345", partner_secret: "sandbox-demo-secret",
    features: {php: $php_features, c: {token_cache_dir: $c_token_cache}, cli: {token_cache_dir: $cli_token_cache}},
    env: {PYTHONPATH: $pythonpath, JETPACK_PARTNER_ID: "12345", JETPACK_PARTNER_SECRET: "sandbox-demo-secret",
          JP_BENCH_PARTNER_ID: "12345", JP_BENCH_PARTNER_SECRET: "sandbox-demo-secret", JP_BENCH_PLAN: "premium"}}' \
  >"$WORK/config.json"

if awk -v l="${LOAD_START%% *}" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2) }'; then
  log "warning: the machine is busy (load average $LOAD_START on $(nproc) cores): the times will be noisy"
fi
log "mode $MODE: D = $DELAYS ms; $SAMPLES samples per row, bulk $BULK_N x $BULK_REPS, idle gap ${IDLE_GAP}s (server's idle limit ${IDLE_KEEPALIVE}s) x $IDLE_SAMPLES"
RESULTS="$WORK/results.jsonl"
DRIVER_RC=0
(cd "$WAN_DIR" && python3 driver.py "$WORK/config.json" "$RESULTS") || DRIVER_RC=$?

# ---------------------------------------------------------------------------
# Report.

DURATION=$(( $(date +%s) - START_TS ))
first_line() { "$@" 2>&1 | head -n 1 || true; }
jq -n \
  --arg mode "$MODE" --argjson duration "$DURATION" \
  --arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  --arg load_start "$LOAD_START" --arg load_end "$(cut -d' ' -f1-3 /proc/loadavg)" \
  --arg kernel "$(uname -srm)" \
  --arg cpu "$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)" \
  --arg cores "$(nproc)" \
  --arg commit "${BENCH_COMMIT:-$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)}" \
  --arg dirty "$(git -C "$ROOT" status --porcelain --untracked-files=no -- src sandbox bindings include 2>/dev/null | head -c 1)" \
  --arg library "$("$CLI" --version 2>/dev/null | head -n 1)" \
  --arg nginx "$(first_line "$NGINX" -v | sed 's/^nginx version: //')" \
  --arg openssl "$(first_line openssl version)" \
  --arg php "$(php -r 'echo PHP_VERSION;')" \
  --arg php_curl "$(php -r 'echo curl_version()["version"], " ", curl_version()["ssl_version"];')" \
  --arg python "$(python3 -c 'import sys; print(sys.version.split()[0])')" \
  --arg requests "$(python3 -c 'import requests; print(requests.__version__)')" \
  --arg curl "$(first_line curl --version | awk '{print $2}')" \
  --arg relay_priority "$([ "$RELAY_BIN" = "$WORK/delay_relay" ] && echo normal || echo 'SCHED_FIFO 10')" \
  --arg harness_nice "$HARNESS_NICE" \
  --slurpfile config "$WORK/config.json" \
  '$ARGS.named + {config: ($config[0] | {delays_ms, samples, bulk_n, bulk_reps, idle_gap_s, idle_samples,
    idle_server_keepalive_s, features})}' >"$WORK/meta.json"

REPORT_ARGS=(--results "$RESULTS" --meta "$WORK/meta.json")
if [ "$MODE" = full ]; then
  REPORT_ARGS+=(--write "$BENCH_DIR/RESULTS-wan.md" --chart "$BENCH_DIR/chart-wan.png" --workdir "$WORK")
fi
python3 "$WAN_DIR/report.py" "${REPORT_ARGS[@]}" || die "bench/wan/report.py failed"

[ "$DRIVER_RC" = 0 ] || die "a row broke (see the lines marked BROKEN above)"
log "done in ${DURATION}s"

#!/usr/bin/env bash
# The main job: start a fresh local sandbox and run a provisioning round trip
# against it through the CLI, the C ABI, PHP and Python.
# Expects `cargo build --release --workspace` to have run (`make demo` does it).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
release="${CARGO_TARGET_DIR:-$root/target}/release"
export JETPACK_PARTNER_LIB="${JETPACK_PARTNER_LIB:-$release/libjetpack_partner.so}"
export JETPACK_PARTNER_CLI="${JETPACK_PARTNER_CLI:-$release/jetpack-partner}"
sandbox_bin="${JETPACK_PARTNER_SANDBOX:-$release/jetpack-partner-sandbox}"

work=$(mktemp -d)
sandbox_pid=
cleanup() {
  [ -n "$sandbox_pid" ] && kill "$sandbox_pid" 2>/dev/null && wait "$sandbox_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# The sandbox prints its base URL as its first line of output.
"$sandbox_bin" --listen 127.0.0.1:0 --state "$work/sandbox.state" \
  --partner demo-host:demo-host-secret >"$work/sandbox.out" 2>"$work/sandbox.err" &
sandbox_pid=$!
for _ in $(seq 1 100); do
  [ -s "$work/sandbox.out" ] && break
  sleep 0.05
done
api_base=$(head -n 1 "$work/sandbox.out")
case "$api_base" in
  http://127.0.0.1:*) ;;
  *) echo "the sandbox did not start:" >&2; cat "$work/sandbox.err" >&2; exit 1 ;;
esac

# Credentials travel in the environment, never on a command line.
export JETPACK_PARTNER_ID=demo-host
export JETPACK_PARTNER_SECRET=demo-host-secret
export JETPACK_PARTNER_API_BASE="$api_base"

step() { printf '\n== %s\n' "$*"; }

step "sandbox at $api_base"

step "CLI: provision premium on https://cli.example.com"
"$JETPACK_PARTNER_CLI" provision --user=admin --url=https://cli.example.com --plan=premium
step "the site owner approves the connection (the sandbox's control endpoint stands in for them)"
python3 - "$api_base" <<'PY'
import json, sys, urllib.request
req = urllib.request.Request(sys.argv[1] + "/__sandbox/sites/connect",
                             data=json.dumps({"siteurl": "https://cli.example.com"}).encode(),
                             headers={"Content-Type": "application/json"}, method="POST")
print(urllib.request.urlopen(req).read().decode())
PY
step "CLI: status of cli.example.com (connected, plan active)"
"$JETPACK_PARTNER_CLI" status --url=https://cli.example.com
step "CLI: provision again: no authorisation needed now, next_url is the SSO link"
"$JETPACK_PARTNER_CLI" provision --user=admin --url=https://cli.example.com --plan=premium
step "CLI: cancel"
"$JETPACK_PARTNER_CLI" cancel --url=https://cli.example.com
step "CLI: cancel again: nothing left to cancel"
"$JETPACK_PARTNER_CLI" cancel --url=https://cli.example.com

step "C: examples/c/provision.c"
cc -std=c11 -Wall -Wextra -Werror -I"$root/include" "$root/examples/c/provision.c" \
  -L"$release" -ljetpack_partner -Wl,-rpath,"$release" -o "$work/provision"
"$work/provision" admin https://c.example.com premium

step "PHP: examples/php/provision.php"
php "$root/examples/php/provision.php" admin https://php.example.com premium

step "Python: examples/python/provision.py"
python3 "$root/examples/python/provision.py" admin https://python.example.com premium

step "round trip done"

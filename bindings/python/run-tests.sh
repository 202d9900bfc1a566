#!/usr/bin/env bash
# Run the Python binding's test suite (pytest) against the release build.
#   bash bindings/python/run-tests.sh [pytest arguments...]
# Expects `cargo build --release --workspace` to have run. The library and the sandbox
# come from JETPACK_PARTNER_LIB and JETPACK_PARTNER_SANDBOX (default: <repo>/target/release).
# Exits non-zero when a test fails or when no test ran.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
release="$root/target/release"
export JETPACK_PARTNER_LIB="${JETPACK_PARTNER_LIB:-$release/libjetpack_partner.so}"
export JETPACK_PARTNER_SANDBOX="${JETPACK_PARTNER_SANDBOX:-$release/jetpack-partner-sandbox}"
python="${PYTHON:-python3}"

for f in "$JETPACK_PARTNER_LIB" "$JETPACK_PARTNER_SANDBOX"; do
  if [ ! -f "$f" ]; then
    echo "run-tests.sh: $f is missing: run 'cargo build --release --workspace' first" >&2
    exit 1
  fi
done
if ! "$python" -c 'import pytest' 2>/dev/null; then
  echo "run-tests.sh: pytest is not installed for $python: run '$python -m pip install pytest'" >&2
  exit 1
fi

cd "$here"
set +e
"$python" -m pytest -p no:cacheprovider "$@"
rc=$?
set -e
case $rc in
  0) echo "python binding: all tests passed" ;;
  5) echo "python binding: no tests were collected" >&2; rc=1 ;;
  *) echo "python binding: tests failed (pytest exit code $rc)" >&2 ;;
esac
exit $rc

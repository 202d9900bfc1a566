#!/usr/bin/env bash
# Runs the PHP binding's test suite against the release build:
#   cargo build --release --workspace && bash bindings/php/run-tests.sh [phpunit args]
# Build outputs are found through JETPACK_PARTNER_LIB, JETPACK_PARTNER_CLI and
# JETPACK_PARTNER_SANDBOX, by default in <repo>/target/release/.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
release="$root/target/release"
export JETPACK_PARTNER_LIB="${JETPACK_PARTNER_LIB:-$release/libjetpack_partner.so}"
export JETPACK_PARTNER_CLI="${JETPACK_PARTNER_CLI:-$release/jetpack-partner}"
export JETPACK_PARTNER_SANDBOX="${JETPACK_PARTNER_SANDBOX:-$release/jetpack-partner-sandbox}"

for f in "$JETPACK_PARTNER_LIB" "$JETPACK_PARTNER_CLI" "$JETPACK_PARTNER_SANDBOX"; do
  if [ ! -e "$f" ]; then
    echo "missing $f: run 'cargo build --release --workspace' first (or set JETPACK_PARTNER_LIB/_CLI/_SANDBOX)" >&2
    exit 1
  fi
done
if ! php -r 'exit(extension_loaded("ffi") ? 0 : 1);'; then
  echo "the PHP FFI extension is not loaded (php -m): the in-process tests need it" >&2
  exit 1
fi
phpunit="${PHPUNIT:-phpunit}"
cd "$here"
exec "$phpunit" --configuration "$here/phpunit.xml" "$@"

#!/usr/bin/env bash
# Copies the build outputs into this package, so it works wherever it is copied to
# without JETPACK_PARTNER_LIB / JETPACK_PARTNER_CLI:
#   lib/libjetpack_partner.so   the library (FFI)
#   bin/jetpack-partner         the command-line tool (the fallback where PHP has no FFI)
# Usage: bash bindings/php/bundle.sh [RELEASE_DIR]   (default <repo>/target/release;
# JETPACK_PARTNER_LIB and JETPACK_PARTNER_CLI override single files)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
release="${1:-$(cd "$here/../.." && pwd)/target/release}"
lib="${JETPACK_PARTNER_LIB:-$release/libjetpack_partner.so}"
cli="${JETPACK_PARTNER_CLI:-$release/jetpack-partner}"
for f in "$lib" "$cli"; do
  [ -f "$f" ] || { echo "missing $f: run 'cargo build --release --workspace' first" >&2; exit 1; }
done
install -m 0755 "$lib" "$here/lib/libjetpack_partner.so"
install -m 0755 "$cli" "$here/bin/jetpack-partner"
echo "bundled $lib and $cli into $here"

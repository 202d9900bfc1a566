#!/usr/bin/env bash
# Installs what the demo and the test suites need and are missing: PHP with FFI,
# PHPUnit, php-fpm (preload tests), valgrind, pkg-config, tinyproxy (proxy tests), pytest, and the pinned
# cbindgen for the header drift check. Safe to run again: it only installs what
# is absent. Debian/Ubuntu packages; run as root or with sudo available.
set -euo pipefail

CBINDGEN_VERSION=0.29.4
need_apt=()

have() { command -v "$1" >/dev/null 2>&1; }

have php || need_apt+=(php-cli)
have phpunit || need_apt+=(phpunit)
have php-fpm8.2 || have php-fpm || need_apt+=(php-fpm)
have valgrind || need_apt+=(valgrind)
have pkg-config || need_apt+=(pkg-config)
have tinyproxy || [ -x /usr/bin/tinyproxy ] || [ -x /usr/sbin/tinyproxy ] || need_apt+=(tinyproxy)
have make || need_apt+=(make)
have cc || need_apt+=(gcc)

if [ ${#need_apt[@]} -gt 0 ]; then
  sudo=
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  echo "installing: ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -q
  $sudo apt-get install -y -q --no-install-recommends "${need_apt[@]}"
fi

if ! php -r 'exit(extension_loaded("ffi") ? 0 : 1);'; then
  echo "PHP's FFI extension is missing (Debian's php-cli ships it; check php -m)" >&2
  exit 1
fi

if ! python3 -c 'import pytest' 2>/dev/null; then
  python3 -m pip install --quiet --disable-pip-version-check pytest
fi

export PATH="$HOME/.cargo/bin:$PATH"
if ! cbindgen --version 2>/dev/null | grep -qx "cbindgen $CBINDGEN_VERSION"; then
  cargo install cbindgen --version "$CBINDGEN_VERSION" --locked
fi

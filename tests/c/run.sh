#!/usr/bin/env bash
# The C side of the library, checked end to end:
#   - the committed header is what cbindgen 0.29.4 generates (no drift);
#   - the .so exports exactly the header's functions, has its SONAME and is linked -z nodelete;
#   - a jp_client has no setter: a builder setter given one does not compile;
#   - tests/c/test_jetpack_partner.c (every exported function and error path), tests/c/fault_matrix.c
#     (the fault matrix and the bad-input table of issue 5), tests/c/test_batch.c (jp_batch and
#     jp_reconcile: 1,000 provisions with faults, a child killed mid-batch) and examples/c/provision.c build with -Werror
#     against the header, and run against a fresh sandbox under valgrind with zero errors and zero leaks.
# Assumes `cargo build --release --workspace` was run. Prints "N passed, M failed" last; exits 1 on any
# failure. Env: JETPACK_PARTNER_LIB, JETPACK_PARTNER_SANDBOX, CC, CBINDGEN, VALGRIND=0 (run without).
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
LIB=${JETPACK_PARTNER_LIB:-$ROOT/target/release/libjetpack_partner.so}
SANDBOX=${JETPACK_PARTNER_SANDBOX:-$ROOT/target/release/jetpack-partner-sandbox}
CBINDGEN=${CBINDGEN:-$(command -v cbindgen || echo "$HOME/.cargo/bin/cbindgen")}
CC=${CC:-cc}
HEADER=$ROOT/include/jetpack_partner.h
BUILD=$ROOT/tests/c/build
CBINDGEN_VERSION=0.29.4

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok - $1"; }
fail() { failed=$((failed + 1)); echo "not ok - $1"; }
finish() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit
}

rm -rf "$BUILD"
mkdir -p "$BUILD/lib"

for f in "$LIB" "$SANDBOX" "$HEADER"; do
    if [ ! -e "$f" ]; then
        fail "missing $f (run: cargo build --release --workspace)"
        finish
    fi
done

# 1. Header drift.
if [ -x "$CBINDGEN" ] && "$CBINDGEN" --version | grep -q " $CBINDGEN_VERSION\$"; then
    if "$CBINDGEN" --quiet --config cbindgen.toml --crate jetpack-partner --output "$BUILD/generated.h" &&
        cmp -s "$BUILD/generated.h" "$HEADER"; then
        pass "include/jetpack_partner.h is what cbindgen $CBINDGEN_VERSION generates"
    else
        diff -u "$HEADER" "$BUILD/generated.h" | head -40
        fail "include/jetpack_partner.h differs from cbindgen's output (regenerate it: make header)"
    fi
else
    fail "cbindgen $CBINDGEN_VERSION not found (cargo install cbindgen --version $CBINDGEN_VERSION --locked)"
fi

# 2. Exported symbols = the header's functions.
nm -D --defined-only "$LIB" | awk '$2 == "T" { print $3 }' | sort -u >"$BUILD/exported.txt"
grep -oE '\bjp_[a-z0-9_]+\(' "$HEADER" | tr -d '(' | sort -u >"$BUILD/declared.txt"
if [ -s "$BUILD/declared.txt" ] && cmp -s "$BUILD/exported.txt" "$BUILD/declared.txt"; then
    pass "the library exports exactly the $(wc -l <"$BUILD/declared.txt") functions of the header"
else
    diff "$BUILD/declared.txt" "$BUILD/exported.txt"
    fail "exported functions differ from the header's (< header only, > library only)"
fi

# 3. SONAME and -z nodelete.
dynamic=$(readelf -d "$LIB")
if grep -q 'Library soname: \[libjetpack_partner.so.0\]' <<<"$dynamic"; then
    pass "SONAME is libjetpack_partner.so.0"
else
    fail "SONAME is not libjetpack_partner.so.0"
fi
if grep -q 'NODELETE' <<<"$dynamic"; then
    pass "linked with -z nodelete"
else
    fail "not linked with -z nodelete"
fi

# 4. Build the test program and the example against the header.
ln -sf "$LIB" "$BUILD/lib/libjetpack_partner.so"
ln -sf "$LIB" "$BUILD/lib/libjetpack_partner.so.0"
CFLAGS="-std=c11 -g -O1 -Wall -Wextra -Werror -I$ROOT/include"
LDFLAGS="-L$BUILD/lib -ljetpack_partner -lpthread"
if $CC $CFLAGS -o "$BUILD/test_jetpack_partner" tests/c/test_jetpack_partner.c $LDFLAGS; then
    pass "tests/c/test_jetpack_partner.c builds with -Werror"
else
    fail "tests/c/test_jetpack_partner.c does not build"
    finish
fi
if $CC $CFLAGS -o "$BUILD/fault_matrix" tests/c/fault_matrix.c $LDFLAGS; then
    pass "tests/c/fault_matrix.c builds with -Werror"
else
    fail "tests/c/fault_matrix.c does not build"
    finish
fi
if $CC $CFLAGS -o "$BUILD/test_batch" tests/c/test_batch.c $LDFLAGS; then
    pass "tests/c/test_batch.c builds with -Werror"
else
    fail "tests/c/test_batch.c does not build"
    finish
fi
if $CC $CFLAGS -o "$BUILD/provision" examples/c/provision.c $LDFLAGS; then
    pass "examples/c/provision.c builds with -Werror"
else
    fail "examples/c/provision.c does not build"
fi
# A client made by the builder has no setter: the builder's setters refuse a jp_client * at compile
# time (the same call on a builder compiles), and the header declares no jp_client_set_* function.
cat >"$BUILD/setter_on.c" <<'EOF'
#include "jetpack_partner.h"
jp_code change(HANDLE *handle) { return jp_client_builder_set_timeout_ms(handle, 1000); }
EOF
if $CC $CFLAGS -DHANDLE=jp_client_builder -c "$BUILD/setter_on.c" -o "$BUILD/setter_on.o" 2>"$BUILD/setter_on_builder.err" &&
    ! $CC $CFLAGS -DHANDLE=jp_client -c "$BUILD/setter_on.c" -o "$BUILD/setter_on.o" 2>"$BUILD/setter_on_client.err" &&
    grep -q 'incompatible.pointer.types' "$BUILD/setter_on_client.err"; then
    pass "a builder setter given a jp_client * does not compile (incompatible pointer types)"
else
    cat "$BUILD/setter_on_builder.err" "$BUILD/setter_on_client.err" 2>/dev/null
    fail "a builder setter given a jp_client * compiles, or the same call on a builder does not"
fi
if grep -q 'jp_client_set_' "$HEADER"; then
    grep -n 'jp_client_set_' "$HEADER"
    fail "the header declares a jp_client_set_* function: a built client must have no setter"
else
    pass "the header declares no jp_client_set_* function"
fi
if $CC -x c++ -std=c++17 -Wall -Wextra -Werror -I"$ROOT/include" -fsyntax-only - <<<'#include "jetpack_partner.h"
int main() { return JP_OK; }' 2>/dev/null || ! command -v c++ >/dev/null; then
    pass "the header compiles as C++"
else
    fail "the header does not compile as C++"
fi

# 5. CA files for the ca_bundle setter.
if [ -r /etc/ssl/certs/ca-certificates.crt ]; then
    cp /etc/ssl/certs/ca-certificates.crt "$BUILD/ca.pem"
else
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$BUILD/ca.key" -subj /CN=jp-test-ca -days 1 \
        -out "$BUILD/ca.pem" 2>/dev/null
fi
echo "not a certificate" >"$BUILD/not.pem"

# 6. A fresh sandbox on a free loopback port, stopped on exit.
# The demo partner, and a second one for the calls that must refuse another application's token.
"$SANDBOX" --listen 127.0.0.1:0 --partner 12345:sandbox-demo-secret --partner 67890:other-partner-secret \
    >"$BUILD/sandbox.out" 2>"$BUILD/sandbox.err" &
SANDBOX_PID=$!
# A second one, which tests/c/fault_matrix.c stops (by this PID) to refuse connections after its
# clients got their token.
"$SANDBOX" --listen 127.0.0.1:0 >"$BUILD/doomed.out" 2>"$BUILD/doomed.err" &
DOOMED_PID=$!
disown "$DOOMED_PID" # killed on purpose: no "Killed" notice from the shell
trap 'kill "$SANDBOX_PID" "$DOOMED_PID" 2>/dev/null; wait "$SANDBOX_PID" "$DOOMED_PID" 2>/dev/null' EXIT
URL=
DOOMED_URL=
for _ in $(seq 100); do
    URL=$(head -n 1 "$BUILD/sandbox.out" 2>/dev/null)
    DOOMED_URL=$(head -n 1 "$BUILD/doomed.out" 2>/dev/null)
    [ -n "$URL" ] && [ -n "$DOOMED_URL" ] && break
    sleep 0.1
done
if [ -z "$URL" ] || [ -z "$DOOMED_URL" ]; then
    cat "$BUILD/sandbox.err" "$BUILD/doomed.err"
    fail "the sandboxes did not start"
    finish
fi
pass "sandbox started at $URL (and a second one at $DOOMED_URL)"

export LD_LIBRARY_PATH="$BUILD/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
RUN=()
if [ "${VALGRIND:-1}" != 0 ]; then
    RUN=(valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect,possible
        --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99
        --child-silent-after-fork=yes --suppressions=tests/c/valgrind.supp)
fi

# 7. The C test programs: each prints "N passed, M failed" last, added to this script's counts.
run_c_program() {
    local name=$1 out=$BUILD/$1.out err=$BUILD/$1.err
    shift
    "${RUN[@]}" "$BUILD/$name" "$@" >"$out" 2>"$err"
    local rc=$? summary
    cat "$err"
    summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -n 1)
    if [ -n "$summary" ]; then
        read -r c_passed _ c_failed _ <<<"$summary"
        passed=$((passed + c_passed))
        failed=$((failed + c_failed))
        echo "tests/c/$name.c: $summary"
    else
        fail "tests/c/$name.c printed no summary"
    fi
    if [ "$rc" -eq 0 ]; then
        pass "tests/c/$name.c exits 0 ${RUN:+(valgrind: no errors, no leaks)}"
    else
        fail "tests/c/$name.c exited $rc (99: valgrind found errors or leaks)"
    fi
}
run_c_program test_jetpack_partner "$URL" "$BUILD/ca.pem" "$BUILD/not.pem"
# The fault matrix and the bad-input table (issue 5); its per-row lines are in tests/c/build/fault_matrix.out.
started=$SECONDS
run_c_program fault_matrix "$URL" "$DOOMED_URL" "$DOOMED_PID"
grep -E '^(fault matrix|bad-input table|IDN):' "$BUILD/fault_matrix.out"
echo "tests/c/fault_matrix.c ran in $((SECONDS - started)) s"

# The batch ABI: a thousand provisions with faults, a child killed mid-batch, the journal, the callback.
started=$SECONDS
run_c_program test_batch "$URL" "$BUILD/batch-journal.jsonl" "$BUILD/batch-kill-journal.jsonl"
echo "tests/c/test_batch.c ran in $((SECONDS - started)) s"

# 8. The example, as the README runs it.
out=$(JETPACK_PARTNER_ID=12345 JETPACK_PARTNER_SECRET=sandbox-demo-secret JETPACK_PARTNER_API_BASE="$URL" \
    "${RUN[@]}" "$BUILD/provision" admin https://c-example.example.com premium 2>"$BUILD/example.err")
rc=$?
if [ "$rc" -eq 0 ] && grep -q '"success":true' <<<"$out"; then
    pass "examples/c/provision provisions a plan"
else
    cat "$BUILD/example.err"
    fail "examples/c/provision exited $rc: $out"
fi
out=$(JETPACK_PARTNER_ID=12345 JETPACK_PARTNER_SECRET=sandbox-demo-secret JETPACK_PARTNER_API_BASE="$URL" \
    "${RUN[@]}" "$BUILD/provision" admin not-a-url 2>&1)
rc=$?
if [ "$rc" -eq 1 ] && grep -q 'invalid_argument' <<<"$out"; then
    pass "examples/c/provision reports a refused argument"
else
    fail "examples/c/provision with a bad URL exited $rc: $out"
fi

# 9. JETPACK_PARTNER_LOG=debug: diagnostic lines on stderr, without the secret or a token.
JETPACK_PARTNER_LOG=debug JETPACK_PARTNER_ID=12345 JETPACK_PARTNER_SECRET=sandbox-demo-secret \
    JETPACK_PARTNER_API_BASE="$URL" "$BUILD/provision" admin https://c-log.example.com >/dev/null 2>"$BUILD/log.err"
if grep -q '^jetpack-partner: POST /rest/v1.3/jpphp/provision attempt 1: HTTP 200' "$BUILD/log.err" &&
    grep -q '^jetpack-partner: provision: ok' "$BUILD/log.err" &&
    ! grep -qE 'sandbox-demo-secret|Bearer|[A-Za-z0-9]{24}' "$BUILD/log.err"; then
    pass "JETPACK_PARTNER_LOG=debug logs attempts and outcomes, redacted"
else
    cat "$BUILD/log.err"
    fail "JETPACK_PARTNER_LOG=debug output"
fi

finish

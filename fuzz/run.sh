#!/usr/bin/env bash
# Runs the fuzz targets, two at a time, each for SECONDS (default 600), from the committed corpus
# plus the seeds, then minimises the corpus (edge coverage) back into fuzz/corpus/<target>/.
# Needs cargo-fuzz (`cargo install cargo-fuzz --locked`) and a nightly toolchain.
# Usage: fuzz/run.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-600}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(token_reply reply envelope error_reply site_identifier url_checks options)
fi
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
cargo +nightly fuzz build
mkdir -p logs
run() {
    local t=$1
    mkdir -p "corpus-raw/$t" "corpus/$t"
    cargo +nightly fuzz run "$t" "corpus-raw/$t" "corpus/$t" "seeds/$t" -- \
        -max_total_time="$secs" -max_len=4096 -timeout=10 -print_final_stats=1 \
        >"logs/$t.log" 2>&1
}
minimise() {
    # Keeps a small set of inputs that covers the same edges (hit counts ignored).
    local t=$1
    local bin tmp
    bin="$CARGO_TARGET_DIR/$(rustc +nightly -vV | sed -n 's/^host: //p')/release/$t"
    tmp=$(mktemp -d)
    "$bin" -set_cover_merge=1 -use_counters=0 -max_len=4096 "$tmp" \
        "corpus-raw/$t" "corpus/$t" "seeds/$t" >"logs/$t.cmin.log" 2>&1
    rm -rf "corpus/$t"
    mkdir -p "corpus/$t"
    cp "$tmp"/* "corpus/$t"/
    rm -rf "$tmp"
}
for ((i = 0; i < ${#targets[@]}; i += 2)); do
    run "${targets[i]}" &
    if [ $((i + 1)) -lt ${#targets[@]} ]; then run "${targets[i + 1]}" & fi
    wait
done
for t in "${targets[@]}"; do
    minimise "$t"
    grep -E "stat::number_of_executed_units|Done [0-9]+ runs" "logs/$t.log" | tail -2 | sed "s/^/$t: /"
done

#![no_main]
//! Fuzz target `http_reply`: the properties live in `jetpack_partner::fuzzing`, shared with the
//! corpus replay test (`tests/fuzz_corpus.rs`).

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    assert!(jetpack_partner::fuzzing::run_target("http_reply", data));
});

#![no_main]
//! Fuzz target `reply`: the properties live in `jetpack_partner_core::fuzzing`, shared with the corpus
//! replay test (`tests/fuzz_corpus.rs`).

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    assert!(jetpack_partner_core::fuzzing::run_target("reply", data));
});

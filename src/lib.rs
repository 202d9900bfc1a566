//! The C library of jetpack-partner: `libjetpack_partner.{so,a}`, whose interface is
//! `include/jetpack_partner.h` (generated from `src/ffi` by cbindgen). It holds all the `unsafe` code
//! of the project; the client itself is the Rust API, `jetpack-partner-core` (`core/`).

pub mod ffi;

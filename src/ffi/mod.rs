//! The C ABI (`include/jetpack_partner.h`, generated from this module by cbindgen). All the `unsafe`
//! code of the crate lives here. Every exported function:
//! - checks its pointer arguments for NULL and its strings for UTF-8, naming the argument on failure;
//! - catches any panic (`ffi_boundary!`), so none unwinds into the host (PHP, Python, C);
//! - documents who owns what and which threads may call it.

#![allow(unsafe_code, non_camel_case_types)]

mod api;
mod args;
mod batch;
mod client;
mod code;
#[cfg(test)]
mod code_gen;
mod log;
mod macros;
mod operations;
mod reconcile;
mod response;
mod strings;

use std::ffi::c_char;

pub use batch::{JP_BATCH_DEFAULT_CONCURRENCY, JP_BATCH_MAX_CONCURRENCY, JP_BATCH_WAIT_FOREVER};
pub use code::jp_code;

use jetpack_partner_core::ErrorKind;

/// Major version: the number in the library's SONAME (`libjetpack_partner.so.0`).
pub const JP_VERSION_MAJOR: u32 = 0;
/// Minor version.
pub const JP_VERSION_MINOR: u32 = 1;
/// Patch version.
pub const JP_VERSION_PATCH: u32 = 0;

/// Level of a log line given to a `jp_log_fn`: a failed operation.
pub const JP_LOG_ERROR: u32 = 1;
/// Level of a log line: an operation's outcome.
pub const JP_LOG_INFO: u32 = 2;
/// Level of a log line: an HTTP attempt, a pause, a token request.
pub const JP_LOG_DEBUG: u32 = 3;

impl From<ErrorKind> for jp_code {
    fn from(kind: ErrorKind) -> jp_code {
        // Both come from the one table of core/src/error.rs; `code_gen` fails while code.rs lags
        // behind it, so the fallback is never taken by a tested build.
        jp_code::from_number(kind.number()).unwrap_or(jp_code::JP_INTERNAL)
    }
}

static VERSION_C: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");

/// The library's version, `"MAJOR.MINOR.PATCH"` (equal to `JP_VERSION` of the header it was built
/// with).
///
/// Ownership: a static string; never free it. Thread safety: any thread, any time.
#[no_mangle]
pub extern "C" fn jp_version() -> *const c_char {
    VERSION_C.as_ptr().cast()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_constants_match_the_package() {
        assert_eq!(
            JP_VERSION_MAJOR.to_string(),
            env!("CARGO_PKG_VERSION_MAJOR")
        );
        assert_eq!(
            JP_VERSION_MINOR.to_string(),
            env!("CARGO_PKG_VERSION_MINOR")
        );
        assert_eq!(
            JP_VERSION_PATCH.to_string(),
            env!("CARGO_PKG_VERSION_PATCH")
        );
        // SAFETY: jp_version returns a static NUL-terminated string.
        let v = unsafe { std::ffi::CStr::from_ptr(jp_version()) };
        assert_eq!(v.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
    }

    #[test]
    fn every_error_kind_has_its_code() {
        for &kind in ErrorKind::ALL {
            let code = jp_code::from(kind);
            assert_eq!(code as u32, kind.number(), "{kind:?}");
            assert_eq!(
                format!("{code:?}"),
                format!("JP_{}", kind.code().to_ascii_uppercase())
            );
        }
        assert_eq!(jp_code::from_number(0), Some(jp_code::JP_OK));
        assert_eq!(jp_code::from_number(ErrorKind::ALL.len() as u32 + 1), None);
    }
}

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
mod log;
mod macros;
mod operations;
mod reconcile;
mod response;
mod strings;

use std::ffi::c_char;

pub use batch::{JP_BATCH_DEFAULT_CONCURRENCY, JP_BATCH_MAX_CONCURRENCY, JP_BATCH_WAIT_FOREVER};

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

/// Result of a call. The numbers never change and are never reused; new ones may be added at the end.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(clippy::upper_case_acronyms)]
pub enum jp_code {
    /// Success.
    JP_OK = 0,
    /// An argument or option was refused before any request; the message names it.
    JP_INVALID_ARGUMENT = 1,
    /// The server refused the call; `jp_response_error_code` is the server's own code.
    JP_API_ERROR = 2,
    /// The connection could not be made or broke; nothing was processed.
    JP_TRANSPORT_ERROR = 3,
    /// A connect or overall time limit was reached.
    JP_TIMEOUT = 4,
    /// The TLS handshake failed (untrusted certificate, wrong host name...).
    JP_TLS_ERROR = 5,
    /// The server's reply could not be understood.
    JP_INVALID_RESPONSE = 6,
    /// The reply was larger than the configured limit.
    JP_RESPONSE_TOO_LARGE = 7,
    /// The request may have been processed but its result is unknown: check the status first.
    JP_OUTCOME_UNKNOWN = 8,
    /// The partner token could not be obtained (e.g. `invalid_client`).
    JP_TOKEN_ERROR = 9,
    /// A defect in the library.
    JP_INTERNAL = 10,
}

impl From<ErrorKind> for jp_code {
    fn from(kind: ErrorKind) -> jp_code {
        match kind {
            ErrorKind::InvalidArgument => jp_code::JP_INVALID_ARGUMENT,
            ErrorKind::Api => jp_code::JP_API_ERROR,
            ErrorKind::Transport => jp_code::JP_TRANSPORT_ERROR,
            ErrorKind::Timeout => jp_code::JP_TIMEOUT,
            ErrorKind::Tls => jp_code::JP_TLS_ERROR,
            ErrorKind::InvalidResponse => jp_code::JP_INVALID_RESPONSE,
            ErrorKind::ResponseTooLarge => jp_code::JP_RESPONSE_TOO_LARGE,
            ErrorKind::OutcomeUnknown => jp_code::JP_OUTCOME_UNKNOWN,
            ErrorKind::Token => jp_code::JP_TOKEN_ERROR,
            ErrorKind::Internal => jp_code::JP_INTERNAL,
        }
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
    fn codes_match_error_kinds() {
        for kind in [
            ErrorKind::InvalidArgument,
            ErrorKind::Api,
            ErrorKind::Transport,
            ErrorKind::Timeout,
            ErrorKind::Tls,
            ErrorKind::InvalidResponse,
            ErrorKind::ResponseTooLarge,
            ErrorKind::OutcomeUnknown,
            ErrorKind::Token,
            ErrorKind::Internal,
        ] {
            assert_eq!(jp_code::from(kind) as u32, kind.number());
        }
    }
}

//! The C ABI (`include/jetpack_partner.h`, generated from this module by cbindgen). All the `unsafe`
//! code of the crate lives here. Every exported function:
//! - checks its pointer arguments for NULL and its strings for UTF-8, naming the argument on failure;
//! - catches any panic (`ffi_boundary!`), so none unwinds into the host (PHP, Python, C);
//! - documents who owns what and which threads may call it.
//!
//! One module per C type or area of the API; cbindgen writes the header's items in the order of the
//! module declarations below: the client, the response, the four operations, then the rest.

#![allow(unsafe_code, non_camel_case_types)]

mod args;
mod code;
#[cfg(test)]
mod code_gen;
mod deliver;
mod macros;

// The exported items, in the header's order: cbindgen follows these declarations (one per group, as
// rustfmt sorts the declarations of a group).

// `jp_client` and `jp_client_builder`.
mod client;

// `jp_response`, what the operations return.
mod response;

// The four operations: provision, cancel, partner key, status.
mod operations;

// The rest of the partner API: status v1.2, upgrade paths, error codes, key check.
mod partner;

// Any request, for endpoints without a function.
mod request;

// Activations, invoices and partner details, with a user token.
mod reporting;

// OAuth2 for WordPress.com users.
mod oauth;

// The Licensing API.
mod licensing;

// Many provisions and cancels at once.
mod batch;

// The partner's list against WordPress.com.
mod reconcile;

// Owned strings and site identifiers.
mod strings;

// Diagnostic lines.
mod log;

// The library's version.
mod version;

pub use batch::{JP_BATCH_DEFAULT_CONCURRENCY, JP_BATCH_MAX_CONCURRENCY, JP_BATCH_WAIT_FOREVER};
pub use code::jp_code;
pub use log::{JP_LOG_DEBUG, JP_LOG_ERROR, JP_LOG_INFO};
pub use version::{JP_VERSION_MAJOR, JP_VERSION_MINOR, JP_VERSION_PATCH};

use jetpack_partner_core::ErrorKind;

impl From<ErrorKind> for jp_code {
    fn from(kind: ErrorKind) -> jp_code {
        // Both come from the one table of core/src/error.rs; `code_gen` fails while code.rs lags
        // behind it, so the fallback is never taken by a tested build.
        jp_code::from_number(kind.number()).unwrap_or(jp_code::JP_INTERNAL)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

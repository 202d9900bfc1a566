//! Owned strings: `jp_site_identifier` and `jp_string_free`.

use std::ffi::{c_char, CString};

use super::args::required_str;
use super::deliver::{c_text, hand_over, panic_reported, Out};
use super::jp_code;
use super::macros::ffi_boundary;
use jetpack_partner_core::site_identifier;

/// Releases a string the library handed over as `char *` (from `jp_site_identifier`). NULL is a
/// no-op. Never pass a `const char *` borrowed from a response or `jp_version`.
///
/// # Safety
/// `s` is NULL or a string from the library not freed before.
#[no_mangle]
pub unsafe extern "C" fn jp_string_free(s: *mut c_char) {
    ffi_boundary!((), {
        if !s.is_null() {
            // SAFETY: created by CString::into_raw in this library and not freed before.
            drop(unsafe { CString::from_raw(s) });
        }
    })
}

/// The `::` site identifier of a site URL or blog ID, as used in cancel and status paths:
/// `"https://example.com/demo/"` -> `"example.com::demo"`, `"12345"` -> `"12345"`.
///
/// On `JP_OK`, `*out` receives a new string owned by the caller: release it with `jp_string_free`.
/// On failure (`JP_INVALID_ARGUMENT`), `*out` is set to NULL and `jp_last_error_message()` tells why.
/// No network access. Thread safety: any thread.
///
/// # Safety
/// `site` is NULL or NUL-terminated; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn jp_site_identifier(site: *const c_char, out: *mut *mut c_char) -> jp_code {
    // SAFETY: out is NULL or writable per the contract.
    let out = unsafe { Out::new(out) };
    ffi_boundary!(panic_reported(), {
        hand_over(out, || {
            // SAFETY: site per the contract.
            let site = unsafe { required_str(site, "site") }?;
            Ok(c_text(&site_identifier(site)?))
        })
    })
}

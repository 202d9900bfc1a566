//! The rest of the partner API: the older status, upgrade paths, the API's error codes and the
//! check of the client's own key. Every call returns a `jp_code` and, when `out` is not NULL, writes
//! a new `jp_response` to `*out` on every return, as the operations do.

use std::ffi::c_char;

use super::args::{client_ref, required_str};
use super::client::jp_client;
use super::deliver::{panic_responded, respond, Out};
use super::jp_code;
use super::macros::ffi_boundary;
use super::response::jp_response;

/// The older (v1.2) status of `site` (a site URL, `::` identifier or blog ID): `{plan,
/// is_partner_plan, is_provisioned_by_calling_partner, is_connected, has_pending_plan}`. Safe to
/// repeat.
///
/// Returns the result code; `out` as for `jp_provision`. Thread safety: as `jp_provision`.
///
/// # Safety
/// `client` is NULL or a live client; `site` is NULL or NUL-terminated; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn jp_status_v12(
    client: *const jp_client,
    site: *const c_char,
    out: *mut *mut jp_response,
) -> jp_code {
    // SAFETY: out is NULL or writable per the contract.
    let out = unsafe { Out::new(out) };
    ffi_boundary!(panic_responded(out), {
        respond(out, || {
            // SAFETY (both): arguments per the contract.
            let client = unsafe { client_ref(client) }?;
            let site = unsafe { required_str(site, "site") }?;
            client.client.status_v12(site)
        })
    })
}

/// The slugs each product family of `site` (a site URL, `::` identifier or blog ID) can move to:
/// `{"plans": [...], "backup": [...], ...}`. Safe to repeat.
///
/// Returns the result code; `out` as for `jp_provision`. Thread safety: as `jp_provision`.
///
/// # Safety
/// `client` is NULL or a live client; `site` is NULL or NUL-terminated; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn jp_upgrade_paths(
    client: *const jp_client,
    site: *const c_char,
    out: *mut *mut jp_response,
) -> jp_code {
    // SAFETY: out is NULL or writable per the contract.
    let out = unsafe { Out::new(out) };
    ffi_boundary!(panic_responded(out), {
        respond(out, || {
            // SAFETY (both): arguments per the contract.
            let client = unsafe { client_ref(client) }?;
            let site = unsafe { required_str(site, "site") }?;
            client.client.upgrade_paths(site)
        })
    })
}

/// The error codes of the partner API: `{"errors": {code: message}}`, or with `verbose`
/// `{"errors": {code: {"message", "http_status"}}}`. Sends no token.
///
/// Returns the result code; `out` as for `jp_provision`. Thread safety: as `jp_provision`.
///
/// # Safety
/// `client` is NULL or a live client; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn jp_errors(
    client: *const jp_client,
    verbose: bool,
    out: *mut *mut jp_response,
) -> jp_code {
    // SAFETY: out is NULL or writable per the contract.
    let out = unsafe { Out::new(out) };
    ffi_boundary!(panic_responded(out), {
        respond(out, || {
            // SAFETY: client per the contract.
            unsafe { client_ref(client) }?.client.errors(verbose)
        })
    })
}

/// Checks the client's own credentials as a partner key: `{"success": true, "id", "name",
/// "client_id"}`, or the token or key error (`JP_TOKEN_ERROR`, `partner_key_disabled`...).
///
/// Returns the result code; `out` as for `jp_provision`. Thread safety: as `jp_provision`.
///
/// # Safety
/// `client` is NULL or a live client; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn jp_partner_keys_verify(
    client: *const jp_client,
    out: *mut *mut jp_response,
) -> jp_code {
    // SAFETY: out is NULL or writable per the contract.
    let out = unsafe { Out::new(out) };
    ffi_boundary!(panic_responded(out), {
        respond(out, || {
            // SAFETY: client per the contract.
            unsafe { client_ref(client) }?.client.partner_keys_verify()
        })
    })
}

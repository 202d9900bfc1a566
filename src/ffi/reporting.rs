//! Reporting with a WordPress.com user token of the partner: activations, invoices, the partner's
//! keys.

use std::ffi::c_char;

use super::args::{client_ref, options, required_str};
use super::client::jp_client;
use super::deliver::{panic_responded, respond, Out};
use super::jp_code;
use super::macros::ffi_boundary;
use super::response::jp_response;

/// One page of the activations of a partner key: `{"total", "page", "per_page", "activations":
/// [...]}`, newest first. `user_token` is a WordPress.com token of the partner's user (see the
/// `jp_oauth_*` functions); `partner_id` and `key_id` are the IDs `jp_partner_details` lists.
///
/// `options_json`: NULL or a JSON object of `page` (from 1), `per_page` (1-100, default 20), `plans`
/// (a slug or product ID, or an array of them), `activated_after`, `activated_before`
/// (`"YYYY-MM-DD"`, `"YYYY-MM-DD HH:MM:SS"` or a Unix time). To read every activation, ask for page
/// 1, 2, ... until `page * per_page >= total` or a page comes back empty.
///
/// Returns the result code; `out` as for `jp_provision`. Thread safety: as `jp_provision`.
///
/// # Safety
/// `client` is NULL or a live client; each string is NULL or NUL-terminated; `out` is NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn jp_activations(
    client: *const jp_client,
    user_token: *const c_char,
    partner_id: *const c_char,
    key_id: *const c_char,
    options_json: *const c_char,
    out: *mut *mut jp_response,
) -> jp_code {
    // SAFETY: out is NULL or writable per the contract.
    let out = unsafe { Out::new(out) };
    ffi_boundary!(panic_responded(out), {
        respond(out, || {
            // SAFETY (all five): arguments per the contract.
            let client = unsafe { client_ref(client) }?;
            let token = unsafe { required_str(user_token, "user_token") }?;
            let partner_id = unsafe { required_str(partner_id, "partner_id") }?;
            let key_id = unsafe { required_str(key_id, "key_id") }?;
            let options = unsafe { options(options_json) }?;
            client
                .client
                .activations(token, partner_id, key_id, &options)
        })
    })
}

/// Activations counted per period: `[{"date", "new", "total"}]`.
///
/// `options_json`: NULL or a JSON object of `key_id` (one key; default every key of the partner) and
/// `scale` (`"day"`, `"month"` (default) or `"year"`).
///
/// Returns the result code; `out` as for `jp_provision`. Thread safety: as `jp_provision`.
///
/// # Safety
/// `client` is NULL or a live client; each string is NULL or NUL-terminated; `out` is NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn jp_activations_summary(
    client: *const jp_client,
    user_token: *const c_char,
    options_json: *const c_char,
    out: *mut *mut jp_response,
) -> jp_code {
    // SAFETY: out is NULL or writable per the contract.
    let out = unsafe { Out::new(out) };
    ffi_boundary!(panic_responded(out), {
        respond(out, || {
            // SAFETY (all three): arguments per the contract.
            let client = unsafe { client_ref(client) }?;
            let token = unsafe { required_str(user_token, "user_token") }?;
            let options = unsafe { options(options_json) }?;
            client.client.activations_summary(token, &options)
        })
    })
}

/// The past invoices of a partner key: `{"invoices": [...]}`.
///
/// Returns the result code; `out` as for `jp_provision`. Thread safety: as `jp_provision`.
///
/// # Safety
/// `client` is NULL or a live client; each string is NULL or NUL-terminated; `out` is NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn jp_invoices(
    client: *const jp_client,
    user_token: *const c_char,
    partner_id: *const c_char,
    key_id: *const c_char,
    out: *mut *mut jp_response,
) -> jp_code {
    // SAFETY: out is NULL or writable per the contract.
    let out = unsafe { Out::new(out) };
    ffi_boundary!(panic_responded(out), {
        respond(out, || {
            // SAFETY (all four): arguments per the contract.
            let client = unsafe { client_ref(client) }?;
            let token = unsafe { required_str(user_token, "user_token") }?;
            let partner_id = unsafe { required_str(partner_id, "partner_id") }?;
            let key_id = unsafe { required_str(key_id, "key_id") }?;
            client.client.invoices(token, partner_id, key_id)
        })
    })
}

/// The invoice of the current period of a partner key: `{"id", "status": "upcoming", "currency",
/// "period_start", "period_end", "lines": [...], "total"}`.
///
/// Returns the result code; `out` as for `jp_provision`. Thread safety: as `jp_provision`.
///
/// # Safety
/// `client` is NULL or a live client; each string is NULL or NUL-terminated; `out` is NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn jp_upcoming_invoice(
    client: *const jp_client,
    user_token: *const c_char,
    partner_id: *const c_char,
    key_id: *const c_char,
    out: *mut *mut jp_response,
) -> jp_code {
    // SAFETY: out is NULL or writable per the contract.
    let out = unsafe { Out::new(out) };
    ffi_boundary!(panic_responded(out), {
        respond(out, || {
            // SAFETY (all four): arguments per the contract.
            let client = unsafe { client_ref(client) }?;
            let token = unsafe { required_str(user_token, "user_token") }?;
            let partner_id = unsafe { required_str(partner_id, "partner_id") }?;
            let key_id = unsafe { required_str(key_id, "key_id") }?;
            client.client.upcoming_invoice(token, partner_id, key_id)
        })
    })
}

/// The partner of a user token and its keys: `{"id", "name", "slug", "keys": [{"id", "name",
/// "client_id", ...}]}`.
///
/// Returns the result code; `out` as for `jp_provision`. Thread safety: as `jp_provision`.
///
/// # Safety
/// `client` is NULL or a live client; `user_token` is NULL or NUL-terminated; `out` is NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn jp_partner_details(
    client: *const jp_client,
    user_token: *const c_char,
    out: *mut *mut jp_response,
) -> jp_code {
    // SAFETY: out is NULL or writable per the contract.
    let out = unsafe { Out::new(out) };
    ffi_boundary!(panic_responded(out), {
        respond(out, || {
            // SAFETY (both): arguments per the contract.
            let client = unsafe { client_ref(client) }?;
            let token = unsafe { required_str(user_token, "user_token") }?;
            client.client.partner_details(token)
        })
    })
}

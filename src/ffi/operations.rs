//! The operations: `jp_provision`, `jp_cancel`, `jp_partner_key_new`, `jp_status`.

use std::ffi::c_char;

use super::args::{client_ref, optional_str, required_str, with_options};
use super::client::jp_client;
use super::deliver::{panic_responded, respond, Out};
use super::jp_code;
use super::macros::ffi_boundary;
use super::response::jp_response;

/// Provisions a plan for `local_user` (the WordPress user who will own it: login, e-mail or ID) on
/// the site at `siteurl` (absolute http(s) URL, or the same without its scheme, `example.com/blog`,
/// which is sent as given). `plan` is a slug such as `"premium"` or
/// `"jetpack-backup-daily"`; NULL means the server's default (free).
///
/// `options_json`: NULL or a JSON object of `force_register`, `force_connect`, `onboarding`
/// (booleans), `wpcom_user_id` (integer), `wpcom_user_email`, `partner_tracking_id`, `ssh_user`,
/// `ssh_pass`, `ssh_private_key`, `ssh_host`, `ssh_port`, `ftp_user`, `ftp_pass`, `ftp_host`,
/// `ftp_port`. Unknown names give `JP_INVALID_ARGUMENT`.
///
/// Returns the result code. When `out` is not NULL, `*out` receives a new `jp_response` on every
/// return, success or failure; release it with `jp_response_free`. A failure after the request may
/// have been processed is `JP_OUTCOME_UNKNOWN`: check `jp_status` before provisioning again.
///
/// Thread safety: any number of threads may call operations on one client at once. Blocks for up to
/// the client's overall time limit.
///
/// # Safety
/// `client` is NULL or a live client; each string is NULL or NUL-terminated; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn jp_provision(
    client: *const jp_client,
    local_user: *const c_char,
    siteurl: *const c_char,
    plan: *const c_char,
    options_json: *const c_char,
    out: *mut *mut jp_response,
) -> jp_code {
    // SAFETY: out is NULL or writable per the contract.
    let out = unsafe { Out::new(out) };
    ffi_boundary!(panic_responded(out), {
        respond(out, || {
            // SAFETY (all four): arguments per the contract.
            let client = unsafe { client_ref(client) }?;
            let local_user = unsafe { required_str(local_user, "local_user") }?;
            let siteurl = unsafe { required_str(siteurl, "siteurl") }?;
            let plan = unsafe { optional_str(plan, "plan") }?;
            unsafe {
                with_options(options_json, |options| {
                    client
                        .client
                        .provision_text(local_user, siteurl, plan, options)
                })
            }
        })
    })
}

/// Cancels the partner plan of `site`: a site URL, a `::` site identifier (`example.com::blog`) or a
/// numeric blog ID. A JSON reply `{"success": false}` means there was no partner plan to cancel.
///
/// `options_json`: NULL or a JSON object of `plan` (slug, for stand-alone products), `cancel_all`
/// (boolean) and `partner_tracking_id` (text, sent in the query).
///
/// Returns the result code; `out` as for `jp_provision`. Thread safety: as `jp_provision`.
///
/// # Safety
/// `client` is NULL or a live client; each string is NULL or NUL-terminated; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn jp_cancel(
    client: *const jp_client,
    site: *const c_char,
    options_json: *const c_char,
    out: *mut *mut jp_response,
) -> jp_code {
    // SAFETY: out is NULL or writable per the contract.
    let out = unsafe { Out::new(out) };
    ffi_boundary!(panic_responded(out), {
        respond(out, || {
            // SAFETY (all three): arguments per the contract.
            let client = unsafe { client_ref(client) }?;
            let site = unsafe { required_str(site, "site") }?;
            unsafe {
                with_options(options_json, |options| {
                    client.client.cancel_text(site, options)
                })
            }
        })
    })
}

/// Creates a partner key called `name` for a reseller. The reply holds the new key's `client_id` and
/// `client_secret` (credentials: keep them secret).
///
/// `options_json`: NULL or a JSON object of `allowed_personal_plans`, `allowed_premium_plans`,
/// `allowed_professional_plans` (non-negative integers) and `notes`.
///
/// Returns the result code; `out` as for `jp_provision`. Thread safety: as `jp_provision`.
///
/// # Safety
/// `client` is NULL or a live client; each string is NULL or NUL-terminated; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn jp_partner_key_new(
    client: *const jp_client,
    name: *const c_char,
    options_json: *const c_char,
    out: *mut *mut jp_response,
) -> jp_code {
    // SAFETY: out is NULL or writable per the contract.
    let out = unsafe { Out::new(out) };
    ffi_boundary!(panic_responded(out), {
        respond(out, || {
            // SAFETY (all three): arguments per the contract.
            let client = unsafe { client_ref(client) }?;
            let name = unsafe { required_str(name, "name") }?;
            unsafe {
                with_options(options_json, |options| {
                    client.client.partner_key_new_text(name, options)
                })
            }
        })
    })
}

/// The status of `site` (site URL, `::` identifier or blog ID): whether it is connected and which
/// products it has. Safe to repeat (retried on transient failures); use it after
/// `JP_OUTCOME_UNKNOWN`.
///
/// Returns the result code; `out` as for `jp_provision`. Thread safety: as `jp_provision`.
///
/// # Safety
/// `client` is NULL or a live client; `site` is NULL or NUL-terminated; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn jp_status(
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
            client.client.status_text(site)
        })
    })
}

//! The Licensing API: licenses, product families, the licensing partner, and site connections.

use std::ffi::c_char;

use serde_json::Value;

use super::args::{client_ref, options, refuse_unknown, required_str};
use super::client::jp_client;
use super::deliver::{panic_responded, respond, Out};
use super::jp_code;
use super::macros::ffi_boundary;
use super::response::jp_response;
use jetpack_partner_core::Error;

/// Issues a license of the Licensing API for `product` (a product slug such as
/// `"jetpack-backup-daily"`): `{"license_id", "license_key", "product", "product_id", "issued_at",
/// "attached_at", "revoked_at", "blog_id", "siteurl"}`. Not repeated after the request may have
/// been received.
///
/// Licensing errors come as `JP_API_ERROR` with the API's own code (`invalid_product`,
/// `license_not_found`, ...). Returns the result code; `out` as for `jp_provision`. Thread safety: as
/// `jp_provision`.
///
/// # Safety
/// `client` is NULL or a live client; `product` is NULL or NUL-terminated; `out` is NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn jp_license_issue(
    client: *const jp_client,
    product: *const c_char,
    out: *mut *mut jp_response,
) -> jp_code {
    // SAFETY: out is NULL or writable per the contract.
    let out = unsafe { Out::new(out) };
    ffi_boundary!(panic_responded(out), {
        respond(out, || {
            // SAFETY (both): arguments per the contract.
            let client = unsafe { client_ref(client) }?;
            let product = unsafe { required_str(product, "product") }?;
            client.client.license_issue(product)
        })
    })
}

/// The license with the key `license_key`.
///
/// Returns the result code; `out` as for `jp_provision`. Thread safety: as `jp_provision`.
///
/// # Safety
/// `client` is NULL or a live client; `license_key` is NULL or NUL-terminated; `out` is NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn jp_license_status(
    client: *const jp_client,
    license_key: *const c_char,
    out: *mut *mut jp_response,
) -> jp_code {
    // SAFETY: out is NULL or writable per the contract.
    let out = unsafe { Out::new(out) };
    ffi_boundary!(panic_responded(out), {
        respond(out, || {
            // SAFETY (both): arguments per the contract.
            let client = unsafe { client_ref(client) }?;
            let key = unsafe { required_str(license_key, "license_key") }?;
            client.client.license_status(key)
        })
    })
}

/// Revokes a license; the JSON is the license with `revoked_at` set (`license_revoked` the second
/// time).
///
/// Returns the result code; `out` as for `jp_provision`. Thread safety: as `jp_provision`.
///
/// # Safety
/// `client` is NULL or a live client; `license_key` is NULL or NUL-terminated; `out` is NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn jp_license_revoke(
    client: *const jp_client,
    license_key: *const c_char,
    out: *mut *mut jp_response,
) -> jp_code {
    // SAFETY: out is NULL or writable per the contract.
    let out = unsafe { Out::new(out) };
    ffi_boundary!(panic_responded(out), {
        respond(out, || {
            // SAFETY (both): arguments per the contract.
            let client = unsafe { client_ref(client) }?;
            let key = unsafe { required_str(license_key, "license_key") }?;
            client.client.license_revoke(key)
        })
    })
}

/// Attaches a license to `site` (a site URL, `::` identifier or blog ID of a connected site).
///
/// Returns the result code; `out` as for `jp_provision`. Thread safety: as `jp_provision`.
///
/// # Safety
/// `client` is NULL or a live client; each string is NULL or NUL-terminated; `out` is NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn jp_license_attach(
    client: *const jp_client,
    license_key: *const c_char,
    site: *const c_char,
    out: *mut *mut jp_response,
) -> jp_code {
    // SAFETY: out is NULL or writable per the contract.
    let out = unsafe { Out::new(out) };
    ffi_boundary!(panic_responded(out), {
        respond(out, || {
            // SAFETY (all three): arguments per the contract.
            let client = unsafe { client_ref(client) }?;
            let key = unsafe { required_str(license_key, "license_key") }?;
            let site = unsafe { required_str(site, "site") }?;
            client.client.license_attach(key, site)
        })
    })
}

/// Detaches a license from its site.
///
/// `options_json`: NULL or a JSON object of `cancellation_email` (boolean: whether the site owner is
/// told; absent: the server's default).
///
/// Returns the result code; `out` as for `jp_provision`. Thread safety: as `jp_provision`.
///
/// # Safety
/// `client` is NULL or a live client; each string is NULL or NUL-terminated; `out` is NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn jp_license_detach(
    client: *const jp_client,
    license_key: *const c_char,
    options_json: *const c_char,
    out: *mut *mut jp_response,
) -> jp_code {
    // SAFETY: out is NULL or writable per the contract.
    let out = unsafe { Out::new(out) };
    ffi_boundary!(panic_responded(out), {
        respond(out, || {
            // SAFETY (all three): arguments per the contract.
            let client = unsafe { client_ref(client) }?;
            let key = unsafe { required_str(license_key, "license_key") }?;
            let options = unsafe { options(options_json) }?;
            refuse_unknown(&["cancellation_email"], "options_json", &options)?;
            let email = match options.get("cancellation_email") {
                None | Some(Value::Null) => None,
                Some(Value::Bool(b)) => Some(*b),
                Some(_) => {
                    return Err(Error::invalid_argument(
                        "cancellation_email",
                        "must be a boolean (true or false)",
                    ))
                }
            };
            client.client.license_detach(key, email)
        })
    })
}

/// The product families of the Licensing API and their products: `[{"name", "slug", "products":
/// [{"name", "slug", "product_id"}]}]`.
///
/// Returns the result code; `out` as for `jp_provision`. Thread safety: as `jp_provision`.
///
/// # Safety
/// `client` is NULL or a live client; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn jp_product_families(
    client: *const jp_client,
    out: *mut *mut jp_response,
) -> jp_code {
    // SAFETY: out is NULL or writable per the contract.
    let out = unsafe { Out::new(out) };
    ffi_boundary!(panic_responded(out), {
        respond(out, || {
            // SAFETY: client per the contract.
            unsafe { client_ref(client) }?.client.product_families()
        })
    })
}

/// The licensing partner of a user token and its keys: `{"id", "name", "slug", "keys": [{"id",
/// "name", "oauth2_token", "disabled_on"}]}` (each `oauth2_token` is a credential).
///
/// Returns the result code; `out` as for `jp_provision`. Thread safety: as `jp_provision`.
///
/// # Safety
/// `client` is NULL or a live client; `user_token` is NULL or NUL-terminated; `out` is NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn jp_licensing_partner(
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
            client.client.licensing_partner(token)
        })
    })
}

/// Connects the site at `url` for `local_user` (the WordPress user): `{"code": "success" |
/// "already_connected", "blog_id"}`. Safe to repeat, so retried on transient failures.
///
/// Returns the result code; `out` as for `jp_provision`. Thread safety: as `jp_provision`.
///
/// # Safety
/// `client` is NULL or a live client; each string is NULL or NUL-terminated; `out` is NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn jp_site_connection(
    client: *const jp_client,
    url: *const c_char,
    local_user: *const c_char,
    out: *mut *mut jp_response,
) -> jp_code {
    // SAFETY: out is NULL or writable per the contract.
    let out = unsafe { Out::new(out) };
    ffi_boundary!(panic_responded(out), {
        respond(out, || {
            // SAFETY (all three): arguments per the contract.
            let client = unsafe { client_ref(client) }?;
            let url = unsafe { required_str(url, "url") }?;
            let local_user = unsafe { required_str(local_user, "local_user") }?;
            client.client.site_connection(url, local_user)
        })
    })
}

//! `jp_request`: any request to the API, for endpoints the library has no function for.

use std::ffi::c_char;

use serde_json::{Map, Value};
use zeroize::Zeroize;

use super::args::{
    client_ref, refuse_unknown, required_str, string_member, wipe_options, wipe_value,
};
use super::client::jp_client;
use super::deliver::{panic_responded, respond, Out};
use super::jp_code;
use super::macros::ffi_boundary;
use super::response::jp_response;
use jetpack_partner_core::Error;
use jetpack_partner_core::Options;
use jetpack_partner_core::{ApiRequest, Auth};

/// The `request_json` of `jp_request` as an [`ApiRequest`].
fn parse_request(map: &Map<String, Value>) -> Result<ApiRequest, Error> {
    const KNOWN: &[&str] = &[
        "method",
        "path",
        "query",
        "form",
        "json",
        "auth",
        "user_token",
    ];
    refuse_unknown(KNOWN, "request_json", map)?;
    let method = string_member(map, "method")?.ok_or_else(|| {
        Error::invalid_argument("method", "is required (GET, POST, PUT or DELETE)")
    })?;
    let path = string_member(map, "path")?
        .ok_or_else(|| Error::invalid_argument("path", "is required (e.g. \"/rest/v1/me\")"))?;
    let object = |name: &str| -> Result<Option<Options>, Error> {
        match map.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(o)) => Ok(Some(o.clone())),
            Some(_) => Err(Error::invalid_argument(name, "must be a JSON object")),
        }
    };
    let query = object("query")?.unwrap_or_default();
    let form = object("form")?;
    let json = match map.get("json") {
        None | Some(Value::Null) => None,
        Some(v) => Some(v.clone()),
    };
    let user_token = string_member(map, "user_token")?;
    let auth = match (string_member(map, "auth")?.as_deref(), user_token) {
        (None | Some("user"), Some(token)) => Auth::User(token),
        (None | Some("partner"), None) => Auth::Partner,
        (Some("none"), None) => Auth::None,
        (Some("user"), None) => {
            return Err(Error::invalid_argument(
                "user_token",
                "is required with \"auth\": \"user\"",
            ))
        }
        (Some("partner" | "none"), Some(mut token)) => {
            token.zeroize();
            return Err(Error::invalid_argument(
                "user_token",
                "goes only with \"auth\": \"user\"",
            ));
        }
        (Some(_), _) => {
            return Err(Error::invalid_argument(
                "auth",
                "must be \"partner\", \"user\" or \"none\"",
            ))
        }
    };
    Ok(ApiRequest {
        method,
        path,
        query,
        form,
        json,
        auth,
    })
}

/// Sends any request to the API, for endpoints the library has no function for.
///
/// `request_json` is a JSON object: `"method"` (`"GET"`, `"POST"`, `"PUT"` or `"DELETE"`; required),
/// `"path"` (below the API base, starting with `/`, e.g. `"/rest/v1/me"`; required), `"query"` (an
/// object of strings, numbers, booleans or arrays; arrays are sent as `name[]=item`), either `"form"`
/// (an object, sent `application/x-www-form-urlencoded`) or `"json"` (any JSON, sent as the body),
/// and the token: `"user_token"` (a WordPress.com user token) or `"auth"`: `"partner"` (the client's
/// partner token, the default), `"user"` (with `"user_token"`) or `"none"`. Unknown members give
/// `JP_INVALID_ARGUMENT` naming them.
///
/// Returns the result code; when `out` is not NULL, `*out` receives a new `jp_response` on every
/// return (release it with `jp_response_free`); its JSON is the server's reply. `GET` requests are
/// retried on transient failures, other methods only when the request provably never reached the
/// server. Thread safety: as `jp_provision`.
///
/// # Safety
/// `client` is NULL or a live client; `request_json` is NULL or NUL-terminated; `out` is NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn jp_request(
    client: *const jp_client,
    request_json: *const c_char,
    out: *mut *mut jp_response,
) -> jp_code {
    // SAFETY: out is NULL or writable per the contract.
    let out = unsafe { Out::new(out) };
    ffi_boundary!(panic_responded(out), {
        respond(out, || {
            // SAFETY (both): arguments per the contract.
            let client = unsafe { client_ref(client) }?;
            let text = unsafe { required_str(request_json, "request_json") }?;
            let mut value: Value = serde_json::from_str(text).map_err(|e| {
                Error::invalid_argument("request_json", format!("is not valid JSON ({e})"))
            })?;
            let Value::Object(map) = &value else {
                return Err(Error::invalid_argument(
                    "request_json",
                    "must be a JSON object such as {\"method\": \"GET\", \"path\": \"/rest/v1/me\"}",
                ));
            };
            let result = parse_request(map).and_then(|mut request| {
                let result = client.client.request(&request);
                if let Some(form) = request.form.as_mut() {
                    wipe_options(form);
                }
                if let Some(json) = request.json.as_mut() {
                    wipe_value(json);
                }
                result
            });
            wipe_value(&mut value);
            result
        })
    })
}

//! The rest of the partner API in C: the generic request, the remaining partner endpoints,
//! reporting, WordPress.com OAuth2 for users and the Licensing API. Same conventions as the
//! operations of `ffi::operations`: every call returns a `jp_code` and, when `out` is not NULL,
//! writes a new `jp_response` to `*out` on every return.

use std::ffi::c_char;
use std::ptr;

use serde_json::{json, Map, Value};
use zeroize::Zeroize;

use super::args::{options, required_str, wipe_options};
use super::client::{c_text, config_result, jp_client};
use super::jp_code;
use super::macros::ffi_boundary;
use super::operations::{client_ref, panicked};
use super::response::{deliver, jp_response};
use jetpack_partner_core::oauth::{self, AuthorizeParams, Grant, ResponseType, Scope};
use jetpack_partner_core::Error;
use jetpack_partner_core::Options;
use jetpack_partner_core::Reply;
use jetpack_partner_core::{ApiRequest, Auth};

/// Overwrites every string of a JSON value (parsed arguments may hold passwords or tokens).
fn wipe_value(value: &mut Value) {
    match value {
        Value::String(s) => s.zeroize(),
        Value::Array(items) => items.iter_mut().for_each(wipe_value),
        Value::Object(map) => map.values_mut().for_each(wipe_value),
        _ => {}
    }
}

fn refuse_unknown(known: &[&str], what: &str, map: &Map<String, Value>) -> Result<(), Error> {
    for name in map.keys() {
        if !known.contains(&name.as_str()) {
            let shown: String = name.chars().take(64).filter(|c| !c.is_control()).collect();
            return Err(Error::invalid_argument(
                &shown,
                format!("unknown member of {what} (known: {})", known.join(", ")),
            ));
        }
    }
    Ok(())
}

fn string_member(map: &Map<String, Value>, name: &str) -> Result<Option<String>, Error> {
    match map.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(Error::invalid_argument(name, "must be a string")),
    }
}

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
    // SAFETY: out per the contract.
    ffi_boundary!(unsafe { panicked(out) }, {
        let result = (|| -> Result<Reply, Error> {
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
        })();
        // SAFETY: out per the contract.
        unsafe { deliver(out, result) }
    })
}

/// The older (v1.2) status of `site` (a site URL, `::` identifier or blog ID): `{plan,
/// is_partner_plan, is_provisioned_by_calling_partner, is_connected, has_pending_plan}`. Safe to
/// repeat.
///
/// Returns the result code; `out` as for `jp_request`. Thread safety: as `jp_provision`.
///
/// # Safety
/// `client` is NULL or a live client; `site` is NULL or NUL-terminated; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn jp_status_v12(
    client: *const jp_client,
    site: *const c_char,
    out: *mut *mut jp_response,
) -> jp_code {
    // SAFETY: out per the contract.
    ffi_boundary!(unsafe { panicked(out) }, {
        let result = (|| {
            // SAFETY (both): arguments per the contract.
            let client = unsafe { client_ref(client) }?;
            let site = unsafe { required_str(site, "site") }?;
            client.client.status_v12(site)
        })();
        // SAFETY: out per the contract.
        unsafe { deliver(out, result) }
    })
}

/// The slugs each product family of `site` (a site URL, `::` identifier or blog ID) can move to:
/// `{"plans": [...], "backup": [...], ...}`. Safe to repeat.
///
/// Returns the result code; `out` as for `jp_request`. Thread safety: as `jp_provision`.
///
/// # Safety
/// `client` is NULL or a live client; `site` is NULL or NUL-terminated; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn jp_upgrade_paths(
    client: *const jp_client,
    site: *const c_char,
    out: *mut *mut jp_response,
) -> jp_code {
    // SAFETY: out per the contract.
    ffi_boundary!(unsafe { panicked(out) }, {
        let result = (|| {
            // SAFETY (both): arguments per the contract.
            let client = unsafe { client_ref(client) }?;
            let site = unsafe { required_str(site, "site") }?;
            client.client.upgrade_paths(site)
        })();
        // SAFETY: out per the contract.
        unsafe { deliver(out, result) }
    })
}

/// The error codes of the partner API: `{"errors": {code: message}}`, or with `verbose`
/// `{"errors": {code: {"message", "http_status"}}}`. Sends no token.
///
/// Returns the result code; `out` as for `jp_request`. Thread safety: as `jp_provision`.
///
/// # Safety
/// `client` is NULL or a live client; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn jp_errors(
    client: *const jp_client,
    verbose: bool,
    out: *mut *mut jp_response,
) -> jp_code {
    // SAFETY: out per the contract.
    ffi_boundary!(unsafe { panicked(out) }, {
        // SAFETY: client per the contract.
        let result = unsafe { client_ref(client) }.and_then(|c| c.client.errors(verbose));
        // SAFETY: out per the contract.
        unsafe { deliver(out, result) }
    })
}

/// Checks the client's own credentials as a partner key: `{"success": true, "id", "name",
/// "client_id"}`, or the token or key error (`JP_TOKEN_ERROR`, `partner_key_disabled`...).
///
/// Returns the result code; `out` as for `jp_request`. Thread safety: as `jp_provision`.
///
/// # Safety
/// `client` is NULL or a live client; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn jp_partner_keys_verify(
    client: *const jp_client,
    out: *mut *mut jp_response,
) -> jp_code {
    // SAFETY: out per the contract.
    ffi_boundary!(unsafe { panicked(out) }, {
        // SAFETY: client per the contract.
        let result = unsafe { client_ref(client) }.and_then(|c| c.client.partner_keys_verify());
        // SAFETY: out per the contract.
        unsafe { deliver(out, result) }
    })
}

/// One page of the activations of a partner key: `{"total", "page", "per_page", "activations":
/// [...]}`, newest first. `user_token` is a WordPress.com token of the partner's user (see the
/// `jp_oauth_*` functions); `partner_id` and `key_id` are the IDs `jp_partner_details` lists.
///
/// `options_json`: NULL or a JSON object of `page` (from 1), `per_page` (1-100, default 20), `plans`
/// (a slug or product ID, or an array of them), `activated_after`, `activated_before`
/// (`"YYYY-MM-DD"`, `"YYYY-MM-DD HH:MM:SS"` or a Unix time). To read every activation, ask for page
/// 1, 2, ... until `page * per_page >= total` or a page comes back empty.
///
/// Returns the result code; `out` as for `jp_request`. Thread safety: as `jp_provision`.
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
    // SAFETY: out per the contract.
    ffi_boundary!(unsafe { panicked(out) }, {
        let result = (|| {
            // SAFETY (all five): arguments per the contract.
            let client = unsafe { client_ref(client) }?;
            let token = unsafe { required_str(user_token, "user_token") }?;
            let partner_id = unsafe { required_str(partner_id, "partner_id") }?;
            let key_id = unsafe { required_str(key_id, "key_id") }?;
            let options = unsafe { options(options_json) }?;
            client
                .client
                .activations(token, partner_id, key_id, &options)
        })();
        // SAFETY: out per the contract.
        unsafe { deliver(out, result) }
    })
}

/// Activations counted per period: `[{"date", "new", "total"}]`.
///
/// `options_json`: NULL or a JSON object of `key_id` (one key; default every key of the partner) and
/// `scale` (`"day"`, `"month"` (default) or `"year"`).
///
/// Returns the result code; `out` as for `jp_request`. Thread safety: as `jp_provision`.
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
    // SAFETY: out per the contract.
    ffi_boundary!(unsafe { panicked(out) }, {
        let result = (|| {
            // SAFETY (all three): arguments per the contract.
            let client = unsafe { client_ref(client) }?;
            let token = unsafe { required_str(user_token, "user_token") }?;
            let options = unsafe { options(options_json) }?;
            client.client.activations_summary(token, &options)
        })();
        // SAFETY: out per the contract.
        unsafe { deliver(out, result) }
    })
}

/// The past invoices of a partner key: `{"invoices": [...]}`.
///
/// Returns the result code; `out` as for `jp_request`. Thread safety: as `jp_provision`.
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
    // SAFETY: out per the contract.
    ffi_boundary!(unsafe { panicked(out) }, {
        let result = (|| {
            // SAFETY (all four): arguments per the contract.
            let client = unsafe { client_ref(client) }?;
            let token = unsafe { required_str(user_token, "user_token") }?;
            let partner_id = unsafe { required_str(partner_id, "partner_id") }?;
            let key_id = unsafe { required_str(key_id, "key_id") }?;
            client.client.invoices(token, partner_id, key_id)
        })();
        // SAFETY: out per the contract.
        unsafe { deliver(out, result) }
    })
}

/// The invoice of the current period of a partner key: `{"id", "status": "upcoming", "currency",
/// "period_start", "period_end", "lines": [...], "total"}`.
///
/// Returns the result code; `out` as for `jp_request`. Thread safety: as `jp_provision`.
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
    // SAFETY: out per the contract.
    ffi_boundary!(unsafe { panicked(out) }, {
        let result = (|| {
            // SAFETY (all four): arguments per the contract.
            let client = unsafe { client_ref(client) }?;
            let token = unsafe { required_str(user_token, "user_token") }?;
            let partner_id = unsafe { required_str(partner_id, "partner_id") }?;
            let key_id = unsafe { required_str(key_id, "key_id") }?;
            client.client.upcoming_invoice(token, partner_id, key_id)
        })();
        // SAFETY: out per the contract.
        unsafe { deliver(out, result) }
    })
}

/// The partner of a user token and its keys: `{"id", "name", "slug", "keys": [{"id", "name",
/// "client_id", ...}]}`.
///
/// Returns the result code; `out` as for `jp_request`. Thread safety: as `jp_provision`.
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
    // SAFETY: out per the contract.
    ffi_boundary!(unsafe { panicked(out) }, {
        let result = (|| {
            // SAFETY (both): arguments per the contract.
            let client = unsafe { client_ref(client) }?;
            let token = unsafe { required_str(user_token, "user_token") }?;
            client.client.partner_details(token)
        })();
        // SAFETY: out per the contract.
        unsafe { deliver(out, result) }
    })
}

fn authorize_params(client_id: &str, options: &Options) -> Result<AuthorizeParams, Error> {
    const KNOWN: &[&str] = &["redirect_uri", "response_type", "blog", "scope", "state"];
    refuse_unknown(KNOWN, "options_json", options)?;
    let redirect_uri = string_member(options, "redirect_uri")?
        .ok_or_else(|| Error::invalid_argument("redirect_uri", "is required"))?;
    let mut params = AuthorizeParams::new(client_id, redirect_uri);
    params.response_type = match string_member(options, "response_type")?.as_deref() {
        None | Some("code") => ResponseType::Code,
        Some("token") => ResponseType::Token,
        Some(_) => {
            return Err(Error::invalid_argument(
                "response_type",
                "must be \"code\" or \"token\"",
            ))
        }
    };
    params.blog = match options.get("blog") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) if n.as_u64().is_some() => Some(n.to_string()),
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            return Err(Error::invalid_argument(
                "blog",
                "must be a blog ID or a site URL",
            ))
        }
    };
    params.scope = match string_member(options, "scope")?.as_deref() {
        None => None,
        Some("global") => Some(Scope::Global),
        Some("auth") => Some(Scope::Auth),
        Some(_) => {
            return Err(Error::invalid_argument(
                "scope",
                "must be \"global\" or \"auth\"",
            ))
        }
    };
    params.state = string_member(options, "state")?;
    Ok(params)
}

/// Builds the WordPress.com authorize URL for the client's application (its partner ID is the
/// `client_id`, its API base the host), to open in the user's browser. No network access.
///
/// `options_json`: a JSON object of `redirect_uri` (required: an absolute http(s) URL registered for
/// the application), `response_type` (`"code"`, the default, or `"token"`), `blog` (a blog ID or
/// site URL), `scope` (`"global"` or `"auth"`) and `state` (default: 128 random bits from the
/// operating system, hex-encoded).
///
/// On `JP_OK`, `*url_out` and `*state_out` receive new strings owned by the caller: release each with
/// `jp_string_free`; keep the state for `jp_oauth_parse_redirect`. On failure both are set to NULL
/// and `jp_last_error_message()` tells why. Thread safety: any thread.
///
/// # Safety
/// `client` is NULL or a live client; `options_json` is NULL or NUL-terminated; `url_out` and
/// `state_out` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn jp_oauth_authorize_url(
    client: *const jp_client,
    options_json: *const c_char,
    url_out: *mut *mut c_char,
    state_out: *mut *mut c_char,
) -> jp_code {
    ffi_boundary!(jp_code::JP_INTERNAL, {
        for out in [url_out, state_out] {
            if !out.is_null() {
                // SAFETY: writable per the contract.
                unsafe { *out = ptr::null_mut() };
            }
        }
        let result = (|| {
            if url_out.is_null() {
                return Err(Error::invalid_argument("url_out", "must not be NULL"));
            }
            if state_out.is_null() {
                return Err(Error::invalid_argument("state_out", "must not be NULL"));
            }
            // SAFETY (both): arguments per the contract.
            let client = unsafe { client_ref(client) }?;
            if options_json.is_null() {
                return Err(Error::invalid_argument(
                    "options_json",
                    "must not be NULL: {\"redirect_uri\": ...} is required",
                ));
            }
            let options = unsafe { options(options_json) }?;
            let config = client.client.config();
            let params = authorize_params(config.partner_id(), &options)?;
            let (url, state) = oauth::authorize_url(&config.api_base, &params)?;
            // SAFETY: both writable and not NULL.
            unsafe {
                *url_out = c_text(&url).into_raw();
                *state_out = c_text(&state).into_raw();
            }
            Ok(())
        })();
        config_result(result)
    })
}

/// Reads the redirect the authorize page sent the browser to (the whole URL as received) and checks
/// its `state` against `expected_state` (from `jp_oauth_authorize_url`). No network access; no client
/// needed.
///
/// On success the response's JSON is `{"code": "..."}` (code flow: give it to
/// `jp_oauth_exchange_code`) or `{"access_token", "expires_in", "token_type", "site_id"}` (implicit
/// flow; `expires_in` and `site_id` null when absent); its HTTP status and attempts are 0. Errors:
/// `state_mismatch` (`JP_INVALID_ARGUMENT`: the state is missing or differs, the redirect may be
/// forged), `access_denied` (`JP_API_ERROR`: the user refused; other `error=` values of the redirect
/// come as their own codes), `invalid_argument`.
///
/// Returns the result code; `out` as for `jp_request` (the JSON holds a token: treat it as a
/// secret). Thread safety: any thread.
///
/// # Safety
/// Each string is NULL or NUL-terminated; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn jp_oauth_parse_redirect(
    redirect_url: *const c_char,
    expected_state: *const c_char,
    out: *mut *mut jp_response,
) -> jp_code {
    // SAFETY: out per the contract.
    ffi_boundary!(unsafe { panicked(out) }, {
        let result = (|| {
            // SAFETY (both): arguments per the contract.
            let url = unsafe { required_str(redirect_url, "redirect_url") }?;
            let state = unsafe { required_str(expected_state, "expected_state") }?;
            let body = match oauth::parse_redirect(url, state)? {
                Grant::Code { mut code } => {
                    let body = json!({ "code": code });
                    code.zeroize();
                    body
                }
                Grant::Token {
                    mut access_token,
                    expires_in,
                    token_type,
                    site_id,
                } => {
                    let body = json!({
                        "access_token": access_token,
                        "expires_in": expires_in,
                        "token_type": token_type,
                        "site_id": site_id,
                    });
                    access_token.zeroize();
                    body
                }
            };
            Ok(Reply {
                body,
                http_status: 0,
                attempts: 0,
            })
        })();
        // SAFETY: out per the contract.
        unsafe { deliver(out, result) }
    })
}

/// Exchanges an authorization code for the user's token: `{"access_token", "blog_id", "blog_url",
/// "token_type"}`. `redirect_uri` must be the one given to `jp_oauth_authorize_url`. Codes are
/// single use.
///
/// Returns the result code; `out` as for `jp_request` (the JSON holds the token). Thread safety: as
/// `jp_provision`.
///
/// # Safety
/// `client` is NULL or a live client; each string is NULL or NUL-terminated; `out` is NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn jp_oauth_exchange_code(
    client: *const jp_client,
    code: *const c_char,
    redirect_uri: *const c_char,
    out: *mut *mut jp_response,
) -> jp_code {
    // SAFETY: out per the contract.
    ffi_boundary!(unsafe { panicked(out) }, {
        let result = (|| {
            // SAFETY (all three): arguments per the contract.
            let client = unsafe { client_ref(client) }?;
            let code = unsafe { required_str(code, "code") }?;
            let redirect_uri = unsafe { required_str(redirect_uri, "redirect_uri") }?;
            client.client.exchange_code(code, redirect_uri)
        })();
        // SAFETY: out per the contract.
        unsafe { deliver(out, result) }
    })
}

/// The password grant, for the application owner's own testing: the token of the WordPress.com user
/// `username` (`{"access_token", ...}`). The password is not kept.
///
/// Returns the result code; `out` as for `jp_request` (the JSON holds the token). Thread safety: as
/// `jp_provision`.
///
/// # Safety
/// `client` is NULL or a live client; each string is NULL or NUL-terminated; `out` is NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn jp_oauth_password_grant(
    client: *const jp_client,
    username: *const c_char,
    password: *const c_char,
    out: *mut *mut jp_response,
) -> jp_code {
    // SAFETY: out per the contract.
    ffi_boundary!(unsafe { panicked(out) }, {
        let result = (|| {
            // SAFETY (all three): arguments per the contract.
            let client = unsafe { client_ref(client) }?;
            let username = unsafe { required_str(username, "username") }?;
            let password = unsafe { required_str(password, "password") }?;
            client.client.password_grant(username, password)
        })();
        // SAFETY: out per the contract.
        unsafe { deliver(out, result) }
    })
}

/// Validates a user token for the client's application: `{"client_id", "user_id", "blog_id",
/// "scope"}`. A token that is unknown, revoked or issued to another application gives
/// `JP_API_ERROR` with the code `invalid_token`.
///
/// Returns the result code; `out` as for `jp_request`. Thread safety: as `jp_provision`.
///
/// # Safety
/// `client` is NULL or a live client; `token` is NULL or NUL-terminated; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn jp_oauth_token_info(
    client: *const jp_client,
    token: *const c_char,
    out: *mut *mut jp_response,
) -> jp_code {
    // SAFETY: out per the contract.
    ffi_boundary!(unsafe { panicked(out) }, {
        let result = (|| {
            // SAFETY (both): arguments per the contract.
            let client = unsafe { client_ref(client) }?;
            let token = unsafe { required_str(token, "token") }?;
            client.client.token_info(token)
        })();
        // SAFETY: out per the contract.
        unsafe { deliver(out, result) }
    })
}

/// Issues a license of the Licensing API for `product` (a product slug such as
/// `"jetpack-backup-daily"`): `{"license_id", "license_key", "product", "product_id", "issued_at",
/// "attached_at", "revoked_at", "blog_id", "siteurl"}`. Not repeated after the request may have
/// been received.
///
/// Licensing errors come as `JP_API_ERROR` with the API's own code (`invalid_product`,
/// `license_not_found`, ...). Returns the result code; `out` as for `jp_request`. Thread safety: as
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
    // SAFETY: out per the contract.
    ffi_boundary!(unsafe { panicked(out) }, {
        let result = (|| {
            // SAFETY (both): arguments per the contract.
            let client = unsafe { client_ref(client) }?;
            let product = unsafe { required_str(product, "product") }?;
            client.client.license_issue(product)
        })();
        // SAFETY: out per the contract.
        unsafe { deliver(out, result) }
    })
}

/// The license with the key `license_key`.
///
/// Returns the result code; `out` as for `jp_request`. Thread safety: as `jp_provision`.
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
    // SAFETY: out per the contract.
    ffi_boundary!(unsafe { panicked(out) }, {
        let result = (|| {
            // SAFETY (both): arguments per the contract.
            let client = unsafe { client_ref(client) }?;
            let key = unsafe { required_str(license_key, "license_key") }?;
            client.client.license_status(key)
        })();
        // SAFETY: out per the contract.
        unsafe { deliver(out, result) }
    })
}

/// Revokes a license; the JSON is the license with `revoked_at` set (`license_revoked` the second
/// time).
///
/// Returns the result code; `out` as for `jp_request`. Thread safety: as `jp_provision`.
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
    // SAFETY: out per the contract.
    ffi_boundary!(unsafe { panicked(out) }, {
        let result = (|| {
            // SAFETY (both): arguments per the contract.
            let client = unsafe { client_ref(client) }?;
            let key = unsafe { required_str(license_key, "license_key") }?;
            client.client.license_revoke(key)
        })();
        // SAFETY: out per the contract.
        unsafe { deliver(out, result) }
    })
}

/// Attaches a license to `site` (a site URL, `::` identifier or blog ID of a connected site).
///
/// Returns the result code; `out` as for `jp_request`. Thread safety: as `jp_provision`.
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
    // SAFETY: out per the contract.
    ffi_boundary!(unsafe { panicked(out) }, {
        let result = (|| {
            // SAFETY (all three): arguments per the contract.
            let client = unsafe { client_ref(client) }?;
            let key = unsafe { required_str(license_key, "license_key") }?;
            let site = unsafe { required_str(site, "site") }?;
            client.client.license_attach(key, site)
        })();
        // SAFETY: out per the contract.
        unsafe { deliver(out, result) }
    })
}

/// Detaches a license from its site.
///
/// `options_json`: NULL or a JSON object of `cancellation_email` (boolean: whether the site owner is
/// told; absent: the server's default).
///
/// Returns the result code; `out` as for `jp_request`. Thread safety: as `jp_provision`.
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
    // SAFETY: out per the contract.
    ffi_boundary!(unsafe { panicked(out) }, {
        let result = (|| {
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
        })();
        // SAFETY: out per the contract.
        unsafe { deliver(out, result) }
    })
}

/// The product families of the Licensing API and their products: `[{"name", "slug", "products":
/// [{"name", "slug", "product_id"}]}]`.
///
/// Returns the result code; `out` as for `jp_request`. Thread safety: as `jp_provision`.
///
/// # Safety
/// `client` is NULL or a live client; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn jp_product_families(
    client: *const jp_client,
    out: *mut *mut jp_response,
) -> jp_code {
    // SAFETY: out per the contract.
    ffi_boundary!(unsafe { panicked(out) }, {
        // SAFETY: client per the contract.
        let result = unsafe { client_ref(client) }.and_then(|c| c.client.product_families());
        // SAFETY: out per the contract.
        unsafe { deliver(out, result) }
    })
}

/// The licensing partner of a user token and its keys: `{"id", "name", "slug", "keys": [{"id",
/// "name", "oauth2_token", "disabled_on"}]}` (each `oauth2_token` is a credential).
///
/// Returns the result code; `out` as for `jp_request`. Thread safety: as `jp_provision`.
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
    // SAFETY: out per the contract.
    ffi_boundary!(unsafe { panicked(out) }, {
        let result = (|| {
            // SAFETY (both): arguments per the contract.
            let client = unsafe { client_ref(client) }?;
            let token = unsafe { required_str(user_token, "user_token") }?;
            client.client.licensing_partner(token)
        })();
        // SAFETY: out per the contract.
        unsafe { deliver(out, result) }
    })
}

/// Connects the site at `url` for `local_user` (the WordPress user): `{"code": "success" |
/// "already_connected", "blog_id"}`. Safe to repeat, so retried on transient failures.
///
/// Returns the result code; `out` as for `jp_request`. Thread safety: as `jp_provision`.
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
    // SAFETY: out per the contract.
    ffi_boundary!(unsafe { panicked(out) }, {
        let result = (|| {
            // SAFETY (all three): arguments per the contract.
            let client = unsafe { client_ref(client) }?;
            let url = unsafe { required_str(url, "url") }?;
            let local_user = unsafe { required_str(local_user, "local_user") }?;
            client.client.site_connection(url, local_user)
        })();
        // SAFETY: out per the contract.
        unsafe { deliver(out, result) }
    })
}

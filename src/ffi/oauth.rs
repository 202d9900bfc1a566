//! WordPress.com OAuth2 for users: the authorize URL, the redirect, the code exchange, the password
//! grant and token validation.

use std::ffi::c_char;

use serde_json::{json, Value};
use zeroize::Zeroize;

use super::args::{client_ref, options, refuse_unknown, required_str, string_member};
use super::client::jp_client;
use super::deliver::{c_text, panic_reported, panic_responded, report, respond, Out};
use super::jp_code;
use super::macros::ffi_boundary;
use super::response::jp_response;
use jetpack_partner_core::oauth::{self, AuthorizeParams, Grant, ResponseType, Scope};
use jetpack_partner_core::Error;
use jetpack_partner_core::Options;
use jetpack_partner_core::Reply;

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
    // SAFETY: both NULL or writable per the contract.
    let (url_out, state_out) = unsafe { (Out::new(url_out), Out::new(state_out)) };
    ffi_boundary!(panic_reported(), {
        url_out.clear();
        state_out.clear();
        report(|| {
            url_out.require("url_out")?;
            state_out.require("state_out")?;
            // SAFETY: client per the contract.
            let client = unsafe { client_ref(client) }?;
            if options_json.is_null() {
                return Err(Error::invalid_argument(
                    "options_json",
                    "must not be NULL: {\"redirect_uri\": ...} is required",
                ));
            }
            // SAFETY: options_json per the contract.
            let options = unsafe { options(options_json) }?;
            let config = client.client.config();
            let params = authorize_params(config.partner_id(), &options)?;
            let (url, state) = oauth::authorize_url(&config.api_base, &params)?;
            url_out.put(c_text(&url));
            state_out.put(c_text(&state));
            Ok(())
        })
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
/// Returns the result code; `out` as for `jp_provision` (the JSON holds a token: treat it as a
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
    // SAFETY: out is NULL or writable per the contract.
    let out = unsafe { Out::new(out) };
    ffi_boundary!(panic_responded(out), {
        respond(out, || {
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
        })
    })
}

/// Exchanges an authorization code for the user's token: `{"access_token", "blog_id", "blog_url",
/// "token_type"}`. `redirect_uri` must be the one given to `jp_oauth_authorize_url`. Codes are
/// single use.
///
/// Returns the result code; `out` as for `jp_provision` (the JSON holds the token). Thread safety: as
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
    // SAFETY: out is NULL or writable per the contract.
    let out = unsafe { Out::new(out) };
    ffi_boundary!(panic_responded(out), {
        respond(out, || {
            // SAFETY (all three): arguments per the contract.
            let client = unsafe { client_ref(client) }?;
            let code = unsafe { required_str(code, "code") }?;
            let redirect_uri = unsafe { required_str(redirect_uri, "redirect_uri") }?;
            client.client.exchange_code(code, redirect_uri)
        })
    })
}

/// The password grant, for the application owner's own testing: the token of the WordPress.com user
/// `username` (`{"access_token", ...}`). The password is not kept.
///
/// Returns the result code; `out` as for `jp_provision` (the JSON holds the token). Thread safety: as
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
    // SAFETY: out is NULL or writable per the contract.
    let out = unsafe { Out::new(out) };
    ffi_boundary!(panic_responded(out), {
        respond(out, || {
            // SAFETY (all three): arguments per the contract.
            let client = unsafe { client_ref(client) }?;
            let username = unsafe { required_str(username, "username") }?;
            let password = unsafe { required_str(password, "password") }?;
            client.client.password_grant(username, password)
        })
    })
}

/// Validates a user token for the client's application: `{"client_id", "user_id", "blog_id",
/// "scope"}`. A token that is unknown, revoked or issued to another application gives
/// `JP_API_ERROR` with the code `invalid_token`.
///
/// Returns the result code; `out` as for `jp_provision`. Thread safety: as `jp_provision`.
///
/// # Safety
/// `client` is NULL or a live client; `token` is NULL or NUL-terminated; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn jp_oauth_token_info(
    client: *const jp_client,
    token: *const c_char,
    out: *mut *mut jp_response,
) -> jp_code {
    // SAFETY: out is NULL or writable per the contract.
    let out = unsafe { Out::new(out) };
    ffi_boundary!(panic_responded(out), {
        respond(out, || {
            // SAFETY (both): arguments per the contract.
            let client = unsafe { client_ref(client) }?;
            let token = unsafe { required_str(token, "token") }?;
            client.client.token_info(token)
        })
    })
}

//! `jp_response`: the outcome of one operation, and its getters.

use std::ffi::{c_char, CString};
use std::io;
use std::ptr;

use serde_json::Value;
use zeroize::{Zeroize, Zeroizing};

use super::deliver::c_text;
use super::jp_code;
use super::macros::ffi_boundary;
use jetpack_partner_core::extend_wiping;
use jetpack_partner_core::Error;
use jetpack_partner_core::{Reply, ReplyText};

/// The outcome of one operation (opaque): success flag, the server's JSON, error code and message,
/// HTTP status, attempts. Immutable once returned; release it with `jp_response_free`.
pub struct jp_response {
    code: jp_code,
    json: Option<CString>,
    error_code: Option<CString>,
    error_message: Option<CString>,
    http_status: u16,
    attempts: u32,
}

/// A call's reply, as the JSON of a `jp_response`.
pub(crate) trait ResponseBody {
    fn into_response(self) -> jp_response;
}

impl ResponseBody for Reply {
    fn into_response(self) -> jp_response {
        jp_response::success(json_text(&self.body), self.http_status, self.attempts)
    }
}

/// A reply kept as the server's JSON text, handed over as it came.
impl ResponseBody for ReplyText {
    fn into_response(self) -> jp_response {
        let json = exact_text(&self.text).unwrap_or_else(|| {
            // Checked JSON has no NUL; should it ever, the text is written out anew.
            let value = serde_json::from_slice(&self.text).unwrap_or(Value::Null);
            json_text(&value)
        });
        jp_response::success(json, self.http_status, self.attempts)
    }
}

impl jp_response {
    pub(crate) fn from_result<R: ResponseBody>(result: Result<R, Error>) -> jp_response {
        match result {
            Ok(reply) => reply.into_response(),
            Err(e) => jp_response::failure(&e),
        }
    }

    pub(crate) fn code(&self) -> jp_code {
        self.code
    }

    fn success(json: CString, http_status: u16, attempts: u32) -> jp_response {
        jp_response {
            code: jp_code::JP_OK,
            json: Some(json),
            error_code: None,
            error_message: None,
            http_status,
            attempts,
        }
    }

    fn failure(e: &Error) -> jp_response {
        jp_response {
            code: e.kind().into(),
            json: e.body().map(json_text),
            error_code: Some(c_text(e.code())),
            error_message: Some(c_text(e.message())),
            http_status: e.http_status().unwrap_or(0),
            attempts: e.attempts(),
        }
    }
}

/// A growing buffer that wipes every buffer it outgrows: the JSON text of a reply can carry
/// credentials, and no copy of it may be left in freed memory.
struct WipingBuffer(Zeroizing<Vec<u8>>);

impl io::Write for WipingBuffer {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        extend_wiping(&mut self.0, data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The server's JSON text as it came, for C, in a buffer of exactly its size; `None` if it has a
/// NUL byte (valid JSON has none).
fn exact_text(text: &[u8]) -> Option<CString> {
    let mut exact = Vec::with_capacity(text.len() + 1);
    exact.extend_from_slice(text);
    exact.push(0);
    CString::from_vec_with_nul(exact)
        .map_err(|e| e.into_bytes().zeroize())
        .ok()
}

/// A JSON value as compact JSON text for C, in a buffer of exactly its size (so that making the
/// `CString` does not move it), with every intermediate buffer wiped.
fn json_text(value: &Value) -> CString {
    let mut text = WipingBuffer(Zeroizing::new(Vec::with_capacity(512)));
    // Serialising a `Value` fails only if memory runs out.
    if serde_json::to_writer(&mut text, value).is_err() {
        return CString::default();
    }
    // JSON text escapes NUL, so there is none inside.
    exact_text(&text.0).unwrap_or_default()
}

impl Drop for jp_response {
    fn drop(&mut self) {
        // The reply can carry credentials (a new key's client_secret, a user token): wipe it.
        if let Some(json) = self.json.take() {
            json.into_bytes().zeroize();
        }
    }
}

/// # Safety
/// `r` is NULL or a live response.
unsafe fn get<'a>(r: *const jp_response) -> Option<&'a jp_response> {
    // SAFETY: NULL or live per the contract.
    unsafe { r.as_ref() }
}

fn borrowed(text: &Option<CString>) -> *const c_char {
    text.as_ref().map_or(ptr::null(), |t| t.as_ptr())
}

/// The operation's result code (`JP_OK` on success). NULL gives `JP_INVALID_ARGUMENT`.
///
/// Thread safety: a response may be read from any thread, by several at once.
///
/// # Safety
/// `r` is NULL or a live response.
#[no_mangle]
pub unsafe extern "C" fn jp_response_code(r: *const jp_response) -> jp_code {
    ffi_boundary!(jp_code::JP_INTERNAL, {
        // SAFETY: r per the contract.
        unsafe { get(r) }.map_or(jp_code::JP_INVALID_ARGUMENT, |r| r.code)
    })
}

/// Whether the operation succeeded. NULL gives false.
///
/// # Safety
/// `r` is NULL or a live response.
#[no_mangle]
pub unsafe extern "C" fn jp_response_ok(r: *const jp_response) -> bool {
    ffi_boundary!(false, {
        // SAFETY: r per the contract.
        unsafe { get(r) }.is_some_and(|r| r.code == jp_code::JP_OK)
    })
}

/// On success: the server's reply, whole, as a JSON text, members in the server's order.
/// `jp_provision`, `jp_cancel`, `jp_partner_key_new` and `jp_status` give the text exactly as the
/// server sent it; the other calls give the same reply written out as compact JSON, as do the replies
/// the library makes itself (`jp_oauth_parse_redirect`). On failure:
/// the server's error body when it was JSON (e.g. `{"error": "invalid_plan", "message": ...}`), else
/// NULL. NULL for a NULL response.
///
/// Ownership: borrowed from the response; valid until `jp_response_free(r)`; never free it. The reply
/// of `jp_partner_key_new` holds the new key's `client_secret`: treat it as a secret.
///
/// # Safety
/// `r` is NULL or a live response.
#[no_mangle]
pub unsafe extern "C" fn jp_response_json(r: *const jp_response) -> *const c_char {
    ffi_boundary!(ptr::null(), {
        // SAFETY: r per the contract.
        unsafe { get(r) }.map_or(ptr::null(), |r| borrowed(&r.json))
    })
}

/// NULL on success; otherwise the stable error code: the server's own (`invalid_plan`,
/// `invalid_blog`...) for `JP_API_ERROR`, else the client's (`invalid_argument`, `transport_error`,
/// `timeout`, `tls_error`, `invalid_response`, `response_too_large`, `outcome_unknown`, `token_error`,
/// `internal`).
///
/// Ownership: borrowed from the response; valid until `jp_response_free(r)`.
///
/// # Safety
/// `r` is NULL or a live response.
#[no_mangle]
pub unsafe extern "C" fn jp_response_error_code(r: *const jp_response) -> *const c_char {
    ffi_boundary!(ptr::null(), {
        // SAFETY: r per the contract.
        unsafe { get(r) }.map_or(ptr::null(), |r| borrowed(&r.error_code))
    })
}

/// NULL on success; otherwise what happened and what to do, for a person (never contains the secret
/// or a token). For `invalid_argument` it starts with the argument's name (`"siteurl: ..."`).
///
/// Ownership: borrowed from the response; valid until `jp_response_free(r)`.
///
/// # Safety
/// `r` is NULL or a live response.
#[no_mangle]
pub unsafe extern "C" fn jp_response_error_message(r: *const jp_response) -> *const c_char {
    ffi_boundary!(ptr::null(), {
        // SAFETY: r per the contract.
        unsafe { get(r) }.map_or(ptr::null(), |r| borrowed(&r.error_message))
    })
}

/// The HTTP status of the reply the outcome comes from; 0 if no HTTP reply was read (argument
/// errors, connection failures, time limits) or for a NULL response.
///
/// # Safety
/// `r` is NULL or a live response.
#[no_mangle]
pub unsafe extern "C" fn jp_response_http_status(r: *const jp_response) -> u16 {
    ffi_boundary!(0, {
        // SAFETY: r per the contract.
        unsafe { get(r) }.map_or(0, |r| r.http_status)
    })
}

/// HTTP attempts made to the operation's endpoint (retries and the repeat after a token refresh
/// included, the token request not counted); 0 when nothing was sent or for a NULL response.
///
/// # Safety
/// `r` is NULL or a live response.
#[no_mangle]
pub unsafe extern "C" fn jp_response_attempts(r: *const jp_response) -> u32 {
    ffi_boundary!(0, {
        // SAFETY: r per the contract.
        unsafe { get(r) }.map_or(0, |r| r.attempts)
    })
}

/// Releases a response and every string borrowed from it. NULL is a no-op.
///
/// Thread safety: only once no other thread reads the response any more.
///
/// # Safety
/// `r` is NULL or a response returned by an operation and not freed before.
#[no_mangle]
pub unsafe extern "C" fn jp_response_free(r: *mut jp_response) {
    ffi_boundary!((), {
        if !r.is_null() {
            // SAFETY: made by Box::into_raw in deliver::respond and not freed before.
            drop(unsafe { Box::from_raw(r) });
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_text_is_compact_json_in_an_exact_buffer() {
        let long = "x".repeat(5000);
        let value = serde_json::json!({"b": 1, "a": ["nul\u{0}inside", long], "c": {"d": null}});
        let text = json_text(&value);
        let back: Value = serde_json::from_slice(text.as_bytes()).unwrap();
        assert_eq!(back, value);
        assert!(text
            .as_bytes()
            .starts_with(br#"{"b":1,"a":["nul\u0000inside","#));
        assert_eq!(json_text(&Value::Null).as_bytes(), b"null");
    }
}

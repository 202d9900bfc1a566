//! Reading C arguments: NULL checks and UTF-8 checks that name the argument.

use std::ffi::{c_char, CStr};

use serde_json::Value;
use zeroize::Zeroize;

use jetpack_partner_core::Error;
use jetpack_partner_core::Options;

/// A required C string argument as `&str`.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string that stays valid for `'a`.
pub(crate) unsafe fn required_str<'a>(ptr: *const c_char, field: &str) -> Result<&'a str, Error> {
    if ptr.is_null() {
        return Err(Error::invalid_argument(field, "must not be NULL"));
    }
    // SAFETY: not NULL, and NUL-terminated and valid per this function's contract.
    let bytes = unsafe { CStr::from_ptr(ptr) };
    bytes
        .to_str()
        .map_err(|_| Error::invalid_argument(field, "is not valid UTF-8"))
}

/// An optional C string argument: NULL gives `None`.
///
/// # Safety
/// As [`required_str`].
pub(crate) unsafe fn optional_str<'a>(
    ptr: *const c_char,
    field: &str,
) -> Result<Option<&'a str>, Error> {
    if ptr.is_null() {
        return Ok(None);
    }
    // SAFETY: forwarded contract.
    unsafe { required_str(ptr, field) }.map(Some)
}

/// The `options_json` argument: NULL (no options) or a JSON object.
///
/// # Safety
/// As [`required_str`].
pub(crate) unsafe fn options(ptr: *const c_char) -> Result<Options, Error> {
    // SAFETY: forwarded contract.
    let Some(text) = (unsafe { optional_str(ptr, "options_json") })? else {
        return Ok(Options::new());
    };
    if text.trim().is_empty() {
        return Ok(Options::new());
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Error::invalid_argument(
            "options_json",
            "must be a JSON object such as {\"force_register\": true}",
        )),
        Err(e) => Err(Error::invalid_argument(
            "options_json",
            format!("is not valid JSON ({e})"),
        )),
    }
}

/// Builds something (a call) from the `options_json` argument, then wipes the parsed options: they
/// may hold backup passwords or keys, and the call keeps its own (wiped) copy.
///
/// # Safety
/// As [`required_str`].
pub(crate) unsafe fn with_options<T>(
    options_json: *const c_char,
    build: impl FnOnce(&Options) -> Result<T, Error>,
) -> Result<T, Error> {
    // SAFETY: forwarded contract.
    let mut parsed = unsafe { options(options_json) }?;
    let built = build(&parsed);
    wipe_options(&mut parsed);
    built
}

/// Overwrites every string of parsed options (they may hold backup passwords or keys).
pub(crate) fn wipe_options(options: &mut Options) {
    fn wipe(value: &mut Value) {
        match value {
            Value::String(s) => s.zeroize(),
            Value::Array(items) => items.iter_mut().for_each(wipe),
            Value::Object(map) => map.values_mut().for_each(wipe),
            _ => {}
        }
    }
    options.values_mut().for_each(wipe);
}

//! Reading C arguments: NULL checks and UTF-8 checks that name the argument, JSON arguments, and
//! the wiping of parsed copies that may hold credentials.

use std::ffi::{c_char, CStr};

use serde_json::{Map, Value};
use zeroize::Zeroize;

use super::client::jp_client;
use jetpack_partner_core::Error;
use jetpack_partner_core::Options;

/// The client behind a `const jp_client *`.
///
/// # Safety
/// `client` is NULL or a live client.
pub(crate) unsafe fn client_ref<'a>(client: *const jp_client) -> Result<&'a jp_client, Error> {
    // SAFETY: NULL or live per the contract.
    unsafe { client.as_ref() }.ok_or_else(|| Error::invalid_argument("client", "must not be NULL"))
}

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
    options.values_mut().for_each(wipe_value);
}

/// Overwrites every string of a JSON value (parsed arguments may hold passwords or tokens).
pub(crate) fn wipe_value(value: &mut Value) {
    match value {
        Value::String(s) => s.zeroize(),
        Value::Array(items) => items.iter_mut().for_each(wipe_value),
        Value::Object(map) => map.values_mut().for_each(wipe_value),
        _ => {}
    }
}

/// Refuses a member of the JSON object `what` that is not in `known`, naming it.
pub(crate) fn refuse_unknown(
    known: &[&str],
    what: &str,
    map: &Map<String, Value>,
) -> Result<(), Error> {
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

/// A string member of a JSON object; absent and `null` give `None`.
pub(crate) fn string_member(map: &Map<String, Value>, name: &str) -> Result<Option<String>, Error> {
    match map.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(Error::invalid_argument(name, "must be a string")),
    }
}

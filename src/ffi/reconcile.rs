//! `jp_reconcile`: the partner's list against WordPress.com, as a JSON report.

use std::ffi::c_char;
use std::path::PathBuf;

use serde_json::Value;
use zeroize::Zeroize;

use super::args::{client_ref, optional_str, required_str};
use super::client::jp_client;
use super::deliver::{c_text, hand_over, panic_reported, Out};
use super::jp_code;
use super::macros::ffi_boundary;
use jetpack_partner_core::batch::reconcile::{ExpectedPlan, ReconcileOptions};
use jetpack_partner_core::Error;

fn expected_list(text: &str) -> Result<Vec<ExpectedPlan>, Error> {
    let field = "expected_json";
    let Ok(Value::Array(lines)) = serde_json::from_str::<Value>(text) else {
        return Err(Error::invalid_argument(
            field,
            "must be a JSON array of {\"site\", \"plan\", \"key\"?, \"local_user\"?}",
        ));
    };
    lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let text = |name: &str, required: bool| match line.get(name) {
                Some(Value::String(s)) => Ok(Some(s.clone())),
                None | Some(Value::Null) if !required => Ok(None),
                _ => Err(Error::invalid_argument(
                    &format!("expected[{i}].{name}"),
                    if required {
                        "must be a string"
                    } else {
                        "must be a string or null"
                    },
                )),
            };
            Ok(ExpectedPlan {
                site: text("site", true)?.unwrap_or_default(),
                plan: text("plan", true)?.unwrap_or_default(),
                key: text("key", false)?,
                local_user: text("local_user", false)?,
            })
        })
        .collect()
}

fn reconcile_options(text: Option<&str>) -> Result<ReconcileOptions, Error> {
    let mut options = ReconcileOptions::default();
    let Some(text) = text.filter(|t| !t.trim().is_empty()) else {
        return Ok(options);
    };
    let Ok(Value::Object(mut map)) = serde_json::from_str::<Value>(text) else {
        return Err(Error::invalid_argument(
            "options_json",
            "must be a JSON object",
        ));
    };
    let result = (|| {
        for (name, value) in &map {
            let bad = |what: &str| Error::invalid_argument(name, what.to_string());
            match (name.as_str(), value) {
                (_, Value::Null) => {}
                ("concurrency", Value::Number(n)) => {
                    options.concurrency = n
                        .as_u64()
                        .and_then(|n| usize::try_from(n).ok())
                        .ok_or_else(|| bad("must be 1 to 64"))?
                }
                ("user_token", Value::String(s)) => options.user_token = Some(s.clone()),
                ("fix", Value::Bool(b)) => options.fix = *b,
                ("journal", Value::String(s)) => options.journal = Some(PathBuf::from(s)),
                ("local_user", Value::String(s)) => options.local_user = s.clone(),
                ("concurrency" | "user_token" | "fix" | "journal" | "local_user", _) => {
                    return Err(bad("has the wrong type"))
                }
                _ => {
                    return Err(bad(
                        "unknown option (concurrency, user_token, fix, journal, local_user)",
                    ))
                }
            }
        }
        Ok(())
    })();
    // The user token is a credential: the parsed copy is wiped.
    if let Some(Value::String(token)) = map.get_mut("user_token") {
        token.zeroize();
    }
    result.map(|()| options)
}

/// Compares the partner's list with WordPress.com and, with `"fix": true`, provisions and cancels to
/// match (cancels first, then provisions, each a journaled batch).
///
/// `expected_json`: a JSON array of `{"site", "plan", "key"?, "local_user"?}`. `options_json`: NULL
/// or `{"concurrency": 1-64, "user_token": "...", "fix": bool, "journal": "path", "local_user": "admin"}`;
/// with `user_token` (the partner's WordPress.com user), the activations report is read too: it adds
/// the sites the list does not name and tells cancelled plans from missing ones.
///
/// On `JP_OK`, `*out` receives the report, owned by the caller (release it with `jp_string_free`):
/// `{"differences": [{kind, site, expected_plan, actual_plan, key, fix?, fixed?}], "errors": [{site, error}],
/// "counts": {sites, matching, unbilled, missing, pending, plan_differs, cancelled, fixed, errors, unresolved}}`.
/// On failure `*out` is NULL and `jp_last_error_message()` tells why (`JP_INVALID_ARGUMENT` for a bad
/// list or option, naming it; the report call's error).
///
/// Thread safety: any thread; blocks until every status (and fix) is done.
///
/// # Safety
/// `client` is NULL or a live client; each string is NULL or NUL-terminated; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn jp_reconcile(
    client: *const jp_client,
    expected_json: *const c_char,
    options_json: *const c_char,
    out: *mut *mut c_char,
) -> jp_code {
    // SAFETY: out is NULL or writable per the contract.
    let out = unsafe { Out::new(out) };
    ffi_boundary!(panic_reported(), {
        hand_over(out, || {
            // SAFETY (all): arguments per the contract.
            let client = unsafe { client_ref(client) }?;
            let expected = expected_list(unsafe { required_str(expected_json, "expected_json") }?)?;
            let options =
                reconcile_options(unsafe { optional_str(options_json, "options_json") }?)?;
            let report = client.client.reconcile(expected, &options)?;
            Ok(c_text(&report.to_json().to_string()))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_options_are_checked_by_name() {
        let list =
            expected_list(r#"[{"site": "https://a.example/", "plan": "premium", "key": "o-1"}]"#)
                .unwrap();
        assert_eq!(list[0].key.as_deref(), Some("o-1"));
        let err = expected_list(r#"[{"site": 1, "plan": "premium"}]"#).unwrap_err();
        assert_eq!(err.message(), "expected[0].site: must be a string");
        assert!(expected_list("{}").is_err());
        let options = reconcile_options(Some(r#"{"concurrency": 4, "fix": true}"#)).unwrap();
        assert_eq!((options.concurrency, options.fix), (4, true));
        let err = reconcile_options(Some(r#"{"colour": 1}"#)).unwrap_err();
        assert!(err.message().starts_with("colour: unknown option"));
    }
}

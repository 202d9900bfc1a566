//! Turning an HTTP reply into the caller's result: the server's JSON passed through whole on success,
//! its error code passed through unchanged on failure, and a short, safe excerpt of anything that is
//! not JSON.

use serde_json::Value;
use zeroize::Zeroizing;

use super::exchange::HttpReply;
use super::retry::Idempotence;
use crate::error::{Error, ErrorKind};

/// The sentence added to every failure after which a state-changing request may have been processed.
pub(crate) const CHECK_STATUS: &str =
    "The request may have been processed: check the site's status before trying again.";

/// Longest excerpt of a non-JSON body put in a message, in characters.
const EXCERPT_CHARS: usize = 200;

/// Parses a body as JSON (any value); `None` when it is not JSON.
pub(crate) fn parse_json(body: &[u8]) -> Option<Value> {
    serde_json::from_slice(body).ok()
}

/// A short, printable excerpt of a body: tags of an HTML page removed, whitespace collapsed, control
/// characters dropped, at most 200 characters.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out = String::new();
    let mut in_tag = false;
    let mut last_space = true;
    for c in text.chars() {
        match c {
            '<' => {
                in_tag = true;
                continue;
            }
            '>' if in_tag => {
                in_tag = false;
                if !last_space {
                    out.push(' ');
                    last_space = true;
                }
                continue;
            }
            _ if in_tag => continue,
            c if c.is_whitespace() || c.is_control() => {
                if !last_space {
                    out.push(' ');
                    last_space = true;
                }
            }
            c => {
                out.push(c);
                last_space = false;
            }
        }
        if out.chars().count() > EXCERPT_CHARS {
            break;
        }
    }
    let trimmed = out.trim();
    if trimmed.chars().count() > EXCERPT_CHARS {
        let cut: String = trimmed.chars().take(EXCERPT_CHARS).collect();
        format!("{cut}...")
    } else if trimmed.is_empty() {
        "(empty body)".to_string()
    } else {
        trimmed.to_string()
    }
}

/// The `error` (or `code`) and `message` (or `error_description`) members of a JSON error body.
pub(crate) fn error_fields(body: &Value) -> Option<(String, String)> {
    let obj = body.as_object()?;
    let code = obj
        .get("error")
        .and_then(Value::as_str)
        .or_else(|| obj.get("code").and_then(Value::as_str))?
        .trim();
    if code.is_empty() {
        return None;
    }
    let message = obj
        .get("message")
        .and_then(Value::as_str)
        .or_else(|| obj.get("error_description").and_then(Value::as_str))
        .unwrap_or("")
        .trim();
    Some((code.to_string(), message.to_string()))
}

/// Whether a reply says the bearer token was refused (401/403 with an `invalid_token` error).
pub(crate) fn is_token_refusal(reply: &HttpReply) -> bool {
    if reply.status != 401 && reply.status != 403 {
        return false;
    }
    parse_json(&reply.body)
        .as_ref()
        .and_then(error_fields)
        .is_some_and(|(code, _)| code == "invalid_token")
}

/// The content of an `http_envelope` reply (PROTOCOL.md §7).
pub(crate) struct Envelope {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Value,
}

/// Unwraps a `{"code": status, "headers": [{"name", "value"}...], "body": payload}` reply of a
/// request sent with `http_envelope=1`; `None` when the value is not such an envelope.
pub(crate) fn unwrap_envelope(value: &Value) -> Option<Envelope> {
    let obj = value.as_object()?;
    let status = u16::try_from(obj.get("code")?.as_u64()?)
        .ok()
        .filter(|s| (100..=599).contains(s))?;
    let headers = obj
        .get("headers")?
        .as_array()?
        .iter()
        .filter_map(|h| {
            Some((
                h.get("name")?.as_str()?.to_string(),
                h.get("value")?.as_str()?.to_string(),
            ))
        })
        .collect();
    Some(Envelope {
        status,
        headers,
        body: obj.get("body")?.clone(),
    })
}

/// The reply inside an envelope: real status, `Retry-After`, `Location` and body. A reply that is not
/// an envelope (a proxy's own page, a fault) is returned unchanged.
pub(crate) fn unwrap_enveloped_reply(reply: HttpReply) -> HttpReply {
    if reply.status != 200 {
        return reply;
    }
    let Some(Envelope {
        status,
        headers,
        body,
    }) = parse_json(&reply.body).as_ref().and_then(unwrap_envelope)
    else {
        return reply;
    };
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_string())
    };
    let retry_after_raw = header("retry-after");
    HttpReply {
        status,
        has_retry_after: retry_after_raw.is_some(),
        retry_after: retry_after_raw
            .as_deref()
            .and_then(|v| v.parse::<u64>().ok())
            .map(std::time::Duration::from_secs),
        location: header("location"),
        body: Zeroizing::new(serde_json::to_vec(&body).unwrap_or_default()),
    }
}

/// The outcome of an operation's final reply: the JSON on success, else the error to report.
/// [`interpret`] without building the reply's value: a success is a 2xx reply whose body is JSON
/// (checked, not parsed into a tree); every other reply is the error `interpret` makes of it.
pub(crate) fn check_reply(reply: &HttpReply, idempotence: Idempotence) -> Result<(), Error> {
    if (200..300).contains(&reply.status) && is_json(&reply.body) {
        return Ok(());
    }
    interpret(reply, idempotence).map(drop)
}

/// Whether `body` is one JSON text in UTF-8 (what [`parse_json`] accepts), without building it.
fn is_json(body: &[u8]) -> bool {
    std::str::from_utf8(body).is_ok()
        && serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok()
}

pub(crate) fn interpret(reply: &HttpReply, idempotence: Idempotence) -> Result<Value, Error> {
    interpret_status(reply, idempotence).map_err(|e| match reply.retry_after {
        Some(pause) if matches!(reply.status, 429 | 503) => e.with_retry_after(pause),
        _ => e,
    })
}

fn interpret_status(reply: &HttpReply, idempotence: Idempotence) -> Result<Value, Error> {
    let status = reply.status;
    let json = parse_json(&reply.body);
    let hint = |message: String| match idempotence {
        Idempotence::Unsafe => format!("{message}. {CHECK_STATUS}"),
        Idempotence::Safe => message,
    };
    if (200..300).contains(&status) {
        return match json {
            Some(value) => Ok(value),
            None => Err(Error::new(
                ErrorKind::InvalidResponse,
                hint(format!(
                    "the server replied HTTP {status} with a body that is not valid JSON: {}",
                    excerpt(&reply.body)
                )),
            )
            .with_http_status(status)),
        };
    }
    if (300..400).contains(&status) {
        let target = reply.location.as_deref().unwrap_or("(no Location)");
        return Err(Error::new(
            ErrorKind::InvalidResponse,
            format!(
                "the server replied HTTP {status}, a redirect to {}; redirects are not followed: check api_base",
                excerpt(target.as_bytes())
            ),
        )
        .with_http_status(status));
    }
    let fields = json.as_ref().and_then(error_fields);
    let server_said_not_processed = status == 429 || (status == 503 && reply.has_retry_after);
    if idempotence == Idempotence::Unsafe && status >= 500 && !server_said_not_processed {
        let what = match &fields {
            Some((code, message)) if message.is_empty() => code.clone(),
            Some((code, message)) => format!("{code}: {message}"),
            None => excerpt(&reply.body),
        };
        return Err(Error::new(
            ErrorKind::OutcomeUnknown,
            format!("the server replied HTTP {status} ({what}). {CHECK_STATUS}"),
        )
        .with_http_status(status)
        .with_body(json));
    }
    match fields {
        Some((code, message)) => {
            let message = if message.is_empty() {
                format!("the server refused the request with {code}")
            } else {
                message
            };
            Err(Error::api(code, message, status).with_body(json))
        }
        None => Err(Error::new(
            ErrorKind::InvalidResponse,
            format!(
                "the server replied HTTP {status} without a JSON error: {}",
                excerpt(&reply.body)
            ),
        )
        .with_http_status(status)
        .with_body(json)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, body: &str) -> HttpReply {
        HttpReply {
            status,
            has_retry_after: false,
            retry_after: None,
            location: None,
            body: Zeroizing::new(body.as_bytes().to_vec()),
        }
    }

    #[test]
    fn success_passes_the_whole_reply_through_in_order() {
        let body =
            r#"{"success":true,"zeta":1,"auth_required":false,"next_url":"x","extra":{"a":[1,2]}}"#;
        let value = interpret(&reply(200, body), Idempotence::Unsafe).unwrap();
        assert_eq!(serde_json::to_string(&value).unwrap(), body);
    }

    #[test]
    fn server_errors_pass_through_unchanged() {
        let e = interpret(
            &reply(
                400,
                r#"{"error":"invalid_plan","message":"nope is not a valid plan"}"#,
            ),
            Idempotence::Unsafe,
        )
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Api);
        assert_eq!(e.code(), "invalid_plan");
        assert_eq!(e.message(), "nope is not a valid plan");
        assert_eq!(e.http_status(), Some(400));
        assert_eq!(e.body().unwrap()["error"], "invalid_plan");

        let e = interpret(
            &reply(403, r#"{"error":"invalid_blog"}"#),
            Idempotence::Safe,
        )
        .unwrap_err();
        assert_eq!(e.code(), "invalid_blog");
        assert!(e.message().contains("invalid_blog"));
    }

    #[test]
    fn non_json_replies_give_invalid_response_with_an_excerpt() {
        let html = "<html><head><title>502 Bad Gateway</title></head><body><h1>Bad\n\nGateway</h1></body></html>";
        let e = interpret(&reply(502, html), Idempotence::Safe).unwrap_err();
        assert_eq!(e.code(), "invalid_response");
        assert_eq!(e.http_status(), Some(502));
        assert!(
            e.message().contains("502 Bad Gateway Bad Gateway"),
            "{}",
            e.message()
        );
        assert!(!e.message().contains('<'));

        let e = interpret(&reply(200, "{\"success\": tr"), Idempotence::Unsafe).unwrap_err();
        assert_eq!(e.code(), "invalid_response");
        assert!(e.message().contains("check the site's status"));

        let e = interpret(&reply(404, "Not found"), Idempotence::Safe).unwrap_err();
        assert_eq!(e.code(), "invalid_response");
        assert_eq!(e.http_status(), Some(404));
    }

    #[test]
    fn unsafe_server_failures_are_outcome_unknown() {
        for status in [500, 502, 503, 504] {
            let e = interpret(
                &reply(status, r#"{"error":"boom","message":"x"}"#),
                Idempotence::Unsafe,
            )
            .unwrap_err();
            assert_eq!(e.code(), "outcome_unknown", "{status}");
            assert_eq!(e.http_status(), Some(status));
            assert!(e.message().contains("check the site's status"));
        }
        let mut r = reply(503, r#"{"error":"busy","message":"later"}"#);
        r.has_retry_after = true;
        assert_eq!(
            interpret(&r, Idempotence::Unsafe).unwrap_err().code(),
            "busy"
        );
        let e =
            interpret(&reply(429, r#"{"error":"slow_down"}"#), Idempotence::Unsafe).unwrap_err();
        assert_eq!(e.code(), "slow_down");
    }

    #[test]
    fn redirects_are_reported_not_followed() {
        let mut r = reply(301, "");
        r.location = Some("https://elsewhere.example/".into());
        let e = interpret(&r, Idempotence::Safe).unwrap_err();
        assert_eq!(e.code(), "invalid_response");
        assert!(e.message().contains("elsewhere.example"));
    }

    #[test]
    fn token_refusals_are_recognised() {
        assert!(is_token_refusal(&reply(
            403,
            r#"{"error":"invalid_token","message":"x"}"#
        )));
        assert!(is_token_refusal(&reply(
            401,
            r#"{"error":"invalid_token"}"#
        )));
        assert!(!is_token_refusal(&reply(
            403,
            r#"{"error":"invalid_scope"}"#
        )));
        assert!(!is_token_refusal(&reply(
            400,
            r#"{"error":"invalid_token"}"#
        )));
        assert!(!is_token_refusal(&reply(403, "<html>")));
    }

    #[test]
    fn envelopes_unwrap() {
        let wrapped = r#"{"code":503,"headers":[{"name":"Content-Type","value":"application/json"},{"name":"Retry-After","value":"2"}],"body":{"error":"busy","message":"later"}}"#;
        let inner = unwrap_enveloped_reply(reply(200, wrapped));
        assert_eq!(inner.status, 503);
        assert!(inner.has_retry_after);
        assert_eq!(inner.retry_after, Some(std::time::Duration::from_secs(2)));
        assert_eq!(parse_json(&inner.body).unwrap()["error"], "busy");
        // Not an envelope, or not a 200: unchanged.
        for (status, body) in [
            (200, r#"{"success":true}"#),
            (200, r#"{"code":99999,"headers":[],"body":1}"#),
            (200, r#"{"code":"x","headers":[],"body":1}"#),
            (200, "<html>"),
            (502, r#"{"code":200,"headers":[],"body":{}}"#),
        ] {
            let out = unwrap_enveloped_reply(reply(status, body));
            assert_eq!(out.status, status);
            assert_eq!(&out.body[..], body.as_bytes());
        }
    }

    #[test]
    fn excerpts_are_short_and_printable() {
        let long = "x".repeat(10_000);
        let ex = excerpt(long.as_bytes());
        assert!(ex.chars().count() <= 203);
        assert!(ex.ends_with("..."));
        assert_eq!(excerpt(b""), "(empty body)");
        assert_eq!(excerpt(b"a\x00\x01b\r\nc"), "a b c");
        assert_eq!(excerpt(&[0xff, 0xfe, b'o', b'k']), "\u{fffd}\u{fffd}ok");
    }
}

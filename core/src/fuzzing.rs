//! Thin entry points into the internal parsers and checks, for the fuzz targets in `fuzz/` and the
//! corpus replay test (`tests/fuzz_corpus.rs`). Not part of the supported API: names and signatures
//! may change in any release.
//!
//! Each wrapper takes plain bytes or strings (what an attacker or a broken server controls) and
//! returns a plain result, so a fuzz target needs nothing else from the crate. None of them makes a
//! network request.

use std::time::Duration;

use serde_json::Value;
use zeroize::Zeroizing;

use crate::api::Options;
use crate::error::{Error, ErrorKind};
use crate::http::exchange::HttpReply;
use crate::http::retry::{delay_before_retry, Backoff, Idempotence};

/// An HTTP reply as the transport would hand it to the parsers.
#[derive(Clone, Debug, Default)]
pub struct RawReply {
    /// HTTP status.
    pub status: u16,
    /// Whether a `Retry-After` header was present.
    pub has_retry_after: bool,
    /// The `Retry-After` delay in seconds, when it was a number.
    pub retry_after_secs: Option<u64>,
    /// The `Location` header.
    pub location: Option<String>,
    /// The body, as read.
    pub body: Vec<u8>,
}

impl RawReply {
    fn to_http(&self) -> HttpReply {
        HttpReply {
            status: self.status,
            has_retry_after: self.has_retry_after,
            retry_after: self.retry_after_secs.map(Duration::from_secs),
            location: self.location.clone(),
            body: Zeroizing::new(self.body.clone()),
        }
    }
}

/// Reads the partner token out of a token endpoint reply. On success returns the token's length
/// (the token itself stays inside the library).
pub fn parse_token_reply(reply: &RawReply) -> Result<usize, Error> {
    crate::token::grant::parse_token_reply(&reply.to_http()).map(|t| t.expose().len())
}

/// The caller's outcome of an operation's final reply. `state_changing` is true for POST calls
/// (provision, cancel, partner keys), false for GET calls.
pub fn interpret_reply(reply: &RawReply, state_changing: bool) -> Result<Value, Error> {
    crate::http::interpret::interpret(&reply.to_http(), idempotence(state_changing))
}

/// The reply inside an `http_envelope` reply (real status, `Retry-After`, `Location`, body); a
/// reply that is not an envelope is returned unchanged.
pub fn unwrap_enveloped_reply(reply: &RawReply) -> RawReply {
    let inner = crate::http::interpret::unwrap_enveloped_reply(reply.to_http());
    RawReply {
        status: inner.status,
        has_retry_after: inner.has_retry_after,
        retry_after_secs: inner.retry_after.map(|d| d.as_secs()),
        location: inner.location,
        body: inner.body.to_vec(),
    }
}

/// Whether a reply says the bearer token was refused (and one fresh token should be fetched).
pub fn is_token_refusal(reply: &RawReply) -> bool {
    crate::http::interpret::is_token_refusal(&reply.to_http())
}

/// The `(code, message)` of a JSON error body, `None` when the body is not such an object.
pub fn error_fields(body: &[u8]) -> Option<(String, String)> {
    crate::http::interpret::parse_json(body)
        .as_ref()
        .and_then(crate::http::interpret::error_fields)
}

/// The short, printable excerpt of a body put in error messages.
pub fn excerpt(body: &[u8]) -> String {
    crate::http::interpret::excerpt(body)
}

/// The pause before retrying after `reply`, or `None` when the reply is final. Uses the default
/// backoff settings.
pub fn retry_delay(reply: &RawReply, state_changing: bool, retry_number: u32) -> Option<Duration> {
    delay_before_retry(
        idempotence(state_changing),
        &Ok(reply.to_http()),
        retry_number,
        &Backoff::default(),
    )
}

/// The longest pause [`retry_delay`] may return with the default backoff settings.
pub fn max_retry_delay() -> Duration {
    let b = Backoff::default();
    b.max.max(b.retry_after_max)
}

fn idempotence(state_changing: bool) -> Idempotence {
    if state_changing {
        Idempotence::Unsafe
    } else {
        Idempotence::Safe
    }
}

/// The `::` site identifier of a site URL, identifier or blog ID (same as [`crate::site_identifier`]).
pub fn site_identifier(site: &str) -> Result<String, Error> {
    crate::site::site_identifier(site)
}

/// A site identifier percent-encoded as one path segment.
pub fn encode_path_segment(identifier: &str) -> String {
    crate::site::encode_path_segment(identifier)
}

/// The absolute-URL check (license attach, site connection): the URL that would be sent, with an
/// ASCII host.
pub fn check_siteurl(siteurl: &str) -> Result<String, Error> {
    crate::validate::check_siteurl("siteurl", siteurl)
}

/// The `siteurl` check of provision: an absolute URL as [`check_siteurl`], or a scheme-less one,
/// sent without a scheme.
pub fn check_provision_siteurl(siteurl: &str) -> Result<String, Error> {
    crate::validate::check_provision_siteurl("siteurl", siteurl)
}

/// The `api_base` check of the client configuration: the base URL without a trailing `/`.
pub fn check_api_base(api_base: &str) -> Result<String, Error> {
    crate::client::check_api_base(api_base)
}

/// A host name in ASCII form (lower case, Punycode labels).
pub fn normalize_host(host: &str) -> Result<String, Error> {
    crate::validate::normalize_host("host", host)
}

/// The plan slug check.
pub fn check_plan(plan: &str) -> Result<(), Error> {
    crate::validate::check_plan("plan", plan)
}

/// The `local_user` check of provision.
pub fn check_local_user(local_user: &str) -> Result<(), Error> {
    crate::validate::check_local_user(local_user)
}

/// One operation whose options can be checked and encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// `provision`.
    Provision,
    /// `cancel`.
    Cancel,
    /// `partner_key_new`.
    PartnerKeyNew,
}

/// Checks `options` for `operation` and returns the encoded form body and query, as they would be
/// sent (after the operation's own fields).
pub fn encode_options(operation: Operation, options: &Options) -> Result<(String, String), Error> {
    let (name, specs) = match operation {
        Operation::Provision => ("provision", crate::api::operations::provision::SPECS),
        Operation::Cancel => ("cancel", crate::api::operations::cancel::SPECS),
        Operation::PartnerKeyNew => (
            "partner_key_new",
            crate::api::operations::partner_key_new::SPECS,
        ),
    };
    let mut form = Zeroizing::new(String::new());
    let mut query = String::new();
    crate::api::options::encode(name, specs, options, &mut form, &mut query)?;
    Ok((form.to_string(), query))
}

/// A fuzz target: a property check of raw bytes that panics on a violation.
pub type Target = fn(&[u8]);

/// The fuzz targets, by name: each is a function of raw bytes that panics when a property of the
/// parsers does not hold. `fuzz/fuzz_targets/*.rs` run them under libFuzzer, and
/// `tests/fuzz_corpus.rs` replays the committed corpus through them.
pub const TARGETS: &[(&str, Target)] = &[
    ("token_reply", target_token_reply),
    ("reply", target_reply),
    ("envelope", target_envelope),
    ("error_reply", target_error_reply),
    ("site_identifier", target_site_identifier),
    ("url_checks", target_url_checks),
    ("options", target_options),
];

/// Runs the fuzz target `name` on `data`; `false` when there is no such target.
pub fn run_target(name: &str, data: &[u8]) -> bool {
    match TARGETS.iter().find(|(n, _)| *n == name) {
        Some((_, f)) => {
            f(data);
            true
        }
        None => false,
    }
}

/// Statuses the parsers treat specially, picked often by [`raw_reply_from`].
const INTERESTING_STATUSES: &[u16] = &[
    200, 201, 204, 299, 300, 301, 302, 304, 307, 400, 401, 403, 404, 409, 413, 429, 499, 500, 502,
    503, 504, 599,
];

/// Splits fuzz input into a reply: 2 bytes of status, 1 byte of flags, 1 byte of `Retry-After`,
/// then the body (the first line of which is the `Location` when that flag is set). Returns the reply
/// and whether the call changes state.
pub fn raw_reply_from(data: &[u8]) -> (RawReply, bool) {
    let byte = |i: usize| data.get(i).copied().unwrap_or(0);
    let status = if byte(0) < 160 {
        INTERESTING_STATUSES[byte(1) as usize % INTERESTING_STATUSES.len()]
    } else {
        100 + u16::from_le_bytes([byte(0), byte(1)]) % 500
    };
    let flags = byte(2);
    let retry_after = byte(3);
    let mut body = data.get(4..).unwrap_or(&[]).to_vec();
    let location = if flags & 4 != 0 {
        let end = body.iter().position(|&b| b == b'\n').unwrap_or(body.len());
        let loc = String::from_utf8_lossy(&body[..end]).into_owned();
        body.drain(..(end + 1).min(body.len()));
        Some(loc)
    } else {
        None
    };
    let reply = RawReply {
        status,
        has_retry_after: flags & 1 != 0,
        retry_after_secs: (flags & 3 == 3).then_some(u64::from(retry_after) * 60),
        location,
        body,
    };
    (reply, flags & 8 != 0)
}

fn assert_printable_message(e: &Error, limit: usize) {
    let m = e.message();
    assert!(
        !m.chars().any(char::is_control),
        "control character in {:?}",
        m
    );
    assert!(m.len() <= limit, "message of {} bytes: {:?}", m.len(), m);
}

fn target_token_reply(data: &[u8]) {
    let (reply, _) = raw_reply_from(data);
    match parse_token_reply(&reply) {
        Ok(len) => {
            assert!((200..300).contains(&reply.status));
            assert!(len > 0);
        }
        Err(e) => {
            assert!(
                e.code() == "invalid_response" || e.code() == "token_error",
                "{}",
                e.code()
            );
            assert_eq!(e.http_status(), Some(reply.status));
            if (200..300).contains(&reply.status) {
                assert_eq!(e.code(), "invalid_response");
            }
            if error_fields(&reply.body).is_none() {
                // Only the excerpt of the body is shown.
                assert_printable_message(&e, 1200);
            }
        }
    }
}

fn target_reply(data: &[u8]) {
    let (reply, state_changing) = raw_reply_from(data);
    check_reply(&reply, state_changing, data.len());
}

/// Fuzz input as the body of a 200 reply (the form of every `http_envelope` reply), with the flags
/// of [`raw_reply_from`]; the unwrapped reply must then satisfy the same properties as any reply.
fn target_envelope(data: &[u8]) {
    let (mut reply, state_changing) = raw_reply_from(data);
    reply.status = 200;
    let inner = unwrap_enveloped_reply(&reply);
    let envelope = crate::http::interpret::parse_json(&reply.body)
        .as_ref()
        .and_then(crate::http::interpret::unwrap_envelope);
    match envelope {
        None => {
            assert_eq!(inner.status, reply.status);
            assert_eq!(inner.body, reply.body);
            assert_eq!(inner.has_retry_after, reply.has_retry_after);
        }
        Some(env) => {
            assert!((100..=599).contains(&inner.status));
            assert_eq!(inner.status, env.status);
            let body: Value = serde_json::from_slice(&inner.body).expect("the inner body is JSON");
            // serde_json's `float_roundtrip` reads back exactly the number it wrote.
            assert_eq!(body, env.body);
        }
    }
    check_reply(&inner, state_changing, data.len());
}

fn check_reply(reply: &RawReply, state_changing: bool, salt: usize) {
    let outcome = interpret_reply(reply, state_changing);
    let is_json = crate::http::interpret::parse_json(&reply.body).is_some();
    match &outcome {
        Ok(_) => assert!((200..300).contains(&reply.status) && is_json),
        Err(e) => {
            assert_eq!(e.http_status(), Some(reply.status));
            assert_ne!(e.code(), "");
            if (200..400).contains(&reply.status) {
                assert_eq!(e.kind(), ErrorKind::InvalidResponse);
            }
            // The client's own codes come with their own kind; a server may send any code, even
            // one spelled like the client's (`{"error": "timeout"}`), but then the kind is Api.
            if e.kind() == ErrorKind::Api {
                // 4xx and 5xx, and the informational 1xx an envelope can claim.
                assert!(!(200..400).contains(&reply.status));
                let (code, _) = error_fields(&reply.body).expect("an API error has a JSON error");
                assert_eq!(e.code(), code);
            } else {
                assert_eq!(e.code(), e.kind().code());
            }
            if e.kind() == ErrorKind::InvalidResponse {
                assert_printable_message(e, 1200);
            }
            if e.kind() == ErrorKind::OutcomeUnknown {
                assert!(state_changing && reply.status >= 500);
                assert!(e.message().contains("check the site's status"));
            }
        }
    }
    if let Some(delay) = retry_delay(reply, state_changing, 1 + (salt % 12) as u32) {
        assert!(delay <= max_retry_delay(), "{delay:?}");
        assert!(matches!(reply.status, 429 | 502 | 503 | 504));
        if state_changing {
            assert!(reply.status == 429 || (reply.status == 503 && reply.has_retry_after));
        }
    }
    if is_token_refusal(reply) {
        assert!(reply.status == 401 || reply.status == 403);
        let (code, _) = error_fields(&reply.body).expect("a refusal is a JSON error");
        assert_eq!(code, "invalid_token");
    }
}

fn target_error_reply(data: &[u8]) {
    let fields = error_fields(data);
    if let Some((code, message)) = &fields {
        assert!(!code.is_empty());
        assert_eq!(code.trim(), code);
        assert_eq!(message.trim(), message);
    }
    let ex = excerpt(data);
    assert!(!ex.is_empty());
    assert!(!ex.chars().any(char::is_control), "{ex:?}");
    assert!(!ex.contains('<'), "{ex:?}");
    assert!(ex.chars().count() <= 203, "{ex:?}");
    for status in [400u16, 403, 500] {
        let reply = RawReply {
            status,
            body: data.to_vec(),
            ..RawReply::default()
        };
        let e = interpret_reply(&reply, false).expect_err("an error status");
        match &fields {
            Some((code, _)) => assert_eq!(e.code(), code),
            None => {
                assert_eq!(e.code(), "invalid_response");
                assert_printable_message(&e, 1200);
            }
        }
    }
}

/// Characters an encoded path segment may contain.
fn is_segment_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~' | ':' | '%')
}

fn target_site_identifier(data: &[u8]) {
    let Ok(site) = std::str::from_utf8(data) else {
        return;
    };
    match site_identifier(site) {
        Ok(id) => {
            assert!(!id.is_empty());
            assert!(!id.chars().any(|c| c.is_whitespace() || c.is_control()));
            assert!(!id.contains(['/', '?', '#']), "{id:?}");
            let segment = encode_path_segment(&id);
            assert!(segment.chars().all(is_segment_char), "{segment:?}");
            // Known exceptions, not re-accepted as identifiers: a path with '@' or '\\', and an
            // IPv6 literal host ("[::1]:8443::wp" splits at the "::" inside the brackets).
            // An all-digit host gives an all-digit identifier, read back as a blog ID.
            if !id.contains(['@', '\\'])
                && !id.starts_with('[')
                && !id.bytes().all(|b| b.is_ascii_digit())
                && id.len() <= crate::validate::MAX_URL_BYTES
            {
                assert_eq!(site_identifier(&id).as_deref(), Ok(id.as_str()), "{site:?}");
            }
        }
        Err(e) => {
            assert_eq!(e.code(), "invalid_argument");
            assert!(e.message().starts_with("site: "), "{}", e.message());
        }
    }
}

fn target_url_checks(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match check_siteurl(text) {
        Ok(url) => {
            assert!(url.starts_with("http://") || url.starts_with("https://"));
            assert!(!url.chars().any(|c| c.is_whitespace() || c.is_control()));
            assert!(!url.contains('#'));
            let after = &url[url.find("://").unwrap() + 3..];
            let authority = &after[..after.find(['/', '?']).unwrap_or(after.len())];
            assert!(authority.is_ascii(), "{url:?}");
            assert!(!authority.contains('@') && !authority.is_empty(), "{url:?}");
            if url.len() <= crate::validate::MAX_URL_BYTES {
                assert_eq!(check_siteurl(&url).as_deref(), Ok(url.as_str()), "{text:?}");
            }
        }
        Err(e) => {
            assert_eq!(e.code(), "invalid_argument");
            assert!(e.message().starts_with("siteurl: "), "{}", e.message());
        }
    }
    match check_provision_siteurl(text) {
        Ok(sent) => {
            assert!(!sent.chars().any(|c| c.is_whitespace() || c.is_control()));
            assert!(!sent.contains('#'), "{sent:?}");
            if text.contains("://") {
                assert_eq!(check_siteurl(text).as_deref(), Ok(sent.as_str()));
            } else {
                let authority = &sent[..sent.find(['/', '?']).unwrap_or(sent.len())];
                assert!(authority.is_ascii() && !authority.contains('@'), "{sent:?}");
                assert!(
                    authority.contains('.') || authority.starts_with('['),
                    "{sent:?}"
                );
            }
            if sent.len() + "http://".len() <= crate::validate::MAX_URL_BYTES {
                assert_eq!(
                    check_provision_siteurl(&sent).as_deref(),
                    Ok(sent.as_str()),
                    "{text:?}"
                );
            }
        }
        Err(e) => {
            assert_eq!(e.code(), "invalid_argument");
            assert!(e.message().starts_with("siteurl: "), "{}", e.message());
        }
    }
    if let Ok(base) = check_api_base(text) {
        assert!(!base.ends_with('/'));
        assert!(!base.contains(['?', '#']), "{base:?}");
        let after = &base[base.find("://").map_or(0, |i| i + 3)..];
        let authority = &after[..after.find('/').unwrap_or(after.len())];
        assert!(
            !authority.contains('@') && !authority.is_empty() && authority.is_ascii(),
            "{base:?}"
        );
        if base.len() <= crate::validate::MAX_URL_BYTES {
            assert_eq!(check_api_base(&base).as_deref(), Ok(base.as_str()));
        }
        if let Some(rest) = base.strip_prefix("http://") {
            let host_end = if rest.starts_with('[') {
                rest.find(']').map(|i| i + 1).unwrap_or(rest.len())
            } else {
                rest.find([':', '/']).unwrap_or(rest.len())
            };
            let host = &rest[..host_end];
            let loopback = host == "localhost"
                || host
                    .parse::<std::net::Ipv4Addr>()
                    .is_ok_and(|ip| ip.is_loopback())
                || host
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<std::net::Ipv6Addr>()
                    .is_ok_and(|ip| ip.is_loopback());
            assert!(loopback, "plain http to a non-loopback host: {base:?}");
        } else {
            assert!(base.starts_with("https://"), "{base:?}");
        }
    }
    if let Ok(host) = normalize_host(text) {
        assert!(host.is_ascii(), "{host:?}");
        assert!(host.len() <= 253 || host.starts_with('['));
        assert_eq!(normalize_host(&host).as_deref(), Ok(host.as_str()));
    }
    if check_plan(text).is_ok() {
        assert!(
            text.len() <= 64
                && text
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        );
    }
    if check_local_user(text).is_ok() {
        assert!(!text.trim().is_empty() && !text.chars().any(char::is_control));
    }
}

fn target_options(data: &[u8]) {
    let Ok(Value::Object(options)) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    for op in [
        Operation::Provision,
        Operation::Cancel,
        Operation::PartnerKeyNew,
    ] {
        match encode_options(op, &options) {
            Ok((form, query)) => {
                let ok = |s: &str| {
                    s.chars().all(|c| {
                        c.is_ascii_alphanumeric()
                            || matches!(c, '-' | '.' | '_' | '*' | '+' | '%' | '=' | '&')
                    })
                };
                assert!(ok(&form), "{form:?}");
                assert!(ok(&query), "{query:?}");
            }
            Err(e) => {
                assert_eq!(e.code(), "invalid_argument");
                assert!(e.message().contains(": "), "{}", e.message());
            }
        }
    }
}

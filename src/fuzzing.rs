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

use crate::config::Backoff;
use crate::error::Error;
use crate::options::Options;
use crate::retry::{delay_before_retry, Idempotence};
use crate::transport::HttpReply;

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
            body: self.body.clone(),
        }
    }
}

/// Reads the partner token out of a token endpoint reply. On success returns the token's length
/// (the token itself stays inside the library).
pub fn parse_token_reply(reply: &RawReply) -> Result<usize, Error> {
    crate::token::parse_token_reply(&reply.to_http()).map(|t| t.expose().len())
}

/// The caller's outcome of an operation's final reply. `state_changing` is true for POST calls
/// (provision, cancel, partner keys), false for GET calls.
pub fn interpret_reply(reply: &RawReply, state_changing: bool) -> Result<Value, Error> {
    crate::reply::interpret(&reply.to_http(), idempotence(state_changing))
}

/// Whether a reply says the bearer token was refused (and one fresh token should be fetched).
pub fn is_token_refusal(reply: &RawReply) -> bool {
    crate::reply::is_token_refusal(&reply.to_http())
}

/// The `(code, message)` of a JSON error body, `None` when the body is not such an object.
pub fn error_fields(body: &[u8]) -> Option<(String, String)> {
    crate::reply::parse_json(body)
        .as_ref()
        .and_then(crate::reply::error_fields)
}

/// The short, printable excerpt of a body put in error messages.
pub fn excerpt(body: &[u8]) -> String {
    crate::reply::excerpt(body)
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

/// The `siteurl` check of provision: the URL that would be sent, with an ASCII host.
pub fn check_siteurl(siteurl: &str) -> Result<String, Error> {
    crate::validate::check_siteurl("siteurl", siteurl)
}

/// The `api_base` check of the client configuration: the base URL without a trailing `/`.
pub fn check_api_base(api_base: &str) -> Result<String, Error> {
    crate::config::check_api_base(api_base)
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
        Operation::Provision => ("provision", crate::operations::provision::SPECS),
        Operation::Cancel => ("cancel", crate::operations::cancel::SPECS),
        Operation::PartnerKeyNew => ("partner_key_new", crate::operations::partner_key_new::SPECS),
    };
    let mut form = Zeroizing::new(String::new());
    let mut query = String::new();
    crate::options::encode(name, specs, options, &mut form, &mut query)?;
    Ok((form.to_string(), query))
}

/// Punycode of one label (without `xn--`), `None` on overflow.
pub fn punycode_label(label: &str) -> Option<String> {
    crate::punycode::encode_label(label)
}

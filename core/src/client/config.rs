//! The client's configuration as the caller writes it, with its defaults; `settings` checks it.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::http::retry::Backoff;
use crate::log::LogSink;
use crate::secret::Secret;

/// The WordPress.com API host.
pub const DEFAULT_API_BASE: &str = "https://public-api.wordpress.com";
/// Default overall time limit of one call (token request, attempts and pauses included).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// Default time limit for setting up one connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default longest time a kept connection may stay unused and still be used again (nginx's default
/// `keepalive_timeout` is 75 s; a server's `Keep-Alive: timeout=N` shortens it).
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(75);
/// Default number of HTTP attempts of one call, the first one included.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;
/// Default cap on a reply body (1 MiB).
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 1 << 20;

/// Everything a [`crate::Client`] needs. Build it with [`ClientConfig::new`], then change the public
/// fields; [`crate::Client::new`] checks it.
#[derive(Clone)]
pub struct ClientConfig {
    pub(super) partner_id: String,
    pub(super) partner_secret: Secret,
    /// API host, default `https://public-api.wordpress.com`. `http://` is accepted only for loopback
    /// hosts (`127.0.0.0/8`, `[::1]`, `localhost`). A path prefix is allowed; no query or fragment.
    pub api_base: String,
    /// Overall time limit of one call, token request, retries and pauses included (default 60 s).
    pub timeout: Duration,
    /// Time limit to set up one connection: host name lookup, TCP, proxy tunnel and TLS handshake
    /// together (default 10 s).
    pub connect_timeout: Duration,
    /// `http://host:port` of an HTTP CONNECT proxy (`user:password@` allowed). The environment's
    /// `HTTPS_PROXY` and friends are not read: the proxy is what is set here.
    pub proxy: Option<String>,
    /// A PEM file of extra CA certificates trusted in addition to the system's trust store.
    pub ca_bundle: Option<PathBuf>,
    /// A directory where the partner token is kept between processes (default none: each process
    /// asks for its own). It must exist; the file in it is readable by its owner only and never
    /// holds the secret.
    pub token_cache_dir: Option<PathBuf>,
    /// Longest time a kept connection may stay unused and still be used again (default 75 s);
    /// shorter when the server announces a shorter `Keep-Alive: timeout`.
    pub idle_timeout: Duration,
    /// HTTP attempts of one call, the first one included (default 3, at most 10).
    pub max_attempts: u32,
    /// Largest accepted reply body in bytes (default 1 MiB); more gives `response_too_large`.
    pub max_response_bytes: u64,
    /// Pauses between attempts.
    pub backoff: Backoff,
    /// Receives a diagnostic line per attempt, pause, token request and outcome (redacted; see
    /// [`LogSink`]). Without it, lines go to stderr when `JETPACK_PARTNER_LOG` is `error`, `info` or
    /// `debug`.
    pub log: Option<LogSink>,
    /// Ask the API to wrap every reply in a `200` envelope (`http_envelope=1`, PROTOCOL.md §7) and
    /// unwrap it here: for networks whose proxies replace error replies. Default off.
    pub http_envelope: bool,
}

impl ClientConfig {
    /// A configuration with the given partner credentials and every other setting at its default.
    pub fn new(partner_id: impl Into<String>, partner_secret: impl Into<String>) -> Self {
        ClientConfig {
            partner_id: partner_id.into(),
            partner_secret: Secret::new(partner_secret.into()),
            api_base: DEFAULT_API_BASE.to_string(),
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            proxy: None,
            ca_bundle: None,
            token_cache_dir: None,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            backoff: Backoff::default(),
            log: None,
            http_envelope: false,
        }
    }

    /// The partner ID (the OAuth client ID).
    pub fn partner_id(&self) -> &str {
        &self.partner_id
    }
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("partner_id", &self.partner_id)
            .field("partner_secret", &self.partner_secret)
            .field("api_base", &self.api_base)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("proxy", &self.proxy.as_deref().map(redact_userinfo))
            .field("ca_bundle", &self.ca_bundle)
            .field("token_cache_dir", &self.token_cache_dir)
            .field("idle_timeout", &self.idle_timeout)
            .field("max_attempts", &self.max_attempts)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("backoff", &self.backoff)
            .field("log", &self.log.is_some())
            .field("http_envelope", &self.http_envelope)
            .finish()
    }
}

/// `scheme://user:pass@host` -> `scheme://[redacted]@host`.
pub(crate) fn redact_userinfo(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) => (format!("{s}://"), r),
        None => (String::new(), url),
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}[redacted]{}", &rest[at..]),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_secrets() {
        let mut c = ClientConfig::new("12345", "s3cret-value");
        c.proxy = Some("http://bob:pr0xy-pass@proxy.example:3128".into());
        let text = format!("{c:?}");
        assert!(!text.contains("s3cret-value"), "{text}");
        assert!(!text.contains("pr0xy-pass"), "{text}");
        assert!(text.contains("12345"));
        assert!(text.contains("proxy.example:3128"));
    }

    #[test]
    fn redact_userinfo_forms() {
        assert_eq!(
            redact_userinfo("http://a:b@h:1/x"),
            "http://[redacted]@h:1/x"
        );
        assert_eq!(redact_userinfo("http://h:1"), "http://h:1");
        assert_eq!(redact_userinfo("a:b@h"), "[redacted]@h");
    }
}

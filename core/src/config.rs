//! Client configuration and its validation (done once, in `Client::new`, before any connection).

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;

use crate::error::Error;
use crate::log::{LogSink, Logger};
use crate::secret::Secret;
use crate::token_file::TokenFile;
use crate::validate::{check_text, parse_http_url};

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
/// Highest accepted `max_attempts`.
pub const MAX_ATTEMPTS_LIMIT: u32 = 10;
/// Highest accepted `max_response_bytes` (1 GiB).
pub const MAX_RESPONSE_BYTES_LIMIT: u64 = 1 << 30;
/// Longest accepted time limit or pause (one day).
const MAX_DURATION: Duration = Duration::from_secs(24 * 60 * 60);

/// How long to wait between attempts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// Pause before the first retry; doubled for each further one (with jitter).
    pub base: Duration,
    /// Longest pause computed by doubling.
    pub max: Duration,
    /// Longest pause a server's `Retry-After` can ask for; longer requests are cut to this.
    pub retry_after_max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base: Duration::from_millis(250),
            max: Duration::from_secs(4),
            retry_after_max: Duration::from_secs(10),
        }
    }
}

/// Everything a [`crate::Client`] needs. Build it with [`ClientConfig::new`], then change the public
/// fields; [`crate::Client::new`] checks it.
#[derive(Clone)]
pub struct ClientConfig {
    partner_id: String,
    partner_secret: Secret,
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

/// A checked configuration, ready for the transport.
#[derive(Clone)]
pub(crate) struct Settings {
    pub partner_id: String,
    pub partner_secret: Secret,
    /// Scheme, authority and path prefix, without a trailing `/`.
    pub api_base: String,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub proxy: Option<ureq::Proxy>,
    /// The proxy URL as configured (it may carry a password), for telling settings apart.
    pub proxy_url: Option<Secret>,
    pub extra_roots: Vec<CertificateDer<'static>>,
    /// Where the token is kept between processes, if anywhere.
    pub token_file: Option<TokenFile>,
    pub idle_timeout: Duration,
    pub max_attempts: u32,
    pub max_response_bytes: u64,
    pub backoff: Backoff,
    pub logger: Logger,
    pub http_envelope: bool,
}

impl Settings {
    pub(crate) fn from_config(config: &ClientConfig) -> Result<Settings, Error> {
        if config.partner_id.trim().is_empty() {
            return Err(Error::invalid_argument("partner_id", "must not be empty"));
        }
        check_text("partner_id", &config.partner_id, 255, false)?;
        if config.partner_secret.is_empty() {
            return Err(Error::invalid_argument(
                "partner_secret",
                "must not be empty",
            ));
        }
        if config.partner_secret.expose().len() > 1024
            || config.partner_secret.expose().chars().any(char::is_control)
        {
            // The value itself is never echoed.
            return Err(Error::invalid_argument(
                "partner_secret",
                "must be at most 1024 bytes without control characters",
            ));
        }
        let api_base = check_api_base(&config.api_base)?;
        for (field, value) in [
            ("timeout", config.timeout),
            ("connect_timeout", config.connect_timeout),
            ("idle_timeout", config.idle_timeout),
        ] {
            if value.is_zero() || value > MAX_DURATION {
                return Err(Error::invalid_argument(
                    field,
                    "must be greater than zero and at most one day",
                ));
            }
        }
        for (field, value) in [
            ("backoff.base", config.backoff.base),
            ("backoff.max", config.backoff.max),
            ("backoff.retry_after_max", config.backoff.retry_after_max),
        ] {
            if value > MAX_DURATION {
                return Err(Error::invalid_argument(field, "must be at most one day"));
            }
        }
        if config.max_attempts == 0 || config.max_attempts > MAX_ATTEMPTS_LIMIT {
            return Err(Error::invalid_argument(
                "max_attempts",
                format!("must be between 1 and {MAX_ATTEMPTS_LIMIT}"),
            ));
        }
        if config.max_response_bytes == 0 || config.max_response_bytes > MAX_RESPONSE_BYTES_LIMIT {
            return Err(Error::invalid_argument(
                "max_response_bytes",
                format!("must be between 1 and {MAX_RESPONSE_BYTES_LIMIT}"),
            ));
        }
        let (proxy, proxy_url) = match config.proxy.as_deref() {
            None | Some("") => (None, None),
            Some(url) => (Some(check_proxy(url)?), Some(Secret::new(url))),
        };
        let extra_roots = match &config.ca_bundle {
            None => Vec::new(),
            Some(path) => load_ca_bundle(path)?,
        };
        let token_file = match config.token_cache_dir.as_deref() {
            None => None,
            Some(dir) if dir.as_os_str().is_empty() => None,
            Some(dir) => {
                if !dir.is_dir() {
                    return Err(Error::invalid_argument(
                        "token_cache_dir",
                        format!("{} is not an existing directory", dir.display()),
                    ));
                }
                Some(TokenFile::new(dir, &config.partner_id, &api_base))
            }
        };
        Ok(Settings {
            partner_id: config.partner_id.clone(),
            partner_secret: config.partner_secret.clone(),
            api_base,
            timeout: config.timeout,
            connect_timeout: config.connect_timeout,
            proxy,
            proxy_url,
            extra_roots,
            token_file,
            idle_timeout: config.idle_timeout,
            max_attempts: config.max_attempts,
            max_response_bytes: config.max_response_bytes,
            backoff: config.backoff,
            logger: Logger::new(config.log.clone()),
            http_envelope: config.http_envelope,
        })
    }
}

/// `https://...`, or `http://...` for a loopback host only; returned without a trailing `/`.
pub(crate) fn check_api_base(api_base: &str) -> Result<String, Error> {
    let url = parse_http_url("api_base", api_base)?;
    if url.scheme == "http" && !url.is_loopback() {
        return Err(Error::invalid_argument(
            "api_base",
            "must use https:// (http:// is accepted only for loopback hosts such as 127.0.0.1)",
        ));
    }
    let uri_safe = |b: u8| b.is_ascii_graphic() && !b"\"<>\\^`{|}".contains(&b);
    if !url.rest.bytes().all(uri_safe) {
        return Err(Error::invalid_argument(
            "api_base",
            "must have a path of URL-safe ASCII characters (percent-encode the others)",
        ));
    }
    if url.rest.contains('?') {
        return Err(Error::invalid_argument(
            "api_base",
            "must not contain a query",
        ));
    }
    let base = format!("{}://{}{}", url.scheme, url.authority(), url.rest);
    Ok(base.trim_end_matches('/').to_string())
}

fn check_proxy(url: &str) -> Result<ureq::Proxy, Error> {
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::invalid_argument(
            "proxy",
            "must not contain whitespace or control characters",
        ));
    }
    crate::proxy::parse(url)
        .map_err(|why| Error::invalid_argument("proxy", format!("{why}: {}", redact_userinfo(url))))
}

fn load_ca_bundle(path: &std::path::Path) -> Result<Vec<CertificateDer<'static>>, Error> {
    let pem = std::fs::read(path).map_err(|e| {
        Error::invalid_argument("ca_bundle", format!("cannot read {}: {e}", path.display()))
    })?;
    let mut certs = Vec::new();
    for cert in CertificateDer::pem_slice_iter(&pem) {
        match cert {
            Ok(cert) => certs.push(cert),
            Err(e) => {
                return Err(Error::invalid_argument(
                    "ca_bundle",
                    format!("{} is not a valid PEM file: {e}", path.display()),
                ))
            }
        }
    }
    if certs.is_empty() {
        return Err(Error::invalid_argument(
            "ca_bundle",
            format!("no PEM certificate found in {}", path.display()),
        ));
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(config: &ClientConfig) -> String {
        match Settings::from_config(config) {
            Ok(_) => panic!("accepted {config:?}"),
            Err(e) => {
                assert_eq!(e.code(), "invalid_argument");
                e.message().to_string()
            }
        }
    }

    #[test]
    fn defaults() {
        let c = ClientConfig::new("12345", "s3cret-value");
        assert_eq!(c.api_base, "https://public-api.wordpress.com");
        assert_eq!(c.timeout, Duration::from_secs(60));
        assert_eq!(c.connect_timeout, Duration::from_secs(10));
        assert_eq!(c.max_attempts, 3);
        assert_eq!(c.max_response_bytes, 1 << 20);
        let s = Settings::from_config(&c).unwrap();
        assert_eq!(s.api_base, "https://public-api.wordpress.com");
    }

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
    fn api_base_rules() {
        assert_eq!(
            check_api_base("http://127.0.0.1:8080/").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            check_api_base("http://localhost:1").unwrap(),
            "http://localhost:1"
        );
        assert_eq!(check_api_base("http://[::1]:1").unwrap(), "http://[::1]:1");
        assert_eq!(
            check_api_base("https://example.com/prefix/").unwrap(),
            "https://example.com/prefix"
        );
        for bad in [
            "http://example.com",
            "http://10.1.2.3:80",
            "ftp://127.0.0.1",
            "public-api.wordpress.com",
            "https://u:p@example.com",
            "https://example.com/?q=1",
            "https://example.com/p\u{e2}th",
            "https://example.com/a{b}",
            "",
        ] {
            let err = check_api_base(bad).unwrap_err();
            assert!(
                err.message().starts_with("api_base: "),
                "{bad}: {}",
                err.message()
            );
        }
    }

    #[test]
    fn setting_refusals_name_the_field() {
        let base = ClientConfig::new("12345", "secret-value");
        let mut c = base.clone();
        c.max_attempts = 0;
        assert!(refused(&c).starts_with("max_attempts: "));
        let mut c = base.clone();
        c.max_attempts = 11;
        assert!(refused(&c).starts_with("max_attempts: "));
        let mut c = base.clone();
        c.timeout = Duration::ZERO;
        assert!(refused(&c).starts_with("timeout: "));
        let mut c = base.clone();
        c.connect_timeout = Duration::ZERO;
        assert!(refused(&c).starts_with("connect_timeout: "));
        let mut c = base.clone();
        c.timeout = Duration::MAX;
        assert!(refused(&c).starts_with("timeout: "));
        let mut c = base.clone();
        c.connect_timeout = Duration::from_millis(u64::MAX);
        assert!(refused(&c).starts_with("connect_timeout: "));
        let mut c = base.clone();
        c.backoff.retry_after_max = Duration::MAX;
        assert!(refused(&c).starts_with("backoff.retry_after_max: "));
        let mut c = base.clone();
        c.max_response_bytes = 0;
        assert!(refused(&c).starts_with("max_response_bytes: "));
        let mut c = base.clone();
        c.proxy = Some("socks5://127.0.0.1:1080".into());
        assert!(refused(&c).starts_with("proxy: "));
        let mut c = base.clone();
        c.ca_bundle = Some("/nonexistent/bundle.pem".into());
        assert!(refused(&c).starts_with("ca_bundle: "));
        let c = ClientConfig::new("", "secret-value");
        assert!(refused(&c).starts_with("partner_id: "));
        let c = ClientConfig::new("12345", "");
        assert!(refused(&c).starts_with("partner_secret: "));
        let c = ClientConfig::new("12345", "bad\nsecret-value");
        let msg = refused(&c);
        assert!(msg.starts_with("partner_secret: ") && !msg.contains("bad\nsecret"));
    }

    #[test]
    fn ca_bundle_without_certificates_is_refused() {
        let dir = std::env::temp_dir().join(format!("jp-ca-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("empty.pem");
        std::fs::write(&path, "not a certificate\n").unwrap();
        let mut c = ClientConfig::new("12345", "secret-value");
        c.ca_bundle = Some(path.clone());
        assert!(refused(&c).contains("no PEM certificate"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn proxy_is_accepted() {
        let mut c = ClientConfig::new("12345", "secret-value");
        c.proxy = Some("http://127.0.0.1:3128".into());
        assert!(Settings::from_config(&c).unwrap().proxy.is_some());
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

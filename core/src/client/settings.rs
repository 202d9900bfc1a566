//! The client configuration checked (once, in `Client::new`, before any connection) and turned into
//! the settings the client and its HTTP layer run on.

use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;

use super::config::{redact_userinfo, ClientConfig};
use crate::error::Error;
use crate::http::proxy;
use crate::http::retry::Backoff;
use crate::http::settings::HttpSettings;
use crate::log::Logger;
use crate::secret::Secret;
use crate::token::file::TokenFile;
use crate::validate::{check_text, parse_http_url};

/// Highest accepted `max_attempts`.
const MAX_ATTEMPTS_LIMIT: u32 = 10;
/// Highest accepted `max_response_bytes` (1 GiB).
const MAX_RESPONSE_BYTES_LIMIT: u64 = 1 << 30;
/// Longest accepted time limit or pause (one day).
const MAX_DURATION: Duration = Duration::from_secs(24 * 60 * 60);

/// A checked configuration, ready for the transport.
#[derive(Clone)]
pub(crate) struct Settings {
    pub partner_id: String,
    pub partner_secret: Secret,
    /// API base, time limits, proxy, extra CAs, body cap: what the HTTP layer runs on.
    pub http: HttpSettings,
    /// The proxy URL as configured (it may carry a password), for telling settings apart.
    pub proxy_url: Option<Secret>,
    /// Where the token is kept between processes, if anywhere.
    pub token_file: Option<TokenFile>,
    pub max_attempts: u32,
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
            http: HttpSettings {
                api_base,
                timeout: config.timeout,
                connect_timeout: config.connect_timeout,
                proxy,
                extra_roots,
                idle_timeout: config.idle_timeout,
                max_response_bytes: config.max_response_bytes,
            },
            proxy_url,
            token_file,
            max_attempts: config.max_attempts,
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
    proxy::parse(url)
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
        assert_eq!(s.http.api_base, "https://public-api.wordpress.com");
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
        assert!(Settings::from_config(&c).unwrap().http.proxy.is_some());
    }
}

//! The HTTP client under the library: one ureq agent per set of settings, configured for a billing
//! API rather than left at ureq's defaults, and the one exchange the library makes with it (send a
//! request, read the whole reply within the body cap).
//!
//! What ureq does: HTTP/1.1 framing, kept-alive connections (its pool), TLS through rustls, the
//! HTTP CONNECT tunnel. What is set here: redirects are never followed (a 3xx comes back as a reply,
//! so the bearer token never leaves the API origin); the overall and connect time limits are always
//! set, the connect limit covering the host name lookup done in `resolve`; the proxy is the `proxy` setting or none (the environment is never read); the body is read
//! up to `max_response_bytes` into a buffer that grows with what arrives, never with what the server
//! announces; no `Accept-Encoding` is sent (replies are not decoded); 4xx/5xx replies are read like
//! any other.

use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ureq::config::AutoHeaderValue;
use ureq::tls::{RootCerts, TlsConfig, TlsProvider};
use ureq::Agent;
use zeroize::Zeroizing;

use super::exchange::{classify, Failure, FailureKind, HttpReply, HttpRequest, Method, USER_AGENT};
use super::resolve::{self, LookedUpFirst, Target};
use super::settings::HttpSettings;
use super::spare::{SpareConnections, SpareHandle};
use super::trust;
use crate::secret::{extend_wiping, Secret};
use crate::validate::parse_http_url;

/// Kept-alive connections kept at most (enough for every thread of a busy process).
const MAX_IDLE_CONNECTIONS: usize = 32;
/// First size of a reply body buffer; it doubles as bytes arrive, up to the cap.
const FIRST_BODY_BUFFER: usize = 8 * 1024;
/// The largest reply head accepted (status line and headers).
const MAX_HEAD_BYTES: usize = 64 * 1024;
/// How much sooner than the server's announced keep-alive timeout a kept connection is given up:
/// a request sent just as the server closes the connection could be lost with it.
const KEEP_ALIVE_MARGIN: Duration = Duration::from_secs(1);
/// [`HttpClient::server_keep_alive_ms`] when the server announced no keep-alive timeout.
const NO_KEEP_ALIVE: u64 = u64::MAX;

/// The HTTP side of one set of settings: the agent (its pool of kept connections) and the origin
/// every request must go to.
pub(crate) struct HttpClient {
    agent: Agent,
    /// `scheme://authority` of the API base.
    origin: String,
    /// The API host, looked up before each call; `None` with a proxy (which looks it up).
    target: Option<Target>,
    /// The client's `idle_timeout`.
    idle_timeout: Duration,
    /// The `timeout` of the last `Keep-Alive` header the server sent, in milliseconds
    /// ([`NO_KEEP_ALIVE`] if none yet).
    server_keep_alive_ms: AtomicU64,
    spares: SpareHandle,
    /// When the last reply was read whole (its connection then went back to the pool).
    last_reply: Mutex<Option<Instant>>,
}

impl HttpClient {
    /// Makes the agent (no connection is opened, no thread started).
    pub(crate) fn new(settings: &HttpSettings) -> HttpClient {
        let https = settings.api_base.starts_with("https:");
        let roots = if https {
            trust::root_certs(&settings.extra_roots)
        } else {
            RootCerts::WebPki
        };
        let tls = TlsConfig::builder()
            .provider(TlsProvider::Rustls)
            .root_certs(roots)
            .build();
        let config = Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .save_redirect_history(false)
            .user_agent(USER_AGENT)
            .accept("application/json")
            .accept_encoding(AutoHeaderValue::None)
            .max_response_header_size(MAX_HEAD_BYTES)
            .timeout_global(Some(settings.timeout))
            .timeout_resolve(Some(settings.connect_timeout))
            .timeout_connect(Some(settings.connect_timeout))
            // `None` also keeps ureq from reading ALL_PROXY/HTTPS_PROXY/HTTP_PROXY (httpoxy).
            .proxy(settings.proxy.clone())
            .tls_config(tls)
            .max_idle_age(settings.idle_timeout)
            .max_idle_connections(MAX_IDLE_CONNECTIONS)
            .max_idle_connections_per_host(MAX_IDLE_CONNECTIONS)
            .build();
        let target = parse_http_url("api_base", &settings.api_base)
            .ok()
            .filter(|_| settings.proxy.is_none())
            .map(|url| Target::new(&url.host, url.port.unwrap_or(if https { 443 } else { 80 })));
        let connector = SpareConnections::new(settings.idle_timeout);
        let spares = connector.handle();
        HttpClient {
            agent: Agent::with_parts(config, connector, LookedUpFirst::default()),
            spares,
            origin: origin_of(&settings.api_base).to_string(),
            target,
            idle_timeout: settings.idle_timeout,
            server_keep_alive_ms: AtomicU64::new(NO_KEEP_ALIVE),
            last_reply: Mutex::new(None),
        }
    }

    /// Whether a reply was read recently enough for its connection to be kept still (ureq's pool
    /// does not tell; the server may have closed it anyway).
    pub(crate) fn likely_has_kept_connection(&self) -> bool {
        self.last_reply
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some_and(|at| at.elapsed() < self.max_idle_age())
    }

    /// Opens a connection now, on this thread, for the next call to use, unless a reply came
    /// recently enough for its connection to be kept still. Not through a proxy (it would need
    /// ureq's own connector runner for the tunnel); a failure is left for that call to meet.
    pub(crate) fn open_connection_ahead(&self, connect_timeout: Duration) {
        if self.likely_has_kept_connection() {
            return;
        }
        let Some(target) = &self.target else {
            return;
        };
        let Ok(uri) = self.origin.parse() else {
            return;
        };
        let Ok(addrs) = resolve::addresses(target, connect_timeout) else {
            return;
        };
        let config = self.agent.config().clone();
        self.spares.open_ahead(uri, config, &addrs, connect_timeout);
    }

    /// Opens a connection for a call about to be made, on another thread (see `spare`).
    pub(crate) fn open_spare(&self) {
        self.spares.open_spare();
    }

    /// A connection no call will use is about to come free: the next thread that would open a
    /// spare connection does not (see `spare`).
    pub(crate) fn expect_free_connection(&self) {
        self.spares.expect_free_connection();
    }

    /// Ends [`HttpClient::expect_free_connection`] if nothing used it.
    pub(crate) fn forget_free_connection(&self) {
        self.spares.forget_free_connection();
    }

    /// How long a kept connection may have been unused and still be used: the `idle_timeout`, or
    /// less when the server announced a shorter keep-alive timeout (less [`KEEP_ALIVE_MARGIN`]).
    /// ureq's pool has one age limit for all its connections; the last announcement applies to
    /// every connection to the API host, which is one server (or one kind of server).
    fn max_idle_age(&self) -> Duration {
        match self.server_keep_alive_ms.load(Ordering::Relaxed) {
            NO_KEEP_ALIVE => self.idle_timeout,
            ms => Duration::from_millis(ms)
                .saturating_sub(KEEP_ALIVE_MARGIN)
                .min(self.idle_timeout),
        }
    }

    /// Sends `request` and reads the whole reply, within `remaining`; a new connection (host name
    /// lookup, TCP, proxy tunnel, TLS handshake) within the connect time limit.
    pub(crate) fn exchange(
        &self,
        settings: &HttpSettings,
        request: &HttpRequest<'_>,
        remaining: Duration,
    ) -> Result<HttpReply, Failure> {
        let outcome = self.exchange_looked_up(settings, request, remaining);
        resolve::forget();
        if outcome.is_ok() {
            *self.last_reply.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
        }
        outcome
    }

    fn exchange_looked_up(
        &self,
        settings: &HttpSettings,
        request: &HttpRequest<'_>,
        remaining: Duration,
    ) -> Result<HttpReply, Failure> {
        let below_origin = request
            .url
            .strip_prefix(self.origin.as_str())
            .is_some_and(|path| path.starts_with('/'));
        if !below_origin {
            return Err(Failure {
                kind: FailureKind::Other,
                may_have_reached_server: false,
                detail: "the request URL is not below the API base".into(),
            });
        }
        let authorization = request.bearer.map(bearer_value).transpose()?;
        let connect = settings.connect_timeout.min(remaining);
        let looking_up = match &self.target {
            Some(target) => resolve::look_up(target, connect)?,
            None => Duration::ZERO,
        };
        let (Some(remaining), Some(connect)) = (
            remaining.checked_sub(looking_up).filter(|d| !d.is_zero()),
            connect.checked_sub(looking_up).filter(|d| !d.is_zero()),
        ) else {
            return Err(Failure {
                kind: FailureKind::Timeout,
                may_have_reached_server: false,
                detail: "timed out while connecting (looking up the host name)".into(),
            });
        };
        let idle = self.max_idle_age();
        // The request's own time limits: what is left of the call, and the connect limit within it.
        macro_rules! limits {
            ($config:expr) => {
                $config
                    .timeout_global(Some(remaining))
                    .timeout_resolve(Some(connect))
                    .timeout_connect(Some(connect))
                    .max_idle_age(idle)
            };
        }
        let response = match (request.method, request.body) {
            (Method::Get | Method::Delete, None) => {
                let mut builder = match request.method {
                    Method::Get => self.agent.get(request.url),
                    _ => self.agent.delete(request.url),
                };
                if let Some(value) = &authorization {
                    builder = builder.header("Authorization", value.as_str());
                }
                limits!(builder.config()).build().call()
            }
            (method, body) => {
                let mut builder = match method {
                    Method::Put => self.agent.put(request.url),
                    Method::Get => self.agent.get(request.url).force_send_body(),
                    Method::Delete => self.agent.delete(request.url).force_send_body(),
                    Method::Post => self.agent.post(request.url),
                };
                if let Some(value) = &authorization {
                    builder = builder.header("Authorization", value.as_str());
                }
                let (content_type, bytes): (&str, &[u8]) = match body {
                    Some(body) => (body.content_type(), body.bytes()),
                    None => ("application/x-www-form-urlencoded", b""),
                };
                limits!(builder.config())
                    .build()
                    .content_type(content_type)
                    .send(bytes)
            }
        };
        let response = response.map_err(classify)?;
        let status = response.status().as_u16();
        let headers = response.headers();
        if headers.contains_key("content-length") && headers.contains_key("transfer-encoding") {
            // RFC 9112 §6.3: a sign of response splitting; refused rather than guessed at. The
            // connection is dropped with the unread body, never used again.
            return Err(Failure {
                kind: FailureKind::BadHttp,
                may_have_reached_server: true,
                detail: format!(
                    "the reply (HTTP {status}) is not valid HTTP: it has both Content-Length and Transfer-Encoding"
                ),
            });
        }
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.trim().to_string())
        };
        let retry_after_raw = header("retry-after");
        let retry_after = retry_after_raw
            .as_deref()
            .and_then(|v| v.parse::<u64>().ok())
            .map(Duration::from_secs);
        let location = header("location");
        if let Some(timeout) = header("keep-alive").as_deref().and_then(keep_alive_timeout) {
            let ms = u64::try_from(timeout.as_millis()).unwrap_or(NO_KEEP_ALIVE - 1);
            self.server_keep_alive_ms.store(ms, Ordering::Relaxed);
        }
        let body = read_body(response.into_body(), settings.max_response_bytes)?;
        Ok(HttpReply {
            status,
            has_retry_after: retry_after_raw.is_some(),
            retry_after,
            location,
            body,
        })
    }
}

/// The `timeout=N` (seconds) of a `Keep-Alive` header value such as `timeout=5, max=1000`.
fn keep_alive_timeout(value: &str) -> Option<Duration> {
    value.split(',').find_map(|part| {
        let (name, seconds) = part.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("timeout") {
            return None;
        }
        let seconds = seconds.trim();
        if seconds.is_empty() || !seconds.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        seconds.parse().ok().map(Duration::from_secs)
    })
}

/// `scheme://authority` of a checked API base.
fn origin_of(api_base: &str) -> &str {
    let authority_start = api_base.find("://").map_or(0, |i| i + 3);
    match api_base[authority_start..].find('/') {
        Some(slash) => &api_base[..authority_start + slash],
        None => api_base,
    }
}

/// `Bearer <token>`; a token that is not printable ASCII is refused before anything is sent (a
/// header carries no other bytes safely).
fn bearer_value(token: &Secret) -> Result<Zeroizing<String>, Failure> {
    if token.is_empty() || !token.expose().bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Failure {
            kind: FailureKind::Other,
            may_have_reached_server: false,
            detail: "the bearer token is not printable ASCII".into(),
        });
    }
    Ok(Zeroizing::new(format!("Bearer {}", token.expose())))
}

/// Reads the body up to `cap` bytes. The buffer grows with what arrives (doubling), never with the
/// length the server announces; every buffer it outgrows is wiped, and so is the chunk it reads into.
fn read_body(body: ureq::Body, cap: u64) -> Result<Zeroizing<Vec<u8>>, Failure> {
    let mut reader = body.into_with_config().limit(cap).reader();
    let mut body = Zeroizing::new(Vec::with_capacity(FIRST_BODY_BUFFER));
    let mut chunk = Zeroizing::new(vec![0u8; FIRST_BODY_BUFFER]);
    loop {
        let n = match reader.read(&mut chunk) {
            Ok(0) => return Ok(body),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(classify(ureq::Error::from(e))),
        };
        extend_wiping(&mut body, &chunk[..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins() {
        assert_eq!(origin_of("https://api.example"), "https://api.example");
        assert_eq!(
            origin_of("http://127.0.0.1:8080/prefix/x"),
            "http://127.0.0.1:8080"
        );
    }

    #[test]
    fn keep_alive_timeouts() {
        let t = |v| keep_alive_timeout(v);
        assert_eq!(t("timeout=5, max=1000"), Some(Duration::from_secs(5)));
        assert_eq!(t("max=10,Timeout=75"), Some(Duration::from_secs(75)));
        assert_eq!(t("timeout=+5"), None);
        assert_eq!(t("timeout=99999999999999999999999"), None);
        assert_eq!(t("max=3"), None);
    }

    #[test]
    fn bearer_tokens_must_be_printable_ascii() {
        assert_eq!(
            bearer_value(&Secret::new("abc.DEF-123")).unwrap().as_str(),
            "Bearer abc.DEF-123"
        );
        for bad in ["t\u{e9}", "a b", "a\tb", ""] {
            let f = bearer_value(&Secret::new(bad)).unwrap_err();
            assert!(!f.may_have_reached_server);
            assert!(!f.detail.contains(bad) || bad.is_empty());
        }
    }
}

//! One HTTP exchange: the per-process ureq agent, the request, the capped reply body, and the
//! classification of what went wrong (did the request possibly reach the server?).

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use ureq::config::Config;
use ureq::http::Uri;
use ureq::tls::{Certificate, RootCerts, TlsConfig, TlsProvider};
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;
use ureq::Agent;
use zeroize::Zeroizing;

use crate::config::Settings;
use crate::secret::Secret;

/// The `User-Agent` of every request.
pub(crate) const USER_AGENT: &str = concat!("jetpack-partner/", env!("CARGO_PKG_VERSION"));

/// Kept-alive connections an agent keeps per host (and in all).
const MAX_IDLE_CONNECTIONS: usize = 32;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Method {
    Get,
    Post,
    Put,
    Delete,
}

impl Method {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }
}

/// A request body; zeroized when dropped (it can carry the partner secret, passwords or backup
/// credentials).
#[derive(Clone)]
pub(crate) enum Body {
    /// `application/x-www-form-urlencoded`.
    Form(Zeroizing<String>),
    /// `application/json`.
    Json(Zeroizing<String>),
}

impl Body {
    fn content_type(&self) -> &'static str {
        match self {
            Body::Form(_) => "application/x-www-form-urlencoded",
            Body::Json(_) => "application/json",
        }
    }

    fn bytes(&self) -> &[u8] {
        match self {
            Body::Form(text) | Body::Json(text) => text.as_bytes(),
        }
    }
}

/// A request to send.
pub(crate) struct HttpRequest<'a> {
    pub method: Method,
    pub url: String,
    pub bearer: Option<&'a Secret>,
    /// The body of a POST, PUT or DELETE (none: an empty form body for POST and PUT).
    pub body: Option<Body>,
    /// Values kept out of log lines besides the bearer token (a token in the query, a password).
    pub redact: &'a [Arc<Secret>],
}

/// A reply read whole (status, the headers the client uses, capped body).
#[derive(Debug)]
pub(crate) struct HttpReply {
    pub status: u16,
    /// Whether the reply had a `Retry-After` header at all.
    pub has_retry_after: bool,
    /// The `Retry-After` delay when it was given in seconds.
    pub retry_after: Option<Duration>,
    pub location: Option<String>,
    pub body: Vec<u8>,
}

/// What kind of failure stopped an exchange.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FailureKind {
    /// No connection could be made (refused, DNS failure, unreachable, proxy refused the tunnel).
    Connect,
    /// A time limit was reached.
    Timeout,
    /// TLS handshake or certificate failure.
    Tls,
    /// The connection broke (reset, closed early) after the request was sent.
    Broken,
    /// The reply body exceeded the cap.
    TooLarge,
    /// The reply was not valid HTTP.
    BadHttp,
    /// Anything else (a defect or an unexpected local condition).
    Other,
}

/// A failed exchange.
#[derive(Debug)]
pub(crate) struct Failure {
    pub kind: FailureKind,
    /// `false` only when the request provably never reached the server.
    pub may_have_reached_server: bool,
    pub detail: String,
}

/// Sends one request with `agent` and reads the whole reply, within `remaining` time.
pub(crate) fn send(
    agent: &Agent,
    settings: &Settings,
    request: &HttpRequest<'_>,
    remaining: Duration,
) -> Result<HttpReply, Failure> {
    let connect = settings.connect_timeout.min(remaining);
    let max_bytes = settings.max_response_bytes;
    let bearer = request.bearer.map(bearer_value);
    let result = match request.method {
        Method::Get | Method::Delete if request.body.is_none() => {
            let mut builder = match request.method {
                Method::Get => agent.get(&request.url),
                _ => agent.delete(&request.url),
            }
            .header("Accept", "application/json");
            if let Some(value) = &bearer {
                builder = builder.header("Authorization", value.as_str());
            }
            if uses_agent_timeouts(settings, remaining) {
                builder.call()
            } else {
                builder
                    .config()
                    .timeout_global(Some(remaining))
                    .timeout_connect(Some(connect))
                    .build()
                    .call()
            }
        }
        method => {
            let mut builder = match method {
                Method::Put => agent.put(&request.url),
                Method::Get => agent.get(&request.url).force_send_body(),
                Method::Delete => agent.delete(&request.url).force_send_body(),
                Method::Post => agent.post(&request.url),
            }
            .header("Accept", "application/json");
            if let Some(value) = &bearer {
                builder = builder.header("Authorization", value.as_str());
            }
            let (content_type, body): (&str, &[u8]) = match &request.body {
                Some(body) => (body.content_type(), body.bytes()),
                None => ("application/x-www-form-urlencoded", b""),
            };
            if uses_agent_timeouts(settings, remaining) {
                builder.content_type(content_type).send(body)
            } else {
                builder
                    .config()
                    .timeout_global(Some(remaining))
                    .timeout_connect(Some(connect))
                    .build()
                    .content_type(content_type)
                    .send(body)
            }
        }
    };
    let response = result.map_err(classify)?;
    let status = response.status().as_u16();
    let headers = response.headers();
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
    let body = response
        .into_body()
        .into_with_config()
        .limit(max_bytes)
        .read_to_vec()
        .map_err(classify)?;
    Ok(HttpReply {
        status,
        has_retry_after: retry_after_raw.is_some(),
        retry_after,
        location,
        body,
    })
}

/// Slack within which a call's remaining time counts as the whole overall time limit.
const TIMEOUT_SLACK: Duration = Duration::from_millis(1);

/// Whether the agent's own time limits (the client's overall and connect limits) fit this request:
/// its remaining time is the whole overall limit, give or take [`TIMEOUT_SLACK`] (the usual first
/// attempt of a call with the token at hand). Only otherwise does the request need a configuration
/// of its own, which ureq builds anew for every request.
fn uses_agent_timeouts(settings: &Settings, remaining: Duration) -> bool {
    remaining + TIMEOUT_SLACK >= settings.timeout && settings.connect_timeout <= remaining
}

fn bearer_value(token: &Secret) -> Zeroizing<String> {
    Zeroizing::new(format!("Bearer {}", token.expose()))
}

pub(crate) fn build_agent(settings: &Settings) -> Agent {
    let root_certs = if settings.api_base.starts_with("https:") {
        root_certs(&settings.extra_roots)
    } else {
        RootCerts::WebPki
    };
    let tls = TlsConfig::builder()
        .provider(TlsProvider::Rustls)
        .root_certs(root_certs)
        .build();
    let config = Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .user_agent(USER_AGENT)
        .timeout_connect(Some(settings.connect_timeout))
        .timeout_global(Some(settings.timeout))
        .proxy(settings.proxy.clone())
        .tls_config(tls)
        .max_idle_age(Duration::from_secs(30))
        // Enough kept-alive connections for every thread of a busy process (ureq keeps 3 per host).
        .max_idle_connections(MAX_IDLE_CONNECTIONS)
        .max_idle_connections_per_host(MAX_IDLE_CONNECTIONS)
        .build();
    Agent::with_parts(
        config,
        crate::tcp::connector(),
        LiteralFirstResolver::default(),
    )
}

/// Resolves IP-literal hosts (`127.0.0.1`, `[::1]`) directly and everything else with ureq's
/// resolver. ureq's resolver runs each lookup that has a time limit in a new thread; an address
/// needs no lookup, so no thread is started for it.
#[derive(Debug, Default)]
struct LiteralFirstResolver(DefaultResolver);

impl Resolver for LiteralFirstResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        if let Some(addr) = literal_socket_addr(uri) {
            let mut addrs = self.empty();
            addrs.push(addr);
            return Ok(addrs);
        }
        self.0.resolve(uri, config, timeout)
    }
}

/// The socket address of a URI whose host is an IP address (port defaulted from the scheme).
fn literal_socket_addr(uri: &Uri) -> Option<SocketAddr> {
    let host = uri.host()?;
    let ip: IpAddr = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()?;
    let port = uri.port_u16().or(match uri.scheme_str()? {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    })?;
    Some(SocketAddr::new(ip, port))
}

/// The system's trust store, read once per process.
fn system_roots() -> &'static [Certificate<'static>] {
    static ROOTS: OnceLock<Vec<Certificate<'static>>> = OnceLock::new();
    ROOTS.get_or_init(|| {
        rustls_native_certs::load_native_certs()
            .certs
            .iter()
            .map(|der| Certificate::from_der(der.as_ref()).to_owned())
            .collect()
    })
}

/// The system's trust store plus the configured extra CAs. Without a readable system store and without
/// extra CAs, the Mozilla roots compiled into the library.
fn root_certs(extra: &[Certificate<'static>]) -> RootCerts {
    let system = system_roots();
    if system.is_empty() && extra.is_empty() {
        return RootCerts::WebPki;
    }
    RootCerts::new_with_certs(&system.iter().chain(extra).cloned().collect::<Vec<_>>())
}

fn failure(kind: FailureKind, reached: bool, detail: impl Into<String>) -> Failure {
    Failure {
        kind,
        may_have_reached_server: reached,
        detail: detail.into(),
    }
}

/// Sorts a ureq error into a failure kind, and says whether the request may have reached the server.
pub(crate) fn classify(err: ureq::Error) -> Failure {
    use ureq::Error as E;
    match err {
        E::Io(e) => classify_io(e),
        E::HostNotFound => failure(
            FailureKind::Connect,
            false,
            "the host name could not be resolved",
        ),
        E::ConnectionFailed => failure(
            FailureKind::Connect,
            false,
            "the connection could not be made",
        ),
        E::ConnectProxyFailed(reason) => failure(
            FailureKind::Connect,
            false,
            format!("the proxy refused the tunnel: {reason}"),
        ),
        E::Timeout(which) => {
            use ureq::Timeout as T;
            match which {
                T::Resolve | T::Connect => {
                    failure(FailureKind::Timeout, false, "timed out while connecting")
                }
                _ => failure(
                    FailureKind::Timeout,
                    true,
                    "timed out waiting for the reply",
                ),
            }
        }
        E::BodyExceedsLimit(limit) => failure(
            FailureKind::TooLarge,
            true,
            format!("the reply body is larger than the limit of {limit} bytes"),
        ),
        E::LargeResponseHeader(_, limit) => failure(
            FailureKind::TooLarge,
            true,
            format!("the reply headers are larger than the limit of {limit} bytes"),
        ),
        E::Rustls(e) => failure(FailureKind::Tls, false, format!("TLS failure: {e}")),
        E::Tls(e) => failure(FailureKind::Tls, false, format!("TLS failure: {e}")),
        E::TlsRequired => failure(FailureKind::Tls, false, "TLS required"),
        E::Protocol(e) => failure(
            FailureKind::BadHttp,
            true,
            format!("the reply is not valid HTTP: {e}"),
        ),
        E::Decompress(_, e) => failure(
            FailureKind::BadHttp,
            true,
            format!("the reply body could not be decompressed: {e}"),
        ),
        E::InvalidProxyUrl => failure(FailureKind::Other, false, "invalid proxy URL"),
        E::BadUri(e) => failure(
            FailureKind::Other,
            false,
            format!("invalid request URL: {e}"),
        ),
        E::Http(e) => failure(FailureKind::Other, false, format!("invalid request: {e}")),
        other => failure(FailureKind::Other, true, other.to_string()),
    }
}

fn classify_io(e: io::Error) -> Failure {
    if let Some(tls) = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        return failure(FailureKind::Tls, false, format!("TLS failure: {tls}"));
    }
    use io::ErrorKind as K;
    match e.kind() {
        K::ConnectionRefused => failure(FailureKind::Connect, false, "the connection was refused"),
        K::HostUnreachable | K::NetworkUnreachable | K::NetworkDown | K::AddrNotAvailable => {
            failure(
                FailureKind::Connect,
                false,
                format!("the server is unreachable: {e}"),
            )
        }
        K::TimedOut | K::WouldBlock => failure(
            FailureKind::Timeout,
            true,
            "timed out waiting for the reply",
        ),
        K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof => failure(
            FailureKind::Broken,
            true,
            format!("the connection was closed before the whole reply arrived ({e})"),
        ),
        K::InvalidData => failure(
            FailureKind::BadHttp,
            true,
            format!("the reply is not valid: {e}"),
        ),
        _ => failure(
            FailureKind::Broken,
            true,
            format!("connection failure: {e}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_literals_need_no_lookup() {
        let addr = |u: &str| literal_socket_addr(&u.parse::<Uri>().unwrap());
        assert_eq!(
            addr("http://127.0.0.1:8080/x"),
            Some("127.0.0.1:8080".parse().unwrap())
        );
        assert_eq!(
            addr("https://127.0.0.1/"),
            Some("127.0.0.1:443".parse().unwrap())
        );
        assert_eq!(addr("http://[::1]/"), Some("[::1]:80".parse().unwrap()));
        assert_eq!(addr("https://example.com/"), None);
        assert_eq!(addr("http://localhost:1/"), None);
    }

    #[test]
    fn user_agent_carries_the_version() {
        assert_eq!(
            USER_AGENT,
            format!("jetpack-partner/{}", env!("CARGO_PKG_VERSION"))
        );
    }

    #[test]
    fn connect_failures_did_not_reach_the_server() {
        let refused = classify(ureq::Error::Io(io::Error::new(
            io::ErrorKind::ConnectionRefused,
            "x",
        )));
        assert_eq!(refused.kind, FailureKind::Connect);
        assert!(!refused.may_have_reached_server);
        let dns = classify(ureq::Error::HostNotFound);
        assert_eq!(dns.kind, FailureKind::Connect);
        assert!(!dns.may_have_reached_server);
        let t = classify(ureq::Error::Timeout(ureq::Timeout::Connect));
        assert_eq!(t.kind, FailureKind::Timeout);
        assert!(!t.may_have_reached_server);
    }

    #[test]
    fn failures_after_sending_may_have_reached_the_server() {
        let reset = classify(ureq::Error::Io(io::Error::new(
            io::ErrorKind::ConnectionReset,
            "x",
        )));
        assert_eq!(reset.kind, FailureKind::Broken);
        assert!(reset.may_have_reached_server);
        let t = classify(ureq::Error::Timeout(ureq::Timeout::RecvResponse));
        assert_eq!(t.kind, FailureKind::Timeout);
        assert!(t.may_have_reached_server);
        let g = classify(ureq::Error::Timeout(ureq::Timeout::Global));
        assert!(g.may_have_reached_server);
        let big = classify(ureq::Error::BodyExceedsLimit(10));
        assert_eq!(big.kind, FailureKind::TooLarge);
    }

    #[test]
    fn rustls_errors_inside_io_are_tls() {
        let io = io::Error::new(
            io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
        );
        let f = classify(ureq::Error::Io(io));
        assert_eq!(f.kind, FailureKind::Tls);
        assert!(!f.may_have_reached_server);
    }
}

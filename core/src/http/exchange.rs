//! What one HTTP exchange is made of (the request, the reply read whole, the failure and whether the
//! request may have reached the server); [`HttpClient`](super::agent::HttpClient) carries it out
//! through ureq.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use zeroize::Zeroizing;

use crate::secret::Secret;

/// The `User-Agent` of every request.
pub(crate) const USER_AGENT: &str = concat!("jetpack-partner/", env!("CARGO_PKG_VERSION"));

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
    pub(crate) fn content_type(&self) -> &'static str {
        match self {
            Body::Form(_) => "application/x-www-form-urlencoded",
            Body::Json(_) => "application/json",
        }
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        match self {
            Body::Form(text) | Body::Json(text) => text.as_bytes(),
        }
    }
}

/// A request to send.
pub(crate) struct HttpRequest<'a> {
    pub method: Method,
    pub url: &'a str,
    pub bearer: Option<&'a Secret>,
    /// The body of a POST, PUT or DELETE (none: an empty form body for POST and PUT).
    pub body: Option<&'a Body>,
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
    /// Wiped when dropped: a reply can carry a token or a new key's secret.
    pub body: Zeroizing<Vec<u8>>,
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
        E::BodyStalled => failure(
            FailureKind::BadHttp,
            true,
            "the reply body could not be read to its end",
        ),
        E::TooManyRedirects | E::RedirectFailed => failure(
            FailureKind::BadHttp,
            true,
            "the server answered with a redirect, which is never followed",
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

/// Sorts an I/O error into a failure kind (a rustls error inside makes it a TLS failure). The
/// `may_have_reached_server` it sets is a default: callers that know better replace it.
pub(crate) fn classify_io(e: io::Error) -> Failure {
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
    fn user_agent_carries_the_version() {
        assert_eq!(
            USER_AGENT,
            format!("jetpack-partner/{}", env!("CARGO_PKG_VERSION"))
        );
    }

    #[test]
    fn io_errors_by_kind() {
        let kind = |k| classify_io(io::Error::new(k, "x")).kind;
        assert_eq!(kind(io::ErrorKind::ConnectionRefused), FailureKind::Connect);
        assert_eq!(kind(io::ErrorKind::ConnectionReset), FailureKind::Broken);
        assert_eq!(kind(io::ErrorKind::UnexpectedEof), FailureKind::Broken);
        assert_eq!(kind(io::ErrorKind::TimedOut), FailureKind::Timeout);
        assert_eq!(kind(io::ErrorKind::InvalidData), FailureKind::BadHttp);
    }

    #[test]
    fn connect_failures_did_not_reach_the_server() {
        for err in [
            ureq::Error::Io(io::Error::new(io::ErrorKind::ConnectionRefused, "x")),
            ureq::Error::HostNotFound,
            ureq::Error::Timeout(ureq::Timeout::Connect),
            ureq::Error::Timeout(ureq::Timeout::Resolve),
        ] {
            assert!(!classify(err).may_have_reached_server);
        }
        assert_eq!(
            classify(ureq::Error::Timeout(ureq::Timeout::Connect)).kind,
            FailureKind::Timeout
        );
    }

    #[test]
    fn failures_after_sending_may_have_reached_the_server() {
        let reset = classify(ureq::Error::Io(io::Error::new(
            io::ErrorKind::ConnectionReset,
            "x",
        )));
        assert_eq!(reset.kind, FailureKind::Broken);
        assert!(reset.may_have_reached_server);
        for t in [ureq::Timeout::RecvResponse, ureq::Timeout::Global] {
            let f = classify(ureq::Error::Timeout(t));
            assert_eq!(f.kind, FailureKind::Timeout);
            assert!(f.may_have_reached_server);
        }
        assert_eq!(
            classify(ureq::Error::BodyExceedsLimit(10)).kind,
            FailureKind::TooLarge
        );
    }

    #[test]
    fn rustls_errors_inside_io_are_tls() {
        let io = io::Error::new(
            io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
        );
        let f = classify_io(io);
        assert_eq!(f.kind, FailureKind::Tls);
        assert!(!f.may_have_reached_server);
    }
}

//! The HTTP/1.1 client under the library, made for its traffic: small request/reply exchanges with
//! one API host, on kept-alive connections shared by every thread, plain or TLS (rustls), directly or
//! through an HTTP CONNECT proxy.
//!
//! An exchange costs few system calls and little work: the request (head and body) is built in one
//! zeroized buffer and leaves in one `send`; the reply is read in one `recv` when it fits; the socket
//! time limits are set again only when the deadline calls for it; a kept connection is checked with
//! one `recv(MSG_PEEK | MSG_DONTWAIT)` before it is used again.

mod conn;
mod connect;
mod response;
mod tls;

use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use percent_encoding::percent_decode_str;
use rustls::pki_types::CertificateDer;
use zeroize::Zeroizing;

use crate::config::Settings;
use crate::secret::Secret;
use crate::transport::{
    classify_io, Failure, FailureKind, HttpReply, HttpRequest, Method, USER_AGENT,
};
use crate::validate::HttpUrl;
use conn::{Connection, IoFailure};
use response::{read_response, ReadError, MAX_HEAD_BYTES};

/// Kept-alive connections kept at most (enough for every thread of a busy process).
const MAX_IDLE_CONNECTIONS: usize = 32;
/// A kept connection unused for this long is closed rather than used again.
const MAX_IDLE_AGE: Duration = Duration::from_secs(30);

/// Where requests go: the API base's host and port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Target {
    pub https: bool,
    /// ASCII host; an IPv6 literal keeps its brackets.
    pub host: String,
    pub port: u16,
    /// `scheme://authority` as it starts every request URL.
    origin: String,
    /// The `Host` header.
    authority: String,
}

impl Target {
    pub(crate) fn of(url: &HttpUrl) -> Target {
        let https = url.scheme == "https";
        Target {
            https,
            host: url.host.clone(),
            port: url.port.unwrap_or(if https { 443 } else { 80 }),
            origin: format!("{}://{}", url.scheme, url.authority()),
            authority: url.authority(),
        }
    }
}

/// An HTTP CONNECT proxy.
#[derive(Clone)]
pub(crate) struct Proxy {
    pub host: String,
    pub port: u16,
    /// `Basic ...` credentials from the URL's user information.
    pub authorization: Option<Secret>,
}

impl Proxy {
    /// Parses `http://[user[:password]@]host[:port][/]` (port 80 by default; user and password
    /// percent-decoded). The error never repeats the URL.
    pub(crate) fn parse(url: &str) -> Result<Proxy, &'static str> {
        let rest = match url.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => rest,
            _ => return Err("must be an http://host:port URL of an HTTP CONNECT proxy"),
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.contains(['/', '?', '#']) {
            return Err("must not have a path, query or fragment");
        }
        let (userinfo, hostport) = match rest.rsplit_once('@') {
            Some((userinfo, hostport)) => (Some(userinfo), hostport),
            None => (None, rest),
        };
        let url = crate::validate::parse_http_url("proxy", &format!("http://{hostport}"))
            .map_err(|_| "is not a valid URL")?;
        let authorization = userinfo.map(|userinfo| {
            let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
            let decode = |s: &str| Zeroizing::new(percent_decode_str(s).collect::<Vec<u8>>());
            let mut pair = Zeroizing::new(decode(user).to_vec());
            pair.push(b':');
            pair.extend_from_slice(&decode(password));
            use base64::Engine as _;
            Secret::new(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(&*pair)
            ))
        });
        Ok(Proxy {
            host: url.host,
            port: url.port.unwrap_or(80),
            authorization,
        })
    }
}

/// The HTTP side of one set of settings: where to connect, how, and the kept connections.
pub(crate) struct HttpClient {
    target: Target,
    proxy: Option<Proxy>,
    extra_roots: Vec<CertificateDer<'static>>,
    /// Built on the first https connection.
    tls: OnceLock<Result<Arc<rustls::ClientConfig>, String>>,
    idle: Mutex<Vec<Connection>>,
}

impl HttpClient {
    pub(crate) fn new(settings: &Settings) -> HttpClient {
        HttpClient {
            target: settings.target.clone(),
            proxy: settings.proxy.clone(),
            extra_roots: settings.extra_roots.clone(),
            tls: OnceLock::new(),
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Sends `request` and reads the whole reply, within `remaining` (connecting within the
    /// connect time limit if no kept connection can be used).
    pub(crate) fn exchange(
        &self,
        settings: &Settings,
        request: &HttpRequest<'_>,
        remaining: Duration,
    ) -> Result<HttpReply, Failure> {
        let started = Instant::now();
        let deadline = started + remaining;
        let message = self.message(request)?;
        let mut conn = self.take_idle();
        let mut fresh = false;
        let mut conn = loop {
            let mut current = match conn.take() {
                Some(kept) => kept,
                None => {
                    fresh = true;
                    self.connect(settings, started, remaining, deadline)?
                }
            };
            match current.write_all(&message, deadline) {
                Ok(()) => break current,
                // A kept connection the server closed before the request left: nothing was sent,
                // so it goes again on a new connection.
                Err((IoFailure::Io(_), false)) if !fresh => {}
                Err((e, reached)) => return Err(send_failure(e, reached)),
            }
        };
        drop(message);
        let response = read_response(&mut conn, deadline, settings.max_response_bytes)
            .map_err(read_failure)?;
        if response.reusable {
            self.put_back(conn);
        }
        Ok(HttpReply {
            status: response.head.status,
            has_retry_after: response.head.has_retry_after,
            retry_after: response.head.retry_after,
            location: response.head.location,
            body: response.body,
        })
    }

    fn connect(
        &self,
        settings: &Settings,
        started: Instant,
        remaining: Duration,
        deadline: Instant,
    ) -> Result<Connection, Failure> {
        let tls = if self.target.https {
            let config = self
                .tls
                .get_or_init(|| tls::client_config(&self.extra_roots).map(Arc::new));
            match config {
                Ok(config) => Some(config.clone()),
                Err(e) => {
                    return Err(Failure {
                        kind: FailureKind::Tls,
                        may_have_reached_server: false,
                        detail: format!("TLS failure: {e}"),
                    })
                }
            }
        } else {
            None
        };
        let connect_deadline = started + settings.connect_timeout.min(remaining);
        connect::connect(
            &self.target,
            self.proxy.as_ref(),
            tls,
            connect_deadline,
            deadline,
        )
    }

    /// The most recently used kept connection that is still open, if any.
    fn take_idle(&self) -> Option<Connection> {
        loop {
            let conn = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop()?;
            if conn.idle_since.elapsed() < MAX_IDLE_AGE && conn.is_reusable() {
                return Some(conn);
            }
        }
    }

    fn put_back(&self, mut conn: Connection) {
        let now = Instant::now();
        conn.idle_since = now;
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        idle.retain(|c| now.duration_since(c.idle_since) < MAX_IDLE_AGE);
        if idle.len() < MAX_IDLE_CONNECTIONS {
            idle.push(conn);
        }
    }

    /// The whole request, head and body, in one buffer (zeroized when dropped: it carries the
    /// token, and the body can carry the partner secret or passwords).
    fn message(&self, request: &HttpRequest<'_>) -> Result<Zeroizing<Vec<u8>>, Failure> {
        let path = request
            .url
            .strip_prefix(self.target.origin.as_str())
            .filter(|path| path.starts_with('/'))
            .ok_or_else(|| Failure {
                kind: FailureKind::Other,
                may_have_reached_server: false,
                detail: "the request URL is not below the API base".into(),
            })?;
        let method = request.method.as_str();
        let body: Option<(&str, &[u8])> = match (request.body, request.method) {
            (Some(body), _) => Some((body.content_type(), body.bytes())),
            (None, Method::Post | Method::Put) => Some(("application/x-www-form-urlencoded", b"")),
            (None, Method::Get | Method::Delete) => None,
        };
        let length = body.map(|(_, bytes)| bytes.len().to_string());
        let token = request.bearer.map(|t| t.expose()).unwrap_or("");
        let parts: [&[u8]; 17] = [
            method.as_bytes(),
            b" ",
            path.as_bytes(),
            b" HTTP/1.1\r\nHost: ",
            self.target.authority.as_bytes(),
            b"\r\nUser-Agent: ",
            USER_AGENT.as_bytes(),
            b"\r\nAccept: application/json\r\n",
            if request.bearer.is_some() {
                b"Authorization: Bearer "
            } else {
                b""
            },
            token.as_bytes(),
            if request.bearer.is_some() {
                b"\r\n"
            } else {
                b""
            },
            if body.is_some() {
                b"Content-Type: "
            } else {
                b""
            },
            body.map_or(&b""[..], |(content_type, _)| content_type.as_bytes()),
            if body.is_some() {
                b"\r\nContent-Length: "
            } else {
                b""
            },
            length.as_deref().unwrap_or("").as_bytes(),
            if body.is_some() { b"\r\n\r\n" } else { b"\r\n" },
            body.map_or(&b""[..], |(_, bytes)| bytes),
        ];
        // Sized first: a buffer that grew would leave copies of the secrets behind.
        let mut message = Zeroizing::new(Vec::with_capacity(parts.iter().map(|p| p.len()).sum()));
        for part in parts {
            message.extend_from_slice(part);
        }
        Ok(message)
    }
}

/// Reads a reply from bytes in memory handed out `step` at a time (for the fuzz targets): its status
/// and body, whether the connection could be reused, or the failure's detail.
pub(crate) fn read_reply_bytes(
    data: &[u8],
    step: usize,
    max_body: u64,
) -> Result<(u16, Vec<u8>, bool), String> {
    let far = Instant::now() + Duration::from_secs(3600);
    read_response(&mut response::Replay::new(data, step), far, max_body)
        .map(|r| (r.head.status, r.body.to_vec(), r.reusable))
        .map_err(|e| read_failure(e).detail)
}

fn send_failure(e: IoFailure, reached: bool) -> Failure {
    match e {
        IoFailure::Deadline => Failure {
            kind: FailureKind::Timeout,
            may_have_reached_server: reached,
            detail: "timed out sending the request".into(),
        },
        IoFailure::Io(e) => Failure {
            may_have_reached_server: reached,
            ..classify_io(e)
        },
    }
}

fn read_failure(e: ReadError) -> Failure {
    let failure = |kind, detail: String| Failure {
        kind,
        may_have_reached_server: true,
        detail,
    };
    match e {
        ReadError::Deadline => failure(
            FailureKind::Timeout,
            "timed out waiting for the reply".into(),
        ),
        ReadError::Io(e) => Failure {
            may_have_reached_server: true,
            ..classify_io(e)
        },
        ReadError::Closed => failure(
            FailureKind::Broken,
            "the connection was closed before the whole reply arrived".into(),
        ),
        ReadError::HeadTooLarge => failure(
            FailureKind::TooLarge,
            format!("the reply headers are larger than the limit of {MAX_HEAD_BYTES} bytes"),
        ),
        ReadError::BodyTooLarge(limit) => failure(
            FailureKind::TooLarge,
            format!("the reply body is larger than the limit of {limit} bytes"),
        ),
        ReadError::Invalid(what) => failure(
            FailureKind::BadHttp,
            format!("the reply is not valid HTTP: {what}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_urls() {
        let p = Proxy::parse("http://127.0.0.1:3128").unwrap();
        assert_eq!((p.host.as_str(), p.port), ("127.0.0.1", 3128));
        assert!(p.authorization.is_none());
        let p = Proxy::parse("HTTP://proxy.example/").unwrap();
        assert_eq!((p.host.as_str(), p.port), ("proxy.example", 80));
        let p = Proxy::parse("http://u%40ser:p%3Ass:tail@[::1]:8080").unwrap();
        assert_eq!((p.host.as_str(), p.port), ("[::1]", 8080));
        // base64("u@ser:p:ss:tail")
        assert_eq!(
            p.authorization.unwrap().expose(),
            "Basic dUBzZXI6cDpzczp0YWls"
        );
        for bad in [
            "socks5://127.0.0.1:1080",
            "127.0.0.1:3128",
            "http://127.0.0.1:3128/path",
            "http://:3128",
            "http://host:99999",
        ] {
            assert!(Proxy::parse(bad).is_err(), "{bad}");
        }
    }
}

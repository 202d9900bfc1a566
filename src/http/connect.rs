//! Making a connection: the host name looked up (bounded by the connect time limit), each address
//! tried in turn, the CONNECT tunnel of a proxy, and the TLS handshake.

use std::io;
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, StreamOwned};

use super::conn::{Connection, IoFailure, Stream};
use super::response::{parse_head, MAX_HEAD_BYTES};
use super::{Proxy, Target};
use crate::transport::{classify_io, Failure, FailureKind, USER_AGENT};

/// The shortest time given to one address of a host with several.
const MIN_PER_ADDRESS: Duration = Duration::from_millis(10);

fn not_sent(kind: FailureKind, detail: impl Into<String>) -> Failure {
    Failure {
        kind,
        may_have_reached_server: false,
        detail: detail.into(),
    }
}

fn connect_timeout() -> Failure {
    not_sent(FailureKind::Timeout, "timed out while connecting")
}

/// A failure before the request was sent: it never reached the server, whatever the error.
fn before_sending(e: IoFailure) -> Failure {
    match e {
        IoFailure::Deadline => connect_timeout(),
        IoFailure::Io(e) => Failure {
            may_have_reached_server: false,
            ..classify_io(e)
        },
    }
}

/// The addresses of `host` (an IPv6 literal keeps its brackets). A name is looked up in a thread of
/// its own, so that the lookup is bounded by `deadline` (the system resolver has no time limit).
fn resolve(host: &str, port: u16, deadline: Instant) -> Result<Vec<SocketAddr>, Failure> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let (tx, rx) = mpsc::channel();
    let name = bare.to_string();
    std::thread::Builder::new()
        .name("jetpack-partner-resolve".into())
        .spawn(move || {
            let found = (name.as_str(), port)
                .to_socket_addrs()
                .map(|addrs| addrs.collect::<Vec<_>>());
            let _ = tx.send(found);
        })
        .map_err(|e| not_sent(FailureKind::Other, format!("cannot start a lookup: {e}")))?;
    let unresolved = || not_sent(FailureKind::Connect, "the host name could not be resolved");
    match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        Ok(Ok(addrs)) if !addrs.is_empty() => Ok(addrs),
        Ok(_) => Err(unresolved()),
        Err(mpsc::RecvTimeoutError::Timeout) => Err(connect_timeout()),
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(unresolved()),
    }
}

/// Tries the addresses in turn, giving each a share of the time left (half for the first, a quarter
/// for the second...).
fn connect_any(addrs: &[SocketAddr], deadline: Instant) -> Result<TcpStream, Failure> {
    let total = deadline.saturating_duration_since(Instant::now());
    let total_weight = 2.0 * (1.0 - 0.5_f64.powi(addrs.len() as i32));
    let mut weight = 1.0_f64;
    let mut last = None;
    for addr in addrs {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(connect_timeout());
        }
        let share = Duration::from_secs_f64(total.as_secs_f64() * weight / total_weight)
            .max(MIN_PER_ADDRESS)
            .min(left);
        weight /= 2.0;
        match TcpStream::connect_timeout(addr, share) {
            Ok(stream) => {
                stream
                    .set_nodelay(true)
                    .map_err(|e| before_sending(e.into()))?;
                return Ok(stream);
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
                ) =>
            {
                last = Some(connect_timeout());
            }
            Err(e) => last = Some(before_sending(e.into())),
        }
    }
    Err(last.unwrap_or_else(|| not_sent(FailureKind::Connect, "the connection was refused")))
}

/// A TCP connection to the target, or to the proxy with a tunnel to the target, bounded by
/// `connect_deadline`; then the TLS handshake for https, bounded by `deadline`.
pub(crate) fn connect(
    target: &Target,
    proxy: Option<&Proxy>,
    tls: Option<Arc<ClientConfig>>,
    connect_deadline: Instant,
    deadline: Instant,
) -> Result<Connection, Failure> {
    let (host, port) = match proxy {
        Some(proxy) => (proxy.host.as_str(), proxy.port),
        None => (target.host.as_str(), target.port),
    };
    let addrs = resolve(host, port, connect_deadline)?;
    let tcp = connect_any(&addrs, connect_deadline)?;
    let mut conn = Connection::new(Stream::Plain(tcp));
    if let Some(proxy) = proxy {
        tunnel(&mut conn, proxy, target, connect_deadline)?;
    }
    match tls {
        Some(config) => handshake(conn, config, target, deadline),
        None => Ok(conn),
    }
}

/// Asks the proxy for a tunnel to the target (`CONNECT host:port`).
fn tunnel(
    conn: &mut Connection,
    proxy: &Proxy,
    target: &Target,
    deadline: Instant,
) -> Result<(), Failure> {
    let authority = format!("{}:{}", target.host, target.port);
    let credentials = proxy.authorization.as_ref().map_or("", |c| c.expose());
    // Sized first: a buffer that grew would leave a copy of the credentials behind.
    let mut request = zeroize::Zeroizing::new(String::with_capacity(
        128 + 2 * authority.len() + USER_AGENT.len() + credentials.len(),
    ));
    for part in [
        "CONNECT ",
        &authority,
        " HTTP/1.1\r\nHost: ",
        &authority,
        "\r\nUser-Agent: ",
        USER_AGENT,
        "\r\n",
    ] {
        request.push_str(part);
    }
    if !credentials.is_empty() {
        for part in ["Proxy-Authorization: ", credentials, "\r\n"] {
            request.push_str(part);
        }
    }
    request.push_str("\r\n");
    conn.write_all(request.as_bytes(), deadline)
        .map_err(|(e, _)| before_sending(e))?;
    let refused = |why: String| {
        not_sent(
            FailureKind::Connect,
            format!("the proxy refused the tunnel: {why}"),
        )
    };
    loop {
        match parse_head(conn.available()) {
            Ok(Some((used, head))) => {
                conn.consume(used);
                if (200..300).contains(&head.status) {
                    return Ok(());
                }
                return Err(refused(format!("proxy server responded {}", head.status)));
            }
            Ok(None) if conn.available().len() < MAX_HEAD_BYTES => {}
            Ok(None) => return Err(refused("its reply head is too large".into())),
            Err(_) => return Err(refused("its reply is not valid HTTP".into())),
        }
        match conn.fill(deadline) {
            Ok(0) => return Err(refused("proxy server did not respond".into())),
            Ok(_) => {}
            Err(e) => return Err(before_sending(e)),
        }
    }
}

/// The TLS handshake, the certificate checked for the target's host name.
fn handshake(
    conn: Connection,
    config: Arc<ClientConfig>,
    target: &Target,
    deadline: Instant,
) -> Result<Connection, Failure> {
    let tls_failure = |detail: String| not_sent(FailureKind::Tls, format!("TLS failure: {detail}"));
    let bare = target.host.trim_start_matches('[').trim_end_matches(']');
    let name = ServerName::try_from(bare.to_string())
        .map_err(|e| tls_failure(format!("invalid server name: {e}")))?;
    let session = ClientConnection::new(config, name).map_err(|e| tls_failure(e.to_string()))?;
    let Stream::Plain(tcp) = conn.into_stream() else {
        return Err(tls_failure("already a TLS connection".into()));
    };
    let mut conn = Connection::new(Stream::Tls(Box::new(StreamOwned::new(session, tcp))));
    loop {
        conn.set_read_limit(deadline)
            .and_then(|()| conn.set_write_limit(deadline))
            .map_err(before_sending)?;
        let Stream::Tls(stream) = conn.stream_mut() else {
            unreachable!("made above");
        };
        if !stream.conn.is_handshaking() {
            return Ok(conn);
        }
        let StreamOwned {
            conn: session,
            sock,
        } = &mut **stream;
        match session.complete_io(sock) {
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::Interrupted
                        | io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                ) => {}
            Err(e) => {
                let failure = classify_io(e);
                return Err(match failure.kind {
                    FailureKind::Tls => not_sent(FailureKind::Tls, failure.detail),
                    _ => tls_failure(failure.detail),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_need_no_lookup() {
        let soon = Instant::now() + Duration::from_secs(1);
        assert_eq!(
            resolve("127.0.0.1", 8080, soon).unwrap(),
            vec!["127.0.0.1:8080".parse().unwrap()]
        );
        assert_eq!(
            resolve("[::1]", 80, soon).unwrap(),
            vec!["[::1]:80".parse().unwrap()]
        );
    }

    #[test]
    fn a_refused_connection_never_reached_the_server() {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let addrs = [SocketAddr::from(([127, 0, 0, 1], port))];
        let failure = connect_any(&addrs, Instant::now() + Duration::from_secs(2)).unwrap_err();
        assert_eq!(failure.kind, FailureKind::Connect);
        assert!(!failure.may_have_reached_server);
    }
}

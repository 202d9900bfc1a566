//! A hostile HTTP server for the transport tests: it answers the token request and `GET /ok/NAME`
//! like the API (one well-formed reply each, `{"ok":"NAME"}`), and `GET /case` with whatever bytes
//! the test asks for: broken framing, extra bytes, trickled replies, silence, resets, redirects.
//! Plain HTTP or TLS (a certificate from a CA made at test time). It records every request head and
//! counts connections; its threads stop by themselves (time limits on every socket).

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The token the hostile server issues.
pub const TOKEN: &str = "hostile-server-token-1f4e9a";

/// How long any server thread waits on a silent client before giving up.
const IDLE_LIMIT: Duration = Duration::from_secs(15);

/// What the server does when asked for `/case`.
#[derive(Clone)]
pub enum Act {
    /// Writes the bytes in one write (one TLS record when it fits), then serves the next request.
    Send(Vec<u8>),
    /// Writes the bytes, then closes the connection.
    SendThenClose(Vec<u8>),
    /// Writes the bytes, then resets the connection (RST, not FIN).
    SendThenReset(Vec<u8>),
    /// Writes the bytes one at a time, pausing between them, then serves the next request.
    Trickle(Vec<u8>, Duration),
    /// Reads the request and never answers.
    Silence,
    /// Writes the bytes, then keeps streaming `filler` bytes until the client goes away.
    Endless(Vec<u8>),
}

/// How a connection starts.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Opening {
    /// Every connection is served.
    Normal,
    /// The warm-up connection (the first) is closed after its replies, and the second connection is
    /// never answered: not even the TLS handshake (over plain HTTP, the request is never answered).
    StallSecond,
}

/// What the server saw.
#[derive(Default)]
pub struct Seen {
    /// The request heads, whole (request line and headers).
    pub heads: Mutex<Vec<String>>,
    pub connections: AtomicUsize,
}

impl Seen {
    pub fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }
}

/// A running hostile server; stops when dropped.
pub struct HostileServer {
    addr: SocketAddr,
    tls: bool,
    stop: Arc<AtomicBool>,
    pub seen: Arc<Seen>,
    accept: Option<JoinHandle<()>>,
}

/// The server's TLS identity.
pub type Identity = (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>);

impl HostileServer {
    pub fn start(act: Act, opening: Opening, identity: Option<Identity>) -> HostileServer {
        let tls = identity.map(|(certs, key)| {
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            Arc::new(
                rustls::ServerConfig::builder_with_provider(provider)
                    .with_safe_default_protocol_versions()
                    .expect("protocol versions")
                    .with_no_client_auth()
                    .with_single_cert(certs, key)
                    .expect("server certificate and key"),
            )
        });
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Seen::default());
        let is_tls = tls.is_some();
        let (stop2, seen2) = (stop.clone(), seen.clone());
        let accept = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let index = seen2.connections.fetch_add(1, Ordering::SeqCst);
                let (tls, seen, act) = (tls.clone(), seen2.clone(), act.clone());
                std::thread::spawn(move || {
                    let _ = stream.set_read_timeout(Some(IDLE_LIMIT));
                    let _ = stream.set_write_timeout(Some(IDLE_LIMIT));
                    if opening == Opening::StallSecond && index == 1 {
                        return stall(stream);
                    }
                    let close_after_warm_up = opening == Opening::StallSecond && index == 0;
                    match tls {
                        None => serve(Wire::Plain(stream), &act, &seen, close_after_warm_up),
                        Some(config) => {
                            let Ok(conn) = rustls::ServerConnection::new(config) else {
                                return;
                            };
                            let mut tls = rustls::StreamOwned::new(conn, stream);
                            while tls.conn.is_handshaking() {
                                if tls.conn.complete_io(&mut tls.sock).is_err() {
                                    return;
                                }
                            }
                            serve(Wire::Tls(Box::new(tls)), &act, &seen, close_after_warm_up)
                        }
                    }
                });
            }
        });
        HostileServer {
            addr,
            tls: is_tls,
            stop,
            seen,
            accept: Some(accept),
        }
    }

    /// `http://127.0.0.1:PORT` or `https://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }
}

impl Drop for HostileServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
    }
}

/// A listener that only counts the connections made to it: the other origin a redirect points to.
pub struct Witness {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    pub connections: Arc<AtomicUsize>,
    accept: Option<JoinHandle<()>>,
}

impl Witness {
    pub fn start() -> Witness {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let connections = Arc::new(AtomicUsize::new(0));
        let (stop2, count) = (stop.clone(), connections.clone());
        let accept = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                if stream.is_ok() {
                    count.fetch_add(1, Ordering::SeqCst);
                }
            }
        });
        Witness {
            addr,
            stop,
            connections,
            accept: Some(accept),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Witness {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // The wake-up connection is not counted: the flag is set first.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
    }
}

enum Wire {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ServerConnection, TcpStream>>),
}

impl Wire {
    fn tcp(&self) -> &TcpStream {
        match self {
            Wire::Plain(s) => s,
            Wire::Tls(s) => &s.sock,
        }
    }
}

impl Read for Wire {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Wire::Plain(s) => s.read(buf),
            Wire::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Wire {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Wire::Plain(s) => s.write(buf),
            Wire::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Wire::Plain(s) => s.flush(),
            Wire::Tls(s) => s.flush(),
        }
    }
}

/// Holds a connection open without a byte, until the client leaves or the idle limit passes.
fn stall(mut stream: TcpStream) {
    let mut sink = [0u8; 1024];
    while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
}

/// A well-formed JSON reply.
pub fn json_reply(json: &str, close: bool) -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{}\r\n{json}",
        json.len(),
        if close { "Connection: close\r\n" } else { "" }
    )
    .into_bytes()
}

fn serve(mut wire: Wire, act: &Act, seen: &Seen, close_after_warm_up: bool) {
    let mut pending = Vec::new();
    loop {
        let Some((head, _body)) = read_request(&mut wire, &mut pending) else {
            return;
        };
        seen.heads.lock().unwrap().push(head.clone());
        let path = head
            .split(' ')
            .nth(1)
            .unwrap_or("")
            .split('?')
            .next()
            .unwrap_or("")
            .to_string();
        let reply = if path == "/oauth2/token" {
            Some(json_reply(
                &format!(r#"{{"access_token":"{TOKEN}","token_type":"bearer"}}"#),
                false,
            ))
        } else {
            path.strip_prefix("/ok/")
                .map(|name| json_reply(&format!(r#"{{"ok":"{name}"}}"#), close_after_warm_up))
        };
        if let Some(reply) = reply {
            if wire.write_all(&reply).and_then(|_| wire.flush()).is_err() {
                return;
            }
            if close_after_warm_up && path.starts_with("/ok/") {
                return;
            }
            continue;
        }
        if path != "/case" {
            let _ = wire.write_all(&json_reply(r#"{"error":"not_found"}"#, true));
            return;
        }
        match act {
            Act::Send(bytes) => {
                if wire.write_all(bytes).and_then(|_| wire.flush()).is_err() {
                    return;
                }
            }
            Act::SendThenClose(bytes) => {
                let _ = wire.write_all(bytes).and_then(|_| wire.flush());
                if let Wire::Tls(tls) = &mut wire {
                    tls.conn.send_close_notify();
                    let _ = tls.flush();
                }
                return;
            }
            Act::SendThenReset(bytes) => {
                let _ = wire.write_all(bytes).and_then(|_| wire.flush());
                std::thread::sleep(Duration::from_millis(50));
                let _ = socket2::SockRef::from(wire.tcp()).set_linger(Some(Duration::ZERO));
                return;
            }
            Act::Trickle(bytes, pause) => {
                for byte in bytes {
                    if wire.write_all(&[*byte]).and_then(|_| wire.flush()).is_err() {
                        return;
                    }
                    std::thread::sleep(*pause);
                }
            }
            Act::Silence => return stall_wire(wire),
            Act::Endless(head) => {
                if wire.write_all(head).is_err() {
                    return;
                }
                let filler = vec![b'x'; 64 * 1024];
                while wire.write_all(&filler).is_ok() {}
                return;
            }
        }
    }
}

fn stall_wire(mut wire: Wire) {
    let mut sink = [0u8; 1024];
    while matches!(wire.read(&mut sink), Ok(n) if n > 0) {}
}

/// Reads one request (head and `Content-Length` body); `None` when the client went away.
fn read_request(wire: &mut Wire, pending: &mut Vec<u8>) -> Option<(String, Vec<u8>)> {
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match wire.read(&mut chunk) {
            Ok(0) | Err(_) => return None,
            Ok(n) => pending.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&pending[..head_end]).into_owned();
    let length = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    while pending.len() < head_end + length {
        match wire.read(&mut chunk) {
            Ok(0) | Err(_) => return None,
            Ok(n) => pending.extend_from_slice(&chunk[..n]),
        }
    }
    let body = pending[head_end..head_end + length].to_vec();
    pending.drain(..head_end + length);
    Some((head, body))
}

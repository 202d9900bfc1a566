//! The accept loop and one thread per connection, including the faults that
//! act on the wire (slow head or body, reset, close).

use crate::faults::{Fault, Kind};
use crate::http::{Conn, ReadError, Response};
use crate::router::{self, Outcome};
use crate::stream::Stream;
use crate::Shared;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Connections served at once; past it a new connection gets 503 and is closed.
const MAX_CONNECTIONS: usize = 2048;

pub fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    for conn in listener.incoming() {
        if shared.shutdown.load(Ordering::SeqCst) {
            break;
        }
        match conn {
            Ok(mut stream) => {
                if shared.connections.load(Ordering::SeqCst) >= MAX_CONNECTIONS {
                    let resp = Response::text(503, "Too many connections\n");
                    let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
                    let _ = stream.write_all(&resp.head_bytes(false));
                    let _ = stream.write_all(&resp.body);
                    continue;
                }
                shared.connections.fetch_add(1, Ordering::SeqCst);
                let s2 = shared.clone();
                let spawned = std::thread::Builder::new()
                    .name("sandbox-conn".into())
                    .stack_size(256 * 1024)
                    .spawn(move || {
                        let _guard = ConnGuard(&s2);
                        serve(stream, &s2);
                    });
                if spawned.is_err() {
                    shared.connections.fetch_sub(1, Ordering::SeqCst);
                }
            }
            Err(_) => std::thread::sleep(Duration::from_millis(10)),
        }
    }
}

struct ConnGuard<'a>(&'a Shared);

impl Drop for ConnGuard<'_> {
    fn drop(&mut self) {
        self.0.connections.fetch_sub(1, Ordering::SeqCst);
    }
}

fn serve(tcp: TcpStream, shared: &Shared) {
    Conn::prepare(&tcp);
    let tls = shared.tls.as_ref().map(|t| &t.config);
    let Some(stream) = Stream::accept(tcp, tls, &shared.shutdown, crate::http::IDLE_TIMEOUT) else {
        return;
    };
    let mut conn = Conn::new(stream);
    loop {
        let req = match conn.read_request(&shared.shutdown, shared.max_body) {
            Ok(req) => req,
            Err(ReadError::Closed) => return,
            Err(ReadError::Reject(status, message)) => {
                let resp = if status == 413 {
                    let body = serde_json::json!({
                        "error": "request_too_large",
                        "message": format!("The request body is larger than {} bytes.", shared.max_body),
                    });
                    Response::new(413, "application/json", body.to_string().into_bytes())
                } else {
                    Response::text(status, &format!("{message}\n"))
                };
                let _ = write_all(&mut conn.stream, &resp.head_bytes(false), shared);
                let _ = write_all(&mut conn.stream, &resp.body, shared);
                lingering_close(&mut conn.stream);
                return;
            }
        };
        let keep_alive = req.keep_alive();
        // A bug in a handler must not take the connection down silently.
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            router::dispatch(shared, &req)
        }))
        .unwrap_or_else(|_| {
            let body = br#"{"error":"internal_error","message":"The sandbox failed to handle this request."}"#;
            Outcome::Reply(Response::new(500, "application/json", body.to_vec()), None)
        });
        match outcome {
            Outcome::Close => return,
            Outcome::Reply(resp, fault) => {
                if !write_response(&mut conn.stream, &resp, keep_alive, fault.as_ref(), shared) {
                    return;
                }
            }
        }
        if !keep_alive {
            lingering_close(&mut conn.stream);
            return;
        }
    }
}

/// Sends the reply and closes, reading what the client still sends for a
/// moment so that the reply is not lost to a reset.
fn lingering_close(stream: &mut Stream) {
    let _ = stream.flush();
    stream.shutdown_write();
    let deadline = Instant::now() + Duration::from_secs(2);
    let mut sink = [0u8; 16 * 1024];
    let mut total = 0usize;
    let mut tcp = stream.tcp();
    while Instant::now() < deadline && total < 64 * 1024 * 1024 {
        match tcp.read(&mut sink) {
            Ok(0) => break,
            Ok(n) => total += n,
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(_) => break,
        }
    }
}

fn write_all(stream: &mut Stream, bytes: &[u8], _shared: &Shared) -> bool {
    stream.write_all(bytes).is_ok() && stream.flush().is_ok()
}

/// Writes `bytes` one byte every `ms`; false if the client went away or the
/// server stops.
fn trickle(stream: &mut Stream, bytes: &[u8], ms: u64, shared: &Shared) -> bool {
    for b in bytes {
        if stream.write_all(std::slice::from_ref(b)).is_err() || stream.flush().is_err() {
            return false;
        }
        if !sleep_checked(ms, shared) {
            return false;
        }
    }
    true
}

/// Sleeps `ms`, waking early (false) if the server stops.
pub fn sleep_checked(ms: u64, shared: &Shared) -> bool {
    let deadline = Instant::now() + Duration::from_millis(ms);
    loop {
        if shared.shutdown.load(Ordering::Relaxed) {
            return false;
        }
        let now = Instant::now();
        if now >= deadline {
            return true;
        }
        std::thread::sleep((deadline - now).min(Duration::from_millis(50)));
    }
}

/// Writes a response, applying a wire fault. Returns whether the connection
/// may carry another request.
fn write_response(
    stream: &mut Stream,
    resp: &Response,
    keep_alive: bool,
    fault: Option<&Fault>,
    shared: &Shared,
) -> bool {
    let head = resp.head_bytes(keep_alive);
    match fault.map(|f| f.kind) {
        Some(Kind::SlowHeaders) => {
            let ms = fault.map_or(1000, Fault::delay_ms);
            trickle(stream, &head, ms, shared) && write_all(stream, &resp.body, shared)
        }
        Some(Kind::SlowBody) => {
            let ms = fault.map_or(1000, Fault::delay_ms);
            write_all(stream, &head, shared) && trickle(stream, &resp.body, ms, shared)
        }
        Some(Kind::Reset) => {
            let half = resp.body.len() / 2;
            let _ = stream.write_all(&head);
            let _ = stream.write_all(&resp.body[..half]);
            let _ = stream.flush();
            // Give the bytes a moment to leave, then reset (SO_LINGER 0).
            std::thread::sleep(Duration::from_millis(20));
            let _ = socket2::SockRef::from(stream.tcp()).set_linger(Some(Duration::ZERO));
            false
        }
        _ => {
            let mut all = head;
            all.extend_from_slice(&resp.body);
            write_all(stream, &all, shared)
        }
    }
}

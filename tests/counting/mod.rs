//! A plain-HTTP test server that counts what costs round trips: connections accepted, token
//! requests, calls refused for their token. It issues numbered tokens (`rt-token-1`, ...), accepts
//! only tokens it has not revoked, answers `GET /ok/NAME` with `{"ok":"NAME"}`, and can announce a
//! `Keep-Alive: timeout=N`. Connections stay open until the client leaves (or 20 s of silence).

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

#[derive(Default)]
pub struct Counts {
    pub connections: AtomicUsize,
    pub token_requests: AtomicUsize,
    pub refused: AtomicUsize,
    pub calls: AtomicUsize,
    /// Connections accepted when the first token reply was sent (0 until then).
    pub connections_at_first_token: AtomicUsize,
    /// How long the token endpoint takes to answer.
    token_delay: Mutex<Duration>,
    /// Tokens the server accepts.
    valid: Mutex<Vec<String>>,
}

pub struct CountingServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    pub counts: Arc<Counts>,
    accept: Option<JoinHandle<()>>,
}

impl CountingServer {
    /// `keep_alive`: the `timeout=N` (seconds) announced on every reply, if any.
    pub fn start(keep_alive: Option<u64>) -> CountingServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let counts = Arc::new(Counts::default());
        let (stop2, counts2) = (stop.clone(), counts.clone());
        let accept = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                counts2.connections.fetch_add(1, Ordering::SeqCst);
                let counts = counts2.clone();
                std::thread::spawn(move || serve(stream, &counts, keep_alive));
            }
        });
        CountingServer {
            addr,
            stop,
            counts,
            accept: Some(accept),
        }
    }

    /// Makes the token endpoint take `delay` to answer (a slow token exchange).
    pub fn delay_token_replies(&self, delay: Duration) {
        *self.counts.token_delay.lock().unwrap() = delay;
    }

    /// Connections accepted when the first token reply was sent.
    pub fn connections_at_first_token(&self) -> usize {
        self.counts
            .connections_at_first_token
            .load(Ordering::SeqCst)
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Refuses every token issued so far (as after a credential rotation).
    pub fn revoke_all(&self) {
        self.counts.valid.lock().unwrap().clear();
    }

    pub fn connections(&self) -> usize {
        self.counts.connections.load(Ordering::SeqCst)
    }

    pub fn token_requests(&self) -> usize {
        self.counts.token_requests.load(Ordering::SeqCst)
    }

    pub fn refused(&self) -> usize {
        self.counts.refused.load(Ordering::SeqCst)
    }
}

impl Drop for CountingServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
    }
}

fn serve(stream: TcpStream, counts: &Counts, keep_alive: Option<u64>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(20)));
    let mut reader = BufReader::new(stream);
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let (mut length, mut bearer) = (0usize, None);
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap_or(0);
                }
                if name.eq_ignore_ascii_case("authorization") {
                    bearer = value.trim().strip_prefix("Bearer ").map(str::to_string);
                }
            }
        }
        let mut body = vec![0u8; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let path = request_line.split(' ').nth(1).unwrap_or("").to_string();
        let (status, json) = if path == "/oauth2/token" {
            let n = counts.token_requests.fetch_add(1, Ordering::SeqCst) + 1;
            let delay = *counts.token_delay.lock().unwrap();
            std::thread::sleep(delay);
            if n == 1 {
                let accepted = counts.connections.load(Ordering::SeqCst);
                counts
                    .connections_at_first_token
                    .store(accepted, Ordering::SeqCst);
            }
            let token = format!("rt-token-{n}");
            counts.valid.lock().unwrap().push(token.clone());
            (
                "200 OK",
                format!(r#"{{"access_token":"{token}","token_type":"bearer"}}"#),
            )
        } else if let Some(name) = path.strip_prefix("/ok/") {
            counts.calls.fetch_add(1, Ordering::SeqCst);
            let valid = bearer.is_some_and(|t| counts.valid.lock().unwrap().contains(&t));
            if valid {
                ("200 OK", format!(r#"{{"ok":"{name}"}}"#))
            } else {
                counts.refused.fetch_add(1, Ordering::SeqCst);
                (
                    "403 Forbidden",
                    r#"{"error":"invalid_token","message":"The token is not valid."}"#.to_string(),
                )
            }
        } else {
            (
                "404 Not Found",
                r#"{"error":"not_found","message":"No such path."}"#.to_string(),
            )
        };
        let keep_alive = keep_alive
            .map(|n| format!("Keep-Alive: timeout={n}, max=1000\r\n"))
            .unwrap_or_default();
        let reply = format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\n{keep_alive}Content-Length: {}\r\n\r\n{json}",
            json.len()
        );
        let stream = reader.get_mut();
        if stream.write_all(reply.as_bytes()).is_err() {
            return;
        }
    }
}

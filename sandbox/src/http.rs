//! HTTP/1.1 on a blocking socket: reading requests (keep-alive, pipelining,
//! Content-Length and chunked bodies, `Expect: 100-continue`) and the
//! response type.

use crate::stream::Stream;
use std::io::{ErrorKind, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Largest request head accepted (431 past it).
pub const MAX_HEAD: usize = 64 * 1024;
/// How long an idle keep-alive connection is kept.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a started request may take to arrive.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How long one write may block on a client that does not read.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// Read timeout used to notice shutdown.
pub const TICK: Duration = Duration::from_millis(100);

pub struct Request {
    pub method: String,
    pub path: String,
    pub query: String,
    pub minor_version: u8,
    /// Lowercased names.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Whether it arrived over TLS.
    pub secure: bool,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn keep_alive(&self) -> bool {
        let conn = self.header("connection").unwrap_or("").to_ascii_lowercase();
        if self.minor_version == 0 {
            conn.contains("keep-alive")
        } else {
            !conn.contains("close")
        }
    }
}

pub enum ReadError {
    /// The peer closed, the connection idled out, or the server stops.
    Closed,
    /// A malformed or refused request: reply with this status, then close.
    Reject(u16, &'static str),
}

pub struct Conn {
    pub stream: Stream,
    buf: Vec<u8>,
}

fn status_text(code: u16) -> &'static str {
    match code {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        302 => "Found",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        411 => "Length Required",
        413 => "Payload Too Large",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

/// A complete response, ready to write.
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn new(status: u16, content_type: &str, body: Vec<u8>) -> Response {
        Response {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body,
        }
    }

    pub fn text(status: u16, body: &str) -> Response {
        Response::new(
            status,
            "text/plain; charset=utf-8",
            body.as_bytes().to_vec(),
        )
    }

    pub fn head_bytes(&self, keep_alive: bool) -> Vec<u8> {
        let mut h = format!("HTTP/1.1 {} {}\r\n", self.status, status_text(self.status));
        for (k, v) in &self.headers {
            h.push_str(k);
            h.push_str(": ");
            h.push_str(v);
            h.push_str("\r\n");
        }
        h.push_str(&format!("Content-Length: {}\r\n", self.body.len()));
        h.push_str(if keep_alive {
            "Connection: keep-alive\r\n"
        } else {
            "Connection: close\r\n"
        });
        h.push_str("\r\n");
        h.into_bytes()
    }
}

impl Conn {
    /// Short read timeouts (to notice shutdown) and a bounded write time on
    /// a new socket, before [`Stream::accept`] peeks at it.
    pub fn prepare(tcp: &std::net::TcpStream) {
        let _ = tcp.set_read_timeout(Some(TICK));
        // A client that stops reading cannot hold a thread forever.
        let _ = tcp.set_write_timeout(Some(WRITE_TIMEOUT));
        let _ = tcp.set_nodelay(true);
    }

    pub fn new(stream: Stream) -> Conn {
        Conn {
            stream,
            buf: Vec::with_capacity(8192),
        }
    }

    /// Reads more bytes into the buffer. `Ok(false)` when the peer closed.
    fn fill(&mut self, shutdown: &AtomicBool, deadline: Instant) -> Result<bool, ReadError> {
        let mut chunk = [0u8; 16 * 1024];
        loop {
            if shutdown.load(Ordering::Relaxed) {
                return Err(ReadError::Closed);
            }
            match self.stream.read(&mut chunk) {
                Ok(0) => return Ok(false),
                Ok(n) => {
                    self.buf.extend_from_slice(&chunk[..n]);
                    return Ok(true);
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                    ) =>
                {
                    if Instant::now() >= deadline {
                        return Err(ReadError::Closed);
                    }
                }
                Err(_) => return Err(ReadError::Closed),
            }
        }
    }

    /// Reads the next request.
    pub fn read_request(
        &mut self,
        shutdown: &AtomicBool,
        max_body: usize,
    ) -> Result<Request, ReadError> {
        let idle_deadline = Instant::now() + IDLE_TIMEOUT;
        let mut deadline = idle_deadline;
        // Head.
        let (head_len, mut req) = loop {
            let mut headers = [httparse::EMPTY_HEADER; 100];
            let mut parsed = httparse::Request::new(&mut headers);
            match parsed.parse(&self.buf) {
                Ok(httparse::Status::Complete(n)) => {
                    let method = parsed.method.unwrap_or("GET").to_string();
                    let target = origin_form(parsed.path.unwrap_or("/"));
                    let (path, query) = match target.find('?') {
                        Some(i) => (&target[..i], &target[i + 1..]),
                        None => (target, ""),
                    };
                    let req = Request {
                        method,
                        path: path.to_string(),
                        query: query.to_string(),
                        minor_version: parsed.version.unwrap_or(1),
                        headers: parsed
                            .headers
                            .iter()
                            .map(|h| {
                                (
                                    h.name.to_ascii_lowercase(),
                                    String::from_utf8_lossy(h.value).into_owned(),
                                )
                            })
                            .collect(),
                        body: Vec::new(),
                        secure: self.stream.is_tls(),
                    };
                    break (n, req);
                }
                Ok(httparse::Status::Partial) => {
                    if self.buf.len() > MAX_HEAD {
                        return Err(ReadError::Reject(431, "Request head too large"));
                    }
                }
                Err(httparse::Error::TooManyHeaders) => {
                    return Err(ReadError::Reject(431, "Too many request headers"))
                }
                Err(_) => return Err(ReadError::Reject(400, "Malformed request")),
            }
            if !self.buf.is_empty() {
                deadline = deadline.min(Instant::now() + REQUEST_TIMEOUT);
            }
            if !self.fill(shutdown, deadline)? {
                return Err(ReadError::Closed);
            }
        };
        self.buf.drain(..head_len);
        let deadline = Instant::now() + REQUEST_TIMEOUT;

        let chunked = req
            .header("transfer-encoding")
            .map(|te| te.to_ascii_lowercase());
        if let Some(te) = chunked {
            if te.trim() != "chunked" {
                return Err(ReadError::Reject(501, "Unsupported Transfer-Encoding"));
            }
            self.send_continue(&req);
            req.body = self.read_chunked(shutdown, deadline, max_body)?;
            return Ok(req);
        }
        let len = match req.header("content-length") {
            None => 0,
            Some(v) => match v.trim().parse::<usize>() {
                Ok(n) => n,
                Err(_) => return Err(ReadError::Reject(400, "Invalid Content-Length")),
            },
        };
        if req
            .headers
            .iter()
            .filter(|(k, _)| k == "content-length")
            .count()
            > 1
        {
            return Err(ReadError::Reject(400, "Repeated Content-Length"));
        }
        if len > max_body {
            return Err(ReadError::Reject(413, "Request body too large"));
        }
        if len > self.buf.len() {
            self.send_continue(&req);
        }
        while self.buf.len() < len {
            if !self.fill(shutdown, deadline)? {
                return Err(ReadError::Closed);
            }
        }
        req.body = self.buf.drain(..len).collect();
        Ok(req)
    }

    fn send_continue(&mut self, req: &Request) {
        let expects = req
            .header("expect")
            .is_some_and(|e| e.eq_ignore_ascii_case("100-continue"));
        if expects && self.buf.is_empty() {
            let _ = self.stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n");
            let _ = self.stream.flush();
        }
    }

    fn read_line(
        &mut self,
        shutdown: &AtomicBool,
        deadline: Instant,
    ) -> Result<Vec<u8>, ReadError> {
        loop {
            if let Some(i) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let line: Vec<u8> = self.buf.drain(..i + 2).take(i).collect();
                return Ok(line);
            }
            if self.buf.len() > 4096 {
                return Err(ReadError::Reject(400, "Malformed chunked body"));
            }
            if !self.fill(shutdown, deadline)? {
                return Err(ReadError::Closed);
            }
        }
    }

    fn read_chunked(
        &mut self,
        shutdown: &AtomicBool,
        deadline: Instant,
        max_body: usize,
    ) -> Result<Vec<u8>, ReadError> {
        let mut body = Vec::new();
        loop {
            let line = self.read_line(shutdown, deadline)?;
            let line = String::from_utf8_lossy(&line);
            let size_str = line.split(';').next().unwrap_or("").trim();
            let size = usize::from_str_radix(size_str, 16)
                .map_err(|_| ReadError::Reject(400, "Malformed chunked body"))?;
            if size == 0 {
                // Trailers, up to the empty line.
                loop {
                    if self.read_line(shutdown, deadline)?.is_empty() {
                        return Ok(body);
                    }
                }
            }
            if body.len().saturating_add(size) > max_body {
                return Err(ReadError::Reject(413, "Request body too large"));
            }
            while self.buf.len() < size + 2 {
                if !self.fill(shutdown, deadline)? {
                    return Err(ReadError::Closed);
                }
            }
            body.extend(self.buf.drain(..size));
            if &self.buf[..2] != b"\r\n" {
                return Err(ReadError::Reject(400, "Malformed chunked body"));
            }
            self.buf.drain(..2);
        }
    }
}

/// The path and query of a request target; the absolute form a client may
/// send through a proxy (`http://host/path`) is reduced to `/path`.
fn origin_form(target: &str) -> &str {
    let lower = target.get(..8).unwrap_or(target).to_ascii_lowercase();
    let rest = if lower.starts_with("http://") {
        &target[7..]
    } else if lower.starts_with("https://") {
        &target[8..]
    } else {
        return target;
    };
    match rest.find(['/', '?']) {
        Some(i) if rest.as_bytes()[i] == b'/' => &rest[i..],
        _ => "/",
    }
}

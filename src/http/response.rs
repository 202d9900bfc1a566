//! Reading one HTTP/1.1 reply: the head (parsed by `httparse`), the headers the client uses, and the
//! body by its framing (length, chunked, or until the server closes), capped.

use std::mem::MaybeUninit;
use std::time::{Duration, Instant};

use zeroize::Zeroizing;

use super::conn::{Connection, IoFailure};
use crate::secret::extend_wiping;

/// Where a reply is read from: a connection, or bytes in memory (tests, fuzzing).
pub(crate) trait Input {
    /// The received bytes not used yet.
    fn available(&self) -> &[u8];
    /// Marks `n` of the available bytes as used.
    fn consume(&mut self, n: usize);
    /// Receives more bytes before `deadline`; `Ok(0)` at the end of the input.
    fn fill(&mut self, deadline: Instant) -> Result<usize, IoFailure>;
}

impl Input for Connection {
    fn available(&self) -> &[u8] {
        Connection::available(self)
    }

    fn consume(&mut self, n: usize) {
        Connection::consume(self, n)
    }

    fn fill(&mut self, deadline: Instant) -> Result<usize, IoFailure> {
        Connection::fill(self, deadline)
    }
}

/// Bytes in memory, handed out `step` bytes at a time.
pub(crate) struct Replay<'a> {
    data: &'a [u8],
    used: usize,
    shown: usize,
    step: usize,
}

impl<'a> Replay<'a> {
    pub(crate) fn new(data: &'a [u8], step: usize) -> Replay<'a> {
        Replay {
            data,
            used: 0,
            shown: 0,
            step: step.max(1),
        }
    }
}

impl Input for Replay<'_> {
    fn available(&self) -> &[u8] {
        &self.data[self.used..self.shown]
    }

    fn consume(&mut self, n: usize) {
        self.used += n.min(self.shown - self.used);
    }

    fn fill(&mut self, _deadline: Instant) -> Result<usize, IoFailure> {
        let before = self.shown;
        self.shown = (self.shown + self.step).min(self.data.len());
        Ok(self.shown - before)
    }
}

/// Largest reply head accepted.
pub(crate) const MAX_HEAD_BYTES: usize = 64 * 1024;
/// Most header lines in a reply head.
const MAX_HEADERS: usize = 100;
/// Longest chunk-size line (with extensions) accepted.
const MAX_CHUNK_LINE: usize = 4 * 1024;

/// Why a reply could not be read.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The deadline passed.
    Deadline,
    /// A read failed.
    Io(std::io::Error),
    /// The server closed the connection before the reply was whole.
    Closed,
    /// The reply head is larger than [`MAX_HEAD_BYTES`].
    HeadTooLarge,
    /// The body is larger than the cap (the cap is given).
    BodyTooLarge(u64),
    /// Not valid HTTP/1.x.
    Invalid(String),
}

impl From<IoFailure> for ReadError {
    fn from(e: IoFailure) -> Self {
        match e {
            IoFailure::Deadline => ReadError::Deadline,
            IoFailure::Io(e) => ReadError::Io(e),
        }
    }
}

fn invalid(what: impl Into<String>) -> ReadError {
    ReadError::Invalid(what.into())
}

/// How the body of a reply is delimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Framing {
    Empty,
    Length(u64),
    Chunked,
    UntilClose,
}

/// The parts of a reply head the client uses.
#[derive(Debug)]
pub(crate) struct Head {
    pub status: u16,
    pub has_retry_after: bool,
    pub retry_after: Option<Duration>,
    pub location: Option<String>,
    framing: Framing,
    /// HTTP/1.1 without `Connection: close`.
    keep_alive: bool,
}

/// A reply read whole.
#[derive(Debug)]
pub(crate) struct Response {
    pub head: Head,
    pub body: Zeroizing<Vec<u8>>,
    /// Whether the connection can carry another exchange.
    pub reusable: bool,
}

/// Reads the next reply on `conn` (skipping `100 Continue` and other interim replies), its body
/// capped at `max_body` bytes.
pub(crate) fn read_response(
    conn: &mut impl Input,
    deadline: Instant,
    max_body: u64,
) -> Result<Response, ReadError> {
    let head = loop {
        let head = read_head(conn, deadline)?;
        if !(100..200).contains(&head.status) {
            break head;
        }
        if head.status == 101 {
            return Err(invalid("the server switched protocols"));
        }
    };
    let body = match head.framing {
        Framing::Empty => Zeroizing::new(Vec::new()),
        Framing::Length(length) => read_length(conn, deadline, length, max_body)?,
        Framing::Chunked => read_chunked(conn, deadline, max_body)?,
        Framing::UntilClose => read_until_close(conn, deadline, max_body)?,
    };
    let reusable = head.keep_alive && head.framing != Framing::UntilClose;
    Ok(Response {
        head,
        body,
        reusable,
    })
}

/// Reads more input; a close before what is awaited is `Closed`.
fn more(conn: &mut impl Input, deadline: Instant) -> Result<(), ReadError> {
    match conn.fill(deadline)? {
        0 => Err(ReadError::Closed),
        _ => Ok(()),
    }
}

fn read_head(conn: &mut impl Input, deadline: Instant) -> Result<Head, ReadError> {
    loop {
        if let Some((used, head)) = parse_head(conn.available())? {
            conn.consume(used);
            return Ok(head);
        }
        if conn.available().len() >= MAX_HEAD_BYTES {
            return Err(ReadError::HeadTooLarge);
        }
        more(conn, deadline)?;
    }
}

/// Parses a reply head at the start of `input`: `None` until it is complete, else the bytes it
/// took and its parts.
pub(crate) fn parse_head(input: &[u8]) -> Result<Option<(usize, Head)>, ReadError> {
    // Left uninitialised: httparse fills only what it uses, and zeroing the whole array every time
    // cost more than parsing a short head.
    let mut headers = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
    let mut parsed = httparse::Response::new(&mut []);
    let used = match httparse::ParserConfig::default().parse_response_with_uninit_headers(
        &mut parsed,
        input,
        &mut headers,
    ) {
        Ok(httparse::Status::Complete(used)) => used,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => {
            return Err(invalid(format!("more than {MAX_HEADERS} header lines")))
        }
        Err(e) => return Err(invalid(e.to_string())),
    };
    if used > MAX_HEAD_BYTES {
        return Err(ReadError::HeadTooLarge);
    }
    let status = parsed.code.unwrap_or(0);
    if !(100..=599).contains(&status) {
        return Err(invalid(format!("the status code {status} is out of range")));
    }
    let http11 = parsed.version == Some(1);
    let mut keep_alive = http11;
    let mut length: Option<u64> = None;
    let mut chunked = false;
    let mut retry_after: Option<String> = None;
    let mut location = None;
    for header in parsed.headers.iter() {
        let name = header.name;
        // Borrowed, not copied, when the value is UTF-8 (as it nearly always is).
        let text = || String::from_utf8_lossy(header.value);
        // The length first: most header names are none of these, and are passed over at once.
        match name.len() {
            14 if name.eq_ignore_ascii_case("content-length") => {
                let text = text();
                let n: u64 = text
                    .trim()
                    .parse()
                    .map_err(|_| invalid(format!("invalid Content-Length {:?}", text.trim())))?;
                if length.is_some_and(|seen| seen != n) {
                    return Err(invalid("conflicting Content-Length headers"));
                }
                length = Some(n);
            }
            17 if name.eq_ignore_ascii_case("transfer-encoding") => {
                // The final coding decides; anything but chunked there means "until close".
                chunked = text()
                    .rsplit(',')
                    .next()
                    .is_some_and(|last| last.trim().eq_ignore_ascii_case("chunked"));
            }
            10 if name.eq_ignore_ascii_case("connection")
                && text()
                    .split(',')
                    .any(|token| token.trim().eq_ignore_ascii_case("close")) =>
            {
                keep_alive = false;
            }
            11 if name.eq_ignore_ascii_case("retry-after") => {
                retry_after = Some(text().trim().to_string());
            }
            8 if name.eq_ignore_ascii_case("location") => {
                location = Some(text().trim().to_string());
            }
            _ => {}
        }
    }
    let framing = if (100..200).contains(&status) || status == 204 || status == 304 {
        Framing::Empty
    } else if chunked {
        Framing::Chunked
    } else if let Some(n) = length {
        Framing::Length(n)
    } else {
        Framing::UntilClose
    };
    Ok(Some((
        used,
        Head {
            status,
            has_retry_after: retry_after.is_some(),
            retry_after: retry_after
                .as_deref()
                .and_then(|v| v.parse::<u64>().ok())
                .map(Duration::from_secs),
            location,
            framing,
            keep_alive,
        },
    )))
}

/// Moves up to `want` available bytes into `body`; returns how many.
fn take_into(conn: &mut impl Input, body: &mut Vec<u8>, want: u64) -> u64 {
    let available = conn.available();
    let n = available
        .len()
        .min(usize::try_from(want).unwrap_or(usize::MAX));
    extend_wiping(body, &available[..n]);
    conn.consume(n);
    n as u64
}

fn read_length(
    conn: &mut impl Input,
    deadline: Instant,
    length: u64,
    max_body: u64,
) -> Result<Zeroizing<Vec<u8>>, ReadError> {
    if length > max_body {
        return Err(ReadError::BodyTooLarge(max_body));
    }
    let mut body = Zeroizing::new(Vec::with_capacity(length as usize));
    let mut left = length;
    loop {
        left -= take_into(conn, &mut body, left);
        if left == 0 {
            return Ok(body);
        }
        more(conn, deadline)?;
    }
}

fn read_until_close(
    conn: &mut impl Input,
    deadline: Instant,
    max_body: u64,
) -> Result<Zeroizing<Vec<u8>>, ReadError> {
    let mut body = Zeroizing::new(Vec::new());
    loop {
        take_into(conn, &mut body, u64::MAX);
        if body.len() as u64 > max_body {
            return Err(ReadError::BodyTooLarge(max_body));
        }
        match conn.fill(deadline) {
            Ok(0) => return Ok(body),
            Ok(_) => {}
            // A TLS server that closes without a close alert: the body ends there all the same.
            Err(IoFailure::Io(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                return Ok(body)
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// The next line (without its line ending), at most `max` bytes long.
fn read_line(conn: &mut impl Input, deadline: Instant, max: usize) -> Result<Vec<u8>, ReadError> {
    loop {
        let available = conn.available();
        if let Some(end) = available.iter().position(|&b| b == b'\n') {
            let mut line = available[..end].to_vec();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            conn.consume(end + 1);
            return Ok(line);
        }
        if available.len() > max {
            return Err(invalid("a chunk line is too long"));
        }
        more(conn, deadline)?;
    }
}

/// The size of a chunk from its size line (`1a;name=value`).
pub(crate) fn chunk_size(line: &[u8]) -> Result<u64, ReadError> {
    let text = std::str::from_utf8(line).map_err(|_| invalid("an invalid chunk size line"))?;
    let digits = text.split(';').next().unwrap_or("").trim();
    if digits.is_empty() || digits.len() > 15 {
        return Err(invalid(format!("an invalid chunk size {digits:?}")));
    }
    u64::from_str_radix(digits, 16)
        .map_err(|_| invalid(format!("an invalid chunk size {digits:?}")))
}

fn read_chunked(
    conn: &mut impl Input,
    deadline: Instant,
    max_body: u64,
) -> Result<Zeroizing<Vec<u8>>, ReadError> {
    let mut body = Zeroizing::new(Vec::new());
    loop {
        let size = chunk_size(&read_line(conn, deadline, MAX_CHUNK_LINE)?)?;
        if size == 0 {
            // Trailer fields, up to the empty line.
            let mut trailers = 0;
            loop {
                let line = read_line(conn, deadline, MAX_HEAD_BYTES)?;
                if line.is_empty() {
                    return Ok(body);
                }
                trailers += line.len();
                if trailers > MAX_HEAD_BYTES {
                    return Err(ReadError::HeadTooLarge);
                }
            }
        }
        if body.len() as u64 + size > max_body {
            return Err(ReadError::BodyTooLarge(max_body));
        }
        let mut left = size;
        loop {
            left -= take_into(conn, &mut body, left);
            if left == 0 {
                break;
            }
            more(conn, deadline)?;
        }
        if !read_line(conn, deadline, 2)?.is_empty() {
            return Err(invalid("a chunk is longer than its size"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::conn::Stream;
    use std::io::Write;
    use std::net::{TcpListener, TcpStream};

    /// Serves `raw` in the given pieces (pausing between them) on a new connection, then closes it
    /// unless `keep_open`.
    fn serve(pieces: Vec<&'static [u8]>, keep_open: bool) -> Connection {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            let (mut peer, _) = listener.accept().unwrap();
            for piece in pieces {
                peer.write_all(piece).unwrap();
                std::thread::sleep(Duration::from_millis(5));
            }
            if keep_open {
                std::thread::sleep(Duration::from_millis(500));
            }
        });
        Connection::new(Stream::Plain(TcpStream::connect(addr).unwrap()))
    }

    fn read(pieces: Vec<&'static [u8]>, max: u64) -> Result<Response, ReadError> {
        let mut conn = serve(pieces, true);
        read_response(&mut conn, Instant::now() + Duration::from_secs(5), max)
    }

    #[test]
    fn a_length_framed_reply_in_pieces() {
        let r = read(
            vec![
                b"HTTP/1.1 200 OK\r\nContent-Le",
                b"ngth: 11\r\nRetry-After: 7\r\n\r\n{\"a\":",
                b"true}\n",
            ],
            100,
        )
        .unwrap();
        assert_eq!(r.head.status, 200);
        assert_eq!(&r.body[..], b"{\"a\":true}\n");
        assert!(r.reusable);
        assert!(r.head.has_retry_after);
        assert_eq!(r.head.retry_after, Some(Duration::from_secs(7)));
    }

    #[test]
    fn a_chunked_reply_with_extensions_and_trailers() {
        let r = read(
            vec![
                b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\nLocation: /x \r\n\r\n",
                b"4;ext=1\r\nabcd\r\n",
                b"A\r\n0123456789\r\n0\r\nTrailer: y\r\n\r\n",
            ],
            100,
        )
        .unwrap();
        assert_eq!(r.head.status, 201);
        assert_eq!(&r.body[..], b"abcd0123456789");
        assert_eq!(r.head.location.as_deref(), Some("/x"));
        assert!(r.reusable);
    }

    #[test]
    fn interim_replies_are_skipped_and_close_is_honoured() {
        let r = read(
            vec![b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"],
            100,
        )
        .unwrap();
        assert_eq!(r.head.status, 204);
        assert!(r.body.is_empty());
        assert!(!r.reusable);
    }

    #[test]
    fn a_reply_until_close_and_http_1_0() {
        let mut conn = serve(vec![b"HTTP/1.0 200 OK\r\n\r\nall of it"], false);
        let r = read_response(&mut conn, Instant::now() + Duration::from_secs(5), 100).unwrap();
        assert_eq!(&r.body[..], b"all of it");
        assert!(!r.reusable);
    }

    #[test]
    fn caps_and_truncation() {
        assert!(matches!(
            read(vec![b"HTTP/1.1 200 OK\r\nContent-Length: 101\r\n\r\n"], 100),
            Err(ReadError::BodyTooLarge(100))
        ));
        assert!(matches!(
            read(
                vec![b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n"],
                10
            ),
            Err(ReadError::BodyTooLarge(10))
        ));
        let mut conn = serve(
            vec![b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"],
            false,
        );
        assert!(matches!(
            read_response(&mut conn, Instant::now() + Duration::from_secs(5), 100),
            Err(ReadError::Closed)
        ));
        let mut conn = serve(
            vec![b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"],
            true,
        );
        assert!(matches!(
            read_response(&mut conn, Instant::now() + Duration::from_millis(100), 100),
            Err(ReadError::Deadline)
        ));
    }

    #[test]
    fn malformed_heads_are_refused() {
        for bad in [
            &b"NOT HTTP\r\n\r\n"[..],
            b"HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            b"HTTP/1.1 077 Odd\r\n\r\n",
            b"HTTP/1.1 600 Odd\r\n\r\n",
        ] {
            assert!(
                matches!(parse_head(bad), Err(ReadError::Invalid(_))),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        assert!(parse_head(b"HTTP/1.1 200 OK\r\nX: y\r\n")
            .unwrap()
            .is_none());
        let huge = format!(
            "HTTP/1.1 200 OK\r\nX: {}\r\n\r\n",
            "y".repeat(MAX_HEAD_BYTES)
        );
        assert!(matches!(
            parse_head(huge.as_bytes()),
            Err(ReadError::HeadTooLarge)
        ));
        assert!(chunk_size(b"zz").is_err());
        assert!(chunk_size(b"").is_err());
        assert_eq!(chunk_size(b"1F ; a=b").unwrap(), 31);
    }
}

//! One connection to the API host (plain TCP, or TLS over TCP, possibly through a proxy tunnel): reads
//! and writes bounded by a deadline, the received bytes not used yet, and the liveness probe of a kept
//! connection.

use std::io::{self, Read, Write};
use std::mem::MaybeUninit;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use rustls::{ClientConnection, StreamOwned};
use zeroize::{Zeroize, Zeroizing};

/// Bytes read from the socket at most at once (and the initial size of the receive buffer).
const READ_CHUNK: usize = 8 * 1024;
/// How much longer than needed a socket time limit may stay set: setting it costs a system call,
/// and most exchanges of a call start within this of each other.
const TIMEOUT_SLACK: Duration = Duration::from_millis(1);

pub(crate) enum Stream {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
}

impl Stream {
    fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(tcp) => tcp,
            Stream::Tls(tls) => &tls.sock,
        }
    }
}

/// A connection and what was received on it and not used yet (`buf[start..end]`).
pub(crate) struct Connection {
    stream: Stream,
    /// Wiped when dropped: it held replies (a token reply, say).
    buf: Zeroizing<Vec<u8>>,
    start: usize,
    end: usize,
    /// The read and write time limits set on the socket (`None`: none).
    read_limit: Option<Duration>,
    write_limit: Option<Duration>,
    /// When the connection was put back after its last exchange.
    pub idle_since: Instant,
}

/// A read or write that failed, and whether it ran out of time.
pub(crate) enum IoFailure {
    Deadline,
    Io(io::Error),
}

impl From<io::Error> for IoFailure {
    fn from(e: io::Error) -> Self {
        IoFailure::Io(e)
    }
}

/// The time left until `deadline`, or `Deadline` when none is.
fn left(deadline: Instant) -> Result<Duration, IoFailure> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        Err(IoFailure::Deadline)
    } else {
        Ok(left)
    }
}

/// Whether a socket time limit of `set` can serve an operation that must end within `needed`: it ends
/// no later (give or take [`TIMEOUT_SLACK`]) and covers at least half (an operation stopped by it
/// early is resumed with what remains).
fn limit_fits(set: Option<Duration>, needed: Duration) -> bool {
    match set {
        Some(set) => set <= needed + TIMEOUT_SLACK && set >= needed / 2,
        None => false,
    }
}

fn retryable(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::Interrupted | io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

impl Connection {
    pub(crate) fn new(stream: Stream) -> Connection {
        Connection {
            stream,
            buf: Zeroizing::new(vec![0; READ_CHUNK]),
            start: 0,
            end: 0,
            read_limit: None,
            write_limit: None,
            idle_since: Instant::now(),
        }
    }

    pub(crate) fn stream_mut(&mut self) -> &mut Stream {
        &mut self.stream
    }

    pub(crate) fn into_stream(self) -> Stream {
        self.stream
    }

    pub(crate) fn set_read_limit(&mut self, deadline: Instant) -> Result<(), IoFailure> {
        let needed = left(deadline)?;
        if !limit_fits(self.read_limit, needed) {
            self.stream.tcp().set_read_timeout(Some(needed))?;
            self.read_limit = Some(needed);
        }
        Ok(())
    }

    pub(crate) fn set_write_limit(&mut self, deadline: Instant) -> Result<(), IoFailure> {
        let needed = left(deadline)?;
        if !limit_fits(self.write_limit, needed) {
            self.stream.tcp().set_write_timeout(Some(needed))?;
            self.write_limit = Some(needed);
        }
        Ok(())
    }

    /// Writes all of `data` before `deadline`. On failure, also says whether any of it was handed to
    /// the network (over TLS this is not known once the handshake is done: assumed).
    pub(crate) fn write_all(
        &mut self,
        data: &[u8],
        deadline: Instant,
    ) -> Result<(), (IoFailure, bool)> {
        let tls = matches!(self.stream, Stream::Tls(_));
        let mut sent = 0;
        while sent < data.len() {
            self.set_write_limit(deadline)
                .map_err(|e| (e, tls || sent > 0))?;
            let written = match &mut self.stream {
                Stream::Plain(tcp) => tcp.write(&data[sent..]),
                Stream::Tls(tls) => tls.write(&data[sent..]),
            };
            match written {
                Ok(0) => return Err((io::Error::from(io::ErrorKind::WriteZero).into(), true)),
                Ok(n) => sent += n,
                Err(e) if retryable(&e) => {}
                Err(e) => return Err((e.into(), tls || sent > 0)),
            }
        }
        // TLS records the writes above could not send yet.
        if tls {
            self.flush_tls(deadline).map_err(|e| (e, true))?;
        }
        Ok(())
    }

    /// Sends the TLS records that writes could not send yet.
    fn flush_tls(&mut self, deadline: Instant) -> Result<(), IoFailure> {
        loop {
            self.set_write_limit(deadline)?;
            let Stream::Tls(stream) = &mut self.stream else {
                return Ok(());
            };
            match stream.flush() {
                Ok(()) => return Ok(()),
                Err(e) if retryable(&e) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// The received bytes not used yet.
    pub(crate) fn available(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Marks `n` of the available bytes as used.
    pub(crate) fn consume(&mut self, n: usize) {
        self.start += n.min(self.end - self.start);
        if self.start == self.end {
            // What was read (a token reply, say) does not stay in the buffer.
            self.buf[..self.end].zeroize();
            self.start = 0;
            self.end = 0;
        }
    }

    /// Reads more bytes (appended to the available ones) before `deadline`; `Ok(0)` when the peer
    /// closed the connection. The buffer grows as needed: callers bound what they wait for.
    pub(crate) fn fill(&mut self, deadline: Instant) -> Result<usize, IoFailure> {
        if self.end == self.buf.len() {
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                let old_end = self.end;
                self.end -= self.start;
                self.start = 0;
                self.buf[self.end..old_end].zeroize();
            } else {
                let mut bigger = Zeroizing::new(vec![0; self.buf.len() + READ_CHUNK]);
                bigger[..self.end].copy_from_slice(&self.buf[..self.end]);
                // The old buffer is wiped as it is dropped.
                self.buf = bigger;
            }
        }
        loop {
            self.set_read_limit(deadline)?;
            let space = &mut self.buf[self.end..];
            let read = match &mut self.stream {
                Stream::Plain(tcp) => tcp.read(space),
                Stream::Tls(tls) => tls.read(space),
            };
            match read {
                Ok(n) => {
                    self.end += n;
                    return Ok(n);
                }
                Err(e) if retryable(&e) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Whether a kept connection can carry another exchange: nothing is waiting to be read and the
    /// peer did not close it. One `recv(MSG_PEEK | MSG_DONTWAIT)`; over TLS, any byte waiting (a
    /// close alert, say) counts as not reusable too.
    pub(crate) fn is_reusable(&self) -> bool {
        if self.start != self.end {
            return false;
        }
        let socket = socket2::SockRef::from(self.stream.tcp());
        let mut byte = [MaybeUninit::<u8>::uninit()];
        match socket.recv_with_flags(&mut byte, libc::MSG_PEEK | libc::MSG_DONTWAIT) {
            Err(e) => e.kind() == io::ErrorKind::WouldBlock,
            Ok(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn socket_limits_are_kept_while_they_fit() {
        let s = Duration::from_secs;
        assert!(limit_fits(Some(s(60)), s(60)));
        assert!(limit_fits(Some(s(60)), s(60) - Duration::from_micros(500)));
        assert!(!limit_fits(Some(s(60)), s(59)));
        assert!(!limit_fits(Some(s(10)), s(60)));
        assert!(limit_fits(Some(s(40)), s(60)));
        assert!(!limit_fits(None, s(1)));
    }

    #[test]
    fn bytes_go_both_ways_and_the_probe_sees_a_close() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (mut peer, _) = listener.accept().unwrap();
            let mut got = [0u8; 4];
            peer.read_exact(&mut got).unwrap();
            peer.write_all(b"pong").unwrap();
            got
        });
        let mut conn = Connection::new(Stream::Plain(TcpStream::connect(addr).unwrap()));
        let deadline = Instant::now() + Duration::from_secs(5);
        assert!(conn.write_all(b"ping", deadline).is_ok());
        while conn.available().len() < 4 {
            assert!(matches!(conn.fill(deadline), Ok(n) if n > 0));
        }
        assert_eq!(conn.available(), b"pong");
        assert!(!conn.is_reusable(), "unused bytes make it not reusable");
        conn.consume(4);
        assert_eq!(server.join().unwrap(), *b"ping");
        std::thread::sleep(Duration::from_millis(50));
        assert!(!conn.is_reusable(), "the peer closed it");
    }

    #[test]
    fn a_read_past_the_deadline_fails() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut conn = Connection::new(Stream::Plain(
            TcpStream::connect(listener.local_addr().unwrap()).unwrap(),
        ));
        let started = Instant::now();
        let outcome = conn.fill(started + Duration::from_millis(50));
        assert!(matches!(outcome, Err(IoFailure::Deadline)));
        assert!(started.elapsed() >= Duration::from_millis(50));
        assert!(conn.is_reusable(), "nothing arrived, nothing closed");
    }
}

//! The TCP layer under ureq (and under TLS), made for many small exchanges on kept-alive
//! connections: it makes a third of the system calls of ureq's own `TcpTransport` per request.
//!
//! - The request head and body leave in one `send`: output is gathered until the transport is asked
//!   for input (or the gathered output grows past [`MAX_PENDING`]).
//! - The socket's read and write time limits are set again only when the limit of the current
//!   operation is shorter than the one set (by more than [`TIMEOUT_SLACK`]) or less than half of it
//!   (a read that stops at a limit set longer ago than needed is simply resumed with what remains).
//! - The liveness probe of a pooled connection is one `recv(MSG_PEEK | MSG_DONTWAIT)`, and is made
//!   when the connection is taken from the pool, not also when it is put back (the probe when taken
//!   sees anything the server sent or closed in between).
//!
//! Proxied connections (CONNECT) use ureq's own transport for the link to the proxy.

use std::fmt;
use std::io::{self, Read, Write};
use std::mem::MaybeUninit;
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use ureq::config::Config;
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, Either, LazyBuffers, NextTimeout, ShutdownHandle,
    Transport,
};
use ureq::{Error, Timeout};

/// Output gathered before it is sent even though no input was asked for yet.
const MAX_PENDING: usize = 64 * 1024;
/// How much longer than needed a socket time limit may stay set.
const TIMEOUT_SLACK: Duration = Duration::from_millis(1);
/// The shortest time given to one address of a host with several.
const MIN_PER_ADDRESS: Duration = Duration::from_millis(10);

/// Opens plain TCP connections (unless an earlier connector in the chain, the CONNECT proxy one,
/// already made the connection).
#[derive(Debug, Default)]
pub(crate) struct TcpConnector;

impl<In: Transport> Connector<In> for TcpConnector {
    type Out = Either<In, TcpTransport>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, Error> {
        if let Some(transport) = chained {
            return Ok(Some(Either::A(transport)));
        }
        let stream = connect_any(details)?;
        let config = details.config;
        let transport = TcpTransport {
            stream: Arc::new(stream),
            buffers: LazyBuffers::new(config.input_buffer_size(), config.output_buffer_size()),
            pending: Vec::new(),
            read_limit: None,
            write_limit: None,
            used_since_probe: false,
        };
        (details.register_shutdown)(Arc::downgrade(&transport.stream) as Weak<dyn ShutdownHandle>)?;
        Ok(Some(Either::B(transport)))
    }
}

/// Tries the resolved addresses in turn, giving each a share of the connect time limit (half for the
/// first, a quarter for the second...), as ureq does.
fn connect_any(details: &ConnectionDetails) -> Result<TcpStream, Error> {
    let started = Instant::now();
    let total = details.timeout.not_zero().map(|t| *t);
    let count = details.addrs.len();
    let total_weight = 2.0 * (1.0 - 0.5_f64.powi(count as i32));
    let mut weight = 1.0_f64;
    let mut last_error: Option<Error> = None;
    for addr in details.addrs.iter() {
        let per_addr = total.map(|t| {
            Duration::from_secs_f64(t.as_secs_f64() * weight / total_weight).max(MIN_PER_ADDRESS)
        });
        weight /= 2.0;
        match connect_one(*addr, per_addr, details.config) {
            Ok(stream) => return Ok(stream),
            Err(Error::Io(e)) if addr_specific(&e) => last_error = Some(Error::Io(e)),
            Err(Error::Timeout(reason)) => {
                if total.is_some_and(|t| started.elapsed() > t) {
                    return Err(Error::Timeout(details.timeout.reason));
                }
                last_error = Some(Error::Timeout(reason));
            }
            Err(e) => return Err(e),
        }
    }
    Err(last_error.unwrap_or_else(|| {
        Error::Io(io::Error::new(
            io::ErrorKind::ConnectionRefused,
            "Connection refused",
        ))
    }))
}

fn addr_specific(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::HostUnreachable
            | io::ErrorKind::NetworkUnreachable
            | io::ErrorKind::NetworkDown
            | io::ErrorKind::AddrNotAvailable
    )
}

fn connect_one(
    addr: SocketAddr,
    limit: Option<Duration>,
    config: &Config,
) -> Result<TcpStream, Error> {
    let connected = match limit {
        Some(limit) => TcpStream::connect_timeout(&addr, limit),
        None => TcpStream::connect(addr),
    };
    let stream = match connected {
        Ok(stream) => stream,
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
            ) =>
        {
            return Err(Error::Timeout(Timeout::Connect))
        }
        Err(e) => return Err(e.into()),
    };
    if config.no_delay() {
        stream.set_nodelay(true)?;
    }
    Ok(stream)
}

/// A plain TCP connection (see the module documentation).
pub(crate) struct TcpTransport {
    /// Shared (weakly) with the agent's shutdown handle.
    stream: Arc<TcpStream>,
    buffers: LazyBuffers,
    /// Output handed over by ureq and not sent yet.
    pending: Vec<u8>,
    /// The read and write time limits set on the socket (`None`: none set).
    read_limit: Option<Duration>,
    write_limit: Option<Duration>,
    /// Whether the connection was used since its last liveness probe.
    used_since_probe: bool,
}

impl fmt::Debug for TcpTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpTransport")
            .field("peer", &self.stream.peer_addr().ok())
            .finish()
    }
}

/// Whether a socket time limit of `set` can serve an operation that must end within `needed`.
fn limit_fits(set: Option<Duration>, needed: Duration) -> bool {
    match set {
        Some(set) => set <= needed + TIMEOUT_SLACK && set >= needed / 2,
        None => false,
    }
}

/// The time an operation may still take, or the timeout error when none is left.
fn remaining(timeout: &NextTimeout, started: Instant) -> Result<Option<Duration>, Error> {
    match timeout.not_zero() {
        None => Ok(None),
        Some(total) => {
            let left = total.saturating_sub(started.elapsed());
            if left.is_zero() {
                Err(Error::Timeout(timeout.reason))
            } else {
                Ok(Some(left))
            }
        }
    }
}

impl TcpTransport {
    fn set_read_limit(&mut self, needed: Option<Duration>) -> io::Result<()> {
        let keep = match needed {
            Some(needed) => limit_fits(self.read_limit, needed),
            None => self.read_limit.is_none(),
        };
        if !keep {
            self.stream.set_read_timeout(needed)?;
            self.read_limit = needed;
        }
        Ok(())
    }

    fn set_write_limit(&mut self, needed: Option<Duration>) -> io::Result<()> {
        let keep = match needed {
            Some(needed) => limit_fits(self.write_limit, needed),
            None => self.write_limit.is_none(),
        };
        if !keep {
            self.stream.set_write_timeout(needed)?;
            self.write_limit = needed;
        }
        Ok(())
    }

    /// Sends the gathered output, within `timeout`.
    fn flush_pending(&mut self, timeout: NextTimeout) -> Result<(), Error> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let timeout = timeout.for_write();
        let started = Instant::now();
        let mut sent = 0;
        while sent < self.pending.len() {
            let left = remaining(&timeout, started)?;
            self.set_write_limit(left)?;
            match (&*self.stream).write(&self.pending[sent..]) {
                Ok(0) => {
                    self.pending.clear();
                    return Err(Error::Io(io::ErrorKind::WriteZero.into()));
                }
                Ok(n) => sent += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // The socket's limit ran out; the operation's may not have (checked above).
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) => {}
                Err(e) => {
                    self.pending.clear();
                    return Err(e.into());
                }
            }
        }
        self.pending.clear();
        Ok(())
    }

    /// One `recv(MSG_PEEK | MSG_DONTWAIT)`: open when nothing is waiting and the peer did not close.
    fn probe(&self) -> bool {
        let socket = socket2::SockRef::from(&*self.stream);
        let mut byte = [MaybeUninit::<u8>::uninit()];
        match socket.recv_with_flags(&mut byte, libc::MSG_PEEK | libc::MSG_DONTWAIT) {
            // Nothing to read: the expected state of an idle connection.
            Err(e) => e.kind() == io::ErrorKind::WouldBlock,
            // Bytes nobody asked for, or the peer closed (0).
            Ok(_) => false,
        }
    }
}

impl Transport for TcpTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), Error> {
        if timeout.for_write().after.is_zero() {
            return Err(Error::Timeout(timeout.for_write().reason));
        }
        self.used_since_probe = true;
        self.pending
            .extend_from_slice(&self.buffers.output()[..amount]);
        if self.pending.len() >= MAX_PENDING {
            self.flush_pending(timeout)?;
        }
        Ok(())
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, Error> {
        self.used_since_probe = true;
        self.flush_pending(timeout)?;
        let timeout = timeout.for_read();
        let started = Instant::now();
        loop {
            let left = remaining(&timeout, started)?;
            self.set_read_limit(left)?;
            let input = self.buffers.input_append_buf();
            match (&*self.stream).read(input) {
                Ok(amount) => {
                    self.buffers.input_appended(amount);
                    return Ok(amount > 0);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // The socket's limit ran out; the operation's may not have (checked above).
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }

    fn is_open(&mut self) -> bool {
        if !self.pending.is_empty() {
            return false;
        }
        if std::mem::take(&mut self.used_since_probe) {
            // Put back in the pool right after a complete exchange: the probe made when it is taken
            // out again covers the time in between.
            return true;
        }
        self.probe()
    }
}

/// The agent's connector chain: a CONNECT proxy when configured, this TCP layer, rustls for https.
pub(crate) fn connector() -> impl Connector<Out = impl Transport> {
    ().chain(ureq::unversioned::transport::ConnectProxyConnector::default())
        .chain(TcpConnector)
        .chain(ureq::unversioned::transport::RustlsConnector::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_limits_are_kept_while_they_fit() {
        let s = Duration::from_secs;
        assert!(limit_fits(Some(s(60)), s(60)));
        // Set a moment ago for a slightly longer operation: kept.
        assert!(limit_fits(Some(s(60)), s(60) - Duration::from_micros(500)));
        // Would outlast the operation by more than the slack: set again.
        assert!(!limit_fits(Some(s(60)), s(59)));
        // Much shorter than needed: set again rather than wake up early.
        assert!(!limit_fits(Some(s(10)), s(60)));
        // A shorter limit that still covers half: kept, the read is resumed when it runs out.
        assert!(limit_fits(Some(s(40)), s(60)));
        assert!(!limit_fits(None, s(1)));
    }

    #[test]
    fn a_loopback_exchange_goes_through_and_the_probe_sees_a_close() {
        use std::net::TcpListener;
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            let mut buf = [0u8; 64];
            let mut got = Vec::new();
            while got.len() < 10 {
                let n = conn.read(&mut buf).unwrap();
                got.extend_from_slice(&buf[..n]);
            }
            conn.write_all(b"pong").unwrap();
            got
        });
        let mut t = TcpTransport {
            stream: Arc::new(TcpStream::connect(addr).unwrap()),
            buffers: LazyBuffers::new(1024, 1024),
            pending: Vec::new(),
            read_limit: None,
            write_limit: None,
            used_since_probe: false,
        };
        let timeout = NextTimeout {
            after: Duration::from_secs(5).into(),
            reason: Timeout::Global,
            per_read: None,
            per_write: None,
        };
        t.buffers.output()[..5].copy_from_slice(b"head ");
        t.transmit_output(5, timeout).unwrap();
        t.buffers.output()[..5].copy_from_slice(b"body.");
        t.transmit_output(5, timeout).unwrap();
        assert!(t.await_input(timeout).unwrap());
        assert_eq!(t.buffers.input(), b"pong");
        assert_eq!(server.join().unwrap(), b"head body.");
        // Put back after the exchange: no probe; taken again: the probe sees the server's close.
        assert!(t.is_open());
        std::thread::sleep(Duration::from_millis(50));
        assert!(!t.is_open());
    }
}

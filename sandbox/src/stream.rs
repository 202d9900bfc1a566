//! A client connection, plain or TLS. With TLS configured, one port serves
//! both: a connection whose first byte opens a TLS handshake gets TLS.

use rustls::{ServerConfig, ServerConnection, StreamOwned};
use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// First byte of a TLS record carrying a handshake.
const TLS_HANDSHAKE: u8 = 0x16;

pub enum Stream {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ServerConnection, TcpStream>>),
}

impl Stream {
    /// Wraps an accepted socket (whose read timeout is short), peeking at the
    /// first byte when TLS is on. `None`: the client sent nothing in time, or
    /// the server stops.
    pub fn accept(
        tcp: TcpStream,
        tls: Option<&Arc<ServerConfig>>,
        shutdown: &AtomicBool,
        wait: Duration,
    ) -> Option<Stream> {
        let Some(config) = tls else {
            return Some(Stream::Plain(tcp));
        };
        let deadline = Instant::now() + wait;
        let mut first = [0u8; 1];
        loop {
            if shutdown.load(Ordering::Relaxed) {
                return None;
            }
            match tcp.peek(&mut first) {
                Ok(0) => return None,
                Ok(_) => break,
                Err(e)
                    if matches!(
                        e.kind(),
                        ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                    ) =>
                {
                    if Instant::now() >= deadline {
                        return None;
                    }
                }
                Err(_) => return None,
            }
        }
        if first[0] != TLS_HANDSHAKE {
            return Some(Stream::Plain(tcp));
        }
        let conn = ServerConnection::new(config.clone()).ok()?;
        Some(Stream::Tls(Box::new(StreamOwned::new(conn, tcp))))
    }

    pub fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(s) => s,
            Stream::Tls(s) => &s.sock,
        }
    }

    pub fn is_tls(&self) -> bool {
        matches!(self, Stream::Tls(_))
    }

    /// Ends the sending side: TLS close_notify first, then the TCP FIN.
    pub fn shutdown_write(&mut self) {
        if let Stream::Tls(s) = self {
            s.conn.send_close_notify();
            let _ = s.flush();
        }
        let _ = self.tcp().shutdown(Shutdown::Write);
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
        }
    }
}

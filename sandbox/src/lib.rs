//! An offline emulator of WordPress.com's Jetpack hosting-partner API.
//!
//! ```no_run
//! let sb = jetpack_partner_sandbox::Sandbox::start(jetpack_partner_sandbox::Config::default())?;
//! println!("{}", sb.url()); // http://127.0.0.1:PORT
//! drop(sb); // stops the server
//! # Ok::<(), jetpack_partner_sandbox::Error>(())
//! ```
//!
//! See the crate's README for the endpoints, the demo partner and user, and
//! the control endpoints under `/__sandbox/`.

#![forbid(unsafe_code)]

mod api;
mod clock;
mod control;
mod faults;
mod http;
mod ids;
mod journal;
mod links;
mod params;
mod plans;
mod reply;
mod request_log;
mod router;
mod server;
mod sites;
mod state;
mod stats;
mod store;
mod stream;
mod tls;

use std::fmt;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub use tls::{TlsSource, DEFAULT_NAMES as TLS_DEFAULT_NAMES};

/// The demo partner's client ID, used when no partner is configured.
pub const DEMO_PARTNER_ID: &str = "12345";
/// The demo partner's client secret.
pub const DEMO_PARTNER_SECRET: &str = "sandbox-demo-secret";
/// The password of every partner's demo WordPress.com user, unless configured.
pub const DEMO_USER_PASSWORD: &str = "sandbox-demo-password";
/// Default request body limit (413 past it).
pub const DEFAULT_MAX_BODY: usize = 1024 * 1024;

/// How to run a sandbox.
#[derive(Clone)]
pub struct Config {
    /// Address to listen on; default `127.0.0.1:0` (a free port).
    pub listen: String,
    /// Journal file for durable state; `None` keeps everything in memory.
    pub state: Option<PathBuf>,
    /// Partner credentials `(client_id, client_secret)`; empty means the demo partner.
    pub partners: Vec<(String, String)>,
    /// Serve the `/__sandbox/` control endpoints (default true).
    pub control: bool,
    /// Largest accepted request body in bytes.
    pub max_body_bytes: usize,
    /// Password of the partners' demo WordPress.com users (`partner-<ID>`).
    pub user_password: String,
    /// Serve HTTPS (and still plain HTTP, on the same port) with this certificate.
    pub tls: Option<TlsSource>,
    /// Base of the links handed out (`next_url`), e.g. `https://sandbox.example`;
    /// without it, the scheme and `Host` of each request.
    pub public_url: Option<String>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            listen: "127.0.0.1:0".into(),
            state: None,
            partners: Vec::new(),
            control: true,
            max_body_bytes: DEFAULT_MAX_BODY,
            user_password: DEMO_USER_PASSWORD.into(),
            tls: None,
            public_url: None,
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<&str> = self.partners.iter().map(|(id, _)| id.as_str()).collect();
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("state", &self.state)
            .field("partners", &ids)
            .field("control", &self.control)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("tls", &self.tls)
            .field("public_url", &self.public_url)
            .finish_non_exhaustive()
    }
}

/// Why a sandbox could not start.
#[derive(Debug)]
pub struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

/// Everything the connection threads share.
pub(crate) struct Shared {
    pub store: store::Store,
    pub stats: stats::Stats,
    pub faults: faults::Faults,
    /// Processed provision and cancel calls (`GET /__sandbox/requests`).
    pub request_log: request_log::RequestLog,
    pub shutdown: AtomicBool,
    pub base_url: String,
    /// `--public-url`: the base of links handed out, whatever the request's `Host`.
    pub public_url: Option<String>,
    pub control: bool,
    pub max_body: usize,
    pub user_password: String,
    /// Set through `/__sandbox/authorize`: the authorize page refuses.
    pub deny_authorize: AtomicBool,
    pub connections: AtomicUsize,
    /// HTTPS, when configured.
    pub tls: Option<tls::Tls>,
    /// Seconds added to the wall clock (`POST /__sandbox/clock`).
    pub clock_offset: AtomicI64,
}

impl Shared {
    /// The sandbox's current time: the wall clock plus the offset.
    pub fn now(&self) -> i64 {
        clock::now().saturating_add(self.clock_offset.load(Ordering::Relaxed))
    }
}

/// A running sandbox. Dropping it stops the server.
pub struct Sandbox {
    shared: Arc<Shared>,
    addr: SocketAddr,
    url: String,
    accept: Option<JoinHandle<()>>,
}

impl Sandbox {
    /// Binds, loads the state (if any) and starts serving in background threads.
    pub fn start(config: Config) -> Result<Sandbox, Error> {
        let listener = TcpListener::bind(&config.listen)
            .map_err(|e| Error(format!("cannot listen on {}: {e}", config.listen)))?;
        let addr = listener
            .local_addr()
            .map_err(|e| Error(format!("cannot read the listening address: {e}")))?;
        let store = match &config.state {
            Some(path) => store::Store::open(path).map_err(Error)?,
            None => store::Store::in_memory(),
        };
        let partners = if config.partners.is_empty() {
            vec![(DEMO_PARTNER_ID.to_string(), DEMO_PARTNER_SECRET.to_string())]
        } else {
            config.partners.clone()
        };
        for (id, secret) in &partners {
            if id.is_empty() || secret.is_empty() {
                return Err(Error("a partner needs a non-empty ID and secret".into()));
            }
        }
        api::seed_partners(&store, &partners)
            .map_err(|e| Error(format!("cannot write the state file: {e}")))?;
        let tls = config
            .tls
            .as_ref()
            .map(tls::load)
            .transpose()
            .map_err(Error)?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        let url = format!("{scheme}://{}", loopback_if_unspecified(addr));
        let public_url = config
            .public_url
            .as_deref()
            .map(check_public_url)
            .transpose()
            .map_err(Error)?;
        let shared = Arc::new(Shared {
            store,
            stats: stats::Stats::default(),
            faults: faults::Faults::default(),
            request_log: request_log::RequestLog::default(),
            shutdown: AtomicBool::new(false),
            base_url: url.clone(),
            public_url,
            control: config.control,
            max_body: config.max_body_bytes,
            user_password: config.user_password.clone(),
            deny_authorize: AtomicBool::new(false),
            connections: AtomicUsize::new(0),
            tls,
            clock_offset: AtomicI64::new(0),
        });
        let s2 = shared.clone();
        let accept = std::thread::Builder::new()
            .name("sandbox-accept".into())
            .spawn(move || server::accept_loop(listener, s2))
            .map_err(|e| Error(format!("cannot start the server thread: {e}")))?;
        Ok(Sandbox {
            shared,
            addr,
            url,
            accept: Some(accept),
        })
    }

    /// The base URL, `http://127.0.0.1:PORT` (`https://` with TLS; plain
    /// `http://` is served on the same port too).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The CA certificate (PEM) of a generated TLS certificate.
    pub fn tls_ca_pem(&self) -> Option<&str> {
        self.shared.tls.as_ref()?.ca_pem.as_deref()
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops the server (same as dropping the handle).
    pub fn shutdown(self) {}

    fn stop(&mut self) {
        self.shared.shutdown.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let wake = loopback_if_unspecified(self.addr);
        let _ = TcpStream::connect_timeout(&wake, Duration::from_secs(1));
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
        // Connection threads notice the flag within one read tick.
        let deadline = Instant::now() + Duration::from_secs(3);
        while self.shared.connections.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// `--public-url`: an absolute http(s) URL; kept without its trailing `/`.
fn check_public_url(url: &str) -> Result<String, String> {
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .ok_or_else(|| format!("--public-url must start with http:// or https:// (got {url:?})"))?;
    if rest.is_empty() || rest.starts_with('/') || url.contains(char::is_whitespace) {
        return Err(format!("--public-url needs a host (got {url:?})"));
    }
    Ok(url.trim_end_matches('/').to_string())
}

/// `0.0.0.0:P` -> `127.0.0.1:P` (and `[::]` -> `[::1]`): an address to reach
/// a server listening on every interface.
fn loopback_if_unspecified(mut addr: SocketAddr) -> SocketAddr {
    if addr.ip().is_unspecified() {
        addr.set_ip(if addr.is_ipv4() {
            std::net::Ipv4Addr::LOCALHOST.into()
        } else {
            std::net::Ipv6Addr::LOCALHOST.into()
        });
    }
    addr
}

impl fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sandbox").field("url", &self.url).finish()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.stop();
    }
}

//! Connections opened ahead of need. While one thread asks for the partner token, every thread
//! waiting for it opens the connection its own call will need, so that their TCP and TLS round trips
//! overlap the token exchange instead of following it: a batch with `k` calls in flight then starts
//! its first `k` calls one round trip after the token arrives, not three.
//!
//! It is the outermost connector of the agent (ureq's `unversioned` connector API, pinned with
//! ureq): asked for a connection, it hands over an opened spare if one is ready or about to be,
//! otherwise it opens one through ureq's default chain (TCP, CONNECT proxy, TLS). A spare is opened
//! on another thread from the details of the agent's latest connection (same origin, addresses,
//! proxy and TLS settings) and is never used for anything before it is handed over, so no reply can
//! be waiting on it.

use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::time::{Duration as UreqDuration, Instant as UreqInstant};
use ureq::unversioned::transport::{
    ConnectionDetails, Connector, DefaultConnector, NextTimeout, ShutdownHandle, Transport,
};

/// Spares kept at most (the agent keeps at most as many idle connections).
const MAX_SPARES: usize = 32;
/// How long a spare may wait for its call at most (less if the idle limit is shorter). Spares
/// serve calls that are seconds away; a server may close a connection on which no request came
/// (Apache's default header timeout is 20 s), and a TLS spare cannot be checked without
/// spoiling it (see [`SpareConnections::take_spare`]).
const SPARE_MAX_AGE: Duration = Duration::from_secs(10);
/// How long the details of a connection are used to open spares: the host addresses in them are
/// those of the name lookup, kept as long (see `resolve`).
const TEMPLATE_LIFETIME: Duration = Duration::from_secs(60);

type RunConnector =
    dyn Fn(&ConnectionDetails) -> Result<Box<dyn Transport>, ureq::Error> + Send + Sync;
type RegisterShutdown = dyn Fn(Weak<dyn ShutdownHandle>) -> Result<(), ureq::Error> + Send + Sync;

/// The agent's connector: ureq's default chain, with spares.
pub(crate) struct SpareConnections {
    inner: Arc<DefaultConnector>,
    state: Arc<State>,
    /// Runs ureq's default chain: the connector runner of connections opened ahead, which have no
    /// agent's runner to copy (it is used only to reach a proxy).
    own_runner: Arc<RunConnector>,
    /// How long a spare may wait unused before it is given up.
    max_age: Duration,
}

/// What [`SpareConnections::handle`] gives the rest of the client: a way to ask for a spare.
#[derive(Clone)]
pub(crate) struct SpareHandle {
    inner: Arc<DefaultConnector>,
    state: Arc<State>,
    own_runner: Arc<RunConnector>,
}

#[derive(Default)]
struct State {
    slots: Mutex<Slots>,
    changed: Condvar,
}

#[derive(Default)]
struct Slots {
    /// Opened spares, oldest first, with the time each was opened.
    ready: Vec<(Instant, Box<dyn Transport>)>,
    /// Spares being opened now.
    opening: usize,
    /// Spares asked for before any connection gave the details to open them with.
    wanted: usize,
    /// When a spare was last asked for: asks older than a spare may live are forgotten (the call
    /// that asked failed before connecting, or connected elsewhere).
    wanted_at: Option<Instant>,
    /// Asks to let pass without a spare: a connection that no call will use is about to come
    /// free (the token request of a warm-up made on a thread of its own).
    free_coming: usize,
    template: Option<Template>,
}

/// The owned parts of a connection's [`ConnectionDetails`], to open more connections like it.
#[derive(Clone)]
struct Template {
    uri: Uri,
    config: Config,
    addrs: ResolvedSocketAddrs,
    request_level: bool,
    timeout: NextTimeout,
    current_time: Arc<dyn Fn() -> UreqInstant + Send + Sync + 'static>,
    /// Weak: it holds the agent's pool, which holds this connector and so the template (a cycle
    /// that would keep the agent alive forever).
    run_connector: Weak<RunConnector>,
    register_shutdown: Arc<RegisterShutdown>,
    taken: Instant,
}

impl Template {
    fn of(details: &ConnectionDetails) -> Template {
        Template {
            uri: details.uri.clone(),
            config: details.config.clone(),
            addrs: details.addrs.clone(),
            request_level: details.request_level,
            timeout: details.timeout,
            current_time: details.current_time.clone(),
            run_connector: Arc::downgrade(&details.run_connector),
            register_shutdown: details.register_shutdown.clone(),
            taken: Instant::now(),
        }
    }

    fn same_origin(&self, uri: &Uri) -> bool {
        self.uri.scheme() == uri.scheme() && self.uri.authority() == uri.authority()
    }
}

impl SpareConnections {
    pub(crate) fn new(max_idle: Duration) -> SpareConnections {
        let inner = Arc::new(DefaultConnector::default());
        let chain = inner.clone();
        let own_runner: Arc<RunConnector> = Arc::new(move |details: &ConnectionDetails| {
            chain
                .connect(details, None)?
                .ok_or(ureq::Error::ConnectionFailed)
        });
        SpareConnections {
            inner,
            own_runner,
            state: Arc::default(),
            max_age: max_idle.min(SPARE_MAX_AGE),
        }
    }

    pub(crate) fn handle(&self) -> SpareHandle {
        SpareHandle {
            inner: self.inner.clone(),
            state: self.state.clone(),
            own_runner: self.own_runner.clone(),
        }
    }

    /// A ready spare (all are to the origin of the latest connection), waiting for one being
    /// opened if there is no ready one.
    fn take_spare(&self, budget: Duration) -> Option<Box<dyn Transport>> {
        let now = Instant::now();
        let deadline = now.checked_add(budget).unwrap_or(now + self.max_age);
        let mut slots = self.state.lock();
        loop {
            let max_age = self.max_age;
            slots.ready.retain(|(opened, _)| opened.elapsed() < max_age);
            while let Some((_, mut transport)) = slots.ready.pop() {
                // ureq checks a connection by reading a byte from its socket: over TLS 1.3 that
                // would eat the session tickets the server sends after the handshake and spoil the
                // connection, so a TLS spare is trusted for its short age instead.
                if transport.is_tls() || transport.is_open() {
                    return Some(transport);
                }
            }
            let now = Instant::now();
            if slots.opening == 0 || now >= deadline {
                return None;
            }
            slots = self
                .state
                .changed
                .wait_timeout(slots, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}

impl fmt::Debug for SpareConnections {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpareConnections").finish_non_exhaustive()
    }
}

impl Connector<()> for SpareConnections {
    type Out = Box<dyn Transport>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        _chained: Option<()>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        let wanted = {
            let mut slots = self.state.lock();
            let same_origin = slots
                .template
                .as_ref()
                .is_none_or(|t| t.same_origin(details.uri));
            if !same_origin {
                slots.ready.clear();
            }
            slots.template = Some(Template::of(details));
            let recent = slots
                .wanted_at
                .take()
                .is_some_and(|at| at.elapsed() < self.max_age);
            let wanted = std::mem::take(&mut slots.wanted);
            if recent {
                wanted
            } else {
                0
            }
        };
        if wanted > 0 {
            // This thread is the one the spares were waiting for: it opens its own connection.
            let handle = self.handle();
            for _ in 0..wanted {
                handle.open_spare();
            }
            return self.inner.connect(details, None);
        }
        let budget = match details.timeout.after {
            UreqDuration::Exact(d) => d,
            _ => self.max_age,
        };
        match self.take_spare(budget) {
            Some(transport) => Ok(Some(transport)),
            None => self.inner.connect(details, None),
        }
    }
}

impl SpareHandle {
    /// Opens one spare connection on another thread, like the agent's latest one; if the agent has
    /// made none yet (or too long ago), the spare is opened as soon as it makes one.
    pub(crate) fn open_spare(&self) {
        let template = {
            let mut slots = self.state.lock();
            if slots.free_coming > 0 {
                slots.free_coming -= 1;
                return;
            }
            if slots.ready.len() + slots.opening >= MAX_SPARES {
                return;
            }
            let fresh = slots
                .template
                .as_ref()
                .filter(|t| t.taken.elapsed() < TEMPLATE_LIFETIME)
                .cloned();
            match fresh {
                Some(template) => {
                    slots.opening += 1;
                    template
                }
                None => {
                    slots.wanted += 1;
                    slots.wanted_at = Some(Instant::now());
                    return;
                }
            }
        };
        let handle = self.clone();
        let spawned = std::thread::Builder::new()
            .name("jetpack-partner-spare".into())
            .spawn(move || handle.finish_opening(&template));
        if spawned.is_err() {
            self.state.lock().opening -= 1;
            self.state.changed.notify_all();
        }
    }

    /// Opens a connection to `uri` (at `addrs`) on this thread, for the agent's next connection to
    /// take: for a caller who has the token and expects to call soon (see
    /// `Client::warm_in_background`). A call that needs a connection meanwhile waits for this one.
    pub(crate) fn open_ahead(
        &self,
        uri: Uri,
        config: Config,
        addrs: &[SocketAddr],
        connect_timeout: Duration,
    ) {
        let mut resolved = DefaultResolver::default().empty();
        for addr in addrs {
            if resolved.try_push(*addr).is_err() {
                break;
            }
        }
        let register_shutdown: Arc<RegisterShutdown> = Arc::new(|_| Ok(()));
        let template = Template {
            uri,
            config,
            addrs: resolved,
            request_level: false,
            timeout: NextTimeout {
                after: UreqDuration::Exact(connect_timeout),
                reason: ureq::Timeout::Connect,
                per_read: None,
                per_write: None,
            },
            current_time: Arc::new(UreqInstant::now),
            run_connector: Arc::downgrade(&self.own_runner),
            register_shutdown,
            taken: Instant::now(),
        };
        {
            let mut slots = self.state.lock();
            if slots.ready.len() + slots.opening >= MAX_SPARES {
                return;
            }
            slots.opening += 1;
        }
        self.finish_opening(&template);
    }

    /// Opens a connection like `template` for a place in `opening`, then makes it ready.
    fn finish_opening(&self, template: &Template) {
        let opened = open_like(&self.inner, template);
        let mut slots = self.state.lock();
        slots.opening -= 1;
        if let Some(transport) = opened {
            slots.ready.push((Instant::now(), transport));
        }
        drop(slots);
        self.state.changed.notify_all();
    }
}

impl SpareHandle {
    /// The next ask for a spare is met by a connection about to come free instead.
    pub(crate) fn expect_free_connection(&self) {
        self.state.lock().free_coming += 1;
    }

    /// Takes back [`SpareHandle::expect_free_connection`] if no ask used it.
    pub(crate) fn forget_free_connection(&self) {
        let mut slots = self.state.lock();
        slots.free_coming = slots.free_coming.saturating_sub(1);
    }
}

impl State {
    fn lock(&self) -> MutexGuard<'_, Slots> {
        self.slots.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Opens a connection through ureq's default chain with `template`'s details; `None` if it fails
/// (the call that would have used it opens its own and reports the failure).
fn open_like(inner: &DefaultConnector, template: &Template) -> Option<Box<dyn Transport>> {
    // Gone with the agent: nobody is left to use a spare.
    let run_connector = template.run_connector.upgrade()?;
    let resolver = DefaultResolver::default();
    let details = ConnectionDetails {
        uri: &template.uri,
        addrs: template.addrs.clone(),
        config: &template.config,
        request_level: template.request_level,
        resolver: &resolver,
        now: (template.current_time)(),
        timeout: template.timeout,
        current_time: template.current_time.clone(),
        run_connector,
        register_shutdown: template.register_shutdown.clone(),
    };
    inner.connect(&details, None).ok().flatten()
}

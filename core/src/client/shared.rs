//! State that pays off across clients, kept by the process: the partner token and the HTTP client (its
//! pool of kept-alive connections), shared by every client made with the same connection settings and
//! credentials, and kept after those clients are dropped.
//!
//! A PHP-FPM worker that makes a new client for every page it serves thus asks for the token once and
//! keeps its connection open across pages. The registry is bounded ([`MAX_ENTRIES`] sets of settings,
//! the least recently looked up one forgotten first) and belongs to one process: after `fork()` the
//! child starts with an empty registry, and what it inherited is never used nor dropped (its sockets
//! belong to the parent).

use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use super::settings::Settings;
use crate::http::agent::HttpClient;
use crate::secret::Secret;
use crate::token::cache::TokenCache;

/// Most sets of settings kept at once.
pub(crate) const MAX_ENTRIES: usize = 16;

/// The token and the HTTP client (its kept connections) of one set of settings.
pub(crate) struct Shared {
    pub token: TokenCache,
    pub http: HttpClient,
}

/// Everything that decides which token a client gets and how its connections are made. The secret
/// and the proxy URL (which may carry a password) are kept in zeroizing types.
#[derive(PartialEq)]
struct Key {
    partner_id: String,
    partner_secret: Secret,
    api_base: String,
    timeout: Duration,
    connect_timeout: Duration,
    proxy: Option<Secret>,
    /// DER of the extra trusted CAs, in the bundle's order.
    extra_roots: Vec<Vec<u8>>,
    idle_timeout: Duration,
    token_file: Option<std::path::PathBuf>,
}

impl Key {
    fn of(settings: &Settings) -> Key {
        Key {
            partner_id: settings.partner_id.clone(),
            partner_secret: settings.partner_secret.clone(),
            api_base: settings.http.api_base.clone(),
            timeout: settings.http.timeout,
            connect_timeout: settings.http.connect_timeout,
            proxy: settings.proxy_url.clone(),
            extra_roots: settings
                .http
                .extra_roots
                .iter()
                .map(|c| c.to_vec())
                .collect(),
            idle_timeout: settings.http.idle_timeout,
            token_file: settings.token_file.as_ref().map(|f| f.path().to_path_buf()),
        }
    }
}

struct Entry {
    key: Key,
    last_used: u64,
    shared: Arc<Shared>,
}

struct Registry {
    /// The process the entries belong to (0: none yet).
    pid: u32,
    clock: u64,
    entries: Vec<Entry>,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    pid: 0,
    clock: 0,
    entries: Vec::new(),
});

/// State inherited across `fork()`, kept (never used nor dropped) for the life of the process.
static PARKED: Mutex<Vec<Arc<Shared>>> = Mutex::new(Vec::new());

/// Keeps state that belongs to the parent process alive, unused, so that dropping it cannot shut
/// down or write to sockets the parent still uses.
pub(crate) fn park(shared: Arc<Shared>) {
    PARKED
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(shared);
}

/// The shared state for `settings` in the process `pid`, made (no connection opened)
/// when no client used these settings yet or they were forgotten.
pub(crate) fn lookup(settings: &Settings, pid: u32) -> Arc<Shared> {
    let key = Key::of(settings);
    let mut registry = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
    if registry.pid != pid {
        for entry in std::mem::take(&mut registry.entries) {
            park(entry.shared);
        }
        registry.pid = pid;
    }
    registry.clock += 1;
    let now = registry.clock;
    if let Some(entry) = registry.entries.iter_mut().find(|e| e.key == key) {
        entry.last_used = now;
        return entry.shared.clone();
    }
    if registry.entries.len() >= MAX_ENTRIES {
        if let Some(oldest) = registry
            .entries
            .iter()
            .enumerate()
            .min_by_key(|(_, e)| e.last_used)
            .map(|(i, _)| i)
        {
            // Clients still holding it keep using it; later clients get a new entry.
            registry.entries.swap_remove(oldest);
        }
    }
    let shared = Arc::new(Shared {
        token: TokenCache::default(),
        http: HttpClient::new(&settings.http),
    });
    registry.entries.push(Entry {
        key,
        last_used: now,
        shared: shared.clone(),
    });
    shared
}

/// A client's handle on its shared state, looked up on first use and again in a new process. Read
/// by every call, from any number of threads: they do not wait for each other.
#[derive(Default)]
pub(crate) struct Slot(RwLock<Option<(u32, Arc<Shared>)>>);

impl Slot {
    /// The shared state of `settings` for this process.
    pub(crate) fn get(&self, settings: &Settings) -> Arc<Shared> {
        let pid = std::process::id();
        if let Some((owner, shared)) = self.0.read().unwrap_or_else(|e| e.into_inner()).as_ref() {
            if *owner == pid {
                return shared.clone();
            }
        }
        let mut slot = self.0.write().unwrap_or_else(|e| e.into_inner());
        match slot.as_ref() {
            Some((owner, shared)) if *owner == pid => return shared.clone(),
            _ => {}
        }
        if let Some((_, inherited)) = slot.take() {
            park(inherited);
        }
        let shared = lookup(settings, pid);
        *slot = Some((pid, shared.clone()));
        shared
    }

    /// The current token of this process's shared state, if the client has one (used to redact).
    pub(crate) fn current_token(&self) -> Option<Arc<Secret>> {
        let pid = std::process::id();
        let slot = self.0.read().unwrap_or_else(|e| e.into_inner());
        match slot.as_ref() {
            Some((owner, shared)) if *owner == pid => shared.token.current(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::config::ClientConfig;

    fn settings(id: &str, secret: &str, base: &str) -> Settings {
        let mut config = ClientConfig::new(id, secret);
        config.api_base = base.to_string();
        Settings::from_config(&config).unwrap()
    }

    // One test touches the process-wide registry, so that tests running in parallel do not evict
    // each other's entries.
    #[test]
    fn same_settings_share_and_others_do_not() {
        let pid = std::process::id();
        let a = settings("1", "secret-one", "http://127.0.0.1:9");
        let same = settings("1", "secret-one", "http://127.0.0.1:9/");
        let other_secret = settings("1", "secret-two", "http://127.0.0.1:9");
        let other_base = settings("1", "secret-one", "http://127.0.0.1:10");
        let first = lookup(&a, pid);
        assert!(Arc::ptr_eq(&first, &lookup(&same, pid)));
        assert!(!Arc::ptr_eq(&first, &lookup(&other_secret, pid)));
        assert!(!Arc::ptr_eq(&first, &lookup(&other_base, pid)));
        let mut timeout = a.clone();
        timeout.http.connect_timeout = Duration::from_secs(1);
        assert!(!Arc::ptr_eq(&first, &lookup(&timeout, pid)));

        // Bounded: after MAX_ENTRIES other settings, the least recently used entry is forgotten.
        for i in 0..MAX_ENTRIES {
            lookup(
                &settings("1", &format!("filler-{i}"), "http://127.0.0.1:9"),
                pid,
            );
        }
        let registry = REGISTRY.lock().unwrap();
        assert!(registry.entries.len() <= MAX_ENTRIES);
        drop(registry);
        assert!(!Arc::ptr_eq(&first, &lookup(&a, pid)));

        // Another process (after fork) starts empty; what it inherited is parked, not dropped.
        let parked_before = PARKED.lock().unwrap().len();
        let again = lookup(&a, pid.wrapping_add(1));
        assert!(!Arc::ptr_eq(&first, &again));
        assert_eq!(REGISTRY.lock().unwrap().entries.len(), 1);
        assert!(PARKED.lock().unwrap().len() > parked_before);
        // Back to this process for the other tests.
        lookup(&a, pid);
    }
}

//! The API host's name looked up within the connect time limit, before ureq is called, so that one
//! budget covers the lookup, the TCP connection and the TLS handshake. ureq's stable API times its
//! own lookup apart from connecting (two budgets of the connect limit each); this is the one place
//! the library uses ureq's `unversioned` API: its `Resolver` trait, through which ureq takes the
//! addresses looked up here. ureq is pinned to an exact version in Cargo.toml for it.
//!
//! An IP address needs no lookup (and no thread); a host name is looked up on a short-lived thread
//! that the caller waits for at most the limit, and its addresses are kept for the process for
//! [`KEEP_ADDRESSES`] (curl's default), so that a call on a kept connection costs no lookup. With a proxy the target is not looked up here:
//! ureq then asks the proxy for it, and looks up the proxy's own name within its connect budget.

use std::cell::RefCell;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::{mpsc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

use super::exchange::{Failure, FailureKind};

/// How long a host name's addresses are used before it is looked up again.
pub(crate) const KEEP_ADDRESSES: Duration = Duration::from_secs(60);

/// Addresses looked up in this process, with when, by host and port.
type Found = HashMap<(String, u16), (Vec<SocketAddr>, Instant)>;

fn found() -> std::sync::MutexGuard<'static, Found> {
    static FOUND: OnceLock<Mutex<Found>> = OnceLock::new();
    FOUND
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

thread_local! {
    /// The addresses looked up for the call this thread is about to make.
    static LOOKED_UP: RefCell<Option<Vec<SocketAddr>>> = const { RefCell::new(None) };
}

/// Hands ureq the addresses looked up by [`look_up`] for this thread's call; looks up anything else
/// (none is expected) as ureq would.
#[derive(Debug, Default)]
pub(crate) struct LookedUpFirst(DefaultResolver);

impl Resolver for LookedUpFirst {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        match LOOKED_UP.with(|slot| slot.borrow_mut().take()) {
            Some(found) => {
                let mut addrs = self.empty();
                // ureq keeps at most 16 addresses; the rest are left out, as its own resolver does.
                for addr in found {
                    if addrs.try_push(addr).is_err() {
                        break;
                    }
                }
                Ok(addrs)
            }
            None => self.0.resolve(uri, config, timeout),
        }
    }
}

/// The host and port requests go to, as the API base names them.
#[derive(Clone, Debug)]
pub(crate) struct Target {
    /// The host without IPv6 brackets.
    host: String,
    port: u16,
    literal: Option<IpAddr>,
}

impl Target {
    pub(crate) fn new(host: &str, port: u16) -> Target {
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        Target {
            literal: host.parse().ok(),
            host,
            port,
        }
    }
}

/// Looks `target` up within `limit` and keeps the addresses for this thread's next ureq call.
/// Returns how long the lookup took.
pub(crate) fn look_up(target: &Target, limit: Duration) -> Result<Duration, Failure> {
    let started = Instant::now();
    let found = addresses(target, limit)?;
    LOOKED_UP.with(|slot| *slot.borrow_mut() = Some(found));
    Ok(started.elapsed())
}

/// The addresses of `target`, looked up within `limit` unless kept from a recent lookup.
pub(crate) fn addresses(target: &Target, limit: Duration) -> Result<Vec<SocketAddr>, Failure> {
    match target.literal {
        Some(ip) => Ok(vec![SocketAddr::new(ip, target.port)]),
        None => kept_or_looked_up(target, limit),
    }
}

/// Forgets addresses a call did not use (it failed before ureq looked them up).
pub(crate) fn forget() {
    LOOKED_UP.with(|slot| slot.borrow_mut().take());
}

fn kept_or_looked_up(target: &Target, limit: Duration) -> Result<Vec<SocketAddr>, Failure> {
    let key = (target.host.clone(), target.port);
    if let Some((addrs, at)) = found().get(&key) {
        if at.elapsed() < KEEP_ADDRESSES {
            return Ok(addrs.clone());
        }
    }
    let addrs = look_up_name(target, limit)?;
    found().insert(key, (addrs.clone(), Instant::now()));
    Ok(addrs)
}

fn look_up_name(target: &Target, limit: Duration) -> Result<Vec<SocketAddr>, Failure> {
    let (tx, rx) = mpsc::sync_channel(1);
    let name = (target.host.clone(), target.port);
    // The thread ends on its own when the system's lookup returns; nobody waits for it then.
    std::thread::Builder::new()
        .name("jetpack-partner-lookup".into())
        .spawn(move || {
            let _ = tx.send(name.to_socket_addrs().map(|a| a.collect::<Vec<_>>()));
        })
        .map_err(|e| Failure {
            kind: FailureKind::Other,
            may_have_reached_server: false,
            detail: format!("cannot start the host name lookup: {e}"),
        })?;
    match rx.recv_timeout(limit) {
        Ok(Ok(found)) if !found.is_empty() => Ok(found),
        Ok(_) => Err(Failure {
            kind: FailureKind::Connect,
            may_have_reached_server: false,
            detail: "the host name could not be resolved".into(),
        }),
        Err(_) => Err(Failure {
            kind: FailureKind::Timeout,
            may_have_reached_server: false,
            detail: "timed out while connecting (looking up the host name)".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn taken() -> Option<Vec<SocketAddr>> {
        LOOKED_UP.with(|slot| slot.borrow_mut().take())
    }

    #[test]
    fn addresses_need_no_lookup() {
        look_up(&Target::new("127.0.0.1", 8080), Duration::from_secs(1)).unwrap();
        assert_eq!(taken(), Some(vec!["127.0.0.1:8080".parse().unwrap()]));
        look_up(&Target::new("[::1]", 443), Duration::from_secs(1)).unwrap();
        assert_eq!(taken(), Some(vec!["[::1]:443".parse().unwrap()]));
        assert_eq!(taken(), None, "handed out once");
    }

    #[test]
    fn names_are_looked_up_and_kept_for_the_next_call() {
        look_up(&Target::new("localhost", 1), Duration::from_secs(5)).unwrap();
        let found = taken().unwrap();
        assert!(
            found.iter().all(|a| a.ip().is_loopback() && a.port() == 1),
            "{found:?}"
        );
        look_up(&Target::new("127.0.0.1", 2), Duration::from_secs(1)).unwrap();
        forget();
        assert_eq!(taken(), None);
    }

    #[test]
    fn addresses_of_a_name_are_kept_for_a_while_then_looked_up_again() {
        let kept: SocketAddr = "192.0.2.7:443".parse().unwrap();
        let key = ("kept.invalid".to_string(), 443);
        found().insert(key.clone(), (vec![kept], Instant::now()));
        look_up(&Target::new("kept.invalid", 443), Duration::from_secs(5)).unwrap();
        assert_eq!(taken(), Some(vec![kept]), "no lookup while kept");
        let long_ago = Instant::now().checked_sub(KEEP_ADDRESSES + Duration::from_secs(1));
        if let Some(long_ago) = long_ago {
            found().insert(key, (vec![kept], long_ago));
            // Looked up again: the name does not exist.
            assert!(look_up(&Target::new("kept.invalid", 443), Duration::from_secs(5)).is_err());
            assert_eq!(taken(), None);
        }
    }

    #[test]
    fn unknown_names_did_not_reach_a_server() {
        let f = look_up(
            &Target::new("no-such-host.invalid", 443),
            Duration::from_secs(5),
        )
        .unwrap_err();
        assert!(!f.may_have_reached_server);
        assert!(matches!(
            f.kind,
            FailureKind::Connect | FailureKind::Timeout
        ));
    }
}

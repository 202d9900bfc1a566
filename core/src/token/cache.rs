//! The partner token in memory: asked for once, on first use, shared by every call and thread of the
//! clients with the same settings (see `client::shared`), and replaced once, for all of them, when a
//! call is refused for it.

use std::sync::{Arc, Mutex, RwLock, TryLockError};

use crate::error::Error;
use crate::secret::Secret;

/// The token of a set of clients, and the lock that makes concurrent first uses ask the server only once.
#[derive(Default)]
pub(crate) struct TokenCache {
    current: RwLock<Option<Arc<Secret>>>,
    fetching: Mutex<()>,
}

impl TokenCache {
    /// The current token, if one was obtained.
    pub(crate) fn current(&self) -> Option<Arc<Secret>> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The current token, or a new one from `fetch`. When `refused` is given, that token was refused by
    /// the server: a new one is fetched unless another thread already replaced it. Only one thread
    /// fetches at a time; the others wait and use its result, and a thread about to wait for the
    /// first token of all calls `before_first_wait` (to prepare its call meanwhile).
    pub(crate) fn get_or_fetch(
        &self,
        refused: Option<&Arc<Secret>>,
        fetch: impl FnOnce() -> Result<Secret, Error>,
        before_first_wait: impl FnOnce(),
    ) -> Result<Arc<Secret>, Error> {
        let usable = |current: &Option<Arc<Secret>>| match (current, refused) {
            (Some(token), Some(bad)) if Arc::ptr_eq(token, bad) => None,
            (Some(token), _) => Some(token.clone()),
            (None, _) => None,
        };
        if let Some(token) = usable(&self.current.read().unwrap_or_else(|e| e.into_inner())) {
            return Ok(token);
        }
        let _guard = match self.fetching.try_lock() {
            Ok(guard) => guard,
            Err(TryLockError::Poisoned(e)) => e.into_inner(),
            Err(TryLockError::WouldBlock) => {
                if refused.is_none() && self.current().is_none() {
                    before_first_wait();
                }
                self.fetching.lock().unwrap_or_else(|e| e.into_inner())
            }
        };
        if let Some(token) = usable(&self.current.read().unwrap_or_else(|e| e.into_inner())) {
            return Ok(token);
        }
        let token = Arc::new(fetch()?);
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Some(token.clone());
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[test]
    fn concurrent_first_uses_fetch_once_and_the_others_prepare_while_waiting() {
        let cache = Arc::new(TokenCache::default());
        let fetches = Arc::new(AtomicU32::new(0));
        let waits = Arc::new(AtomicU32::new(0));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (cache, fetches, waits) = (cache.clone(), fetches.clone(), waits.clone());
                std::thread::spawn(move || {
                    let fetch = || {
                        fetches.fetch_add(1, Ordering::SeqCst);
                        // The fetch lasts until the seven other threads are waiting for it.
                        let until = std::time::Instant::now() + std::time::Duration::from_secs(5);
                        while waits.load(Ordering::SeqCst) < 7 && std::time::Instant::now() < until
                        {
                            std::thread::sleep(std::time::Duration::from_millis(1));
                        }
                        Ok(Secret::new("tok"))
                    };
                    let prepare = || {
                        waits.fetch_add(1, Ordering::SeqCst);
                    };
                    cache.get_or_fetch(None, fetch, prepare).unwrap()
                })
            })
            .collect();
        for t in threads {
            assert_eq!(t.join().unwrap().expose(), "tok");
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
        assert_eq!(waits.load(Ordering::SeqCst), 7);
    }

    #[test]
    fn refused_token_is_replaced_once() {
        let cache = TokenCache::default();
        let first = cache
            .get_or_fetch(None, || Ok(Secret::new("one")), || {})
            .unwrap();
        let second = cache
            .get_or_fetch(Some(&first), || Ok(Secret::new("two")), || {})
            .unwrap();
        assert_eq!(second.expose(), "two");
        // A second refusal report of the old token does not fetch again.
        let third = cache
            .get_or_fetch(Some(&first), || panic!("must not fetch"), || {})
            .unwrap();
        assert_eq!(third.expose(), "two");
    }

    #[test]
    fn failed_fetch_leaves_no_token() {
        let cache = TokenCache::default();
        let err = cache
            .get_or_fetch(None, || Err(Error::new(ErrorKind::Token, "no")), || {})
            .unwrap_err();
        assert_eq!(err.code(), "token_error");
        assert!(cache.current().is_none());
    }
}

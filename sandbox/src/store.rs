//! The state behind one lock, plus the optional journal that makes it durable.
//!
//! A change is appended to the journal under the lock and synced after the
//! lock is released, so other requests go on while the disk works. Every
//! reply, a read's too, waits until what it saw is on disk: no client can be
//! shown a change that a crash would then lose.

use crate::journal::Journal;
use crate::state::{Event, State};
use std::fs::File;
use std::ops::{Deref, DerefMut};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

pub struct Store {
    inner: Mutex<Inner>,
    /// Journal batches known to be on disk.
    synced: AtomicU64,
}

struct Inner {
    state: State,
    journal: Option<Journal>,
    /// Journal batches written (synced or not).
    written: u64,
}

/// A write transaction: changes go through [`Tx::put`], which applies them
/// and records them for the journal.
pub struct Tx<'a> {
    state: &'a mut State,
    events: Vec<Event>,
}

impl Tx<'_> {
    pub fn put(&mut self, ev: Event) {
        self.state.apply(&ev);
        self.events.push(ev);
    }
}

impl Deref for Tx<'_> {
    type Target = State;
    fn deref(&self) -> &State {
        self.state
    }
}

impl DerefMut for Tx<'_> {
    fn deref_mut(&mut self) -> &mut State {
        self.state
    }
}

impl Store {
    pub fn in_memory() -> Store {
        Store {
            inner: Mutex::new(Inner {
                state: State::default(),
                journal: None,
                written: 0,
            }),
            synced: AtomicU64::new(0),
        }
    }

    pub fn open(path: &Path) -> Result<Store, String> {
        let (mut journal, events) = Journal::open(path)?;
        let mut state = State::default();
        for ev in &events {
            state.apply(ev);
        }
        // Superseded records (old versions, revoked tokens, used codes)
        // make up most of a long-lived journal: start from a compact one.
        let current = state.snapshot();
        if events.len() > 2 * current.len() + 1000 {
            journal = journal.rewrite(path, &current)?;
        }
        Ok(Store {
            inner: Mutex::new(Inner {
                state,
                journal: Some(journal),
                written: 0,
            }),
            synced: AtomicU64::new(0),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The journal file when batches up to `seq` may not be on disk yet.
    fn pending(&self, inner: &Inner) -> Option<(u64, Arc<File>)> {
        let seq = inner.written;
        if seq <= self.synced.load(Ordering::SeqCst) {
            return None;
        }
        inner.journal.as_ref().map(|j| (seq, j.file()))
    }

    /// Syncs the journal up to batch `seq` (every write before the sync).
    fn sync(&self, pending: Option<(u64, Arc<File>)>) -> std::io::Result<()> {
        if let Some((seq, file)) = pending {
            if seq > self.synced.load(Ordering::SeqCst) {
                file.sync_data()?;
                self.synced.fetch_max(seq, Ordering::SeqCst);
            }
        }
        Ok(())
    }

    pub fn read<R>(&self, f: impl FnOnce(&State) -> R) -> R {
        let (result, pending) = {
            let inner = self.lock();
            (f(&inner.state), self.pending(&inner))
        };
        // Best effort: a failing disk already fails the writes' replies.
        let _ = self.sync(pending);
        result
    }

    /// Runs `f`, then makes its changes (and what it saw) durable before
    /// returning.
    pub fn write<R>(&self, f: impl FnOnce(&mut Tx<'_>) -> R) -> std::io::Result<R> {
        let (result, pending) = {
            let mut guard = self.lock();
            let inner = &mut *guard;
            let mut tx = Tx {
                state: &mut inner.state,
                events: Vec::new(),
            };
            let result = f(&mut tx);
            let events = tx.events;
            if !events.is_empty() {
                if let Some(j) = &inner.journal {
                    j.append(&events)?;
                    inner.written += 1;
                }
            }
            (result, self.pending(inner))
        };
        self.sync(pending)?;
        Ok(result)
    }
}

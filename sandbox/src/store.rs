//! The state behind one lock, plus the optional journal that makes it durable.

use crate::journal::Journal;
use crate::state::{Event, State};
use std::ops::{Deref, DerefMut};
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

pub struct Store {
    inner: Mutex<Inner>,
}

struct Inner {
    state: State,
    journal: Option<Journal>,
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
            }),
        }
    }

    pub fn open(path: &Path) -> Result<Store, String> {
        let (journal, events) = Journal::open(path)?;
        let mut state = State::default();
        for ev in &events {
            state.apply(ev);
        }
        Ok(Store {
            inner: Mutex::new(Inner {
                state,
                journal: Some(journal),
            }),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn read<R>(&self, f: impl FnOnce(&State) -> R) -> R {
        f(&self.lock().state)
    }

    /// Runs `f`, then makes its changes durable before returning.
    pub fn write<R>(&self, f: impl FnOnce(&mut Tx<'_>) -> R) -> std::io::Result<R> {
        let (result, to_sync) = {
            let mut inner = self.lock();
            let inner = &mut *inner;
            let mut tx = Tx {
                state: &mut inner.state,
                events: Vec::new(),
            };
            let result = f(&mut tx);
            let events = tx.events;
            let to_sync = match (&inner.journal, events.is_empty()) {
                (Some(j), false) => Some(j.append(&events)?),
                _ => None,
            };
            (result, to_sync)
        };
        // The lock is released: other requests proceed while this one syncs.
        if let Some(file) = to_sync {
            file.sync_data()?;
        }
        Ok(result)
    }
}

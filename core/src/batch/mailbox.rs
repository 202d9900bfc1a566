//! Where workers leave results for the batch's caller. A mutex and a condition variable rather
//! than a channel: a channel's receiver registers the caller's thread handle in a thread-local that
//! a C program's main thread never frees.

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use super::result::BatchResult;

pub(crate) struct Mailbox {
    state: Mutex<State>,
    changed: Condvar,
}

struct State {
    results: VecDeque<BatchResult>,
    /// Workers that may still leave a result.
    senders: usize,
    /// Results waiting untaken plus items workers have taken on ([`Mailbox::reserve`]).
    outstanding: usize,
    /// Most `outstanding` allowed: the batch keeps pace with its caller, so a caller that stops
    /// taking results (and then drops the batch) leaves the remaining items unsent.
    room: usize,
    /// No new work may start (the batch was stopped).
    stopped: bool,
}

/// What a wait for a result gave.
pub(crate) enum Received {
    Result(BatchResult),
    /// None came within the time.
    Nothing,
    /// None will come: every worker has ended and every result was taken.
    Closed,
}

/// A worker's registration; its drop (also by a panic) tells the mailbox the worker has ended.
pub(crate) struct Sender<'a>(&'a Mailbox);

impl Drop for Sender<'_> {
    fn drop(&mut self) {
        self.0.lock().senders -= 1;
        self.0.changed.notify_all();
    }
}

impl Sender<'_> {
    pub(crate) fn send(&self, result: BatchResult) {
        self.0.lock().results.push_back(result);
        self.0.changed.notify_all();
    }
}

impl Mailbox {
    /// A mailbox for `senders` workers, each of which calls [`Mailbox::sender`] once, with `room`
    /// (at least 1) for results waiting untaken plus items being worked on.
    pub(crate) fn new(senders: usize, room: usize) -> Mailbox {
        Mailbox {
            state: Mutex::new(State {
                results: VecDeque::new(),
                senders,
                outstanding: 0,
                room: room.max(1),
                stopped: false,
            }),
            changed: Condvar::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn sender(&self) -> Sender<'_> {
        Sender(self)
    }

    /// A worker that could not start: one sender fewer.
    pub(crate) fn forget_sender(&self) {
        drop(Sender(self));
    }

    /// Waits for room, then takes a place for one item, given back when its result is taken or by
    /// [`Mailbox::release`]; `false` once the batch is stopped.
    pub(crate) fn reserve(&self) -> bool {
        let mut state = self.lock();
        loop {
            if state.stopped {
                return false;
            }
            if state.outstanding < state.room {
                state.outstanding += 1;
                return true;
            }
            state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Gives back a place taken by [`Mailbox::reserve`] that will bring no result.
    pub(crate) fn release(&self) {
        let mut state = self.lock();
        state.outstanding = state.outstanding.saturating_sub(1);
        drop(state);
        self.changed.notify_all();
    }

    /// Wakes workers waiting for room, for good: no new work starts.
    pub(crate) fn stop(&self) {
        self.lock().stopped = true;
        self.changed.notify_all();
    }

    /// Waits for a result up to `wait` (`None`: as long as it takes).
    pub(crate) fn receive(&self, wait: Option<Duration>) -> Received {
        let deadline = wait.and_then(|w| Instant::now().checked_add(w));
        let mut state = self.lock();
        loop {
            if let Some(result) = state.results.pop_front() {
                state.outstanding = state.outstanding.saturating_sub(1);
                // A worker may be waiting for this room.
                self.changed.notify_all();
                return Received::Result(result);
            }
            if state.senders == 0 {
                return Received::Closed;
            }
            state = match deadline {
                None => self.changed.wait(state).unwrap_or_else(|e| e.into_inner()),
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return Received::Nothing;
                    }
                    self.changed
                        .wait_timeout(state, deadline - now)
                        .unwrap_or_else(|e| e.into_inner())
                        .0
                }
            };
        }
    }
}

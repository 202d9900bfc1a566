//! How many calls of a batch are in flight, and when the next may start. When the server pushes
//! back (429, or 503 with `Retry-After`) the whole batch halves its concurrency and waits as told;
//! each run of successes as long as the current limit adds one call back, up to the maximum.

use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

pub(crate) struct Pacer {
    max: usize,
    state: Mutex<State>,
    changed: Condvar,
}

struct State {
    limit: usize,
    in_flight: usize,
    /// No call starts before this.
    resume_at: Option<Instant>,
    /// Successes since the limit last moved.
    successes: usize,
    stopped: bool,
}

/// One call's place in flight; released when dropped.
pub(crate) struct Permit<'a>(&'a Pacer);

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let mut state = self.0.lock();
        state.in_flight -= 1;
        drop(state);
        self.0.changed.notify_all();
    }
}

impl Pacer {
    pub(crate) fn new(max: usize) -> Pacer {
        Pacer {
            max,
            state: Mutex::new(State {
                limit: max,
                in_flight: 0,
                resume_at: None,
                successes: 0,
                stopped: false,
            }),
            changed: Condvar::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for a place in flight; `None` once the batch is stopped.
    pub(crate) fn acquire(&self) -> Option<Permit<'_>> {
        let mut state = self.lock();
        loop {
            if state.stopped {
                return None;
            }
            let now = Instant::now();
            match state.resume_at {
                Some(at) if at > now => {
                    state = self
                        .changed
                        .wait_timeout(state, at - now)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                }
                _ if state.in_flight >= state.limit => {
                    state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner());
                }
                _ => {
                    state.in_flight += 1;
                    return Some(Permit(self));
                }
            }
        }
    }

    /// A call succeeded (or failed without pushback): the limit creeps back up.
    pub(crate) fn success(&self) {
        let mut state = self.lock();
        state.successes += 1;
        if state.successes >= state.limit && state.limit < self.max {
            state.limit += 1;
            state.successes = 0;
            drop(state);
            self.changed.notify_all();
        }
    }

    /// The server pushed back: halve the limit (once per pause: the other replies of the same burst
    /// only extend it) and start nothing for `pause`.
    pub(crate) fn push_back(&self, pause: Duration) {
        let mut state = self.lock();
        let now = Instant::now();
        let in_pause = state.resume_at.is_some_and(|at| at > now);
        if !in_pause {
            state.limit = (state.limit / 2).max(1);
        }
        state.successes = 0;
        let resume = now + pause;
        if state.resume_at.is_none_or(|at| at < resume) {
            state.resume_at = Some(resume);
        }
    }

    /// The current limit of calls in flight.
    pub(crate) fn limit(&self) -> usize {
        self.lock().limit
    }

    /// Calls in flight now.
    pub(crate) fn in_flight(&self) -> usize {
        self.lock().in_flight
    }

    /// No further permits: waiting workers give up.
    pub(crate) fn stop(&self) {
        self.lock().stopped = true;
        self.changed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_back_halves_once_per_pause_and_successes_restore() {
        let pacer = Pacer::new(16);
        pacer.push_back(Duration::from_millis(30));
        pacer.push_back(Duration::from_millis(30));
        assert_eq!(pacer.limit(), 8);
        let started = Instant::now();
        let permit = pacer.acquire().unwrap();
        assert!(started.elapsed() >= Duration::from_millis(25));
        drop(permit);
        for _ in 0..8 {
            pacer.success();
        }
        assert_eq!(pacer.limit(), 9);
    }

    #[test]
    fn never_more_in_flight_than_the_limit() {
        let pacer = Pacer::new(2);
        let a = pacer.acquire().unwrap();
        let _b = pacer.acquire().unwrap();
        assert_eq!(pacer.in_flight(), 2);
        std::thread::scope(|s| {
            let waiter = s.spawn(|| pacer.acquire().map(|_| ()));
            std::thread::sleep(Duration::from_millis(20));
            assert!(!waiter.is_finished());
            drop(a);
            assert!(waiter.join().unwrap().is_some());
        });
        pacer.stop();
        assert!(pacer.acquire().is_none());
    }
}

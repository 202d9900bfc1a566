//! Worker threads that run a batch's items: journal first, then the call, the status check
//! whenever an outcome is unknown, and the shared pacing when the server pushes back.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use super::item::{BatchItem, Operation};
use super::journal::{Journal, Prior};
use super::mailbox::{Mailbox, Received, Sender};
use super::options::{BatchOptions, MAX_CONCURRENCY};
use super::pacer::Pacer;
use super::result::{error_json, BatchResult, Outcome};
use super::verify::in_place;
use crate::client::{Client, Reply};
use crate::error::{Error, ErrorKind};

/// Rounds of send, unknown outcome, status check "not in place", before giving up on an item.
const MAX_ROUNDS: u32 = 3;
/// Pushbacks (429 / 503 with `Retry-After`) one item takes before it is reported failed.
const MAX_PUSH_BACKS: u32 = 30;
/// Attempts of a request that provably never reached the server (connection refused...).
const MAX_UNSENT: u32 = 4;

struct Job {
    index: usize,
    item: BatchItem,
    prior: Prior,
}

struct Runner {
    /// The caller's client with one attempt per call: the batch itself decides on retries, so a
    /// pushback slows every item, not only the one that got it.
    sender: Client,
    /// The caller's client as configured, for status checks (safe to retry).
    checker: Client,
    journal: Option<Journal>,
    pacer: Pacer,
    queue: Mutex<VecDeque<Job>>,
    results: Mailbox,
    backoff_base: Duration,
    retry_after_max: Duration,
    /// The client's overall time limit: how long a request of a crashed run may still be processed.
    settle: Duration,
}

/// A running batch: an iterator over its results in completion order. Dropping it stops the
/// batch: no new item starts, the calls in flight finish (and are journaled), then it returns.
pub struct BatchRun {
    /// Results known before any call (invalid items, items done in an earlier run).
    ready: VecDeque<BatchResult>,
    runner: Arc<Runner>,
    workers: Vec<JoinHandle<()>>,
    total: usize,
    /// Every result has been handed out.
    finished: bool,
}

enum Sent {
    Accepted(Reply),
    /// Refused, or never reached the server: nothing happened.
    Refused(Error),
    /// It may have been processed.
    Unknown(Error),
    /// The batch was stopped before the call could start.
    Stopped,
}

impl Client {
    /// Starts a batch of provisions and cancels with up to `options.concurrency` calls in flight,
    /// sharing this client's token and connections; returns at once with an iterator over the
    /// results in completion order. The batch keeps pace with its caller: at most `concurrency`
    /// results wait untaken on top of the calls in flight, and no new call starts until one is
    /// taken, so a caller that stops iterating and drops the run leaves the remaining items unsent.
    ///
    /// Every item is checked first: an invalid item, or a key used twice, is a `failed` result with
    /// `invalid_argument` and never reaches the network. One item's failure never stops the others.
    /// A 429, or a 503 with `Retry-After`, halves the calls in flight and pauses every new call as
    /// long as the server asked (at most the client's `backoff.retry_after_max`).
    ///
    /// With a journal, each call is recorded (synced) as started before it is sent and its outcome
    /// before it is reported; a re-run with the same items and journal reports items done before as
    /// `already_done` without sending them, and for an item that was sent without a recorded outcome
    /// (a crash, `outcome_unknown`) asks the site's status first: in place, it is `confirmed`;
    /// otherwise it is sent again. Errors: `invalid_argument` for a concurrency outside 1 to 64, an
    /// unreadable journal or one with a damaged line.
    pub fn run_batch(
        &self,
        items: Vec<BatchItem>,
        options: &BatchOptions,
    ) -> Result<BatchRun, Error> {
        if !(1..=MAX_CONCURRENCY).contains(&options.concurrency) {
            return Err(Error::invalid_argument(
                "concurrency",
                format!("must be 1 to {MAX_CONCURRENCY}"),
            ));
        }
        let (journal, recorded) = match &options.journal {
            Some(path) => {
                let (journal, recorded) = Journal::open(path)?;
                (Some(journal), recorded)
            }
            None => (None, HashMap::new()),
        };
        let mut config = self.config().clone();
        config.max_attempts = 1;
        let sender = Client::new(config)?;
        let checker = Client::new(self.config().clone())?;
        let total = items.len();
        let mut ready = VecDeque::new();
        let mut queue = VecDeque::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (index, item) in items.into_iter().enumerate() {
            let refuse = |error: Error| BatchResult {
                index,
                key: item.key.clone(),
                operation: item.operation,
                site: item.site.clone(),
                outcome: Outcome::Failed,
                reply: None,
                error: Some(error),
            };
            if let Err(e) = item.check() {
                ready.push_back(refuse(e));
                continue;
            }
            if let Some(first) = seen.insert(item.key.clone(), index) {
                seen.insert(item.key.clone(), first);
                ready.push_back(refuse(Error::invalid_argument(
                    "key",
                    format!("{:?} is also the key of item {first}", item.key),
                )));
                continue;
            }
            let prior = match recorded.get(&item.key) {
                None => Prior::New,
                Some((fingerprint, _))
                    if !fingerprint.is_null() && *fingerprint != item.fingerprint() =>
                {
                    ready.push_back(refuse(Error::invalid_argument(
                        "key",
                        format!(
                            "{:?}: the journal records another item under this key ({fingerprint})",
                            item.key
                        ),
                    )));
                    continue;
                }
                Some((_, prior)) => prior.clone(),
            };
            if let Prior::Done(event) = &prior {
                ready.push_back(BatchResult {
                    index,
                    key: item.key.clone(),
                    operation: item.operation,
                    site: item.site.clone(),
                    outcome: Outcome::AlreadyDone,
                    reply: event.get("reply").cloned(),
                    error: None,
                });
                continue;
            }
            queue.push_back(Job { index, item, prior });
        }
        let workers_needed = options.concurrency.min(queue.len());
        let backoff = &self.config().backoff;
        let runner = Arc::new(Runner {
            sender,
            checker,
            journal,
            pacer: Pacer::new(options.concurrency),
            queue: Mutex::new(queue),
            // Up to `concurrency` results may wait untaken on top of the calls in flight.
            results: Mailbox::new(workers_needed, 2 * options.concurrency),
            backoff_base: backoff.base,
            retry_after_max: backoff.retry_after_max,
            settle: self.config().timeout,
        });
        let mut workers = Vec::with_capacity(workers_needed);
        for n in 0..workers_needed {
            let worker = runner.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("jp-batch-{n}"))
                .spawn(move || worker.work(&worker.results.sender()));
            match spawned {
                Ok(handle) => workers.push(handle),
                Err(e) if workers.is_empty() => {
                    return Err(Error::internal(format!("cannot start a batch thread: {e}")))
                }
                // Fewer threads than asked: the ones running share the work.
                Err(_) => runner.results.forget_sender(),
            }
        }
        Ok(BatchRun {
            ready,
            runner,
            workers,
            total,
            finished: false,
        })
    }
}

impl BatchRun {
    /// How many items the batch was given.
    pub fn total(&self) -> usize {
        self.total
    }

    /// Calls in flight now.
    pub fn in_flight(&self) -> usize {
        self.runner.pacer.in_flight()
    }

    /// The current limit of calls in flight (lower than the concurrency while the server pushes back).
    pub fn concurrency_limit(&self) -> usize {
        self.runner.pacer.limit()
    }

    /// The next result if one lands within `wait`; `None` when none did, or when every result has
    /// been handed out ([`BatchRun::is_finished`] tells which).
    pub fn next_within(&mut self, wait: Duration) -> Option<BatchResult> {
        if let Some(result) = self.ready.pop_front() {
            return Some(result);
        }
        if self.finished {
            return None;
        }
        match self.runner.results.receive(Some(wait)) {
            Received::Result(result) => Some(result),
            Received::Nothing => None,
            Received::Closed => {
                self.finished = true;
                None
            }
        }
    }

    /// Whether every result has been handed out.
    pub fn is_finished(&self) -> bool {
        self.finished && self.ready.is_empty()
    }

    /// Stops the batch: no new item starts; results of calls in flight still arrive.
    pub fn stop(&self) {
        self.runner.queue_lock().clear();
        self.runner.pacer.stop();
        self.runner.results.stop();
    }
}

impl Iterator for BatchRun {
    type Item = BatchResult;

    fn next(&mut self) -> Option<BatchResult> {
        if let Some(result) = self.ready.pop_front() {
            return Some(result);
        }
        if self.finished {
            return None;
        }
        match self.runner.results.receive(None) {
            Received::Result(result) => Some(result),
            Received::Nothing | Received::Closed => {
                self.finished = true;
                None
            }
        }
    }
}

impl Drop for BatchRun {
    fn drop(&mut self) {
        self.stop();
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
    }
}

impl Runner {
    fn queue_lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Job>> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn work(&self, results: &Sender<'_>) {
        loop {
            if !self.results.reserve() {
                return;
            }
            let Some(job) = self.queue_lock().pop_front() else {
                self.results.release();
                return;
            };
            let Some(result) = self.process(job) else {
                self.results.release();
                return;
            };
            results.send(result);
        }
    }

    /// Runs one item to its outcome; `None` when the batch was stopped before it could.
    fn process(&self, job: Job) -> Option<BatchResult> {
        let Job { index, item, prior } = job;
        let finish = |outcome, reply, error| {
            Some(BatchResult {
                index,
                key: item.key.clone(),
                operation: item.operation,
                site: item.site.clone(),
                outcome,
                reply,
                error,
            })
        };
        let mut must_check = false;
        if let Prior::Unsure(sent_at) = prior {
            must_check = true;
            // A request of a crashed run can still be processed until its time limit has passed:
            // the status is asked after that.
            if let Some(wait) = sent_at.and_then(|at| self.settle.checked_sub(since(at))) {
                std::thread::sleep(wait);
            }
        }
        let mut last_unknown = None;
        for _ in 0..MAX_ROUNDS {
            if must_check {
                let permit = self.pacer.acquire()?;
                let found = in_place(&self.checker, &item);
                drop(permit);
                match found {
                    Ok(Some(true)) => {
                        return match self.record(&item, "confirmed", json!({"found": "in_place"})) {
                            Ok(()) => finish(Outcome::Confirmed, None, None),
                            Err(e) => finish(Outcome::Unknown, None, Some(e)),
                        };
                    }
                    Ok(found) => {
                        let found = if found.is_some() {
                            "not_in_place"
                        } else {
                            "cannot_tell"
                        };
                        if let Err(e) = self.record(&item, "checked", json!({"found": found})) {
                            return finish(Outcome::Unknown, None, Some(e));
                        }
                    }
                    Err(e) => {
                        let _ = self.record(&item, "unknown", json!({"error": error_json(&e)}));
                        return finish(Outcome::Unknown, None, Some(e));
                    }
                }
            }
            match self.send(&item) {
                Sent::Stopped => return None,
                Sent::Accepted(reply) => {
                    let body = reply.body;
                    return match self.record(&item, "done", json!({"reply": body})) {
                        Ok(()) => finish(Outcome::Done, Some(body), None),
                        Err(e) => finish(Outcome::Unknown, Some(body), Some(e)),
                    };
                }
                Sent::Refused(e) => {
                    return match self.record(&item, "failed", json!({"error": error_json(&e)})) {
                        Ok(()) => finish(Outcome::Failed, None, Some(e)),
                        Err(journal) => finish(Outcome::Unknown, None, Some(journal)),
                    };
                }
                Sent::Unknown(e) => {
                    must_check = true;
                    last_unknown = Some(e);
                }
            }
        }
        let e = last_unknown.unwrap_or_else(|| Error::internal("no outcome"));
        let _ = self.record(&item, "unknown", json!({"error": error_json(&e)}));
        finish(Outcome::Unknown, None, Some(e))
    }

    /// Sends the item's call, journaled as started first; waits out pushbacks and retries what
    /// never reached the server.
    fn send(&self, item: &BatchItem) -> Sent {
        let mut push_backs = 0u32;
        let mut unsent = 0u32;
        loop {
            let Some(permit) = self.pacer.acquire() else {
                return Sent::Stopped;
            };
            if let Err(e) = self.record(item, "started", json!({"at": now_ms()})) {
                return Sent::Refused(e);
            }
            let result = match item.operation {
                Operation::Provision => self.sender.provision(
                    &item.local_user,
                    &item.site,
                    item.plan.as_deref(),
                    &item.options,
                ),
                Operation::Cancel => self.sender.cancel(&item.site, &item.cancel_options()),
            };
            drop(permit);
            let error = match result {
                Ok(reply) => {
                    self.pacer.success();
                    return Sent::Accepted(reply);
                }
                Err(e) => e,
            };
            if is_push_back(&error) {
                push_backs += 1;
                if push_backs > MAX_PUSH_BACKS {
                    return Sent::Refused(error);
                }
                let pause = error
                    .retry_after()
                    .unwrap_or(self.backoff_base * 2u32.pow(push_backs.min(6)))
                    .min(self.retry_after_max);
                self.pacer.push_back(pause);
                continue;
            }
            if never_sent(&error) {
                unsent += 1;
                if unsent >= MAX_UNSENT {
                    return Sent::Refused(error);
                }
                std::thread::sleep(self.backoff_base * 2u32.pow(unsent));
                continue;
            }
            self.pacer.success();
            return if may_have_been_processed(&error) {
                Sent::Unknown(error)
            } else {
                Sent::Refused(error)
            };
        }
    }

    /// Appends an event of `item` to the journal (when there is one), with the item's fingerprint.
    fn record(&self, item: &BatchItem, event: &str, extra: Value) -> Result<(), Error> {
        let Some(journal) = &self.journal else {
            return Ok(());
        };
        let mut line = json!({"key": item.key, "event": event, "item": item.fingerprint()});
        if let (Some(line), Value::Object(extra)) = (line.as_object_mut(), extra) {
            line.extend(extra);
        }
        journal.append(&line)
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Time passed since `at` (ms since the epoch); zero for a time in the future.
fn since(at: u64) -> Duration {
    Duration::from_millis(now_ms().saturating_sub(at))
}

/// The server said it did not process the call and asked to slow down.
fn is_push_back(e: &Error) -> bool {
    e.kind() == ErrorKind::Api
        && (e.http_status() == Some(429)
            || (e.http_status() == Some(503) && e.retry_after().is_some()))
}

/// The call provably never reached the server (connection refused, connect time limit...).
fn never_sent(e: &Error) -> bool {
    matches!(e.kind(), ErrorKind::Transport | ErrorKind::Timeout)
}

/// The call may have been processed: only the site's status can tell.
fn may_have_been_processed(e: &Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::OutcomeUnknown
            | ErrorKind::InvalidResponse
            | ErrorKind::ResponseTooLarge
            | ErrorKind::Internal
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_server_that_says_it_did_nothing_pushes_back() {
        let pause = Duration::from_secs(2);
        assert!(is_push_back(&Error::api("rate_limited", "slow", 429)));
        assert!(is_push_back(
            &Error::api("busy", "later", 503).with_retry_after(pause)
        ));
        assert!(!is_push_back(&Error::api("busy", "later", 503)));
        assert!(!is_push_back(&Error::api("invalid_plan", "no", 400)));
        let unknown = Error::new(ErrorKind::OutcomeUnknown, "reset").with_http_status(503);
        assert!(!is_push_back(&unknown));
        assert!(may_have_been_processed(&unknown));
        assert!(never_sent(&Error::new(ErrorKind::Transport, "refused")));
        assert!(!may_have_been_processed(&Error::api(
            "invalid_plan",
            "no",
            400
        )));
    }
}

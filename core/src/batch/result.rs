//! What a batch hands back for each item, and the counts at the end.

use std::fmt;

use serde_json::{json, Map, Value};

use super::item::Operation;
use crate::error::Error;

/// How an item ended in this run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Sent now, and the server accepted it.
    Done,
    /// After an unknown outcome (in this run or a crashed one) the site's status showed the result
    /// already in place: not sent again.
    Confirmed,
    /// The journal records it as done by an earlier run: nothing sent.
    AlreadyDone,
    /// Refused by the server, invalid, or never reached the server: a re-run sends it again.
    Failed,
    /// It may have been processed and the status check failed too: a re-run checks again first.
    Unknown,
}

impl Outcome {
    /// `done`, `confirmed`, `already_done`, `failed`, `unknown`.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Done => "done",
            Outcome::Confirmed => "confirmed",
            Outcome::AlreadyDone => "already_done",
            Outcome::Failed => "failed",
            Outcome::Unknown => "unknown",
        }
    }

    /// Whether the item's effect is in place (done now, confirmed or done before).
    pub fn is_success(self) -> bool {
        matches!(
            self,
            Outcome::Done | Outcome::Confirmed | Outcome::AlreadyDone
        )
    }

    /// The number of the C ABI's `jp_batch_outcome`.
    pub fn number(self) -> u32 {
        match self {
            Outcome::Done => 0,
            Outcome::Confirmed => 1,
            Outcome::AlreadyDone => 2,
            Outcome::Failed => 3,
            Outcome::Unknown => 4,
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One item's result.
#[derive(Clone, Debug)]
pub struct BatchResult {
    /// The item's position in the list given to the batch (from 0).
    pub index: usize,
    /// The item's key.
    pub key: String,
    pub operation: Operation,
    /// The item's site.
    pub site: String,
    pub outcome: Outcome,
    /// The server's reply for `Done` (as recorded for `AlreadyDone`), the status reply's products
    /// for `Confirmed`.
    pub reply: Option<Value>,
    /// The error of `Failed` and `Unknown`.
    pub error: Option<Error>,
}

impl BatchResult {
    /// `{"index", "key", "operation", "site", "outcome", "reply"?, "error"?: {code, message, http_status}}`.
    pub fn to_json(&self) -> Value {
        let mut out = Map::new();
        out.insert("index".into(), json!(self.index));
        out.insert("key".into(), json!(self.key));
        out.insert("operation".into(), json!(self.operation.name()));
        out.insert("site".into(), json!(self.site));
        out.insert("outcome".into(), json!(self.outcome.name()));
        if let Some(reply) = &self.reply {
            out.insert("reply".into(), reply.clone());
        }
        if let Some(e) = &self.error {
            out.insert("error".into(), error_json(e));
        }
        Value::Object(out)
    }
}

pub(crate) fn error_json(e: &Error) -> Value {
    json!({"code": e.code(), "message": e.message(), "http_status": e.http_status()})
}

/// Counts of a run's outcomes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub done: usize,
    pub confirmed: usize,
    pub already_done: usize,
    pub failed: usize,
    pub unknown: usize,
}

impl Summary {
    pub fn add(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Done => self.done += 1,
            Outcome::Confirmed => self.confirmed += 1,
            Outcome::AlreadyDone => self.already_done += 1,
            Outcome::Failed => self.failed += 1,
            Outcome::Unknown => self.unknown += 1,
        }
    }

    pub fn total(&self) -> usize {
        self.done + self.confirmed + self.already_done + self.failed + self.unknown
    }

    /// Whether every item's effect is in place.
    pub fn all_succeeded(&self) -> bool {
        self.failed == 0 && self.unknown == 0
    }

    pub fn to_json(&self) -> Value {
        json!({"total": self.total(), "done": self.done, "confirmed": self.confirmed,
               "already_done": self.already_done, "failed": self.failed, "unknown": self.unknown})
    }
}

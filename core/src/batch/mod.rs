//! Bulk provisioning: a list of provisions and cancels run with several calls in flight, results
//! streamed back as they land, and an optional journal that makes a re-run after a crash finish
//! the work without sending any item twice (see
//! [`Client::run_batch`](crate::Client::run_batch)), plus [`reconcile`]: the partner's own list of
//! active plans compared with what WordPress.com reports.

mod item;
mod journal;
mod mailbox;
mod options;
mod pacer;
pub mod reconcile;
mod result;
mod runner;
mod verify;

pub use item::{BatchItem, Operation};
pub use options::{BatchOptions, DEFAULT_CONCURRENCY, MAX_CONCURRENCY};
pub use result::{BatchResult, Outcome, Summary};
pub use runner::BatchRun;

//! How a batch runs: calls in flight and the journal.

use std::path::PathBuf;

/// Calls in flight when none is given.
pub const DEFAULT_CONCURRENCY: usize = 8;
/// The most calls a batch keeps in flight.
pub const MAX_CONCURRENCY: usize = 64;

/// How a batch runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchOptions {
    /// Calls in flight at most (1 to [`MAX_CONCURRENCY`]); fewer while the server pushes back.
    pub concurrency: usize,
    /// The journal file (JSON lines). With it, every item's outcome is on disk before it is
    /// reported, and a re-run with the same journal skips what is done and checks the site's status
    /// before repeating anything that may have reached the server.
    pub journal: Option<PathBuf>,
}

impl Default for BatchOptions {
    fn default() -> Self {
        BatchOptions {
            concurrency: DEFAULT_CONCURRENCY,
            journal: None,
        }
    }
}

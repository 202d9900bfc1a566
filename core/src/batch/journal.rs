//! The batch journal: one JSON line per event of an item, each synced to disk before the event
//! counts, so that a re-run after a crash knows what was done, what was not, and what may have
//! been sent without a recorded outcome.
//!
//! Lines: `{"key", "event", ...}` with `event` one of
//! - `started`: the request is about to be sent (synced before sending), `at` in ms since the epoch;
//! - `done`: the server accepted it (`outcome`, the reply);
//! - `confirmed`: after an unknown outcome, the site's status showed the result in place;
//! - `checked`: after an unknown outcome, the status showed it was not in place (safe to send);
//! - `failed`: the server refused it, or it provably never reached the server (safe to retry);
//! - `unknown`: sent, outcome unknown, and the status check failed too.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde_json::{Map, Value};

use crate::error::Error;

/// What the journal says about an item at the start of a run.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Prior {
    /// Nothing recorded.
    New,
    /// Done in an earlier run (`done` or `confirmed`).
    Done(Value),
    /// Sent without a recorded outcome: the status must be checked before sending again. With the
    /// time the last request was sent (milliseconds since the Unix epoch), when recorded.
    Unsure(Option<u64>),
    /// Failed without reaching the server, or checked not in place: safe to send.
    Retry,
}

/// Per key: the item's fingerprint as last recorded, and what the journal says about it.
pub(crate) type Recorded = HashMap<String, (Value, Prior)>;

/// An open journal, appended to by every worker thread.
pub(crate) struct Journal {
    path: PathBuf,
    /// The file and the number of lines written to it by this run.
    writer: Mutex<(File, u64)>,
    /// A handle of the same file for syncing, and the number of lines known to be on disk.
    syncer: Mutex<(File, u64)>,
}

impl Journal {
    /// Opens (creating) the journal at `path` and reads what it holds per key, with each key's
    /// fingerprint. A last line cut short by a crash (no newline) was never counted: it is removed.
    pub(crate) fn open(path: &Path) -> Result<(Journal, Recorded), Error> {
        let io_error = |what: &str, e: io::Error| {
            Error::invalid_argument("journal", format!("{what} {}: {e}", path.display()))
        };
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(|e| io_error("cannot open", e))?;
        let mut state = HashMap::new();
        let mut complete = 0u64;
        let mut reader = BufReader::new(&file);
        let mut line = Vec::new();
        let mut number = 0usize;
        loop {
            line.clear();
            let read = reader
                .read_until(b'\n', &mut line)
                .map_err(|e| io_error("cannot read", e))?;
            if read == 0 || line.last() != Some(&b'\n') {
                break;
            }
            number += 1;
            complete += read as u64;
            let event: Map<String, Value> = serde_json::from_slice(&line).map_err(|e| {
                Error::invalid_argument(
                    "journal",
                    format!(
                        "{} line {number} is not a journal line: {e}",
                        path.display()
                    ),
                )
            })?;
            apply(&mut state, &event).map_err(|problem| {
                Error::invalid_argument(
                    "journal",
                    format!("{} line {number}: {problem}", path.display()),
                )
            })?;
        }
        drop(reader);
        if file.metadata().map(|m| m.len()).unwrap_or(0) != complete {
            file.set_len(complete)
                .map_err(|e| io_error("cannot repair", e))?;
            file.seek(SeekFrom::End(0))
                .map_err(|e| io_error("cannot repair", e))?;
        }
        let syncer = file.try_clone().map_err(|e| io_error("cannot open", e))?;
        Ok((
            Journal {
                path: path.to_path_buf(),
                writer: Mutex::new((file, 0)),
                syncer: Mutex::new((syncer, 0)),
            },
            state,
        ))
    }

    /// Appends one event line and returns once it is on disk. Threads that append at the same time
    /// share one sync.
    pub(crate) fn append(&self, event: &Value) -> Result<(), Error> {
        let mut line = serde_json::to_vec(event).map_err(|e| Error::internal(e.to_string()))?;
        line.push(b'\n');
        let written = {
            let mut writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
            writer.0.write_all(&line).map_err(|e| self.failed(e))?;
            writer.1 += 1;
            writer.1
        };
        let mut syncer = self.syncer.lock().unwrap_or_else(|e| e.into_inner());
        if syncer.1 >= written {
            return Ok(());
        }
        let target = self.writer.lock().unwrap_or_else(|e| e.into_inner()).1;
        syncer.0.sync_data().map_err(|e| self.failed(e))?;
        syncer.1 = target;
        Ok(())
    }

    fn failed(&self, e: io::Error) -> Error {
        Error::internal(format!(
            "cannot write the journal {}: {e}",
            self.path.display()
        ))
    }
}

/// Folds one journal line into the per-key state.
fn apply(state: &mut Recorded, event: &Map<String, Value>) -> Result<(), String> {
    let key = event
        .get("key")
        .and_then(Value::as_str)
        .ok_or("no key")?
        .to_string();
    let kind = event
        .get("event")
        .and_then(Value::as_str)
        .ok_or("no event")?;
    let fingerprint = event.get("item").cloned().unwrap_or(Value::Null);
    let prior = match kind {
        "started" => Prior::Unsure(event.get("at").and_then(Value::as_u64)),
        "unknown" => Prior::Unsure(None),
        "done" | "confirmed" => Prior::Done(Value::Object(event.clone())),
        "failed" | "checked" => Prior::Retry,
        other => return Err(format!("unknown event {other:?}")),
    };
    match state.get_mut(&key) {
        Some(entry) => {
            if !fingerprint.is_null() {
                entry.0 = fingerprint;
            }
            entry.1 = prior;
        }
        None => {
            state.insert(key, (fingerprint, prior));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "jp-journal-{}-{name}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("journal.jsonl")
    }

    #[test]
    fn the_last_event_of_a_key_decides_and_a_torn_line_is_dropped() {
        let path = temp("fold");
        {
            let (journal, state) = Journal::open(&path).unwrap();
            assert!(state.is_empty());
            let item = json!({"op": "provision", "site": "https://a.example/"});
            for (key, event) in [
                ("a", "started"),
                ("a", "done"),
                ("b", "started"),
                ("c", "started"),
                ("c", "failed"),
                ("d", "started"),
                ("d", "unknown"),
                ("d", "checked"),
            ] {
                journal
                    .append(&json!({"key": key, "event": event, "item": item}))
                    .unwrap();
            }
        }
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(br#"{"key":"e","event":"do"#).unwrap();
        drop(f);
        let (journal, state) = Journal::open(&path).unwrap();
        assert!(matches!(state["a"].1, Prior::Done(_)));
        assert_eq!(state["b"].1, Prior::Unsure(None));
        assert_eq!(state["c"].1, Prior::Retry);
        assert_eq!(state["d"].1, Prior::Retry);
        assert!(!state.contains_key("e"));
        journal
            .append(&json!({"key": "e", "event": "started"}))
            .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.ends_with("{\"key\":\"e\",\"event\":\"started\"}\n"),
            "{text}"
        );
        assert_eq!(text.lines().count(), 9);
    }

    #[test]
    fn a_damaged_line_is_refused_with_its_number() {
        let path = temp("damaged");
        std::fs::write(&path, "{\"key\":\"a\",\"event\":\"started\"}\nnot json\n").unwrap();
        let err = Journal::open(&path).err().unwrap();
        assert_eq!(err.code(), "invalid_argument");
        assert!(err.message().contains("line 2"), "{}", err.message());
    }
}

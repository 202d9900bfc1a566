//! The durable state file: an append-only journal of [`Event`]s after a
//! header line. Each line is the JSON array of the events of one request (a
//! transaction), written and `fdatasync`ed before that request gets its reply.
//!
//! A final line without its newline is a write that was cut short (the process
//! died mid-write, before the reply): it was never acknowledged and is dropped.
//! Any other unreadable content is reported as an error and the file is left
//! untouched.

use crate::state::Event;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

const HEADER: &str = "{\"format\":\"jetpack-partner-sandbox-state\",\"version\":1}";

pub struct Journal {
    file: Arc<File>,
    /// Set after a failed write: the file may end in a partial line, so no
    /// further event may be appended after it.
    failed: AtomicBool,
}

impl Journal {
    /// Opens (or creates) the journal at `path` and returns it with the events it holds.
    pub fn open(path: &Path) -> Result<(Journal, Vec<Event>), String> {
        let shown = path.display();
        let mut file = open_options(false)
            .open(path)
            .map_err(|e| format!("cannot open state file {shown}: {e}"))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(format!(
                    "state file {shown} is in use by another running sandbox"
                ))
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(format!("cannot lock state file {shown}: {e}"))
            }
        }
        // A compaction cut short leaves its temporary file; the journal
        // itself is intact then. (Removed only under the lock: a running
        // compaction holds it.)
        let _ = std::fs::remove_file(compact_path(path));
        let mut raw = Vec::new();
        file.read_to_end(&mut raw)
            .map_err(|e| format!("cannot read state file {shown}: {e}"))?;

        let mut events = Vec::new();
        if raw.is_empty() {
            file.write_all(format!("{HEADER}\n").as_bytes())
                .and_then(|()| file.sync_all())
                .map_err(|e| format!("cannot write state file {shown}: {e}"))?;
            sync_dir(path);
        } else {
            // Everything up to the last newline must be valid.
            let complete = raw.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
            if complete == 0 {
                // Not even the header line is complete.
                if !HEADER.as_bytes().starts_with(&raw) {
                    return Err(format!(
                        "state file {shown} is not a jetpack-partner-sandbox state file (refusing to overwrite it)"
                    ));
                }
            }
            let mut lines = raw[..complete].split(|b| *b == b'\n');
            if complete > 0 {
                let first = lines.next().unwrap_or_default();
                let ok = serde_json::from_slice::<serde_json::Value>(first)
                    .ok()
                    .and_then(|v| {
                        v.get("format")
                            .and_then(|f| f.as_str())
                            .map(|f| f == "jetpack-partner-sandbox-state")
                    })
                    .unwrap_or(false);
                if !ok {
                    return Err(format!(
                        "state file {shown} is not a jetpack-partner-sandbox state file (refusing to overwrite it)"
                    ));
                }
            }
            for (n, line) in lines.enumerate() {
                if line.is_empty() {
                    continue;
                }
                let batch: Vec<Event> = serde_json::from_slice(line).map_err(|e| {
                    format!(
                        "state file {shown} is corrupt at line {}: {e} (fix or move the file; it was left untouched)",
                        n + 2
                    )
                })?;
                events.extend(batch);
            }
            if complete < raw.len() {
                // A torn final write: drop it.
                file.set_len(complete as u64)
                    .and_then(|()| file.sync_all())
                    .map_err(|e| format!("cannot repair state file {shown}: {e}"))?;
            }
            if complete == 0 {
                file.set_len(0)
                    .and_then(|()| file.seek(SeekFrom::Start(0)).map(|_| ()))
                    .and_then(|()| file.write_all(format!("{HEADER}\n").as_bytes()))
                    .and_then(|()| file.sync_all())
                    .map_err(|e| format!("cannot write state file {shown}: {e}"))?;
            }
        }
        file.seek(SeekFrom::End(0))
            .map_err(|e| format!("cannot seek state file {shown}: {e}"))?;
        Ok((
            Journal {
                file: Arc::new(file),
                failed: AtomicBool::new(false),
            },
            events,
        ))
    }

    /// Replaces the journal with `events` (the current records), atomically:
    /// a temporary file is written, synced and renamed over the journal.
    pub fn rewrite(self, path: &Path, events: &[Event]) -> Result<Journal, String> {
        let shown = path.display();
        let tmp = compact_path(path);
        let fail = |e: std::io::Error| format!("cannot compact state file {shown}: {e}");
        let mut file = open_options(true).open(&tmp).map_err(fail)?;
        // Locked before it takes the journal's name: never a moment unlocked.
        file.try_lock()
            .map_err(|e| format!("cannot lock {}: {e}", tmp.display()))?;
        let mut buf = format!("{HEADER}\n").into_bytes();
        for chunk in events.chunks(1000) {
            serde_json::to_writer(&mut buf, chunk).map_err(|e| fail(e.into()))?;
            buf.push(b'\n');
        }
        file.write_all(&buf).map_err(fail)?;
        file.sync_all().map_err(fail)?;
        std::fs::rename(&tmp, path).map_err(fail)?;
        sync_dir(path);
        drop(self);
        Ok(Journal {
            file: Arc::new(file),
            failed: AtomicBool::new(false),
        })
    }

    /// The file, to sync outside the store's lock.
    pub fn file(&self) -> Arc<File> {
        self.file.clone()
    }

    /// Writes a batch of events (not yet synced).
    pub fn append(&self, events: &[Event]) -> std::io::Result<()> {
        // One line per batch: a torn write loses the whole batch, never half.
        let mut buf = Vec::with_capacity(256 * events.len());
        serde_json::to_writer(&mut buf, events)?;
        buf.push(b'\n');
        if self.failed.load(Ordering::SeqCst) {
            return Err(std::io::Error::other(
                "an earlier write to the state file failed; restart the sandbox",
            ));
        }
        if let Err(e) = (&*self.file).write_all(&buf) {
            self.failed.store(true, Ordering::SeqCst);
            return Err(e);
        }
        Ok(())
    }
}

fn open_options(new: bool) -> OpenOptions {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(new);
    // The file holds partner secrets and tokens: owner only when created.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

fn compact_path(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".compact");
    PathBuf::from(p)
}

fn sync_dir(path: &Path) {
    let dir: PathBuf = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

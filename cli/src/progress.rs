//! A one-line progress report on stderr, for listings that take several requests. Shown
//! only when stderr is a terminal; the line is erased when the listing is done.

use std::io::{IsTerminal, Write};

pub struct Progress {
    enabled: bool,
    shown: bool,
}

impl Progress {
    /// Progress on stderr if it is a terminal.
    pub fn on_terminal() -> Progress {
        Progress {
            enabled: std::io::stderr().is_terminal(),
            shown: false,
        }
    }

    /// Reports that `done` of `total` items (if known) have been fetched.
    pub fn update(&mut self, what: &str, done: u64, total: Option<u64>) {
        if !self.enabled {
            return;
        }
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[K{}", line(what, done, total));
        let _ = err.flush();
        self.shown = true;
    }

    /// Erases the line.
    pub fn finish(&mut self) {
        if self.shown {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[K");
            let _ = err.flush();
            self.shown = false;
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

/// `activations: 40 of 45 (88%)`.
pub fn line(what: &str, done: u64, total: Option<u64>) -> String {
    match total {
        Some(total) if total > 0 => {
            let pct = (done.min(total) * 100) / total;
            format!("{what}: {done} of {total} ({pct}%)")
        }
        _ => format!("{what}: {done}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_line() {
        assert_eq!(
            line("activations", 40, Some(45)),
            "activations: 40 of 45 (88%)"
        );
        assert_eq!(
            line("activations", 45, Some(45)),
            "activations: 45 of 45 (100%)"
        );
        assert_eq!(line("activations", 3, None), "activations: 3");
        assert_eq!(line("activations", 0, Some(0)), "activations: 0");
    }
}

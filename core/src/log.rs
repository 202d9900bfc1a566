//! Optional diagnostics: one line per HTTP attempt, retry, token request and operation outcome.
//!
//! Off unless the environment variable `JETPACK_PARTNER_LOG` is `error`, `info` or `debug` (lines go
//! to stderr), or a [`LogSink`] is set in the client's configuration (it receives every line). Lines
//! never contain the partner secret, a token, a form body or an option value: only methods, paths,
//! statuses, attempt numbers, delays and error codes; they are redacted once more before output.

use std::fmt;
use std::sync::{Arc, OnceLock, RwLock};

/// Receives each log line (without a trailing newline). Called from the thread making the call.
pub type LogSink = Arc<dyn Fn(&str) + Send + Sync>;

/// A process-wide receiver of the lines of every client that has no [`LogSink`] of its own (the C
/// ABI's `jp_set_log_callback`): gets the level (1 error, 2 info, 3 debug) and the redacted line.
pub type GlobalSink = Arc<dyn Fn(u32, &str) + Send + Sync>;

static GLOBAL_SINK: RwLock<Option<GlobalSink>> = RwLock::new(None);

/// Sets or removes the process-wide receiver. Returns once no line is being delivered to the previous
/// one any more (a line being written holds the lock for reading).
pub fn set_global_sink(sink: Option<GlobalSink>) {
    *GLOBAL_SINK.write().unwrap_or_else(|e| e.into_inner()) = sink;
}

fn global_sink_set() -> bool {
    GLOBAL_SINK
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .is_some()
}

/// How much to log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Level {
    Off = 0,
    /// Failed operations.
    Error,
    /// Every operation's outcome.
    Info,
    /// Every attempt, pause and token request.
    Debug,
}

impl Level {
    fn from_env_value(value: &str) -> Level {
        match value.trim().to_ascii_lowercase().as_str() {
            "error" => Level::Error,
            "info" | "1" | "true" | "yes" => Level::Info,
            "debug" | "trace" | "2" => Level::Debug,
            _ => Level::Off,
        }
    }
}

/// The level asked for by `JETPACK_PARTNER_LOG`, read once per process.
fn env_level() -> Level {
    static LEVEL: OnceLock<Level> = OnceLock::new();
    *LEVEL.get_or_init(|| {
        std::env::var("JETPACK_PARTNER_LOG")
            .map(|v| Level::from_env_value(&v))
            .unwrap_or(Level::Off)
    })
}

/// Where a client's lines go.
#[derive(Clone)]
pub(crate) struct Logger {
    level: Level,
    sink: Option<LogSink>,
}

impl fmt::Debug for Logger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Logger")
            .field("level", &self.level)
            .field("sink", &self.sink.is_some())
            .finish()
    }
}

impl Logger {
    pub(crate) fn new(sink: Option<LogSink>) -> Logger {
        let level = if sink.is_some() {
            Level::Debug
        } else {
            env_level()
        };
        Logger { level, sink }
    }

    pub(crate) fn enabled(&self, level: Level) -> bool {
        level != Level::Off && (level <= self.level || (self.sink.is_none() && global_sink_set()))
    }

    /// Writes one line if `level` is enabled; `secrets` are replaced by `[redacted]` first.
    pub(crate) fn log(&self, level: Level, secrets: &[&str], line: impl FnOnce() -> String) {
        if !self.enabled(level) {
            return;
        }
        let text = crate::secret::redact(&format!("jetpack-partner: {}", line()), secrets);
        if let Some(sink) = &self.sink {
            sink(&text);
            return;
        }
        // Held for reading while the line is delivered, so that removing the receiver waits for it.
        let global = GLOBAL_SINK.read().unwrap_or_else(|e| e.into_inner());
        match global.as_ref() {
            Some(sink) => sink(level as u32, &text),
            None if level <= self.level => eprintln!("{text}"),
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn levels_from_the_environment_value() {
        assert_eq!(Level::from_env_value("debug"), Level::Debug);
        assert_eq!(Level::from_env_value(" INFO "), Level::Info);
        assert_eq!(Level::from_env_value("error"), Level::Error);
        assert_eq!(Level::from_env_value("1"), Level::Info);
        assert_eq!(Level::from_env_value(""), Level::Off);
        assert_eq!(Level::from_env_value("nonsense"), Level::Off);
    }

    #[test]
    fn sink_gets_redacted_lines() {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let copy = lines.clone();
        let logger = Logger::new(Some(Arc::new(move |l: &str| {
            copy.lock().unwrap().push(l.to_string())
        })));
        assert!(logger.enabled(Level::Debug));
        logger.log(Level::Info, &["tok-123456"], || {
            "used tok-123456".to_string()
        });
        assert_eq!(
            lines.lock().unwrap().as_slice(),
            ["jetpack-partner: used [redacted]"]
        );
    }
}

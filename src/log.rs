//! Optional diagnostics: one line per HTTP attempt, retry, token request and operation outcome.
//!
//! Off unless the environment variable `JETPACK_PARTNER_LOG` is `error`, `info` or `debug` (lines go
//! to stderr), or a [`LogSink`] is set in the client's configuration (it receives every line). Lines
//! never contain the partner secret, a token, a form body or an option value: only methods, paths,
//! statuses, attempt numbers, delays and error codes; they are redacted once more before output.

use std::fmt;
use std::sync::{Arc, OnceLock};

/// Receives each log line (without a trailing newline). Called from the thread making the call.
pub type LogSink = Arc<dyn Fn(&str) + Send + Sync>;

/// How much to log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Level {
    Off,
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
        level != Level::Off && level <= self.level
    }

    /// Writes one line if `level` is enabled; `secrets` are replaced by `[redacted]` first.
    pub(crate) fn log(&self, level: Level, secrets: &[&str], line: impl FnOnce() -> String) {
        if !self.enabled(level) {
            return;
        }
        let text = crate::secret::redact(&format!("jetpack-partner: {}", line()), secrets);
        match &self.sink {
            Some(sink) => sink(&text),
            None => eprintln!("{text}"),
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

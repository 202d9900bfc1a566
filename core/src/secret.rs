//! Secrets (partner secret, tokens): zeroized when dropped, never shown by `Debug` or `Display`.

use std::fmt;

use zeroize::{Zeroize, Zeroizing};

/// A secret string. Its memory is overwritten with zeros when it is dropped, and its `Debug` form is
/// `"[redacted]"`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(Zeroizing::new(value.into()))
    }

    /// The secret itself. Use it only to put it on the wire.
    pub fn expose(&self) -> &str {
        self.0.as_str()
    }

    /// Whether the secret is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret::new(value)
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret::new(value)
    }
}

/// Replaces every occurrence of each (non-empty) secret in `text` with `[redacted]`.
pub(crate) fn redact(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_string();
    for secret in secrets {
        // Very short values would blank out ordinary words; real secrets and tokens are long.
        if secret.len() >= 4 && out.contains(secret) {
            out = out.replace(secret, "[redacted]");
        }
    }
    out
}

/// Appends `data` to `buf`. When `buf` must grow, its contents move to a new buffer and the old one
/// is wiped, so that no copy of what it held (a token, a secret) is left in freed memory.
pub fn extend_wiping(buf: &mut Vec<u8>, data: &[u8]) {
    let needed = buf.len() + data.len();
    if needed > buf.capacity() {
        let mut bigger = Vec::with_capacity(needed.max(buf.capacity() * 2));
        bigger.extend_from_slice(buf);
        std::mem::replace(buf, bigger).zeroize();
    }
    buf.extend_from_slice(data);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let s = Secret::new("hunter2-very-secret");
        assert_eq!(format!("{s:?}"), "[redacted]");
        assert_eq!(s.expose(), "hunter2-very-secret");
    }

    #[test]
    fn redact_replaces_every_occurrence() {
        let out = redact("a tok123456 b tok123456", &["tok123456", ""]);
        assert_eq!(out, "a [redacted] b [redacted]");
    }
}

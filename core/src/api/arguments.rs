//! Checks of arguments that several API areas take: a bearer token given by the caller, and an
//! identifier sent as one path segment.

use std::sync::Arc;

use crate::error::Error;
use crate::secret::Secret;
use crate::site::encode_path_segment;

/// Longest accepted token, in bytes.
const MAX_TOKEN_BYTES: usize = 4096;

/// A bearer token given by the caller: not empty, at most 4096 bytes, no whitespace or control
/// characters.
pub(crate) fn check_token(field: &str, token: &str) -> Result<Arc<Secret>, Error> {
    if token.is_empty() {
        return Err(Error::invalid_argument(field, "must not be empty"));
    }
    if token.len() > MAX_TOKEN_BYTES {
        return Err(Error::invalid_argument(
            field,
            format!("must be at most {MAX_TOKEN_BYTES} bytes long"),
        ));
    }
    if !token.bytes().all(|b| b.is_ascii_graphic()) {
        // It travels in an HTTP header, which carries no other bytes safely.
        return Err(Error::invalid_argument(
            field,
            "must be printable ASCII: no whitespace, control or non-ASCII characters",
        ));
    }
    Ok(Arc::new(Secret::new(token)))
}

/// An identifier used as one path segment (partner ID, key ID, license key): not empty, at most 255
/// bytes, no whitespace, control characters or `/`. Returns it percent-encoded.
pub(crate) fn path_segment(field: &str, value: &str) -> Result<String, Error> {
    if value.is_empty() {
        return Err(Error::invalid_argument(field, "must not be empty"));
    }
    if value.len() > 255 {
        return Err(Error::invalid_argument(
            field,
            "must be at most 255 bytes long",
        ));
    }
    if value
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || c == '/' || c == '\\')
    {
        return Err(Error::invalid_argument(
            field,
            "must not contain whitespace, control characters or '/'",
        ));
    }
    if value == "." || value == ".." {
        return Err(Error::invalid_argument(field, "must not be '.' or '..'"));
    }
    Ok(encode_path_segment(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_and_tokens_are_checked() {
        assert_eq!(path_segment("key_id", "12").unwrap(), "12");
        assert_eq!(
            path_segment("license_key", "ab:c d").unwrap_err().code(),
            "invalid_argument"
        );
        assert!(path_segment("key_id", "a/b").is_err());
        assert!(path_segment("key_id", "..").is_err());
        assert!(check_token("user_token", "").is_err());
        assert!(check_token("user_token", "a b").is_err());
        assert_eq!(check_token("user_token", "abc").unwrap().expose(), "abc");
    }
}

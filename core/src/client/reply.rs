//! What a successful call hands back: the reply's JSON value, or its text as the server sent it.

use std::fmt;

use serde_json::Value;
use zeroize::Zeroizing;

/// The server's reply to a successful call.
#[derive(Clone, PartialEq)]
pub struct Reply {
    /// The reply object, whole, members in the server's order (unknown members kept).
    pub body: Value,
    /// The HTTP status (200 for every documented success).
    pub http_status: u16,
    /// HTTP attempts made to the operation's endpoint (the token request is not counted).
    pub attempts: u32,
}

/// A successful call's reply as the JSON text the server sent, checked to be JSON but not parsed:
/// for callers that hand the reply on (the C ABI does), without building a [`Value`] they would
/// write out again. Wiped when dropped (a reply can carry a new key's secret).
pub struct ReplyText {
    /// The reply's JSON text, exactly as the server sent it (UTF-8).
    pub text: Zeroizing<Vec<u8>>,
    /// The HTTP status (200 for every documented success).
    pub http_status: u16,
    /// HTTP attempts made to the operation's endpoint (the token request is not counted).
    pub attempts: u32,
}

impl fmt::Debug for ReplyText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReplyText")
            .field("text", &format_args!("[{} bytes]", self.text.len()))
            .field("http_status", &self.http_status)
            .field("attempts", &self.attempts)
            .finish()
    }
}

/// Members of a reply that carry credentials: shown as `[redacted]` by `Debug`.
const SECRET_MEMBERS: &[&str] = &[
    "client_secret",
    "access_token",
    "oauth2_token",
    "ssh_pass",
    "ftp_pass",
];

fn redacted_copy(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    if SECRET_MEMBERS.contains(&k.as_str()) && !v.is_null() {
                        (k.clone(), Value::String("[redacted]".into()))
                    } else {
                        (k.clone(), redacted_copy(v))
                    }
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(redacted_copy).collect()),
        other => other.clone(),
    }
}

impl fmt::Debug for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reply")
            .field("body", &redacted_copy(&self.body))
            .field("http_status", &self.http_status)
            .field("attempts", &self.attempts)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_debug_hides_credentials() {
        let reply = Reply {
            body: serde_json::json!({"id": 10, "client_id": "777", "client_secret": "key-secret-xyz",
                "nested": [{"access_token": "user-token-abc"}]}),
            http_status: 200,
            attempts: 1,
        };
        let text = format!("{reply:?}");
        assert!(!text.contains("key-secret-xyz"), "{text}");
        assert!(!text.contains("user-token-abc"), "{text}");
        assert!(text.contains("777"));
        // The body itself is untouched.
        assert_eq!(reply.body["client_secret"], "key-secret-xyz");
    }
}

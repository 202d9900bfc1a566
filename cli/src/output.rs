//! The JSON the tool prints, in the old scripts' shapes.

use jetpack_partner_core::Secret;
use serde_json::{Map, Value};

/// The success line: the server's reply, whole and in its own key order.
pub fn success(body: &Value) -> String {
    let mut line = serde_json::to_string(body).unwrap_or_else(|_| "null".to_owned());
    line.push('\n');
    line
}

/// The failure line: `{"success":false,"error_code":..,"error_message":..,"http_status":N}`,
/// keys in that order, `http_status` only when the server answered.
/// Any occurrence of `secret` in the message is masked (defence in depth: the library
/// never puts it there).
pub fn failure(
    code: &str,
    message: &str,
    http_status: Option<u16>,
    secret: Option<&str>,
) -> String {
    let secrets: Vec<Secret> = secret.map(Secret::new).into_iter().collect();
    failure_masked(code, message, http_status, &secrets)
}

/// [`failure`] masking every one of `secrets` (partner secret, user token).
pub fn failure_masked(
    code: &str,
    message: &str,
    http_status: Option<u16>,
    secrets: &[Secret],
) -> String {
    let message = mask(message, secrets);
    let mut obj = Map::new();
    obj.insert("success".into(), Value::Bool(false));
    obj.insert("error_code".into(), Value::String(code.to_owned()));
    obj.insert("error_message".into(), Value::String(message));
    if let Some(status) = http_status {
        obj.insert("http_status".into(), Value::from(status));
    }
    let mut line = Value::Object(obj).to_string();
    line.push('\n');
    line
}

/// `text` with every occurrence of each (non-empty) secret replaced by `[redacted]`.
pub fn mask(text: &str, secrets: &[Secret]) -> String {
    let mut text = text.to_owned();
    for s in secrets.iter().map(Secret::expose) {
        if !s.is_empty() && text.contains(s) {
            text = text.replace(s, "[redacted]");
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn failure_keeps_the_key_order() {
        assert_eq!(
            failure("invalid_plan", "bogus is not a valid plan", Some(400), None),
            "{\"success\":false,\"error_code\":\"invalid_plan\",\"error_message\":\"bogus is not a valid plan\",\"http_status\":400}\n"
        );
    }

    #[test]
    fn failure_without_a_reply_has_no_status() {
        assert_eq!(
            failure("invalid_argument", "siteurl: missing", None, None),
            "{\"success\":false,\"error_code\":\"invalid_argument\",\"error_message\":\"siteurl: missing\"}\n"
        );
    }

    #[test]
    fn failure_escapes_and_masks() {
        let line = failure(
            "x",
            "a \"quoted\" s3cr3t-value\n",
            None,
            Some("s3cr3t-value"),
        );
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["error_message"], json!("a \"quoted\" [redacted]\n"));
    }

    #[test]
    fn success_keeps_the_servers_order_and_unknown_fields() {
        let body: Value = serde_json::from_str(
            r#"{"success":true,"next_url":"","auth_required":true,"extra":{"b":1,"a":2}}"#,
        )
        .unwrap();
        assert_eq!(
            success(&body),
            "{\"success\":true,\"next_url\":\"\",\"auth_required\":true,\"extra\":{\"b\":1,\"a\":2}}\n"
        );
    }
}

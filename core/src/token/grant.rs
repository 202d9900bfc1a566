//! The client-credentials grant (OAuth2, scope `jetpack-partner`) that asks for the partner token:
//! the request's form, and the token read out of the reply.

use serde_json::Value;
use zeroize::Zeroizing;

use crate::error::{Error, ErrorKind};
use crate::http::exchange::HttpReply;
use crate::http::form::append_pair;
use crate::http::interpret::{error_fields, excerpt, parse_json};
use crate::secret::Secret;

/// The form body of the token request. Zeroized when dropped: it carries the partner secret.
pub(crate) fn token_request_form(partner_id: &str, partner_secret: &Secret) -> Zeroizing<String> {
    let mut form = Zeroizing::new(String::new());
    append_pair(&mut form, "grant_type", "client_credentials");
    append_pair(&mut form, "client_id", partner_id);
    append_pair(&mut form, "client_secret", partner_secret.expose());
    append_pair(&mut form, "scope", "jetpack-partner");
    form
}

/// Reads the token out of the token endpoint's final reply.
pub(crate) fn parse_token_reply(reply: &HttpReply) -> Result<Secret, Error> {
    let status = reply.status;
    let json = parse_json(&reply.body);
    if (200..300).contains(&status) {
        let token = json
            .as_ref()
            .and_then(|v| v.get("access_token"))
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_graphic()));
        return match token {
            Some(token) => Ok(Secret::new(token)),
            None => Err(Error::new(
                ErrorKind::InvalidResponse,
                format!("the token reply (HTTP {status}) has no usable access_token"),
            )
            .with_http_status(status)),
        };
    }
    let message = match json.as_ref().and_then(error_fields) {
        Some((code, description)) if description.is_empty() => {
            format!("the partner token was refused: {code}")
        }
        Some((code, description)) => {
            format!("the partner token was refused: {code}: {description}")
        }
        None => format!(
            "the partner token request failed with HTTP {status}: {}",
            excerpt(&reply.body)
        ),
    };
    Err(Error::new(ErrorKind::Token, message)
        .with_http_status(status)
        .with_body(json))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, body: &str) -> HttpReply {
        HttpReply {
            status,
            has_retry_after: false,
            retry_after: None,
            location: None,
            body: Zeroizing::new(body.as_bytes().to_vec()),
        }
    }

    #[test]
    fn form_is_encoded() {
        let form = token_request_form("12345", &Secret::new("a b&c=d"));
        assert_eq!(
            form.as_str(),
            "grant_type=client_credentials&client_id=12345&client_secret=a+b%26c%3Dd&scope=jetpack-partner"
        );
    }

    #[test]
    fn token_replies() {
        let t = parse_token_reply(&reply(
            200,
            r#"{"access_token":"abc","token_type":"bearer"}"#,
        ))
        .unwrap();
        assert_eq!(t.expose(), "abc");
        let e = parse_token_reply(&reply(200, r#"{"token_type":"bearer"}"#)).unwrap_err();
        assert_eq!(e.code(), "invalid_response");
        let e = parse_token_reply(&reply(
            400,
            r#"{"error":"invalid_client","error_description":"Unknown client_id."}"#,
        ))
        .unwrap_err();
        assert_eq!(e.code(), "token_error");
        assert_eq!(e.http_status(), Some(400));
        assert!(
            e.message().contains("invalid_client: Unknown client_id."),
            "{}",
            e.message()
        );
        let e = parse_token_reply(&reply(502, "<h1>Bad gateway</h1>")).unwrap_err();
        assert_eq!(e.code(), "token_error");
        assert!(e.message().contains("HTTP 502"));
    }
}

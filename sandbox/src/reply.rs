//! What an endpoint returns, and its rendering with `pretty` and
//! `http_envelope` (PROTOCOL.md §7).

use crate::http::Response;
use serde_json::{json, Value};

pub enum Body {
    Json(Value),
    Raw {
        content_type: &'static str,
        bytes: Vec<u8>,
    },
}

pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Body,
}

impl Reply {
    pub fn json(status: u16, v: Value) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Body::Json(v),
        }
    }

    pub fn ok(v: Value) -> Reply {
        Reply::json(200, v)
    }

    /// A REST API v1 error: `{"error": code, "message": text}`.
    pub fn error(status: u16, code: &str, message: &str) -> Reply {
        Reply::json(status, json!({"error": code, "message": message}))
    }

    /// An OAuth2 error: `{"error": code, "error_description": text}`.
    pub fn oauth_error(status: u16, code: &str, description: &str) -> Reply {
        Reply::json(
            status,
            json!({"error": code, "error_description": description}),
        )
    }

    /// A wpcom/v2 (WP REST API) error: `{"code", "message", "data": {"status"}}`.
    pub fn wp_error(status: u16, code: &str, message: &str) -> Reply {
        Reply::json(
            status,
            json!({"code": code, "message": message, "data": {"status": status}}),
        )
    }

    pub fn raw(status: u16, content_type: &'static str, bytes: Vec<u8>) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Body::Raw {
                content_type,
                bytes,
            },
        }
    }

    pub fn redirect(location: &str) -> Reply {
        let mut r = Reply::raw(
            302,
            "text/html; charset=utf-8",
            format!("<a href=\"{}\">Redirecting</a>\n", html_escape(location)).into_bytes(),
        );
        r.headers.push(("Location".into(), location.into()));
        r
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Renders the reply. JSON bodies honour `pretty` and `http_envelope`;
    /// other bodies are sent as they are.
    pub fn render(self, envelope: bool, pretty: bool) -> Response {
        match self.body {
            Body::Raw {
                content_type,
                bytes,
            } => {
                let mut r = Response::new(self.status, content_type, bytes);
                r.headers.extend(self.headers);
                r
            }
            Body::Json(v) => {
                let (status, value, headers) = if envelope {
                    let mut hs = vec![json!({"name": "Content-Type", "value": "application/json"})];
                    for (k, val) in &self.headers {
                        hs.push(json!({"name": k, "value": val}));
                    }
                    (
                        200,
                        json!({"code": self.status, "headers": hs, "body": v}),
                        Vec::new(),
                    )
                } else {
                    (self.status, v, self.headers)
                };
                let bytes = if pretty {
                    serde_json::to_vec_pretty(&value)
                } else {
                    serde_json::to_vec(&value)
                }
                .unwrap_or_default();
                let mut r = Response::new(status, "application/json", bytes);
                r.headers.extend(headers);
                r
            }
        }
    }
}

pub fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

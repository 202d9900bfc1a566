//! One operation's HTTP request as the API areas describe it, before the client adds the token.

use std::sync::Arc;

use zeroize::Zeroizing;

use crate::http::exchange::{Body, Method};
use crate::http::retry::Idempotence;
use crate::secret::Secret;

/// The token an operation's request carries.
pub(crate) enum CallAuth {
    /// The client's partner token, fetched on first use and renewed once when refused.
    Partner,
    /// A user token given by the caller.
    User(Arc<Secret>),
    /// None.
    None,
}

/// One operation's HTTP request, before the token is added.
pub(crate) struct Call {
    /// The operation's name, for log lines.
    pub name: &'static str,
    pub method: Method,
    /// Path below the API base, starting with `/`.
    pub path: String,
    /// Encoded query (without `?`), possibly empty.
    pub query: String,
    pub body: Option<Body>,
    pub auth: CallAuth,
    /// Whether repeating the request can do harm (default: GET is safe, other methods are not).
    pub idempotence: Idempotence,
    /// Values removed from error messages besides the partner secret and token (a user token, a
    /// password, a code).
    pub secrets: Vec<Arc<Secret>>,
}

impl Call {
    /// A request with the partner token, no query and no body.
    pub(crate) fn new(name: &'static str, method: Method, path: String) -> Call {
        Call {
            name,
            method,
            path,
            query: String::new(),
            body: None,
            auth: CallAuth::Partner,
            idempotence: match method {
                Method::Get => Idempotence::Safe,
                _ => Idempotence::Unsafe,
            },
            secrets: Vec::new(),
        }
    }

    /// A form body.
    pub(crate) fn form(mut self, form: Zeroizing<String>) -> Call {
        self.body = Some(Body::Form(form));
        self
    }

    pub(crate) fn auth(mut self, auth: CallAuth) -> Call {
        if let CallAuth::User(token) = &auth {
            self.secrets.push(token.clone());
        }
        self.auth = auth;
        self
    }

    pub(crate) fn idempotence(mut self, idempotence: Idempotence) -> Call {
        self.idempotence = idempotence;
        self
    }

    /// A value to keep out of error messages.
    pub(crate) fn redact(mut self, secret: Arc<Secret>) -> Call {
        self.secrets.push(secret);
        self
    }
}

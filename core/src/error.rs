//! The error of a failed call: a stable code, a message a person can act on, the HTTP status when a
//! reply was read, and how many HTTP attempts were made.

use std::fmt;
use std::time::Duration;

use serde_json::Value;

/// The failure classes, written once: each kind's documentation, its number in the C ABI's `jp_code`
/// (`JP_` and the code in capitals, e.g. `JP_INVALID_ARGUMENT`) and its code string. [`ErrorKind`]
/// is made from this table below; the C library's `jp_code` (`src/ffi/code.rs`, and through it
/// the header) is generated from it by a test of the C library that fails while that file is stale.
/// Numbers never change and are never reused; a new kind takes the next number.
///
/// Invokes `$then! { $( $(#[doc = "..."])* Kind = number, "code"; )* }`.
#[doc(hidden)]
#[macro_export]
macro_rules! error_kind_table {
    ($then:ident) => {
        $then! {
            /// An argument or option was refused before any request; the message names it.
            InvalidArgument = 1, "invalid_argument";
            /// The server refused the call; the error code is the server's own.
            Api = 2, "api_error";
            /// The connection could not be made or broke before the request could have been
            /// processed.
            Transport = 3, "transport_error";
            /// A connect or overall time limit was reached.
            Timeout = 4, "timeout";
            /// The TLS handshake failed (untrusted certificate, wrong host name, not TLS...).
            Tls = 5, "tls_error";
            /// The server's reply could not be understood.
            InvalidResponse = 6, "invalid_response";
            /// The reply body was larger than the configured limit.
            ResponseTooLarge = 7, "response_too_large";
            /// The request may have been processed, but its result is unknown: check the site's
            /// status before trying again.
            OutcomeUnknown = 8, "outcome_unknown";
            /// The partner token could not be obtained; the message carries the server's OAuth
            /// error (e.g. `invalid_client`).
            Token = 9, "token_error";
            /// A defect in the library.
            Internal = 10, "internal";
        }
    };
}

macro_rules! define_error_kind {
    ($( $(#[doc = $doc:literal])* $kind:ident = $number:literal, $code:literal; )*) => {
        /// The class of a failure. Each maps to one number of the C ABI's `jp_code`; those numbers
        /// never change. New kinds may be added.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorKind {
            $( $(#[doc = $doc])* $kind, )*
        }

        impl ErrorKind {
            /// Every kind, in the order of their numbers.
            pub const ALL: &'static [ErrorKind] = &[$(ErrorKind::$kind),*];

            /// The stable code string of the client's own errors (`Api` errors use the server's
            /// code instead).
            pub fn code(self) -> &'static str {
                match self {
                    $(ErrorKind::$kind => $code,)*
                }
            }

            /// The number of this kind in the C ABI (`jp_code`). `0` is success and is not a kind.
            pub fn number(self) -> u32 {
                match self {
                    $(ErrorKind::$kind => $number,)*
                }
            }

            /// The kind numbered `number` in the C ABI, if there is one.
            pub fn from_number(number: u32) -> Option<ErrorKind> {
                match number {
                    $($number => Some(ErrorKind::$kind),)*
                    _ => None,
                }
            }
        }
    };
}

error_kind_table!(define_error_kind);

/// A failed call.
#[derive(Clone, PartialEq)]
pub struct Error(Box<Inner>);

#[derive(Clone, Debug, PartialEq)]
struct Inner {
    kind: ErrorKind,
    code: String,
    message: String,
    http_status: Option<u16>,
    attempts: u32,
    body: Option<Value>,
    retry_after: Option<Duration>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error(Box::new(Inner {
            kind,
            code: kind.code().to_string(),
            message: message.into(),
            http_status: None,
            attempts: 0,
            body: None,
            retry_after: None,
        }))
    }

    /// `invalid_argument` naming the field: the message reads `"<field>: <problem>"`.
    pub fn invalid_argument(field: &str, problem: impl fmt::Display) -> Self {
        Error::new(ErrorKind::InvalidArgument, format!("{field}: {problem}"))
    }

    /// An error reply of the server, its code passed through unchanged.
    pub(crate) fn api(
        code: impl Into<String>,
        message: impl Into<String>,
        http_status: u16,
    ) -> Self {
        Error(Box::new(Inner {
            kind: ErrorKind::Api,
            code: code.into(),
            message: message.into(),
            http_status: Some(http_status),
            attempts: 0,
            body: None,
            retry_after: None,
        }))
    }

    /// An error of `kind` with its own code (`state_mismatch`, `access_denied`), no HTTP status.
    pub(crate) fn with_code(
        kind: ErrorKind,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Error(Box::new(Inner {
            kind,
            code: code.into(),
            message: message.into(),
            http_status: None,
            attempts: 0,
            body: None,
            retry_after: None,
        }))
    }

    /// An `internal` error: a defect of the library or of its caller's glue, never of the server.
    pub fn internal(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Internal, message)
    }

    pub(crate) fn with_http_status(mut self, status: u16) -> Self {
        self.0.http_status = Some(status);
        self
    }

    pub(crate) fn with_body(mut self, body: Option<Value>) -> Self {
        self.0.body = body;
        self
    }

    pub(crate) fn with_retry_after(mut self, pause: Duration) -> Self {
        self.0.retry_after = Some(pause);
        self
    }

    pub(crate) fn with_attempts(mut self, attempts: u32) -> Self {
        self.0.attempts = attempts;
        self
    }

    pub(crate) fn map_message(mut self, f: impl FnOnce(&str) -> String) -> Self {
        self.0.message = f(&self.0.message);
        self
    }

    /// The class of the failure.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// The stable error code: the server's own code for [`ErrorKind::Api`], else the client's
    /// (`invalid_argument`, `transport_error`, `timeout`, `tls_error`, `invalid_response`,
    /// `response_too_large`, `outcome_unknown`, `token_error`, `internal`).
    pub fn code(&self) -> &str {
        &self.0.code
    }

    /// What happened and what to do, for a person. Never contains a secret.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The HTTP status of the reply that caused the error, if one was read.
    pub fn http_status(&self) -> Option<u16> {
        self.0.http_status
    }

    /// HTTP attempts made to the operation's endpoint (the token request is not counted).
    pub fn attempts(&self) -> u32 {
        self.0.attempts
    }

    /// The pause the server asked for with `Retry-After` on a 429 or 503 reply, if it gave one.
    pub fn retry_after(&self) -> Option<Duration> {
        self.0.retry_after
    }

    /// The server's error reply when it was JSON.
    pub fn body(&self) -> Option<&Value> {
        self.0.body.as_ref()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.0.code, self.0.message)?;
        if let Some(status) = self.0.http_status {
            write!(f, " (HTTP {status})")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.0.kind)
            .field("code", &self.0.code)
            .field("message", &self.0.message)
            .field("http_status", &self.0.http_status)
            .field("attempts", &self.0.attempts)
            .field("body", &self.0.body)
            .field("retry_after", &self.0.retry_after)
            .finish()
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    /// The numbers are the C ABI's: a witness kept apart from the table, so that renumbering a kind
    /// fails here.
    #[test]
    fn numbers_are_fixed() {
        let pinned = [
            (ErrorKind::InvalidArgument, 1, "invalid_argument"),
            (ErrorKind::Api, 2, "api_error"),
            (ErrorKind::Transport, 3, "transport_error"),
            (ErrorKind::Timeout, 4, "timeout"),
            (ErrorKind::Tls, 5, "tls_error"),
            (ErrorKind::InvalidResponse, 6, "invalid_response"),
            (ErrorKind::ResponseTooLarge, 7, "response_too_large"),
            (ErrorKind::OutcomeUnknown, 8, "outcome_unknown"),
            (ErrorKind::Token, 9, "token_error"),
            (ErrorKind::Internal, 10, "internal"),
        ];
        for (kind, number, code) in pinned {
            assert_eq!(kind.number(), number);
            assert_eq!(kind.code(), code);
        }
    }

    #[test]
    fn numbers_follow_each_other_and_lead_back_to_their_kind() {
        for (i, kind) in ErrorKind::ALL.iter().enumerate() {
            assert_eq!(kind.number() as usize, i + 1, "{kind:?}");
            assert_eq!(ErrorKind::from_number(kind.number()), Some(*kind));
        }
        let codes: std::collections::HashSet<_> = ErrorKind::ALL.iter().map(|k| k.code()).collect();
        assert_eq!(codes.len(), ErrorKind::ALL.len(), "codes are unique");
        assert_eq!(ErrorKind::from_number(0), None, "0 is success");
        let next = ErrorKind::ALL.len() as u32 + 1;
        assert_eq!(ErrorKind::from_number(next), None);
    }

    #[test]
    fn api_error_keeps_server_code_and_status() {
        let e = Error::api("invalid_plan", "nope is not a valid plan", 400).with_attempts(1);
        assert_eq!(e.kind(), ErrorKind::Api);
        assert_eq!(e.code(), "invalid_plan");
        assert_eq!(e.http_status(), Some(400));
        assert_eq!(e.attempts(), 1);
        assert_eq!(
            e.to_string(),
            "invalid_plan: nope is not a valid plan (HTTP 400)"
        );
    }

    #[test]
    fn invalid_argument_names_the_field() {
        let e = Error::invalid_argument("siteurl", "must not be empty");
        assert_eq!(e.code(), "invalid_argument");
        assert_eq!(e.message(), "siteurl: must not be empty");
        assert_eq!(e.http_status(), None);
    }
}

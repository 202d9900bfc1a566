//! The error of an exchange that failed without a reply: by the failure's kind, and by whether a
//! state-changing request may have been processed.

use std::time::Duration;

use crate::error::{Error, ErrorKind};
use crate::http::exchange::{Failure, FailureKind};
use crate::http::interpret::CHECK_STATUS;
use crate::http::retry::Idempotence;
use crate::http::settings::HttpSettings;

fn describe_timeout(settings: &HttpSettings) -> String {
    fn secs(d: Duration) -> String {
        if d.subsec_millis() == 0 {
            format!("{} s", d.as_secs())
        } else {
            format!("{} ms", d.as_millis())
        }
    }
    format!(
        "(time limits: {} overall, {} to connect)",
        secs(settings.timeout),
        secs(settings.connect_timeout)
    )
}

/// The error for a failed exchange, by kind, and by whether a state-changing request may have been
/// processed.
pub(super) fn failure_error(
    failure: &Failure,
    idempotence: Idempotence,
    settings: &HttpSettings,
) -> Error {
    let maybe_processed = idempotence == Idempotence::Unsafe && failure.may_have_reached_server;
    let host = settings.api_base.as_str();
    match failure.kind {
        FailureKind::Connect => Error::new(
            ErrorKind::Transport,
            format!("could not connect to {host}: {}; nothing was sent", failure.detail),
        ),
        FailureKind::Timeout if maybe_processed => Error::new(
            ErrorKind::OutcomeUnknown,
            format!("{} {}. {CHECK_STATUS}", failure.detail, describe_timeout(settings)),
        ),
        FailureKind::Timeout => Error::new(
            ErrorKind::Timeout,
            format!("{} {}", failure.detail, describe_timeout(settings)),
        ),
        FailureKind::Tls => Error::new(
            ErrorKind::Tls,
            format!(
                "secure connection to {host} failed: {}; if a proxy or private CA signs the certificate, set ca_bundle",
                failure.detail
            ),
        ),
        FailureKind::Broken | FailureKind::Other if maybe_processed => Error::new(
            ErrorKind::OutcomeUnknown,
            format!("{}. {CHECK_STATUS}", failure.detail),
        ),
        FailureKind::Broken | FailureKind::Other => {
            Error::new(ErrorKind::Transport, format!("{host}: {}", failure.detail))
        }
        FailureKind::TooLarge if maybe_processed => Error::new(
            ErrorKind::ResponseTooLarge,
            format!("{}. {CHECK_STATUS}", failure.detail),
        ),
        FailureKind::TooLarge => Error::new(ErrorKind::ResponseTooLarge, failure.detail.clone()),
        FailureKind::BadHttp if maybe_processed => Error::new(
            ErrorKind::InvalidResponse,
            format!("{}. {CHECK_STATUS}", failure.detail),
        ),
        FailureKind::BadHttp => Error::new(ErrorKind::InvalidResponse, failure.detail.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::config::ClientConfig;
    use crate::client::settings::Settings;

    #[test]
    fn unsafe_failures_after_sending_are_outcome_unknown() {
        let settings = Settings::from_config(&ClientConfig::new("1", "secret-value"))
            .unwrap()
            .http;
        let f = |kind, reached| Failure {
            kind,
            may_have_reached_server: reached,
            detail: "x".into(),
        };
        let code = |kind, reached, idem| {
            failure_error(&f(kind, reached), idem, &settings)
                .code()
                .to_string()
        };
        use FailureKind::*;
        use Idempotence::*;
        assert_eq!(code(Connect, false, Unsafe), "transport_error");
        assert_eq!(code(Timeout, false, Unsafe), "timeout");
        assert_eq!(code(Timeout, true, Unsafe), "outcome_unknown");
        assert_eq!(code(Timeout, true, Safe), "timeout");
        assert_eq!(code(Broken, true, Unsafe), "outcome_unknown");
        assert_eq!(code(Broken, true, Safe), "transport_error");
        assert_eq!(code(Tls, false, Unsafe), "tls_error");
        assert_eq!(code(TooLarge, true, Unsafe), "response_too_large");
        assert_eq!(code(BadHttp, true, Safe), "invalid_response");
    }
}

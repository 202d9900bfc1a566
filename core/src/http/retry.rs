//! When to try again, and how long to wait first.
//!
//! - The token request and GET calls are retried on a connection failure, a broken connection, a
//!   time limit of one attempt, and HTTP 429, 502, 503 and 504.
//! - POST calls (provision, cancel, partner keys) are retried only when the request provably never
//!   reached the server (connection refused, DNS failure, connect time limit) or when the server said
//!   it did not process it (429, or 503 with `Retry-After`).
//!
//! Pauses grow exponentially with jitter; a `Retry-After` in seconds is honoured up to a cap.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use super::exchange::{Failure, FailureKind, HttpReply};

/// How long to wait between attempts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// Pause before the first retry; doubled for each further one (with jitter).
    pub base: Duration,
    /// Longest pause computed by doubling.
    pub max: Duration,
    /// Longest pause a server's `Retry-After` can ask for; longer requests are cut to this.
    pub retry_after_max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base: Duration::from_millis(250),
            max: Duration::from_secs(4),
            retry_after_max: Duration::from_secs(10),
        }
    }
}

/// Whether repeating a request can never do harm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Idempotence {
    /// The token request and GET calls.
    Safe,
    /// POST calls that change state.
    Unsafe,
}

/// The pause before the next attempt, or `None` when this outcome is final.
/// `retry_number` is 1 for the first retry.
pub(crate) fn delay_before_retry(
    idempotence: Idempotence,
    outcome: &Result<HttpReply, Failure>,
    retry_number: u32,
    backoff: &Backoff,
) -> Option<Duration> {
    let exponential = || exponential_delay(backoff, retry_number, jitter_fraction());
    match outcome {
        Ok(reply) => {
            let server_delay = || {
                reply
                    .retry_after
                    .map(|d| d.min(backoff.retry_after_max))
                    .unwrap_or_else(exponential)
            };
            match (reply.status, idempotence) {
                (429, _) => Some(server_delay()),
                (503, Idempotence::Safe) => Some(server_delay()),
                (503, Idempotence::Unsafe) if reply.has_retry_after => Some(server_delay()),
                (502 | 504, Idempotence::Safe) => Some(server_delay()),
                _ => None,
            }
        }
        Err(failure) => {
            let retry = match failure.kind {
                FailureKind::Connect => true,
                FailureKind::Timeout | FailureKind::Broken => {
                    !failure.may_have_reached_server || idempotence == Idempotence::Safe
                }
                FailureKind::Tls
                | FailureKind::TooLarge
                | FailureKind::BadHttp
                | FailureKind::Other => false,
            };
            retry.then(exponential)
        }
    }
}

/// `base * 2^(n-1)`, capped at `max`, then scaled into `[1/2, 1]` of itself by `jitter` (in `[0, 1]`).
pub(crate) fn exponential_delay(backoff: &Backoff, retry_number: u32, jitter: f64) -> Duration {
    let doublings = retry_number.saturating_sub(1).min(20);
    let full = backoff
        .base
        .saturating_mul(1u32 << doublings)
        .min(backoff.max);
    full.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0))
}

/// A random number in `[0, 1)`, from the standard library's randomly keyed hasher.
fn jitter_fraction() -> f64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0),
    );
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use zeroize::Zeroizing;

    fn reply(status: u16, retry_after: Option<u64>) -> Result<HttpReply, Failure> {
        Ok(HttpReply {
            status,
            has_retry_after: retry_after.is_some(),
            retry_after: retry_after.map(Duration::from_secs),
            location: None,
            body: Zeroizing::new(Vec::new()),
        })
    }

    fn failure(kind: FailureKind, reached: bool) -> Result<HttpReply, Failure> {
        Err(Failure {
            kind,
            may_have_reached_server: reached,
            detail: String::new(),
        })
    }

    const B: Backoff = Backoff {
        base: Duration::from_millis(100),
        max: Duration::from_millis(1000),
        retry_after_max: Duration::from_secs(5),
    };

    #[test]
    fn safe_calls_retry_on_transient_statuses_and_failures() {
        for status in [429, 502, 503, 504] {
            assert!(
                delay_before_retry(Idempotence::Safe, &reply(status, None), 1, &B).is_some(),
                "{status}"
            );
        }
        for status in [200, 400, 401, 403, 404, 500] {
            assert!(
                delay_before_retry(Idempotence::Safe, &reply(status, None), 1, &B).is_none(),
                "{status}"
            );
        }
        assert!(delay_before_retry(
            Idempotence::Safe,
            &failure(FailureKind::Connect, false),
            1,
            &B
        )
        .is_some());
        assert!(delay_before_retry(
            Idempotence::Safe,
            &failure(FailureKind::Broken, true),
            1,
            &B
        )
        .is_some());
        assert!(
            delay_before_retry(Idempotence::Safe, &failure(FailureKind::Tls, false), 1, &B)
                .is_none()
        );
        assert!(delay_before_retry(
            Idempotence::Safe,
            &failure(FailureKind::TooLarge, true),
            1,
            &B
        )
        .is_none());
    }

    #[test]
    fn unsafe_calls_retry_only_when_not_processed() {
        let u = Idempotence::Unsafe;
        assert!(delay_before_retry(u, &reply(429, None), 1, &B).is_some());
        assert!(delay_before_retry(u, &reply(503, Some(1)), 1, &B).is_some());
        assert!(delay_before_retry(u, &reply(503, None), 1, &B).is_none());
        assert!(delay_before_retry(u, &reply(502, None), 1, &B).is_none());
        assert!(delay_before_retry(u, &reply(504, None), 1, &B).is_none());
        assert!(delay_before_retry(u, &reply(500, None), 1, &B).is_none());
        assert!(delay_before_retry(u, &failure(FailureKind::Connect, false), 1, &B).is_some());
        assert!(delay_before_retry(u, &failure(FailureKind::Timeout, false), 1, &B).is_some());
        assert!(delay_before_retry(u, &failure(FailureKind::Timeout, true), 1, &B).is_none());
        assert!(delay_before_retry(u, &failure(FailureKind::Broken, true), 1, &B).is_none());
    }

    #[test]
    fn retry_after_is_honoured_and_capped() {
        assert_eq!(
            delay_before_retry(Idempotence::Unsafe, &reply(429, Some(2)), 1, &B),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            delay_before_retry(Idempotence::Safe, &reply(503, Some(3600)), 1, &B),
            Some(Duration::from_secs(5))
        );
    }

    #[test]
    fn exponential_delays_grow_and_stay_capped() {
        assert_eq!(exponential_delay(&B, 1, 1.0), Duration::from_millis(100));
        assert_eq!(exponential_delay(&B, 2, 1.0), Duration::from_millis(200));
        assert_eq!(exponential_delay(&B, 3, 1.0), Duration::from_millis(400));
        assert_eq!(exponential_delay(&B, 9, 1.0), Duration::from_millis(1000));
        assert_eq!(exponential_delay(&B, 100, 1.0), Duration::from_millis(1000));
        assert_eq!(exponential_delay(&B, 1, 0.0), Duration::from_millis(50));
        for _ in 0..100 {
            let j = jitter_fraction();
            assert!((0.0..1.0).contains(&j));
        }
    }
}

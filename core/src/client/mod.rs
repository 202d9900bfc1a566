//! The client: its configuration checked into settings (`config`, `settings`), the state it shares
//! with the other clients of the process (`shared`: partner token, kept connections), and the way
//! one operation (a [`Call`]) becomes HTTP attempts (token, retries, one token refresh) and then one
//! result (a [`Reply`], or the error of `failure` or of the reply).

mod call;
mod config;
mod failure;
mod reply;
mod settings;
mod shared;

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub(crate) use call::{Call, CallAuth};
pub use config::{
    ClientConfig, DEFAULT_API_BASE, DEFAULT_CONNECT_TIMEOUT, DEFAULT_IDLE_TIMEOUT,
    DEFAULT_MAX_ATTEMPTS, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT,
};
pub use reply::{Reply, ReplyText};
pub(crate) use settings::check_api_base;

use failure::failure_error;
use settings::Settings;
use shared::{Shared, Slot};

use crate::error::Error;
use crate::http::exchange::{Body, Failure, FailureKind, HttpReply, HttpRequest, Method};
use crate::http::form::append_pair;
use crate::http::interpret::{check_reply, interpret, is_token_refusal, unwrap_enveloped_reply};
use crate::http::retry::{delay_before_retry, Idempotence};
use crate::log::Level;
use crate::secret::{redact, Secret};
use crate::token::grant::{parse_token_reply, token_request_form};

/// A client of the partner API. Cheap to share: one client may be used by many threads at once
/// (`Send + Sync`); they share its partner token and its kept-alive connections.
///
/// The token and the connections are kept by the process, not by the client: every client made with
/// the same partner ID, secret, API base, proxy, CA bundle and time limits uses the same ones, also
/// after the clients before it were dropped (at most 16 sets of settings are kept, the least recently
/// used one is forgotten first; a process made by `fork()` starts without any).
pub struct Client {
    config: ClientConfig,
    settings: Arc<Settings>,
    shared: Slot,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("partner_id", &self.settings.partner_id)
            .field("api_base", &self.settings.http.api_base)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Checks the configuration (API base, proxy, CA bundle, limits) and makes a client. No connection
    /// is made and no thread is started: that happens on the first call.
    pub fn new(config: ClientConfig) -> Result<Client, Error> {
        let settings = Arc::new(Settings::from_config(&config)?);
        Ok(Client {
            config,
            settings,
            shared: Slot::default(),
        })
    }

    /// The configuration the client was made with.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Gets ready for calls: asks for the partner token now if the client (or another with the same
    /// settings in this process, or the token cache directory) has none. The token request leaves
    /// its connection kept open for the calls that follow. With a token already at hand it sends
    /// nothing: no request is made only to open a connection, nor any other on the API's account.
    /// Returns what the token request returned.
    pub fn warm(&self) -> Result<(), Error> {
        let deadline = Instant::now() + self.settings.http.timeout;
        let shared = self.shared.get(&self.settings);
        self.token(&shared, None, deadline).map(|_| ())
    }

    /// Gets ready for a call on a thread of its own, returning at once: for a caller with other
    /// work to do before its first call (a page that reads its database), which the round trips
    /// then overlap. Asks for the token as [`Client::warm`] does if there is none at hand, and
    /// when no connection is likely kept from a recent call (nor was opened for the token),
    /// opens one (TCP, TLS; not through a proxy) for the next call to use, sending nothing on
    /// it. A call made meanwhile waits for the token and the connection rather than asking or
    /// opening again. A failure is only logged: the next call meets it and reports it. With a
    /// token in memory and a recent reply, no thread is started.
    pub fn warm_in_background(&self) {
        let shared = self.shared.get(&self.settings);
        if shared.token.current().is_some() && shared.http.likely_has_kept_connection() {
            return;
        }
        let client = Client {
            config: self.config.clone(),
            settings: self.settings.clone(),
            shared: Slot::default(),
        };
        let started = std::thread::Builder::new()
            .name("jetpack-partner-warm".into())
            .spawn(move || {
                let deadline = Instant::now() + client.settings.http.timeout;
                let shared = client.shared.get(&client.settings);
                // No call follows here: the token request's connection comes free for a caller
                // that waits meanwhile, and finding a fetch under way, this thread opens nothing.
                shared.http.expect_free_connection();
                let warmed = client.token_then(&shared, None, deadline, || {});
                shared.http.forget_free_connection();
                if warmed.is_ok() {
                    shared
                        .http
                        .open_connection_ahead(client.settings.http.connect_timeout);
                }
                if let Err(e) = warmed {
                    client.log(Level::Info, || {
                        format!("warming up in the background failed: {}", e.message())
                    });
                }
            });
        if let Err(e) = started {
            self.log(Level::Info, || {
                format!("warming up in the background could not start a thread: {e}")
            });
        }
    }

    /// The partner secret (the OAuth application's client secret).
    pub(crate) fn partner_secret(&self) -> &Secret {
        &self.settings.partner_secret
    }

    /// Runs one operation: token, attempts with retries, one token refresh when the token is refused.
    pub(crate) fn execute(&self, call: Call) -> Result<Reply, Error> {
        self.execute_with(call, |reply, idempotence| interpret(&reply, idempotence))
            .map(|(body, http_status, attempts)| Reply {
                body,
                http_status,
                attempts,
            })
    }

    /// [`Client::execute`] for a caller that wants the reply's JSON text, not its value.
    pub(crate) fn execute_text(&self, call: Call) -> Result<ReplyText, Error> {
        self.execute_with(call, |reply, idempotence| {
            check_reply(&reply, idempotence).map(|()| reply.body)
        })
        .map(|(text, http_status, attempts)| ReplyText {
            text,
            http_status,
            attempts,
        })
    }

    /// Runs one operation and turns its final reply into `T` with `decode`; returns it with the HTTP
    /// status and the attempts made.
    fn execute_with<T>(
        &self,
        call: Call,
        decode: impl FnOnce(HttpReply, Idempotence) -> Result<T, Error>,
    ) -> Result<(T, u16, u32), Error> {
        let started = Instant::now();
        let name = call.name;
        let result = self.run(call, started + self.settings.http.timeout, decode);
        let elapsed = started.elapsed().as_millis();
        match &result {
            Ok((_, http_status, attempts)) => self.log(Level::Info, || {
                format!("{name}: ok (HTTP {http_status}, {attempts} attempt(s), {elapsed} ms)")
            }),
            Err(e) => self.log(Level::Error, || {
                let status = e
                    .http_status()
                    .map(|s| format!("HTTP {s}, "))
                    .unwrap_or_default();
                format!(
                    "{name}: {} ({status}{} attempt(s), {elapsed} ms): {}",
                    e.code(),
                    e.attempts(),
                    e.message()
                )
            }),
        }
        result
    }

    fn run<T>(
        &self,
        call: Call,
        deadline: Instant,
        decode: impl FnOnce(HttpReply, Idempotence) -> Result<T, Error>,
    ) -> Result<(T, u16, u32), Error> {
        let idempotence = call.idempotence;
        let enveloped = self.settings.http_envelope;
        let mut query = call.query.clone();
        if enveloped {
            append_pair(&mut query, "http_envelope", "1");
        }
        let mut url = format!("{}{}", self.settings.http.api_base, call.path);
        if !query.is_empty() {
            url.push('?');
            url.push_str(&query);
        }
        let shared = self.shared.get(&self.settings);
        let shared = &*shared;
        let mut attempts = 0u32;
        let mut token = match call.auth {
            CallAuth::Partner => Some(self.token(shared, None, deadline)?),
            CallAuth::User(_) | CallAuth::None => None,
        };
        let mut refreshed = false;
        let outcome = loop {
            let bearer: Option<&Secret> = match &call.auth {
                CallAuth::Partner => token.as_deref(),
                CallAuth::User(user) => Some(user),
                CallAuth::None => None,
            };
            let request = HttpRequest {
                method: call.method,
                url: &url,
                bearer,
                body: call.body.as_ref(),
                redact: &call.secrets,
            };
            let outcome = self.attempts(
                shared,
                &request,
                idempotence,
                enveloped,
                deadline,
                &mut attempts,
            );
            match (&outcome, &token) {
                (Ok(reply), Some(refused)) if !refreshed && is_token_refusal(reply) => {
                    refreshed = true;
                    self.log(Level::Debug, || {
                        "the partner token was refused: asking for a new one, then repeating the call once"
                            .to_string()
                    });
                    let refused = refused.clone();
                    token = Some(
                        self.token(shared, Some(&refused), deadline)
                            .map_err(|e| e.with_attempts(attempts))?,
                    );
                }
                _ => break outcome,
            }
        };
        let result = match outcome {
            Ok(reply) => {
                let status = reply.status;
                decode(reply, idempotence).map(|value| (value, status, attempts))
            }
            Err(failure) => Err(failure_error(&failure, idempotence, &self.settings.http)),
        };
        result.map_err(|e| {
            let mut secrets: Vec<&Secret> = call.secrets.iter().map(|s| &**s).collect();
            if let Some(t) = &token {
                secrets.push(t);
            }
            self.scrub(e.with_attempts(attempts), &secrets)
        })
    }

    /// Writes a log line, with the partner secret and the tokens redacted.
    fn log(&self, level: Level, line: impl FnOnce() -> String) {
        self.log_redacting(level, &[], line);
    }

    /// Writes a log line with `extra` values (a user token, a password) redacted as well.
    fn log_redacting(&self, level: Level, extra: &[&Secret], line: impl FnOnce() -> String) {
        let logger = &self.settings.logger;
        if !logger.enabled(level) {
            return;
        }
        let token = self.shared.current_token();
        let mut secrets = vec![self.settings.partner_secret.expose()];
        if let Some(t) = token.as_ref() {
            secrets.push(t.expose());
        }
        secrets.extend(extra.iter().map(|s| s.expose()));
        logger.log(level, &secrets, line);
    }

    /// The shared partner token; when `refused` is given, a new one unless another thread already
    /// replaced it.
    fn token(
        &self,
        shared: &Shared,
        refused: Option<&Arc<Secret>>,
        deadline: Instant,
    ) -> Result<Arc<Secret>, Error> {
        // The connection this thread's call will need opens while the token is fetched.
        self.token_then(shared, refused, deadline, || shared.http.open_spare())
    }

    /// [`Client::token`], calling `before_first_wait` if this thread is about to wait for another
    /// one's fetch of the first token.
    fn token_then(
        &self,
        shared: &Shared,
        refused: Option<&Arc<Secret>>,
        deadline: Instant,
        before_first_wait: impl FnOnce(),
    ) -> Result<Arc<Secret>, Error> {
        shared
            .token
            .get_or_fetch(
                refused,
                || {
                    self.cached_token(refused)
                        .map(Ok)
                        .unwrap_or_else(|| self.fetch_token(shared, deadline))
                },
                before_first_wait,
            )
            .map_err(|e| self.scrub(e, &[]))
    }

    /// The token in the token cache directory, unless there is none, or it is the one just refused
    /// (the file is then removed, unless another process replaced it meanwhile).
    fn cached_token(&self, refused: Option<&Arc<Secret>>) -> Option<Secret> {
        let file = self.settings.token_file.as_ref()?;
        let token = file.read()?;
        if refused.is_some_and(|bad| **bad == token) {
            file.invalidate(&token);
            self.log(Level::Info, || {
                "the cached partner token was refused: the token cache file is removed".to_string()
            });
            return None;
        }
        self.log(Level::Debug, || {
            "partner token read from the token cache directory".to_string()
        });
        Some(token)
    }

    /// Asks the server for a partner token, and keeps it in the token cache directory if one is set.
    fn fetch_token(&self, shared: &Shared, deadline: Instant) -> Result<Secret, Error> {
        let token = self.request_token(shared, deadline)?;
        if let Some(file) = &self.settings.token_file {
            if let Err(e) = file.write(&token) {
                self.log(Level::Error, || {
                    format!("the partner token could not be kept in the token cache directory: {e}")
                });
            }
        }
        Ok(token)
    }

    fn request_token(&self, shared: &Shared, deadline: Instant) -> Result<Secret, Error> {
        let url = format!("{}/oauth2/token", self.settings.http.api_base);
        let body = Body::Form(token_request_form(
            &self.settings.partner_id,
            &self.settings.partner_secret,
        ));
        let request = HttpRequest {
            method: Method::Post,
            url: &url,
            bearer: None,
            redact: &[],
            body: Some(&body),
        };
        let mut attempts = 0;
        let outcome = self.attempts(
            shared,
            &request,
            Idempotence::Safe,
            false,
            deadline,
            &mut attempts,
        );
        self.log(Level::Debug, || match &outcome {
            Ok(reply) if (200..300).contains(&reply.status) => "partner token obtained".to_string(),
            _ => "partner token request failed".to_string(),
        });
        match outcome {
            Ok(reply) => parse_token_reply(&reply),
            Err(failure) => Err(
                failure_error(&failure, Idempotence::Safe, &self.settings.http)
                    .map_message(|m| format!("partner token request: {m}")),
            ),
        }
    }

    /// Sends `request` (unwrapping `http_envelope` replies when `enveloped`) until it succeeds, fails for good, runs out of attempts, or the next pause
    /// would pass the deadline. Returns the last outcome.
    fn attempts(
        &self,
        shared: &Shared,
        request: &HttpRequest<'_>,
        idempotence: Idempotence,
        enveloped: bool,
        deadline: Instant,
        attempts: &mut u32,
    ) -> Result<HttpReply, Failure> {
        let mut tries = 0u32;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(Failure {
                    kind: FailureKind::Timeout,
                    may_have_reached_server: false,
                    detail: "the time limit was reached before the request could be sent".into(),
                });
            }
            tries += 1;
            *attempts += 1;
            let sent = Instant::now();
            let outcome = shared
                .http
                .exchange(&self.settings.http, request, remaining)
                .map(|reply| {
                    if enveloped {
                        unwrap_enveloped_reply(reply)
                    } else {
                        reply
                    }
                });
            let took = sent.elapsed().as_millis();
            let delay = if tries >= self.settings.max_attempts {
                None
            } else {
                delay_before_retry(idempotence, &outcome, tries, &self.settings.backoff).filter(
                    |delay| {
                        Instant::now()
                            .checked_add(*delay)
                            .is_some_and(|resume| resume < deadline)
                    },
                )
            };
            if self.settings.logger.enabled(Level::Debug) {
                self.log_attempt(request, &outcome, tries, took, delay);
            }
            let Some(delay) = delay else {
                return outcome;
            };
            std::thread::sleep(delay);
        }
    }

    /// The debug log line of one attempt, with the request's secrets redacted.
    fn log_attempt(
        &self,
        request: &HttpRequest<'_>,
        outcome: &Result<HttpReply, Failure>,
        tries: u32,
        took: u128,
        delay: Option<Duration>,
    ) {
        let mut extra: Vec<&Secret> = request.redact.iter().map(|s| &**s).collect();
        extra.extend(request.bearer);
        self.log_redacting(Level::Debug, &extra, || {
            let what = match &outcome {
                Ok(reply) => format!("HTTP {}", reply.status),
                Err(failure) => failure.detail.clone(),
            };
            let next = match delay {
                Some(d) => format!("retrying in {} ms", d.as_millis()),
                None => "final".to_string(),
            };
            let method = request.method.as_str();
            let path = self.path_of(request.url);
            format!("{method} {path} attempt {tries}: {what} in {took} ms; {next}")
        });
    }

    /// The path of a request URL below the API base, without its query.
    fn path_of<'a>(&self, url: &'a str) -> &'a str {
        let path = url
            .strip_prefix(self.settings.http.api_base.as_str())
            .unwrap_or(url);
        path.split('?').next().unwrap_or(path)
    }

    /// Removes the partner secret and tokens from an error's message.
    fn scrub(&self, error: Error, extra: &[&Secret]) -> Error {
        let current = self.shared.current_token();
        let mut secrets = vec![self.settings.partner_secret.expose()];
        secrets.extend(extra.iter().map(|s| s.expose()));
        if let Some(t) = current.as_ref() {
            secrets.push(t.expose());
        }
        error.map_message(|m| redact(m, &secrets))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn client_is_send_and_sync() {
        assert_send_sync::<Client>();
        assert_send_sync::<Reply>();
        assert_send_sync::<Error>();
    }

    #[test]
    fn new_makes_no_connection_and_checks_the_config() {
        let mut config = ClientConfig::new("12345", "secret-value");
        config.api_base = "http://example.com".into();
        let err = Client::new(config).unwrap_err();
        assert_eq!(err.code(), "invalid_argument");
        assert!(err.message().starts_with("api_base: "));
        let client = Client::new(ClientConfig::new("12345", "secret-value")).unwrap();
        assert_eq!(client.config().partner_id(), "12345");
        let debug = format!("{client:?}");
        assert!(!debug.contains("secret-value"), "{debug}");
    }
}

//! The client: checked settings, the per-process transport, the shared partner token, and the way one
//! operation becomes HTTP attempts (token, retries, one token refresh) and then one result.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use zeroize::Zeroizing;

use crate::config::{ClientConfig, Settings};
use crate::error::{Error, ErrorKind};
use crate::log::Level;
use crate::reply::{
    check_reply, interpret, is_token_refusal, unwrap_enveloped_reply, CHECK_STATUS,
};
use crate::retry::{delay_before_retry, Idempotence};
use crate::secret::{redact, Secret};
use crate::shared::{Shared, Slot};
use crate::token::{parse_token_reply, token_request_form};
use crate::transport::{Body, Failure, FailureKind, HttpReply, HttpRequest, Method};

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
            .field("api_base", &self.settings.api_base)
            .finish_non_exhaustive()
    }
}

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
    /// nothing: ureq opens connections only to send a request, and no other request is made on the
    /// API's account. Returns what the token request returned.
    pub fn warm(&self) -> Result<(), Error> {
        let deadline = Instant::now() + self.settings.timeout;
        let shared = self.shared.get(&self.settings);
        self.token(&shared, None, deadline).map(|_| ())
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
        let result = self.run(call, started + self.settings.timeout, decode);
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
            crate::options::append_pair(&mut query, "http_envelope", "1");
        }
        let mut url = format!("{}{}", self.settings.api_base, call.path);
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
            Err(failure) => Err(failure_error(&failure, idempotence, &self.settings)),
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
        shared
            .token
            .get_or_fetch(
                refused,
                || {
                    self.cached_token(refused)
                        .map(Ok)
                        .unwrap_or_else(|| self.fetch_token(shared, deadline))
                },
                // The connection this thread's call will need opens while the token is fetched.
                || shared.http.open_spare(),
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
        let url = format!("{}/oauth2/token", self.settings.api_base);
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
            Err(failure) => Err(failure_error(&failure, Idempotence::Safe, &self.settings)
                .map_message(|m| format!("partner token request: {m}"))),
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
                .exchange(&self.settings, request, remaining)
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
            .strip_prefix(self.settings.api_base.as_str())
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

fn describe_timeout(settings: &Settings) -> String {
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
fn failure_error(failure: &Failure, idempotence: Idempotence, settings: &Settings) -> Error {
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

    #[test]
    fn unsafe_failures_after_sending_are_outcome_unknown() {
        let settings = Settings::from_config(&ClientConfig::new("1", "secret-value")).unwrap();
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

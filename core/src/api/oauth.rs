//! WordPress.com OAuth2 for users (PROTOCOL.md §9): the authorize URL with a random `state`, the
//! redirect parsed and checked, the code exchange, the password grant and token validation. The
//! client's partner ID and secret act as the OAuth application's `client_id` and `client_secret`.

use std::fmt;
use std::sync::Arc;

use percent_encoding::percent_decode_str;
use serde_json::Value;
use zeroize::Zeroizing;

use super::arguments::check_token;
use crate::client::{check_api_base, Call, CallAuth, Client, Reply};
use crate::error::{Error, ErrorKind};
use crate::http::exchange::{Body, Method};
use crate::http::form::append_pair;
use crate::http::retry::Idempotence;
use crate::secret::Secret;
use crate::validate::{check_text, parse_http_url, MAX_URL_BYTES};

/// What the authorize page hands back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResponseType {
    /// A code in the redirect's query, exchanged with [`Client::exchange_code`] for a token that does
    /// not expire.
    Code,
    /// A token in the redirect's fragment (implicit flow), valid about two weeks.
    Token,
}

/// The `scope` of the authorization.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Access to every site of the user.
    Global,
    /// Authentication only (`/me` and the like).
    Auth,
}

/// The parameters of the authorize URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthorizeParams {
    /// The application's client ID (the partner ID).
    pub client_id: String,
    /// Where the user's browser is sent back: an absolute http(s) URL registered for the application.
    pub redirect_uri: String,
    /// [`ResponseType::Code`] (default) or [`ResponseType::Token`].
    pub response_type: ResponseType,
    /// A blog ID or site URL to tie the token to.
    pub blog: Option<String>,
    /// `global` or `auth`; none: the application's default (one site).
    pub scope: Option<Scope>,
    /// The `state` to send; `None`: 128 random bits from the operating system, hex-encoded.
    pub state: Option<String>,
}

impl AuthorizeParams {
    /// Code flow, no blog, default scope, a random state.
    pub fn new(client_id: impl Into<String>, redirect_uri: impl Into<String>) -> AuthorizeParams {
        AuthorizeParams {
            client_id: client_id.into(),
            redirect_uri: redirect_uri.into(),
            response_type: ResponseType::Code,
            blog: None,
            scope: None,
            state: None,
        }
    }
}

/// What a redirect from the authorize page carried.
#[derive(Clone, PartialEq, Eq)]
pub enum Grant {
    /// Code flow: exchange it with [`Client::exchange_code`].
    Code {
        /// The single-use authorization code.
        code: String,
    },
    /// Implicit flow: the token itself.
    Token {
        /// The user's bearer token.
        access_token: String,
        /// Seconds the token stays valid, when the redirect said.
        expires_in: Option<u64>,
        /// `bearer`.
        token_type: String,
        /// The blog the token is tied to, when any.
        site_id: Option<String>,
    },
}

impl fmt::Debug for Grant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Grant::Code { .. } => f.debug_struct("Code").field("code", &"[redacted]").finish(),
            Grant::Token {
                expires_in,
                token_type,
                site_id,
                ..
            } => f
                .debug_struct("Token")
                .field("access_token", &"[redacted]")
                .field("expires_in", expires_in)
                .field("token_type", token_type)
                .field("site_id", site_id)
                .finish(),
        }
    }
}

/// 128 bits from the operating system's random generator, as 32 hex digits.
fn random_state() -> Result<String, Error> {
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes).map_err(|e| {
        Error::internal(format!(
            "the operating system's random generator failed: {e}"
        ))
    })?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn check_state(field: &str, state: &str) -> Result<(), Error> {
    if state.is_empty() {
        return Err(Error::invalid_argument(field, "must not be empty"));
    }
    check_text(field, state, 512, false)
}

/// The authorize URL to open in the user's browser, and the `state` it carries (keep it: give it to
/// [`parse_redirect`]). `api_base` is the API host (`https://public-api.wordpress.com`, or a
/// sandbox). No network access.
pub fn authorize_url(api_base: &str, params: &AuthorizeParams) -> Result<(String, String), Error> {
    let base = check_api_base(api_base)?;
    if params.client_id.trim().is_empty() {
        return Err(Error::invalid_argument("client_id", "must not be empty"));
    }
    check_text("client_id", &params.client_id, 255, false)?;
    let redirect = parse_http_url("redirect_uri", &params.redirect_uri)?;
    let state = match &params.state {
        Some(state) => {
            check_state("state", state)?;
            state.clone()
        }
        None => random_state()?,
    };
    let mut query = String::new();
    append_pair(&mut query, "client_id", &params.client_id);
    append_pair(&mut query, "redirect_uri", &redirect.to_url_string());
    append_pair(
        &mut query,
        "response_type",
        match params.response_type {
            ResponseType::Code => "code",
            ResponseType::Token => "token",
        },
    );
    if let Some(blog) = &params.blog {
        if blog.is_empty() {
            return Err(Error::invalid_argument("blog", "must not be empty"));
        }
        check_text("blog", blog, MAX_URL_BYTES, false)?;
        append_pair(&mut query, "blog", blog);
    }
    if let Some(scope) = params.scope {
        append_pair(
            &mut query,
            "scope",
            match scope {
                Scope::Global => "global",
                Scope::Auth => "auth",
            },
        );
    }
    append_pair(&mut query, "state", &state);
    Ok((format!("{base}/oauth2/authorize?{query}"), state))
}

/// `name=value` pairs of a query or fragment, decoded (`+` is a space).
fn decode_pairs(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |s: &str| {
                percent_decode_str(&s.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (decode(name), decode(value))
        })
        .collect()
}

/// Reads the redirect the authorize page sent the browser to (the whole URL, as received), checks
/// its `state` against the one [`authorize_url`] returned, and returns the code or token.
///
/// Errors: `state_mismatch` (the state is missing or differs: the redirect may be forged; start
/// again), `access_denied` (the user refused; other `error=` values of the redirect come through as
/// their own codes, with `error_description` as the message), `invalid_argument` (not a redirect of
/// the authorize page).
pub fn parse_redirect(redirect_url: &str, expected_state: &str) -> Result<Grant, Error> {
    if redirect_url.is_empty() {
        return Err(Error::invalid_argument("redirect_url", "must not be empty"));
    }
    if redirect_url.len() > 16 * 1024 {
        return Err(Error::invalid_argument(
            "redirect_url",
            "must be at most 16384 bytes long",
        ));
    }
    if redirect_url
        .chars()
        .any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(Error::invalid_argument(
            "redirect_url",
            "must not contain whitespace or control characters",
        ));
    }
    check_state("expected_state", expected_state)?;
    let (before_fragment, fragment) = match redirect_url.split_once('#') {
        Some((before, fragment)) => (before, Some(fragment)),
        None => (redirect_url, None),
    };
    let query = before_fragment.split_once('?').map(|(_, q)| q);
    let mut params = query.map(decode_pairs).unwrap_or_default();
    // Implicit-flow values come in the fragment; they win over the query.
    if let Some(fragment) = fragment {
        let from_fragment = decode_pairs(fragment);
        params.retain(|(name, _)| !from_fragment.iter().any(|(n, _)| n == name));
        params.extend(from_fragment);
    }
    let get = |name: &str| {
        params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let state_ok = get("state").is_some_and(|s| constant_time_eq(s, expected_state));
    if let Some(error) = get("error") {
        if get("state").is_some() && !state_ok {
            return Err(state_mismatch());
        }
        let code: String = error
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(64)
            .collect();
        let code = if code.is_empty() {
            "access_denied".to_string()
        } else {
            code
        };
        let description = get("error_description").filter(|d| !d.is_empty()).map(|d| {
            d.chars()
                .filter(|c| !c.is_control())
                .take(300)
                .collect::<String>()
        });
        let message = match (code.as_str(), description) {
            (_, Some(d)) => d,
            ("access_denied", None) => "the user refused the authorization".to_string(),
            (other, None) => format!("the authorization failed: {other}"),
        };
        return Err(Error::with_code(ErrorKind::Api, code, message));
    }
    let code = get("code").filter(|c| !c.is_empty());
    let access_token = get("access_token").filter(|t| !t.is_empty());
    if code.is_none() && access_token.is_none() {
        return Err(Error::invalid_argument(
            "redirect_url",
            "has no code, access_token or error: not a redirect of the authorize page",
        ));
    }
    if !state_ok {
        return Err(state_mismatch());
    }
    if let Some(token) = access_token {
        let expires_in = match get("expires_in") {
            None | Some("") => None,
            Some(text) => Some(text.parse::<u64>().map_err(|_| {
                Error::invalid_argument("redirect_url", "expires_in is not a number of seconds")
            })?),
        };
        return Ok(Grant::Token {
            access_token: token.to_string(),
            expires_in,
            token_type: get("token_type").unwrap_or("bearer").to_string(),
            site_id: get("site_id").filter(|s| !s.is_empty()).map(str::to_string),
        });
    }
    Ok(Grant::Code {
        code: code.unwrap_or_default().to_string(),
    })
}

fn state_mismatch() -> Error {
    Error::with_code(
        ErrorKind::InvalidArgument,
        "state_mismatch",
        "state: the redirect's state is missing or differs from the one sent: it may be forged; \
         start the authorization again",
    )
}

/// Compares two strings without stopping at the first difference.
fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

impl Client {
    /// Exchanges an authorization code (from [`parse_redirect`]) for the user's token:
    /// `{access_token, blog_id, blog_url, token_type}`. `redirect_uri` must be the one of the
    /// authorize URL. Codes are single use: not retried once the request may have been received.
    pub fn exchange_code(&self, code: &str, redirect_uri: &str) -> Result<Reply, Error> {
        let code = check_token("code", code)?;
        let redirect = parse_http_url("redirect_uri", redirect_uri)?;
        let mut form = self.oauth_form("authorization_code");
        append_pair(&mut form, "redirect_uri", &redirect.to_url_string());
        append_pair(&mut form, "code", code.expose());
        let mut call = Call::new("exchange_code", Method::Post, "/oauth2/token".into())
            .auth(CallAuth::None)
            .redact(code);
        call.body = Some(Body::Form(form));
        self.execute(call)
    }

    /// The password grant (for the application owner's own testing only): the token of the
    /// WordPress.com user `username`.
    pub fn password_grant(&self, username: &str, password: &str) -> Result<Reply, Error> {
        if username.trim().is_empty() {
            return Err(Error::invalid_argument("username", "must not be empty"));
        }
        check_text("username", username, 255, false)?;
        if password.is_empty() {
            return Err(Error::invalid_argument("password", "must not be empty"));
        }
        if password.len() > 1024 || password.chars().any(char::is_control) {
            return Err(Error::invalid_argument(
                "password",
                "must be at most 1024 bytes without control characters",
            ));
        }
        let mut form = self.oauth_form("password");
        append_pair(&mut form, "username", username);
        append_pair(&mut form, "password", password);
        let mut call = Call::new("password_grant", Method::Post, "/oauth2/token".into())
            .auth(CallAuth::None)
            .idempotence(Idempotence::Safe)
            .redact(Arc::new(Secret::new(password)));
        call.body = Some(Body::Form(form));
        self.execute(call)
    }

    /// Validates a user token: `{client_id, user_id, blog_id, scope}`. A token that is unknown, revoked
    /// or issued to another application is an error (`invalid_token`).
    pub fn token_info(&self, token: &str) -> Result<Reply, Error> {
        let token = check_token("token", token)?;
        let partner_id = self.config().partner_id().to_string();
        let mut query = String::new();
        append_pair(&mut query, "client_id", &partner_id);
        append_pair(&mut query, "token", token.expose());
        let mut call = Call::new("token_info", Method::Get, "/oauth2/token-info".into())
            .auth(CallAuth::None)
            .redact(token);
        call.query = query;
        let reply = self.execute(call)?;
        let owner = match reply.body.get("client_id") {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        if owner.as_deref() != Some(partner_id.as_str()) {
            return Err(Error::api(
                "invalid_token",
                "the token was issued to another application",
                reply.http_status,
            )
            .with_attempts(reply.attempts));
        }
        Ok(reply)
    }

    fn oauth_form(&self, grant_type: &str) -> Zeroizing<String> {
        let mut form = Zeroizing::new(String::new());
        append_pair(&mut form, "grant_type", grant_type);
        append_pair(&mut form, "client_id", self.config().partner_id());
        append_pair(&mut form, "client_secret", self.partner_secret().expose());
        form
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorize_url_carries_every_parameter() {
        let mut params = AuthorizeParams::new("12345", "http://127.0.0.1:8080/cb");
        params.response_type = ResponseType::Token;
        params.blog = Some("200000001".into());
        params.scope = Some(Scope::Global);
        params.state = Some("s1".into());
        let (url, state) = authorize_url("https://public-api.wordpress.com", &params).unwrap();
        assert_eq!(state, "s1");
        assert_eq!(
            url,
            "https://public-api.wordpress.com/oauth2/authorize?client_id=12345&redirect_uri=http%3A%2F%2F127.0.0.1%3A8080%2Fcb&response_type=token&blog=200000001&scope=global&state=s1"
        );
    }

    #[test]
    fn random_states_differ() {
        let params = AuthorizeParams::new("12345", "https://example.com/cb");
        let (_, a) = authorize_url("https://public-api.wordpress.com", &params).unwrap();
        let (_, b) = authorize_url("https://public-api.wordpress.com", &params).unwrap();
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[test]
    fn bad_parameters_name_the_field() {
        let base = "https://public-api.wordpress.com";
        let e = authorize_url(base, &AuthorizeParams::new("", "https://e.com/cb")).unwrap_err();
        assert!(e.message().starts_with("client_id: "));
        let e = authorize_url(base, &AuthorizeParams::new("1", "ftp://e.com/cb")).unwrap_err();
        assert!(e.message().starts_with("redirect_uri: "));
        let e = authorize_url(
            "http://example.com",
            &AuthorizeParams::new("1", "https://e.com/cb"),
        )
        .unwrap_err();
        assert!(e.message().starts_with("api_base: "));
    }

    #[test]
    fn redirects_are_parsed_and_checked() {
        let g = parse_redirect("http://127.0.0.1:9/cb?code=abc%2Bd&state=st", "st").unwrap();
        assert_eq!(
            g,
            Grant::Code {
                code: "abc+d".into()
            }
        );
        let g = parse_redirect(
            "http://127.0.0.1:9/cb#access_token=tok&expires_in=1209600&token_type=bearer&site_id=7&state=st",
            "st",
        )
        .unwrap();
        assert_eq!(
            g,
            Grant::Token {
                access_token: "tok".into(),
                expires_in: Some(1_209_600),
                token_type: "bearer".into(),
                site_id: Some("7".into())
            }
        );
        assert!(!format!("{g:?}").contains("tok\""));
        let e = parse_redirect("http://x/cb?code=abc&state=other", "st").unwrap_err();
        assert_eq!(e.code(), "state_mismatch");
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        let e = parse_redirect("http://x/cb?code=abc", "st").unwrap_err();
        assert_eq!(e.code(), "state_mismatch");
        let e = parse_redirect(
            "http://x/cb?error=access_denied&error_description=No+thanks&state=st",
            "st",
        )
        .unwrap_err();
        assert_eq!((e.code(), e.message()), ("access_denied", "No thanks"));
        assert_eq!(e.kind(), ErrorKind::Api);
        assert_eq!(e.http_status(), None);
        let e = parse_redirect("http://x/cb#error=access_denied&state=st", "st").unwrap_err();
        assert_eq!(e.code(), "access_denied");
        let e = parse_redirect("http://x/cb?error=access_denied&state=zz", "st").unwrap_err();
        assert_eq!(e.code(), "state_mismatch");
        let e = parse_redirect("http://x/cb?foo=1&state=st", "st").unwrap_err();
        assert_eq!(e.code(), "invalid_argument");
        assert!(e.message().starts_with("redirect_url: "));
        let e = parse_redirect("http://x/cb#access_token=t&expires_in=soon&state=st", "st")
            .unwrap_err();
        assert!(e.message().contains("expires_in"));
        let e = parse_redirect("http://x/cb?code=a&state=st", "").unwrap_err();
        assert!(e.message().starts_with("expected_state: "));
    }
}

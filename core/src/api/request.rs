//! The generic authenticated request, for any endpoint the library has no function for: method,
//! path, query, a form or JSON body, and the partner token, a user token or no token.

use std::fmt;

use serde_json::Value;
use zeroize::{Zeroize, Zeroizing};

use super::arguments::check_token;
use super::options::Options;
use crate::client::{Call, CallAuth, Client, Reply};
use crate::error::Error;
use crate::http::exchange::{Body, Method};
use crate::http::form::append_pair;

/// Longest accepted path, in bytes.
const MAX_PATH_BYTES: usize = 2048;

/// The bearer token a request carries.
pub enum Auth {
    /// The client's partner token (client credentials), obtained and refreshed by the client.
    Partner,
    /// A WordPress.com user token (from the OAuth flow). Wiped from memory when dropped.
    User(String),
    /// No `Authorization` header.
    None,
}

impl Drop for Auth {
    fn drop(&mut self) {
        if let Auth::User(token) = self {
            token.zeroize();
        }
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::Partner => f.write_str("Partner"),
            Auth::User(_) => f.write_str("User([redacted])"),
            Auth::None => f.write_str("None"),
        }
    }
}

/// A request to any endpoint of the API (see [`Client::request`]).
pub struct ApiRequest {
    /// `GET`, `POST`, `PUT` or `DELETE` (any case).
    pub method: String,
    /// Path below the API base, starting with `/` (e.g. `/rest/v1/me`): printable ASCII without `?`
    /// or `#` (percent-encode anything else; the query goes in `query`).
    pub path: String,
    /// Query parameters: strings, numbers, booleans (`true`/`false`), arrays (sent as `name[]=...`
    /// for each item); `null` leaves a parameter out.
    pub query: Options,
    /// A form body (`application/x-www-form-urlencoded`), values as for `query`.
    pub form: Option<Options>,
    /// A JSON body (`application/json`). At most one of `form` and `json`.
    pub json: Option<Value>,
    /// The token the request carries.
    pub auth: Auth,
}

impl ApiRequest {
    /// A request with no query, no body and the partner token.
    pub fn new(method: impl Into<String>, path: impl Into<String>) -> ApiRequest {
        ApiRequest {
            method: method.into(),
            path: path.into(),
            query: Options::new(),
            form: None,
            json: None,
            auth: Auth::Partner,
        }
    }
}

impl fmt::Debug for ApiRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Parameter values and bodies may hold credentials: only their names are shown.
        let names = |o: &Options| o.keys().cloned().collect::<Vec<_>>();
        f.debug_struct("ApiRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &names(&self.query))
            .field("form", &self.form.as_ref().map(names))
            .field("json", &self.json.as_ref().map(|_| "[json]"))
            .field("auth", &self.auth)
            .finish()
    }
}

fn check_method(method: &str) -> Result<Method, Error> {
    match method.to_ascii_uppercase().as_str() {
        "GET" => Ok(Method::Get),
        "POST" => Ok(Method::Post),
        "PUT" => Ok(Method::Put),
        "DELETE" => Ok(Method::Delete),
        _ => Err(Error::invalid_argument(
            "method",
            "must be GET, POST, PUT or DELETE",
        )),
    }
}

fn check_path(path: &str) -> Result<(), Error> {
    if !path.starts_with('/') {
        return Err(Error::invalid_argument(
            "path",
            "must start with '/' (e.g. \"/rest/v1/me\")",
        ));
    }
    if path.len() > MAX_PATH_BYTES {
        return Err(Error::invalid_argument(
            "path",
            format!("must be at most {MAX_PATH_BYTES} bytes long"),
        ));
    }
    if !path
        .bytes()
        .all(|b| b.is_ascii_graphic() && b != b'?' && b != b'#')
    {
        return Err(Error::invalid_argument(
            "path",
            "must be printable ASCII without spaces, '?' or '#' (percent-encode other characters; \
             put query parameters in query)",
        ));
    }
    if path
        .split('/')
        .any(|segment| segment == "." || segment == "..")
    {
        return Err(Error::invalid_argument(
            "path",
            "must not contain '.' or '..' segments",
        ));
    }
    Ok(())
}

/// Appends `params` to a query or form body: scalars as `name=value`, arrays as `name[]=item` per
/// item, `null` left out. `field` names the map in errors (`query`, `form`).
pub(crate) fn encode_params(field: &str, params: &Options, out: &mut String) -> Result<(), Error> {
    for (name, value) in params {
        let shown: String = name.chars().take(64).filter(|c| !c.is_control()).collect();
        if name.is_empty() || name.len() > 255 || name.chars().any(char::is_control) {
            return Err(Error::invalid_argument(
                &format!("{field}.{shown}"),
                "parameter names must be 1 to 255 bytes without control characters",
            ));
        }
        let scalar = |value: &Value| -> Result<Option<Zeroizing<String>>, Error> {
            Ok(match value {
                Value::Null => None,
                Value::Bool(b) => Some(Zeroizing::new(b.to_string())),
                Value::Number(n) => Some(Zeroizing::new(n.to_string())),
                Value::String(s) => Some(Zeroizing::new(s.clone())),
                _ => {
                    return Err(Error::invalid_argument(
                        &format!("{field}.{shown}"),
                        "must be a string, number, boolean, null or an array of those",
                    ))
                }
            })
        };
        match value {
            Value::Array(items) => {
                let key = if name.ends_with("[]") {
                    name.clone()
                } else {
                    format!("{name}[]")
                };
                for item in items {
                    if let Some(text) = scalar(item)? {
                        append_pair(out, &key, &text);
                    }
                }
            }
            other => {
                if let Some(text) = scalar(other)? {
                    append_pair(out, name, &text);
                }
            }
        }
    }
    Ok(())
}

impl Client {
    /// Sends any request to the API (for endpoints the library has no function for) and returns the
    /// reply's JSON; errors as for every other call (the server's error code passed through).
    ///
    /// With [`Auth::Partner`] the partner token is added (and renewed once if refused). `GET` calls
    /// are retried on transient failures; other methods only when the request provably never
    /// reached the server.
    pub fn request(&self, request: &ApiRequest) -> Result<Reply, Error> {
        let method = check_method(&request.method)?;
        check_path(&request.path)?;
        let mut query = String::new();
        encode_params("query", &request.query, &mut query)?;
        let body = match (&request.form, &request.json) {
            (Some(_), Some(_)) => {
                return Err(Error::invalid_argument(
                    "json",
                    "give either form or json, not both",
                ))
            }
            (Some(form), None) => {
                let mut text = Zeroizing::new(String::new());
                encode_params("form", form, &mut text)?;
                Some(Body::Form(text))
            }
            (None, Some(json)) => Some(Body::Json(Zeroizing::new(json.to_string()))),
            (None, None) => None,
        };
        if method == Method::Get && body.is_some() {
            return Err(Error::invalid_argument(
                if request.json.is_some() {
                    "json"
                } else {
                    "form"
                },
                "a GET request has no body: put the parameters in query",
            ));
        }
        let auth = match &request.auth {
            Auth::Partner => CallAuth::Partner,
            Auth::User(token) => CallAuth::User(check_token("user_token", token)?),
            Auth::None => CallAuth::None,
        };
        let mut call = Call::new("request", method, request.path.clone()).auth(auth);
        call.query = query;
        call.body = body;
        self.execute(call)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn params(value: Value) -> Options {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn parameters_are_encoded() {
        let mut out = String::new();
        encode_params(
            "query",
            &params(json!({"a": "x y", "n": 5, "b": true, "skip": null, "plans": ["premium", 7], "c[]": ["z"]})),
            &mut out,
        )
        .unwrap();
        assert_eq!(
            out,
            "a=x+y&n=5&b=true&plans%5B%5D=premium&plans%5B%5D=7&c%5B%5D=z"
        );
        let err =
            encode_params("form", &params(json!({"o": {"x": 1}})), &mut String::new()).unwrap_err();
        assert_eq!(err.code(), "invalid_argument");
        assert!(err.message().starts_with("form.o: "), "{}", err.message());
    }

    #[test]
    fn paths_and_methods_are_checked() {
        assert!(check_path("/rest/v1/me").is_ok());
        assert!(check_path("/wpcom/v2/x%20y").is_ok());
        for bad in [
            "rest/v1/me",
            "/a b",
            "/a?b=1",
            "/a#f",
            "/a/../b",
            "/\u{e9}",
            "",
        ] {
            let err = check_path(bad).unwrap_err();
            assert!(
                err.message().starts_with("path: "),
                "{bad}: {}",
                err.message()
            );
        }
        assert_eq!(check_method("get").unwrap(), Method::Get);
        assert_eq!(check_method("DELETE").unwrap(), Method::Delete);
        assert!(check_method("PATCH")
            .unwrap_err()
            .message()
            .starts_with("method: "));
    }

    #[test]
    fn debug_shows_no_values() {
        let mut r = ApiRequest::new("POST", "/x");
        r.auth = Auth::User("user-token-value".into());
        r.form = Some(params(json!({"password": "pw-value"})));
        let text = format!("{r:?}");
        assert!(
            !text.contains("user-token-value") && !text.contains("pw-value"),
            "{text}"
        );
        assert!(text.contains("password"));
    }
}

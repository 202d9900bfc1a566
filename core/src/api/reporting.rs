//! Reporting with a user token (PROTOCOL.md §6): activations (one page, or every page lazily),
//! the activations summary, past and upcoming invoices, and the partner with its keys.

use std::collections::VecDeque;
use std::sync::Arc;

use serde_json::Value;

use super::arguments::{check_token, path_segment};
use super::options::Options;
use crate::client::{Call, CallAuth, Client, Reply};
use crate::error::{Error, ErrorKind};
use crate::http::exchange::Method;
use crate::http::form::append_pair;
use crate::secret::Secret;
use crate::validate::{check_plan, check_text};

const BASE: &str = "/wpcom/v2/jetpack-partners";

/// The query of the activations list from its options: `page`, `per_page` (positive integers),
/// `plans` (a slug or product ID, or an array of them), `activated_after`, `activated_before`
/// (`YYYY-MM-DD`, `YYYY-MM-DD HH:MM:SS` or a Unix time).
fn activations_query(options: &Options, page: Option<u64>) -> Result<String, Error> {
    const KNOWN: &[&str] = &[
        "page",
        "per_page",
        "plans",
        "activated_after",
        "activated_before",
    ];
    check_known("activations", KNOWN, options)?;
    let mut query = String::new();
    let page = match page {
        Some(p) => Some(p),
        None => positive(options, "page")?,
    };
    if let Some(page) = page {
        append_pair(&mut query, "page", &page.to_string());
    }
    if let Some(per_page) = positive(options, "per_page")? {
        append_pair(&mut query, "per_page", &per_page.to_string());
    }
    match options.get("plans") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for item in items {
                append_pair(&mut query, "plans[]", &plan_item(item)?);
            }
        }
        Some(single) => append_pair(&mut query, "plans[]", &plan_item(single)?),
    }
    for name in ["activated_after", "activated_before"] {
        match options.get(name) {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) if !s.is_empty() => {
                check_text(name, s, 64, false)?;
                append_pair(&mut query, name, s);
            }
            Some(Value::Number(n)) if n.as_u64().is_some() => {
                append_pair(&mut query, name, &n.to_string())
            }
            Some(_) => {
                return Err(Error::invalid_argument(
                    name,
                    "must be a date (YYYY-MM-DD or YYYY-MM-DD HH:MM:SS) or a Unix time",
                ))
            }
        }
    }
    Ok(query)
}

fn check_known(operation: &str, known: &[&str], options: &Options) -> Result<(), Error> {
    for name in options.keys() {
        if !known.contains(&name.as_str()) {
            let shown: String = name.chars().take(64).filter(|c| !c.is_control()).collect();
            return Err(Error::invalid_argument(
                &shown,
                format!(
                    "unknown option for {operation} (known: {})",
                    known.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

/// An optional positive integer option (a number or a string of digits).
fn positive(options: &Options, name: &str) -> Result<Option<u64>, Error> {
    let value = match options.get(name) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s))
            if !s.is_empty() && s.len() <= 19 && s.bytes().all(|b| b.is_ascii_digit()) =>
        {
            s.parse().ok()
        }
        Some(_) => None,
    };
    match value {
        Some(n) if n >= 1 => Ok(Some(n)),
        _ => Err(Error::invalid_argument(name, "must be a positive integer")),
    }
}

fn plan_item(value: &Value) -> Result<String, Error> {
    match value {
        Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => Ok(s.clone()),
        Value::String(s) => {
            check_plan("plans", s)?;
            Ok(s.clone())
        }
        Value::Number(n) if n.as_u64().is_some() => Ok(n.to_string()),
        _ => Err(Error::invalid_argument(
            "plans",
            "must be a plan slug or product ID, or an array of them",
        )),
    }
}

impl Client {
    fn reporting_call(
        &self,
        name: &'static str,
        user_token: &str,
        path: String,
        query: String,
    ) -> Result<Reply, Error> {
        let token = check_token("user_token", user_token)?;
        self.reporting_with(name, token, path, query)
    }

    fn reporting_with(
        &self,
        name: &'static str,
        token: Arc<Secret>,
        path: String,
        query: String,
    ) -> Result<Reply, Error> {
        let mut call = Call::new(name, Method::Get, path).auth(CallAuth::User(token));
        call.query = query;
        self.execute(call)
    }

    /// One page of the activations of a partner key: `{total, page, per_page, activations: [...]}`,
    /// newest first. `user_token` is the token of the partner's WordPress.com user.
    ///
    /// Options: `page` (from 1), `per_page` (1-100, default 20), `plans` (a slug or product ID, or an
    /// array of them), `activated_after`, `activated_before` (`YYYY-MM-DD`, `YYYY-MM-DD HH:MM:SS` or a
    /// Unix time).
    pub fn activations(
        &self,
        user_token: &str,
        partner_id: &str,
        key_id: &str,
        options: &Options,
    ) -> Result<Reply, Error> {
        let path = activations_path(partner_id, key_id)?;
        let query = activations_query(options, None)?;
        self.reporting_call("activations", user_token, path, query)
    }

    /// Every activation of a partner key, one item at a time; pages are fetched as the iterator
    /// reaches them (starting at the `page` option, default 1). Options as for
    /// [`Client::activations`]. An error ends the iteration after it is returned.
    pub fn activations_iter(
        &self,
        user_token: &str,
        partner_id: &str,
        key_id: &str,
        options: &Options,
    ) -> Activations<'_> {
        let checked = (|| {
            let token = check_token("user_token", user_token)?;
            let path = activations_path(partner_id, key_id)?;
            activations_query(options, None)?;
            let first = positive(options, "page")?.unwrap_or(1);
            Ok((token, path, first))
        })();
        let mut rest = options.clone();
        rest.remove("page");
        match checked {
            Ok((token, path, first)) => Activations {
                client: self,
                state: IterState::Ready {
                    token,
                    path,
                    options: rest,
                    next_page: first,
                    seen: 0,
                },
                buffer: VecDeque::new(),
            },
            Err(e) => Activations {
                client: self,
                state: IterState::Failed(Some(e)),
                buffer: VecDeque::new(),
            },
        }
    }

    /// Activations counted per period: `[{date, new, total}]`. Options: `key_id` (one key; default
    /// every key of the partner), `scale` (`day`, `month` (default) or `year`).
    pub fn activations_summary(&self, user_token: &str, options: &Options) -> Result<Reply, Error> {
        check_known("activations_summary", &["key_id", "scale"], options)?;
        let mut query = String::new();
        match options.get("key_id") {
            None | Some(Value::Null) => {}
            Some(Value::Number(n)) if n.as_u64().is_some() => {
                append_pair(&mut query, "key_id", &n.to_string())
            }
            Some(Value::String(s)) => {
                path_segment("key_id", s)?;
                append_pair(&mut query, "key_id", s);
            }
            Some(_) => return Err(Error::invalid_argument("key_id", "must be a key ID")),
        }
        match options.get("scale") {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) if matches!(s.as_str(), "day" | "month" | "year") => {
                append_pair(&mut query, "scale", s)
            }
            Some(_) => {
                return Err(Error::invalid_argument(
                    "scale",
                    "must be \"day\", \"month\" or \"year\"",
                ))
            }
        }
        self.reporting_call(
            "activations_summary",
            user_token,
            format!("{BASE}/activations"),
            query,
        )
    }

    /// The past invoices of a partner key: `{"invoices": [...]}`.
    pub fn invoices(
        &self,
        user_token: &str,
        partner_id: &str,
        key_id: &str,
    ) -> Result<Reply, Error> {
        let path = format!("{}/stripe/invoices", key_path(partner_id, key_id)?);
        self.reporting_call("invoices", user_token, path, String::new())
    }

    /// The invoice of the current period of a partner key.
    pub fn upcoming_invoice(
        &self,
        user_token: &str,
        partner_id: &str,
        key_id: &str,
    ) -> Result<Reply, Error> {
        let path = format!("{}/stripe/upcoming-invoice", key_path(partner_id, key_id)?);
        self.reporting_call("upcoming_invoice", user_token, path, String::new())
    }

    /// The partner tied to the user token, with its keys: `{id, name, slug, keys: [...]}`.
    pub fn partner_details(&self, user_token: &str) -> Result<Reply, Error> {
        self.reporting_call(
            "partner_details",
            user_token,
            BASE.to_string(),
            String::new(),
        )
    }
}

fn key_path(partner_id: &str, key_id: &str) -> Result<String, Error> {
    Ok(format!(
        "{BASE}/{}/key/{}",
        path_segment("partner_id", partner_id)?,
        path_segment("key_id", key_id)?
    ))
}

fn activations_path(partner_id: &str, key_id: &str) -> Result<String, Error> {
    Ok(format!("{}/activations", key_path(partner_id, key_id)?))
}

enum IterState {
    Ready {
        token: Arc<Secret>,
        path: String,
        options: Options,
        next_page: u64,
        seen: u64,
    },
    /// The error to return next (then done).
    Failed(Option<Error>),
    Done,
}

/// Every activation of a partner key, fetched a page at a time (see [`Client::activations_iter`]).
pub struct Activations<'a> {
    client: &'a Client,
    state: IterState,
    buffer: VecDeque<Value>,
}

impl std::fmt::Debug for Activations<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Activations")
            .field("buffered", &self.buffer.len())
            .finish_non_exhaustive()
    }
}

impl Activations<'_> {
    /// Fetches the next page into the buffer; the state moves to `Done` after the last page.
    fn fetch(&mut self) {
        let IterState::Ready {
            token,
            path,
            options,
            next_page,
            seen,
        } = &mut self.state
        else {
            return;
        };
        let result = activations_query(options, Some(*next_page)).and_then(|query| {
            self.client
                .reporting_with("activations", token.clone(), path.clone(), query)
        });
        let reply = match result {
            Ok(reply) => reply,
            Err(e) => {
                self.state = IterState::Failed(Some(e));
                return;
            }
        };
        let Some(items) = reply.body.get("activations").and_then(Value::as_array) else {
            self.state = IterState::Failed(Some(
                Error::new(
                    ErrorKind::InvalidResponse,
                    "the activations reply has no \"activations\" array",
                )
                .with_http_status(reply.http_status),
            ));
            return;
        };
        let number = |name: &str| {
            reply.body.get(name).and_then(|t| {
                t.as_u64()
                    .or_else(|| t.as_str().and_then(|s| s.parse().ok()))
            })
        };
        let total = number("total");
        *seen += items.len() as u64;
        // Items up to the end of this page, when the reply says where it is (a walk may start
        // at a later page); else the items seen so far.
        let reached = match (number("page"), number("per_page")) {
            (Some(page), Some(per_page)) => page.saturating_mul(per_page),
            _ => *seen,
        };
        *next_page += 1;
        let last = items.is_empty() || total.is_some_and(|t| reached >= t);
        self.buffer.extend(items.iter().cloned());
        if last {
            self.state = IterState::Done;
        }
    }
}

impl Iterator for Activations<'_> {
    type Item = Result<Value, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.buffer.pop_front() {
                return Some(Ok(item));
            }
            match &mut self.state {
                IterState::Ready { .. } => self.fetch(),
                IterState::Failed(error) => {
                    let error = error.take();
                    self.state = IterState::Done;
                    return error.map(Err);
                }
                IterState::Done => return None,
            }
        }
    }
}

impl std::iter::FusedIterator for Activations<'_> {}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn activation_filters_are_encoded() {
        let options = json!({"page": 2, "per_page": "50", "plans": ["premium", 2014],
            "activated_after": "2024-01-01", "activated_before": 1700000000});
        let query = activations_query(options.as_object().unwrap(), None).unwrap();
        assert_eq!(
            query,
            "page=2&per_page=50&plans%5B%5D=premium&plans%5B%5D=2014&activated_after=2024-01-01&activated_before=1700000000"
        );
        for (bad, field) in [
            (json!({"page": 0}), "page"),
            (json!({"per_page": -1}), "per_page"),
            (json!({"plans": ["Bad Slug"]}), "plans"),
            (json!({"activated_after": true}), "activated_after"),
            (json!({"nope": 1}), "nope"),
        ] {
            let err = activations_query(bad.as_object().unwrap(), None).unwrap_err();
            assert!(
                err.message().starts_with(&format!("{field}: ")),
                "{}",
                err.message()
            );
        }
    }
}

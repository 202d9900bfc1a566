//! Fault injection rules, set through `POST /__sandbox/faults`.

use serde_json::Value;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    Status,
    Html,
    RefuseToken,
    Delay,
    SlowHeaders,
    SlowBody,
    Reset,
    InvalidJson,
    TruncatedJson,
    Oversized,
    Close,
}

impl Kind {
    fn parse(s: &str) -> Option<Kind> {
        Some(match s {
            "status" => Kind::Status,
            "html" => Kind::Html,
            "refuse_token" => Kind::RefuseToken,
            "delay" => Kind::Delay,
            "slow_headers" => Kind::SlowHeaders,
            "slow_body" => Kind::SlowBody,
            "reset" => Kind::Reset,
            "invalid_json" => Kind::InvalidJson,
            "truncated_json" => Kind::TruncatedJson,
            "oversized" => Kind::Oversized,
            "close" => Kind::Close,
            _ => return None,
        })
    }
}

#[derive(Clone, Debug)]
pub struct Fault {
    pub id: u64,
    pub endpoint: String,
    pub site: Option<String>,
    pub kind: Kind,
    /// `None`: until cleared.
    remaining: Option<u64>,
    pub status: Option<u16>,
    pub retry_after: Option<u64>,
    pub delay_ms: Option<u64>,
    pub size: Option<u64>,
}

impl Fault {
    pub fn delay_ms(&self) -> u64 {
        self.delay_ms.unwrap_or(1000)
    }
}

#[derive(Default)]
pub struct Faults {
    rules: Mutex<Vec<Fault>>,
    active: AtomicUsize,
    next_id: AtomicU64,
}

fn opt_u64(spec: &Value, name: &str) -> Result<Option<u64>, String> {
    match spec.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
            .map(Some)
            .ok_or_else(|| format!("{name}: must be a non-negative integer")),
    }
}

impl Faults {
    /// Adds a rule from its JSON description; returns its id.
    pub fn add(&self, spec: &Value, known_endpoint: impl Fn(&str) -> bool) -> Result<u64, String> {
        if !spec.is_object() {
            return Err("the body must be a JSON object".into());
        }
        let endpoint = spec
            .get("endpoint")
            .and_then(Value::as_str)
            .unwrap_or("*")
            .to_string();
        if endpoint != "*" && !known_endpoint(&endpoint) {
            return Err(format!("endpoint: unknown endpoint name {endpoint:?}"));
        }
        let kind_name = spec
            .get("kind")
            .and_then(Value::as_str)
            .ok_or("kind: required")?;
        let kind =
            Kind::parse(kind_name).ok_or_else(|| format!("kind: unknown kind {kind_name:?}"))?;
        let site = match spec.get("site") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.is_empty() => None,
            Some(Value::String(s)) => Some(s.to_ascii_lowercase()),
            Some(_) => return Err("site: must be a string".into()),
        };
        let count = opt_u64(spec, "count")?.unwrap_or(1);
        let status = match opt_u64(spec, "status")? {
            None => None,
            Some(s) if (100..=599).contains(&s) => Some(s as u16),
            Some(_) => return Err("status: must be an HTTP status (100-599)".into()),
        };
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let fault = Fault {
            id,
            endpoint,
            site,
            kind,
            remaining: if count == 0 { None } else { Some(count) },
            status,
            retry_after: opt_u64(spec, "retry_after")?,
            delay_ms: opt_u64(spec, "delay_ms")?,
            size: opt_u64(spec, "size")?,
        };
        let mut rules = self.rules.lock().unwrap_or_else(|p| p.into_inner());
        rules.push(fault);
        self.active.store(rules.len(), Ordering::SeqCst);
        Ok(id)
    }

    pub fn clear(&self) {
        let mut rules = self.rules.lock().unwrap_or_else(|p| p.into_inner());
        rules.clear();
        self.active.store(0, Ordering::SeqCst);
    }

    pub fn list(&self) -> Vec<Value> {
        let rules = self.rules.lock().unwrap_or_else(|p| p.into_inner());
        rules
            .iter()
            .map(|f| {
                serde_json::json!({
                    "id": f.id, "endpoint": f.endpoint, "site": f.site,
                    "kind": format!("{:?}", f.kind), "remaining": f.remaining,
                })
            })
            .collect()
    }

    /// Takes the first rule matching the endpoint and one of the site strings,
    /// using up one of its occurrences.
    pub fn take(&self, endpoint: &str, sites: &[String]) -> Option<Fault> {
        if self.active.load(Ordering::SeqCst) == 0 {
            return None;
        }
        let mut rules = self.rules.lock().unwrap_or_else(|p| p.into_inner());
        let idx = rules.iter().position(|f| {
            (f.endpoint == "*" || f.endpoint == endpoint)
                && f.site.as_ref().is_none_or(|s| {
                    sites
                        .iter()
                        .any(|candidate| candidate.to_ascii_lowercase().contains(s.as_str()))
                })
        })?;
        let fault = rules[idx].clone();
        if let Some(n) = rules[idx].remaining.as_mut() {
            *n -= 1;
            if *n == 0 {
                rules.remove(idx);
            }
        }
        self.active.store(rules.len(), Ordering::SeqCst);
        Some(fault)
    }
}

//! The log of the state-changing partner calls the API processed (provision, cancel): which site,
//! which plan, which HTTP status, in arrival order. Tests read it (`GET /__sandbox/requests`) to
//! prove that each provision reached the server exactly once; calls stopped by a fault before
//! processing (`status`, `html`, `close`, `refuse_token`) are not in it.

use serde_json::{json, Value};
use std::sync::Mutex;

/// Entries kept at most; older ones are dropped first and counted in `dropped`.
const MAX_ENTRIES: usize = 1_000_000;

struct Entry {
    endpoint: &'static str,
    site: String,
    plan: Option<String>,
    status: u16,
}

#[derive(Default)]
struct Inner {
    entries: std::collections::VecDeque<Entry>,
    seq: u64,
    dropped: u64,
}

#[derive(Default)]
pub struct RequestLog(Mutex<Inner>);

impl RequestLog {
    /// Records a processed call.
    pub fn record(&self, endpoint: &'static str, site: &str, plan: Option<&str>, status: u16) {
        let mut inner = self.0.lock().unwrap_or_else(|e| e.into_inner());
        inner.seq += 1;
        if inner.entries.len() == MAX_ENTRIES {
            inner.entries.pop_front();
            inner.dropped += 1;
        }
        inner.entries.push_back(Entry {
            endpoint,
            site: site.to_string(),
            plan: plan.map(str::to_string),
            status,
        });
    }

    /// `{"requests": [{seq, endpoint, site, plan, status}], "dropped": N}`, oldest first;
    /// `endpoint` keeps only that endpoint's calls.
    pub fn to_json(&self, endpoint: Option<&str>) -> Value {
        let inner = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let first_seq = inner.seq - inner.entries.len() as u64 + 1;
        let requests: Vec<Value> = inner
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| endpoint.is_none_or(|name| name == e.endpoint))
            .map(|(i, e)| {
                json!({"seq": first_seq + i as u64, "endpoint": e.endpoint, "site": e.site,
                       "plan": e.plan, "status": e.status})
            })
            .collect();
        json!({"requests": requests, "dropped": inner.dropped})
    }

    pub fn clear(&self) {
        let mut inner = self.0.lock().unwrap_or_else(|e| e.into_inner());
        inner.entries.clear();
        inner.dropped = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_in_order_and_filters_by_endpoint() {
        let log = RequestLog::default();
        log.record("provision", "https://a.example/", Some("premium"), 200);
        log.record("cancel", "a.example", None, 200);
        log.record("provision", "https://b.example/", None, 400);
        let all = log.to_json(None);
        assert_eq!(all["requests"].as_array().unwrap().len(), 3);
        let provisions = log.to_json(Some("provision"));
        let sites: Vec<&str> = provisions["requests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["site"].as_str().unwrap())
            .collect();
        assert_eq!(sites, ["https://a.example/", "https://b.example/"]);
        assert_eq!(provisions["requests"][1]["seq"], 3);
        assert_eq!(provisions["requests"][0]["plan"], "premium");
        log.clear();
        assert_eq!(log.to_json(None)["requests"].as_array().unwrap().len(), 0);
    }
}

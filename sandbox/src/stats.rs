//! Request counters per endpoint, for `/__sandbox/stats`.

use serde_json::{Map, Value};
use std::sync::atomic::{AtomicU64, Ordering};

/// The API endpoints, as named in the stats and in fault rules.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Endpoint {
    Token,
    TokenInfo,
    Authorize,
    Provision,
    Cancel,
    Status,
    StatusV12,
    UpgradePaths,
    Errors,
    PartnerKeysNew,
    PartnerKeysVerify,
    Reporting,
    Licensing,
    Me,
    Unknown,
}

pub const ALL: [Endpoint; 15] = [
    Endpoint::Token,
    Endpoint::TokenInfo,
    Endpoint::Authorize,
    Endpoint::Provision,
    Endpoint::Cancel,
    Endpoint::Status,
    Endpoint::StatusV12,
    Endpoint::UpgradePaths,
    Endpoint::Errors,
    Endpoint::PartnerKeysNew,
    Endpoint::PartnerKeysVerify,
    Endpoint::Reporting,
    Endpoint::Licensing,
    Endpoint::Me,
    Endpoint::Unknown,
];

impl Endpoint {
    pub fn name(self) -> &'static str {
        match self {
            Endpoint::Token => "token",
            Endpoint::TokenInfo => "token_info",
            Endpoint::Authorize => "authorize",
            Endpoint::Provision => "provision",
            Endpoint::Cancel => "cancel",
            Endpoint::Status => "status",
            Endpoint::StatusV12 => "status_v12",
            Endpoint::UpgradePaths => "upgrade_paths",
            Endpoint::Errors => "errors",
            Endpoint::PartnerKeysNew => "partner_keys_new",
            Endpoint::PartnerKeysVerify => "partner_keys_verify",
            Endpoint::Reporting => "reporting",
            Endpoint::Licensing => "licensing",
            Endpoint::Me => "me",
            Endpoint::Unknown => "unknown",
        }
    }

    pub fn from_name(name: &str) -> Option<Endpoint> {
        ALL.iter().copied().find(|e| e.name() == name)
    }

    fn index(self) -> usize {
        ALL.iter().position(|e| *e == self).unwrap_or(0)
    }
}

#[derive(Default)]
pub struct Stats {
    counts: [AtomicU64; 15],
}

impl Stats {
    pub fn count(&self, e: Endpoint) {
        self.counts[e.index()].fetch_add(1, Ordering::Relaxed);
    }

    pub fn reset(&self) {
        for c in &self.counts {
            c.store(0, Ordering::Relaxed);
        }
    }

    /// `{"total": N, "requests": {"<endpoint>": N, ...}}`, every endpoint listed.
    pub fn to_json(&self) -> Value {
        let mut total = 0;
        let mut map = Map::new();
        for e in ALL {
            let n = self.counts[e.index()].load(Ordering::Relaxed);
            total += n;
            map.insert(e.name().into(), n.into());
        }
        serde_json::json!({"total": total, "requests": map})
    }
}

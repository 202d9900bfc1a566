//! Helpers shared by the integration tests: an in-process sandbox, a client with short pauses, and
//! the sandbox's control endpoints (faults, stats).

#![allow(dead_code)]

use std::time::Duration;

use jetpack_partner_core::{Backoff, Client, ClientConfig, Options};
use jetpack_partner_sandbox::{Config, Sandbox};
use serde_json::{json, Value};

pub const PARTNER_ID: &str = "12345";
pub const PARTNER_SECRET: &str = "sandbox-demo-secret";

/// A second partner, for calls that must be refused because another partner owns the plan.
pub const OTHER_ID: &str = "67890";
pub const OTHER_SECRET: &str = "other-partner-secret";

pub fn start() -> Sandbox {
    Sandbox::start(Config {
        partners: vec![
            (PARTNER_ID.into(), PARTNER_SECRET.into()),
            (OTHER_ID.into(), OTHER_SECRET.into()),
        ],
        ..Default::default()
    })
    .expect("sandbox starts")
}

/// A configuration for `url` with short pauses between attempts (the retry logic is the same).
pub fn config(url: &str) -> ClientConfig {
    let mut config = ClientConfig::new(PARTNER_ID, PARTNER_SECRET);
    config.api_base = url.to_string();
    config.timeout = Duration::from_secs(20);
    config.backoff = Backoff {
        base: Duration::from_millis(5),
        max: Duration::from_millis(20),
        retry_after_max: Duration::from_millis(50),
    };
    config
}

pub fn client(url: &str) -> Client {
    Client::new(config(url)).expect("valid config")
}

pub fn no_options() -> Options {
    Options::new()
}

pub fn options(value: Value) -> Options {
    value.as_object().expect("a JSON object").clone()
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .new_agent()
}

fn read(mut response: ureq::http::Response<ureq::Body>) -> Value {
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().expect("control reply");
    assert_eq!(status, 200, "control endpoint failed: {text}");
    serde_json::from_str(&text).expect("control reply is JSON")
}

/// Adds a fault rule (see the contract's `/__sandbox/faults`).
pub fn fault(url: &str, rule: Value) {
    let reply = read(
        agent()
            .post(format!("{url}/__sandbox/faults"))
            .send_json_text(&rule),
    );
    assert_eq!(reply["ok"], true);
}

pub fn clear_faults(url: &str) {
    read(
        agent()
            .delete(format!("{url}/__sandbox/faults"))
            .call()
            .unwrap(),
    );
}

pub fn reset_stats(url: &str) {
    read(
        agent()
            .post(format!("{url}/__sandbox/stats/reset"))
            .send_empty()
            .unwrap(),
    );
}

pub fn stats(url: &str) -> Value {
    read(
        agent()
            .get(format!("{url}/__sandbox/stats"))
            .call()
            .unwrap(),
    )
}

/// Requests the sandbox counted for one endpoint since the last reset.
pub fn count(url: &str, endpoint: &str) -> u64 {
    stats(url)["requests"][endpoint].as_u64().unwrap_or(0)
}

/// Every request the sandbox counted since the last reset.
pub fn total(url: &str) -> u64 {
    stats(url)["total"].as_u64().unwrap_or(0)
}

/// Marks a site connected, as if its owner had approved the connection.
pub fn connect_site(url: &str, siteurl: &str) {
    read(
        agent()
            .post(format!("{url}/__sandbox/sites/connect"))
            .send_json_text(&json!({ "siteurl": siteurl })),
    );
}

trait SendJsonText {
    fn send_json_text(self, value: &Value) -> ureq::http::Response<ureq::Body>;
}

impl SendJsonText for ureq::RequestBuilder<ureq::typestate::WithBody> {
    fn send_json_text(self, value: &Value) -> ureq::http::Response<ureq::Body> {
        self.content_type("application/json")
            .send(value.to_string())
            .expect("control request")
    }
}

/// The provision or cancel calls the sandbox processed, oldest first: `(site, plan, HTTP status)`.
pub fn processed(url: &str, endpoint: &str) -> Vec<(String, Option<String>, u16)> {
    let log = read(
        agent()
            .get(format!("{url}/__sandbox/requests?endpoint={endpoint}"))
            .call()
            .unwrap(),
    );
    log["requests"]
        .as_array()
        .expect("requests")
        .iter()
        .map(|r| {
            (
                r["site"].as_str().unwrap_or_default().to_string(),
                r["plan"].as_str().map(str::to_string),
                r["status"].as_u64().unwrap_or(0) as u16,
            )
        })
        .collect()
}

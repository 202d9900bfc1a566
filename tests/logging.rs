//! Diagnostic lines: one per attempt, pause, token request and outcome, and never a secret or token.

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use jetpack_partner_core::{Client, ClientConfig, LogSink};
use serde_json::json;

fn collecting() -> (LogSink, Arc<Mutex<Vec<String>>>) {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let copy = lines.clone();
    let sink: LogSink = Arc::new(move |line: &str| copy.lock().unwrap().push(line.to_string()));
    (sink, lines)
}

/// Words that look like a token: 24 or more letters and digits in a row.
fn token_like(line: &str) -> Option<&str> {
    line.split(|c: char| !c.is_ascii_alphanumeric())
        .find(|w| w.len() >= 24)
}

#[test]
fn lines_describe_attempts_and_outcomes_without_secrets() {
    let sb = start();
    let url = sb.url();
    let (sink, lines) = collecting();
    let mut config = config(url);
    config.log = Some(sink);
    let client = Client::new(config).unwrap();

    client
        .provision("admin", "https://log.example.com", Some("premium"), &options(json!({
            "ssh_user": "deploy", "ssh_pass": "ssh-pass-do-not-log", "partner_tracking_id": "track-do-not-log"
        })))
        .unwrap();
    for rule in [
        json!({"endpoint": "status", "kind": "status", "status": 503, "count": 2}),
        json!({"endpoint": "provision", "kind": "reset"}),
        json!({"endpoint": "provision", "kind": "refuse_token"}),
        json!({"endpoint": "provision", "kind": "invalid_json"}),
        json!({"endpoint": "provision", "kind": "html", "status": 502}),
        json!({"endpoint": "provision", "kind": "oversized"}),
        json!({"endpoint": "provision", "kind": "status", "status": 429, "retry_after": 1}),
    ] {
        fault(url, rule);
        let _ = client.status("log.example.com");
        let _ = client.provision("admin", "https://log.example.com", None, &no_options());
        clear_faults(url);
    }
    let mut bad = ClientConfig::new(PARTNER_ID, "wrong-secret-do-not-log");
    bad.api_base = url.to_string();
    let (sink, bad_lines) = collecting();
    bad.log = Some(sink);
    let _ = Client::new(bad).unwrap().status("log.example.com");

    let lines = lines.lock().unwrap().clone();
    let all: Vec<String> = lines
        .iter()
        .chain(bad_lines.lock().unwrap().iter())
        .cloned()
        .collect();
    assert!(all.iter().all(|l| l.starts_with("jetpack-partner: ")));
    assert!(
        lines
            .iter()
            .any(|l| l == "jetpack-partner: partner token obtained"),
        "{lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("POST /rest/v1.3/jpphp/provision attempt 1: HTTP 200")),
        "{lines:#?}"
    );
    assert!(
        lines.iter().any(|l| l
            .contains("GET /rest/v1.4/jpphp/log.example.com/status attempt 1: HTTP 503")
            && l.contains("retrying in")),
        "{lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("the partner token was refused")),
        "{lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("jetpack-partner: provision: outcome_unknown")),
        "{lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("jetpack-partner: status: ok (HTTP 200, 3 attempt(s)")),
        "{lines:#?}"
    );
    assert!(bad_lines
        .lock()
        .unwrap()
        .iter()
        .any(|l| l.contains("token_error")));
    for line in &all {
        for secret in [
            PARTNER_SECRET,
            "wrong-secret-do-not-log",
            "ssh-pass-do-not-log",
            "track-do-not-log",
            "Bearer",
        ] {
            assert!(!line.contains(secret), "{secret} in {line}");
        }
        assert!(token_like(line).is_none(), "token-like word in {line}");
    }
}

#[test]
fn no_sink_and_no_environment_means_no_lines() {
    // JETPACK_PARTNER_LOG is not set for the test run; the client must stay silent (nothing to
    // observe but that calls work the same).
    let sb = start();
    let client = client(sb.url());
    client.status("example.com").unwrap_err();
}

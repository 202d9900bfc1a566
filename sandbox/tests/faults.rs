mod common;
use common::*;
use serde_json::json;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

fn fault(base: &str, spec: serde_json::Value) -> u64 {
    let v = control(base, "POST", "faults", &spec);
    assert_eq!(v["ok"], true);
    v["id"].as_u64().unwrap()
}

fn provisioned(base: &str, t: &str, site: &str) -> bool {
    status(base, t, site).status == 200
}

#[test]
fn status_fault_with_retry_after_is_not_processed() {
    let sb = start();
    let u = sb.url();
    let t = token(u);
    fault(
        u,
        json!({"endpoint": "provision", "kind": "status", "status": 503, "retry_after": 7}),
    );
    let r = provision(u, &t, "https://f1.example", Some("premium"));
    assert_eq!(r.status, 503);
    assert_eq!(r.header("Retry-After"), Some("7"));
    assert_eq!(r.json()["error"], "sandbox_fault");
    assert!(!provisioned(u, &t, "f1.example"));
    // count defaults to 1.
    assert_eq!(
        provision(u, &t, "https://f1.example", Some("premium")).status,
        200
    );
    for s in [500, 502, 504, 429] {
        fault(
            u,
            json!({"endpoint": "status", "kind": "status", "status": s}),
        );
        assert_eq!(status(u, &t, "f1.example").status, s);
    }
    // Faulted requests are counted.
    assert_eq!(stats(u)["requests"]["status"], 5);
}

#[test]
fn html_fault() {
    let sb = start();
    let u = sb.url();
    let t = token(u);
    fault(u, json!({"endpoint": "provision", "kind": "html"}));
    let r = provision(u, &t, "https://h.example", None);
    assert_eq!(r.status, 502);
    assert!(r.header("Content-Type").unwrap().starts_with("text/html"));
    assert!(r.text().contains("<html>"));
    assert!(!provisioned(u, &t, "h.example"));
}

#[test]
fn refuse_token_once() {
    let sb = start();
    let u = sb.url();
    let t = token(u);
    fault(u, json!({"endpoint": "provision", "kind": "refuse_token"}));
    let r = provision(u, &t, "https://rt.example", None);
    assert_eq!(r.status, 403);
    assert_eq!(r.json()["error"], "invalid_token");
    // The token stays refused; a new one works.
    assert_eq!(
        provision(u, &t, "https://rt.example", None).json()["error"],
        "invalid_token"
    );
    let t2 = token(u);
    assert_eq!(provision(u, &t2, "https://rt.example", None).status, 200);
}

#[test]
fn delay_then_processed() {
    let sb = start();
    let u = sb.url();
    let t = token(u);
    fault(
        u,
        json!({"endpoint": "provision", "kind": "delay", "delay_ms": 300}),
    );
    let start = Instant::now();
    assert_eq!(provision(u, &t, "https://dl.example", None).status, 200);
    assert!(start.elapsed() >= Duration::from_millis(300));
    assert!(provisioned(u, &t, "dl.example"));
}

#[test]
fn slow_headers_and_slow_body() {
    let sb = start();
    let u = sb.url();
    let t = token(u);
    fault(
        u,
        json!({"endpoint": "status", "kind": "slow_headers", "delay_ms": 2}),
    );
    provision(u, &t, "https://sl.example", None);
    let start = Instant::now();
    let r = status(u, &t, "sl.example");
    assert_eq!(r.status, 200);
    // ~100 head bytes, 2 ms each.
    assert!(
        start.elapsed() >= Duration::from_millis(150),
        "{:?}",
        start.elapsed()
    );

    fault(
        u,
        json!({"endpoint": "status", "kind": "slow_body", "delay_ms": 5}),
    );
    let start = Instant::now();
    let r = status(u, &t, "sl.example");
    assert_eq!(r.json()["blog"]["is_connected"], false);
    assert!(
        start.elapsed() >= Duration::from_millis(5 * 50),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn reset_mid_body_after_processing() {
    let sb = start();
    let u = sb.url();
    let t = token(u);
    fault(u, json!({"endpoint": "provision", "kind": "reset"}));
    let r = try_request(
        u,
        "POST",
        "/rest/v1.3/jpphp/provision",
        &[
            ("Authorization", &format!("Bearer {t}")),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        &form(&[
            ("siteurl", "https://rs.example"),
            ("local_user", "a"),
            ("plan", "premium"),
        ]),
    );
    assert!(r.is_err(), "expected a broken response");
    // It was processed.
    assert!(provisioned(u, &t, "rs.example"));
}

#[test]
fn invalid_truncated_and_oversized_bodies() {
    let sb = start();
    let u = sb.url();
    let t = token(u);
    fault(u, json!({"endpoint": "provision", "kind": "invalid_json"}));
    let r = provision(u, &t, "https://ij.example", None);
    assert_eq!(r.status, 200);
    assert!(serde_json::from_slice::<serde_json::Value>(&r.body).is_err());
    assert!(provisioned(u, &t, "ij.example"));

    fault(
        u,
        json!({"endpoint": "provision", "kind": "truncated_json"}),
    );
    let r = provision(u, &t, "https://tj.example", None);
    assert_eq!(r.status, 200);
    let full = provision(u, &t, "https://tj.example", None);
    assert_eq!(r.body.len(), full.body.len() / 2);
    assert_eq!(
        r.header("Content-Length").unwrap(),
        r.body.len().to_string()
    );
    assert!(serde_json::from_slice::<serde_json::Value>(&r.body).is_err());
    assert!(r.text().starts_with("{\"success\":true"));
    assert!(provisioned(u, &t, "tj.example"));

    fault(
        u,
        json!({"endpoint": "status", "kind": "oversized", "size": 100000}),
    );
    let r = status(u, &t, "tj.example");
    assert_eq!(r.status, 200);
    assert_eq!(r.body.len(), 100000);
    assert_eq!(r.json()["success"], true);
    fault(u, json!({"endpoint": "status", "kind": "oversized"}));
    assert_eq!(status(u, &t, "tj.example").body.len(), 2 * 1024 * 1024);
}

#[test]
fn close_without_reply_is_not_processed() {
    let sb = start();
    let u = sb.url();
    let t = token(u);
    fault(u, json!({"endpoint": "provision", "kind": "close"}));
    let r = try_request(
        u,
        "POST",
        "/rest/v1.3/jpphp/provision",
        &[
            ("Authorization", &format!("Bearer {t}")),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        &form(&[("siteurl", "https://cl.example"), ("local_user", "a")]),
    );
    assert!(r.is_err());
    assert!(!provisioned(u, &t, "cl.example"));
}

#[test]
fn targeting_counts_and_clearing() {
    let sb = start();
    let u = sb.url();
    let t = token(u);
    // Site filter.
    fault(
        u,
        json!({"endpoint": "*", "site": "target.example", "kind": "status", "status": 500, "count": 2}),
    );
    assert_eq!(provision(u, &t, "https://other.example", None).status, 200);
    assert_eq!(provision(u, &t, "https://target.example", None).status, 500);
    assert_eq!(status(u, &t, "target.example").status, 500);
    assert_eq!(provision(u, &t, "https://target.example", None).status, 200);
    // count 0: until cleared.
    fault(
        u,
        json!({"endpoint": "status", "kind": "status", "status": 503, "count": 0}),
    );
    for _ in 0..5 {
        assert_eq!(status(u, &t, "target.example").status, 503);
    }
    assert_eq!(
        get(u, "/__sandbox/faults", None).json()["faults"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let r = request(u, "DELETE", "/__sandbox/faults", &[], b"");
    assert_eq!(r.json(), json!({"ok": true}));
    assert_eq!(status(u, &t, "target.example").status, 200);
    // Endpoint filter: a token fault does not hit provision.
    fault(
        u,
        json!({"endpoint": "token", "kind": "status", "status": 500}),
    );
    assert_eq!(provision(u, &t, "https://x.example", None).status, 200);
    let r = post_form(
        u,
        "/oauth2/token",
        None,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", ID),
            ("client_secret", SECRET),
        ],
    );
    assert_eq!(r.status, 500);
}

#[test]
fn bad_fault_specs_are_refused() {
    let sb = start();
    let u = sb.url();
    for spec in [
        json!({"kind": "explode"}),
        json!({"endpoint": "nope", "kind": "status"}),
        json!({"endpoint": "provision"}),
        json!([1]),
        json!({"kind": "status", "status": 1000}),
    ] {
        let r = send_json(u, "POST", "/__sandbox/faults", None, &spec);
        assert_eq!(r.status, 400, "{spec}");
    }
    let r = request(u, "POST", "/__sandbox/faults", &[], b"{not json");
    assert_eq!(r.status, 400);
}

#[test]
fn stats_count_and_reset() {
    let sb = start();
    let u = sb.url();
    let t = token(u);
    provision(u, &t, "https://s.example", None);
    get(u, "/nowhere", None);
    get(u, "/__sandbox/health", None);
    let s = stats(u);
    assert_eq!(s["total"], 3);
    let requests = s["requests"].as_object().unwrap();
    assert_eq!(requests.len(), 15);
    for (name, n) in requests {
        let expected = u64::from(["token", "provision", "unknown"].contains(&name.as_str()));
        assert_eq!(n.as_u64(), Some(expected), "{name}");
    }
    assert_eq!(
        control(u, "POST", "stats/reset", &json!({})),
        json!({"ok": true})
    );
    assert_eq!(stats(u)["total"], 0);
    assert_eq!(stats(u)["requests"]["provision"], 0);
}

#[test]
fn keep_alive_survives_a_slow_fault_on_another_connection() {
    let sb = start();
    let u = sb.url();
    let t = token(u);
    fault(
        u,
        json!({"endpoint": "status", "kind": "delay", "delay_ms": 1500}),
    );
    provision(u, &t, "https://ka.example", None);
    let mut slow = TcpStream::connect(host_port(u)).unwrap();
    slow.write_all(&build_request(
        "GET",
        "/rest/v1.4/jpphp/ka.example/status",
        &[("Authorization", &format!("Bearer {t}"))],
        b"",
        true,
    ))
    .unwrap();
    // Meanwhile other requests are served at once.
    let start = Instant::now();
    assert_eq!(get(u, "/rest/v1.3/jpphp/errors", None).status, 200);
    assert!(start.elapsed() < Duration::from_millis(1000));
    let mut buf = Vec::new();
    slow.read_to_end(&mut buf).unwrap();
    assert!(String::from_utf8_lossy(&buf).starts_with("HTTP/1.1 200"));
}

#[test]
fn the_request_log_lists_processed_provisions_and_cancels_only() {
    let sb = start();
    let u = sb.url();
    let t = token(u);
    // Stopped before processing: not in the log.
    fault(
        u,
        json!({"endpoint": "provision", "kind": "status", "status": 429}),
    );
    assert_eq!(
        provision(u, &t, "https://log-a.example/", Some("premium")).status,
        429
    );
    // Processed, reply cut: in the log.
    fault(
        u,
        json!({"endpoint": "provision", "site": "log-b", "kind": "truncated_json"}),
    );
    provision(u, &t, "https://log-b.example/", Some("premium"));
    assert_eq!(
        provision(u, &t, "https://log-a.example/", Some("premium")).status,
        200
    );
    assert_eq!(
        provision(u, &t, "https://log-c.example/", Some("nope")).status,
        400
    );
    cancel(u, &t, "log-a.example", &[]);
    let log = get(u, "/__sandbox/requests?endpoint=provision", None).json();
    let seen: Vec<(String, u64)> = log["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["site"].as_str().unwrap().to_string(),
                r["status"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("https://log-b.example/".to_string(), 200),
            ("https://log-a.example/".to_string(), 200),
            ("https://log-c.example/".to_string(), 400),
        ]
    );
    assert_eq!(log["requests"][0]["plan"], "premium");
    let all = get(u, "/__sandbox/requests", None).json();
    assert_eq!(all["requests"].as_array().unwrap().len(), 4);
    assert_eq!(all["requests"][3]["endpoint"], "cancel");
    assert_eq!(all["requests"][3]["site"], "log-a.example");
    let cleared = send_json(u, "DELETE", "/__sandbox/requests", None, &json!({}));
    assert_eq!(cleared.status, 200);
    assert_eq!(
        get(u, "/__sandbox/requests", None).json()["requests"],
        json!([])
    );
}

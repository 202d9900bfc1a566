//! The partner token: asked for once, shared by calls and threads, replaced once when refused.

mod common;

use std::sync::Arc;

use common::*;
use jetpack_partner_core::ErrorKind;
use serde_json::json;

#[test]
fn one_token_request_for_many_calls() {
    let sb = start();
    let url = sb.url();
    let client = client(url);
    for i in 0..10 {
        client
            .provision(
                "admin",
                &format!("https://many{i}.example.com"),
                None,
                &no_options(),
            )
            .unwrap();
        client.status(&format!("many{i}.example.com")).unwrap();
    }
    client.partner_key_new("k", &no_options()).unwrap();
    client.cancel("many0.example.com", &no_options()).unwrap();
    assert_eq!(count(url, "token"), 1);
    assert_eq!(count(url, "provision"), 10);
    assert_eq!(count(url, "status"), 10);
}

#[test]
fn one_token_request_across_eight_threads() {
    let sb = start();
    let url = sb.url().to_string();
    let client = Arc::new(client(&url));
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let client = client.clone();
            std::thread::spawn(move || {
                for i in 0..25 {
                    let site = format!("https://t{t}-{i}.example.com");
                    let reply = client
                        .provision("admin", &site, Some("premium"), &no_options())
                        .unwrap();
                    assert_eq!(reply.body["success"], true);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(count(&url, "token"), 1);
    assert_eq!(count(&url, "provision"), 200);
}

#[test]
fn refused_token_is_replaced_once_and_the_call_repeated() {
    let sb = start();
    let url = sb.url();
    let client = client(url);
    client
        .provision("admin", "https://refresh.example.com", None, &no_options())
        .unwrap();
    reset_stats(url);
    fault(
        url,
        json!({"endpoint": "provision", "kind": "refuse_token"}),
    );
    let reply = client
        .provision(
            "admin",
            "https://refresh.example.com",
            Some("premium"),
            &no_options(),
        )
        .unwrap();
    assert_eq!(reply.body["success"], true);
    assert_eq!(reply.attempts, 2);
    assert_eq!(count(url, "token"), 1);
    assert_eq!(count(url, "provision"), 2);
    // The new token is kept for later calls.
    client.status("refresh.example.com").unwrap();
    assert_eq!(count(url, "token"), 1);
}

#[test]
fn token_refused_twice_is_reported_after_one_refresh() {
    let sb = start();
    let url = sb.url();
    let client = client(url);
    fault(
        url,
        json!({"endpoint": "status", "kind": "refuse_token", "count": 2}),
    );
    let err = client.status("example.com").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Api);
    assert_eq!(err.code(), "invalid_token");
    assert_eq!(err.http_status(), Some(403));
    assert_eq!(err.attempts(), 2);
    assert_eq!(count(url, "token"), 2);
}

//! Every error code a caller can meet, reached against the sandbox, with the attempts it saw.

mod common;

use std::time::{Duration, Instant};

use common::*;
use jetpack_partner_core::{Client, ClientConfig, ErrorKind};
use serde_json::json;

#[test]
fn invalid_arguments_name_the_field_and_send_nothing() {
    let sb = start();
    let url = sb.url();
    let client = client(url);
    let huge = "a".repeat(1 << 20);
    let provision_cases: Vec<(&str, &str, Option<&str>, serde_json::Value, &str)> = vec![
        ("", "https://example.com", None, json!({}), "local_user"),
        (
            "ad\r\nmin",
            "https://example.com",
            None,
            json!({}),
            "local_user",
        ),
        (
            "ad\0min",
            "https://example.com",
            None,
            json!({}),
            "local_user",
        ),
        (&huge, "https://example.com", None, json!({}), "local_user"),
        ("admin", "", None, json!({}), "siteurl"),
        (
            "admin",
            "mailto:admin@example.com",
            None,
            json!({}),
            "siteurl",
        ),
        ("admin", "javascript:alert(1)", None, json!({}), "siteurl"),
        (
            "admin",
            "https://user:pw@example.com",
            None,
            json!({}),
            "siteurl",
        ),
        (
            "admin",
            "https://example.com/#frag",
            None,
            json!({}),
            "siteurl",
        ),
        ("admin", "https://", None, json!({}), "siteurl"),
        ("admin", "https://exa mple.com", None, json!({}), "siteurl"),
        (
            "admin",
            "https://example.com/\r\nX-Injected: 1",
            None,
            json!({}),
            "siteurl",
        ),
        ("admin", &huge, None, json!({}), "siteurl"),
        ("admin", "https://example.com", Some(""), json!({}), "plan"),
        (
            "admin",
            "https://example.com",
            Some("Premium"),
            json!({}),
            "plan",
        ),
        (
            "admin",
            "https://example.com",
            Some("premium plan"),
            json!({}),
            "plan",
        ),
        (
            "admin",
            "https://example.com",
            None,
            json!({"force_register": "maybe"}),
            "force_register",
        ),
        (
            "admin",
            "https://example.com",
            None,
            json!({"wpcom_user_id": -1}),
            "wpcom_user_id",
        ),
        (
            "admin",
            "https://example.com",
            None,
            json!({"wpcom_user_id": "12x"}),
            "wpcom_user_id",
        ),
        (
            "admin",
            "https://example.com",
            None,
            json!({"ssh_port": 0}),
            "ssh_port",
        ),
        (
            "admin",
            "https://example.com",
            None,
            json!({"ssh_user": "u"}),
            "ssh_user",
        ),
        (
            "admin",
            "https://example.com",
            None,
            json!({"wpcom_user_email": "a\nb"}),
            "wpcom_user_email",
        ),
        (
            "admin",
            "https://example.com",
            None,
            json!({"no_such_option": 1}),
            "no_such_option",
        ),
        (
            "admin",
            "https://example.com",
            None,
            json!({"partner_tracking_id": ""}),
            "partner_tracking_id",
        ),
    ];
    for (user, siteurl, plan, opts, field) in provision_cases {
        let err = client
            .provision(user, siteurl, plan, &options(opts.clone()))
            .expect_err(field);
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{field}");
        assert_eq!(err.code(), "invalid_argument");
        assert!(
            err.message().starts_with(&format!("{field}: ")),
            "{field}: {}",
            err.message()
        );
        assert_eq!(err.http_status(), None);
        assert_eq!(err.attempts(), 0);
    }
    for (site, opts, field) in [
        ("", json!({}), "site"),
        ("https://u@example.com", json!({}), "site"),
        ("a b", json!({}), "site"),
        ("example.com", json!({"plan": "Bad"}), "plan"),
        (
            "example.com",
            json!({"cancel_all": "sometimes"}),
            "cancel_all",
        ),
        (
            "example.com",
            json!({"cancel-everything": true}),
            "cancel-everything",
        ),
    ] {
        let err = client.cancel(site, &options(opts)).unwrap_err();
        assert!(
            err.message().starts_with(&format!("{field}: ")),
            "{field}: {}",
            err.message()
        );
    }
    for site in [
        "",
        "javascript:alert(1)",
        "ex\u{0}ample.com",
        "https://example.com/#x",
    ] {
        let err = client.status(site).unwrap_err();
        assert!(err.message().starts_with("site: "), "{}", err.message());
    }
    for (name, opts, field) in [
        ("", json!({}), "name"),
        ("  ", json!({}), "name"),
        ("a\nb", json!({}), "name"),
        (
            "key",
            json!({"allowed_premium_plans": -5}),
            "allowed_premium_plans",
        ),
        (
            "key",
            json!({"allowed_personal_plans": "many"}),
            "allowed_personal_plans",
        ),
        (
            "key",
            json!({"allowed_professional_plans": 1.5}),
            "allowed_professional_plans",
        ),
        ("key", json!({"notes": 7.5, "bogus": 1}), "bogus"),
    ] {
        let err = client.partner_key_new(name, &options(opts)).unwrap_err();
        assert!(
            err.message().starts_with(&format!("{field}: ")),
            "{field}: {}",
            err.message()
        );
    }
    assert_eq!(
        total(url),
        0,
        "no request may reach the server: {}",
        stats(url)
    );
}

#[test]
fn config_is_checked_before_any_connection() {
    for (api_base, ok) in [
        ("http://127.0.0.1:1", true),
        ("http://localhost:1", true),
        ("https://public-api.wordpress.com", true),
        ("http://public-api.wordpress.com", false),
        ("http://192.168.1.10:8080", false),
        ("ftp://127.0.0.1", false),
    ] {
        let mut config = ClientConfig::new(PARTNER_ID, PARTNER_SECRET);
        config.api_base = api_base.into();
        match Client::new(config) {
            Ok(_) => assert!(ok, "{api_base} accepted"),
            Err(e) => {
                assert!(!ok, "{api_base} refused: {e}");
                assert_eq!(e.code(), "invalid_argument");
                assert!(e.message().starts_with("api_base: "));
            }
        }
    }
}

#[test]
fn wrong_secret_is_a_token_error_with_the_oauth_code() {
    let sb = start();
    let url = sb.url();
    let mut config = ClientConfig::new(PARTNER_ID, "wrong-secret-value");
    config.api_base = url.to_string();
    let client = Client::new(config).unwrap();
    let err = client
        .provision("admin", "https://example.com", None, &no_options())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Token);
    assert_eq!(err.code(), "token_error");
    assert!(
        err.message().contains("invalid_client"),
        "{}",
        err.message()
    );
    assert!(!err.message().contains("wrong-secret-value"));
    assert_eq!(err.http_status(), Some(400));
    assert_eq!(err.attempts(), 0);
    assert_eq!(count(url, "token"), 1);
    assert_eq!(count(url, "provision"), 0);
}

#[test]
fn connection_refused_is_a_transport_error() {
    // A port with nothing listening: bind, learn the port, close.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let client = client(&format!("http://127.0.0.1:{port}"));
    let err = client
        .provision("admin", "https://example.com", None, &no_options())
        .unwrap_err();
    // The token request fails first: nothing was sent.
    assert_eq!(err.code(), "transport_error");
    assert!(err.message().contains("refused"), "{}", err.message());
    assert_eq!(err.http_status(), None);
}

#[test]
fn status_timeout_via_delay() {
    let sb = start();
    let url = sb.url();
    let mut config = config(url);
    config.timeout = Duration::from_millis(600);
    let client = Client::new(config).unwrap();
    client.status("example.com").unwrap_err(); // gets the token; unknown site
    fault(
        url,
        json!({"endpoint": "status", "kind": "delay", "delay_ms": 3000, "count": 0}),
    );
    let started = Instant::now();
    let err = client.status("example.com").unwrap_err();
    let elapsed = started.elapsed();
    clear_faults(url);
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert_eq!(err.code(), "timeout");
    assert!(elapsed < Duration::from_millis(1500), "{elapsed:?}");
    assert!(elapsed >= Duration::from_millis(550), "{elapsed:?}");
}

#[test]
fn slow_body_is_cut_at_the_overall_time_limit() {
    let sb = start();
    let url = sb.url();
    let mut config = config(url);
    config.timeout = Duration::from_millis(800);
    let client = Client::new(config).unwrap();
    client
        .provision("admin", "https://slow.example.com", None, &no_options())
        .unwrap();
    for kind in ["slow_body", "slow_headers"] {
        fault(
            url,
            json!({"endpoint": "status", "kind": kind, "delay_ms": 1000, "count": 0}),
        );
        let started = Instant::now();
        let err = client.status("slow.example.com").unwrap_err();
        let elapsed = started.elapsed();
        clear_faults(url);
        assert_eq!(err.code(), "timeout", "{kind}: {err}");
        assert!(elapsed < Duration::from_millis(1800), "{kind}: {elapsed:?}");
    }
    // On provision, a time limit after sending leaves the outcome unknown.
    fault(
        url,
        json!({"endpoint": "provision", "kind": "slow_headers", "delay_ms": 1000}),
    );
    reset_stats(url);
    let err = client
        .provision("admin", "https://slow.example.com", None, &no_options())
        .unwrap_err();
    clear_faults(url);
    assert_eq!(err.code(), "outcome_unknown", "{err}");
    assert!(err.message().contains("check the site's status"));
    assert_eq!(err.attempts(), 1);
    assert_eq!(count(url, "provision"), 1);
}

#[test]
fn oversized_reply_is_response_too_large() {
    let sb = start();
    let url = sb.url();
    let mut config = config(url);
    config.max_response_bytes = 64 * 1024;
    let client = Client::new(config).unwrap();
    fault(
        url,
        json!({"endpoint": "status", "kind": "oversized", "size": 200_000}),
    );
    let err = client.status("example.com").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ResponseTooLarge);
    assert_eq!(err.code(), "response_too_large");
    assert_eq!(err.attempts(), 1);
    // The default limit (1 MiB) refuses the sandbox's default oversized body (2 MiB) too.
    let client = common::client(url);
    fault(url, json!({"endpoint": "provision", "kind": "oversized"}));
    let err = client
        .provision("admin", "https://big.example.com", None, &no_options())
        .unwrap_err();
    assert_eq!(err.code(), "response_too_large");
    assert!(err.message().contains("check the site's status"));
}

#[test]
fn invalid_and_truncated_json_are_invalid_response() {
    let sb = start();
    let url = sb.url();
    let client = client(url);
    for kind in ["invalid_json", "truncated_json"] {
        fault(url, json!({"endpoint": "provision", "kind": kind}));
        reset_stats(url);
        let err = client
            .provision("admin", "https://json.example.com", None, &no_options())
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidResponse, "{kind}");
        assert_eq!(err.code(), "invalid_response");
        assert_eq!(err.http_status(), Some(200));
        assert!(
            err.message().contains("check the site's status"),
            "{}",
            err.message()
        );
        assert_eq!(err.attempts(), 1);
        assert_eq!(count(url, "provision"), 1, "{kind}: not retried");
    }
}

#[test]
fn html_error_page_is_invalid_response_with_an_excerpt() {
    let sb = start();
    let url = sb.url();
    let client = client(url);
    // GET: 502 is retried; after every attempt the HTML page is reported.
    fault(
        url,
        json!({"endpoint": "status", "kind": "html", "status": 502, "count": 0}),
    );
    reset_stats(url);
    let err = client.status("example.com").unwrap_err();
    clear_faults(url);
    assert_eq!(err.code(), "invalid_response");
    assert_eq!(err.http_status(), Some(502));
    assert!(!err.message().contains('<'), "{}", err.message());
    assert_eq!(err.attempts(), 3);
    assert_eq!(count(url, "status"), 3);
    // POST: a 502 may come after processing: outcome unknown, no retry.
    fault(
        url,
        json!({"endpoint": "provision", "kind": "html", "status": 502}),
    );
    reset_stats(url);
    let err = client
        .provision("admin", "https://html.example.com", None, &no_options())
        .unwrap_err();
    assert_eq!(err.code(), "outcome_unknown");
    assert_eq!(err.http_status(), Some(502));
    assert_eq!(err.attempts(), 1);
    assert_eq!(count(url, "provision"), 1);
}

#[test]
fn reset_during_provision_is_outcome_unknown_and_not_retried() {
    let sb = start();
    let url = sb.url();
    let client = client(url);
    fault(url, json!({"endpoint": "provision", "kind": "reset"}));
    reset_stats(url);
    let err = client
        .provision(
            "admin",
            "https://reset.example.com",
            Some("premium"),
            &no_options(),
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::OutcomeUnknown);
    assert_eq!(err.code(), "outcome_unknown");
    assert!(
        err.message().contains("check the site's status"),
        "{}",
        err.message()
    );
    assert_eq!(err.attempts(), 1);
    assert_eq!(count(url, "provision"), 1);
    // It was processed: the status shows the plan.
    let status = client.status("reset.example.com").unwrap();
    assert_eq!(status.body["products"][0]["slug"], "premium");
}

#[test]
fn reset_and_close_during_status_are_retried() {
    let sb = start();
    let url = sb.url();
    let client = client(url);
    client
        .provision("admin", "https://retry.example.com", None, &no_options())
        .unwrap();
    for kind in ["reset", "close"] {
        fault(url, json!({"endpoint": "status", "kind": kind, "count": 2}));
        reset_stats(url);
        let reply = client.status("retry.example.com").unwrap();
        assert_eq!(reply.attempts, 3, "{kind}");
        assert_eq!(count(url, "status"), 3, "{kind}");
    }
}

#[test]
fn server_errors_on_post_are_outcome_unknown() {
    let sb = start();
    let url = sb.url();
    let client = client(url);
    for status in [500, 502, 503, 504] {
        fault(
            url,
            json!({"endpoint": "provision", "kind": "status", "status": status}),
        );
        reset_stats(url);
        let err = client
            .provision("admin", "https://five.example.com", None, &no_options())
            .unwrap_err();
        assert_eq!(err.code(), "outcome_unknown", "{status}");
        assert_eq!(err.http_status(), Some(status));
        assert_eq!(err.body().unwrap()["error"], "sandbox_fault");
        assert_eq!(err.attempts(), 1);
        assert_eq!(count(url, "provision"), 1, "{status}: not retried");
    }
}

#[test]
fn retry_after_on_post_is_retried() {
    let sb = start();
    let url = sb.url();
    let client = client(url);
    for status in [429, 503] {
        fault(
            url,
            json!({"endpoint": "provision", "kind": "status", "status": status, "retry_after": 1, "count": 2}),
        );
        reset_stats(url);
        let reply = client
            .provision("admin", "https://busy.example.com", None, &no_options())
            .unwrap();
        assert_eq!(reply.attempts, 3, "{status}");
        assert_eq!(count(url, "provision"), 3, "{status}");
    }
    // Still busy after every attempt: the server's code, not processed.
    fault(
        url,
        json!({"endpoint": "provision", "kind": "status", "status": 429, "retry_after": 1, "count": 3}),
    );
    let err = client
        .provision("admin", "https://busy.example.com", None, &no_options())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Api);
    assert_eq!(err.code(), "sandbox_fault");
    assert_eq!(err.http_status(), Some(429));
    assert_eq!(err.attempts(), 3);
}

#[test]
fn transient_get_failures_are_retried_up_to_max_attempts() {
    let sb = start();
    let url = sb.url();
    let client = client(url);
    client
        .provision("admin", "https://flaky.example.com", None, &no_options())
        .unwrap();
    for status in [429, 502, 503, 504] {
        fault(
            url,
            json!({"endpoint": "status", "kind": "status", "status": status, "count": 2}),
        );
        reset_stats(url);
        let reply = client.status("flaky.example.com").unwrap();
        assert_eq!(reply.attempts, 3, "{status}");
        assert_eq!(count(url, "status"), 3, "{status}");
    }
    // 500 is not transient.
    fault(
        url,
        json!({"endpoint": "status", "kind": "status", "status": 500}),
    );
    reset_stats(url);
    let err = client.status("flaky.example.com").unwrap_err();
    assert_eq!(err.code(), "sandbox_fault");
    assert_eq!(err.http_status(), Some(500));
    assert_eq!(count(url, "status"), 1);

    // max_attempts is honoured.
    let mut config = config(url);
    config.max_attempts = 5;
    let five = Client::new(config).unwrap();
    fault(
        url,
        json!({"endpoint": "status", "kind": "status", "status": 503, "count": 0}),
    );
    reset_stats(url);
    let err = five.status("flaky.example.com").unwrap_err();
    clear_faults(url);
    assert_eq!(err.code(), "sandbox_fault");
    assert_eq!(err.http_status(), Some(503));
    assert_eq!(err.attempts(), 5);
    assert_eq!(count(url, "status"), 5);
}

#[test]
fn token_request_is_retried_on_transient_failures() {
    let sb = start();
    let url = sb.url();
    let client = client(url);
    fault(
        url,
        json!({"endpoint": "token", "kind": "status", "status": 503, "count": 2}),
    );
    let reply = client
        .provision("admin", "https://tok.example.com", None, &no_options())
        .unwrap();
    assert_eq!(reply.attempts, 1);
    assert_eq!(count(url, "token"), 3);
}

#[test]
fn messages_never_carry_the_secret_or_the_token() {
    let sb = start();
    let url = sb.url();
    let client = client(url);
    let first = client
        .provision("admin", "https://secret.example.com", None, &no_options())
        .unwrap();
    assert_eq!(first.http_status, 200);
    let mut messages = Vec::new();
    for rule in [
        json!({"endpoint": "provision", "kind": "reset"}),
        json!({"endpoint": "provision", "kind": "html", "status": 502}),
        json!({"endpoint": "provision", "kind": "invalid_json"}),
        json!({"endpoint": "provision", "kind": "status", "status": 500}),
        json!({"endpoint": "provision", "kind": "refuse_token"}),
        json!({"endpoint": "provision", "kind": "oversized"}),
    ] {
        fault(url, rule);
        if let Err(e) = client.provision("admin", "https://secret.example.com", None, &no_options())
        {
            messages.push(format!("{e} {e:?}"));
        }
        clear_faults(url);
    }
    assert!(messages.len() >= 5);
    for m in &messages {
        assert!(!m.contains(PARTNER_SECRET), "{m}");
        assert!(!m.contains("Bearer"), "{m}");
    }
    assert!(!format!("{client:?}").contains(PARTNER_SECRET));
}

#[test]
fn tls_to_a_plain_http_server_is_a_tls_error() {
    let sb = start();
    let https = sb.url().replace("http://", "https://");
    let client = client(&https);
    let err = client.status("example.com").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Tls, "{err}");
    assert_eq!(err.code(), "tls_error");
    assert_eq!(err.http_status(), None);
}

//! The whole fault matrix of the sandbox (every fault kind, against the token request, provision and
//! status) through the Rust client, with a recognisable partner secret. For each fault: the documented
//! error code, or success after the documented retries; the attempts the client reports and the
//! requests the sandbox saw. Then every error message, error `Debug`, error body, reply `Debug` and
//! client `Debug` is searched for the partner secret and for every token the sandbox issued (read
//! from its state journal), and so is every diagnostic line of the clients' log sinks.

mod common;
mod support;

use std::ops::RangeInclusive;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{clear_faults, count, fault, reset_stats, stats};
use jetpack_partner_core::{Backoff, Client, ClientConfig, Error, LogSink, Options, Reply};
use jetpack_partner_sandbox::{Config, Sandbox};
use serde_json::{json, Value};
use support::TempDir;

const PARTNER_ID: &str = "24680";
const SECRET: &str = "Recognisable-Partner-Secret-5e9b1c7d";

#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
    Provision,
    Status,
}

/// What a row expects.
#[derive(Clone, Debug)]
enum Expect {
    /// Success, with this many attempts of the operation.
    Ok(u32),
    /// Failure with this code and HTTP status.
    Err(&'static str, Option<u16>),
}

struct Row {
    name: &'static str,
    /// The faulted endpoint: `token`, `provision` or `status`.
    endpoint: &'static str,
    rule: Value,
    op: Op,
    /// Overall time limit of the client (default 20 s).
    timeout_ms: Option<u64>,
    expect: Expect,
    /// Requests the sandbox saw at the token endpoint and at the operation's endpoint.
    token_requests: RangeInclusive<u64>,
    op_requests: RangeInclusive<u64>,
}

fn row(
    name: &'static str,
    endpoint: &'static str,
    rule: Value,
    expect: Expect,
    token_requests: RangeInclusive<u64>,
    op_requests: RangeInclusive<u64>,
) -> Row {
    let op = if endpoint == "status" {
        Op::Status
    } else {
        Op::Provision
    };
    Row {
        name,
        endpoint,
        rule,
        op,
        timeout_ms: None,
        expect,
        token_requests,
        op_requests,
    }
}

fn with_timeout(mut r: Row, ms: u64) -> Row {
    r.timeout_ms = Some(ms);
    r
}

/// Every diagnostic line of every client of this test binary.
fn log_lines() -> &'static Mutex<Vec<String>> {
    static LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());
    &LINES
}

fn config(url: &str, timeout_ms: Option<u64>) -> ClientConfig {
    let mut c = ClientConfig::new(PARTNER_ID, SECRET);
    let sink: LogSink = Arc::new(|line: &str| log_lines().lock().unwrap().push(line.to_string()));
    c.log = Some(sink);
    c.api_base = url.to_string();
    c.timeout = Duration::from_millis(timeout_ms.unwrap_or(20_000));
    c.connect_timeout = Duration::from_secs(5);
    c.backoff = Backoff {
        base: Duration::from_millis(5),
        max: Duration::from_millis(20),
        retry_after_max: Duration::from_millis(50),
    };
    c
}

fn rows() -> Vec<Row> {
    use Expect::{Err as E, Ok as K};
    let p = "provision";
    let t = "token";
    let s = "status";
    vec![
        // The token request: retried (it is safe to repeat) on 429, 502, 503, 504 and broken
        // connections; other failures are final. The operation is never sent without a token.
        row(
            "token 500",
            t,
            json!({"kind": "status", "status": 500}),
            E("token_error", Some(500)),
            1..=1,
            0..=0,
        ),
        row(
            "token 502 once",
            t,
            json!({"kind": "status", "status": 502}),
            K(1),
            2..=2,
            1..=1,
        ),
        row(
            "token 503 once",
            t,
            json!({"kind": "status", "status": 503}),
            K(1),
            2..=2,
            1..=1,
        ),
        row(
            "token 504 once",
            t,
            json!({"kind": "status", "status": 504}),
            K(1),
            2..=2,
            1..=1,
        ),
        row(
            "token 429 Retry-After once",
            t,
            json!({"kind": "status", "status": 429, "retry_after": 1}),
            K(1),
            2..=2,
            1..=1,
        ),
        row(
            "token 503 always",
            t,
            json!({"kind": "status", "status": 503, "count": 0}),
            E("token_error", Some(503)),
            3..=3,
            0..=0,
        ),
        row(
            "token html 502 once",
            t,
            json!({"kind": "html", "status": 502}),
            K(1),
            2..=2,
            1..=1,
        ),
        row(
            "token html 502 always",
            t,
            json!({"kind": "html", "status": 502, "count": 0}),
            E("token_error", Some(502)),
            3..=3,
            0..=0,
        ),
        row(
            "token refuse_token",
            t,
            json!({"kind": "refuse_token"}),
            E("token_error", Some(403)),
            1..=1,
            0..=0,
        ),
        row(
            "token delay",
            t,
            json!({"kind": "delay", "delay_ms": 200}),
            K(1),
            1..=1,
            1..=1,
        ),
        with_timeout(
            row(
                "token slow_headers",
                t,
                json!({"kind": "slow_headers", "delay_ms": 1000, "count": 0}),
                E("timeout", None),
                1..=2,
                0..=0,
            ),
            2500,
        ),
        with_timeout(
            row(
                "token slow_body",
                t,
                json!({"kind": "slow_body", "delay_ms": 1000, "count": 0}),
                E("timeout", None),
                1..=2,
                0..=0,
            ),
            2500,
        ),
        row(
            "token reset once",
            t,
            json!({"kind": "reset"}),
            K(1),
            2..=2,
            1..=1,
        ),
        row(
            "token reset always",
            t,
            json!({"kind": "reset", "count": 0}),
            E("transport_error", None),
            3..=3,
            0..=0,
        ),
        row(
            "token close once",
            t,
            json!({"kind": "close"}),
            K(1),
            2..=2,
            1..=1,
        ),
        row(
            "token invalid_json",
            t,
            json!({"kind": "invalid_json"}),
            E("invalid_response", Some(200)),
            1..=1,
            0..=0,
        ),
        row(
            "token truncated_json",
            t,
            json!({"kind": "truncated_json"}),
            E("invalid_response", Some(200)),
            1..=1,
            0..=0,
        ),
        row(
            "token oversized",
            t,
            json!({"kind": "oversized"}),
            E("response_too_large", None),
            1..=1,
            0..=0,
        ),
        // Provision: repeated only when the server said it did not process the request (429, 503
        // with Retry-After) or the token was refused; anything else after sending is
        // outcome_unknown (or the reply's own error), never repeated.
        row(
            "provision 500",
            p,
            json!({"kind": "status", "status": 500}),
            E("outcome_unknown", Some(500)),
            0..=0,
            1..=1,
        ),
        row(
            "provision 502",
            p,
            json!({"kind": "status", "status": 502}),
            E("outcome_unknown", Some(502)),
            0..=0,
            1..=1,
        ),
        row(
            "provision 503",
            p,
            json!({"kind": "status", "status": 503}),
            E("outcome_unknown", Some(503)),
            0..=0,
            1..=1,
        ),
        row(
            "provision 504",
            p,
            json!({"kind": "status", "status": 504}),
            E("outcome_unknown", Some(504)),
            0..=0,
            1..=1,
        ),
        row(
            "provision 503 Retry-After once",
            p,
            json!({"kind": "status", "status": 503, "retry_after": 1}),
            K(2),
            0..=0,
            2..=2,
        ),
        row(
            "provision 429 Retry-After once",
            p,
            json!({"kind": "status", "status": 429, "retry_after": 1}),
            K(2),
            0..=0,
            2..=2,
        ),
        row(
            "provision 429 once",
            p,
            json!({"kind": "status", "status": 429}),
            K(2),
            0..=0,
            2..=2,
        ),
        row(
            "provision 429 Retry-After always",
            p,
            json!({"kind": "status", "status": 429, "retry_after": 1, "count": 0}),
            E("sandbox_fault", Some(429)),
            0..=0,
            3..=3,
        ),
        row(
            "provision html 502",
            p,
            json!({"kind": "html", "status": 502}),
            E("outcome_unknown", Some(502)),
            0..=0,
            1..=1,
        ),
        row(
            "provision html 404",
            p,
            json!({"kind": "html", "status": 404}),
            E("invalid_response", Some(404)),
            0..=0,
            1..=1,
        ),
        row(
            "provision refuse_token once",
            p,
            json!({"kind": "refuse_token"}),
            K(2),
            1..=1,
            2..=2,
        ),
        row(
            "provision refuse_token twice",
            p,
            json!({"kind": "refuse_token", "count": 2}),
            E("invalid_token", Some(403)),
            1..=1,
            2..=2,
        ),
        row(
            "provision delay",
            p,
            json!({"kind": "delay", "delay_ms": 200}),
            K(1),
            0..=0,
            1..=1,
        ),
        with_timeout(
            row(
                "provision slow_headers",
                p,
                json!({"kind": "slow_headers", "delay_ms": 1000}),
                E("outcome_unknown", None),
                0..=0,
                1..=1,
            ),
            2500,
        ),
        with_timeout(
            row(
                "provision slow_body",
                p,
                json!({"kind": "slow_body", "delay_ms": 1000}),
                E("outcome_unknown", None),
                0..=0,
                1..=1,
            ),
            2500,
        ),
        row(
            "provision reset",
            p,
            json!({"kind": "reset"}),
            E("outcome_unknown", None),
            0..=0,
            1..=1,
        ),
        row(
            "provision close",
            p,
            json!({"kind": "close"}),
            E("outcome_unknown", None),
            0..=0,
            1..=1,
        ),
        row(
            "provision invalid_json",
            p,
            json!({"kind": "invalid_json"}),
            E("invalid_response", Some(200)),
            0..=0,
            1..=1,
        ),
        row(
            "provision truncated_json",
            p,
            json!({"kind": "truncated_json"}),
            E("invalid_response", Some(200)),
            0..=0,
            1..=1,
        ),
        row(
            "provision oversized",
            p,
            json!({"kind": "oversized"}),
            E("response_too_large", None),
            0..=0,
            1..=1,
        ),
        // Status (GET): safe to repeat on 429, 502, 503, 504 and broken connections.
        row(
            "status 500",
            s,
            json!({"kind": "status", "status": 500}),
            E("sandbox_fault", Some(500)),
            0..=0,
            1..=1,
        ),
        row(
            "status 502 once",
            s,
            json!({"kind": "status", "status": 502}),
            K(2),
            0..=0,
            2..=2,
        ),
        row(
            "status 503 always",
            s,
            json!({"kind": "status", "status": 503, "count": 0}),
            E("sandbox_fault", Some(503)),
            0..=0,
            3..=3,
        ),
        row(
            "status html 502 always",
            s,
            json!({"kind": "html", "status": 502, "count": 0}),
            E("invalid_response", Some(502)),
            0..=0,
            3..=3,
        ),
        row(
            "status refuse_token once",
            s,
            json!({"kind": "refuse_token"}),
            K(2),
            1..=1,
            2..=2,
        ),
        row(
            "status reset once",
            s,
            json!({"kind": "reset"}),
            K(2),
            0..=0,
            2..=2,
        ),
        row(
            "status close once",
            s,
            json!({"kind": "close"}),
            K(2),
            0..=0,
            2..=2,
        ),
        row(
            "status reset always",
            s,
            json!({"kind": "reset", "count": 0}),
            E("transport_error", None),
            0..=0,
            3..=3,
        ),
        with_timeout(
            row(
                "status slow_body",
                s,
                json!({"kind": "slow_body", "delay_ms": 1000, "count": 0}),
                E("timeout", None),
                0..=0,
                1..=2,
            ),
            2500,
        ),
        row(
            "status invalid_json",
            s,
            json!({"kind": "invalid_json"}),
            E("invalid_response", Some(200)),
            0..=0,
            1..=1,
        ),
        row(
            "status oversized",
            s,
            json!({"kind": "oversized"}),
            E("response_too_large", None),
            0..=0,
            1..=1,
        ),
    ]
}

/// Every string in the sandbox's journal that looks like one of its tokens (64 letters and digits).
fn issued_tokens(journal: &std::path::Path) -> Vec<String> {
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s) if s.len() == 64 && s.bytes().all(|b| b.is_ascii_alphanumeric()) => {
                out.push(s.clone())
            }
            Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
            Value::Object(map) => map.values().for_each(|i| walk(i, out)),
            _ => {}
        }
    }
    let text = std::fs::read_to_string(journal).expect("the sandbox journal");
    let mut out = Vec::new();
    for line in text.lines() {
        if let Ok(v) = serde_json::from_str::<Value>(line) {
            walk(&v, &mut out);
        }
    }
    out.sort();
    out.dedup();
    out
}

fn describe_error(e: &Error) -> String {
    format!(
        "{e}\n{e:?}\n{}\n{}",
        e.message(),
        e.body().map(Value::to_string).unwrap_or_default()
    )
}

fn describe_reply(r: &Reply) -> String {
    format!("{r:?}")
}

#[test]
fn fault_matrix_codes_attempts_and_no_secret_anywhere() {
    let dir = TempDir::new("secrets");
    let journal = dir.path().join("state.jsonl");
    let sb = Sandbox::start(Config {
        partners: vec![(PARTNER_ID.into(), SECRET.into())],
        state: Some(journal.clone()),
        ..Default::default()
    })
    .expect("sandbox");
    let url = sb.url().to_string();
    let mut texts: Vec<String> = Vec::new();
    let mut mismatches: Vec<String> = Vec::new();
    for (i, r) in rows().into_iter().enumerate() {
        clear_faults(&url);
        // Clients with the same settings share their token within the process: a connect time limit
        // of its own gives each row's client its own token, so that token faults reach the server.
        let mut row_config = config(&url, r.timeout_ms);
        row_config.connect_timeout = Duration::from_millis(5_000 + i as u64);
        let client = Client::new(row_config).expect("config");
        let site = format!("https://matrix-{i}.example");
        if r.endpoint != "token" {
            // The token and the site exist before the fault.
            client
                .provision("admin", &site, Some("premium"), &Options::new())
                .expect("warm-up provision");
        }
        reset_stats(&url);
        let mut rule = r.rule.clone();
        rule["endpoint"] = json!(r.endpoint);
        fault(&url, rule);
        let started = Instant::now();
        let outcome = match r.op {
            Op::Provision => client.provision("admin", &site, Some("premium"), &Options::new()),
            Op::Status => client.status(&site),
        };
        let elapsed = started.elapsed();
        clear_faults(&url);
        let token_seen = count(&url, "token");
        let op_seen = count(
            &url,
            if r.op == Op::Status {
                "status"
            } else {
                "provision"
            },
        );
        let got = match &outcome {
            Ok(reply) => {
                texts.push(describe_reply(reply));
                format!("ok attempts={}", reply.attempts)
            }
            Err(e) => {
                texts.push(describe_error(e));
                format!(
                    "err {} http={:?} attempts={} ({})",
                    e.code(),
                    e.http_status(),
                    e.attempts(),
                    e.message()
                )
            }
        };
        texts.push(format!("{client:?} {:?}", client.config()));
        let matches = match (&r.expect, &outcome) {
            (Expect::Ok(n), Ok(reply)) => reply.attempts == *n && reply.http_status == 200,
            (Expect::Err(code, http), Err(e)) => e.code() == *code && e.http_status() == *http,
            _ => false,
        };
        let mut problems = Vec::new();
        if !matches {
            problems.push(format!("expected {:?}", r.expect));
        }
        if !r.token_requests.contains(&token_seen) {
            problems.push(format!(
                "token requests {token_seen}, expected {:?}",
                r.token_requests
            ));
        }
        if !r.op_requests.contains(&op_seen) {
            problems.push(format!(
                "{} requests {op_seen}, expected {:?}",
                r.endpoint, r.op_requests
            ));
        }
        if let Err(e) = &outcome {
            // The attempts the client reports are the operation requests the sandbox saw.
            if r.endpoint != "token" && u64::from(e.attempts()) != op_seen {
                problems.push(format!(
                    "client reports {} attempts, sandbox saw {op_seen}",
                    e.attempts()
                ));
            }
            if e.code() == "outcome_unknown" && !e.message().contains("check the site's status") {
                problems.push("outcome_unknown without the advice to check the status".into());
            }
        }
        if let Some(ms) = r.timeout_ms {
            // Returned within the overall limit plus a generous margin (a loaded machine).
            if elapsed > Duration::from_millis(ms) + Duration::from_secs(3) {
                problems.push(format!("took {elapsed:?} with a limit of {ms} ms"));
            }
        }
        if !problems.is_empty() {
            mismatches.push(format!("{}: got {got}; {}", r.name, problems.join("; ")));
        }
    }
    // Connection refused: the port of a sandbox that was stopped.
    let refused_url = {
        let gone = Sandbox::start(Config::default()).expect("sandbox");
        gone.url().to_string()
    };
    let client = Client::new(config(&refused_url, None)).unwrap();
    match client.provision("admin", "https://refused.example", None, &Options::new()) {
        Ok(r) => mismatches.push(format!("connection refused: succeeded {r:?}")),
        Err(e) => {
            texts.push(describe_error(&e));
            if e.code() != "transport_error" || !e.message().contains("nothing was sent") {
                mismatches.push(format!(
                    "connection refused: got {} ({})",
                    e.code(),
                    e.message()
                ));
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "fault matrix:\n{}",
        mismatches.join("\n")
    );

    // One more token, fetched here, shows that the journal's tokens are found.
    let mine = ureq::post(format!("{url}/oauth2/token"))
        .send_form([
            ("grant_type", "client_credentials"),
            ("client_id", PARTNER_ID),
            ("client_secret", SECRET),
            ("scope", "jetpack-partner"),
        ])
        .expect("token request")
        .body_mut()
        .read_to_string()
        .expect("token reply");
    let mine: Value = serde_json::from_str(&mine).expect("token reply JSON");
    let mine = mine["access_token"].as_str().expect("a token").to_string();
    let tokens = issued_tokens(&journal);
    assert!(
        tokens.contains(&mine),
        "the journal lists the issued tokens"
    );
    assert!(tokens.len() > 40, "{} tokens", tokens.len());
    let lines = log_lines().lock().unwrap().clone();
    assert!(
        lines.len() > 100,
        "the clients logged {} lines",
        lines.len()
    );
    texts.extend(lines);
    for text in &texts {
        assert!(!text.contains(SECRET), "the partner secret leaked: {text}");
        for token in &tokens {
            assert!(!text.contains(token.as_str()), "a token leaked: {text}");
        }
        assert!(!text.contains("Bearer "), "{text}");
    }
    drop(stats(&url));
}

/// The server goes away after the token was obtained: a provision whose connection is refused never
/// reached it, so it is repeated up to `max_attempts`, then `transport_error` saying nothing was sent.
#[test]
fn provision_refused_connection_is_retried_then_transport_error() {
    let sb = Sandbox::start(Config {
        partners: vec![(PARTNER_ID.into(), SECRET.into())],
        ..Default::default()
    })
    .expect("sandbox");
    let url = sb.url().to_string();
    let client = Client::new(config(&url, None)).unwrap();
    client
        .provision("admin", "https://before.example", None, &Options::new())
        .expect("provision while the server runs");
    drop(sb);
    // Wait until the port refuses connections.
    let addr = url.trim_start_matches("http://").to_string();
    let until = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(&addr).is_ok() && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(20));
    }
    let err = client
        .provision("admin", "https://after.example", None, &Options::new())
        .expect_err("nothing listens");
    let text = describe_error(&err);
    assert!(!text.contains(SECRET), "{text}");
    assert_eq!(err.code(), "transport_error", "{err:?}");
    assert!(
        err.message().contains("nothing was sent"),
        "{}",
        err.message()
    );
    assert_eq!(err.attempts(), 3, "{err:?}");
}

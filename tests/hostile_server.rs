//! The transport against a hostile server, over plain HTTP and over TLS (a CA made at test time).
//! One row per case; each row, on each transport, runs three calls on one client:
//! `GET /ok/first` (fetches the token and leaves a kept connection), `GET /case` (the hostile
//! reply), `GET /ok/next`. It asserts the case's outcome (error code or reply), the time it took
//! against the limit that applies, that `/ok/next` got its own reply (never bytes left over from
//! the case), that the token went nowhere but the API origin, and that no request asked for a
//! compressed reply.
//!
//! Where ureq is lenient but safe, the row pins what the library guarantees:
//! - a chunk size written with a leading `+` is read as the number (ureq parses chunk sizes with
//!   Rust's integer parser); the reply is framed consistently and the next call gets its own reply;
//! - a 204 or 304 reply carrying a body: the reply is read without a body, and the connection
//!   (which still holds the stray bytes) is closed, never used again.

mod hostile;
mod support;

use std::time::{Duration, Instant};

use hostile::{json_reply, Act, HostileServer, Opening, Witness, TOKEN};
use jetpack_partner_core::{ApiRequest, Backoff, Client, ClientConfig};
use support::{TempDir, TestCa, LOOPBACK};

const SECRET: &str = "hostile-test-partner-secret-5d0c";
const TIMEOUT: Duration = Duration::from_secs(3);
const CONNECT_TIMEOUT: Duration = Duration::from_millis(1500);
/// Scheduling slack on a loaded 2-core machine.
const SLACK: Duration = Duration::from_millis(1500);

/// What the `/case` call must give.
#[derive(Clone, Copy, Debug)]
enum Expect {
    /// A reply whose body has `"ok": "case"`.
    Reply,
    /// A reply with this HTTP status whose body is not JSON (so: `invalid_response`).
    Error(&'static str),
}

/// How long the `/case` call may take.
#[derive(Clone, Copy, Debug)]
enum Took {
    /// Well under the time limits (no waiting on the server).
    Quick,
    /// About the connect time limit.
    ConnectLimit,
    /// About the overall time limit.
    OverallLimit,
}

struct Row {
    name: &'static str,
    act: fn(&Witness) -> Act,
    opening: Opening,
    expect: Expect,
    took: Took,
    /// `max_response_bytes` of the client (default 1 MiB).
    max_response_bytes: u64,
    /// Only over TLS (the case has no plain-HTTP counterpart).
    tls_only: bool,
}

const CASE_JSON: &str = r#"{"ok":"case"}"#;
const MIB: u64 = 1 << 20;

fn raw(text: &str) -> Vec<u8> {
    text.as_bytes().to_vec()
}

fn with_head(head: &str, body: &str) -> Vec<u8> {
    format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{head}\r\n{body}").into_bytes()
}

fn case_reply() -> Vec<u8> {
    json_reply(CASE_JSON, false)
}

/// A reply whose head and body are exactly `total` bytes, then a second, smuggled reply in the
/// same write (one TLS record over TLS).
fn exact_reply_then_smuggled(total: usize) -> Vec<u8> {
    let head = |len: usize| {
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len:05}\r\n\r\n"
        )
    };
    let prefix = r#"{"ok":"case","pad":""#;
    let suffix = r#""}"#;
    let head_len = head(0).len();
    let pad = total - head_len - prefix.len() - suffix.len();
    let body = format!("{prefix}{}{suffix}", "p".repeat(pad));
    let mut bytes = head(body.len()).into_bytes();
    bytes.extend_from_slice(body.as_bytes());
    assert_eq!(bytes.len(), total);
    bytes.extend_from_slice(&json_reply(r#"{"ok":"next"}"#, false));
    bytes
}

fn rows() -> Vec<Row> {
    let row = |name, act, expect, took| Row {
        name,
        act,
        opening: Opening::Normal,
        expect,
        took,
        max_response_bytes: MIB,
        tls_only: false,
    };
    use Expect::*;
    use Took::*;
    let bad = Error("invalid_response");
    vec![
        row(
            "well-formed reply",
            |_| Act::Send(case_reply()),
            Reply,
            Quick,
        ),
        row(
            "Content-Length and Transfer-Encoding together",
            |_| {
                Act::Send(with_head(
                    "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n",
                    &format!("{:x}\r\n{CASE_JSON}\r\n0\r\n\r\n", CASE_JSON.len()),
                ))
            },
            bad,
            Quick,
        ),
        row(
            "Content-Length 13, 13 (one value, repeated)",
            |_| Act::Send(with_head("Content-Length: 13, 13\r\n", CASE_JSON)),
            Reply,
            Quick,
        ),
        row(
            "Content-Length twice, the same",
            |_| {
                Act::Send(with_head(
                    "Content-Length: 13\r\nContent-Length: 13\r\n",
                    CASE_JSON,
                ))
            },
            Reply,
            Quick,
        ),
        row(
            "Content-Length twice, different",
            |_| {
                Act::Send(with_head(
                    "Content-Length: 13\r\nContent-Length: 14\r\n",
                    CASE_JSON,
                ))
            },
            bad,
            Quick,
        ),
        row(
            "Content-Length with a sign",
            |_| Act::Send(with_head("Content-Length: +13\r\n", CASE_JSON)),
            bad,
            Quick,
        ),
        row(
            "Content-Length after a no-break space",
            |_| {
                let mut bytes = raw("HTTP/1.1 200 OK\r\nContent-Length: \u{a0}13\r\n\r\n");
                bytes.extend_from_slice(CASE_JSON.as_bytes());
                Act::Send(bytes)
            },
            bad,
            Quick,
        ),
        row(
            "Content-Length not digits",
            |_| Act::Send(with_head("Content-Length: 13abc\r\n", CASE_JSON)),
            bad,
            Quick,
        ),
        row(
            "Content-Length past 64 bits",
            |_| {
                Act::Send(with_head(
                    "Content-Length: 99999999999999999999999\r\n",
                    CASE_JSON,
                ))
            },
            bad,
            Quick,
        ),
        Row {
            max_response_bytes: 1 << 30,
            ..row(
                "10 bytes announcing 512 MiB, cap 1 GiB",
                |_| Act::SendThenClose(with_head("Content-Length: 536870912\r\n", "0123456789")),
                Error("transport_error"),
                Quick,
            )
        },
        row(
            "chunk size not hexadecimal",
            |_| {
                Act::Send(with_head(
                    "Transfer-Encoding: chunked\r\n",
                    &format!("zz\r\n{CASE_JSON}\r\n0\r\n\r\n"),
                ))
            },
            bad,
            Quick,
        ),
        row(
            "chunk size past 64 bits",
            |_| {
                Act::Send(with_head(
                    "Transfer-Encoding: chunked\r\n",
                    &format!("fffffffffffffffff\r\n{CASE_JSON}\r\n0\r\n\r\n"),
                ))
            },
            bad,
            Quick,
        ),
        row(
            "chunk size with a sign (accepted, framed consistently)",
            |_| {
                Act::Send(with_head(
                    "Transfer-Encoding: chunked\r\n",
                    &format!("+{:x}\r\n{CASE_JSON}\r\n0\r\n\r\n", CASE_JSON.len()),
                ))
            },
            Reply,
            Quick,
        ),
        row(
            "chunked reply",
            |_| {
                Act::Send(with_head(
                    "Transfer-Encoding: chunked\r\n",
                    &format!(
                        "5\r\n{}\r\n8\r\n{}\r\n0\r\n\r\n",
                        &CASE_JSON[..5],
                        &CASE_JSON[5..]
                    ),
                ))
            },
            Reply,
            Quick,
        ),
        row(
            "extra bytes after the reply, same write",
            |_| {
                let mut bytes = case_reply();
                bytes.extend_from_slice(&json_reply(r#"{"ok":"next"}"#, false));
                Act::Send(bytes)
            },
            Reply,
            Quick,
        ),
        row(
            "reply of exactly 8 KiB then a second reply, same write (same TLS record)",
            |_| Act::Send(exact_reply_then_smuggled(8 * 1024)),
            Reply,
            Quick,
        ),
        row(
            "100 Continue before the reply",
            |_| {
                let mut bytes = raw("HTTP/1.1 100 Continue\r\n\r\n");
                bytes.extend_from_slice(&case_reply());
                Act::Send(bytes)
            },
            Reply,
            Quick,
        ),
        row(
            "103 Early Hints before the reply",
            |_| {
                let mut bytes = raw("HTTP/1.1 103 Early Hints\r\nLink: </a>; rel=preload\r\n\r\n");
                bytes.extend_from_slice(&case_reply());
                Act::Send(bytes)
            },
            Reply,
            Quick,
        ),
        row(
            "204 with a body",
            |_| {
                Act::Send(raw(
                    "HTTP/1.1 204 No Content\r\nContent-Length: 13\r\n\r\n{\"ok\":\"next\"}",
                ))
            },
            bad,
            Quick,
        ),
        row(
            "304 with a body",
            |_| {
                Act::Send(raw(
                    "HTTP/1.1 304 Not Modified\r\nContent-Length: 13\r\n\r\n{\"ok\":\"next\"}",
                ))
            },
            bad,
            Quick,
        ),
        row(
            "close-delimited reply",
            |_| Act::SendThenClose(with_head("Connection: close\r\n", CASE_JSON)),
            Reply,
            Quick,
        ),
        row(
            "status line not HTTP",
            |_| {
                Act::Send(raw(
                    "HELLO 200 OK\r\nContent-Length: 13\r\n\r\n{\"ok\":\"case\"}",
                ))
            },
            bad,
            Quick,
        ),
        row(
            "status code of four digits",
            |_| {
                Act::Send(raw(
                    "HTTP/1.1 2000 OK\r\nContent-Length: 13\r\n\r\n{\"ok\":\"case\"}",
                ))
            },
            bad,
            Quick,
        ),
        row(
            "reply a byte at a time, within the limit",
            |_| Act::Trickle(case_reply(), Duration::from_millis(5)),
            Reply,
            Quick,
        ),
        row(
            "reply a byte at a time, past the overall limit",
            |_| Act::Trickle(case_reply(), Duration::from_millis(100)),
            Error("timeout"),
            OverallLimit,
        ),
        row(
            "server never answers",
            |_| Act::Silence,
            Error("timeout"),
            OverallLimit,
        ),
        Row {
            opening: Opening::StallSecond,
            tls_only: true,
            ..row(
                "TLS handshake never completes",
                |_| Act::Silence,
                Error("timeout"),
                ConnectLimit,
            )
        },
        row(
            "reset in the middle of the body",
            |_| Act::SendThenReset(with_head("Content-Length: 100\r\n", r#"{"ok":"ca"#)),
            Error("transport_error"),
            Quick,
        ),
        row(
            "closed in the middle of the body",
            |_| Act::SendThenClose(with_head("Content-Length: 100\r\n", r#"{"ok":"ca"#)),
            Error("transport_error"),
            Quick,
        ),
        row(
            "302 to another host",
            |w| {
                Act::Send(raw(&format!(
                    "HTTP/1.1 302 Found\r\nLocation: {}/steal\r\nContent-Length: 0\r\n\r\n",
                    w.url()
                )))
            },
            bad,
            Quick,
        ),
        row(
            "307 to another host",
            |w| {
                Act::Send(raw(&format!(
                    "HTTP/1.1 307 Temporary Redirect\r\nLocation: {}/steal\r\nContent-Length: 2\r\n\r\n{{}}",
                    w.url()
                )))
            },
            bad,
            Quick,
        ),
        row(
            "100 MB body",
            |_| Act::Endless(raw("HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\n")),
            Error("response_too_large"),
            Quick,
        ),
    ]
}

fn client(url: &str, bundle: Option<&std::path::Path>, max_response_bytes: u64) -> Client {
    let mut config = ClientConfig::new("4242", SECRET);
    config.api_base = url.to_string();
    config.timeout = TIMEOUT;
    config.connect_timeout = CONNECT_TIMEOUT;
    config.max_attempts = 1;
    config.max_response_bytes = max_response_bytes;
    config.ca_bundle = bundle.map(|p| p.to_path_buf());
    config.backoff = Backoff {
        base: Duration::from_millis(1),
        max: Duration::from_millis(1),
        retry_after_max: Duration::from_millis(1),
    };
    Client::new(config).expect("valid config")
}

fn get(client: &Client, path: &str) -> Result<serde_json::Value, jetpack_partner_core::Error> {
    client
        .request(&ApiRequest::new("GET", path))
        .map(|r| r.body)
}

/// Runs one row on one transport; returns the failures found (empty: the row passed).
fn run_row(row: &Row, tls: Option<(&TestCa, &std::path::Path)>) -> Vec<String> {
    let transport = if tls.is_some() { "TLS" } else { "plain" };
    let mut failures = Vec::new();
    let mut fail = |what: String| failures.push(format!("[{transport}] {}: {what}", row.name));
    let witness = Witness::start();
    let identity = tls.map(|(ca, _)| ca.issue(&["localhost"], &[LOOPBACK]));
    let server = HostileServer::start((row.act)(&witness), row.opening, identity);
    let client = client(&server.url(), tls.map(|(_, b)| b), row.max_response_bytes);

    match get(&client, "/ok/first") {
        Ok(body) if body == serde_json::json!({"ok": "first"}) => {}
        other => fail(format!("the warm-up call gave {other:?}")),
    }

    let started = Instant::now();
    let outcome = get(&client, "/case");
    let took = started.elapsed();
    match (row.expect, &outcome) {
        (Expect::Reply, Ok(body)) if body["ok"] == "case" => {}
        (Expect::Error(code), Err(e)) if e.code() == code => {
            if e.message().contains(TOKEN) || e.message().contains(SECRET) {
                fail(format!("the error message shows a secret: {}", e.message()));
            }
        }
        (expect, outcome) => {
            let mut shown = format!("{outcome:?}");
            shown.truncate(300);
            fail(format!("expected {expect:?}, got {shown}"))
        }
    }
    let (low, high) = match row.took {
        Took::Quick => (Duration::ZERO, SLACK),
        Took::ConnectLimit => (CONNECT_TIMEOUT, CONNECT_TIMEOUT + SLACK),
        Took::OverallLimit => (
            TIMEOUT.saturating_sub(Duration::from_millis(50)),
            TIMEOUT + SLACK,
        ),
    };
    if took < low || took > high {
        fail(format!(
            "took {took:?}, expected between {low:?} and {high:?}"
        ));
    }

    match get(&client, "/ok/next") {
        Ok(body) if body == serde_json::json!({"ok": "next"}) => {}
        other => fail(format!(
            "the next call did not get its own reply: {other:?}"
        )),
    }

    if witness
        .connections
        .load(std::sync::atomic::Ordering::SeqCst)
        != 0
    {
        fail("a connection reached the other origin".into());
    }
    for head in server.seen.heads() {
        let lower = head.to_ascii_lowercase();
        if lower.contains("accept-encoding") {
            fail(format!("a request asked for a compressed reply: {head}"));
        }
        let bearer = head.lines().find_map(|l| {
            l.strip_prefix("Authorization: ")
                .or(l.strip_prefix("authorization: "))
        });
        let is_token_request = head.starts_with("POST /oauth2/token ");
        match bearer {
            Some(value) if value == format!("Bearer {TOKEN}") && !is_token_request => {}
            None if is_token_request => {}
            other => fail(format!("unexpected Authorization {other:?} in {head}")),
        }
    }
    failures
}

/// Runs every row on one transport, a few at a time (most rows wait on nothing; the slow ones
/// wait on their own time limits).
fn run_table(tls: bool) {
    let ca = TestCa::new("hostile-server-test-ca");
    let dir = TempDir::new("hostile");
    let bundle = ca.write_bundle(dir.path());
    let rows: Vec<Row> = rows().into_iter().filter(|r| tls || !r.tls_only).collect();
    let failures: Vec<String> = std::thread::scope(|scope| {
        rows.chunks(4)
            .flat_map(|chunk| {
                let handles: Vec<_> = chunk
                    .iter()
                    .map(|row| {
                        let tls = tls.then_some((&ca, bundle.as_path()));
                        scope.spawn(move || run_row(row, tls))
                    })
                    .collect();
                handles
                    .into_iter()
                    .flat_map(|h| h.join().expect("row thread"))
                    .collect::<Vec<_>>()
            })
            .collect()
    });
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn hostile_server_over_plain_http() {
    run_table(false);
}

#[test]
fn hostile_server_over_tls() {
    run_table(true);
}

/// Peak resident memory of this process, from /proc (Linux).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// A reply announcing 512 MiB and sending 10 bytes costs memory for what arrived, not for what was
/// announced, even when the cap would allow 512 MiB.
#[test]
fn announced_length_is_not_allocated() {
    let witness = Witness::start();
    let server = HostileServer::start(
        Act::SendThenClose(with_head("Content-Length: 536870912\r\n", "0123456789")),
        Opening::Normal,
        None,
    );
    let _ = &witness;
    let client = client(&server.url(), None, 1 << 30);
    get(&client, "/ok/first").expect("warm-up");
    let before = peak_rss_kib().expect("VmHWM in /proc/self/status");
    let err = get(&client, "/case").unwrap_err();
    assert_eq!(err.code(), "transport_error", "{err:?}");
    let after = peak_rss_kib().unwrap();
    assert!(
        after.saturating_sub(before) < 128 * 1024,
        "peak memory grew by {} KiB",
        after - before
    );
}

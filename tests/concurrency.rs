//! One client shared by 8 threads, 2,000 provisions each, against the in-process sandbox (state in
//! memory): every call succeeds at the first attempt, and the partner token is asked for once in
//! total.

mod common;

use std::sync::Arc;
use std::time::Instant;

use common::*;
use jetpack_partner_core::{Client, Options};

const THREADS: usize = 8;
const PER_THREAD: usize = 2_000;

#[test]
fn eight_threads_two_thousand_provisions_each_one_token() {
    let sb = start();
    let url = sb.url().to_string();
    let client: Arc<Client> = Arc::new(client(&url));
    let started = Instant::now();
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let client = client.clone();
            std::thread::spawn(move || {
                let options = Options::new();
                let mut failures = Vec::new();
                for i in 0..PER_THREAD {
                    let site = format!("https://t{t}-s{i}.example");
                    match client.provision("admin", &site, Some("premium"), &options) {
                        Ok(reply) => {
                            if reply.http_status != 200
                                || reply.attempts != 1
                                || reply.body["success"] != true
                            {
                                failures.push(format!("{site}: {reply:?}"));
                            }
                        }
                        Err(e) => failures.push(format!("{site}: {e}")),
                    }
                }
                failures
            })
        })
        .collect();
    let failures: Vec<String> = workers
        .into_iter()
        .flat_map(|w| w.join().expect("a worker panicked"))
        .collect();
    let elapsed = started.elapsed();
    eprintln!(
        "{} provisions on {THREADS} threads in {:.1} s",
        THREADS * PER_THREAD,
        elapsed.as_secs_f64()
    );
    assert!(
        failures.is_empty(),
        "{} failures, first: {:?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
    assert_eq!(count(&url, "token"), 1, "{}", stats(&url));
    assert_eq!(
        count(&url, "provision"),
        (THREADS * PER_THREAD) as u64,
        "{}",
        stats(&url)
    );
    assert_eq!(total(&url), (THREADS * PER_THREAD + 1) as u64);
    // Every site exists once, with the plan.
    let status = client.status("t7-s1999.example").expect("status");
    assert_eq!(status.http_status, 200);
}

/// The shared token is revoked while 8 threads use it: each refused call is repeated once with a
/// fresh token, and the threads share one new token (two token requests in total).
#[test]
fn token_revoked_under_load_is_replaced_once_for_all_threads() {
    const PER: usize = 200;
    let sb = start();
    let url = sb.url().to_string();
    let client: Arc<Client> = Arc::new(client(&url));
    // Get the first token, then revoke it at the next provision.
    client
        .provision("admin", "https://warm-up.example", None, &Options::new())
        .expect("warm-up");
    fault(
        &url,
        serde_json::json!({"endpoint": "provision", "kind": "refuse_token"}),
    );
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let client = client.clone();
            std::thread::spawn(move || {
                let mut attempts = 0;
                for i in 0..PER {
                    let site = format!("https://r{t}-s{i}.example");
                    let reply = client
                        .provision("admin", &site, None, &Options::new())
                        .unwrap_or_else(|e| panic!("{site}: {e}"));
                    attempts += reply.attempts as usize;
                }
                attempts
            })
        })
        .collect();
    let attempts: usize = workers.into_iter().map(|w| w.join().unwrap()).sum();
    let repeated = attempts - THREADS * PER;
    // At least the refused call was repeated; at most one call per thread used the revoked token.
    assert!(
        (1..=THREADS).contains(&repeated),
        "{repeated} repeated calls"
    );
    assert_eq!(count(&url, "token"), 2, "{}", stats(&url));
    assert_eq!(
        count(&url, "provision"),
        (1 + THREADS * PER + repeated) as u64
    );
}

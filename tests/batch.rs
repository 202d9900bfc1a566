//! Batches against the in-process sandbox: a thousand items with injected faults, each provisioned
//! exactly once on the server; journal re-runs; pushback; bad items kept off the network.

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use common::{fault, processed, start};
use jetpack_partner_core::batch::{BatchItem, BatchOptions, Outcome, Summary};
use jetpack_partner_core::{Client, Options};
use serde_json::json;

fn temp_journal(tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("jp-batch-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("journal.jsonl")
}

/// Site `i` of a test: the marker picks the faults that hit it.
fn site(i: usize) -> String {
    let marker = match i % 50 {
        7 => "reset",
        13 => "close",
        21 => "trunc",
        _ => "plain",
    };
    format!("https://{marker}-{i}.example/")
}

fn items(n: usize) -> Vec<BatchItem> {
    (0..n)
        .map(|i| {
            let plan = if i % 3 == 0 {
                "jetpack-backup-daily"
            } else {
                "premium"
            };
            BatchItem::provision(
                Some(&format!("order-{i}")),
                "admin",
                &site(i),
                Some(plan),
                Options::new(),
            )
        })
        .collect()
}

fn run(
    client: &Client,
    items: Vec<BatchItem>,
    options: &BatchOptions,
) -> (Summary, HashMap<String, Outcome>) {
    let mut summary = Summary::default();
    let mut outcomes = HashMap::new();
    for result in client.run_batch(items, options).expect("batch starts") {
        summary.add(result.outcome);
        assert!(
            outcomes
                .insert(result.key.clone(), result.outcome)
                .is_none(),
            "two results for {}",
            result.key
        );
    }
    (summary, outcomes)
}

/// Successful provisions the sandbox processed, per site.
fn successes_per_site(url: &str) -> HashMap<String, usize> {
    let mut per_site = HashMap::new();
    for (site, _, status) in processed(url, "provision") {
        if status == 200 {
            *per_site.entry(site).or_insert(0) += 1;
        }
    }
    per_site
}

#[test]
fn a_thousand_items_with_faults_are_each_provisioned_once_and_a_rerun_sends_nothing() {
    let sandbox = start();
    let url = sandbox.url();
    let client = common::client(url);
    // Processed, then the reply is lost: the status check must see them in place.
    fault(
        url,
        json!({"endpoint": "provision", "site": "reset-", "kind": "reset", "count": 0}),
    );
    fault(
        url,
        json!({"endpoint": "provision", "site": "trunc-", "kind": "truncated_json", "count": 0}),
    );
    // Not processed, no reply: the status shows nothing, so they are sent again.
    for i in (0..1000).filter(|i| i % 50 == 13) {
        fault(
            url,
            json!({"endpoint": "provision", "site": format!("close-{i}."), "kind": "close"}),
        );
    }
    // A burst of pushback.
    fault(
        url,
        json!({"endpoint": "provision", "kind": "status", "status": 429, "retry_after": 1, "count": 25}),
    );
    let journal = temp_journal("thousand");
    let options = BatchOptions {
        concurrency: 16,
        journal: Some(journal.clone()),
    };
    let (summary, outcomes) = run(&client, items(1000), &options);
    assert_eq!(summary.total(), 1000);
    assert!(summary.all_succeeded(), "{summary:?}");
    for i in (0..1000).filter(|i| i % 50 == 7 || i % 50 == 21) {
        assert_eq!(
            outcomes[&format!("order-{i}")],
            Outcome::Confirmed,
            "item {i}"
        );
    }
    assert_eq!(summary.confirmed, 40);
    assert_eq!(summary.done, 960);
    let per_site = successes_per_site(url);
    assert_eq!(per_site.len(), 1000);
    for i in 0..1000 {
        assert_eq!(per_site.get(&site(i)), Some(&1), "site {}", site(i));
    }

    // The same input and journal again: everything is already done, nothing is sent.
    let before = processed(url, "provision").len();
    let (summary, _) = run(&client, items(1000), &options);
    assert_eq!(summary.already_done, 1000, "{summary:?}");
    assert_eq!(processed(url, "provision").len(), before);
}

#[test]
fn an_item_started_without_an_outcome_is_checked_before_being_sent_again() {
    let sandbox = start();
    let url = sandbox.url();
    let client = common::client(url);
    let journal = temp_journal("started");
    // A crashed run: both were journaled as started; only the first reached the server.
    let done = BatchItem::provision(
        Some("a"),
        "admin",
        "https://crashed-a.example/",
        Some("premium"),
        Options::new(),
    );
    let lost = BatchItem::provision(
        Some("b"),
        "admin",
        "https://crashed-b.example/",
        Some("premium"),
        Options::new(),
    );
    client
        .provision(
            "admin",
            "https://crashed-a.example/",
            Some("premium"),
            &Options::new(),
        )
        .unwrap();
    let fingerprint = |site: &str| json!({"op": "provision", "site": site, "plan": "premium", "cancel_all": false});
    std::fs::write(
        &journal,
        format!(
            "{}\n{}\n",
            json!({"key": "a", "event": "started", "item": fingerprint("https://crashed-a.example/")}),
            json!({"key": "b", "event": "started", "item": fingerprint("https://crashed-b.example/")})
        ),
    )
    .unwrap();
    let options = BatchOptions {
        concurrency: 4,
        journal: Some(journal.clone()),
    };
    let (summary, outcomes) = run(&client, vec![done, lost], &options);
    assert_eq!(outcomes["a"], Outcome::Confirmed);
    assert_eq!(outcomes["b"], Outcome::Done);
    assert_eq!(summary.total(), 2);
    let per_site = successes_per_site(url);
    assert_eq!(per_site["https://crashed-a.example/"], 1);
    assert_eq!(per_site["https://crashed-b.example/"], 1);
    let text = std::fs::read_to_string(&journal).unwrap();
    assert!(text.contains(r#""key":"a","event":"confirmed""#), "{text}");
}

#[test]
fn bad_items_and_repeated_keys_fail_alone_and_never_reach_the_network() {
    let sandbox = start();
    let url = sandbox.url();
    let client = common::client(url);
    let items = vec![
        BatchItem::provision(
            Some("ok"),
            "admin",
            "https://fine.example/",
            Some("premium"),
            Options::new(),
        ),
        BatchItem::provision(
            Some("bad-url"),
            "admin",
            "not a url",
            Some("premium"),
            Options::new(),
        ),
        BatchItem::provision(
            Some("bad-plan"),
            "admin",
            "https://x.example/",
            Some("pre mium"),
            Options::new(),
        ),
        BatchItem::provision(
            Some("ok"),
            "admin",
            "https://twice.example/",
            Some("premium"),
            Options::new(),
        ),
        BatchItem::cancel(Some("cancel-bad"), "", None, Options::new()),
    ];
    let mut failed = HashMap::new();
    let mut done = 0;
    for result in client.run_batch(items, &BatchOptions::default()).unwrap() {
        match result.outcome {
            Outcome::Failed => {
                failed.insert(result.index, result.error.unwrap());
            }
            Outcome::Done => done += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(done, 1);
    assert_eq!(failed.len(), 4);
    for (index, field) in [(1, "siteurl"), (2, "plan"), (3, "key"), (4, "site")] {
        assert_eq!(failed[&index].code(), "invalid_argument");
        assert!(
            failed[&index].message().starts_with(field),
            "{}",
            failed[&index].message()
        );
    }
    let sites: Vec<String> = processed(url, "provision")
        .into_iter()
        .map(|p| p.0)
        .collect();
    assert_eq!(sites, ["https://fine.example/"]);
    let err = client
        .run_batch(
            Vec::new(),
            &BatchOptions {
                concurrency: 65,
                journal: None,
            },
        )
        .err()
        .unwrap();
    assert!(err.message().starts_with("concurrency"));
}

#[test]
fn a_pushback_pauses_the_whole_batch_as_long_as_the_server_asked() {
    let sandbox = start();
    let url = sandbox.url();
    let mut config = common::config(url);
    config.backoff.retry_after_max = Duration::from_secs(5);
    let client = Client::new(config).unwrap();
    fault(
        url,
        json!({"endpoint": "provision", "kind": "status", "status": 429, "retry_after": 1, "count": 1}),
    );
    let items: Vec<BatchItem> = (0..40)
        .map(|i| {
            BatchItem::provision(
                None,
                "admin",
                &format!("https://pace-{i}.example/"),
                Some("premium"),
                Options::new(),
            )
        })
        .collect();
    let started = Instant::now();
    let mut run = client
        .run_batch(
            items,
            &BatchOptions {
                concurrency: 8,
                journal: None,
            },
        )
        .unwrap();
    let mut summary = Summary::default();
    let mut lowest_limit = usize::MAX;
    while let Some(result) = run.next() {
        summary.add(result.outcome);
        lowest_limit = lowest_limit.min(run.concurrency_limit());
    }
    // Halved once for the burst, then allowed back up by the successes.
    assert!(lowest_limit < 8, "{lowest_limit}");
    assert!(summary.all_succeeded(), "{summary:?}");
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(successes_per_site(url).len(), 40);
}

#[test]
fn cancels_run_through_the_same_machinery() {
    let sandbox = start();
    let url = sandbox.url();
    let client = common::client(url);
    for i in 0..20 {
        client
            .provision(
                "admin",
                &format!("https://c-{i}.example/"),
                Some("premium"),
                &Options::new(),
            )
            .unwrap();
    }
    fault(
        url,
        json!({"endpoint": "cancel", "site": "c-1", "kind": "reset", "count": 0}),
    );
    let items: Vec<BatchItem> = (0..20)
        .map(|i| {
            BatchItem::cancel(
                Some(&format!("cancel-{i}")),
                &format!("https://c-{i}.example/"),
                None,
                Options::new(),
            )
        })
        .collect();
    let (summary, outcomes) = run(&client, items, &BatchOptions::default());
    assert!(summary.all_succeeded(), "{summary:?}");
    // c-1 and c-10..c-19 had their replies cut: their status showed the plan gone.
    assert_eq!(outcomes["cancel-1"], Outcome::Confirmed);
    assert_eq!(summary.confirmed, 11);
    for i in 0..20 {
        let status = client.status(&format!("https://c-{i}.example/")).unwrap();
        assert_eq!(status.body["products"], json!([]), "site {i}");
    }
}

#[test]
fn backup_passwords_stay_out_of_the_journal_and_debug_output() {
    let sandbox = start();
    let url = sandbox.url();
    let client = common::client(url);
    let journal = temp_journal("secrets");
    let options = json!({"ssh_user": "backup", "ssh_pass": "pw-9c2e7d41", "ssh_host": "h.example"})
        .as_object()
        .unwrap()
        .clone();
    let item = BatchItem::provision(
        Some("s-1"),
        "admin",
        "https://secret.example/",
        Some("premium"),
        options,
    );
    assert!(!format!("{item:?}").contains("pw-9c2e7d41"));
    let options = BatchOptions {
        concurrency: 1,
        journal: Some(journal.clone()),
    };
    let results: Vec<_> = client.run_batch(vec![item], &options).unwrap().collect();
    assert_eq!(results[0].outcome, Outcome::Done, "{:?}", results[0]);
    assert_eq!(results[0].reply.as_ref().unwrap()["ssh_set"], true);
    let text = std::fs::read_to_string(&journal).unwrap();
    assert!(text.contains("\"key\":\"s-1\""), "{text}");
    assert!(!text.contains("pw-9c2e7d41"), "{text}");
}

#[test]
fn a_batch_keeps_pace_with_its_caller_and_leaving_early_leaves_items_unsent() {
    let sandbox = start();
    let url = sandbox.url();
    let client = common::client(url);
    let items: Vec<BatchItem> = (0..24)
        .map(|i| {
            BatchItem::provision(
                Some(&format!("pace-{i}")),
                "admin",
                &format!("https://pace-{i}.example/"),
                Some("premium"),
                Options::new(),
            )
        })
        .collect();
    let options = BatchOptions {
        concurrency: 2,
        ..BatchOptions::default()
    };
    let mut run = client.run_batch(items, &options).expect("batch starts");
    let taken: Vec<_> = run.by_ref().take(3).collect();
    assert_eq!(taken.len(), 3);
    // Time enough for the whole batch, were the workers allowed to run ahead of the caller.
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        run.in_flight() == 0,
        "no call starts while the caller does not take results"
    );
    drop(run);
    let sent = processed(url, "provision").len();
    // 3 taken, and at most 2 x concurrency more (waiting untaken or in flight when the caller left).
    assert!(
        (3..=7).contains(&sent),
        "{sent} provisions sent for 3 results taken"
    );
}

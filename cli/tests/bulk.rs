//! `jetpack-partner bulk` as a process: a journaled run of a thousand provisions killed with
//! SIGKILL in the middle, then run again: the sandbox's request log shows exactly one successful
//! provision per site. Also malformed rows, --strict and the exit statuses.

#[path = "../../tests/common/mod.rs"]
mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::{fault, processed, start, PARTNER_ID, PARTNER_SECRET};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_jetpack-partner");

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("jp-bulk-cli-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn bulk(url: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.arg("bulk")
        .args(args)
        .arg(format!("--api_base={url}"))
        .env("JETPACK_PARTNER_ID", PARTNER_ID)
        .env("JETPACK_PARTNER_SECRET", PARTNER_SECRET)
        .env_remove("JETPACK_PARTNER_API_BASE");
    cmd
}

fn site(i: usize) -> String {
    let marker = if i % 40 == 9 { "lost" } else { "site" };
    format!("https://{marker}-{i}.example/")
}

fn write_csv(path: &Path, n: usize) {
    let mut text = String::from("key,local_user,siteurl,plan\n");
    for i in 0..n {
        let plan = if i % 2 == 0 {
            "premium"
        } else {
            "jetpack-backup-daily"
        };
        text.push_str(&format!("order-{i},admin,{},{plan}\n", site(i)));
    }
    std::fs::write(path, text).unwrap();
}

fn lines(output: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(output)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect()
}

#[test]
fn a_run_killed_in_the_middle_and_run_again_provisions_each_site_exactly_once() {
    let sandbox = start();
    let url = sandbox.url();
    // Every provision takes 20 ms on the server, so the kill lands with calls in flight; some
    // replies are cut after processing; one burst of pushback.
    fault(
        url,
        json!({"endpoint": "provision", "kind": "delay", "delay_ms": 20, "count": 0}),
    );
    fault(
        url,
        json!({"endpoint": "provision", "site": "lost-", "kind": "reset", "count": 0}),
    );
    fault(
        url,
        json!({"endpoint": "provision", "kind": "status", "status": 429, "retry_after": 1, "count": 5}),
    );
    let dir = temp_dir("kill");
    let input = dir.join("orders.csv");
    let journal = dir.join("journal.jsonl");
    write_csv(&input, 1000);
    let args = [
        "provision",
        "--input",
        input.to_str().unwrap(),
        "--journal",
        journal.to_str().unwrap(),
        "--concurrency",
        "16",
        "--timeout",
        "2",
    ];

    let mut child = bulk(url, &args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first_run = Vec::new();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while first_run.len() < 300 {
        line.clear();
        assert!(
            reader.read_line(&mut line).unwrap() > 0,
            "the run ended early"
        );
        first_run.push(serde_json::from_str::<Value>(&line).unwrap());
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    // Items in flight at the kill: journaled as started, with no outcome.
    let mut last_event: HashMap<String, String> = HashMap::new();
    for line in std::fs::read_to_string(&journal).unwrap().lines() {
        let event: Value = serde_json::from_str(line).unwrap();
        last_event.insert(
            event["key"].as_str().unwrap().into(),
            event["event"].as_str().unwrap().into(),
        );
    }
    let in_flight = last_event.values().filter(|e| *e == "started").count();
    assert!(in_flight >= 1, "no call was in flight at the kill");
    let before_rerun = processed(url, "provision").len();
    assert!(
        before_rerun < 1000,
        "the kill came too late to prove anything"
    );

    let rerun = bulk(url, &args).output().unwrap();
    assert_eq!(
        rerun.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&rerun.stderr)
    );
    let results = lines(&rerun.stdout);
    assert_eq!(results.len(), 1000);
    let mut outcomes: HashMap<String, usize> = HashMap::new();
    for r in &results {
        *outcomes
            .entry(r["outcome"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    // The items reported before the kill are skipped; the rest are done or confirmed.
    assert!(
        outcomes.get("already_done").copied().unwrap_or(0) >= 300,
        "{outcomes:?}"
    );
    assert_eq!(outcomes.get("failed"), None, "{outcomes:?}");
    assert_eq!(outcomes.get("unknown"), None, "{outcomes:?}");

    let mut per_site: HashMap<String, usize> = HashMap::new();
    for (site, _, status) in processed(url, "provision") {
        if status == 200 {
            *per_site.entry(site).or_default() += 1;
        }
    }
    for i in 0..1000 {
        assert_eq!(per_site.get(&site(i)), Some(&1), "site {}", site(i));
    }
    assert_eq!(per_site.len(), 1000);

    // A third run sends nothing at all.
    let sent = processed(url, "provision").len();
    let again = bulk(url, &args).output().unwrap();
    assert_eq!(again.status.code(), Some(0));
    assert!(lines(&again.stdout)
        .iter()
        .all(|r| r["outcome"] == "already_done"));
    assert_eq!(processed(url, "provision").len(), sent);
}

fn run_with_stdin(url: &str, args: &[&str], input: &str) -> Output {
    let mut child = bulk(url, args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn malformed_rows_are_reported_with_their_line_and_never_sent() {
    let sandbox = start();
    let url = sandbox.url();
    let input = "\
{\"key\": \"a\", \"local_user\": \"admin\", \"siteurl\": \"https://good-a.example/\", \"plan\": \"premium\"}
{\"key\": \"b\", \"local_user\": \"admin\", \"siteurl\": \"ftp://bad.example/\", \"plan\": \"premium\"}
not json
{\"key\": \"c\", \"siteurl\": \"https://no-user.example/\"}

{\"key\": \"d\", \"local_user\": \"admin\", \"siteurl\": \"https://good-d.example/\", \"ssh_port\": \"99999\", \"plan\": \"premium\"}
{\"key\": \"e\", \"local_user\": \"admin\", \"siteurl\": \"https://good-e.example/\", \"colour\": \"red\"}
{\"key\": \"a\", \"local_user\": \"admin\", \"siteurl\": \"https://dup.example/\"}
{\"key\": \"f\", \"local_user\": \"admin\", \"siteurl\": \"https://good-f.example/\", \"wpcom_user_id\": 0}
";
    let strict = run_with_stdin(url, &["provision", "--input", "-", "--strict"], input);
    assert_eq!(strict.status.code(), Some(3));
    assert!(processed(url, "provision").is_empty());

    let out = run_with_stdin(url, &["provision", "--input", "-"], input);
    assert_eq!(out.status.code(), Some(1));
    let results = lines(&out.stdout);
    let failed_lines: Vec<u64> = results
        .iter()
        .filter(|r| r["outcome"] == "failed")
        .map(|r| r["line"].as_u64().unwrap())
        .collect();
    assert_eq!(failed_lines, [2, 3, 4, 6, 7, 8]);
    let messages: Vec<&str> = results
        .iter()
        .filter(|r| r["outcome"] == "failed")
        .map(|r| r["error"]["message"].as_str().unwrap())
        .collect();
    assert!(messages[0].starts_with("line 2: siteurl"), "{messages:?}");
    assert!(
        messages[2].starts_with("line 4: local_user: required"),
        "{messages:?}"
    );
    assert!(messages[3].starts_with("line 6: ssh_port"), "{messages:?}");
    assert!(
        messages[5].contains("also the key of line 1"),
        "{messages:?}"
    );
    let mut sites: Vec<String> = processed(url, "provision")
        .into_iter()
        .map(|p| p.0)
        .collect();
    sites.sort();
    assert_eq!(
        sites,
        ["https://good-a.example/", "https://good-f.example/"]
    );
    let summary = String::from_utf8_lossy(&out.stderr);
    assert!(
        summary.contains("malformed") && summary.contains("done"),
        "{summary}"
    );
}

#[test]
fn cancels_from_csv_and_usage_errors() {
    let sandbox = start();
    let url = sandbox.url();
    let client = common::client(url);
    for i in 0..5 {
        client
            .provision(
                "admin",
                &format!("https://cc-{i}.example/"),
                Some("premium"),
                &jetpack_partner_core::Options::new(),
            )
            .unwrap();
    }
    let mut csv = String::from("site,key\n");
    for i in 0..5 {
        csv.push_str(&format!("cc-{i}.example,cancel-{i}\n"));
    }
    let out = run_with_stdin(url, &["cancel", "--input", "-", "--concurrency", "2"], &csv);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let results = lines(&out.stdout);
    assert_eq!(results.len(), 5);
    assert!(results
        .iter()
        .all(|r| r["outcome"] == "done" && r["reply"]["success"] == true));
    assert_eq!(processed(url, "cancel").len(), 5);

    let bad = bulk(
        url,
        &["provision", "--input", "x.csv", "--concurrency", "65"],
    )
    .output()
    .unwrap();
    assert_eq!(bad.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&bad.stdout).contains("concurrency"));
    let bad = bulk(url, &["refund", "--input", "x.csv"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&bad.stdout).contains("action: expected provision or cancel"));
    let usage = bulk(url, &["provision", "--colour", "red"])
        .output()
        .unwrap();
    assert_eq!(usage.status.code(), Some(2));
    let missing = bulk(url, &["provision", "--input", "/nonexistent/in.csv"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(3));
}

fn reconcile(url: &str, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("reconcile")
        .args(args)
        .arg(format!("--api_base={url}"))
        .env("JETPACK_PARTNER_ID", PARTNER_ID)
        .env("JETPACK_PARTNER_SECRET", PARTNER_SECRET)
        .env_remove("JETPACK_PARTNER_API_BASE")
        .env_remove("JETPACK_PARTNER_USER_TOKEN")
        .output()
        .unwrap()
}

#[test]
fn reconcile_reports_each_kind_of_difference_and_fix_removes_them() {
    let sandbox = start();
    let url = sandbox.url();
    let client = common::client(url);
    let connected = json!({"wpcom_user_id": 1}).as_object().unwrap().clone();
    let none = jetpack_partner_core::Options::new();
    for name in ["ok", "unbilled", "wrong", "gone"] {
        let plan = if name == "wrong" {
            "professional"
        } else {
            "premium"
        };
        client
            .provision(
                "admin",
                &format!("https://r-{name}.example/"),
                Some(plan),
                &connected,
            )
            .unwrap();
    }
    client.cancel("https://r-gone.example/", &none).unwrap();
    let dir = temp_dir("reconcile");
    let expected = dir.join("expected.csv");
    std::fs::write(
        &expected,
        "site,plan,key\nhttps://r-ok.example/,premium,o-1\nhttps://r-missing.example/,premium,o-2\n\
         https://r-wrong.example/,premium,o-3\nhttps://r-gone.example/,premium,o-4\n,premium,o-5\n",
    )
    .unwrap();
    let token = client
        .password_grant("partner-12345", "sandbox-demo-password")
        .unwrap()
        .body["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let token_arg = format!("--user_token={token}");
    let out = reconcile(
        url,
        &[
            "--expected",
            expected.to_str().unwrap(),
            &token_arg,
            "--json",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let counts = &report["counts"];
    assert_eq!(counts["matching"], 1, "{report}");
    for kind in ["unbilled", "missing", "plan_differs", "cancelled"] {
        assert_eq!(counts[kind], 1, "{kind}: {report}");
    }
    assert_eq!(report["rejected"][0]["line"], 6);
    assert!(!String::from_utf8_lossy(&out.stdout).contains(&token));

    let table = reconcile(
        url,
        &[
            "--expected",
            expected.to_str().unwrap(),
            &token_arg,
            "--table",
        ],
    );
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.starts_with("difference"), "{text}");
    assert!(
        text.contains("plan_differs") && text.contains("professional"),
        "{text}"
    );
    assert!(text.trim_end().ends_with("4 unresolved"), "{text}");

    let journal = dir.join("fix.jsonl");
    let fixed = reconcile(
        url,
        &[
            "--expected",
            expected.to_str().unwrap(),
            &token_arg,
            "--fix",
            "--journal",
            journal.to_str().unwrap(),
            "--json",
        ],
    );
    let report: Value = serde_json::from_slice(&fixed.stdout).unwrap();
    assert_eq!(report["counts"]["fixed"], 4, "{report}");
    assert_eq!(report["counts"]["unresolved"], 0, "{report}");
    // The malformed row still makes the exit status 1; without it, a clean run exits 0.
    assert_eq!(fixed.status.code(), Some(1));
    std::fs::write(
        &expected,
        "site,plan\nhttps://r-ok.example/,premium\nhttps://r-wrong.example/,premium\nhttps://r-gone.example/,premium\nhttps://r-missing.example/,premium\n",
    )
    .unwrap();
    let after = reconcile(
        url,
        &[
            "--expected",
            expected.to_str().unwrap(),
            &token_arg,
            "--json",
        ],
    );
    let report: Value = serde_json::from_slice(&after.stdout).unwrap();
    assert_eq!(after.status.code(), Some(0), "{report}");
    assert_eq!(report["counts"]["pending"], 1, "{report}"); // r-missing never connected
}

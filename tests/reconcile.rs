//! Reconciliation against the sandbox: every planted difference is found (unbilled, missing,
//! pending, plan differs, cancelled), and a fix through the journal removes them.

mod common;

use common::start;
use jetpack_partner_core::batch::reconcile::{
    DifferenceKind, ExpectedPlan, ReconcileOptions, Report,
};
use jetpack_partner_core::{Client, Options};
use serde_json::json;

fn url(name: &str) -> String {
    format!("https://{name}.example/")
}

fn expected(name: &str, plan: &str) -> ExpectedPlan {
    ExpectedPlan {
        site: url(name),
        plan: plan.into(),
        key: Some(format!("order-{name}")),
        local_user: None,
    }
}

/// Provisions `plan` on a site and connects it (so the plan is active, not pending).
fn active(client: &Client, name: &str, plan: &str) {
    let options = json!({"wpcom_user_id": 1}).as_object().unwrap().clone();
    client
        .provision("admin", &url(name), Some(plan), &options)
        .unwrap();
}

/// The planted state and the partner's list: 20 matching, 3 of each difference, 1 pending.
fn plant(client: &Client) -> Vec<ExpectedPlan> {
    let mut list = Vec::new();
    for i in 0..20 {
        let plan = if i % 2 == 0 {
            "premium"
        } else {
            "jetpack-backup-daily"
        };
        active(client, &format!("match-{i}"), plan);
        list.push(expected(&format!("match-{i}"), plan));
    }
    for i in 0..3 {
        active(client, &format!("unbilled-{i}"), "jetpack-scan");
        list.push(expected(&format!("missing-{i}"), "premium"));
        active(client, &format!("wrong-{i}"), "professional");
        list.push(expected(&format!("wrong-{i}"), "premium"));
        active(client, &format!("cancelled-{i}"), "premium");
        client
            .cancel(&url(&format!("cancelled-{i}")), &Options::new())
            .unwrap();
        list.push(expected(&format!("cancelled-{i}"), "premium"));
    }
    client
        .provision("admin", &url("pending-0"), Some("premium"), &Options::new())
        .unwrap();
    list.push(expected("pending-0", "premium"));
    // Another product on a listed site: unbilled too.
    active(client, "match-0", "jetpack-anti-spam");
    list
}

fn sites_of(report: &Report, kind: DifferenceKind) -> Vec<String> {
    let mut sites: Vec<String> = report
        .differences
        .iter()
        .filter(|d| d.kind == kind)
        .map(|d| d.site.trim_end_matches('/').to_string() + "/")
        .collect();
    sites.sort();
    sites
}

#[test]
fn every_planted_difference_is_found_and_a_fix_removes_them() {
    let sandbox = start();
    let base = sandbox.url();
    let client = common::client(base);
    let list = plant(&client);
    let token = client
        .password_grant("partner-12345", "sandbox-demo-password")
        .unwrap()
        .body["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let options = ReconcileOptions {
        concurrency: 8,
        user_token: Some(token.clone()),
        ..ReconcileOptions::default()
    };
    let report = client.reconcile(list.clone(), &options).unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.matching, 20);
    assert_eq!(
        sites_of(&report, DifferenceKind::Unbilled),
        [
            url("match-0"),
            url("unbilled-0"),
            url("unbilled-1"),
            url("unbilled-2")
        ]
    );
    assert_eq!(
        sites_of(&report, DifferenceKind::Missing),
        [url("missing-0"), url("missing-1"), url("missing-2")]
    );
    assert_eq!(
        sites_of(&report, DifferenceKind::PlanDiffers),
        [url("wrong-0"), url("wrong-1"), url("wrong-2")]
    );
    assert_eq!(
        sites_of(&report, DifferenceKind::Cancelled),
        [url("cancelled-0"), url("cancelled-1"), url("cancelled-2")]
    );
    assert_eq!(
        sites_of(&report, DifferenceKind::Pending),
        [url("pending-0")]
    );
    let wrong = report
        .differences
        .iter()
        .find(|d| d.kind == DifferenceKind::PlanDiffers)
        .unwrap();
    assert_eq!(wrong.actual_plan.as_deref(), Some("professional"));
    assert_eq!(wrong.expected_plan.as_deref(), Some("premium"));
    assert_eq!(report.to_json()["counts"]["unresolved"], 13);

    // Without the report, unlisted sites are unseen and a cancelled plan looks missing.
    let blind = client
        .reconcile(list.clone(), &ReconcileOptions::default())
        .unwrap();
    assert_eq!(sites_of(&blind, DifferenceKind::Unbilled), [url("match-0")]);
    assert_eq!(blind.count(DifferenceKind::Missing), 6);
    assert_eq!(blind.count(DifferenceKind::Cancelled), 0);

    // The fix, journaled; then nothing is left but what no call can fix.
    let dir = std::env::temp_dir().join(format!("jp-reconcile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let journal = dir.join("fix.jsonl");
    let _ = std::fs::remove_file(&journal);
    let fixing = ReconcileOptions {
        fix: true,
        journal: Some(journal.clone()),
        ..options.clone()
    };
    let fixed = client.reconcile(list.clone(), &fixing).unwrap();
    for d in &fixed.differences {
        if d.kind != DifferenceKind::Pending {
            assert!(d.fixed(), "{:?}", d.to_json());
        }
    }
    assert_eq!(fixed.unresolved(), 0);
    assert!(std::fs::read_to_string(&journal).unwrap().lines().count() >= 2 * 13);
    let after = client.reconcile(list, &options).unwrap();
    for kind in [
        DifferenceKind::Unbilled,
        DifferenceKind::PlanDiffers,
        DifferenceKind::Cancelled,
        DifferenceKind::Missing,
    ] {
        assert_eq!(after.count(kind), 0, "{kind:?}: {}", after.to_json());
    }
    // The missing sites were never connected: their new plans wait for it.
    assert_eq!(after.count(DifferenceKind::Pending), 4);
    assert_eq!(after.matching, 26);
}

#[test]
fn bad_lists_are_refused_before_any_request() {
    let sandbox = start();
    let client = common::client(sandbox.url());
    let err = client
        .reconcile(vec![expected("a", "")], &ReconcileOptions::default())
        .unwrap_err();
    assert_eq!(err.message(), "expected[0].plan: must not be empty");
    let mut bad_site = expected("a", "premium");
    bad_site.site = String::new();
    let err = client
        .reconcile(vec![bad_site], &ReconcileOptions::default())
        .unwrap_err();
    assert!(
        err.message().starts_with("expected[0].site"),
        "{}",
        err.message()
    );
    assert_eq!(common::count(sandbox.url(), "status"), 0);
}

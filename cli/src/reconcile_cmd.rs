//! `jetpack-partner reconcile`: the partner's list against WordPress.com, a JSON report or a table,
//! counts at the end; `--fix` provisions and cancels to match through the bulk journal.

use std::process::ExitCode;

use jetpack_partner_core::batch::reconcile::{ExpectedPlan, ReconcileOptions, Report, ALL_KINDS};
use jetpack_partner_core::{Client, Secret};
use serde_json::{json, Value};

use crate::bulk::{print_line, rejected_line, Action, BulkCall};
use crate::bulk_input::{self, text, RowError};
use crate::output;
use crate::table;

const FIELDS: &[&str] = &["site", "plan", "key", "local_user"];

pub fn run(client: &Client, call: BulkCall, secrets: &[Secret]) -> ExitCode {
    let Action::Reconcile {
        fix,
        user_token,
        table,
    } = call.action
    else {
        return ExitCode::from(crate::bulk::EXIT_NOT_STARTED);
    };
    let not_started = |code: &str, message: &str| {
        print_line(&output::failure_masked(code, message, None, secrets));
        ExitCode::from(crate::bulk::EXIT_NOT_STARTED)
    };
    let input = match bulk_input::read(&call.input, FIELDS) {
        Ok(rows) => rows,
        Err(message) => return not_started("invalid_argument", &format!("expected: {message}")),
    };
    let mut rejected = input.errors;
    let mut expected = Vec::new();
    for row in input.rows {
        let site = text(&row, "site");
        let plan = text(&row, "plan");
        let problem = match (&site, &plan) {
            (None, _) => Some("site: required".to_string()),
            (_, None) => Some("plan: required".to_string()),
            (Some(site), Some(_)) => jetpack_partner_core::site_identifier(site)
                .err()
                .map(|e| e.message().to_string()),
        };
        if let Some(message) = problem {
            rejected.push(RowError {
                line: row.line,
                message,
            });
            continue;
        }
        expected.push(ExpectedPlan {
            site: site.unwrap_or_default(),
            plan: plan.unwrap_or_default(),
            key: text(&row, "key"),
            local_user: text(&row, "local_user"),
        });
    }
    rejected.sort_by_key(|e| e.line);
    if call.strict && !rejected.is_empty() {
        for error in &rejected {
            print_line(&rejected_line(error));
        }
        return not_started(
            "invalid_argument",
            &format!(
                "expected: {} malformed row(s) (listed above); nothing was checked (--strict)",
                rejected.len()
            ),
        );
    }
    let options = ReconcileOptions {
        concurrency: call.options.concurrency,
        user_token: user_token.map(|t| t.expose().to_string()),
        fix,
        journal: call.options.journal.clone(),
        ..ReconcileOptions::default()
    };
    let report = match client.reconcile(expected, &options) {
        Ok(report) => report,
        Err(e) => return not_started(e.code(), e.message()),
    };
    let text = if table {
        table_of(&report, &rejected)
    } else {
        let mut value = report.to_json();
        value["rejected"] = Value::Array(
            rejected
                .iter()
                .map(|e| json!({"line": e.line, "message": format!("line {}: {}", e.line, e.message)}))
                .collect(),
        );
        format!("{value}\n")
    };
    let text = output::mask(&text, secrets);
    if !print_line(&text) {
        return ExitCode::from(1);
    }
    if report.unresolved() == 0 && rejected.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn table_of(report: &Report, rejected: &[RowError]) -> String {
    let rows: Vec<Vec<Value>> = report
        .differences
        .iter()
        .map(|d| {
            let fix = if d.fix.is_empty() {
                Value::Null
            } else {
                let outcomes: Vec<&str> = d.fix.iter().map(|r| r.outcome.name()).collect();
                json!(outcomes.join(", "))
            };
            vec![
                json!(d.kind.name()),
                json!(d.site),
                json!(d.expected_plan),
                json!(d.actual_plan),
                json!(d.key),
                fix,
            ]
        })
        .collect();
    let mut out = table::plain(
        &[
            "difference",
            "site",
            "listed",
            "wordpress.com",
            "key",
            "fix",
        ],
        &rows,
    );
    for e in &report.errors {
        out.push_str(&format!(
            "status of {} could not be read: {}: {}\n",
            e.site,
            e.error.code(),
            e.error.message()
        ));
    }
    for e in rejected {
        out.push_str(&format!("line {}: {} (not checked)\n", e.line, e.message));
    }
    let mut counts = vec![
        format!("{} sites", report.sites),
        format!("{} matching", report.matching),
    ];
    for kind in ALL_KINDS {
        counts.push(format!("{} {}", report.count(kind), kind.name()));
    }
    counts.push(format!(
        "{} fixed",
        report.differences.iter().filter(|d| d.fixed()).count()
    ));
    counts.push(format!("{} unresolved", report.unresolved()));
    out.push_str(&counts.join(", "));
    out.push('\n');
    out
}

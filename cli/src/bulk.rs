//! `jetpack-partner bulk provision|cancel` and `reconcile`: many calls from a file, results as JSON
//! lines on stdout as they land, a progress bar and a summary table on stderr.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use jetpack_partner_core::batch::{
    BatchItem, BatchOptions, BatchResult, Summary, DEFAULT_CONCURRENCY, MAX_CONCURRENCY,
};
use jetpack_partner_core::{Options, Secret};
use serde_json::json;

use crate::args::{invalid, InvalidArgument, Raw, Settings};
use crate::bulk_input::{self, text, Row, RowError};
use crate::output;

/// Every item in place (reconcile: no difference left).
const EXIT_OK: u8 = 0;
/// Some item failed or has an unknown outcome, or a row was rejected (reconcile: differences).
const EXIT_INCOMPLETE: u8 = 1;
/// Nothing was sent: unreadable input or journal, --strict with bad rows, bad settings.
pub const EXIT_NOT_STARTED: u8 = 3;

/// Whether `command` is one of the many-call commands, whose own exit statuses apply.
pub fn runs_many(command: crate::args::Command) -> bool {
    matches!(
        command,
        crate::args::Command::Bulk | crate::args::Command::Reconcile
    )
}

/// Columns a provision row may have.
const PROVISION_FIELDS: &[&str] = &[
    "key",
    "local_user",
    "siteurl",
    "plan",
    "force_register",
    "force_connect",
    "onboarding",
    "wpcom_user_id",
    "wpcom_user_email",
    "partner_tracking_id",
    "ssh_user",
    "ssh_pass",
    "ssh_private_key",
    "ssh_host",
    "ssh_port",
    "ftp_user",
    "ftp_pass",
    "ftp_host",
    "ftp_port",
];
/// Columns a cancel row may have.
const CANCEL_FIELDS: &[&str] = &["key", "site", "plan", "cancel_all"];

#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    Provision,
    Cancel,
    Reconcile {
        fix: bool,
        user_token: Option<Secret>,
        table: bool,
    },
}

/// A resolved `bulk` or `reconcile` command line.
#[derive(Clone, Debug, PartialEq)]
pub struct BulkCall {
    pub action: Action,
    pub input: String,
    pub options: BatchOptions,
    pub strict: bool,
}

pub fn resolve(
    raw: &Raw,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<BulkCall, InvalidArgument> {
    let concurrency = match raw.get("concurrency") {
        None => DEFAULT_CONCURRENCY,
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_CONCURRENCY).contains(n))
            .ok_or_else(|| {
                invalid(format!(
                    "concurrency: expected a whole number from 1 to {MAX_CONCURRENCY}"
                ))
            })?,
    };
    let options = BatchOptions {
        concurrency,
        journal: raw.get("journal").map(PathBuf::from),
    };
    let strict = raw.switch("strict")?.unwrap_or(false);
    let (action, input) = match raw.command {
        crate::args::Command::Reconcile => {
            let wants_user = raw.given("user_token")
                || raw.given("token_file")
                || env(crate::api_args::ENV_USER_TOKEN).is_some();
            let user_token = if wants_user {
                Some(crate::api_args::user_token(raw, env)?)
            } else {
                None
            };
            let table = match crate::api_args::format(raw)? {
                crate::api_args::Format::Table => true,
                crate::api_args::Format::Json => false,
                _ => std::io::stdout().is_terminal(),
            };
            let action = Action::Reconcile {
                fix: raw.switch("fix")?.unwrap_or(false),
                user_token,
                table,
            };
            let input = raw.get("expected").ok_or_else(|| {
                invalid("expected: missing; pass --expected=FILE (.csv or .jsonl)")
            })?;
            (action, input)
        }
        _ => {
            let action = match raw.operands.first().map(String::as_str) {
                Some("provision") => Action::Provision,
                Some("cancel") => Action::Cancel,
                Some(other) => {
                    let shown: String = other.chars().take(40).collect();
                    return Err(invalid(format!(
                        "action: expected provision or cancel, got '{shown}'"
                    )));
                }
                None => return Err(invalid("action: expected provision or cancel")),
            };
            let input = raw
                .get("input")
                .ok_or_else(|| invalid("input: missing; pass --input=FILE (.csv, .jsonl or -)"))?;
            (action, input)
        }
    };
    Ok(BulkCall {
        action,
        input: input.to_owned(),
        options,
        strict,
    })
}

/// Runs the command; prints results and returns the exit status.
pub fn run(settings: Settings, call: BulkCall, secrets: &[Secret]) -> ExitCode {
    let not_started = |code: &str, message: &str| {
        print_line(&output::failure_masked(code, message, None, secrets));
        ExitCode::from(EXIT_NOT_STARTED)
    };
    let client = match crate::client(settings) {
        Ok(c) => c,
        Err(e) => return not_started(e.code(), e.message()),
    };
    if let Action::Reconcile { .. } = call.action {
        return crate::reconcile_cmd::run(&client, call, secrets);
    }
    let allowed = if call.action == Action::Provision {
        PROVISION_FIELDS
    } else {
        CANCEL_FIELDS
    };
    let input = match bulk_input::read(&call.input, allowed) {
        Ok(rows) => rows,
        Err(message) => return not_started("invalid_argument", &format!("input: {message}")),
    };
    let (items, lines, rejected) = items_of(&call.action, input.rows, input.errors);
    for error in &rejected {
        print_line(&rejected_line(error));
    }
    if call.strict && !rejected.is_empty() {
        return not_started(
            "invalid_argument",
            &format!(
                "input: {} malformed row(s) (listed above); nothing was sent (--strict)",
                rejected.len()
            ),
        );
    }
    let run = match run_items(&client, items, &lines, &call.options, secrets) {
        Ok(run) => run,
        Err(e) => return not_started(e.code(), e.message()),
    };
    print_summary(&run, rejected.len(), call.options.journal.is_some());
    let complete = run.summary.total() == lines.len();
    if complete && run.summary.all_succeeded() && rejected.is_empty() {
        ExitCode::from(EXIT_OK)
    } else {
        ExitCode::from(EXIT_INCOMPLETE)
    }
}

/// The counts of a run and how long it took.
pub struct Ran {
    pub summary: Summary,
    pub elapsed: Duration,
}

/// Turns rows into batch items with their line numbers; malformed rows (missing fields, values the
/// library refuses, repeated keys) become row errors.
pub fn items_of(
    action: &Action,
    rows: Vec<Row>,
    mut errors: Vec<RowError>,
) -> (Vec<BatchItem>, Vec<u64>, Vec<RowError>) {
    let mut items = Vec::new();
    let mut lines = Vec::new();
    let mut keys: HashMap<String, u64> = HashMap::new();
    for row in rows {
        let item = match item_of(action, &row) {
            Ok(item) => item,
            Err(message) => {
                errors.push(RowError {
                    line: row.line,
                    message,
                });
                continue;
            }
        };
        if let Err(e) = item.check() {
            errors.push(RowError {
                line: row.line,
                message: e.message().to_string(),
            });
            continue;
        }
        if let Some(first) = keys.get(&item.key) {
            errors.push(RowError {
                line: row.line,
                message: format!("key: {:?} is also the key of line {first}", item.key),
            });
            continue;
        }
        keys.insert(item.key.clone(), row.line);
        items.push(item);
        lines.push(row.line);
    }
    errors.sort_by_key(|e| e.line);
    (items, lines, errors)
}

fn item_of(action: &Action, row: &Row) -> Result<BatchItem, String> {
    let need = |name: &str| text(row, name).ok_or_else(|| format!("{name}: required"));
    let key = text(row, "key");
    let plan = text(row, "plan");
    match action {
        Action::Provision => {
            let mut options = Options::new();
            for (name, value) in &row.fields {
                if !matches!(name.as_str(), "key" | "local_user" | "siteurl" | "plan") {
                    options.insert(name.clone(), value.clone());
                }
            }
            Ok(BatchItem::provision(
                key.as_deref(),
                &need("local_user")?,
                &need("siteurl")?,
                plan.as_deref(),
                options,
            ))
        }
        _ => {
            let mut options = Options::new();
            if let Some(v) = row.fields.get("cancel_all") {
                options.insert("cancel_all".into(), v.clone());
            }
            Ok(BatchItem::cancel(
                key.as_deref(),
                &need("site")?,
                plan.as_deref(),
                options,
            ))
        }
    }
}

/// The result line of a malformed row.
pub fn rejected_line(error: &RowError) -> String {
    let mut line = json!({
        "line": error.line,
        "outcome": "failed",
        "error": {"code": "invalid_argument", "message": format!("line {}: {}", error.line, error.message), "http_status": null},
    })
    .to_string();
    line.push('\n');
    line
}

/// Runs a batch, printing each result line as it lands with a progress bar on a terminal.
pub fn run_items(
    client: &jetpack_partner_core::Client,
    items: Vec<BatchItem>,
    lines: &[u64],
    options: &BatchOptions,
    secrets: &[Secret],
) -> Result<Ran, jetpack_partner_core::Error> {
    let total = items.len() as u64;
    let mut run = client.run_batch(items, options)?;
    let bar = progress_bar(total);
    let started = Instant::now();
    let mut summary = Summary::default();
    while let Some(result) = run.next() {
        summary.add(result.outcome);
        let printed = print_line(&result_line(&result, lines, secrets));
        if !printed {
            // stdout is gone: stop starting new calls; those in flight finish and are journaled.
            run.stop();
            break;
        }
        if let Some(bar) = &bar {
            bar.set_position(summary.total() as u64);
            bar.set_message(format!(
                "{} failed, {} in flight",
                summary.failed + summary.unknown,
                run.in_flight()
            ));
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    Ok(Ran {
        summary,
        elapsed: started.elapsed(),
    })
}

fn progress_bar(total: u64) -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    let style =
        ProgressStyle::with_template("{bar:20} {pos}/{len} done, {msg}, {per_sec}, {eta} left")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.enable_steady_tick(Duration::from_millis(200));
    Some(bar)
}

fn result_line(result: &BatchResult, lines: &[u64], secrets: &[Secret]) -> String {
    let mut value = result.to_json();
    if let (Some(obj), Some(line)) = (value.as_object_mut(), lines.get(result.index)) {
        let mut with_line = serde_json::Map::new();
        with_line.insert("line".into(), json!(line));
        with_line.extend(std::mem::take(obj));
        *obj = with_line;
    }
    let mut text = output::mask(&value.to_string(), secrets);
    text.push('\n');
    text
}

/// Writes and flushes one line on stdout; false when stdout is closed.
pub fn print_line(line: &str) -> bool {
    let mut out = std::io::stdout().lock();
    out.write_all(line.as_bytes())
        .and_then(|()| out.flush())
        .is_ok()
}

fn print_summary(run: &Ran, rejected: usize, journaled: bool) {
    let summary = &run.summary;
    let secs = run.elapsed.as_secs_f64();
    let sent = summary.done + summary.confirmed + summary.failed + summary.unknown;
    let rate = if secs > 0.0 { sent as f64 / secs } else { 0.0 };
    let rows: [(&str, usize, &str); 6] = [
        ("done", summary.done, "sent now and accepted"),
        (
            "confirmed",
            summary.confirmed,
            "found in place by a status check; not sent again",
        ),
        (
            "already_done",
            summary.already_done,
            "done by an earlier run (journal)",
        ),
        (
            "failed",
            summary.failed,
            "refused or never reached the server; a re-run retries",
        ),
        (
            "unknown",
            summary.unknown,
            "may have been processed; a re-run checks first",
        ),
        ("malformed", rejected, "rows not run (fix the input)"),
    ];
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "outcome       count  meaning");
    for (name, count, meaning) in rows {
        let _ = writeln!(err, "{name:<12} {count:>6}  {meaning}");
    }
    let _ = writeln!(
        err,
        "{:<12} {:>6}  in {:.1} s ({:.1} items/s){}",
        "total",
        summary.total() + rejected,
        secs,
        rate,
        if journaled || summary.all_succeeded() {
            ""
        } else {
            "; without --journal a re-run cannot tell what was done"
        }
    );
}

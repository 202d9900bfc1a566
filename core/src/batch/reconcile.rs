//! Reconciliation: the partner's own list of what should be active (site, plan) against what
//! WordPress.com reports: each site's status (the calling partner's products, pending ones
//! included) and, with a user token, the activations report of the partner's key (every page), which
//! adds the sites the list does not name and tells a cancelled plan from one never provisioned.
//! With `fix`, the differences are removed through batches: cancels first, then provisions.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use serde_json::{json, Map, Value};

use super::item::BatchItem;
use super::options::{BatchOptions, DEFAULT_CONCURRENCY, MAX_CONCURRENCY};
use super::result::{error_json, BatchResult};
use super::verify::{family, is_unknown_site, partner_products, same_plan};
use crate::api::Options;
use crate::client::Client;
use crate::error::Error;
use crate::site::site_identifier;

/// One line of the partner's list: this site should have this plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpectedPlan {
    /// The site's URL (a `::` identifier or blog ID can be checked but not provisioned by a fix).
    pub site: String,
    pub plan: String,
    /// The partner's key for the line (an order ID), used as the fix's batch key.
    pub key: Option<String>,
    /// The WordPress user a fix provisions for (default: the options' `local_user`).
    pub local_user: Option<String>,
}

/// How a reconciliation runs.
#[derive(Clone)]
pub struct ReconcileOptions {
    /// Status calls (and fixes) in flight, 1 to 64.
    pub concurrency: usize,
    /// A token of the partner's WordPress.com user: with it, the activations report is read too.
    pub user_token: Option<String>,
    /// Provision and cancel to match the list.
    pub fix: bool,
    /// The journal of the fixes (see [`BatchOptions::journal`]). Use one per reconciliation; give
    /// the same one again only to resume a fix that was interrupted.
    pub journal: Option<PathBuf>,
    /// The WordPress user of fixes whose line names none.
    pub local_user: String,
}

impl std::fmt::Debug for ReconcileOptions {
    // The user token is a credential: only whether there is one is shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReconcileOptions")
            .field("concurrency", &self.concurrency)
            .field(
                "user_token",
                &self.user_token.as_ref().map(|_| "[redacted]"),
            )
            .field("fix", &self.fix)
            .field("journal", &self.journal)
            .field("local_user", &self.local_user)
            .finish()
    }
}

impl Default for ReconcileOptions {
    fn default() -> Self {
        ReconcileOptions {
            concurrency: DEFAULT_CONCURRENCY,
            user_token: None,
            fix: false,
            journal: None,
            local_user: "admin".into(),
        }
    }
}

/// A kind of difference between the list and WordPress.com.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DifferenceKind {
    /// Provisioned by the partner, not in the list: running without being billed. A fix cancels it.
    Unbilled,
    /// In the list, not provisioned. A fix provisions it.
    Missing,
    /// In the list and provisioned, waiting for the site to connect: not active yet. Reported only;
    /// no fix can connect a site.
    Pending,
    /// The site has another plan of the same family. A fix cancels it and provisions the listed one.
    PlanDiffers,
    /// In the list, and the report shows it was cancelled. A fix provisions it again.
    Cancelled,
}

impl DifferenceKind {
    /// `unbilled`, `missing`, `pending`, `plan_differs`, `cancelled`.
    pub fn name(self) -> &'static str {
        match self {
            DifferenceKind::Unbilled => "unbilled",
            DifferenceKind::Missing => "missing",
            DifferenceKind::Pending => "pending",
            DifferenceKind::PlanDiffers => "plan_differs",
            DifferenceKind::Cancelled => "cancelled",
        }
    }
}

/// One difference, and what its fix did.
#[derive(Clone, Debug)]
pub struct Difference {
    pub kind: DifferenceKind,
    /// The site as listed (or as the report or status names it).
    pub site: String,
    /// The plan of the list.
    pub expected_plan: Option<String>,
    /// The plan WordPress.com shows.
    pub actual_plan: Option<String>,
    /// The list line's key.
    pub key: Option<String>,
    /// The results of the fix's calls (a cancel and a provision for `PlanDiffers`).
    pub fix: Vec<BatchResult>,
    /// The list line's WordPress user, for the fix's provision.
    local_user: Option<String>,
}

impl Difference {
    /// Whether the fix's calls all succeeded (false when there was no fix).
    pub fn fixed(&self) -> bool {
        !self.fix.is_empty() && self.fix.iter().all(|r| r.outcome.is_success())
    }

    pub fn to_json(&self) -> Value {
        let mut out = Map::new();
        out.insert("kind".into(), json!(self.kind.name()));
        out.insert("site".into(), json!(self.site));
        out.insert("expected_plan".into(), json!(self.expected_plan));
        out.insert("actual_plan".into(), json!(self.actual_plan));
        out.insert("key".into(), json!(self.key));
        if !self.fix.is_empty() {
            out.insert(
                "fix".into(),
                Value::Array(self.fix.iter().map(BatchResult::to_json).collect()),
            );
            out.insert("fixed".into(), json!(self.fixed()));
        }
        Value::Object(out)
    }
}

/// A site whose status could not be read: it was not compared.
#[derive(Clone, Debug)]
pub struct SiteError {
    pub site: String,
    pub error: Error,
}

/// The outcome of a reconciliation.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Sites compared (listed, and found in the report).
    pub sites: usize,
    /// Listed plans found active as listed.
    pub matching: usize,
    pub differences: Vec<Difference>,
    pub errors: Vec<SiteError>,
}

impl Report {
    /// Differences of one kind.
    pub fn count(&self, kind: DifferenceKind) -> usize {
        self.differences.iter().filter(|d| d.kind == kind).count()
    }

    /// Differences a fix can remove that remain (not fixed), plus sites that could not be read.
    pub fn unresolved(&self) -> usize {
        self.differences
            .iter()
            .filter(|d| d.kind != DifferenceKind::Pending && !d.fixed())
            .count()
            + self.errors.len()
    }

    /// `{"differences": [...], "errors": [{site, error}], "counts": {...}}`.
    pub fn to_json(&self) -> Value {
        let mut counts = Map::new();
        counts.insert("sites".into(), json!(self.sites));
        counts.insert("matching".into(), json!(self.matching));
        for kind in ALL_KINDS {
            counts.insert(kind.name().into(), json!(self.count(kind)));
        }
        counts.insert(
            "fixed".into(),
            json!(self.differences.iter().filter(|d| d.fixed()).count()),
        );
        counts.insert("errors".into(), json!(self.errors.len()));
        counts.insert("unresolved".into(), json!(self.unresolved()));
        json!({
            "differences": self.differences.iter().map(Difference::to_json).collect::<Vec<_>>(),
            "errors": self.errors.iter().map(|e| json!({"site": e.site, "error": error_json(&e.error)})).collect::<Vec<_>>(),
            "counts": counts,
        })
    }
}

/// Every kind, in report order.
pub const ALL_KINDS: [DifferenceKind; 5] = [
    DifferenceKind::Unbilled,
    DifferenceKind::Missing,
    DifferenceKind::Pending,
    DifferenceKind::PlanDiffers,
    DifferenceKind::Cancelled,
];

/// The calling partner's products of a site (slug, pending), or why they could not be read.
type Products = Result<Vec<(String, bool)>, Error>;

/// A site to compare: how to name it, and its listed plans.
struct Site {
    name: String,
    expected: Vec<ExpectedPlan>,
}

/// What the activations report says about a site.
#[derive(Default)]
struct Reported {
    live: bool,
    cancelled: bool,
}

impl Client {
    /// Compares `expected` with WordPress.com and, with `options.fix`, provisions and cancels to
    /// match (cancels first, then provisions, each as a journaled batch). Errors: `invalid_argument`
    /// for an empty site or plan (naming its index), a concurrency outside 1 to 64, or a user token
    /// whose partner has no key of this client's ID; the report call's errors. A site whose status
    /// cannot be read is listed in [`Report::errors`], not compared.
    pub fn reconcile(
        &self,
        expected: Vec<ExpectedPlan>,
        options: &ReconcileOptions,
    ) -> Result<Report, Error> {
        if !(1..=MAX_CONCURRENCY).contains(&options.concurrency) {
            return Err(Error::invalid_argument(
                "concurrency",
                format!("must be 1 to {MAX_CONCURRENCY}"),
            ));
        }
        let mut sites: BTreeMap<String, Site> = BTreeMap::new();
        for (index, line) in expected.into_iter().enumerate() {
            if line.plan.trim().is_empty() {
                return Err(Error::invalid_argument(
                    &format!("expected[{index}].plan"),
                    "must not be empty",
                ));
            }
            let ident = site_identifier(&line.site)
                .map_err(|e| {
                    Error::invalid_argument(&format!("expected[{index}].site"), e.message())
                })?
                .to_ascii_lowercase();
            sites
                .entry(ident)
                .or_insert_with(|| Site {
                    name: line.site.clone(),
                    expected: Vec::new(),
                })
                .expected
                .push(line);
        }
        let reported = match &options.user_token {
            Some(token) => self.reported_sites(token)?,
            None => HashMap::new(),
        };
        for (ident, (url, report)) in &reported {
            if report.live && !sites.contains_key(ident) {
                sites.insert(
                    ident.clone(),
                    Site {
                        name: url.clone(),
                        expected: Vec::new(),
                    },
                );
            }
        }
        let statuses = self.statuses(&sites, options.concurrency)?;
        let mut report = Report {
            sites: sites.len(),
            ..Report::default()
        };
        for ((ident, site), status) in sites.iter().zip(statuses) {
            let products = match status {
                Ok(products) => products,
                Err(error) => {
                    report.errors.push(SiteError {
                        site: site.name.clone(),
                        error,
                    });
                    continue;
                }
            };
            let cancelled = reported.get(ident).is_some_and(|(_, r)| r.cancelled);
            compare(site, &products, cancelled, &mut report);
        }
        if options.fix {
            self.fix(&mut report, options)?;
        }
        Ok(report)
    }

    /// Sites of the activations report of this client's key: identifier -> (URL, live / cancelled).
    fn reported_sites(&self, token: &str) -> Result<HashMap<String, (String, Reported)>, Error> {
        let partner = self.partner_details(token)?.body;
        let partner_id = match &partner["id"] {
            Value::Number(n) => n.to_string(),
            Value::String(s) => s.clone(),
            _ => return Err(Error::internal("the partner details have no id")),
        };
        let client_id = self.config().partner_id();
        let key_id = partner["keys"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|k| match &k["client_id"] {
                Value::String(id) => id == client_id,
                Value::Number(id) => id.to_string() == client_id,
                _ => false,
            })
            .and_then(|k| match &k["id"] {
                Value::Number(n) => Some(n.to_string()),
                Value::String(s) => Some(s.clone()),
                _ => None,
            })
            .ok_or_else(|| {
                Error::invalid_argument(
                    "user_token",
                    format!("the user's partner has no key with client ID {client_id}"),
                )
            })?;
        let mut page = Options::new();
        page.insert("per_page".into(), json!(100));
        let mut sites: HashMap<String, (String, Reported)> = HashMap::new();
        for activation in self.activations_iter(token, &partner_id, &key_id, &page) {
            let activation = activation?;
            let Some(url) = activation["site_url"].as_str().filter(|u| !u.is_empty()) else {
                continue;
            };
            let Ok(ident) = site_identifier(url) else {
                continue;
            };
            let entry = sites
                .entry(ident.to_ascii_lowercase())
                .or_insert_with(|| (url.to_string(), Reported::default()));
            if activation["cancelled_on"].is_null() {
                entry.1.live = true;
            } else {
                entry.1.cancelled = true;
            }
        }
        Ok(sites)
    }

    /// The calling partner's products of each site, in the map's order, `concurrency` at a time.
    fn statuses(
        &self,
        sites: &BTreeMap<String, Site>,
        concurrency: usize,
    ) -> Result<Vec<Products>, Error> {
        // Threads of their own rather than scoped ones: a scope registers the calling thread's
        // handle in a thread-local that a C program's main thread never frees.
        struct Shared {
            client: Client,
            names: Vec<String>,
            next: Mutex<usize>,
            results: Mutex<Vec<Option<Products>>>,
        }
        let names: Vec<String> = sites.values().map(|s| s.name.clone()).collect();
        let shared = Arc::new(Shared {
            client: Client::new(self.config().clone())?,
            results: Mutex::new(names.iter().map(|_| None).collect()),
            names,
            next: Mutex::new(0),
        });
        let workers: Vec<_> = (0..concurrency.min(shared.names.len()))
            .filter_map(|_| {
                let shared = shared.clone();
                std::thread::Builder::new()
                    .name("jp-reconcile".into())
                    .spawn(move || loop {
                        let index = {
                            let mut next = shared.next.lock().unwrap_or_else(|e| e.into_inner());
                            *next += 1;
                            *next - 1
                        };
                        let Some(name) = shared.names.get(index) else {
                            return;
                        };
                        let status = match shared.client.status(name) {
                            Ok(reply) => Ok(partner_products(&reply.body)),
                            Err(e) if is_unknown_site(&e) => Ok(Vec::new()),
                            Err(e) => Err(e),
                        };
                        shared.results.lock().unwrap_or_else(|e| e.into_inner())[index] =
                            Some(status);
                    })
                    .ok()
            })
            .collect();
        if workers.is_empty() && !shared.names.is_empty() {
            return Err(Error::internal("cannot start a status thread"));
        }
        for worker in workers {
            let _ = worker.join();
        }
        let results =
            std::mem::take(&mut *shared.results.lock().unwrap_or_else(|e| e.into_inner()));
        Ok(results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(Error::internal("no status"))))
            .collect())
    }

    /// Cancels what should not run, then provisions what should; attaches each call's result to
    /// its difference.
    fn fix(&self, report: &mut Report, options: &ReconcileOptions) -> Result<(), Error> {
        let batch = BatchOptions {
            concurrency: options.concurrency,
            journal: options.journal.clone(),
        };
        let mut cancels = Vec::new();
        let mut provisions = Vec::new();
        for (index, d) in report.differences.iter().enumerate() {
            let actual = d.actual_plan.as_deref();
            match d.kind {
                DifferenceKind::Unbilled | DifferenceKind::PlanDiffers => {
                    let key = format!("reconcile cancel {} {}", d.site, actual.unwrap_or(""));
                    cancels.push((
                        index,
                        BatchItem::cancel(Some(&key), &d.site, actual, Options::new()),
                    ));
                }
                _ => {}
            }
            if let (
                DifferenceKind::Missing | DifferenceKind::Cancelled | DifferenceKind::PlanDiffers,
                Some(plan),
            ) = (d.kind, d.expected_plan.as_deref())
            {
                let key = d
                    .key
                    .clone()
                    .unwrap_or_else(|| format!("reconcile provision {} {plan}", d.site));
                let user = d.local_user.as_deref().unwrap_or(&options.local_user);
                provisions.push((
                    index,
                    BatchItem::provision(Some(&key), user, &d.site, Some(plan), Options::new()),
                ));
            }
        }
        for phase in [cancels, provisions] {
            if phase.is_empty() {
                continue;
            }
            let owners: Vec<usize> = phase.iter().map(|(i, _)| *i).collect();
            let items: Vec<BatchItem> = phase.into_iter().map(|(_, item)| item).collect();
            for result in self.run_batch(items, &batch)? {
                report.differences[owners[result.index]].fix.push(result);
            }
        }
        Ok(())
    }
}

/// The differences of one site.
fn compare(site: &Site, products: &[(String, bool)], cancelled: bool, report: &mut Report) {
    let mut covered: HashSet<String> = HashSet::new();
    for line in &site.expected {
        covered.insert(family(&line.plan));
        let same_family = products
            .iter()
            .find(|(slug, _)| family(slug) == family(&line.plan));
        let difference = |kind, actual: Option<&str>| Difference {
            kind,
            site: line.site.clone(),
            expected_plan: Some(line.plan.clone()),
            actual_plan: actual.map(str::to_string),
            key: line.key.clone(),
            fix: Vec::new(),
            local_user: line.local_user.clone(),
        };
        match same_family {
            Some((slug, pending)) if same_plan(slug, &line.plan) => {
                if *pending {
                    report
                        .differences
                        .push(difference(DifferenceKind::Pending, Some(slug)));
                } else {
                    report.matching += 1;
                }
            }
            Some((slug, _)) => report
                .differences
                .push(difference(DifferenceKind::PlanDiffers, Some(slug))),
            None if cancelled => report
                .differences
                .push(difference(DifferenceKind::Cancelled, None)),
            None => report
                .differences
                .push(difference(DifferenceKind::Missing, None)),
        }
    }
    for (slug, _) in products {
        if !covered.contains(&family(slug)) {
            report.differences.push(Difference {
                kind: DifferenceKind::Unbilled,
                site: site.name.clone(),
                expected_plan: None,
                actual_plan: Some(slug.clone()),
                key: None,
                fix: Vec::new(),
                local_user: None,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_user_token() {
        let options = ReconcileOptions {
            user_token: Some("user-token-7f3a9c".into()),
            ..ReconcileOptions::default()
        };
        let text = format!("{options:?}");
        assert!(!text.contains("user-token-7f3a9c"), "{text}");
        assert!(text.contains("[redacted]"), "{text}");
    }
}

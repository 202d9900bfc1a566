//! Whether an item's effect is in place, from the site's status (`GET .../status`, v1.4): what a
//! batch asks before sending again a call whose outcome it does not know.

use serde_json::Value;

use super::item::{truthy, BatchItem, Operation};
use crate::client::Client;
use crate::error::{Error, ErrorKind};

/// Plans of the `plans` family: the ones a cancel without `plan` ends.
const PLAN_FAMILY: &[&str] = &[
    "personal",
    "premium",
    "professional",
    "business",
    "security-daily",
    "security-realtime",
    "complete",
];

/// A slug compared without case, `_`/`-` differences or the `jetpack-` prefix
/// (`jetpack_premium` is `premium`).
pub(crate) fn same_plan(a: &str, b: &str) -> bool {
    normalise(a) == normalise(b)
}

pub(crate) fn normalise(slug: &str) -> String {
    let lower = slug.trim().to_ascii_lowercase().replace('_', "-");
    match lower.strip_prefix("jetpack-") {
        Some(rest) => rest.to_string(),
        None => lower,
    }
}

/// The family of a slug: a site holds at most one partner plan per family (`plans`, `backup`,
/// `scan`, `anti-spam`); an unknown slug is a family of its own.
pub(crate) fn family(slug: &str) -> String {
    let slug = normalise(slug);
    if PLAN_FAMILY.contains(&slug.as_str()) {
        "plans".into()
    } else if slug.starts_with("backup-") {
        "backup".into()
    } else {
        slug
    }
}

/// The calling partner's live products on a site (pending ones included), from a status reply.
pub(crate) fn partner_products(status: &Value) -> Vec<(String, bool)> {
    status
        .get("products")
        .and_then(Value::as_array)
        .map(|products| {
            products
                .iter()
                .filter(|p| {
                    p.get("is_provisioned_by_calling_partner")
                        .and_then(Value::as_bool)
                        .unwrap_or(false)
                })
                .filter_map(|p| {
                    let slug = p.get("slug").and_then(Value::as_str)?;
                    let pending = p
                        .get("is_pending")
                        .and_then(Value::as_bool)
                        .unwrap_or(false);
                    Some((slug.to_string(), pending))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Whether the site is unknown to WordPress.com: nothing can be provisioned on it.
pub(crate) fn is_unknown_site(error: &Error) -> bool {
    error.kind() == ErrorKind::Api
        && matches!(error.code(), "unknown_blog" | "invalid_blog")
        && matches!(error.http_status(), Some(403 | 404))
}

/// Whether the item's effect is in place on the server: `Some(true)` (provisioned / cancelled),
/// `Some(false)` (not), `None` when the status cannot tell (a provision of no plan or `free`,
/// which leaves no trace and is harmless to repeat). Errors are the status call's.
pub(crate) fn in_place(client: &Client, item: &BatchItem) -> Result<Option<bool>, Error> {
    let wanted = item.plan.as_deref().filter(|p| normalise(p) != "free");
    if item.operation == Operation::Provision && wanted.is_none() {
        return Ok(None);
    }
    let products = match client.status(&item.site) {
        Ok(reply) => partner_products(&reply.body),
        Err(e) if is_unknown_site(&e) => Vec::new(),
        Err(e) => return Err(e),
    };
    let has = |slug: &str| products.iter().any(|(s, _)| same_plan(s, slug));
    Ok(Some(match item.operation {
        Operation::Provision => has(wanted.unwrap_or_default()),
        Operation::Cancel => {
            let cancel_all = item.options.get("cancel_all").is_some_and(truthy);
            if cancel_all {
                products.is_empty()
            } else if let Some(plan) = &item.plan {
                !has(plan)
            } else {
                !products
                    .iter()
                    .any(|(s, _)| PLAN_FAMILY.contains(&normalise(s).as_str()))
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn slugs_compare_without_aliases_mattering() {
        assert!(same_plan("jetpack_premium", "premium"));
        assert!(same_plan("Jetpack-Backup-Daily", "jetpack-backup-daily"));
        assert!(!same_plan("premium", "professional"));
    }

    #[test]
    fn families_group_the_slugs_a_site_holds_one_of() {
        assert_eq!(family("jetpack_premium"), family("jetpack-complete"));
        assert_eq!(
            family("jetpack-backup-daily"),
            family("jetpack-backup-realtime")
        );
        assert_ne!(family("jetpack-scan"), family("jetpack-anti-spam"));
    }

    #[test]
    fn only_the_calling_partners_products_count() {
        let status = json!({"blog": {}, "products": [
            {"slug": "premium", "is_provisioned_by_calling_partner": true, "is_pending": true},
            {"slug": "jetpack-scan", "is_provisioned_by_calling_partner": false, "is_pending": false}
        ]});
        assert_eq!(
            partner_products(&status),
            vec![("premium".to_string(), true)]
        );
    }
}

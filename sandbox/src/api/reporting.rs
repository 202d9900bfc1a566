//! Reporting for partners (PROTOCOL.md §6): `/wpcom/v2/jetpack-partners/...`,
//! with a WordPress.com user token of the partner's user. The data is what
//! the partner's keys provisioned.

use super::auth::{self, err, Style};
use super::{Ctx, Failure, Result};
use crate::clock;
use crate::plans;
use crate::reply::Reply;
use crate::state::{ActivationRec, KeyRec, PartnerRec, State};
use serde_json::{json, Value};

/// Partner plans never expire; WordPress.com shows them running 100 years.
const EXPIRY_YEARS: i64 = 100;

fn wp(status: u16, code: &str, message: &str) -> Failure {
    err(Style::Wp, status, code, message)
}

fn invalid_param(name: &str, why: &str) -> Failure {
    wp(
        400,
        "rest_invalid_param",
        &format!("Invalid parameter(s): {name} ({why})"),
    )
}

pub fn key_json(k: &KeyRec) -> Value {
    let limits = k.limits.as_ref();
    json!({
        "id": k.id,
        "name": k.name,
        "client_id": k.client_id,
        "allowed_personal_plans": limits.map(|l| l.personal.to_string()),
        "allowed_premium_plans": limits.map(|l| l.premium.to_string()),
        "allowed_professional_plans": limits.map(|l| l.professional.to_string()),
        "notes": k.notes,
        "disabled": k.disabled,
        "created_on": clock::datetime(k.created_on),
    })
}

pub fn partner_slug(p: &PartnerRec) -> String {
    p.name
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

fn opt_dt(ts: Option<i64>) -> Value {
    ts.map_or(Value::Null, |t| json!(clock::datetime(t)))
}

fn activation_json(st: &State, a: &ActivationRec, now: i64) -> Value {
    let site = st.sites.get(&a.blog_id);
    let slug = |id: u64| plans::by_product_id(id).map_or("unknown", |p| p.slug);
    let expiry = a.activated_on.unwrap_or(a.created_on);
    json!({
        "id": a.id,
        "jetpack_partner_key_id": a.key_id,
        "wpcom_blog_id": a.blog_id,
        "wpcom_user_id": a.wpcom_user_id,
        "external_user_id": a.external_user_id,
        "product_id": a.product_id,
        "product_slug": slug(a.product_id),
        "created_on": clock::datetime(a.created_on),
        "activated_on": opt_dt(a.activated_on),
        "cancelled_on": opt_dt(a.ended_on(now)),
        "disputed_on": Value::Null,
        "expiry_date": clock::datetime(clock::add_years(expiry, EXPIRY_YEARS)),
        "is_pending": a.is_pending(now),
        "site_registered": site.is_some_and(|s| s.connected),
        "site_url": site.map_or(a.site_url.clone(), |s| s.siteurl.clone()),
        "site_name": site.map_or(String::new(), |s| s.identifier.split("::").next().unwrap_or("").to_string()),
        "site_icon": Value::Null,
        "current_product_id": a.current_product_id,
        "current_product_slug": slug(a.current_product_id),
        "partner_tracking_id": a.partner_tracking_id,
    })
}

/// The user's partner, checked against `{partner_id}`, and the key `{key_id}`.
fn partner_and_key(
    ctx: &Ctx<'_>,
    partner_id: &str,
    key_id: Option<&str>,
) -> Result<(PartnerRec, Option<KeyRec>)> {
    let (_, partner) = auth::user(ctx, Style::Wp)?;
    if partner_id.parse::<u64>().ok() != Some(partner.id) {
        return Err(wp(
            403,
            "rest_forbidden",
            "Sorry, you are not allowed to access this partner.",
        ));
    }
    let key = match key_id {
        None => None,
        Some(k) => {
            let found = k.parse::<u64>().ok().and_then(|id| {
                ctx.shared.store.read(|st| {
                    st.keys
                        .get(&id)
                        .filter(|key| key.partner_id == partner.id)
                        .cloned()
                })
            });
            Some(found.ok_or_else(|| wp(404, "invalid_key", "No such key for this partner."))?)
        }
    };
    Ok((partner, key))
}

/// `GET /wpcom/v2/jetpack-partners`: the partner and its keys.
pub fn partner(ctx: &Ctx<'_>) -> Result<Reply> {
    let (_, p) = auth::user(ctx, Style::Wp)?;
    let keys: Vec<Value> = ctx.shared.store.read(|st| {
        st.keys
            .values()
            .filter(|k| k.partner_id == p.id)
            .map(key_json)
            .collect()
    });
    Ok(Reply::ok(json!({
        "id": p.id,
        "name": p.name,
        "slug": partner_slug(&p),
        "keys": keys,
    })))
}

fn page_params(ctx: &Ctx<'_>) -> Result<(usize, usize)> {
    let page = match ctx.params.non_empty("page") {
        None => 1,
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|p| *p >= 1)
            .ok_or_else(|| invalid_param("page", "must be an integer of at least 1"))?,
    };
    let per_page = match ctx.params.non_empty("per_page") {
        None => 20,
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|p| (1..=100).contains(p))
            .ok_or_else(|| invalid_param("per_page", "must be an integer between 1 and 100"))?,
    };
    Ok((page, per_page))
}

fn date_param(ctx: &Ctx<'_>, name: &str) -> Result<Option<i64>> {
    match ctx.params.non_empty(name) {
        None => Ok(None),
        Some(v) => clock::parse(v).map(Some).ok_or_else(|| {
            invalid_param(name, "must be a date, YYYY-MM-DD or YYYY-MM-DD HH:MM:SS")
        }),
    }
}

/// `GET /wpcom/v2/jetpack-partners/{partner_id}/key/{key_id}/activations`
pub fn activations(ctx: &Ctx<'_>, partner_id: &str, key_id: &str) -> Result<Reply> {
    let (_, key) = partner_and_key(ctx, partner_id, Some(key_id))?;
    let key = key.ok_or_else(|| wp(404, "invalid_key", "No such key for this partner."))?;
    let (page, per_page) = page_params(ctx)?;
    let mut wanted: Vec<u64> = Vec::new();
    for p in ctx.params.list("plans") {
        let id = p
            .parse::<u64>()
            .ok()
            .filter(|id| plans::by_product_id(*id).is_some())
            .or_else(|| plans::find(&p).map(|pl| pl.product_id))
            .ok_or_else(|| invalid_param("plans", &format!("{p} is not a valid plan")))?;
        wanted.push(id);
    }
    let after = date_param(ctx, "activated_after")?;
    let before = date_param(ctx, "activated_before")?;
    let out = ctx.shared.store.read(|st| {
        let matching: Vec<&ActivationRec> = st
            .activations
            .values()
            .rev()
            .filter(|a| a.key_id == key.id)
            .filter(|a| {
                wanted.is_empty()
                    || wanted.contains(&a.current_product_id)
                    || wanted.contains(&a.product_id)
            })
            .filter(|a| after.is_none_or(|t| a.activated_on.is_some_and(|x| x >= t)))
            .filter(|a| before.is_none_or(|t| a.activated_on.is_some_and(|x| x <= t)))
            .collect();
        let total = matching.len();
        let items: Vec<Value> = matching
            .into_iter()
            .skip((page - 1).saturating_mul(per_page))
            .take(per_page)
            .map(|a| activation_json(st, a, ctx.now()))
            .collect();
        json!({"total": total, "page": page, "per_page": per_page, "activations": items})
    });
    Ok(Reply::ok(out))
}

/// Start of the bucket holding `ts`, and the start of the next one.
fn bucket(ts: i64, scale: &str) -> (i64, i64) {
    let (y, m, d) = clock::ymd(ts);
    match scale {
        "day" => {
            let s = clock::days_from_civil(y, m, d) * 86_400;
            (s, s + 86_400)
        }
        "year" => (
            clock::days_from_civil(y, 1, 1) * 86_400,
            clock::days_from_civil(y + 1, 1, 1) * 86_400,
        ),
        _ => {
            let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
            (
                clock::days_from_civil(y, m, 1) * 86_400,
                clock::days_from_civil(ny, nm, 1) * 86_400,
            )
        }
    }
}

/// `GET /wpcom/v2/jetpack-partners/activations?key_id&scale=day|month|year`:
/// per period, new activations and the number running at its end.
pub fn activations_summary(ctx: &Ctx<'_>) -> Result<Reply> {
    let (_, partner) = auth::user(ctx, Style::Wp)?;
    let scale = ctx.params.non_empty("scale").unwrap_or("month");
    if !matches!(scale, "day" | "month" | "year") {
        return Err(invalid_param("scale", "must be day, month or year"));
    }
    let key_filter = match ctx.params.non_empty("key_id") {
        None => None,
        Some(k) => {
            let id = k.parse::<u64>().ok();
            let ok = id.is_some_and(|id| {
                ctx.shared.store.read(|st| {
                    st.keys
                        .get(&id)
                        .is_some_and(|key| key.partner_id == partner.id)
                })
            });
            if !ok {
                return Err(wp(404, "invalid_key", "No such key for this partner."));
            }
            id
        }
    };
    let rows = ctx.shared.store.read(|st| {
        let keys: Vec<u64> = st
            .keys
            .values()
            .filter(|k| k.partner_id == partner.id && key_filter.is_none_or(|f| f == k.id))
            .map(|k| k.id)
            .collect();
        let acts: Vec<&ActivationRec> = st
            .activations
            .values()
            .filter(|a| keys.contains(&a.key_id))
            .collect();
        let Some(first) = acts.iter().map(|a| a.created_on).min() else {
            return Vec::new();
        };
        let now = ctx.now();
        let mut rows = Vec::new();
        let (mut start, mut end) = bucket(first, scale);
        while start <= now && rows.len() < 5000 {
            let new = acts
                .iter()
                .filter(|a| a.created_on >= start && a.created_on < end)
                .count();
            let total = acts
                .iter()
                .filter(|a| a.created_on < end && a.ended_on(now).is_none_or(|c| c >= end))
                .count();
            rows.push(json!({"date": clock::date(start), "new": new, "total": total}));
            (start, end) = bucket(end, scale);
        }
        rows
    });
    Ok(Reply::ok(Value::Array(rows)))
}

/// Invoice lines for the activations of `key` running during [start, end).
fn lines(st: &State, key_id: u64, start: i64, end: i64) -> (Vec<Value>, u64) {
    let mut lines = Vec::new();
    let mut total = 0;
    for plan in plans::PLANS.iter().filter(|p| p.price_cents > 0) {
        let quantity = st
            .activations
            .values()
            .filter(|a| a.key_id == key_id && a.current_product_id == plan.product_id)
            .filter(|a| {
                a.activated_on.is_some_and(|t| t < end) && a.cancelled_on.is_none_or(|c| c >= start)
            })
            .count() as u64;
        if quantity > 0 {
            let amount = quantity * plan.price_cents;
            total += amount;
            lines.push(json!({
                "product_id": plan.product_id,
                "product_slug": plan.slug,
                "description": plan.name,
                "quantity": quantity,
                "unit_amount": plan.price_cents,
                "amount": amount,
            }));
        }
    }
    (lines, total)
}

fn invoice(st: &State, key_id: u64, start: i64, end: i64, status: &str) -> Value {
    let (lines, total) = lines(st, key_id, start, end);
    let (y, m, _) = clock::ymd(start);
    json!({
        "id": format!("in_sandbox_{key_id}_{y:04}{m:02}"),
        "status": status,
        "currency": "usd",
        "period_start": clock::date(start),
        "period_end": clock::date(end),
        "lines": lines,
        "total": total,
    })
}

/// `GET .../{partner_id}/key/{key_id}/stripe/invoices`: one invoice per past
/// month with running activations.
pub fn invoices(ctx: &Ctx<'_>, partner_id: &str, key_id: &str) -> Result<Reply> {
    let (_, key) = partner_and_key(ctx, partner_id, Some(key_id))?;
    let key = key.ok_or_else(|| wp(404, "invalid_key", "No such key for this partner."))?;
    let out = ctx.shared.store.read(|st| {
        let first = st
            .activations
            .values()
            .filter(|a| a.key_id == key.id)
            .filter_map(|a| a.activated_on)
            .min();
        let mut invoices = Vec::new();
        if let Some(first) = first {
            let (current, _) = bucket(ctx.now(), "month");
            let (mut start, mut end) = bucket(first, "month");
            while start < current {
                let inv = invoice(st, key.id, start, end, "paid");
                if inv["total"].as_u64().unwrap_or(0) > 0 {
                    invoices.push(inv);
                }
                (start, end) = bucket(end, "month");
            }
        }
        invoices.reverse();
        json!({"invoices": invoices})
    });
    Ok(Reply::ok(out))
}

/// `GET .../{partner_id}/key/{key_id}/stripe/upcoming-invoice`: the current
/// month, billed at its end.
pub fn upcoming_invoice(ctx: &Ctx<'_>, partner_id: &str, key_id: &str) -> Result<Reply> {
    let (_, key) = partner_and_key(ctx, partner_id, Some(key_id))?;
    let key = key.ok_or_else(|| wp(404, "invalid_key", "No such key for this partner."))?;
    let (start, end) = bucket(ctx.now(), "month");
    let inv = ctx
        .shared
        .store
        .read(|st| invoice(st, key.id, start, end, "upcoming"));
    Ok(Reply::ok(inv))
}

//! The Jetpack Licensing API (PROTOCOL.md §10):
//! `/wpcom/v2/jetpack-licensing/...`, with a partner-key token (a user token
//! for `/partner`). Errors are `{code, message}`.

use super::auth::{self, err, live_token, Style};
use super::reporting::partner_slug;
use super::{jpphp, Ctx, Failure, Result};
use crate::plans;
use crate::reply::Reply;
use crate::sites::{self, parse_ref, SiteRef};
use crate::state::{Event, KeyRec, LicenseRec, SiteRec, State, TokenKind, TokenRec};
use crate::{clock, ids};
use serde_json::{json, Value};

fn wp(status: u16, code: &str, message: &str) -> Failure {
    err(Style::Wp, status, code, message)
}

fn iso(ts: Option<i64>) -> Value {
    ts.map_or(Value::Null, |t| {
        json!(clock::datetime(t).replace(' ', "T") + "+00:00")
    })
}

fn license_json(st: &State, l: &LicenseRec) -> Value {
    json!({
        "license_id": l.id,
        "license_key": l.license_key,
        "product": l.product,
        "product_id": plans::find(&l.product).map(|p| p.product_id),
        "issued_at": iso(Some(l.issued_at)),
        "attached_at": iso(l.attached_at),
        "revoked_at": iso(l.revoked_at),
        "blog_id": l.blog_id,
        "siteurl": l.blog_id.and_then(|b| st.sites.get(&b)).map(|s| s.siteurl.clone()),
    })
}

fn key(ctx: &Ctx<'_>) -> Result<KeyRec> {
    auth::partner_key(ctx, Style::Wp, "This endpoint needs a partner key token.")
}

/// The caller's license named `license_key`.
fn own_license(
    st: &State,
    key: &KeyRec,
    license_key: &str,
) -> std::result::Result<LicenseRec, Failure> {
    let l = st
        .licenses
        .get(license_key)
        .ok_or_else(|| wp(404, "license_not_found", "No license has this key."))?;
    if l.key_id != key.id {
        return Err(wp(
            403,
            "forbidden",
            "This license was issued to another partner key.",
        ));
    }
    Ok(l.clone())
}

fn license_key_param<'a>(ctx: &'a Ctx<'_>) -> Result<&'a str> {
    ctx.params.non_empty("license_key").ok_or_else(|| {
        wp(
            400,
            "missing_license_key",
            "The license_key parameter is required.",
        )
    })
}

/// `GET /license?license_key=`
pub fn status(ctx: &Ctx<'_>) -> Result<Reply> {
    let key = key(ctx)?;
    let lk = license_key_param(ctx)?;
    ctx.shared.store.read(|st| {
        let l = own_license(st, &key, lk)?;
        Ok(Reply::ok(license_json(st, &l)))
    })
}

/// `POST /license` `{product}`
pub fn issue(ctx: &Ctx<'_>) -> Result<Reply> {
    let key = key(ctx)?;
    let product = ctx
        .params
        .non_empty("product")
        .ok_or_else(|| wp(400, "missing_product", "The product parameter is required."))?;
    let plan = plans::find(product).ok_or_else(|| {
        wp(
            400,
            "invalid_product",
            &format!("{product} is not a valid product."),
        )
    })?;
    let v = ctx.shared.store.write(|tx| {
        let id = tx.licenses.values().map(|l| l.id + 1).max().unwrap_or(1);
        let l = LicenseRec {
            id,
            license_key: format!("{}_{}", plan.slug, ids::random_string(24)),
            key_id: key.id,
            product: plan.slug.to_string(),
            issued_at: ctx.now(),
            attached_at: None,
            revoked_at: None,
            blog_id: None,
            site_url: None,
        };
        tx.put(Event::License(l.clone()));
        license_json(tx, &l)
    })?;
    Ok(Reply::ok(v))
}

/// `DELETE /license?license_key=`: revokes for good.
pub fn revoke(ctx: &Ctx<'_>) -> Result<Reply> {
    let key = key(ctx)?;
    let lk = license_key_param(ctx)?;
    let v = ctx.shared.store.write(|tx| -> Result<Value> {
        let l = own_license(tx, &key, lk)?;
        if l.revoked_at.is_some() {
            return Err(wp(
                400,
                "license_revoked",
                "This license is already revoked.",
            ));
        }
        let l = LicenseRec {
            revoked_at: Some(ctx.now()),
            ..l
        };
        tx.put(Event::License(l.clone()));
        Ok(license_json(tx, &l))
    })??;
    Ok(Reply::ok(v))
}

fn find_site(st: &State, site: &str) -> Option<SiteRec> {
    match parse_ref(site) {
        SiteRef::BlogId(id) => st.sites.get(&id).cloned(),
        SiteRef::Identifier(ident) => st.site_by_ident(&ident).cloned(),
    }
}

/// `POST /license/{license_key}/site` `{site}`: attaches to a connected site.
pub fn attach(ctx: &Ctx<'_>, license_key: &str) -> Result<Reply> {
    let key = key(ctx)?;
    let site = ctx
        .params
        .non_empty("site")
        .ok_or_else(|| wp(400, "missing_site", "The site parameter is required."))?;
    let v = ctx.shared.store.write(|tx| -> Result<Value> {
        let l = own_license(tx, &key, license_key)?;
        if l.revoked_at.is_some() {
            return Err(wp(
                400,
                "license_revoked",
                "This license is revoked and cannot be attached.",
            ));
        }
        if l.blog_id.is_some() {
            return Err(wp(
                400,
                "license_already_attached",
                "This license is already attached to a site; detach it first.",
            ));
        }
        let s = find_site(tx, site)
            .ok_or_else(|| wp(404, "unknown_site", "No Jetpack site matches this site."))?;
        if !s.connected {
            return Err(wp(
                400,
                "site_not_connected",
                "The site is not connected to WordPress.com.",
            ));
        }
        let l = LicenseRec {
            attached_at: Some(ctx.now()),
            blog_id: Some(s.blog_id),
            site_url: Some(s.siteurl.clone()),
            ..l
        };
        tx.put(Event::License(l.clone()));
        Ok(license_json(tx, &l))
    })??;
    Ok(Reply::ok(v))
}

/// `DELETE /license/{license_key}/site`
pub fn detach(ctx: &Ctx<'_>, license_key: &str) -> Result<Reply> {
    let key = key(ctx)?;
    let v = ctx.shared.store.write(|tx| -> Result<Value> {
        let l = own_license(tx, &key, license_key)?;
        if l.blog_id.is_none() {
            return Err(wp(
                400,
                "license_not_attached",
                "This license is not attached to a site.",
            ));
        }
        let l = LicenseRec {
            attached_at: None,
            blog_id: None,
            site_url: None,
            ..l
        };
        tx.put(Event::License(l.clone()));
        Ok(license_json(tx, &l))
    })??;
    Ok(Reply::ok(v))
}

/// `GET /product-families`
pub fn product_families(_ctx: &Ctx<'_>) -> Result<Reply> {
    Ok(Reply::ok(families(
        |p| json!({"name": p.name, "slug": p.slug, "product_id": p.product_id}),
    )))
}

/// `GET /partner/product-families` (partner token): the same families, each
/// product with the price the partner pays (the sandbox's invented prices).
pub fn partner_product_families(ctx: &Ctx<'_>) -> Result<Reply> {
    key(ctx)?;
    Ok(Reply::ok(families(|p| {
        json!({
            "name": p.name,
            "slug": p.slug,
            "product_id": p.product_id,
            "currency": "usd",
            "amount": p.price_cents as f64 / 100.0,
            "price_interval": "month",
        })
    })))
}

/// Every product family (paid products only), each product drawn by `product`.
fn families(product: impl Fn(&plans::Plan) -> Value) -> Value {
    let names = |f: &str| match f {
        "plans" => ("Jetpack Plans", "jetpack-plans"),
        "backup" => ("Jetpack Backup", "jetpack-backup"),
        "scan" => ("Jetpack Scan", "jetpack-scan"),
        _ => ("Jetpack Anti-spam", "jetpack-anti-spam"),
    };
    let families: Vec<Value> = plans::families()
        .into_iter()
        .map(|f| {
            let (name, slug) = names(f);
            let products: Vec<Value> = plans::PLANS
                .iter()
                .filter(|p| p.family == f)
                .map(&product)
                .collect();
            json!({"name": name, "slug": slug, "products": products})
        })
        .collect();
    Value::Array(families)
}

/// `GET /partner` (user token): the partner and its keys, each with a
/// partner-key token for the other endpoints.
pub fn partner(ctx: &Ctx<'_>) -> Result<Reply> {
    let (_, p) = auth::user(ctx, Style::Wp)?;
    let keys = ctx.shared.store.write(|tx| {
        let keys: Vec<KeyRec> = tx.keys.values().filter(|k| k.partner_id == p.id).cloned().collect();
        let mut out = Vec::new();
        for k in keys {
            let existing = tx
                .tokens
                .values()
                .filter(|t| t.kind == TokenKind::Partner && t.client_id == k.client_id && t.scope == "jetpack-licensing")
                .find(|t| live_token(tx, &t.token, ctx.now()).is_some())
                .map(|t| t.token.clone());
            let token = match existing {
                Some(t) => t,
                None => {
                    let t = TokenRec {
                        token: ids::random_string(64),
                        kind: TokenKind::Partner,
                        client_id: k.client_id.clone(),
                        user_id: 0,
                        blog_id: 0,
                        scope: "jetpack-licensing".into(),
                        revoked: false,
                        expires_at: None,
                        created_on: ctx.now(),
                    };
                    let s = t.token.clone();
                    tx.put(Event::Token(t));
                    s
                }
            };
            out.push(json!({
                "id": k.id,
                "name": k.name,
                "oauth2_token": token,
                "disabled_on": if k.disabled { json!(clock::datetime(k.created_on)) } else { Value::Null },
            }));
        }
        out
    })?;
    Ok(Reply::ok(
        json!({"id": p.id, "name": p.name, "slug": partner_slug(&p), "keys": keys}),
    ))
}

/// `POST /site-connection` `{url, local_user}`: connects a site without a
/// WordPress.com user; safe to repeat.
pub fn site_connection(ctx: &Ctx<'_>) -> Result<Reply> {
    key(ctx)?;
    let url = ctx
        .params
        .non_empty("url")
        .ok_or_else(|| wp(400, "missing_url", "The url parameter is required."))?;
    let local_user = ctx
        .params
        .non_empty("local_user")
        .ok_or_else(|| {
            wp(
                400,
                "missing_local_user",
                "The local_user parameter is required.",
            )
        })?
        .to_string();
    let site = sites::parse_url(url).ok_or_else(|| {
        wp(
            400,
            "invalid_url",
            "The url must be a full http or https URL.",
        )
    })?;
    let (code, blog_id) = ctx.shared.store.write(|tx| {
        let already = tx
            .site_by_ident(&site.identifier)
            .is_some_and(|s| s.connected);
        jpphp::connect_site(tx, &site.identifier, Some(&site.url), ctx.now());
        if let Some(s) = tx.site_by_ident(&site.identifier).cloned() {
            if s.local_user.is_empty() {
                tx.put(Event::Site(SiteRec { local_user, ..s }));
            }
        }
        let blog_id = tx.site_by_ident(&site.identifier).map_or(0, |s| s.blog_id);
        (
            if already {
                "already_connected"
            } else {
                "success"
            },
            blog_id,
        )
    })?;
    Ok(Reply::ok(json!({"code": code, "blog_id": blog_id})))
}

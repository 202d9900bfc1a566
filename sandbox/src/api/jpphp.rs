//! The partner endpoints of REST API v1.2-v1.4: provision, cancel, status,
//! upgrade-paths, errors (PROTOCOL.md §2-§4).

use super::auth::{self, err, Style};
use super::{Ctx, Failure, Result};
use crate::ids;
use crate::links;
use crate::params::percent_encode;
use crate::plans::{self, Plan};
use crate::reply::Reply;
use crate::sites::{self, parse_ref, SiteRef, SiteUrl};
use crate::state::{ActivationRec, Event, KeyRec, SiteRec, State, TokenKind, TokenRec};
use crate::store::Tx;
use serde_json::{json, Map, Value};

fn bad(status: u16, code: &str, message: &str) -> Failure {
    err(Style::Rest, status, code, message)
}

/// The SSO link into wp-admin given once a site is connected.
pub fn sso_url(siteurl: &str) -> String {
    format!(
        "{siteurl}/wp-login.php?action=jetpack-sso&redirect_to={}",
        percent_encode(&format!("{siteurl}/wp-admin/"))
    )
}

/// Marks a site connected (creating it from `siteurl` when unknown and a URL
/// is given) and activates its pending activations. Returns the site URL.
pub fn connect_site(
    tx: &mut Tx<'_>,
    identifier: &str,
    siteurl: Option<&str>,
    now: i64,
) -> Option<String> {
    let site = match tx.site_by_ident(identifier).cloned() {
        Some(s) => s,
        None => {
            let url = siteurl?;
            SiteRec {
                blog_id: tx.next_blog_id(),
                identifier: identifier.to_string(),
                siteurl: url.to_string(),
                connected: false,
                connected_on: None,
                has_backups_credentials: false,
                local_user: String::new(),
                wpcom_user_id: 0,
                created_on: now,
            }
        }
    };
    let url = site.siteurl.clone();
    let blog_id = site.blog_id;
    if !site.connected {
        tx.put(Event::Site(SiteRec {
            connected: true,
            connected_on: Some(now),
            ..site
        }));
    }
    let pending: Vec<ActivationRec> = tx
        .live_activations(blog_id, now)
        .into_iter()
        .filter(|a| a.is_pending(now))
        .cloned()
        .collect();
    for a in pending {
        tx.put(Event::Activation(ActivationRec {
            activated_on: Some(now),
            ..a
        }));
    }
    Some(url)
}

/// Resolves a `{site}` path segment.
fn resolve_site(st: &State, segment: &str) -> std::result::Result<SiteRec, Failure> {
    match parse_ref(segment) {
        SiteRef::BlogId(id) => st
            .sites
            .get(&id)
            .cloned()
            .ok_or_else(|| bad(403, "invalid_blog", &format!("The blog ID {id} is invalid"))),
        SiteRef::Identifier(ident) => st
            .site_by_ident(&ident)
            .cloned()
            .ok_or_else(|| bad(404, "unknown_blog", "Unknown blog")),
    }
}

fn plan_of(a: &ActivationRec) -> &'static Plan {
    plans::by_product_id(a.current_product_id).unwrap_or(&plans::PLANS[0])
}

/// Checks a key's per-plan limit before it takes one more `plan`.
fn check_limit(
    st: &State,
    key: &KeyRec,
    plan: &Plan,
    now: i64,
) -> std::result::Result<(), Failure> {
    let Some(limits) = &key.limits else {
        return Ok(());
    };
    let max = match plan.slug {
        "personal" => limits.personal,
        "premium" => limits.premium,
        "professional" => limits.professional,
        _ => return Ok(()),
    };
    let used = st
        .activations
        .values()
        .filter(|a| a.key_id == key.id && a.is_live(now) && a.current_product_id == plan.product_id)
        .count() as u64;
    if used >= max {
        return Err(bad(
            400,
            "activation_limit_reached",
            &format!(
                "This key has reached its activation limit for product {}",
                plan.slug
            ),
        ));
    }
    Ok(())
}

fn parse_port(v: Option<&str>, default: u16) -> std::result::Result<u16, ()> {
    match v.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(default),
        Some(s) => s.parse::<u16>().ok().filter(|p| *p > 0).ok_or(()),
    }
}

/// Checks backup credentials of one kind (`ssh` or `ftp`): `Some((set, error))`
/// when any field of that kind was sent.
fn credentials(ctx: &Ctx<'_>, kind: &str) -> Option<(bool, Option<String>)> {
    let p = &ctx.params;
    let f = |n: &str| p.non_empty(&format!("{kind}_{n}"));
    let fields = ["user", "pass", "private_key", "host", "port"];
    if !fields.iter().any(|n| f(n).is_some()) {
        return None;
    }
    let default_port = if kind == "ssh" { 22 } else { 21 };
    let error = if f("user").is_none() {
        Some(format!("{kind}_user is required"))
    } else if kind == "ssh" && f("pass").is_none() && f("private_key").is_none() {
        Some("ssh_user needs ssh_pass or ssh_private_key".to_string())
    } else if kind == "ftp" && f("pass").is_none() {
        Some("ftp_user needs ftp_pass".to_string())
    } else if parse_port(f("port"), default_port).is_err() {
        Some(format!("{kind}_port must be a port number"))
    } else {
        None
    };
    Some((error.is_none(), error))
}

fn missing_local_user() -> Failure {
    bad(
        400,
        "invalid_local_user",
        "The required \"local_user\" argument is missing.",
    )
}

/// `POST /rest/v1.3/jpphp/provision`
pub fn provision(ctx: &Ctx<'_>) -> Result<Reply> {
    let key = auth::partner_key(
        ctx,
        Style::Rest,
        "This token is not authorized to provision partner sites",
    )?;
    let p = &ctx.params;
    let siteurl = p.non_empty("siteurl").ok_or_else(|| {
        bad(
            400,
            "invalid_siteurl",
            "The required \"siteurl\" argument is missing.",
        )
    })?;
    let local_user = p
        .non_empty("local_user")
        .or_else(|| p.non_empty("local_username"))
        .ok_or_else(missing_local_user)?
        .to_string();
    let site_url = sites::parse_siteurl(siteurl).ok_or_else(|| {
        bad(
            400,
            "invalid_siteurl",
            "The \"siteurl\" argument must be a site URL (http://, https:// or no scheme).",
        )
    })?;
    provision_site(ctx, key, site_url, local_user)
}

/// `POST /rest/v1.3/jpphp/{site}/partner-provision`: the route of WP-CLI's
/// `jetpack partner_provision` (Automattic/jetpack: Jetpack_Provision). The
/// site has registered already, so the path names it; the JSON body carries
/// `user_login` / `user_id` of the local user instead of `local_user`, and no
/// `siteurl`.
pub fn provision_registered(ctx: &Ctx<'_>, segment: &str) -> Result<Reply> {
    let key = auth::partner_key(
        ctx,
        Style::Rest,
        "This token is not authorized to provision partner sites",
    )?;
    let site = ctx.shared.store.read(|st| resolve_site(st, segment))?;
    let site_url = sites::parse_url(&site.siteurl)
        .ok_or_else(|| bad(400, "invalid_siteurl", "The site's URL is not valid."))?;
    let p = &ctx.params;
    let local_user = ["local_user", "user_login", "user_id"]
        .iter()
        .find_map(|n| p.non_empty(n))
        .map(String::from)
        .or_else(|| (!site.local_user.is_empty()).then(|| site.local_user.clone()))
        .ok_or_else(missing_local_user)?;
    provision_site(ctx, key, site_url, local_user)
}

/// Provisions for a known site URL and local user; shared by both routes.
fn provision_site(
    ctx: &Ctx<'_>,
    key: KeyRec,
    site_url: SiteUrl,
    local_user: String,
) -> Result<Reply> {
    let p = &ctx.params;
    let plan_slug = p.non_empty("plan").unwrap_or(plans::FREE);
    let plan = plans::find(plan_slug).ok_or_else(|| {
        bad(
            400,
            "invalid_plan",
            &format!("{plan_slug} is not a valid plan"),
        )
    })?;
    let wpcom_user_id = match p.non_empty("wpcom_user_id") {
        None => 0,
        Some(v) => v.parse::<u64>().map_err(|_| {
            bad(
                400,
                "invalid_wpcom_user_id",
                "The \"wpcom_user_id\" argument must be a non-negative integer.",
            )
        })?,
    };
    if site_url.host.starts_with("method-not-found.") && !p.flag("force_register") {
        return Err(bad(
            400,
            "method_not_found",
            "The remoteRegister method was not found on the remote site (Jetpack inactive, http/https mismatch or stale tokens). Retry with force_register.",
        ));
    }
    let ssh = credentials(ctx, "ssh");
    let ftp = credentials(ctx, "ftp");
    let creds_set = ssh.as_ref().is_some_and(|c| c.0) || ftp.as_ref().is_some_and(|c| c.0);
    let tracking = ctx
        .query
        .non_empty("partner-tracking-id")
        .or_else(|| ctx.query.non_empty("partner_tracking_id"))
        .or_else(|| p.non_empty("partner-tracking-id"))
        .or_else(|| p.non_empty("partner_tracking_id"))
        .map(String::from);
    let unresolvable = site_url.host.ends_with(".invalid");

    let outcome = ctx
        .shared
        .store
        .write(|tx| -> std::result::Result<Provisioned, Failure> {
            let now = ctx.now();
            let existing = tx.site_by_ident(&site_url.identifier).cloned();
            let mut site = existing.clone().unwrap_or_else(|| SiteRec {
                blog_id: tx.next_blog_id(),
                identifier: site_url.identifier.clone(),
                siteurl: site_url.url.clone(),
                connected: false,
                connected_on: None,
                has_backups_credentials: false,
                local_user: local_user.clone(),
                wpcom_user_id: 0,
                created_on: now,
            });
            // Plan checks first, so a refused call changes nothing.
            let family_live: Option<ActivationRec> = tx
                .live_activations(site.blog_id, now)
                .into_iter()
                .find(|a| plan_of(a).family == plan.family)
                .cloned();
            enum Change {
                None,
                New,
                Upgrade(ActivationRec),
            }
            let change = if plan.slug == plans::FREE {
                Change::None
            } else {
                match family_live {
                    None => {
                        check_limit(tx, &key, plan, now)?;
                        Change::New
                    }
                    Some(a) => {
                        let current = plan_of(&a);
                        if current.product_id == plan.product_id {
                            Change::None
                        } else if current.rank > plan.rank {
                            return Err(bad(
                                400,
                                "plan_downgrade_disallowed",
                                "Can not automatically downgrade plans. Contact support.",
                            ));
                        } else {
                            check_limit(tx, &key, plan, now)?;
                            Change::Upgrade(a)
                        }
                    }
                }
            };
            let became_connected = wpcom_user_id > 0 && !site.connected;
            // A scheme-less siteurl names the site; it does not change its URL.
            if site_url.has_scheme {
                site.siteurl = site_url.url.clone();
            }
            let url = site.siteurl.clone();
            site.local_user = local_user.clone();
            if wpcom_user_id > 0 {
                site.wpcom_user_id = wpcom_user_id;
            }
            site.has_backups_credentials |= creds_set;
            if became_connected {
                site.connected = true;
                site.connected_on = Some(now);
            }
            let connected = site.connected;
            let changed_site = existing.as_ref().is_none_or(|e| {
                e.siteurl != site.siteurl
                    || e.local_user != site.local_user
                    || e.wpcom_user_id != site.wpcom_user_id
                    || e.has_backups_credentials != site.has_backups_credentials
                    || e.connected != site.connected
            });
            let blog_id = site.blog_id;
            if changed_site {
                tx.put(Event::Site(site));
            }
            let activated_on = connected.then_some(now);
            match change {
                Change::None => {}
                Change::New => {
                    let id = tx.next_activation_id();
                    tx.put(Event::Activation(ActivationRec {
                        id,
                        key_id: key.id,
                        blog_id,
                        product_id: plan.product_id,
                        current_product_id: plan.product_id,
                        created_on: now,
                        activated_on,
                        cancelled_on: None,
                        wpcom_user_id,
                        external_user_id: local_user.clone(),
                        site_url: url.clone(),
                        partner_tracking_id: tracking.clone(),
                    }));
                }
                Change::Upgrade(a) if a.key_id == key.id => {
                    tx.put(Event::Activation(ActivationRec {
                        current_product_id: plan.product_id,
                        ..a
                    }));
                }
                Change::Upgrade(a) => {
                    // Another partner's plan is replaced: theirs ends, ours begins.
                    tx.put(Event::Activation(ActivationRec {
                        cancelled_on: Some(now),
                        ..a
                    }));
                    let id = tx.next_activation_id();
                    tx.put(Event::Activation(ActivationRec {
                        id,
                        key_id: key.id,
                        blog_id,
                        product_id: plan.product_id,
                        current_product_id: plan.product_id,
                        created_on: now,
                        activated_on,
                        cancelled_on: None,
                        wpcom_user_id,
                        external_user_id: local_user.clone(),
                        site_url: url.clone(),
                        partner_tracking_id: tracking.clone(),
                    }));
                }
            }
            if became_connected {
                connect_site(tx, &site_url.identifier, None, now);
            }
            // Connecting an existing WordPress.com user hands the site a token
            // for its master user (read by Jetpack_Provision and the script).
            let access_token = (wpcom_user_id > 0).then(|| {
                let token = ids::random_string(64);
                tx.put(Event::Token(TokenRec {
                    token: token.clone(),
                    kind: TokenKind::User,
                    client_id: key.client_id.clone(),
                    user_id: wpcom_user_id,
                    blog_id,
                    scope: String::new(),
                    revoked: false,
                    expires_at: None,
                    created_on: now,
                }));
                token
            });
            Ok(Provisioned {
                connected,
                url,
                access_token,
            })
        })??;
    let Provisioned {
        connected,
        url,
        access_token,
    } = outcome;

    let mut out = Map::new();
    out.insert("success".into(), json!(true));
    if connected {
        out.insert("auth_required".into(), json!(false));
        out.insert("next_url".into(), json!(sso_url(&url)));
    } else {
        out.insert("auth_required".into(), json!(true));
        let next = if unresolvable {
            String::new()
        } else {
            format!(
                "{}/jetpack.authorize/1/?client_id={}&site={}&siteurl={}&local_user={}",
                links::base_url(ctx.shared, ctx.req),
                percent_encode(&key.client_id),
                percent_encode(&site_url.identifier),
                percent_encode(&url),
                percent_encode(&local_user),
            )
        };
        out.insert("next_url".into(), json!(next));
    }
    if let Some(token) = access_token {
        out.insert("access_token".into(), json!(token));
    }
    if let Some((set, error)) = ssh {
        out.insert("ssh_set".into(), json!(set));
        if let Some(e) = error {
            out.insert("ssh_error".into(), json!(e));
        }
    }
    if let Some((set, error)) = ftp {
        out.insert("ftp_set".into(), json!(set));
        if let Some(e) = error {
            out.insert("ftp_error".into(), json!(e));
        }
    }
    Ok(Reply::ok(Value::Object(out)))
}

/// What a provision's write decided, for its reply.
struct Provisioned {
    connected: bool,
    /// The site's URL (with scheme) after the call.
    url: String,
    access_token: Option<String>,
}

fn activation_summary(a: &ActivationRec) -> Value {
    json!({
        "id": a.id,
        "blog_id": a.blog_id,
        "plan": plan_of(a).slug,
        "product_id": a.current_product_id,
    })
}

/// `POST /rest/v1.3/jpphp/{site}/partner-cancel`
pub fn cancel(ctx: &Ctx<'_>, segment: &str) -> Result<Reply> {
    let now = ctx.now();
    let key = auth::partner_key(
        ctx,
        Style::Rest,
        "This token is not authorized to cancel partner plans",
    )?;
    let plan = match ctx.params.non_empty("plan") {
        None => None,
        Some(slug) => Some(
            plans::find(slug)
                .ok_or_else(|| bad(400, "invalid_plan", &format!("{slug} is not a valid plan")))?,
        ),
    };
    let cancel_all = ctx.params.flag("cancel-all") || ctx.params.flag("cancel_all");
    let reply = ctx.shared.store.write(|tx| -> Result<Value> {
        let site = resolve_site(tx, segment)?;
        let live: Vec<ActivationRec> = tx
            .live_activations(site.blog_id, now)
            .into_iter()
            .cloned()
            .collect();
        let now = ctx.now();
        if cancel_all {
            let mine: Vec<ActivationRec> = live
                .iter()
                .filter(|a| a.key_id == key.id)
                .cloned()
                .collect();
            if mine.is_empty() {
                if !live.is_empty() {
                    return Err(incorrect_key());
                }
                return Ok(json!({"success": false, "pending_activations": [], "activations": []}));
            }
            let mut pending = Vec::new();
            let mut active = Vec::new();
            for a in mine {
                if a.is_pending(now) {
                    pending.push(activation_summary(&a));
                } else {
                    active.push(activation_summary(&a));
                }
                tx.put(Event::Activation(ActivationRec {
                    cancelled_on: Some(now),
                    ..a
                }));
            }
            return Ok(
                json!({"success": true, "pending_activations": pending, "activations": active}),
            );
        }
        let family = plan.map_or("plans", |p| p.family);
        if plan.is_some_and(|p| p.slug == plans::FREE) {
            return Ok(json!({"success": false}));
        }
        let Some(target) = live.into_iter().find(|a| plan_of(a).family == family) else {
            return Ok(json!({"success": false}));
        };
        if target.key_id != key.id {
            return Err(incorrect_key());
        }
        tx.put(Event::Activation(ActivationRec {
            cancelled_on: Some(now),
            ..target
        }));
        Ok(json!({"success": true}))
    })??;
    Ok(Reply::ok(reply))
}

fn incorrect_key() -> Failure {
    bad(
        403,
        "incorrect_partner_key",
        "Subscriptions can only be cancelled by the oAuth client that created them",
    )
}

/// `GET /rest/v1.4/jpphp/{site}/status`
pub fn status(ctx: &Ctx<'_>, segment: &str) -> Result<Reply> {
    let now = ctx.now();
    let key = auth::partner_key(
        ctx,
        Style::Rest,
        "This token is not authorized to query partner sites",
    )?;
    ctx.shared.store.read(|st| {
        let site = resolve_site(st, segment)?;
        let products: Vec<Value> = st
            .live_activations(site.blog_id, now)
            .into_iter()
            .map(|a| {
                json!({
                    "slug": plan_of(a).slug,
                    "is_provisioned_by_partner": true,
                    "is_provisioned_by_calling_partner": a.key_id == key.id,
                    "is_pending": a.is_pending(now),
                })
            })
            .collect();
        Ok(Reply::ok(json!({
            "blog": {
                "blog_id": site.blog_id,
                "is_connected": site.connected,
                "has_backups_credentials": site.has_backups_credentials,
            },
            "products": products,
        })))
    })
}

/// `GET /rest/v1.2/jpphp/{site}/status`
pub fn status_v12(ctx: &Ctx<'_>, segment: &str) -> Result<Reply> {
    let now = ctx.now();
    let key = auth::partner_key(
        ctx,
        Style::Rest,
        "This token is not authorized to query partner sites",
    )?;
    ctx.shared.store.read(|st| {
        let site = resolve_site(st, segment)?;
        let live = st.live_activations(site.blog_id, now);
        let plan = live.iter().find(|a| plan_of(a).family == "plans");
        Ok(Reply::ok(json!({
            "plan": plan.map_or(plans::FREE, |a| plan_of(a).slug),
            "is_partner_plan": plan.is_some(),
            "is_provisioned_by_calling_partner": plan.is_some_and(|a| a.key_id == key.id),
            "is_connected": site.connected,
            "has_pending_plan": live.iter().any(|a| a.is_pending(now)),
        })))
    })
}

/// `GET /rest/v1.3/jpphp/{site}/upgrade-paths`: per family, the slugs the
/// site can move to.
pub fn upgrade_paths(ctx: &Ctx<'_>, segment: &str) -> Result<Reply> {
    let now = ctx.now();
    auth::partner_key(
        ctx,
        Style::Rest,
        "This token is not authorized to query partner sites",
    )?;
    ctx.shared.store.read(|st| {
        let site = resolve_site(st, segment)?;
        let live = st.live_activations(site.blog_id, now);
        let mut out = Map::new();
        for family in plans::families() {
            let current = live.iter().map(|a| plan_of(a)).find(|p| p.family == family);
            let slugs: Vec<&str> = plans::PLANS
                .iter()
                .filter(|p| p.family == family && p.slug != plans::FREE)
                .filter(|p| {
                    current
                        .is_none_or(|c| p.rank > c.rank || (p.rank == c.rank && p.slug != c.slug))
                })
                .map(|p| p.slug)
                .collect();
            out.insert(family.into(), json!(slugs));
        }
        Ok(Reply::ok(Value::Object(out)))
    })
}

/// Every error code the partner endpoints return, with its HTTP status.
pub const ERRORS: &[(&str, u16, &str)] = &[
    ("invalid_siteurl", 400, "The required \"siteurl\" argument is missing or is not a valid URL."),
    ("invalid_local_user", 400, "The required \"local_user\" argument is missing."),
    ("invalid_plan", 400, "The plan is not a valid plan."),
    ("plan_downgrade_disallowed", 400, "Can not automatically downgrade plans. Contact support."),
    ("method_not_found", 400, "remoteRegister / remoteProvision method not found on the remote site; retry with force_register."),
    ("invalid_wpcom_user_id", 400, "The \"wpcom_user_id\" argument must be a non-negative integer."),
    ("activation_limit_reached", 400, "This key has reached its activation limit for the product."),
    ("partner_key_disabled", 400, "This key is disabled."),
    ("invalid_input", 400, "The request is malformed."),
    ("authorization_required", 403, "An active access token must be used to access this endpoint."),
    ("invalid_token", 403, "The OAuth2 token is invalid."),
    ("invalid_scope", 403, "This token is not authorized for this endpoint."),
    ("invalid_blog", 403, "The blog ID is invalid."),
    ("incorrect_partner_key", 403, "Subscriptions can only be cancelled by the oAuth client that created them."),
    ("unknown_blog", 404, "Unknown blog."),
];

/// `GET /rest/v1.3/jpphp/errors[?verbose]`
pub fn errors(ctx: &Ctx<'_>) -> Reply {
    let verbose = ctx.params.has("verbose") && ctx.params.get("verbose") != Some("0");
    let mut map = Map::new();
    for (code, status, message) in ERRORS {
        let v = if verbose {
            json!({"message": message, "http_status": status})
        } else {
            json!(message)
        };
        map.insert((*code).into(), v);
    }
    Reply::ok(json!({"errors": map}))
}

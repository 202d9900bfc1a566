//! WordPress.com OAuth2: the token endpoint (client_credentials,
//! authorization_code, password), token-info, the authorize page, `/me`
//! (PROTOCOL.md §1, §9).

use super::auth::{self, live_token, Style};
use super::{jpphp, Ctx, Failure, Result};
use crate::ids;
use crate::params::percent_encode;
use crate::reply::{html_escape, Reply};
use crate::sites::{parse_ref, SiteRef};
use crate::state::{CodeRec, Event, KeyRec, State, TokenKind, TokenRec};
use serde_json::json;
use std::sync::atomic::Ordering;

/// Lifetime of implicit-grant (`response_type=token`) tokens: two weeks.
const IMPLICIT_TTL: i64 = 14 * 24 * 3600;

fn oauth_err(status: u16, code: &str, description: &str) -> Failure {
    Failure::Reply(Reply::oauth_error(status, code, description))
}

/// The login of a partner's WordPress.com user.
pub fn user_login(partner_id: u64) -> String {
    format!("partner-{partner_id}")
}

pub fn user_email(partner_id: u64) -> String {
    format!("partner-{partner_id}@sandbox.invalid")
}

/// Checks `client_id` and `client_secret`.
fn client(ctx: &Ctx<'_>) -> Result<KeyRec> {
    let id = ctx.params.non_empty("client_id").ok_or_else(|| {
        oauth_err(
            400,
            "invalid_request",
            "The client_id parameter is missing.",
        )
    })?;
    let secret = ctx.params.get("client_secret").unwrap_or("");
    ctx.shared.store.read(|st| {
        let key = st
            .key_by_client_id(id)
            .ok_or_else(|| oauth_err(400, "invalid_client", "Unknown client_id."))?;
        if secret.is_empty() {
            return Err(oauth_err(
                400,
                "invalid_client",
                "The client_secret parameter is missing.",
            ));
        }
        if !constant_time_eq(key.client_secret.as_bytes(), secret.as_bytes()) {
            return Err(oauth_err(400, "invalid_client", "Incorrect client secret."));
        }
        Ok(key.clone())
    })
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn new_token(
    now: i64,
    kind: TokenKind,
    client_id: &str,
    user_id: u64,
    blog_id: u64,
    scope: &str,
    ttl: Option<i64>,
) -> TokenRec {
    TokenRec {
        token: ids::random_string(64),
        kind,
        client_id: client_id.to_string(),
        user_id,
        blog_id,
        scope: scope.to_string(),
        revoked: false,
        expires_at: ttl.map(|t| now + t),
        created_on: now,
    }
}

fn blog_url(st: &State, blog_id: u64) -> serde_json::Value {
    st.sites
        .get(&blog_id)
        .map_or(json!(0), |s| json!(s.siteurl))
}

/// `POST /oauth2/token`
pub fn token(ctx: &Ctx<'_>) -> Result<Reply> {
    let grant = ctx.params.non_empty("grant_type").ok_or_else(|| {
        oauth_err(
            400,
            "invalid_request",
            "The grant_type parameter is missing.",
        )
    })?;
    match grant {
        "client_credentials" => {
            let key = client(ctx)?;
            if let Some(scope) = ctx.params.non_empty("scope") {
                if scope != "jetpack-partner" {
                    return Err(oauth_err(
                        400,
                        "invalid_scope",
                        "The client_credentials grant only issues the jetpack-partner scope.",
                    ));
                }
            }
            let t = new_token(
                ctx.now(),
                TokenKind::Partner,
                &key.client_id,
                0,
                0,
                "jetpack-partner",
                None,
            );
            let access = t.token.clone();
            ctx.shared.store.write(|tx| tx.put(Event::Token(t)))?;
            Ok(Reply::ok(json!({
                "access_token": access,
                "token_type": "bearer",
                "blog_id": 0,
                "blog_url": 0,
                "scope": "jetpack-partner",
            })))
        }
        "authorization_code" => {
            let key = client(ctx)?;
            let code = ctx.params.non_empty("code").ok_or_else(|| {
                oauth_err(400, "invalid_request", "The code parameter is missing.")
            })?;
            let redirect_uri = ctx.params.get("redirect_uri").unwrap_or("");
            let reply = ctx.shared.store.write(|tx| {
                let rec = tx
                    .codes
                    .get(code)
                    .filter(|c| !c.used && c.client_id == key.client_id)
                    .cloned()
                    .ok_or_else(|| {
                        oauth_err(
                            400,
                            "invalid_grant",
                            "The authorization code is invalid or was already used.",
                        )
                    })?;
                if rec.redirect_uri != redirect_uri {
                    return Err(oauth_err(
                        400,
                        "invalid_grant",
                        "The redirect_uri does not match the one the code was issued for.",
                    ));
                }
                let t = new_token(
                    ctx.now(),
                    TokenKind::User,
                    &key.client_id,
                    rec.user_id,
                    rec.blog_id,
                    &rec.scope,
                    None,
                );
                let reply = json!({
                    "access_token": t.token,
                    "token_type": "bearer",
                    "blog_id": rec.blog_id,
                    "blog_url": blog_url(tx, rec.blog_id),
                    "scope": rec.scope,
                });
                tx.put(Event::Code(CodeRec { used: true, ..rec }));
                tx.put(Event::Token(t));
                Ok(reply)
            })??;
            Ok(Reply::ok(reply))
        }
        "password" => {
            let key = client(ctx)?;
            let username = ctx.params.non_empty("username").ok_or_else(|| {
                oauth_err(400, "invalid_request", "The username parameter is missing.")
            })?;
            let password = ctx.params.get("password").unwrap_or("");
            let (partner_id, user_id) = ctx
                .shared
                .store
                .read(|st| {
                    let p = st.partners.get(&key.partner_id);
                    p.map(|p| (p.id, p.user_id))
                })
                .ok_or_else(|| oauth_err(400, "invalid_client", "Unknown client_id."))?;
            let name_ok = username.eq_ignore_ascii_case(&user_login(partner_id))
                || username.eq_ignore_ascii_case(&user_email(partner_id))
                || username == user_id.to_string();
            if !name_ok
                || !constant_time_eq(password.as_bytes(), ctx.shared.user_password.as_bytes())
            {
                return Err(oauth_err(
                    400,
                    "invalid_grant",
                    "Incorrect username or password, or the user does not own this application.",
                ));
            }
            let scope = ctx
                .params
                .non_empty("scope")
                .unwrap_or("global")
                .to_string();
            let t = new_token(
                ctx.now(),
                TokenKind::User,
                &key.client_id,
                user_id,
                0,
                &scope,
                None,
            );
            let access = t.token.clone();
            ctx.shared.store.write(|tx| tx.put(Event::Token(t)))?;
            Ok(Reply::ok(json!({
                "access_token": access,
                "token_type": "bearer",
                "blog_id": 0,
                "blog_url": 0,
                "scope": scope,
            })))
        }
        other => Err(oauth_err(
            400,
            "unsupported_grant_type",
            &format!("The grant type {other:?} is not supported."),
        )),
    }
}

/// `GET /oauth2/token-info?client_id=..&token=..`
pub fn token_info(ctx: &Ctx<'_>) -> Result<Reply> {
    let client_id = ctx.params.non_empty("client_id").ok_or_else(|| {
        oauth_err(
            400,
            "invalid_request",
            "The client_id parameter is missing.",
        )
    })?;
    let token = ctx
        .params
        .non_empty("token")
        .ok_or_else(|| oauth_err(400, "invalid_request", "The token parameter is missing."))?;
    ctx.shared.store.read(|st| {
        let t = live_token(st, token, ctx.now())
            .ok_or_else(|| oauth_err(400, "invalid_token", "The token is invalid."))?;
        if t.client_id != client_id {
            return Err(oauth_err(
                400,
                "invalid_token",
                "The token does not belong to this client.",
            ));
        }
        let mut v = json!({
            "client_id": t.client_id,
            "user_id": t.user_id.to_string(),
            "blog_id": t.blog_id.to_string(),
            "scope": t.scope,
        });
        if let Some(e) = t.expires_at {
            v["expires_in"] = json!((e - ctx.now()).max(0));
        }
        Ok(Reply::ok(v))
    })
}

fn with_params(base: &str, sep: char, pairs: &[(&str, String)]) -> String {
    let mut url = base.to_string();
    let mut first = match sep {
        '?' => !base.contains('?'),
        _ => true,
    };
    for (k, v) in pairs {
        url.push(if first { sep } else { '&' });
        first = false;
        url.push_str(k);
        url.push('=');
        url.push_str(&percent_encode(v));
    }
    url
}

/// `GET /oauth2/authorize`: approves at once as the client's partner user
/// (unless refused with `deny=1` or `POST /__sandbox/authorize`).
pub fn authorize(ctx: &Ctx<'_>) -> Result<Reply> {
    let q = &ctx.params;
    let client_id = q.non_empty("client_id").ok_or_else(|| {
        oauth_err(
            400,
            "invalid_request",
            "The client_id parameter is missing.",
        )
    })?;
    let redirect_uri = q.non_empty("redirect_uri").ok_or_else(|| {
        oauth_err(
            400,
            "invalid_request",
            "The redirect_uri parameter is missing.",
        )
    })?;
    let lower = redirect_uri.to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://"))
        || redirect_uri.contains('#')
    {
        return Err(oauth_err(
            400,
            "invalid_request",
            "The redirect_uri must be an absolute http(s) URL without a fragment.",
        ));
    }
    let (key, user_id) = ctx.shared.store.read(|st| {
        let key = st
            .key_by_client_id(client_id)
            .cloned()
            .ok_or_else(|| oauth_err(400, "invalid_client", "Unknown client_id."))?;
        let user_id = st.partners.get(&key.partner_id).map_or(0, |p| p.user_id);
        Ok::<_, Failure>((key, user_id))
    })?;
    let state_param: Vec<(&str, String)> = q
        .get("state")
        .map(|s| vec![("state", s.to_string())])
        .unwrap_or_default();
    let response_type = q.get("response_type").unwrap_or("code");
    let implicit = match response_type {
        "code" => false,
        "token" => true,
        _ => {
            let mut p = vec![("error", "unsupported_response_type".to_string())];
            p.extend(state_param);
            return Ok(Reply::redirect(&with_params(redirect_uri, '?', &p)));
        }
    };
    if q.flag("deny") || ctx.shared.deny_authorize.load(Ordering::SeqCst) {
        let mut p = vec![
            ("error", "access_denied".to_string()),
            (
                "error_description",
                "The user denied access to your application.".to_string(),
            ),
        ];
        p.extend(state_param);
        return Ok(Reply::redirect(&with_params(
            redirect_uri,
            if implicit { '#' } else { '?' },
            &p,
        )));
    }
    let blog_id = match q.non_empty("blog") {
        None => 0,
        Some(b) => ctx
            .shared
            .store
            .read(|st| match parse_ref(b) {
                SiteRef::BlogId(id) => st.sites.contains_key(&id).then_some(id),
                SiteRef::Identifier(ident) => st.site_by_ident(&ident).map(|s| s.blog_id),
            })
            .ok_or_else(|| {
                oauth_err(
                    400,
                    "invalid_request",
                    "The blog parameter names no known site.",
                )
            })?,
    };
    let scope = q.non_empty("scope").unwrap_or("global").to_string();
    if implicit {
        let t = new_token(
            ctx.now(),
            TokenKind::User,
            &key.client_id,
            user_id,
            blog_id,
            &scope,
            Some(IMPLICIT_TTL),
        );
        let mut p = vec![
            ("access_token", t.token.clone()),
            ("expires_in", IMPLICIT_TTL.to_string()),
            ("token_type", "bearer".to_string()),
            ("site_id", blog_id.to_string()),
            ("scope", scope.clone()),
        ];
        p.extend(state_param);
        ctx.shared.store.write(|tx| tx.put(Event::Token(t)))?;
        return Ok(Reply::redirect(&with_params(redirect_uri, '#', &p)));
    }
    let code = CodeRec {
        code: ids::random_string(32),
        client_id: key.client_id.clone(),
        redirect_uri: redirect_uri.to_string(),
        user_id,
        blog_id,
        scope,
        used: false,
        created_on: ctx.now(),
    };
    let mut p = vec![("code", code.code.clone())];
    p.extend(state_param);
    ctx.shared.store.write(|tx| tx.put(Event::Code(code)))?;
    Ok(Reply::redirect(&with_params(redirect_uri, '?', &p)))
}

/// `GET /jetpack.authorize/1/?site=<identifier>`: the sandbox's stand-in for
/// the page a site owner visits to connect the site (the `next_url` of a
/// provision that needs authorisation). Visiting it connects the site.
pub fn jetpack_authorize(ctx: &Ctx<'_>) -> Result<Reply> {
    let site = ctx.params.non_empty("site").ok_or_else(|| {
        Failure::Reply(Reply::raw(
            400,
            "text/html; charset=utf-8",
            b"<p>Missing site.</p>\n".to_vec(),
        ))
    })?;
    if ctx.shared.deny_authorize.load(Ordering::SeqCst) || ctx.params.flag("deny") {
        return Ok(Reply::raw(
            403,
            "text/html; charset=utf-8",
            b"<!DOCTYPE html><html><body><h1>Connection refused</h1><p>The site was not connected.</p></body></html>\n".to_vec(),
        ));
    }
    let ident = match parse_ref(site) {
        SiteRef::Identifier(i) => i,
        SiteRef::BlogId(id) => ctx
            .shared
            .store
            .read(|st| st.sites.get(&id).map(|s| s.identifier.clone()))
            .unwrap_or_default(),
    };
    let url = ctx
        .shared
        .store
        .write(|tx| jpphp::connect_site(tx, &ident, None, ctx.now()))?;
    match url {
        Some(siteurl) => {
            let sso = jpphp::sso_url(&siteurl);
            let page = format!(
                "<!DOCTYPE html><html><body><h1>Site connected</h1><p>{} is now connected to WordPress.com.</p>\
                 <p><a href=\"{}\">Continue to wp-admin</a></p></body></html>\n",
                html_escape(&siteurl),
                html_escape(&sso)
            );
            Ok(Reply::raw(
                200,
                "text/html; charset=utf-8",
                page.into_bytes(),
            ))
        }
        None => Ok(Reply::raw(
            404,
            "text/html; charset=utf-8",
            b"<!DOCTYPE html><html><body><h1>Unknown site</h1></body></html>\n".to_vec(),
        )),
    }
}

/// `GET /rest/v1/me`: the user of a user token.
pub fn me(ctx: &Ctx<'_>) -> Result<Reply> {
    let (t, partner) = auth::user(ctx, Style::Rest)?;
    Ok(Reply::ok(json!({
        "ID": t.user_id,
        "username": user_login(partner.id),
        "display_name": format!("{} (sandbox user)", partner.name),
        "email": user_email(partner.id),
        "primary_blog": t.blog_id,
        "token_site_id": if t.blog_id == 0 { json!(false) } else { json!(t.blog_id) },
        "verified": true,
        "email_verified": true,
        "jetpack_partner_id": partner.id,
    })))
}

//! Bearer tokens: who is calling, and refusing the wrong kind of token.

use super::{Ctx, Failure, Result};
use crate::reply::Reply;
use crate::state::{Event, KeyRec, PartnerRec, State, TokenKind, TokenRec};

/// The error shape of the endpoint family.
#[derive(Clone, Copy)]
pub enum Style {
    /// REST API v1.x: `{"error", "message"}`.
    Rest,
    /// wpcom/v2: `{"code", "message", "data": {"status"}}`.
    Wp,
}

pub fn err(style: Style, status: u16, code: &str, message: &str) -> Failure {
    Failure::Reply(match style {
        Style::Rest => Reply::error(status, code, message),
        Style::Wp => Reply::wp_error(status, code, message),
    })
}

impl Ctx<'_> {
    pub fn bearer(&self) -> Option<&str> {
        let h = self.req.header("authorization")?.trim();
        let (scheme, token) = h.split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return None;
        }
        let token = token.trim();
        (!token.is_empty()).then_some(token)
    }
}

pub fn live_token<'s>(state: &'s State, token: &str, now: i64) -> Option<&'s TokenRec> {
    state
        .tokens
        .get(token)
        .filter(|t| !t.revoked && t.expires_at.is_none_or(|e| e > now))
}

/// The calling partner key, from a client-credentials token.
pub fn partner_key(ctx: &Ctx<'_>, style: Style, scope_message: &str) -> Result<KeyRec> {
    let Some(token) = ctx.bearer() else {
        return Err(err(
            style,
            403,
            "authorization_required",
            "An active access token must be used to access this endpoint.",
        ));
    };
    ctx.shared.store.read(|st| {
        let t = live_token(st, token, ctx.now())
            .ok_or_else(|| err(style, 403, "invalid_token", "The OAuth2 token is invalid."))?;
        if t.kind != TokenKind::Partner {
            return Err(err(style, 403, "invalid_scope", scope_message));
        }
        let key = st
            .key_by_client_id(&t.client_id)
            .ok_or_else(|| err(style, 403, "invalid_token", "The OAuth2 token is invalid."))?;
        if key.disabled {
            return Err(err(
                style,
                400,
                "partner_key_disabled",
                "This key is disabled.",
            ));
        }
        Ok(key.clone())
    })
}

/// The calling WordPress.com user (a partner's user), from a user token.
pub fn user(ctx: &Ctx<'_>, style: Style) -> Result<(TokenRec, PartnerRec)> {
    let Some(token) = ctx.bearer() else {
        return Err(err(
            style,
            403,
            "authorization_required",
            "An active access token must be used to access this endpoint.",
        ));
    };
    ctx.shared.store.read(|st| {
        let t = live_token(st, token, ctx.now())
            .ok_or_else(|| err(style, 403, "invalid_token", "The OAuth2 token is invalid."))?;
        if t.kind != TokenKind::User {
            return Err(err(
                style,
                403,
                "invalid_scope",
                "This endpoint needs a WordPress.com user token, not a partner (client credentials) token.",
            ));
        }
        let partner = st
            .partner_of_user(t.user_id)
            .ok_or_else(|| err(style, 403, "invalid_token", "The OAuth2 token is invalid."))?;
        Ok((t.clone(), partner.clone()))
    })
}

/// Revokes the request's bearer token (fault `refuse_token`).
pub fn revoke_bearer(ctx: &Ctx<'_>) -> std::io::Result<()> {
    let Some(token) = ctx.bearer() else {
        return Ok(());
    };
    ctx.shared.store.write(|tx| {
        if let Some(t) = tx.tokens.get(token).filter(|t| !t.revoked).cloned() {
            tx.put(Event::Token(TokenRec { revoked: true, ..t }));
        }
    })
}

//! Partner keys for resellers: partner-keys/new and verify (PROTOCOL.md §5).

use super::auth::{self, err, Style};
use super::{Ctx, Result};
use crate::ids;
use crate::reply::Reply;
use crate::state::{Event, KeyRec, Limits};
use serde_json::json;

fn count(ctx: &Ctx<'_>, name: &str) -> Result<u64> {
    match ctx.params.non_empty(name) {
        None => Ok(0),
        Some(v) => v.parse::<u64>().map_err(|_| {
            err(
                Style::Rest,
                400,
                "invalid_input",
                &format!("The \"{name}\" argument must be a non-negative integer."),
            )
        }),
    }
}

/// `POST /rest/v1.3/jpphp/partner-keys/new`: a new key (client credentials)
/// under the caller's partner, with per-plan activation limits.
pub fn new_key(ctx: &Ctx<'_>) -> Result<Reply> {
    let caller = auth::partner_key(
        ctx,
        Style::Rest,
        "This token is not authorized to create partner keys",
    )?;
    let name = ctx
        .params
        .non_empty("name")
        .ok_or_else(|| {
            err(
                Style::Rest,
                400,
                "invalid_input",
                "The required \"name\" argument is missing.",
            )
        })?
        .to_string();
    let limits = Limits {
        personal: count(ctx, "allowed_personal_plans")?,
        premium: count(ctx, "allowed_premium_plans")?,
        professional: count(ctx, "allowed_professional_plans")?,
    };
    let notes = ctx.params.non_empty("notes").map(String::from);
    let key = ctx.shared.store.write(|tx| {
        let id = tx.next_key_id();
        let mut client_id = (100_000 + id).to_string();
        while tx.key_by_client.contains_key(&client_id) {
            client_id.push('0');
        }
        let key = KeyRec {
            id,
            partner_id: caller.partner_id,
            client_id,
            client_secret: ids::random_string(64),
            name,
            limits: Some(limits),
            notes,
            disabled: false,
            created_on: ctx.now(),
            created_by: Some(caller.id),
        };
        tx.put(Event::Key(key.clone()));
        key
    })?;
    let limits = key.limits.clone().unwrap_or(Limits {
        personal: 0,
        premium: 0,
        professional: 0,
    });
    Ok(Reply::ok(json!({
        "id": key.id,
        "name": key.name,
        "allowed_personal_plans": limits.personal.to_string(),
        "allowed_premium_plans": limits.premium.to_string(),
        "allowed_professional_plans": limits.professional.to_string(),
        "notes": key.notes,
        "client_id": key.client_id,
        "client_secret": key.client_secret,
    })))
}

/// `POST /rest/v1.3/jpphp/partner-keys/verify`: 200 when the token's key is valid.
pub fn verify(ctx: &Ctx<'_>) -> Result<Reply> {
    let key = auth::partner_key(ctx, Style::Rest, "This token is not a partner key token")?;
    Ok(Reply::ok(json!({
        "success": true,
        "id": key.id,
        "name": key.name,
        "client_id": key.client_id,
    })))
}

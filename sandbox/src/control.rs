//! The control endpoints under `/__sandbox/` (never counted in the stats).

use crate::api;
use crate::http::{Request, Response};
use crate::reply::Reply;
use crate::router::storage_error;
use crate::sites;
use crate::stats::Endpoint;
use crate::Shared;
use serde_json::{json, Value};
use std::sync::atomic::Ordering;

fn ok() -> Reply {
    Reply::ok(json!({"ok": true}))
}

fn bad(message: &str) -> Reply {
    Reply::json(
        400,
        json!({"ok": false, "error": "invalid_request", "message": message}),
    )
}

fn body_json(req: &Request) -> Result<Value, Reply> {
    let trimmed = req.body.trim_ascii();
    if trimmed.is_empty() {
        return Ok(json!({}));
    }
    serde_json::from_slice(trimmed).map_err(|e| bad(&format!("the body is not valid JSON: {e}")))
}

/// The clock moves at most 1000 years per call.
const MAX_ADVANCE: i64 = 1000 * 366 * 24 * 3600;

fn clock_json(shared: &Shared) -> Reply {
    let now = shared.now();
    Reply::ok(json!({
        "ok": true,
        "now": crate::clock::datetime(now),
        "offset": shared.clock_offset.load(Ordering::SeqCst),
    }))
}

pub fn handle(shared: &Shared, req: &Request, segs: &[&str]) -> Response {
    let reply = match (req.method.as_str(), segs) {
        ("GET", ["health"]) => ok(),
        ("GET", ["stats"]) => Reply::ok(shared.stats.to_json()),
        ("POST", ["stats", "reset"]) => {
            shared.stats.reset();
            ok()
        }
        ("GET", ["requests"]) => {
            let query = crate::params::Params::parse_urlencoded(req.query.as_bytes());
            Reply::ok(shared.request_log.to_json(query.get("endpoint")))
        }
        ("DELETE", ["requests"]) => {
            shared.request_log.clear();
            ok()
        }
        ("GET", ["faults"]) => Reply::ok(json!({"faults": shared.faults.list()})),
        ("POST", ["faults"]) => match body_json(req) {
            Err(r) => r,
            Ok(spec) => match shared
                .faults
                .add(&spec, |e| Endpoint::from_name(e).is_some())
            {
                Ok(id) => Reply::ok(json!({"ok": true, "id": id})),
                Err(m) => bad(&m),
            },
        },
        ("DELETE", ["faults"]) => {
            shared.faults.clear();
            ok()
        }
        ("POST", ["sites", "connect"]) => match body_json(req) {
            Err(r) => r,
            Ok(v) => match v.get("siteurl").and_then(Value::as_str) {
                None => bad("siteurl: required"),
                Some(raw) => {
                    let (ident, url) = match sites::parse_url(raw) {
                        Some(u) => (u.identifier, Some(u.url)),
                        None => match sites::parse_ref(raw) {
                            sites::SiteRef::Identifier(i) => (i, None),
                            sites::SiteRef::BlogId(id) => (
                                shared
                                    .store
                                    .read(|st| st.sites.get(&id).map(|s| s.identifier.clone()))
                                    .unwrap_or_default(),
                                None,
                            ),
                        },
                    };
                    match shared.store.write(|tx| {
                        api::connect_site(tx, &ident, url.as_deref(), shared.now())
                            .and_then(|_| tx.site_by_ident(&ident).map(|s| s.blog_id))
                    }) {
                        Ok(Some(blog_id)) => Reply::ok(json!({"ok": true, "blog_id": blog_id})),
                        Ok(None) => Reply::json(
                            404,
                            json!({"ok": false, "error": "unknown_site", "message": "No such site; give a full URL to create it connected."}),
                        ),
                        Err(e) => storage_error(&e),
                    }
                }
            },
        },
        ("GET", ["clock"]) => clock_json(shared),
        ("POST", ["clock"]) => match body_json(req) {
            Err(r) => r,
            Ok(v) => match v.get("advance").and_then(Value::as_i64) {
                Some(s) if (0..=MAX_ADVANCE).contains(&s) => {
                    shared.clock_offset.fetch_add(s, Ordering::SeqCst);
                    clock_json(shared)
                }
                _ => bad("advance: required number of seconds, 0 to 1000 years"),
            },
        },
        ("POST", ["authorize"]) => match body_json(req) {
            Err(r) => r,
            Ok(v) => match v.get("deny").and_then(Value::as_bool) {
                Some(d) => {
                    shared.deny_authorize.store(d, Ordering::SeqCst);
                    ok()
                }
                None => bad("deny: required boolean"),
            },
        },
        ("POST", ["keys", "disable"]) | ("POST", ["keys", "enable"]) => match body_json(req) {
            Err(r) => r,
            Ok(v) => match v.get("client_id").and_then(Value::as_str) {
                None => bad("client_id: required"),
                Some(id) => match api::set_key_disabled(&shared.store, id, segs[1] == "disable") {
                    Ok(true) => ok(),
                    Ok(false) => Reply::json(
                        404,
                        json!({"ok": false, "error": "unknown_key", "message": "No key has this client_id."}),
                    ),
                    Err(e) => storage_error(&e),
                },
            },
        },
        _ => {
            return Response::text(404, "Not Found\n");
        }
    };
    reply.render(false, false)
}

//! From a parsed request to a response: control endpoints, route matching,
//! stats, faults that act before or after processing, rendering.

use crate::api::{self, Ctx};
use crate::control;
use crate::faults::{Fault, Kind};
use crate::http::{Request, Response};
use crate::ids;
use crate::params::{percent_decode, Params};
use crate::reply::Reply;
use crate::server::sleep_checked;
use crate::stats::Endpoint;
use crate::Shared;
use serde_json::json;

pub enum Outcome {
    /// Close the connection without replying.
    Close,
    /// Send this response, with the fault that acts on the wire, if any.
    Reply(Response, Option<Fault>),
}

/// Splits a path into decoded, non-empty segments.
fn segments(path: &str) -> Vec<String> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(|s| percent_decode(s.as_bytes(), false))
        .collect()
}

fn not_found() -> Outcome {
    Outcome::Reply(Response::text(404, "Not Found\n"), None)
}

pub fn dispatch(shared: &Shared, req: &Request) -> Outcome {
    let segs = segments(&req.path);
    let seg_refs: Vec<&str> = segs.iter().map(String::as_str).collect();
    if seg_refs.first() == Some(&"__sandbox") {
        if !shared.control {
            return not_found();
        }
        return Outcome::Reply(control::handle(shared, req, &seg_refs[1..]), None);
    }
    let Some((endpoint, route)) = api::route(&req.method, &seg_refs) else {
        shared.stats.count(Endpoint::Unknown);
        return not_found();
    };
    shared.stats.count(endpoint);

    let query = Params::parse_urlencoded(req.query.as_bytes());
    let envelope = query.flag("http_envelope");
    let pretty = query.flag("pretty");
    let body = match Params::parse_body(req.header("content-type"), &req.body) {
        Ok(b) => b,
        Err(e) => {
            return Outcome::Reply(
                Reply::error(400, "invalid_input", &e).render(envelope, pretty),
                None,
            )
        }
    };
    // Body values win over query values of the same name.
    let mut params = query.clone();
    params.extend(body);

    let ctx = Ctx {
        shared,
        req,
        params,
        query,
    };

    let fault = shared.faults.take(endpoint.name(), &ctx.site_hints(&route));
    let mut wire_fault = None;
    if let Some(f) = fault {
        match f.kind {
            Kind::Close => return Outcome::Close,
            Kind::Status => {
                let status = f.status.unwrap_or(500);
                let mut r = Reply::error(
                    status,
                    "sandbox_fault",
                    &format!("Fault injected by the sandbox (HTTP {status})."),
                );
                if let Some(s) = f.retry_after {
                    r = r.with_header("Retry-After", &s.to_string());
                }
                return Outcome::Reply(r.render(false, false), None);
            }
            Kind::Html => {
                let status = f.status.unwrap_or(502);
                let page = format!(
                    "<!DOCTYPE html>\n<html><head><title>{status} Error</title></head>\
                     <body><h1>{status} Error</h1><p>The server encountered a temporary error \
                     and could not complete your request.</p></body></html>\n"
                );
                let mut r = Reply::raw(status, "text/html; charset=utf-8", page.into_bytes());
                if let Some(s) = f.retry_after {
                    r = r.with_header("Retry-After", &s.to_string());
                }
                return Outcome::Reply(r.render(false, false), None);
            }
            Kind::RefuseToken => {
                if let Err(e) = api::revoke_bearer(&ctx) {
                    return Outcome::Reply(storage_error(&e).render(envelope, pretty), None);
                }
                let r = Reply::error(403, "invalid_token", "The OAuth2 token is invalid.");
                return Outcome::Reply(r.render(envelope, pretty), None);
            }
            Kind::Delay => {
                if !sleep_checked(f.delay_ms.unwrap_or(1000), shared) {
                    return Outcome::Close;
                }
            }
            _ => wire_fault = Some(f),
        }
    }

    let hints = ctx.site_hints(&route);
    let mut reply = api::handle(&ctx, route);
    if matches!(endpoint, Endpoint::Provision | Endpoint::Cancel) {
        let site = hints.first().map(String::as_str).unwrap_or("");
        let plan = ctx.params.get("plan");
        shared
            .request_log
            .record(endpoint.name(), site, plan, reply.status);
    }
    if endpoint == Endpoint::Licensing {
        reply = reply.with_header("X-Jetpack-Request-Id", &ids::random_hex(32));
    }
    let mut resp = reply.render(envelope, pretty);

    if let Some(f) = &wire_fault {
        match f.kind {
            Kind::InvalidJson => {
                resp = Response::new(
                    200,
                    "application/json",
                    b"<br />\n<b>Warning</b>: Unexpected output in the API reply {\"success\": tru"
                        .to_vec(),
                );
            }
            Kind::TruncatedJson => {
                let half = resp.body.len() / 2;
                resp.status = 200;
                resp.body.truncate(half);
            }
            Kind::Oversized => {
                let size = f.size.unwrap_or(2 * 1024 * 1024) as usize;
                resp = Response::new(200, "application/json", oversized_body(size));
            }
            _ => {}
        }
    }
    let wire =
        wire_fault.filter(|f| matches!(f.kind, Kind::SlowHeaders | Kind::SlowBody | Kind::Reset));
    Outcome::Reply(resp, wire)
}

/// A valid JSON object of exactly `size` bytes (at least its minimal form).
fn oversized_body(size: usize) -> Vec<u8> {
    let prefix = br#"{"success":true,"padding":""#;
    let suffix = br#""}"#;
    let pad = size.saturating_sub(prefix.len() + suffix.len());
    let mut v = Vec::with_capacity(prefix.len() + pad + suffix.len());
    v.extend_from_slice(prefix);
    v.resize(prefix.len() + pad, b'x');
    v.extend_from_slice(suffix);
    v
}

pub fn storage_error(e: &std::io::Error) -> Reply {
    Reply::json(
        500,
        json!({"error": "storage_error", "message": format!("The sandbox could not save its state: {e}")}),
    )
}

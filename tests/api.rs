//! The whole partner API against the in-process sandbox: the generic request, the remaining partner
//! endpoints, reporting with its pagination, the OAuth flow for users, and the Licensing API.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::*;
use jetpack_partner_core::oauth::{
    authorize_url, parse_redirect, AuthorizeParams, Grant, ResponseType, Scope,
};
use jetpack_partner_core::{ApiRequest, Auth, Client, ErrorKind};
use serde_json::{json, Value};

const USER: &str = "partner-12345";
const PASSWORD: &str = "sandbox-demo-password";
const REDIRECT: &str = "http://127.0.0.1:9/callback";

fn user_token(client: &Client) -> String {
    let reply = client.password_grant(USER, PASSWORD).unwrap();
    reply.body["access_token"].as_str().unwrap().to_string()
}

/// The demo partner's ID and the ID of its own key, from the reporting API.
fn partner_and_key(client: &Client, token: &str) -> (String, String) {
    let details = client.partner_details(token).unwrap();
    let partner_id = details.body["id"].to_string();
    let key = details.body["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["client_id"] == PARTNER_ID)
        .expect("the partner's own key");
    (partner_id, key["id"].to_string())
}

/// Follows nothing: the authorize page's redirect target.
fn authorize(url: &str) -> String {
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .new_agent();
    let reply = agent.get(url).call().unwrap();
    assert_eq!(reply.status().as_u16(), 302, "{url}");
    reply.headers()["location"].to_str().unwrap().to_string()
}

fn post_control(url: &str, path: &str, body: Value) {
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent();
    let reply = agent
        .post(format!("{url}{path}"))
        .send_json_text(&body.to_string());
    assert_eq!(reply.unwrap().status().as_u16(), 200);
}

trait SendJsonText {
    fn send_json_text(self, text: &str) -> Result<ureq::http::Response<ureq::Body>, ureq::Error>;
}

impl SendJsonText for ureq::RequestBuilder<ureq::typestate::WithBody> {
    fn send_json_text(self, text: &str) -> Result<ureq::http::Response<ureq::Body>, ureq::Error> {
        self.content_type("application/json").send(text)
    }
}

#[test]
fn generic_request_with_each_kind_of_auth() {
    let sb = start();
    let url = sb.url();
    let client = client(url);
    let token = user_token(&client);

    let mut me = ApiRequest::new("GET", "/rest/v1/me");
    me.auth = Auth::User(token.clone());
    let reply = client.request(&me).unwrap();
    assert_eq!(reply.body["username"], USER);
    assert_eq!(reply.attempts, 1);

    // A partner token on a user endpoint, and no token at all.
    let e = client
        .request(&ApiRequest::new("GET", "/rest/v1/me"))
        .unwrap_err();
    assert_eq!((e.code(), e.http_status()), ("invalid_scope", Some(403)));
    let mut anonymous = ApiRequest::new("get", "/rest/v1/me");
    anonymous.auth = Auth::None;
    let e = client.request(&anonymous).unwrap_err();
    assert_eq!(e.code(), "authorization_required");

    // A form body, a JSON body and query parameters, with the partner token.
    let mut provision = ApiRequest::new("POST", "/rest/v1.3/jpphp/provision");
    provision.form = Some(options(
        json!({"local_user": "admin", "siteurl": "https://generic-form.example.com", "plan": "premium"}),
    ));
    provision.query = options(json!({"partner-tracking-id": "gen-1"}));
    assert_eq!(client.request(&provision).unwrap().body["success"], true);
    let mut provision = ApiRequest::new("POST", "/rest/v1.3/jpphp/provision");
    provision.json = Some(
        json!({"local_user": "admin", "siteurl": "https://generic-json.example.com", "plan": "personal"}),
    );
    assert_eq!(client.request(&provision).unwrap().body["success"], true);
    let status = client.status("generic-json.example.com").unwrap();
    assert_eq!(status.body["products"][0]["slug"], "personal");
    let mut status = ApiRequest::new("GET", "/rest/v1.4/jpphp/generic-form.example.com/status");
    status.query = options(json!({"pretty": 1}));
    let reply = client.request(&status).unwrap();
    assert_eq!(reply.body["products"][0]["slug"], "premium");

    // A method other than GET and POST: the sandbox has no PUT route (404, text/plain).
    let e = client
        .request(&ApiRequest::new("PUT", "/rest/v1/nothing-here"))
        .unwrap_err();
    assert_eq!((e.code(), e.http_status()), ("invalid_response", Some(404)));

    // Refused before any request.
    reset_stats(url);
    for (request, field) in [
        (ApiRequest::new("PATCH", "/rest/v1/me"), "method"),
        (ApiRequest::new("GET", "rest/v1/me"), "path"),
        (ApiRequest::new("GET", "/rest/v1/me?x=1"), "path"),
        (ApiRequest::new("GET", "/a b"), "path"),
        (
            ApiRequest {
                form: Some(options(json!({"a": 1}))),
                ..ApiRequest::new("GET", "/rest/v1/me")
            },
            "form",
        ),
        (
            ApiRequest {
                form: Some(options(json!({"a": 1}))),
                json: Some(json!({})),
                ..ApiRequest::new("POST", "/rest/v1/me")
            },
            "json",
        ),
        (
            ApiRequest {
                query: options(json!({"a": {"nested": 1}})),
                ..ApiRequest::new("GET", "/rest/v1/me")
            },
            "query.a",
        ),
        (
            ApiRequest {
                auth: Auth::User("two words".into()),
                ..ApiRequest::new("GET", "/rest/v1/me")
            },
            "user_token",
        ),
    ] {
        let e = client.request(&request).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{request:?}");
        assert!(
            e.message().starts_with(&format!("{field}: ")),
            "{}",
            e.message()
        );
        assert!(!format!("{request:?}").contains("two words"));
    }
    assert_eq!(total(url), 0);
}

#[test]
fn remaining_partner_endpoints() {
    let sb = start();
    let url = sb.url();
    let client = client(url);
    client
        .provision(
            "admin",
            "https://v12.example.com/shop",
            Some("premium"),
            &no_options(),
        )
        .unwrap();

    let v12 = client.status_v12("https://v12.example.com/shop").unwrap();
    assert_eq!(v12.body["plan"], "premium");
    assert_eq!(v12.body["is_partner_plan"], true);
    assert_eq!(v12.body["is_provisioned_by_calling_partner"], true);
    assert_eq!(v12.body["is_connected"], false);
    assert_eq!(v12.body["has_pending_plan"], true);
    let e = client.status_v12("unknown.example.com").unwrap_err();
    assert_eq!((e.code(), e.http_status()), ("unknown_blog", Some(404)));

    let paths = client.upgrade_paths("v12.example.com::shop").unwrap();
    let plans = paths.body["plans"].as_array().unwrap();
    assert!(plans.iter().any(|p| p == "professional"), "{plans:?}");
    assert!(paths.body["backup"].is_array());

    let errors = client.errors(false).unwrap();
    assert!(
        errors.body["errors"]["invalid_plan"].is_string(),
        "{}",
        errors.body
    );
    let verbose = client.errors(true).unwrap();
    assert_eq!(verbose.body["errors"]["invalid_scope"]["http_status"], 403);

    let verified = client.partner_keys_verify().unwrap();
    assert_eq!(verified.body["success"], true);
    assert_eq!(verified.body["client_id"], PARTNER_ID);

    assert_eq!(count(url, "status_v12"), 2);
    assert_eq!(count(url, "upgrade_paths"), 1);
    assert_eq!(count(url, "errors"), 2);
    assert_eq!(count(url, "partner_keys_verify"), 1);

    // A key whose credentials are wrong gets the token error, a disabled key its own code.
    let mut bad = config(url);
    bad = {
        let mut c = jetpack_partner_core::ClientConfig::new(PARTNER_ID, "not-the-secret");
        c.api_base = bad.api_base;
        c
    };
    let e = Client::new(bad).unwrap().partner_keys_verify().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Token);
    for site in ["", "https://user:pw@example.com", "not a site"] {
        let e = client.status_v12(site).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{site}");
        let e = client.upgrade_paths(site).unwrap_err();
        assert!(e.message().starts_with("site: "), "{}", e.message());
    }
}

#[test]
fn reporting_walks_every_page() {
    let sb = start();
    let url = sb.url();
    let client = client(url);
    for i in 0..45 {
        let plan = if i % 3 == 0 { "personal" } else { "premium" };
        client
            .provision(
                "admin",
                &format!("https://report-{i}.example.com"),
                Some(plan),
                &no_options(),
            )
            .unwrap();
    }
    let token = user_token(&client);
    let (partner_id, key_id) = partner_and_key(&client, &token);

    let page = client
        .activations(
            &token,
            &partner_id,
            &key_id,
            &options(json!({"per_page": 20, "page": 3})),
        )
        .unwrap();
    assert_eq!(page.body["total"], 45);
    assert_eq!(page.body["activations"].as_array().unwrap().len(), 5);
    let personal = client
        .activations(
            &token,
            &partner_id,
            &key_id,
            &options(json!({"plans": ["personal"], "per_page": 100})),
        )
        .unwrap();
    assert_eq!(personal.body["total"], 15);

    reset_stats(url);
    let mut iter = client.activations_iter(
        &token,
        &partner_id,
        &key_id,
        &options(json!({"per_page": 20})),
    );
    let first = iter.next().unwrap().unwrap();
    assert!(first["site_url"].as_str().unwrap().contains("report-"));
    assert_eq!(count(url, "reporting"), 1, "pages are fetched lazily");
    let rest: Vec<Value> = iter.map(Result::unwrap).collect();
    assert_eq!(rest.len(), 44);
    assert_eq!(count(url, "reporting"), 3);
    let ids: HashSet<String> = std::iter::once(&first)
        .chain(&rest)
        .map(|a| a["id"].to_string())
        .collect();
    assert_eq!(ids.len(), 45);

    // Filters apply to every page; starting at a later page.
    let premium: Vec<Value> = client
        .activations_iter(
            &token,
            &partner_id,
            &key_id,
            &options(json!({"per_page": 7, "plans": "premium"})),
        )
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(premium.len(), 30);
    reset_stats(url);
    let tail = client
        .activations_iter(
            &token,
            &partner_id,
            &key_id,
            &options(json!({"per_page": 20, "page": 2})),
        )
        .count();
    assert_eq!(tail, 25);
    assert_eq!(count(url, "reporting"), 2, "pages 2 and 3, no more");

    let summary = client
        .activations_summary(
            &token,
            &options(json!({"key_id": key_id.parse::<u64>().unwrap(), "scale": "day"})),
        )
        .unwrap();
    let days = summary.body.as_array().unwrap();
    assert_eq!(days.last().unwrap()["total"], 45, "{days:?}");
    let summary = client.activations_summary(&token, &no_options()).unwrap();
    assert!(summary.body.is_array());

    connect_site(url, "https://report-1.example.com");
    let upcoming = client
        .upcoming_invoice(&token, &partner_id, &key_id)
        .unwrap();
    assert_eq!(upcoming.body["status"], "upcoming");
    assert_eq!(upcoming.body["total"], 900);
    let invoices = client.invoices(&token, &partner_id, &key_id).unwrap();
    assert!(invoices.body["invoices"].is_array());

    // Errors: the server's codes passed through, and refused arguments before any request.
    let e = client
        .activations(&token, "1", &key_id, &no_options())
        .unwrap_err();
    assert_eq!((e.code(), e.http_status()), ("rest_forbidden", Some(403)));
    let e = client.invoices(&token, &partner_id, "999999").unwrap_err();
    assert_eq!((e.code(), e.http_status()), ("invalid_key", Some(404)));
    let e = client
        .activations(
            &token,
            &partner_id,
            &key_id,
            &options(json!({"activated_after": "yesterday-ish"})),
        )
        .unwrap_err();
    assert_eq!(
        (e.code(), e.http_status()),
        ("rest_invalid_param", Some(400))
    );
    let e = client.partner_details("not-a-real-token").unwrap_err();
    assert_eq!((e.code(), e.http_status()), ("invalid_token", Some(403)));
    assert!(!e.message().contains("not-a-real-token"));
    let mut iter = client.activations_iter(&token, &partner_id, "999999", &no_options());
    assert_eq!(iter.next().unwrap().unwrap_err().code(), "invalid_key");
    assert!(iter.next().is_none());

    reset_stats(url);
    for (result, field) in [
        (
            client.activations(
                &token,
                &partner_id,
                &key_id,
                &options(json!({"per_page": 0})),
            ),
            "per_page",
        ),
        (
            client.activations(&token, &partner_id, &key_id, &options(json!({"page": -1}))),
            "page",
        ),
        (
            client.activations(&token, &partner_id, &key_id, &options(json!({"bogus": 1}))),
            "bogus",
        ),
        (
            client.activations("", &partner_id, &key_id, &no_options()),
            "user_token",
        ),
        (
            client.activations(&token, "a/b", &key_id, &no_options()),
            "partner_id",
        ),
        (client.invoices(&token, &partner_id, ""), "key_id"),
        (
            client.activations_summary(&token, &options(json!({"scale": "week"}))),
            "scale",
        ),
    ] {
        let e = result.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert!(
            e.message().starts_with(&format!("{field}: ")),
            "{}",
            e.message()
        );
    }
    let mut iter = client.activations_iter(
        &token,
        &partner_id,
        &key_id,
        &options(json!({"per_page": "x"})),
    );
    assert!(iter
        .next()
        .unwrap()
        .unwrap_err()
        .message()
        .starts_with("per_page: "));
    assert!(iter.next().is_none());
    assert_eq!(total(url), 0);
}

#[test]
fn oauth_code_flow_implicit_flow_and_refusal() {
    let sb = start();
    let url = sb.url();
    let client = client(url);

    let (authorize_at, state) =
        authorize_url(url, &AuthorizeParams::new(PARTNER_ID, REDIRECT)).unwrap();
    assert_eq!(state.len(), 32);
    let location = authorize(&authorize_at);
    assert!(location.starts_with(REDIRECT), "{location}");
    let Grant::Code { code } = parse_redirect(&location, &state).unwrap() else {
        panic!("a code");
    };
    let exchanged = client.exchange_code(&code, REDIRECT).unwrap();
    let token = exchanged.body["access_token"].as_str().unwrap().to_string();
    assert_eq!(exchanged.body["token_type"], "bearer");
    let info = client.token_info(&token).unwrap();
    assert_eq!(info.body["client_id"], PARTNER_ID);
    assert!(client.partner_details(&token).is_ok());
    // Codes are single use.
    let e = client.exchange_code(&code, REDIRECT).unwrap_err();
    assert_eq!((e.code(), e.http_status()), ("invalid_grant", Some(400)));
    assert!(!e.message().contains(&code));

    // Another state in the redirect.
    let e = parse_redirect(&location, "some-other-state").unwrap_err();
    assert_eq!(e.code(), "state_mismatch");

    // Implicit flow with a blog and a scope.
    connect_site(url, "https://oauth-blog.example.com");
    let blog_id =
        client.status("oauth-blog.example.com").unwrap().body["blog"]["blog_id"].to_string();
    let mut params = AuthorizeParams::new(PARTNER_ID, REDIRECT);
    params.response_type = ResponseType::Token;
    params.scope = Some(Scope::Global);
    params.blog = Some(blog_id.clone());
    params.state = Some("my-own-state".into());
    let (authorize_at, state) = authorize_url(url, &params).unwrap();
    assert_eq!(state, "my-own-state");
    let location = authorize(&authorize_at);
    match parse_redirect(&location, &state).unwrap() {
        Grant::Token {
            access_token,
            expires_in,
            token_type,
            site_id,
        } => {
            assert_eq!(expires_in, Some(1_209_600));
            assert_eq!(token_type, "bearer");
            assert_eq!(site_id.as_deref(), Some(blog_id.as_str()));
            let info = client.token_info(&access_token).unwrap();
            assert_eq!(info.body["blog_id"].as_str(), Some(blog_id.as_str()));
        }
        other => panic!("{other:?}"),
    }

    // Refusal: on one authorize URL (deny=1) and switched on for every call (fragment for tokens).
    let (authorize_at, state) =
        authorize_url(url, &AuthorizeParams::new(PARTNER_ID, REDIRECT)).unwrap();
    let e = parse_redirect(&authorize(&format!("{authorize_at}&deny=1")), &state).unwrap_err();
    assert_eq!((e.code(), e.kind()), ("access_denied", ErrorKind::Api));
    post_control(url, "/__sandbox/authorize", json!({"deny": true}));
    let mut params = AuthorizeParams::new(PARTNER_ID, REDIRECT);
    params.response_type = ResponseType::Token;
    let (authorize_at, state) = authorize_url(url, &params).unwrap();
    let location = authorize(&authorize_at);
    assert!(location.contains('#'), "{location}");
    assert_eq!(
        parse_redirect(&location, &state).unwrap_err().code(),
        "access_denied"
    );
}

#[test]
fn token_info_refuses_a_token_of_another_application() {
    let sb = start();
    let url = sb.url();
    let client = client(url);
    let mut other_config = jetpack_partner_core::ClientConfig::new(OTHER_ID, OTHER_SECRET);
    other_config.api_base = url.to_string();
    let other = Client::new(other_config).unwrap();
    let other_user = format!("partner-{OTHER_ID}");
    let foreign = other.password_grant(&other_user, PASSWORD).unwrap().body["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        other.token_info(&foreign).unwrap().body["client_id"],
        OTHER_ID
    );
    let e = client.token_info(&foreign).unwrap_err();
    assert_eq!(e.code(), "invalid_token");
    assert_eq!(e.kind(), ErrorKind::Api);
    assert!(!e.message().contains(&foreign), "{}", e.message());
    // Unknown tokens, wrong passwords, and a user of another partner.
    assert_eq!(
        client.token_info("no-such-token").unwrap_err().code(),
        "invalid_token"
    );
    let e = client.password_grant(USER, "wrong-password").unwrap_err();
    assert_eq!((e.code(), e.http_status()), ("invalid_grant", Some(400)));
    assert!(!e.message().contains("wrong-password"));
    assert_eq!(
        client
            .password_grant(&other_user, PASSWORD)
            .unwrap_err()
            .code(),
        "invalid_grant"
    );
    for (result, field) in [
        (client.password_grant("", PASSWORD), "username"),
        (client.password_grant(USER, ""), "password"),
        (client.token_info(""), "token"),
        (client.exchange_code("", REDIRECT), "code"),
        (client.exchange_code("abc", "not-a-url"), "redirect_uri"),
    ] {
        let e = result.unwrap_err();
        assert!(
            e.message().starts_with(&format!("{field}: ")),
            "{}",
            e.message()
        );
    }
}

#[test]
fn licensing_lifecycle_and_errors_passed_through() {
    let sb = start();
    let url = sb.url();
    let client = client(url);
    let issued = client.license_issue("jetpack-backup-daily").unwrap();
    let key = issued.body["license_key"].as_str().unwrap().to_string();
    assert_eq!(issued.body["product"], "jetpack-backup-daily");
    assert!(issued.body["revoked_at"].is_null());
    assert_eq!(
        client.license_status(&key).unwrap().body["license_key"],
        key.as_str()
    );

    let e = client
        .license_attach(&key, "https://licensed.example.com")
        .unwrap_err();
    assert_eq!((e.code(), e.http_status()), ("unknown_site", Some(404)));
    assert_eq!(e.body().unwrap()["code"], "unknown_site");
    let connected = client
        .site_connection("https://licensed.example.com", "admin")
        .unwrap();
    assert_eq!(connected.body["code"], "success");
    let again = client
        .site_connection("https://licensed.example.com", "admin")
        .unwrap();
    assert_eq!(again.body["code"], "already_connected");
    assert_eq!(again.body["blog_id"], connected.body["blog_id"]);

    let attached = client.license_attach(&key, "licensed.example.com").unwrap();
    assert!(!attached.body["attached_at"].is_null());
    let e = client
        .license_attach(&key, "https://licensed.example.com")
        .unwrap_err();
    assert_eq!(
        (e.code(), e.http_status()),
        ("license_already_attached", Some(400))
    );
    let detached = client.license_detach(&key, Some(false)).unwrap();
    assert!(detached.body["attached_at"].is_null());
    let e = client.license_detach(&key, None).unwrap_err();
    assert_eq!(e.code(), "license_not_attached");
    assert_eq!(e.kind(), ErrorKind::Api);

    // A site connected under its Unicode name is found by its Unicode URL too (sent in Punycode).
    client
        .site_connection("https://bücherlic.example", "admin")
        .unwrap();
    let idn_key = client.license_issue("jetpack-scan").unwrap().body["license_key"]
        .as_str()
        .unwrap()
        .to_string();
    let attached = client
        .license_attach(&idn_key, "https://bücherlic.example")
        .unwrap();
    assert!(!attached.body["attached_at"].is_null());

    let revoked = client.license_revoke(&key).unwrap();
    assert!(!revoked.body["revoked_at"].is_null());
    let e = client.license_revoke(&key).unwrap_err();
    assert_eq!((e.code(), e.http_status()), ("license_revoked", Some(400)));
    let e = client.license_status("no-such-license").unwrap_err();
    assert_eq!(
        (e.code(), e.http_status()),
        ("license_not_found", Some(404))
    );
    let e = client.license_issue("no-such-product").unwrap_err();
    assert_eq!((e.code(), e.http_status()), ("invalid_product", Some(400)));

    // Another partner's license.
    let mut other_config = jetpack_partner_core::ClientConfig::new(OTHER_ID, OTHER_SECRET);
    other_config.api_base = url.to_string();
    let other = Client::new(other_config).unwrap();
    let e = other.license_status(&key).unwrap_err();
    assert_eq!((e.code(), e.http_status()), ("forbidden", Some(403)));

    let families = client.product_families().unwrap();
    let families = families.body.as_array().unwrap();
    assert!(families
        .iter()
        .any(|f| f["products"].as_array().is_some_and(|p| !p.is_empty())));

    let token = user_token(&client);
    let partner = client.licensing_partner(&token).unwrap();
    let keys = partner.body["keys"].as_array().unwrap();
    assert!(keys.iter().all(|k| k["oauth2_token"].is_string()));
    assert!(!format!("{partner:?}").contains(keys[0]["oauth2_token"].as_str().unwrap()));
    let e = client.licensing_partner("not-a-token").unwrap_err();
    assert_eq!(e.code(), "invalid_token");

    reset_stats(url);
    for (result, field) in [
        (client.license_issue(""), "product"),
        (client.license_status(""), "license_key"),
        (client.license_revoke("a b"), "license_key"),
        (client.license_attach("k/1", "example.com"), "license_key"),
        (client.license_attach(&key, ""), "site"),
        (client.license_detach("", Some(true)), "license_key"),
        (client.licensing_partner(""), "user_token"),
        (
            client.site_connection("licensed.example.com", "admin"),
            "url",
        ),
        (
            client.site_connection("https://licensed.example.com", ""),
            "local_user",
        ),
    ] {
        let e = result.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert!(
            e.message().starts_with(&format!("{field}: ")),
            "{}",
            e.message()
        );
    }
    assert_eq!(total(url), 0);
}

#[test]
fn user_token_calls_are_retried_when_safe_and_never_refresh_the_partner_token() {
    let sb = start();
    let url = sb.url();
    let client = client(url);
    let token = user_token(&client);
    fault(
        url,
        json!({"endpoint": "reporting", "kind": "status", "status": 503, "count": 1}),
    );
    reset_stats(url);
    let reply = client.partner_details(&token).unwrap();
    assert_eq!(reply.attempts, 2);
    assert_eq!(count(url, "reporting"), 2);
    // A refused user token is the caller's to replace: no partner token request, no repeat.
    fault(
        url,
        json!({"endpoint": "reporting", "kind": "refuse_token"}),
    );
    reset_stats(url);
    let e = client.partner_details(&token).unwrap_err();
    assert_eq!(e.code(), "invalid_token");
    assert_eq!(count(url, "reporting"), 1);
    assert_eq!(count(url, "token"), 0);
    // A state-changing licensing call is not repeated after a server failure.
    fault(
        url,
        json!({"endpoint": "licensing", "kind": "status", "status": 502}),
    );
    let e = client.license_issue("jetpack-scan").unwrap_err();
    assert_eq!(e.code(), "outcome_unknown");
    assert_eq!(e.attempts(), 1);
}

#[test]
fn user_tokens_and_passwords_stay_out_of_logs_and_errors() {
    use std::sync::{Arc, Mutex};
    let sb = start();
    let url = sb.url();
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let copy = lines.clone();
    let mut config = config(url);
    config.log = Some(Arc::new(move |l: &str| {
        copy.lock().unwrap().push(l.to_string())
    }));
    let client = Client::new(config).unwrap();
    let token = user_token(&client);
    let mut messages = Vec::new();
    for kind in ["close", "reset", "html", "invalid_json", "refuse_token"] {
        for endpoint in ["reporting", "token_info", "licensing", "token"] {
            fault(url, json!({"endpoint": endpoint, "kind": kind, "count": 0}));
        }
        for result in [
            client.partner_details(&token),
            client.token_info(&token),
            client.licensing_partner(&token),
            client.password_grant(USER, "pw-not-in-logs"),
            client.exchange_code("code-not-in-logs", REDIRECT),
        ] {
            if let Err(e) = result {
                messages.push(format!("{e} {e:?}"));
            }
        }
        clear_faults(url);
    }
    let lines = lines.lock().unwrap().clone();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("GET /oauth2/token-info attempt 1")),
        "{lines:?}"
    );
    assert!(messages.len() >= 20, "{messages:?}");
    for text in lines.iter().chain(&messages) {
        for secret in [
            token.as_str(),
            PARTNER_SECRET,
            "pw-not-in-logs",
            "code-not-in-logs",
        ] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
    }
}

mod common;
use common::*;
use serde_json::json;

fn err_of(r: &Resp) -> (u16, String) {
    (
        r.status,
        r.json()["error"].as_str().unwrap_or("").to_string(),
    )
}

#[test]
fn provision_requires_a_partner_token() {
    let sb = start();
    let u = sb.url();
    let r = post_form(
        u,
        "/rest/v1.3/jpphp/provision",
        None,
        &[("local_user", "a"), ("siteurl", "https://a.example")],
    );
    assert_eq!(err_of(&r), (403, "authorization_required".into()));
    let r = provision(u, "not-a-token", "https://a.example", None);
    assert_eq!(err_of(&r), (403, "invalid_token".into()));
    assert_eq!(r.json()["message"], "The OAuth2 token is invalid.");
}

#[test]
fn provision_validation_errors() {
    let sb = start();
    let u = sb.url();
    let t = token(u);
    let p = "/rest/v1.3/jpphp/provision";
    let r = post_form(u, p, Some(&t), &[("local_user", "admin")]);
    assert_eq!(err_of(&r), (400, "invalid_siteurl".into()));
    assert_eq!(
        r.json()["message"],
        "The required \"siteurl\" argument is missing."
    );
    let r = post_form(u, p, Some(&t), &[("siteurl", "https://a.example")]);
    assert_eq!(err_of(&r), (400, "invalid_local_user".into()));
    assert_eq!(
        r.json()["message"],
        "The required \"local_user\" argument is missing."
    );
    let r = post_form(
        u,
        p,
        Some(&t),
        &[("siteurl", "not a url"), ("local_user", "a")],
    );
    assert_eq!(err_of(&r), (400, "invalid_siteurl".into()));
    let r = provision(u, &t, "https://a.example", Some("platinum"));
    assert_eq!(err_of(&r), (400, "invalid_plan".into()));
    assert_eq!(r.json()["message"], "platinum is not a valid plan");
    let r = post_form(
        u,
        p,
        Some(&t),
        &[
            ("siteurl", "https://a.example"),
            ("local_user", "a"),
            ("wpcom_user_id", "-3"),
        ],
    );
    assert_eq!(r.status, 400);
    let r = provision(u, &t, "https://method-not-found.example", Some("premium"));
    assert_eq!(err_of(&r), (400, "method_not_found".into()));
    let r = post_form(
        u,
        p,
        Some(&t),
        &[
            ("siteurl", "https://method-not-found.example"),
            ("local_user", "a"),
            ("force_register", "true"),
        ],
    );
    assert_eq!(r.status, 200);
    // Nothing was created by the refused calls.
    let r = status(u, &t, "a.example");
    assert_eq!(err_of(&r), (404, "unknown_blog".into()));
}

#[test]
fn pending_activation_until_connected_then_sso() {
    let sb = start();
    let u = sb.url();
    let t = token(u);
    let r = provision(u, &t, "https://shop.example/blog/", Some("premium"));
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["success"], true);
    assert_eq!(v["auth_required"], true);
    let next = v["next_url"].as_str().unwrap();
    assert!(
        next.starts_with(&format!("{u}/jetpack.authorize/1/")),
        "{next}"
    );

    let s = status(u, &t, "shop.example::blog").json();
    assert_eq!(s["blog"]["is_connected"], false);
    assert_eq!(
        s["products"],
        json!([{"slug": "premium", "is_provisioned_by_partner": true, "is_provisioned_by_calling_partner": true, "is_pending": true}])
    );
    let old = get(u, "/rest/v1.2/jpphp/shop.example::blog/status", Some(&t)).json();
    assert_eq!(old["plan"], "premium");
    assert_eq!(old["has_pending_plan"], true);
    assert_eq!(old["is_connected"], false);

    // The site owner follows next_url: the site connects.
    let path = next.strip_prefix(u).unwrap();
    let page = get(u, path, None);
    assert_eq!(page.status, 200);
    assert!(page.text().contains("connected"));

    let s = status(u, &t, "shop.example::blog").json();
    assert_eq!(s["blog"]["is_connected"], true);
    assert_eq!(s["products"][0]["is_pending"], false);
    let r = provision(u, &t, "https://shop.example/blog", Some("premium")).json();
    assert_eq!(r["auth_required"], false);
    assert!(r["next_url"]
        .as_str()
        .unwrap()
        .starts_with("https://shop.example/blog/wp-login.php?action=jetpack-sso"));
}

#[test]
fn connect_by_control_call_or_wpcom_user_id() {
    let sb = start();
    let u = sb.url();
    let t = token(u);
    provision(u, &t, "https://one.example", Some("personal"));
    connect(u, "https://one.example");
    let r = provision(u, &t, "https://one.example", Some("personal")).json();
    assert_eq!(r["auth_required"], false);

    let r = post_form(
        u,
        "/rest/v1.3/jpphp/provision",
        Some(&t),
        &[
            ("siteurl", "https://two.example"),
            ("local_user", "admin"),
            ("plan", "premium"),
            ("wpcom_user_id", "777"),
        ],
    )
    .json();
    assert_eq!(r["auth_required"], false);
    let s = status(u, &t, "two.example").json();
    assert_eq!(s["blog"]["is_connected"], true);
    assert_eq!(s["products"][0]["is_pending"], false);

    // A domain that does not resolve: empty next_url.
    let r = provision(u, &t, "https://nowhere.invalid", Some("premium")).json();
    assert_eq!(r["auth_required"], true);
    assert_eq!(r["next_url"], "");
}

#[test]
fn upgrade_allowed_downgrade_refused() {
    let sb = start();
    let u = sb.url();
    let t = token(u);
    assert_eq!(
        provision(u, &t, "https://up.example", Some("personal")).status,
        200
    );
    assert_eq!(
        provision(u, &t, "https://up.example", Some("professional")).status,
        200
    );
    let r = provision(u, &t, "https://up.example", Some("premium"));
    assert_eq!(err_of(&r), (400, "plan_downgrade_disallowed".into()));
    assert_eq!(
        r.json()["message"],
        "Can not automatically downgrade plans. Contact support."
    );
    // A product of another family sits beside the plan.
    assert_eq!(
        provision(u, &t, "https://up.example", Some("jetpack-backup-daily")).status,
        200
    );
    let s = status(u, &t, "up.example").json();
    let slugs: Vec<&str> = s["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["slug"].as_str().unwrap())
        .collect();
    assert_eq!(slugs, vec!["professional", "jetpack-backup-daily"]);
    let paths = get(u, "/rest/v1.3/jpphp/up.example/upgrade-paths", Some(&t)).json();
    assert_eq!(
        paths["plans"],
        json!(["jetpack-security-realtime", "jetpack-complete"])
    );
    assert_eq!(paths["backup"], json!(["jetpack-backup-realtime"]));
    assert_eq!(paths["scan"], json!(["jetpack-scan"]));
}

#[test]
fn backup_credentials() {
    let sb = start();
    let u = sb.url();
    let t = token(u);
    let r = post_form(
        u,
        "/rest/v1.3/jpphp/provision",
        Some(&t),
        &[
            ("siteurl", "https://b.example"),
            ("local_user", "a"),
            ("ssh_user", "u"),
            ("ssh_pass", "p"),
            ("ftp_user", "f"),
        ],
    )
    .json();
    assert_eq!(r["ssh_set"], true);
    assert_eq!(r["ftp_set"], false);
    assert!(r["ftp_error"].as_str().unwrap().contains("ftp_pass"));
    assert!(!r.to_string().contains("\"p\""));
    let s = status(u, &t, "b.example").json();
    assert_eq!(s["blog"]["has_backups_credentials"], true);
}

#[test]
fn provision_with_json_and_multipart_bodies() {
    let sb = start();
    let u = sb.url();
    let t = token(u);
    let r = send_json(
        u,
        "POST",
        "/rest/v1.3/jpphp/provision",
        Some(&t),
        &json!({"siteurl": "https://j.example", "local_user": 1, "plan": "premium", "onboarding": true}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let body = "--zz\r\nContent-Disposition: form-data; name=\"siteurl\"\r\n\r\nhttps://m.example\r\n--zz\r\nContent-Disposition: form-data; name=\"local_user\"\r\n\r\nadmin\r\n--zz\r\nContent-Disposition: form-data; name=\"plan\"\r\n\r\npersonal\r\n--zz--\r\n";
    let auth = format!("Bearer {t}");
    let r = request(
        u,
        "POST",
        "/rest/v1.3/jpphp/provision",
        &[
            ("Authorization", &auth),
            ("Content-Type", "multipart/form-data; boundary=zz"),
        ],
        body.as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        status(u, &t, "m.example").json()["products"][0]["slug"],
        "personal"
    );
    assert_eq!(
        status(u, &t, "j.example").json()["products"][0]["slug"],
        "premium"
    );
}

#[test]
fn cancel_rules() {
    let sb = start();
    let u = sb.url();
    let t = token(u);
    provision(u, &t, "https://c.example/x", Some("premium"));
    provision(u, &t, "https://c.example/x", Some("jetpack-scan"));
    let blog_id = status(u, &t, "c.example::x").json()["blog"]["blog_id"]
        .as_u64()
        .unwrap();

    // Another partner key may not cancel it.
    let key = post_form(
        u,
        "/rest/v1.3/jpphp/partner-keys/new",
        Some(&t),
        &[("name", "Reseller")],
    )
    .json();
    let other = token_for(
        u,
        key["client_id"].as_str().unwrap(),
        key["client_secret"].as_str().unwrap(),
    );
    let r = cancel(u, &other, "c.example::x", &[]);
    assert_eq!(err_of(&r), (403, "incorrect_partner_key".into()));
    let r = cancel(u, &other, "c.example::x", &[("cancel-all", "1")]);
    assert_eq!(err_of(&r), (403, "incorrect_partner_key".into()));

    // The plan, by blog ID.
    let r = cancel(u, &t, &blog_id.to_string(), &[]);
    assert_eq!(r.json(), json!({"success": true}));
    // Nothing left to cancel in that family.
    assert_eq!(
        cancel(u, &t, "c.example::x", &[]).json(),
        json!({"success": false})
    );
    // The product needs its slug.
    assert_eq!(
        cancel(u, &t, "c.example::x", &[("plan", "jetpack-scan")]).json(),
        json!({"success": true})
    );
    assert_eq!(status(u, &t, "c.example::x").json()["products"], json!([]));

    // cancel-all
    provision(u, &t, "https://c.example/x", Some("personal"));
    provision(u, &t, "https://c.example/x", Some("jetpack-anti-spam"));
    let v = cancel(u, &t, "c.example::x", &[("cancel-all", "true")]).json();
    assert_eq!(v["success"], true);
    assert_eq!(v["pending_activations"].as_array().unwrap().len(), 2);
    assert_eq!(v["activations"], json!([]));
    assert_eq!(
        cancel(u, &t, "c.example::x", &[("cancel-all", "true")]).json()["success"],
        false
    );

    let r = cancel(u, &t, "c.example::x", &[("plan", "gold")]);
    assert_eq!(err_of(&r), (400, "invalid_plan".into()));
    let r = cancel(u, &t, "987654", &[]);
    assert_eq!(err_of(&r), (403, "invalid_blog".into()));
    assert_eq!(r.json()["message"], "The blog ID 987654 is invalid");
    let r = cancel(u, &t, "unknown.example", &[]);
    assert_eq!(err_of(&r), (404, "unknown_blog".into()));
    let r = cancel(u, "bad-token", "c.example::x", &[]);
    assert_eq!(err_of(&r), (403, "invalid_token".into()));
    // Percent-encoded identifiers work too.
    let r = cancel(u, &t, "c.example%3A%3Ax", &[]);
    assert_eq!(r.json(), json!({"success": false}));
}

#[test]
fn partner_keys_and_limits() {
    let sb = start();
    let u = sb.url();
    let t = token(u);
    let r = post_form(
        u,
        "/rest/v1.3/jpphp/partner-keys/new",
        Some(&t),
        &[
            ("name", "Reseller A"),
            ("allowed_premium_plans", "2"),
            ("allowed_personal_plans", "1"),
            ("notes", "n"),
        ],
    );
    assert_eq!(r.status, 200);
    let k = r.json();
    assert_eq!(k["name"], "Reseller A");
    assert_eq!(k["allowed_premium_plans"], "2");
    assert_eq!(k["allowed_personal_plans"], "1");
    assert_eq!(k["allowed_professional_plans"], "0");
    assert_eq!(k["notes"], "n");
    assert!(k["id"].as_u64().is_some());
    let kt = token_for(
        u,
        k["client_id"].as_str().unwrap(),
        k["client_secret"].as_str().unwrap(),
    );
    let v = post_form(u, "/rest/v1.3/jpphp/partner-keys/verify", Some(&kt), &[]);
    assert_eq!(v.status, 200);
    assert_eq!(v.json()["client_id"], k["client_id"]);

    assert_eq!(
        provision(u, &kt, "https://r1.example", Some("premium")).status,
        200
    );
    assert_eq!(
        provision(u, &kt, "https://r2.example", Some("premium")).status,
        200
    );
    let r = provision(u, &kt, "https://r3.example", Some("premium"));
    assert_eq!(err_of(&r), (400, "activation_limit_reached".into()));
    assert_eq!(
        r.json()["message"],
        "This key has reached its activation limit for product premium"
    );
    let r = provision(u, &kt, "https://r3.example", Some("professional"));
    assert_eq!(err_of(&r), (400, "activation_limit_reached".into()));
    // Cancelling frees a slot.
    cancel(u, &kt, "r1.example", &[]);
    assert_eq!(
        provision(u, &kt, "https://r3.example", Some("premium")).status,
        200
    );
    // Upgrading within the limits: personal (1 allowed) -> premium (full) is refused.
    assert_eq!(
        provision(u, &kt, "https://r4.example", Some("personal")).status,
        200
    );
    let r = provision(u, &kt, "https://r4.example", Some("premium"));
    assert_eq!(err_of(&r), (400, "activation_limit_reached".into()));
    // The root partner has no limits.
    for i in 0..5 {
        assert_eq!(
            provision(u, &t, &format!("https://root{i}.example"), Some("premium")).status,
            200
        );
    }

    let r = post_form(u, "/rest/v1.3/jpphp/partner-keys/new", Some(&t), &[]);
    assert_eq!(err_of(&r), (400, "invalid_input".into()));
    let r = post_form(
        u,
        "/rest/v1.3/jpphp/partner-keys/new",
        Some(&t),
        &[("name", "x"), ("allowed_premium_plans", "many")],
    );
    assert_eq!(err_of(&r), (400, "invalid_input".into()));
    let r = post_form(u, "/rest/v1.3/jpphp/partner-keys/verify", Some("nope"), &[]);
    assert_eq!(err_of(&r), (403, "invalid_token".into()));
    let r = post_form(u, "/rest/v1.3/jpphp/partner-keys/verify", None, &[]);
    assert_eq!(err_of(&r), (403, "authorization_required".into()));
}

#[test]
fn disabled_key() {
    let sb = start();
    let u = sb.url();
    let t = token(u);
    control(u, "POST", "keys/disable", &json!({"client_id": ID}));
    let r = provision(u, &t, "https://d.example", Some("premium"));
    assert_eq!(err_of(&r), (400, "partner_key_disabled".into()));
    assert_eq!(r.json()["message"], "This key is disabled.");
    let r = post_form(u, "/rest/v1.3/jpphp/partner-keys/verify", Some(&t), &[]);
    assert_eq!(err_of(&r), (400, "partner_key_disabled".into()));
    control(u, "POST", "keys/enable", &json!({"client_id": ID}));
    assert_eq!(
        provision(u, &t, "https://d.example", Some("premium")).status,
        200
    );
}

#[test]
fn other_partner_sees_the_plan_as_not_its_own() {
    let sb = jetpack_partner_sandbox::Sandbox::start(jetpack_partner_sandbox::Config {
        partners: vec![("111".into(), "s1".into()), ("222".into(), "s2".into())],
        ..Default::default()
    })
    .unwrap();
    let u = sb.url();
    let a = token_for(u, "111", "s1");
    let b = token_for(u, "222", "s2");
    // The demo partner does not exist when partners are given.
    let r = post_form(
        u,
        "/oauth2/token",
        None,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", ID),
            ("client_secret", SECRET),
        ],
    );
    assert_eq!(r.status, 400);
    provision(u, &a, "https://shared.example", Some("premium"));
    let s = status(u, &b, "shared.example").json();
    assert_eq!(s["products"][0]["is_provisioned_by_calling_partner"], false);
    assert_eq!(s["products"][0]["is_provisioned_by_partner"], true);
    let old = get(u, "/rest/v1.2/jpphp/shared.example/status", Some(&b)).json();
    assert_eq!(old["is_partner_plan"], true);
    assert_eq!(old["is_provisioned_by_calling_partner"], false);
    // B upgrades the site: A's plan ends.
    assert_eq!(
        provision(u, &b, "https://shared.example", Some("professional")).status,
        200
    );
    let s = status(u, &a, "shared.example").json();
    assert_eq!(s["products"].as_array().unwrap().len(), 1);
    assert_eq!(s["products"][0]["slug"], "professional");
    assert_eq!(s["products"][0]["is_provisioned_by_calling_partner"], false);
}

#[test]
fn errors_catalogue() {
    let sb = start();
    let u = sb.url();
    let v = get(u, "/rest/v1.3/jpphp/errors", None).json();
    for code in [
        "invalid_siteurl",
        "invalid_local_user",
        "invalid_plan",
        "plan_downgrade_disallowed",
        "activation_limit_reached",
        "incorrect_partner_key",
        "invalid_blog",
        "partner_key_disabled",
    ] {
        assert!(v["errors"][code].is_string(), "{code}");
    }
    let v = get(u, "/rest/v1.3/jpphp/errors?verbose", None).json();
    assert_eq!(v["errors"]["incorrect_partner_key"]["http_status"], 403);
}

#[test]
fn status_errors() {
    let sb = start();
    let u = sb.url();
    let t = token(u);
    let r = status(u, &t, "123");
    assert_eq!(err_of(&r), (403, "invalid_blog".into()));
    let r = get(u, "/rest/v1.4/jpphp/x.example/status", None);
    assert_eq!(err_of(&r), (403, "authorization_required".into()));
    let user = user_token(u);
    let r = status(u, &user, "x.example");
    assert_eq!(err_of(&r), (403, "invalid_scope".into()));
    let r = get(u, "/rest/v1.3/jpphp/x.example/upgrade-paths", Some(&t));
    assert_eq!(err_of(&r), (404, "unknown_blog".into()));
}

mod common;
use common::*;
use serde_json::json;

const L: &str = "/wpcom/v2/jetpack-licensing";

#[test]
fn license_lifecycle() {
    let sb = start();
    let u = sb.url();
    let t = token(u);
    let r = send_json(
        u,
        "POST",
        &format!("{L}/license"),
        Some(&t),
        &json!({"product": "jetpack-backup-daily"}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("X-Jetpack-Request-Id").unwrap().len(), 32);
    let lic = r.json();
    let key = lic["license_key"].as_str().unwrap().to_string();
    assert!(key.starts_with("jetpack-backup-daily_"));
    assert!(lic["issued_at"].as_str().unwrap().ends_with("+00:00"));
    assert!(lic["revoked_at"].is_null());

    let r = get(u, &format!("{L}/license?license_key={key}"), Some(&t));
    assert_eq!(r.json()["license_id"], lic["license_id"]);

    // Attach needs a connected site.
    let r = send_json(
        u,
        "POST",
        &format!("{L}/license/{key}/site"),
        Some(&t),
        &json!({"site": "https://ls.example/"}),
    );
    assert_eq!(
        (r.status, r.json()["code"].as_str().unwrap()),
        (404, "unknown_site")
    );
    provision(u, &t, "https://ls.example", None);
    let r = send_json(
        u,
        "POST",
        &format!("{L}/license/{key}/site"),
        Some(&t),
        &json!({"site": "ls.example"}),
    );
    assert_eq!(
        (r.status, r.json()["code"].as_str().unwrap()),
        (400, "site_not_connected")
    );
    let c = send_json(
        u,
        "POST",
        &format!("{L}/site-connection"),
        Some(&t),
        &json!({"url": "https://ls.example", "local_user": 1}),
    );
    assert_eq!(c.json()["code"], "success");
    let blog_id = c.json()["blog_id"].as_u64().unwrap();
    let again = send_json(
        u,
        "POST",
        &format!("{L}/site-connection"),
        Some(&t),
        &json!({"url": "https://ls.example", "local_user": 1}),
    );
    assert_eq!(again.status, 200);
    assert_eq!(again.json()["code"], "already_connected");
    assert_eq!(again.json()["blog_id"], blog_id);

    let r = send_json(
        u,
        "POST",
        &format!("{L}/license/{key}/site"),
        Some(&t),
        &json!({"site": blog_id}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["blog_id"], blog_id);
    assert!(r.json()["attached_at"].is_string());
    let r = send_json(
        u,
        "POST",
        &format!("{L}/license/{key}/site"),
        Some(&t),
        &json!({"site": blog_id}),
    );
    assert_eq!(r.json()["code"], "license_already_attached");
    let r = request(
        u,
        "DELETE",
        &format!("{L}/license/{key}/site?cancellation_email=0"),
        &[("Authorization", &format!("Bearer {t}"))],
        b"",
    );
    assert_eq!(r.status, 200);
    assert!(r.json()["blog_id"].is_null());
    let r = request(
        u,
        "DELETE",
        &format!("{L}/license/{key}/site"),
        &[("Authorization", &format!("Bearer {t}"))],
        b"",
    );
    assert_eq!(r.json()["code"], "license_not_attached");

    let r = request(
        u,
        "DELETE",
        &format!("{L}/license?license_key={key}"),
        &[("Authorization", &format!("Bearer {t}"))],
        b"",
    );
    assert_eq!(r.status, 200);
    assert!(r.json()["revoked_at"].is_string());
    let r = send_json(
        u,
        "POST",
        &format!("{L}/license/{key}/site"),
        Some(&t),
        &json!({"site": blog_id}),
    );
    assert_eq!(r.json()["code"], "license_revoked");
}

#[test]
fn license_errors() {
    let sb = start();
    let u = sb.url();
    let t = token(u);
    let r = send_json(
        u,
        "POST",
        &format!("{L}/license"),
        Some(&t),
        &json!({"product": "jetpack-teleport"}),
    );
    assert_eq!(
        (r.status, r.json()["code"].as_str().unwrap()),
        (400, "invalid_product")
    );
    assert_eq!(
        r.json()["message"],
        "jetpack-teleport is not a valid product."
    );
    let r = send_json(u, "POST", &format!("{L}/license"), Some(&t), &json!({}));
    assert_eq!(
        (r.status, r.json()["code"].as_str().unwrap()),
        (400, "missing_product")
    );
    let r = get(u, &format!("{L}/license"), Some(&t));
    assert_eq!(
        (r.status, r.json()["code"].as_str().unwrap()),
        (400, "missing_license_key")
    );
    let r = get(u, &format!("{L}/license?license_key=nope"), Some(&t));
    assert_eq!(
        (r.status, r.json()["code"].as_str().unwrap()),
        (404, "license_not_found")
    );
    let r = get(u, &format!("{L}/license?license_key=nope"), None);
    assert_eq!(
        (r.status, r.json()["code"].as_str().unwrap()),
        (403, "authorization_required")
    );
    // Another key cannot see ours.
    let lic = send_json(
        u,
        "POST",
        &format!("{L}/license"),
        Some(&t),
        &json!({"product": "premium"}),
    )
    .json();
    let k = post_form(
        u,
        "/rest/v1.3/jpphp/partner-keys/new",
        Some(&t),
        &[("name", "Other")],
    )
    .json();
    let other = token_for(
        u,
        k["client_id"].as_str().unwrap(),
        k["client_secret"].as_str().unwrap(),
    );
    let r = get(
        u,
        &format!(
            "{L}/license?license_key={}",
            lic["license_key"].as_str().unwrap()
        ),
        Some(&other),
    );
    assert_eq!(
        (r.status, r.json()["code"].as_str().unwrap()),
        (403, "forbidden")
    );
    let r = send_json(
        u,
        "POST",
        &format!("{L}/site-connection"),
        Some(&t),
        &json!({"url": "nope"}),
    );
    assert_eq!(r.status, 400);
}

#[test]
fn product_families_and_partner() {
    let sb = start();
    let u = sb.url();
    let t = token(u);
    let fams = get(u, &format!("{L}/product-families"), Some(&t)).json();
    let backup = fams
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["slug"] == "jetpack-backup")
        .unwrap();
    let slugs: Vec<&str> = backup["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["slug"].as_str().unwrap())
        .collect();
    assert_eq!(
        slugs,
        vec!["jetpack-backup-daily", "jetpack-backup-realtime"]
    );

    let user = user_token(u);
    let p = get(u, &format!("{L}/partner"), Some(&user)).json();
    assert_eq!(p["id"], 12345);
    let tok = p["keys"][0]["oauth2_token"].as_str().unwrap().to_string();
    assert!(p["keys"][0]["disabled_on"].is_null());
    // The key token works on the licensing endpoints and is stable.
    assert_eq!(
        send_json(
            u,
            "POST",
            &format!("{L}/license"),
            Some(&tok),
            &json!({"product": "jetpack-scan"})
        )
        .status,
        200
    );
    let p2 = get(u, &format!("{L}/partner"), Some(&user)).json();
    assert_eq!(p2["keys"][0]["oauth2_token"], tok.as_str());
    let r = get(u, &format!("{L}/partner"), Some(&t));
    assert_eq!(
        (r.status, r.json()["code"].as_str().unwrap()),
        (403, "invalid_scope")
    );
}

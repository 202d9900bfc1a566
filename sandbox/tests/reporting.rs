mod common;
use common::*;
use serde_json::{json, Value};

fn year(s: &Value) -> i64 {
    s.as_str().unwrap()[..4].parse().unwrap()
}

#[test]
fn partner_and_keys() {
    let sb = start();
    let u = sb.url();
    let t = token(u);
    post_form(
        u,
        "/rest/v1.3/jpphp/partner-keys/new",
        Some(&t),
        &[("name", "Sub"), ("allowed_premium_plans", "3")],
    );
    let user = user_token(u);
    let v = get(u, "/wpcom/v2/jetpack-partners", Some(&user)).json();
    assert_eq!(v["id"], 12345);
    let keys = v["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0]["client_id"], ID);
    assert_eq!(keys[1]["name"], "Sub");
    assert_eq!(keys[1]["allowed_premium_plans"], "3");
    assert!(!v.to_string().contains(SECRET));
    let r = get(u, "/wpcom/v2/jetpack-partners", None);
    assert_eq!(
        (r.status, r.json()["code"].as_str().unwrap()),
        (403, "authorization_required")
    );
}

#[test]
fn activations_with_real_data_pagination_and_filters() {
    let sb = start();
    let u = sb.url();
    let t = token(u);
    for i in 0..25 {
        let plan = if i % 5 == 0 { "personal" } else { "premium" };
        let r = post_form(
            u,
            "/rest/v1.3/jpphp/provision?partner-tracking-id=trk",
            Some(&t),
            &[
                ("siteurl", &format!("https://a{i}.example")),
                ("local_user", &format!("user{i}")),
                ("plan", plan),
            ],
        );
        assert_eq!(r.status, 200);
    }
    connect(u, "https://a0.example");
    let user = user_token(u);
    let base = "/wpcom/v2/jetpack-partners/12345/key/1/activations";
    let p1 = get(u, base, Some(&user)).json();
    assert_eq!(p1["total"], 25);
    assert_eq!(p1["activations"].as_array().unwrap().len(), 20);
    let p2 = get(u, &format!("{base}?page=2"), Some(&user)).json();
    assert_eq!(p2["activations"].as_array().unwrap().len(), 5);
    let p3 = get(u, &format!("{base}?page=3&per_page=10"), Some(&user)).json();
    assert_eq!(p3["activations"].as_array().unwrap().len(), 5);
    let all: Vec<Value> = p1["activations"]
        .as_array()
        .unwrap()
        .iter()
        .chain(p2["activations"].as_array().unwrap())
        .cloned()
        .collect();
    let mut ids: Vec<u64> = all.iter().map(|a| a["id"].as_u64().unwrap()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 25);

    let a0 = all
        .iter()
        .find(|a| a["site_url"] == "https://a0.example")
        .unwrap();
    assert_eq!(a0["external_user_id"], "user0");
    assert_eq!(a0["product_id"], 2005);
    assert_eq!(a0["current_product_id"], 2005);
    assert_eq!(a0["jetpack_partner_key_id"], 1);
    assert_eq!(a0["partner_tracking_id"], "trk");
    assert_eq!(a0["is_pending"], false);
    assert!(a0["activated_on"].is_string());
    assert_eq!(year(&a0["expiry_date"]), year(&a0["activated_on"]) + 100);
    assert_eq!(
        &a0["expiry_date"].as_str().unwrap()[4..],
        &a0["activated_on"].as_str().unwrap()[4..]
    );
    let a1 = all
        .iter()
        .find(|a| a["site_url"] == "https://a1.example")
        .unwrap();
    assert_eq!(a1["is_pending"], true);
    assert!(a1["activated_on"].is_null());
    assert!(a1["cancelled_on"].is_null());

    let personal = get(u, &format!("{base}?plans[]=personal"), Some(&user)).json();
    assert_eq!(personal["total"], 5);
    let both = get(
        u,
        &format!("{base}?plans[]=personal&plans[]=2000"),
        Some(&user),
    )
    .json();
    assert_eq!(both["total"], 25);
    // Only a0 is activated (connected).
    let after = get(
        u,
        &format!("{base}?activated_after=2000-01-01"),
        Some(&user),
    )
    .json();
    assert_eq!(after["total"], 1);
    let before = get(
        u,
        &format!("{base}?activated_before=2000-01-01"),
        Some(&user),
    )
    .json();
    assert_eq!(before["total"], 0);

    // Upgrades and cancellations show.
    connect(u, "https://a5.example");
    provision(u, &t, "https://a5.example", Some("professional"));
    cancel(u, &t, "a10.example", &[]);
    let v = get(u, &format!("{base}?per_page=100"), Some(&user)).json();
    let find = |s: &str| {
        v["activations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["site_url"] == s)
            .unwrap()
            .clone()
    };
    assert_eq!(find("https://a5.example")["product_id"], 2005);
    assert_eq!(find("https://a5.example")["current_product_id"], 2001);
    assert!(find("https://a10.example")["cancelled_on"].is_string());

    for bad in [
        "?page=0",
        "?per_page=101",
        "?per_page=x",
        "?plans[]=gold",
        "?activated_after=yesterday",
    ] {
        let r = get(u, &format!("{base}{bad}"), Some(&user));
        assert_eq!(
            (r.status, r.json()["code"].as_str().unwrap()),
            (400, "rest_invalid_param"),
            "{bad}"
        );
    }
    let r = get(
        u,
        "/wpcom/v2/jetpack-partners/999/key/1/activations",
        Some(&user),
    );
    assert_eq!(
        (r.status, r.json()["code"].as_str().unwrap()),
        (403, "rest_forbidden")
    );
    let r = get(
        u,
        "/wpcom/v2/jetpack-partners/12345/key/77/activations",
        Some(&user),
    );
    assert_eq!(
        (r.status, r.json()["code"].as_str().unwrap()),
        (404, "invalid_key")
    );
    let r = get(u, base, Some(&t));
    assert_eq!(
        (r.status, r.json()["code"].as_str().unwrap()),
        (403, "invalid_scope")
    );
}

#[test]
fn another_partners_user_sees_nothing_of_ours() {
    let sb = jetpack_partner_sandbox::Sandbox::start(jetpack_partner_sandbox::Config {
        partners: vec![("111".into(), "s1".into()), ("222".into(), "s2".into())],
        ..Default::default()
    })
    .unwrap();
    let u = sb.url();
    let t = token_for(u, "111", "s1");
    provision(u, &t, "https://x.example", Some("premium"));
    let other = user_token_for(u, "222", "s2", "partner-222");
    let r = get(
        u,
        "/wpcom/v2/jetpack-partners/111/key/1/activations",
        Some(&other),
    );
    assert_eq!(r.status, 403);
    let mine = user_token_for(u, "111", "s1", "partner-111");
    assert_eq!(
        get(
            u,
            "/wpcom/v2/jetpack-partners/111/key/1/activations",
            Some(&mine)
        )
        .json()["total"],
        1
    );
    // A partner's user cannot use the password grant through another partner's client.
    let r = post_form(
        u,
        "/oauth2/token",
        None,
        &[
            ("grant_type", "password"),
            ("client_id", "222"),
            ("client_secret", "s2"),
            ("username", "partner-111"),
            ("password", PASSWORD),
        ],
    );
    assert_eq!(r.status, 400);
}

#[test]
fn activation_summary_by_scale() {
    let sb = start();
    let u = sb.url();
    let t = token(u);
    for i in 0..3 {
        provision(u, &t, &format!("https://s{i}.example"), Some("premium"));
    }
    cancel(u, &t, "s0.example", &[]);
    let user = user_token(u);
    for scale in ["day", "month", "year"] {
        let v = get(
            u,
            &format!("/wpcom/v2/jetpack-partners/activations?scale={scale}"),
            Some(&user),
        )
        .json();
        let rows = v.as_array().unwrap();
        let last = rows.last().unwrap();
        assert_eq!(last["new"], 3, "{scale}");
        assert_eq!(last["total"], 2, "{scale}");
        assert!(last["date"].as_str().unwrap().len() == 10);
    }
    let v = get(
        u,
        "/wpcom/v2/jetpack-partners/activations?key_id=1",
        Some(&user),
    )
    .json();
    assert_eq!(v.as_array().unwrap().last().unwrap()["new"], 3);
    let r = get(
        u,
        "/wpcom/v2/jetpack-partners/activations?scale=week",
        Some(&user),
    );
    assert_eq!(r.status, 400);
    let r = get(
        u,
        "/wpcom/v2/jetpack-partners/activations?key_id=42",
        Some(&user),
    );
    assert_eq!(r.status, 404);
}

#[test]
fn invoices() {
    let sb = start();
    let u = sb.url();
    let t = token(u);
    for i in 0..2 {
        provision(u, &t, &format!("https://i{i}.example"), Some("premium"));
        connect(u, &format!("https://i{i}.example"));
    }
    provision(u, &t, "https://i9.example", Some("personal")); // pending: not billed
    let user = user_token(u);
    let up = get(
        u,
        "/wpcom/v2/jetpack-partners/12345/key/1/stripe/upcoming-invoice",
        Some(&user),
    )
    .json();
    assert_eq!(up["status"], "upcoming");
    assert_eq!(
        up["lines"],
        json!([{"product_id": 2000, "product_slug": "premium", "description": "Jetpack Premium", "quantity": 2, "unit_amount": 900, "amount": 1800}])
    );
    assert_eq!(up["total"], 1800);
    let past = get(
        u,
        "/wpcom/v2/jetpack-partners/12345/key/1/stripe/invoices",
        Some(&user),
    )
    .json();
    assert_eq!(past["invoices"], json!([]));
    let r = get(
        u,
        "/wpcom/v2/jetpack-partners/1/key/1/stripe/invoices",
        Some(&user),
    );
    assert_eq!(r.status, 403);
}

//! Behaviour over time, with the sandbox clock moved by `/__sandbox/clock`.
mod common;
use common::*;
use serde_json::json;

const DAY: i64 = 24 * 3600;

fn advance(base: &str, seconds: i64) {
    let v = control(base, "POST", "clock", &json!({"advance": seconds}));
    assert_eq!(v["ok"], true);
}

#[test]
fn pending_activations_lapse_after_14_days() {
    let sb = start();
    let u = sb.url();
    let t = token(u);
    provision(u, &t, "https://lapse.example", Some("premium"));
    provision(u, &t, "https://kept.example", Some("premium"));
    advance(u, 13 * DAY);
    assert_eq!(
        status(u, &t, "lapse.example").json()["products"][0]["is_pending"],
        true
    );
    connect(u, "https://kept.example");
    advance(u, 2 * DAY);
    assert_eq!(status(u, &t, "lapse.example").json()["products"], json!([]));
    assert_eq!(
        status(u, &t, "kept.example").json()["products"][0]["is_pending"],
        false
    );
    // Nothing left to cancel; connecting now activates nothing.
    assert_eq!(
        cancel(u, &t, "lapse.example", &[]).json(),
        json!({"success": false})
    );
    connect(u, "https://lapse.example");
    assert_eq!(status(u, &t, "lapse.example").json()["products"], json!([]));
    // Reporting shows when it ended.
    let user = user_token(u);
    let v = get(
        u,
        "/wpcom/v2/jetpack-partners/12345/key/1/activations",
        Some(&user),
    )
    .json();
    let lapsed = v["activations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["site_url"] == "https://lapse.example")
        .unwrap()
        .clone();
    assert!(lapsed["cancelled_on"].is_string());
    assert_eq!(lapsed["is_pending"], false);
    // The site is connected now: a new provision is active at once.
    assert_eq!(
        provision(u, &t, "https://lapse.example", Some("premium")).json()["auth_required"],
        false
    );
    assert_eq!(
        status(u, &t, "lapse.example").json()["products"][0]["is_pending"],
        false
    );
}

#[test]
fn implicit_tokens_expire_after_two_weeks_others_never() {
    let sb = start();
    let u = sb.url();
    let loc = get(
        u,
        &format!(
            "/oauth2/authorize?client_id={ID}&redirect_uri={}&response_type=token",
            enc("https://p.example/cb")
        ),
        None,
    )
    .header("Location")
    .unwrap()
    .to_string();
    let implicit = loc
        .split("access_token=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_string();
    let partner = token(u);
    let user = user_token(u);
    assert_eq!(get(u, "/rest/v1/me", Some(&implicit)).status, 200);
    advance(u, 15 * DAY);
    let r = get(u, "/rest/v1/me", Some(&implicit));
    assert_eq!(
        (r.status, r.json()["error"].as_str().unwrap()),
        (403, "invalid_token")
    );
    assert_eq!(get(u, "/rest/v1/me", Some(&user)).status, 200);
    advance(u, 3650 * DAY);
    assert_eq!(
        provision(u, &partner, "https://later.example", None).status,
        200
    );
}

#[test]
fn reporting_over_months() {
    let sb = start();
    let u = sb.url();
    let t = token(u);
    provision(u, &t, "https://m1.example", Some("premium"));
    connect(u, "https://m1.example");
    advance(u, 40 * DAY);
    provision(u, &t, "https://m2.example", Some("personal"));
    connect(u, "https://m2.example");
    let user = user_token(u);
    let rows = get(
        u,
        "/wpcom/v2/jetpack-partners/activations?scale=month",
        Some(&user),
    )
    .json();
    let rows = rows.as_array().unwrap();
    assert!(rows.len() >= 2);
    assert_eq!(rows[0]["new"], 1);
    assert_eq!(rows[0]["total"], 1);
    assert_eq!(rows.last().unwrap()["new"], 1);
    assert_eq!(rows.last().unwrap()["total"], 2);
    let days = get(
        u,
        "/wpcom/v2/jetpack-partners/activations?scale=day",
        Some(&user),
    )
    .json();
    assert!(days.as_array().unwrap().len() >= 40);

    let past = get(
        u,
        "/wpcom/v2/jetpack-partners/12345/key/1/stripe/invoices",
        Some(&user),
    )
    .json();
    let invoices = past["invoices"].as_array().unwrap();
    assert!(!invoices.is_empty());
    assert_eq!(invoices.last().unwrap()["status"], "paid");
    assert_eq!(
        invoices.last().unwrap()["lines"][0]["product_slug"],
        "premium"
    );
    let up = get(
        u,
        "/wpcom/v2/jetpack-partners/12345/key/1/stripe/upcoming-invoice",
        Some(&user),
    )
    .json();
    assert_eq!(up["total"], 900 + 350);

    // The 100-year expiry follows the activation date.
    let v = get(
        u,
        "/wpcom/v2/jetpack-partners/12345/key/1/activations",
        Some(&user),
    )
    .json();
    for a in v["activations"].as_array().unwrap() {
        let act = a["activated_on"].as_str().unwrap();
        let exp = a["expiry_date"].as_str().unwrap();
        assert_eq!(
            exp[..4].parse::<i32>().unwrap(),
            act[..4].parse::<i32>().unwrap() + 100
        );
        assert_eq!(&exp[4..], &act[4..]);
    }
}

#[test]
fn clock_control_validates() {
    let sb = start();
    let u = sb.url();
    for bad in [
        json!({"advance": -5}),
        json!({"advance": 2_000_000_000_000_000_000i64}),
        json!({}),
    ] {
        let r = send_json(u, "POST", "/__sandbox/clock", None, &bad);
        assert_eq!(r.status, 400, "{bad}");
    }
    let v = get(u, "/__sandbox/clock", None).json();
    assert_eq!(v["offset"], 0);
    advance(u, 60);
    assert_eq!(get(u, "/__sandbox/clock", None).json()["offset"], 60);
}

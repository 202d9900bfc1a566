mod common;
use common::*;
use serde_json::json;

fn token_req(base: &str, pairs: &[(&str, &str)]) -> Resp {
    post_form(base, "/oauth2/token", None, pairs)
}

#[test]
fn client_credentials_issues_distinct_lasting_tokens() {
    let sb = start();
    let r = token_req(
        sb.url(),
        &[
            ("grant_type", "client_credentials"),
            ("client_id", ID),
            ("client_secret", SECRET),
            ("scope", "jetpack-partner"),
        ],
    );
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["token_type"], "bearer");
    assert_eq!(v["scope"], "jetpack-partner");
    assert_eq!(v["blog_id"], 0);
    assert_eq!(v["blog_url"], 0);
    let t1 = v["access_token"].as_str().unwrap().to_string();
    let t2 = token(sb.url());
    assert_ne!(t1, t2);
    // Both stay valid.
    for t in [&t1, &t2] {
        let r = post_form(
            sb.url(),
            "/rest/v1.3/jpphp/partner-keys/verify",
            Some(t),
            &[],
        );
        assert_eq!(r.status, 200, "{}", r.text());
    }
}

#[test]
fn token_errors() {
    let sb = start();
    let u = sb.url();
    let r = token_req(
        u,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", ID),
            ("client_secret", "wrong"),
        ],
    );
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"], "invalid_client");
    assert!(r.json()["error_description"]
        .as_str()
        .unwrap()
        .contains("secret"));
    assert!(!r.text().contains(SECRET));

    let r = token_req(
        u,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "999"),
            ("client_secret", SECRET),
        ],
    );
    assert_eq!(
        (r.status, r.json()["error"].as_str().unwrap()),
        (400, "invalid_client")
    );

    let r = token_req(u, &[("client_id", ID), ("client_secret", SECRET)]);
    assert_eq!(
        (r.status, r.json()["error"].as_str().unwrap()),
        (400, "invalid_request")
    );

    let r = token_req(
        u,
        &[
            ("grant_type", "magic"),
            ("client_id", ID),
            ("client_secret", SECRET),
        ],
    );
    assert_eq!(
        (r.status, r.json()["error"].as_str().unwrap()),
        (400, "unsupported_grant_type")
    );

    let r = token_req(
        u,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", ID),
            ("client_secret", SECRET),
            ("scope", "global"),
        ],
    );
    assert_eq!(
        (r.status, r.json()["error"].as_str().unwrap()),
        (400, "invalid_scope")
    );

    let r = token_req(
        u,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", ID),
            ("client_secret", SECRET),
            ("code", "nope"),
            ("redirect_uri", "https://x.example/cb"),
        ],
    );
    assert_eq!(
        (r.status, r.json()["error"].as_str().unwrap()),
        (400, "invalid_grant")
    );
}

#[test]
fn token_accepts_multipart_and_json() {
    let sb = start();
    let body = format!(
        "--B\r\nContent-Disposition: form-data; name=\"grant_type\"\r\n\r\nclient_credentials\r\n\
         --B\r\nContent-Disposition: form-data; name=\"client_id\"\r\n\r\n{ID}\r\n\
         --B\r\nContent-Disposition: form-data; name=\"client_secret\"\r\n\r\n{SECRET}\r\n--B--\r\n"
    );
    let r = request(
        sb.url(),
        "POST",
        "/oauth2/token",
        &[("Content-Type", "multipart/form-data; boundary=B")],
        body.as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let r = send_json(
        sb.url(),
        "POST",
        "/oauth2/token",
        None,
        &json!({"grant_type": "client_credentials", "client_id": ID, "client_secret": SECRET}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
}

#[test]
fn password_grant_for_the_partner_user() {
    let sb = start();
    let u = sb.url();
    let t = user_token(u);
    let me = get(u, "/rest/v1/me", Some(&t));
    assert_eq!(me.status, 200);
    assert_eq!(me.json()["username"], "partner-12345");
    // The email works as a username too.
    let r = token_req(
        u,
        &[
            ("grant_type", "password"),
            ("client_id", ID),
            ("client_secret", SECRET),
            ("username", "partner-12345@sandbox.invalid"),
            ("password", PASSWORD),
        ],
    );
    assert_eq!(r.status, 200);
    let r = token_req(
        u,
        &[
            ("grant_type", "password"),
            ("client_id", ID),
            ("client_secret", SECRET),
            ("username", "partner-12345"),
            ("password", "bad"),
        ],
    );
    assert_eq!(
        (r.status, r.json()["error"].as_str().unwrap()),
        (400, "invalid_grant")
    );
    let r = token_req(
        u,
        &[
            ("grant_type", "password"),
            ("client_id", ID),
            ("client_secret", SECRET),
            ("username", "someone-else"),
            ("password", PASSWORD),
        ],
    );
    assert_eq!(
        (r.status, r.json()["error"].as_str().unwrap()),
        (400, "invalid_grant")
    );
}

fn location(r: &Resp) -> String {
    assert_eq!(r.status, 302, "{}", r.text());
    r.header("Location").unwrap().to_string()
}

fn query_value(url: &str, name: &str) -> Option<String> {
    let q = url.split_once(['?', '#'])?.1;
    q.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == name).then(|| v.replace("%3A", ":").replace("%2F", "/"))
    })
}

#[test]
fn authorize_code_flow() {
    let sb = start();
    let u = sb.url();
    let cb = "https://partner.example/callback";
    let loc = location(&get(
        u,
        &format!(
            "/oauth2/authorize?client_id={ID}&redirect_uri={}&response_type=code&state=xyz",
            enc(cb)
        ),
        None,
    ));
    assert!(
        loc.starts_with("https://partner.example/callback?code="),
        "{loc}"
    );
    assert_eq!(query_value(&loc, "state").as_deref(), Some("xyz"));
    let code = query_value(&loc, "code").unwrap();

    // Wrong redirect_uri.
    let r = token_req(
        u,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", ID),
            ("client_secret", SECRET),
            ("code", &code),
            ("redirect_uri", "https://evil.example/"),
        ],
    );
    assert_eq!(
        (r.status, r.json()["error"].as_str().unwrap()),
        (400, "invalid_grant")
    );

    let r = token_req(
        u,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", ID),
            ("client_secret", SECRET),
            ("code", &code),
            ("redirect_uri", cb),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["token_type"], "bearer");
    let t = v["access_token"].as_str().unwrap().to_string();
    assert_eq!(
        get(u, "/rest/v1.1/me", Some(&t)).json()["username"],
        "partner-12345"
    );

    // A code works once.
    let r = token_req(
        u,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", ID),
            ("client_secret", SECRET),
            ("code", &code),
            ("redirect_uri", cb),
        ],
    );
    assert_eq!(
        (r.status, r.json()["error"].as_str().unwrap()),
        (400, "invalid_grant")
    );

    // token-info
    let r = get(
        u,
        &format!("/oauth2/token-info?client_id={ID}&token={t}"),
        None,
    );
    assert_eq!(r.status, 200);
    let info = r.json();
    assert_eq!(info["client_id"], ID);
    assert_ne!(info["user_id"], "0");
    assert_eq!(info["scope"], "global");
    let r = get(
        u,
        &format!("/oauth2/token-info?client_id=999&token={t}"),
        None,
    );
    assert_eq!(
        (r.status, r.json()["error"].as_str().unwrap()),
        (400, "invalid_token")
    );
    let r = get(
        u,
        &format!("/oauth2/token-info?client_id={ID}&token=nope"),
        None,
    );
    assert_eq!(
        (r.status, r.json()["error"].as_str().unwrap()),
        (400, "invalid_token")
    );
    let r = get(u, "/oauth2/token-info", None);
    assert_eq!(
        (r.status, r.json()["error"].as_str().unwrap()),
        (400, "invalid_request")
    );
}

#[test]
fn authorize_implicit_deny_and_errors() {
    let sb = start();
    let u = sb.url();
    let cb = enc("https://partner.example/cb");
    let loc = location(&get(
        u,
        &format!("/oauth2/authorize?client_id={ID}&redirect_uri={cb}&response_type=token&state=s1"),
        None,
    ));
    assert!(
        loc.starts_with("https://partner.example/cb#access_token="),
        "{loc}"
    );
    assert_eq!(query_value(&loc, "expires_in").as_deref(), Some("1209600"));
    assert_eq!(query_value(&loc, "token_type").as_deref(), Some("bearer"));
    assert_eq!(query_value(&loc, "state").as_deref(), Some("s1"));
    let t = query_value(&loc, "access_token").unwrap();
    assert_eq!(get(u, "/rest/v1/me", Some(&t)).status, 200);
    let info = get(
        u,
        &format!("/oauth2/token-info?client_id={ID}&token={t}"),
        None,
    )
    .json();
    assert!(info["expires_in"].as_i64().unwrap() > 1_000_000);

    let loc = location(&get(
        u,
        &format!(
            "/oauth2/authorize?client_id={ID}&redirect_uri={cb}&response_type=code&state=s2&deny=1"
        ),
        None,
    ));
    assert!(loc.contains("error=access_denied"), "{loc}");
    assert!(!loc.contains("code="));
    assert_eq!(query_value(&loc, "state").as_deref(), Some("s2"));

    control(u, "POST", "authorize", &json!({"deny": true}));
    let loc = location(&get(
        u,
        &format!("/oauth2/authorize?client_id={ID}&redirect_uri={cb}"),
        None,
    ));
    assert!(loc.contains("error=access_denied"), "{loc}");
    control(u, "POST", "authorize", &json!({"deny": false}));
    let loc = location(&get(
        u,
        &format!("/oauth2/authorize?client_id={ID}&redirect_uri={cb}"),
        None,
    ));
    assert!(loc.contains("code="), "{loc}");

    let loc = location(&get(
        u,
        &format!("/oauth2/authorize?client_id={ID}&redirect_uri={cb}&response_type=weird"),
        None,
    ));
    assert!(loc.contains("error=unsupported_response_type"));

    let r = get(
        u,
        &format!("/oauth2/authorize?client_id=999&redirect_uri={cb}"),
        None,
    );
    assert_eq!(
        (r.status, r.json()["error"].as_str().unwrap()),
        (400, "invalid_client")
    );
    let r = get(u, &format!("/oauth2/authorize?client_id={ID}"), None);
    assert_eq!(
        (r.status, r.json()["error"].as_str().unwrap()),
        (400, "invalid_request")
    );
}

#[test]
fn token_kinds_are_not_interchangeable() {
    let sb = start();
    let u = sb.url();
    let user = user_token(u);
    let partner = token(u);
    let r = provision(u, &user, "https://a.example", None);
    assert_eq!(
        (r.status, r.json()["error"].as_str().unwrap()),
        (403, "invalid_scope")
    );
    let r = get(u, "/rest/v1/me", Some(&partner));
    assert_eq!(
        (r.status, r.json()["error"].as_str().unwrap()),
        (403, "invalid_scope")
    );
    let r = get(u, "/wpcom/v2/jetpack-partners", Some(&partner));
    assert_eq!(
        (r.status, r.json()["code"].as_str().unwrap()),
        (403, "invalid_scope")
    );
    let r = get(u, "/rest/v1/me", None);
    assert_eq!(
        (r.status, r.json()["error"].as_str().unwrap()),
        (403, "authorization_required")
    );
    let r = get(u, "/rest/v1/me", Some("bogus"));
    assert_eq!(r.status, 403);
    assert_eq!(
        r.json(),
        json!({"error": "invalid_token", "message": "The OAuth2 token is invalid."})
    );
}

#[test]
fn authorize_for_a_blog() {
    let sb = start();
    let u = sb.url();
    let t = token(u);
    provision(u, &t, "https://blog.example/site", None);
    let blog_id = status(u, &t, "blog.example::site").json()["blog"]["blog_id"]
        .as_u64()
        .unwrap();
    let cb = "https://partner.example/cb";
    let r = get(
        u,
        &format!(
            "/oauth2/authorize?client_id={ID}&redirect_uri={}&blog=blog.example::site",
            enc(cb)
        ),
        None,
    );
    let loc = location(&r);
    let code = query_value(&loc, "code").unwrap();
    let v = token_req(
        u,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", ID),
            ("client_secret", SECRET),
            ("code", &code),
            ("redirect_uri", cb),
        ],
    )
    .json();
    assert_eq!(v["blog_id"], blog_id);
    assert_eq!(v["blog_url"], "https://blog.example/site");
    let info = get(
        u,
        &format!(
            "/oauth2/token-info?client_id={ID}&token={}",
            v["access_token"].as_str().unwrap()
        ),
        None,
    )
    .json();
    assert_eq!(info["blog_id"], blog_id.to_string());
    let r = get(
        u,
        &format!(
            "/oauth2/authorize?client_id={ID}&redirect_uri={}&blog=nowhere.example",
            enc(cb)
        ),
        None,
    );
    assert_eq!(
        (r.status, r.json()["error"].as_str().unwrap()),
        (400, "invalid_request")
    );
    // token-info of a partner token.
    let info = get(
        u,
        &format!("/oauth2/token-info?client_id={ID}&token={t}"),
        None,
    )
    .json();
    assert_eq!(
        info,
        json!({"client_id": ID, "user_id": "0", "blog_id": "0", "scope": "jetpack-partner"})
    );
}

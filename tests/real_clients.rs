//! The HTTP requests of unmodified public clients, replayed byte for byte as they send them (content
//! types, curl's multipart boundaries, JSON labelled as a form, query strings, headers), against the
//! sandbox over plain HTTP and over HTTPS with a CA it makes at start-up. Each test asserts what the
//! client's own code reads from the reply. The requests are written from reading the clients:
//!
//! - Automattic/jetpack `bin/partner-provision.sh` (newest: curl `--form` straight to the API; older:
//!   the token with `-d` and `Host: public-api.wordpress.com`, then WP-CLI), `bin/partner-cancel.sh`;
//! - the WP-CLI PHP they drive: `Jetpack_Provision` (`_inc/class.jetpack-provision.php`, a JSON body
//!   through WordPress's HTTP API, which labels it as a form) and `partner_cancel` (`class.jetpack-cli.php`);
//! - Automattic/Jetpack-Partners-WHMCS-Module: the 2018 provisioning module (PHP curl, an array in
//!   `CURLOPT_POSTFIELDS`, a scheme-less `siteurl`) and the 2021 Licensing module (Guzzle);
//! - Automattic/jetpack-licensing-api: `integration-docs` curl examples, `spec.yml`.
//!
//! Boundaries and header orders are those curl 7.88 and PHP's curl extension were seen to send.

mod support;
#[path = "real_clients/wire.rs"]
mod wire;

use jetpack_partner_sandbox::Config;
use serde_json::Value;
use wire::{curl_multipart, request, Name, Reply, Scheme, Target};

const ID: &str = "12345";
const SECRET: &str = "sandbox-demo-secret";
const API_HOST: &str = "public-api.wordpress.com";
const CURL_UA: (&str, &str) = ("User-Agent", "curl/7.88.1");
const ACCEPT_ALL: (&str, &str) = ("Accept", "*/*");
/// What PHP's curl sends for `CURLOPT_ENCODING => ""`.
const PHP_CURL_ENCODINGS: (&str, &str) = ("Accept-Encoding", "deflate, gzip, br, zstd");
const WP_UA: (&str, &str) = ("User-Agent", "WordPress/6.1.9; https://shop.example");

/// Runs a replay over plain HTTP and over HTTPS.
macro_rules! over_http_and_https {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[test]
            fn over_http() {
                super::$name(&super::Target::start(super::Scheme::Http));
            }
            #[test]
            fn over_https() {
                super::$name(&super::Target::start(super::Scheme::Https));
            }
        }
    )*};
}

over_http_and_https!(
    newest_provision_script,
    older_scripts_token_request,
    wp_cli_partner_provision,
    wp_cli_partner_cancel,
    whmcs_2018_provisioning_module,
    whmcs_2021_licensing_module,
    licensing_docs_examples,
);

// ---- partner-provision.sh (newest): everything through curl, WP-CLI optional ----

/// `curl --request POST --url https://public-api.wordpress.com/oauth2/token --header 'cache-control:
/// no-cache' --header 'content-type: multipart/form-data;' --form client_id=... ...`: the newest
/// script names the real host here (not `JETPACK_START_API_HOST`), and curl appends the boundary to
/// the given type, doubling the `;`.
fn script_token(t: &Target) -> Reply {
    let boundary = "------------------------1345e5eb8e924680";
    let body = curl_multipart(
        boundary,
        &[
            ("client_id", ID),
            ("client_secret", SECRET),
            ("grant_type", "client_credentials"),
            ("scope", "jetpack-partner"),
        ],
    );
    t.send(
        Name::ApiHost,
        &request(
            "POST /oauth2/token HTTP/1.1",
            &[
                ("Host", API_HOST),
                CURL_UA,
                ACCEPT_ALL,
                ("cache-control", "no-cache"),
            ],
            Some(&format!("multipart/form-data;; boundary={boundary}")),
            Some(&body),
        ),
    )
}

/// The script's provision call to `https://$JETPACK_START_API_HOST/rest/v1.3/jpphp/provision`.
fn script_provision(t: &Target, token: &str, query: &str, fields: &[(&str, &str)]) -> Reply {
    let boundary = "------------------------2844f7a953a893d5";
    let auth = format!("Bearer {token}");
    t.send(
        Name::Loopback,
        &request(
            &format!("POST /rest/v1.3/jpphp/provision{query} HTTP/1.1"),
            &[
                ("Host", &t.host()),
                CURL_UA,
                ACCEPT_ALL,
                ("authorization", &auth),
                ("cache-control", "no-cache"),
            ],
            Some(&format!("multipart/form-data;; boundary={boundary}")),
            Some(&curl_multipart(boundary, fields)),
        ),
    )
}

/// What the script checks: `jetpack_shell_is_errored` (an `"error":"..."` in the reply) and the
/// `access_token` it cuts out with sed.
fn script_token_value(t: &Target) -> String {
    let reply = script_token(t);
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.sed_key("error"), None, "{}", reply.text);
    let token = reply
        .sed_key("access_token")
        .expect("an access_token sed can cut out");
    assert!(!token.is_empty());
    token
}

fn newest_provision_script(t: &Target) {
    let token = script_token_value(t);

    // --user=admin --plan=premium --url=https://shop.example/blog --partner-tracking-id=stage-2
    let reply = script_provision(
        t,
        &token,
        "?partner-tracking-id=stage-2",
        &[
            ("local_user", "admin"),
            ("plan", "premium"),
            ("siteurl", "https://shop.example/blog"),
        ],
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.sed_key("error"), None);
    let v = reply.json();
    assert_eq!(v["success"], true);
    assert_eq!(v["auth_required"], true);
    // The link is built from the address the client used, so the user's browser can open it.
    let next = v["next_url"].as_str().unwrap().to_string();
    assert!(
        next.starts_with(&format!("{}/jetpack.authorize/1/?", t.base())),
        "{next}"
    );
    assert_eq!(reply.sed_key("access_token"), None, "no user was connected");
    let opened = t.send(
        Name::Loopback,
        &request(
            &format!("GET {} HTTP/1.1", &next[t.base().len()..]),
            &[("Host", &t.host()), CURL_UA, ACCEPT_ALL],
            None,
            None,
        ),
    );
    assert!(opened.status < 400, "{} {}", opened.status, opened.text);
    let status = get_json(t, &token, "/rest/v1.4/jpphp/shop.example::blog/status");
    assert_eq!(status["blog"]["is_connected"], true);
    assert_eq!(status["products"][0]["slug"], "premium");
    assert_eq!(status["products"][0]["is_pending"], false);

    // --user=admin --wpcom_user_id=4242 --wpcom_user_email=... --force_connect=1 --url=...:
    // connecting an existing WordPress.com user hands back the token the script passes to
    // `wp jetpack authorize_user --token=...`.
    let reply = script_provision(
        t,
        &token,
        "",
        &[
            ("local_user", "admin"),
            ("wpcom_user_id", "4242"),
            ("wpcom_user_email", "owner@shop2.example"),
            ("plan", "jetpack-backup-daily"),
            ("onboarding", "1"),
            ("force_register", "1"),
            ("force_connect", "1"),
            ("siteurl", "https://shop2.example"),
        ],
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.sed_key("error"), None);
    let user_token = reply
        .sed_key("access_token")
        .expect("access_token for the connected user");
    assert!(user_token.len() >= 32, "{user_token}");
    let v = reply.json();
    assert_eq!(v["auth_required"], false);
    assert!(v["next_url"]
        .as_str()
        .unwrap()
        .starts_with("https://shop2.example/wp-login.php?action=jetpack-sso"));

    // A refusal is an `"error":"..."` the script prints and exits 1 on.
    let reply = script_provision(t, &token, "", &[("local_user", "admin"), ("siteurl", "")]);
    assert_eq!(reply.status, 400);
    assert_eq!(reply.sed_key("error").as_deref(), Some("invalid_siteurl"));
}

// ---- the older scripts: the token with `-d`, then WP-CLI ----

/// `curl https://$JETPACK_START_API_HOST/oauth2/token --silent --header "Host:
/// public-api.wordpress.com" -d "grant_type=client_credentials&client_id=...&scope=jetpack-partner"`
/// (partner-provision.sh and partner-cancel.sh up to their last versions).
fn older_scripts_token_request(t: &Target) {
    let body = format!(
        "grant_type=client_credentials&client_id={ID}&client_secret={SECRET}&scope=jetpack-partner"
    );
    let reply = t.send(
        Name::Loopback,
        &request(
            "POST /oauth2/token HTTP/1.1",
            &[("Host", API_HOST), CURL_UA, ACCEPT_ALL],
            Some("application/x-www-form-urlencoded"),
            Some(&body),
        ),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    // WP-CLI: `json_decode( $token_json )`, then `$token->access_token`.
    let v = reply.json();
    assert!(v.get("error").is_none());
    assert!(!v["access_token"].as_str().unwrap().is_empty());
    // Wrong secret: `$token->error` and `$token->message` (or error_description) end the run.
    let reply = t.send(
        Name::Loopback,
        &request(
            "POST /oauth2/token HTTP/1.1",
            &[("Host", API_HOST), CURL_UA, ACCEPT_ALL],
            Some("application/x-www-form-urlencoded"),
            Some(&body.replace(SECRET, "wrong")),
        ),
    );
    assert_eq!(reply.status, 400);
    assert_eq!(reply.json()["error"], "invalid_client");
}

// ---- WP-CLI `wp jetpack partner_provision` / `partner_cancel` (Jetpack_Provision) ----

/// A request as WordPress's HTTP API sends it through `Client::_wp_remote_request`: `Host:
/// public-api.wordpress.com` set by Jetpack, the string body handed to curl as POST fields, which
/// labels it `application/x-www-form-urlencoded`.
fn wp_remote_post(t: &Target, target: &str, token: &str, body: &str) -> Reply {
    let auth = format!("Bearer {token}");
    t.send(
        Name::Loopback,
        &request(
            &format!("POST {target} HTTP/1.1"),
            &[
                ("Host", API_HOST),
                WP_UA,
                ACCEPT_ALL,
                PHP_CURL_ENCODINGS,
                ("Authorization", &auth),
            ],
            Some("application/x-www-form-urlencoded"),
            Some(body),
        ),
    )
}

/// The body `Jetpack_Provision::register_and_build_request_body` builds, as `wp_json_encode`
/// writes it (slashes escaped); `onboarding` and `force_connect` become integers.
fn wp_cli_body(wpcom_user_id: Option<&str>) -> String {
    let mut body = serde_json::Map::new();
    body.insert("jp_version".into(), "13.9".into());
    body.insert(
        "redirect_uri".into(),
        "https://shop.example/wp-login.php?action=jetpack-sso&redirect_to=https%3A%2F%2Fshop.example%2Fwp-admin%2F".into(),
    );
    body.insert("scope".into(), "administrator:8f2b1c".into());
    body.insert("secret".into(), "Zm9vYmFy".into());
    body.insert("user_id".into(), 1.into());
    body.insert("user_email".into(), "admin@shop.example".into());
    body.insert("user_login".into(), "admin".into());
    if let Some(id) = wpcom_user_id {
        body.insert("wpcom_user_id".into(), id.into());
    }
    body.insert("plan".into(), "jetpack-security-daily".into());
    body.insert("onboarding".into(), 1.into());
    body.insert("force_connect".into(), 1.into());
    serde_json::to_string(&Value::Object(body))
        .unwrap()
        .replace('/', "\\/")
}

/// The site as WordPress.com knows it after the site registered (`try_registration`); the
/// sandbox learns of a site through a provision, standing in for that step here.
fn registered_blog_id(t: &Target, token: &str, siteurl: &str) -> u64 {
    let reply = api_form(
        t,
        token,
        "/rest/v1.3/jpphp/provision",
        &[("local_user", "admin"), ("siteurl", siteurl)],
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    let ident = siteurl.split("://").nth(1).unwrap().replace('/', "::");
    get_json(t, token, &format!("/rest/v1.4/jpphp/{ident}/status"))["blog"]["blog_id"]
        .as_u64()
        .unwrap()
}

fn wp_cli_partner_provision(t: &Target) {
    let token = script_token_value(t);
    // verify_token(): an empty POST body; anything but 200 stops the command.
    let reply = wp_remote_post(t, "/rest/v1.3/jpphp/partner-keys/verify", &token, "");
    assert_eq!(reply.status, 200, "{}", reply.text);

    let blog_id = registered_blog_id(t, &token, "https://shop.example");
    let target = format!("/rest/v1.3/jpphp/{blog_id}/partner-provision?partner_tracking_id=t-7");
    let reply = wp_remote_post(t, &target, &token, &wp_cli_body(Some("4242")));
    assert_eq!(reply.status, 200, "{}", reply.text);
    let v = reply.json();
    assert_eq!(v["success"], true);
    // `if ( isset( $body_json->access_token ) && is_user_logged_in() )`: sets the master user.
    assert!(
        v["access_token"].as_str().is_some_and(|s| s.len() >= 32),
        "{v}"
    );
    let status = get_json(t, &token, &format!("/rest/v1.4/jpphp/{blog_id}/status"));
    assert_eq!(status["blog"]["is_connected"], true);
    assert_eq!(status["products"][0]["slug"], "jetpack-security-daily");
    assert_eq!(
        status["products"][0]["is_provisioned_by_calling_partner"],
        true
    );

    // Without a WordPress.com user the site owner still has to approve: no token.
    let other = registered_blog_id(t, &token, "https://other.example/wp");
    let target = format!("/rest/v1.3/jpphp/{other}/partner-provision");
    let reply = wp_remote_post(t, &target, &token, &wp_cli_body(None));
    assert_eq!(reply.status, 200, "{}", reply.text);
    let v = reply.json();
    assert_eq!(v["auth_required"], true);
    assert!(v.get("access_token").is_none());
    assert!(v["next_url"]
        .as_str()
        .unwrap()
        .contains("/jetpack.authorize/1/"));

    // Not 200: `new WP_Error( $body_json->error, $body_json->message )`.
    let reply = wp_remote_post(
        t,
        "/rest/v1.3/jpphp/999999/partner-provision",
        &token,
        &wp_cli_body(None),
    );
    assert_eq!(reply.status, 403);
    let v = reply.json();
    assert_eq!(v["error"], "invalid_blog");
    assert!(v["message"].as_str().is_some());
}

fn wp_cli_partner_cancel(t: &Target) {
    let token = script_token_value(t);
    let blog_id = registered_blog_id(t, &token, "https://shop.example/blog");
    let reply = api_form(
        t,
        &token,
        "/rest/v1.3/jpphp/provision",
        &[
            ("local_user", "admin"),
            ("siteurl", "https://shop.example/blog"),
            ("plan", "jetpack-scan"),
        ],
    );
    assert_eq!(reply.status, 200);
    // `partner_cancel`: no body; the site is its blog ID, or `get_site_suffix()` without one.
    for (site, expected) in [
        (blog_id.to_string(), r#"{"success":false}"#),
        ("shop.example::blog".to_string(), r#"{"success":false}"#),
    ] {
        let target = format!("/rest/v1.3/jpphp/{site}/partner-cancel?partner_tracking_id=t-7");
        let reply = wp_remote_post(t, &target, &token, "");
        assert_eq!(reply.status, 200, "{}", reply.text);
        // WP-CLI logs the body as it came: nothing (no plans-family plan) to cancel.
        assert_eq!(reply.text, expected);
    }
    let reply = api_form(
        t,
        &token,
        "/rest/v1.3/jpphp/provision",
        &[
            ("local_user", "admin"),
            ("siteurl", "https://shop.example/blog"),
            ("plan", "premium"),
        ],
    );
    assert_eq!(reply.status, 200);
    let target = format!("/rest/v1.3/jpphp/{blog_id}/partner-cancel");
    let reply = wp_remote_post(t, &target, &token, "");
    assert_eq!(reply.text, r#"{"success":true}"#);
}

// ---- WHMCS provisioning module (2018): PHP curl, array POST fields, scheme-less siteurl ----

/// `make_api_request()`: `CURLOPT_HTTPHEADER => [$auth]`, `CURLOPT_ENCODING => ""`,
/// `CURLOPT_POSTFIELDS => $data` (an array: multipart; null: an empty form), always POST, always
/// `https://public-api.wordpress.com`.
fn whmcs_request(
    t: &Target,
    target: &str,
    token: Option<&str>,
    fields: Option<&[(&str, &str)]>,
) -> Value {
    let auth = token.map(|t| format!("Bearer {t}"));
    let mut headers = vec![("Host", API_HOST), ACCEPT_ALL, PHP_CURL_ENCODINGS];
    if let Some(auth) = &auth {
        headers.push(("Authorization", auth));
    }
    let boundary = "------------------------005dd44b38f7229f";
    let bytes = match fields {
        Some(fields) => request(
            &format!("POST {target} HTTP/1.1"),
            &headers,
            Some(&format!("multipart/form-data; boundary={boundary}")),
            Some(&curl_multipart(boundary, fields)),
        ),
        None => request(
            &format!("POST {target} HTTP/1.1"),
            &headers,
            Some("application/x-www-form-urlencoded"),
            Some(""),
        ),
    };
    let reply = t.send(Name::ApiHost, &bytes);
    // `json_decode($response)`, then `->http_status = $http_code`.
    let mut v = reply.json();
    v["http_status"] = reply.status.into();
    v
}

fn whmcs_2018_provisioning_module(t: &Target) {
    let token = whmcs_request(
        t,
        "/oauth2/token",
        None,
        Some(&[
            ("client_id", ID),
            ("client_secret", SECRET),
            ("grant_type", "client_credentials"),
            ("scope", "jetpack-partner"),
        ]),
    );
    let token = token["access_token"]
        .as_str()
        .expect("isset($response->access_token)");

    // jetpack_CreateAccount(): the Site URL custom field with its scheme stripped on purpose.
    let reply = whmcs_request(
        t,
        "/rest/v1.3/jpphp/provision",
        Some(token),
        Some(&[
            ("plan", "premium"),
            ("siteurl", "shop.example/blog"),
            ("local_user", "admin"),
            ("force_register", "1"),
        ]),
    );
    assert_eq!(reply["http_status"], 200, "{reply}");
    assert_eq!(reply["success"], true, "$response->success === true");
    assert!(!reply["next_url"].as_str().unwrap().is_empty());
    let status = get_json(t, token, "/rest/v1.4/jpphp/shop.example::blog/status");
    assert_eq!(status["products"][0]["slug"], "premium");

    // A domain that does not resolve yet: success with an empty next_url (the "pending" note).
    let reply = whmcs_request(
        t,
        "/rest/v1.3/jpphp/provision",
        Some(token),
        Some(&[
            ("plan", "personal"),
            ("siteurl", "new-shop.invalid"),
            ("local_user", "admin"),
            ("force_register", "1"),
        ]),
    );
    assert_eq!(reply["success"], true);
    assert_eq!(reply["next_url"], "");

    // jetpack_TerminateAccount(): the scheme-less URL with `/` -> `::`, no body.
    let cancel = "/rest/v1.3/jpphp/shop.example::blog/partner-cancel";
    let reply = whmcs_request(t, cancel, Some(token), None);
    assert_eq!(reply["http_status"], 200);
    assert_eq!(reply["success"], true);
    // Again: "Unable to cancel this Jetpack plan as it has likely already been cancelled".
    let reply = whmcs_request(t, cancel, Some(token), None);
    assert_eq!(reply["success"], false);

    // A bad plan: 400 with `message` for get_provisioning_errors_from_response().
    let reply = whmcs_request(
        t,
        "/rest/v1.3/jpphp/provision",
        Some(token),
        Some(&[
            ("plan", "gold"),
            ("siteurl", "shop.example"),
            ("local_user", "admin"),
            ("force_register", "1"),
        ]),
    );
    assert_eq!(reply["http_status"], 400);
    assert_eq!(reply["error"], "invalid_plan");
    assert!(reply["message"].as_str().is_some());
}

// ---- WHMCS Licensing module (2021): Guzzle 7, base_uri .../jetpack-licensing/ ----

/// A Guzzle request: `Authorization` from the client's defaults (PSR-7 trims `"Bearer "` of an
/// unset token to `Bearer`), Guzzle's User-Agent, `Content-Length: 0` on an empty POST.
fn guzzle(t: &Target, method: &str, path_and_query: &str, token: Option<&str>) -> Reply {
    let auth = format!("Bearer {}", token.unwrap_or(""))
        .trim_end()
        .to_string();
    let body = (method == "POST").then_some("");
    t.send(
        Name::ApiHost,
        &request(
            &format!("{method} /wpcom/v2/jetpack-licensing/{path_and_query} HTTP/1.1"),
            &[
                ("Host", API_HOST),
                ("Authorization", &auth),
                ("User-Agent", "GuzzleHttp/7"),
            ],
            None,
            body,
        ),
    )
}

fn whmcs_2021_licensing_module(t: &Target) {
    // jetpack_FetchProducts(): `new JetpackLicenseAPIManager()` has no token at all.
    let reply = guzzle(t, "GET", "product-families/", None);
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(reply.header("X-Jetpack-Request-Id").is_some());
    let families = reply.json();
    let mut product_list = std::collections::BTreeMap::new();
    for family in families.as_array().unwrap() {
        for product in family["products"].as_array().unwrap() {
            product_list.insert(
                product["slug"].as_str().unwrap().to_string(),
                product["name"].as_str().unwrap().to_string(),
            );
        }
    }
    assert!(
        product_list.contains_key("jetpack-scan"),
        "{product_list:?}"
    );

    let token = script_token_value(t);
    // issueLicense(): the product in the query, an empty body.
    let reply = guzzle(t, "POST", "license/?product=jetpack-scan", Some(&token));
    assert_eq!(reply.status, 200, "{}", reply.text);
    let license = reply.json();
    let key = license["license_key"].as_str().unwrap().to_string();
    assert!(license["issued_at"].as_str().is_some());

    let reply = guzzle(
        t,
        "GET",
        &format!("license/?license_key={key}"),
        Some(&token),
    );
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["license_key"], key.as_str());

    // revokeLicense(): `$license['revoked_at']` goes into the licenses table.
    let reply = guzzle(
        t,
        "DELETE",
        &format!("license/?license_key={key}"),
        Some(&token),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(reply.json()["revoked_at"].as_str().is_some());
}

// ---- jetpack-licensing-api: integration-docs examples and spec.yml ----

fn licensing_docs_examples(t: &Target) {
    let token = script_token_value(t);
    let auth = format!("Bearer {token}");
    // issue-license.sh: `curl ".../license?product=${PRODUCT}" --header "authorization: Bearer
    // $ACCESS_TOKEN" -X POST`: no body, no Content-Length.
    let reply = t.send(
        Name::ApiHost,
        &request(
            "POST /wpcom/v2/jetpack-licensing/license?product=jetpack-anti-spam HTTP/1.1",
            &[
                ("Host", API_HOST),
                CURL_UA,
                ACCEPT_ALL,
                ("authorization", &auth),
            ],
            None,
            None,
        ),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    let key = reply.json()["license_key"].as_str().unwrap().to_string();
    // inspect-license.sh
    let reply = t.send(
        Name::ApiHost,
        &request(
            &format!("GET /wpcom/v2/jetpack-licensing/license?license_key={key} HTTP/1.1"),
            &[
                ("Host", API_HOST),
                CURL_UA,
                ACCEPT_ALL,
                ("authorization", &auth),
            ],
            None,
            None,
        ),
    );
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["license_key"], key.as_str());

    // spec.yml: /product-families has no security; /partner/product-families needs the token.
    let families = |auth: Option<&str>, path: &str| {
        let mut headers = vec![("Host", API_HOST), CURL_UA, ACCEPT_ALL];
        if let Some(a) = auth {
            headers.push(("authorization", a));
        }
        t.send(
            Name::ApiHost,
            &request(
                &format!("GET /wpcom/v2/jetpack-licensing/{path} HTTP/1.1"),
                &headers,
                None,
                None,
            ),
        )
    };
    assert_eq!(families(None, "product-families").status, 200);
    let reply = families(Some(&auth), "partner/product-families");
    assert_eq!(reply.status, 200, "{}", reply.text);
    let priced = reply.json();
    let product = &priced[0]["products"][0];
    assert!(product["product_id"].as_u64().is_some());
    assert_eq!(product["currency"], "usd");
    assert!(product["amount"].as_f64().is_some());
    assert_eq!(product["price_interval"], "month");
    assert_eq!(families(None, "partner/product-families").status, 403);
}

// ---- links behind a TLS front ----

#[test]
fn links_follow_the_front_that_forwarded_the_request() {
    let t = Target::start(Scheme::Http);
    let token = script_token_value(&t);
    let auth = format!("Bearer {token}");
    let body = "local_user=admin&siteurl=https%3A%2F%2Ffront.example";
    let reply = t.send(
        Name::Loopback,
        &request(
            "POST /rest/v1.3/jpphp/provision HTTP/1.1",
            &[
                ("Host", "sandbox.example:8443"),
                ("X-Forwarded-Proto", "https"),
                ("Authorization", &auth),
            ],
            Some("application/x-www-form-urlencoded"),
            Some(body),
        ),
    );
    let next = reply.json()["next_url"].as_str().unwrap().to_string();
    assert!(
        next.starts_with("https://sandbox.example:8443/jetpack.authorize/1/?"),
        "{next}"
    );

    let t = Target::start_with(
        Scheme::Https,
        Config {
            public_url: Some("https://partners.sandbox.example/".into()),
            ..Config::default()
        },
    );
    let token = script_token_value(&t);
    let reply = script_provision(
        &t,
        &token,
        "",
        &[("local_user", "a"), ("siteurl", "x.example")],
    );
    let next = reply.json()["next_url"].as_str().unwrap().to_string();
    assert!(
        next.starts_with("https://partners.sandbox.example/jetpack.authorize/1/?"),
        "{next}"
    );
    assert!(t.ca_path.exists());
    assert!(t
        .sandbox
        .tls_ca_pem()
        .unwrap()
        .starts_with("-----BEGIN CERTIFICATE-----"));
}

// ---- helpers that are not a replay ----

fn api_form(t: &Target, token: &str, path: &str, fields: &[(&str, &str)]) -> Reply {
    let auth = format!("Bearer {token}");
    let body: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{k}={}", v.replace(':', "%3A").replace('/', "%2F")))
        .collect();
    t.send(
        Name::Loopback,
        &request(
            &format!("POST {path} HTTP/1.1"),
            &[("Host", &t.host()), ("Authorization", &auth)],
            Some("application/x-www-form-urlencoded"),
            Some(&body.join("&")),
        ),
    )
}

fn get_json(t: &Target, token: &str, path: &str) -> Value {
    let auth = format!("Bearer {token}");
    let reply = t.send(
        Name::Loopback,
        &request(
            &format!("GET {path} HTTP/1.1"),
            &[("Host", &t.host()), ("Authorization", &auth)],
            None,
            None,
        ),
    );
    assert_eq!(reply.status, 200, "{path}: {}", reply.text);
    reply.json()
}

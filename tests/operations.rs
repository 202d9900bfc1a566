//! Every operation against the in-process sandbox: what is sent, and the reply passed through whole.

mod common;

use common::*;
use jetpack_partner_core::{site_identifier, Client, ClientConfig, ErrorKind};
use serde_json::json;

#[test]
fn provision_then_status_then_cancel() {
    let sb = start();
    let url = sb.url();
    let client = client(url);

    let reply = client
        .provision(
            "admin",
            "https://example.com/blog",
            Some("premium"),
            &no_options(),
        )
        .unwrap();
    assert_eq!(reply.http_status, 200);
    assert_eq!(reply.attempts, 1);
    assert_eq!(reply.body["success"], true);
    assert_eq!(reply.body["auth_required"], true);
    let next_url = reply.body["next_url"].as_str().unwrap();
    assert!(next_url.contains("authorize"), "{next_url}");

    let status = client.status("https://example.com/blog").unwrap();
    assert_eq!(status.http_status, 200);
    assert_eq!(status.body["blog"]["is_connected"], false);
    let products = status.body["products"].as_array().unwrap();
    assert_eq!(products.len(), 1, "{products:?}");
    assert_eq!(products[0]["slug"], "premium");
    assert_eq!(products[0]["is_pending"], true);
    assert_eq!(products[0]["is_provisioned_by_calling_partner"], true);

    // The same site by its identifier.
    let by_identifier = client.status("example.com::blog").unwrap();
    assert_eq!(by_identifier.body, status.body);

    let cancelled = client
        .cancel("https://example.com/blog/", &no_options())
        .unwrap();
    assert_eq!(cancelled.body["success"], true);
    // Nothing left to cancel: the server's {"success": false} is a success of the call.
    let again = client.cancel("example.com::blog", &no_options()).unwrap();
    assert_eq!(again.body["success"], false);
}

#[test]
fn provision_of_a_connected_site_is_active_at_once() {
    let sb = start();
    let url = sb.url();
    let client = client(url);
    connect_site(url, "https://connected.example.com");
    let reply = client
        .provision(
            "admin",
            "https://connected.example.com",
            Some("personal"),
            &no_options(),
        )
        .unwrap();
    assert_eq!(reply.body["auth_required"], false);
    let status = client.status("connected.example.com").unwrap();
    assert_eq!(status.body["blog"]["is_connected"], true);
}

#[test]
fn provision_sends_every_option() {
    let sb = start();
    let url = sb.url();
    let client = client(url);
    let opts = options(json!({
        "force_register": true,
        "force_connect": true,
        "onboarding": true,
        "wpcom_user_id": 0,
        "wpcom_user_email": "owner@example.com",
        "partner_tracking_id": "staging-42",
        "ssh_user": "deploy",
        "ssh_pass": "ssh-password-value",
        "ssh_host": "ssh.example.com",
        "ssh_port": 2222,
        "ftp_user": "ftpuser",
        "ftp_pass": "ftp-password-value",
        "ftp_host": "ftp.example.com",
        "ftp_port": "21"
    }));
    let reply = client
        .provision(
            "admin",
            "https://method-not-found.example.com",
            Some("jetpack-backup-daily"),
            &opts,
        )
        .unwrap();
    assert_eq!(reply.body["success"], true);
    // force_register got through: without it the sandbox answers method_not_found for this host.
    let err = client
        .provision(
            "admin",
            "https://method-not-found.example.com",
            None,
            &no_options(),
        )
        .unwrap_err();
    assert_eq!(err.code(), "method_not_found");
    assert_eq!(err.http_status(), Some(400));
    // The backup credentials were stored.
    let status = client.status("method-not-found.example.com").unwrap();
    assert_eq!(status.body["blog"]["has_backups_credentials"], true);
}

#[test]
fn free_plan_is_the_default() {
    let sb = start();
    let client = client(sb.url());
    let reply = client
        .provision("42", "http://free.example.org", None, &no_options())
        .unwrap();
    assert_eq!(reply.body["success"], true);
}

#[test]
fn unresolvable_site_gets_an_empty_next_url() {
    let sb = start();
    let client = client(sb.url());
    let reply = client
        .provision(
            "admin",
            "https://nowhere.invalid",
            Some("premium"),
            &no_options(),
        )
        .unwrap();
    assert_eq!(reply.body["auth_required"], true);
    assert_eq!(reply.body["next_url"], "");
}

#[test]
fn idn_site_is_sent_as_punycode() {
    let sb = start();
    let client = client(sb.url());
    client
        .provision(
            "admin",
            "https://bücher.example/",
            Some("premium"),
            &no_options(),
        )
        .unwrap();
    let status = client.status("xn--bcher-kva.example").unwrap();
    assert_eq!(status.http_status, 200);
    assert_eq!(
        site_identifier("https://bücher.example/").unwrap(),
        "xn--bcher-kva.example"
    );
}

#[test]
fn cancel_options_plan_and_cancel_all() {
    let sb = start();
    let client = client(sb.url());
    client
        .provision(
            "admin",
            "https://multi.example.com",
            Some("premium"),
            &no_options(),
        )
        .unwrap();
    client
        .provision(
            "admin",
            "https://multi.example.com",
            Some("jetpack-scan"),
            &no_options(),
        )
        .unwrap();
    let one = client
        .cancel(
            "https://multi.example.com",
            &options(json!({"plan": "jetpack-scan"})),
        )
        .unwrap();
    assert_eq!(one.body["success"], true);
    let all = client
        .cancel(
            "https://multi.example.com",
            &options(json!({"cancel_all": true})),
        )
        .unwrap();
    assert_eq!(all.body["success"], true);
    assert!(all.body["activations"].is_array(), "{}", all.body);
    assert!(all.body["pending_activations"].is_array(), "{}", all.body);
    let status = client.status("multi.example.com").unwrap();
    assert_eq!(status.body["products"].as_array().unwrap().len(), 0);
}

#[test]
fn cancel_and_status_by_blog_id() {
    let sb = start();
    let url = sb.url();
    let client = client(url);
    client
        .provision(
            "admin",
            "https://byid.example.com",
            Some("premium"),
            &no_options(),
        )
        .unwrap();
    connect_site(url, "https://byid.example.com");
    let status = client.status("https://byid.example.com").unwrap();
    let blog_id = status.body["blog"]["blog_id"].as_u64().expect("blog_id");
    let by_id = client.status(&blog_id.to_string()).unwrap();
    assert_eq!(by_id.body["blog"]["is_connected"], true);
    let cancelled = client.cancel(&blog_id.to_string(), &no_options()).unwrap();
    assert_eq!(cancelled.body["success"], true);
    // An unknown blog ID is the server's error, passed through.
    let err = client.status("987654321").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Api);
    assert!(
        matches!(err.code(), "invalid_blog" | "unknown_blog"),
        "{}",
        err.code()
    );
    assert!(matches!(err.http_status(), Some(403) | Some(404)));
}

#[test]
fn partner_key_new_with_counts_and_notes() {
    let sb = start();
    let url = sb.url();
    let client = client(url);
    let reply = client
        .partner_key_new(
            "Reseller One",
            &options(json!({
                "allowed_personal_plans": 0,
                "allowed_premium_plans": 100,
                "allowed_professional_plans": "5",
                "notes": "line 1\nline 2"
            })),
        )
        .unwrap();
    assert_eq!(reply.body["name"], "Reseller One");
    assert_eq!(reply.body["allowed_premium_plans"], "100");
    assert_eq!(reply.body["allowed_professional_plans"], "5");
    let new_id = reply.body["client_id"].as_str().unwrap().to_string();
    let new_secret = reply.body["client_secret"].as_str().unwrap().to_string();
    // Debug output never shows the new key's secret.
    assert!(!format!("{reply:?}").contains(&new_secret));

    // The new key is a partner credential in its own right.
    let mut config = ClientConfig::new(new_id, new_secret);
    config.api_base = url.to_string();
    let reseller = Client::new(config).unwrap();
    let provisioned = reseller
        .provision(
            "admin",
            "https://reseller-site.example.com",
            Some("premium"),
            &no_options(),
        )
        .unwrap();
    assert_eq!(provisioned.body["success"], true);
}

#[test]
fn server_refusals_pass_through_with_their_status() {
    let sb = start();
    let url = sb.url();
    let client = client(url);

    let err = client
        .provision(
            "admin",
            "https://example.com",
            Some("no-such-plan"),
            &no_options(),
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Api);
    assert_eq!(err.code(), "invalid_plan");
    assert_eq!(err.http_status(), Some(400));
    assert!(err.message().contains("no-such-plan"));
    assert_eq!(err.body().unwrap()["error"], "invalid_plan");
    assert_eq!(err.attempts(), 1);

    // Downgrades are refused.
    client
        .provision(
            "admin",
            "https://down.example.com",
            Some("professional"),
            &no_options(),
        )
        .unwrap();
    let err = client
        .provision(
            "admin",
            "https://down.example.com",
            Some("personal"),
            &no_options(),
        )
        .unwrap_err();
    assert_eq!(err.code(), "plan_downgrade_disallowed");
    assert_eq!(err.http_status(), Some(400));

    // Another partner's plan cannot be cancelled.
    let mut other = ClientConfig::new(OTHER_ID, OTHER_SECRET);
    other.api_base = url.to_string();
    let other = Client::new(other).unwrap();
    let err = other
        .cancel("https://down.example.com", &no_options())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Api);
    assert_eq!(err.code(), "incorrect_partner_key");
    assert_eq!(err.http_status(), Some(403));
}

#[test]
fn the_reply_is_passed_through_whole_and_in_order() {
    let sb = start();
    let client = client(sb.url());
    let reply = client
        .provision(
            "admin",
            "https://order.example.com",
            Some("premium"),
            &no_options(),
        )
        .unwrap();
    let text = serde_json::to_string(&reply.body).unwrap();
    // The server's member order is kept (success first, as the sandbox writes it).
    assert!(text.starts_with("{\"success\":true"), "{text}");
    let status = client.status("order.example.com").unwrap();
    for product in status.body["products"].as_array().unwrap() {
        for member in [
            "slug",
            "is_provisioned_by_partner",
            "is_provisioned_by_calling_partner",
            "is_pending",
        ] {
            assert!(
                product.get(member).is_some(),
                "{member} missing in {product}"
            );
        }
    }
}

#[test]
fn http_envelope_replies_are_unwrapped() {
    let sb = start();
    let url = sb.url();
    let mut config = config(url);
    config.http_envelope = true;
    let client = Client::new(config).unwrap();
    let reply = client
        .provision(
            "admin",
            "https://envelope.example.com",
            Some("premium"),
            &no_options(),
        )
        .unwrap();
    assert_eq!(reply.http_status, 200);
    assert_eq!(reply.body["success"], true);
    assert!(reply.body.get("code").is_none(), "{}", reply.body);
    let err = client
        .provision(
            "admin",
            "https://envelope.example.com",
            Some("no-such-plan"),
            &no_options(),
        )
        .unwrap_err();
    assert_eq!(err.code(), "invalid_plan");
    assert_eq!(err.http_status(), Some(400));
    // A refused token inside an envelope is still recognised and replaced once.
    fault(url, json!({"endpoint": "status", "kind": "refuse_token"}));
    let status = client.status("envelope.example.com").unwrap();
    assert_eq!(status.attempts, 2);
    assert_eq!(status.body["products"][0]["slug"], "premium");
}

//! The token and the connections belong to the process: clients made one after the other with the same
//! settings share them; other credentials or another API base do not.

mod common;

use common::*;
use jetpack_partner_core::{Client, ClientConfig, ErrorKind};
use serde_json::json;

#[test]
fn clients_in_sequence_ask_for_one_token() {
    let sb = start();
    let url = sb.url();
    for i in 0..5 {
        let client = client(url);
        let reply = client
            .provision(
                "admin",
                &format!("https://seq{i}.example.com"),
                None,
                &no_options(),
            )
            .unwrap();
        assert_eq!(reply.attempts, 1);
        drop(client);
    }
    assert_eq!(count(url, "token"), 1, "{}", stats(url));
    assert_eq!(count(url, "provision"), 5);
}

#[test]
fn other_secrets_do_not_share_the_token() {
    let sb = start();
    let url = sb.url();
    client(url)
        .provision("admin", "https://secret.example.com", None, &no_options())
        .unwrap();
    let mut wrong = ClientConfig::new(PARTNER_ID, "not-the-partner-secret");
    wrong.api_base = url.to_string();
    let err = Client::new(wrong)
        .unwrap()
        .status("secret.example.com")
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Token, "{err:?}");
    // The other partner gets a token of its own too.
    let mut other = ClientConfig::new(OTHER_ID, OTHER_SECRET);
    other.api_base = url.to_string();
    Client::new(other)
        .unwrap()
        .provision("admin", "https://other.example.com", None, &no_options())
        .unwrap();
    assert_eq!(count(url, "token"), 3, "{}", stats(url));
}

#[test]
fn other_api_bases_do_not_share_the_token() {
    let first = start();
    let second = start();
    client(first.url())
        .provision("admin", "https://base.example.com", None, &no_options())
        .unwrap();
    let reply = client(second.url())
        .provision("admin", "https://base.example.com", None, &no_options())
        .unwrap();
    // The first sandbox's token was never shown to the second one.
    assert_eq!(reply.attempts, 1);
    assert_eq!(count(second.url(), "token"), 1);
    assert_eq!(count(second.url(), "provision"), 1);
    assert_eq!(count(first.url(), "token"), 1);
}

#[test]
fn a_refused_token_is_refreshed_once_for_every_client() {
    let sb = start();
    let url = sb.url();
    let a = client(url);
    a.provision("admin", "https://refused.example.com", None, &no_options())
        .unwrap();
    fault(url, json!({"endpoint": "status", "kind": "refuse_token"}));
    let b = client(url);
    let reply = b.status("refused.example.com").unwrap();
    assert_eq!(reply.attempts, 2);
    assert_eq!(count(url, "token"), 2);
    // The first client uses the new token without asking again.
    let reply = a.status("refused.example.com").unwrap();
    assert_eq!(reply.attempts, 1);
    drop(a);
    drop(b);
    let reply = client(url).status("refused.example.com").unwrap();
    assert_eq!(reply.attempts, 1);
    assert_eq!(count(url, "token"), 2, "{}", stats(url));
}

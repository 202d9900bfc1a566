//! The bad-input table through every Rust entry point: each refused value gives `invalid_argument`
//! naming the field, a short message that does not echo the value, and the sandbox sees no request.
//! Internationalised host names are not refused but sent in Punycode: what the server receives is
//! checked byte for byte.

mod common;
mod support;

use common::*;
use jetpack_partner_core::{
    site_identifier, Client, ClientConfig, Error, ErrorKind, Options, Reply,
};
use serde_json::{json, Value};
use support::TlsServer;

const MIB: usize = 1 << 20;

fn huge(c: char) -> String {
    std::iter::repeat_n(c, MIB).collect()
}

type Call<'a> = Box<dyn Fn(&Client) -> Result<Reply, Error> + 'a>;

/// Checks one refusal: the code, the field named first, nothing of the value echoed when it is long.
fn assert_refused(what: &str, result: Result<impl std::fmt::Debug, Error>, field: &str) {
    let err = match result {
        Ok(v) => panic!("{what}: accepted ({v:?})"),
        Err(e) => e,
    };
    assert_eq!(err.code(), "invalid_argument", "{what}: {err:?}");
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{what}");
    assert!(
        err.message().starts_with(&format!("{field}: ")),
        "{what}: the message names {field}: {:?}",
        err.message()
    );
    assert_eq!(err.http_status(), None, "{what}");
    assert_eq!(err.attempts(), 0, "{what}");
    assert!(err.body().is_none(), "{what}");
    assert!(
        err.message().len() < 400,
        "{what}: a short message ({} bytes)",
        err.message().len()
    );
    assert!(
        !err.message().contains(['\r', '\n', '\0']),
        "{what}: {:?}",
        err.message()
    );
}

fn opts(value: Value) -> Options {
    options(value)
}

/// Sites refused by cancel and status (and `site_identifier`).
fn bad_sites() -> Vec<(&'static str, String)> {
    vec![
        ("empty", String::new()),
        ("blank", " ".into()),
        ("1 MiB", huge('a')),
        ("1 MiB of digits", huge('7')),
        ("CR LF", "example.com\r\nX-Injected: 1".into()),
        ("LF", "example.com\n".into()),
        ("NUL", "example.com\0".into()),
        ("NUL inside", "exa\0mple.com".into()),
        ("user-info", "https://user:pw@example.com".into()),
        ("user only", "https://user@example.com/x".into()),
        ("fragment", "https://example.com/#frag".into()),
        ("javascript:", "javascript:alert(1)".into()),
        (
            "javascript://",
            "javascript://example.com/%0Aalert(1)".into(),
        ),
        ("data:", "data:text/html,<script>x</script>".into()),
        ("no host", "https://".into()),
        ("no host, path", "https:///wp".into()),
        ("ftp", "ftp://example.com".into()),
        ("space", "exa mple.com".into()),
        ("bad port", "https://example.com:99999".into()),
        ("empty label", "https://a..example".into()),
        ("slash in identifier", "example.com::a/b".into()),
        ("blog ID too long", "123456789012345678901".into()),
        ("bad IPv6", "https://[zz]/".into()),
    ]
}

fn bad_siteurls() -> Vec<(&'static str, String)> {
    vec![
        ("empty", String::new()),
        ("1 MiB", huge('a')),
        ("1 MiB URL", format!("https://example.com/{}", huge('a'))),
        ("CR LF", "https://example.com/\r\nX-Injected: 1".into()),
        ("LF in host", "https://exa\nmple.com".into()),
        ("NUL", "https://example.com/\0".into()),
        ("NUL in host", "https://exa\0mple.com".into()),
        ("user-info", "https://user:pw@example.com".into()),
        ("user only", "https://user@example.com".into()),
        ("fragment", "https://example.com/#frag".into()),
        ("empty fragment", "https://example.com#".into()),
        ("javascript:", "javascript:alert(1)".into()),
        (
            "javascript://",
            "javascript://example.com/%0Aalert(1)".into(),
        ),
        ("data:", "data:text/html,<b>x</b>".into()),
        ("scheme-relative", "//example.com".into()),
        (
            "other scheme, no slashes",
            "mailto:admin@example.com".into(),
        ),
        ("no host", "https://".into()),
        ("no host, path", "https:///wp".into()),
        ("port only", "https://:443/".into()),
        ("ftp", "ftp://example.com".into()),
        ("space", "https://exa mple.com".into()),
        ("tab", "https://example.com/\tx".into()),
        ("port 0", "https://example.com:0".into()),
        ("port too big", "https://example.com:65536".into()),
        ("port not a number", "https://example.com:8o".into()),
        ("angle brackets", "https://exa<b>mple.com".into()),
        ("empty label", "https://a..example".into()),
        ("leading hyphen", "https://-a.example".into()),
        (
            "label too long",
            format!("https://{}.example", "a".repeat(64)),
        ),
        ("unterminated IPv6", "https://[::1/".into()),
        (
            "invalid IDN character",
            "https://bü\u{FFFD}cher.example".into(),
        ),
    ]
}

fn bad_plans() -> Vec<(&'static str, String)> {
    vec![
        ("empty", String::new()),
        ("1 MiB", huge('a')),
        ("65 bytes", "a".repeat(65)),
        ("upper case", "Premium".into()),
        ("space", "premium plan".into()),
        ("CR LF", "premium\r\n".into()),
        ("NUL", "premium\0".into()),
        ("path", "../premium".into()),
        ("leading hyphen", "-premium".into()),
        ("underscore", "jetpack_premium".into()),
        ("non-ASCII", "prémium".into()),
    ]
}

#[test]
fn provision_refuses_bad_input_and_sends_nothing() {
    let sb = start();
    let url = sb.url();
    let client = client(url);
    let ok_site = "https://example.com";
    let mut cases: Vec<(String, Call<'_>, &str)> = Vec::new();
    for (what, user) in [
        ("empty", String::new()),
        ("blank", "   ".into()),
        ("1 MiB", huge('a')),
        ("CR LF", "ad\r\nmin".into()),
        ("LF", "admin\n".into()),
        ("NUL", "ad\0min".into()),
        ("escape", "ad\u{1b}[31mmin".into()),
    ] {
        cases.push((
            format!("local_user {what}"),
            Box::new(move |c: &Client| c.provision(&user, ok_site, None, &Options::new())),
            "local_user",
        ));
    }
    for (what, site) in bad_siteurls() {
        cases.push((
            format!("siteurl {what}"),
            Box::new(move |c: &Client| c.provision("admin", &site, None, &Options::new())),
            "siteurl",
        ));
    }
    for (what, plan) in bad_plans() {
        cases.push((
            format!("plan {what}"),
            Box::new(move |c: &Client| c.provision("admin", ok_site, Some(&plan), &Options::new())),
            "plan",
        ));
    }
    let option_cases: Vec<(Value, &str)> = vec![
        (json!({"wpcom_user_id": -1}), "wpcom_user_id"),
        (json!({"wpcom_user_id": "-1"}), "wpcom_user_id"),
        (json!({"wpcom_user_id": "abc"}), "wpcom_user_id"),
        (json!({"wpcom_user_id": 1.5}), "wpcom_user_id"),
        (json!({"wpcom_user_id": "1e3"}), "wpcom_user_id"),
        (json!({"wpcom_user_id": " 7"}), "wpcom_user_id"),
        (json!({"wpcom_user_id": true}), "wpcom_user_id"),
        (
            json!({"wpcom_user_id": "99999999999999999999999"}),
            "wpcom_user_id",
        ),
        (json!({"ssh_port": 0}), "ssh_port"),
        (json!({"ssh_port": 70000}), "ssh_port"),
        (json!({"ssh_port": -22}), "ssh_port"),
        (json!({"ftp_port": "21x"}), "ftp_port"),
        (json!({"force_register": "maybe"}), "force_register"),
        (json!({"force_connect": [true]}), "force_connect"),
        (json!({"onboarding": 2}), "onboarding"),
        (
            json!({"partner_tracking_id": "a\r\nb"}),
            "partner_tracking_id",
        ),
        (
            json!({"partner_tracking_id": huge('t')}),
            "partner_tracking_id",
        ),
        (json!({"wpcom_user_email": ""}), "wpcom_user_email"),
        (json!({"wpcom_user_email": "a@b\0.c"}), "wpcom_user_email"),
        (json!({"ssh_user": "u", "ssh_pass": huge('p')}), "ssh_pass"),
        (json!({"ssh_user": "u", "ssh_pass": "a\nb"}), "ssh_pass"),
        (json!({"ssh_user": "u"}), "ssh_user"),
        (json!({"ssh_host": {}}), "ssh_host"),
        (json!({"ssh_private_key": huge('k')}), "ssh_private_key"),
        (json!({"bogus": 1}), "bogus"),
        (json!({"cancel_all": true}), "cancel_all"),
    ];
    for (value, field) in option_cases {
        let what = format!(
            "option {}",
            value.to_string().chars().take(60).collect::<String>()
        );
        let o = opts(value);
        cases.push((
            what,
            Box::new(move |c: &Client| c.provision("admin", ok_site, None, &o)),
            field,
        ));
    }
    assert!(cases.len() > 70);
    for (what, call, field) in &cases {
        assert_refused(what, call(&client), field);
    }
    assert_eq!(total(url), 0, "the sandbox saw requests: {}", stats(url));
}

#[test]
fn cancel_status_and_site_identifier_refuse_bad_sites() {
    let sb = start();
    let url = sb.url();
    let client = client(url);
    for (what, site) in bad_sites() {
        assert_refused(
            &format!("cancel {what}"),
            client.cancel(&site, &Options::new()),
            "site",
        );
        assert_refused(&format!("status {what}"), client.status(&site), "site");
        assert_refused(
            &format!("site_identifier {what}"),
            site_identifier(&site),
            "site",
        );
    }
    for (value, field) in [
        (json!({"plan": "Bad Plan"}), "plan"),
        (json!({"plan": ""}), "plan"),
        (json!({"plan": 5}), "plan"),
        (json!({"plan": huge('a')}), "plan"),
        (json!({"cancel_all": "maybe"}), "cancel_all"),
        (json!({"cancel_all": -1}), "cancel_all"),
        (json!({"force_register": true}), "force_register"),
        (json!({"cancel-all": true}), "cancel-all"),
    ] {
        assert_refused(
            &format!("cancel option {value}")
                .chars()
                .take(80)
                .collect::<String>(),
            client.cancel("example.com", &opts(value)),
            field,
        );
    }
    assert_eq!(total(url), 0, "the sandbox saw requests: {}", stats(url));
}

#[test]
fn partner_key_new_refuses_bad_names_and_counts() {
    let sb = start();
    let url = sb.url();
    let client = client(url);
    for (what, name) in [
        ("empty", String::new()),
        ("blank", "  ".to_string()),
        ("1 MiB", huge('n')),
        ("CR LF", "reseller\r\nX: 1".into()),
        ("NUL", "reseller\0".into()),
    ] {
        assert_refused(
            &format!("name {what}"),
            client.partner_key_new(&name, &Options::new()),
            "name",
        );
    }
    let count_fields = [
        "allowed_personal_plans",
        "allowed_premium_plans",
        "allowed_professional_plans",
    ];
    for field in count_fields {
        for bad in [
            json!(-1),
            json!("-1"),
            json!(-0.5),
            json!(1.5),
            json!("ten"),
            json!("10 "),
            json!("0x10"),
            json!("1e3"),
            json!(""),
            json!(true),
            json!([1]),
            json!({"n": 1}),
            json!("184467440737095516160"),
            json!(huge('9')),
        ] {
            let shown: String = bad.to_string().chars().take(40).collect();
            assert_refused(
                &format!("{field} = {shown}"),
                client.partner_key_new("reseller", &opts(json!({ field: bad }))),
                field,
            );
        }
    }
    for (value, field) in [
        (json!({"notes": ""}), "notes"),
        (json!({"notes": huge('x')}), "notes"),
        (json!({"notes": "a\0b"}), "notes"),
        (json!({"notes": "a\u{7}b"}), "notes"),
        (json!({"notes": ["x"]}), "notes"),
        (json!({"allowed_plans": 3}), "allowed_plans"),
    ] {
        assert_refused(
            &format!("{value}").chars().take(60).collect::<String>(),
            client.partner_key_new("reseller", &opts(value)),
            field,
        );
    }
    assert_eq!(total(url), 0, "the sandbox saw requests: {}", stats(url));
    // The same counts written correctly are accepted (numbers and digit strings).
    let reply = client
        .partner_key_new(
            "reseller",
            &opts(
                json!({"allowed_personal_plans": 0, "allowed_premium_plans": "12",
                "allowed_professional_plans": 3, "notes": "line one\nline two"}),
            ),
        )
        .expect("valid counts");
    assert_eq!(reply.http_status, 200);
    assert_eq!(count(url, "partner_keys_new"), 1);
}

#[test]
fn client_settings_are_refused_naming_the_field() {
    let base = |id: &str, secret: &str| {
        let mut c = ClientConfig::new(id, secret);
        c.api_base = "http://127.0.0.1:9".into();
        c
    };
    let cases: Vec<(&str, ClientConfig, &str)> = vec![
        ("empty partner_id", base("", "secret-value"), "partner_id"),
        (
            "CR LF partner_id",
            base("12\r\n345", "secret-value"),
            "partner_id",
        ),
        (
            "NUL partner_id",
            base("12\u{0}345", "secret-value"),
            "partner_id",
        ),
        (
            "1 MiB partner_id",
            base(&huge('1'), "secret-value"),
            "partner_id",
        ),
        ("empty secret", base("12345", ""), "partner_secret"),
        (
            "LF secret",
            base("12345", "secret\nvalue"),
            "partner_secret",
        ),
        (
            "NUL secret",
            base("12345", "secret\0value"),
            "partner_secret",
        ),
        ("1 MiB secret", base("12345", &huge('s')), "partner_secret"),
    ];
    for (what, config, field) in cases {
        assert_refused(what, Client::new(config), field);
    }
    for (what, api_base) in [
        ("empty", String::new()),
        (
            "plain http to a remote host",
            "http://example.com".to_string(),
        ),
        ("user-info", "https://user:pw@example.com".into()),
        ("fragment", "https://example.com/#x".into()),
        ("query", "https://example.com/?x=1".into()),
        ("javascript:", "javascript:alert(1)".into()),
        ("no host", "https://".into()),
        ("CR LF", "https://example.com\r\n".into()),
        ("1 MiB", format!("https://example.com/{}", huge('a'))),
    ] {
        let mut c = base("12345", "secret-value");
        c.api_base = api_base;
        assert_refused(&format!("api_base {what}"), Client::new(c), "api_base");
    }
    for (what, proxy) in [
        ("socks", "socks5://127.0.0.1:1080"),
        ("https proxy", "https://127.0.0.1:3128"),
        ("no scheme", "127.0.0.1:3128"),
        ("space", "http://127.0.0.1: 3128"),
        ("CR LF", "http://127.0.0.1:3128\r\n"),
    ] {
        let mut c = base("12345", "secret-value");
        c.proxy = Some(proxy.into());
        assert_refused(&format!("proxy {what}"), Client::new(c), "proxy");
    }
    let mut c = base("12345", "secret-value");
    c.ca_bundle = Some("/nonexistent/ca.pem".into());
    assert_refused("missing ca_bundle", Client::new(c), "ca_bundle");
}

#[test]
fn secrets_in_refused_settings_are_not_echoed() {
    let secret = "a-secret-with-a\nnewline";
    let mut c = ClientConfig::new("12345", secret);
    c.api_base = "http://127.0.0.1:9".into();
    let err = Client::new(c).expect_err("refused");
    assert!(
        !err.message().contains("a-secret-with"),
        "{}",
        err.message()
    );
    let mut c = ClientConfig::new("12345", "secret-value");
    c.proxy = Some("socks5://panel:pr0xy-pass@127.0.0.1:1080".into());
    let err = Client::new(c).expect_err("refused");
    assert!(!err.message().contains("pr0xy-pass"), "{}", err.message());
}

/// Internationalised host names are converted to Punycode before they are sent: the exact form body
/// and path the server receives.
#[test]
fn idn_hosts_reach_the_server_in_punycode() {
    let server = TlsServer::start_plain();
    let client = client(&server.plain_url());
    for (site, expected) in [
        (
            "https://bücher.example/shop",
            "siteurl=https%3A%2F%2Fxn--bcher-kva.example%2Fshop",
        ),
        (
            "https://MÜNCHEN.de",
            "siteurl=https%3A%2F%2Fxn--mnchen-3ya.de",
        ),
        (
            "https://例え。テスト/",
            "siteurl=https%3A%2F%2Fxn--r8jz45g.xn--zckzah%2F",
        ),
        (
            "http://пример.испытание:8080/wp?x=1",
            "siteurl=http%3A%2F%2Fxn--e1afmkfd.xn--80akhbyknj4f%3A8080%2Fwp%3Fx%3D1",
        ),
    ] {
        client
            .provision("admin", site, Some("premium"), &Options::new())
            .unwrap_or_else(|e| panic!("{site}: {e}"));
        let (line, body) = server.seen.full().last().cloned().unwrap();
        assert_eq!(line, "POST /rest/v1.3/jpphp/provision HTTP/1.1");
        assert_eq!(
            body,
            format!("local_user=admin&{expected}&plan=premium"),
            "{site}"
        );
    }
    client
        .cancel("https://bücher.example/shop/", &Options::new())
        .unwrap();
    client.status("bücher.example").unwrap();
    let lines: Vec<String> = server.seen.full().iter().map(|(l, _)| l.clone()).collect();
    let n = lines.len();
    assert_eq!(
        lines[n - 2..],
        [
            "POST /rest/v1.3/jpphp/xn--bcher-kva.example::shop/partner-cancel HTTP/1.1".to_string(),
            "GET /rest/v1.4/jpphp/xn--bcher-kva.example/status HTTP/1.1".to_string(),
        ]
    );
}

/// A site URL without its scheme (as the 2018 WHMCS module sends it, and WordPress.com accepts) is
/// sent without one: only the host is normalised.
#[test]
fn scheme_less_site_urls_reach_the_server_as_given() {
    let server = TlsServer::start_plain();
    let client = client(&server.plain_url());
    for (site, expected) in [
        ("example.com", "siteurl=example.com"),
        ("Shop.Example/blog/", "siteurl=shop.example%2Fblog%2F"),
        (
            "bücher.example:8080/shop",
            "siteurl=xn--bcher-kva.example%3A8080%2Fshop",
        ),
    ] {
        client
            .provision("admin", site, Some("premium"), &Options::new())
            .unwrap_or_else(|e| panic!("{site}: {e}"));
        let (_, body) = server.seen.full().last().cloned().unwrap();
        assert_eq!(
            body,
            format!("local_user=admin&{expected}&plan=premium"),
            "{site}"
        );
    }
}

/// The sandbox keeps the site under its Punycode name: the Unicode and Punycode spellings are the
/// same site.
#[test]
fn idn_site_provisioned_is_found_under_both_spellings() {
    let sb = start();
    let url = sb.url();
    let client = client(url);
    client
        .provision(
            "admin",
            "https://bücher.example/shop",
            Some("premium"),
            &Options::new(),
        )
        .expect("provision");
    let by_unicode = client
        .status("https://bücher.example/shop")
        .expect("status");
    let by_punycode = client
        .status("xn--bcher-kva.example::shop")
        .expect("status");
    assert_eq!(by_unicode.body, by_punycode.body);
    assert_eq!(count(url, "provision"), 1);
    assert_eq!(count(url, "status"), 2);
}

/// A slug of the right form that the server does not know is the server's `invalid_plan` (the client
/// checks the form only; the server decides which plans exist), and nothing was provisioned.
#[test]
fn unknown_plan_of_the_right_form_is_the_servers_invalid_plan() {
    let sb = start();
    let url = sb.url();
    let client = client(url);
    let err = client
        .provision(
            "admin",
            "https://example.com",
            Some("platinum"),
            &Options::new(),
        )
        .expect_err("unknown plan");
    assert_eq!(err.code(), "invalid_plan", "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Api);
    assert_eq!(err.http_status(), Some(400));
    assert_eq!(err.attempts(), 1);
    assert_eq!(count(url, "provision"), 1);
}

//! Real TLS on loopback, with a certificate authority made at test time: a certificate trusted through
//! `ca_bundle` works; an untrusted one, or one for another host name, is `tls_error`, and no request
//! is ever sent over such a connection.

mod support;

use std::net::IpAddr;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use jetpack_partner_core::{Backoff, Client, ClientConfig, ErrorKind, Options};
use support::{TempDir, TestCa, TlsServer, LOOPBACK, TLS_TOKEN};

const SECRET: &str = "tls-test-partner-secret-41d9";

fn config(api_base: String, ca_bundle: Option<std::path::PathBuf>) -> ClientConfig {
    let mut config = ClientConfig::new("12345", SECRET);
    config.api_base = api_base;
    config.ca_bundle = ca_bundle;
    config.timeout = Duration::from_secs(30);
    config.connect_timeout = Duration::from_secs(10);
    config.backoff = Backoff {
        base: Duration::from_millis(5),
        max: Duration::from_millis(20),
        retry_after_max: Duration::from_millis(50),
    };
    config
}

fn provision(client: &Client) -> Result<jetpack_partner_core::Reply, jetpack_partner_core::Error> {
    client.provision(
        "admin",
        "https://example.com",
        Some("premium"),
        &Options::new(),
    )
}

/// Waits (generously) until the server has counted `n` failed handshakes.
fn wait_failed_handshakes(server: &TlsServer, n: usize) -> usize {
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        let seen = server.seen.failed_handshakes.load(Ordering::SeqCst);
        if seen >= n || Instant::now() > until {
            return seen;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn assert_tls_error(err: &jetpack_partner_core::Error, server: &TlsServer) {
    assert_eq!(err.code(), "tls_error", "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Tls);
    assert_eq!(err.http_status(), None);
    assert!(
        err.message().contains("ca_bundle"),
        "the message says how to trust a private CA: {}",
        err.message()
    );
    assert!(!err.message().contains(SECRET));
    // The handshake failed on the first connection: nothing was sent, and it was not repeated.
    assert!(
        server.seen.requests().is_empty(),
        "{:?}",
        server.seen.requests()
    );
    assert_eq!(server.seen.connections.load(Ordering::SeqCst), 1);
    assert_eq!(wait_failed_handshakes(server, 1), 1);
}

#[test]
fn certificate_trusted_through_ca_bundle_works() {
    let dir = TempDir::new("tls-ok");
    let ca = TestCa::new("jetpack-partner test CA");
    let bundle = ca.write_bundle(dir.path());
    let (certs, key) = ca.issue(&["localhost"], &[LOOPBACK]);
    let server = TlsServer::start(certs, key);
    let client = Client::new(config(
        format!("https://127.0.0.1:{}", server.port()),
        Some(bundle),
    ))
    .expect("valid config");
    let reply = provision(&client).expect("provision over TLS");
    assert_eq!(reply.http_status, 200);
    assert_eq!(reply.attempts, 1);
    assert_eq!(reply.body["served_by"], "tls-test-server");
    assert_eq!(reply.body["success"], true);
    // A second call reuses the token.
    provision(&client).expect("second provision over TLS");
    assert_eq!(
        server.seen.requests(),
        [
            "POST /oauth2/token",
            "POST /rest/v1.3/jpphp/provision",
            "POST /rest/v1.3/jpphp/provision"
        ]
    );
    assert_eq!(server.seen.failed_handshakes.load(Ordering::SeqCst), 0);
    let debug = format!("{client:?} {reply:?}");
    assert!(
        !debug.contains(SECRET) && !debug.contains(TLS_TOKEN),
        "{debug}"
    );
}

#[test]
fn untrusted_certificate_is_tls_error() {
    let ca = TestCa::new("unknown CA");
    let (certs, key) = ca.issue(&["localhost"], &[LOOPBACK]);
    let server = TlsServer::start(certs, key);
    // Only the system's trust store: the test CA is not in it.
    let client = Client::new(config(format!("https://127.0.0.1:{}", server.port()), None)).unwrap();
    let err = provision(&client).expect_err("an unknown CA is refused");
    assert_tls_error(&err, &server);
}

#[test]
fn certificate_of_another_ca_in_the_bundle_is_tls_error() {
    let dir = TempDir::new("tls-other-ca");
    let trusted = TestCa::new("trusted CA");
    let bundle = trusted.write_bundle(dir.path());
    let signer = TestCa::new("another CA");
    let (certs, key) = signer.issue(&["localhost"], &[LOOPBACK]);
    let server = TlsServer::start(certs, key);
    let client = Client::new(config(
        format!("https://127.0.0.1:{}", server.port()),
        Some(bundle),
    ))
    .unwrap();
    let err = provision(&client).expect_err("a certificate of another CA is refused");
    assert_tls_error(&err, &server);
}

#[test]
fn certificate_for_another_host_name_is_tls_error() {
    let dir = TempDir::new("tls-name");
    let ca = TestCa::new("jetpack-partner test CA");
    let bundle = ca.write_bundle(dir.path());
    // Trusted, but issued for example.test only; the client connects to 127.0.0.1.
    let (certs, key) = ca.issue(&["example.test"], &[]);
    let server = TlsServer::start(certs, key);
    let client = Client::new(config(
        format!("https://127.0.0.1:{}", server.port()),
        Some(bundle),
    ))
    .unwrap();
    let err = provision(&client).expect_err("a certificate for another name is refused");
    assert_tls_error(&err, &server);
}

#[test]
fn certificate_for_another_address_is_tls_error() {
    let dir = TempDir::new("tls-ip");
    let ca = TestCa::new("jetpack-partner test CA");
    let bundle = ca.write_bundle(dir.path());
    // Trusted, for the name localhost and the address 127.0.0.2, but not 127.0.0.1.
    let other: IpAddr = "127.0.0.2".parse().unwrap();
    let (certs, key) = ca.issue(&["localhost"], &[other]);
    let server = TlsServer::start(certs, key);
    let client = Client::new(config(
        format!("https://127.0.0.1:{}", server.port()),
        Some(bundle),
    ))
    .unwrap();
    let err = provision(&client).expect_err("a certificate for another address is refused");
    assert_tls_error(&err, &server);
}

#[test]
fn plain_http_server_behind_an_https_url_is_tls_error() {
    let sb = jetpack_partner_sandbox::Sandbox::start(Default::default()).expect("sandbox");
    let https = sb.url().replace("http://", "https://");
    let client = Client::new(config(https, None)).unwrap();
    let err = provision(&client).expect_err("not TLS");
    assert_eq!(err.code(), "tls_error", "{err:?}");
    assert!(!err.message().contains(SECRET));
}

#[test]
fn ca_bundle_that_is_not_pem_is_refused_before_any_connection() {
    let dir = TempDir::new("tls-bad-bundle");
    let path = dir.path().join("bundle.pem");
    std::fs::write(
        &path,
        "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let err = Client::new(config("https://127.0.0.1:1".into(), Some(path)))
        .expect_err("an invalid bundle is refused");
    assert_eq!(err.code(), "invalid_argument");
    assert!(
        err.message().starts_with("ca_bundle: "),
        "{}",
        err.message()
    );
}

//! While one thread asks for the partner token, the threads waiting for it open their connections,
//! so that a burst of first calls is not connected one round trip after the token (counted on a test
//! server, never timed).

mod counting;
mod support;

use std::sync::{Arc, Barrier};
use std::time::Duration;

use counting::CountingServer;
use jetpack_partner_core::{ApiRequest, Client, ClientConfig, Options};
use support::{TempDir, TestCa, TlsServer, LOOPBACK};

const THREADS: usize = 4;

fn client(url: &str, secret: &str) -> Client {
    let mut config = ClientConfig::new("4321", secret);
    config.api_base = url.to_string();
    config.timeout = Duration::from_secs(10);
    Client::new(config).expect("valid config")
}

fn call(client: &Client, name: &str) {
    let reply = client
        .request(&ApiRequest::new("GET", format!("/ok/{name}")))
        .expect("call");
    assert_eq!(reply.body["ok"], name);
}

/// `THREADS` threads make their first call at once; returns when all are answered.
fn burst(client: &Arc<Client>) {
    let start = Arc::new(Barrier::new(THREADS));
    let threads: Vec<_> = (0..THREADS)
        .map(|i| {
            let (client, start) = (client.clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                call(&client, &format!("burst-{i}"));
            })
        })
        .collect();
    for thread in threads {
        thread.join().expect("caller thread");
    }
}

#[test]
fn threads_waiting_for_the_token_open_their_connections_meanwhile_and_open_no_more() {
    let server = CountingServer::start(None);
    // Long enough for the waiting threads to reach the server before the token reply.
    server.delay_token_replies(Duration::from_millis(400));
    let client = Arc::new(client(&server.url(), "spare-connections-secret-1"));
    burst(&client);

    assert_eq!(server.token_requests(), 1);
    assert_eq!(
        server.connections_at_first_token(),
        THREADS,
        "every caller's connection was open before the token reply"
    );
    assert_eq!(
        server.connections(),
        THREADS,
        "one connection per caller: the token's own, then the ones opened while waiting"
    );

    // The kept connections carry the next burst: nothing new is opened.
    burst(&client);
    assert_eq!(server.connections(), THREADS);
    assert_eq!(server.token_requests(), 1);
}

#[test]
fn a_single_caller_opens_one_connection() {
    let server = CountingServer::start(None);
    server.delay_token_replies(Duration::from_millis(100));
    let client = client(&server.url(), "spare-connections-secret-2");
    call(&client, "alone");
    call(&client, "again");
    assert_eq!(server.connections(), 1);
    assert_eq!(server.connections_at_first_token(), 1);
}

#[test]
fn spares_opened_over_tls_are_used_not_spoiled() {
    // A TLS 1.3 server sends session tickets right after the handshake: a spare must not be
    // judged closed for the bytes waiting on it (it would be dropped, and another opened).
    let dir = TempDir::new("spare-tls");
    let ca = TestCa::new("spare connections test CA");
    let bundle = ca.write_bundle(dir.path());
    let (certs, key) = ca.issue(&["localhost"], &[LOOPBACK]);
    let server = TlsServer::start(certs, key);
    let mut config = ClientConfig::new("12345", "spare-connections-secret-3");
    config.api_base = format!("https://127.0.0.1:{}", server.port());
    config.ca_bundle = Some(bundle);
    config.timeout = Duration::from_secs(30);
    let client = Arc::new(Client::new(config).expect("valid config"));

    let start = Arc::new(Barrier::new(THREADS));
    let threads: Vec<_> = (0..THREADS)
        .map(|i| {
            let (client, start) = (client.clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                client
                    .provision(
                        "admin",
                        &format!("https://spare-{i}.example.com"),
                        Some("premium"),
                        &Options::new(),
                    )
                    .expect("provision over TLS")
            })
        })
        .collect();
    for thread in threads {
        assert_eq!(thread.join().expect("caller thread").http_status, 200);
    }
    let connections = server
        .seen
        .connections
        .load(std::sync::atomic::Ordering::SeqCst);
    assert!(
        (1..=THREADS).contains(&connections),
        "{connections} connections for {THREADS} callers"
    );
}

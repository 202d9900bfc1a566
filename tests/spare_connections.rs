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

#[test]
fn warming_up_in_the_background_returns_at_once_and_calls_meanwhile_wait_for_its_token() {
    let server = CountingServer::start(None);
    server.delay_token_replies(Duration::from_millis(400));
    let client = Arc::new(client(&server.url(), "spare-connections-secret-4"));

    client.warm_in_background();
    assert_eq!(
        server.connections_at_first_token(),
        0,
        "warm_in_background returned before the token reply"
    );
    // Callers arriving while the token is fetched wait for it; the warm-up's connection comes free
    // for one of them, the others open theirs meanwhile.
    burst(&client);
    assert_eq!(server.token_requests(), 1);
    assert_eq!(server.connections(), THREADS);

    // With a token at hand, it starts nothing.
    client.warm_in_background();
    call(&client, "after");
    assert_eq!(server.token_requests(), 1);
    assert_eq!(server.connections(), THREADS);
}

#[test]
fn a_single_call_after_a_background_warm_up_uses_its_connection() {
    let server = CountingServer::start(None);
    server.delay_token_replies(Duration::from_millis(200));
    let client = client(&server.url(), "spare-connections-secret-5");
    client.warm_in_background();
    call(&client, "first");
    assert_eq!(server.token_requests(), 1);
    assert_eq!(server.connections(), 1, "no connection opened for nothing");
}

/// Polls until the server has accepted `n` connections, for at most 5 s; returns what it has.
fn wait_for_connections(server: &CountingServer, n: usize) -> usize {
    let until = std::time::Instant::now() + Duration::from_secs(5);
    while server.connections() < n && std::time::Instant::now() < until {
        std::thread::sleep(Duration::from_millis(5));
    }
    server.connections()
}

#[test]
fn with_the_token_at_hand_a_background_warm_up_opens_the_next_calls_connection() {
    let server = CountingServer::start(None);
    let dir = TempDir::new("spare-ahead");
    let config = |idle_s: u64| {
        let mut config = ClientConfig::new("4321", "spare-connections-secret-6");
        config.api_base = server.url();
        config.timeout = Duration::from_secs(10);
        config.idle_timeout = Duration::from_secs(idle_s);
        config.token_cache_dir = Some(dir.path().to_path_buf());
        config
    };
    // Another process, as far as this client is concerned: it leaves the token in the cache.
    call(&Client::new(config(61)).expect("valid config"), "elsewhere");
    assert_eq!((server.token_requests(), server.connections()), (1, 1));

    // A worker's first page: the token is in the cache, no connection is open yet.
    let page = Client::new(config(62)).expect("valid config");
    page.warm_in_background();
    assert_eq!(
        wait_for_connections(&server, 2),
        2,
        "a connection opened ahead of the call"
    );
    call(&page, "page");
    assert_eq!(
        server.connections(),
        2,
        "the call used the connection opened ahead"
    );
    assert_eq!(server.token_requests(), 1);

    // The next page finds the kept connection: nothing is opened.
    page.warm_in_background();
    std::thread::sleep(Duration::from_millis(200));
    call(&page, "next-page");
    assert_eq!(server.connections(), 2);
}

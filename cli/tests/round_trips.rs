//! Round trips saved, counted on a test server (never timed): the token kept in a directory and
//! reused by another process, a refused cached token replaced once, kept connections reused while
//! the server keeps them (its `Keep-Alive: timeout`, the client's `idle_timeout`), and `warm()`.

#[path = "../../tests/counting/mod.rs"]
mod counting;
#[path = "../../tests/support/mod.rs"]
mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use counting::CountingServer;
use jetpack_partner_core::{ApiRequest, Client, ClientConfig};
use support::TempDir;

const BIN: &str = env!("CARGO_BIN_EXE_jetpack-partner");
const SECRET: &str = "round-trip-partner-secret-90b1";

/// Runs `jetpack-partner request GET /ok/NAME` against `url` in a process of its own.
fn cli_call(url: &str, name: &str, cache: Option<&Path>, env_cache: Option<&Path>) -> String {
    let mut command = Command::new(BIN);
    command
        .args(["request", "GET", &format!("/ok/{name}"), "--api_base", url])
        .env_clear()
        .env("JETPACK_PARTNER_ID", "4321")
        .env("JETPACK_PARTNER_SECRET", SECRET);
    if let Some(dir) = cache {
        command.arg(format!("--token_cache_dir={}", dir.display()));
    }
    if let Some(dir) = env_cache {
        command.env("JETPACK_PARTNER_TOKEN_CACHE_DIR", dir);
    }
    let out = command.output().expect("run jetpack-partner");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "exit {:?}: {stdout} {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The one token file in `dir`: its text and mode.
fn token_file(dir: &Path) -> (String, u32) {
    let files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let mode = std::fs::metadata(&files[0]).unwrap().permissions().mode() & 0o777;
    (std::fs::read_to_string(&files[0]).unwrap(), mode)
}

#[test]
fn cached_token_is_reused_by_another_process() {
    let server = CountingServer::start(None);
    let dir = TempDir::new("token-cache");
    assert!(cli_call(&server.url(), "first", Some(dir.path()), None).contains(r#""ok":"first""#));
    assert_eq!(server.token_requests(), 1);
    let (text, mode) = token_file(dir.path());
    assert_eq!(mode, 0o600);
    assert!(text.contains("rt-token-1"), "{text}");
    assert!(!text.contains(SECRET), "the secret is never in the file");

    // Another process, the flag: the token comes from the file.
    cli_call(&server.url(), "second", Some(dir.path()), None);
    // Another one, the environment variable.
    cli_call(&server.url(), "third", None, Some(dir.path()));
    assert_eq!(server.token_requests(), 1);
    assert_eq!(server.refused(), 0);

    // Without a cache directory each process asks for its own.
    cli_call(&server.url(), "fourth", None, None);
    assert_eq!(server.token_requests(), 2);
}

#[test]
fn refused_cached_token_is_replaced_once() {
    let server = CountingServer::start(None);
    let dir = TempDir::new("token-cache-refused");
    cli_call(&server.url(), "first", Some(dir.path()), None);
    assert_eq!(server.token_requests(), 1);

    server.revoke_all();
    let out = cli_call(&server.url(), "second", Some(dir.path()), None);
    assert!(out.contains(r#""ok":"second""#), "{out}");
    assert_eq!(server.refused(), 1, "the cached token was tried once");
    assert_eq!(server.token_requests(), 2, "and replaced once");
    let (text, mode) = token_file(dir.path());
    assert!(
        text.contains("rt-token-2") && !text.contains("rt-token-1"),
        "{text}"
    );
    assert_eq!(mode, 0o600);

    cli_call(&server.url(), "third", Some(dir.path()), None);
    assert_eq!(server.token_requests(), 2);
    assert_eq!(server.refused(), 1);
}

#[test]
fn a_missing_cache_directory_is_refused() {
    let mut config = ClientConfig::new("4321", SECRET);
    config.api_base = "http://127.0.0.1:9".into();
    config.token_cache_dir = Some("/nonexistent/jetpack-partner-cache".into());
    let Err(err) = Client::new(config) else {
        panic!("a missing directory was accepted")
    };
    assert_eq!(err.code(), "invalid_argument");
    assert!(
        err.message().starts_with("token_cache_dir: "),
        "{}",
        err.message()
    );
}

fn client(url: &str, idle_timeout: Option<Duration>) -> Client {
    let mut config = ClientConfig::new("4321", SECRET);
    config.api_base = url.to_string();
    config.timeout = Duration::from_secs(10);
    if let Some(idle) = idle_timeout {
        config.idle_timeout = idle;
    }
    Client::new(config).expect("valid config")
}

fn call(client: &Client, name: &str) {
    let reply = client
        .request(&ApiRequest::new("GET", format!("/ok/{name}")))
        .expect("call");
    assert_eq!(reply.body["ok"], name);
}

#[test]
fn connection_idle_less_than_the_servers_keep_alive_is_reused() {
    let server = CountingServer::start(Some(5));
    let client = client(&server.url(), None);
    call(&client, "one");
    std::thread::sleep(Duration::from_millis(1200));
    call(&client, "two");
    assert_eq!(server.connections(), 1);
}

#[test]
fn connection_idle_past_the_servers_keep_alive_is_not_used() {
    // timeout=2: the client gives a kept connection up after 1 s (a second of margin), although
    // this server would in fact keep it open.
    let server = CountingServer::start(Some(2));
    let client = client(&server.url(), None);
    call(&client, "one");
    std::thread::sleep(Duration::from_millis(1500));
    call(&client, "two");
    assert_eq!(server.connections(), 2);
}

#[test]
fn connection_idle_past_idle_timeout_is_not_used() {
    let server = CountingServer::start(None);
    let client = client(&server.url(), Some(Duration::from_millis(400)));
    call(&client, "one");
    call(&client, "two");
    assert_eq!(server.connections(), 1);
    std::thread::sleep(Duration::from_millis(700));
    call(&client, "three");
    assert_eq!(server.connections(), 2);
}

#[test]
fn warm_asks_for_the_token_once_and_leaves_its_connection() {
    let server = CountingServer::start(Some(30));
    let client = client(&server.url(), None);
    client.warm().expect("warm");
    assert_eq!((server.token_requests(), server.connections()), (1, 1));
    client.warm().expect("warm again");
    call(&client, "one");
    assert_eq!(server.token_requests(), 1);
    assert_eq!(
        server.connections(),
        1,
        "the call used the token request's connection"
    );
}

#[test]
fn warm_reports_a_refused_connection() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = client(&format!("http://127.0.0.1:{port}"), None);
    let err = client.warm().unwrap_err();
    assert_eq!(err.code(), "transport_error", "{err:?}");
}

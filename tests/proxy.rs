//! HTTP CONNECT through a real proxy (Debian's tinyproxy) on loopback: to an HTTPS server whose
//! certificate is trusted through `ca_bundle`, and to the sandbox. Without tinyproxy the tests are
//! skipped with a message, except in CI (`CI=true`), where that is a failure.

mod common;
mod support;

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use jetpack_partner_core::{Backoff, Client, ClientConfig, Options};
use serde_json::json;
use support::{TempDir, TestCa, TlsServer, LOOPBACK, TLS_TOKEN};

const SECRET: &str = "proxy-test-partner-secret-77a1";
const PROXY_PASSWORD: &str = "pr0xy-pa55word-c3d";

fn tinyproxy_binary() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    dirs.extend(["/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin"].map(PathBuf::from));
    dirs.into_iter()
        .map(|d| d.join("tinyproxy"))
        .find(|p| p.is_file())
}

/// The tinyproxy binary; `None` (after saying why) when the test must be skipped.
fn require_tinyproxy() -> Option<PathBuf> {
    match tinyproxy_binary() {
        Some(path) => Some(path),
        None if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") => {
            panic!(
                "tinyproxy is not installed, and CI=true: install it (apt-get install tinyproxy)"
            )
        }
        None => {
            eprintln!(
                "SKIPPED: tinyproxy is not installed (apt-get install tinyproxy); the proxy tests did not run"
            );
            None
        }
    }
}

/// A free port on 127.0.0.1 (bound, then released).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind 127.0.0.1:0")
        .port()
}

/// A tinyproxy running in the foreground with its own configuration and log; killed on drop.
struct Tinyproxy {
    child: Child,
    port: u16,
    log: PathBuf,
    _dir: TempDir,
}

impl Tinyproxy {
    /// Starts tinyproxy with `extra` configuration lines. Tries a few ports, in case another process
    /// takes the chosen one between its release and tinyproxy's bind.
    fn start(binary: &Path, extra: &str) -> Tinyproxy {
        let mut last = String::new();
        for _ in 0..5 {
            let dir = TempDir::new("tinyproxy");
            let port = free_port();
            let log = dir.path().join("tinyproxy.log");
            let conf = dir.path().join("tinyproxy.conf");
            std::fs::write(
                &conf,
                format!(
                    "Port {port}\nListen 127.0.0.1\nTimeout 30\nLogFile \"{}\"\nLogLevel Info\nMaxClients 50\nAllow 127.0.0.1\n{extra}\n",
                    log.display()
                ),
            )
            .unwrap();
            let mut child = Command::new(binary)
                .arg("-d")
                .arg("-c")
                .arg(&conf)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("tinyproxy starts");
            let until = Instant::now() + Duration::from_secs(15);
            loop {
                if let Ok(Some(status)) = child.try_wait() {
                    let mut err = String::new();
                    if let Some(mut e) = child.stderr.take() {
                        let _ = e.read_to_string(&mut err);
                    }
                    let logged = std::fs::read_to_string(&log).unwrap_or_default();
                    last = format!("tinyproxy exited ({status}): {err} {logged}");
                    break;
                }
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return Tinyproxy {
                        child,
                        port,
                        log,
                        _dir: dir,
                    };
                }
                if Instant::now() > until {
                    let _ = child.kill();
                    let _ = child.wait();
                    last = "tinyproxy did not listen within 15 s".into();
                    break;
                }
                std::thread::sleep(Duration::from_millis(25));
            }
        }
        panic!("tinyproxy could not be started: {last}");
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The `CONNECT host:port` request lines tinyproxy logged.
    fn connects(&self) -> Vec<String> {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        text.lines()
            .filter_map(|l| l.split_once("): CONNECT ").map(|(_, r)| r.to_string()))
            .map(|r| r.split(' ').next().unwrap_or("").to_string())
            .collect()
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Tinyproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn config(api_base: String, proxy: String) -> ClientConfig {
    let mut config = ClientConfig::new("12345", SECRET);
    config.api_base = api_base;
    config.proxy = Some(proxy);
    config.timeout = Duration::from_secs(30);
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
        "https://proxied.example",
        Some("premium"),
        &Options::new(),
    )
}

#[test]
fn https_through_connect_proxy_works() {
    let Some(binary) = require_tinyproxy() else {
        return;
    };
    let proxy = Tinyproxy::start(&binary, "");
    let dir = TempDir::new("proxy-tls");
    let ca = TestCa::new("proxy test CA");
    let bundle = ca.write_bundle(dir.path());
    let (certs, key) = ca.issue(&["localhost"], &[LOOPBACK]);
    let server = TlsServer::start(certs, key);
    let mut cfg = config(format!("https://127.0.0.1:{}", server.port()), proxy.url());
    cfg.ca_bundle = Some(bundle);
    let client = Client::new(cfg).expect("valid config");
    let reply = provision(&client).expect("provision through the proxy");
    assert_eq!(reply.body["served_by"], "tls-test-server");
    assert_eq!(reply.attempts, 1);
    assert_eq!(
        server.seen.requests(),
        ["POST /oauth2/token", "POST /rest/v1.3/jpphp/provision"]
    );
    let target = format!("127.0.0.1:{}", server.port());
    let connects = proxy.connects();
    assert!(
        !connects.is_empty() && connects.iter().all(|c| *c == target),
        "tinyproxy saw CONNECT to {target}: {connects:?}\n{}",
        proxy.log_text()
    );
    // The tunnel carries TLS: the proxy's log has neither the secret nor the token.
    let log = proxy.log_text();
    assert!(!log.contains(SECRET) && !log.contains(TLS_TOKEN));
}

#[test]
fn sandbox_through_proxy_works() {
    let Some(binary) = require_tinyproxy() else {
        return;
    };
    let proxy = Tinyproxy::start(&binary, "");
    let sb = common::start();
    let url = sb.url().to_string();
    let mut cfg = common::config(&url);
    cfg.proxy = Some(proxy.url());
    let client = Client::new(cfg).unwrap();
    let reply = provision(&client).expect("provision through the proxy");
    assert_eq!(reply.body["success"], true);
    let status = client.status("https://proxied.example").expect("status");
    assert!(status.body["products"].is_array(), "{}", status.body);
    assert_eq!(common::count(&url, "token"), 1);
    assert_eq!(common::count(&url, "provision"), 1);
    assert_eq!(common::count(&url, "status"), 1);
    let host_port = url.trim_start_matches("http://");
    let log = proxy.log_text();
    assert!(
        log.contains(host_port),
        "tinyproxy saw requests to {host_port}:\n{log}"
    );
}

#[test]
fn proxy_with_basic_auth_works_and_a_wrong_password_is_refused() {
    let Some(binary) = require_tinyproxy() else {
        return;
    };
    let proxy = Tinyproxy::start(&binary, &format!("BasicAuth panel {PROXY_PASSWORD}"));
    let dir = TempDir::new("proxy-auth");
    let ca = TestCa::new("proxy auth CA");
    let bundle = ca.write_bundle(dir.path());
    let (certs, key) = ca.issue(&["localhost"], &[LOOPBACK]);
    let server = TlsServer::start(certs, key);
    let base = format!("https://127.0.0.1:{}", server.port());

    let mut good = config(
        base.clone(),
        format!("http://panel:{PROXY_PASSWORD}@127.0.0.1:{}", proxy.port),
    );
    good.ca_bundle = Some(bundle.clone());
    let client = Client::new(good).unwrap();
    provision(&client).expect("provision through the authenticating proxy");
    assert!(!format!("{client:?}").contains(PROXY_PASSWORD));

    let before = server.seen.requests().len();
    let mut bad = config(
        base,
        format!("http://panel:wrong-password@127.0.0.1:{}", proxy.port),
    );
    bad.ca_bundle = Some(bundle);
    let client = Client::new(bad).unwrap();
    let err = provision(&client).expect_err("the proxy refuses the wrong password");
    assert_eq!(err.code(), "transport_error", "{err:?}");
    assert!(
        !err.message().contains("wrong-password") && !err.message().contains(SECRET),
        "{}",
        err.message()
    );
    assert_eq!(
        server.seen.requests().len(),
        before,
        "nothing reached the server"
    );
}

#[test]
fn proxy_refusing_the_tunnel_is_transport_error_and_nothing_is_sent() {
    let Some(binary) = require_tinyproxy() else {
        return;
    };
    // Tunnels only to port 443: the test server's port is refused.
    let proxy = Tinyproxy::start(&binary, "ConnectPort 443");
    let dir = TempDir::new("proxy-refuse");
    let ca = TestCa::new("proxy refuse CA");
    let bundle = ca.write_bundle(dir.path());
    let (certs, key) = ca.issue(&["localhost"], &[LOOPBACK]);
    let server = TlsServer::start(certs, key);
    let mut cfg = config(format!("https://127.0.0.1:{}", server.port()), proxy.url());
    cfg.ca_bundle = Some(bundle);
    let client = Client::new(cfg).unwrap();
    let err = provision(&client).expect_err("the proxy refuses the tunnel");
    assert_eq!(err.code(), "transport_error", "{err:?}");
    assert!(err.message().contains("proxy"), "{}", err.message());
    assert!(server.seen.requests().is_empty());
    assert_eq!(
        server
            .seen
            .connections
            .load(std::sync::atomic::Ordering::SeqCst),
        0
    );
    assert!(!proxy.connects().is_empty(), "{}", proxy.log_text());
}

#[test]
fn proxy_that_is_down_is_transport_error() {
    let sb = common::start();
    let url = sb.url().to_string();
    let port = free_port();
    let mut c = ClientConfig::new(common::PARTNER_ID, common::PARTNER_SECRET);
    c.api_base = url.clone();
    c.proxy = Some(format!("http://127.0.0.1:{port}"));
    c.backoff = Backoff {
        base: Duration::from_millis(5),
        max: Duration::from_millis(20),
        retry_after_max: Duration::from_millis(50),
    };
    let client = Client::new(c).unwrap();
    let err = provision(&client).expect_err("no proxy listens");
    assert_eq!(err.code(), "transport_error", "{err:?}");
    assert_eq!(common::total(&url), 0, "{}", json!(common::stats(&url)));
}

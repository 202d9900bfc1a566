//! HTTPS: a certificate made at start-up (its CA written to a file) or given as PEM files, plain
//! HTTP on the same port, links that follow the connection's scheme, and the flags' errors.

mod common;

use common::{build_request, get, read_response, token, Resp};
use jetpack_partner_sandbox::{Config, Sandbox, TlsSource};
use rcgen::{CertificateParams, KeyPair};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_jetpack-partner-sandbox")
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("jp-sandbox-tls-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Sends `request` over TLS, trusting only `ca` (PEM), checking the certificate against `name`.
fn https_send(addr: SocketAddr, ca: &[u8], name: &str, request: &[u8]) -> Resp {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca) {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let server = ServerName::try_from(name.to_string()).unwrap();
    let conn = rustls::ClientConnection::new(Arc::new(config), server).unwrap();
    let tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut stream = rustls::StreamOwned::new(conn, tcp);
    stream.write_all(request).unwrap();
    stream.flush().unwrap();
    read_response(&mut BufReader::new(stream)).unwrap()
}

/// A provision request as a form, naming `addr` as its Host.
fn provision_request(addr: SocketAddr, token: &str, siteurl: &str) -> Vec<u8> {
    let host = addr.to_string();
    let auth = format!("Bearer {token}");
    let headers = [
        ("Host", host.as_str()),
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/x-www-form-urlencoded"),
    ];
    let form = format!("local_user=admin&siteurl={}", common::enc(siteurl));
    build_request(
        "POST",
        "/rest/v1.3/jpphp/provision",
        &headers,
        form.as_bytes(),
        true,
    )
}

fn health_request(addr: SocketAddr) -> Vec<u8> {
    let host = addr.to_string();
    build_request("GET", "/__sandbox/health", &[("Host", &host)], b"", true)
}

#[test]
fn generated_certificate_serves_https_and_plain_http_on_one_port() {
    let dir = temp_dir("generated");
    let ca_path = dir.join("ca.pem");
    let mut child = Command::new(bin())
        .args(["--listen", "127.0.0.1:0", "--tls", "--tls-ca-out"])
        .arg(&ca_path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().to_string();
    let port = url
        .strip_prefix("https://127.0.0.1:")
        .unwrap_or_else(|| panic!("{url:?}"));
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut note = String::new();
    BufReader::new(child.stderr.as_mut().unwrap())
        .read_line(&mut note)
        .unwrap();
    assert!(note.contains(ca_path.to_str().unwrap()), "{note}");
    let ca = std::fs::read(&ca_path).unwrap();

    for name in ["127.0.0.1", "localhost", "public-api.wordpress.com"] {
        let r = https_send(addr, &ca, name, &health_request(addr));
        assert_eq!(r.status, 200, "{name}");
        assert_eq!(r.json()["ok"], true);
    }
    // The same port, plain HTTP; its links are http:// links.
    let plain = format!("http://{addr}");
    assert_eq!(get(&plain, "/__sandbox/health", None).status, 200);
    let t = token(&plain);
    let mut tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    tcp.write_all(&provision_request(addr, &t, "https://plain.example"))
        .unwrap();
    let r = read_response(&mut BufReader::new(tcp)).unwrap();
    let next = r.json()["next_url"].as_str().unwrap().to_string();
    assert!(next.starts_with(&format!("http://{addr}/")), "{next}");
    // Over TLS: https:// links to the address the client used.
    let r = https_send(
        addr,
        &ca,
        "127.0.0.1",
        &provision_request(addr, &t, "https://tls.example"),
    );
    let next = r.json()["next_url"].as_str().unwrap().to_string();
    assert!(
        next.starts_with(&format!("https://{addr}/jetpack.authorize/1/")),
        "{next}"
    );

    child.kill().unwrap();
    child.wait().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

fn write_pem(dir: &Path, names: &[&str]) -> (PathBuf, PathBuf, String) {
    let key = KeyPair::generate().unwrap();
    let params =
        CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    let cert = params.self_signed(&key).unwrap();
    let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    (cert_path, key_path, cert.pem())
}

#[test]
fn certificate_files_given_as_pem_are_served() {
    let dir = temp_dir("files");
    let (cert, key, pem) = write_pem(&dir, &["sandbox.test", "127.0.0.1"]);
    let sb = Sandbox::start(Config {
        tls: Some(TlsSource::Files { cert, key }),
        ..Config::default()
    })
    .unwrap();
    assert!(sb.url().starts_with("https://127.0.0.1:"), "{}", sb.url());
    assert_eq!(sb.tls_ca_pem(), None);
    let addr = sb.addr();
    let r = https_send(addr, pem.as_bytes(), "sandbox.test", &health_request(addr));
    assert_eq!(r.status, 200);
    let t = token(&format!("http://{addr}"));
    let r = https_send(
        addr,
        pem.as_bytes(),
        "sandbox.test",
        &provision_request(addr, &t, "https://files.example"),
    );
    assert_eq!(r.json()["success"], true);
    drop(sb);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn tls_flags_are_checked() {
    let run = |args: &[&str]| {
        Command::new(bin())
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .output()
            .unwrap()
    };
    for args in [
        &["--tls-cert", "c.pem"][..],
        &["--tls-key", "k.pem"],
        &["--tls", "--tls-cert", "c.pem", "--tls-key", "k.pem"],
        &["--tls-ca-out", "ca.pem"],
        &["--tls-name", "x.example"],
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty());
    }
    let out = run(&[
        "--tls-cert",
        "/nonexistent/c.pem",
        "--tls-key",
        "/nonexistent/k.pem",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/c.pem"));
    assert!(out.stdout.is_empty());
    let out = run(&["--public-url", "ftp://x.example"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--public-url"));
    let help = run(&["--help"]);
    let help = String::from_utf8_lossy(&help.stdout);
    for flag in [
        "--tls",
        "--tls-ca-out",
        "--tls-name",
        "--tls-cert",
        "--tls-key",
        "--public-url",
    ] {
        assert!(help.contains(flag), "{flag}");
    }
}

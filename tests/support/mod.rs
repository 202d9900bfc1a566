//! Helpers of the TLS, proxy, secrets and concurrency tests: a certificate authority made at test time
//! and a small HTTPS server that answers the token and provision paths.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose, SanType,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// The token the test server issues.
pub const TLS_TOKEN: &str = "tls-server-token-6b2f0c";

/// A temporary directory removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "jp-{tag}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create a temporary directory");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A certificate authority made for one test.
pub struct TestCa {
    params: CertificateParams,
    key: KeyPair,
    pub pem: String,
}

impl TestCa {
    pub fn new(name: &str) -> TestCa {
        let key = KeyPair::generate().expect("CA key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let cert = params.self_signed(&key).expect("CA certificate");
        TestCa {
            pem: cert.pem(),
            params,
            key,
        }
    }

    /// Writes the CA certificate as a PEM bundle into `dir`.
    pub fn write_bundle(&self, dir: &Path) -> PathBuf {
        let path = dir.join("ca.pem");
        std::fs::write(&path, &self.pem).expect("write the CA bundle");
        path
    }

    /// A server certificate (and its key) for the given DNS names and IP addresses.
    pub fn issue(
        &self,
        dns: &[&str],
        ips: &[IpAddr],
    ) -> (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
        let key = KeyPair::generate().expect("server key");
        let mut params =
            CertificateParams::new(dns.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .expect("server params");
        for ip in ips {
            params.subject_alt_names.push(SanType::IpAddress(*ip));
        }
        params
            .distinguished_name
            .push(DnType::CommonName, dns.first().copied().unwrap_or("server"));
        let issuer = Issuer::from_params(&self.params, &self.key);
        let cert = params.signed_by(&key, &issuer).expect("server certificate");
        (
            vec![cert.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
    }
}

pub const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// What the HTTPS test server saw.
#[derive(Default)]
pub struct Seen {
    /// Request lines (`POST /oauth2/token`) of the requests read after a completed handshake.
    pub requests: Mutex<Vec<String>>,
    /// The same requests whole: request line (with the query) and body.
    pub full: Mutex<Vec<(String, String)>>,
    /// Connections accepted.
    pub connections: AtomicUsize,
    /// Handshakes that failed (the client refused the certificate, or was not TLS).
    pub failed_handshakes: AtomicUsize,
}

impl Seen {
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }

    pub fn full(&self) -> Vec<(String, String)> {
        self.full.lock().unwrap().clone()
    }
}

/// An HTTPS server on 127.0.0.1 answering `POST /oauth2/token` and `POST /rest/v1.3/jpphp/provision`
/// like the partner API; everything else gets 404. Stops when dropped.
pub struct TlsServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    pub seen: Arc<Seen>,
    accept: Option<JoinHandle<()>>,
}

impl TlsServer {
    pub fn start(certs: Vec<CertificateDer<'static>>, key: PrivateKeyDer<'static>) -> TlsServer {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .expect("server certificate and key");
        TlsServer::start_with(Some(Arc::new(config)))
    }

    /// The same server over plain HTTP (the client accepts `http://` for loopback hosts), to see
    /// exactly what the client sends.
    pub fn start_plain() -> TlsServer {
        TlsServer::start_with(None)
    }

    fn start_with(config: Option<Arc<rustls::ServerConfig>>) -> TlsServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Seen::default());
        let (stop2, seen2) = (stop.clone(), seen.clone());
        let accept = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                seen2.connections.fetch_add(1, Ordering::SeqCst);
                let (config, seen) = (config.clone(), seen2.clone());
                std::thread::spawn(move || serve(stream, config, &seen));
            }
        });
        TlsServer {
            addr,
            stop,
            seen,
            accept: Some(accept),
        }
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `http://127.0.0.1:PORT` (for a server made with [`TlsServer::start_plain`]).
    pub fn plain_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
    }
}

fn serve(stream: TcpStream, config: Option<Arc<rustls::ServerConfig>>, seen: &Seen) {
    // A connection the client leaves open must not keep the thread forever.
    let _ = stream.set_read_timeout(Some(Duration::from_secs(20)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(20)));
    let Some(config) = config else {
        return serve_http(stream, seen);
    };
    let Ok(conn) = rustls::ServerConnection::new(config) else {
        return;
    };
    let mut tls = rustls::StreamOwned::new(conn, stream);
    while tls.conn.is_handshaking() {
        if tls.conn.complete_io(&mut tls.sock).is_err() {
            seen.failed_handshakes.fetch_add(1, Ordering::SeqCst);
            return;
        }
    }
    serve_http(tls, seen)
}

fn serve_http<S: Read + Write>(stream: S, seen: &Seen) {
    let mut reader = BufReader::new(stream);
    loop {
        let mut request_line = String::new();
        match reader.read_line(&mut request_line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let mut content_length = 0usize;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    content_length = value.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut body = vec![0u8; content_length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let request_line = request_line.trim_end().to_string();
        let mut parts = request_line.split(' ');
        let method = parts.next().unwrap_or("").to_string();
        let path = parts.next().unwrap_or("").to_string();
        seen.full.lock().unwrap().push((
            request_line.clone(),
            String::from_utf8_lossy(&body).into_owned(),
        ));
        seen.requests
            .lock()
            .unwrap()
            .push(format!("{method} {}", path.split('?').next().unwrap_or("")));
        let (status, json) = match (method.as_str(), path.split('?').next().unwrap_or("")) {
            ("POST", "/oauth2/token") => (
                "200 OK",
                format!(
                    r#"{{"access_token":"{TLS_TOKEN}","token_type":"bearer","blog_id":"0","blog_url":null,"scope":"jetpack-partner"}}"#
                ),
            ),
            ("POST", p) if p.starts_with("/rest/v1.3/jpphp/") => (
                "200 OK",
                r#"{"success":true,"next_url":"https://wordpress.com/start/jetpack","auth_required":true,"served_by":"tls-test-server"}"#
                    .to_string(),
            ),
            ("GET", p) if p.starts_with("/rest/v1.4/jpphp/") => (
                "200 OK",
                r#"{"blog":{"is_connected":false,"has_backups_credentials":false},"products":[]}"#
                    .to_string(),
            ),
            _ => (
                "404 Not Found",
                r#"{"error":"not_found","message":"No such path."}"#.to_string(),
            ),
        };
        let response = format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{json}",
            json.len()
        );
        let tls = reader.get_mut();
        if tls.write_all(response.as_bytes()).is_err() || tls.flush().is_err() {
            return;
        }
    }
}

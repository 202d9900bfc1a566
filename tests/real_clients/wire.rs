//! The wire of the real-client replays: a sandbox served over plain HTTP or over HTTPS (its own CA,
//! made when the test starts), raw request bytes written as the client writes them, and the reply
//! read back as the client's code sees it.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use jetpack_partner_sandbox::{Config, Sandbox, TlsSource};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::Value;

use crate::support::TempDir;

/// How the client reaches the sandbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    Http,
    Https,
}

/// The name a client checks the certificate against: the scripts reach `127.0.0.1:PORT` through
/// `JETPACK_START_API_HOST`; the WHMCS modules always name `public-api.wordpress.com` (a TLS front,
/// or the hosts file, sends that name to the sandbox).
#[derive(Clone, Copy, Debug)]
pub enum Name {
    Loopback,
    ApiHost,
}

pub struct Target {
    pub sandbox: Sandbox,
    pub scheme: Scheme,
    tls: Option<Arc<rustls::ClientConfig>>,
    _dir: TempDir,
    pub ca_path: PathBuf,
}

impl Target {
    pub fn start(scheme: Scheme) -> Target {
        Target::start_with(scheme, Config::default())
    }

    pub fn start_with(scheme: Scheme, mut config: Config) -> Target {
        let dir = TempDir::new("real-clients");
        let ca_path = dir.path().join("sandbox-ca.pem");
        if scheme == Scheme::Https {
            config.tls = Some(TlsSource::Generate {
                ca_out: ca_path.clone(),
                names: Vec::new(),
            });
        }
        let sandbox = Sandbox::start(config).expect("the sandbox starts");
        let tls = (scheme == Scheme::Https).then(|| client_config(&ca_path));
        Target {
            sandbox,
            scheme,
            tls,
            _dir: dir,
            ca_path,
        }
    }

    /// `127.0.0.1:PORT`, what `JETPACK_START_API_HOST` holds.
    pub fn host(&self) -> String {
        self.sandbox.addr().to_string()
    }

    /// The base URL a browser would see for this target.
    pub fn base(&self) -> String {
        let scheme = match self.scheme {
            Scheme::Http => "http",
            Scheme::Https => "https",
        };
        format!("{scheme}://{}", self.host())
    }

    /// Writes `request` exactly as given and reads one reply.
    pub fn send(&self, name: Name, request: &[u8]) -> Reply {
        let tcp = TcpStream::connect(self.sandbox.addr()).expect("connect to the sandbox");
        tcp.set_read_timeout(Some(Duration::from_secs(20)))
            .expect("read timeout");
        match &self.tls {
            None => exchange(tcp, request),
            Some(config) => {
                let server = match name {
                    Name::Loopback => ServerName::IpAddress(self.sandbox.addr().ip().into()),
                    Name::ApiHost => ServerName::try_from("public-api.wordpress.com")
                        .expect("a DNS name")
                        .to_owned(),
                };
                let conn = rustls::ClientConnection::new(config.clone(), server)
                    .expect("a TLS client connection");
                let mut stream = rustls::StreamOwned::new(conn, tcp);
                let reply = exchange(&mut stream, request);
                // curl and PHP's curl offer h2 too: the sandbox must keep them on HTTP/1.1.
                assert_eq!(stream.conn.alpn_protocol(), Some(&b"http/1.1"[..]));
                reply
            }
        }
    }
}

/// A client that trusts the CA the sandbox wrote, and offers ALPN as curl does.
fn client_config(ca_path: &PathBuf) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca_path).expect("the CA file the sandbox wrote") {
        roots.add(cert.expect("a PEM certificate")).expect("a CA");
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Arc::new(config)
}

/// A reply as the client's code reads it.
pub struct Reply {
    pub status: u16,
    pub head: String,
    /// The body as sent (the scripts read it with `sed`, byte for byte).
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.status, self.text))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (k, v) = line.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    /// What the scripts' `jetpack_echo_key_from_json` extracts:
    /// `sed -n "s/.*\"KEY\":\"\([^\"]*\)\".*/\1/p"` on the one-line reply.
    pub fn sed_key(&self, key: &str) -> Option<String> {
        let needle = format!("\"{key}\":\"");
        let start = self.text.rfind(&needle)? + needle.len();
        let rest = &self.text[start..];
        let end = rest.find('"')?;
        Some(rest[..end].to_string())
    }
}

fn exchange(mut stream: impl Read + Write, request: &[u8]) -> Reply {
    stream.write_all(request).expect("send the request");
    stream.flush().expect("flush the request");
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        if let Some(reply) = complete_reply(&buf) {
            return reply;
        }
        let n = stream.read(&mut chunk).expect("read the reply");
        assert!(
            n > 0,
            "the connection closed before a whole reply: {:?}",
            String::from_utf8_lossy(&buf)
        );
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// The reply in `buf` once its head and `Content-Length` body are all there.
fn complete_reply(buf: &[u8]) -> Option<Reply> {
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = String::from_utf8(buf[..end].to_vec()).expect("an ASCII head");
    let status: u16 = head.split(' ').nth(1)?.parse().ok()?;
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .expect("the sandbox always sends Content-Length");
    if buf.len() < end + length {
        return None;
    }
    Some(Reply {
        status,
        text: String::from_utf8(buf[end..end + length].to_vec()).expect("a UTF-8 body"),
        head,
    })
}

/// A multipart body as curl writes it for `--form name=value` (PHP's curl extension, for an array
/// in `CURLOPT_POSTFIELDS`, writes the same): `boundary` is the part after `boundary=` in the header.
pub fn curl_multipart(boundary: &str, fields: &[(&str, &str)]) -> String {
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    body
}

/// A request head and body; `Content-Length` is added when `body` is `Some`.
pub fn request(
    request_line: &str,
    headers: &[(&str, &str)],
    content_type: Option<&str>,
    body: Option<&str>,
) -> Vec<u8> {
    let mut out = format!("{request_line}\r\n");
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(body) = body {
        out.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    if let Some(ct) = content_type {
        out.push_str(&format!("Content-Type: {ct}\r\n"));
    }
    out.push_str("\r\n");
    if let Some(body) = body {
        out.push_str(body);
    }
    out.into_bytes()
}

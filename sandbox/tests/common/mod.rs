//! A small HTTP/1.1 client over std's TcpStream, so tests control every byte.
#![allow(dead_code)]

use jetpack_partner_sandbox::{Config, Sandbox};
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

pub const ID: &str = "12345";
pub const SECRET: &str = "sandbox-demo-secret";
pub const PASSWORD: &str = "sandbox-demo-password";

pub fn start() -> Sandbox {
    Sandbox::start(Config::default()).expect("sandbox starts")
}

pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): status {} body {:?}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

pub fn host_port(base: &str) -> String {
    base.trim_start_matches("http://").to_string()
}

/// Reads one response from a buffered stream.
pub fn read_response<R: BufRead>(r: &mut R) -> std::io::Result<Resp> {
    let mut line = String::new();
    loop {
        line.clear();
        if r.read_line(&mut line)? == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "no response",
            ));
        }
        // Skip interim 100 Continue responses.
        if line.starts_with("HTTP/1.1 100") {
            let mut blank = String::new();
            r.read_line(&mut blank)?;
            continue;
        }
        break;
    }
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line {line:?}")))?;
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if r.read_line(&mut h)? == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "eof in head",
            ));
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    r.read_exact(&mut body)?;
    Ok(Resp {
        status,
        headers,
        body,
    })
}

pub fn build_request(
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    close: bool,
) -> Vec<u8> {
    let mut req = format!("{method} {path} HTTP/1.1\r\n");
    // The address the client used, as every HTTP/1.1 client sends it, unless given.
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        req.push_str("Host: sandbox\r\n");
    }
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() || method == "POST" {
        req.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    if close {
        req.push_str("Connection: close\r\n");
    }
    req.push_str("\r\n");
    let mut bytes = req.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// One request on a fresh connection.
pub fn request(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Resp {
    try_request(base, method, path, headers, body)
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

pub fn try_request(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<Resp> {
    let mut s = TcpStream::connect(host_port(base))?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    let host = host_port(base);
    let mut with_host: Vec<(&str, &str)> = vec![("Host", &host)];
    with_host.extend(
        headers
            .iter()
            .filter(|(k, _)| !k.eq_ignore_ascii_case("host")),
    );
    let headers = if headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        headers.to_vec()
    } else {
        with_host
    };
    s.write_all(&build_request(method, path, &headers, body, true))?;
    let mut r = BufReader::new(s);
    read_response(&mut r)
}

/// A keep-alive connection.
pub struct Client {
    reader: BufReader<TcpStream>,
}

impl Client {
    pub fn connect(base: &str) -> Client {
        let s = TcpStream::connect(host_port(base)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        Client {
            reader: BufReader::new(s),
        }
    }
    pub fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Resp {
        let bytes = build_request(method, path, headers, body, false);
        self.reader.get_mut().write_all(&bytes).expect("write");
        read_response(&mut self.reader).expect("response")
    }
}

pub fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub fn form(pairs: &[(&str, &str)]) -> Vec<u8> {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
        .into_bytes()
}

const FORM: (&str, &str) = ("Content-Type", "application/x-www-form-urlencoded");

pub fn post_form(base: &str, path: &str, token: Option<&str>, pairs: &[(&str, &str)]) -> Resp {
    let auth = token.map(|t| format!("Bearer {t}"));
    let mut h = vec![FORM];
    if let Some(a) = &auth {
        h.push(("Authorization", a.as_str()));
    }
    request(base, "POST", path, &h, &form(pairs))
}

pub fn get(base: &str, path: &str, token: Option<&str>) -> Resp {
    let auth = token.map(|t| format!("Bearer {t}"));
    let mut h = vec![];
    if let Some(a) = &auth {
        h.push(("Authorization", a.as_str()));
    }
    request(base, "GET", path, &h, b"")
}

pub fn send_json(base: &str, method: &str, path: &str, token: Option<&str>, v: &Value) -> Resp {
    let auth = token.map(|t| format!("Bearer {t}"));
    let mut h = vec![("Content-Type", "application/json")];
    if let Some(a) = &auth {
        h.push(("Authorization", a.as_str()));
    }
    request(base, method, path, &h, v.to_string().as_bytes())
}

pub fn control(base: &str, method: &str, path: &str, v: &Value) -> Value {
    let r = send_json(base, method, &format!("/__sandbox/{path}"), None, v);
    assert_eq!(r.status, 200, "control {path}: {}", r.text());
    r.json()
}

pub fn token_for(base: &str, id: &str, secret: &str) -> String {
    let r = post_form(
        base,
        "/oauth2/token",
        None,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", secret),
            ("scope", "jetpack-partner"),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["access_token"].as_str().unwrap().to_string()
}

pub fn token(base: &str) -> String {
    token_for(base, ID, SECRET)
}

pub fn user_token_for(base: &str, id: &str, secret: &str, username: &str) -> String {
    let r = post_form(
        base,
        "/oauth2/token",
        None,
        &[
            ("grant_type", "password"),
            ("client_id", id),
            ("client_secret", secret),
            ("username", username),
            ("password", PASSWORD),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["access_token"].as_str().unwrap().to_string()
}

pub fn user_token(base: &str) -> String {
    user_token_for(base, ID, SECRET, "partner-12345")
}

pub fn provision(base: &str, token: &str, siteurl: &str, plan: Option<&str>) -> Resp {
    let mut p = vec![("local_user", "admin"), ("siteurl", siteurl)];
    if let Some(plan) = plan {
        p.push(("plan", plan));
    }
    post_form(base, "/rest/v1.3/jpphp/provision", Some(token), &p)
}

pub fn cancel(base: &str, token: &str, site: &str, pairs: &[(&str, &str)]) -> Resp {
    post_form(
        base,
        &format!("/rest/v1.3/jpphp/{site}/partner-cancel"),
        Some(token),
        pairs,
    )
}

pub fn status(base: &str, token: &str, site: &str) -> Resp {
    get(
        base,
        &format!("/rest/v1.4/jpphp/{site}/status"),
        Some(token),
    )
}

pub fn connect(base: &str, siteurl: &str) {
    control(
        base,
        "POST",
        "sites/connect",
        &serde_json::json!({"siteurl": siteurl}),
    );
}

pub fn stats(base: &str) -> Value {
    let r = get(base, "/__sandbox/stats", None);
    assert_eq!(r.status, 200);
    r.json()
}

mod common;
use common::*;
use jetpack_partner_sandbox::{Config, Sandbox};
use serde_json::json;
use std::io::{BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

#[test]
fn envelope_and_pretty_on_every_kind_of_endpoint() {
    let sb = start();
    let u = sb.url();
    let t = token(u);
    // An error, enveloped: 200 with the real status inside.
    let r = provision(u, &t, "https://e.example", Some("bogus"));
    assert_eq!(r.status, 400);
    let r = post_form(
        u,
        "/rest/v1.3/jpphp/provision?http_envelope=1",
        Some(&t),
        &[
            ("siteurl", "https://e.example"),
            ("local_user", "a"),
            ("plan", "bogus"),
        ],
    );
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["code"], 400);
    assert_eq!(v["body"]["error"], "invalid_plan");
    assert!(v["headers"]
        .as_array()
        .unwrap()
        .iter()
        .any(|h| h["name"] == "Content-Type"));
    // `t` and `true` spellings; token endpoint too.
    let r = post_form(
        u,
        "/oauth2/token?http_envelope=t",
        None,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", ID),
            ("client_secret", "bad"),
        ],
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["code"], 400);
    assert_eq!(r.json()["body"]["error"], "invalid_client");
    let r = get(u, "/rest/v1.3/jpphp/errors?http_envelope=true", None);
    assert_eq!(r.json()["code"], 200);
    let user = user_token(u);
    let r = get(u, "/wpcom/v2/jetpack-partners?http_envelope=1", Some(&user));
    assert_eq!(r.json()["body"]["id"], 12345);
    let r = get(
        u,
        "/wpcom/v2/jetpack-licensing/product-families?http_envelope=1",
        Some(&t),
    );
    assert_eq!(r.json()["code"], 200);
    assert!(r.json()["headers"]
        .as_array()
        .unwrap()
        .iter()
        .any(|h| h["name"] == "X-Jetpack-Request-Id"));

    // pretty
    let compact = get(u, "/rest/v1.3/jpphp/errors", None);
    let pretty = get(u, "/rest/v1.3/jpphp/errors?pretty=1", None);
    assert!(!compact.text().contains('\n'));
    assert!(pretty.text().contains("\n  "));
    assert_eq!(compact.json(), pretty.json());
    let both = get(
        u,
        "/rest/v1.3/jpphp/errors?pretty=true&http_envelope=1",
        None,
    );
    assert!(both.text().contains("\n  \"body\""));
}

#[test]
fn unknown_routes_are_plain_404() {
    let sb = start();
    let u = sb.url();
    for path in [
        "/",
        "/rest/v1.3/jpphp/nothing",
        "/rest/v9/me",
        "/oauth2/token",
        "/%zz/..",
        "/rest/v1.3/jpphp/provision/extra",
    ] {
        let r = get(u, path, None);
        assert_eq!(r.status, 404, "{path}");
        assert!(
            r.header("Content-Type").unwrap().starts_with("text/plain"),
            "{path}"
        );
    }
    // The wrong method on a known path.
    let r = request(u, "DELETE", "/rest/v1.3/jpphp/provision", &[], b"");
    assert_eq!(r.status, 404);
    assert_eq!(stats(u)["requests"]["unknown"], 7);
}

#[test]
fn keep_alive_and_pipelining() {
    let sb = start();
    let u = sb.url();
    let t = token(u);
    let auth = format!("Bearer {t}");
    let mut c = Client::connect(u);
    for i in 0..20 {
        let r = c.send(
            "POST",
            "/rest/v1.3/jpphp/provision",
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            &form(&[
                ("siteurl", &format!("https://ka{i}.example")),
                ("local_user", "a"),
            ]),
        );
        assert_eq!(r.status, 200);
        assert_eq!(r.header("Connection"), Some("keep-alive"));
    }
    // Three requests in one write.
    let mut s = TcpStream::connect(host_port(u)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut bytes = Vec::new();
    for _ in 0..3 {
        bytes.extend(build_request("GET", "/__sandbox/health", &[], b"", false));
    }
    s.write_all(&bytes).unwrap();
    let mut r = BufReader::new(s);
    for _ in 0..3 {
        assert_eq!(read_response(&mut r).unwrap().json(), json!({"ok": true}));
    }
}

#[test]
fn concurrent_clients() {
    let sb = start();
    let u = sb.url().to_string();
    let t = token(&u);
    let threads: Vec<_> = (0..16)
        .map(|n| {
            let u = u.clone();
            let t = t.clone();
            std::thread::spawn(move || {
                let auth = format!("Bearer {t}");
                let mut c = Client::connect(&u);
                for i in 0..25 {
                    let r = c.send(
                        "POST",
                        "/rest/v1.3/jpphp/provision",
                        &[
                            ("Authorization", &auth),
                            ("Content-Type", "application/x-www-form-urlencoded"),
                        ],
                        &form(&[
                            ("siteurl", &format!("https://t{n}-{i}.example")),
                            ("local_user", "a"),
                            ("plan", "premium"),
                        ]),
                    );
                    assert_eq!(r.status, 200);
                }
            })
        })
        .collect();
    for th in threads {
        th.join().unwrap();
    }
    assert_eq!(stats(&u)["requests"]["provision"], 400);
    let user = user_token(&u);
    let v = get(
        &u,
        "/wpcom/v2/jetpack-partners/12345/key/1/activations?per_page=1",
        Some(&user),
    )
    .json();
    assert_eq!(v["total"], 400);
}

fn raw(base: &str, bytes: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(host_port(base)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let _ = s.write_all(bytes);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    out
}

#[test]
fn malformed_requests_do_not_crash_it() {
    let sb = start();
    let u = sb.url();
    let t = token(u);
    let out = raw(u, b"THIS IS NOT HTTP\r\n\r\n");
    assert!(String::from_utf8_lossy(&out).starts_with("HTTP/1.1 400"));
    let out = raw(u, b"GET / HTTP/1.1\r\nContent-Length: abc\r\n\r\n");
    assert!(String::from_utf8_lossy(&out).starts_with("HTTP/1.1 400"));
    let out = raw(u, b"\xff\xfe\x00\x01garbage\r\n\r\n");
    assert!(String::from_utf8_lossy(&out).starts_with("HTTP/1.1 400"));
    // Huge head.
    let mut big = b"GET / HTTP/1.1\r\nX-Big: ".to_vec();
    big.extend(std::iter::repeat_n(b'a', 100_000));
    big.extend(b"\r\n\r\n");
    let out = raw(u, &big);
    assert!(String::from_utf8_lossy(&out).starts_with("HTTP/1.1 431"));
    // A client that goes away mid-request.
    drop(
        TcpStream::connect(host_port(u)).unwrap().write_all(
            b"POST /rest/v1.3/jpphp/provision HTTP/1.1\r\nContent-Length: 100\r\n\r\nabc",
        ),
    );
    // Invalid UTF-8 and broken encodings in the body.
    let auth = format!("Bearer {t}");
    let r = request(
        u,
        "POST",
        "/rest/v1.3/jpphp/provision",
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        b"siteurl=https%3A%2F%2Fu.example&local_user=\xff\xfe%ZZ&plan=%E2%82",
    );
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"], "invalid_plan");
    let r = request(
        u,
        "POST",
        "/rest/v1.3/jpphp/provision",
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        b"{\"siteurl\": \"https://u.example\", \"local_user\": \xff}",
    );
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"], "invalid_input");
    let r = request(
        u,
        "POST",
        "/rest/v1.3/jpphp/provision",
        &[
            ("Authorization", &auth),
            ("Content-Type", "multipart/form-data; boundary=q"),
        ],
        b"--q\r\nbroken",
    );
    assert_eq!(r.status, 400);
    let r = request(
        u,
        "POST",
        "/rest/v1.3/jpphp/provision",
        &[
            ("Authorization", &auth),
            ("Content-Type", "multipart/form-data"),
        ],
        b"x",
    );
    assert_eq!(r.status, 400);
    // Bad paths.
    for path in [
        "/rest/v1.4/jpphp/%00%ff/status",
        "/rest/v1.4/jpphp/..%2F..%2Fetc/status",
        "/rest/v1.3/jpphp/%E2%82/partner-cancel",
        "//////",
        "/rest/v1.4/jpphp/99999999999999999999999/status",
    ] {
        let r = request(u, "GET", path, &[("Authorization", &auth)], b"");
        assert!(r.status == 404 || r.status == 403, "{path}: {}", r.status);
    }
    // Still serving, state intact.
    assert_eq!(
        provision(u, &t, "https://alive.example", Some("premium")).status,
        200
    );
    assert_eq!(status(u, &t, "alive.example").status, 200);
}

#[test]
fn body_limit_413() {
    let sb = Sandbox::start(Config {
        max_body_bytes: 1000,
        ..Default::default()
    })
    .unwrap();
    let u = sb.url();
    let t = token(u);
    let auth = format!("Bearer {t}");
    let big = vec![b'a'; 5000];
    let r = request(
        u,
        "POST",
        "/rest/v1.3/jpphp/provision",
        &[("Authorization", &auth)],
        &big,
    );
    assert_eq!(r.status, 413);
    assert_eq!(r.json()["error"], "request_too_large");
    // Chunked bodies are limited too.
    let mut req = format!("POST /rest/v1.3/jpphp/provision HTTP/1.1\r\nAuthorization: {auth}\r\nTransfer-Encoding: chunked\r\n\r\n").into_bytes();
    for _ in 0..5 {
        req.extend(b"3e8\r\n");
        req.extend(vec![b'b'; 1000]);
        req.extend(b"\r\n");
    }
    req.extend(b"0\r\n\r\n");
    let out = raw(u, &req);
    assert!(String::from_utf8_lossy(&out).starts_with("HTTP/1.1 413"));
    // A 100 MB declared body is refused without reading it.
    let out = raw(u, format!("POST /rest/v1.3/jpphp/provision HTTP/1.1\r\nAuthorization: {auth}\r\nContent-Length: 100000000\r\n\r\n").as_bytes());
    assert!(String::from_utf8_lossy(&out).starts_with("HTTP/1.1 413"));
    assert_eq!(provision(u, &t, "https://fine.example", None).status, 200);
}

#[test]
fn chunked_bodies_and_expect_continue() {
    let sb = start();
    let u = sb.url();
    let t = token(u);
    let body = form(&[
        ("siteurl", "https://ch.example"),
        ("local_user", "a"),
        ("plan", "premium"),
    ]);
    let (a, b) = body.split_at(10);
    let mut req = format!(
        "POST /rest/v1.3/jpphp/provision HTTP/1.1\r\nAuthorization: Bearer {t}\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    .into_bytes();
    req.extend(format!("{:x}\r\n", a.len()).bytes());
    req.extend(a);
    req.extend(format!("\r\n{:x};ext=1\r\n", b.len()).bytes());
    req.extend(b);
    req.extend(b"\r\n0\r\n\r\n");
    let out = String::from_utf8_lossy(&raw(u, &req)).into_owned();
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    assert_eq!(
        status(u, &t, "ch.example").json()["products"][0]["slug"],
        "premium"
    );

    // Expect: 100-continue: the interim reply comes before the body is sent.
    let mut s = TcpStream::connect(host_port(u)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let body = form(&[("siteurl", "https://ex.example"), ("local_user", "a")]);
    s.write_all(format!("POST /rest/v1.3/jpphp/provision HTTP/1.1\r\nAuthorization: Bearer {t}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nExpect: 100-continue\r\n\r\n", body.len()).as_bytes()).unwrap();
    let mut interim = [0u8; 25];
    s.read_exact(&mut interim).unwrap();
    assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
    s.write_all(&body).unwrap();
    let r = read_response(&mut BufReader::new(s)).unwrap();
    assert_eq!(r.status, 200);
}

#[test]
fn http_1_0_closes() {
    let sb = start();
    let out = raw(sb.url(), b"GET /__sandbox/health HTTP/1.0\r\n\r\n");
    let text = String::from_utf8_lossy(&out);
    assert!(text.starts_with("HTTP/1.1 200"));
    assert!(text.contains("Connection: close"));
    assert!(text.ends_with("{\"ok\":true}"));
}

#[test]
fn drop_stops_the_server() {
    let sb = start();
    let addr = host_port(sb.url());
    let mut idle = TcpStream::connect(&addr).unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    idle.write_all(&build_request("GET", "/__sandbox/health", &[], b"", false))
        .unwrap();
    let mut reader = BufReader::new(idle.try_clone().unwrap());
    assert_eq!(read_response(&mut reader).unwrap().status, 200);
    drop(sb);
    assert!(TcpStream::connect(&addr).is_err());
    // The idle keep-alive connection was closed by the server.
    let mut buf = [0u8; 1];
    assert_eq!(reader.read(&mut buf).unwrap_or(0), 0);
}

#[test]
fn control_endpoints_can_be_switched_off() {
    let sb = Sandbox::start(Config {
        control: false,
        ..Default::default()
    })
    .unwrap();
    assert_eq!(get(sb.url(), "/__sandbox/health", None).status, 404);
}

#[test]
fn handle_and_config_are_safe_to_share_and_print() {
    fn check<T: Send + Sync + std::fmt::Debug>() {}
    check::<Sandbox>();
    check::<Config>();
    let cfg = Config {
        partners: vec![("42".into(), "top-secret-value".into())],
        ..Default::default()
    };
    let shown = format!("{cfg:?}");
    assert!(shown.contains("42"));
    assert!(!shown.contains("top-secret-value"));
    let sb = Sandbox::start(cfg).unwrap();
    assert!(format!("{sb:?}").contains(sb.url()));
    let any = Sandbox::start(Config {
        listen: "0.0.0.0:0".into(),
        ..Default::default()
    })
    .unwrap();
    assert!(any.url().starts_with("http://127.0.0.1:"), "{}", any.url());
    assert_eq!(get(any.url(), "/__sandbox/health", None).status, 200);
    let err = Sandbox::start(Config {
        listen: "256.0.0.1:0".into(),
        ..Default::default()
    })
    .unwrap_err();
    assert!(err.to_string().contains("cannot listen"));
}

#[test]
fn absolute_form_targets_through_a_proxy() {
    let sb = start();
    let out = raw(
        sb.url(),
        format!(
            "GET {}/__sandbox/health HTTP/1.1\r\nConnection: close\r\n\r\n",
            sb.url()
        )
        .as_bytes(),
    );
    assert!(String::from_utf8_lossy(&out).ends_with("{\"ok\":true}"));
    let t = token(sb.url());
    let req = format!(
        "GET {}/rest/v1.3/jpphp/errors?pretty=1 HTTP/1.0\r\nAuthorization: Bearer {t}\r\n\r\n",
        sb.url()
    );
    let out = String::from_utf8_lossy(&raw(sb.url(), req.as_bytes())).into_owned();
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
}

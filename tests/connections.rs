//! The client's kept connections and reply framing, against a bare-bones HTTP server this test
//! scripts byte by byte: a connection the server closed while idle is replaced before the request is
//! sent (no failed or repeated call), a reply with `Connection: close` is not reused, and chunked and
//! close-delimited replies are read whole; the C ABI hands over the server's JSON text as it came.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jetpack_partner_core::{Client, ClientConfig, Options};

const TOKEN_REPLY: &str = r#"{"access_token":"conn-test-token","token_type":"bearer"}"#;
// Spaced out and ending in a newline, as servers may send it: the C ABI hands it over as is.
const PROVISION_REPLY: &str =
    "{\"success\": true,\n \"next_url\": \"https://example.com/wp-admin/\"}\n";

/// How the server frames and ends its replies.
#[derive(Clone, Copy)]
enum Style {
    /// `Content-Length`, connection kept; closed by the server after `idle` without a request.
    KeepAlive { idle: Duration },
    /// `Connection: close`, then closed.
    Close,
    /// `Transfer-Encoding: chunked` in small chunks, connection kept.
    Chunked,
    /// HTTP/1.0 without a length: the body ends when the server closes.
    UntilClose,
}

/// What the server saw: for each request, the connection it came on and its request line.
#[derive(Default)]
struct Seen {
    connections: usize,
    requests: Vec<(usize, String)>,
}

fn start(style: Style) -> (String, Arc<Mutex<Seen>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Seen::default()));
    let record = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let id = {
                let mut seen = record.lock().unwrap();
                seen.connections += 1;
                seen.connections
            };
            let record = record.clone();
            std::thread::spawn(move || serve(stream, id, style, &record));
        }
    });
    (base, seen)
}

/// Reads one request (head and `Content-Length` body); `None` when the client closed or went
/// quiet for the read time limit.
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<String> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let request_line = line.trim_end().to_string();
    let mut length = 0;
    loop {
        line.clear();
        reader.read_line(&mut line).ok()?;
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap();
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(request_line)
}

fn serve(stream: TcpStream, id: usize, style: Style, seen: &Mutex<Seen>) {
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    if let Style::KeepAlive { idle } = style {
        reader.get_ref().set_read_timeout(Some(idle)).unwrap();
    }
    while let Some(request_line) = read_request(&mut reader) {
        seen.lock()
            .unwrap()
            .requests
            .push((id, request_line.clone()));
        let body = if request_line.contains("/oauth2/token") {
            TOKEN_REPLY
        } else {
            PROVISION_REPLY
        };
        let reply = match style {
            Style::KeepAlive { .. } => format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            ),
            Style::Close => format!(
                "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            ),
            Style::Chunked => {
                let mut reply =
                    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_string();
                for piece in body.as_bytes().chunks(7) {
                    reply.push_str(&format!("{:x}\r\n", piece.len()));
                    reply.push_str(std::str::from_utf8(piece).unwrap());
                    reply.push_str("\r\n");
                }
                reply.push_str("0\r\n\r\n");
                reply
            }
            Style::UntilClose => format!("HTTP/1.0 200 OK\r\n\r\n{body}"),
        };
        writer.write_all(reply.as_bytes()).unwrap();
        if matches!(style, Style::Close | Style::UntilClose) {
            return;
        }
    }
}

fn client(base: &str) -> Client {
    let mut config = ClientConfig::new("777", "connections-test-secret");
    config.api_base = base.to_string();
    Client::new(config).unwrap()
}

fn provision(client: &Client) -> jetpack_partner_core::Reply {
    client
        .provision(
            "admin",
            "https://example.com",
            Some("premium"),
            &Options::new(),
        )
        .unwrap()
}

#[test]
fn a_connection_the_server_closed_while_idle_is_replaced_before_sending() {
    let (base, seen) = start(Style::KeepAlive {
        idle: Duration::from_millis(100),
    });
    let client = client(&base);
    // Token and first provision on one connection.
    assert_eq!(provision(&client).attempts, 1);
    // The server closes the idle connection; the next call notices before sending anything.
    std::thread::sleep(Duration::from_millis(400));
    let reply = provision(&client);
    assert_eq!(reply.attempts, 1);
    assert_eq!(reply.body["success"], true);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.connections, 2, "one new connection after the close");
    let ids: Vec<usize> = seen.requests.iter().map(|(id, _)| *id).collect();
    assert_eq!(
        ids,
        vec![1, 1, 2],
        "token and provision on the first, then the second"
    );
    assert!(seen.requests[0].1.starts_with("POST /oauth2/token "));
    assert!(seen.requests[2]
        .1
        .starts_with("POST /rest/v1.3/jpphp/provision "));
}

#[test]
fn a_kept_connection_carries_many_calls() {
    let (base, seen) = start(Style::KeepAlive {
        idle: Duration::from_secs(5),
    });
    let client = client(&base);
    for _ in 0..20 {
        assert_eq!(provision(&client).attempts, 1);
    }
    let seen = seen.lock().unwrap();
    assert_eq!(seen.connections, 1);
    assert_eq!(seen.requests.len(), 21);
}

#[test]
fn a_reply_with_connection_close_is_not_reused() {
    let (base, seen) = start(Style::Close);
    let client = client(&base);
    for _ in 0..3 {
        assert_eq!(provision(&client).body["success"], true);
    }
    let seen = seen.lock().unwrap();
    assert_eq!(seen.requests.len(), 4);
    assert_eq!(seen.connections, 4, "a new connection for every request");
}

#[test]
fn chunked_and_close_delimited_replies_are_read_whole() {
    for style in [Style::Chunked, Style::UntilClose] {
        let (base, seen) = start(style);
        let client = client(&base);
        for _ in 0..2 {
            let reply = provision(&client);
            assert_eq!(
                reply.body,
                serde_json::from_str::<serde_json::Value>(PROVISION_REPLY).unwrap()
            );
        }
        let seen = seen.lock().unwrap();
        assert_eq!(seen.requests.len(), 3);
        match style {
            Style::Chunked => assert_eq!(seen.connections, 1),
            _ => assert_eq!(seen.connections, 3),
        }
    }
}

/// The C ABI, declared here as a C program would (the symbols are in the library under test).
mod c_abi {
    use std::ffi::c_char;
    // Links the library under test, whose symbols the declarations below name.
    use jetpack_partner as _;
    pub enum Builder {}
    pub enum Client {}
    pub enum Response {}
    extern "C" {
        pub fn jp_client_builder_new(
            id: *const c_char,
            secret: *const c_char,
            out: *mut *mut Builder,
        ) -> u32;
        pub fn jp_client_builder_set_api_base(builder: *mut Builder, url: *const c_char) -> u32;
        pub fn jp_client_builder_build(builder: *const Builder, out: *mut *mut Client) -> u32;
        pub fn jp_client_builder_free(builder: *mut Builder);
        pub fn jp_client_free(client: *mut Client);
        pub fn jp_provision(
            client: *const Client,
            local_user: *const c_char,
            siteurl: *const c_char,
            plan: *const c_char,
            options_json: *const c_char,
            out: *mut *mut Response,
        ) -> u32;
        pub fn jp_response_json(r: *const Response) -> *const c_char;
        pub fn jp_response_free(r: *mut Response);
    }
}

#[test]
fn the_c_abi_hands_over_the_servers_json_text_as_it_came() {
    use c_abi::*;
    use std::ffi::{CStr, CString};
    use std::ptr::{null, null_mut};
    let (base, _) = start(Style::KeepAlive {
        idle: Duration::from_secs(5),
    });
    let base = CString::new(base).unwrap();
    // SAFETY: the calls follow the header's contract: live pointers, NUL-terminated strings,
    // everything freed once.
    unsafe {
        let mut builder = null_mut();
        assert_eq!(
            jp_client_builder_new(
                c"778".as_ptr(),
                c"connections-test-secret".as_ptr(),
                &mut builder
            ),
            0
        );
        assert_eq!(jp_client_builder_set_api_base(builder, base.as_ptr()), 0);
        let mut client = null_mut();
        assert_eq!(jp_client_builder_build(builder, &mut client), 0);
        jp_client_builder_free(builder);
        let mut response = null_mut();
        let code = jp_provision(
            client,
            c"admin".as_ptr(),
            c"https://example.com".as_ptr(),
            c"premium".as_ptr(),
            null(),
            &mut response,
        );
        assert_eq!(code, 0, "JP_OK");
        let json = CStr::from_ptr(jp_response_json(response)).to_str().unwrap();
        assert_eq!(json, PROVISION_REPLY);
        jp_response_free(response);
        jp_client_free(client);
    }
    // The Rust API parses the same reply.
    let reply = provision(&client(base.to_str().unwrap()));
    assert_eq!(reply.body["success"], true);
}

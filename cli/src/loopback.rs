//! The pieces of `login` that need no WordPress.com: a one-shot HTTP listener on the
//! loopback interface (tiny_http) that receives the browser's redirect, and a private token
//! file.

use std::io::{self, Write};
use std::net::TcpListener;
use std::path::Path;
use std::time::Instant;

/// The path the authorize page redirects to.
pub const CALLBACK_PATH: &str = "/callback";

/// What the browser is shown after the redirect.
pub struct Page {
    pub status: u16,
    pub message: String,
}

/// Why no redirect was received.
#[derive(Debug)]
pub enum WaitError {
    /// The deadline passed.
    TimedOut,
    Io(io::Error),
}

/// Serves HTTP on `listener` (through tiny_http) until a `GET /callback...` arrives or
/// `deadline` passes. Other requests (a browser's `/favicon.ico`) get a 404 and the wait
/// goes on. `handle` gets the request target (path and query) and returns the result and
/// the page to show. Each connection is served on a thread of its own, so a connection
/// that sends nothing (a browser's speculative preconnect) holds up nobody.
pub fn wait_for_callback<T>(
    listener: &TcpListener,
    deadline: Instant,
    mut handle: impl FnMut(&str) -> (T, Page),
) -> Result<T, WaitError> {
    let listener = listener.try_clone().map_err(WaitError::Io)?;
    listener.set_nonblocking(false).map_err(WaitError::Io)?;
    let server = tiny_http::Server::from_listener(listener, None)
        .map_err(|e| WaitError::Io(io::Error::other(e.to_string())))?;
    loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err(WaitError::TimedOut);
        }
        let Some(request) = server.recv_timeout(remaining).map_err(WaitError::Io)? else {
            continue;
        };
        if *request.method() != tiny_http::Method::Get {
            respond(request, &page(400, "Bad request."));
            continue;
        }
        let target = request.url().to_owned();
        let path = target.split(['?', '#']).next().unwrap_or("");
        if path != CALLBACK_PATH {
            respond(request, &page(404, "Not found."));
            continue;
        }
        let (result, shown) = handle(&target);
        respond(request, &shown);
        return Ok(result);
    }
}

fn page(status: u16, message: &str) -> Page {
    Page {
        status,
        message: message.to_owned(),
    }
}

fn respond(request: tiny_http::Request, page: &Page) {
    let body = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>jetpack-partner</title></head>\
         <body><p>{}</p></body></html>\n",
        html_escape(&page.message)
    );
    let header = |name: &str, value: &str| {
        tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("a valid header")
    };
    let response = tiny_http::Response::from_string(body)
        .with_status_code(page.status)
        .with_header(header("Content-Type", "text/html; charset=utf-8"))
        .with_header(header("Cache-Control", "no-store"));
    let _ = request.respond(response);
}

fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Writes `contents` to `path`, readable and writable by the owner only (mode 0600 on
/// Unix), replacing the file at once: the data goes to a new file next to it, which is
/// then renamed over it, so no other user can read the token at any moment, whatever
/// the old file's mode was.
pub fn write_private(path: &Path, contents: &str) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file name"))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".tmp-{}", std::process::id()));
    let tmp = dir.join(tmp_name);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let result = options.open(&tmp).and_then(|mut f| {
        f.write_all(contents.as_bytes())?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Opens `url` in the desktop's browser; `false` when no opener could be started.
pub fn open_browser(url: &str) -> bool {
    let candidates: &[&str] = if cfg!(target_os = "macos") {
        &["open"]
    } else if cfg!(windows) {
        &["explorer"]
    } else {
        &["xdg-open", "gio", "sensible-browser"]
    };
    candidates.iter().any(|program| {
        let mut cmd = std::process::Command::new(program);
        if *program == "gio" {
            cmd.arg("open");
        }
        cmd.arg(url)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::net::TcpStream;
    use std::time::Duration;

    fn get(port: u16, target: &str) -> String {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        write!(
            s,
            "GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut reply = String::new();
        s.read_to_string(&mut reply).unwrap();
        reply
    }

    #[test]
    fn other_paths_get_404_and_the_callback_ends_the_wait() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let client = std::thread::spawn(move || {
            let favicon = get(port, "/favicon.ico");
            let callback = get(port, "/callback?code=abc&state=s<1>");
            (favicon, callback)
        });
        let got = wait_for_callback(
            &listener,
            Instant::now() + Duration::from_secs(20),
            |target| {
                (
                    target.to_owned(),
                    Page {
                        status: 200,
                        message: format!("got <{target}>"),
                    },
                )
            },
        )
        .unwrap();
        assert_eq!(got, "/callback?code=abc&state=s<1>");
        let (favicon, callback) = client.join().unwrap();
        assert!(favicon.starts_with("HTTP/1.1 404 "), "{favicon}");
        assert!(callback.starts_with("HTTP/1.1 200 OK\r\n"), "{callback}");
        assert!(callback.contains("got &lt;/callback?code=abc&amp;state=s&lt;1&gt;&gt;"));
    }

    #[test]
    fn a_silent_connection_holds_up_nothing() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let silent = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let client = std::thread::spawn(move || get(port, "/callback?x=1"));
        let start = Instant::now();
        let got = wait_for_callback(&listener, start + Duration::from_secs(20), |t| {
            (t.to_owned(), page(200, "ok"))
        })
        .unwrap();
        assert_eq!(got, "/callback?x=1");
        assert!(start.elapsed() < Duration::from_secs(5));
        assert!(client.join().unwrap().starts_with("HTTP/1.1 200 OK"));
        drop(silent);
    }

    #[test]
    fn the_wait_ends_at_the_deadline() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let start = Instant::now();
        let r = wait_for_callback(&listener, start + Duration::from_millis(200), |_| {
            (
                (),
                Page {
                    status: 200,
                    message: String::new(),
                },
            )
        });
        assert!(matches!(r, Err(WaitError::TimedOut)));
        assert!(start.elapsed() < Duration::from_secs(5));
    }

    #[cfg(unix)]
    #[test]
    fn token_file_is_private_and_replaced() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("jp-cli-token-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("token");
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_private(&path, "new-token\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new-token\n");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            1,
            "no temporary left"
        );
        assert!(write_private(&dir.join("missing/token"), "x").is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

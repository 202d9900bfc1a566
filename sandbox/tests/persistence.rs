mod common;
use common::*;
use jetpack_partner_sandbox::{Config, Sandbox};
use serde_json::json;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "jp-sandbox-{name}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn with_state(path: &Path) -> Config {
    Config {
        state: Some(path.to_path_buf()),
        ..Default::default()
    }
}

#[test]
fn state_survives_a_restart() {
    let dir = TempDir::new("restart");
    let path = dir.file("state.jsonl");
    let (t, key, user) = {
        let sb = Sandbox::start(with_state(&path)).unwrap();
        let u = sb.url();
        let t = token(u);
        provision(u, &t, "https://p1.example", Some("premium"));
        provision(u, &t, "https://p2.example/sub", Some("personal"));
        connect(u, "https://p2.example/sub");
        cancel(u, &t, "p1.example", &[]);
        let key = post_form(
            u,
            "/rest/v1.3/jpphp/partner-keys/new",
            Some(&t),
            &[("name", "R"), ("allowed_premium_plans", "1")],
        )
        .json();
        let user = user_token(u);
        let lic = send_json(
            u,
            "POST",
            "/wpcom/v2/jetpack-licensing/license",
            Some(&t),
            &json!({"product": "jetpack-scan"}),
        );
        assert_eq!(lic.status, 200);
        (t, key, user)
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "state file readable by others: {mode:o}");
    }
    let sb = Sandbox::start(with_state(&path)).unwrap();
    let u = sb.url();
    // Old tokens still work.
    let s = status(u, &t, "p2.example::sub").json();
    assert_eq!(s["blog"]["is_connected"], true);
    assert_eq!(s["products"][0]["slug"], "personal");
    assert_eq!(s["products"][0]["is_pending"], false);
    assert_eq!(status(u, &t, "p1.example").json()["products"], json!([]));
    let kt = token_for(
        u,
        key["client_id"].as_str().unwrap(),
        key["client_secret"].as_str().unwrap(),
    );
    assert_eq!(
        provision(u, &kt, "https://k.example", Some("premium")).status,
        200
    );
    assert_eq!(
        provision(u, &kt, "https://k2.example", Some("premium")).json()["error"],
        "activation_limit_reached"
    );
    let acts = get(
        u,
        "/wpcom/v2/jetpack-partners/12345/key/1/activations",
        Some(&user),
    )
    .json();
    assert_eq!(acts["total"], 2);
    // New IDs continue after the old ones.
    provision(u, &t, "https://p3.example", None);
    let ids: Vec<u64> = ["p1.example", "p2.example::sub", "p3.example"]
        .iter()
        .map(|s| status(u, &t, s).json()["blog"]["blog_id"].as_u64().unwrap())
        .collect();
    assert!(ids[0] < ids[1] && ids[1] < ids[2]);
}

#[test]
fn corrupt_state_is_an_error_and_left_untouched() {
    let dir = TempDir::new("corrupt");
    let path = dir.file("state.jsonl");
    std::fs::write(&path, b"hello, this is somebody's file\n").unwrap();
    let err = Sandbox::start(with_state(&path))
        .expect_err("refused")
        .to_string();
    assert!(
        err.contains("not a jetpack-partner-sandbox state file"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(&path).unwrap(),
        b"hello, this is somebody's file\n"
    );

    // A valid file with a damaged line in the middle.
    let good = dir.file("good.jsonl");
    {
        let sb = Sandbox::start(with_state(&good)).unwrap();
        let t = token(sb.url());
        provision(sb.url(), &t, "https://a.example", Some("premium"));
    }
    let mut text = std::fs::read_to_string(&good).unwrap();
    let mid = text.find("\n[{\"t\":\"token\"").unwrap() + 5;
    text.replace_range(mid..mid + 3, "###");
    std::fs::write(&good, &text).unwrap();
    let err = Sandbox::start(with_state(&good))
        .expect_err("refused")
        .to_string();
    assert!(err.contains("corrupt at line"), "{err}");
    assert_eq!(std::fs::read_to_string(&good).unwrap(), text);

    // An unreadable path (a directory).
    let err = Sandbox::start(with_state(&dir.0))
        .expect_err("refused")
        .to_string();
    assert!(err.contains("state file"), "{err}");
}

#[test]
fn torn_last_write_is_dropped() {
    let dir = TempDir::new("torn");
    let path = dir.file("state.jsonl");
    let t = {
        let sb = Sandbox::start(with_state(&path)).unwrap();
        let t = token(sb.url());
        provision(sb.url(), &t, "https://a.example", Some("premium"));
        t
    };
    // A write cut short by a crash: no newline at the end.
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend_from_slice(b"[{\"t\":\"site\",\"v\":{\"blog_id\":5");
    std::fs::write(&path, &bytes).unwrap();
    // And what an interrupted compaction leaves behind.
    std::fs::write(dir.file("state.jsonl.compact"), b"partial").unwrap();
    let sb = Sandbox::start(with_state(&path)).unwrap();
    assert!(!dir.file("state.jsonl.compact").exists());
    assert_eq!(
        status(sb.url(), &t, "a.example").json()["products"][0]["slug"],
        "premium"
    );
    provision(sb.url(), &t, "https://b.example", None);
    drop(sb);
    let sb = Sandbox::start(with_state(&path)).unwrap();
    assert_eq!(status(sb.url(), &t, "b.example").status, 200);
}

#[test]
fn one_sandbox_per_state_file() {
    let dir = TempDir::new("lock");
    let path = dir.file("state.jsonl");
    let _first = Sandbox::start(with_state(&path)).unwrap();
    let err = Sandbox::start(with_state(&path))
        .expect_err("refused")
        .to_string();
    assert!(err.contains("in use"), "{err}");
}

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_jetpack-partner-sandbox")
}

fn spawn(args: &[&str]) -> (Child, String) {
    let mut child = Command::new(bin())
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{url:?}");
    (child, url)
}

#[test]
fn kill_9_loses_nothing_acknowledged() {
    let dir = TempDir::new("kill9");
    let path = dir.file("state.jsonl");
    let p = path.to_str().unwrap();
    let (mut child, url) = spawn(&["--listen", "127.0.0.1:0", "--state", p]);
    let t = token(&url);
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    // Kill once at least 20 provisions were acknowledged (and at least 300 ms
    // in), while the workers keep sending.
    let give_up = Instant::now() + Duration::from_secs(30);
    let workers: Vec<_> = (0..4)
        .map(|w| {
            let (url, t, acked) = (url.clone(), t.clone(), acked.clone());
            std::thread::spawn(move || {
                let auth = format!("Bearer {t}");
                for i in 0.. {
                    let site = format!("k{w}-{i}.example");
                    let r = try_request(
                        &url,
                        "POST",
                        "/rest/v1.3/jpphp/provision",
                        &[
                            ("Authorization", &auth),
                            ("Content-Type", "application/x-www-form-urlencoded"),
                        ],
                        &form(&[
                            ("siteurl", &format!("https://{site}")),
                            ("local_user", "a"),
                            ("plan", "premium"),
                        ]),
                    );
                    match r {
                        Ok(r) if r.status == 200 => acked.lock().unwrap().push(site),
                        Ok(r) => panic!("unexpected {}", r.status),
                        Err(_) => return,
                    }
                    if Instant::now() > give_up {
                        return;
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    while acked.lock().unwrap().len() < 20 && Instant::now() < give_up {
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap(); // SIGKILL, requests in flight
    child.wait().unwrap();
    for w in workers {
        w.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 20, "only {} acknowledged", acked.len());

    let (mut child, url) = spawn(&["--state", p]);
    for site in &acked {
        let r = status(&url, &t, site);
        assert_eq!(r.status, 200, "{site} lost");
        assert_eq!(r.json()["products"][0]["slug"], "premium");
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn binary_flags_signals_and_help() {
    let out = Command::new(bin()).arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--listen",
        "--state",
        "--partner",
        "--user-password",
        "--max-body",
        "--no-control",
    ] {
        assert!(help.contains(flag), "{flag}");
    }
    let out = Command::new(bin()).arg("--bogus").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = Command::new(bin())
        .args(["--partner", "nocolon"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));

    let (mut child, url) = spawn(&["--partner=777:s3cret", "--partner", "888:other"]);
    token_for(&url, "777", "s3cret");
    token_for(&url, "888", "other");
    let r = post_form(
        &url,
        "/oauth2/token",
        None,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", ID),
            ("client_secret", SECRET),
        ],
    );
    assert_eq!(r.status, 400);
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "{exit:?}");
    assert!(try_request(&url, "GET", "/__sandbox/health", &[], b"").is_err());

    let (mut child, url) = spawn(&[]);
    token(&url);
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success());

    // A corrupt state file: exit 1 with a clear message.
    let dir = TempDir::new("bin-corrupt");
    let path = dir.file("s");
    std::fs::write(&path, "junk\n").unwrap();
    let out = Command::new(bin())
        .args(["--state", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not a jetpack-partner-sandbox state file")
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn long_journal_is_compacted_at_start() {
    let dir = TempDir::new("compact");
    let path = dir.file("state.jsonl");
    let t = {
        let sb = Sandbox::start(with_state(&path)).unwrap();
        let u = sb.url().to_string();
        let t = token(&u);
        provision(&u, &t, "https://kept.example", Some("premium"));
        // Each call changes the site's local user: one superseded record each.
        let workers: Vec<_> = (0..4)
            .map(|w| {
                let (u, t) = (u.clone(), t.clone());
                std::thread::spawn(move || {
                    let auth = format!("Bearer {t}");
                    let mut c = Client::connect(&u);
                    for i in 0..300 {
                        let user = format!("user-{w}-{i}");
                        let r = c.send(
                            "POST",
                            "/rest/v1.3/jpphp/provision",
                            &[
                                ("Authorization", &auth),
                                ("Content-Type", "application/x-www-form-urlencoded"),
                            ],
                            &form(&[("siteurl", "https://busy.example"), ("local_user", &user)]),
                        );
                        assert_eq!(r.status, 200);
                    }
                })
            })
            .collect();
        for w in workers {
            w.join().unwrap();
        }
        t
    };
    let before = std::fs::read_to_string(&path).unwrap().lines().count();
    assert!(before > 1200, "{before} lines");
    {
        let sb = Sandbox::start(with_state(&path)).unwrap();
        let after = std::fs::read_to_string(&path).unwrap().lines().count();
        assert!(after < 10, "{after} lines after compaction");
        assert!(!dir.file("state.jsonl.compact").exists());
        let u = sb.url();
        assert_eq!(
            status(u, &t, "kept.example").json()["products"][0]["slug"],
            "premium"
        );
        assert_eq!(status(u, &t, "busy.example").status, 200);
        provision(u, &t, "https://after.example", Some("personal"));
    }
    // The compacted journal takes appends and loads again.
    let sb = Sandbox::start(with_state(&path)).unwrap();
    assert_eq!(
        status(sb.url(), &t, "after.example").json()["products"][0]["slug"],
        "personal"
    );
    assert_eq!(
        status(sb.url(), &t, "kept.example").json()["products"][0]["slug"],
        "premium"
    );
    // Still locked after the swap.
    let err = Sandbox::start(with_state(&path))
        .expect_err("refused")
        .to_string();
    assert!(err.contains("in use"), "{err}");
}

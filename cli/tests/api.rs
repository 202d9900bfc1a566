//! The `jetpack-partner` commands of the whole API (reporting, licensing, OAuth, the
//! generic request, the remaining partner endpoints), run against the in-process sandbox.

use jetpack_partner_core::{Client, ClientConfig, Options};
use jetpack_partner_sandbox::{Config, Sandbox};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_jetpack-partner");
const ID: &str = "12345";
const SECRET: &str = "sandbox-demo-secret";
const USER: &str = "partner-12345";
const PASSWORD: &str = "sandbox-demo-password";
/// The demo partner's root key in a new sandbox state.
const KEY: &str = "1";

fn sandbox() -> Sandbox {
    Sandbox::start(Config::default()).expect("the sandbox starts")
}

/// Runs the tool with only the given environment variables.
fn cli(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.env_clear().args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the tool runs")
}

/// `args` with the demo credentials and the sandbox's URL in the environment.
fn run(sb: &Sandbox, args: &[&str]) -> Output {
    run_env(sb, args, &[])
}

fn run_env(sb: &Sandbox, args: &[&str], extra: &[(&str, &str)]) -> Output {
    let base = sb.url().to_string();
    let mut env = vec![
        ("JETPACK_PARTNER_ID", ID),
        ("JETPACK_PARTNER_SECRET", SECRET),
        ("JETPACK_PARTNER_API_BASE", base.as_str()),
    ];
    env.extend_from_slice(extra);
    cli(args, &env)
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).expect("stderr is UTF-8")
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("the tool exits normally")
}

/// The single JSON line of a success (exit 0).
fn ok(out: &Output) -> Value {
    assert_eq!(
        code(out),
        0,
        "exit 0; stdout {:?} stderr {:?}",
        stdout(out),
        stderr(out)
    );
    let text = stdout(out);
    assert!(text.ends_with('\n'), "stdout ends with a newline: {text:?}");
    assert_eq!(text.lines().count(), 1, "one line on stdout: {text:?}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("stdout is JSON ({e}): {text:?}"))
}

/// The text of a success (exit 0), e.g. a table.
fn ok_text(out: &Output) -> String {
    assert_eq!(
        code(out),
        0,
        "exit 0; stdout {:?} stderr {:?}",
        stdout(out),
        stderr(out)
    );
    stdout(out)
}

/// Asserts the failure shape (exit 1, keys in order) and the code; the JSON.
fn failed(out: &Output, error_code: &str, http_status: Option<u64>) -> Value {
    assert_eq!(
        code(out),
        1,
        "exit 1; stdout {:?} stderr {:?}",
        stdout(out),
        stderr(out)
    );
    let v: Value = serde_json::from_str(&stdout(out))
        .unwrap_or_else(|e| panic!("stdout is JSON ({e}): {:?}", stdout(out)));
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    let mut expected = vec!["success", "error_code", "error_message"];
    if http_status.is_some() {
        expected.push("http_status");
    }
    assert_eq!(keys, expected, "{v}");
    assert_eq!(v["success"], false);
    assert_eq!(v["error_code"], error_code, "{v}");
    assert!(
        v["error_message"].as_str().is_some_and(|m| !m.is_empty()),
        "{v}"
    );
    assert_eq!(v["http_status"].as_u64(), http_status, "{v}");
    v
}

fn usage(out: &Output, needle: &str) {
    assert_eq!(code(out), 2, "exit 2; stderr {:?}", stderr(out));
    assert_eq!(stdout(out), "");
    assert!(stderr(out).contains(needle), "{needle}: {}", stderr(out));
}

/// One request to the sandbox's control endpoints; the JSON reply.
fn control(sb: &Sandbox, method: &str, path: &str, body: &str) -> Value {
    let addr = sb.url().trim_start_matches("http://").to_owned();
    let mut s = TcpStream::connect(&addr).expect("connect to the sandbox");
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut reply = String::new();
    s.read_to_string(&mut reply).unwrap();
    let start = reply.find("\r\n\r\n").expect("a reply head") + 4;
    serde_json::from_str(&reply[start..]).unwrap_or_else(|e| panic!("{path}: {e}: {reply}"))
}

fn requests_to(sb: &Sandbox, endpoint: &str) -> u64 {
    control(sb, "GET", "/__sandbox/stats", "")["requests"][endpoint]
        .as_u64()
        .unwrap_or(0)
}

/// An HTTP client that shows redirects instead of following them, and 4xx/5xx as replies.
fn browser() -> ureq::Agent {
    ureq::Agent::config_builder()
        .max_redirects(0)
        .http_status_as_error(false)
        .build()
        .into()
}

/// A user token of the demo partner's user (password grant).
fn user_token(sb: &Sandbox, client_id: &str, secret: &str, username: &str) -> String {
    let mut reply = browser()
        .post(format!("{}/oauth2/token", sb.url()))
        .send_form([
            ("grant_type", "password"),
            ("client_id", client_id),
            ("client_secret", secret),
            ("username", username),
            ("password", PASSWORD),
        ])
        .expect("the token request is answered");
    let body = reply.body_mut().read_to_string().unwrap();
    let v: Value = serde_json::from_str(&body).unwrap();
    v["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("a token: {body}"))
        .to_owned()
}

fn demo_token(sb: &Sandbox) -> String {
    user_token(sb, ID, SECRET, USER)
}

/// A library client of the demo partner.
fn library(sb: &Sandbox) -> Client {
    let mut cfg = ClientConfig::new(ID, SECRET);
    cfg.api_base = sb.url().to_string();
    Client::new(cfg).unwrap()
}

/// Provisions `n` sites (`plan`); `connected` ones are activated at once.
fn provision_sites(sb: &Sandbox, prefix: &str, n: usize, plan: &str, connected: bool) {
    let client = library(sb);
    let mut opts = Options::new();
    if connected {
        opts.insert("wpcom_user_id".into(), json!(1));
    }
    for i in 0..n {
        client
            .provision(
                "admin",
                &format!("https://{prefix}-{i}.example.com"),
                Some(plan),
                &opts,
            )
            .unwrap_or_else(|e| panic!("provision {i}: {e:?}"));
    }
}

/// A new, empty temporary directory (removed by the caller).
fn temp_dir(name: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("jp-cli-api-{name}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write_token_file(dir: &Path, token: &str) -> String {
    let path = dir.join("token");
    std::fs::write(&path, format!("{token}\n")).unwrap();
    format!("--token-file={}", path.display())
}

// ---------------------------------------------------------------- partner endpoints

#[test]
fn status_v12_upgrade_paths_errors_and_key_verify() {
    let sb = sandbox();
    provision_sites(&sb, "v12", 1, "premium", false);
    let url = "--url=https://v12-0.example.com";
    let a = ok(&run(&sb, &["status", "--v1.2", url]));
    assert_eq!(a["plan"], "premium", "{a}");
    assert_eq!(a["has_pending_plan"], true, "{a}");
    assert_eq!(ok(&run(&sb, &["status-v12", url])), a);
    assert_eq!(requests_to(&sb, "status_v12"), 2);
    assert_eq!(requests_to(&sb, "status"), 0);

    let paths = ok(&run(&sb, &["upgrade-paths", "--site=v12-0.example.com"]));
    assert!(
        paths["plans"].is_array() && paths["backup"].is_array(),
        "{paths}"
    );

    let errors = ok(&run(&sb, &["errors"]));
    assert!(errors["errors"]["invalid_plan"].is_string(), "{errors}");
    let verbose = ok(&run(&sb, &["errors", "--verbose"]));
    assert!(
        verbose["errors"]["invalid_plan"]["http_status"].is_number(),
        "{verbose}"
    );

    let key = ok(&run(&sb, &["partner-keys-verify"]));
    assert_eq!(key["success"], true, "{key}");
    assert_eq!(key["client_id"], ID, "{key}");
}

#[test]
fn partner_endpoint_failures() {
    let sb = sandbox();
    failed(
        &run(&sb, &["status", "--v1.2", "--site=nowhere.example.com"]),
        "unknown_blog",
        Some(404),
    );
    failed(
        &run(&sb, &["upgrade-paths", "--blog_id=999"]),
        "invalid_blog",
        Some(403),
    );
    let base = format!("--api_base={}", sb.url());
    let out = cli(
        &[
            "partner-keys-verify",
            "--partner_id=12345",
            "--partner_secret=wrong-secret-value",
            &base,
        ],
        &[],
    );
    let v = failed(&out, "token_error", Some(400));
    assert!(!stdout(&out).contains("wrong-secret-value"), "{v}");
    usage(
        &run(&sb, &["errors", "--verbose", "maybe"]),
        "unexpected argument",
    );
    failed(
        &run(&sb, &["errors", "--verbose=maybe"]),
        "invalid_argument",
        None,
    );
}

// ---------------------------------------------------------------- reporting

#[test]
fn activations_one_page_as_json_and_as_a_table() {
    let sb = sandbox();
    provision_sites(&sb, "page", 3, "premium", true);
    let dir = temp_dir("page");
    let file = write_token_file(&dir, &demo_token(&sb));
    let v = ok(&run(
        &sb,
        &["activations", &file, "--key_id", KEY, "--per_page=2"],
    ));
    assert_eq!(v["total"], 3, "{v}");
    assert_eq!(v["activations"].as_array().unwrap().len(), 2, "{v}");

    let table = ok_text(&run(
        &sb,
        &[
            "activations",
            &file,
            "--key_id=1",
            "--per_page=2",
            "--page=2",
            "--table",
        ],
    ));
    let lines: Vec<&str> = table.lines().collect();
    assert!(
        lines[0].starts_with("ID") && lines[0].contains("SITE"),
        "{table}"
    );
    assert_eq!(lines.len(), 3, "header, one row, footer: {table}");
    assert!(lines[1].contains("https://page-0.example.com") && lines[1].contains("active"));
    assert_eq!(
        lines[2],
        "Page 2 of 2 (3 activations; --all for every page)."
    );

    // Filters reach the server.
    let none = ok(&run(
        &sb,
        &["activations", &file, "--key_id=1", "--plans=jetpack-scan"],
    ));
    assert_eq!(none["total"], 0, "{none}");
    let after = ok(&run(
        &sb,
        &[
            "activations",
            &file,
            "--key_id=1",
            "--activated_after=2000-01-01",
        ],
    ));
    assert_eq!(after["total"], 3, "{after}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn activations_all_walks_every_page() {
    let sb = sandbox();
    provision_sites(&sb, "all", 45, "personal", false);
    let token = demo_token(&sb);
    control(&sb, "POST", "/__sandbox/stats/reset", "");
    let out = run_env(
        &sb,
        &["activations", "--key_id=1", "--all", "--per_page=20"],
        &[("JETPACK_PARTNER_USER_TOKEN", token.as_str())],
    );
    let v = ok(&out);
    assert_eq!(
        stderr(&out),
        "",
        "no progress when stderr is not a terminal"
    );
    let items = v["activations"].as_array().unwrap();
    assert_eq!(v["total"], 45);
    assert_eq!(items.len(), 45);
    let mut ids: Vec<u64> = items.iter().map(|a| a["id"].as_u64().unwrap()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 45, "every activation once");
    assert!(items.iter().all(|a| a["is_pending"] == true));
    assert_eq!(requests_to(&sb, "reporting"), 3, "three pages of 20");

    // The default page size with --all is the largest: one request.
    control(&sb, "POST", "/__sandbox/stats/reset", "");
    let table = ok_text(&run_env(
        &sb,
        &["activations", "--key_id=1", "--all", "--table"],
        &[("JETPACK_PARTNER_USER_TOKEN", token.as_str())],
    ));
    assert_eq!(table.lines().count(), 47, "header, 45 rows, footer");
    assert!(table.ends_with("45 activations.\n"), "{table}");
    assert_eq!(requests_to(&sb, "reporting"), 1);
}

#[test]
fn activation_failures() {
    let sb = sandbox();
    let token = demo_token(&sb);
    let flag = format!("--user_token={token}");
    let out = run(
        &sb,
        &[
            "activations",
            &flag,
            "--key_id=1",
            "--reporting_partner=777",
        ],
    );
    let v = failed(&out, "rest_forbidden", Some(403));
    assert!(!stdout(&out).contains(&token), "{v}");
    failed(
        &run(&sb, &["activations", &flag, "--key_id=99"]),
        "invalid_key",
        Some(404),
    );
    let v = failed(
        &run(&sb, &["activations", "--key_id=1"]),
        "invalid_argument",
        None,
    );
    assert!(
        v["error_message"].as_str().unwrap().contains("login"),
        "{v}"
    );
    failed(
        &run(
            &sb,
            &[
                "activations",
                "--user_token=not-a-token",
                "--key_id=1",
                "--all",
            ],
        ),
        "invalid_token",
        Some(403),
    );
    usage(
        &run(&sb, &["activations", "--key_id=1", "--all", "--page=2"]),
        "not both",
    );
}

#[test]
fn activations_summary_as_json_and_table() {
    let sb = sandbox();
    provision_sites(&sb, "sum", 2, "premium", true);
    let token = demo_token(&sb);
    let env = [("JETPACK_PARTNER_USER_TOKEN", token.as_str())];
    let v = ok(&run_env(&sb, &["activations-summary", "--scale=day"], &env));
    let rows = v.as_array().expect("a list of periods");
    assert_eq!(rows.last().unwrap()["total"], 2, "{v}");
    let v = ok(&run_env(
        &sb,
        &["activations-summary", "--key_id=1", "--json"],
        &env,
    ));
    assert!(v.is_array(), "{v}");
    let table = ok_text(&run_env(&sb, &["activations-summary", "--table"], &env));
    assert!(table.starts_with("DATE"), "{table}");
    assert!(table.lines().last().unwrap().ends_with(" 2"), "{table}");
    failed(
        &run_env(&sb, &["activations-summary", "--key_id=42"], &env),
        "invalid_key",
        Some(404),
    );
    failed(
        &run_env(&sb, &["activations-summary", "--scale=week"], &env),
        "invalid_argument",
        None,
    );
}

#[test]
fn invoices_and_upcoming_invoice() {
    let sb = sandbox();
    provision_sites(&sb, "inv", 3, "premium", true);
    let token = demo_token(&sb);
    let env = [("JETPACK_PARTNER_USER_TOKEN", token.as_str())];
    let up = ok(&run_env(&sb, &["upcoming-invoice", "--key_id=1"], &env));
    assert_eq!(up["status"], "upcoming", "{up}");
    assert_eq!(up["total"], 2700, "{up}");
    let table = ok_text(&run_env(
        &sb,
        &["upcoming-invoice", "--key_id=1", "--table"],
        &env,
    ));
    assert!(table.starts_with("Invoice "), "{table}");
    assert!(
        table.contains("premium") && table.contains("27.00 USD"),
        "{table}"
    );

    // A month later, that month is a paid invoice.
    control(&sb, "POST", "/__sandbox/clock", r#"{"advance": 3456000}"#);
    let past = ok(&run_env(&sb, &["invoices", "--key_id=1"], &env));
    let list = past["invoices"].as_array().unwrap();
    assert!(!list.is_empty(), "{past}");
    assert!(list.iter().all(|i| i["status"] == "paid"), "{past}");
    let table = ok_text(&run_env(&sb, &["invoices", "--key_id=1", "--table"], &env));
    assert!(table.starts_with("INVOICE"), "{table}");
    assert_eq!(table.lines().count(), list.len() + 1, "{table}");
    assert!(table.contains("paid"), "{table}");

    failed(
        &run_env(&sb, &["invoices", "--key_id=5"], &env),
        "invalid_key",
        Some(404),
    );
    failed(
        &run_env(
            &sb,
            &["upcoming-invoice", "--key_id=1", "--reporting_partner=1"],
            &env,
        ),
        "rest_forbidden",
        Some(403),
    );
}

#[test]
fn partner_details_and_token_info() {
    let sb = Sandbox::start(Config {
        partners: vec![
            (ID.into(), SECRET.into()),
            ("54321".into(), "other-secret".into()),
        ],
        ..Default::default()
    })
    .unwrap();
    let token = demo_token(&sb);
    let env = [("JETPACK_PARTNER_USER_TOKEN", token.as_str())];
    let p = ok(&run_env(&sb, &["partner"], &env));
    assert_eq!(p["id"], 12345, "{p}");
    assert_eq!(p["keys"][0]["id"], 1, "{p}");

    let info = ok(&run_env(&sb, &["token-info"], &env));
    assert_eq!(info["client_id"], ID, "{info}");
    assert_ne!(info["user_id"], "0", "{info}");

    // A token of another application.
    let other = user_token(&sb, "54321", "other-secret", "partner-54321");
    let out = run_env(
        &sb,
        &["token-info"],
        &[("JETPACK_PARTNER_USER_TOKEN", other.as_str())],
    );
    failed(&out, "invalid_token", Some(400));
    assert!(!stdout(&out).contains(&other));

    // A partner token where a user token is needed.
    let partner_token = {
        let mut r = browser()
            .post(format!("{}/oauth2/token", sb.url()))
            .send_form([
                ("grant_type", "client_credentials"),
                ("client_id", ID),
                ("client_secret", SECRET),
                ("scope", "jetpack-partner"),
            ])
            .unwrap();
        let v: Value = serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
        v["access_token"].as_str().unwrap().to_owned()
    };
    failed(
        &run_env(
            &sb,
            &["partner"],
            &[("JETPACK_PARTNER_USER_TOKEN", partner_token.as_str())],
        ),
        "invalid_scope",
        Some(403),
    );
}

// ---------------------------------------------------------------- request

#[test]
fn generic_request_with_each_kind_of_auth() {
    let sb = sandbox();
    let dir = temp_dir("request");
    let file = write_token_file(&dir, &demo_token(&sb));
    let me = ok(&run(&sb, &["request", "GET", "/rest/v1/me", &file]));
    assert_eq!(me["username"], USER, "{me}");

    let errors = ok(&run(
        &sb,
        &[
            "request",
            "get",
            "/rest/v1.3/jpphp/errors",
            "--auth=none",
            "--query=verbose=1",
        ],
    ));
    assert!(
        errors["errors"]["invalid_plan"]["message"].is_string(),
        "{errors}"
    );

    let key = ok(&run(
        &sb,
        &[
            "request",
            "POST",
            "/rest/v1.3/jpphp/partner-keys/new",
            "--form=name=From request",
            "--form",
            "allowed_premium_plans=3",
        ],
    ));
    assert_eq!(key["name"], "From request", "{key}");
    assert_eq!(key["allowed_premium_plans"], "3", "{key}");

    let license = ok(&run(
        &sb,
        &[
            "request",
            "POST",
            "/wpcom/v2/jetpack-licensing/license",
            "--json",
            r#"{"product": "jetpack-scan"}"#,
        ],
    ));
    assert!(license["license_key"].is_string(), "{license}");

    // The partner token on a user endpoint.
    failed(
        &run(&sb, &["request", "GET", "/rest/v1/me"]),
        "invalid_scope",
        Some(403),
    );
    failed(
        &run(&sb, &["request", "GET", "/rest/v1/me", "--auth=none"]),
        "authorization_required",
        Some(403),
    );
    failed(
        &run(&sb, &["request", "GET", "/rest/v1/me", "--json={"]),
        "invalid_argument",
        None,
    );
    usage(&run(&sb, &["request", "GET"]), "request needs PATH");
    std::fs::remove_dir_all(&dir).unwrap();
}

// ---------------------------------------------------------------- licensing

#[test]
fn license_lifecycle() {
    let sb = sandbox();
    let issued = ok(&run(&sb, &["license", "issue", "--product=jetpack-scan"]));
    let key = issued["license_key"]
        .as_str()
        .expect("a license key")
        .to_owned();
    let key_flag = format!("--license_key={key}");
    let status = ok(&run(&sb, &["license", "status", &key_flag]));
    assert_eq!(status["license_key"], key.as_str());
    assert!(status["attached_at"].is_null(), "{status}");

    let conn = ok(&run(
        &sb,
        &[
            "site-connection",
            "--url=https://lic.example.com",
            "--user=admin",
        ],
    ));
    assert_eq!(conn["code"], "success", "{conn}");
    let again = ok(&run(
        &sb,
        &[
            "site-connection",
            "--url=https://lic.example.com",
            "--local_user=admin",
        ],
    ));
    assert_eq!(again["code"], "already_connected", "{again}");

    let attached = ok(&run(
        &sb,
        &[
            "license",
            "attach",
            &key_flag,
            "--url=https://lic.example.com",
        ],
    ));
    assert!(attached["attached_at"].is_string(), "{attached}");
    failed(
        &run(
            &sb,
            &[
                "license",
                "attach",
                &key_flag,
                "--url=https://lic.example.com",
            ],
        ),
        "license_already_attached",
        Some(400),
    );
    let detached = ok(&run(
        &sb,
        &["license", "detach", &key_flag, "--cancellation_email=false"],
    ));
    assert!(detached["attached_at"].is_null(), "{detached}");
    failed(
        &run(&sb, &["license", "detach", &key_flag]),
        "license_not_attached",
        Some(400),
    );
    let revoked = ok(&run(&sb, &["license", "revoke", &key_flag]));
    assert!(revoked["revoked_at"].is_string(), "{revoked}");
    failed(
        &run(&sb, &["license", "revoke", &key_flag]),
        "license_revoked",
        Some(400),
    );
    failed(
        &run(&sb, &["license", "status", "--license_key=no-such-license"]),
        "license_not_found",
        Some(404),
    );
    failed(
        &run(&sb, &["license", "issue", "--product=no-such-product"]),
        "invalid_product",
        Some(400),
    );
    usage(&run(&sb, &["license", "renew"]), "unknown license action");
}

#[test]
fn product_families_licensing_partner_and_site_connection_failures() {
    let sb = sandbox();
    let families = ok(&run(&sb, &["product-families"]));
    let list = families.as_array().expect("a list of families");
    assert!(
        list.iter()
            .any(|f| f["products"].is_array() && f["slug"].is_string()),
        "{families}"
    );
    let token = demo_token(&sb);
    let env = [("JETPACK_PARTNER_USER_TOKEN", token.as_str())];
    let partner = ok(&run_env(&sb, &["licensing-partner"], &env));
    assert!(partner["keys"][0]["oauth2_token"].is_string(), "{partner}");

    failed(&run(&sb, &["licensing-partner"]), "invalid_argument", None);
    let base = format!("--api_base={}", sb.url());
    failed(
        &cli(
            &[
                "product-families",
                "--partner_id=12345",
                "--partner_secret=nope",
                &base,
            ],
            &[],
        ),
        "token_error",
        Some(400),
    );
    failed(
        &run(&sb, &["site-connection", "--url=https://x.example.com"]),
        "invalid_argument",
        None,
    );
}

// ---------------------------------------------------------------- login

/// A running `login`: the child and the authorize URL it printed on stderr.
struct Login {
    child: Child,
    url: String,
    stderr: String,
}

fn start_login(sb: &Sandbox, flags: &[&str]) -> Login {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("JETPACK_PARTNER_ID", ID)
        .env("JETPACK_PARTNER_SECRET", SECRET)
        .env("JETPACK_PARTNER_API_BASE", sb.url())
        .arg("login")
        .args(flags)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("login starts");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = String::new();
    let url = loop {
        let line = lines
            .next()
            .unwrap_or_else(|| panic!("login printed no URL; stderr: {seen}"))
            .unwrap();
        seen.push_str(&line);
        seen.push('\n');
        if line.starts_with("http://") || line.starts_with("https://") {
            break line;
        }
    };
    // The rest of stderr, read in the background so the child never blocks on it.
    std::thread::spawn(move || for _ in lines {});
    Login {
        child,
        url,
        stderr: seen,
    }
}

impl Login {
    /// Plays the browser: opens `url`, follows the sandbox's redirect to the loopback
    /// listener by hand; the listener's status and page.
    fn browse(&self, url: &str) -> (u16, String) {
        let http = browser();
        let reply = http.get(url).call().expect("the authorize page answers");
        assert_eq!(reply.status().as_u16(), 302, "the sandbox redirects");
        let location = reply
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .expect("a Location")
            .to_owned();
        assert!(
            location.starts_with("http://127.0.0.1:") && location.contains("/callback?"),
            "{location}"
        );
        let mut page = http.get(&location).call().expect("the listener answers");
        let status = page.status().as_u16();
        (status, page.body_mut().read_to_string().unwrap())
    }

    fn finish(self) -> Output {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut child = self.child;
        loop {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("login did not exit");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        child.wait_with_output().unwrap()
    }
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn login_stores_a_private_token_that_reporting_accepts() {
    let sb = sandbox();
    provision_sites(&sb, "login", 2, "premium", true);
    let dir = temp_dir("login");
    let path = dir.join("token");
    let flag = format!("--token-file={}", path.display());
    let login = start_login(&sb, &[&flag, "--wait=30"]);
    assert!(
        login
            .url
            .starts_with(&format!("{}/oauth2/authorize?", sb.url())),
        "{}",
        login.url
    );
    assert!(
        login.url.contains("client_id=12345") && login.url.contains("state="),
        "{}",
        login.url
    );
    assert!(
        login.stderr.contains("open this address"),
        "{}",
        login.stderr
    );
    let (status, page) = login.browse(&login.url.clone());
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Signed in"), "{page}");
    let out = login.finish();
    let v = ok(&out);
    assert_eq!(v["success"], true, "{v}");
    assert_eq!(v["token_file"], path.display().to_string(), "{v}");
    assert!(v.get("access_token").is_none(), "no token on stdout: {v}");
    let token = std::fs::read_to_string(&path).unwrap();
    assert!(
        token.ends_with('\n') && token.trim().len() > 10,
        "{token:?}"
    );
    assert!(!stdout(&out).contains(token.trim()));
    #[cfg(unix)]
    assert_eq!(mode(&path), 0o600);

    let acts = ok(&run(&sb, &["activations", &flag, "--key_id=1"]));
    assert_eq!(acts["total"], 2, "{acts}");
    let info = ok(&run(&sb, &["token-info", &flag]));
    assert_eq!(info["client_id"], ID, "{info}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn login_print_puts_the_token_on_stdout() {
    let sb = sandbox();
    let login = start_login(&sb, &["--print", "--scope=global"]);
    assert!(login.url.contains("scope=global"), "{}", login.url);
    let (status, _) = login.browse(&login.url.clone());
    assert_eq!(status, 200);
    let v = ok(&login.finish());
    let token = v["access_token"].as_str().expect("the token").to_owned();
    assert_eq!(v["token_type"], "bearer", "{v}");
    let me = ok(&run_env(
        &sb,
        &["request", "GET", "/rest/v1/me", "--auth=user"],
        &[("JETPACK_PARTNER_USER_TOKEN", token.as_str())],
    ));
    assert_eq!(me["username"], USER);
}

#[test]
fn login_refuses_a_redirect_with_another_state() {
    let sb = sandbox();
    let dir = temp_dir("state");
    let path = dir.join("token");
    let login = start_login(&sb, &[&format!("--token-file={}", path.display())]);
    let state_at = login.url.find("state=").unwrap() + "state=".len();
    let end = login.url[state_at..]
        .find('&')
        .map_or(login.url.len(), |i| state_at + i);
    let forged = format!("{}forged{}", &login.url[..state_at], &login.url[end..]);
    let (status, page) = login.browse(&forged);
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("state_mismatch"), "{page}");
    let out = login.finish();
    let v = failed(&out, "state_mismatch", None);
    assert!(!path.exists(), "no token stored: {v}");
    assert_eq!(requests_to(&sb, "token"), 0, "no code exchange");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn login_reports_access_denied() {
    let sb = sandbox();
    let login = start_login(&sb, &["--print"]);
    let denied = format!("{}&deny=1", login.url);
    let (status, page) = login.browse(&denied);
    assert_eq!(status, 400, "{page}");
    let out = login.finish();
    let v = failed(&out, "access_denied", None);
    assert!(!stdout(&out).contains("access_token"), "{v}");
}

#[test]
fn login_gives_up_after_wait_and_other_paths_do_not_end_it() {
    let sb = sandbox();
    let start = Instant::now();
    let login = start_login(&sb, &["--print", "--wait=2"]);
    // A stray request (a browser's icon) gets a 404 and the wait goes on.
    let port = login
        .stderr
        .split("http://127.0.0.1:")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .expect("the loopback address on stderr")
        .to_owned();
    let reply = browser()
        .get(format!("http://127.0.0.1:{port}/favicon.ico"))
        .call()
        .unwrap();
    assert_eq!(reply.status().as_u16(), 404);
    let out = login.finish();
    let v = failed(&out, "timeout", None);
    assert!(
        v["error_message"].as_str().unwrap().contains("--wait"),
        "{v}"
    );
    assert!(start.elapsed() < Duration::from_secs(20));
}

#[test]
fn login_needs_a_destination_and_a_usable_token_file() {
    let sb = sandbox();
    usage(&run(&sb, &["login"]), "--token-file=PATH");
    failed(
        &run(
            &sb,
            &["login", "--token-file=/nonexistent-dir/token", "--wait=1"],
        ),
        "invalid_argument",
        None,
    );
}

#[test]
fn help_lists_every_new_command() {
    let out = cli(&["--help"], &[]);
    let text = stdout(&out);
    for name in [
        "status-v12",
        "upgrade-paths",
        "errors",
        "partner-keys-verify",
        "activations",
        "activations-summary",
        "invoices",
        "upcoming-invoice",
        "partner",
        "token-info",
        "request",
        "license",
        "product-families",
        "licensing-partner",
        "site-connection",
        "login",
    ] {
        assert!(text.contains(&format!("  {name} ")), "{name}");
        let out = cli(&[name, "--help"], &[]);
        assert_eq!(code(&out), 0, "{name}");
        assert!(
            stdout(&out).contains(&format!("jetpack-partner {name}")),
            "{name}"
        );
    }
}

// ---------------------------------------------------------------- shell examples

fn script(name: &str) -> String {
    format!("{}/../examples/shell/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn sh(sb: &Sandbox, name: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new("sh");
    cmd.arg(script(name))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("JETPACK_PARTNER_CLI", BIN)
        .env("JETPACK_PARTNER_ID", ID)
        .env("JETPACK_PARTNER_SECRET", SECRET)
        .env("JETPACK_PARTNER_API_BASE", sb.url());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

#[test]
fn the_reporting_example_runs_with_a_stored_token() {
    let sb = sandbox();
    provision_sites(&sb, "ex", 2, "premium", true);
    let dir = temp_dir("example");
    let path = dir.join("token");
    std::fs::write(&path, format!("{}\n", demo_token(&sb))).unwrap();
    let file = path.display().to_string();
    let env = [("JETPACK_PARTNER_TOKEN_FILE", file.as_str())];
    let out = sh(&sb, "reporting.sh", &[], &env);
    assert_eq!(ok(&out)["id"], 12345);
    let out = sh(&sb, "reporting.sh", &["1"], &env);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let lines: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{}", stdout(&out));
    assert_eq!(lines[0]["total"], 2);
    assert_eq!(lines[1]["status"], "upcoming");
    assert!(lines[2]["invoices"].is_array());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_license_example_issues_connects_and_attaches() {
    let sb = sandbox();
    let out = sh(
        &sb,
        "license.sh",
        &["jetpack-scan", "https://ex-license.example.com", "admin"],
        &[],
    );
    assert_eq!(code(&out), 0, "{} {}", stdout(&out), stderr(&out));
    let lines: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{}", stdout(&out));
    assert_eq!(lines[1]["code"], "success");
    assert_eq!(lines[2]["license_key"], lines[0]["license_key"]);
    assert!(lines[2]["attached_at"].is_string(), "{}", lines[2]);
    let out = sh(
        &sb,
        "license.sh",
        &["no-such-product", "https://x.example.com", "a"],
        &[],
    );
    assert_eq!(code(&out), 1);
    assert_eq!(
        serde_json::from_str::<Value>(stdout(&out).trim()).unwrap()["error_code"],
        "invalid_product"
    );
}

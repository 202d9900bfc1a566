//! The `jetpack-partner` binary run against the in-process sandbox.

use jetpack_partner_sandbox::Sandbox;
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_jetpack-partner");
const ID: &str = "12345";
const SECRET: &str = "sandbox-demo-secret";

fn sandbox() -> Sandbox {
    Sandbox::start(Default::default()).expect("the sandbox starts")
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

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).expect("stderr is UTF-8")
}

/// The single JSON line on stdout.
fn json(out: &Output) -> Value {
    let text = stdout(out);
    assert!(text.ends_with('\n'), "stdout ends with a newline: {text:?}");
    assert_eq!(text.lines().count(), 1, "one line on stdout: {text:?}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("stdout is JSON ({e}): {text:?}"))
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("the tool exits normally")
}

/// `command` with the demo credentials and the sandbox's URL as flags, then `flags`.
fn call(sb: &Sandbox, command: &str, flags: &[&str]) -> Output {
    let id = format!("--partner_id={ID}");
    let secret = format!("--partner_secret={SECRET}");
    let base = format!("--api_base={}", sb.url());
    let mut args = vec![command, &id, &secret, &base];
    args.extend_from_slice(flags);
    cli(&args, &[])
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

/// Requests the sandbox counted (control endpoints excluded).
fn total_requests(sb: &Sandbox) -> u64 {
    control(sb, "GET", "/__sandbox/stats", "")["total"]
        .as_u64()
        .expect("total")
}

/// Requests the sandbox counted for one endpoint.
fn requests_to(sb: &Sandbox, endpoint: &str) -> u64 {
    control(sb, "GET", "/__sandbox/stats", "")["requests"][endpoint]
        .as_u64()
        .unwrap_or(0)
}

/// Asserts the failure shape: keys in order, `http_status` only when given.
fn assert_failure(out: &Output, error_code: &str, http_status: Option<u64>) -> Value {
    assert_eq!(
        code(out),
        1,
        "exit 1; stdout {:?} stderr {:?}",
        stdout(out),
        stderr(out)
    );
    let v = json(out);
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    let mut expected = vec!["success", "error_code", "error_message"];
    if http_status.is_some() {
        expected.push("http_status");
    }
    assert_eq!(keys, expected, "{v}");
    assert_eq!(v["success"], Value::Bool(false));
    assert_eq!(v["error_code"], error_code, "{v}");
    assert!(
        v["error_message"].as_str().is_some_and(|m| !m.is_empty()),
        "{v}"
    );
    if let Some(s) = http_status {
        assert_eq!(v["http_status"].as_u64(), Some(s), "{v}");
    }
    v
}

fn assert_usage(out: &Output, needle: &str) {
    assert_eq!(code(out), 2, "exit 2; stderr {:?}", stderr(out));
    assert_eq!(stdout(out), "", "nothing on stdout");
    let err = stderr(out);
    assert!(err.contains("Usage:"), "usage on stderr: {err}");
    assert!(
        err.contains(needle),
        "stderr names the problem ({needle}): {err}"
    );
}

#[test]
fn provision_success_prints_the_servers_json_and_exits_0() {
    let sb = sandbox();
    let out = call(
        &sb,
        "provision",
        &[
            "--user=admin",
            "--url=https://cli-ok.example.com",
            "--plan=premium",
        ],
    );
    assert_eq!(
        code(&out),
        0,
        "stdout {:?} stderr {:?}",
        stdout(&out),
        stderr(&out)
    );
    let v = json(&out);
    assert_eq!(v["success"], Value::Bool(true), "{v}");
    assert!(
        v.get("auth_required").is_some() && v.get("next_url").is_some(),
        "{v}"
    );
    assert_eq!(stderr(&out), "");
    assert_eq!(
        total_requests(&sb),
        2,
        "one token request and one provision"
    );
}

#[test]
fn credentials_and_api_base_from_the_environment() {
    let sb = sandbox();
    let base = sb.url().to_string();
    let env = [
        ("JETPACK_PARTNER_ID", ID),
        ("JETPACK_PARTNER_SECRET", SECRET),
        ("JETPACK_PARTNER_API_BASE", base.as_str()),
    ];
    let out = cli(
        &[
            "provision",
            "--user=admin",
            "--url=https://cli-env.example.com",
        ],
        &env,
    );
    assert_eq!(
        code(&out),
        0,
        "stdout {:?} stderr {:?}",
        stdout(&out),
        stderr(&out)
    );
    assert_eq!(json(&out)["success"], Value::Bool(true));
    let out = cli(&["status", "--url=https://cli-env.example.com"], &env);
    assert_eq!(
        code(&out),
        0,
        "stdout {:?} stderr {:?}",
        stdout(&out),
        stderr(&out)
    );
    assert!(json(&out).get("blog").is_some());
}

#[test]
fn flags_win_over_the_environment() {
    let sb = sandbox();
    let base = sb.url().to_string();
    // The environment's secret is wrong and its API base leads nowhere: the flags must be used.
    let env = [
        ("JETPACK_PARTNER_ID", "99999"),
        ("JETPACK_PARTNER_SECRET", "environment-wrong-secret"),
        ("JETPACK_PARTNER_API_BASE", "http://127.0.0.1:1"),
    ];
    let id = format!("--partner_id={ID}");
    let secret = format!("--partner_secret={SECRET}");
    let api = format!("--api_base={base}");
    let out = cli(
        &[
            "provision",
            &id,
            &secret,
            &api,
            "--user=admin",
            "--url=https://cli-win.example.com",
        ],
        &env,
    );
    assert_eq!(
        code(&out),
        0,
        "stdout {:?} stderr {:?}",
        stdout(&out),
        stderr(&out)
    );
    assert_eq!(json(&out)["success"], Value::Bool(true));
}

#[test]
fn hyphen_spellings_and_space_separated_values() {
    let sb = sandbox();
    let base = sb.url().to_string();
    let out = cli(
        &[
            "provision",
            "--partner-id",
            ID,
            "--partner-secret",
            SECRET,
            "--api-base",
            &base,
            "--user",
            "admin",
            "--url",
            "https://cli-hyphen.example.com",
            "--plan",
            "premium",
            "--force-register",
            "--partner-tracking-id",
            "staging-7",
            "--connect-timeout",
            "5",
        ],
        &[],
    );
    assert_eq!(
        code(&out),
        0,
        "stdout {:?} stderr {:?}",
        stdout(&out),
        stderr(&out)
    );
    assert_eq!(json(&out)["success"], Value::Bool(true));
    // The old scripts' one-letter forms.
    let out = cli(
        &[
            "provision",
            &format!("-c={ID}"),
            &format!("-s={SECRET}"),
            &format!("--api_base={base}"),
            "-i=admin",
            "-u=https://cli-short.example.com",
            "-p=premium",
        ],
        &[],
    );
    assert_eq!(
        code(&out),
        0,
        "stdout {:?} stderr {:?}",
        stdout(&out),
        stderr(&out)
    );
    assert_eq!(json(&out)["success"], Value::Bool(true));
}

#[test]
fn server_error_has_its_code_and_http_status() {
    let sb = sandbox();
    let out = call(
        &sb,
        "provision",
        &[
            "--user=admin",
            "--url=https://cli-plan.example.com",
            "--plan=bogus-plan",
        ],
    );
    let v = assert_failure(&out, "invalid_plan", Some(400));
    assert!(
        v["error_message"].as_str().unwrap().contains("bogus-plan"),
        "{v}"
    );
}

#[test]
fn invalid_argument_is_reported_before_any_request() {
    let sb = sandbox();
    let out = call(
        &sb,
        "provision",
        &["--user=admin", "--url=ftp://cli-bad.example.com"],
    );
    let v = assert_failure(&out, "invalid_argument", None);
    assert!(
        v["error_message"].as_str().unwrap().starts_with("siteurl"),
        "{v}"
    );
    let out = call(&sb, "provision", &["--url=https://cli-bad.example.com"]);
    let v = assert_failure(&out, "invalid_argument", None);
    assert!(
        v["error_message"]
            .as_str()
            .unwrap()
            .starts_with("local_user"),
        "{v}"
    );
    let out = call(
        &sb,
        "provision",
        &[
            "--user=a",
            "--url=https://cli-bad.example.com",
            "--wpcom_user_id=abc",
        ],
    );
    let v = assert_failure(&out, "invalid_argument", None);
    assert!(
        v["error_message"]
            .as_str()
            .unwrap()
            .starts_with("wpcom_user_id"),
        "{v}"
    );
    let out = call(&sb, "cancel", &[]);
    let v = assert_failure(&out, "invalid_argument", None);
    assert!(
        v["error_message"].as_str().unwrap().starts_with("site"),
        "{v}"
    );
    assert_eq!(total_requests(&sb), 0, "nothing was sent");
}

#[test]
fn missing_secret_is_an_invalid_argument_naming_it() {
    let sb = sandbox();
    let base = sb.url().to_string();
    let out = cli(
        &[
            "status",
            &format!("--api_base={base}"),
            "--url=https://cli.example.com",
        ],
        &[("JETPACK_PARTNER_ID", ID)],
    );
    let v = assert_failure(&out, "invalid_argument", None);
    let m = v["error_message"].as_str().unwrap();
    assert!(
        m.starts_with("partner_secret") && m.contains("JETPACK_PARTNER_SECRET"),
        "{v}"
    );
    let out = cli(
        &["status", "--url=https://cli.example.com"],
        &[("JETPACK_PARTNER_SECRET", SECRET)],
    );
    let v = assert_failure(&out, "invalid_argument", None);
    assert!(
        v["error_message"]
            .as_str()
            .unwrap()
            .starts_with("partner_id"),
        "{v}"
    );
    assert_eq!(total_requests(&sb), 0);
}

#[test]
fn wrong_secret_is_a_token_error_and_is_never_printed() {
    let sb = sandbox();
    let wrong = "wrong-secret-0f9e8d7c";
    let out = cli(
        &[
            "provision",
            &format!("--partner_id={ID}"),
            &format!("--partner_secret={wrong}"),
            &format!("--api_base={}", sb.url()),
            "--user=admin",
            "--url=https://cli-token.example.com",
        ],
        &[],
    );
    // The token endpoint answered (400 invalid_client): its status is reported.
    let v = assert_failure(&out, "token_error", Some(400));
    assert!(
        v["error_message"]
            .as_str()
            .unwrap()
            .contains("invalid_client"),
        "{v}"
    );
    assert!(!stdout(&out).contains(wrong) && !stderr(&out).contains(wrong));
}

#[test]
fn transport_error_has_no_http_status() {
    // A loopback port that was just free: nothing listens there, the connection is refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let api = format!("--api_base=http://127.0.0.1:{port}");
    let out = cli(
        &[
            "status",
            &api,
            "--url=https://cli.example.com",
            "--max_attempts=1",
            "--connect_timeout=2",
        ],
        &[
            ("JETPACK_PARTNER_ID", ID),
            ("JETPACK_PARTNER_SECRET", SECRET),
        ],
    );
    assert_failure(&out, "transport_error", None);
}

#[test]
fn bad_command_lines_exit_2_with_usage_and_send_nothing() {
    let sb = sandbox();
    assert_usage(
        &call(&sb, "provision", &["--bogus=1"]),
        "unknown flag --bogus",
    );
    assert_usage(&call(&sb, "provision", &["--user"]), "--user needs a value");
    assert_usage(
        &call(&sb, "status", &["--plan=premium"]),
        "--plan does not apply to status",
    );
    assert_usage(
        &call(&sb, "cancel", &["https://cli.example.com"]),
        "unexpected argument",
    );
    assert_usage(
        &call(&sb, "cancel", &["--url=https://a.example", "--blog_id=5"]),
        "only one of",
    );
    assert_usage(&cli(&["deprovision"], &[]), "unknown command 'deprovision'");
    assert_usage(&cli(&[], &[]), "no command given");
    assert_eq!(total_requests(&sb), 0);
}

#[test]
fn help_and_version() {
    let out = cli(&["--version"], &[]);
    assert_eq!(code(&out), 0);
    assert_eq!(
        stdout(&out),
        format!("jetpack-partner {}\n", env!("CARGO_PKG_VERSION"))
    );
    let out = cli(&["--help"], &[]);
    assert_eq!(code(&out), 0);
    let text = stdout(&out);
    for needle in [
        "provision",
        "cancel",
        "partner-key-new",
        "status",
        "JETPACK_PARTNER_SECRET",
    ] {
        assert!(text.contains(needle), "{needle}");
    }
    for (args, needle) in [
        (&["help", "provision"][..], "--partner_tracking_id"),
        (&["provision", "--help"], "--ssh_private_key_file"),
        (&["cancel", "-h"], "--cancel_all"),
        (
            &["partner-key-new", "--help"],
            "--allowed_professional_plans",
        ),
        (&["status", "--help"], "--blog_id"),
    ] {
        let out = cli(args, &[]);
        assert_eq!(code(&out), 0, "{args:?}");
        assert!(
            stdout(&out).contains(needle),
            "{args:?} help lacks {needle}"
        );
        assert_eq!(stderr(&out), "");
    }
}

#[test]
fn provision_status_cancel_round_trip() {
    let sb = sandbox();
    let url = "https://cli-trip.example.com/blog";
    let out = call(
        &sb,
        "provision",
        &["--user=admin", &format!("--url={url}"), "--plan=premium"],
    );
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    let out = call(&sb, "status", &[&format!("--url={url}")]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    let v = json(&out);
    assert!(v["blog"].is_object() && v["products"].is_array(), "{v}");
    let out = call(&sb, "cancel", &["--site=cli-trip.example.com::blog"]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    assert_eq!(json(&out)["success"], Value::Bool(true));
    // Nothing left to cancel: the server says so, and that is not a failure of the call.
    let out = call(&sb, "cancel", &[&format!("--url={url}")]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    assert_eq!(json(&out)["success"], Value::Bool(false));
}

#[test]
fn partner_key_new_prints_the_new_credentials() {
    let sb = sandbox();
    let out = call(
        &sb,
        "partner-key-new",
        &[
            "--name=CLI bundle",
            "--allowed_premium_plans=100",
            "--notes=from the tests",
        ],
    );
    assert_eq!(
        code(&out),
        0,
        "stdout {:?} stderr {:?}",
        stdout(&out),
        stderr(&out)
    );
    let v = json(&out);
    assert_eq!(v["name"], "CLI bundle", "{v}");
    assert!(
        v["client_id"].is_string() && v["client_secret"].is_string(),
        "{v}"
    );
}

#[test]
fn wp_cli_only_flags_are_ignored_with_a_note() {
    let sb = sandbox();
    let out = call(
        &sb,
        "provision",
        &[
            "--user=admin",
            "--url=https://cli-home.example.com",
            "--home_url=https://elsewhere.example.com",
            "--site-url=https://elsewhere.example.com",
            "--allow-root",
        ],
    );
    assert_eq!(
        code(&out),
        0,
        "stdout {:?} stderr {:?}",
        stdout(&out),
        stderr(&out)
    );
    assert_eq!(json(&out)["success"], Value::Bool(true));
    let err = stderr(&out);
    for name in ["--home_url", "--site_url", "--allow_root"] {
        assert!(err.contains(&format!("{name} is ignored")), "{err}");
    }
}

#[test]
fn provision_takes_a_site_url_without_scheme_as_the_whmcs_module_sends_it() {
    let sb = sandbox();
    let out = call(
        &sb,
        "provision",
        &[
            "--user=admin",
            "--url=cli-bare.example.com/blog",
            "--plan=premium",
        ],
    );
    assert_eq!(code(&out), 0, "{} {}", stdout(&out), stderr(&out));
    let v = json(&out);
    assert_eq!(v["success"], Value::Bool(true), "{v}");
    // The sandbox read it without a scheme (and takes http:// for a site it did not know).
    assert!(
        v["next_url"]
            .as_str()
            .unwrap()
            .contains("siteurl=http%3A%2F%2Fcli-bare.example.com%2Fblog"),
        "{v}"
    );
    // The same site, however it is named.
    let out = call(&sb, "status", &["--url=https://cli-bare.example.com/blog"]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    assert_eq!(json(&out)["products"][0]["slug"], "premium");
}

#[test]
fn every_flag_of_the_newest_scripts_is_accepted() {
    let sb = sandbox();
    // partner-provision.sh's flags, as a panel calls the script.
    let out = call(
        &sb,
        "provision",
        &[
            "--user=admin",
            "--url=https://cli-script.example.com",
            "--plan=premium",
            "--onboarding=1",
            "--wpcom_user_id=4242",
            "-e=owner@cli-script.example.com",
            "--force_connect=1",
            "--force_register=1",
            "--partner-tracking-id=stage-3",
            "--allow-root",
            "--wp-cli-path=/usr/local/bin/wp",
        ],
    );
    assert_eq!(code(&out), 0, "{} {}", stdout(&out), stderr(&out));
    let v = json(&out);
    assert_eq!(v["auth_required"], Value::Bool(false), "{v}");
    assert!(v["access_token"].is_string(), "{v}");
    let err = stderr(&out);
    for name in ["--allow_root", "--wp_cli_path"] {
        assert!(err.contains(&format!("{name} is ignored")), "{err}");
    }
    // partner-cancel.sh's flags.
    let out = call(
        &sb,
        "cancel",
        &[
            "--url=https://cli-script.example.com",
            "--partner-tracking-id=stage-3",
            "--allow-root",
        ],
    );
    assert_eq!(code(&out), 0, "{} {}", stdout(&out), stderr(&out));
    assert_eq!(json(&out)["success"], Value::Bool(true));
    assert!(stderr(&out).contains("--allow_root is ignored"));
}

#[test]
fn the_secret_never_appears_in_any_output() {
    let sb = sandbox();
    let base = sb.url().to_string();
    let runs: Vec<Vec<String>> = vec![
        vec![
            "provision".into(),
            "--user=admin".into(),
            "--url=https://cli-s1.example.com".into(),
        ],
        vec![
            "provision".into(),
            "--user=admin".into(),
            "--url=https://cli-s2.example.com".into(),
            "--plan=bogus-plan".into(),
        ],
        vec![
            "provision".into(),
            "--url=not a url".into(),
            "--user=a".into(),
        ],
        vec!["status".into(), "--url=https://cli-s1.example.com".into()],
        vec!["cancel".into(), "--blog_id=999999".into()],
        vec!["provision".into(), "--bogus".into()],
        vec!["provision".into(), "--help".into()],
        vec!["status".into(), format!("--partner_secretx={SECRET}")],
        vec!["status".into(), "--partner_secret=".into(), SECRET.into()],
    ];
    for run in runs {
        let mut args: Vec<&str> = run.iter().map(String::as_str).collect();
        let id = format!("--partner_id={ID}");
        let secret = format!("--partner_secret={SECRET}");
        let api = format!("--api_base={base}");
        args.splice(1..1, [id.as_str(), secret.as_str(), api.as_str()]);
        let out = cli(&args, &[("JETPACK_PARTNER_SECRET", SECRET)]);
        assert!(!stdout(&out).contains(SECRET), "{run:?}: {}", stdout(&out));
        assert!(!stderr(&out).contains(SECRET), "{run:?}: {}", stderr(&out));
        assert!(code(&out) <= 2, "{run:?}");
    }
}

#[test]
fn the_shell_example_is_a_drop_in_replacement() {
    let sb = sandbox();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/shell/provision.sh"
    );
    let out = Command::new("sh")
        .arg(script)
        .args([
            &format!("--partner_id={ID}"),
            &format!("--partner_secret={SECRET}"),
            "--user=admin",
            "--plan=premium",
            "--url=https://cli-shell.example.com",
        ])
        .env_clear()
        .env("JETPACK_PARTNER_CLI", BIN)
        .env("JETPACK_PARTNER_API_BASE", sb.url())
        .output()
        .unwrap();
    assert_eq!(
        code(&out),
        0,
        "stdout {:?} stderr {:?}",
        stdout(&out),
        stderr(&out)
    );
    assert_eq!(json(&out)["success"], Value::Bool(true));
    let out = Command::new("sh")
        .arg(script)
        .arg("--plan=premium")
        .env_clear()
        .env("JETPACK_PARTNER_CLI", BIN)
        .output()
        .unwrap();
    assert_failure(&out, "invalid_argument", None);
}

#[test]
fn options_reach_the_server() {
    let sb = sandbox();
    let url = "https://cli-opts.example.com";
    let out = call(
        &sb,
        "provision",
        &[
            "--user=admin",
            &format!("--url={url}"),
            "--plan=premium",
            "--ssh_user=backup",
            "--ssh_pass=ssh-pass-value",
            "--ssh_host=cli-opts.example.com",
            "--ssh_port=2222",
            "--partner_tracking_id=staging-3",
        ],
    );
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    assert_eq!(json(&out)["ssh_set"], Value::Bool(true), "{}", stdout(&out));
    let out = call(&sb, "status", &[&format!("--url={url}")]);
    let v = json(&out);
    assert_eq!(
        v["blog"]["has_backups_credentials"],
        Value::Bool(true),
        "{v}"
    );
    // The blog ID from the status names the same site.
    let blog_id = v["blog"]["blog_id"].as_u64().expect("blog_id").to_string();
    let out = call(&sb, "status", &[&format!("--blog_id={blog_id}")]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    assert_eq!(
        json(&out)["blog"]["blog_id"]
            .as_u64()
            .map(|n| n.to_string()),
        Some(blog_id)
    );
    // --cancel_all is sent: the reply lists what was cancelled.
    let out = call(&sb, "cancel", &[&format!("--url={url}"), "--cancel_all"]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    let v = json(&out);
    assert!(
        v["pending_activations"].is_array() && v["activations"].is_array(),
        "{v}"
    );
}

#[test]
fn client_settings_reach_the_library() {
    let sb = sandbox();
    // --timeout: a reply slower than the limit is a timeout.
    control(
        &sb,
        "POST",
        "/__sandbox/faults",
        r#"{"endpoint": "status", "kind": "delay", "delay_ms": 3000, "count": 0}"#,
    );
    let out = call(
        &sb,
        "status",
        &[
            "--url=https://cli.example.com",
            "--timeout=0.5",
            "--max_attempts=1",
        ],
    );
    assert_failure(&out, "timeout", None);
    control(&sb, "DELETE", "/__sandbox/faults", "");
    // --max_attempts: a retryable 503 is tried exactly that many times.
    control(
        &sb,
        "POST",
        "/__sandbox/faults",
        r#"{"endpoint": "status", "kind": "status", "status": 503, "count": 0}"#,
    );
    let before = requests_to(&sb, "status");
    let out = call(
        &sb,
        "status",
        &["--url=https://cli.example.com", "--max_attempts=2"],
    );
    assert_failure(&out, "sandbox_fault", Some(503));
    assert_eq!(requests_to(&sb, "status") - before, 2);
    // --proxy and --ca_bundle are checked by the library.
    let out = call(
        &sb,
        "status",
        &[
            "--url=https://cli.example.com",
            "--proxy=socks5://127.0.0.1:1",
        ],
    );
    let v = assert_failure(&out, "invalid_argument", None);
    assert!(
        v["error_message"].as_str().unwrap().starts_with("proxy"),
        "{v}"
    );
    let out = call(
        &sb,
        "status",
        &[
            "--url=https://cli.example.com",
            "--ca_bundle=/nonexistent/ca.pem",
        ],
    );
    let v = assert_failure(&out, "invalid_argument", None);
    assert!(
        v["error_message"]
            .as_str()
            .unwrap()
            .starts_with("ca_bundle"),
        "{v}"
    );
}

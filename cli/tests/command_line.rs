//! The forms of the command line the old scripts and the tool accept, seen from outside: the
//! values reach the server, and no error ever shows a value.

use jetpack_partner_sandbox::Sandbox;
use serde_json::Value;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_jetpack-partner");
const ID: &str = "12345";
const SECRET: &str = "sandbox-demo-secret";

/// Runs the tool with only the given environment variables.
fn cli(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.env_clear().args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the tool runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8 output")
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("the tool exits normally")
}

fn reply(out: &Output) -> Value {
    serde_json::from_str(text(&out.stdout).trim()).unwrap_or_else(|e| {
        panic!(
            "stdout is JSON ({e}): {} / {}",
            text(&out.stdout),
            text(&out.stderr)
        )
    })
}

/// Provisions with the sandbox's credentials in the old scripts' one-letter forms.
fn provision(sb: &Sandbox, site: &str, flags: &[&str]) -> Output {
    let id = format!("-c={ID}");
    let base = format!("--api-base={}", sb.url());
    let url = format!("https://{site}");
    let mut args = vec![
        "provision",
        &id,
        "-s",
        SECRET,
        &base,
        "-i",
        "admin",
        "-u",
        &url,
    ];
    args.extend_from_slice(flags);
    cli(&args, &[])
}

#[test]
fn every_form_reaches_the_server() {
    let sb = Sandbox::start(Default::default()).expect("the sandbox starts");
    // Mixed spellings, switches in each form, values in both forms.
    let out = provision(
        &sb,
        "forms-1.example.com",
        &[
            "--plan",
            "premium",
            "--force-register",
            "--force_connect",
            "0",
            "-o=false",
            "--partner_tracking-id=stage-1",
            "--ssh-user",
            "backup",
            "--ssh_pass",
            "-starts-with-a-dash",
            "--ssh-host=forms-1.example.com",
            "--ssh_port",
            "2222",
        ],
    );
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let v = reply(&out);
    assert_eq!(v["success"], Value::Bool(true), "{v}");
    assert_eq!(v["ssh_set"], Value::Bool(true), "{v}");
    // The last of a repeated flag wins: a bogus plan given first is not sent...
    let out = provision(
        &sb,
        "forms-2.example.com",
        &["--plan=bogus-plan", "-p", "premium"],
    );
    assert_eq!(code(&out), 0, "{}", text(&out.stdout));
    // ...and given last, it is.
    let out = provision(
        &sb,
        "forms-3.example.com",
        &["-p=premium", "--plan", "bogus-plan"],
    );
    assert_eq!(code(&out), 1);
    assert_eq!(reply(&out)["error_code"], "invalid_plan");
    // An empty value is not given: no plan is sent, and the server's default applies.
    let out = provision(
        &sb,
        "forms-4.example.com",
        &["--plan=bogus-plan", "--plan="],
    );
    assert_eq!(code(&out), 0, "{}", text(&out.stdout));
    assert_eq!(reply(&out)["success"], Value::Bool(true));
}

#[test]
fn errors_name_the_flag_and_never_show_its_value() {
    let secret = "s3cr3t-Value-9f8e7d";
    let env = [
        ("JETPACK_PARTNER_ID", ID),
        ("JETPACK_PARTNER_SECRET", SECRET),
        // Nothing listens there: no case may get as far as a request.
        ("JETPACK_PARTNER_API_BASE", "http://127.0.0.1:1"),
    ];
    let site = "--url=https://a.example";
    let cases: Vec<(Vec<String>, i32, &str)> = vec![
        // An unknown flag with a value: a mistyped --partner_secret.
        (
            vec![
                "status".into(),
                site.into(),
                format!("--partner_secrt={secret}"),
            ],
            2,
            "unknown flag --partner_secrt for status",
        ),
        (
            vec![
                "status".into(),
                site.into(),
                "--partner-secrt".into(),
                secret.into(),
            ],
            2,
            "unknown flag --partner-secrt for status",
        ),
        (
            vec!["status".into(), site.into(), format!("--plan={secret}")],
            2,
            "--plan does not apply to status",
        ),
        (
            vec!["status".into(), site.into(), format!("-s{secret}")],
            2,
            "-s... is not a flag of status",
        ),
        (
            vec![format!("--partner_secret={secret}"), "status".into()],
            2,
            "--partner_secret comes before the command",
        ),
        // A missing value: the next word is a flag, or there is none.
        (
            vec![
                "status".into(),
                site.into(),
                "--partner_secret".into(),
                format!("--{secret}"),
            ],
            2,
            "--partner_secret needs a value",
        ),
        (
            vec!["status".into(), site.into(), "-s".into()],
            2,
            "-s needs a value",
        ),
        // A stray word, before or after `--`.
        (
            vec![
                "cancel".into(),
                site.into(),
                "--cancel_all".into(),
                secret.into(),
            ],
            2,
            "unexpected argument 4 (not a flag)",
        ),
        (
            vec!["status".into(), site.into(), "--".into(), secret.into()],
            2,
            "unexpected argument 4 after `--`",
        ),
        // A bad value for a numeric flag, a duration, a switch.
        (
            vec![
                "provision".into(),
                "--user=admin".into(),
                site.into(),
                format!("--wpcom_user_id={secret}"),
            ],
            1,
            "wpcom_user_id: expected a non-negative whole number",
        ),
        (
            vec![
                "status".into(),
                site.into(),
                "--max-attempts".into(),
                secret.into(),
            ],
            1,
            "max_attempts: expected a whole number of at least 1",
        ),
        (
            vec!["status".into(), site.into(), format!("--timeout={secret}")],
            1,
            "timeout: expected a positive number of seconds",
        ),
        (
            vec!["cancel".into(), format!("--blog_id={secret}")],
            1,
            "blog_id: expected a numeric blog ID",
        ),
        (
            vec!["errors".into(), format!("--verbose={secret}")],
            1,
            "verbose: expected true, false, 1 or 0",
        ),
        (
            vec![
                "bulk".into(),
                "provision".into(),
                "--input=-".into(),
                format!("--concurrency={secret}"),
            ],
            3,
            "concurrency: expected a whole number from 1 to",
        ),
    ];
    for (args, expected_code, needle) in cases {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = cli(&refs, &env);
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        assert_eq!(code(&out), expected_code, "{args:?}: {stdout} {stderr}");
        assert!(
            !stdout.contains(secret) && !stderr.contains(secret),
            "{args:?} shows the value: {stdout} {stderr}"
        );
        if expected_code == 2 {
            assert_eq!(stdout, "", "{args:?}");
            assert!(stderr.contains(needle), "{args:?}: {stderr}");
            assert!(
                stderr.contains("Usage: jetpack-partner"),
                "{args:?}: {stderr}"
            );
        } else {
            let v = reply(&out);
            assert_eq!(v["error_code"], "invalid_argument", "{args:?}: {v}");
            let message = v["error_message"].as_str().unwrap_or_default();
            assert!(message.starts_with(needle), "{args:?}: {message}");
        }
    }
}

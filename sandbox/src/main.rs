//! `jetpack-partner-sandbox`: runs the sandbox until SIGINT or SIGTERM.

#![forbid(unsafe_code)]

use jetpack_partner_sandbox::{
    Config, Sandbox, TlsSource, DEMO_PARTNER_ID, DEMO_PARTNER_SECRET, DEMO_USER_PASSWORD,
};
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

fn usage() -> String {
    format!(
        "Usage: jetpack-partner-sandbox [--listen ADDR] [--state PATH] [--partner ID:SECRET]...
                              [--tls [--tls-ca-out PATH] | --tls-cert PATH --tls-key PATH]

An offline emulator of WordPress.com's Jetpack hosting-partner API. Prints its
base URL (http://HOST:PORT, https:// with TLS) as the first line of stdout,
then serves until SIGINT or SIGTERM.

Options:
  --listen ADDR          address to listen on (default 127.0.0.1:0, a free port)
  --state PATH           journal file keeping the state across restarts; every
                         acknowledged change is on disk before the reply.
                         Without it, the state lives in memory only.
  --partner ID:SECRET    a partner's client credentials (repeatable). Without
                         any, the demo partner {DEMO_PARTNER_ID}:{DEMO_PARTNER_SECRET} exists.
  --user-password PASS   password of each partner's WordPress.com user
                         `partner-<ID>` (default {DEMO_USER_PASSWORD})
  --max-body BYTES       largest accepted request body (default 1048576; 413 past it)
  --no-control           do not serve the /__sandbox/ control endpoints
  --tls                  serve HTTPS (and plain HTTP, on the same port) with a
                         certificate made at start-up for localhost, 127.0.0.1,
                         ::1 and public-api.wordpress.com, signed by a new CA
                         whose certificate is written to --tls-ca-out
  --tls-ca-out PATH      where --tls writes its CA certificate (PEM); default
                         jetpack-partner-sandbox-ca.pem in the temporary directory
  --tls-name NAME        one more host name or IP address for --tls (repeatable)
  --tls-cert PATH        serve HTTPS with this certificate chain (PEM) ...
  --tls-key PATH         ... and its private key (PEM)
  --public-url URL       base of the links handed out (next_url), e.g. the
                         address of a TLS front; default: the scheme and Host
                         each request came with
  -h, --help             show this help

Flags take their value as `--flag VALUE` or `--flag=VALUE`.
See the crate's README for the endpoints and the control API.
"
    )
}

fn fail(message: &str) -> ! {
    eprintln!("jetpack-partner-sandbox: {message}");
    eprintln!("Try --help.");
    std::process::exit(2);
}

fn parse_args() -> Config {
    let mut cfg = Config::default();
    let mut generate = false;
    let mut ca_out: Option<PathBuf> = None;
    let mut names: Vec<String> = Vec::new();
    let mut cert: Option<PathBuf> = None;
    let mut key: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let name = name.replace('_', "-");
        let mut value = |flag: &str| -> String {
            inline
                .clone()
                .or_else(|| args.next())
                .unwrap_or_else(|| fail(&format!("{flag} needs a value")))
        };
        match name.as_str() {
            "-h" | "--help" => {
                print!("{}", usage());
                std::process::exit(0);
            }
            "--listen" => cfg.listen = value("--listen"),
            "--state" => cfg.state = Some(value("--state").into()),
            "--partner" => {
                let v = value("--partner");
                match v.split_once(':') {
                    Some((id, secret)) if !id.is_empty() && !secret.is_empty() => {
                        cfg.partners.push((id.to_string(), secret.to_string()))
                    }
                    _ => fail("--partner takes ID:SECRET"),
                }
            }
            "--user-password" => cfg.user_password = value("--user-password"),
            "--max-body" => {
                cfg.max_body_bytes = value("--max-body")
                    .parse()
                    .unwrap_or_else(|_| fail("--max-body takes a number of bytes"))
            }
            "--no-control" => cfg.control = false,
            "--tls" => generate = true,
            "--tls-ca-out" => ca_out = Some(value("--tls-ca-out").into()),
            "--tls-name" => names.push(value("--tls-name")),
            "--tls-cert" => cert = Some(value("--tls-cert").into()),
            "--tls-key" => key = Some(value("--tls-key").into()),
            "--public-url" => cfg.public_url = Some(value("--public-url")),
            other => fail(&format!("unknown argument {other:?}")),
        }
    }
    cfg.tls = match (generate, cert, key) {
        (false, None, None) => {
            if ca_out.is_some() || !names.is_empty() {
                fail("--tls-ca-out and --tls-name go with --tls");
            }
            None
        }
        (false, Some(cert), Some(key)) => {
            if ca_out.is_some() || !names.is_empty() {
                fail("--tls-ca-out and --tls-name go with --tls, not --tls-cert");
            }
            Some(TlsSource::Files { cert, key })
        }
        (false, _, _) => fail("--tls-cert and --tls-key go together"),
        (true, None, None) => Some(TlsSource::Generate {
            ca_out: ca_out
                .unwrap_or_else(|| std::env::temp_dir().join("jetpack-partner-sandbox-ca.pem")),
            names,
        }),
        (true, _, _) => fail("give --tls or --tls-cert/--tls-key, not both"),
    };
    cfg
}

fn main() {
    let cfg = parse_args();
    let ca_out = match &cfg.tls {
        Some(TlsSource::Generate { ca_out, .. }) => Some(ca_out.clone()),
        _ => None,
    };
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        if let Err(e) = signal_hook::flag::register(sig, stop.clone()) {
            eprintln!("jetpack-partner-sandbox: cannot handle signals: {e}");
            std::process::exit(1);
        }
    }
    let sandbox = match Sandbox::start(cfg) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("jetpack-partner-sandbox: {e}");
            std::process::exit(1);
        }
    };
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", sandbox.url());
        let _ = out.flush();
    }
    if let Some(path) = ca_out {
        eprintln!(
            "jetpack-partner-sandbox: HTTPS certificate made for {}; its CA certificate is {} \
             (trust it, e.g. CURL_CA_BUNDLE={})",
            jetpack_partner_sandbox::TLS_DEFAULT_NAMES.join(", "),
            path.display(),
            path.display()
        );
    }
    while !stop.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(50));
    }
    eprintln!("jetpack-partner-sandbox: stopping");
    drop(sandbox);
}

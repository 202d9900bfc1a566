//! `jetpack-partner-sandbox`: runs the sandbox until SIGINT or SIGTERM.

use jetpack_partner_sandbox::{
    Config, Sandbox, DEMO_PARTNER_ID, DEMO_PARTNER_SECRET, DEMO_USER_PASSWORD,
};
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

fn usage() -> String {
    format!(
        "Usage: jetpack-partner-sandbox [--listen ADDR] [--state PATH] [--partner ID:SECRET]...

An offline emulator of WordPress.com's Jetpack hosting-partner API. Prints its
base URL (http://HOST:PORT) as the first line of stdout, then serves until
SIGINT or SIGTERM.

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
            other => fail(&format!("unknown argument {other:?}")),
        }
    }
    cfg
}

fn main() {
    let cfg = parse_args();
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
    while !stop.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(50));
    }
    eprintln!("jetpack-partner-sandbox: stopping");
    drop(sandbox);
}

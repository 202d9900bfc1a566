//! `jetpack-partner`: the command-line tool, a drop-in replacement for the old
//! `bin/partner-provision.sh` and `bin/partner-cancel.sh`.
//!
//! Exit status: 0 success (the server's JSON on stdout), 1 failure (the error JSON on
//! stdout), 2 bad command line (usage on stderr).

#![forbid(unsafe_code)]

mod api;
mod api_args;
mod args;
mod bulk;
mod bulk_input;
mod grammar;
mod help;
mod loopback;
mod output;
mod progress;
mod reconcile_cmd;
mod table;

use api::Failure;
use args::{Call, Invocation, Plan, Settings};
use jetpack_partner_core::{Client, ClientConfig, Error};
use std::io::Write;
use std::process::ExitCode;

const EXIT_FAILURE: u8 = 1;
const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    let argv: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    match args::parse(&argv) {
        Err(e) => {
            eprint!(
                "jetpack-partner: error: {}\n{}",
                e.message,
                help::usage(e.command)
            );
            ExitCode::from(EXIT_USAGE)
        }
        Ok(Invocation::Help(command)) => print(&help::help(command), ExitCode::SUCCESS),
        Ok(Invocation::Version) => print(&help::version(), ExitCode::SUCCESS),
        Ok(Invocation::Run(raw)) => {
            for name in &raw.ignored {
                eprintln!(
                    "jetpack-partner: note: --{name} is ignored: it only applied to the scripts' \
                     WP-CLI run; WordPress.com reaches the site at --url"
                );
            }
            match args::resolve(&raw, |name| std::env::var(name).ok()) {
                Err(e) => print(
                    &output::failure("invalid_argument", &e.0, None, None),
                    ExitCode::from(if bulk::runs_many(raw.command) {
                        bulk::EXIT_NOT_STARTED
                    } else {
                        EXIT_FAILURE
                    }),
                ),
                Ok(plan) => {
                    // Masked in failure messages (defence in depth: the library never puts them there).
                    let mut secrets = vec![plan.settings.partner_secret.clone()];
                    if let Call::Api(call) = &plan.call {
                        if let Some(token) = call.user_token() {
                            secrets.push(token.clone());
                        }
                    }
                    if let Call::Bulk(call) = plan.call {
                        return bulk::run(plan.settings, call, &secrets);
                    }
                    let (text, code) = match execute(plan) {
                        Ok(text) => (text, ExitCode::SUCCESS),
                        Err(f) => (
                            output::failure_masked(&f.code, &f.message, f.http_status, &secrets),
                            ExitCode::from(EXIT_FAILURE),
                        ),
                    };
                    print(&text, code)
                }
            }
        }
    }
}

/// Writes to stdout; a failed write (closed pipe) turns the exit status into a failure.
fn print(text: &str, code: ExitCode) -> ExitCode {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => code,
        Err(_) => ExitCode::from(EXIT_FAILURE),
    }
}

pub(crate) fn client(settings: Settings) -> Result<Client, Error> {
    let mut cfg = ClientConfig::new(&settings.partner_id, settings.partner_secret.expose());
    if let Some(base) = settings.api_base {
        cfg.api_base = base;
    }
    if let Some(t) = settings.timeout {
        cfg.timeout = t;
    }
    if let Some(t) = settings.connect_timeout {
        cfg.connect_timeout = t;
    }
    if let Some(proxy) = settings.proxy {
        cfg.proxy = Some(proxy);
    }
    if let Some(path) = settings.ca_bundle {
        cfg.ca_bundle = Some(path.into());
    }
    if let Some(n) = settings.max_attempts {
        cfg.max_attempts = n;
    }
    if let Some(dir) = settings.token_cache_dir {
        cfg.token_cache_dir = Some(dir.into());
    }
    if let Some(t) = settings.idle_timeout {
        cfg.idle_timeout = t;
    }
    Client::new(cfg)
}

fn execute(plan: Plan) -> Result<String, Failure> {
    let partner_id = plan.settings.partner_id.clone();
    let api_base = plan
        .settings
        .api_base
        .clone()
        .unwrap_or_else(|| jetpack_partner_core::DEFAULT_API_BASE.to_owned());
    let client = client(plan.settings)?;
    let reply = match plan.call {
        Call::Provision {
            user,
            siteurl,
            plan,
            options,
        } => client.provision(&user, &siteurl, plan.as_deref(), &options),
        Call::Cancel { site, options } => client.cancel(&site, &options),
        Call::PartnerKeyNew { name, options } => client.partner_key_new(&name, &options),
        Call::Status { site } => client.status(&site),
        Call::Api(call) => return api::execute(&client, call, plan.format, &partner_id, &api_base),
        Call::Bulk(_) => return Err(Failure::new("internal", "bulk calls run apart")),
    }?;
    Ok(output::success(&reply.body))
}

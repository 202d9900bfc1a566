//! The second stage of [`crate::args::resolve`] for the commands of the whole API:
//! reporting, licensing, OAuth (`login`, `token-info`), the generic `request`, and the
//! remaining partner endpoints. Pure, like the rest of the parsing: files are read
//! (`--token-file`), nothing is sent.

use crate::args::{
    invalid, put_str, required, seconds, site, Command, InvalidArgument, Options, Raw,
};
use jetpack_partner_core::Secret;
use serde_json::Value;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// Where a user token may come from, after `--user_token` and `--token-file`.
pub const ENV_USER_TOKEN: &str = "JETPACK_PARTNER_USER_TOKEN";

/// How `login` waits for the browser by default.
pub const DEFAULT_LOGIN_WAIT: Duration = Duration::from_secs(300);

/// How a successful reply is printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// One line of JSON on stdout.
    Json,
    /// A table for a person.
    Table,
    /// A table when stdout is a terminal, else JSON.
    Auto,
}

/// Option names shown by `Debug` in place of their values (they may be secrets).
#[derive(Clone, PartialEq)]
pub struct Fields(pub Options);

impl fmt::Debug for Fields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.keys()).finish()
    }
}

/// A JSON body, never shown by `Debug`.
#[derive(Clone, PartialEq)]
pub struct Body(pub Value);

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Body(..)")
    }
}

/// Which token a generic request carries.
#[derive(Clone, Debug, PartialEq)]
pub enum RequestAuth {
    Partner,
    User(Secret),
    None,
}

/// `request METHOD PATH ...`.
#[derive(Clone, Debug, PartialEq)]
pub struct RequestPlan {
    pub method: String,
    pub path: String,
    pub query: Fields,
    pub form: Option<Fields>,
    pub json: Option<Body>,
    pub auth: RequestAuth,
}

/// `login`.
#[derive(Clone, Debug, PartialEq)]
pub struct LoginPlan {
    /// 0: a free port chosen by the system.
    pub port: u16,
    pub wait: Duration,
    pub open: bool,
    pub print: bool,
    pub token_file: Option<PathBuf>,
    pub scope: Option<String>,
    pub blog: Option<String>,
}

/// The calls of the whole API. Tokens are [`Secret`]s: `Debug` never shows them.
#[derive(Clone, Debug, PartialEq)]
pub enum ApiCall {
    StatusV12 {
        site: String,
    },
    UpgradePaths {
        site: String,
    },
    Errors {
        verbose: bool,
    },
    PartnerKeysVerify,
    Activations {
        token: Secret,
        partner: String,
        key_id: String,
        options: Options,
        all: bool,
    },
    ActivationsSummary {
        token: Secret,
        options: Options,
    },
    Invoices {
        token: Secret,
        partner: String,
        key_id: String,
    },
    UpcomingInvoice {
        token: Secret,
        partner: String,
        key_id: String,
    },
    Partner {
        token: Secret,
    },
    TokenInfo {
        token: Secret,
    },
    Request(RequestPlan),
    LicenseIssue {
        product: String,
    },
    LicenseStatus {
        license_key: String,
    },
    LicenseRevoke {
        license_key: String,
    },
    LicenseAttach {
        license_key: String,
        site: String,
    },
    LicenseDetach {
        license_key: String,
        cancellation_email: Option<bool>,
    },
    ProductFamilies,
    LicensingPartner {
        token: Secret,
    },
    SiteConnection {
        url: String,
        local_user: String,
    },
    Login(LoginPlan),
}

impl ApiCall {
    /// The user token the call carries, if any (masked in failure messages).
    pub fn user_token(&self) -> Option<&Secret> {
        match self {
            ApiCall::Activations { token, .. }
            | ApiCall::ActivationsSummary { token, .. }
            | ApiCall::Invoices { token, .. }
            | ApiCall::UpcomingInvoice { token, .. }
            | ApiCall::Partner { token }
            | ApiCall::TokenInfo { token }
            | ApiCall::LicensingPartner { token } => Some(token),
            ApiCall::Request(RequestPlan {
                auth: RequestAuth::User(token),
                ..
            }) => Some(token),
            _ => None,
        }
    }
}

/// Checks of the command line's shape that depend on a command's words (exit 2 when
/// they fail): the flags of a `license` action, `login`'s destination.
pub fn check(raw: &Raw) -> Result<(), String> {
    match raw.command {
        Command::License => {
            // One of the actions: the grammar allows no other.
            let action = raw.operands.first().map(String::as_str).unwrap_or("");
            let allowed: &[&str] = match action {
                "issue" => &["product"],
                "status" | "revoke" => &["license_key"],
                "attach" => &["license_key", "url", "site", "blog_id"],
                _ => &["license_key", "cancellation_email"],
            };
            for name in [
                "product",
                "license_key",
                "url",
                "site",
                "blog_id",
                "cancellation_email",
            ] {
                if raw.given(name) && !allowed.contains(&name) {
                    return Err(format!("--{name} does not apply to license {action}"));
                }
            }
            Ok(())
        }
        Command::Login => {
            if !raw.given("token_file") && !raw.given("print") {
                return Err(
                    "login needs --token-file=PATH (the token is stored there) or --print".into(),
                );
            }
            Ok(())
        }
        Command::Request => {
            if raw.given("form") && raw.given("json") {
                return Err("give --form or --json, not both".into());
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// How the command's success is printed.
pub fn format(raw: &Raw) -> Result<Format, InvalidArgument> {
    if raw.command == Command::Request {
        return Ok(Format::Json);
    }
    let tables = matches!(
        raw.command,
        Command::Activations
            | Command::ActivationsSummary
            | Command::Invoices
            | Command::UpcomingInvoice
            | Command::Reconcile
    );
    if tables {
        match (raw.switch("table")?, raw.switch("json")?) {
            (Some(true), _) | (_, Some(false)) => return Ok(Format::Table),
            (Some(false), _) | (_, Some(true)) => return Ok(Format::Json),
            (None, None) => return Ok(Format::Auto),
        }
    }
    raw.switch("json")?;
    Ok(Format::Json)
}

/// The user token: `--user_token`, else the file of `--token-file`, else `$JETPACK_PARTNER_USER_TOKEN`.
pub fn user_token(
    raw: &Raw,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Secret, InvalidArgument> {
    if let Some(t) = raw.get("user_token") {
        return Ok(Secret::new(t));
    }
    if let Some(path) = raw.get("token_file") {
        let text = std::fs::read_to_string(path)
            .map_err(|e| invalid(format!("token_file: cannot read '{path}': {e}")))?;
        let token = text.trim();
        if token.is_empty() {
            return Err(invalid(format!("token_file: '{path}' is empty")));
        }
        if token.chars().any(char::is_whitespace) {
            return Err(invalid(format!(
                "token_file: '{path}' must hold the token alone, on one line"
            )));
        }
        return Ok(Secret::new(token));
    }
    env(ENV_USER_TOKEN).map(Secret::new).ok_or_else(|| {
        invalid(format!(
            "user_token: missing; pass --token-file=PATH (written by 'jetpack-partner login'), \
             set {ENV_USER_TOKEN} or pass --user_token"
        ))
    })
}

fn whole_number(raw: &Raw, name: &str, min: u64) -> Result<Option<u64>, InvalidArgument> {
    match raw.get(name) {
        None => Ok(None),
        Some(v) => v
            .parse::<u64>()
            .ok()
            .filter(|n| *n >= min)
            .map(Some)
            .ok_or_else(|| invalid(format!("{name}: expected a whole number of at least {min}"))),
    }
}

/// `--key_id`: the numeric ID of a partner key.
fn key_id(raw: &Raw) -> Result<String, InvalidArgument> {
    let id = required(
        raw,
        "key_id",
        "key_id",
        "--key_id=ID (see 'jetpack-partner partner')",
    )?;
    numeric("key_id", &id)?;
    Ok(id)
}

fn numeric(name: &str, v: &str) -> Result<(), InvalidArgument> {
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(format!("{name}: expected a numeric ID")));
    }
    Ok(())
}

/// The reporting partner ID: `--reporting_partner`, else the partner ID.
fn reporting_partner(raw: &Raw, partner_id: &str) -> Result<String, InvalidArgument> {
    let id = raw
        .get("reporting_partner")
        .unwrap_or(partner_id)
        .to_owned();
    numeric("reporting_partner", &id)?;
    Ok(id)
}

/// `NAME=VALUE` pairs; a name given twice becomes a list.
fn pairs(raw: &Raw, flag: &str) -> Result<Options, InvalidArgument> {
    let mut out = Options::new();
    for item in raw.get_all(flag) {
        let Some((name, value)) = item.split_once('=') else {
            return Err(invalid(format!(
                "{flag}: expected NAME=VALUE, got an item without '='"
            )));
        };
        if name.is_empty() {
            return Err(invalid(format!(
                "{flag}: a NAME=VALUE item has an empty name"
            )));
        }
        let value = Value::String(value.to_owned());
        match out.get_mut(name) {
            None => {
                out.insert(name.to_owned(), value);
            }
            Some(Value::Array(list)) => list.push(value),
            Some(first) => {
                let first = first.take();
                out.insert(name.to_owned(), Value::Array(vec![first, value]));
            }
        }
    }
    Ok(out)
}

/// The call for a command of the whole API. `partner_id` is the resolved partner ID.
pub fn resolve(
    raw: &Raw,
    env: &dyn Fn(&str) -> Option<String>,
    partner_id: &str,
) -> Result<ApiCall, InvalidArgument> {
    let call = match raw.command {
        Command::Status | Command::StatusV12 => ApiCall::StatusV12 { site: site(raw)? },
        Command::UpgradePaths => ApiCall::UpgradePaths { site: site(raw)? },
        Command::Errors => ApiCall::Errors {
            verbose: raw.switch("verbose")?.unwrap_or(false),
        },
        Command::PartnerKeysVerify => ApiCall::PartnerKeysVerify,
        Command::Activations => {
            let mut options = Options::new();
            if let Some(page) = whole_number(raw, "page", 1)? {
                options.insert("page".into(), page.into());
            }
            if let Some(n) = whole_number(raw, "per_page", 1)? {
                options.insert("per_page".into(), n.into());
            }
            if let Some(list) = raw.get("plans") {
                let plans: Vec<Value> = list
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| Value::String(s.to_owned()))
                    .collect();
                if plans.is_empty() {
                    return Err(invalid(
                        "plans: expected a comma-separated list of plan slugs",
                    ));
                }
                options.insert("plans".into(), Value::Array(plans));
            }
            put_str(raw, &mut options, "activated_after");
            put_str(raw, &mut options, "activated_before");
            ApiCall::Activations {
                partner: reporting_partner(raw, partner_id)?,
                key_id: key_id(raw)?,
                all: raw.switch("all")?.unwrap_or(false),
                options,
                token: user_token(raw, env)?,
            }
        }
        Command::ActivationsSummary => {
            let mut options = Options::new();
            if let Some(id) = raw.get("key_id") {
                numeric("key_id", id)?;
                options.insert("key_id".into(), Value::String(id.to_owned()));
            }
            if let Some(scale) = raw.get("scale") {
                if !["day", "month", "year"].contains(&scale) {
                    return Err(invalid("scale: expected day, month or year"));
                }
                options.insert("scale".into(), Value::String(scale.to_owned()));
            }
            ApiCall::ActivationsSummary {
                options,
                token: user_token(raw, env)?,
            }
        }
        Command::Invoices | Command::UpcomingInvoice => {
            let partner = reporting_partner(raw, partner_id)?;
            let key_id = key_id(raw)?;
            let token = user_token(raw, env)?;
            if raw.command == Command::Invoices {
                ApiCall::Invoices {
                    token,
                    partner,
                    key_id,
                }
            } else {
                ApiCall::UpcomingInvoice {
                    token,
                    partner,
                    key_id,
                }
            }
        }
        Command::Partner => ApiCall::Partner {
            token: user_token(raw, env)?,
        },
        Command::TokenInfo => ApiCall::TokenInfo {
            token: user_token(raw, env)?,
        },
        Command::LicensingPartner => ApiCall::LicensingPartner {
            token: user_token(raw, env)?,
        },
        Command::Request => {
            let method = raw.operands[0].to_ascii_uppercase();
            if !["GET", "POST", "PUT", "DELETE"].contains(&method.as_str()) {
                return Err(invalid(
                    "method: expected GET, POST, PUT or DELETE".to_owned(),
                ));
            }
            let path = raw.operands[1].clone();
            if !path.starts_with('/') {
                return Err(invalid(
                    "path: expected a path that starts with '/', e.g. /rest/v1/me",
                ));
            }
            let json = match raw.get("json") {
                None => None,
                Some(text) => {
                    Some(Body(serde_json::from_str(text).map_err(|e| {
                        invalid(format!("json: not valid JSON: {e}"))
                    })?))
                }
            };
            let form = if raw.given("form") {
                Some(Fields(pairs(raw, "form")?))
            } else {
                None
            };
            let auth = match raw.get("auth") {
                Some("partner") => RequestAuth::Partner,
                Some("none") => RequestAuth::None,
                Some("user") => RequestAuth::User(user_token(raw, env)?),
                Some(_) => return Err(invalid("auth: expected partner, user or none")),
                None if raw.given("user_token") || raw.given("token_file") => {
                    RequestAuth::User(user_token(raw, env)?)
                }
                None => RequestAuth::Partner,
            };
            if matches!(auth, RequestAuth::Partner | RequestAuth::None)
                && (raw.given("user_token") || raw.given("token_file"))
            {
                return Err(invalid(
                    "auth: a user token was given with --auth other than user",
                ));
            }
            ApiCall::Request(RequestPlan {
                method,
                path,
                query: Fields(pairs(raw, "query")?),
                form,
                json,
                auth,
            })
        }
        Command::License => {
            let license_key = || required(raw, "license_key", "license_key", "--license_key=KEY");
            match raw.operands[0].as_str() {
                "issue" => ApiCall::LicenseIssue {
                    product: required(raw, "product", "product", "--product=SLUG")?,
                },
                "status" => ApiCall::LicenseStatus {
                    license_key: license_key()?,
                },
                "revoke" => ApiCall::LicenseRevoke {
                    license_key: license_key()?,
                },
                "attach" => ApiCall::LicenseAttach {
                    license_key: license_key()?,
                    site: site(raw)?,
                },
                _ => ApiCall::LicenseDetach {
                    license_key: license_key()?,
                    cancellation_email: raw.switch("cancellation_email")?,
                },
            }
        }
        Command::ProductFamilies => ApiCall::ProductFamilies,
        Command::SiteConnection => ApiCall::SiteConnection {
            url: required(raw, "url", "url", "--url=https://example.com")?,
            local_user: required(raw, "user", "local_user", "--user=LOGIN")?,
        },
        Command::Login => {
            let port = match raw.get("port") {
                None => 0,
                Some(v) => v
                    .parse::<u16>()
                    .map_err(|_| invalid("port: expected a port number from 0 to 65535"))?,
            };
            let scope = raw.get("scope").map(str::to_owned);
            if let Some(s) = &scope {
                if s != "global" && s != "auth" {
                    return Err(invalid("scope: expected global or auth"));
                }
            }
            let print = raw.switch("print")?.unwrap_or(false);
            let token_file = raw.get("token_file").map(PathBuf::from);
            if !print && token_file.is_none() {
                return Err(invalid(
                    "token_file: missing; pass --token-file=PATH (the token is stored there) or --print",
                ));
            }
            ApiCall::Login(LoginPlan {
                port,
                wait: seconds(raw, "wait")?.unwrap_or(DEFAULT_LOGIN_WAIT),
                open: raw.switch("open")?.unwrap_or(false),
                print,
                token_file,
                scope,
                blog: raw.get("blog").map(str::to_owned),
            })
        }
        Command::Provision
        | Command::Cancel
        | Command::PartnerKeyNew
        | Command::Bulk
        | Command::Reconcile => {
            return Err(invalid(format!(
                "internal: {} is not a command of the whole API",
                raw.command
            )))
        }
    };
    Ok(call)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::{parse, resolve, Call, Invocation, Plan, UsageError};
    use serde_json::json;
    use std::ffi::OsString;

    fn parsed(list: &[&str]) -> Result<Invocation, UsageError> {
        let args: Vec<OsString> = list.iter().map(OsString::from).collect();
        parse(&args)
    }

    fn env(name: &str) -> Option<String> {
        match name {
            "JETPACK_PARTNER_ID" => Some("12345".into()),
            "JETPACK_PARTNER_SECRET" => Some("env-secret".into()),
            ENV_USER_TOKEN => Some("env-user-token".into()),
            _ => None,
        }
    }

    fn no_user_env(name: &str) -> Option<String> {
        env(name).filter(|_| name != ENV_USER_TOKEN)
    }

    fn plan_with(list: &[&str], env: fn(&str) -> Option<String>) -> Result<Plan, String> {
        match parsed(list) {
            Ok(Invocation::Run(raw)) => resolve(&raw, env).map_err(|e| e.0),
            other => panic!("{list:?}: {other:?}"),
        }
    }

    fn call(list: &[&str]) -> ApiCall {
        match plan_with(list, env) {
            Ok(Plan {
                call: Call::Api(c), ..
            }) => c,
            other => panic!("{list:?}: {other:?}"),
        }
    }

    fn invalid(list: &[&str]) -> String {
        plan_with(list, env).expect_err("invalid_argument")
    }

    fn usage(list: &[&str]) -> String {
        parsed(list).expect_err("a usage error").message
    }

    #[test]
    fn status_v12_two_ways_and_the_other_partner_endpoints() {
        let v12 = ApiCall::StatusV12 {
            site: "https://a.example".into(),
        };
        assert_eq!(call(&["status", "--v1.2", "--url=https://a.example"]), v12);
        assert_eq!(call(&["status-v12", "--url=https://a.example"]), v12);
        assert_eq!(call(&["status_v12", "--url", "https://a.example"]), v12);
        assert!(matches!(
            plan_with(&["status", "--v1.2=false", "--url=u"], env)
                .unwrap()
                .call,
            Call::Status { .. }
        ));
        assert_eq!(
            call(&["upgrade-paths", "--blog_id=7"]),
            ApiCall::UpgradePaths { site: "7".into() }
        );
        assert_eq!(call(&["errors"]), ApiCall::Errors { verbose: false });
        assert_eq!(
            call(&["errors", "--verbose"]),
            ApiCall::Errors { verbose: true }
        );
        assert_eq!(call(&["partner-keys-verify"]), ApiCall::PartnerKeysVerify);
        assert!(invalid(&["upgrade-paths"]).starts_with("site: missing"));
        assert_eq!(
            usage(&["errors", "--url=x"]),
            "--url does not apply to errors"
        );
    }

    #[test]
    fn activations_flags_and_defaults() {
        let c = call(&[
            "activations",
            "--key_id=3",
            "--page=2",
            "--per-page",
            "50",
            "--plans=premium, jetpack-scan",
            "--activated_after=2026-01-01",
            "--activated-before=2026-02-01 00:00:00",
        ]);
        assert_eq!(
            c,
            ApiCall::Activations {
                token: Secret::new("env-user-token"),
                partner: "12345".into(),
                key_id: "3".into(),
                options: json!({"page": 2, "per_page": 50, "plans": ["premium", "jetpack-scan"],
                    "activated_after": "2026-01-01", "activated_before": "2026-02-01 00:00:00"})
                .as_object()
                .unwrap()
                .clone(),
                all: false,
            }
        );
        let ApiCall::Activations {
            partner,
            all,
            token,
            ..
        } = call(&[
            "activations",
            "--key_id=3",
            "--reporting_partner=777",
            "--all",
            "--user_token=flag-token",
        ])
        else {
            panic!()
        };
        assert_eq!((partner.as_str(), all), ("777", true));
        assert_eq!(token.expose(), "flag-token");
        assert!(invalid(&["activations"]).starts_with("key_id: missing"));
        assert!(
            invalid(&["activations", "--key_id=x"]).starts_with("key_id: expected a numeric ID")
        );
        assert!(invalid(&["activations", "--key_id=1", "--page=0"]).starts_with("page:"));
        assert!(invalid(&["activations", "--key_id=1", "--per_page=a"]).starts_with("per_page:"));
        assert!(invalid(&["activations", "--key_id=1", "--plans=,"]).starts_with("plans:"));
        assert!(
            invalid(&["activations", "--key_id=1", "--reporting_partner=me"])
                .starts_with("reporting_partner:")
        );
        assert_eq!(
            usage(&["activations", "--all", "--page=2"]),
            "give --all or --page, not both"
        );
    }

    #[test]
    fn the_user_token_comes_from_a_flag_a_file_or_the_environment() {
        let m = plan_with(&["partner"], no_user_env).unwrap_err();
        assert!(
            m.starts_with("user_token: missing; pass --token-file=PATH"),
            "{m}"
        );
        assert!(m.contains(ENV_USER_TOKEN), "{m}");
        let dir = std::env::temp_dir();
        let path = dir.join(format!("jp-cli-user-token-{}", std::process::id()));
        std::fs::write(&path, "file-token\n").unwrap();
        let file = format!("--token-file={}", path.display());
        assert_eq!(
            call(&["partner", &file]),
            ApiCall::Partner {
                token: Secret::new("file-token")
            }
        );
        std::fs::write(&path, "two words").unwrap();
        assert!(invalid(&["token-info", &file]).contains("must hold the token alone"));
        std::fs::write(&path, "\n").unwrap();
        assert!(invalid(&["token-info", &file]).ends_with("is empty"));
        std::fs::remove_file(&path).unwrap();
        assert!(invalid(&["token-info", &file]).starts_with("token_file: cannot read"));
        assert_eq!(
            usage(&["partner", "--user_token=a", "--token_file=b"]),
            "give --user_token or --token_file, not both"
        );
        // Debug never shows a token.
        let shown = format!(
            "{:?}",
            call(&["licensing-partner", "--user_token=flag-secret-token"])
        );
        assert!(!shown.contains("flag-secret-token"), "{shown}");
    }

    #[test]
    fn summary_invoices_and_formats() {
        assert_eq!(
            call(&["activations-summary", "--key_id=2", "--scale=day"]),
            ApiCall::ActivationsSummary {
                token: Secret::new("env-user-token"),
                options: json!({"key_id": "2", "scale": "day"})
                    .as_object()
                    .unwrap()
                    .clone(),
            }
        );
        assert!(invalid(&["activations-summary", "--scale=week"]).starts_with("scale:"));
        assert_eq!(
            call(&["invoices", "--key_id=1"]),
            ApiCall::Invoices {
                token: Secret::new("env-user-token"),
                partner: "12345".into(),
                key_id: "1".into()
            }
        );
        assert!(matches!(
            call(&["upcoming-invoice", "--key_id=1", "--reporting-partner-id=9"]),
            ApiCall::UpcomingInvoice { partner, .. } if partner == "9"
        ));
        let format = |list: &[&str]| plan_with(list, env).unwrap().format;
        assert_eq!(format(&["invoices", "--key_id=1"]), Format::Auto);
        assert_eq!(
            format(&["invoices", "--key_id=1", "--table"]),
            Format::Table
        );
        assert_eq!(format(&["invoices", "--key_id=1", "--json"]), Format::Json);
        assert_eq!(format(&["partner", "--json"]), Format::Json);
        assert_eq!(
            format(&["provision", "--user=a", "--url=u", "--json"]),
            Format::Json
        );
        assert_eq!(
            usage(&["invoices", "--json", "--table"]),
            "give --json or --table, not both"
        );
        assert_eq!(
            usage(&["partner", "--table"]),
            "--table does not apply to partner"
        );
    }

    #[test]
    fn request_operands_pairs_and_auth() {
        let ApiCall::Request(r) = call(&[
            "request",
            "get",
            "/rest/v1/me",
            "--query=a=1",
            "--query",
            "plans[]=x",
            "--query=plans[]=y",
            "--query=eq=a=b",
        ]) else {
            panic!()
        };
        assert_eq!((r.method.as_str(), r.path.as_str()), ("GET", "/rest/v1/me"));
        assert_eq!(
            Value::Object(r.query.0),
            json!({"a": "1", "plans[]": ["x", "y"], "eq": "a=b"})
        );
        assert_eq!((r.form, r.json, r.auth), (None, None, RequestAuth::Partner));
        let ApiCall::Request(r) = call(&[
            "request",
            "POST",
            "/x",
            "--json",
            r#"{"a":[1,2]}"#,
            "--user_token=u-token",
        ]) else {
            panic!()
        };
        assert_eq!(r.json, Some(Body(json!({"a": [1, 2]}))));
        assert_eq!(r.auth, RequestAuth::User(Secret::new("u-token")));
        let ApiCall::Request(r) = call(&["request", "POST", "/x", "--form=name=n", "--auth=none"])
        else {
            panic!()
        };
        assert_eq!(
            r.form,
            Some(Fields(json!({"name": "n"}).as_object().unwrap().clone()))
        );
        assert_eq!(r.auth, RequestAuth::None);
        let ApiCall::Request(r) = call(&["request", "GET", "/me", "--auth=user"]) else {
            panic!()
        };
        assert_eq!(r.auth, RequestAuth::User(Secret::new("env-user-token")));
        assert_eq!(usage(&["request"]), "request needs METHOD and PATH");
        assert_eq!(usage(&["request", "GET"]), "request needs PATH");
        assert!(usage(&["request", "GET", "/a", "extra"]).starts_with("unexpected argument 4"));
        assert_eq!(
            usage(&["request", "POST", "/a", "--form=a=1", "--json={}"]),
            "give --form or --json, not both"
        );
        assert!(invalid(&["request", "PATCH", "/a"]).starts_with("method:"));
        assert!(invalid(&["request", "GET", "rest/v1/me"]).starts_with("path:"));
        assert!(invalid(&["request", "GET", "/a", "--query=novalue"])
            .starts_with("query: expected NAME=VALUE"));
        assert!(invalid(&["request", "POST", "/a", "--json={"]).starts_with("json: not valid JSON"));
        assert!(invalid(&["request", "GET", "/a", "--auth=bearer"]).starts_with("auth:"));
        assert!(
            invalid(&["request", "GET", "/a", "--auth=none", "--user_token=t"])
                .starts_with("auth:")
        );
        // `--` ends the flags: a path may then start with a dash-free word anyway.
        let ApiCall::Request(r) = call(&["request", "--", "GET", "/-dash"]) else {
            panic!()
        };
        assert_eq!(r.path, "/-dash");
    }

    #[test]
    fn license_actions_and_their_flags() {
        assert_eq!(
            call(&["license", "issue", "--product=jetpack-scan"]),
            ApiCall::LicenseIssue {
                product: "jetpack-scan".into()
            }
        );
        assert_eq!(
            call(&["license", "status", "--license_key=K"]),
            ApiCall::LicenseStatus {
                license_key: "K".into()
            }
        );
        assert_eq!(
            call(&["license", "revoke", "--license-key", "K"]),
            ApiCall::LicenseRevoke {
                license_key: "K".into()
            }
        );
        assert_eq!(
            call(&[
                "license",
                "attach",
                "--license_key=K",
                "--url=https://a.example"
            ]),
            ApiCall::LicenseAttach {
                license_key: "K".into(),
                site: "https://a.example".into()
            }
        );
        assert_eq!(
            call(&[
                "license",
                "detach",
                "--license_key=K",
                "--cancellation_email=false"
            ]),
            ApiCall::LicenseDetach {
                license_key: "K".into(),
                cancellation_email: Some(false)
            }
        );
        assert_eq!(
            call(&["license", "--license_key=K", "detach"]),
            ApiCall::LicenseDetach {
                license_key: "K".into(),
                cancellation_email: None
            }
        );
        assert!(usage(&["license"]).contains("license needs ACTION"));
        assert!(usage(&["license", "renew"]).starts_with("unknown license action 'renew'"));
        assert_eq!(
            usage(&["license", "issue", "--license_key=K"]),
            "--license_key does not apply to license issue"
        );
        assert_eq!(
            usage(&["license", "status", "--url=u", "--license_key=K"]),
            "--url does not apply to license status"
        );
        assert!(invalid(&["license", "issue"]).starts_with("product: missing"));
        assert!(invalid(&["license", "attach", "--license_key=K"]).starts_with("site: missing"));
        assert_eq!(call(&["product-families"]), ApiCall::ProductFamilies);
        assert_eq!(
            call(&[
                "site-connection",
                "--url=https://a.example",
                "--local_user=admin"
            ]),
            ApiCall::SiteConnection {
                url: "https://a.example".into(),
                local_user: "admin".into()
            }
        );
        assert!(invalid(&["site-connection", "--url=u"]).starts_with("local_user: missing"));
    }

    #[test]
    fn login_flags() {
        assert_eq!(
            call(&["login", "--print"]),
            ApiCall::Login(LoginPlan {
                port: 0,
                wait: DEFAULT_LOGIN_WAIT,
                open: false,
                print: true,
                token_file: None,
                scope: None,
                blog: None
            })
        );
        assert_eq!(
            call(&[
                "login",
                "--token-file=/tmp/t",
                "--port=8765",
                "--wait=2.5",
                "--open",
                "--scope=global",
                "--blog=example.com"
            ]),
            ApiCall::Login(LoginPlan {
                port: 8765,
                wait: Duration::from_millis(2500),
                open: true,
                print: false,
                token_file: Some(PathBuf::from("/tmp/t")),
                scope: Some("global".into()),
                blog: Some("example.com".into())
            })
        );
        assert!(usage(&["login"]).starts_with("login needs --token-file=PATH"));
        assert!(invalid(&["login", "--print", "--port=70000"]).starts_with("port:"));
        assert!(invalid(&["login", "--print", "--wait=0"]).starts_with("wait:"));
        assert!(invalid(&["login", "--print", "--scope=all"]).starts_with("scope:"));
        assert!(invalid(&["login", "--print=false"]).starts_with("token_file: missing"));
        assert_eq!(
            usage(&["login", "--print", "--user_token=x"]),
            "--user_token does not apply to login"
        );
    }
}

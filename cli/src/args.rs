//! Command-line parsing, in two pure stages so each can be tested alone.
//!
//! 1. [`parse`] reads the shape of the command line with clap (the grammar is in
//!    [`crate::grammar`]): the subcommand, which flags are given and their raw values.
//!    Anything wrong here is a [`UsageError`] (exit 2).
//! 2. [`resolve`] turns the raw values (plus the environment fallbacks) into one
//!    [`Plan`]: the client settings and the call to make. A missing or malformed value
//!    is an [`InvalidArgument`] (printed as the `invalid_argument` JSON, exit 1).
//!
//! Spellings: `--flag=value` and `--flag value`, underscores or hyphens
//! (`--partner_id`, `--partner-id`), and the old scripts' one-letter forms
//! (`-c=ID`, `-s=SECRET`, `-u=URL`, ...). An empty value (`--plan=`) means the flag
//! was not given, as in the old scripts, which skipped empty variables. The last of a
//! repeated flag wins.
//!
//! Before clap sees the command line, [`prepare`] does what clap cannot: it answers
//! `--help` wherever it stands, spells flag names with underscores only, refuses a
//! one-dash word of several letters (clap would read `-cx` as `-c x`), and joins a value
//! that starts with one dash (`--partner_secret -abc`) or a switch's `true|false|1|0`
//! given as the next word (`--onboarding 0`) to its flag. Clap's errors are reworded
//! from the flag's name alone: they never show a value, which may be a secret.

use crate::api_args::{self, ApiCall, Format};
use crate::grammar;
use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::parser::ValueSource;
use clap::CommandFactory;
use jetpack_partner_core::Secret;
use serde_json::{Map, Number, Value};
use std::ffi::OsString;
use std::fmt;
use std::sync::LazyLock;
use std::time::Duration;

/// The options object handed to the library (`jetpack_partner_core::Options`).
pub type Options = Map<String, Value>;

/// A subcommand of the tool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    Provision,
    Cancel,
    PartnerKeyNew,
    Status,
    StatusV12,
    UpgradePaths,
    Errors,
    PartnerKeysVerify,
    Activations,
    ActivationsSummary,
    Invoices,
    UpcomingInvoice,
    Partner,
    TokenInfo,
    Request,
    License,
    ProductFamilies,
    LicensingPartner,
    SiteConnection,
    Login,
    Bulk,
    Reconcile,
}

impl Command {
    pub const ALL: [Command; 22] = [
        Command::Provision,
        Command::Cancel,
        Command::PartnerKeyNew,
        Command::Status,
        Command::StatusV12,
        Command::UpgradePaths,
        Command::Errors,
        Command::PartnerKeysVerify,
        Command::Activations,
        Command::ActivationsSummary,
        Command::Invoices,
        Command::UpcomingInvoice,
        Command::Partner,
        Command::TokenInfo,
        Command::Request,
        Command::License,
        Command::ProductFamilies,
        Command::LicensingPartner,
        Command::SiteConnection,
        Command::Login,
        Command::Bulk,
        Command::Reconcile,
    ];

    /// The name typed on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Command::Provision => "provision",
            Command::Cancel => "cancel",
            Command::PartnerKeyNew => "partner-key-new",
            Command::Status => "status",
            Command::StatusV12 => "status-v12",
            Command::UpgradePaths => "upgrade-paths",
            Command::Errors => "errors",
            Command::PartnerKeysVerify => "partner-keys-verify",
            Command::Activations => "activations",
            Command::ActivationsSummary => "activations-summary",
            Command::Invoices => "invoices",
            Command::UpcomingInvoice => "upcoming-invoice",
            Command::Partner => "partner",
            Command::TokenInfo => "token-info",
            Command::Request => "request",
            Command::License => "license",
            Command::ProductFamilies => "product-families",
            Command::LicensingPartner => "licensing-partner",
            Command::SiteConnection => "site-connection",
            Command::Login => "login",
            Command::Bulk => "bulk",
            Command::Reconcile => "reconcile",
        }
    }

    /// Accepts the hyphen and the underscore spelling.
    pub fn from_name(name: &str) -> Option<Command> {
        let name = name.replace('_', "-");
        Command::ALL.into_iter().find(|c| c.name() == name)
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The grammar, built once (building fills in what help and parsing need, such as the
/// subcommands' full names).
static GRAMMAR: LazyLock<clap::Command> = LazyLock::new(|| {
    let mut grammar = grammar::Cli::command();
    grammar.build();
    grammar
});

/// The clap command of a subcommand, or the tool's own.
pub fn grammar_of(command: Option<Command>) -> &'static clap::Command {
    match command {
        None => &GRAMMAR,
        Some(c) => GRAMMAR
            .find_subcommand(c.name())
            .unwrap_or_else(|| panic!("the grammar declares {c}")),
    }
}

/// How a flag takes a value.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Takes {
    /// `--flag=value` or `--flag value`.
    Value,
    /// A switch: bare `--flag`, or `--flag=true|false|1|0`.
    OptionalValue,
    /// `--help`.
    Nothing,
}

fn takes(arg: &clap::Arg) -> Takes {
    if !arg.get_action().takes_values() {
        Takes::Nothing
    } else if arg.get_num_args().is_some_and(|n| n.min_values() == 0) {
        Takes::OptionalValue
    } else {
        Takes::Value
    }
}

/// The flag of `command` with this long name or alias (underscore spelling).
fn find_long<'a>(command: &'a clap::Command, name: &str) -> Option<&'a clap::Arg> {
    command.get_arguments().find(|a| {
        a.get_long() == Some(name)
            || a.get_all_aliases()
                .is_some_and(|aliases| aliases.contains(&name))
    })
}

fn find_short(command: &clap::Command, letter: char) -> Option<&clap::Arg> {
    command
        .get_arguments()
        .find(|a| a.get_short() == Some(letter))
}

/// The names of the flags a subcommand accepts (canonical spelling).
#[cfg(test)]
pub fn flags_of(command: Command) -> impl Iterator<Item = &'static str> {
    grammar_of(Some(command))
        .get_arguments()
        .filter_map(clap::Arg::get_long)
}

/// A command line that cannot be understood: printed with the usage on stderr, exit 2.
/// Never carries a flag's value (it could be a secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError {
    /// The subcommand, when it was recognised (its usage is shown).
    pub command: Option<Command>,
    pub message: String,
}

impl UsageError {
    fn new(command: Option<Command>, message: impl Into<String>) -> UsageError {
        UsageError {
            command,
            message: message.into(),
        }
    }
}

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Invocation {
    /// Print the help (of one subcommand, or the overview), exit 0.
    Help(Option<Command>),
    /// Print the version, exit 0.
    Version,
    /// Run a subcommand.
    Run(Raw),
}

/// The flags of one subcommand as given: canonical name -> raw value (last one wins).
#[derive(PartialEq, Eq)]
pub struct Raw {
    pub command: Command,
    values: Vec<(&'static str, String)>,
    /// The words after the command that are not flags (`request GET /path`).
    pub operands: Vec<String>,
    /// Flags accepted for compatibility and not used, in the order given (long spelling).
    pub ignored: Vec<&'static str>,
}

impl fmt::Debug for Raw {
    // Values may be secrets: only the names are shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Raw")
            .field("command", &self.command)
            .field(
                "flags",
                &self.values.iter().map(|(k, _)| *k).collect::<Vec<_>>(),
            )
            .field("operands", &self.operands.len())
            .field("ignored", &self.ignored)
            .finish()
    }
}

impl Raw {
    /// The value given for a flag (canonical name); an empty value counts as not given.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .rev()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    /// Every non-empty value given for a flag, in order.
    pub fn get_all(&self, name: &str) -> Vec<&str> {
        self.values
            .iter()
            .filter(|(k, v)| *k == name && !v.is_empty())
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn given(&self, name: &str) -> bool {
        self.values.iter().any(|(k, _)| *k == name)
    }

    /// A switch's value: `None` when not given, an error naming it when not a boolean word.
    pub fn switch(&self, name: &str) -> Result<Option<bool>, InvalidArgument> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => parse_bool(v)
                .map(Some)
                .ok_or_else(|| invalid(format!("{name}: expected true, false, 1 or 0"))),
        }
    }
}

const BOOL_WORDS: [&str; 4] = ["true", "false", "1", "0"];

fn is_bool_word(s: &str) -> bool {
    BOOL_WORDS.iter().any(|w| w.eq_ignore_ascii_case(s))
}

/// Reads the command line (without the program name).
pub fn parse(args: &[OsString]) -> Result<Invocation, UsageError> {
    let mut strings = Vec::with_capacity(args.len());
    for (i, a) in args.iter().enumerate() {
        match a.to_str() {
            Some(s) => strings.push(s.to_owned()),
            None => {
                return Err(UsageError::new(
                    None,
                    format!("argument {} is not valid UTF-8", i + 1),
                ))
            }
        }
    }
    parse_strings(&strings)
}

fn parse_strings(args: &[String]) -> Result<Invocation, UsageError> {
    let Some(first) = args.first() else {
        return Err(UsageError::new(None, "no command given"));
    };
    match first.as_str() {
        "-h" | "--help" | "help" => {
            return match args.get(1) {
                None => Ok(Invocation::Help(None)),
                Some(name) => match Command::from_name(name) {
                    Some(c) => Ok(Invocation::Help(Some(c))),
                    None => Err(UsageError::new(None, unknown_command(name))),
                },
            };
        }
        "-V" | "--version" | "version" => return Ok(Invocation::Version),
        _ => {}
    }
    let Some(command) = Command::from_name(first) else {
        if first.starts_with('-') {
            return Err(UsageError::new(
                None,
                format!(
                    "{} comes before the command; the command goes first: jetpack-partner <command> [flags]",
                    shown_flag(first)
                ),
            ));
        }
        return Err(UsageError::new(None, unknown_command(first)));
    };
    let rest = &args[1..];
    // `--help` anywhere (before `--`) wins over every other problem.
    for a in rest.iter().take_while(|a| a.as_str() != "--") {
        let name = flag_name_only(a);
        if name == "-h" || name == "--help" {
            return Ok(Invocation::Help(Some(command)));
        }
    }
    let prepared = prepare(command, rest)?;
    let grammar = grammar_of(Some(command));
    let words = ["jetpack-partner", command.name()]
        .into_iter()
        .map(str::to_owned)
        .chain(prepared.args.iter().cloned());
    let matches = GRAMMAR
        .clone()
        .try_get_matches_from(words)
        .map_err(|e| usage_error(&e, command, &prepared))?;
    let (_, matches) = matches
        .subcommand()
        .ok_or_else(|| UsageError::new(Some(command), "no command given"))?;
    let mut raw = Raw {
        command,
        values: Vec::new(),
        operands: Vec::new(),
        ignored: Vec::new(),
    };
    let mut ignored = Vec::new();
    for arg in grammar.get_arguments() {
        let id = arg.get_id().as_str();
        if matches.value_source(id) != Some(ValueSource::CommandLine) {
            continue;
        }
        // Every word was checked to be UTF-8 above.
        let values = matches
            .get_raw(id)
            .into_iter()
            .flatten()
            .map(|v| v.to_string_lossy().into_owned());
        match arg.get_long() {
            None => raw.operands.extend(values),
            Some(name) if grammar::IGNORED.contains(&name) => {
                ignored.push((matches.index_of(id).unwrap_or(usize::MAX), name));
            }
            Some(name) => raw.values.extend(values.map(|v| (name, v))),
        }
    }
    ignored.sort_unstable();
    raw.ignored = ignored.into_iter().map(|(_, name)| name).collect();
    let err = |m: String| UsageError::new(Some(command), m);
    let site_flags: Vec<&str> = ["url", "site", "blog_id"]
        .into_iter()
        .filter(|n| raw.given(n))
        .collect();
    if site_flags.len() > 1 && command != Command::Provision {
        return Err(err(format!(
            "give only one of --url, --site and --blog_id (got --{})",
            site_flags.join(" and --")
        )));
    }
    for (a, b) in [
        ("user_token", "token_file"),
        ("json", "table"),
        ("all", "page"),
    ] {
        if raw.given(a) && raw.given(b) {
            return Err(err(format!("give --{a} or --{b}, not both")));
        }
    }
    api_args::check(&raw).map_err(err)?;
    Ok(Invocation::Run(raw))
}

/// The command line as clap is given it, and what is needed to word clap's errors.
/// No `Debug`: it holds the values.
#[derive(Default)]
struct Prepared {
    /// The words after the subcommand.
    args: Vec<String>,
    /// Where the words that are neither flags nor flags' values stand (1-based, the
    /// command being 1), and whether each came after `--`.
    words: Vec<(usize, bool)>,
    /// The flags given (before `--`), as clap sees them (`--partner_id`) and as typed
    /// (`--partner-id`).
    flags: Vec<(String, String)>,
}

impl Prepared {
    /// How the user typed the flag clap calls `name`; `None` when no flag was given so
    /// (a word after `--` that starts with a dash).
    fn typed(&self, name: &str) -> Option<&str> {
        self.flags
            .iter()
            .find(|(canonical, _)| canonical == name)
            .map(|(_, typed)| typed.as_str())
    }
}

/// The words after the subcommand, made ready for clap (see the module's documentation).
fn prepare(command: Command, rest: &[String]) -> Result<Prepared, UsageError> {
    let grammar = grammar_of(Some(command));
    let mut out = Prepared::default();
    let mut i = 0;
    let mut after_dashes = false;
    while i < rest.len() {
        let arg = &rest[i];
        let position = i + 2;
        i += 1;
        if after_dashes || arg == "-" || !arg.starts_with('-') {
            out.words.push((position, after_dashes));
            out.args.push(arg.clone());
            continue;
        }
        if arg == "--" {
            after_dashes = true;
            out.args.push(arg.clone());
            continue;
        }
        let (flag, found, inline) = if let Some(body) = arg.strip_prefix("--") {
            let (name, value) = split_value(body);
            let canonical = format!("--{}", name.replace('-', "_"));
            out.flags.push((canonical.clone(), format!("--{name}")));
            let found = find_long(grammar, &canonical[2..]);
            (canonical, found, value)
        } else {
            let (name, value) = split_value(&arg[1..]);
            let mut letters = name.chars();
            let letter = match (letters.next(), letters.next()) {
                (Some(c), None) => c,
                _ => {
                    return Err(UsageError::new(
                        Some(command),
                        format!(
                            "{} is not a flag of {command}: one-letter flags stand alone \
                             (-c=VALUE) and long flags take two dashes",
                            shown_flag(arg)
                        ),
                    ))
                }
            };
            let flag = format!("-{letter}");
            out.flags.push((flag.clone(), flag.clone()));
            (flag, find_short(grammar, letter), value)
        };
        let next = rest.get(i).map(String::as_str).filter(|_| inline.is_none());
        let joined = match (found.map(takes), next) {
            // A value may start with one dash (a secret may); `--` starts the next flag.
            (Some(Takes::Value), Some(next)) if !next.starts_with("--") => Some(next),
            // Said here, as clap would name the next word as an unknown flag: it may be a
            // secret that starts with `--`.
            (Some(Takes::Value), _) if inline.is_none() => {
                let typed = out.flags.last().map_or(flag.as_str(), |(_, t)| t.as_str());
                return Err(UsageError::new(
                    Some(command),
                    format!("{typed} needs a value: {typed}=VALUE"),
                ));
            }
            (Some(Takes::OptionalValue), Some(next)) if is_bool_word(next) => Some(next),
            _ => None,
        };
        match (joined, inline) {
            (Some(value), _) | (None, Some(value)) => {
                out.args.push(format!("{flag}={value}"));
                i += usize::from(joined.is_some());
            }
            (None, None) => out.args.push(flag),
        }
    }
    Ok(out)
}

/// Clap's error for `command`, reworded from names and positions only.
fn usage_error(e: &clap::Error, command: Command, prepared: &Prepared) -> UsageError {
    let context = |kind| match e.get(kind) {
        Some(ContextValue::String(s)) => vec![s.clone()],
        Some(ContextValue::Strings(list)) => list.clone(),
        _ => Vec::new(),
    };
    // Clap shows an argument as `--plan <SLUG>` or `<ACTION>`: the name is the first word.
    let name_of = |shown: &str| -> String {
        let first = shown.split([' ', '[', '=']).next().unwrap_or_default();
        first.trim_matches(['<', '>']).to_owned()
    };
    let first_of = |kind| context(kind).into_iter().next().unwrap_or_default();
    let grammar = grammar_of(Some(command));
    let message = match e.kind() {
        ErrorKind::UnknownArgument => {
            let found = first_of(ContextKind::InvalidArg);
            let name = flag_name_only(&found);
            if let Some(shown) = prepared.typed(name) {
                if applies_elsewhere(name) {
                    format!("{shown} does not apply to {command}")
                } else {
                    format!("unknown flag {shown} for {command}")
                }
            } else {
                // A word no flag takes: the first one past the command's operands.
                let operands = grammar.get_positionals().count();
                match prepared.words.get(operands) {
                    Some((position, true)) if operands == 0 => format!(
                        "unexpected argument {position} after `--`: {command} takes only flags"
                    ),
                    Some((position, _)) => format!(
                        "unexpected argument {position} (not a flag): give values as --flag=value"
                    ),
                    None => "unexpected argument (not a flag): give values as --flag=value".into(),
                }
            }
        }
        ErrorKind::InvalidValue => {
            let arg = first_of(ContextKind::InvalidArg);
            let value = first_of(ContextKind::InvalidValue);
            let name = name_of(&arg);
            if value.is_empty() {
                format!("{name} needs a value: {name}=VALUE")
            } else if command == Command::License && name == "ACTION" {
                // The action is a command word, not a value that may be secret.
                let shown: String = value.chars().take(40).collect();
                format!(
                    "unknown license action '{shown}' (actions: {})",
                    grammar::LICENSE_ACTIONS.join(", ")
                )
            } else {
                format!("invalid value for {name}")
            }
        }
        ErrorKind::MissingRequiredArgument => {
            let missing: Vec<String> = context(ContextKind::InvalidArg)
                .iter()
                .map(|a| name_of(a))
                .collect();
            format!("{command} needs {}", missing.join(" and "))
        }
        ErrorKind::NoEquals => {
            let name = name_of(&first_of(ContextKind::InvalidArg));
            format!("{name} takes its value as {name}=VALUE")
        }
        ErrorKind::TooManyValues | ErrorKind::WrongNumberOfValues => {
            let name = name_of(&first_of(ContextKind::InvalidArg));
            format!("{name}: too many values")
        }
        // The remaining kinds carry no value in their description.
        other => format!("{command}: {other}"),
    };
    UsageError::new(Some(command), message)
}

/// Whether some other command has this flag (`--cancel_all`, `-p`).
fn applies_elsewhere(flag: &str) -> bool {
    GRAMMAR.get_subcommands().any(|sub| {
        if let Some(long) = flag.strip_prefix("--") {
            find_long(sub, long).is_some()
        } else {
            let mut letters = flag.chars().skip(1);
            match (letters.next(), letters.next()) {
                (Some(letter), None) => find_short(sub, letter).is_some(),
                _ => false,
            }
        }
    })
}

fn split_value(body: &str) -> (&str, Option<&str>) {
    match body.split_once('=') {
        Some((n, v)) => (n, Some(v)),
        None => (body, None),
    }
}

/// `--partner_secret=abc` -> `--partner_secret`: the part that is safe to show.
fn flag_name_only(arg: &str) -> &str {
    arg.split_once('=').map_or(arg, |(n, _)| n)
}

/// A flag as an error may show it: without its value, and a one-dash word of several
/// letters whole only when it is a long flag's name (`-partner_id`); else by its first
/// letter, as the rest may be a value stuck to it (`-s3cr3t`).
fn shown_flag(arg: &str) -> String {
    let name = flag_name_only(arg);
    let Some(body) = name.strip_prefix('-').filter(|b| !b.starts_with('-')) else {
        return name.to_owned();
    };
    let mut letters = body.chars();
    match (letters.next(), letters.next()) {
        (Some(first), Some(_)) => {
            let long = body.replace('-', "_");
            let known = GRAMMAR
                .get_subcommands()
                .any(|sub| find_long(sub, &long).is_some());
            if known {
                name.to_owned()
            } else {
                format!("-{first}...")
            }
        }
        _ => name.to_owned(),
    }
}

fn unknown_command(name: &str) -> String {
    let shown: String = name.chars().take(40).collect();
    format!("unknown command '{shown}' (run 'jetpack-partner --help' for the list of commands)")
}

/// Client settings taken from the flags and the environment.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub partner_id: String,
    pub partner_secret: Secret,
    pub api_base: Option<String>,
    pub timeout: Option<Duration>,
    pub connect_timeout: Option<Duration>,
    pub proxy: Option<String>,
    pub ca_bundle: Option<String>,
    pub max_attempts: Option<u32>,
    /// Where the partner token is kept between runs (flag, else the environment).
    pub token_cache_dir: Option<String>,
    pub idle_timeout: Option<Duration>,
}

/// The call to make.
#[derive(Clone, PartialEq)]
pub enum Call {
    Provision {
        user: String,
        siteurl: String,
        plan: Option<String>,
        options: Options,
    },
    Cancel {
        site: String,
        options: Options,
    },
    PartnerKeyNew {
        name: String,
        options: Options,
    },
    Status {
        site: String,
    },
    /// `bulk` and `reconcile`: many calls, streamed results.
    Bulk(crate::bulk::BulkCall),
    /// The calls added with the whole API (`status --v1.2`, reporting, licensing, login, ...).
    Api(ApiCall),
}

impl fmt::Debug for Call {
    // Options may hold backup passwords: only their names are shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys = |o: &Options| o.keys().cloned().collect::<Vec<_>>();
        match self {
            Call::Provision {
                user,
                siteurl,
                plan,
                options,
            } => f
                .debug_struct("Provision")
                .field("user", user)
                .field("siteurl", siteurl)
                .field("plan", plan)
                .field("options", &keys(options))
                .finish(),
            Call::Cancel { site, options } => f
                .debug_struct("Cancel")
                .field("site", site)
                .field("options", &keys(options))
                .finish(),
            Call::PartnerKeyNew { name, options } => f
                .debug_struct("PartnerKeyNew")
                .field("name", name)
                .field("options", &keys(options))
                .finish(),
            Call::Status { site } => f.debug_struct("Status").field("site", site).finish(),
            Call::Bulk(call) => call.fmt(f),
            Call::Api(call) => call.fmt(f),
        }
    }
}

/// Everything needed to run one subcommand.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub settings: Settings,
    pub call: Call,
    /// How a success is printed.
    pub format: Format,
}

/// A value the library would refuse, found before any request: `invalid_argument`, exit 1.
/// The message names the field first (`"siteurl: ..."`), like the library's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidArgument(pub String);

impl fmt::Display for InvalidArgument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

pub const ENV_ID: &str = "JETPACK_PARTNER_ID";
pub const ENV_SECRET: &str = "JETPACK_PARTNER_SECRET";
pub const ENV_API_BASE: &str = "JETPACK_PARTNER_API_BASE";
/// The token cache directory when `--token_cache_dir` is not given.
pub const ENV_TOKEN_CACHE_DIR: &str = "JETPACK_PARTNER_TOKEN_CACHE_DIR";
/// Backup passwords, so that they need not appear in the process list either.
pub const ENV_SSH_PASS: &str = "JETPACK_PARTNER_SSH_PASS";
pub const ENV_FTP_PASS: &str = "JETPACK_PARTNER_FTP_PASS";
/// The old scripts' way to point at another API host (host name only, HTTPS).
pub const ENV_OLD_API_HOST: &str = "JETPACK_START_API_HOST";

pub fn invalid(message: impl Into<String>) -> InvalidArgument {
    InvalidArgument(message.into())
}

/// Turns the raw flags into a plan. `env` reads an environment variable; empty counts as unset.
pub fn resolve(raw: &Raw, env: impl Fn(&str) -> Option<String>) -> Result<Plan, InvalidArgument> {
    let env = |name: &str| env(name).filter(|v| !v.is_empty());
    let partner_id = raw
        .get("partner_id")
        .map(str::to_owned)
        .or_else(|| env(ENV_ID))
        .ok_or_else(|| {
            invalid(format!(
                "partner_id: missing; pass --partner_id or set {ENV_ID}"
            ))
        })?;
    let partner_secret = raw
        .get("partner_secret")
        .map(str::to_owned)
        .or_else(|| env(ENV_SECRET))
        .ok_or_else(|| {
            invalid(format!(
                "partner_secret: missing; set {ENV_SECRET} (or pass --partner_secret)"
            ))
        })?;
    let api_base = raw
        .get("api_base")
        .map(str::to_owned)
        .or_else(|| env(ENV_API_BASE))
        .or_else(|| env(ENV_OLD_API_HOST).map(|host| format!("https://{host}")));
    let settings =
        Settings {
            partner_id,
            partner_secret: Secret::new(partner_secret),
            api_base,
            timeout: seconds(raw, "timeout")?,
            connect_timeout: seconds(raw, "connect_timeout")?,
            proxy: raw.get("proxy").map(str::to_owned),
            ca_bundle: raw.get("ca_bundle").map(str::to_owned),
            token_cache_dir: raw
                .get("token_cache_dir")
                .map(str::to_owned)
                .or_else(|| env(ENV_TOKEN_CACHE_DIR))
                .filter(|d| !d.is_empty()),
            idle_timeout: seconds(raw, "idle_timeout")?,
            max_attempts: match raw.get("max_attempts") {
                None => None,
                Some(v) => Some(v.parse::<u32>().ok().filter(|n| *n >= 1).ok_or_else(|| {
                    invalid("max_attempts: expected a whole number of at least 1")
                })?),
            },
        };
    let call = match raw.command {
        Command::Provision => {
            let user = required(raw, "user", "local_user", "--user=LOGIN")?;
            let siteurl = required(raw, "url", "siteurl", "--url=https://example.com")?;
            let mut options = Options::new();
            for name in ["force_register", "force_connect", "onboarding"] {
                put_bool(raw, &mut options, name)?;
            }
            put_int(raw, &mut options, "wpcom_user_id")?;
            for name in ["wpcom_user_email", "partner_tracking_id", "ssh_user"] {
                put_str(raw, &mut options, name);
            }
            put_password(raw, &mut options, "ssh_pass", ENV_SSH_PASS, &env);
            match (raw.get("ssh_private_key"), raw.get("ssh_private_key_file")) {
                (Some(_), Some(_)) => return Err(invalid(
                    "ssh_private_key: give --ssh_private_key or --ssh_private_key_file, not both",
                )),
                (Some(key), None) => {
                    options.insert("ssh_private_key".into(), Value::String(key.to_owned()));
                }
                (None, Some(path)) => {
                    let key = std::fs::read_to_string(path).map_err(|e| {
                        invalid(format!("ssh_private_key_file: cannot read '{path}': {e}"))
                    })?;
                    options.insert("ssh_private_key".into(), Value::String(key));
                }
                (None, None) => {}
            }
            put_str(raw, &mut options, "ssh_host");
            put_int(raw, &mut options, "ssh_port")?;
            for name in ["ftp_user", "ftp_host"] {
                put_str(raw, &mut options, name);
            }
            put_password(raw, &mut options, "ftp_pass", ENV_FTP_PASS, &env);
            put_int(raw, &mut options, "ftp_port")?;
            Call::Provision {
                user,
                siteurl,
                plan: raw.get("plan").map(str::to_owned),
                options,
            }
        }
        Command::Cancel => {
            let site = site(raw)?;
            let mut options = Options::new();
            put_str(raw, &mut options, "plan");
            put_bool(raw, &mut options, "cancel_all")?;
            put_str(raw, &mut options, "partner_tracking_id");
            Call::Cancel { site, options }
        }
        Command::PartnerKeyNew => {
            let name = required(raw, "name", "name", "--name=NAME")?;
            let mut options = Options::new();
            for field in [
                "allowed_personal_plans",
                "allowed_premium_plans",
                "allowed_professional_plans",
            ] {
                put_int(raw, &mut options, field)?;
            }
            put_str(raw, &mut options, "notes");
            Call::PartnerKeyNew { name, options }
        }
        Command::Status if raw.switch("v1.2")? == Some(true) => {
            Call::Api(api_args::resolve(raw, &env, &settings.partner_id)?)
        }
        Command::Status => Call::Status { site: site(raw)? },
        Command::Bulk | Command::Reconcile => Call::Bulk(crate::bulk::resolve(raw, &env)?),
        _ => Call::Api(api_args::resolve(raw, &env, &settings.partner_id)?),
    };
    let format = api_args::format(raw)?;
    Ok(Plan {
        settings,
        call,
        format,
    })
}

pub fn required(
    raw: &Raw,
    flag: &str,
    field: &str,
    example: &str,
) -> Result<String, InvalidArgument> {
    raw.get(flag)
        .map(str::to_owned)
        .ok_or_else(|| invalid(format!("{field}: missing; pass {example}")))
}

pub fn site(raw: &Raw) -> Result<String, InvalidArgument> {
    if let Some(id) = raw.get("blog_id") {
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid("blog_id: expected a numeric blog ID"));
        }
        return Ok(id.to_owned());
    }
    raw.get("url")
        .or_else(|| raw.get("site"))
        .map(str::to_owned)
        .ok_or_else(|| {
            invalid("site: missing; pass --url=https://example.com, --blog_id=ID or --site=example.com::path")
        })
}

pub fn seconds(raw: &Raw, name: &str) -> Result<Option<Duration>, InvalidArgument> {
    let Some(v) = raw.get(name) else {
        return Ok(None);
    };
    v.trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0)
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
        .map(Some)
        .ok_or_else(|| invalid(format!("{name}: expected a positive number of seconds")))
}

/// `true`/`false`/`1`/`0` (any case).
pub fn parse_bool(v: &str) -> Option<bool> {
    if v == "1" || v.eq_ignore_ascii_case("true") {
        Some(true)
    } else if v == "0" || v.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

pub fn put_bool(raw: &Raw, options: &mut Options, name: &str) -> Result<(), InvalidArgument> {
    if let Some(v) = raw.get(name) {
        let b = parse_bool(v)
            .ok_or_else(|| invalid(format!("{name}: expected true, false, 1 or 0")))?;
        options.insert(name.to_owned(), Value::Bool(b));
    }
    Ok(())
}

pub fn put_int(raw: &Raw, options: &mut Options, name: &str) -> Result<(), InvalidArgument> {
    if let Some(v) = raw.get(name) {
        let n = v
            .parse::<u64>()
            .map_err(|_| invalid(format!("{name}: expected a non-negative whole number")))?;
        options.insert(name.to_owned(), Value::Number(Number::from(n)));
    }
    Ok(())
}

pub fn put_str(raw: &Raw, options: &mut Options, name: &str) {
    if let Some(v) = raw.get(name) {
        options.insert(name.to_owned(), Value::String(v.to_owned()));
    }
}

/// A password flag, falling back to its environment variable (the flag wins).
fn put_password(
    raw: &Raw,
    options: &mut Options,
    name: &str,
    env_name: &str,
    env: &impl Fn(&str) -> Option<String>,
) {
    if let Some(v) = raw.get(name).map(str::to_owned).or_else(|| env(env_name)) {
        options.insert(name.to_owned(), Value::String(v));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    fn run(list: &[&str]) -> Raw {
        match parse(&args(list)) {
            Ok(Invocation::Run(raw)) => raw,
            other => panic!("expected a run for {list:?}, got {other:?}"),
        }
    }

    fn usage(list: &[&str]) -> UsageError {
        match parse(&args(list)) {
            Err(e) => e,
            other => panic!("expected a usage error for {list:?}, got {other:?}"),
        }
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn creds_env(name: &str) -> Option<String> {
        match name {
            ENV_ID => Some("12345".into()),
            ENV_SECRET => Some("env-secret".into()),
            _ => None,
        }
    }

    fn plan(list: &[&str]) -> Plan {
        resolve(&run(list), creds_env).unwrap_or_else(|e| panic!("{list:?}: {e}"))
    }

    fn invalid_of(list: &[&str]) -> String {
        match resolve(&run(list), creds_env) {
            Err(InvalidArgument(m)) => m,
            Ok(p) => panic!("expected invalid_argument for {list:?}, got {p:?}"),
        }
    }

    #[test]
    fn help_and_version() {
        assert_eq!(parse(&args(&["--help"])), Ok(Invocation::Help(None)));
        assert_eq!(parse(&args(&["-h"])), Ok(Invocation::Help(None)));
        assert_eq!(parse(&args(&["help"])), Ok(Invocation::Help(None)));
        assert_eq!(
            parse(&args(&["help", "cancel"])),
            Ok(Invocation::Help(Some(Command::Cancel)))
        );
        assert_eq!(
            parse(&args(&["help", "partner_key_new"])),
            Ok(Invocation::Help(Some(Command::PartnerKeyNew)))
        );
        assert_eq!(
            parse(&args(&["provision", "--url=x", "--help"])),
            Ok(Invocation::Help(Some(Command::Provision)))
        );
        // --help wins even over an unknown flag.
        assert_eq!(
            parse(&args(&["status", "--bogus", "-h"])),
            Ok(Invocation::Help(Some(Command::Status)))
        );
        for odd in ["--help=1", "-h=x", "--HELP"] {
            let got = parse(&args(&["cancel", odd]));
            if odd == "--HELP" {
                assert!(got.is_err(), "flags are case-sensitive");
            } else {
                assert_eq!(got, Ok(Invocation::Help(Some(Command::Cancel))), "{odd}");
            }
        }
        assert_eq!(parse(&args(&["--version"])), Ok(Invocation::Version));
        assert_eq!(parse(&args(&["-V"])), Ok(Invocation::Version));
        assert!(usage(&["help", "nope"]).message.contains("unknown command"));
    }

    #[test]
    fn commands_are_recognised_in_both_spellings() {
        for c in Command::ALL {
            assert_eq!(Command::from_name(c.name()), Some(c));
            assert_eq!(Command::from_name(&c.name().replace('-', "_")), Some(c));
        }
        assert_eq!(run(&["partner_key_new"]).command, Command::PartnerKeyNew);
        assert_eq!(Command::from_name("provisio"), None);
    }

    #[test]
    fn no_command_or_unknown_command_is_usage() {
        assert_eq!(usage(&[]).message, "no command given");
        let e = usage(&["deprovision"]);
        assert!(e.message.contains("unknown command 'deprovision'"), "{e}");
        assert_eq!(e.command, None);
        let e = usage(&["--partner_secret=hunter2-long", "provision"]);
        assert!(e.message.contains("--partner_secret"), "{e}");
        assert!(!e.message.contains("hunter2"), "{e}");
    }

    #[test]
    fn equals_and_space_forms_give_the_same_values() {
        let a = run(&[
            "provision",
            "--user=admin",
            "--url=https://a.example",
            "--plan=premium",
        ]);
        let b = run(&[
            "provision",
            "--user",
            "admin",
            "--url",
            "https://a.example",
            "--plan",
            "premium",
        ]);
        for name in ["user", "url", "plan"] {
            assert_eq!(a.get(name), b.get(name), "{name}");
        }
        assert_eq!(a.get("url"), Some("https://a.example"));
    }

    #[test]
    fn hyphen_and_underscore_spellings_are_the_same_flag() {
        let raw = run(&[
            "provision",
            "--partner-id=1",
            "--partner_secret=s",
            "--wpcom-user-id",
            "7",
            "--partner-tracking-id=t-1",
            "--force-register",
            "--api-base=http://127.0.0.1:9",
            "--connect-timeout=2",
        ]);
        assert_eq!(raw.get("partner_id"), Some("1"));
        assert_eq!(raw.get("partner_secret"), Some("s"));
        assert_eq!(raw.get("wpcom_user_id"), Some("7"));
        assert_eq!(raw.get("partner_tracking_id"), Some("t-1"));
        assert_eq!(raw.get("force_register"), Some("true"));
        assert_eq!(raw.get("api_base"), Some("http://127.0.0.1:9"));
        assert_eq!(raw.get("connect_timeout"), Some("2"));
    }

    #[test]
    fn old_script_short_forms_and_aliases() {
        let raw = run(&[
            "provision",
            "-c=9",
            "-s=sec",
            "-i=admin",
            "-p=premium",
            "-o=1",
            "-w=42",
            "-u",
            "https://x.example",
        ]);
        assert_eq!(raw.get("partner_id"), Some("9"));
        assert_eq!(raw.get("partner_secret"), Some("sec"));
        assert_eq!(raw.get("user"), Some("admin"));
        assert_eq!(raw.get("plan"), Some("premium"));
        assert_eq!(raw.get("onboarding"), Some("1"));
        assert_eq!(raw.get("wpcom_user_id"), Some("42"));
        assert_eq!(raw.get("url"), Some("https://x.example"));
        assert_eq!(run(&["provision", "--user_id=5"]).get("user"), Some("5"));
        assert_eq!(run(&["provision", "--user-id", "5"]).get("user"), Some("5"));
        assert!(usage(&["provision", "-cx"]).message.contains("two dashes"));
        assert!(usage(&["provision", "-z=1"])
            .message
            .contains("unknown flag -z"));
    }

    #[test]
    fn booleans_bare_with_value_or_followed_by_a_bool_word() {
        let raw = run(&[
            "provision",
            "--force_register",
            "--force_connect=false",
            "--onboarding",
            "0",
        ]);
        assert_eq!(raw.get("force_register"), Some("true"));
        assert_eq!(raw.get("force_connect"), Some("false"));
        assert_eq!(raw.get("onboarding"), Some("0"));
        // A bare switch followed by another flag does not swallow it.
        let raw = run(&["cancel", "--cancel_all", "--url=https://a.example"]);
        assert_eq!(raw.get("cancel_all"), Some("true"));
        assert_eq!(raw.get("url"), Some("https://a.example"));
        // A bare switch followed by a non-boolean word: that word is a stray argument.
        let e = usage(&["cancel", "--cancel_all", "yes-please"]);
        assert!(e.message.contains("unexpected argument 3"), "{e}");
    }

    #[test]
    fn value_flags_need_a_value() {
        let e = usage(&["provision", "--url"]);
        assert_eq!(e.command, Some(Command::Provision));
        assert!(e.message.contains("--url needs a value"), "{e}");
        let e = usage(&["provision", "--user", "--url=https://a.example"]);
        assert!(e.message.contains("--user needs a value"), "{e}");
        // A single-dash value is a value (secrets may start with '-').
        let raw = run(&["provision", "--partner_secret", "-abc"]);
        assert_eq!(raw.get("partner_secret"), Some("-abc"));
        // Use = for a value that starts with two dashes.
        let raw = run(&["provision", "--partner_secret=--abc"]);
        assert_eq!(raw.get("partner_secret"), Some("--abc"));
    }

    #[test]
    fn unknown_and_misplaced_flags_are_usage_errors() {
        let e = usage(&["provision", "--bogus=1"]);
        assert_eq!(e.message, "unknown flag --bogus for provision");
        let e = usage(&["provision", "--cancel_all"]);
        assert_eq!(e.message, "--cancel_all does not apply to provision");
        let e = usage(&["status", "--plan=premium"]);
        assert_eq!(e.message, "--plan does not apply to status");
        let e = usage(&["partner-key-new", "--url=https://a.example"]);
        assert_eq!(e.message, "--url does not apply to partner-key-new");
        let e = usage(&["cancel", "--home_url=x"]);
        assert_eq!(e.message, "--home_url does not apply to cancel");
    }

    #[test]
    fn usage_errors_never_show_values() {
        for list in [
            &["provision", "--partner_secretx=topsecretvalue"][..],
            &["provision", "--partner_secret=", "topsecretvalue"],
            &["provision", "topsecretvalue"],
            &["cancel", "--url=a", "--site=topsecretvalue"],
            &["status", "--", "topsecretvalue"],
        ] {
            let e = usage(list);
            assert!(!e.message.contains("topsecretvalue"), "{list:?}: {e}");
        }
    }

    #[test]
    fn only_one_way_to_name_the_site() {
        let e = usage(&["cancel", "--url=https://a.example", "--blog_id=5"]);
        assert!(e.message.contains("only one of"), "{e}");
        assert!(e.message.contains("--url and --blog_id"), "{e}");
        assert_eq!(
            run(&["status", "--site=a.example::b"]).get("site"),
            Some("a.example::b")
        );
    }

    #[test]
    fn double_dash_ends_flags_and_nothing_may_follow() {
        assert_eq!(
            run(&["status", "--url=https://a.example", "--"]).get("url"),
            Some("https://a.example")
        );
        assert!(usage(&["status", "--", "x"]).message.contains("after `--`"));
    }

    #[test]
    fn last_value_wins_and_empty_means_not_given() {
        let raw = run(&[
            "provision",
            "--plan=personal",
            "--plan=premium",
            "--wpcom_user_id=",
        ]);
        assert_eq!(raw.get("plan"), Some("premium"));
        assert_eq!(raw.get("wpcom_user_id"), None);
    }

    #[test]
    fn wp_cli_only_flags_are_accepted_and_reported() {
        let raw = run(&[
            "provision",
            "--home_url=https://h.example",
            "--site-url",
            "https://s.example",
            "--allow-root",
            "--home_url=x",
        ]);
        assert_eq!(raw.ignored, vec!["home_url", "site_url", "allow_root"]);
        assert_eq!(raw.get("home_url"), None);
        assert_eq!(raw.get("url"), None);
    }

    #[test]
    fn every_flag_of_the_scripts_is_accepted() {
        // partner-provision.sh, newest and earlier (Automattic/jetpack: bin/partner-provision.sh).
        let raw = run(&[
            "provision",
            "--client_id=12345",
            "--client_secret=s3",
            "-i=admin",
            "-w=99",
            "-e=owner@example.com",
            "-p=premium",
            "-o=1",
            "-u=example.com/blog",
            "--force_register=1",
            "--force_connect=1",
            "--partner-tracking-id=t-9",
            "--allow-root",
            "--wp-cli-path=/usr/local/bin/wp",
        ]);
        assert_eq!(raw.get("partner_id"), Some("12345"));
        assert_eq!(raw.get("partner_secret"), Some("s3"));
        assert_eq!(raw.get("wpcom_user_email"), Some("owner@example.com"));
        assert_eq!(raw.get("url"), Some("example.com/blog"));
        assert_eq!(raw.ignored, vec!["allow_root", "wp_cli_path"]);
        assert_eq!(raw.get("wp_cli_path"), None);
        // partner-cancel.sh.
        let raw = run(&[
            "cancel",
            "--partner_id=12345",
            "--partner_secret=s3",
            "--url=https://example.com",
            "--partner-tracking-id=t-9",
            "--allow-root",
        ]);
        assert_eq!(raw.ignored, vec!["allow_root"]);
        match resolve(&raw, no_env).unwrap().call {
            Call::Cancel { options, .. } => {
                assert_eq!(options.get("partner_tracking_id"), Some(&json!("t-9")))
            }
            other => panic!("not a cancel: {other:?}"),
        }
        assert_eq!(
            usage(&["cancel", "--wp-cli-path=x"]).message,
            "--wp-cli-path does not apply to cancel"
        );
    }

    #[test]
    fn non_utf8_argument_is_usage() {
        use std::os::unix::ffi::OsStringExt;
        let list = vec![
            OsString::from("status"),
            OsString::from_vec(vec![0x2d, 0x2d, 0xff]),
        ];
        let e = parse(&list).unwrap_err();
        assert!(e.message.contains("argument 2 is not valid UTF-8"), "{e}");
    }

    #[test]
    fn every_flag_in_the_contract_is_accepted_by_its_command() {
        let expect: &[(Command, &[&str])] = &[
            (
                Command::Provision,
                &[
                    "partner_id",
                    "partner_secret",
                    "user",
                    "url",
                    "plan",
                    "onboarding",
                    "wpcom_user_id",
                    "force_register",
                    "force_connect",
                    "partner_tracking_id",
                    "wpcom_user_email",
                    "ssh_user",
                    "ssh_pass",
                    "ssh_private_key",
                    "ssh_host",
                    "ssh_port",
                    "ftp_user",
                    "ftp_pass",
                    "ftp_host",
                    "ftp_port",
                    "api_base",
                    "timeout",
                    "connect_timeout",
                    "proxy",
                    "ca_bundle",
                ],
            ),
            (
                Command::Cancel,
                &[
                    "partner_id",
                    "partner_secret",
                    "url",
                    "blog_id",
                    "site",
                    "plan",
                    "cancel_all",
                    "api_base",
                ],
            ),
            (
                Command::PartnerKeyNew,
                &[
                    "name",
                    "allowed_personal_plans",
                    "allowed_premium_plans",
                    "allowed_professional_plans",
                    "notes",
                    "partner_secret",
                ],
            ),
            (
                Command::Status,
                &["url", "blog_id", "site", "partner_id", "proxy"],
            ),
        ];
        for (command, names) in expect {
            let have: Vec<_> = flags_of(*command).collect();
            for name in *names {
                assert!(have.contains(name), "{command} lacks --{name}");
            }
        }
    }

    #[test]
    fn provision_plan_with_every_option() {
        let p = plan(&[
            "provision",
            "--user=admin",
            "--url=https://a.example/blog",
            "--plan=premium",
            "--force_register",
            "--force_connect=0",
            "--onboarding=1",
            "--wpcom_user_id=42",
            "--wpcom_user_email=u@a.example",
            "--partner_tracking_id=stage-2",
            "--ssh_user=u",
            "--ssh_pass=p",
            "--ssh_host=h",
            "--ssh_port=2222",
            "--ftp_user=fu",
            "--ftp_pass=fp",
            "--ftp_host=fh",
            "--ftp_port=21",
        ]);
        let Call::Provision {
            user,
            siteurl,
            plan,
            options,
        } = p.call
        else {
            panic!("not a provision: {:?}", p.call)
        };
        assert_eq!(user, "admin");
        assert_eq!(siteurl, "https://a.example/blog");
        assert_eq!(plan.as_deref(), Some("premium"));
        assert_eq!(
            Value::Object(options),
            json!({
                "force_register": true, "force_connect": false, "onboarding": true,
                "wpcom_user_id": 42, "wpcom_user_email": "u@a.example",
                "partner_tracking_id": "stage-2", "ssh_user": "u", "ssh_pass": "p",
                "ssh_host": "h", "ssh_port": 2222, "ftp_user": "fu", "ftp_pass": "fp",
                "ftp_host": "fh", "ftp_port": 21
            })
        );
    }

    #[test]
    fn provision_without_options_sends_none() {
        let p = plan(&[
            "provision",
            "--user=admin",
            "--url=https://a.example",
            "--plan=",
        ]);
        assert_eq!(
            p.call,
            Call::Provision {
                user: "admin".into(),
                siteurl: "https://a.example".into(),
                plan: None,
                options: Options::new(),
            }
        );
    }

    #[test]
    fn private_key_from_a_file() {
        let path = std::env::temp_dir().join(format!("jp-cli-key-{}", std::process::id()));
        std::fs::write(&path, "-----BEGIN KEY-----\nabc\n").unwrap();
        let p = plan(&[
            "provision",
            "--user=a",
            "--url=https://a.example",
            &format!("--ssh_private_key_file={}", path.display()),
        ]);
        std::fs::remove_file(&path).unwrap();
        let Call::Provision { options, .. } = p.call else {
            panic!()
        };
        assert_eq!(
            options["ssh_private_key"],
            json!("-----BEGIN KEY-----\nabc\n")
        );
        let m = invalid_of(&[
            "provision",
            "--user=a",
            "--url=https://a.example",
            "--ssh_private_key_file=/nonexistent/key",
        ]);
        assert!(
            m.starts_with("ssh_private_key_file: cannot read '/nonexistent/key'"),
            "{m}"
        );
        let m = invalid_of(&[
            "provision",
            "--user=a",
            "--url=u",
            "--ssh_private_key=k",
            "--ssh_private_key_file=f",
        ]);
        assert!(m.contains("not both"), "{m}");
    }

    #[test]
    fn cancel_status_and_key_plans() {
        let p = plan(&[
            "cancel",
            "--url=https://a.example/x",
            "--plan=backup",
            "--cancel-all",
        ]);
        assert_eq!(
            p.call,
            Call::Cancel {
                site: "https://a.example/x".into(),
                options: json!({"plan": "backup", "cancel_all": true})
                    .as_object()
                    .unwrap()
                    .clone(),
            }
        );
        let p = plan(&["cancel", "--blog_id=123"]);
        assert_eq!(
            p.call,
            Call::Cancel {
                site: "123".into(),
                options: Options::new()
            }
        );
        let p = plan(&["status", "--site=a.example::x"]);
        assert_eq!(
            p.call,
            Call::Status {
                site: "a.example::x".into()
            }
        );
        let p = plan(&[
            "partner-key-new",
            "--name=Bundle",
            "--allowed_premium_plans=100",
            "--notes=n",
            "--allowed-personal-plans",
            "0",
        ]);
        assert_eq!(
            p.call,
            Call::PartnerKeyNew {
                name: "Bundle".into(),
                options:
                    json!({"allowed_personal_plans": 0, "allowed_premium_plans": 100, "notes": "n"})
                        .as_object()
                        .unwrap()
                        .clone(),
            }
        );
    }

    #[test]
    fn missing_required_values_name_the_field() {
        assert_eq!(
            invalid_of(&["provision", "--url=https://a.example"]),
            "local_user: missing; pass --user=LOGIN"
        );
        assert_eq!(
            invalid_of(&["provision", "--user=admin"]),
            "siteurl: missing; pass --url=https://example.com"
        );
        assert!(invalid_of(&["cancel"]).starts_with("site: missing"));
        assert!(invalid_of(&["status", "--url="]).starts_with("site: missing"));
        assert_eq!(
            invalid_of(&["partner-key-new"]),
            "name: missing; pass --name=NAME"
        );
    }

    #[test]
    fn malformed_values_name_the_field() {
        let base = ["provision", "--user=a", "--url=https://a.example"];
        let with = |extra: &str| {
            let mut v = base.to_vec();
            v.push(extra);
            invalid_of(&v)
        };
        assert!(with("--wpcom_user_id=abc")
            .starts_with("wpcom_user_id: expected a non-negative whole number"));
        assert!(with("--wpcom_user_id=-1").starts_with("wpcom_user_id:"));
        assert!(with("--ssh_port=22x").starts_with("ssh_port:"));
        assert!(with("--force_register=yes")
            .starts_with("force_register: expected true, false, 1 or 0"));
        assert!(with("--timeout=0").starts_with("timeout: expected a positive number of seconds"));
        assert!(with("--timeout=abc").starts_with("timeout:"));
        assert!(with("--connect_timeout=-3").starts_with("connect_timeout:"));
        assert!(with("--timeout=inf").starts_with("timeout:"));
        assert!(with("--max_attempts=0").starts_with("max_attempts:"));
        assert!(invalid_of(&["cancel", "--blog_id=12a"])
            .starts_with("blog_id: expected a numeric blog ID"));
        assert!(invalid_of(&[
            "partner-key-new",
            "--name=n",
            "--allowed_premium_plans=many"
        ])
        .starts_with("allowed_premium_plans:"));
    }

    #[test]
    fn settings_from_flags() {
        let p = plan(&[
            "status",
            "--url=https://a.example",
            "--api_base=http://127.0.0.1:1",
            "--timeout=1.5",
            "--connect_timeout",
            "3",
            "--proxy=http://127.0.0.1:3128",
            "--ca_bundle=/etc/ca.pem",
            "--max_attempts=5",
        ]);
        let s = p.settings;
        assert_eq!(s.api_base.as_deref(), Some("http://127.0.0.1:1"));
        assert_eq!(s.timeout, Some(Duration::from_millis(1500)));
        assert_eq!(s.connect_timeout, Some(Duration::from_secs(3)));
        assert_eq!(s.proxy.as_deref(), Some("http://127.0.0.1:3128"));
        assert_eq!(s.ca_bundle.as_deref(), Some("/etc/ca.pem"));
        assert_eq!(s.max_attempts, Some(5));
    }

    #[test]
    fn credentials_from_flags_win_over_the_environment() {
        let env = |name: &str| match name {
            ENV_ID => Some("env-id".to_owned()),
            ENV_SECRET => Some("env-secret".to_owned()),
            ENV_API_BASE => Some("http://127.0.0.1:2".to_owned()),
            ENV_OLD_API_HOST => Some("old.example".to_owned()),
            _ => None,
        };
        let raw = run(&["status", "--url=u"]);
        let s = resolve(&raw, env).unwrap().settings;
        assert_eq!(s.partner_id, "env-id");
        assert_eq!(s.partner_secret.expose(), "env-secret");
        assert_eq!(s.api_base.as_deref(), Some("http://127.0.0.1:2"));
        let raw = run(&[
            "status",
            "--url=u",
            "--partner_id=f-id",
            "--partner_secret=f-secret",
            "--api_base=http://127.0.0.1:3",
        ]);
        let s = resolve(&raw, env).unwrap().settings;
        assert_eq!(s.partner_id, "f-id");
        assert_eq!(s.partner_secret.expose(), "f-secret");
        assert_eq!(s.api_base.as_deref(), Some("http://127.0.0.1:3"));
        // The old scripts' host variable is the last fallback.
        let old = |name: &str| (name == ENV_OLD_API_HOST).then(|| "old.example".to_owned());
        let raw = run(&["status", "--url=u", "--partner_id=1", "--partner_secret=2"]);
        assert_eq!(
            resolve(&raw, old).unwrap().settings.api_base.as_deref(),
            Some("https://old.example")
        );
        assert_eq!(resolve(&raw, no_env).unwrap().settings.api_base, None);
    }

    #[test]
    fn backup_passwords_come_from_the_environment_unless_given() {
        let env = |name: &str| match name {
            ENV_ID => Some("1".to_owned()),
            ENV_SECRET => Some("s".to_owned()),
            ENV_SSH_PASS => Some("ssh-from-env".to_owned()),
            ENV_FTP_PASS => Some("ftp-from-env".to_owned()),
            _ => None,
        };
        let options = |list: &[&str]| match resolve(&run(list), env).unwrap().call {
            Call::Provision { options, .. } => options,
            other => panic!("expected a provision, got {other:?}"),
        };
        let from_env = options(&["provision", "--user=a", "--url=https://e.com"]);
        assert_eq!(from_env["ssh_pass"], "ssh-from-env");
        assert_eq!(from_env["ftp_pass"], "ftp-from-env");
        let from_flags = options(&[
            "provision",
            "--user=a",
            "--url=https://e.com",
            "--ssh_pass=flag-ssh",
            "--ftp_pass=flag-ftp",
        ]);
        assert_eq!(from_flags["ssh_pass"], "flag-ssh");
        assert_eq!(from_flags["ftp_pass"], "flag-ftp");
        let none = match resolve(
            &run(&["provision", "--user=a", "--url=https://e.com"]),
            creds_env,
        )
        .unwrap()
        .call
        {
            Call::Provision { options, .. } => options,
            other => panic!("expected a provision, got {other:?}"),
        };
        assert!(!none.contains_key("ssh_pass") && !none.contains_key("ftp_pass"));
    }

    #[test]
    fn missing_credentials() {
        let raw = run(&["status", "--url=u"]);
        assert_eq!(
            resolve(&raw, no_env).unwrap_err().0,
            "partner_id: missing; pass --partner_id or set JETPACK_PARTNER_ID"
        );
        let raw = run(&["status", "--url=u", "--partner_id=1"]);
        assert_eq!(
            resolve(&raw, no_env).unwrap_err().0,
            "partner_secret: missing; set JETPACK_PARTNER_SECRET (or pass --partner_secret)"
        );
        // An empty variable is unset.
        let empty = |_: &str| Some(String::new());
        assert!(resolve(&raw, empty)
            .unwrap_err()
            .0
            .starts_with("partner_secret: missing"));
    }

    #[test]
    fn debug_output_hides_secrets() {
        let raw = run(&[
            "provision",
            "--user=a",
            "--url=https://a.example",
            "--partner_id=1",
            "--partner_secret=flag-secret-value",
            "--ssh_pass=ssh-secret-value",
        ]);
        let shown = format!("{raw:?}");
        assert!(
            !shown.contains("flag-secret-value") && !shown.contains("ssh-secret-value"),
            "{shown}"
        );
        let p = resolve(&raw, no_env).unwrap();
        let shown = format!("{p:?}");
        assert!(
            !shown.contains("flag-secret-value") && !shown.contains("ssh-secret-value"),
            "{shown}"
        );
        assert!(shown.contains("ssh_pass"), "{shown}");
    }

    /// Words that make `flag` acceptable to `command` on its own: the operands, and what a
    /// command needs besides (login's destination, the license action the flag belongs to).
    fn context_for(command: Command, flag: &str) -> Vec<&'static str> {
        match command {
            Command::Request => vec!["GET", "/x"],
            Command::Bulk => vec!["provision"],
            Command::Login if flag != "token_file" => vec!["--token_file=/t"],
            Command::License => match flag {
                "product" => vec!["issue"],
                "url" | "site" | "blog_id" => vec!["attach"],
                "cancellation_email" => vec!["detach"],
                _ => vec!["status"],
            },
            _ => vec![],
        }
    }

    fn args_of(command: Command, context: &[&str], flags: &[String]) -> Vec<String> {
        let mut list = vec![command.name().to_owned()];
        list.extend(context.iter().map(|w| (*w).to_owned()));
        list.extend(flags.iter().cloned());
        list
    }

    fn run_strings(list: &[String]) -> Raw {
        let refs: Vec<&str> = list.iter().map(String::as_str).collect();
        run(&refs)
    }

    /// Every flag of every command, with how it takes a value.
    fn every_flag() -> Vec<(Command, &'static str, Option<char>, Takes)> {
        let mut all = Vec::new();
        for command in Command::ALL {
            for arg in grammar_of(Some(command)).get_arguments() {
                let (Some(long), Some(_)) = (arg.get_long(), arg.get_value_names()) else {
                    continue;
                };
                if !grammar::IGNORED.contains(&long) {
                    all.push((command, long, arg.get_short(), takes(arg)));
                }
            }
        }
        assert!(all.len() > 150, "{}", all.len());
        all
    }

    #[test]
    fn every_value_flag_takes_every_value_form() {
        for (command, name, short, how) in every_flag() {
            if how != Takes::Value {
                continue;
            }
            let context = context_for(command, name);
            let got = |flags: &[String]| run_strings(&args_of(command, &context, flags));
            let hyphens = name.replace('_', "-");
            let forms = [
                vec![format!("--{name}=v")],
                vec![format!("--{name}"), "v".into()],
                vec![format!("--{hyphens}=v")],
                vec![format!("--{hyphens}"), "v".into()],
            ];
            for flags in &forms {
                assert_eq!(got(flags).get(name), Some("v"), "{command} {flags:?}");
            }
            // A value may start with one dash, in either form.
            for flags in [
                vec![format!("--{name}=-v")],
                vec![format!("--{name}"), "-v".into()],
            ] {
                assert_eq!(got(&flags).get(name), Some("-v"), "{command} {flags:?}");
            }
            // Empty: given, and not a value.
            let raw = got(&[format!("--{name}=")]);
            assert!(
                raw.given(name) && raw.get(name).is_none(),
                "{command} --{name}="
            );
            // Repeated: the last one wins, even when empty.
            let raw = got(&[format!("--{name}=a"), format!("--{hyphens}"), "b".into()]);
            assert_eq!(raw.get(name), Some("b"), "{command} --{name} twice");
            let raw = got(&[format!("--{name}=a"), format!("--{name}=")]);
            assert_eq!(raw.get(name), None, "{command} --{name}=a --{name}=");
            if let Some(letter) = short {
                for flags in [
                    vec![format!("-{letter}=v")],
                    vec![format!("-{letter}"), "v".into()],
                ] {
                    assert_eq!(got(&flags).get(name), Some("v"), "{command} {flags:?}");
                }
                let raw = got(&[format!("-{letter}=a"), format!("--{name}=b")]);
                assert_eq!(
                    raw.get(name),
                    Some("b"),
                    "{command} -{letter} then --{name}"
                );
                let raw = got(&[format!("--{name}=b"), format!("-{letter}"), "-a".into()]);
                assert_eq!(
                    raw.get(name),
                    Some("-a"),
                    "{command} --{name} then -{letter}"
                );
            }
        }
    }

    #[test]
    fn every_switch_takes_every_switch_form() {
        for (command, name, short, how) in every_flag() {
            if how != Takes::OptionalValue {
                continue;
            }
            let context = context_for(command, name);
            let got = |flags: &[String]| run_strings(&args_of(command, &context, flags));
            let hyphens = name.replace('_', "-");
            assert_eq!(got(&[format!("--{name}")]).get(name), Some("true"));
            assert_eq!(got(&[format!("--{hyphens}")]).get(name), Some("true"));
            for word in ["true", "false", "1", "0", "TRUE", "False"] {
                for flags in [
                    vec![format!("--{name}={word}")],
                    vec![format!("--{hyphens}"), word.into()],
                ] {
                    let raw = got(&flags);
                    assert_eq!(raw.get(name), Some(word), "{command} {flags:?}");
                    assert_eq!(
                        raw.switch(name),
                        Ok(Some(word == "1" || word.eq_ignore_ascii_case("true")))
                    );
                }
            }
            // Empty: given, and not a value; the last one wins.
            let raw = got(&[format!("--{name}=")]);
            assert!(
                raw.given(name) && raw.switch(name) == Ok(None),
                "{command} {name}"
            );
            let raw = got(&[format!("--{name}"), format!("--{name}=0")]);
            assert_eq!(raw.switch(name), Ok(Some(false)), "{command} {name}");
            let raw = got(&[format!("--{name}=0"), format!("--{hyphens}")]);
            assert_eq!(raw.switch(name), Ok(Some(true)), "{command} {name}");
            // Another word after a bare switch is not its value.
            let mut list = args_of(command, &context, &[format!("--{name}")]);
            list.push("maybe".into());
            let refs: Vec<&str> = list.iter().map(String::as_str).collect();
            assert!(usage(&refs).message.starts_with("unexpected argument"));
            if let Some(letter) = short {
                assert_eq!(got(&[format!("-{letter}")]).get(name), Some("true"));
                assert_eq!(got(&[format!("-{letter}=0")]).get(name), Some("0"));
                assert_eq!(
                    got(&[format!("-{letter}"), "false".into()]).get(name),
                    Some("false")
                );
            }
        }
    }

    #[test]
    fn mixed_spellings_of_flags_and_commands() {
        let raw = run(&[
            "provision",
            "--partner_tracking-id=t",
            "--wpcom-user_id",
            "7",
            "--ssh_private-key=k",
        ]);
        assert_eq!(raw.get("partner_tracking_id"), Some("t"));
        assert_eq!(raw.get("wpcom_user_id"), Some("7"));
        assert_eq!(raw.get("ssh_private_key"), Some("k"));
        assert_eq!(
            usage(&["provision", "--force-connect_"]).message,
            "unknown flag --force-connect_ for provision"
        );
        let raw = run(&["upcoming_invoice", "--reporting-partner_id=9", "--key-id=1"]);
        assert_eq!(raw.command, Command::UpcomingInvoice);
        assert_eq!(raw.get("reporting_partner"), Some("9"));
        assert_eq!(run(&["partner-key_new"]).command, Command::PartnerKeyNew);
        assert_eq!(
            run(&["provision", "--client-secret", "s", "--local-user=u"]).get("user"),
            Some("u")
        );
    }

    #[test]
    fn the_old_scripts_one_letter_forms_apply_where_their_flags_do() {
        let raw = run(&["cancel", "-u", "https://a.example", "-p=backup", "-c", "1"]);
        assert_eq!(raw.get("url"), Some("https://a.example"));
        assert_eq!(raw.get("plan"), Some("backup"));
        assert_eq!(raw.get("partner_id"), Some("1"));
        let raw = run(&["site-connection", "-u=https://a.example", "-i", "admin"]);
        assert_eq!(raw.get("user"), Some("admin"));
        assert_eq!(
            usage(&["status", "-p=premium"]).message,
            "-p does not apply to status"
        );
        assert_eq!(
            usage(&["status", "-x"]).message,
            "unknown flag -x for status"
        );
    }

    #[test]
    fn a_value_starting_with_two_dashes_is_not_taken_nor_shown() {
        for list in [
            &["provision", "--partner_secret", "--s3cr3t-value"][..],
            &[
                "provision",
                "--partner-secret",
                "--s3cr3t-value",
                "--user=a",
            ],
            &["provision", "-s", "--s3cr3t-value"],
        ] {
            let e = usage(list);
            assert!(e.message.contains("needs a value"), "{list:?}: {e}");
            assert!(!e.message.contains("s3cr3t"), "{list:?}: {e}");
        }
        assert_eq!(
            usage(&["provision", "--partner-secret", "--s3cr3t"]).message,
            "--partner-secret needs a value: --partner-secret=VALUE"
        );
        assert_eq!(
            usage(&["provision", "-s"]).message,
            "-s needs a value: -s=VALUE"
        );
    }

    #[test]
    fn usage_errors_show_flag_names_only() {
        let secret = "s3cr3t-VALUE-42";
        let cases: Vec<(Vec<String>, &str)> = vec![
            (
                vec!["provision".into(), format!("--partner_secrt={secret}")],
                "unknown flag --partner_secrt for provision",
            ),
            (
                vec!["provision".into(), "--partner_secrt".into(), secret.into()],
                "unknown flag --partner_secrt for provision",
            ),
            (
                vec!["status".into(), format!("--plan={secret}")],
                "--plan does not apply to status",
            ),
            (
                vec!["provision".into(), format!("-s{secret}")],
                "-s... is not a flag of provision",
            ),
            (
                vec![format!("-s{secret}"), "provision".into()],
                "-s... comes before the command",
            ),
            (
                vec![format!("--partner_secret={secret}"), "provision".into()],
                "--partner_secret comes before the command",
            ),
            (
                vec!["cancel".into(), "--cancel_all".into(), secret.into()],
                "unexpected argument 3 (not a flag)",
            ),
            (
                vec!["status".into(), "--".into(), format!("--{secret}")],
                "unexpected argument 3 after `--`",
            ),
            (
                vec!["request".into(), "GET".into(), "/".into(), secret.into()],
                "unexpected argument 4 (not a flag)",
            ),
        ];
        for (list, expected) in cases {
            let refs: Vec<&str> = list.iter().map(String::as_str).collect();
            let e = usage(&refs);
            assert!(e.message.starts_with(expected), "{list:?}: {e}");
            assert!(!e.message.contains("s3cr3t"), "{list:?}: {e}");
        }
    }

    #[test]
    fn invalid_values_are_named_not_shown() {
        let secret = "s3cr3t-VALUE-42";
        let base = ["provision", "--user=a", "--url=https://a.example"];
        for flag in [
            "wpcom_user_id",
            "ssh_port",
            "force_register",
            "onboarding",
            "timeout",
            "connect_timeout",
            "idle_timeout",
            "max_attempts",
        ] {
            let arg = format!("--{flag}={secret}");
            let mut list = base.to_vec();
            list.push(&arg);
            let m = invalid_of(&list);
            assert!(m.starts_with(&format!("{flag}: expected")), "{m}");
            assert!(!m.contains("s3cr3t"), "{m}");
        }
        for list in [
            vec!["cancel".to_owned(), format!("--blog_id={secret}")],
            vec!["activations".into(), format!("--key_id={secret}")],
            vec![
                "activations".into(),
                "--key_id=1".into(),
                format!("--page={secret}"),
            ],
            vec!["activations-summary".into(), format!("--scale={secret}")],
            vec![
                "request".into(),
                "GET".into(),
                "/".into(),
                format!("--auth={secret}"),
            ],
            vec!["login".into(), "--print".into(), format!("--port={secret}")],
            vec![
                "login".into(),
                "--print".into(),
                format!("--scope={secret}"),
            ],
            vec!["errors".into(), format!("--verbose={secret}")],
            vec![
                "bulk".into(),
                "provision".into(),
                "--input=-".into(),
                format!("--concurrency={secret}"),
            ],
        ] {
            let refs: Vec<&str> = list.iter().map(String::as_str).collect();
            let m = invalid_of(&refs);
            assert!(!m.contains("s3cr3t"), "{list:?}: {m}");
        }
    }

    #[test]
    fn the_grammar_declares_every_command_once() {
        let mut names: Vec<&str> = GRAMMAR
            .get_subcommands()
            .map(clap::Command::get_name)
            .filter(|n| *n != "help")
            .collect();
        let mut ours: Vec<&str> = Command::ALL.iter().map(|c| c.name()).collect();
        names.sort_unstable();
        ours.sort_unstable();
        assert_eq!(names, ours);
        for command in Command::ALL {
            assert!(flags_of(command).all(|f| f.chars().all(|c| c != '-')));
        }
    }
}

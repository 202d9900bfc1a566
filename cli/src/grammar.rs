//! The command line as clap declares it: the subcommands, their flags, one-letter forms,
//! aliases and help texts.
//!
//! These types only declare the grammar. [`crate::args`] reads what clap matched by flag name
//! into [`crate::args::Raw`], because the old scripts' rules are applied after parsing: an
//! empty value counts as not given, and a malformed value is an `invalid_argument` reply
//! (exit 1), not a usage error. So every value is a string here, and every switch takes an
//! optional `=true|false|1|0`.
//!
//! Flag names are spelled with underscores, as the old scripts spelled them; `args`
//! accepts hyphens too.

use clap::{ArgAction, Args, Parser, Subcommand};

/// The environment, flag forms and exit codes, under the overview.
const AFTER_OVERVIEW: &str = "\
A drop-in replacement for bin/partner-provision.sh and bin/partner-cancel.sh: their flags, JSON
and exit codes. Their first names --client_id and --client_secret work for --partner_id and
--partner_secret, and --user_id or --local_user for --user.

Environment (a flag wins over its variable; an empty variable is unset):
  JETPACK_PARTNER_ID, JETPACK_PARTNER_SECRET   partner credentials
  JETPACK_PARTNER_API_BASE                     API base (else https://$JETPACK_START_API_HOST)
  JETPACK_PARTNER_USER_TOKEN                   user token of the reporting commands
  JETPACK_PARTNER_TOKEN_CACHE_DIR              where the partner token is kept between runs
  JETPACK_PARTNER_SSH_PASS, JETPACK_PARTNER_FTP_PASS   provision's backup passwords

Flags: --flag=value or --flag value; underscores or hyphens (--partner_id, --partner-id); the old
scripts' one-letter forms (-c=ID, -s=SECRET, -u=URL, ...). Switches: bare (--force_register) or
--force_register=true|false|1|0. An empty value (--plan=) counts as not given. The last of a
repeated flag wins.

Output: one line of JSON on stdout.
  success: the server's reply as it came; exit 0
  failure: {\"success\":false,\"error_code\":\"...\",\"error_message\":\"...\",\"http_status\":400}; exit 1
           (http_status only when the server answered; invalid_argument for a bad flag value)
  bad command line: usage on stderr, exit 2 (bulk and reconcile: exit 3 when nothing was sent)

Run 'jetpack-partner COMMAND --help' for a command's flags.";

const BULK_AFTER: &str = "\
Input fields are the protocol's parameter names, plus an optional key (an order ID...) naming the
row in results and journal (default: \"<operation> <site> <plan>\"; keys must be unique):
  provision: local_user, siteurl, plan, force_register, force_connect, onboarding, wpcom_user_id,
    wpcom_user_email, partner_tracking_id, ssh_user, ssh_pass, ssh_private_key, ssh_host,
    ssh_port, ftp_user, ftp_pass, ftp_host, ftp_port
  cancel: site, plan, cancel_all
Output: one JSON line per item on stdout as it completes, outcome done, confirmed (in place; not
sent again), already_done (journal), failed (a re-run retries it) or unknown (a re-run checks the
site's status first); a progress bar on a terminal's stderr and a summary table on stderr.
Exit status: 0 every item in place; 1 some item failed, is unknown, or a row was malformed;
3 nothing was sent (unreadable input or journal, --strict with malformed rows, bad settings);
2 bad command line.";

#[derive(Parser)]
#[command(
    name = "jetpack-partner",
    version,
    about = "The Jetpack hosting-partner API of WordPress.com from the command line",
    override_usage = "jetpack-partner provision|cancel|partner-key-new|status|activations|login|... [OPTIONS]\n       \
                      jetpack-partner help [COMMAND]",
    after_help = AFTER_OVERVIEW,
    subcommand_required = true,
    args_override_self = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Sub,
}

/// Every command: the partner credentials and how to reach the API.
#[derive(Args)]
#[command(next_help_heading = "Credentials and connection")]
pub struct Connection {
    /// Partner ID [default: $JETPACK_PARTNER_ID]
    #[arg(
        short = 'c',
        long = "partner_id",
        alias = "client_id",
        value_name = "ID"
    )]
    partner_id: Option<String>,
    /// Partner secret (visible in ps: prefer $JETPACK_PARTNER_SECRET)
    #[arg(
        short = 's',
        long = "partner_secret",
        alias = "client_secret",
        value_name = "SECRET"
    )]
    partner_secret: Option<String>,
    /// API base [default: $JETPACK_PARTNER_API_BASE, else WordPress.com]
    #[arg(long = "api_base", value_name = "URL")]
    api_base: Option<String>,
    /// Overall time limit of a call [default: 60]
    #[arg(long = "timeout", value_name = "SECONDS")]
    timeout: Option<String>,
    /// Time limit to connect [default: 10]
    #[arg(long = "connect_timeout", value_name = "SECONDS")]
    connect_timeout: Option<String>,
    /// HTTP CONNECT proxy: http://[user:pass@]host:port
    #[arg(long = "proxy", value_name = "URL")]
    proxy: Option<String>,
    /// Extra CA certificates (PEM), e.g. of a TLS-inspecting proxy
    #[arg(long = "ca_bundle", value_name = "PATH")]
    ca_bundle: Option<String>,
    /// Attempts per call for retryable failures, 1 to 10 [default: 3]
    #[arg(long = "max_attempts", value_name = "N")]
    max_attempts: Option<String>,
    /// Partner token cache [default: $JETPACK_PARTNER_TOKEN_CACHE_DIR]
    #[arg(long = "token_cache_dir", value_name = "DIR")]
    token_cache_dir: Option<String>,
    /// How long a kept connection may stay unused [default: 75]
    #[arg(long = "idle_timeout", value_name = "SECONDS")]
    idle_timeout: Option<String>,
}

/// `--json`: every command but `request`, whose `--json` is the body.
#[derive(Args)]
pub struct Json {
    /// JSON output (the default, except tables on a terminal)
    #[arg(
        long = "json",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        value_name = "BOOL"
    )]
    json: Option<String>,
}

/// `--json` or `--table`: the reporting commands and `reconcile`.
#[derive(Args)]
pub struct TableOrJson {
    /// A table even when stdout is not a terminal (the default on one)
    #[arg(
        long = "table",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        value_name = "BOOL"
    )]
    table: Option<String>,
    #[command(flatten)]
    json: Json,
}

/// The site of cancel, status, upgrade-paths and license attach: one of three names.
#[derive(Args)]
pub struct Site {
    /// The site URL (https://example.com/blog)
    #[arg(short = 'u', long = "url", value_name = "SITE_URL")]
    url: Option<String>,
    /// Or the site as WordPress.com names it (example.com::blog)
    #[arg(long = "site", value_name = "SITE")]
    site: Option<String>,
    /// Or the WordPress.com blog ID
    #[arg(long = "blog_id", value_name = "ID")]
    blog_id: Option<String>,
}

/// The user token of the reporting commands, `request --auth=user` and `reconcile`.
#[derive(Args)]
#[command(
    next_help_heading = "User token (first found of these, then $JETPACK_PARTNER_USER_TOKEN)"
)]
pub struct UserToken {
    /// The token itself (visible in ps: prefer the others)
    #[arg(long = "user_token", value_name = "TOKEN")]
    user_token: Option<String>,
    /// A file holding it, as written by 'jetpack-partner login'
    #[arg(long = "token_file", value_name = "PATH")]
    token_file: Option<String>,
}

/// The partner key of the reporting paths.
#[derive(Args)]
pub struct ReportingKey {
    /// The partner key (its ID: see 'jetpack-partner partner')
    #[arg(long = "key_id", value_name = "ID")]
    key_id: Option<String>,
    /// Partner ID of the reporting paths [default: --partner_id]
    #[arg(
        long = "reporting_partner",
        alias = "reporting_partner_id",
        value_name = "ID"
    )]
    reporting_partner: Option<String>,
}

#[derive(Args)]
pub struct Provision {
    /// WordPress user on the site to own the plan: login, email or ID
    #[arg(short = 'i', long = "user", aliases = ["user_id", "local_user"], value_name = "LOGIN")]
    user: Option<String>,
    /// The site: https://example.com/blog or example.com/blog
    #[arg(short = 'u', long = "url", value_name = "SITE_URL")]
    url: Option<String>,
    /// Plan slug (personal, premium, professional, ...) [default: free]
    #[arg(short = 'p', long = "plan", value_name = "SLUG")]
    plan: Option<String>,
    /// Send the user through the onboarding wizard
    #[arg(
        short = 'o',
        long = "onboarding",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        value_name = "BOOL"
    )]
    onboarding: Option<String>,
    /// Connect this WordPress.com user without asking (allow-listed keys)
    #[arg(short = 'w', long = "wpcom_user_id", value_name = "ID")]
    wpcom_user_id: Option<String>,
    /// Email of the WordPress.com user
    #[arg(short = 'e', long = "wpcom_user_email", value_name = "EMAIL")]
    wpcom_user_email: Option<String>,
    /// Register the site again (fixes method_not_found)
    #[arg(
        long = "force_register",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        value_name = "BOOL"
    )]
    force_register: Option<String>,
    /// Connect the user again
    #[arg(
        long = "force_connect",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        value_name = "BOOL"
    )]
    force_connect: Option<String>,
    /// Your own ID for this site (tells staging copies apart)
    #[arg(long = "partner_tracking_id", value_name = "ID")]
    partner_tracking_id: Option<String>,
    #[command(flatten)]
    json: Json,
    #[command(flatten)]
    backups: Backups,
    #[command(flatten)]
    connection: Connection,
    #[command(flatten)]
    wp_cli: WpCliOnly,
}

/// Provision's backup credentials.
#[derive(Args)]
#[command(next_help_heading = "Backup credentials")]
pub struct Backups {
    /// SSH user
    #[arg(long = "ssh_user", value_name = "USER")]
    ssh_user: Option<String>,
    /// SSH password [default: $JETPACK_PARTNER_SSH_PASS]
    #[arg(long = "ssh_pass", value_name = "PASSWORD")]
    ssh_pass: Option<String>,
    /// SSH private key, as text
    #[arg(long = "ssh_private_key", value_name = "KEY")]
    ssh_private_key: Option<String>,
    /// SSH private key, read from a file
    #[arg(long = "ssh_private_key_file", value_name = "PATH")]
    ssh_private_key_file: Option<String>,
    /// SSH host
    #[arg(long = "ssh_host", value_name = "HOST")]
    ssh_host: Option<String>,
    /// SSH port
    #[arg(long = "ssh_port", value_name = "N")]
    ssh_port: Option<String>,
    /// FTP user
    #[arg(long = "ftp_user", value_name = "USER")]
    ftp_user: Option<String>,
    /// FTP password [default: $JETPACK_PARTNER_FTP_PASS]
    #[arg(long = "ftp_pass", value_name = "PASSWORD")]
    ftp_pass: Option<String>,
    /// FTP host
    #[arg(long = "ftp_host", value_name = "HOST")]
    ftp_host: Option<String>,
    /// FTP port
    #[arg(long = "ftp_port", value_name = "N")]
    ftp_port: Option<String>,
}

/// Names of the flags accepted for the old scripts and not used (they only applied to the
/// scripts' local WP-CLI run). Repeatable, so that clap records where each was first given.
pub const IGNORED: [&str; 4] = ["home_url", "site_url", "wp_cli_path", "allow_root"];

#[derive(Args)]
#[command(
    next_help_heading = "Accepted and ignored (the scripts' WP-CLI run only; WordPress.com reaches the site at --url)"
)]
pub struct WpCliOnly {
    /// Ignored, with a note on stderr
    #[arg(long = "home_url", value_name = "URL", action = ArgAction::Append)]
    home_url: Vec<String>,
    /// Ignored, with a note on stderr
    #[arg(long = "site_url", value_name = "URL", action = ArgAction::Append)]
    site_url: Vec<String>,
    /// Ignored, with a note on stderr
    #[arg(long = "wp_cli_path", value_name = "PATH", action = ArgAction::Append)]
    wp_cli_path: Vec<String>,
    #[command(flatten)]
    allow_root: AllowRoot,
}

#[derive(Args)]
pub struct AllowRoot {
    /// Ignored, with a note on stderr
    #[arg(
        long = "allow_root",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        value_name = "BOOL",
        action = ArgAction::Append
    )]
    allow_root: Vec<String>,
}

#[derive(Args)]
pub struct Cancel {
    #[command(flatten)]
    site: Site,
    /// The plan to cancel (needed only for stand-alone products)
    #[arg(short = 'p', long = "plan", value_name = "SLUG")]
    plan: Option<String>,
    /// Cancel everything this partner provisioned on the site
    #[arg(
        long = "cancel_all",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        value_name = "BOOL"
    )]
    cancel_all: Option<String>,
    /// Your own ID for this site, for WordPress.com's logs
    #[arg(long = "partner_tracking_id", value_name = "ID")]
    partner_tracking_id: Option<String>,
    #[command(flatten)]
    json: Json,
    #[command(flatten)]
    connection: Connection,
    #[command(flatten)]
    #[command(next_help_heading = "Accepted and ignored (the script's WP-CLI run only)")]
    allow_root: AllowRoot,
}

#[derive(Args)]
pub struct PartnerKeyNew {
    /// Name of the key
    #[arg(long = "name", value_name = "NAME")]
    name: Option<String>,
    /// How many personal plans the key may provision
    #[arg(long = "allowed_personal_plans", value_name = "N")]
    allowed_personal_plans: Option<String>,
    /// How many premium plans the key may provision
    #[arg(long = "allowed_premium_plans", value_name = "N")]
    allowed_premium_plans: Option<String>,
    /// How many professional plans the key may provision
    #[arg(long = "allowed_professional_plans", value_name = "N")]
    allowed_professional_plans: Option<String>,
    /// Free text
    #[arg(long = "notes", value_name = "TEXT")]
    notes: Option<String>,
    #[command(flatten)]
    json: Json,
    #[command(flatten)]
    connection: Connection,
}

#[derive(Args)]
pub struct Status {
    #[command(flatten)]
    site: Site,
    /// The older v1.2 reply: {plan, is_partner_plan, is_connected, ...}
    #[arg(
        long = "v1.2",
        alias = "v12",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        value_name = "BOOL"
    )]
    v1_2: Option<String>,
    #[command(flatten)]
    json: Json,
    #[command(flatten)]
    connection: Connection,
}

/// A command that names a site and nothing else.
#[derive(Args)]
pub struct SiteOnly {
    #[command(flatten)]
    site: Site,
    #[command(flatten)]
    json: Json,
    #[command(flatten)]
    connection: Connection,
}

/// A command with the common flags only.
#[derive(Args)]
pub struct Plain {
    #[command(flatten)]
    json: Json,
    #[command(flatten)]
    connection: Connection,
}

/// A command that reads a user token and has no other flag.
#[derive(Args)]
pub struct WithUserToken {
    #[command(flatten)]
    json: Json,
    #[command(flatten)]
    connection: Connection,
    #[command(flatten)]
    user_token: UserToken,
}

#[derive(Args)]
pub struct Errors {
    /// Each code with its message and HTTP status
    #[arg(
        long = "verbose",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        value_name = "BOOL"
    )]
    verbose: Option<String>,
    #[command(flatten)]
    json: Json,
    #[command(flatten)]
    connection: Connection,
}

#[derive(Args)]
pub struct Activations {
    #[command(flatten)]
    key: ReportingKey,
    /// The page, from 1
    #[arg(long = "page", value_name = "N")]
    page: Option<String>,
    /// Activations per page, 1 to 100 [default: 20, or 100 with --all]
    #[arg(long = "per_page", value_name = "N")]
    per_page: Option<String>,
    /// Only these plans: slugs or product IDs, original or current
    #[arg(long = "plans", alias = "plan_filter", value_name = "SLUG,...")]
    plans: Option<String>,
    /// YYYY-MM-DD, 'YYYY-MM-DD HH:MM:SS' (UTC) or a Unix time
    #[arg(long = "activated_after", value_name = "DATE")]
    activated_after: Option<String>,
    /// As --activated_after
    #[arg(long = "activated_before", value_name = "DATE")]
    activated_before: Option<String>,
    /// Every page: {"total": N, "activations": [...]}
    #[arg(
        long = "all",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        value_name = "BOOL"
    )]
    all: Option<String>,
    #[command(flatten)]
    output: TableOrJson,
    #[command(flatten)]
    connection: Connection,
    #[command(flatten)]
    user_token: UserToken,
}

#[derive(Args)]
pub struct ActivationsSummary {
    /// One key only [default: every key of the partner]
    #[arg(long = "key_id", value_name = "ID")]
    key_id: Option<String>,
    /// The period [default: month]
    #[arg(long = "scale", value_name = "day|month|year")]
    scale: Option<String>,
    #[command(flatten)]
    output: TableOrJson,
    #[command(flatten)]
    connection: Connection,
    #[command(flatten)]
    user_token: UserToken,
}

/// `invoices` and `upcoming-invoice`.
#[derive(Args)]
pub struct Invoices {
    #[command(flatten)]
    key: ReportingKey,
    #[command(flatten)]
    output: TableOrJson,
    #[command(flatten)]
    connection: Connection,
    #[command(flatten)]
    user_token: UserToken,
}

#[derive(Args)]
pub struct Request {
    /// GET, POST, PUT or DELETE
    #[arg(value_name = "METHOD")]
    method: String,
    /// The path under the API base, e.g. /rest/v1/me
    #[arg(value_name = "PATH")]
    path: String,
    /// A query parameter; repeat for more (a name given twice is a list)
    #[arg(long = "query", value_name = "NAME=VALUE", action = ArgAction::Append)]
    query: Vec<String>,
    /// A form field of the body; repeat for more
    #[arg(long = "form", value_name = "NAME=VALUE", action = ArgAction::Append)]
    form: Vec<String>,
    /// A JSON body (instead of --form)
    #[arg(long = "json", alias = "body", value_name = "BODY")]
    json: Option<String>,
    /// Token sent [default: user if one is given, else partner]
    #[arg(long = "auth", value_name = "partner|user|none")]
    auth: Option<String>,
    #[command(flatten)]
    connection: Connection,
    #[command(flatten)]
    user_token: UserToken,
}

/// The actions of `license ACTION`.
pub const LICENSE_ACTIONS: [&str; 5] = ["issue", "status", "revoke", "attach", "detach"];

#[derive(Args)]
pub struct License {
    /// What to do with a license
    #[arg(value_name = "ACTION", value_parser = LICENSE_ACTIONS)]
    action: String,
    /// issue: the product (slugs: 'jetpack-partner product-families')
    #[arg(long = "product", value_name = "SLUG")]
    product: Option<String>,
    /// status, revoke, attach, detach: the license
    #[arg(long = "license_key", value_name = "KEY")]
    license_key: Option<String>,
    /// detach: email the site's owner [default: the server's, yes]
    #[arg(
        long = "cancellation_email",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        value_name = "BOOL"
    )]
    cancellation_email: Option<String>,
    #[command(flatten)]
    #[command(next_help_heading = "attach: the site (connected to WordPress.com)")]
    site: Site,
    #[command(flatten)]
    json: Json,
    #[command(flatten)]
    connection: Connection,
}

#[derive(Args)]
pub struct SiteConnection {
    /// The site
    #[arg(short = 'u', long = "url", value_name = "SITE_URL")]
    url: Option<String>,
    /// The WordPress user on the site who owns the connection
    #[arg(short = 'i', long = "user", aliases = ["user_id", "local_user"], value_name = "LOGIN")]
    user: Option<String>,
    #[command(flatten)]
    json: Json,
    #[command(flatten)]
    connection: Connection,
}

#[derive(Args)]
pub struct Login {
    /// Store the token in a new file readable by its owner only (0600)
    #[arg(long = "token_file", value_name = "PATH")]
    token_file: Option<String>,
    /// Print the token in the JSON reply (access_token) on stdout
    #[arg(
        long = "print",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        value_name = "BOOL"
    )]
    print: Option<String>,
    /// The local port of the redirect [default: any free port]
    #[arg(long = "port", value_name = "N")]
    port: Option<String>,
    /// Give up after this long [default: 300]
    #[arg(long = "wait", value_name = "SECONDS")]
    wait: Option<String>,
    /// Also open the address in the desktop's browser
    #[arg(
        long = "open",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        value_name = "BOOL"
    )]
    open: Option<String>,
    /// The scope asked for [default: the server's]
    #[arg(long = "scope", value_name = "global|auth")]
    scope: Option<String>,
    /// Tie the token to one site
    #[arg(long = "blog", value_name = "SITE")]
    blog: Option<String>,
    #[command(flatten)]
    json: Json,
    #[command(flatten)]
    connection: Connection,
}

/// `--concurrency`, `--journal` and `--strict`: bulk and reconcile.
#[derive(Args)]
pub struct Batch {
    /// Calls in flight, 1 to 64 [default: 8]
    #[arg(long = "concurrency", value_name = "N")]
    concurrency: Option<String>,
    /// JSON lines kept on disk; run again with it to resume
    #[arg(long = "journal", value_name = "FILE")]
    journal: Option<String>,
    /// Refuse to start when a row is malformed (default: skip the row)
    #[arg(
        long = "strict",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        value_name = "BOOL"
    )]
    strict: Option<String>,
}

#[derive(Args)]
pub struct Bulk {
    /// provision or cancel
    #[arg(value_name = "ACTION")]
    action: String,
    /// .csv with a header row or JSON lines (.jsonl); - reads stdin
    #[arg(long = "input", value_name = "FILE")]
    input: Option<String>,
    #[command(flatten)]
    batch: Batch,
    #[command(flatten)]
    json: Json,
    #[command(flatten)]
    connection: Connection,
}

#[derive(Args)]
pub struct Reconcile {
    /// The partner's list: .csv or JSON lines of site, plan, key, local_user
    #[arg(long = "expected", value_name = "FILE")]
    expected: Option<String>,
    /// Provision what is missing or differs, cancel what is not listed
    #[arg(
        long = "fix",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        value_name = "BOOL"
    )]
    fix: Option<String>,
    #[command(flatten)]
    batch: Batch,
    #[command(flatten)]
    output: TableOrJson,
    #[command(flatten)]
    connection: Connection,
    #[command(flatten)]
    user_token: UserToken,
}

/// The subcommands. Their names are [`crate::args::Command::name`]; `args` also takes them
/// with underscores.
// The enum declares the grammar; no value of it is built, so its size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
pub enum Sub {
    /// Provision a plan on a site (POST /rest/v1.3/jpphp/provision)
    #[command(
        override_usage = "jetpack-partner provision --user=LOGIN --url=SITE_URL [--plan=SLUG] [OPTIONS]",
        after_help = "Example:\n  JETPACK_PARTNER_ID=12345 JETPACK_PARTNER_SECRET=... \\\n    \
                      jetpack-partner provision --user=admin --url=https://example.com --plan=premium"
    )]
    Provision(Provision),
    /// Cancel a partner plan on a site (POST /rest/v1.3/jpphp/{site}/partner-cancel)
    #[command(
        override_usage = "jetpack-partner cancel (--url=SITE_URL | --blog_id=ID | --site=SITE) [--plan=SLUG] [OPTIONS]",
        after_help = "A reply {\"success\":false} means the site had no partner plan: nothing to cancel (exit 0)."
    )]
    Cancel(Cancel),
    /// Create a partner key for a reseller's customer; the reply holds its secret
    #[command(
        name = "partner-key-new",
        override_usage = "jetpack-partner partner-key-new --name=NAME [OPTIONS]"
    )]
    PartnerKeyNew(PartnerKeyNew),
    /// Check the partner key (POST /rest/v1.3/jpphp/partner-keys/verify)
    #[command(name = "partner-keys-verify")]
    PartnerKeysVerify(Plain),
    /// Connection and products of a site (GET /rest/v1.4/jpphp/{site}/status)
    #[command(
        override_usage = "jetpack-partner status (--url=SITE_URL | --blog_id=ID | --site=SITE) [--v1.2] [OPTIONS]"
    )]
    Status(Status),
    /// The same as status --v1.2 (GET /rest/v1.2/jpphp/{site}/status)
    #[command(
        name = "status-v12",
        override_usage = "jetpack-partner status-v12 (--url=SITE_URL | --blog_id=ID | --site=SITE) [OPTIONS]"
    )]
    StatusV12(SiteOnly),
    /// The plans a site can move to (GET /rest/v1.3/jpphp/{site}/upgrade-paths)
    #[command(
        name = "upgrade-paths",
        override_usage = "jetpack-partner upgrade-paths (--url=SITE_URL | --blog_id=ID | --site=SITE) [OPTIONS]"
    )]
    UpgradePaths(SiteOnly),
    /// The API's error codes (GET /rest/v1.3/jpphp/errors)
    Errors(Errors),
    /// Activations of a key, one page or --all (user token; a table on a terminal)
    #[command(
        override_usage = "jetpack-partner activations --key_id=ID [--page=N | --all] [--table | --json] [OPTIONS]",
        after_help = "Example:\n  jetpack-partner login --token_file=$HOME/.jetpack-token\n  \
                      jetpack-partner activations --token_file=$HOME/.jetpack-token --key_id=1 --all"
    )]
    Activations(Activations),
    /// New and running activations by day, month or year (user token)
    #[command(name = "activations-summary")]
    ActivationsSummary(ActivationsSummary),
    /// Past invoices of a key (user token; a table on a terminal)
    #[command(
        override_usage = "jetpack-partner invoices --key_id=ID [--table | --json] [OPTIONS]"
    )]
    Invoices(Invoices),
    /// The invoice of the current month so far (user token; a table on a terminal)
    #[command(
        name = "upcoming-invoice",
        override_usage = "jetpack-partner upcoming-invoice --key_id=ID [--table | --json] [OPTIONS]"
    )]
    UpcomingInvoice(Invoices),
    /// The partner of the user token and its keys (GET /wpcom/v2/jetpack-partners)
    Partner(WithUserToken),
    /// What a user token is: client, user, blog and scope (GET /oauth2/token-info)
    #[command(name = "token-info")]
    TokenInfo(WithUserToken),
    /// Any endpoint: METHOD PATH with a partner token, a user token or none
    #[command(
        after_help = "Example:\n  jetpack-partner request GET /rest/v1/me --token_file=$HOME/.jetpack-token"
    )]
    Request(Request),
    /// Licensing API: issue, status, revoke, attach or detach a license
    #[command(
        override_usage = "jetpack-partner license issue --product=SLUG\n       \
                          jetpack-partner license status|revoke --license_key=KEY\n       \
                          jetpack-partner license attach --license_key=KEY (--url=URL | --blog_id=ID | --site=SITE)\n       \
                          jetpack-partner license detach --license_key=KEY [--cancellation_email=false]"
    )]
    License(License),
    /// The products the Licensing API issues, by family
    #[command(name = "product-families")]
    ProductFamilies(Plain),
    /// The partner of the user token, its keys and their tokens
    #[command(name = "licensing-partner")]
    LicensingPartner(WithUserToken),
    /// Connect a site to WordPress.com (Licensing API)
    #[command(
        name = "site-connection",
        override_usage = "jetpack-partner site-connection --url=SITE_URL --user=LOGIN [OPTIONS]"
    )]
    SiteConnection(SiteConnection),
    /// Sign in as the partner's WordPress.com user in a browser; keeps its token
    #[command(
        override_usage = "jetpack-partner login (--token_file=PATH | --print) [OPTIONS]",
        after_help = "Listens on 127.0.0.1, prints the authorize address on stderr and takes the browser's redirect\n\
                      at http://127.0.0.1:PORT/callback; that address must be allowed for the application."
    )]
    Login(Login),
    /// Provisions or cancels from a CSV or JSON-lines file, resumable (journal)
    #[command(
        override_usage = "jetpack-partner bulk provision|cancel --input=FILE [--journal=FILE] [OPTIONS]",
        after_help = BULK_AFTER
    )]
    Bulk(Bulk),
    /// Compare the partner's list of plans with WordPress.com (--fix to match)
    #[command(
        override_usage = "jetpack-partner reconcile --expected=FILE [--fix] [--journal=FILE] [OPTIONS]",
        after_help = "Differences: unbilled, missing, pending, plan_differs, cancelled. With a user token, the\n\
                      activations report adds the partner's sites that are not in the list.\n\
                      Exit status: 0 no difference; 1 differences remain; 3 nothing was checked; 2 bad command line."
    )]
    Reconcile(Reconcile),
}

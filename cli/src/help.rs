//! Help and usage texts.

use crate::args::Command;

const OVERVIEW: &str = "\
jetpack-partner: the Jetpack hosting-partner API of WordPress.com from the command line: provision and
cancel plans, reporting and invoices, the Licensing API, and user sign-in (OAuth2).
A drop-in replacement for the old bin/partner-provision.sh and bin/partner-cancel.sh.

Usage:
  jetpack-partner provision --user=LOGIN --url=SITE_URL [--plan=SLUG] [flags]
  jetpack-partner cancel (--url=SITE_URL | --blog_id=ID | --site=SITE) [--plan=SLUG] [--cancel_all]
  jetpack-partner partner-key-new --name=NAME [--allowed_premium_plans=N ...] [--notes=TEXT]
  jetpack-partner status (--url=SITE_URL | --blog_id=ID | --site=SITE) [--v1.2]
  jetpack-partner COMMAND [flags]
  jetpack-partner help [COMMAND]      jetpack-partner COMMAND --help      jetpack-partner --version

Partner commands (partner credentials):
  provision             provision a plan on a site (POST /rest/v1.3/jpphp/provision)
  cancel                cancel a partner plan on a site (POST /rest/v1.3/jpphp/{site}/partner-cancel)
  partner-key-new       create a partner key for a reseller's customer (POST /rest/v1.3/jpphp/partner-keys/new)
  partner-keys-verify   check the partner key (POST /rest/v1.3/jpphp/partner-keys/verify)
  status                connection and products of a site (GET /rest/v1.4/jpphp/{site}/status;
                        --v1.2 for the older GET /rest/v1.2/jpphp/{site}/status)
  status-v12            the same as status --v1.2
  upgrade-paths         the plans a site can move to (GET /rest/v1.3/jpphp/{site}/upgrade-paths)
  errors                the API's error codes (GET /rest/v1.3/jpphp/errors)

Reporting (a user token: run 'jetpack-partner login' once):
  activations           the activations of a key, one page or --all (table on a terminal)
  activations-summary   new and running activations by day, month or year
  invoices              past invoices of a key (table on a terminal)
  upcoming-invoice      the invoice of the current month (table on a terminal)
  partner               the partner and its keys (GET /wpcom/v2/jetpack-partners)

Licensing API (partner credentials of a key):
  license issue|status|revoke|attach|detach    licenses (/wpcom/v2/jetpack-licensing/license)
  product-families      the products that can be licensed
  licensing-partner     the partner and its keys' tokens (user token)
  site-connection       connect a site (POST /wpcom/v2/jetpack-licensing/site-connection)

Many sites at once (partner credentials):
  bulk provision|cancel  run a CSV or JSON-lines file of provisions or cancels, k calls in flight,
                        resumable through a journal
  reconcile             compare the partner's list of active plans with WordPress.com (--fix to match)

Users and anything else:
  login                 sign in as the partner's WordPress.com user in a browser; stores the user token
  token-info            what a user token is (GET /oauth2/token-info)
  request               any endpoint: METHOD PATH with a partner token, a user token or none
";

const COMMON: &str = "\
Credentials and connection (every command):
  --partner_id=ID             partner ID; default: $JETPACK_PARTNER_ID
  --partner_secret=SECRET     partner secret; default: $JETPACK_PARTNER_SECRET. Prefer the variable:
                              a flag is visible to every user in the process list
  --api_base=URL              API base; default: $JETPACK_PARTNER_API_BASE, else https://$JETPACK_START_API_HOST
                              (the old scripts' variable), else https://public-api.wordpress.com.
                              http:// only for loopback hosts
  --timeout=SECONDS           overall time limit of a call (default 60)
  --connect_timeout=SECONDS   time limit to connect (default 10)
  --proxy=URL                 http://[user:pass@]host:port of an HTTP CONNECT proxy
                              (HTTPS_PROXY and the like are not read from the environment)
  --ca_bundle=PATH            extra CA certificates (PEM), e.g. for a TLS-inspecting proxy
  --max_attempts=N            HTTP attempts per call for retryable failures (default 3, at most 10)
  --token_cache_dir=DIR       keep the partner token in DIR between runs (a 0600 file, never the
                              secret); default: $JETPACK_PARTNER_TOKEN_CACHE_DIR, else none
  --idle_timeout=SECONDS      how long a kept connection may stay unused (default 75)
  --json                      print the reply as JSON (the default, except for tables on a terminal)
  -h, --help                  this help
";

const FORMS: &str = "\
Flags: --flag=value or --flag value; underscores or hyphens (--partner_id, --partner-id).
Switches: bare (--force_register) or --force_register=true|false|1|0. An empty value (--plan=)
counts as not given, as in the old scripts. Use --flag=value for a value that starts with --.
";

const USER_TOKEN: &str = "\
The user token (reporting, token-info, licensing-partner, request --auth=user), first found of:
  --user_token=TOKEN          the token itself (visible in the process list: prefer the others)
  --token_file=PATH           a file holding the token, as written by 'jetpack-partner login'
  $JETPACK_PARTNER_USER_TOKEN
";

const OUTPUT: &str = "\
Output (stdout, one line of JSON; --json says so explicitly):
  success: the server's reply as it came, e.g. {\"success\":true,\"auth_required\":true,\"next_url\":\"...\"}; exit 0
  failure: {\"success\":false,\"error_code\":\"...\",\"error_message\":\"...\",\"http_status\":400}; exit 1
           (http_status only when the server answered). error_code is the server's code
           (invalid_plan, invalid_blog, ...) or the client's: invalid_argument, token_error,
           transport_error, timeout, tls_error, invalid_response, response_too_large,
           outcome_unknown, internal
  bad command line: usage on stderr, exit 2
";

const PROVISION: &str = "\
jetpack-partner provision: provision a Jetpack plan on a site.

Usage: jetpack-partner provision --user=LOGIN --url=SITE_URL [--plan=SLUG] [flags]

  -i, --user=LOGIN            the WordPress user on the site who will own the plan (login, email or ID);
                              also --user_id
  -u, --url=SITE_URL          the site: https://example.com/blog, or without the scheme,
                              example.com/blog (sent so; WordPress.com accepts both)
  -p, --plan=SLUG             plan slug (free, personal, premium, professional, ...); default: free
  -o, --onboarding            send the user through the onboarding wizard
  -w, --wpcom_user_id=ID      (allow-listed keys) connect this WordPress.com user without asking
  -e, --wpcom_user_email=EMAIL    email of the WordPress.com user
  --force_register            register the site again (fixes method_not_found)
  --force_connect             connect the user again
  --partner_tracking_id=ID    your own ID for this site (tells staging copies apart)
  --ssh_user=U --ssh_pass=P --ssh_host=H --ssh_port=N      backup credentials (SSH)
  --ssh_private_key=KEY | --ssh_private_key_file=PATH      SSH key, as text or read from a file
  --ftp_user=U --ftp_pass=P --ftp_host=H --ftp_port=N      backup credentials (FTP)
                              the passwords default to $JETPACK_PARTNER_SSH_PASS and
                              $JETPACK_PARTNER_FTP_PASS, which keep them out of the process list
  --home_url=URL --site_url=URL --wp-cli-path=PATH --allow-root    accepted and ignored (with a
                              note on stderr): they only applied to the scripts' local WP-CLI run.
                              WordPress.com reaches the site at --url

The old scripts' one-letter forms also work: -c=ID (partner_id), -s=SECRET (partner_secret), and
their first names --client_id and --client_secret.

Example:
  JETPACK_PARTNER_ID=12345 JETPACK_PARTNER_SECRET=... \\
    jetpack-partner provision --user=admin --url=https://example.com --plan=premium
";

const CANCEL: &str = "\
jetpack-partner cancel: cancel the partner plan of a site.

Usage: jetpack-partner cancel (--url=SITE_URL | --blog_id=ID | --site=SITE) [--plan=SLUG] [--cancel_all]

  -u, --url=SITE_URL          the site URL (https://example.com/demo)
  --blog_id=ID                or the WordPress.com blog ID
  --site=SITE                 or the site identifier as WordPress.com spells it (example.com::demo)
  -p, --plan=SLUG             the plan to cancel (needed only for stand-alone products)
  --cancel_all                cancel everything this partner provisioned on the site
  --partner_tracking_id=ID    your own ID for this site, for WordPress.com's logs
  --allow-root                accepted and ignored (with a note on stderr): it only applied to the
                              script's local WP-CLI run

A reply {\"success\":false} means the site had no partner plan: nothing to cancel (exit 0).

Example:
  jetpack-partner cancel --url=https://example.com
";

const KEY: &str = "\
jetpack-partner partner-key-new: create a partner key (resellers).

Usage: jetpack-partner partner-key-new --name=NAME [flags]

  --name=NAME                         name of the key
  --allowed_personal_plans=N          how many plans of each kind the key may provision
  --allowed_premium_plans=N
  --allowed_professional_plans=N
  --notes=TEXT                        free text

The reply carries the new key's client_id and client_secret: keep the output safe.

Example:
  jetpack-partner partner-key-new --name=\"Bundle 42\" --allowed_premium_plans=100
";

const STATUS: &str = "\
jetpack-partner status: the connection and the products of a site.

Usage: jetpack-partner status (--url=SITE_URL | --blog_id=ID | --site=SITE) [--v1.2]

  -u, --url=SITE_URL          the site URL
  --blog_id=ID                or the WordPress.com blog ID
  --site=SITE                 or the site identifier (example.com::demo)
  --v1.2                      the older v1.2 reply: {plan, is_partner_plan, is_connected, ...}

Example:
  jetpack-partner status --url=https://example.com
";

const SITE_FLAGS: &str = "\
  -u, --url=SITE_URL          the site URL
  --blog_id=ID                or the WordPress.com blog ID
  --site=SITE                 or the site identifier (example.com::demo)
";

const STATUS_V12: &str = "\
jetpack-partner status-v12: the plan of a site, as the v1.2 endpoint tells it.

Usage: jetpack-partner status-v12 (--url=SITE_URL | --blog_id=ID | --site=SITE)

Reply: {plan, is_partner_plan, is_provisioned_by_calling_partner, is_connected, has_pending_plan}.
The same as 'jetpack-partner status --v1.2'.
";

const UPGRADE_PATHS: &str = "\
jetpack-partner upgrade-paths: the plans and products a site can move to, by family.

Usage: jetpack-partner upgrade-paths (--url=SITE_URL | --blog_id=ID | --site=SITE)
";

const ERRORS: &str = "\
jetpack-partner errors: the error codes of the partner API and their messages.

Usage: jetpack-partner errors [--verbose]

  --verbose                   each code with its message and HTTP status
";

const KEYS_VERIFY: &str = "\
jetpack-partner partner-keys-verify: checks that the partner credentials are a valid, enabled key.

Usage: jetpack-partner partner-keys-verify

Reply: {\"success\": true, \"id\", \"name\", \"client_id\"}; a disabled key fails with partner_key_disabled.
";

const REPORTING_KEY: &str = "\
  --key_id=ID                 the partner key (IDs: 'jetpack-partner partner')
  --reporting_partner=ID      the partner ID of the reporting paths; default: --partner_id.
                              (With WordPress.com it can differ from the OAuth client ID: see
                              'jetpack-partner partner')
";

const ACTIVATIONS: &str = "\
jetpack-partner activations: the activations of a partner key, newest first.

Usage: jetpack-partner activations --key_id=ID [--page=N] [--per_page=N] [--plans=SLUG,...]
         [--activated_after=DATE] [--activated_before=DATE] [--all] [--table | --json]

  --page=N                    the page (from 1)
  --per_page=N                activations per page (1 to 100; default 20, or 100 with --all)
  --plans=SLUG,...            only these plans (slugs or product IDs; original or current plan)
  --activated_after=DATE      YYYY-MM-DD, 'YYYY-MM-DD HH:MM:SS' (UTC) or a Unix time
  --activated_before=DATE
  --all                       every page: {\"total\": N, \"activations\": [...]}, progress on a
                              terminal's stderr
  --table                     a table even when stdout is not a terminal (the default on a terminal)

Example:
  jetpack-partner login --token-file=$HOME/.jetpack-token
  jetpack-partner activations --token-file=$HOME/.jetpack-token --key_id=1 --all
";

const SUMMARY: &str = "\
jetpack-partner activations-summary: new and running activations per period.

Usage: jetpack-partner activations-summary [--key_id=ID] [--scale=day|month|year] [--table | --json]

  --key_id=ID                 one key only (default: every key of the partner)
  --scale=day|month|year      the period (default month)
  --table                     a table even when stdout is not a terminal
";

const INVOICES: &str = "\
jetpack-partner invoices: the past invoices of a partner key, newest first.

Usage: jetpack-partner invoices --key_id=ID [--table | --json]

  --table                     a table even when stdout is not a terminal (amounts in currency units;
                              the JSON has them in cents)
";

const UPCOMING: &str = "\
jetpack-partner upcoming-invoice: the invoice of the current month so far, line by line.

Usage: jetpack-partner upcoming-invoice --key_id=ID [--table | --json]

  --table                     a table even when stdout is not a terminal
";

const PARTNER: &str = "\
jetpack-partner partner: the partner the user token belongs to, and its keys (IDs for --key_id).

Usage: jetpack-partner partner
";

const TOKEN_INFO: &str = "\
jetpack-partner token-info: what a user token is: {client_id, user_id, blog_id, scope}.
Fails with invalid_token when the token is unknown or belongs to another application.

Usage: jetpack-partner token-info (--token_file=PATH | --user_token=TOKEN | $JETPACK_PARTNER_USER_TOKEN)
";

const REQUEST: &str = "\
jetpack-partner request: any endpoint of the API, for those this tool has no command for.

Usage: jetpack-partner request METHOD PATH [--query=NAME=VALUE]... [--form=NAME=VALUE]... [--json=BODY]
         [--auth=partner|user|none] [--user_token=TOKEN | --token_file=PATH]

  METHOD                      GET, POST, PUT or DELETE
  PATH                        the path under the API base, e.g. /rest/v1/me
  --query=NAME=VALUE          a query parameter; repeat for more. A name given twice is a list,
                              sent as NAME[]=VALUE for each value (e.g. --query=plans[]=premium)
  --form=NAME=VALUE           a form field of the body; repeat for more (lists as for --query)
  --json=BODY                 a JSON body (instead of --form)
  --auth=partner|user|none    the token sent: the partner's (default), the user's (the default when
                              --user_token or --token_file is given) or none

Example:
  jetpack-partner request GET /rest/v1/me --token_file=$HOME/.jetpack-token
  jetpack-partner request GET /rest/v1.3/jpphp/errors --auth=none --query=verbose=1
";

const LICENSE: &str = "\
jetpack-partner license: the Licensing API (partner credentials of a key).

Usage: jetpack-partner license issue --product=SLUG
       jetpack-partner license status --license_key=KEY
       jetpack-partner license revoke --license_key=KEY
       jetpack-partner license attach --license_key=KEY (--url=SITE_URL | --blog_id=ID | --site=SITE)
       jetpack-partner license detach --license_key=KEY [--cancellation_email=false]

  --product=SLUG              the product to license (slugs: 'jetpack-partner product-families')
  --license_key=KEY           the license
  -u, --url=SITE_URL          attach: the site (connected to WordPress.com); or --blog_id=ID, --site=SITE
  --cancellation_email        detach: whether WordPress.com emails the site owner (server default: yes)
";

const FAMILIES: &str = "\
jetpack-partner product-families: the product families and products the Licensing API issues.

Usage: jetpack-partner product-families
";

const LICENSING_PARTNER: &str = "\
jetpack-partner licensing-partner: the partner of the user token, its keys and their tokens.

Usage: jetpack-partner licensing-partner (--token_file=PATH | --user_token=TOKEN | $JETPACK_PARTNER_USER_TOKEN)

The reply carries each key's oauth2_token: keep the output safe.
";

const SITE_CONNECTION: &str = "\
jetpack-partner site-connection: connects a site to WordPress.com (safe to repeat).

Usage: jetpack-partner site-connection --url=SITE_URL --user=LOGIN

  -u, --url=SITE_URL          the site
  -i, --user=LOGIN            the WordPress user on the site who owns the connection (also --local_user)

Reply: {\"code\": \"success\" | \"already_connected\", \"blog_id\"}.
";

const LOGIN: &str = "\
jetpack-partner login: signs in as the partner's WordPress.com user and keeps the user token the
reporting commands need (OAuth2 authorization code, the partner ID and secret as the application's).

Usage: jetpack-partner login (--token_file=PATH | --print) [--port=N] [--wait=SECONDS] [--open]
         [--scope=global|auth] [--blog=SITE]

Listens on 127.0.0.1 (a free port, or --port), prints the authorize address on stderr, receives
the browser's redirect at http://127.0.0.1:PORT/callback, checks its state, exchanges the code and
exits. The redirect address must be allowed for the application on WordPress.com (with a fixed
--port when only exact addresses are).

  --token_file=PATH           store the token there, in a new file readable by its owner only (0600)
  --print                     print the token in the JSON reply (access_token) on stdout
  --port=N                    the local port (default: any free port)
  --wait=SECONDS              give up after this long (default 300)
  --open                      also open the address in the desktop's browser
  --scope=global|auth         the scope asked for (default: the server's)
  --blog=SITE                 tie the token to one site

Output: {\"success\": true, \"token_file\": PATH, \"token_type\": \"bearer\", \"blog_id\", ...} (no token
unless --print). Failures: state_mismatch, access_denied (the user refused), timeout.

Example:
  jetpack-partner login --token-file=$HOME/.config/jetpack-partner/token
  jetpack-partner activations --token-file=$HOME/.config/jetpack-partner/token --key_id=1
";

/// The full help: the overview, or one command's.
pub fn help(command: Option<Command>) -> String {
    match command {
        None => format!(
            "{OVERVIEW}\n{COMMON}\n{FORMS}\n{OUTPUT}\nRun 'jetpack-partner COMMAND --help' for a command's flags.\n"
        ),
        Some(c) => {
            let own = match c {
                Command::Provision => PROVISION.to_owned(),
                Command::Cancel => CANCEL.to_owned(),
                Command::PartnerKeyNew => KEY.to_owned(),
                Command::Status => STATUS.to_owned(),
                Command::StatusV12 => format!("{STATUS_V12}\n{SITE_FLAGS}"),
                Command::UpgradePaths => format!("{UPGRADE_PATHS}\n{SITE_FLAGS}"),
                Command::Errors => ERRORS.to_owned(),
                Command::PartnerKeysVerify => KEYS_VERIFY.to_owned(),
                Command::Activations => format!("{ACTIVATIONS}{REPORTING_KEY}\n{USER_TOKEN}"),
                Command::ActivationsSummary => format!("{SUMMARY}\n{USER_TOKEN}"),
                Command::Invoices => format!("{INVOICES}{REPORTING_KEY}\n{USER_TOKEN}"),
                Command::UpcomingInvoice => format!("{UPCOMING}{REPORTING_KEY}\n{USER_TOKEN}"),
                Command::Partner => format!("{PARTNER}\n{USER_TOKEN}"),
                Command::TokenInfo => format!("{TOKEN_INFO}\n{USER_TOKEN}"),
                Command::Request => format!("{REQUEST}\n{USER_TOKEN}"),
                Command::License => LICENSE.to_owned(),
                Command::ProductFamilies => FAMILIES.to_owned(),
                Command::LicensingPartner => format!("{LICENSING_PARTNER}\n{USER_TOKEN}"),
                Command::SiteConnection => SITE_CONNECTION.to_owned(),
                Command::Login => LOGIN.to_owned(),
                Command::Bulk => crate::bulk::HELP.to_owned(),
                Command::Reconcile => format!("{}\n{USER_TOKEN}", crate::bulk::RECONCILE_HELP),
            };
            format!("{own}\n{COMMON}\n{FORMS}\n{OUTPUT}")
        }
    }
}

/// The short usage printed on stderr after a command-line error.
pub fn usage(command: Option<Command>) -> String {
    let line = match command {
        None => "Usage: jetpack-partner provision|cancel|partner-key-new|status|activations|login|... [flags]\n\
                 Run 'jetpack-partner --help' for the commands."
            .to_owned(),
        Some(c) => {
            let text = help(Some(c));
            let usage_line = text
                .lines()
                .find(|l| l.starts_with("Usage:"))
                .unwrap_or("Usage: jetpack-partner COMMAND [flags]")
                .to_owned();
            format!("{usage_line}\nRun 'jetpack-partner {c} --help' for details.")
        }
    };
    line + "\n"
}

pub fn version() -> String {
    format!("jetpack-partner {}\n", env!("CARGO_PKG_VERSION"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::flags_of;

    #[test]
    fn every_flag_is_documented_in_its_commands_help() {
        for c in Command::ALL {
            let text = help(Some(c));
            for name in flags_of(c) {
                assert!(
                    text.contains(&format!("--{name}"))
                        || text.contains(&format!("--{}", name.replace('_', "-"))),
                    "help of {c} lacks --{name}"
                );
            }
        }
    }

    #[test]
    fn help_names_the_environment_and_exit_codes() {
        let text = help(None);
        for needle in [
            "JETPACK_PARTNER_ID",
            "JETPACK_PARTNER_SECRET",
            "JETPACK_PARTNER_API_BASE",
            "exit 2",
            "exit 1",
            "exit 0",
        ] {
            assert!(text.contains(needle), "{needle}");
        }
    }

    #[test]
    fn usage_shows_the_commands_usage_line() {
        assert!(usage(Some(Command::Cancel)).starts_with("Usage: jetpack-partner cancel ("));
        assert!(usage(None).starts_with("Usage: jetpack-partner provision|cancel"));
    }
}

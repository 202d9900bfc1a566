//! Help and usage texts.

use crate::args::Command;

const OVERVIEW: &str = "\
jetpack-partner: provision and cancel Jetpack plans through WordPress.com's hosting-partner API.
A drop-in replacement for the old bin/partner-provision.sh and bin/partner-cancel.sh.

Usage:
  jetpack-partner provision --user=LOGIN --url=SITE_URL [--plan=SLUG] [flags]
  jetpack-partner cancel (--url=SITE_URL | --blog_id=ID | --site=SITE) [--plan=SLUG] [--cancel_all]
  jetpack-partner partner-key-new --name=NAME [--allowed_premium_plans=N ...] [--notes=TEXT]
  jetpack-partner status (--url=SITE_URL | --blog_id=ID | --site=SITE)
  jetpack-partner help [COMMAND]      jetpack-partner COMMAND --help      jetpack-partner --version

Commands:
  provision         provision a plan on a site (POST /rest/v1.3/jpphp/provision)
  cancel            cancel a partner plan on a site (POST /rest/v1.3/jpphp/{site}/partner-cancel)
  partner-key-new   create a partner key for a reseller's customer (POST /rest/v1.3/jpphp/partner-keys/new)
  status            connection and products of a site (GET /rest/v1.4/jpphp/{site}/status)
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
  -h, --help                  this help
";

const FORMS: &str = "\
Flags: --flag=value or --flag value; underscores or hyphens (--partner_id, --partner-id).
Switches: bare (--force_register) or --force_register=true|false|1|0. An empty value (--plan=)
counts as not given, as in the old scripts. Use --flag=value for a value that starts with --.
";

const OUTPUT: &str = "\
Output (stdout, one line of JSON):
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
  -u, --url=SITE_URL          the site, with scheme: https://example.com/blog
  -p, --plan=SLUG             plan slug (free, personal, premium, professional, ...); default: free
  -o, --onboarding            send the user through the onboarding wizard
  -w, --wpcom_user_id=ID      (allow-listed keys) connect this WordPress.com user without asking
  --wpcom_user_email=EMAIL    email of the WordPress.com user
  --force_register            register the site again (fixes method_not_found)
  --force_connect             connect the user again
  --partner_tracking_id=ID    your own ID for this site (tells staging copies apart)
  --ssh_user=U --ssh_pass=P --ssh_host=H --ssh_port=N      backup credentials (SSH)
  --ssh_private_key=KEY | --ssh_private_key_file=PATH      SSH key, as text or read from a file
  --ftp_user=U --ftp_pass=P --ftp_host=H --ftp_port=N      backup credentials (FTP)
  --home_url=URL --site_url=URL --allow-root    accepted and ignored (with a note on stderr): they
                              only applied to the old script's local WP-CLI run. WordPress.com
                              reaches the site at --url

The old scripts' one-letter forms also work: -c=ID (partner_id), -s=SECRET (partner_secret).

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

Usage: jetpack-partner status (--url=SITE_URL | --blog_id=ID | --site=SITE)

  -u, --url=SITE_URL          the site URL
  --blog_id=ID                or the WordPress.com blog ID
  --site=SITE                 or the site identifier (example.com::demo)

Example:
  jetpack-partner status --url=https://example.com
";

/// The full help: the overview, or one command's.
pub fn help(command: Option<Command>) -> String {
    match command {
        None => format!(
            "{OVERVIEW}\n{COMMON}\n{FORMS}\n{OUTPUT}\nRun 'jetpack-partner COMMAND --help' for a command's flags.\n"
        ),
        Some(c) => {
            let own = match c {
                Command::Provision => PROVISION,
                Command::Cancel => CANCEL,
                Command::PartnerKeyNew => KEY,
                Command::Status => STATUS,
            };
            format!("{own}\n{COMMON}\n{FORMS}\n{OUTPUT}")
        }
    }
}

/// The short usage printed on stderr after a command-line error.
pub fn usage(command: Option<Command>) -> String {
    let line = match command {
        None => "Usage: jetpack-partner provision|cancel|partner-key-new|status [flags]\n\
                 Run 'jetpack-partner --help' for details."
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

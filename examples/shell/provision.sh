#!/usr/bin/env sh
# Drop-in replacement for Jetpack's deprecated bin/partner-provision.sh.
#
# The old script ran WP-CLI inside the WordPress install; this one calls
# WordPress.com's partner API directly through the jetpack-partner tool, with
# the same flags and the same output:
#
#   before: wp-content/plugins/jetpack/bin/partner-provision.sh \
#             --partner_id=12345 --partner_secret=SECRET \
#             --user=admin --plan=premium --url=https://example.com
#   after:  examples/shell/provision.sh \
#             --partner_id=12345 --partner_secret=SECRET \
#             --user=admin --plan=premium --url=https://example.com
#
# Better, keep the secret out of the process list:
#   JETPACK_PARTNER_ID=12345 JETPACK_PARTNER_SECRET=SECRET \
#     examples/shell/provision.sh --user=admin --plan=premium --url=https://example.com
#
# Output, as before: the server's JSON on stdout and exit 0, e.g.
#   {"success":true,"auth_required":true,"next_url":"https://jetpack.wordpress.com/jetpack.authorize/1/..."}
# or on failure, exit 1 and
#   {"success":false,"error_code":"invalid_plan","error_message":"bogus is not a valid plan","http_status":400}
# A bad command line prints the usage on stderr and exits 2.
#
# Differences from the old script:
#   --url and --user are required: the old script found the site from the
#     directory it ran in and let WP-CLI pick the user; WordPress.com now reaches
#     the site at this URL, for this local user.
#   --home_url, --site_url, --wp-cli-path and --allow-root are accepted and
#     ignored (a note goes to stderr): they only applied to the local WP-CLI run.
#   --url may leave out the scheme (example.com/blog), as WordPress.com allows.
#   JETPACK_START_API_HOST still works; JETPACK_PARTNER_API_BASE (a full URL)
#     takes precedence over it.
#
# The tool is found through $JETPACK_PARTNER_CLI, else on $PATH.
set -u
cli="${JETPACK_PARTNER_CLI:-jetpack-partner}"
exec "$cli" provision "$@"

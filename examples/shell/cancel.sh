#!/usr/bin/env sh
# Drop-in replacement for Jetpack's deprecated bin/partner-cancel.sh:
#
#   JETPACK_PARTNER_ID=12345 JETPACK_PARTNER_SECRET=SECRET \
#     examples/shell/cancel.sh --url=https://example.com
#
# Also --blog_id=ID or --site=example.com::path instead of --url, --plan=SLUG
# for a stand-alone product, --cancel_all, and the script's own
# --partner-tracking-id (sent along) and --allow-root (ignored, with a note on
# stderr). {"success":false} with exit 0
# means the site had no partner plan: nothing to cancel.
# The tool is found through $JETPACK_PARTNER_CLI, else on $PATH.
set -u
cli="${JETPACK_PARTNER_CLI:-jetpack-partner}"
exec "$cli" cancel "$@"

#!/usr/bin/env sh
# Monthly reporting for a hosting partner: sign in once as the partner's
# WordPress.com user, then list the key's activations and invoices.
#
#   JETPACK_PARTNER_ID=12345 JETPACK_PARTNER_SECRET=SECRET examples/shell/reporting.sh [KEY_ID]
#
# The first run opens the sign-in flow: `jetpack-partner login` prints an
# address to open in a browser (add --open to start the browser itself),
# receives WordPress.com's redirect on 127.0.0.1 and stores the user token in
# $JETPACK_PARTNER_TOKEN_FILE (default ~/.config/jetpack-partner/token),
# readable by you only. Later runs reuse it.
#
# Against the offline sandbox (it approves the sign-in at once), e.g.:
#   JETPACK_PARTNER_API_BASE=http://127.0.0.1:8080 JETPACK_PARTNER_ID=12345 \
#     JETPACK_PARTNER_SECRET=sandbox-demo-secret examples/shell/reporting.sh 1
#
# Tables go to a terminal; redirect the output to get JSON instead
# (or pass --json / --table to the commands yourself).
#
# The tool is found through $JETPACK_PARTNER_CLI, else on $PATH.
set -eu
cli="${JETPACK_PARTNER_CLI:-jetpack-partner}"
key_id="${1:-}"
token_file="${JETPACK_PARTNER_TOKEN_FILE:-$HOME/.config/jetpack-partner/token}"

if [ ! -s "$token_file" ]; then
  mkdir -p "$(dirname "$token_file")"
  "$cli" login --token-file="$token_file" --wait=300 >/dev/null
fi

if [ -z "$key_id" ]; then
  # The partner and its keys; pick a key ID from here.
  exec "$cli" partner --token-file="$token_file"
fi

"$cli" activations --token-file="$token_file" --key_id="$key_id" --all
"$cli" upcoming-invoice --token-file="$token_file" --key_id="$key_id"
"$cli" invoices --token-file="$token_file" --key_id="$key_id"

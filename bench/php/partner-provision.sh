#!/usr/bin/env bash
# The old script route, the way panels ran it before the library: one `curl`
# process for the partner token, one for the provision, both parsed with `jq`
# (after Automattic's bin/partner-provision.sh). Same flags, same output: the
# server's JSON on stdout and exit 0, or {"success":false,...} and exit 1.
# The API base comes from JETPACK_PARTNER_API_BASE (the real script hard-codes
# https://public-api.wordpress.com).
set -u
API_BASE="${JETPACK_PARTNER_API_BASE:-https://public-api.wordpress.com}"
for arg in "$@"; do
  case "$arg" in
    --partner_id=*) CLIENT_ID="${arg#*=}" ;;
    --partner_secret=*) CLIENT_SECRET="${arg#*=}" ;;
    --user=*) WP_USER="${arg#*=}" ;;
    --plan=*) PLAN_NAME="${arg#*=}" ;;
    --url=*) SITE_URL="${arg#*=}" ;;
    *) ;;
  esac
done

fail() {
  jq -nc --arg c "$1" --arg m "$2" '{success: false, error_code: $c, error_message: $m}'
  exit 1
}

[ -n "${CLIENT_ID:-}" ] && [ -n "${CLIENT_SECRET:-}" ] || fail missing_args "partner_id and partner_secret are required"

ACCESS_TOKEN_JSON=$(curl -s --max-time 10 \
  --data-urlencode "client_id=$CLIENT_ID" \
  --data-urlencode "client_secret=$CLIENT_SECRET" \
  --data "grant_type=client_credentials" \
  --data "scope=jetpack-partner" \
  "$API_BASE/oauth2/token")
ACCESS_TOKEN=$(echo "$ACCESS_TOKEN_JSON" | jq -r '.access_token // empty')
[ -n "$ACCESS_TOKEN" ] || fail missing_access_token "Could not get an access token"

RESULT=$(curl -s --max-time 60 \
  -H "Authorization: Bearer $ACCESS_TOKEN" \
  --data-urlencode "local_user=${WP_USER:-}" \
  --data-urlencode "siteurl=${SITE_URL:-}" \
  --data-urlencode "plan=${PLAN_NAME:-}" \
  "$API_BASE/rest/v1.3/jpphp/provision")
[ -n "$RESULT" ] || fail unknown_error "Empty response from server"

ERROR=$(echo "$RESULT" | jq -r '.error // empty')
if [ -n "$ERROR" ]; then
  fail "$ERROR" "$(echo "$RESULT" | jq -r '.message // empty')"
fi
echo "$RESULT"

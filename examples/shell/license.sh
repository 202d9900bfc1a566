#!/usr/bin/env sh
# The Licensing API in three steps: issue a license for a product, connect the
# site, attach the license to it. Prints each reply (JSON) on its own line.
#
#   JETPACK_PARTNER_ID=KEY_CLIENT_ID JETPACK_PARTNER_SECRET=KEY_SECRET \
#     examples/shell/license.sh PRODUCT SITE_URL LOCAL_USER
#   e.g. examples/shell/license.sh jetpack-scan https://example.com admin
#
# Product slugs: `jetpack-partner product-families`. Undo with
#   jetpack-partner license detach --license_key=KEY
#   jetpack-partner license revoke --license_key=KEY
#
# The tool is found through $JETPACK_PARTNER_CLI, else on $PATH.
set -eu
cli="${JETPACK_PARTNER_CLI:-jetpack-partner}"
if [ $# -ne 3 ]; then
  echo "usage: $0 PRODUCT SITE_URL LOCAL_USER" >&2
  exit 2
fi
product=$1 url=$2 user=$3

issued=$("$cli" license issue --product="$product") || { echo "$issued"; exit 1; }
echo "$issued"
# The tool prints compact JSON: the key is the "license_key" string (jq -r .license_key works too).
key=$(printf '%s\n' "$issued" | sed -n 's/.*"license_key":"\([^"]*\)".*/\1/p')
"$cli" site-connection --url="$url" --user="$user"
"$cli" license attach --license_key="$key" --url="$url"

#!/usr/bin/env python3
"""Provision a Jetpack plan on a site, then show the site's status.

Usage: provision.py LOCAL_USER SITE_URL [PLAN]

The partner credentials come from the environment, never the command line:
  JETPACK_PARTNER_ID, JETPACK_PARTNER_SECRET   required
  JETPACK_PARTNER_API_BASE                     optional (default: https://public-api.wordpress.com),
                                               e.g. the URL printed by jetpack-partner-sandbox
  JETPACK_PARTNER_LIB                          optional path of libjetpack_partner.so

Run against a local sandbox:
  jetpack-partner-sandbox --listen 127.0.0.1:0 &     # prints http://127.0.0.1:PORT
  JETPACK_PARTNER_ID=12345 JETPACK_PARTNER_SECRET=sandbox-demo-secret \\
  JETPACK_PARTNER_API_BASE=http://127.0.0.1:PORT python3 provision.py admin https://example.com premium
"""

import json
import os
import sys
from pathlib import Path

try:
    import jetpack_partner
except ModuleNotFoundError:
    # Not installed (pip install ./bindings/python): use the checkout's copy.
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bindings" / "python"))
    import jetpack_partner

from jetpack_partner import ApiError, Client, JetpackError, TransportError


def main(argv: list) -> int:
    if len(argv) not in (3, 4):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    local_user, siteurl = argv[1], argv[2]
    plan = argv[3] if len(argv) == 4 else None

    partner_id = os.environ.get("JETPACK_PARTNER_ID")
    partner_secret = os.environ.get("JETPACK_PARTNER_SECRET")
    if not partner_id or not partner_secret:
        print("set JETPACK_PARTNER_ID and JETPACK_PARTNER_SECRET", file=sys.stderr)
        return 2
    api_base = os.environ.get("JETPACK_PARTNER_API_BASE") or None

    try:
        with Client(partner_id, partner_secret, api_base=api_base, timeout=60) as client:
            reply = client.provision(local_user, siteurl, plan)
            print(f"provisioned {plan or 'free'} on {siteurl}:")
            print(json.dumps(reply, indent=2))
            if reply.get("auth_required"):
                print(f"the user must authorize the connection at: {reply.get('next_url')}")

            status = client.status(siteurl)
            print(f"status of {jetpack_partner.site_identifier(siteurl)}:")
            print(json.dumps(status, indent=2))
    except ApiError as exc:
        # The server refused: exc.code is its error code (invalid_plan, ...).
        print(f"the API refused: {exc.code}: {exc.message} (HTTP {exc.http_status})", file=sys.stderr)
        return 1
    except TransportError as exc:
        # No usable answer (network, timeout, TLS); for provision, check the status before retrying.
        print(f"could not reach the API: {exc.code}: {exc.message}", file=sys.stderr)
        return 1
    except JetpackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

#!/usr/bin/env python3
"""List every activation of each partner key, with the month's upcoming invoice.

Usage: reporting.py [PLAN...]        (optional plan slugs to filter the activations)

Reporting needs a WordPress.com user token of the partner's user. The credentials come from
the environment, never the command line:
  JETPACK_PARTNER_ID, JETPACK_PARTNER_SECRET   required (the OAuth application)
  JETPACK_PARTNER_USER_TOKEN                   a user token; or else
  JETPACK_PARTNER_USERNAME, JETPACK_PARTNER_PASSWORD
                                               the application owner's login, for the password grant
  JETPACK_PARTNER_API_BASE                     optional (default: https://public-api.wordpress.com)
  JETPACK_PARTNER_LIB                          optional path of libjetpack_partner.so

Run against a local sandbox:
  jetpack-partner-sandbox --listen 127.0.0.1:0 &     # prints http://127.0.0.1:PORT
  JETPACK_PARTNER_ID=12345 JETPACK_PARTNER_SECRET=sandbox-demo-secret \\
  JETPACK_PARTNER_USERNAME=partner-12345 JETPACK_PARTNER_PASSWORD=sandbox-demo-password \\
  JETPACK_PARTNER_API_BASE=http://127.0.0.1:PORT python3 reporting.py
"""

import importlib.util
import os
import sys
from pathlib import Path
from typing import List

if importlib.util.find_spec("jetpack_partner") is None:
    # Not installed (pip install ./bindings/python): use the checkout's copy.
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bindings" / "python"))

from jetpack_partner import ApiError, Client, JetpackError


def main(argv: List[str]) -> int:
    if any(arg.startswith("-") for arg in argv[1:]):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    plans = argv[1:] or None

    partner_id = os.environ.get("JETPACK_PARTNER_ID")
    partner_secret = os.environ.get("JETPACK_PARTNER_SECRET")
    if not partner_id or not partner_secret:
        print("set JETPACK_PARTNER_ID and JETPACK_PARTNER_SECRET", file=sys.stderr)
        return 2
    api_base = os.environ.get("JETPACK_PARTNER_API_BASE") or None

    try:
        with Client(partner_id, partner_secret, api_base=api_base) as client:
            token = os.environ.get("JETPACK_PARTNER_USER_TOKEN")
            if not token:
                username = os.environ.get("JETPACK_PARTNER_USERNAME")
                password = os.environ.get("JETPACK_PARTNER_PASSWORD")
                if not username or not password:
                    print(
                        "set JETPACK_PARTNER_USER_TOKEN, or JETPACK_PARTNER_USERNAME and "
                        "JETPACK_PARTNER_PASSWORD",
                        file=sys.stderr,
                    )
                    return 2
                token = client.password_grant(username, password)["access_token"]

            partner = client.partner_details(token)
            print(f"partner {partner['id']} ({partner['name']})")
            for key in partner["keys"]:
                print(f"\nkey {key['id']} {key['name']}:")
                count = 0
                # Every page, fetched as the loop reaches it.
                for a in client.iter_activations(
                    token, partner["id"], key["id"], per_page=100, plans=plans
                ):
                    count += 1
                    state = "pending" if a.get("is_pending") else (a.get("activated_on") or "")
                    print(f"  {a['current_product_slug']:<26} {a['site_url']:<40} {state}")
                print(f"  {count} activation(s)")
                invoice = client.upcoming_invoice(token, partner["id"], key["id"])
                print(
                    f"  upcoming invoice {invoice['period_start']} - {invoice['period_end']}: "
                    f"{invoice['total'] / 100:.2f} {invoice['currency'].upper()}"
                )
    except ApiError as exc:
        print(f"the API refused: {exc.code}: {exc.message} (HTTP {exc.http_status})", file=sys.stderr)
        return 1
    except JetpackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

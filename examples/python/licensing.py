#!/usr/bin/env python3
"""Issue a Jetpack license and attach it to a site (Licensing API).

Usage: licensing.py PRODUCT SITE_URL [LOCAL_USER]

Connects the site first (site-connection, safe to repeat; LOCAL_USER defaults to admin), then
issues a license for PRODUCT (a slug such as jetpack-backup-daily; the product families are
listed when it is unknown) and attaches it to the site.

Environment (credentials never go on the command line):
  JETPACK_PARTNER_ID, JETPACK_PARTNER_SECRET   required: a partner key's client credentials
  JETPACK_PARTNER_API_BASE                     optional (default: https://public-api.wordpress.com)
  JETPACK_PARTNER_LIB                          optional path of libjetpack_partner.so

Run against a local sandbox:
  jetpack-partner-sandbox --listen 127.0.0.1:0 &     # prints http://127.0.0.1:PORT
  JETPACK_PARTNER_ID=12345 JETPACK_PARTNER_SECRET=sandbox-demo-secret \\
  JETPACK_PARTNER_API_BASE=http://127.0.0.1:PORT python3 licensing.py jetpack-scan https://example.com
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
    if len(argv) not in (3, 4):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    product, siteurl = argv[1], argv[2]
    local_user = argv[3] if len(argv) == 4 else "admin"

    partner_id = os.environ.get("JETPACK_PARTNER_ID")
    partner_secret = os.environ.get("JETPACK_PARTNER_SECRET")
    if not partner_id or not partner_secret:
        print("set JETPACK_PARTNER_ID and JETPACK_PARTNER_SECRET", file=sys.stderr)
        return 2
    api_base = os.environ.get("JETPACK_PARTNER_API_BASE") or None

    try:
        with Client(partner_id, partner_secret, api_base=api_base) as client:
            connection = client.site_connection(siteurl, local_user)
            print(f"site {siteurl}: {connection['code']} (blog {connection['blog_id']})")
            try:
                lic = client.license_issue(product)
            except ApiError as exc:
                if exc.code != "invalid_product":
                    raise
                print(f"unknown product {product!r}; the products are:", file=sys.stderr)
                for family in client.product_families():
                    slugs = ", ".join(p["slug"] for p in family["products"])
                    print(f"  {family['name']}: {slugs}", file=sys.stderr)
                return 1
            print(f"license {lic['license_key']} issued for {lic['product']}")
            attached = client.license_attach(lic["license_key"], siteurl)
            print(f"attached to blog {attached['blog_id']} at {attached['attached_at']}")
    except ApiError as exc:
        # Licensing errors carry the API's code: license_revoked, site_not_connected, ...
        print(f"the API refused: {exc.code}: {exc.message} (HTTP {exc.http_status})", file=sys.stderr)
        return 1
    except JetpackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

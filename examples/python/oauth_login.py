#!/usr/bin/env python3
"""Get a WordPress.com user token with the authorization-code flow, on a loopback port.

Usage: oauth_login.py [--blog SITE] [--scope global|auth]

Listens on 127.0.0.1 (a free port), prints the authorize URL to open in a browser, receives
the redirect, checks its `state`, exchanges the code and prints what the token is for. The
token itself is written to the file named by JETPACK_PARTNER_TOKEN_FILE (created with mode
0600) when set; it is never printed. The redirect URI http://127.0.0.1:PORT/callback must be
accepted by the OAuth application (the sandbox accepts any).

Environment:
  JETPACK_PARTNER_ID, JETPACK_PARTNER_SECRET   required (the OAuth application)
  JETPACK_PARTNER_API_BASE                     optional (default: https://public-api.wordpress.com)
  JETPACK_PARTNER_TOKEN_FILE                   optional: where to store the token
  JETPACK_PARTNER_LIB                          optional path of libjetpack_partner.so
"""

import argparse
import http.server
import importlib.util
import os
import sys
import threading
from pathlib import Path
from typing import List, Optional

if importlib.util.find_spec("jetpack_partner") is None:
    # Not installed (pip install ./bindings/python): use the checkout's copy.
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bindings" / "python"))

from jetpack_partner import AccessDenied, ApiError, Client, JetpackError, StateMismatch, parse_redirect


class _Callback(http.server.BaseHTTPRequestHandler):
    """Receives the one redirect, answers the browser, and hands the URL to the main thread."""

    received: Optional[str] = None
    done = threading.Event()

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        if not self.path.startswith("/callback"):
            self.send_error(404)
            return
        type(self).received = f"http://{self.server.server_address[0]}:{self.server.server_address[1]}{self.path}"
        body = b"<p>You can close this window and go back to the terminal.</p>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        type(self).done.set()

    def log_message(self, format: str, *args: object) -> None:  # the query holds the code
        pass


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(prog="oauth_login.py", description=__doc__.splitlines()[0])
    parser.add_argument("--blog", help="tie the token to this site (URL or blog ID)")
    parser.add_argument("--scope", choices=["global", "auth"])
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds to wait (300)")
    args = parser.parse_args(argv[1:])

    partner_id = os.environ.get("JETPACK_PARTNER_ID")
    partner_secret = os.environ.get("JETPACK_PARTNER_SECRET")
    if not partner_id or not partner_secret:
        print("set JETPACK_PARTNER_ID and JETPACK_PARTNER_SECRET", file=sys.stderr)
        return 2
    api_base = os.environ.get("JETPACK_PARTNER_API_BASE") or None
    token_file = os.environ.get("JETPACK_PARTNER_TOKEN_FILE")

    server = http.server.HTTPServer(("127.0.0.1", 0), _Callback)
    redirect_uri = f"http://127.0.0.1:{server.server_address[1]}/callback"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with Client(partner_id, partner_secret, api_base=api_base) as client:
            url, state = client.authorize_url(redirect_uri, blog=args.blog, scope=args.scope)
            print(f"open this URL to authorize: {url}", flush=True)
            if not _Callback.done.wait(args.timeout):
                print("no redirect received in time", file=sys.stderr)
                return 1
            assert _Callback.received is not None
            grant = parse_redirect(_Callback.received, state)
            assert grant.code is not None
            token = client.exchange_code(grant.code, redirect_uri)
            info = client.token_info(token["access_token"])
            print(
                f"authorized: user {info['user_id']}, blog {info['blog_id']}, "
                f"scope {info.get('scope') or '(default)'}"
            )
            if token_file:
                fd = os.open(token_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                os.fchmod(fd, 0o600)  # also when the file existed
                with os.fdopen(fd, "w") as f:
                    f.write(token["access_token"] + "\n")
                print(f"token stored in {token_file}")
    except StateMismatch:
        print("the redirect's state does not match: ignored (possible forgery)", file=sys.stderr)
        return 1
    except AccessDenied:
        print("the user refused the authorization", file=sys.stderr)
        return 1
    except ApiError as exc:
        print(f"the API refused: {exc.code}: {exc.message}", file=sys.stderr)
        return 1
    except JetpackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        server.shutdown()
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

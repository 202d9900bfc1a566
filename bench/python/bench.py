"""N sequential provisions from Python, one way per run.

    python3 bench.py binding|requests API_BASE N

`binding` uses jetpack_partner.Client (the library through ctypes); `requests`
uses one requests.Session (connection kept alive) with the token asked once.
One warm-up call is made before timing. Prints one JSON line; exits 1 if a call failed.
"""

import json
import os
import sys
import time

USER = "admin"
SITE = "https://example.com/"
PLAN = os.environ.get("JP_BENCH_PLAN") or "premium"
PARTNER_ID = os.environ.get("JP_BENCH_PARTNER_ID") or "12345"
PARTNER_SECRET = os.environ.get("JP_BENCH_PARTNER_SECRET") or "sandbox-demo-secret"


class SessionClient:
    """requests written well: one Session, the token asked for once."""

    def __init__(self, base):
        import requests

        self.base = base
        self.session = requests.Session()
        self.token = None

    def _post(self, path, data, headers=None):
        r = self.session.post(self.base + path, data=data, headers=headers, timeout=(10, 60))
        body = r.json()
        if r.status_code != 200:
            raise RuntimeError(f"HTTP {r.status_code}: {body}")
        return body

    def provision(self):
        if self.token is None:
            reply = self._post(
                "/oauth2/token",
                {
                    "client_id": PARTNER_ID,
                    "client_secret": PARTNER_SECRET,
                    "grant_type": "client_credentials",
                    "scope": "jetpack-partner",
                },
            )
            self.token = reply["access_token"]
        return self._post(
            "/rest/v1.3/jpphp/provision",
            {"local_user": USER, "siteurl": SITE, "plan": PLAN},
            {"Authorization": "Bearer " + self.token},
        )


def binding_call(base):
    from binding import make_client, provision

    client = make_client(base, PARTNER_ID, PARTNER_SECRET)
    return lambda: provision(client, USER, SITE, PLAN)


def main():
    if len(sys.argv) < 4:
        print("usage: python3 bench.py binding|requests API_BASE N", file=sys.stderr)
        return 2
    mode, base, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if mode == "binding":
        call = binding_call(base)
    elif mode == "requests":
        call = SessionClient(base).provision
    else:
        print(f"unknown mode {mode}", file=sys.stderr)
        return 2

    failures = 0

    def check():
        nonlocal failures
        try:
            reply = call()
            if not isinstance(reply, dict) or reply.get("success") is not True:
                raise RuntimeError(f"reply without success=true: {reply!r}")
        except Exception as e:  # every failure is counted and the first ones shown
            if failures < 3:
                print(f"bench.py: provision failed: {type(e).__name__}: {e}", file=sys.stderr)
            failures += 1

    check()
    if failures:
        print("bench.py: warm-up failed", file=sys.stderr)
        return 1
    t0 = time.perf_counter()
    for _ in range(n):
        check()
    secs = time.perf_counter() - t0
    print(
        json.dumps(
            {
                "calls": n,
                "seconds": round(secs, 6),
                "rate": round(n / secs, 2),
                "failures": failures,
                "python": sys.version.split()[0],
            }
        )
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

"""N provisions from one Python process that starts cold (no token, no connection), with T
threads (T provisions in flight):

    python3 bulk.py binding API_BASE CA_BUNDLE T N     one jetpack_partner.Client shared by T threads
    python3 bulk.py requests API_BASE CA_BUNDLE T N    one requests.Session per thread, token asked once
    python3 bulk.py batch API_BASE CA_BUNDLE K N       the binding's provision_many, K in flight

The time runs from the client's creation to the last reply. Prints one JSON line; exits 1 if a
call failed.
"""

import itertools
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
from bench import PARTNER_ID, PARTNER_SECRET, PLAN, SITE, USER  # noqa: E402  (bench/python/bench.py)


def binding_calls(base, ca):
    from jetpack_partner import Client

    client = Client(PARTNER_ID, PARTNER_SECRET, api_base=base, ca_bundle=ca, timeout=60.0)
    return lambda: client.provision(USER, SITE, PLAN)


def requests_calls(base, ca):
    import requests

    first = requests.Session()
    reply = first.post(
        base + "/oauth2/token",
        data={
            "client_id": PARTNER_ID,
            "client_secret": PARTNER_SECRET,
            "grant_type": "client_credentials",
            "scope": "jetpack-partner",
        },
        verify=ca,
        timeout=(10, 60),
    )
    reply.raise_for_status()
    headers = {"Authorization": "Bearer " + reply.json()["access_token"]}
    local = threading.local()
    spare = [first]  # the token's session (and its connection) goes to the first thread
    spare_lock = threading.Lock()

    def call():
        session = getattr(local, "session", None)
        if session is None:
            with spare_lock:
                session = spare.pop() if spare else requests.Session()
            local.session = session
        r = session.post(
            base + "/rest/v1.3/jpphp/provision",
            data={"local_user": USER, "siteurl": SITE, "plan": PLAN},
            headers=headers,
            verify=ca,
            timeout=(10, 60),
        )
        return r.json()

    return call


def run_batch(base, ca, k, n):
    from jetpack_partner import Client

    t0 = time.perf_counter()
    client = Client(PARTNER_ID, PARTNER_SECRET, api_base=base, ca_bundle=ca, timeout=60.0)
    items = ({"key": f"item-{i}", "local_user": USER, "siteurl": SITE, "plan": PLAN} for i in range(n))
    failures = 0
    for result in client.provision_many(items, concurrency=k):
        if result.outcome != "done" or (result.reply or {}).get("success") is not True:
            if failures < 3:
                print(f"bulk.py: item {result.key}: {result.outcome}: {result.error}", file=sys.stderr)
            failures += 1
    secs = time.perf_counter() - t0
    print(json.dumps({"calls": n, "threads": k, "seconds": round(secs, 6), "failures": failures}))
    return 1 if failures else 0


def run(make_calls, threads, n):
    t0 = time.perf_counter()
    call = make_calls()
    counter = itertools.count()
    failures = []

    def worker():
        while next(counter) < n:
            try:
                reply = call()
                if not isinstance(reply, dict) or reply.get("success") is not True:
                    raise RuntimeError(f"reply without success=true: {reply!r}")
            except Exception as e:  # every failure is counted, the first ones shown
                if len(failures) < 3:
                    print(f"bulk.py: provision failed: {type(e).__name__}: {e}", file=sys.stderr)
                failures.append(e)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    secs = time.perf_counter() - t0
    print(json.dumps({"calls": n, "threads": threads, "seconds": round(secs, 6), "failures": len(failures)}))
    return 1 if failures else 0


def main():
    if len(sys.argv) < 6:
        print(__doc__, file=sys.stderr)
        return 2
    mode, base, ca = sys.argv[1:4]
    threads, n = int(sys.argv[4]), int(sys.argv[5])
    # Imported before the clock starts: loading a module is not a network cost.
    __import__({"binding": "jetpack_partner", "batch": "jetpack_partner", "requests": "requests"}.get(mode, "json"))
    if mode == "batch":
        return run_batch(base, ca, threads, n)
    if mode == "binding":
        return run(lambda: binding_calls(base, ca), threads, n)
    if mode == "requests":
        return run(lambda: requests_calls(base, ca), threads, n)
    print(f"unknown mode {mode}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())

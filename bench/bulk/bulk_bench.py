"""1,000 provisions (or N) through Client.provision_many with K calls in flight; prints one JSON line.

    python3 bulk_bench.py SANDBOX_URL N K TAG [JOURNAL]
"""

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bindings" / "python"))
import jetpack_partner  # noqa: E402


def main() -> int:
    url, n, k, tag = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    journal = sys.argv[5] if len(sys.argv) > 5 else None
    items = [
        {"local_user": "admin", "siteurl": f"https://{tag}-{i}.example/", "plan": "premium"}
        for i in range(n)
    ]
    with jetpack_partner.Client("12345", "sandbox-demo-secret", api_base=url) as client:
        try:
            client.status("bench-warm-up.example")  # the token, before the clock starts
        except jetpack_partner.ApiError:
            pass  # unknown_blog: the token was obtained all the same
        start = time.monotonic()
        ok = sum(1 for r in client.provision_many(items, concurrency=k, journal=journal) if r.outcome == "done")
        seconds = time.monotonic() - start
    print(json.dumps({"lang": "python", "k": k, "n": n, "journal": journal is not None,
                      "seconds": round(seconds, 3), "per_second": round(n / seconds, 1), "ok": ok}))
    return 0 if ok == n else 1


if __name__ == "__main__":
    sys.exit(main())

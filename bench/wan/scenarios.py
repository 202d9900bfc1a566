"""The rows of the WAN benchmark: what each one runs, its group, and the physical limit it is
compared with.

The limit of a group is the fewest round trips (RTT = 2 * D) the job needs on the critical
path: 1 per exchange on a kept connection, +1 for TCP and +1 for TLS 1.3 on a new one, N calls
with k in flight N/k exchanges. The partner token is not in any limit: it can be cached (in the
process, in APCu, in a cache shared between processes), so asking for it is a cost of the way a
client is written, which the rows show.
"""

import math
from dataclasses import dataclass, field
from typing import Callable, Optional


@dataclass
class Group:
    id: str
    title: str
    short: str  # the chart's label
    limit_rt: Callable[[dict], float]  # round trips on the critical path, from the config
    extra_ms: Callable[[dict], float] = lambda cfg: 0.0  # local work the page does on purpose
    note: str = ""


@dataclass
class Row:
    id: str
    group: str
    label: str
    kind: str  # "library" or "alternative"
    action: str  # how driver.py runs one sample (see Driver.ACTIONS)
    args: dict = field(default_factory=dict)
    needs: Optional[tuple] = None  # (client, feature): n/a when the build lacks it


def bulk_limit(k):
    return lambda cfg: 2 + math.ceil(cfg["bulk_n"] / k)


def work_ms(cfg):
    """The page's other work: three round trips' worth, time enough to open a connection behind it."""
    return 3 * 2 * cfg["delay_ms"]


GROUPS = [
    Group("page-warm", "Panel page, warm worker", "page, warm worker", lambda cfg: 1,
          note="PHP-FPM page, one provision, a worker that served pages before"),
    Group("page-first", "Panel page, worker's first page", "page, first of a worker", lambda cfg: 3,
          note="the first page of a new PHP-FPM worker (pm.max_requests = 1)"),
    Group("page-idle", "Panel page after an idle gap", "page after idle gap", lambda cfg: 3,
          note="a page after the worker was idle longer than the server keeps idle connections: "
               "a new connection"),
    Group("page-work", "Panel page with other work, first page", "page with work, first", lambda cfg: 1, extra_ms=work_ms,
          note="a worker's first page doing 3 RTT of other work (usleep) before its provision"),
    Group("fresh", "Fresh process, one provision", "fresh process", lambda cfg: 3,
          note="a new process per provision, start to exit"),
    Group("bulk-1", "Bulk, 1 in flight", "bulk, 1 in flight", bulk_limit(1), note="one process, N provisions one after another"),
    Group("bulk-4", "Bulk, 4 in flight", "bulk, 4 in flight", bulk_limit(4), note="one process, N provisions, 4 at a time"),
    Group("bulk-16", "Bulk, 16 in flight", "bulk, 16 in flight", bulk_limit(16), note="one process, N provisions, 16 at a time"),
]

ROWS = [
    Row("page-warm-lib", "page-warm", "library (binding, preloaded)", "library", "page", {"path": "/warm/lib.php"}),
    Row("page-warm-curl-naive", "page-warm", "php-curl, new handle + token per call", "alternative", "page",
        {"path": "/warm/curl.php", "query": {"token": "fresh"}}),
    Row("page-warm-curl-apcu", "page-warm", "php-curl, token in APCu", "alternative", "page",
        {"path": "/warm/curl.php", "query": {"token": "apcu"}}),

    Row("page-first-lib", "page-first", "library", "library", "page", {"path": "/fresh/lib.php"}),
    Row("page-first-lib-cache", "page-first", "library, token cache", "library", "page",
        {"path": "/fresh/lib.php", "query": {"cache": "1"}}, needs=("php", "token_cache_dir")),
    Row("page-first-curl-naive", "page-first", "php-curl, new handle + token per call", "alternative", "page",
        {"path": "/fresh/curl.php", "query": {"token": "fresh"}}),
    Row("page-first-curl-apcu", "page-first", "php-curl, token in APCu", "alternative", "page",
        {"path": "/fresh/curl.php", "query": {"token": "apcu"}}),

    Row("page-idle-lib", "page-idle", "library", "library", "idle-page", {"path": "/idle/lib.php"}),
    Row("page-idle-curl-apcu", "page-idle", "php-curl, token in APCu", "alternative", "idle-page",
        {"path": "/idle/curl.php", "query": {"token": "apcu"}}),

    # Against a token shared by the pool (APCu), the library rows use its shared token cache when
    # the build has one.
    Row("page-work-lib-warm", "page-work", "library, warmInBackground() before the page's other work", "library", "page",
        {"path": "/fresh/lib.php", "query": {"warm": "1"}, "work": True, "cache_if_built": True},
        needs=("php", "warm")),
    Row("page-work-lib", "page-work", "library, no warm-up", "library", "page",
        {"path": "/fresh/lib.php", "work": True, "cache_if_built": True}),
    Row("page-work-curl-apcu", "page-work", "php-curl, token in APCu", "alternative", "page",
        {"path": "/fresh/curl.php", "query": {"token": "apcu"}, "work": True}),

    Row("fresh-cli", "fresh", "CLI jetpack-partner provision", "library", "cli", {}),
    Row("fresh-cli-cache", "fresh", "CLI, token cache", "library", "cli", {"cache": True},
        needs=("cli", "token_cache_dir")),
    Row("fresh-php", "fresh", "PHP script, binding", "library", "php-script", {}),
    Row("fresh-php-cache", "fresh", "PHP script, binding, token cache", "library", "php-script", {"cache": True},
        needs=("php", "token_cache_dir")),
    Row("fresh-curl-jq", "fresh", "curl + jq script (token, then provision)", "alternative", "curl-jq", {}),

    Row("bulk1-c", "bulk-1", "C, 1 thread", "library", "bulk-c", {"threads": 1}),
    Row("bulk1-php", "bulk-1", "PHP binding", "library", "bulk-php", {"mode": "binding"}),
    Row("bulk1-py", "bulk-1", "Python binding, 1 thread", "library", "bulk-py", {"mode": "binding", "threads": 1}),
    Row("bulk1-php-curl", "bulk-1", "php-curl, one handle, token once", "alternative", "bulk-php",
        {"mode": "curl-reused"}),
    Row("bulk1-requests", "bulk-1", "requests.Session, 1 thread", "alternative", "bulk-py",
        {"mode": "requests", "threads": 1}),

    Row("bulk4-c", "bulk-4", "C, 4 threads", "library", "bulk-c", {"threads": 4}),
    Row("bulk4-requests", "bulk-4", "requests.Session, 4 threads", "alternative", "bulk-py",
        {"mode": "requests", "threads": 4}),

    Row("bulk16-c", "bulk-16", "C, 16 threads", "library", "bulk-c", {"threads": 16}),
    Row("bulk16-c-cache", "bulk-16", "C, 16 threads, token cache", "library", "bulk-c",
        {"threads": 16, "cache": True}, needs=("c", "token_cache_dir")),
    Row("bulk16-py", "bulk-16", "Python binding, 16 threads", "library", "bulk-py",
        {"mode": "binding", "threads": 16}),
    Row("bulk16-curl-multi", "bulk-16", "php curl_multi, 16 in flight", "alternative", "bulk-php",
        {"mode": "curl-multi", "in_flight": 16}),
    Row("bulk16-requests", "bulk-16", "requests.Session, 16 threads", "alternative", "bulk-py",
        {"mode": "requests", "threads": 16}),

    # The library's own bulk API: one call, the whole list, k in flight.
    Row("bulk1-py-batch", "bulk-1", "Python provision_many, k = 1", "library", "bulk-py",
        {"mode": "batch", "threads": 1}),
    Row("bulk4-py-batch", "bulk-4", "Python provision_many, k = 4", "library", "bulk-py",
        {"mode": "batch", "threads": 4}),
    Row("bulk16-py-batch", "bulk-16", "Python provision_many, k = 16", "library", "bulk-py",
        {"mode": "batch", "threads": 16}),
    Row("bulk16-php-batch", "bulk-16", "PHP provisionMany, k = 16", "library", "bulk-php",
        {"mode": "batch", "in_flight": 16}),
]

# Targets, checked at D = TARGET_DELAY_MS against the physical limit (ratio of the p50 time).
TARGET_DELAY_MS = 40
TARGETS = [
    # (row, at most this ratio, what it says)
    ("page-warm-lib", 1.05, "PHP-FPM page, warm worker"),
    ("page-first-lib-cache", 1.10, "worker's first page, token cache"),
    ("fresh-cli-cache", 1.10, "fresh process (CLI), token cache"),
    ("bulk16-c", 1.10, "200 provisions, 16 in flight (C)"),
    ("bulk16-c-cache", 1.10, "200 provisions, 16 in flight (C, token cache)"),
]

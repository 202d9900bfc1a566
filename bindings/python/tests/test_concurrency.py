"""One client shared by threads, calls without the GIL, and clients across os.fork()."""

from __future__ import annotations

import os
import threading
import time
from typing import Any, Dict, List, Tuple

import pytest

from conftest import PARTNER_ID, PARTNER_SECRET, Sandbox

import jetpack_partner as jp
from jetpack_partner import Client


def _run_threads(n: int, target: Any) -> List[Any]:
    results: List[Any] = [None] * n
    barrier = threading.Barrier(n)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = target(i)
        except BaseException as exc:  # reported by the assertions of the test
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
        assert not t.is_alive()
    return results


def test_one_client_shared_by_8_threads(client: Client, sandbox: Sandbox) -> None:
    sites = [f"https://threads-{i}-{os.getpid()}.example.com" for i in range(8)]

    def work(i: int) -> Tuple[Dict[str, Any], ...]:
        site = sites[i]
        out = []
        for plan in ("personal", "premium"):
            out.append(client.provision("admin", site, plan))
            out.append(client.status(site))
        try:
            client.provision("admin", site, "not-a-plan")
        except jp.ApiError as exc:
            out.append({"error": exc.code})
        out.append(client.cancel(site))
        return tuple(out)

    results = _run_threads(8, work)
    for i, r in enumerate(results):
        assert not isinstance(r, BaseException), f"thread {i}: {r!r}"
        assert r[0]["success"] is True and r[2]["success"] is True
        assert "personal" in [p["slug"] for p in r[1]["products"]]
        assert "premium" in [p["slug"] for p in r[3]["products"]]
        assert r[4] == {"error": "invalid_plan"}
        assert r[5] == {"success": True}


def test_calls_from_threads_overlap(client: Client, sandbox: Sandbox, site: str) -> None:
    client.provision("admin", site)
    client.status(site)  # the partner token is fetched once, before the timing
    delay = 0.4
    sandbox.fault(endpoint="status", kind="delay", delay_ms=int(delay * 1000), count=0)

    def timed(_: int) -> Tuple[float, float]:
        start = time.monotonic()
        client.status(site)
        return start, time.monotonic()

    spans = _run_threads(4, timed)
    for s in spans:
        assert not isinstance(s, BaseException), s
    latest_start = max(s for s, _ in spans)
    earliest_end = min(e for _, e in spans)
    # Every call was in flight at the same moment: the 4 calls overlapped.
    assert latest_start < earliest_end, spans
    total = max(e for _, e in spans) - min(s for s, _ in spans)
    assert total < 2.5 * delay, f"4 calls of {delay}s took {total:.2f}s"


def test_the_gil_is_released_during_a_call(client: Client, sandbox: Sandbox, site: str) -> None:
    client.provision("admin", site)
    client.status(site)
    sandbox.fault(endpoint="status", kind="delay", delay_ms=500, count=1)
    counter = [0]
    stop = threading.Event()

    def spin() -> None:
        while not stop.is_set():
            counter[0] += 1

    t = threading.Thread(target=spin)
    t.start()
    try:
        time.sleep(0.05)
        before = counter[0]
        client.status(site)  # 500 ms in the library
        during = counter[0] - before
    finally:
        stop.set()
        t.join()
    # With the GIL held for 0.5 s the other thread could not count at all meanwhile.
    assert during > 50_000, during


def _in_child(fn: Any) -> int:
    """Run fn() in a forked child; return its exit status (0 when fn returned True)."""
    pid = os.fork()
    if pid == 0:  # child
        code = 1
        try:
            code = 0 if fn() else 3
        except BaseException:
            code = 2
        finally:
            os._exit(code)
    deadline = time.monotonic() + 30
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            if os.WIFEXITED(status):
                return os.WEXITSTATUS(status)
            return -os.WTERMSIG(status)
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            return -9  # the child hung
        time.sleep(0.01)


def test_client_used_before_fork_works_in_child_and_parent(
    client: Client, sandbox: Sandbox, site: str
) -> None:
    client.provision("admin", site, "personal")  # token fetched, connection kept alive
    child_site = site.replace("https://", "https://child-")

    def child() -> bool:
        reply = client.provision("admin", child_site, "premium")
        status = client.status(child_site)
        client.close()
        return reply["success"] is True and "premium" in [p["slug"] for p in status["products"]]

    assert _in_child(child) == 0
    # The parent's client still works, and sees what the child did.
    assert "premium" in [p["slug"] for p in client.status(child_site)["products"]]
    assert client.provision("admin", site, "premium")["success"] is True
    assert not client.closed


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_fork_while_threads_use_the_client(client: Client, sandbox: Sandbox, site: str) -> None:
    client.provision("admin", site)
    stop = threading.Event()
    errors: List[BaseException] = []

    def busy() -> None:
        while not stop.is_set():
            try:
                client.status(site)
            except BaseException as exc:  # pragma: no cover - asserted below
                errors.append(exc)
                return

    threads = [threading.Thread(target=busy) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        statuses = []
        for _ in range(3):
            time.sleep(0.05)
            statuses.append(_in_child(lambda: client.status(site)["blog"] is not None))
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert statuses == [0, 0, 0]
    assert errors == []


def test_client_made_in_parent_without_any_call_works_in_child(sandbox: Sandbox, site: str) -> None:
    c = Client(PARTNER_ID, PARTNER_SECRET, api_base=sandbox.url)
    assert _in_child(lambda: c.provision("admin", site, "premium")["success"] is True) == 0
    assert "premium" in [p["slug"] for p in c.status(site)["products"]]
    c.close()


def test_close_racing_with_calls_from_threads(sandbox: Sandbox, site: str, monkeypatch: pytest.MonkeyPatch) -> None:
    frees: List[int] = []
    original = jp._lib.lib.jp_client_free

    def recording(handle: Any) -> None:
        frees.append(1)
        original(handle)

    monkeypatch.setattr(jp._lib.lib, "jp_client_free", recording)
    for round_ in range(5):
        c = Client(PARTNER_ID, PARTNER_SECRET, api_base=sandbox.url)
        c.provision("admin", site)
        outcomes: List[str] = []
        lock = threading.Lock()

        def hammer(_: int) -> None:
            for _ in range(30):
                try:
                    c.status(site)
                    result = "ok"
                except jp.InvalidArgument as exc:
                    assert "closed" in exc.message
                    result = "closed"
                with lock:
                    outcomes.append(result)

        closer = threading.Timer(0.01 * (round_ + 1), c.close)
        closer.start()
        results = _run_threads(6, hammer)
        closer.join()
        assert all(r is None for r in results), results
        assert c.closed
        assert len(outcomes) == 6 * 30
        assert set(outcomes) <= {"ok", "closed"}
        # Once closed, a call never succeeds again; the handle is freed exactly once.
        with pytest.raises(jp.InvalidArgument):
            c.status(site)
    assert len(frees) == 5

"""provision_many, cancel_many and reconcile against a sandbox of their own: a thousand items
with faults, each provisioned exactly once (the sandbox's request log); a process killed with
SIGKILL in the middle of a journaled run, then run again; malformed items; reconciliation."""

from __future__ import annotations

import collections
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

import jetpack_partner
from conftest import BINDING_DIR, PARTNER_ID, PARTNER_SECRET, Sandbox, start_sandbox, user_token_for


@pytest.fixture
def own_sandbox() -> Iterator[Sandbox]:
    with start_sandbox() as sb:
        yield sb


def successes_per_site(sandbox: Sandbox) -> Dict[str, int]:
    log = sandbox.control("GET", "requests?endpoint=provision")
    return collections.Counter(r["site"] for r in log["requests"] if r["status"] == 200)


def site(i: int) -> str:
    marker = "lost" if i % 40 == 7 else "py"
    return f"https://{marker}-{i}.example/"


def items(n: int) -> List[Dict[str, Any]]:
    return [
        {"key": f"order-{i}", "local_user": "admin", "siteurl": site(i),
         "plan": "premium" if i % 2 else "jetpack-backup-daily"}
        for i in range(n)
    ]


def test_a_thousand_items_with_faults_are_each_provisioned_once(own_sandbox: Sandbox, tmp_path: Path) -> None:
    own_sandbox.fault(endpoint="provision", site="lost-", kind="reset", count=0)
    own_sandbox.fault(endpoint="provision", kind="status", status=429, retry_after=1, count=4)
    journal = tmp_path / "journal.jsonl"
    with jetpack_partner.Client(PARTNER_ID, PARTNER_SECRET, api_base=own_sandbox.url) as client:
        results = list(client.provision_many(items(1000), concurrency=16, journal=journal))
        assert len(results) == 1000
        outcomes = collections.Counter(r.outcome for r in results)
        assert outcomes == {"done": 975, "confirmed": 25}, outcomes
        assert sorted(r.index for r in results) == list(range(1000))
        assert all(r.ok for r in results)
        per_site = successes_per_site(own_sandbox)
        assert len(per_site) == 1000 and set(per_site.values()) == {1}

        again = list(client.provision_many(items(1000), concurrency=16, journal=journal))
        assert {r.outcome for r in again} == {"already_done"}
        assert successes_per_site(own_sandbox) == per_site


KILLED_RUN = textwrap.dedent(
    """
    import json, sys
    sys.path.insert(0, sys.argv[1])
    import jetpack_partner
    url, journal = sys.argv[2], sys.argv[3]
    items = [json.loads(line) for line in sys.stdin]
    with jetpack_partner.Client("12345", "sandbox-demo-secret", api_base=url, timeout=2) as client:
        for result in client.provision_many(items, concurrency=16, journal=journal):
            print(result.outcome, flush=True)
    """
)


def test_a_run_killed_with_sigkill_and_run_again_provisions_each_site_once(
    own_sandbox: Sandbox, tmp_path: Path
) -> None:
    own_sandbox.fault(endpoint="provision", kind="delay", delay_ms=20, count=0)
    own_sandbox.fault(endpoint="provision", site="lost-", kind="reset", count=0)
    journal = tmp_path / "journal.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_RUN, str(BINDING_DIR), own_sandbox.url, str(journal)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=os.environ.copy(),
    )
    assert proc.stdin and proc.stdout
    proc.stdin.write("".join(json.dumps(i) + "\n" for i in items(1000)).encode())
    proc.stdin.close()
    for _ in range(250):
        assert proc.stdout.readline(), "the run ended before the kill"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    last = {}
    for line in journal.read_text().splitlines():
        event = json.loads(line)
        last[event["key"]] = event["event"]
    assert "started" in last.values(), "nothing was in flight at the kill"
    assert sum(successes_per_site(own_sandbox).values()) < 1000

    with jetpack_partner.Client(PARTNER_ID, PARTNER_SECRET, api_base=own_sandbox.url, timeout=2) as client:
        results = list(client.provision_many(items(1000), concurrency=16, journal=journal))
    outcomes = collections.Counter(r.outcome for r in results)
    assert outcomes["already_done"] >= 250 and outcomes["failed"] == 0 and outcomes["unknown"] == 0, outcomes
    per_site = successes_per_site(own_sandbox)
    assert len(per_site) == 1000 and set(per_site.values()) == {1}, collections.Counter(per_site.values())


def test_malformed_items_fail_alone(client: jetpack_partner.Client, sandbox: Sandbox) -> None:
    good = {"key": "g", "local_user": "admin", "siteurl": "https://py-good.example/", "plan": "premium"}
    results = {
        r.index: r
        for r in client.provision_many(
            [
                good,
                "not a mapping",
                {"key": "no-url", "local_user": "admin"},
                {"key": "bad-port", "local_user": "admin", "siteurl": "https://py-x.example/", "ssh_port": 0},
                {"key": "bad-option", "local_user": "admin", "siteurl": "https://py-y.example/", "colour": 1},
                {"key": "g", "local_user": "admin", "siteurl": "https://py-dup.example/"},
            ]
        )
    }
    assert results[0].outcome == "done" and results[0].reply["success"] is True
    for index, field in [(1, "item 1"), (2, "siteurl"), (3, "ssh_port"), (4, "colour"), (5, "key")]:
        r = results[index]
        assert r.outcome == "failed", r
        assert isinstance(r.error, jetpack_partner.InvalidArgument), r
        assert field in r.error.message, r.error.message
    with pytest.raises(jetpack_partner.InvalidArgument, match="concurrency"):
        list(client.provision_many([good], concurrency=65))


def test_cancel_many_and_leaving_early(client: jetpack_partner.Client) -> None:
    sites = [f"https://py-cancel-{i}.example/" for i in range(30)]
    for s in sites:
        client.provision("admin", s, "premium")
    results = list(client.cancel_many([{"site": s} for s in sites[:10]], concurrency=4))
    assert len(results) == 10 and all(r.outcome == "done" and r.reply == {"success": True} for r in results)
    seen = 0
    for _ in client.cancel_many([{"site": s, "key": s} for s in sites[10:]], concurrency=1):
        seen += 1
        if seen == 2:
            break
    still = sum(1 for s in sites[10:] if client.status(s)["products"])
    assert still >= 15, still


def test_reconcile_finds_every_difference_and_fix_removes_them(tmp_path: Path) -> None:
    with start_sandbox() as sb, jetpack_partner.Client(PARTNER_ID, PARTNER_SECRET, api_base=sb.url) as client:
        def active(name: str, plan: str) -> None:
            client.provision("admin", f"https://{name}.example/", plan, wpcom_user_id=1)

        for name in ["ok", "unbilled", "wrong", "gone"]:
            active(f"r-{name}", "professional" if name == "wrong" else "premium")
        client.cancel("https://r-gone.example/")
        expected = [
            {"site": f"https://r-{n}.example/", "plan": "premium", "key": f"o-{n}"}
            for n in ["ok", "missing", "wrong", "gone"]
        ]
        token = user_token_for(sb, PARTNER_ID, PARTNER_SECRET)
        report = client.reconcile(expected, user_token=token)
        counts = report["counts"]
        assert counts["matching"] == 1
        for kind in ["unbilled", "missing", "plan_differs", "cancelled"]:
            assert counts[kind] == 1, (kind, report)
        kinds = {d["kind"]: d for d in report["differences"]}
        assert kinds["plan_differs"]["actual_plan"] == "professional"
        assert kinds["missing"]["key"] == "o-missing"

        fixed = client.reconcile(expected, user_token=token, fix=True, journal=tmp_path / "fix.jsonl")
        assert fixed["counts"]["fixed"] == 4 and fixed["counts"]["unresolved"] == 0, fixed
        after = client.reconcile(expected, user_token=token)
        assert after["counts"]["unresolved"] == 0, after
        with pytest.raises(jetpack_partner.InvalidArgument, match=r"expected\[0\]\.plan"):
            client.reconcile([{"site": "https://x.example/"}])

"""examples/python/provision.py runs against the sandbox."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Dict

from conftest import PARTNER_ID, PARTNER_SECRET, REPO_ROOT, Sandbox

EXAMPLE = REPO_ROOT / "examples" / "python" / "provision.py"


def _run(args: list, env: Dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(EXAMPLE), *args], env=env, cwd=cwd, capture_output=True, text=True,
        timeout=60,
    )


def _env(sandbox: Sandbox, secret: str = PARTNER_SECRET) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    env.update(
        JETPACK_PARTNER_ID=PARTNER_ID,
        JETPACK_PARTNER_SECRET=secret,
        JETPACK_PARTNER_API_BASE=sandbox.url,
    )
    return env


def test_example_provisions_and_shows_status(sandbox: Sandbox, site: str, tmp_path: Path) -> None:
    proc = _run(["admin", site, "premium"], _env(sandbox), tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert f"provisioned premium on {site}" in proc.stdout
    assert '"success": true' in proc.stdout
    assert '"slug": "premium"' in proc.stdout
    assert PARTNER_SECRET not in proc.stdout + proc.stderr


def test_example_reports_api_errors(sandbox: Sandbox, site: str, tmp_path: Path) -> None:
    proc = _run(["admin", site, "no-such-plan"], _env(sandbox), tmp_path)
    assert proc.returncode == 1
    assert "invalid_plan" in proc.stderr and "HTTP 400" in proc.stderr

    proc = _run(["admin", site], _env(sandbox, secret="wrong-secret"), tmp_path)
    assert proc.returncode == 1
    assert "token_error" in proc.stderr
    assert "wrong-secret" not in proc.stdout + proc.stderr


def test_example_usage(sandbox: Sandbox, tmp_path: Path) -> None:
    proc = _run([], _env(sandbox), tmp_path)
    assert proc.returncode == 2
    assert "Usage: provision.py LOCAL_USER SITE_URL [PLAN]" in proc.stderr

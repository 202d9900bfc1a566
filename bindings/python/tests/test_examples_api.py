"""examples/python/{reporting,oauth_login,licensing}.py run against the sandbox."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import urllib.request
import uuid
from pathlib import Path
from typing import Dict

from conftest import PARTNER_ID, PARTNER_SECRET, REPO_ROOT, USER_PASSWORD, Sandbox

import jetpack_partner

EXAMPLES = REPO_ROOT / "examples" / "python"


def _env(sandbox: Sandbox, **extra: str) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(
        JETPACK_PARTNER_ID=PARTNER_ID,
        JETPACK_PARTNER_SECRET=PARTNER_SECRET,
        JETPACK_PARTNER_API_BASE=sandbox.url,
    )
    env.update(extra)
    return env


def _run(name: str, args: list, env: Dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args], env=env, cwd=cwd, capture_output=True,
        text=True, timeout=120,
    )


def test_reporting_example(sandbox: Sandbox, tmp_path: Path) -> None:
    with jetpack_partner.Client(PARTNER_ID, PARTNER_SECRET, api_base=sandbox.url) as root:
        key = root.partner_key_new(f"py-example-{uuid.uuid4().hex[:8]}", allowed_premium_plans=5)
    site = f"https://{uuid.uuid4().hex[:12]}.example.com/"
    with jetpack_partner.Client(str(key["client_id"]), key["client_secret"], api_base=sandbox.url) as kc:
        kc.provision("admin", site, "jetpack-scan", wpcom_user_id=1)
    env = _env(
        sandbox,
        JETPACK_PARTNER_USERNAME=f"partner-{PARTNER_ID}",
        JETPACK_PARTNER_PASSWORD=USER_PASSWORD,
    )
    proc = _run("reporting.py", ["jetpack-scan"], env, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert f"partner {PARTNER_ID}" in proc.stdout
    assert f"key {key['id']} {key['name']}:" in proc.stdout
    section = proc.stdout.split(f"key {key['id']} {key['name']}:", 1)[1]
    assert "jetpack-scan" in section.split("activation(s)")[0] and site.rstrip("/") in section
    assert "1 activation(s)" in section
    assert "upcoming invoice" in section and "7.00 USD" in section.split("\nkey ")[0]
    assert USER_PASSWORD not in proc.stdout + proc.stderr

    proc = _run("reporting.py", [], _env(sandbox), tmp_path)
    assert proc.returncode == 2 and "JETPACK_PARTNER_USER_TOKEN" in proc.stderr
    proc = _run("reporting.py", [], _env(sandbox, JETPACK_PARTNER_USER_TOKEN="bad-token"), tmp_path)
    assert proc.returncode == 1 and "invalid_token" in proc.stderr


def test_oauth_login_example(sandbox: Sandbox, tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    proc = subprocess.Popen(
        [sys.executable, str(EXAMPLES / "oauth_login.py"), "--timeout", "60"],
        env=_env(sandbox, JETPACK_PARTNER_TOKEN_FILE=str(token_file)),
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("open this URL to authorize: "), first
        url = first.split(": ", 1)[1].strip()
        assert url.startswith(sandbox.url + "/oauth2/authorize?")
        # The browser: the sandbox approves and redirects to the example's loopback port.
        with urllib.request.urlopen(url, timeout=30) as resp:
            assert resp.status == 200
            assert b"close this window" in resp.read()
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "authorized: user" in out
    token = token_file.read_text().strip()
    assert token and token not in out + err
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    with jetpack_partner.Client(PARTNER_ID, PARTNER_SECRET, api_base=sandbox.url) as c:
        assert c.token_info(token)["client_id"] == PARTNER_ID


def test_oauth_login_example_refused(sandbox: Sandbox, tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, str(EXAMPLES / "oauth_login.py"), "--timeout", "60"],
        env=_env(sandbox), cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().split(": ", 1)[1].strip()
        with urllib.request.urlopen(url + "&deny=1", timeout=30) as resp:
            resp.read()
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 1
    assert "refused the authorization" in err


def test_licensing_example(sandbox: Sandbox, tmp_path: Path) -> None:
    site = f"https://{uuid.uuid4().hex[:12]}.example.com/"
    proc = _run("licensing.py", ["jetpack-backup-daily", site], _env(sandbox), tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert f"site {site}: success" in proc.stdout
    assert "issued for jetpack-backup-daily" in proc.stdout
    assert "attached to blog" in proc.stdout

    proc = _run("licensing.py", ["no-such-product", site], _env(sandbox), tmp_path)
    assert proc.returncode == 1
    assert "unknown product 'no-such-product'" in proc.stderr
    assert "jetpack-scan" in proc.stderr

    proc = _run("licensing.py", ["jetpack-scan"], _env(sandbox), tmp_path)
    assert proc.returncode == 2
    assert "Usage: licensing.py PRODUCT SITE_URL [LOCAL_USER]" in proc.stderr

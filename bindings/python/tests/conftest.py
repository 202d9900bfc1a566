"""Fixtures: the local sandbox (one per test session) and clients connected to it.

The shared library and the sandbox binary come from ``JETPACK_PARTNER_LIB`` and
``JETPACK_PARTNER_SANDBOX``, defaulting to the repository's ``target/release``.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, Optional

import pytest

BINDING_DIR = Path(__file__).resolve().parents[1]
REPO_ROOT = BINDING_DIR.parents[1]
RELEASE_DIR = REPO_ROOT / "target" / "release"

os.environ.setdefault("JETPACK_PARTNER_LIB", str(RELEASE_DIR / "libjetpack_partner.so"))
SANDBOX_BIN = os.environ.get(
    "JETPACK_PARTNER_SANDBOX", str(RELEASE_DIR / "jetpack-partner-sandbox")
)

# Test the package in this checkout, not a copy installed in site-packages.
sys.path.insert(0, str(BINDING_DIR))

import jetpack_partner  # noqa: E402

PARTNER_ID = "12345"
PARTNER_SECRET = "sandbox-demo-secret"


class Sandbox:
    """A running ``jetpack-partner-sandbox`` and its control endpoints."""

    def __init__(self, url: str, proc: subprocess.Popen) -> None:
        self.url = url
        self.proc = proc

    def control(self, method: str, path: str, body: Optional[Dict[str, Any]] = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            f"{self.url}/__sandbox/{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"} if data is not None else {},
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())

    def fault(self, **spec: Any) -> int:
        """Install a fault (see the contract: endpoint, kind, count, delay_ms, ...)."""
        reply = self.control("POST", "faults", spec)
        assert reply["ok"] is True, reply
        return reply["id"]

    def clear_faults(self) -> None:
        self.control("DELETE", "faults")

    def stats(self) -> Dict[str, Any]:
        return self.control("GET", "stats")

    def reset_stats(self) -> None:
        self.control("POST", "stats/reset")

    def connect_site(self, siteurl: str) -> None:
        self.control("POST", "sites/connect", {"siteurl": siteurl})


def _die_with_parent() -> None:
    """In the sandbox's process: get SIGTERM when the test process dies, even by SIGKILL."""
    libc = ctypes.CDLL(None, use_errno=True)
    PR_SET_PDEATHSIG = 1
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


@contextlib.contextmanager
def start_sandbox(*args: str) -> Iterator[Sandbox]:
    """Run ``jetpack-partner-sandbox --listen 127.0.0.1:0 ARGS...`` until the block ends."""
    if not os.access(SANDBOX_BIN, os.X_OK):
        pytest.fail(
            f"sandbox binary not found: {SANDBOX_BIN} (run `cargo build --release --workspace` "
            "or set JETPACK_PARTNER_SANDBOX)"
        )
    with tempfile.TemporaryDirectory(prefix="jp-py-sandbox-") as tmp:
        out_path = Path(tmp) / "stdout"
        err_path = Path(tmp) / "stderr"
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            proc = subprocess.Popen(
                [SANDBOX_BIN, "--listen", "127.0.0.1:0", *args],
                stdout=out,
                stderr=err,
                stdin=subprocess.DEVNULL,
                preexec_fn=_die_with_parent,
            )
        try:
            url = ""
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                text = out_path.read_text()
                if "\n" in text:
                    url = text.split("\n", 1)[0].strip()
                    break
                if proc.poll() is not None:
                    break
                time.sleep(0.02)
            if not url.startswith("http://127.0.0.1:"):
                pytest.fail(
                    f"the sandbox did not start (first line {url!r}): {err_path.read_text()[-2000:]}"
                )
            yield Sandbox(url, proc)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    with start_sandbox() as sb:
        yield sb


@pytest.fixture(autouse=True)
def _no_faults_left(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "sandbox" in request.fixturenames:
        request.getfixturevalue("sandbox").clear_faults()


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[jetpack_partner.Client]:
    with jetpack_partner.Client(PARTNER_ID, PARTNER_SECRET, api_base=sandbox.url) as c:
        yield c


@pytest.fixture
def site() -> str:
    """A site URL no other test uses."""
    return f"https://{uuid.uuid4().hex[:12]}.example.com"


def rss_kib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


USER_PASSWORD = "sandbox-demo-password"


def user_token_for(sandbox: Sandbox, client_id: str, client_secret: str) -> str:
    """A user token of the partner's WordPress.com user, by the password grant over plain HTTP."""
    form = urllib.parse.urlencode(
        {
            "grant_type": "password",
            "client_id": client_id,
            "client_secret": client_secret,
            "username": f"partner-{client_id}",
            "password": USER_PASSWORD,
        }
    ).encode()
    with urllib.request.urlopen(f"{sandbox.url}/oauth2/token", data=form, timeout=10) as resp:
        return json.loads(resp.read())["access_token"]


@pytest.fixture(scope="session")
def user_token(sandbox: Sandbox) -> str:
    """A user token of the demo partner's user (partner-12345)."""
    return user_token_for(sandbox, PARTNER_ID, PARTNER_SECRET)

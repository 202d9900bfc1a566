"""`pip install ./bindings/python` gives a package that works from any directory."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict

import pytest

from conftest import BINDING_DIR, PARTNER_ID, PARTNER_SECRET, Sandbox

from jetpack_partner import _lib

pytestmark = pytest.mark.slow

USE_INSTALLED = """
import os, sys, uuid
import jetpack_partner as jp
print(jp.library_path)
site = "https://installed-%s.example.com" % uuid.uuid4().hex[:8]
with jp.Client(os.environ["T_ID"], os.environ["T_SECRET"], api_base=os.environ["T_API"]) as c:
    assert c.provision("admin", site, "premium")["success"] is True
    assert "premium" in [p["slug"] for p in c.status(site)["products"]]
    try:
        c.provision("admin", site, "bogus-plan")
    except jp.ApiError as e:
        assert e.code == "invalid_plan" and e.http_status == 400
print("ok")
"""


def _pip_install(target: Path, env: Dict[str, str]) -> str:
    proc = subprocess.run(
        [
            sys.executable, "-m", "pip", "install", "-v", "--no-cache-dir",
            "--disable-pip-version-check", "--target", str(target), str(BINDING_DIR),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    return proc.stdout + proc.stderr


def _use_from_elsewhere(
    target: Path, sandbox: Sandbox, cwd: Path, lib_override: "str | None" = None
) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JETPACK_PARTNER")}
    if lib_override:
        env["JETPACK_PARTNER_LIB"] = lib_override
    env.update(
        PYTHONPATH=str(target), T_ID=PARTNER_ID, T_SECRET=PARTNER_SECRET, T_API=sandbox.url
    )
    proc = subprocess.run(
        [sys.executable, "-c", USE_INSTALLED], cwd=cwd, env=env, capture_output=True, text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.split()
    assert lines[-1] == "ok"
    return lines[0]


def _check_wheel_metadata(target: Path) -> None:
    dist_info = next(target.glob("jetpack_partner-*.dist-info"))
    wheel = (dist_info / "WHEEL").read_text()
    assert "Root-Is-Purelib: false" in wheel
    assert "Tag: py3-none-linux_" in wheel
    pkg = target / "jetpack_partner"
    assert (pkg / "py.typed").is_file()
    assert (pkg / "libjetpack_partner.so").is_file()


def test_install_bundling_a_prebuilt_library(tmp_path: Path, sandbox: Sandbox) -> None:
    target = tmp_path / "site"
    env = dict(os.environ)
    env["JETPACK_PARTNER_PREBUILT_LIB"] = _lib.lib_path
    log = _pip_install(target, env)
    assert f"bundled {_lib.lib_path}" in log
    _check_wheel_metadata(target)
    used = _use_from_elsewhere(target, sandbox, cwd=tmp_path)
    assert used == str(target / "jetpack_partner" / "libjetpack_partner.so")
    # JETPACK_PARTNER_LIB still overrides the bundled copy.
    other = tmp_path / "elsewhere" / "libjetpack_partner.so"
    other.parent.mkdir()
    shutil.copyfile(_lib.lib_path, other)
    assert _use_from_elsewhere(target, sandbox, cwd=tmp_path, lib_override=str(other)) == str(other)


@pytest.mark.skipif(
    os.environ.get("JETPACK_PARTNER_TEST_CARGO_INSTALL") != "1",
    reason="builds the library again with cargo (minutes on a fresh target dir); "
    "set JETPACK_PARTNER_TEST_CARGO_INSTALL=1 to run it",
)
def test_install_building_the_library_with_cargo(tmp_path: Path, sandbox: Sandbox) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JETPACK_PARTNER")}
    lib = Path(_lib.lib_path).resolve()
    if lib.parent.name == "release":
        # Reuse the cargo target directory the tested library came from: cargo only checks
        # that it is up to date instead of building everything a second time.
        env["CARGO_TARGET_DIR"] = str(lib.parent.parent)
    target = tmp_path / "site"
    log = _pip_install(target, env)
    assert "running cargo build --release -p jetpack-partner --lib" in log
    _check_wheel_metadata(target)
    used = _use_from_elsewhere(target, sandbox, cwd=Path("/") if os.access("/", os.R_OK) else tmp_path)
    assert used == str(target / "jetpack_partner" / "libjetpack_partner.so")

"""Build hook: put libjetpack_partner.so inside the package.

The metadata is in pyproject.toml. While building, the shared library is taken from,
in order:

1. the file named by the environment variable ``JETPACK_PARTNER_PREBUILT_LIB``;
2. a prebuilt ``jetpack_partner/libjetpack_partner.so`` already in this directory;
3. ``cargo build --release -p jetpack-partner --lib`` in the repository that contains this
   directory (``../..``), from the cargo target directory (``CARGO_TARGET_DIR`` is honoured).

``JETPACK_PARTNER_NO_BUNDLE=1`` builds a package without the library, which then uses
``JETPACK_PARTNER_LIB`` or the system's ``libjetpack_partner.so.0`` at run time.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py as _build_py

try:
    from setuptools.command.bdist_wheel import bdist_wheel as _bdist_wheel
except ImportError:  # setuptools < 70.1
    from wheel.bdist_wheel import bdist_wheel as _bdist_wheel  # type: ignore[no-redef]

HERE = Path(__file__).resolve().parent
LIB_FILE = "libjetpack_partner.so"
PREBUILT_ENV = "JETPACK_PARTNER_PREBUILT_LIB"


def _repo_root() -> Path | None:
    root = HERE.parent.parent
    manifest = root / "Cargo.toml"
    if manifest.is_file() and 'name = "jetpack-partner"' in manifest.read_text("utf-8"):
        return root
    return None


def _cargo_build(root: Path) -> Path:
    cargo = os.environ.get("CARGO", "cargo")
    cmd = [cargo, "build", "--release", "-p", "jetpack-partner", "--lib"]
    print(f"jetpack_partner: running {' '.join(cmd)} in {root}", flush=True)
    try:
        subprocess.run(cmd, cwd=root, check=True)
        meta = subprocess.run(
            [cargo, "metadata", "--format-version", "1", "--no-deps"],
            cwd=root,
            check=True,
            stdout=subprocess.PIPE,
        )
    except FileNotFoundError:
        raise SystemExit(
            "jetpack_partner: cargo is needed to build libjetpack_partner.so "
            "(https://rustup.rs), or set JETPACK_PARTNER_PREBUILT_LIB to a built library"
        ) from None
    except subprocess.CalledProcessError as exc:
        raise SystemExit(f"jetpack_partner: building the library failed: {exc}") from None
    target_dir = Path(json.loads(meta.stdout)["target_directory"])
    built = target_dir / "release" / LIB_FILE
    if not built.is_file():
        raise SystemExit(f"jetpack_partner: cargo finished but {built} does not exist")
    return built


class build_py(_build_py):
    """Copies the package, then bundles the shared library into it."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install uses the checkout's target/release
        dest = Path(self.build_lib) / "jetpack_partner" / LIB_FILE
        if os.environ.get("JETPACK_PARTNER_NO_BUNDLE") == "1":
            if dest.exists():
                dest.unlink()  # left over from an earlier build in the same tree
            print("jetpack_partner: JETPACK_PARTNER_NO_BUNDLE=1, not bundling the library")
            return
        prebuilt = os.environ.get(PREBUILT_ENV)
        in_tree = HERE / "jetpack_partner" / LIB_FILE
        if prebuilt:
            source = Path(prebuilt)
            if not source.is_file():
                raise SystemExit(f"jetpack_partner: {PREBUILT_ENV}={prebuilt} does not exist")
        elif in_tree.is_file():
            source = in_tree
        else:
            root = _repo_root()
            if root is None:
                raise SystemExit(
                    "jetpack_partner: no library to bundle: build from a jetpack-partner "
                    f"checkout (cargo is run in the repository root), put a prebuilt {LIB_FILE} "
                    f"in jetpack_partner/, or set {PREBUILT_ENV}"
                )
            source = _cargo_build(root)
        dest.parent.mkdir(parents=True, exist_ok=True)
        if source.resolve() != dest.resolve():
            shutil.copyfile(source, dest)
        print(f"jetpack_partner: bundled {source} as {dest}", flush=True)


class bdist_wheel(_bdist_wheel):
    """The wheel carries a native library: tag it for the platform (any Python 3)."""

    def finalize_options(self) -> None:
        super().finalize_options()
        self.root_is_pure = False

    def get_tag(self) -> tuple[str, str, str]:
        _, _, plat = super().get_tag()
        return "py3", "none", plat


setup(cmdclass={"build_py": build_py, "bdist_wheel": bdist_wheel})

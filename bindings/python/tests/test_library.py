"""The C declarations, the library lookup and the version check."""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

from conftest import BINDING_DIR, REPO_ROOT

import jetpack_partner
from jetpack_partner import _lib
from jetpack_partner.errors import Code

HEADER = REPO_ROOT / "include" / "jetpack_partner.h"


def _header_text() -> str:
    text = HEADER.read_text()
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


def _ctype_of(c_type: str) -> Any:
    """The ctypes type that declares a C type of the header."""
    stars = c_type.count("*")
    base = re.sub(r"\b(const|struct)\b", " ", c_type.replace("*", " ")).split()
    assert len(base) == 1, f"cannot read the C type {c_type!r}"
    name = base[0]
    scalars = {
        "jp_code": ctypes.c_uint32,
        "uint32_t": ctypes.c_uint32,
        "uint64_t": ctypes.c_uint64,
        "uint16_t": ctypes.c_uint16,
        "bool": ctypes.c_bool,
    }
    if name == "void" and stars == 0:
        return None
    if name == "void" and stars == 1:
        return ctypes.c_void_p
    if name == "jp_log_fn" and stars == 0:
        return _lib.jp_log_fn
    if name == "jp_batch_fn" and stars == 0:
        return _lib.jp_batch_fn
    if name in scalars and stars == 0:
        return scalars[name]
    if name == "char":
        if stars == 1:
            # Borrowed strings are const char *; an owned char * must be freed, so it is
            # declared as a pointer and not converted to bytes by ctypes.
            return ctypes.c_char_p if "const" in c_type else ctypes.POINTER(ctypes.c_char)
        if stars == 2:
            return ctypes.POINTER(ctypes.POINTER(ctypes.c_char))
    handles = {
        "jp_client": _lib.jp_client,
        "jp_client_builder": _lib.jp_client_builder,
        "jp_response": _lib.jp_response,
        "jp_batch": _lib.jp_batch,
    }
    if name in handles and stars >= 1:
        t: Any = handles[name]
        for _ in range(stars):
            t = ctypes.POINTER(t)
        return t
    raise AssertionError(f"unexpected C type {c_type!r} in the header")


def header_functions() -> Dict[str, Tuple[Any, List[Any]]]:
    """Every ``jp_`` function declared in the header, with the ctypes types it needs."""
    text = _header_text()
    found: Dict[str, Tuple[Any, List[Any]]] = {}
    for m in re.finditer(r"([A-Za-z_][\w \t\*]*?)\b(jp_\w+)\s*\(([^()]*)\)\s*;", text):
        ret, name, params = m.group(1).strip(), m.group(2), m.group(3).strip()
        ret = ret.split("\n")[-1].strip()
        if ret.startswith("typedef"):
            continue
        args: List[Any] = []
        if params and params != "void":
            for param in params.split(","):
                param = " ".join(param.split())
                # drop the parameter name
                pm = re.match(r"^(.*?[\s\*])(\w+)$", param)
                assert pm, f"cannot read the parameter {param!r} of {name}"
                args.append(_ctype_of(pm.group(1)))
        found[name] = (_ctype_of(ret), args)
    return found


def test_header_exists() -> None:
    assert HEADER.is_file(), f"{HEADER} is missing"


def test_every_header_function_is_declared_with_its_types() -> None:
    from_header = header_functions()
    assert len(from_header) >= 20, sorted(from_header)
    assert sorted(from_header) == sorted(_lib.FUNCTIONS), (
        "functions only in the header: "
        f"{sorted(set(from_header) - set(_lib.FUNCTIONS))}; only in the binding: "
        f"{sorted(set(_lib.FUNCTIONS) - set(from_header))}"
    )
    for name, (restype, argtypes) in from_header.items():
        declared_res, declared_args = _lib.FUNCTIONS[name]
        assert declared_res == restype, f"{name}: result {declared_res} != header {restype}"
        assert declared_args == argtypes, f"{name}: arguments {declared_args} != header {argtypes}"
        fn = getattr(_lib.lib, name)
        assert fn.restype == restype, name
        assert list(fn.argtypes) == argtypes, name


def test_result_codes_match_the_header() -> None:
    text = _header_text()
    values = {
        m.group(1): int(m.group(2))
        for m in re.finditer(r"\bJP_([A-Z_]+)\s*=\s*(\d+)", text)
    }
    values.update(
        {
            m.group(1): int(m.group(2))
            for m in re.finditer(r"#define\s+JP_([A-Z_]+)\s+\(?(\d+)", text)
            if not m.group(1).startswith("VERSION")
        }
    )
    assert {c.name: c.value for c in Code} == {k: v for k, v in values.items() if k in Code.__members__}
    assert set(Code.__members__) <= set(values), sorted(values)


def test_versions_agree() -> None:
    cargo = (REPO_ROOT / "Cargo.toml").read_text()
    cargo_version = re.search(r'^version\s*=\s*"([^"]+)"', cargo, re.M).group(1)
    header = HEADER.read_text()
    parts = [
        re.search(rf"#define\s+JP_VERSION_{part}\s+(\d+)", header).group(1)
        for part in ("MAJOR", "MINOR", "PATCH")
    ]
    header_version = ".".join(parts)
    string_macro = re.search(r'#define\s+JP_VERSION\s+"([^"]+)"', header)
    if string_macro:
        assert string_macro.group(1) == header_version
    assert jetpack_partner.__version__ == cargo_version == header_version
    assert jetpack_partner.library_version == cargo_version
    assert _lib.lib.jp_version() == cargo_version.encode()


@pytest.mark.parametrize(
    "library, package, ok",
    [
        ("0.1.0", "0.1.0", True),
        ("0.1.3", "0.1.0", True),
        ("0.1.0", "0.1.2", False),
        ("0.2.0", "0.1.0", False),
        ("1.1.0", "0.1.0", False),
        ("garbage", "0.1.0", False),
    ],
)
def test_version_compatibility_rule(library: str, package: str, ok: bool) -> None:
    assert _lib.version_compatible(library, package) is ok


def _import_in_subprocess(env_lib: "str | None", cwd: Path, extra_path: Path = BINDING_DIR):
    env = dict(os.environ)
    env.pop("JETPACK_PARTNER_LIB", None)
    if env_lib is not None:
        env["JETPACK_PARTNER_LIB"] = env_lib
    env["PYTHONPATH"] = str(extra_path)
    env["LD_LIBRARY_PATH"] = ""
    return subprocess.run(
        [sys.executable, "-c", "import jetpack_partner as j; print(j.library_path); print(j.library_version)"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _fake_library(tmp_path: Path, version: str, skip: str = "") -> Path:
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler to build a fake library")
    lines = [f'const char *jp_version(void) {{ return "{version}"; }}']
    lines += [f"void {name}(void) {{}}" for name in _lib.FUNCTIONS if name not in ("jp_version", skip)]
    src = tmp_path / "fake.c"
    src.write_text("\n".join(lines) + "\n")
    out = tmp_path / "libfake_jetpack_partner.so"
    subprocess.run([cc, "-shared", "-fPIC", "-o", str(out), str(src)], check=True)
    return out


def test_import_refuses_a_library_of_another_version(tmp_path: Path) -> None:
    fake = _fake_library(tmp_path, "9.4.2")
    proc = _import_in_subprocess(str(fake), tmp_path)
    assert proc.returncode != 0
    assert "LibraryLoadError" in proc.stderr
    assert "version mismatch" in proc.stderr
    assert "9.4.2" in proc.stderr and jetpack_partner.__version__ in proc.stderr
    assert str(fake) in proc.stderr


def test_import_refuses_a_library_without_every_function(tmp_path: Path) -> None:
    fake = _fake_library(tmp_path, jetpack_partner.__version__, skip="jp_status")
    proc = _import_in_subprocess(str(fake), tmp_path)
    assert proc.returncode != 0
    assert "does not export jp_status()" in proc.stderr


def test_a_missing_explicit_library_is_an_error_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "libjetpack_partner.so"
    proc = _import_in_subprocess(str(missing), tmp_path)
    assert proc.returncode != 0
    assert "JETPACK_PARTNER_LIB" in proc.stderr
    assert f"{missing}: not found" in proc.stderr


def test_lookup_failure_lists_every_path_tried(tmp_path: Path) -> None:
    # A copy of the package with no library beside it and no checkout around it.
    shutil.copytree(
        BINDING_DIR / "jetpack_partner",
        tmp_path / "pkg" / "jetpack_partner",
        ignore=shutil.ignore_patterns("*.so", "__pycache__"),
    )
    proc = _import_in_subprocess(None, tmp_path, tmp_path / "pkg")
    assert proc.returncode != 0
    err = proc.stderr
    assert "cannot find the jetpack-partner shared library" in err
    assert f"{tmp_path / 'pkg' / 'jetpack_partner' / 'libjetpack_partner.so'}: not found" in err
    assert "libjetpack_partner.so.0:" in err


def test_the_package_copy_of_the_library_is_found(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg" / "jetpack_partner"
    shutil.copytree(
        BINDING_DIR / "jetpack_partner", pkg, ignore=shutil.ignore_patterns("*.so", "__pycache__")
    )
    shutil.copyfile(_lib.lib_path, pkg / "libjetpack_partner.so")
    proc = _import_in_subprocess(None, tmp_path, tmp_path / "pkg")
    assert proc.returncode == 0, proc.stderr
    path, version = proc.stdout.split()
    assert path == str(pkg / "libjetpack_partner.so")
    assert version == jetpack_partner.__version__


def test_the_explicit_library_wins(tmp_path: Path) -> None:
    proc = _import_in_subprocess(_lib.lib_path, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[0] == _lib.lib_path


def test_site_identifier() -> None:
    assert jetpack_partner.site_identifier("https://example.com/demo/") == "example.com::demo"
    assert jetpack_partner.site_identifier("https://example.com/demo/wp/") == "example.com::demo::wp"
    assert jetpack_partner.site_identifier("example.com") == "example.com"
    assert jetpack_partner.site_identifier(12345678) == "12345678"
    with pytest.raises(jetpack_partner.InvalidArgument):
        jetpack_partner.site_identifier("")


def test_typed_package() -> None:
    assert (BINDING_DIR / "jetpack_partner" / "py.typed").is_file()


def test_a_development_checkout_uses_its_target_release(tmp_path: Path) -> None:
    checkout_lib = REPO_ROOT / "target" / "release" / "libjetpack_partner.so"
    package_copy = BINDING_DIR / "jetpack_partner" / "libjetpack_partner.so"
    proc = _import_in_subprocess(None, tmp_path)
    if package_copy.is_file():  # a prebuilt library dropped into the package comes first
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.split()[0] == str(package_copy)
    elif checkout_lib.is_file():
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.split()[0] == str(checkout_lib)
    else:
        assert proc.returncode != 0
        assert f"{checkout_lib}: not found" in proc.stderr
        assert f"{package_copy}: not found" in proc.stderr
        assert proc.stderr.index(str(package_copy)) < proc.stderr.index(str(checkout_lib))


def test_the_system_library_path_is_searched_last(tmp_path: Path) -> None:
    # As after `make install`: libjetpack_partner.so.0 on the loader's search path.
    libdir = tmp_path / "lib"
    libdir.mkdir()
    shutil.copyfile(_lib.lib_path, libdir / "libjetpack_partner.so.0")
    shutil.copytree(
        BINDING_DIR / "jetpack_partner",
        tmp_path / "pkg" / "jetpack_partner",
        ignore=shutil.ignore_patterns("*.so", "__pycache__"),
    )
    env = {k: v for k, v in os.environ.items() if k != "JETPACK_PARTNER_LIB"}
    env.update(PYTHONPATH=str(tmp_path / "pkg"), LD_LIBRARY_PATH=str(libdir))
    proc = subprocess.run(
        [sys.executable, "-c", "import jetpack_partner as j; print(j.library_path, j.library_version)"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    path, version = proc.stdout.split()
    assert path.startswith("libjetpack_partner.so"), path
    assert version == jetpack_partner.__version__

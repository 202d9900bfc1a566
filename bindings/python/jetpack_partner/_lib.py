"""Loading ``libjetpack_partner`` and declaring its C functions for ctypes.

Every function of ``include/jetpack_partner.h`` is listed in :data:`FUNCTIONS`
with its exact argument and result types; the test suite checks the list
against the header. Functions are called through :class:`ctypes.CDLL`, which
releases the GIL for the duration of each call.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import re
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

from ._version import __version__

#: Name of the environment variable that names the shared library to load.
LIB_ENV = "JETPACK_PARTNER_LIB"
#: File name of the shared library on Linux.
LIB_FILE = "libjetpack_partner.so"
#: Name under which the library is installed system-wide (its SONAME).
LIB_SONAME = "libjetpack_partner.so.0"


class LibraryLoadError(ImportError):
    """The shared library could not be found or loaded, or it has the wrong version.

    ``tried`` lists every path or name that was attempted, with the reason it failed.
    """

    def __init__(self, message: str, tried: Sequence[Tuple[str, str]] = ()) -> None:
        self.tried: List[Tuple[str, str]] = list(tried)
        if self.tried:
            lines = "\n".join(f"  - {where}: {why}" for where, why in self.tried)
            message = f"{message}\nTried:\n{lines}"
        super().__init__(message)


# Opaque handle types: pointers to them cannot be confused with each other.
class jp_client(ctypes.Structure):
    """Opaque ``jp_client``."""


class jp_client_builder(ctypes.Structure):
    """Opaque ``jp_client_builder``."""


class jp_response(ctypes.Structure):
    """Opaque ``jp_response``."""


class jp_batch(ctypes.Structure):
    """Opaque ``jp_batch``."""


jp_code = ctypes.c_uint32
ClientPtr = ctypes.POINTER(jp_client)
BuilderPtr = ctypes.POINTER(jp_client_builder)
ResponsePtr = ctypes.POINTER(jp_response)
BatchPtr = ctypes.POINTER(jp_batch)
_c_str = ctypes.c_char_p  # const char * (borrowed, copied by ctypes into bytes)
_owned_str = ctypes.POINTER(ctypes.c_char)  # char * owned by the caller, freed with jp_string_free
_out = ctypes.POINTER(ResponsePtr)  # jp_response **out

#: ``typedef void (*jp_log_fn)(uint32_t level, const char *line, void *user_data)``
jp_log_fn = ctypes.CFUNCTYPE(None, ctypes.c_uint32, ctypes.c_char_p, ctypes.c_void_p)

#: ``typedef bool (*jp_batch_fn)(void *user_data, const char *result_json)``
jp_batch_fn = ctypes.CFUNCTYPE(ctypes.c_bool, ctypes.c_void_p, ctypes.c_char_p)

#: name -> (restype, argtypes) for every function of the C ABI.
FUNCTIONS: Dict[str, Tuple[Any, List[Any]]] = {
    "jp_version": (_c_str, []),
    "jp_client_new": (jp_code, [_c_str, _c_str, ctypes.POINTER(ClientPtr)]),
    "jp_client_free": (None, [ClientPtr]),
    "jp_client_builder_new": (jp_code, [_c_str, _c_str, ctypes.POINTER(BuilderPtr)]),
    "jp_client_builder_set_api_base": (jp_code, [BuilderPtr, _c_str]),
    "jp_client_builder_set_timeout_ms": (jp_code, [BuilderPtr, ctypes.c_uint64]),
    "jp_client_builder_set_connect_timeout_ms": (jp_code, [BuilderPtr, ctypes.c_uint64]),
    "jp_client_builder_set_idle_timeout_ms": (jp_code, [BuilderPtr, ctypes.c_uint64]),
    "jp_client_builder_set_proxy": (jp_code, [BuilderPtr, _c_str]),
    "jp_client_builder_set_ca_bundle": (jp_code, [BuilderPtr, _c_str]),
    "jp_client_builder_set_token_cache_dir": (jp_code, [BuilderPtr, _c_str]),
    "jp_client_builder_set_max_attempts": (jp_code, [BuilderPtr, ctypes.c_uint32]),
    "jp_client_builder_set_max_response_bytes": (jp_code, [BuilderPtr, ctypes.c_uint64]),
    "jp_client_builder_build": (jp_code, [BuilderPtr, ctypes.POINTER(ClientPtr)]),
    "jp_client_builder_free": (None, [BuilderPtr]),
    "jp_client_warm": (jp_code, [ClientPtr]),
    "jp_client_warm_in_background": (jp_code, [ClientPtr]),
    "jp_last_error_message": (_c_str, []),
    "jp_provision": (
        jp_code,
        [ClientPtr, _c_str, _c_str, _c_str, _c_str, ctypes.POINTER(ResponsePtr)],
    ),
    "jp_cancel": (jp_code, [ClientPtr, _c_str, _c_str, ctypes.POINTER(ResponsePtr)]),
    "jp_partner_key_new": (jp_code, [ClientPtr, _c_str, _c_str, ctypes.POINTER(ResponsePtr)]),
    "jp_status": (jp_code, [ClientPtr, _c_str, ctypes.POINTER(ResponsePtr)]),
    "jp_response_code": (jp_code, [ResponsePtr]),
    "jp_response_ok": (ctypes.c_bool, [ResponsePtr]),
    "jp_response_json": (_c_str, [ResponsePtr]),
    "jp_response_error_code": (_c_str, [ResponsePtr]),
    "jp_response_error_message": (_c_str, [ResponsePtr]),
    "jp_response_http_status": (ctypes.c_uint16, [ResponsePtr]),
    "jp_response_attempts": (ctypes.c_uint32, [ResponsePtr]),
    "jp_response_free": (None, [ResponsePtr]),
    "jp_string_free": (None, [_owned_str]),
    "jp_site_identifier": (jp_code, [_c_str, ctypes.POINTER(_owned_str)]),
    "jp_set_log_callback": (jp_code, [jp_log_fn, ctypes.c_void_p]),
    # The rest of the partner API: any endpoint, reporting, OAuth2 for users, Licensing.
    "jp_request": (jp_code, [ClientPtr, _c_str, _out]),
    "jp_status_v12": (jp_code, [ClientPtr, _c_str, _out]),
    "jp_upgrade_paths": (jp_code, [ClientPtr, _c_str, _out]),
    "jp_errors": (jp_code, [ClientPtr, ctypes.c_bool, _out]),
    "jp_partner_keys_verify": (jp_code, [ClientPtr, _out]),
    "jp_activations": (jp_code, [ClientPtr, _c_str, _c_str, _c_str, _c_str, _out]),
    "jp_activations_summary": (jp_code, [ClientPtr, _c_str, _c_str, _out]),
    "jp_invoices": (jp_code, [ClientPtr, _c_str, _c_str, _c_str, _out]),
    "jp_upcoming_invoice": (jp_code, [ClientPtr, _c_str, _c_str, _c_str, _out]),
    "jp_partner_details": (jp_code, [ClientPtr, _c_str, _out]),
    "jp_oauth_authorize_url": (
        jp_code,
        [ClientPtr, _c_str, ctypes.POINTER(_owned_str), ctypes.POINTER(_owned_str)],
    ),
    "jp_oauth_parse_redirect": (jp_code, [_c_str, _c_str, _out]),
    "jp_oauth_exchange_code": (jp_code, [ClientPtr, _c_str, _c_str, _out]),
    "jp_oauth_password_grant": (jp_code, [ClientPtr, _c_str, _c_str, _out]),
    "jp_oauth_token_info": (jp_code, [ClientPtr, _c_str, _out]),
    "jp_license_issue": (jp_code, [ClientPtr, _c_str, _out]),
    "jp_license_status": (jp_code, [ClientPtr, _c_str, _out]),
    "jp_license_revoke": (jp_code, [ClientPtr, _c_str, _out]),
    "jp_license_attach": (jp_code, [ClientPtr, _c_str, _c_str, _out]),
    "jp_license_detach": (jp_code, [ClientPtr, _c_str, _c_str, _out]),
    "jp_product_families": (jp_code, [ClientPtr, _out]),
    "jp_licensing_partner": (jp_code, [ClientPtr, _c_str, _out]),
    "jp_site_connection": (jp_code, [ClientPtr, _c_str, _c_str, _out]),
    # Batches and reconciliation.
    "jp_batch_new": (jp_code, [ClientPtr, ctypes.POINTER(BatchPtr)]),
    "jp_batch_set_concurrency": (jp_code, [BatchPtr, ctypes.c_uint32]),
    "jp_batch_set_journal": (jp_code, [BatchPtr, _c_str]),
    "jp_batch_add_provision": (jp_code, [BatchPtr, _c_str, _c_str, _c_str, _c_str, _c_str]),
    "jp_batch_add_cancel": (jp_code, [BatchPtr, _c_str, _c_str, _c_str, _c_str]),
    "jp_batch_start": (jp_code, [BatchPtr]),
    "jp_batch_next": (jp_code, [BatchPtr, ctypes.c_uint32, ctypes.POINTER(_owned_str)]),
    "jp_batch_finished": (ctypes.c_bool, [BatchPtr]),
    "jp_batch_run": (jp_code, [BatchPtr, jp_batch_fn, ctypes.c_void_p]),
    "jp_batch_free": (None, [BatchPtr]),
    "jp_reconcile": (jp_code, [ClientPtr, _c_str, _c_str, ctypes.POINTER(_owned_str)]),
}


def package_dir() -> Path:
    """Directory of the installed (or checked-out) ``jetpack_partner`` package."""
    return Path(__file__).resolve().parent


def candidate_paths() -> List[Tuple[str, str]]:
    """The places searched for the library, in order, as ``(kind, path or name)``.

    An explicit ``JETPACK_PARTNER_LIB`` is the only candidate when it is set.
    """
    explicit = os.environ.get(LIB_ENV)
    if explicit:
        return [("env", explicit)]
    out: List[Tuple[str, str]] = [("package", str(package_dir() / LIB_FILE))]
    # A development checkout: bindings/python/jetpack_partner -> repository root.
    repo = package_dir().parents[2]
    if (repo / "Cargo.toml").is_file():
        out.append(("checkout", str(repo / "target" / "release" / LIB_FILE)))
    found = ctypes.util.find_library("jetpack_partner")
    if found:
        out.append(("system", found))
    for name in (LIB_SONAME, LIB_FILE):
        if name != found:
            out.append(("system", name))
    return out


def _declare(lib: ctypes.CDLL) -> None:
    for name, (restype, argtypes) in FUNCTIONS.items():
        try:
            fn = getattr(lib, name)
        except AttributeError as exc:
            raise LibraryLoadError(
                f"{lib._name} does not export {name}(); it is not a compatible jetpack-partner library"
            ) from exc
        fn.restype = restype
        fn.argtypes = argtypes


_VERSION_RE = re.compile(r"^(\d+)\.(\d+)\.(\d+)")


def version_compatible(library_version: str, package_version: str) -> bool:
    """Whether a library of ``library_version`` can serve this package.

    The library must have the same MAJOR.MINOR as the package and at least its PATCH.
    """
    lib_m = _VERSION_RE.match(library_version)
    pkg_m = _VERSION_RE.match(package_version)
    if not lib_m or not pkg_m:
        return False
    lib_v = tuple(int(x) for x in lib_m.groups())
    pkg_v = tuple(int(x) for x in pkg_m.groups())
    return lib_v[:2] == pkg_v[:2] and lib_v[2] >= pkg_v[2]


def check_version(lib: ctypes.CDLL, where: str, package_version: str = __version__) -> str:
    """Raise :class:`LibraryLoadError` unless the library's ``jp_version()`` fits the package."""
    raw = lib.jp_version()
    library_version = raw.decode("utf-8", "replace") if raw else "(none)"
    if not version_compatible(library_version, package_version):
        raise LibraryLoadError(
            f"jetpack-partner library version mismatch: {where} is version {library_version}, "
            f"but the Python package jetpack_partner is version {package_version} (it needs "
            f"{'.'.join(package_version.split('.')[:2])}.x, at least {package_version}). "
            f"Install the matching library, rebuild it (cargo build --release), or point "
            f"{LIB_ENV} at the right file."
        )
    return library_version


def load_library() -> Tuple[ctypes.CDLL, str]:
    """Find, load, declare and version-check the library; return it with the path it came from."""
    tried: List[Tuple[str, str]] = []
    for kind, where in candidate_paths():
        if kind in ("env", "package", "checkout") and not os.path.exists(where):
            reason = "not found" if kind != "env" else f"not found (set by {LIB_ENV})"
            tried.append((where, reason))
            continue
        try:
            lib = ctypes.CDLL(where)
        except OSError as exc:
            tried.append((where, str(exc)))
            continue
        _declare(lib)
        check_version(lib, where)
        return lib, where
    if os.environ.get(LIB_ENV):
        msg = f"cannot load the jetpack-partner library named by {LIB_ENV}"
    else:
        msg = (
            "cannot find the jetpack-partner shared library "
            f"({LIB_FILE}). Reinstall the package (pip install builds it with cargo), "
            f"build it with `cargo build --release`, or set {LIB_ENV} to its path"
        )
    raise LibraryLoadError(msg, tried)


lib, lib_path = load_library()
library_version: str = lib.jp_version().decode("utf-8")

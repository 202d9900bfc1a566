"""The :class:`Client`: a thin, thread-safe wrapper over the C ABI's ``jp_client``."""

from __future__ import annotations

import ctypes
import json
import math
import os
import threading
import weakref
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

from . import _lib
from ._lib import ClientPtr, ResponsePtr, lib
from .errors import (
    Code,
    InternalError,
    InvalidArgument,
    InvalidResponse,
    JetpackError,
    error_class,
)

__all__ = ["Client", "site_identifier"]

StrPath = Union[str, "os.PathLike[str]"]

# The client's own error code strings, for failures that come without a jp_response
# (jp_client_new and the setters report through jp_last_error_message()).
_CODE_NAMES: Dict[int, str] = {
    Code.INVALID_ARGUMENT: "invalid_argument",
    Code.API_ERROR: "api_error",
    Code.TRANSPORT_ERROR: "transport_error",
    Code.TIMEOUT: "timeout",
    Code.TLS_ERROR: "tls_error",
    Code.INVALID_RESPONSE: "invalid_response",
    Code.RESPONSE_TOO_LARGE: "response_too_large",
    Code.OUTCOME_UNKNOWN: "outcome_unknown",
    Code.TOKEN_ERROR: "token_error",
    Code.INTERNAL: "internal",
}


_U32_MAX = 2**32 - 1
_U64_MAX = 2**64 - 1


def _invalid(name: str, what: str) -> InvalidArgument:
    return InvalidArgument(
        "invalid_argument", f"{name}: {what}", None, result=Code.INVALID_ARGUMENT
    )


def _encode(name: str, value: Any, *, optional: bool = False) -> Optional[bytes]:
    """UTF-8 bytes of a string argument for the C ABI (``None`` stays NULL when allowed)."""
    if value is None:
        if optional:
            return None
        raise TypeError(f"{name} must be a str, not None")
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if isinstance(value, bytes):
        raise TypeError(f"{name} must be a str, not bytes")
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    if "\x00" in value:
        # ctypes would silently cut the string at the NUL.
        raise _invalid(name, "must not contain a NUL character")
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError:
        raise _invalid(name, "is not valid Unicode (lone surrogate)") from None


def _encode_site(value: Any) -> bytes:
    """A site given as URL, ``::`` identifier or numeric blog ID."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    encoded = _encode("site", value)
    assert encoded is not None
    return encoded


def _options_json(options: Dict[str, Any]) -> Optional[bytes]:
    """The ``options_json`` object for the C ABI; options whose value is ``None`` are left out."""
    present = {k: v for k, v in options.items() if v is not None}
    if not present:
        return None
    try:
        text = json.dumps(present, allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise _invalid("options", f"cannot be encoded as JSON: {exc}") from None
    return _encode("options", text)


def _millis(name: str, seconds: Any) -> int:
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise TypeError(f"{name} must be a number of seconds, not {type(seconds).__name__}")
    if not math.isfinite(seconds) or seconds <= 0:
        raise _invalid(name, f"must be a positive, finite number of seconds, got {seconds!r}")
    ms = max(1, math.ceil(seconds * 1000))
    if ms > _U64_MAX:
        raise _invalid(name, f"is too large: {seconds!r} seconds")
    return ms


def _count(name: str, value: Any, limit: int) -> int:
    """A positive integer that fits the C parameter (ctypes would silently truncate it)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if value <= 0:
        raise _invalid(name, f"must be positive, got {value!r}")
    if value > limit:
        raise _invalid(name, f"is too large: {value!r}")
    return value


def _last_error(code: int, what: str) -> JetpackError:
    """The exception for a failed call that reports through ``jp_last_error_message()``."""
    raw = lib.jp_last_error_message()
    text = raw.decode("utf-8", "replace") if raw else f"{what} failed"
    name = _CODE_NAMES.get(code, "internal")
    # The message alone ("partner_id: must not be empty"); older libraries prefixed the code.
    if text.startswith(name + ": "):
        text = text[len(name) + 2 :]
    return error_class(code)(name, text, None, result=code)


def _decode(raw: Optional[bytes]) -> Optional[str]:
    return raw.decode("utf-8", "replace") if raw is not None else None


def _outcome(response: Any, returned: int) -> Dict[str, Any]:
    """Copy everything out of a ``jp_response``; return the reply or raise its error.

    The caller frees the response (the strings read here are copies).
    """
    if not response:
        raise InternalError(
            "internal", f"the library returned code {returned} without a response", None,
            result=returned,
        )
    code = lib.jp_response_code(response)
    body = _decode(lib.jp_response_json(response))
    if code == Code.OK and lib.jp_response_ok(response):
        if body is None:
            raise InternalError("internal", "the library returned success without a reply", None)
        try:
            reply = json.loads(body)
        except ValueError:
            reply = None
        if not isinstance(reply, dict):
            raise InvalidResponse(
                "invalid_response", f"the reply is not a JSON object: {body[:200]}", 200,
                result=Code.INVALID_RESPONSE,
            )
        return reply
    error_code = _decode(lib.jp_response_error_code(response)) or _CODE_NAMES.get(code, "internal")
    message = _decode(lib.jp_response_error_message(response)) or ""
    http_status = lib.jp_response_http_status(response) or None
    attempts = lib.jp_response_attempts(response)
    parsed: Optional[Dict[str, Any]] = None
    if body is not None:
        try:
            value = json.loads(body)
            if isinstance(value, dict):
                parsed = value
        except ValueError:
            parsed = None
    return_code = code if code != Code.OK else Code.INTERNAL
    raise error_class(return_code)(
        error_code, message, http_status, result=return_code, attempts=attempts, body=parsed
    )


def _call_for_response(call: Callable[[Any], int]) -> Dict[str, Any]:
    """Run ``call(out_pointer)``, then read and free the response whatever happens."""
    out = ResponsePtr()
    try:
        returned = call(ctypes.byref(out))
        return _outcome(out, returned)
    finally:
        lib.jp_response_free(out)


# Clients alive in this process, so that their locks can be renewed in a forked child.
_clients: "weakref.WeakSet[Client]" = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for client in list(_clients):
        client._reset_after_fork()


os.register_at_fork(after_in_child=_after_fork_in_child)


class Client:
    """A connection to the Jetpack hosting-partner API for one partner.

    One client can be shared by many threads: the calls run without the GIL and in
    parallel. It also keeps working in a child process after ``os.fork()``.
    Use it as a context manager, or call :meth:`close` (the garbage collector closes it
    otherwise).

    Args:
        partner_id: the partner ID (the OAuth client ID).
        partner_secret: the partner secret; it is handed to the library and not kept in Python.
        api_base: the API host, default ``https://public-api.wordpress.com``. Plain ``http://``
            is accepted only for loopback addresses (a local sandbox).
        timeout: overall time limit of one operation, token request, retries and pauses
            included, in seconds (default 60).
        connect_timeout: time limit to connect, in seconds (default 10).
        proxy: an HTTP CONNECT proxy, ``http://[user:password@]host:port``; the environment
            (``HTTPS_PROXY``...) is never read.
        ca_bundle: path of a PEM file of extra trusted CA certificates.
        max_attempts: HTTP attempts per operation, retries included (default 3).
        max_response_bytes: the largest reply accepted (default 1 MiB).

    Raises:
        InvalidArgument: a setting is not acceptable (the message names it).
    """

    def __init__(
        self,
        partner_id: str,
        partner_secret: str,
        *,
        api_base: Optional[str] = None,
        timeout: Optional[float] = None,
        connect_timeout: Optional[float] = None,
        proxy: Optional[str] = None,
        ca_bundle: Optional[StrPath] = None,
        max_attempts: Optional[int] = None,
        max_response_bytes: Optional[int] = None,
    ) -> None:
        self._handle: Optional[Any] = None
        self._lock = threading.Lock()
        self._inflight = 0
        self._closing = False
        self.partner_id = partner_id
        self.api_base = api_base

        pid = _encode("partner_id", partner_id)
        secret = _encode("partner_secret", partner_secret)
        settings: List[Tuple[Any, Union[bytes, int, None], str]] = []
        if api_base is not None:
            settings.append((lib.jp_client_set_api_base, _encode("api_base", api_base), "api_base"))
        if timeout is not None:
            settings.append((lib.jp_client_set_timeout_ms, _millis("timeout", timeout), "timeout"))
        if connect_timeout is not None:
            settings.append(
                (
                    lib.jp_client_set_connect_timeout_ms,
                    _millis("connect_timeout", connect_timeout),
                    "connect_timeout",
                )
            )
        if proxy is not None:
            settings.append((lib.jp_client_set_proxy, _encode("proxy", proxy), "proxy"))
        if ca_bundle is not None:
            settings.append(
                (lib.jp_client_set_ca_bundle, _encode("ca_bundle", ca_bundle), "ca_bundle")
            )
        if max_attempts is not None:
            settings.append(
                (lib.jp_client_set_max_attempts, _count("max_attempts", max_attempts, _U32_MAX), "max_attempts")
            )
        if max_response_bytes is not None:
            settings.append(
                (
                    lib.jp_client_set_max_response_bytes,
                    _count("max_response_bytes", max_response_bytes, _U64_MAX),
                    "max_response_bytes",
                )
            )

        handle = ClientPtr()
        code = lib.jp_client_new(pid, secret, ctypes.byref(handle))
        del secret
        if code != Code.OK or not handle:
            raise _last_error(code or Code.INTERNAL, "creating the client")
        try:
            for setter, value, name in settings:
                code = setter(handle, value)
                if code != Code.OK:
                    raise _last_error(code, f"setting {name}")
        except BaseException:
            lib.jp_client_free(handle)
            raise
        self._handle = handle
        _clients.add(self)

    # -- lifetime -------------------------------------------------------------------------

    def close(self) -> None:
        """Release the client. Calls already running finish first; later calls raise.

        Safe to call more than once.
        """
        lock = getattr(self, "_lock", None)
        if lock is None:  # __init__ did not get far
            return
        with lock:
            self._closing = True
            handle = self._handle
            if handle is None or self._inflight:
                return  # the last call in flight frees it
            self._handle = None
        lib.jp_client_free(handle)

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closing

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter shutdown: the library may already be gone
            pass

    def __repr__(self) -> str:
        state = "closed" if self._closing else "open"
        base = f", api_base={self.api_base!r}" if self.api_base else ""
        return f"<jetpack_partner.Client partner_id={self.partner_id!r}{base} {state}>"

    def _reset_after_fork(self) -> None:
        # Threads of the parent do not exist in the child: nothing is in flight here, and
        # the lock may have been copied while held.
        self._lock = threading.Lock()
        self._inflight = 0

    def _acquire(self) -> Any:
        with self._lock:
            if self._closing or self._handle is None:
                raise _invalid("client", "this Client is closed")
            self._inflight += 1
            return self._handle

    def _release(self) -> None:
        handle = None
        with self._lock:
            self._inflight -= 1
            if self._closing and self._inflight == 0 and self._handle is not None:
                handle, self._handle = self._handle, None
        if handle is not None:
            lib.jp_client_free(handle)

    def _run(self, call: Callable[[Any, Any], int]) -> Dict[str, Any]:
        handle = self._acquire()
        try:
            return _call_for_response(lambda out: call(handle, out))
        finally:
            self._release()

    # -- operations -----------------------------------------------------------------------

    def provision(
        self, local_user: str, siteurl: str, plan: Optional[str] = None, **options: Any
    ) -> Dict[str, Any]:
        """Provision a plan (``plan=None``: the server's default, free) on a site.

        ``local_user`` is the WordPress user (login, email or ID) who will own the plan;
        ``siteurl`` the site's URL with its scheme. Options: ``force_register``,
        ``force_connect``, ``onboarding`` (bool), ``wpcom_user_id`` (int), ``wpcom_user_email``,
        ``partner_tracking_id``, ``ssh_user``, ``ssh_pass``, ``ssh_private_key``, ``ssh_host``,
        ``ssh_port`` (int), ``ftp_user``, ``ftp_pass``, ``ftp_host``, ``ftp_port`` (int).
        Options set to ``None`` are left out.

        Returns the server's reply, e.g. ``{"success": True, "auth_required": True,
        "next_url": "https://..."}``.
        """
        user_b = _encode("local_user", local_user)
        site_b = _encode("siteurl", siteurl)
        plan_b = _encode("plan", plan, optional=True)
        opts_b = _options_json(options)
        return self._run(lambda h, out: lib.jp_provision(h, user_b, site_b, plan_b, opts_b, out))

    def cancel(self, site: Union[str, int], **options: Any) -> Dict[str, Any]:
        """Cancel the partner plan of a site (URL, ``::`` identifier or blog ID).

        Options: ``plan`` (for stand-alone products), ``cancel_all`` (bool). Returns the
        server's reply: ``{"success": True}``, or ``{"success": False}`` when the site had no
        partner plan.
        """
        site_b = _encode_site(site)
        opts_b = _options_json(options)
        return self._run(lambda h, out: lib.jp_cancel(h, site_b, opts_b, out))

    def partner_key_new(self, name: str, **options: Any) -> Dict[str, Any]:
        """Create a partner key for a reseller.

        Options: ``allowed_personal_plans``, ``allowed_premium_plans``,
        ``allowed_professional_plans`` (ints), ``notes``. Returns the server's reply, with the
        new key's ``client_id`` and ``client_secret``.
        """
        name_b = _encode("name", name)
        opts_b = _options_json(options)
        return self._run(lambda h, out: lib.jp_partner_key_new(h, name_b, opts_b, out))

    def status(self, site: Union[str, int]) -> Dict[str, Any]:
        """The status of a site (URL, ``::`` identifier or blog ID): connection and products."""
        site_b = _encode_site(site)
        return self._run(lambda h, out: lib.jp_status(h, site_b, out))


def site_identifier(site: Union[str, int]) -> str:
    """The ``::`` identifier the API uses for a site URL or blog ID.

    ``site_identifier("https://example.com/demo/") == "example.com::demo"``.
    """
    site_b = _encode_site(site)
    out = _lib._owned_str()
    code = lib.jp_site_identifier(site_b, ctypes.byref(out))
    try:
        if code != Code.OK:
            raise _last_error(code, "site_identifier")
        if not out:
            raise InternalError("internal", "jp_site_identifier returned no string", None)
        return ctypes.string_at(out).decode("utf-8")
    finally:
        lib.jp_string_free(out)

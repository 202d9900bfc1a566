"""The :class:`Client`: a thin, thread-safe wrapper over the C ABI's ``jp_client``."""

from __future__ import annotations

import ctypes
import datetime
import json
import math
import os
import threading
import weakref
from dataclasses import dataclass, field
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Dict,
    Iterable,
    Iterator,
    List,
    Mapping,
    Optional,
    Tuple,
    Union,
)

if TYPE_CHECKING:
    from ._batch import BatchResult

from . import _lib
from ._lib import BuilderPtr, ClientPtr, ResponsePtr, lib
from .errors import (
    Code,
    InternalError,
    InvalidArgument,
    InvalidResponse,
    JetpackError,
    error_class,
)

__all__ = ["Client", "Grant", "parse_redirect", "site_identifier"]

StrPath = Union[str, "os.PathLike[str]"]

# The client's own error code strings, for failures that come without a jp_response
# (the client builder's functions report through jp_last_error_message()).
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
    # Check option by option, so that the error names the option at fault.
    for name, value in present.items():
        try:
            json.dumps(value, allow_nan=False, ensure_ascii=False).encode("utf-8")
        except (TypeError, ValueError) as exc:
            raise _invalid(name, f"cannot be sent: {exc}") from None
    return _encode("options", json.dumps(present, allow_nan=False, ensure_ascii=False))


def _id_text(name: str, value: Any) -> str:
    """A numeric ID given as int or str (partner ID, key ID, blog ID)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str or an int, not {type(value).__name__}")
    return value


def _encode_token(value: Any) -> bytes:
    encoded = _encode("user_token", value)
    assert encoded is not None
    return encoded


def _encode_id(name: str, value: Any) -> bytes:
    encoded = _encode(name, _id_text(name, value))
    assert encoded is not None
    return encoded


def _flag(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool, not {type(value).__name__}")
    return value


def _without_none(name: str, values: Mapping[str, Any]) -> Dict[str, Any]:
    if not isinstance(values, Mapping):
        raise TypeError(f"{name} must be a mapping, not {type(values).__name__}")
    return {
        str(k): (list(v) if isinstance(v, tuple) else v) for k, v in values.items() if v is not None
    }


def _json_arg(name: str, value: Any) -> bytes:
    """A JSON document argument of the C ABI."""
    try:
        text = json.dumps(value, allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise _invalid(name, f"cannot be encoded as JSON: {exc}") from None
    encoded = _encode(name, text)
    assert encoded is not None
    return encoded


def _date_text(value: Any) -> Any:
    """A reporting date filter: dates and datetimes become the API's UTC text."""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, datetime.date):
        return value.strftime("%Y-%m-%d")
    return value


def _activation_filters(filters: Dict[str, Any]) -> Dict[str, Any]:
    opts = {k: v for k, v in filters.items() if v is not None}
    for name in ("activated_after", "activated_before"):
        if name in opts:
            opts[name] = _date_text(opts[name])
    plans = opts.get("plans")
    if isinstance(plans, (tuple, set, frozenset)):
        opts["plans"] = list(plans)
    return opts


def _as_int(value: Any) -> Optional[int]:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


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
    return error_class(code, name)(name, text, None, result=code)


def _decode(raw: Optional[bytes]) -> Optional[str]:
    return raw.decode("utf-8", "replace") if raw is not None else None


def _outcome(response: Any, returned: int, any_json: bool = False) -> Any:
    """Copy everything out of a ``jp_response``; return the reply or raise its error.

    The reply must be a JSON object unless ``any_json`` (then any JSON value is returned).
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
            if any_json:
                raise InvalidResponse(
                    "invalid_response", f"the reply is not JSON: {body[:200]}", 200,
                    result=Code.INVALID_RESPONSE,
                ) from None
            reply = None
        if not any_json and not isinstance(reply, dict):
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
    raise error_class(return_code, error_code)(
        error_code, message, http_status, result=return_code, attempts=attempts, body=parsed
    )


def _call_for_response(call: Callable[[Any], int], any_json: bool = False) -> Any:
    """Run ``call(out_pointer)``, then read and free the response whatever happens."""
    out = ResponsePtr()
    try:
        returned = call(ctypes.byref(out))
        return _outcome(out, returned, any_json)
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
        token_cache_dir: an existing directory where the partner token is kept between
            processes (a file of mode 0600 that never holds the secret), so that processes
            with the same partner ID and API base ask for it once between them.
        idle_timeout: how long a kept connection may stay unused and still be used again, in
            seconds (default 75; shorter when the server announces a shorter keep-alive).

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
        token_cache_dir: Optional[StrPath] = None,
        idle_timeout: Optional[float] = None,
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
            settings.append((lib.jp_client_builder_set_api_base, _encode("api_base", api_base), "api_base"))
        if timeout is not None:
            settings.append((lib.jp_client_builder_set_timeout_ms, _millis("timeout", timeout), "timeout"))
        if connect_timeout is not None:
            settings.append(
                (
                    lib.jp_client_builder_set_connect_timeout_ms,
                    _millis("connect_timeout", connect_timeout),
                    "connect_timeout",
                )
            )
        if proxy is not None:
            settings.append((lib.jp_client_builder_set_proxy, _encode("proxy", proxy), "proxy"))
        if ca_bundle is not None:
            settings.append(
                (lib.jp_client_builder_set_ca_bundle, _encode("ca_bundle", ca_bundle), "ca_bundle")
            )
        if max_attempts is not None:
            settings.append(
                (
                    lib.jp_client_builder_set_max_attempts,
                    _count("max_attempts", max_attempts, _U32_MAX),
                    "max_attempts",
                )
            )
        if max_response_bytes is not None:
            settings.append(
                (
                    lib.jp_client_builder_set_max_response_bytes,
                    _count("max_response_bytes", max_response_bytes, _U64_MAX),
                    "max_response_bytes",
                )
            )
        if token_cache_dir is not None:
            settings.append(
                (
                    lib.jp_client_builder_set_token_cache_dir,
                    _encode("token_cache_dir", token_cache_dir),
                    "token_cache_dir",
                )
            )
        if idle_timeout is not None:
            settings.append(
                (
                    lib.jp_client_builder_set_idle_timeout_ms,
                    _millis("idle_timeout", idle_timeout),
                    "idle_timeout",
                )
            )

        # The settings go to a builder, which makes the client (a client never changes, so its
        # threads need no lock); the builder is freed once it has served.
        builder = BuilderPtr()
        code = lib.jp_client_builder_new(pid, secret, ctypes.byref(builder))
        del secret
        if code != Code.OK or not builder:
            raise _last_error(code or Code.INTERNAL, "creating the client")
        handle = ClientPtr()
        try:
            for setter, value, name in settings:
                code = setter(builder, value)
                if code != Code.OK:
                    raise _last_error(code, f"setting {name}")
            code = lib.jp_client_builder_build(builder, ctypes.byref(handle))
            if code != Code.OK or not handle:
                raise _last_error(code or Code.INTERNAL, "creating the client")
        finally:
            lib.jp_client_builder_free(builder)
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

    def _run_any(self, call: Callable[[Any, Any], int]) -> Any:
        """Run an operation whose reply may be any JSON value."""
        handle = self._acquire()
        try:
            return _call_for_response(lambda out: call(handle, out), any_json=True)
        finally:
            self._release()

    def _run(self, call: Callable[[Any, Any], int]) -> Dict[str, Any]:
        """Run an operation whose reply is a JSON object."""
        handle = self._acquire()
        try:
            reply: Dict[str, Any] = _call_for_response(lambda out: call(handle, out))
            return reply
        finally:
            self._release()

    def warm(self) -> None:
        """Get ready for calls: ask for the partner token now if there is none yet (in this
        process or the token cache directory). The token request leaves its connection open for
        the calls that follow; with a token at hand nothing is sent.

        Raises the token request's error (:class:`TokenError`, :class:`TransportError`...).
        """
        handle = self._acquire()
        try:
            code = lib.jp_client_warm(handle)
        finally:
            self._release()
        if code != Code.OK:
            raise _last_error(code, "warming the client")

    def warm_in_background(self) -> None:
        """Get ready on a thread of the library's own, returning at once: call it before other
        work (a database query...), which the round trips then overlap. Asks for the token if
        there is none at hand, and opens a connection for the next call when none is likely kept.
        A call made meanwhile waits for them instead of asking or opening again. Never raises for
        the token or the connection: a failure shows in the next call.
        """
        handle = self._acquire()
        try:
            code = lib.jp_client_warm_in_background(handle)
        finally:
            self._release()
        if code != Code.OK:
            raise _last_error(code, "warming the client in the background")

    # -- operations -----------------------------------------------------------------------

    def provision(
        self, local_user: str, siteurl: str, plan: Optional[str] = None, **options: Any
    ) -> Dict[str, Any]:
        """Provision a plan (``plan=None``: the server's default, free) on a site.

        ``local_user`` is the WordPress user (login, email or ID) who will own the plan;
        ``siteurl`` the site's URL, with its scheme or without (``example.com/blog``, sent as
        given: WordPress.com accepts both). Options: ``force_register``,
        ``force_connect``, ``onboarding`` (bool), ``wpcom_user_id`` (int), ``wpcom_user_email``,
        ``partner_tracking_id``, ``ssh_user``, ``ssh_pass``, ``ssh_private_key``, ``ssh_host``,
        ``ssh_port`` (int), ``ftp_user``, ``ftp_pass``, ``ftp_host``, ``ftp_port`` (int).
        Options set to ``None`` are left out.

        Returns the server's reply, e.g. ``{"success": True, "auth_required": True,
        "next_url": "https://..."}``; with ``wpcom_user_id`` also ``access_token``.
        """
        user_b = _encode("local_user", local_user)
        site_b = _encode("siteurl", siteurl)
        plan_b = _encode("plan", plan, optional=True)
        opts_b = _options_json(options)
        return self._run(lambda h, out: lib.jp_provision(h, user_b, site_b, plan_b, opts_b, out))

    def cancel(self, site: Union[str, int], **options: Any) -> Dict[str, Any]:
        """Cancel the partner plan of a site (URL, ``::`` identifier or blog ID).

        Options: ``plan`` (for stand-alone products), ``cancel_all`` (bool),
        ``partner_tracking_id`` (sent in the query, for WordPress.com's logs). Returns the
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

    # -- many sites at once ------------------------------------------------------------------

    def provision_many(
        self,
        items: Iterable[Mapping[str, Any]],
        *,
        concurrency: int = 8,
        journal: Optional[StrPath] = None,
    ) -> Iterator["BatchResult"]:
        """Provision many sites, ``concurrency`` calls in flight (1 to 64); yields a
        :class:`BatchResult` per item in completion order.

        Each item is a mapping of the protocol's names: ``local_user``, ``siteurl``, ``plan``,
        the options of :meth:`provision`, and an optional ``key`` (an order ID) that names it in
        results and in the journal. A malformed item is a ``failed`` result; the others run.

        With ``journal`` (a file path), every item's start is synced to disk before it is sent
        and its outcome before it is yielded; the same items and journal again skip what is done
        and check the site's status before repeating anything that may have reached the server.
        Leaving the loop early stops the batch (calls in flight finish first).
        """
        from ._batch import run_batch

        return self._batch("provision", items, concurrency, journal, run_batch)

    def cancel_many(
        self,
        items: Iterable[Mapping[str, Any]],
        *,
        concurrency: int = 8,
        journal: Optional[StrPath] = None,
    ) -> Iterator["BatchResult"]:
        """Cancel on many sites, as :meth:`provision_many`; items have ``site``, ``plan``
        (stand-alone products), ``cancel_all`` and ``key``."""
        from ._batch import run_batch

        return self._batch("cancel", items, concurrency, journal, run_batch)

    def _batch(self, operation: str, items: Any, concurrency: int, journal: Any, run: Any) -> Any:
        count = _count("concurrency", concurrency, _U32_MAX)
        path = None if journal is None else _encode("journal", journal)
        handle = self._acquire()
        try:
            # The batch copies the client's settings: the handle is needed only to make it.
            generator = run(handle, operation, items, count, path.decode() if path else None)
            first = next(generator, None)
        finally:
            self._release()

        def results() -> Iterator[Any]:
            if first is None:
                return
            yield first
            yield from generator

        return results()

    def reconcile(
        self,
        expected: Iterable[Mapping[str, Any]],
        *,
        user_token: Optional[str] = None,
        fix: bool = False,
        concurrency: int = 8,
        journal: Optional[StrPath] = None,
        local_user: Optional[str] = None,
    ) -> Dict[str, Any]:
        """Compare the partner's list (mappings of ``site``, ``plan``, optional ``key`` and
        ``local_user``) with WordPress.com; with ``fix=True`` provision and cancel to match.

        With ``user_token`` the activations report is read too (sites missing from the list;
        cancelled plans). Returns ``{"differences": [{kind, site, expected_plan, actual_plan,
        key, fix?, fixed?}], "errors": [...], "counts": {...}}``; ``kind`` is ``unbilled``,
        ``missing``, ``pending``, ``plan_differs`` or ``cancelled``.
        """
        from ._batch import reconcile

        options = {
            "user_token": user_token,
            "fix": _flag("fix", fix),
            "concurrency": _count("concurrency", concurrency, _U32_MAX),
            "journal": None if journal is None else os.fspath(journal),
            "local_user": local_user,
        }
        handle = self._acquire()
        try:
            return reconcile(handle, expected, options)
        finally:
            self._release()

    # -- any endpoint ----------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Optional[Mapping[str, Any]] = None,
        form: Optional[Mapping[str, Any]] = None,
        json: Any = None,
        user_token: Optional[str] = None,
        auth: Optional[str] = None,
    ) -> Any:
        """Call any endpoint of the API, for the ones this package has no method for.

        Args:
            method: ``"GET"``, ``"POST"``, ``"PUT"`` or ``"DELETE"``.
            path: the path below the API base, starting with ``/`` (``"/rest/v1/me"``); the
                query goes in ``query``.
            query: query parameters: strings, numbers, booleans, lists (sent as ``name[]=``
                for each item); ``None`` values are left out.
            form: a form body (``application/x-www-form-urlencoded``), values as for ``query``.
            json: a JSON body (any JSON value). At most one of ``form`` and ``json``.
            user_token: a WordPress.com user token to send instead of the partner token.
            auth: ``"partner"`` (the default without ``user_token``), ``"user"`` (the default
                with it) or ``"none"`` (no token: for the endpoints that need none).

        Returns the server's reply decoded from JSON (any JSON value). Errors raise as for
        every other call (the server's error code in :class:`ApiError`).
        """
        for name, value, optional in (
            ("method", method, False),
            ("path", path, False),
            ("user_token", user_token, True),
            ("auth", auth, True),
        ):
            if not isinstance(value, str) and not (optional and value is None):
                raise TypeError(f"{name} must be a str, not {type(value).__name__}")
        request: Dict[str, Any] = {"method": method, "path": path}
        if query:
            request["query"] = _without_none("query", query)
        if form is not None and json is not None:
            raise _invalid("form", "give either form or json, not both")
        if form is not None:
            request["form"] = _without_none("form", form)
        if json is not None:
            request["json"] = json
        if user_token is not None:
            request["user_token"] = user_token
        if auth is not None:
            request["auth"] = auth
        request_b = _json_arg("request", request)
        return self._run_any(lambda h, out: lib.jp_request(h, request_b, out))

    # -- more partner endpoints (partner token) --------------------------------------------

    def status_v12(self, site: Union[str, int]) -> Dict[str, Any]:
        """The older (v1.2) status of a site: ``{plan, is_partner_plan,
        is_provisioned_by_calling_partner, is_connected, has_pending_plan}``."""
        site_b = _encode_site(site)
        return self._run(lambda h, out: lib.jp_status_v12(h, site_b, out))

    def upgrade_paths(self, site: Union[str, int]) -> Dict[str, Any]:
        """The plans and products a site can move to, by family:
        ``{"plans": [...], "backup": [...], "scan": [...], "anti-spam": [...]}``."""
        site_b = _encode_site(site)
        return self._run(lambda h, out: lib.jp_upgrade_paths(h, site_b, out))

    def errors(self, verbose: bool = False) -> Dict[str, Any]:
        """The API's error codes: ``{"errors": {code: message}}``; with ``verbose``,
        ``{code: {"message", "http_status"}}``. Needs no token."""
        flag = _flag("verbose", verbose)
        return self._run(lambda h, out: lib.jp_errors(h, flag, out))

    def partner_keys_verify(self) -> Dict[str, Any]:
        """Check the client's own credentials: ``{"success": True, "id", "name", "client_id"}``
        for a valid key (a refused key raises :class:`TokenError` or :class:`ApiError`)."""
        return self._run(lambda h, out: lib.jp_partner_keys_verify(h, out))

    # -- reporting (user token) -----------------------------------------------------------

    def activations(
        self,
        user_token: str,
        partner_id: Union[str, int],
        key_id: Union[str, int],
        **filters: Any,
    ) -> Dict[str, Any]:
        """One page of a partner key's activations: ``{total, page, per_page, activations}``.

        Filters: ``page`` (from 1), ``per_page`` (1-100, server default 20), ``plans`` (a slug
        or product ID, or a list of them), ``activated_after``, ``activated_before`` (a
        ``"YYYY-MM-DD"`` or ``"YYYY-MM-DD HH:MM:SS"`` string, a Unix time, or a
        :class:`datetime.date` / :class:`datetime.datetime`; naive datetimes are taken as UTC).
        ``None`` values are left out. See :meth:`iter_activations` for every page.
        """
        token_b = _encode("user_token", user_token)
        pid_b = _encode_id("partner_id", partner_id)
        kid_b = _encode_id("key_id", key_id)
        opts_b = _options_json(_activation_filters(filters))
        return self._run(lambda h, out: lib.jp_activations(h, token_b, pid_b, kid_b, opts_b, out))

    def iter_activations(
        self,
        user_token: str,
        partner_id: Union[str, int],
        key_id: Union[str, int],
        **filters: Any,
    ) -> Iterator[Dict[str, Any]]:
        """Every activation of a partner key, one at a time, newest first.

        A generator: pages are fetched as it reaches them, from ``page`` (default 1) to the last,
        ``per_page`` at a time; the other filters are those of :meth:`activations`. An error
        on any page is raised from the generator, which then stops.
        """
        opts = _activation_filters(filters)
        given = opts.pop("page", None)
        page = 1 if given is None else _as_int(given)
        if page is None or page < 1:
            raise _invalid("page", "must be a positive integer")
        # Check the arguments now, not at the first next().
        token_b = _encode_token(user_token)
        pid_b = _encode_id("partner_id", partner_id)
        kid_b = _encode_id("key_id", key_id)
        _options_json(opts)
        return self._activation_pages(token_b, pid_b, kid_b, opts, page)

    def _activation_pages(
        self, token_b: bytes, pid_b: bytes, kid_b: bytes, opts: Dict[str, Any], page: int
    ) -> Iterator[Dict[str, Any]]:
        seen = 0
        while True:
            opts_b = _options_json({**opts, "page": page})
            reply = self._run(
                lambda h, out: lib.jp_activations(h, token_b, pid_b, kid_b, opts_b, out)
            )
            items = reply.get("activations")
            if not isinstance(items, list):
                raise InvalidResponse(
                    "invalid_response", 'the activations reply has no "activations" array', 200,
                    result=Code.INVALID_RESPONSE,
                )
            total = _as_int(reply.get("total"))
            seen += len(items)
            page += 1
            yield from items
            if not items or (total is not None and seen >= total):
                return

    def activations_summary(
        self,
        user_token: str,
        *,
        key_id: Union[str, int, None] = None,
        scale: Optional[str] = None,
    ) -> List[Dict[str, Any]]:
        """Activations counted per period: ``[{"date", "new", "total"}, ...]``.

        ``key_id``: one key (default: every key of the partner); ``scale``: ``"day"``,
        ``"month"`` (the server's default) or ``"year"``.
        """
        token_b = _encode("user_token", user_token)
        opts_b = _options_json(
            {"key_id": None if key_id is None else _id_text("key_id", key_id), "scale": scale}
        )
        summary: List[Dict[str, Any]] = self._run_any(
            lambda h, out: lib.jp_activations_summary(h, token_b, opts_b, out)
        )
        return summary

    def invoices(
        self, user_token: str, partner_id: Union[str, int], key_id: Union[str, int]
    ) -> Dict[str, Any]:
        """A key's past invoices: ``{"invoices": [...]}``, newest first."""
        token_b = _encode("user_token", user_token)
        pid_b = _encode_id("partner_id", partner_id)
        kid_b = _encode_id("key_id", key_id)
        return self._run(lambda h, out: lib.jp_invoices(h, token_b, pid_b, kid_b, out))

    def upcoming_invoice(
        self, user_token: str, partner_id: Union[str, int], key_id: Union[str, int]
    ) -> Dict[str, Any]:
        """The invoice of the current month so far: ``{id, status, currency, period_start,
        period_end, lines, total}`` (amounts in cents)."""
        token_b = _encode("user_token", user_token)
        pid_b = _encode_id("partner_id", partner_id)
        kid_b = _encode_id("key_id", key_id)
        return self._run(lambda h, out: lib.jp_upcoming_invoice(h, token_b, pid_b, kid_b, out))

    def partner_details(self, user_token: str) -> Dict[str, Any]:
        """The user's partner and its keys: ``{id, name, slug, keys: [...]}``."""
        token_b = _encode("user_token", user_token)
        return self._run(lambda h, out: lib.jp_partner_details(h, token_b, out))

    # -- WordPress.com OAuth2 for users -------------------------------------------------------

    def authorize_url(
        self,
        redirect_uri: str,
        *,
        response_type: str = "code",
        blog: Union[str, int, None] = None,
        scope: Optional[str] = None,
        state: Optional[str] = None,
    ) -> Tuple[str, str]:
        """The WordPress.com page where a user authorizes this application (the partner ID is
        the OAuth client ID).

        Args:
            redirect_uri: where WordPress.com sends the user back (as registered).
            response_type: ``"code"`` (exchange it with :meth:`exchange_code`) or ``"token"``
                (implicit flow: the token comes in the redirect's fragment).
            blog: a site (URL or blog ID) to tie the token to.
            scope: ``"global"`` or ``"auth"``; ``None`` for the default (one blog).
            state: the anti-forgery value; ``None`` draws a random one from the OS generator.

        Returns ``(url, state)``: send the user to ``url``, keep ``state`` for
        :func:`parse_redirect`.
        """
        opts_b = _options_json(
            {
                "redirect_uri": redirect_uri,
                "response_type": response_type,
                "blog": None if blog is None else _id_text("blog", blog),
                "scope": scope,
                "state": state,
            }
        )
        url = _lib._owned_str()
        state_out = _lib._owned_str()
        handle = self._acquire()
        try:
            code = lib.jp_oauth_authorize_url(
                handle, opts_b, ctypes.byref(url), ctypes.byref(state_out)
            )
            if code != Code.OK:
                raise _last_error(code, "authorize_url")
            if not url or not state_out:
                raise InternalError("internal", "jp_oauth_authorize_url returned no string", None)
            return (
                ctypes.string_at(url).decode("utf-8"),
                ctypes.string_at(state_out).decode("utf-8"),
            )
        finally:
            lib.jp_string_free(url)
            lib.jp_string_free(state_out)
            self._release()

    def exchange_code(self, code: str, redirect_uri: str) -> Dict[str, Any]:
        """Exchange an authorization code for a user token (``redirect_uri`` as in
        :meth:`authorize_url`): ``{access_token, token_type, blog_id, blog_url, scope}``."""
        code_b = _encode("code", code)
        uri_b = _encode("redirect_uri", redirect_uri)
        return self._run(lambda h, out: lib.jp_oauth_exchange_code(h, code_b, uri_b, out))

    def password_grant(self, username: str, password: str) -> Dict[str, Any]:
        """A user token from the user's WordPress.com login and password (allowed to the
        application's owner only, for testing): ``{access_token, ...}``."""
        user_b = _encode("username", username)
        password_b = _encode("password", password)
        return self._run(lambda h, out: lib.jp_oauth_password_grant(h, user_b, password_b, out))

    def token_info(self, token: str) -> Dict[str, Any]:
        """Validate a user token for this application: ``{client_id, user_id, blog_id, scope}``.

        A token that is unknown or belongs to another application raises :class:`ApiError`
        with code ``invalid_token``.
        """
        token_b = _encode("token", token)
        return self._run(lambda h, out: lib.jp_oauth_token_info(h, token_b, out))

    # -- Licensing API ------------------------------------------------------------------------

    def license_issue(self, product: str) -> Dict[str, Any]:
        """Issue a license for a product slug: ``{license_id, license_key, product, ...}``."""
        product_b = _encode("product", product)
        return self._run(lambda h, out: lib.jp_license_issue(h, product_b, out))

    def license_status(self, license_key: str) -> Dict[str, Any]:
        """A license: issued, attached and revoked dates, the site it is attached to."""
        key_b = _encode("license_key", license_key)
        return self._run(lambda h, out: lib.jp_license_status(h, key_b, out))

    def license_revoke(self, license_key: str) -> Dict[str, Any]:
        """Revoke a license; returns it with ``revoked_at`` set."""
        key_b = _encode("license_key", license_key)
        return self._run(lambda h, out: lib.jp_license_revoke(h, key_b, out))

    def license_attach(self, license_key: str, site: Union[str, int]) -> Dict[str, Any]:
        """Attach a license to a connected site (URL, ``::`` identifier or blog ID)."""
        key_b = _encode("license_key", license_key)
        site_b = _encode_site(site)
        return self._run(lambda h, out: lib.jp_license_attach(h, key_b, site_b, out))

    def license_detach(
        self, license_key: str, *, cancellation_email: Optional[bool] = None
    ) -> Dict[str, Any]:
        """Detach a license from its site; ``cancellation_email=False`` sends no e-mail to the
        site owner (``None``: the server's default)."""
        key_b = _encode("license_key", license_key)
        if cancellation_email is not None:
            cancellation_email = _flag("cancellation_email", cancellation_email)
        opts_b = _options_json({"cancellation_email": cancellation_email})
        return self._run(lambda h, out: lib.jp_license_detach(h, key_b, opts_b, out))

    def product_families(self) -> List[Dict[str, Any]]:
        """The products that can be licensed: ``[{name, slug, products: [...]}, ...]``."""
        families: List[Dict[str, Any]] = self._run_any(lambda h, out: lib.jp_product_families(h, out))
        return families

    def licensing_partner(self, user_token: str) -> Dict[str, Any]:
        """The user's partner with its keys and their Licensing API tokens (user token)."""
        token_b = _encode("user_token", user_token)
        return self._run(lambda h, out: lib.jp_licensing_partner(h, token_b, out))

    def site_connection(self, url: str, local_user: str) -> Dict[str, Any]:
        """Connect a site to WordPress.com: ``{"code": "success" | "already_connected",
        "blog_id"}``; safe to repeat."""
        url_b = _encode("url", url)
        user_b = _encode("local_user", local_user)
        return self._run(lambda h, out: lib.jp_site_connection(h, url_b, user_b, out))


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


@dataclass(frozen=True)
class Grant:
    """What an OAuth redirect carried, from :func:`parse_redirect`.

    Authorization-code flow (``response_type="code"``): ``code`` is set; exchange it with
    :meth:`Client.exchange_code`. Implicit flow (``"token"``): ``access_token`` is set, with
    ``expires_in`` (seconds, or ``None``), ``token_type`` and ``site_id``. The code and the
    token are left out of ``repr()``.
    """

    code: Optional[str] = field(default=None, repr=False)
    access_token: Optional[str] = field(default=None, repr=False)
    expires_in: Optional[int] = None
    token_type: Optional[str] = None
    site_id: Optional[str] = None

    @property
    def is_code(self) -> bool:
        """Whether this is an authorization code (else an access token)."""
        return self.code is not None


def parse_redirect(url: str, expected_state: str) -> Grant:
    """Read the redirect WordPress.com sent the user back with.

    ``url`` is the whole URL the redirect URI received (with its query and fragment);
    ``expected_state`` the state :meth:`Client.authorize_url` returned.

    Raises:
        StateMismatch: the redirect's ``state`` is missing or not ``expected_state``
            (an :class:`InvalidArgument`).
        AccessDenied: the user refused (``error=access_denied``; an :class:`ApiError`).
        ApiError: any other ``error=`` of the redirect, with that code.
        InvalidArgument: the URL carries neither a code, a token nor an error.
    """
    url_b = _encode("url", url)
    state_b = _encode("expected_state", expected_state)
    reply: Dict[str, Any] = _call_for_response(
        lambda out: lib.jp_oauth_parse_redirect(url_b, state_b, out)
    )
    expires = reply.get("expires_in")
    site_id = reply.get("site_id")
    return Grant(
        code=reply.get("code"),
        access_token=reply.get("access_token"),
        expires_in=_as_int(expires),
        token_type=reply.get("token_type"),
        site_id=None if site_id is None else str(site_id),
    )

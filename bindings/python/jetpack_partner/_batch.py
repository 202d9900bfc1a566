"""Bulk provisioning and reconciliation over the C ABI's ``jp_batch`` and ``jp_reconcile``."""

from __future__ import annotations

import ctypes
import json
from dataclasses import dataclass
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Tuple

from . import _lib
from ._lib import BatchPtr, lib
from .errors import Code, InternalError, JetpackError, error_class

__all__ = ["BatchResult", "run_batch", "reconcile"]

#: How long one wait for a result lasts before Python gets control back (Ctrl-C, generator close).
_POLL_MS = 200

# The client's own error codes; any other code is the server's (an API error).
_CLIENT_CODES: Dict[str, int] = {
    "invalid_argument": Code.INVALID_ARGUMENT,
    "transport_error": Code.TRANSPORT_ERROR,
    "timeout": Code.TIMEOUT,
    "tls_error": Code.TLS_ERROR,
    "invalid_response": Code.INVALID_RESPONSE,
    "response_too_large": Code.RESPONSE_TOO_LARGE,
    "outcome_unknown": Code.OUTCOME_UNKNOWN,
    "token_error": Code.TOKEN_ERROR,
    "internal": Code.INTERNAL,
}

_PROVISION_FIELDS = ("key", "local_user", "siteurl", "plan")
_CANCEL_FIELDS = ("key", "site", "plan")


@dataclass(frozen=True)
class BatchResult:
    """One item's result, as it lands.

    Attributes:
        index: the item's position in the iterable given (from 0).
        key: the item's key (``"<operation> <site> <plan>"`` when it gave none).
        operation: ``"provision"`` or ``"cancel"``.
        site: the item's site.
        outcome: ``"done"`` (sent now, accepted), ``"confirmed"`` (the status showed it in place
            after an unknown outcome: not sent again), ``"already_done"`` (the journal records
            it), ``"failed"`` (a re-run retries it) or ``"unknown"`` (a re-run checks first).
        reply: the server's reply for ``done`` / ``already_done``.
        error: the exception of ``failed`` / ``unknown`` (not raised).
    """

    index: int
    key: str
    operation: str
    site: str
    outcome: str
    reply: Optional[Dict[str, Any]] = None
    error: Optional[JetpackError] = None

    @property
    def ok(self) -> bool:
        """Whether the item's effect is in place."""
        return self.outcome in ("done", "confirmed", "already_done")


def _error_of(value: Optional[Mapping[str, Any]]) -> Optional[JetpackError]:
    if not value:
        return None
    code = str(value.get("code") or "internal")
    result = _CLIENT_CODES.get(code, Code.API_ERROR)
    return error_class(result, code)(
        code, str(value.get("message") or ""), value.get("http_status"), result=result
    )


def _result_of(text: bytes, index_map: List[int]) -> BatchResult:
    value = json.loads(text.decode("utf-8"))
    index = int(value["index"])
    return BatchResult(
        index=index_map[index] if index < len(index_map) else index,
        key=value["key"],
        operation=value["operation"],
        site=value["site"],
        outcome=value["outcome"],
        reply=value.get("reply"),
        error=_error_of(value.get("error")),
    )


def _text(item: Mapping[str, Any], name: str) -> Optional[str]:
    value = item.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    return str(value)


def _encode(value: Optional[str]) -> Optional[bytes]:
    return None if value is None else value.encode("utf-8", "surrogatepass")


def _add(batch: Any, operation: str, item: Mapping[str, Any]) -> int:
    """Adds one item; a missing required field is left empty, so that the batch reports it."""
    if operation == "provision":
        options = {k: v for k, v in item.items() if k not in _PROVISION_FIELDS and v is not None}
        return int(
            lib.jp_batch_add_provision(
                batch,
                _encode(_text(item, "key")),
                _encode(_text(item, "local_user") or ""),
                _encode(_text(item, "siteurl") or ""),
                _encode(_text(item, "plan")),
                json.dumps(options).encode("utf-8") if options else None,
            )
        )
    options = {k: v for k, v in item.items() if k not in _CANCEL_FIELDS and v is not None}
    return int(
        lib.jp_batch_add_cancel(
            batch,
            _encode(_text(item, "key")),
            _encode(_text(item, "site") or ""),
            _encode(_text(item, "plan")),
            json.dumps(options).encode("utf-8") if options else None,
        )
    )


def _last_error(code: int) -> JetpackError:
    raw = lib.jp_last_error_message()
    text = raw.decode("utf-8", "replace") if raw else "the batch failed"
    name = next((n for n, c in _CLIENT_CODES.items() if c == code), "internal")
    return error_class(code, name)(name, text, None, result=code)


def run_batch(
    client_handle: Any,
    operation: str,
    items: Iterable[Mapping[str, Any]],
    concurrency: int,
    journal: Optional[str],
) -> Iterator[BatchResult]:
    """The generator behind ``Client.provision_many`` / ``cancel_many``.

    Items that cannot even be handed over (not a mapping, a value that is not text, options
    that are not JSON) are ``failed`` results with :class:`InvalidArgument`, as are the items
    the library refuses; the others run.
    """
    batch = BatchPtr()
    code = lib.jp_batch_new(client_handle, ctypes.byref(batch))
    if code != Code.OK or not batch:
        raise _last_error(code or Code.INTERNAL)
    try:
        code = lib.jp_batch_set_concurrency(batch, concurrency)
        if code == Code.OK:
            code = lib.jp_batch_set_journal(batch, _encode(journal))
        if code != Code.OK:
            raise _last_error(code)
        refused: List[Tuple[int, str, str]] = []
        index_map: List[int] = []
        for index, item in enumerate(items):
            try:
                if not isinstance(item, Mapping):
                    raise TypeError(f"an item must be a mapping, not {type(item).__name__}")
                code = _add(batch, operation, item)
                problem = None if code == Code.OK else lib.jp_last_error_message().decode()
            except (TypeError, ValueError, UnicodeError) as exc:
                problem = str(exc)
            if problem is None:
                index_map.append(index)
            else:
                key = item.get("key") if isinstance(item, Mapping) else None
                refused.append((index, str(key or ""), problem))
        for index, key, problem in refused:
            yield BatchResult(
                index=index,
                key=key,
                operation=operation,
                site="",
                outcome="failed",
                error=_error_of({"code": "invalid_argument", "message": f"item {index}: {problem}"}),
            )
        code = lib.jp_batch_start(batch)
        if code != Code.OK:
            raise _last_error(code)
        out = _lib._owned_str()
        while True:
            code = lib.jp_batch_next(batch, _POLL_MS, ctypes.byref(out))
            if code != Code.OK:
                raise _last_error(code)
            if out:
                try:
                    text = ctypes.string_at(out)
                finally:
                    lib.jp_string_free(out)
                    out = _lib._owned_str()
                yield _result_of(text, index_map)
            elif lib.jp_batch_finished(batch):
                return
    finally:
        # Stops the batch when the caller leaves early; calls in flight finish and are journaled.
        lib.jp_batch_free(batch)


def reconcile(client_handle: Any, expected: Iterable[Mapping[str, Any]], options: Dict[str, Any]) -> Dict[str, Any]:
    """The report of ``Client.reconcile``."""
    lines = []
    for index, line in enumerate(expected):
        if not isinstance(line, Mapping):
            raise TypeError(f"expected[{index}] must be a mapping, not {type(line).__name__}")
        lines.append({k: line.get(k) for k in ("site", "plan", "key", "local_user") if line.get(k) is not None})
    out = _lib._owned_str()
    code = lib.jp_reconcile(
        client_handle,
        json.dumps(lines).encode("utf-8"),
        json.dumps({k: v for k, v in options.items() if v is not None}).encode("utf-8"),
        ctypes.byref(out),
    )
    if code != Code.OK or not out:
        raise _last_error(code or Code.INTERNAL)
    try:
        text = ctypes.string_at(out)
    finally:
        lib.jp_string_free(out)
    report = json.loads(text.decode("utf-8"))
    if not isinstance(report, dict):
        raise InternalError("internal", "the reconcile report is not a JSON object", None)
    return report

"""The fault matrix through the Python binding.

Every fault kind of the sandbox, against the token request, ``provision`` and ``status``, with
a recognisable partner secret. For each row: the exception class and ``.code`` (or success
after the documented retries), ``.http_status``, ``.attempts``, and the requests the sandbox
saw (its stats, reset before the row). The expectations are those of the Rust matrix
(``tests/secrets.rs``). Every message, ``str()``, ``repr()`` and error body, and every
diagnostic line, is then searched for the partner secret and for every token the sandbox
issued (read from its state journal).
"""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple, Type

import pytest

from conftest import Sandbox, start_sandbox

import jetpack_partner as jp
from jetpack_partner import Client

PARTNER_ID = "24680"
SECRET = "Recognisable-Partner-Secret-5e9b1c7d"

# Every text the binding produced in this module (messages, str(), repr(), bodies) and every
# diagnostic line, searched for secrets at the end.
_TEXTS: List[str] = []
_LOG_LINES: List[str] = []


@dataclass
class MatrixSandbox:
    sandbox: Sandbox
    journal: Path

    @property
    def url(self) -> str:
        return self.sandbox.url


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MatrixSandbox]:
    """A sandbox of its own: the recognisable partner and a state journal (the issued tokens)."""
    journal = tmp_path_factory.mktemp("fault-matrix") / "state.jsonl"
    jp.set_log_callback(lambda _level, line: _LOG_LINES.append(line))
    try:
        with start_sandbox("--partner", f"{PARTNER_ID}:{SECRET}", "--state", str(journal)) as sb:
            yield MatrixSandbox(sb, journal)
    finally:
        jp.set_log_callback(None)


# -- the rows ---------------------------------------------------------------------------------

OK = "ok"


@dataclass
class Row:
    name: str
    endpoint: str  # the faulted endpoint: token, provision or status
    rule: Dict[str, Any]
    # OK, or (exception class, .code, .http_status)
    expect: Any
    token_requests: Tuple[int, int]
    op_requests: Tuple[int, int]
    timeout: Optional[float] = None  # the client's overall limit, seconds (default 20)
    max_response_bytes: Optional[int] = None  # the client's reply cap (default 1 MiB)
    op: str = field(default="")

    def __post_init__(self) -> None:
        if not self.op:
            self.op = "status" if self.endpoint == "status" else "provision"


def err(cls: Type[jp.JetpackError], code: str, http: Optional[int]) -> Tuple[Any, str, Optional[int]]:
    return (cls, code, http)


T, P, S = "token", "provision", "status"
SLOW = 2.0  # overall limit of the rows against a server that sends one byte a second
# Oversized replies: a 128 KiB body against a 32 KiB cap. (A body beyond the default 1 MiB cap
# leaves glibc's raised mmap/trim thresholds behind in this process, which hides the deliberate
# leak that test_memory.py's calibration test must see.)
BIG = {"kind": "oversized", "size": 128 * 1024}
CAP = 32 * 1024

ROWS: List[Row] = [
    # The token request: repeated (it is safe) on 429, 502, 503, 504 and broken connections;
    # other failures are final. The operation is never sent without a token.
    Row("token 500", T, {"kind": "status", "status": 500}, err(jp.TokenError, "token_error", 500), (1, 1), (0, 0)),
    Row("token 502 once", T, {"kind": "status", "status": 502}, OK, (2, 2), (1, 1)),
    Row("token 503 once", T, {"kind": "status", "status": 503}, OK, (2, 2), (1, 1)),
    Row("token 429 Retry-After once", T, {"kind": "status", "status": 429, "retry_after": 1}, OK, (2, 2), (1, 1)),
    Row("token 503 always", T, {"kind": "status", "status": 503, "count": 0}, err(jp.TokenError, "token_error", 503), (3, 3), (0, 0)),
    Row("token html 502 once", T, {"kind": "html", "status": 502}, OK, (2, 2), (1, 1)),
    Row("token html 502 always", T, {"kind": "html", "status": 502, "count": 0}, err(jp.TokenError, "token_error", 502), (3, 3), (0, 0)),
    Row("token refused", T, {"kind": "refuse_token"}, err(jp.TokenError, "token_error", 403), (1, 1), (0, 0)),
    Row("token slow headers", T, {"kind": "slow_headers", "delay_ms": 1000, "count": 0}, err(jp.RequestTimeout, "timeout", None), (1, 2), (0, 0), SLOW),
    Row("token slow body", T, {"kind": "slow_body", "delay_ms": 1000, "count": 0}, err(jp.RequestTimeout, "timeout", None), (1, 2), (0, 0), SLOW),
    Row("token reset once", T, {"kind": "reset"}, OK, (2, 2), (1, 1)),
    Row("token reset always", T, {"kind": "reset", "count": 0}, err(jp.TransportError, "transport_error", None), (3, 3), (0, 0)),
    Row("token invalid JSON", T, {"kind": "invalid_json"}, err(jp.InvalidResponse, "invalid_response", 200), (1, 1), (0, 0)),
    Row("token truncated JSON", T, {"kind": "truncated_json"}, err(jp.InvalidResponse, "invalid_response", 200), (1, 1), (0, 0)),
    Row("token oversized", T, BIG, err(jp.ResponseTooLarge, "response_too_large", None), (1, 1), (0, 0), max_response_bytes=CAP),
    # provision (POST): repeated only when the server said it did not process the request
    # (429, 503 with Retry-After) or the token was refused; any other failure after sending is
    # outcome_unknown (or the reply's own error), never repeated.
    Row("provision 500", P, {"kind": "status", "status": 500}, err(jp.OutcomeUnknown, "outcome_unknown", 500), (0, 0), (1, 1)),
    Row("provision 502", P, {"kind": "status", "status": 502}, err(jp.OutcomeUnknown, "outcome_unknown", 502), (0, 0), (1, 1)),
    Row("provision 503", P, {"kind": "status", "status": 503}, err(jp.OutcomeUnknown, "outcome_unknown", 503), (0, 0), (1, 1)),
    Row("provision 503 Retry-After once", P, {"kind": "status", "status": 503, "retry_after": 1}, OK, (0, 0), (2, 2)),
    Row("provision 429 Retry-After once", P, {"kind": "status", "status": 429, "retry_after": 1}, OK, (0, 0), (2, 2)),
    Row("provision 429 Retry-After always", P, {"kind": "status", "status": 429, "retry_after": 1, "count": 0}, err(jp.ApiError, "sandbox_fault", 429), (0, 0), (3, 3)),
    Row("provision html 502", P, {"kind": "html", "status": 502}, err(jp.OutcomeUnknown, "outcome_unknown", 502), (0, 0), (1, 1)),
    Row("provision html 404", P, {"kind": "html", "status": 404}, err(jp.InvalidResponse, "invalid_response", 404), (0, 0), (1, 1)),
    Row("provision token refused once", P, {"kind": "refuse_token"}, OK, (1, 1), (2, 2)),
    Row("provision token refused twice", P, {"kind": "refuse_token", "count": 2}, err(jp.ApiError, "invalid_token", 403), (1, 1), (2, 2)),
    Row("provision slow headers", P, {"kind": "slow_headers", "delay_ms": 1000}, err(jp.OutcomeUnknown, "outcome_unknown", None), (0, 0), (1, 1), SLOW),
    Row("provision slow body", P, {"kind": "slow_body", "delay_ms": 1000}, err(jp.OutcomeUnknown, "outcome_unknown", None), (0, 0), (1, 1), SLOW),
    Row("provision reset mid-body", P, {"kind": "reset"}, err(jp.OutcomeUnknown, "outcome_unknown", None), (0, 0), (1, 1)),
    Row("provision closed without reply", P, {"kind": "close"}, err(jp.OutcomeUnknown, "outcome_unknown", None), (0, 0), (1, 1)),
    Row("provision invalid JSON", P, {"kind": "invalid_json"}, err(jp.InvalidResponse, "invalid_response", 200), (0, 0), (1, 1)),
    Row("provision truncated JSON", P, {"kind": "truncated_json"}, err(jp.InvalidResponse, "invalid_response", 200), (0, 0), (1, 1)),
    Row("provision oversized", P, BIG, err(jp.ResponseTooLarge, "response_too_large", None), (0, 0), (1, 1), max_response_bytes=CAP),
    # status (GET): safe to repeat on 429, 502, 503, 504 and broken connections.
    Row("status 500", S, {"kind": "status", "status": 500}, err(jp.ApiError, "sandbox_fault", 500), (0, 0), (1, 1)),
    Row("status 502 once", S, {"kind": "status", "status": 502}, OK, (0, 0), (2, 2)),
    Row("status 503 once", S, {"kind": "status", "status": 503}, OK, (0, 0), (2, 2)),
    Row("status 503 always", S, {"kind": "status", "status": 503, "count": 0}, err(jp.ApiError, "sandbox_fault", 503), (0, 0), (3, 3)),
    Row("status 429 Retry-After once", S, {"kind": "status", "status": 429, "retry_after": 1}, OK, (0, 0), (2, 2)),
    Row("status html 502 once", S, {"kind": "html", "status": 502}, OK, (0, 0), (2, 2)),
    Row("status html 502 always", S, {"kind": "html", "status": 502, "count": 0}, err(jp.InvalidResponse, "invalid_response", 502), (0, 0), (3, 3)),
    Row("status token refused once", S, {"kind": "refuse_token"}, OK, (1, 1), (2, 2)),
    Row("status reset once", S, {"kind": "reset"}, OK, (0, 0), (2, 2)),
    Row("status reset always", S, {"kind": "reset", "count": 0}, err(jp.TransportError, "transport_error", None), (0, 0), (3, 3)),
    Row("status closed once", S, {"kind": "close"}, OK, (0, 0), (2, 2)),
    Row("status slow headers", S, {"kind": "slow_headers", "delay_ms": 1000, "count": 0}, err(jp.RequestTimeout, "timeout", None), (0, 0), (1, 2), SLOW),
    Row("status slow body", S, {"kind": "slow_body", "delay_ms": 1000, "count": 0}, err(jp.RequestTimeout, "timeout", None), (0, 0), (1, 2), SLOW),
    Row("status invalid JSON", S, {"kind": "invalid_json"}, err(jp.InvalidResponse, "invalid_response", 200), (0, 0), (1, 1)),
    Row("status truncated JSON", S, {"kind": "truncated_json"}, err(jp.InvalidResponse, "invalid_response", 200), (0, 0), (1, 1)),
    Row("status oversized", S, BIG, err(jp.ResponseTooLarge, "response_too_large", None), (0, 0), (1, 1), max_response_bytes=CAP),
]


def _client(
    url: str, index: int, timeout: Optional[float] = None, max_response_bytes: Optional[int] = None
) -> Client:
    # Clients with the same settings share their token within the process: a connect time
    # limit of its own gives each row's client its own token, so token faults reach the server.
    return Client(
        PARTNER_ID,
        SECRET,
        api_base=url,
        timeout=timeout if timeout is not None else 20.0,
        connect_timeout=5.0 + index / 1000,
        max_response_bytes=max_response_bytes,
    )


def _describe(e: jp.JetpackError) -> str:
    return "\n".join([str(e), repr(e), e.message, json.dumps(e.body) if e.body is not None else ""])


def _assert_no_secret(text: str) -> None:
    assert SECRET not in text, f"the partner secret leaked: {text!r}"
    assert "Bearer " not in text, text


def _count(stats: Dict[str, Any], endpoint: str) -> int:
    return int(stats["requests"].get(endpoint, 0))


@pytest.mark.parametrize("index,row", list(enumerate(ROWS)), ids=[r.name for r in ROWS])
def test_fault(matrix: MatrixSandbox, index: int, row: Row) -> None:
    sb = matrix.sandbox
    sb.clear_faults()
    site = f"https://py-matrix-{index}.example"
    with _client(sb.url, 100 + index, row.timeout, row.max_response_bytes) as client:
        if row.endpoint != T:
            # The token and the site exist before the fault.
            client.provision("admin", site, "premium")
        sb.reset_stats()
        sb.fault(endpoint=row.endpoint, **row.rule)
        started = time.monotonic()
        outcome: Any
        try:
            if row.op == "status":
                outcome = client.status(site)
            else:
                outcome = client.provision("admin", site, "premium")
        except jp.JetpackError as e:
            outcome = e
        finally:
            elapsed = time.monotonic() - started
            sb.clear_faults()
        _TEXTS.append(repr(client))
    stats = sb.stats()
    token_seen = _count(stats, "token")
    op_seen = _count(stats, row.op)

    if row.expect == OK:
        assert isinstance(outcome, dict), f"expected success, got {outcome!r}"
        if row.op == "status":
            assert "premium" in [p["slug"] for p in outcome["products"]], outcome
        else:
            assert outcome["success"] is True, outcome
        _TEXTS.append(repr(outcome))
    else:
        cls, code, http = row.expect
        assert isinstance(outcome, jp.JetpackError), f"expected {cls.__name__}, got {outcome!r}"
        _TEXTS.append(_describe(outcome))
        _assert_no_secret(_describe(outcome))
        assert type(outcome) is cls, f"{type(outcome).__name__}: {outcome}"
        assert outcome.code == code, str(outcome)
        assert outcome.http_status == http, str(outcome)
        # The attempts the binding reports are the operation requests the sandbox saw (0 when
        # the token request failed: the operation was never sent).
        assert outcome.attempts == op_seen, (str(outcome), outcome.attempts, stats)
        if code == "outcome_unknown":
            assert "check the site's status" in outcome.message, outcome.message
    lo, hi = row.token_requests
    assert lo <= token_seen <= hi, f"token requests {token_seen}, expected {row.token_requests}: {stats}"
    lo, hi = row.op_requests
    assert lo <= op_seen <= hi, f"{row.op} requests {op_seen}, expected {row.op_requests}: {stats}"
    if row.timeout is not None:
        # Returned within the overall limit plus a margin (a loaded machine).
        assert elapsed < row.timeout + 3.0, f"took {elapsed:.2f} s with a limit of {row.timeout} s"


def _in_child(fn: Any) -> Dict[str, Any]:
    """Run ``fn()`` in a forked child and return the dict it returned (through a pipe)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(r)
        try:
            result = fn()
        except BaseException as exc:  # noqa: BLE001 - reported to the parent
            result = {"child_error": repr(exc)}
        try:
            os.write(w, json.dumps(result).encode())
        finally:
            os._exit(0)
    os.close(w)
    data = b""
    while True:
        chunk = os.read(r, 65536)
        if not chunk:
            break
        data += chunk
    os.close(r)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
    return json.loads(data)


@pytest.mark.parametrize("op", ["provision", "status"])
def test_oversized_against_the_default_cap(matrix: MatrixSandbox, op: str) -> None:
    """The sandbox's default oversized body (2 MiB) against the default 1 MiB cap. Run in a
    forked child so that the large buffers do not change this process's allocator state."""
    sb = matrix.sandbox
    site = f"https://py-matrix-default-cap-{op}.example"

    def row() -> Dict[str, Any]:
        with _client(sb.url, 310 if op == "provision" else 311) as client:
            client.provision("admin", site, "premium")
            sb.reset_stats()
            sb.fault(endpoint=op, kind="oversized")
            try:
                if op == "provision":
                    client.provision("admin", site, "premium")
                else:
                    client.status(site)
                return {"ok": True}
            except jp.JetpackError as e:
                return {
                    "class": type(e).__name__,
                    "code": e.code,
                    "http_status": e.http_status,
                    "attempts": e.attempts,
                    "text": _describe(e),
                }
            finally:
                sb.clear_faults()

    got = _in_child(row)
    _TEXTS.append(json.dumps(got))
    assert "child_error" not in got, got
    _assert_no_secret(got.get("text", ""))
    assert got.get("class") == "ResponseTooLarge", got
    assert got["code"] == "response_too_large"
    assert got["http_status"] is None
    assert got["attempts"] == 1
    stats = sb.stats()
    assert _count(stats, "token") == 0, stats
    assert _count(stats, op) == 1, stats


# -- refused connections ----------------------------------------------------------------------


def _closed_port() -> int:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.mark.parametrize("op", ["provision", "status"])
def test_refused_connection_before_the_token(matrix: MatrixSandbox, op: str) -> None:
    """Nothing listens: the token request never reached a server; transport_error."""
    url = f"http://127.0.0.1:{_closed_port()}"
    with _client(url, 300 if op == "provision" else 301) as client:
        first_line = len(_LOG_LINES)
        started = time.monotonic()
        with pytest.raises(jp.TransportError) as info:
            if op == "provision":
                client.provision("admin", "https://refused.example", "premium")
            else:
                client.status("https://refused.example")
        elapsed = time.monotonic() - started
    e = info.value
    _TEXTS.append(_describe(e))
    _assert_no_secret(_describe(e))
    assert type(e) is jp.TransportError
    assert e.code == "transport_error"
    assert e.http_status is None
    assert "nothing was sent" in e.message, e.message
    # The operation itself was never sent; the token request was tried 3 times (it is safe).
    assert e.attempts == 0, e.attempts
    token_attempts = [
        line for line in _LOG_LINES[first_line:] if "POST /oauth2/token attempt" in line
    ]
    assert len(token_attempts) == 3, token_attempts
    assert "attempt 3" in token_attempts[-1] and "final" in token_attempts[-1], token_attempts
    assert elapsed < 10


@pytest.mark.parametrize("op", ["provision", "status"])
def test_refused_connection_after_the_token(matrix: MatrixSandbox, op: str) -> None:
    """The server goes away after the token was obtained: the call provably never reached it,
    so it is repeated up to max_attempts (3), then transport_error saying nothing was sent."""
    with start_sandbox("--partner", f"{PARTNER_ID}:{SECRET}") as gone:
        client = _client(gone.url, 302 if op == "provision" else 303)
        client.provision("admin", "https://before.example", "premium")
        assert _count(gone.stats(), "provision") == 1
        port = int(gone.url.rsplit(":", 1)[1])
    try:
        # Wait until the port refuses connections.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
            except OSError:
                break
            time.sleep(0.02)
        with pytest.raises(jp.TransportError) as info:
            if op == "provision":
                client.provision("admin", "https://after.example", "premium")
            else:
                client.status("https://before.example")
    finally:
        client.close()
    e = info.value
    _TEXTS.append(_describe(e))
    _assert_no_secret(_describe(e))
    assert type(e) is jp.TransportError
    assert e.code == "transport_error"
    assert e.http_status is None
    assert "nothing was sent" in e.message, e.message
    assert e.attempts == 3, e.attempts


# -- secrets ----------------------------------------------------------------------------------


def _issued_tokens(journal: Path) -> List[str]:
    """Every string of the sandbox's journal that looks like one of its tokens."""
    found: set = set()

    def walk(v: Any) -> None:
        if isinstance(v, str):
            if len(v) == 64 and v.isascii() and v.isalnum():
                found.add(v)
        elif isinstance(v, list):
            for item in v:
                walk(item)
        elif isinstance(v, dict):
            for item in v.values():
                walk(item)

    for line in journal.read_text().splitlines():
        try:
            walk(json.loads(line))
        except ValueError:
            continue
    return sorted(found)


def test_no_secret_or_token_in_any_message_or_log_line(matrix: MatrixSandbox) -> None:
    """Runs last in this module: every text collected above, and every diagnostic line."""
    if not _TEXTS:
        pytest.skip("no fault row ran")
    tokens = _issued_tokens(matrix.journal)
    assert tokens, "the journal lists the issued tokens"
    assert _LOG_LINES, "the library logged nothing"
    for text in _TEXTS + _LOG_LINES:
        _assert_no_secret(text)
        for token in tokens:
            assert token not in text, f"a token leaked: {text!r}"

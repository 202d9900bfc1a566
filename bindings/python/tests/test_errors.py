"""Every exception class, produced by real failures (sandbox faults, closed ports, bad input)."""

from __future__ import annotations

import socket
import time

import pytest

from conftest import PARTNER_ID, PARTNER_SECRET, Sandbox

import jetpack_partner as jp
from jetpack_partner import Client, Code


def _closed_port() -> int:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_api_error_invalid_plan(client: Client, site: str) -> None:
    with pytest.raises(jp.ApiError) as info:
        client.provision("admin", site, "no-such-plan")
    err = info.value
    assert type(err) is jp.ApiError
    assert isinstance(err, jp.JetpackError)
    assert err.code == "invalid_plan"
    assert err.http_status == 400
    assert "no-such-plan" in err.message
    assert err.result == Code.API_ERROR
    assert err.attempts == 1
    assert err.body is not None and err.body["error"] == "invalid_plan"
    assert str(err) == f"invalid_plan: {err.message} (HTTP 400)"


def test_api_error_plan_downgrade(client: Client, site: str) -> None:
    client.provision("admin", site, "professional")
    with pytest.raises(jp.ApiError) as info:
        client.provision("admin", site, "personal")
    assert info.value.code == "plan_downgrade_disallowed"
    assert info.value.http_status == 400


def test_server_error_after_retries(sandbox: Sandbox, site: str) -> None:
    sandbox.fault(endpoint="status", kind="status", status=503, count=0)
    with Client(PARTNER_ID, PARTNER_SECRET, api_base=sandbox.url, max_attempts=2) as c:
        with pytest.raises(jp.JetpackError) as info:
            c.status(site)
    assert info.value.http_status == 503
    assert info.value.attempts == 2


def test_token_error_for_a_bad_secret(sandbox: Sandbox, site: str) -> None:
    with Client(PARTNER_ID, "not-the-secret", api_base=sandbox.url) as c:
        with pytest.raises(jp.TokenError) as info:
            c.provision("admin", site)
    err = info.value
    assert isinstance(err, jp.ApiError)
    assert err.code == "token_error"
    assert err.result == Code.TOKEN_ERROR
    assert "invalid_client" in err.message
    assert err.http_status == 400
    assert "not-the-secret" not in str(err)


def test_transport_error_for_a_closed_port() -> None:
    port = _closed_port()
    with Client(
        PARTNER_ID, PARTNER_SECRET, api_base=f"http://127.0.0.1:{port}", max_attempts=1
    ) as c:
        with pytest.raises(jp.TransportError) as info:
            c.status("https://example.com")
    err = info.value
    assert type(err) is jp.TransportError
    assert err.code == "transport_error"
    assert err.result == Code.TRANSPORT_ERROR
    assert err.http_status is None


def test_proxy_setting_is_used(sandbox: Sandbox) -> None:
    # A proxy that cannot be reached makes the call fail although the API is up.
    port = _closed_port()
    with Client(
        PARTNER_ID,
        PARTNER_SECRET,
        api_base=sandbox.url,
        proxy=f"http://127.0.0.1:{port}",
        max_attempts=1,
    ) as c:
        with pytest.raises(jp.TransportError):
            c.status("https://example.com")


def test_timeout(client: Client, sandbox: Sandbox, site: str) -> None:
    client.provision("admin", site)
    sandbox.fault(endpoint="status", kind="delay", delay_ms=3000, count=0)
    with Client(
        PARTNER_ID, PARTNER_SECRET, api_base=sandbox.url, timeout=0.4, max_attempts=1
    ) as c:
        started = time.monotonic()
        with pytest.raises(jp.RequestTimeout) as info:
            c.status(site)
        elapsed = time.monotonic() - started
    assert isinstance(info.value, jp.TransportError)
    assert info.value.code == "timeout"
    assert info.value.result == Code.TIMEOUT
    assert elapsed < 2.5


def test_outcome_unknown_when_provision_reply_is_lost(sandbox: Sandbox, site: str) -> None:
    with Client(PARTNER_ID, PARTNER_SECRET, api_base=sandbox.url) as c:
        sandbox.fault(endpoint="provision", kind="reset", count=0)
        with pytest.raises(jp.OutcomeUnknown) as info:
            c.provision("admin", site, "premium")
    assert isinstance(info.value, jp.TransportError)
    assert info.value.code == "outcome_unknown"


def test_invalid_response(client: Client, sandbox: Sandbox, site: str) -> None:
    client.provision("admin", site)
    sandbox.fault(endpoint="status", kind="invalid_json", count=0)
    with pytest.raises(jp.InvalidResponse) as info:
        client.status(site)
    assert info.value.code == "invalid_response"
    assert info.value.http_status == 200
    assert isinstance(info.value, jp.TransportError)


def test_response_too_large(sandbox: Sandbox, site: str) -> None:
    with Client(
        PARTNER_ID, PARTNER_SECRET, api_base=sandbox.url, max_response_bytes=4096
    ) as c:
        c.provision("admin", site)
        sandbox.fault(endpoint="status", kind="oversized", size=64 * 1024, count=0)
        with pytest.raises(jp.ResponseTooLarge) as info:
            c.status(site)
    assert info.value.code == "response_too_large"
    assert isinstance(info.value, jp.InvalidResponse)


def test_tls_error_when_the_server_speaks_plain_http(sandbox: Sandbox) -> None:
    https_url = sandbox.url.replace("http://", "https://")
    with Client(PARTNER_ID, PARTNER_SECRET, api_base=https_url, max_attempts=1) as c:
        with pytest.raises(jp.TransportError) as info:
            c.status("https://example.com")
    assert info.value.code in ("tls_error", "transport_error")


def test_missing_ca_bundle_is_an_invalid_argument(tmp_path) -> None:
    with pytest.raises(jp.InvalidArgument) as info:
        Client(PARTNER_ID, PARTNER_SECRET, ca_bundle=tmp_path / "missing.pem")
    assert "ca_bundle" in info.value.message


def test_invalid_argument_from_the_library(client: Client) -> None:
    with pytest.raises(jp.InvalidArgument) as info:
        client.provision("admin", "")
    err = info.value
    assert err.code == "invalid_argument"
    assert err.result == Code.INVALID_ARGUMENT
    assert err.message.startswith("siteurl")
    assert err.attempts == 0
    assert isinstance(err, ValueError)


def test_every_code_has_a_class() -> None:
    for code in Code:
        if code is Code.OK:
            continue
        cls = jp.errors.error_class(code)
        assert issubclass(cls, jp.JetpackError)
        assert cls is not jp.JetpackError, code
    assert jp.errors.error_class(999) is jp.JetpackError
    err = jp.JetpackError("x", "y", None, result=999)
    assert err.result == 999

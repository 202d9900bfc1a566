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
    assert type(info.value) is jp.ApiError
    assert info.value.code == "sandbox_fault"
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
        with pytest.raises(jp.TlsError) as info:
            c.status("https://example.com")
    assert isinstance(info.value, jp.TransportError)
    assert info.value.code == "tls_error"
    assert info.value.result == Code.TLS_ERROR


def test_missing_ca_bundle_is_an_invalid_argument(tmp_path) -> None:
    missing = tmp_path / "missing.pem"
    with pytest.raises(jp.InvalidArgument) as info:
        Client(PARTNER_ID, PARTNER_SECRET, ca_bundle=missing)
    assert info.value.code == "invalid_argument"
    assert info.value.message.startswith("ca_bundle:")
    assert str(missing) in info.value.message


def test_connection_reset_on_status_is_retried_then_a_transport_error(
    client: Client, sandbox: Sandbox, site: str
) -> None:
    client.provision("admin", site)
    sandbox.fault(endpoint="status", kind="reset", count=0)
    with pytest.raises(jp.TransportError) as info:
        client.status(site)
    assert type(info.value) is jp.TransportError
    assert info.value.code == "transport_error"
    assert info.value.attempts == 3  # status is safe to repeat


def test_provision_timeout_is_outcome_unknown(sandbox: Sandbox, site: str) -> None:
    sandbox.fault(endpoint="provision", kind="delay", delay_ms=2000, count=0)
    with Client(PARTNER_ID, PARTNER_SECRET, api_base=sandbox.url, timeout=0.3) as c:
        with pytest.raises(jp.OutcomeUnknown) as info:
            c.provision("admin", site, "premium")
    assert info.value.attempts == 1  # provision is never sent twice
    assert "status" in info.value.message


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


class _Proxy:
    """A minimal HTTP proxy (CONNECT tunnels and absolute-form requests) on 127.0.0.1:0."""

    def __init__(self) -> None:
        import socketserver
        import threading

        self.requests: list = []
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                conn = self.request
                head = b""
                while b"\r\n\r\n" not in head:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    head += chunk
                line = head.split(b"\r\n", 1)[0].decode()
                outer.requests.append(line)
                method, target, _ = line.split(" ", 2)
                if method == "CONNECT":
                    host, port = target.rsplit(":", 1)
                    upstream = socket.create_connection((host, int(port)))
                    conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    rest = head.split(b"\r\n\r\n", 1)[1]
                else:
                    from urllib.parse import urlsplit

                    u = urlsplit(target)
                    upstream = socket.create_connection((u.hostname, u.port or 80))
                    path = (u.path or "/") + (f"?{u.query}" if u.query else "")
                    rest = head.replace(target.encode(), path.encode(), 1)
                if rest:
                    upstream.sendall(rest)
                self._pump(conn, upstream)

            @staticmethod
            def _pump(a: socket.socket, b: socket.socket) -> None:
                import selectors

                sel = selectors.DefaultSelector()
                sel.register(a, selectors.EVENT_READ, b)
                sel.register(b, selectors.EVENT_READ, a)
                try:
                    while True:
                        for key, _ in sel.select(timeout=10):
                            data = key.fileobj.recv(65536)
                            if not data:
                                return
                            key.data.sendall(data)
                finally:
                    b.close()

        class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_calls_go_through_the_proxy(sandbox: Sandbox, site: str) -> None:
    proxy = _Proxy()
    try:
        with Client(PARTNER_ID, PARTNER_SECRET, api_base=sandbox.url, proxy=proxy.url) as c:
            assert c.provision("admin", site, "premium")["success"] is True
            assert "premium" in [p["slug"] for p in c.status(site)["products"]]
    finally:
        proxy.close()
    port = sandbox.url.rsplit(":", 1)[1]
    assert proxy.requests, "the proxy saw no request"
    assert all(f"127.0.0.1:{port}" in line for line in proxy.requests), proxy.requests

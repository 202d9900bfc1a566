"""Memory stays flat over many calls: responses and strings are freed, nothing piles up."""

from __future__ import annotations

import ctypes
import gc

from conftest import rss_kib

import jetpack_partner as jp
from jetpack_partner import Client, _lib

CALLS = 10_000
# Leaking every response of this loop costs well over this (see the calibration test).
MAX_GROWTH_KIB = 1024

_libc = ctypes.CDLL(None)


def _settled_rss_kib() -> int:
    """RSS once free heap memory went back to the system, so that what earlier tests freed (large
    reply bodies, say) cannot absorb a leak: a later allocation has to grow RSS again."""
    gc.collect()
    _libc.malloc_trim(0)
    return rss_kib()


def _mixed_calls(client: Client, site: str, n: int) -> None:
    for i in range(n):
        kind = i % 4
        if kind in (0, 1):
            assert client.status(site)["products"]
        elif kind == 2:
            try:
                client.provision("admin", site, "no-such-plan")
            except jp.ApiError as exc:
                assert exc.code == "invalid_plan"
            else:  # pragma: no cover
                raise AssertionError("invalid_plan expected")
        else:
            try:
                client.provision("admin", site, "premium", bogus_option=1)
            except jp.InvalidArgument:
                pass
            else:  # pragma: no cover
                raise AssertionError("invalid_argument expected")


def test_rss_flat_over_10000_calls(client: Client, site: str) -> None:
    client.provision("admin", site, "premium")
    _mixed_calls(client, site, 1000)  # warm up: allocator pools, connection, caches
    before = _settled_rss_kib()
    _mixed_calls(client, site, CALLS)
    gc.collect()
    growth = rss_kib() - before
    assert growth < MAX_GROWTH_KIB, f"RSS grew by {growth} KiB over {CALLS} calls"


def test_a_leak_of_responses_would_be_detected(client: Client, site: str) -> None:
    """Calibration: the same loop *without* jp_response_free grows beyond the threshold."""
    client.provision("admin", site, "premium")
    handle = client._handle
    site_b = site.encode()
    out = _lib.ResponsePtr()
    for _ in range(200):
        _lib.lib.jp_status(handle, site_b, ctypes.byref(out))
        _lib.lib.jp_response_free(out)
    before = _settled_rss_kib()
    for _ in range(CALLS):
        _lib.lib.jp_status(handle, site_b, ctypes.byref(out))  # leaked on purpose
    growth = rss_kib() - before
    assert growth >= MAX_GROWTH_KIB, (
        f"leaking {CALLS} responses grew RSS by only {growth} KiB: the threshold of "
        f"{MAX_GROWTH_KIB} KiB would not catch a leak"
    )


def _oauth_helpers(client: Client, n: int) -> None:
    for i in range(n):
        url, state = client.authorize_url("http://127.0.0.1:9/callback", response_type="token")
        grant = jp.parse_redirect(
            f"http://127.0.0.1:9/callback#access_token=t{i}&expires_in=60&token_type=bearer"
            f"&state={state}",
            state,
        )
        assert grant.access_token == f"t{i}"
        try:
            jp.parse_redirect(f"http://127.0.0.1:9/callback?code=c&state={state}x", state)
        except jp.StateMismatch:
            pass
        else:  # pragma: no cover
            raise AssertionError("state_mismatch expected")


def test_rss_flat_over_the_oauth_helpers(client: Client) -> None:
    """authorize_url's owned strings and parse_redirect's responses are freed."""
    _oauth_helpers(client, 1000)
    gc.collect()
    before = rss_kib()
    _oauth_helpers(client, CALLS)
    gc.collect()
    growth = rss_kib() - before
    assert growth < MAX_GROWTH_KIB, f"RSS grew by {growth} KiB over {CALLS} rounds"


def test_rss_flat_over_api_calls(client: Client) -> None:
    def calls(n: int) -> None:
        for _ in range(n):
            assert client.product_families()
            assert client.request("GET", "/rest/v1.3/jpphp/errors", auth="none")["errors"]

    calls(300)
    gc.collect()
    before = rss_kib()
    calls(3000)
    gc.collect()
    growth = rss_kib() - before
    assert growth < MAX_GROWTH_KIB, f"RSS grew by {growth} KiB over 6000 calls"

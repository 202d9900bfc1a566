"""Every operation of the Client against the sandbox, and the client's lifetime."""

from __future__ import annotations

import ctypes
import gc
import threading
import time
import uuid

import pytest

from conftest import PARTNER_ID, PARTNER_SECRET, Sandbox

import jetpack_partner
from jetpack_partner import Client, InvalidArgument, _lib, site_identifier


def _slugs(status: dict) -> list:
    return [p["slug"] for p in status["products"]]


def test_provision_then_status_then_cancel(client: Client, sandbox: Sandbox, site: str) -> None:
    reply = client.provision("admin", site, "premium")
    assert reply["success"] is True
    assert reply["auth_required"] is True
    assert "jetpack.authorize" in reply["next_url"]

    status = client.status(site)
    assert status["blog"]["is_connected"] is False
    assert "premium" in _slugs(status)
    premium = next(p for p in status["products"] if p["slug"] == "premium")
    assert premium["is_provisioned_by_calling_partner"] is True

    # The same site by its identifier.
    assert client.status(site_identifier(site)) == status

    assert client.cancel(site) == {"success": True}
    assert client.cancel(site) == {"success": False}


def test_provision_of_a_site_url_without_scheme(client: Client, site: str) -> None:
    # The 2018 WHMCS module strips the scheme; WordPress.com (and the sandbox) accept it.
    bare = site.split("://", 1)[1] + "/blog"
    reply = client.provision("admin", bare, "premium")
    assert reply["success"] is True
    # The sandbox got it without a scheme and took http:// for the site it did not know.
    assert "siteurl=http%3A%2F%2F" + bare.replace("/", "%2F") in reply["next_url"]
    assert "premium" in _slugs(client.status(site + "/blog"))


def test_provision_of_a_connected_site_needs_no_authorization(
    client: Client, sandbox: Sandbox, site: str
) -> None:
    sandbox.connect_site(site)
    reply = client.provision("admin", site, "jetpack-backup-daily")
    assert reply["success"] is True
    assert reply["auth_required"] is False
    status = client.status(site)
    assert status["blog"]["is_connected"] is True
    assert "jetpack-backup-daily" in _slugs(status)


def test_provision_default_plan_is_free(client: Client, site: str) -> None:
    reply = client.provision("admin", site)
    assert reply["success"] is True
    status = client.status(site)
    assert status["blog"]["blog_id"] > 0
    assert _slugs(status) == []  # the free plan is no product


def test_provision_with_options(client: Client, sandbox: Sandbox, site: str) -> None:
    sandbox.reset_stats()
    reply = client.provision(
        "admin",
        site,
        "personal",
        force_register=True,
        force_connect=True,
        onboarding=True,
        partner_tracking_id="staging-7",
        ssh_user="backup",
        ssh_pass="s3cret",
        ssh_host="ssh.example.com",
        ssh_port=2222,
        wpcom_user_email=None,  # None options are left out
    )
    assert reply["success"] is True
    assert reply.get("ssh_set") is True
    status = client.status(site)
    assert status["blog"]["has_backups_credentials"] is True
    assert sandbox.stats()["requests"]["provision"] == 1


def test_cancel_options(client: Client, site: str) -> None:
    client.provision("admin", site, "jetpack-scan")
    client.provision("admin", site, "jetpack-anti-spam")
    client.provision("admin", site, "jetpack-backup-daily")
    assert client.cancel(site, plan="jetpack-scan")["success"] is True
    mine = [p["slug"] for p in client.status(site)["products"] if p["is_provisioned_by_calling_partner"]]
    assert "jetpack-scan" not in mine and "jetpack-anti-spam" in mine
    reply = client.cancel(site, cancel_all=True)
    assert reply["success"] is True
    remaining = [p for p in client.status(site)["products"] if p["is_provisioned_by_calling_partner"]]
    assert remaining == []


def test_partner_key_new_gives_working_credentials(client: Client, sandbox: Sandbox, site: str) -> None:
    name = f"reseller-{uuid.uuid4().hex[:8]}"
    key = client.partner_key_new(
        name, allowed_premium_plans=5, allowed_personal_plans=0, notes="made by the tests"
    )
    assert key["name"] == name
    assert str(key["allowed_premium_plans"]) == "5"
    assert key["client_id"] and key["client_secret"]
    assert key["client_id"] != PARTNER_ID

    with Client(str(key["client_id"]), key["client_secret"], api_base=sandbox.url) as reseller:
        assert reseller.provision("admin", site, "premium")["success"] is True
        assert "premium" in _slugs(reseller.status(site))


def test_status_by_blog_id_of_unknown_blog_is_an_api_error(client: Client) -> None:
    with pytest.raises(jetpack_partner.ApiError) as info:
        client.status(987654321)
    assert info.value.code == "invalid_blog"
    assert info.value.http_status == 403
    assert "987654321" in info.value.message


def test_unknown_option_is_an_invalid_argument_naming_it(client: Client, site: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        client.provision("admin", site, "premium", no_such_option=True)
    assert "no_such_option" in info.value.message
    assert info.value.code == "invalid_argument"
    assert info.value.http_status is None
    assert isinstance(info.value, ValueError)


def test_option_that_is_not_json_is_an_invalid_argument(client: Client, site: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        client.provision("admin", site, onboarding=object())
    assert info.value.message.startswith("onboarding: ")


def test_nul_character_is_refused(client: Client) -> None:
    with pytest.raises(InvalidArgument) as info:
        client.status("https://example.com\x00evil")
    assert info.value.message.startswith("site:")


def test_wrong_argument_types(client: Client) -> None:
    with pytest.raises(TypeError):
        client.status(b"https://example.com")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        client.provision("admin", None)  # type: ignore[arg-type]


def test_settings_are_validated() -> None:
    with pytest.raises(InvalidArgument) as info:
        Client(PARTNER_ID, PARTNER_SECRET, timeout=0)
    assert info.value.message.startswith("timeout:")
    with pytest.raises(InvalidArgument):
        Client(PARTNER_ID, PARTNER_SECRET, connect_timeout=float("nan"))
    with pytest.raises(InvalidArgument) as info:
        Client(PARTNER_ID, PARTNER_SECRET, api_base="not a url")
    assert info.value.code == "invalid_argument"
    assert info.value.message.startswith("api_base:")
    with pytest.raises(InvalidArgument):
        # Plain HTTP is only for loopback hosts.
        Client(PARTNER_ID, PARTNER_SECRET, api_base="http://public-api.wordpress.com")
    with pytest.raises(InvalidArgument):
        Client("", PARTNER_SECRET)
    # Values that do not fit the C parameter are refused, not truncated.
    with pytest.raises(InvalidArgument) as info:
        Client(PARTNER_ID, PARTNER_SECRET, max_attempts=2**32 + 1)
    assert info.value.message.startswith("max_attempts:")
    with pytest.raises(InvalidArgument):
        Client(PARTNER_ID, PARTNER_SECRET, timeout=1e20)
    # The library's own limits.
    with pytest.raises(InvalidArgument) as info:
        Client(PARTNER_ID, PARTNER_SECRET, max_attempts=1000)
    assert info.value.message.startswith("max_attempts:")
    with pytest.raises(TypeError):
        Client(PARTNER_ID, PARTNER_SECRET, max_attempts=2.0)  # type: ignore[arg-type]


def test_all_settings_accepted(sandbox: Sandbox, site: str) -> None:
    with Client(
        PARTNER_ID,
        PARTNER_SECRET,
        api_base=sandbox.url,
        timeout=5.5,
        connect_timeout=0.5,
        max_attempts=2,
        max_response_bytes=64 * 1024,
    ) as c:
        assert c.provision("admin", site)["success"] is True


def _record_frees(monkeypatch: pytest.MonkeyPatch, function: str) -> list:
    """Records every call of the library's ``function`` (which still frees)."""
    calls: list = []
    original = getattr(_lib.lib, function)

    def recording(handle):  # type: ignore[no-untyped-def]
        calls.append(ctypes.addressof(handle.contents))
        original(handle)

    monkeypatch.setattr(_lib.lib, function, recording)
    return calls


@pytest.fixture
def frees(monkeypatch: pytest.MonkeyPatch) -> list:
    """Records every jp_client_free call (and still frees)."""
    return _record_frees(monkeypatch, "jp_client_free")


@pytest.fixture
def builder_frees(monkeypatch: pytest.MonkeyPatch) -> list:
    """Records every jp_client_builder_free call (and still frees)."""
    return _record_frees(monkeypatch, "jp_client_builder_free")


def test_context_manager_and_close(sandbox: Sandbox, site: str, frees: list) -> None:
    with Client(PARTNER_ID, PARTNER_SECRET, api_base=sandbox.url) as c:
        assert not c.closed
        c.provision("admin", site)
        address = ctypes.addressof(c._handle.contents)
        assert frees == []
    assert c.closed
    assert frees == [address]
    with pytest.raises(InvalidArgument) as info:
        c.status(site)
    assert "closed" in info.value.message
    c.close()  # a second close is harmless
    assert frees == [address]


def test_garbage_collected_client_is_freed(sandbox: Sandbox, site: str, frees: list) -> None:
    c = Client(PARTNER_ID, PARTNER_SECRET, api_base=sandbox.url)
    c.provision("admin", site)
    address = ctypes.addressof(c._handle.contents)
    del c
    gc.collect()
    assert frees == [address]


def test_failed_construction_frees_the_handle(frees: list, builder_frees: list) -> None:
    with pytest.raises(InvalidArgument):
        Client(PARTNER_ID, PARTNER_SECRET, api_base="not a url")
    # The refused setting stops the builder before any client is made; the builder is freed.
    assert len(builder_frees) == 1
    assert frees == []


def test_construction_frees_the_builder_and_keeps_the_client(
    sandbox: Sandbox, site: str, frees: list, builder_frees: list
) -> None:
    with Client(PARTNER_ID, PARTNER_SECRET, api_base=sandbox.url, timeout=20) as c:
        assert len(builder_frees) == 1
        assert c.provision("admin", site)["success"] is True
        assert frees == []
    assert len(frees) == 1


def test_close_waits_for_calls_in_flight(sandbox: Sandbox, site: str, frees: list) -> None:
    c = Client(PARTNER_ID, PARTNER_SECRET, api_base=sandbox.url)
    c.provision("admin", site)
    sandbox.fault(endpoint="status", kind="delay", delay_ms=600, count=1)
    result: dict = {}

    def call() -> None:
        try:
            result["reply"] = c.status(site)
        except Exception as exc:  # pragma: no cover - reported below
            result["error"] = exc

    t = threading.Thread(target=call)
    t.start()
    time.sleep(0.2)
    c.close()
    assert c.closed
    assert frees == []  # the call in flight still uses the handle
    t.join(10)
    assert "error" not in result, result
    assert "blog" in result["reply"]
    assert len(frees) == 1


def test_secret_never_shows(sandbox: Sandbox) -> None:
    secret = "very-secret-value-42"
    c = Client(PARTNER_ID, secret, api_base=sandbox.url)
    assert secret not in repr(c)
    assert secret not in repr(vars(c))
    with pytest.raises(jetpack_partner.JetpackError) as info:
        c.status("https://example.com")
    assert secret not in str(info.value) and secret not in repr(info.value)
    c.close()


def test_the_partner_token_is_asked_for_once(sandbox: Sandbox, site: str) -> None:
    sandbox.reset_stats()
    # Clients with the same settings share one token per process (the library keeps it): a connect
    # time limit of its own makes this client ask for its own token.
    with Client(PARTNER_ID, PARTNER_SECRET, api_base=sandbox.url, connect_timeout=9.5) as c:
        c.provision("admin", site, "premium")
        for _ in range(5):
            c.status(site)
    requests = sandbox.stats()["requests"]
    assert requests.get("token") == 1, requests
    assert requests.get("provision") == 1 and requests.get("status") == 5, requests


def test_token_cache_dir_keeps_the_token_for_the_next_client(sandbox: Sandbox, tmp_path) -> None:
    # Settings no other test uses, so that no token is shared in this process.
    with Client(PARTNER_ID, PARTNER_SECRET, api_base=sandbox.url, timeout=17,
                token_cache_dir=tmp_path) as first:
        assert first.partner_keys_verify()["success"] is True
    files = list(tmp_path.iterdir())
    assert len(files) == 1
    assert files[0].stat().st_mode & 0o777 == 0o600
    assert PARTNER_SECRET not in files[0].read_text()
    tokens = sandbox.stats()["requests"].get("token", 0)
    with Client(PARTNER_ID, PARTNER_SECRET, api_base=sandbox.url, timeout=17, connect_timeout=4,
                token_cache_dir=str(tmp_path)) as second:
        assert second.partner_keys_verify()["success"] is True
    assert sandbox.stats()["requests"].get("token", 0) == tokens


def test_missing_token_cache_dir_is_an_invalid_argument(sandbox: Sandbox) -> None:
    with pytest.raises(InvalidArgument) as raised:
        Client(PARTNER_ID, PARTNER_SECRET, api_base=sandbox.url,
               token_cache_dir="/nonexistent/jp-cache")
    assert raised.value.message.startswith("token_cache_dir: ")


def test_warm_asks_for_the_token_once(sandbox: Sandbox) -> None:
    with Client(PARTNER_ID, PARTNER_SECRET, api_base=sandbox.url, idle_timeout=43.5) as client:
        before = sandbox.stats()["requests"].get("token", 0)
        client.warm()
        client.warm()
        assert sandbox.stats()["requests"].get("token", 0) == before + 1
        assert client.partner_keys_verify()["success"] is True
        assert sandbox.stats()["requests"].get("token", 0) == before + 1


def test_warm_in_background_then_a_call_asks_for_the_token_once(sandbox: Sandbox) -> None:
    with Client(PARTNER_ID, PARTNER_SECRET, api_base=sandbox.url, idle_timeout=44.5) as client:
        before = sandbox.stats()["requests"].get("token", 0)
        client.warm_in_background()
        assert client.partner_keys_verify()["success"] is True
        client.warm_in_background()
        assert client.partner_keys_verify()["success"] is True
        assert sandbox.stats()["requests"].get("token", 0) == before + 1


def test_a_failed_background_warm_up_shows_in_the_next_call(sandbox: Sandbox) -> None:
    with Client(PARTNER_ID, "wrong-secret-for-bg-warm", api_base=sandbox.url) as client:
        client.warm_in_background()
        with pytest.raises(jetpack_partner.TokenError) as raised:
            client.status("https://py-bg-warm.example.com")
    assert "wrong-secret-for-bg-warm" not in str(raised.value)


def test_warm_with_a_wrong_secret_raises_token_error(sandbox: Sandbox) -> None:
    with Client(PARTNER_ID, "wrong-secret-for-warm", api_base=sandbox.url) as client:
        with pytest.raises(jetpack_partner.TokenError) as raised:
            client.warm()
    assert "wrong-secret-for-warm" not in str(raised.value)

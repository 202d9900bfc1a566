"""The whole partner API against the sandbox: the generic request, the remaining partner
endpoints, reporting with a user token, OAuth2 for users and the Licensing API."""

from __future__ import annotations

import datetime
import http.client
import threading
import urllib.parse
import uuid
from typing import Any, Dict, Iterator, List, Tuple

import pytest

from conftest import (
    PARTNER_ID,
    PARTNER_SECRET,
    USER_PASSWORD,
    Sandbox,
    start_sandbox,
    user_token_for,
)

import jetpack_partner
from jetpack_partner import (
    AccessDenied,
    ApiError,
    Client,
    Grant,
    InvalidArgument,
    JetpackError,
    StateMismatch,
    TokenError,
    parse_redirect,
)

REDIRECT_URI = "http://127.0.0.1:9/callback"
# New keys may activate no limited plan (personal, premium, professional) unless allowed.
ROOMY = dict(allowed_personal_plans=100, allowed_premium_plans=100, allowed_professional_plans=100)


def new_site() -> str:
    return f"https://{uuid.uuid4().hex[:12]}.example.com/"


def reporting_requests(sandbox: Sandbox) -> int:
    return int(sandbox.stats()["requests"]["reporting"])


def follow(url: str) -> str:
    """GET an authorize URL and return the Location it redirects to (not followed)."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request("GET", parts.path + ("?" + parts.query if parts.query else ""))
        resp = conn.getresponse()
        resp.read()
        assert resp.status == 302, resp.status
        location = resp.getheader("Location")
        assert location
        return location
    finally:
        conn.close()


@pytest.fixture(scope="module")
def reseller(sandbox: Sandbox) -> Iterator[Tuple[Client, str]]:
    """A partner key of its own (so that its activations are only this module's), and its ID."""
    with Client(PARTNER_ID, PARTNER_SECRET, api_base=sandbox.url) as root:
        key = root.partner_key_new(f"py-reporting-{uuid.uuid4().hex[:8]}", **ROOMY)
    with Client(str(key["client_id"]), key["client_secret"], api_base=sandbox.url) as c:
        yield c, str(key["id"])


# -- the generic request -------------------------------------------------------------------


def test_request_with_a_user_token(client: Client, user_token: str) -> None:
    me = client.request("GET", "/rest/v1/me", user_token=user_token)
    assert me["username"] == f"partner-{PARTNER_ID}"
    assert me["jetpack_partner_id"] in (int(PARTNER_ID), PARTNER_ID)


def test_request_with_the_partner_token_form_and_query(
    client: Client, sandbox: Sandbox, site: str
) -> None:
    reply = client.request(
        "POST",
        "/rest/v1.3/jpphp/provision",
        form={"local_user": "admin", "siteurl": site, "plan": "premium", "onboarding": None},
        query={"partner-tracking-id": "py-request-1"},
    )
    assert reply["success"] is True
    status = client.request(
        "GET", f"/rest/v1.4/jpphp/{jetpack_partner.site_identifier(site)}/status"
    )
    assert [p["slug"] for p in status["products"]] == ["premium"]


def test_request_with_a_json_body(client: Client, site: str) -> None:
    reply = client.request(
        "POST", "/rest/v1.3/jpphp/provision",
        json={"local_user": "admin", "siteurl": site, "plan": "personal"},
    )
    assert reply["success"] is True
    assert client.status(site)["products"][0]["slug"] == "personal"


def test_request_without_a_token(client: Client, sandbox: Sandbox) -> None:
    listed = client.request("GET", "/rest/v1.3/jpphp/errors", query={"verbose": 1}, auth="none")
    assert listed["errors"]["invalid_plan"]["http_status"] == 400
    with pytest.raises(ApiError) as err:
        client.request("GET", "/rest/v1.4/jpphp/example.com/status", auth="none")
    assert err.value.code == "authorization_required" and err.value.http_status == 403
    with pytest.raises(InvalidArgument):
        client.request("GET", "/rest/v1/me", auth="somebody")


def test_request_returns_any_json_value(client: Client) -> None:
    families = client.request("GET", "/wpcom/v2/jetpack-licensing/product-families")
    assert isinstance(families, list) and families


def test_request_errors(client: Client, user_token: str) -> None:
    with pytest.raises(ApiError) as err:
        client.request("GET", "/rest/v1.4/jpphp/999999999/status")
    assert err.value.code == "invalid_blog" and err.value.http_status == 403
    # a partner token on a user endpoint
    with pytest.raises(ApiError) as err:
        client.request("GET", "/rest/v1/me")
    assert err.value.code == "invalid_scope"
    with pytest.raises(ApiError) as err:
        client.request("GET", "/rest/v1/me", user_token="not-a-token")
    assert err.value.code == "invalid_token"
    with pytest.raises(InvalidArgument) as bad:
        client.request("POST", "/x", form={"a": 1}, json={"a": 1})
    assert "form" in bad.value.message
    with pytest.raises(InvalidArgument):
        client.request("FETCH", "/rest/v1/me")
    with pytest.raises(InvalidArgument):
        client.request("GET", "rest/v1/me")
    with pytest.raises(TypeError):
        client.request("GET", "/rest/v1/me", query=["not", "a", "mapping"])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        client.request(b"GET", "/rest/v1/me")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument):
        client.request("GET", "/rest/v1/me", user_token="a\x00b")


# -- remaining partner endpoints -----------------------------------------------------------


def test_status_v12(client: Client, site: str) -> None:
    client.provision("admin", site, "premium")
    status = client.status_v12(site)
    assert status["plan"] == "premium"
    assert status["is_partner_plan"] is True
    assert status["is_provisioned_by_calling_partner"] is True
    assert status["is_connected"] is False
    with pytest.raises(ApiError) as err:
        client.status_v12(999999999)
    assert err.value.code == "invalid_blog"


def test_upgrade_paths(client: Client, site: str) -> None:
    client.provision("admin", site, "personal")
    paths = client.upgrade_paths(jetpack_partner.site_identifier(site))
    assert set(paths) >= {"plans", "backup", "scan", "anti-spam"}
    assert "premium" in paths["plans"]
    with pytest.raises(ApiError) as err:
        client.upgrade_paths("unknown-site.example.com")
    assert err.value.code == "unknown_blog" and err.value.http_status == 404


def test_errors_list(client: Client) -> None:
    short = client.errors()
    assert isinstance(short["errors"]["invalid_plan"], str)
    verbose = client.errors(verbose=True)
    entry = verbose["errors"]["invalid_plan"]
    assert entry["http_status"] == 400 and entry["message"]
    with pytest.raises(TypeError):
        client.errors(verbose="yes")  # type: ignore[arg-type]


def test_errors_list_needs_no_valid_credentials(sandbox: Sandbox) -> None:
    with Client(PARTNER_ID, "wrong-secret", api_base=sandbox.url) as c:
        assert "invalid_plan" in c.errors()["errors"]


def test_partner_keys_verify(client: Client, reseller: Tuple[Client, str], sandbox: Sandbox) -> None:
    assert client.partner_keys_verify()["success"] is True
    key_client, key_id = reseller
    verified = key_client.partner_keys_verify()
    assert verified["success"] is True
    assert str(verified["id"]) == key_id
    with Client(PARTNER_ID, "wrong-secret", api_base=sandbox.url) as bad:
        with pytest.raises(TokenError):
            bad.partner_keys_verify()


# -- reporting -----------------------------------------------------------------------------


def test_activations_one_page_and_filters(
    client: Client, reseller: Tuple[Client, str], user_token: str
) -> None:
    key_client, key_id = reseller
    sites = [new_site() for _ in range(3)]
    key_client.provision("admin", sites[0], "premium", partner_tracking_id="py-track-0")
    key_client.provision("admin", sites[1], "jetpack-scan")
    key_client.provision("admin", sites[2], "personal")

    page = client.activations(user_token, PARTNER_ID, key_id, per_page=2)
    assert page["page"] == 1 and page["per_page"] == 2
    assert page["total"] >= 3 and len(page["activations"]) == 2

    scans = client.activations(user_token, int(PARTNER_ID), int(key_id), plans="jetpack-scan")
    assert [a["product_slug"] for a in scans["activations"]] == ["jetpack-scan"]
    both = client.activations(user_token, PARTNER_ID, key_id, plans=("premium", "personal"))
    assert {a["product_slug"] for a in both["activations"]} >= {"premium", "personal"}
    assert "jetpack-scan" not in {a["product_slug"] for a in both["activations"]}

    # Pending activations (sites not connected) never match a date filter.
    future = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=3650)
    assert client.activations(user_token, PARTNER_ID, key_id, activated_after=future)["total"] == 0
    assert client.activations(
        user_token, PARTNER_ID, key_id, activated_before=datetime.date(2000, 1, 1)
    )["total"] == 0
    assert client.activations(user_token, PARTNER_ID, key_id, activated_after=None)["total"] >= 3


def test_activations_argument_errors(client: Client, user_token: str) -> None:
    with pytest.raises(InvalidArgument) as err:
        client.activations(user_token, PARTNER_ID, "1", colour="blue")
    assert err.value.message.startswith("colour: ")
    with pytest.raises(InvalidArgument) as err:
        client.activations(user_token, PARTNER_ID, "1", page=0)
    assert err.value.message.startswith("page: ")
    with pytest.raises(TypeError):
        client.activations(user_token, None, "1")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument):
        client.activations("", PARTNER_ID, "1")


def test_reporting_errors(client: Client, user_token: str) -> None:
    with pytest.raises(ApiError) as err:
        client.activations(user_token, PARTNER_ID, "987654")
    assert err.value.code == "invalid_key" and err.value.http_status == 404
    with pytest.raises(ApiError) as err:
        client.activations(user_token, "1", "1")
    assert err.value.code == "rest_forbidden" and err.value.http_status == 403
    with pytest.raises(ApiError) as err:
        client.activations(user_token, PARTNER_ID, "1", per_page=1000)
    assert err.value.code == "rest_invalid_param"
    with pytest.raises(ApiError) as err:
        client.partner_details("not-a-token")
    assert err.value.code == "invalid_token"


def test_iter_activations_walks_every_page(
    client: Client, reseller: Tuple[Client, str], user_token: str, sandbox: Sandbox
) -> None:
    # A key of its own with exactly 45 activations.
    with Client(PARTNER_ID, PARTNER_SECRET, api_base=sandbox.url) as root:
        key = root.partner_key_new(f"py-pages-{uuid.uuid4().hex[:8]}", **ROOMY)
    key_id = str(key["id"])
    sites = [new_site() for _ in range(45)]
    with Client(str(key["client_id"]), key["client_secret"], api_base=sandbox.url) as kc:
        for s in sites:
            kc.provision("admin", s, "premium")

    before = reporting_requests(sandbox)
    gen = client.iter_activations(user_token, PARTNER_ID, key_id, per_page=20)
    assert reporting_requests(sandbox) == before  # lazy: nothing fetched yet
    first = next(gen)
    assert reporting_requests(sandbox) == before + 1
    rest = list(gen)
    items = [first, *rest]
    assert reporting_requests(sandbox) == before + 3  # 20 + 20 + 5
    assert len(items) == 45
    assert len({a["id"] for a in items}) == 45
    assert {a["site_url"].rstrip("/") for a in items} == {s.rstrip("/") for s in sites}

    # From a later page, and with a filter that matches nothing.
    assert len(list(client.iter_activations(user_token, PARTNER_ID, key_id, per_page=20, page=2))) == 25
    assert len(list(client.iter_activations(user_token, PARTNER_ID, key_id, per_page="20", page="3"))) == 5
    assert list(client.iter_activations(user_token, PARTNER_ID, key_id, plans="jetpack-scan")) == []
    # per_page 15: exactly 3 full pages, no fourth request.
    before = reporting_requests(sandbox)
    assert len(list(client.iter_activations(user_token, PARTNER_ID, key_id, per_page=15))) == 45
    assert reporting_requests(sandbox) == before + 3


def test_iter_activations_raises_an_error_of_a_later_page(
    client: Client, user_token: str, sandbox: Sandbox
) -> None:
    with Client(PARTNER_ID, PARTNER_SECRET, api_base=sandbox.url) as root:
        key = root.partner_key_new(f"py-pages-err-{uuid.uuid4().hex[:8]}", **ROOMY)
    with Client(str(key["client_id"]), key["client_secret"], api_base=sandbox.url) as kc:
        for _ in range(3):
            kc.provision("admin", new_site(), "personal")
    gen = client.iter_activations(user_token, PARTNER_ID, str(key["id"]), per_page=2)
    assert next(gen)["product_slug"] == "personal"
    assert next(gen)["product_slug"] == "personal"
    sandbox.fault(endpoint="reporting", kind="status", status=400, count=0)
    with pytest.raises(ApiError) as err:
        next(gen)
    assert err.value.http_status == 400
    with pytest.raises(StopIteration):
        next(gen)


def test_iter_activations_checks_arguments_at_once(client: Client, user_token: str) -> None:
    with pytest.raises(InvalidArgument):
        client.iter_activations(user_token, PARTNER_ID, "1", page=0)
    with pytest.raises(TypeError):
        client.iter_activations(None, PARTNER_ID, "1")  # type: ignore[arg-type]


def test_activations_summary(
    client: Client, reseller: Tuple[Client, str], user_token: str
) -> None:
    key_client, key_id = reseller
    key_client.provision("admin", new_site(), "premium", wpcom_user_id=1)  # connected: active
    summary = client.activations_summary(user_token)
    assert isinstance(summary, list) and summary
    assert set(summary[-1]) >= {"date", "new", "total"}
    by_day = client.activations_summary(user_token, key_id=int(key_id), scale="day")
    assert by_day[-1]["total"] >= 1
    assert by_day[-1]["date"] == datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    with pytest.raises(InvalidArgument) as bad:
        client.activations_summary(user_token, scale="week")
    assert bad.value.message.startswith("scale: ")
    with pytest.raises(ApiError) as err:
        client.activations_summary(user_token, key_id=987654)
    assert err.value.code == "invalid_key"


def test_invoices(client: Client, reseller: Tuple[Client, str], user_token: str) -> None:
    key_client, key_id = reseller
    key_client.provision("admin", new_site(), "jetpack-complete", wpcom_user_id=1)
    upcoming = client.upcoming_invoice(user_token, PARTNER_ID, key_id)
    assert upcoming["status"] == "upcoming" and upcoming["currency"] == "usd"
    lines = {line["product_slug"]: line for line in upcoming["lines"]}
    assert lines["jetpack-complete"]["unit_amount"] == 4900
    assert upcoming["total"] == sum(line["amount"] for line in upcoming["lines"])
    past = client.invoices(user_token, PARTNER_ID, key_id)
    assert past["invoices"] == []  # everything was activated this month


def test_partner_details(client: Client, reseller: Tuple[Client, str], user_token: str) -> None:
    _, key_id = reseller
    details = client.partner_details(user_token)
    assert str(details["id"]) == PARTNER_ID
    assert key_id in {str(k["id"]) for k in details["keys"]}
    with pytest.raises(ApiError) as err:
        client.partner_details(client.request("POST", "/oauth2/token", form={
            "grant_type": "client_credentials", "client_id": PARTNER_ID,
            "client_secret": PARTNER_SECRET, "scope": "jetpack-partner",
        })["access_token"])
    assert err.value.code == "invalid_scope"


# -- OAuth2 for users ----------------------------------------------------------------------


def test_authorize_url(client: Client, sandbox: Sandbox) -> None:
    url, state = client.authorize_url(REDIRECT_URI)
    parts = urllib.parse.urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == sandbox.url
    assert parts.path == "/oauth2/authorize"
    query = urllib.parse.parse_qs(parts.query)
    assert query["client_id"] == [PARTNER_ID]
    assert query["redirect_uri"] == [REDIRECT_URI]
    assert query["response_type"] == ["code"]
    assert query["state"] == [state]
    assert len(state) >= 16
    # a fresh random state each time
    assert client.authorize_url(REDIRECT_URI)[1] != state

    url, state = client.authorize_url(
        REDIRECT_URI, response_type="token", scope="global", state="my-state-1"
    )
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    assert state == "my-state-1"
    assert query["response_type"] == ["token"] and query["scope"] == ["global"]
    assert query["state"] == ["my-state-1"]

    with pytest.raises(InvalidArgument) as err:
        client.authorize_url(REDIRECT_URI, response_type="magic")
    assert "response_type" in err.value.message
    with pytest.raises(InvalidArgument) as err:
        client.authorize_url(REDIRECT_URI, scope="everything")
    assert "scope" in err.value.message
    with pytest.raises(InvalidArgument):
        client.authorize_url("")


def test_code_flow_end_to_end(client: Client) -> None:
    url, state = client.authorize_url(REDIRECT_URI)
    location = follow(url)
    assert location.startswith(REDIRECT_URI + "?")
    grant = parse_redirect(location, state)
    assert isinstance(grant, Grant) and grant.is_code and grant.access_token is None
    assert grant.code and grant.code not in repr(grant)

    token = client.exchange_code(grant.code, REDIRECT_URI)
    assert token["access_token"] and token["token_type"] == "bearer"
    info = client.token_info(token["access_token"])
    assert info["client_id"] == PARTNER_ID and info["user_id"] not in ("0", 0)
    me = client.request("GET", "/rest/v1/me", user_token=token["access_token"])
    assert me["username"] == f"partner-{PARTNER_ID}"

    # codes are single use
    with pytest.raises(ApiError) as err:
        client.exchange_code(grant.code, REDIRECT_URI)
    assert err.value.code == "invalid_grant" and err.value.http_status == 400


def test_code_flow_with_a_blog(client: Client, sandbox: Sandbox, site: str) -> None:
    client.provision("admin", site, "free", wpcom_user_id=1)
    blog_id = client.status(site)["blog"]["blog_id"]
    url, state = client.authorize_url(REDIRECT_URI, blog=blog_id)
    assert f"blog={blog_id}" in url
    grant = parse_redirect(follow(url), state)
    assert grant.code is not None
    token = client.exchange_code(grant.code, REDIRECT_URI)
    assert str(token["blog_id"]) == str(blog_id)
    assert str(client.token_info(token["access_token"])["blog_id"]) == str(blog_id)


def test_implicit_flow(client: Client) -> None:
    url, state = client.authorize_url(REDIRECT_URI, response_type="token")
    location = follow(url)
    assert "#access_token=" in location
    grant = parse_redirect(location, state)
    assert not grant.is_code and grant.code is None
    assert grant.access_token and grant.access_token not in repr(grant)
    assert grant.expires_in == 1209600
    assert grant.token_type == "bearer"
    info = client.token_info(grant.access_token)
    assert info["client_id"] == PARTNER_ID
    assert "expires_in" in info


def test_state_mismatch(client: Client) -> None:
    url, state = client.authorize_url(REDIRECT_URI)
    location = follow(url)
    with pytest.raises(StateMismatch) as err:
        parse_redirect(location, state + "x")
    assert err.value.code == "state_mismatch"
    assert isinstance(err.value, InvalidArgument) and isinstance(err.value, ValueError)
    assert err.value.http_status is None
    # a redirect without any state, and one with another state
    code = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)["code"][0]
    for redirect in (
        f"{REDIRECT_URI}?code={code}",
        f"{REDIRECT_URI}?code={code}&state=",
        f"{REDIRECT_URI}?code={code}&state={state}x",
    ):
        with pytest.raises(StateMismatch):
            parse_redirect(redirect, state)
    assert parse_redirect(location, state).code == code
    # implicit flow: the state is in the fragment
    url, state = client.authorize_url(REDIRECT_URI, response_type="token")
    with pytest.raises(StateMismatch):
        parse_redirect(follow(url), "another-state")


def test_access_denied(client: Client, sandbox: Sandbox) -> None:
    url, state = client.authorize_url(REDIRECT_URI)
    location = follow(url + "&deny=1")
    assert "error=access_denied" in location
    with pytest.raises(AccessDenied) as err:
        parse_redirect(location, state)
    assert err.value.code == "access_denied"
    assert isinstance(err.value, ApiError)

    # implicit flow, every authorize refused by the sandbox's switch
    sandbox.control("POST", "authorize", {"deny": True})
    try:
        url, state = client.authorize_url(REDIRECT_URI, response_type="token")
        location = follow(url)
    finally:
        sandbox.control("POST", "authorize", {"deny": False})
    assert "#" in location and "error=access_denied" in location.split("#", 1)[1]
    with pytest.raises(AccessDenied):
        parse_redirect(location, state)


def test_other_redirect_errors(client: Client) -> None:
    url, state = client.authorize_url(REDIRECT_URI, state="fixed-state")
    location = follow(url.replace("response_type=code", "response_type=magic"))
    with pytest.raises(ApiError) as err:
        parse_redirect(location, "fixed-state")
    assert err.value.code == "unsupported_response_type"
    assert not isinstance(err.value, AccessDenied)
    with pytest.raises(InvalidArgument) as bad:
        parse_redirect(REDIRECT_URI + "?state=fixed-state", "fixed-state")
    assert not isinstance(bad.value, StateMismatch)
    with pytest.raises(InvalidArgument):
        parse_redirect("not a url", "fixed-state")
    with pytest.raises(TypeError):
        parse_redirect(None, "s")  # type: ignore[arg-type]


def test_password_grant(client: Client) -> None:
    token = client.password_grant(f"partner-{PARTNER_ID}", USER_PASSWORD)
    assert token["access_token"]
    assert client.token_info(token["access_token"])["client_id"] == PARTNER_ID
    with pytest.raises(JetpackError) as err:
        client.password_grant(f"partner-{PARTNER_ID}", "wrong-password")
    assert isinstance(err.value, ApiError)
    assert err.value.code == "invalid_grant" and err.value.http_status == 400
    assert "wrong-password" not in str(err.value) + repr(err.value)


@pytest.fixture(scope="module")
def two_partners() -> Iterator[Sandbox]:
    with start_sandbox(
        "--partner", f"{PARTNER_ID}:{PARTNER_SECRET}", "--partner", "777:other-secret"
    ) as sb:
        yield sb


def test_token_info_of_another_application(two_partners: Sandbox) -> None:
    with Client(PARTNER_ID, PARTNER_SECRET, api_base=two_partners.url) as mine, Client(
        "777", "other-secret", api_base=two_partners.url
    ) as theirs:
        their_token = theirs.password_grant("partner-777", USER_PASSWORD)["access_token"]
        assert theirs.token_info(their_token)["client_id"] == "777"
        with pytest.raises(ApiError) as err:
            mine.token_info(their_token)
        assert err.value.code == "invalid_token"
        assert err.value.http_status == 400
        assert their_token not in str(err.value)
        my_token = user_token_for(two_partners, PARTNER_ID, PARTNER_SECRET)
        assert mine.token_info(my_token)["client_id"] == PARTNER_ID
        # the password grant is for the application's own user only
        with pytest.raises(ApiError):
            mine.password_grant("partner-777", USER_PASSWORD)
        with pytest.raises(ApiError) as err:
            mine.token_info("no-such-token")
        assert err.value.code == "invalid_token"


# -- Licensing API -------------------------------------------------------------------------


def test_license_lifecycle(client: Client, sandbox: Sandbox) -> None:
    site = new_site()
    connected = client.site_connection(site, "admin")
    assert connected["code"] == "success" and connected["blog_id"]
    assert client.site_connection(site, "admin")["code"] == "already_connected"

    lic = client.license_issue("jetpack-backup-daily")
    key = lic["license_key"]
    assert lic["product"] == "jetpack-backup-daily" and lic["attached_at"] is None
    assert client.license_status(key)["license_key"] == key

    attached = client.license_attach(key, site)
    assert attached["attached_at"] and str(attached["blog_id"]) == str(connected["blog_id"])
    with pytest.raises(ApiError) as err:
        client.license_attach(key, site)
    assert err.value.code == "license_already_attached" and err.value.http_status == 400

    detached = client.license_detach(key, cancellation_email=False)
    assert detached["attached_at"] is None
    with pytest.raises(ApiError) as err:
        client.license_detach(key)
    assert err.value.code == "license_not_attached"

    assert client.license_attach(key, connected["blog_id"])["attached_at"]
    assert client.license_detach(key, cancellation_email=True)["attached_at"] is None

    revoked = client.license_revoke(key)
    assert revoked["revoked_at"]
    with pytest.raises(ApiError) as err:
        client.license_revoke(key)
    assert err.value.code == "license_revoked" and err.value.http_status == 400
    assert err.value.body is not None and err.value.body.get("code") == "license_revoked"


def test_licensing_errors(client: Client, sandbox: Sandbox) -> None:
    with pytest.raises(ApiError) as err:
        client.license_issue("no-such-product")
    assert err.value.code == "invalid_product" and err.value.http_status == 400
    with pytest.raises(ApiError) as err:
        client.license_status("JP-NO-SUCH-LICENSE")
    assert err.value.code == "license_not_found" and err.value.http_status == 404
    key = client.license_issue("jetpack-scan")["license_key"]
    with pytest.raises(ApiError) as err:
        client.license_attach(key, "https://never-seen.example.com/")
    assert err.value.code == "unknown_site" and err.value.http_status == 404
    pending = new_site()
    client.provision("admin", pending, "free")
    with pytest.raises(ApiError) as err:
        client.license_attach(key, pending)
    assert err.value.code == "site_not_connected"
    # another key's license
    with Client(PARTNER_ID, PARTNER_SECRET, api_base=sandbox.url) as root:
        other = root.partner_key_new(f"py-lic-{uuid.uuid4().hex[:8]}", **ROOMY)
    with Client(str(other["client_id"]), other["client_secret"], api_base=sandbox.url) as oc:
        with pytest.raises(ApiError) as err:
            oc.license_status(key)
        assert err.value.code == "forbidden" and err.value.http_status == 403
    with pytest.raises(InvalidArgument):
        client.license_status("")
    with pytest.raises(TypeError):
        client.license_detach(key, cancellation_email="no")  # type: ignore[arg-type]


def test_product_families(client: Client) -> None:
    families = client.product_families()
    assert isinstance(families, list)
    slugs = {p["slug"] for f in families for p in f["products"]}
    assert {"jetpack-backup-daily", "jetpack-scan"} <= slugs


def test_licensing_partner(client: Client, user_token: str, sandbox: Sandbox) -> None:
    partner = client.licensing_partner(user_token)
    assert str(partner["id"]) == PARTNER_ID
    tokens = [k["oauth2_token"] for k in partner["keys"] if k.get("oauth2_token")]
    assert tokens
    # a key's token works on the Licensing API through the generic request
    families = client.request(
        "GET", "/wpcom/v2/jetpack-licensing/product-families", user_token=tokens[0]
    )
    assert isinstance(families, list)
    with pytest.raises(ApiError) as err:
        client.licensing_partner("not-a-token")
    assert err.value.code == "invalid_token"


def test_site_connection_makes_pending_activations_active(
    client: Client, sandbox: Sandbox
) -> None:
    site = new_site()
    client.provision("admin", site, "premium")
    assert client.status(site)["products"][0]["is_pending"] is True
    client.site_connection(site, "admin")
    assert client.status(site)["blog"]["is_connected"] is True
    assert client.status(site)["products"][0]["is_pending"] is False


# -- every new call is thread-safe and leaves no secret in errors --------------------------


def test_new_calls_from_threads(client: Client, user_token: str) -> None:
    errors: List[BaseException] = []
    results: Dict[str, Any] = {}

    def work(n: int) -> None:
        try:
            results[f"families{n}"] = client.product_families()
            results[f"partner{n}"] = client.partner_details(user_token)
            results[f"verify{n}"] = client.partner_keys_verify()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len(results) == 18

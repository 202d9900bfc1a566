"""The bad-input table through the Python entry points.

Each refused value raises ``InvalidArgument`` (``.code == "invalid_argument"``, also a
``ValueError``) whose message starts with the field's name, does not echo a long value, and
the sandbox sees no request. Wrong Python types raise ``TypeError`` (the binding's documented
behaviour). Internationalised host names are not refused: they reach the sandbox in Punycode.
"""

from __future__ import annotations

import urllib.parse
from typing import Any, Callable, List, Optional, Tuple

import pytest

from conftest import Sandbox

import jetpack_partner as jp
from jetpack_partner import Client

MIB = 1 << 20
OK_SITE = "https://example.com"

Call = Callable[[Client], Any]


def huge(c: str) -> str:
    return c * MIB


def provision_user(value: Any) -> Call:
    return lambda c: c.provision(value, OK_SITE)


def provision_site(value: Any) -> Call:
    return lambda c: c.provision("admin", value)


def provision_plan(value: Any) -> Call:
    return lambda c: c.provision("admin", OK_SITE, value)


def provision_opts(**options: Any) -> Call:
    return lambda c: c.provision("admin", OK_SITE, **options)


def status_site(value: Any) -> Call:
    return lambda c: c.status(value)


def cancel_site(value: Any) -> Call:
    return lambda c: c.cancel(value)


def cancel_opts(**options: Any) -> Call:
    return lambda c: c.cancel("example.com", **options)


def key_name(value: Any) -> Call:
    return lambda c: c.partner_key_new(value)


def key_opts(**options: Any) -> Call:
    return lambda c: c.partner_key_new("reseller", **options)


# (id, call, the field the message starts with)
Row = Tuple[str, Call, str]

BAD_SITEURLS: List[Tuple[str, str]] = [
    ("empty", ""),
    ("1 MiB", huge("a")),
    ("1 MiB URL", "https://example.com/" + huge("a")),
    ("CR LF", "https://example.com/\r\nX-Injected: 1"),
    ("LF in host", "https://exa\nmple.com"),
    ("NUL", "https://example.com/\0"),
    ("NUL in host", "https://exa\0mple.com"),
    ("user-info", "https://user:pw@example.com"),
    ("user only", "https://user@example.com"),
    ("fragment", "https://example.com/#frag"),
    ("empty fragment", "https://example.com#"),
    ("javascript:", "javascript:alert(1)"),
    ("javascript://", "javascript://example.com/%0Aalert(1)"),
    ("data:", "data:text/html,<b>x</b>"),
    ("other scheme, no slashes", "mailto:admin@example.com"),
    ("no host", "https://"),
    ("no host, path", "https:///wp"),
    ("port only", "https://:443/"),
    ("ftp", "ftp://example.com"),
    ("space", "https://exa mple.com"),
    ("port 0", "https://example.com:0"),
    ("port too big", "https://example.com:65536"),
    ("empty label", "https://a..example"),
    ("invalid IDN character", "https://bü\ufffdcher.example"),
    ("lone surrogate", "https://ex\udc80ample.com"),
]

BAD_SITES: List[Tuple[str, str]] = [
    ("empty", ""),
    ("blank", " "),
    ("1 MiB", huge("a")),
    ("1 MiB of digits", huge("7")),
    ("CR LF", "example.com\r\nX-Injected: 1"),
    ("LF", "example.com\n"),
    ("NUL", "example.com\0"),
    ("NUL inside", "exa\0mple.com"),
    ("user-info", "https://user:pw@example.com"),
    ("fragment", "https://example.com/#frag"),
    ("javascript:", "javascript:alert(1)"),
    ("no host", "https://"),
    ("no host, path", "https:///wp"),
    ("slash in identifier", "example.com::a/b"),
    ("blog ID too long", "123456789012345678901"),
    ("invalid IDN character", "https://bü\ufffdcher.example"),
]

BAD_PLANS: List[Tuple[str, str]] = [
    ("empty", ""),
    ("1 MiB", huge("a")),
    ("65 bytes", "a" * 65),
    ("upper case", "Premium"),
    ("space", "premium plan"),
    ("CR LF", "premium\r\n"),
    ("NUL", "premium\0"),
    ("path", "../premium"),
    ("underscore", "jetpack_premium"),
    ("non-ASCII", "prémium"),
]

BAD_COUNTS: List[Tuple[str, Any]] = [
    ("-1", -1),
    ("'-1'", "-1"),
    ("-0.5", -0.5),
    ("1.5", 1.5),
    ("'ten'", "ten"),
    ("'10 '", "10 "),
    ("'0x10'", "0x10"),
    ("'1e3'", "1e3"),
    ("''", ""),
    ("True", True),
    ("[1]", [1]),
    ("{'n': 1}", {"n": 1}),
    ("2**64", 2**64),
    ("1 MiB of 9", huge("9")),
]

COUNT_FIELDS = ["allowed_personal_plans", "allowed_premium_plans", "allowed_professional_plans"]

ROWS: List[Row] = (
    [
        (f"provision local_user {what}", provision_user(v), "local_user")
        for what, v in [
            ("empty", ""),
            ("blank", "   "),
            ("1 MiB", huge("a")),
            ("CR LF", "ad\r\nmin"),
            ("LF", "admin\n"),
            ("NUL", "ad\0min"),
            ("escape", "ad\x1b[31mmin"),
        ]
    ]
    + [(f"provision siteurl {what}", provision_site(v), "siteurl") for what, v in BAD_SITEURLS]
    + [(f"provision plan {what}", provision_plan(v), "plan") for what, v in BAD_PLANS]
    + [
        (f"provision option {what}", provision_opts(**opts), fld)
        for what, opts, fld in [
            ("wpcom_user_id -1", {"wpcom_user_id": -1}, "wpcom_user_id"),
            ("wpcom_user_id 'abc'", {"wpcom_user_id": "abc"}, "wpcom_user_id"),
            ("wpcom_user_id 1.5", {"wpcom_user_id": 1.5}, "wpcom_user_id"),
            ("ssh_port 0", {"ssh_port": 0}, "ssh_port"),
            ("ssh_port -22", {"ssh_port": -22}, "ssh_port"),
            ("ftp_port '21x'", {"ftp_port": "21x"}, "ftp_port"),
            ("force_register 'maybe'", {"force_register": "maybe"}, "force_register"),
            ("partner_tracking_id CR LF", {"partner_tracking_id": "a\r\nb"}, "partner_tracking_id"),
            ("partner_tracking_id 1 MiB", {"partner_tracking_id": huge("t")}, "partner_tracking_id"),
            ("wpcom_user_email empty", {"wpcom_user_email": ""}, "wpcom_user_email"),
            ("wpcom_user_email NUL", {"wpcom_user_email": "a@b\0.c"}, "wpcom_user_email"),
            ("ssh_pass 1 MiB", {"ssh_user": "u", "ssh_pass": huge("p")}, "ssh_pass"),
            ("unknown option", {"bogus": 1}, "bogus"),
            ("cancel_all", {"cancel_all": True}, "cancel_all"),
        ]
    ]
    + [(f"status site {what}", status_site(v), "site") for what, v in BAD_SITES]
    + [(f"cancel site {what}", cancel_site(v), "site") for what, v in BAD_SITES]
    + [
        ("status site negative blog ID", status_site(-5), "site"),
        ("cancel site negative blog ID", cancel_site(-5), "site"),
    ]
    + [
        (f"cancel option {what}", cancel_opts(**opts), fld)
        for what, opts, fld in [
            ("plan 'Bad Plan'", {"plan": "Bad Plan"}, "plan"),
            ("plan empty", {"plan": ""}, "plan"),
            ("plan 1 MiB", {"plan": huge("a")}, "plan"),
            ("cancel_all 'maybe'", {"cancel_all": "maybe"}, "cancel_all"),
            ("cancel_all -1", {"cancel_all": -1}, "cancel_all"),
        ]
    ]
    + [
        (f"partner_key_new name {what}", key_name(v), "name")
        for what, v in [
            ("empty", ""),
            ("blank", "  "),
            ("1 MiB", huge("n")),
            ("CR LF", "reseller\r\nX: 1"),
            ("NUL", "reseller\0"),
        ]
    ]
    + [
        (f"partner_key_new {fld} {what}", key_opts(**{fld: v}), fld)
        for fld in COUNT_FIELDS
        for what, v in BAD_COUNTS
    ]
    + [
        (f"partner_key_new notes {what}", key_opts(notes=v), "notes")
        for what, v in [
            ("empty", ""),
            ("1 MiB", huge("x")),
            ("NUL", "a\0b"),
            ("BEL", "a\x07b"),
            ("list", ["x"]),
        ]
    ]
)

# Wrong Python types: TypeError, before anything reaches the library.
TYPE_ROWS: List[Tuple[str, Call]] = [
    ("provision local_user None", provision_user(None)),
    ("provision local_user bytes", provision_user(b"admin")),
    ("provision local_user int", provision_user(7)),
    ("provision siteurl None", provision_site(None)),
    ("provision siteurl bytes", provision_site(b"https://example.com")),
    ("provision siteurl list", provision_site(["https://example.com"])),
    ("provision plan bytes", provision_plan(b"premium")),
    ("provision plan int", provision_plan(5)),
    ("status site None", status_site(None)),
    ("status site bytes", status_site(b"example.com")),
    ("status site float", status_site(1.5)),
    ("status site bool", status_site(True)),
    ("cancel site None", cancel_site(None)),
    ("cancel site dict", cancel_site({"site": "example.com"})),
    ("partner_key_new name None", key_name(None)),
    ("partner_key_new name bytes", key_name(b"reseller")),
    ("partner_key_new name int", key_name(42)),
]


@pytest.fixture
def quiet(sandbox: Sandbox) -> Sandbox:
    sandbox.reset_stats()
    return sandbox


def _assert_nothing_sent(sandbox: Sandbox) -> None:
    stats = sandbox.stats()
    assert stats["total"] == 0, f"the sandbox saw requests: {stats}"


@pytest.mark.parametrize("call,field", [(c, f) for _, c, f in ROWS], ids=[i for i, _, _ in ROWS])
def test_refused_naming_the_field(client: Client, quiet: Sandbox, call: Call, field: str) -> None:
    with pytest.raises(jp.InvalidArgument) as info:
        call(client)
    e = info.value
    assert type(e) is jp.InvalidArgument, repr(e)
    assert isinstance(e, ValueError)
    assert e.code == "invalid_argument"
    assert e.result == jp.Code.INVALID_ARGUMENT
    assert e.message.startswith(f"{field}: "), e.message
    assert e.http_status is None
    assert e.attempts == 0
    assert e.body is None
    assert len(e.message) < 400, f"a short message ({len(e.message)} characters)"
    assert not any(ch in e.message for ch in "\r\n\0"), repr(e.message)
    _assert_nothing_sent(quiet)


@pytest.mark.parametrize("call", [c for _, c in TYPE_ROWS], ids=[i for i, _ in TYPE_ROWS])
def test_wrong_python_type_is_a_type_error(client: Client, quiet: Sandbox, call: Call) -> None:
    with pytest.raises(TypeError) as info:
        call(client)
    assert not isinstance(info.value, jp.JetpackError)
    _assert_nothing_sent(quiet)


@pytest.mark.parametrize(
    "site",
    [v for _, v in BAD_SITES],
    ids=[w for w, _ in BAD_SITES],
)
def test_site_identifier_refuses_bad_sites(quiet: Sandbox, site: str) -> None:
    with pytest.raises(jp.InvalidArgument) as info:
        jp.site_identifier(site)
    assert info.value.code == "invalid_argument"
    assert info.value.message.startswith("site: "), info.value.message
    _assert_nothing_sent(quiet)


def test_the_same_counts_written_correctly_are_accepted(client: Client, quiet: Sandbox) -> None:
    reply = client.partner_key_new(
        "reseller",
        allowed_personal_plans=0,
        allowed_premium_plans="12",
        allowed_professional_plans=3,
        notes="line one\nline two",
    )
    assert reply["client_id"]
    assert quiet.stats()["requests"].get("partner_keys_new") == 1


def test_unknown_plan_of_the_right_form_is_the_servers_invalid_plan(
    client: Client, quiet: Sandbox, site: str
) -> None:
    """The client checks the form of a slug only; the server decides which plans exist."""
    with pytest.raises(jp.ApiError) as info:
        client.provision("admin", site, "platinum")
    assert type(info.value) is jp.ApiError
    assert info.value.code == "invalid_plan"
    assert info.value.http_status == 400
    assert info.value.attempts == 1
    assert quiet.stats()["requests"].get("provision") == 1


IDN: List[Tuple[str, str, str]] = [
    # (as given, the URL the sandbox received, its `::` identifier)
    ("https://bücher.example/shop", "https://xn--bcher-kva.example/shop", "xn--bcher-kva.example::shop"),
    ("https://MÜNCHEN.de", "https://xn--mnchen-3ya.de", "xn--mnchen-3ya.de"),
    ("https://例え。テスト/", "https://xn--r8jz45g.xn--zckzah/", "xn--r8jz45g.xn--zckzah"),
]


def _query_of(url: str) -> dict:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


@pytest.mark.parametrize("given,sent,identifier", IDN, ids=[i[0] for i in IDN])
def test_idn_reaches_the_sandbox_in_punycode(
    client: Client, quiet: Sandbox, given: str, sent: str, identifier: str
) -> None:
    assert jp.site_identifier(given) == identifier
    reply = client.provision("admin", given, "premium")
    assert reply["success"] is True
    # The sandbox's next_url carries the siteurl and the site it received.
    if reply["auth_required"]:
        q = _query_of(reply["next_url"])
        assert q["siteurl"].rstrip("/") == sent.rstrip("/"), reply["next_url"]
        assert q["site"] == identifier, reply["next_url"]
    else:
        assert reply["next_url"].startswith(sent.rstrip("/") + "/wp-login.php"), reply["next_url"]
    assert not any(ord(ch) > 127 for ch in reply["next_url"]), reply["next_url"]
    # The sandbox keeps the site under its Punycode name: both spellings are the same site.
    by_unicode = client.status(given)
    by_punycode = client.status(identifier)
    assert by_unicode == by_punycode
    assert "premium" in [p["slug"] for p in by_punycode["products"]]
    requests = quiet.stats()["requests"]
    assert requests.get("provision") == 1
    assert requests.get("status") == 2


@pytest.mark.parametrize(
    "call, field",
    [
        (lambda c: c.partner_key_new("r", allowed_premium_plans=b"1"), "allowed_premium_plans"),
        (lambda c: c.partner_key_new("r", notes="a\udc80b"), "notes"),
        (lambda c: c.provision("admin", "https://example.com", ssh_port=float("nan")), "ssh_port"),
        (lambda c: c.cancel("example.com", plan=object()), "plan"),
    ],
)
def test_an_option_that_cannot_be_sent_is_named(
    client: Client, quiet: Sandbox, call: Call, field: str
) -> None:
    with pytest.raises(jp.InvalidArgument) as info:
        call(client)
    assert info.value.code == "invalid_argument"
    assert info.value.message.startswith(f"{field}: "), info.value.message
    _assert_nothing_sent(quiet)

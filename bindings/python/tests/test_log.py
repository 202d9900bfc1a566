"""The library's diagnostic lines: set_log_callback and log_to_logging."""

from __future__ import annotations

import logging
import threading
from typing import List, Tuple

import pytest

from conftest import PARTNER_SECRET

import jetpack_partner
from jetpack_partner import ApiError, Client


def test_log_callback(client: Client, site: str) -> None:
    lines: List[Tuple[int, str]] = []
    lock = threading.Lock()

    def collect(level: int, line: str) -> None:
        with lock:
            lines.append((level, line))

    jetpack_partner.set_log_callback(collect)
    try:
        client.provision("admin", site, "premium", ssh_user="u", ssh_pass="ssh-password-x")
        with pytest.raises(ApiError):
            client.status(999999999)
    finally:
        jetpack_partner.set_log_callback(None)
    count = len(lines)
    assert count > 0
    assert {level for level, _ in lines} <= {
        jetpack_partner.LOG_ERROR, jetpack_partner.LOG_INFO, jetpack_partner.LOG_DEBUG,
    }
    assert any(level == jetpack_partner.LOG_ERROR and "invalid_blog" in line for level, line in lines)
    assert any("provision" in line for _, line in lines)
    text = "\n".join(line for _, line in lines)
    assert PARTNER_SECRET not in text and "ssh-password-x" not in text
    client.status(site)
    assert len(lines) == count  # removed: nothing more delivered


def test_log_callback_from_threads(client: Client, site: str) -> None:
    seen: List[str] = []
    lock = threading.Lock()

    def collect(level: int, line: str) -> None:
        with lock:
            seen.append(threading.current_thread().name)

    client.provision("admin", site, "personal")
    jetpack_partner.set_log_callback(collect)
    try:
        threads = [
            threading.Thread(target=client.status, args=(site,), name=f"t{n}") for n in range(4)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        jetpack_partner.set_log_callback(None)
    # Each line is delivered on the thread that made the call.
    assert {f"t{n}" for n in range(4)} <= set(seen)


def test_log_callback_exceptions_are_ignored(client: Client, site: str) -> None:
    def broken(level: int, line: str) -> None:
        raise RuntimeError("boom")

    jetpack_partner.set_log_callback(broken)
    try:
        assert client.provision("admin", site, "personal")["success"] is True
    finally:
        jetpack_partner.set_log_callback(None)
    with pytest.raises(TypeError):
        jetpack_partner.set_log_callback("not callable")  # type: ignore[arg-type]


def test_the_callback_cannot_replace_itself(client: Client, site: str) -> None:
    raised: List[BaseException] = []

    def reentrant(level: int, line: str) -> None:
        try:
            jetpack_partner.set_log_callback(None)
        except BaseException as exc:  # noqa: BLE001
            raised.append(exc)

    jetpack_partner.set_log_callback(reentrant)
    try:
        client.provision("admin", site, "free")
    finally:
        jetpack_partner.set_log_callback(None)
    assert raised and all(isinstance(e, jetpack_partner.InvalidArgument) for e in raised)


def test_log_to_logging(client: Client, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="jetpack_partner"):
        jetpack_partner.log_to_logging()
        try:
            with pytest.raises(ApiError):
                client.status(999999999)
        finally:
            jetpack_partner.set_log_callback(None)
    records = [r for r in caplog.records if r.name == "jetpack_partner"]
    assert any(r.levelno == logging.ERROR and "invalid_blog" in r.getMessage() for r in records)
    assert any(r.levelno == logging.DEBUG for r in records)

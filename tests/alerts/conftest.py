"""A real SMTP server (aiosmtpd) on 127.0.0.1, and the GX warehouse of tests/expectations."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "expectations"))

from gx_warehouse import create_schema, seed_clean
from smtp_inbox import SMTP_PASSWORD, Inbox, free_port, smtp_uri

from costclose.db import connect


@pytest.fixture
def smtp_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    """An SMTP server with login, and Airflow's smtp_default connection pointing at it."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        return AuthResult(success=auth_data.password == SMTP_PASSWORD.encode())

    inbox = Inbox(port=free_port())
    controller = Controller(
        inbox, hostname="127.0.0.1", port=inbox.port, authenticator=authenticate, auth_require_tls=False
    )
    controller.start()
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", smtp_uri(inbox.port))
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def smtp_down(monkeypatch: pytest.MonkeyPatch) -> int:
    """smtp_default points at a port nobody listens on."""
    port = free_port()
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", smtp_uri(port))
    return port


@pytest.fixture
def warehouse(make_database: Callable[[str], str]) -> str:
    url = make_database("alerts")
    with connect(url) as conn:
        create_schema(conn)
        seed_clean(conn)
    return url

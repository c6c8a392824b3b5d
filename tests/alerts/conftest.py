"""A real SMTP server (aiosmtpd) on 127.0.0.1, and the GX warehouse of tests/expectations."""

from __future__ import annotations

import socket
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "expectations"))

from gx_warehouse import create_schema, seed_clean

from costclose.db import connect

SMTP_LOGIN = "costclose"
SMTP_PASSWORD = "s3cret-smtp-pass"  # noqa: S105 - a test server's password, asserted never to leak


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Inbox:
    """What the SMTP server received: (envelope sender, envelope recipients, parsed message)."""

    port: int
    received: list[tuple[str, list[str], EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd hook
        msg = message_from_bytes(envelope.content, policy=policy.default)
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), msg))  # type: ignore[arg-type]
        return "250 OK"

    @property
    def messages(self) -> list[EmailMessage]:
        return [m for _, _, m in self.received]


def smtp_uri(port: int) -> str:
    return (
        f"smtp://{SMTP_LOGIN}:{SMTP_PASSWORD}@127.0.0.1:{port}"
        "?disable_ssl=true&disable_tls=true&from_email=costclose%40example.com&retry_limit=0&timeout=5"
    )


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

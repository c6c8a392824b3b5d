"""A real SMTP server's inbox (aiosmtpd handler) and the Airflow connection URI pointing at it."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

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

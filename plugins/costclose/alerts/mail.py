"""The one mail path: Airflow's SMTP connection (smtp provider's ``SmtpHook``).

Validation alerts, success notes and task-failure callbacks all send through ``send_mail``. The
connection (``smtp_default`` unless ``COSTCLOSE_SMTP_CONN_ID`` names another) comes from Airflow:
its metadata database, a secrets backend, or ``AIRFLOW_CONN_SMTP_DEFAULT``. Credentials stay there;
nothing of the connection is written into a message or a log line.

The hook opens the connection (TLS, SSL, login, OAuth2 as the connection says). Its own message
builder attaches only an HTML part, so the message itself (text and HTML alternatives) is built here
and handed to the hook's client.
"""

from __future__ import annotations

import logging
import os
import smtplib
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from costclose.errors import CostcloseError

log = logging.getLogger(__name__)

DEFAULT_CONN_ID = "smtp_default"
DEFAULT_FROM = "costclose@localhost"


class AlertDeliveryError(CostcloseError):
    """The mail server did not take the message."""


def smtp_conn_id() -> str:
    return os.environ.get("COSTCLOSE_SMTP_CONN_ID", DEFAULT_CONN_ID)


def build_message(sender: str, to: Sequence[str], subject: str, text: str, html: str) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain="costclose")
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    return msg


def send_mail(to: Sequence[str], subject: str, text: str, html: str, *, conn_id: str | None = None) -> None:
    """Send one message (text and HTML) to ``to`` through the Airflow SMTP connection."""
    from airflow.providers.smtp.hooks.smtp import SmtpHook

    recipients = [a.strip() for a in to if a and a.strip()]
    if not recipients:
        raise AlertDeliveryError("No recipients: set alert recipients for the company in costclose.yml.")
    conn_id = conn_id or smtp_conn_id()
    try:
        with SmtpHook(smtp_conn_id=conn_id) as hook:
            sender = hook.from_email or os.environ.get("COSTCLOSE_MAIL_FROM", DEFAULT_FROM)
            message = build_message(sender, recipients, subject, text, html)
            client = hook._smtp_client  # the hook's authenticated client; see the module docs
            if client is None:
                raise AlertDeliveryError(f"The SMTP connection {conn_id!r} did not open.")
            client.send_message(message, from_addr=sender, to_addrs=recipients)
    except AlertDeliveryError:
        raise
    except (OSError, smtplib.SMTPException) as exc:
        raise AlertDeliveryError(
            f"Could not send {subject!r} through the Airflow SMTP connection {conn_id!r}: "
            f"{type(exc).__name__}: {exc}. Check that the mail server is up and the connection "
            "(or AIRFLOW_CONN_SMTP_DEFAULT) points at it."
        ) from exc
    except Exception as exc:
        # The hook raises AirflowException for a missing connection and retries exhausted.
        raise AlertDeliveryError(
            f"Could not send {subject!r}: {type(exc).__name__}: {exc}. Define the Airflow connection "
            f"{conn_id!r} (for example AIRFLOW_CONN_SMTP_DEFAULT=smtp://host:25?disable_ssl=true&disable_tls=true)."
        ) from exc
    log.info("sent %r to %d recipient(s)", subject, len(recipients))

"""The email for one validation run: one per company and period, to the company's recipients."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

from costclose import db
from costclose.alerts import content, evidence
from costclose.alerts.mail import send_mail
from costclose.validation.model import ValidationResult

log = logging.getLogger(__name__)


def send_validation_email(
    result: ValidationResult,
    recipients: Sequence[str],
    *,
    warehouse_url: str,
    data_docs_root: Path | None = None,
    conn_id: str | None = None,
) -> content.Email:
    """Render and send the alert (failed run) or success note (passed run); return what was sent.

    Raises ``AlertDeliveryError`` when the mail server does not take it.
    """
    accounts = evidence.failing_accounts(result)
    if accounts:
        with db.connect(warehouse_url, autocommit=True) as conn:
            evidence.attach(conn, result, accounts)
    link = content.data_docs_link(result, os.environ.get("COSTCLOSE_DATA_DOCS_URL"), data_docs_root)
    email = content.validation_email(result, accounts, link)
    send_mail(recipients, email.subject, email.text, email.html, conn_id=conn_id)
    return email

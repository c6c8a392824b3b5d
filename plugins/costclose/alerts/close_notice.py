"""The close's last word: one email per company and period saying how the close ended.

Sent by the close DAG's ``notify`` task after the close pack is written, to the company's alert
recipients (``costclose.yml``). It carries the per-account reconciliation (inventory the value entries
imply vs the G/L balance up to the period end), what was posted, and where the close pack is; nothing
secret. A company without recipients gets no email (logged), which is not an error: the pack is still
written.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from decimal import Decimal
from html import escape
from typing import Any

from costclose.alerts.content import Email, html_table, text_table
from costclose.alerts.mail import send_mail
from costclose.alerts.recipients import company_alerting

log = logging.getLogger(__name__)

AccountRow = tuple[str, Decimal, Decimal, Decimal]


def close_notice_email(
    company: str,
    period: str,
    pack: Mapping[str, Any],
    accounts: Sequence[AccountRow],
    posting: Mapping[str, Any] | None,
) -> Email:
    """Subject, text and HTML of the close notice (all data escaped in the HTML part)."""
    differing = [a for a in accounts if a[3] != 0]
    status = "reconciled" if not differing else f"{len(differing)} account(s) with a difference"
    subject = f"[costclose] {company} {period}: close finished, {status}"
    if posting is None:
        posted = "Posting: not run in this close."
    else:
        posted = (
            f"Posting ({posting.get('status')}): {posting.get('line_count', 0)} journal lines, "
            f"debit {posting.get('debit_total', '0.00')}."
        )
    headers = ["G/L account", "inventory (value entries)", "G/L balance", "difference"]
    rows = [[a, f"{i:,.2f}", f"{g:,.2f}", f"{d:,.2f}"] for a, i, g, d in accounts]
    pack_line = f"Close pack: {pack.get('index_html', '(not written)')}"
    text = "\n\n".join(
        [
            f"The inventory cost close of {company} for {period} finished: {status}.",
            posted,
            text_table(headers, rows, numeric={1, 2, 3}),
            pack_line,
        ]
    )
    html = (
        f"<p>The inventory cost close of <b>{escape(company)}</b> for <b>{escape(period)}</b> finished: "
        f"{escape(status)}.</p><p>{escape(posted)}</p>"
        f"{html_table(headers, rows, numeric={1, 2, 3})}<p>{escape(pack_line)}</p>"
    )
    return Email(subject=subject, text=text, html=html)


def send_close_notice(
    company: str,
    period: str,
    pack: Mapping[str, Any],
    accounts: Sequence[AccountRow],
    posting: Mapping[str, Any] | None = None,
    *,
    conn_id: str | None = None,
) -> dict[str, Any]:
    """Mail the notice to the company's recipients; ``{"sent": False}`` when it has none."""
    recipients = list(company_alerting(company).recipients)
    email = close_notice_email(company, period, pack, accounts, posting)
    if not recipients:
        log.info("no alert recipients for %s: close notice not mailed (%s)", company, email.subject)
        return {"sent": False, "subject": email.subject, "recipients": []}
    send_mail(recipients, email.subject, email.text, email.html, conn_id=conn_id)
    return {"sent": True, "subject": email.subject, "recipients": recipients}

"""The close's notification: one email per company and period to its recipients, through real SMTP."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from smtp_inbox import SMTP_PASSWORD, Inbox

from costclose import companies
from costclose.alerts.close_notice import send_close_notice

HOSTILE = "<b>O'Brien</b>; drop table x;--"
ACCOUNTS = [
    ("2130", Decimal("1105.75"), Decimal("0.00"), Decimal("1105.75")),
    ("7290", Decimal("-44.66"), Decimal("-44.66"), Decimal("0.00")),
]


@pytest.fixture
def company_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "costclose.yml"
    monkeypatch.setenv("COSTCLOSE_CONFIG", str(path))
    return path


def test_the_notice_reaches_the_recipients_with_the_reconciliation(
    smtp_server: Inbox, company_file: Path
) -> None:
    companies.upsert_company(
        HOSTILE, company_file, source="sql:db:erp", alert_recipients=["controller@example.com"]
    )
    sent = send_close_notice(
        HOSTILE,
        "2026-02",
        {"index_html": "/out/pack/index.html"},
        ACCOUNTS,
        {"status": "recorded", "line_count": 248, "debit_total": Decimal("70725.29")},
    )

    assert sent["sent"] is True
    assert [rcpt for _, rcpt, _ in smtp_server.received] == [["controller@example.com"]]
    msg = smtp_server.messages[0]
    assert msg["Subject"] == f"[costclose] {HOSTILE} 2026-02: close finished, 1 account(s) with a difference"
    text = msg.get_body(("plain",)).get_content()
    assert "248 journal lines, debit 70725.29" in text
    assert "1,105.75" in text
    assert "/out/pack/index.html" in text
    html = msg.get_body(("html",)).get_content()
    assert "<b>O'Brien</b>" not in html
    assert "&lt;b&gt;O&#x27;Brien&lt;/b&gt;" in html
    assert SMTP_PASSWORD not in msg.as_string()


def test_a_reconciled_close_says_so_and_no_recipients_means_no_mail(
    smtp_server: Inbox, company_file: Path
) -> None:
    companies.upsert_company("CRONUS", company_file, source="sql:db:erp")
    reconciled = [(a, i, i, Decimal("0.00")) for a, i, _, _ in ACCOUNTS]
    sent = send_close_notice("CRONUS", "2026-02", {}, reconciled, None)

    assert sent == {
        "sent": False,
        "subject": "[costclose] CRONUS 2026-02: close finished, reconciled",
        "recipients": [],
    }
    assert smtp_server.received == []

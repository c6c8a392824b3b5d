"""What goes into a message: no secrets, tables that line up, subjects that say what failed."""

from __future__ import annotations

from datetime import UTC, datetime

from costclose.alerts import content
from costclose.alerts.evidence import AccountFailure
from costclose.validation.model import CheckOutcome, ValidationResult
from costclose.validation.redaction import scrub


def result(*checks: CheckOutcome) -> ValidationResult:
    now = datetime(2025, 2, 1, 3, 0, tzinfo=UTC)
    return ValidationResult("r1", "CRONUS", "2025-01", "pre-posting", "0.00", now, now, list(checks))


def test_scrub_masks_url_passwords_and_key_value_secrets() -> None:
    text = "connect postgresql://wh:hunter22@db:5432/warehouse failed; client_secret=abc123&x=1 token: t0k3n"
    clean = scrub(text)
    assert "hunter22" not in clean and "abc123" not in clean and "t0k3n" not in clean
    assert "postgresql://wh:***@db:5432/warehouse" in clean
    assert "client_secret=***" in clean


def test_task_failure_email_carries_no_secret() -> None:
    email = content.task_failure_email(
        {
            "dag_id": "inventory_close",
            "task_id": "post",
            "run_id": "manual__1",
            "companies": ["CRONUS"],
            "period": "2025-01",
            "error": "OperationalError: no connection to postgresql://erp:s3cr3t@erp-db/bc password=s3cr3t",
        }
    )
    assert email.subject == "[costclose] task failed: inventory_close.post (CRONUS 2025-01)"
    assert "s3cr3t" not in email.text + email.html
    assert "inventory_close" in email.text and "manual__1" in email.html


def test_subject_names_accounts_and_other_failed_checks() -> None:
    failing = [
        CheckOutcome("tie_out.inventory_equals_gl_plus_journal", "tie_out_pre_posting", "d", False),
        CheckOutcome("outbound.balanced_per_document", "outbound_journal", "d", False),
        CheckOutcome("raw.value_entry.unique_key", "raw_value_entry", "d", True),
    ]
    accounts = [AccountFailure(a, "1", "2", "1") for a in ("2110", None, "")]
    subject = content.validation_subject(result(*failing), accounts)
    assert subject == (
        "[costclose] CRONUS 2025-01 pre-posting FAILED: inventory <> G/L on 3 account(s) "
        "(2110, (not resolved), (blank)); outbound.balanced_per_document"
    )
    assert (
        content.validation_subject(result(failing[2]), []) == "[costclose] CRONUS 2025-01 pre-posting: passed"
    )


def test_text_table_right_aligns_amounts() -> None:
    table = content.text_table(["account", "difference"], [["2110", "-40.00"], ["7190", "5.10"]], {1})
    assert table.splitlines() == [
        "account  difference",
        "-------  ----------",
        "2110         -40.00",
        "7190           5.10",
    ]

"""Alert emails through a real SMTP server: one per company and period, the failing accounts' table,
BC's warning and the entries behind each difference, links; nothing lost when the server is down."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path

import pytest
from gx_warehouse import D, insert, insert_mart, set_recon
from smtp_inbox import SMTP_PASSWORD, Inbox

from costclose import config
from costclose.alerts import AlertDeliveryError
from costclose.db import connect
from costclose.validation import Stage, contracts, run

CO = "CRONUS"
RECIPIENTS = ["controller@example.com", "cfo@example.com"]
AIRFLOW_RUN = "http://airflow.example/dags/inventory_close/runs/manual__2025-02-01"


def seed_differences(url: str) -> None:
    """2110: a direct posting of 25.00 and an unposted sale of -15.00 the journal skips; 7190: that sale."""
    with connect(url) as conn:
        for entry_no, account, amount in [(5, "2110", "25.00"), (6, "2910", "-25.00")]:
            insert(
                conn,
                "g_l_entry",
                CO,
                entry_no=entry_no,
                g_l_account_no=account,
                posting_date=date(2025, 1, 25),
                document_no="GJ0001",
                description="Manual correction",
                amount=D(amount),
                transaction_no=9,
            )
        set_recon(conn, CO, "2110", implied="25.00", gl="65.00")
        set_recon(conn, CO, "7190", implied="75.00")
        insert_mart(
            conn,
            contracts.UNEXPLAINED_GL_ENTRIES,
            company=CO,
            period_start=date(2025, 1, 1),
            g_l_entry_no=5,
            posting_date=date(2025, 1, 25),
            g_l_account_no="2110",
            document_no="GJ0001",
            description="Manual correction",
            amount=D("25.00"),
            reason="Direct Posting",
        )
        insert_mart(
            conn,
            contracts.UNPOSTED_VALUE_ENTRIES,
            company=CO,
            period_start=date(2025, 1, 1),
            value_entry_no=8,
            cost_part="actual",
            posting_date=date(2025, 1, 28),
            item_no="1000",
            entry_type="Direct Cost",
            document_no="SHIP-8",
            amount_to_post=D("-15.00"),
            account_no="2110",
            bal_account_no="7190",
            skip_reason="account 7190 is blocked",
        )
        with conn.cursor() as cur:
            cur.execute(
                "update marts.fct_inventory_gl_reconciliation_warnings set warning = 'Post Cost to G/L', "
                "warning_text = 'Some value entries are not posted to the general ledger.' "
                "where company = %s",
                (CO,),
            )


def stored(url: str, run_id: str) -> dict:
    with connect(url) as conn, conn.cursor() as cur:
        cur.execute(
            "select success, failed_checks, alert_status, alert_detail, data_docs_path, "
            "(select count(*) from validation.check_result c where c.run_id = r.run_id) "
            "from validation.result r where run_id = %s",
            (run_id,),
        )
        row = cur.fetchone()
    assert row is not None, "the validation result is stored"
    keys = ["success", "failed_checks", "alert_status", "alert_detail", "data_docs_path", "checks"]
    return dict(zip(keys, row, strict=True))


def parts(msg: EmailMessage) -> tuple[str, str]:
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert text is not None and html is not None, "a text and an HTML alternative"
    return text.get_content().replace("\r\n", "\n"), html.get_content()


def test_failed_gate_mails_one_alert_with_the_failing_accounts(
    warehouse: str, smtp_server: Inbox, costclose_env: Path
) -> None:
    seed_differences(warehouse)
    result = run(
        CO,
        "2025-01",
        stage=Stage.PRE_POSTING,
        warehouse_url=warehouse,
        recipients=RECIPIENTS,
        airflow_run_url=AIRFLOW_RUN,
    )
    assert not result.success

    assert len(smtp_server.received) == 1
    sender, envelope_to, msg = smtp_server.received[0]
    assert sender == "costclose@example.com"
    assert envelope_to == RECIPIENTS
    assert msg["To"] == ", ".join(RECIPIENTS)
    assert msg["Subject"] == (
        "[costclose] CRONUS 2025-01 pre-posting FAILED: inventory <> G/L on 2 account(s) (2110, 7190)"
    )
    text, html = parts(msg)
    # the table of failing accounts: inventory, G/L, difference, proposed, unexplained, BC's warning
    assert re.search(r"^2110\s+25\.00\s+65\.00\s+40\.00\s+0\s+-40\.00\s+Post Cost to G/L$", text, re.M)
    assert re.search(r"^7190\s+75\.00\s+60\.00\s+-15\.00\s+0\s+15\.00\s+Post Cost to G/L$", text, re.M)
    for cell in ("2110", "25.00", "65.00", "40.00", "-40.00", "7190", "-15.00", "Post Cost to G/L"):
        assert re.search(rf">{re.escape(cell)}</td>", html), cell
    # the entries behind each difference
    assert re.search(
        r"^5\s+2025-01-25\s+2110\s+GJ0001\s+Manual correction\s+25\.00\s+Direct Posting$", text, re.M
    )
    assert re.search(
        r"^8\s+2025-01-28\s+1000\s+Direct Cost\s+SHIP-8\s+actual\s+-15\.00\s+2110\s+7190", text, re.M
    )
    assert text.count("SHIP-8") == 2  # listed under both accounts it posts to
    # links to the run's Data Docs page (under COSTCLOSE_HOME/out/data_docs) and to the Airflow run
    page = costclose_env / "out" / "data_docs"
    assert f"Airflow run: {AIRFLOW_RUN}" in text
    link = re.search(r"^Data Docs: (file://\S+)$", text, re.M)
    assert link and Path(link.group(1).removeprefix("file://")).is_file()
    assert Path(result.data_docs_path or "").is_relative_to(page)
    assert "tie_out.inventory_equals_gl_plus_journal" in Path(result.data_docs_path or "").read_text()
    # no secrets: not the SMTP login's password, not the database URL
    raw = msg.as_string()
    assert SMTP_PASSWORD not in raw
    assert "postgresql://" not in raw

    row = stored(warehouse, result.run_id)
    assert row["success"] is False
    assert row["failed_checks"] == ["tie_out.inventory_equals_gl_plus_journal"]
    assert row["alert_status"] == "sent"
    assert row["checks"] == len(result.checks) >= 40


def test_smtp_down_the_result_is_stored_and_the_error_raised(
    warehouse: str, smtp_down: int, costclose_env: Path
) -> None:
    seed_differences(warehouse)
    with pytest.raises(AlertDeliveryError, match="smtp_default") as caught:
        run(CO, "2025-01", stage=Stage.PRE_POSTING, warehouse_url=warehouse, recipients=RECIPIENTS)
    result = caught.value.result  # type: ignore[attr-defined]
    row = stored(warehouse, result.run_id)
    assert row["success"] is False
    assert row["failed_checks"] == ["tie_out.inventory_equals_gl_plus_journal"]
    assert row["alert_status"] == "failed"
    assert "ConnectionRefusedError" in row["alert_detail"]
    assert Path(row["data_docs_path"]).is_file()
    index = (costclose_env / "out" / "data_docs" / "index.html").read_text()
    assert f">{result.run_id}</a></td><td>failed</td>" in index


def test_success_email_only_when_the_company_wants_it(
    warehouse: str, smtp_server: Inbox, costclose_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    quiet = run(CO, "2025-01", stage=Stage.POST_POSTING, warehouse_url=warehouse, recipients=RECIPIENTS)
    assert quiet.success
    assert smtp_server.received == []
    assert stored(warehouse, quiet.run_id)["alert_status"] == "not_needed"

    # recipients, tolerance and the success flag from costclose.yml
    yml = costclose_env.parent / "costclose.yml"
    yml.write_text(
        "companies:\n  - name: CRONUS\n    alert_recipients: [controller@example.com]\n"
        '    tolerance: "0.05"\n    success_email: true\n'
    )
    monkeypatch.setenv("COSTCLOSE_CONFIG", str(yml))
    config.settings.cache_clear()
    with connect(warehouse) as conn:
        set_recon(conn, CO, "7190", gl="60.04")  # inside the company's tolerance of 0.05
    passed = run(CO, "2025-01", stage=Stage.POST_POSTING, warehouse_url=warehouse)
    assert passed.success
    assert passed.tolerance == "0.05"
    assert [m["Subject"] for m in smtp_server.messages] == ["[costclose] CRONUS 2025-01 post-posting: passed"]
    assert smtp_server.received[0][1] == ["controller@example.com"]
    assert stored(warehouse, passed.run_id)["alert_status"] == "sent"


def test_no_recipients_nothing_sent_and_said_so(
    warehouse: str, smtp_server: Inbox, costclose_env: Path
) -> None:
    seed_differences(warehouse)
    result = run(CO, "2025-01", stage=Stage.PRE_POSTING, warehouse_url=warehouse)
    assert not result.success
    assert smtp_server.received == []
    assert stored(warehouse, result.run_id)["alert_status"] == "no_recipients"


def test_one_email_per_company_and_period(warehouse: str, smtp_server: Inbox, costclose_env: Path) -> None:
    from gx_warehouse import seed_clean

    with connect(warehouse) as conn:
        seed_clean(conn, "CRONUS UK")
        set_recon(conn, "CRONUS UK", "7190", gl="61.00")
    seed_differences(warehouse)
    for company, to in [(CO, ["a@example.com"]), ("CRONUS UK", ["uk@example.com"])]:
        run(company, "2025-01", stage=Stage.POST_POSTING, warehouse_url=warehouse, recipients=to)
    assert [(to, m["Subject"].split(" FAILED")[0]) for _, to, m in smtp_server.received] == [
        (["a@example.com"], "[costclose] CRONUS 2025-01 post-posting"),
        (["uk@example.com"], "[costclose] CRONUS UK 2025-01 post-posting"),
    ]
    uk_text, _ = parts(smtp_server.messages[1])
    table = uk_text.split("Failing G/L accounts")[1].split("Account 7190")[0]
    assert re.search(r"^7190\s+60\.00\s+61\.00\s+1\.00$", table, re.M)
    assert "2110" not in table


def test_money_stays_decimal_in_the_stored_result(
    warehouse: str, smtp_server: Inbox, costclose_env: Path
) -> None:
    with connect(warehouse) as conn:
        set_recon(conn, CO, "7190", gl="60.000000000000000001")
    result = run(CO, "2025-01", stage=Stage.POST_POSTING, warehouse_url=warehouse, recipients=RECIPIENTS)
    assert not result.success
    with connect(warehouse) as conn, conn.cursor() as cur:
        cur.execute(
            "select c->'rows'->0->>'difference' "
            "from validation.result r, jsonb_array_elements(r.result->'checks') c "
            "where r.run_id = %s and c->>'key' = 'tie_out.inventory_equals_gl'",
            (result.run_id,),
        )
        (difference,) = cur.fetchone()
    assert Decimal(difference) == Decimal("0.000000000000000001")  # a float would have lost it

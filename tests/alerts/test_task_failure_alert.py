"""Under real Airflow (a DAG run with ``dag.test()``, in this process, on a fresh metadata DB): a failed
gate whose alert cannot be sent still leaves its result stored, the task fails, and the task-failure
callback mails it through the same SMTP path."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from gx_warehouse import set_recon
from smtp_inbox import SMTP_PASSWORD, Inbox, free_port

from costclose import config
from costclose.db import connect

PROBE_DAGS = Path(__file__).resolve().parent / "dags"


def run_probe_dag() -> str:
    """Parse tests/alerts/dags, serialize it into a fresh Airflow metadata DB, run it; the run's state."""
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import BundleDagBag, sync_bag_to_db
    from airflow.utils import db as airflow_db

    airflow_db.initdb()
    DagBundlesManager().sync_bundles_to_db()
    bag = BundleDagBag(dag_folder=PROBE_DAGS, bundle_path=PROBE_DAGS, bundle_name="dags-folder")
    assert bag.import_errors == {}
    sync_bag_to_db(bag, "dags-folder", None)
    return str(bag.dags["costclose_gate_probe"].test().state)


def test_gate_failure_with_smtp_down_is_stored_failed_and_reported(
    warehouse: str, smtp_server: Inbox, costclose_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with connect(warehouse) as conn:
        set_recon(conn, "CRONUS", "2110", gl="65.00")  # a direct posting the journal does not explain
    yml = tmp_path / "costclose.yml"
    yml.write_text("companies:\n  - name: CRONUS\n    alert_recipients: [controller@example.com]\n")
    monkeypatch.setenv("COSTCLOSE_CONFIG", str(yml))
    config.settings.cache_clear()
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", "http://airflow.example:8080")
    # only the probe DAG: parsing the project's DAGs would run cosmos's `dbt ls`
    monkeypatch.setenv("AIRFLOW__CORE__DAGS_FOLDER", str(PROBE_DAGS))
    broken = f"smtp://127.0.0.1:{free_port()}?disable_ssl=true&disable_tls=true&retry_limit=0"
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_BROKEN", broken)
    monkeypatch.setenv("COSTCLOSE_PROBE_WAREHOUSE_URL", warehouse)
    monkeypatch.setenv("COSTCLOSE_ALERT_RECIPIENTS", "data-team@example.com")

    assert run_probe_dag() == "failed"

    # the result is stored although its alert could not be sent
    with connect(warehouse) as conn, conn.cursor() as cur:
        cur.execute(
            "select success, failed_checks, alert_status, alert_detail, airflow_run_url "
            "from validation.result"
        )
        rows = cur.fetchall()
    assert len(rows) == 1
    success, failed_checks, alert_status, alert_detail, run_url = rows[0]
    assert (success, failed_checks, alert_status) == (
        False,
        ["tie_out.inventory_equals_gl"],
        "failed",
    )
    assert "smtp_broken" in alert_detail
    assert run_url.startswith("http://airflow.example:8080/dags/costclose_gate_probe/runs/")

    # Airflow saw the task fail, and the callback mailed it through smtp_default
    assert len(smtp_server.received) == 1
    _, to, msg = smtp_server.received[0]
    assert to == ["controller@example.com", "data-team@example.com"]
    assert (
        msg["Subject"] == "[costclose] task failed: costclose_gate_probe.post_posting_gate (CRONUS 2025-01)"
    )
    text = msg.get_body(("plain",)).get_content()
    assert re.search(r"^error\s+AlertDeliveryError: Could not send .*smtp_broken", text, re.M)
    log_url = (
        r"^log\s+http://airflow\.example:8080/dags/costclose_gate_probe/runs/\S+/tasks/post_posting_gate"
    )
    assert re.search(log_url, text, re.M)
    assert SMTP_PASSWORD not in msg.as_string()

"""
### costclose_gate_probe — a test DAG: the pre-posting gate under Airflow with the mail server down

One task runs `costclose.validation.gate` (post-posting) for CRONUS 2025-01 on the warehouse named by
`COSTCLOSE_PROBE_WAREHOUSE_URL`, sending its alert through the connection `smtp_broken` (nobody
listens). The gate fails, the alert cannot be sent, the task fails, and `on_task_failure` reports it
through `smtp_default`.
"""

from __future__ import annotations

import os

import pendulum
from airflow.sdk import dag, get_current_context, task

from costclose.alerts import on_task_failure


@dag(
    dag_id="costclose_gate_probe",
    schedule=None,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    params={"companies": ["CRONUS"], "period_end": "2025-01"},
    default_args={"owner": "finance-data", "retries": 0, "on_failure_callback": on_task_failure},
    tags=["costclose", "test"],
    doc_md=__doc__,
)
def costclose_gate_probe() -> None:
    @task
    def post_posting_gate() -> dict:
        from costclose.validation import gate, run_url_from_context

        return gate(
            "CRONUS",
            "2025-01",
            "post-posting",
            warehouse_url=os.environ["COSTCLOSE_PROBE_WAREHOUSE_URL"],
            recipients=["controller@example.com"],
            airflow_run_url=run_url_from_context(get_current_context()),
            smtp_conn_id="smtp_broken",
        )

    post_posting_gate()


costclose_gate_probe()

"""
### bc_extract — nightly, incremental extraction of BC ledgers into the warehouse

For every company configured in `costclose.yml` (one mapped task per company) this loads value
entries and their companions (item ledger, item application, capacity ledger, G/L entries, G/L - Item
Ledger Relation and the setup tables) from the company's source (`sql:`, `bc2adls:` or `bc_api:`)
into the warehouse's `raw` schema, from the last committed watermark. Each batch and its watermark
commit together, so a retry resumes without duplicates or gaps. After each load the row counts and
cost sums are compared with the source's.

Success updates the `costclose_raw_ledgers` Asset, which the close DAG consumes.
Run one company by hand with `costclose extract --company NAME`.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task

from costclose.airflow.assets import RAW_LEDGERS
from costclose.airflow.defaults import DEFAULT_ARGS


@dag(
    dag_id="bc_extract",
    schedule="0 1 * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,  # the load is incremental from watermarks: one run catches up everything
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["costclose", "extract"],
    doc_md=__doc__,
)
def bc_extract() -> None:
    @task
    def configured_companies() -> list[str]:
        from costclose import pipeline

        return pipeline.configured_companies()

    @task(max_active_tis_per_dagrun=4)
    def extract(company: str) -> dict:
        from costclose import pipeline

        return pipeline.extract(company)

    @task(outlets=[RAW_LEDGERS])
    def publish(reports: list[dict]) -> dict:
        return {"companies": [r["company"] for r in reports], "rows": sum(r["rows"] for r in reports)}

    publish(extract.expand(company=configured_companies()))


bc_extract()

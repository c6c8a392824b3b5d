"""Airflow Assets the DAGs chain through, defined once."""

from __future__ import annotations

from airflow.sdk import Asset

# Updated by bc_extract after a successful load of every configured company.
RAW_LEDGERS = Asset(name="costclose_raw_ledgers", uri="costclose://warehouse/raw")
# Updated by inventory_close after dbt has built the marts for a period.
CLOSE_MARTS = Asset(name="costclose_close_marts", uri="costclose://warehouse/marts")

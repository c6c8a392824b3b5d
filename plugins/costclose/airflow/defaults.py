"""Default task arguments every costclose DAG shares."""

from __future__ import annotations

from datetime import timedelta

DEFAULT_ARGS = {
    "owner": "finance-data",
    "retries": 2,
    "retry_delay": timedelta(minutes=2),
    "retry_exponential_backoff": True,
}

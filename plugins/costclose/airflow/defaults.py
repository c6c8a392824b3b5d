"""Default task arguments every costclose DAG shares."""

from __future__ import annotations

import os
from datetime import timedelta


def _on_failure(context: dict) -> None:
    # Imported on failure only: the alert path loads the SMTP provider.
    from costclose.alerts.callbacks import on_task_failure

    on_task_failure(context)


DEFAULT_ARGS = {
    "on_failure_callback": _on_failure,
    "owner": "finance-data",
    "retries": 2,
    # Local one-off runs (`costclose demo`, tests) set a short delay so a failure surfaces quickly.
    "retry_delay": timedelta(seconds=int(os.environ.get("COSTCLOSE_RETRY_DELAY_SECONDS", "120"))),
    "retry_exponential_backoff": True,
}

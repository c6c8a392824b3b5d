"""Quiet the noise the stack emits, once, before heavy imports.

Great Expectations logs every decorated function at INFO ("Skipping registering function ...") and
draws "Calculating Metrics" progress bars; under Airflow those go through structlog to the console.
"""

from __future__ import annotations

import logging
import os
import warnings

NOISY_LOGGERS = (
    "great_expectations",
    "great_expectations._docs_decorators",
    "great_expectations.core",
    "great_expectations.data_context",
    "great_expectations.expectations",
    "great_expectations.datasource",
    "py.warnings",
    "pgserver",
)


def quiet() -> None:
    """Raise the noisy loggers to WARNING and switch off GX progress bars and cosmos telemetry."""
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("AIRFLOW__COSMOS__ENABLE_TELEMETRY", "False")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")

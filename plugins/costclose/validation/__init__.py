"""Great Expectations gates of the close: run suites, store results, Data Docs, alert emails.

``costclose.validation.run(company, period, stage=...)`` is what the Airflow tasks and
``costclose validate`` call. The suites themselves are in the repository's ``expectations/``.
"""

from __future__ import annotations

from costclose.validation.model import CheckOutcome, Scope, Stage, ValidationResult
from costclose.validation.runner import GateFailedError, gate, run, run_url_from_context, validate

__all__ = [
    "CheckOutcome",
    "GateFailedError",
    "Scope",
    "Stage",
    "ValidationResult",
    "gate",
    "run",
    "run_url_from_context",
    "validate",
]

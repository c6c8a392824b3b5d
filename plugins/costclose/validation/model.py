"""What a validation run is about (scope) and what it found (result), as plain data.

Results are JSON-able (money as strings of its exact decimal value, never float) so they can be
stored in ``validation.result`` and rendered into Data Docs and emails without GX objects.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from costclose.period import Period


class Stage(StrEnum):
    """When in the close a run validates."""

    RAW = "raw"  # the raw landing only (after extraction)
    PRE_POSTING = "pre-posting"  # raw landing, the outbound journal, inventory = G/L + journal
    POST_POSTING = "post-posting"  # inventory = G/L and nothing left to propose


@dataclass(frozen=True)
class Scope:
    """One company and accounting period, with the company's tolerance (numeric, default 0.00)."""

    company: str
    period: Period
    tolerance: Decimal = Decimal("0.00")

    def __post_init__(self) -> None:
        if not isinstance(self.tolerance, Decimal):
            raise TypeError("tolerance must be a Decimal: money is compared as numeric, never float")
        if self.tolerance < 0:
            raise ValueError("tolerance must not be negative")


def jsonable(value: object) -> Any:
    """GX/psycopg2 values as JSON: Decimal -> exact string, dates -> ISO, other objects -> str."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


@dataclass
class CheckOutcome:
    """One expectation's outcome."""

    key: str  # stable name, e.g. "tie_out.inventory_equals_gl_plus_journal"
    suite: str
    description: str
    success: bool
    observed: Any = None
    unexpected_count: int | None = None
    rows: list[dict[str, Any]] = field(default_factory=list)  # breaking rows (at most 200, GX's cap)
    error: str | None = None


@dataclass
class ValidationResult:
    """The outcome of one validation run of one company and period."""

    run_id: str
    company: str
    period: str
    stage: str
    tolerance: str
    started_at: datetime
    finished_at: datetime
    checks: list[CheckOutcome]
    airflow_run_url: str | None = None
    data_docs_path: str | None = None

    @property
    def success(self) -> bool:
        return all(c.success for c in self.checks)

    @property
    def failures(self) -> list[CheckOutcome]:
        return [c for c in self.checks if not c.success]

    def check(self, key: str) -> CheckOutcome:
        for c in self.checks:
            if c.key == key:
                return c
        raise KeyError(key)

    def as_json(self) -> str:
        body = asdict(self)
        body["success"] = self.success
        return json.dumps(jsonable(body))

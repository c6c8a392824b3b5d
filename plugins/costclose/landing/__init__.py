"""Landing: the warehouse's ``raw`` schema and the incremental, exact load of BC data into it."""

from costclose.landing.loader import LoadError, LoadReport, TableLoad, TotalsMismatchError, load
from costclose.landing.quarantine import QuarantineStatus, quarantine_status, waive_quarantine
from costclose.landing.schema import ensure_schema

__all__ = [
    "LoadError",
    "LoadReport",
    "QuarantineStatus",
    "TableLoad",
    "TotalsMismatchError",
    "ensure_schema",
    "load",
    "quarantine_status",
    "waive_quarantine",
]

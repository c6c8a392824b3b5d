"""The contract every source connector implements: (company, table, watermark) -> batches of rows.

A connector yields ``Batch``es in order. The landing code (``costclose.landing``) writes each batch's
rows and deletes to ``raw`` and stores ``batch.watermark`` in the *same transaction*, so a crash
between batches resumes from the last committed watermark with no duplicates or gaps. Watermarks are
opaque, JSON-serialisable dicts that only the connector that produced them interprets.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from costclose.bc_schema import Table


@dataclass(frozen=True)
class BadRow:
    """Input that could not be typed or lacks a required key: it goes to quarantine, never lost."""

    source_ref: str  # where it came from: "file.csv:line 17", a page URL, "sql:bc.value_entry"
    reason: str
    raw: str  # the original text (CSV line, JSON object, repr of the row)


@dataclass
class Batch:
    """One unit of loading for one (company, table)."""

    table: Table
    columns: list[str]  # canonical column names (bc_schema), in the order of each row tuple
    rows: list[tuple[Any, ...]]  # values already typed to Python (int, Decimal, date, bool, str, UUID)
    source_ref: str
    watermark: dict[str, Any]  # the watermark once this batch is committed
    deletes: list[tuple[Any, ...]] = field(default_factory=list)  # primary keys (company, *key)
    bad_rows: list[BadRow] = field(default_factory=list)
    source_versions: list[str] | None = None  # per row: row version / modified time, for _source_version
    # deletes keyed by (company, system_id), for sources that identify deleted rows by SystemId only
    # (bc2adls delete markers); applied like ``deletes``, before the batch's rows
    delete_system_ids: list[tuple[str, str]] = field(default_factory=list)
    # rows already encoded as PostgreSQL COPY text lines (tab-separated, ``\N`` = NULL, newline-terminated):
    # the fields of ``columns`` then the row's source version. When set, the landing COPYs it as is
    # (no Python per-value work) and ``rows``/``source_versions`` stay empty.
    copy_text: str | None = None
    # the connector guarantees each primary key at most once in this batch and in the other batches of the
    # same fetch (e.g. a snapshot read in key-unique order): the landing may then skip de-duplication
    unique_keys: bool = False


class Source(Protocol):
    """A place BC data can be read from, selected by a source URL (``sql:``, ``bc2adls:``, ``bc_api:``)."""

    url: str

    def companies(self) -> list[str]:
        """Company names available at this source."""
        ...

    def fetch(self, company: str, table: Table, watermark: dict[str, Any] | None) -> Iterator[Batch]:
        """Batches of rows changed since ``watermark`` (``None``: everything)."""
        ...

    def totals(self, company: str) -> dict[str, Any]:
        """Control totals to compare after a load: row counts per table, and the sums of
        Cost Amount (Actual), Cost Amount (Expected), Cost Posted to G/L and G/L Amount."""
        ...


class SliceTotals(Protocol):
    """Optional: a source that can total slices (``costclose.landing.control``: posting dates of the
    dated ledgers, blocks of G/L entry numbers of the relations, unsliced tables whole).

    The landing then compares only the slices a load changed; without it every load compares every
    figure (``totals``), whose cost grows with the history."""

    def slice_totals(
        self, company: str, slices: dict[str, list[str]]
    ) -> dict[str, dict[str, dict[str, Decimal]]]:
        """Per table name and slice key: ``{"rows": count, metric: sum}`` (the metrics of ``totals``)."""
        ...

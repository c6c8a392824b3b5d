"""The close's own files with the fixed columns of issue 7, and validation.json.

``gl_reconciliation.csv``, ``adjusting_journal.csv`` and ``skipped_entries.csv`` are written by the
close itself (``pipeline.write_close_outputs`` and ``pipeline.post``: what was actually posted or
previewed). The pack keeps such a file as it is and writes it from the marts only when it is missing,
with the same columns. Files are written and read as streams: a journal of any size is never held in
memory (``summarize`` keeps its totals and its largest lines only).
"""

from __future__ import annotations

import contextlib
import csv
import heapq
import json
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg2.extensions

from costclose.period import Period
from costclose.report.fetch import params, stream
from costclose.validation.model import jsonable

log = logging.getLogger(__name__)

GL_RECONCILIATION_COLUMNS = ("company", "period", "row", "column", "inventory", "gl", "difference", "warning")
ADJUSTING_JOURNAL_COLUMNS = (
    "company",
    "document_no",
    "posting_date",
    "gl_account_no",
    "amount",
    "description",
    "value_entry_nos",
)
SKIPPED_ENTRIES_COLUMNS = ("company", "value_entry_no", "cost_part", "amount", "reason")

# Long form of BC's matrix (spec §C.5): the three value-entry columns, then Total with G/L and difference.
RECONCILIATION_SQL = """
select r.company, to_char(r.period_start, 'YYYY-MM') as period, r.matrix_row as row,
    c.column_caption as column,
    case c.column_caption
        when 'Inventory' then r.inventory
        when 'Inventory (Interim)' then r.inventory_interim
        when 'WIP Inventory' then r.wip_inventory
        else r.total
    end as inventory,
    case when c.column_caption = 'Total' then r.gl_total end as gl,
    case when c.column_caption = 'Total' then r.difference end as difference,
    case when c.column_caption = 'Total' then r.warning end as warning
from marts.fct_inventory_gl_reconciliation as r
cross join (values (1, 'Inventory'), (2, 'Inventory (Interim)'), (3, 'WIP Inventory'), (4, 'Total'))
    as c (column_no, column_caption)
where r.company = %(company)s and r.period_start = %(period_start)s and r.date_filter = 'period'
order by r.row_no, c.column_no
"""

# What Post Inventory Cost to G/L would post up to the period end (the posting task's per-posting-group
# journal), debit positive, credit negative.
ADJUSTING_JOURNAL_SQL = """
select company, document_no, posting_date, gl_account_no, amount, description,
    array_to_string(value_entry_nos, ' ') as value_entry_nos
from outbound.fct_adjusting_journal_per_posting_group
where company = %(company)s and posting_date <= %(period_end)s
order by posting_date, document_no, line_no
"""

SKIPPED_ENTRIES_SQL = """
select company, value_entry_no, cost_part, amount_to_post as amount, skip_reason as reason
from outbound.fct_adjusting_journal_skipped_entries
where company = %(company)s and posting_date <= %(period_end)s and amount_to_post <> 0
order by value_entry_no, cost_part
"""

FIXED_FILES = (
    ("gl_reconciliation.csv", GL_RECONCILIATION_COLUMNS, RECONCILIATION_SQL),
    ("adjusting_journal.csv", ADJUSTING_JOURNAL_COLUMNS, ADJUSTING_JOURNAL_SQL),
    ("skipped_entries.csv", SKIPPED_ENTRIES_COLUMNS, SKIPPED_ENTRIES_SQL),
)


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Write ``header`` and ``rows`` (any iterable: a stream is written as it comes); return the rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


def write_fixed_files(
    conn: psycopg2.extensions.connection, company: str, period: Period, out: Path
) -> dict[str, str]:
    """Each fixed file: 'kept' when the close wrote it already, else 'written' from the marts."""
    outcome: dict[str, str] = {}
    for name, columns, query in FIXED_FILES:
        path = out / name
        if path.exists():
            outcome[name] = "kept"
            continue
        count = write_csv(
            path, columns, (list(r.values()) for r in stream(conn, query, params(company, period)))
        )
        outcome[name] = "written"
        log.info("wrote %s from the marts (%d rows)", path, count)
    return outcome


@contextlib.contextmanager
def _long_fields() -> Iterator[None]:
    """A journal line's value entry numbers can be one field of megabytes (csv's default limit: 128 KiB)."""
    before = csv.field_size_limit()
    csv.field_size_limit(2**31 - 1)
    try:
        yield
    finally:
        csv.field_size_limit(before)


def iter_csv(path: Path) -> Iterator[dict[str, str]]:
    """The rows of a close file, one at a time."""
    with _long_fields(), path.open(newline="", encoding="utf-8") as fh:
        yield from csv.DictReader(fh)


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(iter_csv(path))


def _amount(row: dict[str, str]) -> Decimal:
    return Decimal(row.get("amount") or "0")


def count_numbers(text: str) -> int:
    """How many value entry numbers a space-separated list holds (without splitting it)."""
    text = text.strip()
    return text.count(" ") + 1 if text else 0


def first_numbers(text: str, n: int) -> str:
    return " ".join(text.strip().split(" ", n)[:n])


@dataclass
class FileSummary:
    """A close file (journal or skipped entries) read as a stream: line count, totals, largest lines.

    The file is the close's own record of what it posted or previewed (not a mart), so its totals are
    added up here, exactly, in ``Decimal``; only ``page_rows`` lines are kept (largest amount first).
    """

    lines: int = 0
    debit: Decimal = Decimal(0)
    credit: Decimal = Decimal(0)
    per_account: dict[str, list[Any]] = field(default_factory=dict)  # account -> [lines, debit, credit]
    top: list[dict[str, Any]] = field(default_factory=list)

    @property
    def net(self) -> Decimal:
        return self.debit - self.credit


def summarize(
    path: Path, page_rows: int, account_column: str | None = None, numbers_shown: int = 20
) -> FileSummary:
    """Stream ``path``: totals (per ``account_column`` when given) and its ``page_rows`` largest lines.

    A line's ``value_entry_nos`` is cut to its first ``numbers_shown`` numbers (``value_entry_count``
    says how many it has), so a kept line stays small whatever the journal's size.
    """
    summary = FileSummary()

    def rows() -> Iterator[dict[str, Any]]:
        for row in iter_csv(path):
            amount = _amount(row)
            summary.lines += 1
            if amount > 0:
                summary.debit += amount
            else:
                summary.credit -= amount
            if account_column is not None:
                acc = summary.per_account.setdefault(row[account_column], [0, Decimal(0), Decimal(0)])
                acc[0] += 1
                acc[1 if amount > 0 else 2] += abs(amount)
            if "value_entry_nos" in row:
                nos = row["value_entry_nos"]
                row["value_entry_count"] = count_numbers(nos)
                row["value_entry_nos"] = first_numbers(nos, numbers_shown)
                row["value_entry_shown"] = min(row["value_entry_count"], numbers_shown)
            row["_abs"] = abs(amount)
            yield row

    summary.top = heapq.nlargest(page_rows, rows(), key=lambda r: r["_abs"])
    return summary


VALIDATION_SQL = """
select distinct on (stage) run_id, stage, success, tolerance, failed_checks, started_at, finished_at,
    data_docs_path, alert_status, alert_detail, airflow_run_url, result
from validation.result
where company = %s and period = %s
order by stage, finished_at desc
"""


def validation_summary(conn: psycopg2.extensions.connection, company: str, period: Period) -> dict[str, Any]:
    """The latest Great Expectations run per stage for the company and period (validation.result)."""
    with conn.cursor() as cur:
        cur.execute("select to_regclass('validation.result') is not null")
        exists = bool(cur.fetchone()[0])
        runs: list[dict[str, Any]] = []
        if exists:
            cur.execute(VALIDATION_SQL, (company, period.key))
            names = [d.name for d in cur.description]
            runs = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    summary: dict[str, Any] = {
        "company": company,
        "period": period.key,
        "read_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "source": "warehouse table validation.result (latest run per stage)",
    }
    if not runs:
        summary["status"] = "not_validated"
        summary["message"] = (
            f"No Great Expectations run is stored for {company} {period.key}: run "
            f"`costclose validate --company {company!r} --period {period.key}` (the close does it) and "
            "write the pack again."
        )
        summary["stages"] = {}
        return summary
    summary["status"] = "passed" if all(r["success"] for r in runs) else "failed"
    summary["stages"] = {r["stage"]: jsonable(r) for r in runs}
    return summary


def write_validation_json(path: Path, summary: dict[str, Any]) -> None:
    path.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

"""What a close-pack report is: its BC caption, columns (snake_case of BC's captions), query and grouping.

One :class:`ReportSpec` drives the CSV file, the workbook sheet and the HTML table of a report, so the
three can never disagree on columns or numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from psycopg2 import sql


class Kind(StrEnum):
    """How a column is shown (and which number format it gets in the workbook)."""

    TEXT = "text"
    DATE = "date"
    MONEY = "money"  # amounts in LCY, 2 decimals shown
    QUANTITY = "quantity"
    UNIT_COST = "unit_cost"  # cost per unit, 5 decimals shown as BC does
    COUNT = "count"


ZERO = sql.SQL("0")
NUMERIC_KINDS = frozenset({Kind.MONEY, Kind.QUANTITY, Kind.UNIT_COST, Kind.COUNT})


@dataclass(frozen=True)
class Column:
    """One report column: ``name`` (CSV header, snake_case of BC's caption), ``caption`` (BC's caption)."""

    name: str
    caption: str
    kind: Kind = Kind.TEXT
    band: str = ""  # a caption spanning several columns in BC's layout, e.g. "Increases (LCY)"
    summed: bool = False  # shown on group and report total lines


@dataclass(frozen=True)
class ReportSpec:
    """A BC report as the close pack writes it.

    ``query`` selects the detail rows (parameters ``%(company)s``, ``%(period_start)s``,
    ``%(period_end)s``), already sorted; ``group_by`` names the column(s) BC groups on (the group
    totals are computed in SQL by ``rollup``); ``total_filter`` restricts the rows summed into totals
    (Cost Spec.'s Total lines only).

    The page (index.html) shows per group only the ``page_rows`` largest entries: an entry is one
    ``entity`` (its columns; Cost Spec.'s item has several lines, ordered by ``within``), ranked by
    ``weight`` (an SQL expression over the detail columns, largest first). The CSV and the workbook
    hold every line.
    """

    key: str
    title: str
    csv_name: str
    sheet_name: str
    report_id: str  # BC's report number, for the captions
    columns: tuple[Column, ...]
    query: sql.Composable
    group_by: tuple[str, ...] = ()
    report_total: bool = True
    total_filter: sql.Composable | None = None
    weight: sql.Composable = field(default_factory=lambda: ZERO)
    entity: tuple[str, ...] = ()
    within: tuple[str, ...] = ()
    entity_label: str = "lines"  # what the page counts: "items", "production orders"

    @property
    def summed_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.summed)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

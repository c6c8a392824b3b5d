"""Control totals: what a source reports about a company, and the same figures measured in ``raw``.

The shape every connector's ``Source.totals(company)`` returns::

    {
        "row_counts": {"value_entry": 1234, "g_l_entry": 5678, ...},   # per bc_schema table name
        "cost_amount_actual": Decimal,     # sum of Value Entry Cost Amount (Actual)
        "cost_amount_expected": Decimal,   # sum of Value Entry Cost Amount (Expected)
        "cost_posted_to_g_l": Decimal,     # sum of Value Entry Cost Posted to G/L
        "g_l_amount": Decimal,             # sum of G/L Entry Amount
    }

A connector may leave out a table count or a sum it cannot know; only the figures it reports are
compared. Amounts are compared exactly (numeric), never with a float tolerance.

A nightly load compares fewer figures: those of the slices raw changed (see "control totals by slice"
below, ``Source.slice_totals`` and dbt_project/DECISIONLOG.md 21); every figure is compared on a first
load, ``--full``, ``--verify`` and whenever a slice differs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import psycopg2.extensions
from psycopg2 import sql

from costclose import bc_schema
from costclose.landing.schema import raw_table

# metric name -> (table, column) summed for it
SUMS: dict[str, tuple[bc_schema.Table, str]] = {
    "cost_amount_actual": (bc_schema.VALUE_ENTRY, "cost_amount_actual"),
    "cost_amount_expected": (bc_schema.VALUE_ENTRY, "cost_amount_expected"),
    "cost_posted_to_g_l": (bc_schema.VALUE_ENTRY, "cost_posted_to_g_l"),
    "g_l_amount": (bc_schema.G_L_ENTRY, "amount"),
}


@dataclass(frozen=True)
class ControlCheck:
    """One compared figure: ``rows:value_entry`` or a sum such as ``cost_amount_actual``."""

    metric: str
    source_value: Decimal
    raw_value: Decimal

    @property
    def matches(self) -> bool:
        return self.source_value == self.raw_value


def raw_totals(
    conn: psycopg2.extensions.connection, company: str, tables: Iterable[bc_schema.Table]
) -> dict[str, Any]:
    """The control totals of ``company`` as loaded in ``raw`` (same shape as ``Source.totals``)."""
    tables = list(tables)
    totals: dict[str, Any] = {"row_counts": {}}
    with conn.cursor() as cur:
        for table in tables:  # one scan per table: its count and its sums together
            metrics = metrics_of(table)
            cur.execute(
                sql.SQL("select {} from {} where company = %s").format(
                    sql.SQL(", ").join(
                        [
                            sql.SQL("count(*)"),
                            *(sql.SQL("coalesce(sum({}), 0)").format(sql.Identifier(c)) for _, c in metrics),
                        ]
                    ),
                    raw_table(table),
                ),
                (company,),
            )
            count, *sums = cur.fetchone()
            totals["row_counts"][table.name] = int(count)
            totals.update((metric, Decimal(value)) for (metric, _), value in zip(metrics, sums, strict=True))
    return totals


def compare(source: dict[str, Any], raw: dict[str, Any]) -> list[ControlCheck]:
    """The checks for every figure present in both ``source`` and ``raw``."""
    checks = []
    source_counts = source.get("row_counts", {})
    for table_name, raw_count in raw["row_counts"].items():
        if table_name in source_counts:
            checks.append(
                ControlCheck(f"rows:{table_name}", Decimal(source_counts[table_name]), Decimal(raw_count))
            )
    checks.extend(
        ControlCheck(metric, Decimal(source[metric]), Decimal(raw[metric]))
        for metric in SUMS
        if metric in raw and source.get(metric) is not None
    )
    return checks


# -- control totals by slice: what a nightly load compares -------------------------------------------------
#
# A ledger is cut into slices: its posting dates (the five dated ledgers) or, for G/L - Item Ledger
# Relation (no date), blocks of RELATION_BLOCK G/L entry numbers. Every change to a sliced raw table
# marks the slices of the rows it touched (both images of an update) dirty, by statement triggers
# (``schema.py``), and an incremental load compares only the dirty slices with the source's figures of
# the same slices: the cost follows what changed, not the history. Unsliced tables (setup, items,
# production orders) are small and always compared whole, by row count. ``WHOLE`` names that slice.

WHOLE = "*"
NULL_DATE = ""  # the slice of rows without a posting date (BC's 0D)
RELATION_BLOCK = 100_000


@dataclass(frozen=True)
class Slicing:
    """How a table is cut into slices: by ``column`` itself (a date) or by blocks of ``block`` numbers."""

    column: str
    block: int | None = None

    def key_sql(self, alias: str | None = None) -> sql.Composable:
        """SQL of a row's slice key as text (the same text on every PostgreSQL side)."""
        col = sql.Identifier(alias, self.column) if alias else sql.Identifier(self.column)
        if self.block is None:
            return sql.SQL("coalesce(to_char({}, 'YYYY-MM-DD'), '')").format(col)
        return sql.SQL("floor({} / {}::numeric)::bigint::text").format(col, sql.Literal(self.block))

    def key_of_text(self, text: str) -> str:
        """The key ``key_sql`` gives a row whose ``column`` has the COPY text ``text`` (``\\N``: NULL):
        for a source that totals slices outside PostgreSQL (the bc2adls totals cache)."""
        if self.block is not None:
            return str(int(text) // self.block)  # floor division, as floor() in key_sql
        if text in ("\\N", ""):
            return NULL_DATE
        if len(text) == 10 and text[4] == "-" and text[7] == "-":
            return text  # YYYY-MM-DD, what to_char(date, 'YYYY-MM-DD') gives
        return date.fromisoformat(text).isoformat()

    def filter_sql(self, keys: Iterable[str]) -> tuple[sql.Composable, list[Any]]:
        """A condition selecting the rows of the slices ``keys`` that an index on (company, column) serves."""
        keys = sorted(set(keys))
        parts: list[sql.Composable] = []
        params: list[Any] = []
        col = sql.Identifier(self.column)
        if self.block is None:
            dates = [k for k in keys if k != NULL_DATE]
            if dates:
                parts.append(sql.SQL("{} = any(%s::date[])").format(col))
                params.append(dates)
            if NULL_DATE in keys:
                parts.append(sql.SQL("{} is null").format(col))
        else:
            for k in keys:
                parts.append(sql.SQL("({c} >= %s and {c} < %s)").format(c=col))
                params += [int(k) * self.block, (int(k) + 1) * self.block]
        if not parts:
            return sql.SQL("false"), []
        return sql.SQL("({})").format(sql.SQL(" or ").join(parts)), params


def slicing(table: bc_schema.Table) -> Slicing | None:
    """How ``table`` is sliced, or None for a table compared whole."""
    if "posting_date" in table.column_names:
        return Slicing("posting_date")
    if table is bc_schema.G_L_ITEM_LEDGER_RELATION:
        return Slicing("g_l_entry_no", RELATION_BLOCK)
    return None


# table name -> slice key -> {"rows": count, metric: sum}
SliceFigures = dict[str, dict[str, dict[str, Decimal]]]


def totals_of_whole(figures: SliceFigures) -> dict[str, Any]:
    """A source's ``totals`` from its ``WHOLE`` slice figures: per-table row counts and the sums."""
    totals: dict[str, Any] = {"row_counts": {}}
    for name, by_slice in figures.items():
        whole = by_slice[WHOLE]
        totals["row_counts"][name] = int(whole["rows"])
        totals.update((metric, value) for metric, value in whole.items() if metric != "rows")
    return totals


def metrics_of(table: bc_schema.Table) -> list[tuple[str, str]]:
    """(metric, column) summed for ``table``."""
    return [(metric, column) for metric, (t, column) in SUMS.items() if t is table]


def slice_totals_query(
    qualified: sql.Composable,
    table: bc_schema.Table,
    company: str,
    keys: Iterable[str],
    *,
    whole: bool = False,
) -> tuple[sql.Composable, list[Any]]:
    """The query of the figures of ``keys`` of ``table`` (``qualified``: its name in raw or at a source).

    Rows: (slice key, row count, sums of ``metrics_of(table)``...). The same SQL runs on raw and on a
    PostgreSQL source, so both sides cut slices identically."""
    sums = [sql.SQL("coalesce(sum({}), 0)").format(sql.Identifier(col)) for _, col in metrics_of(table)]
    figures = sql.SQL(", ").join([sql.SQL("count(*)"), *sums])
    cut = None if whole else slicing(table)
    if cut is None:
        query = sql.SQL("select {}, {} from {} where company = %s").format(
            sql.Literal(WHOLE), figures, qualified
        )
        return query, [company]
    condition, params = cut.filter_sql(keys)
    query = sql.SQL("select {key}, {figures} from {table} where company = %s and {cond} group by 1").format(
        key=cut.key_sql(), figures=figures, table=qualified, cond=condition
    )
    return query, [company, *params]


def read_slice_totals(
    cur: psycopg2.extensions.cursor,
    company: str,
    slices: dict[str, list[str]],
    qualified: Callable[[bc_schema.Table], sql.Composable],
    present: Callable[[bc_schema.Table], bool] = lambda _t: True,
    *,
    whole: bool = False,
) -> SliceFigures:
    """Run ``slice_totals_query`` for every table of ``slices`` (tables not ``present`` are left out);
    a requested slice without rows gets zero figures. ``whole``: every table whole (slice ``WHOLE``)."""
    out: SliceFigures = {}
    for name, keys in slices.items():
        table = bc_schema.TABLES_BY_NAME[name]
        if not present(table):
            continue
        names = ["rows", *(m for m, _ in metrics_of(table))]
        zero = dict.fromkeys(names, Decimal(0))
        wanted = [WHOLE] if whole or slicing(table) is None else keys
        if not wanted:
            continue
        figures = {k: dict(zero) for k in wanted}
        query, params = slice_totals_query(qualified(table), table, company, wanted, whole=whole)
        cur.execute(query, params)
        for key, *values in cur.fetchall():
            figures[key] = {n: Decimal(v) for n, v in zip(names, values, strict=True)}
        out[name] = figures
    return out


def raw_slice_totals(
    conn: psycopg2.extensions.connection, company: str, slices: dict[str, list[str]]
) -> SliceFigures:
    """The figures of ``slices`` of ``company`` in ``raw`` (same shape as ``Source.slice_totals``)."""
    with conn.cursor() as cur:
        return read_slice_totals(cur, company, slices, raw_table)


def slice_metric(table_name: str, metric: str, key: str) -> str:
    """``rows:value_entry[2026-12-03]``, ``cost_amount_actual[2026-12-03]``; a whole table keeps the
    company-wide name (``rows:item``)."""
    base = f"rows:{table_name}" if metric == "rows" else metric
    return base if key == WHOLE else f"{base}[{key or 'no date'}]"


def compare_slices(source: SliceFigures, raw: SliceFigures) -> list[ControlCheck]:
    """The checks of every slice figure present on both sides."""
    checks = []
    for name, raw_slices in raw.items():
        for key, figures in sorted(raw_slices.items()):
            theirs = source.get(name, {}).get(key)
            if theirs is None:
                continue
            checks.extend(
                ControlCheck(slice_metric(name, metric, key), Decimal(theirs[metric]), value)
                for metric, value in figures.items()
                if metric in theirs
            )
    return checks

"""Read a report's rows and its group and report totals from the warehouse.

Totals are summed by PostgreSQL (``group by rollup``) over exactly the detail rows, so the printed
totals are the marts' numbers, not a re-computation in Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import psycopg2.extensions
from psycopg2 import sql

from costclose.period import Period
from costclose.report.spec import ReportSpec

Row = dict[str, Any]
GroupKey = tuple[str, ...]


@dataclass(frozen=True)
class ReportData:
    """A report's detail rows (sorted as BC prints them) and its totals.

    ``totals`` maps a group key to the summed columns: ``("RESALE",)`` is the RESALE group,
    ``("Sales", "RESALE")`` a nested group, ``()`` the report total.
    """

    spec: ReportSpec
    rows: list[Row]
    totals: dict[GroupKey, dict[str, Decimal]] = field(default_factory=dict)

    def total(self, key: GroupKey = ()) -> dict[str, Decimal]:
        return self.totals.get(key, {c.name: Decimal(0) for c in self.spec.summed_columns})


def params(company: str, period: Period) -> dict[str, Any]:
    return {"company": company, "period_start": period.start, "period_end": period.end}


def _dicts(cur: psycopg2.extensions.cursor) -> list[Row]:
    names = [d.name for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _totals_query(spec: ReportSpec) -> sql.Composed:
    sums = sql.SQL(", ").join(
        sql.SQL("coalesce(sum({c}), 0) as {c}").format(c=sql.Identifier(c.name)) for c in spec.summed_columns
    )
    where = sql.SQL("where {}").format(spec.total_filter) if spec.total_filter is not None else sql.SQL("")
    if not spec.group_by:
        return sql.SQL("select {sums} from ({q}) as detail {where}").format(
            sums=sums, q=spec.query, where=where
        )
    groups = [sql.Identifier(g) for g in spec.group_by]
    return sql.SQL(
        "select {groups}, {rolled}, {sums} from ({q}) as detail {where} group by rollup ({groups})"
    ).format(
        groups=sql.SQL(", ").join(groups),
        rolled=sql.SQL(", ").join(
            sql.SQL("grouping({}) as {}").format(g, sql.Identifier(f"_rolled_{i}"))
            for i, g in enumerate(groups)
        ),
        sums=sums,
        q=spec.query,
        where=where,
    )


def load_report(
    conn: psycopg2.extensions.connection, spec: ReportSpec, company: str, period: Period
) -> ReportData:
    """The report's rows for ``company`` and ``period``, with its totals."""
    p = params(company, period)
    with conn.cursor() as cur:
        cur.execute(spec.query, p)
        rows = _dicts(cur)
        if not spec.summed_columns:
            return ReportData(spec, rows)
        cur.execute(_totals_query(spec), p)
        totals: dict[GroupKey, dict[str, Decimal]] = {}
        for rec in _dicts(cur):
            key: list[str] = []
            for i, g in enumerate(spec.group_by):
                if rec[f"_rolled_{i}"]:
                    break
                key.append(rec[g])
            totals[tuple(key)] = {c.name: rec[c.name] for c in spec.summed_columns}
    return ReportData(spec, rows, totals)

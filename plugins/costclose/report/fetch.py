"""Read a report from the warehouse: its lines as a stream, its totals and the page's largest lines.

Nothing here holds a report's lines in memory: the CSV and the workbook consume :func:`stream` (a
server-side cursor, ``ITERSIZE`` rows at a time), and the page gets :func:`load_report`'s totals and
counts (summed by PostgreSQL with ``group by rollup``, over exactly the detail rows, so the printed
totals are the marts' numbers) and only the ``page_rows`` largest entries of each group.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import psycopg2.extensions
from psycopg2 import sql

from costclose.period import Period
from costclose.report.spec import ReportSpec

Row = dict[str, Any]
GroupKey = tuple[str, ...]

# Rows per round trip of a server-side cursor: the only lines of a report in memory at a time.
ITERSIZE = 2000
# Entries per group (and per account, journal, skipped entries) that index.html shows; the files hold all.
PAGE_ROWS = 25

_cursor_ids = itertools.count()


@dataclass(frozen=True)
class ReportData:
    """A report's totals and line counts per group, and the page's largest entries per group.

    ``totals`` maps a group key to the summed columns: ``("RESALE",)`` is the RESALE group,
    ``("Sales", "RESALE")`` a nested group, ``()`` the report total. ``counts`` maps the same keys to
    the number of entries (``spec.entity_label``: Cost Spec.'s items are its Total lines). ``top``
    holds, per innermost group, the ``page_rows`` largest entries (``spec.weight``), sorted by group
    and then largest first.
    """

    spec: ReportSpec
    top: list[Row]
    totals: dict[GroupKey, dict[str, Decimal]] = field(default_factory=dict)
    counts: dict[GroupKey, int] = field(default_factory=dict)
    page_rows: int = PAGE_ROWS

    def total(self, key: GroupKey = ()) -> dict[str, Decimal]:
        return self.totals.get(key, {c.name: Decimal(0) for c in self.spec.summed_columns})

    def count(self, key: GroupKey = ()) -> int:
        return self.counts.get(key, 0)

    @property
    def is_empty(self) -> bool:
        return self.count() == 0

    def groups(self) -> list[tuple[GroupKey, list[Row]]]:
        """The innermost groups (all of them, also those without a shown line) with their shown lines."""
        depth = len(self.spec.group_by)
        shown: dict[GroupKey, list[Row]] = {}
        for r in self.top:
            shown.setdefault(tuple(r[g] for g in self.spec.group_by), []).append(r)
        keys = sorted(k for k in self.counts if len(k) == depth)
        return [(k, shown.get(k, [])) for k in keys]

    def shown(self, lines: list[Row]) -> int:
        """How many entries (not lines: a Cost Spec. item has several) ``lines`` are."""
        return len({r["_page_rank"] for r in lines})


def params(company: str, period: Period) -> dict[str, Any]:
    return {"company": company, "period_start": period.start, "period_end": period.end}


def _dicts(cur: psycopg2.extensions.cursor) -> list[Row]:
    names = [d.name for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def stream(
    conn: psycopg2.extensions.connection,
    query: sql.Composable | str,
    query_params: dict[str, Any] | tuple[Any, ...],
    itersize: int = ITERSIZE,
) -> Iterator[Row]:
    """The rows of ``query`` as dicts, through a server-side (named) cursor: memory does not grow with
    the number of rows. Consume it completely (or close it) before the connection's next commit."""
    with conn.cursor(name=f"costclose_pack_{next(_cursor_ids)}") as cur:
        cur.itersize = itersize
        cur.execute(query, query_params)
        names: list[str] | None = None
        for rec in cur:
            if names is None:
                names = [d.name for d in cur.description]
            yield dict(zip(names, rec, strict=True))


def stream_report(
    conn: psycopg2.extensions.connection, spec: ReportSpec, company: str, period: Period
) -> Iterator[Row]:
    """Every line of the report, sorted as BC prints it."""
    return stream(conn, spec.query, params(company, period))


def _totals_query(spec: ReportSpec) -> sql.Composed:
    sums = sql.SQL(", ").join(
        [
            *(
                sql.SQL("coalesce(sum({c}), 0) as {c}").format(c=sql.Identifier(c.name))
                for c in spec.summed_columns
            ),
            sql.SQL("count(*) as _entries"),
        ]
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


def _top_query(spec: ReportSpec) -> sql.Composed:
    """Per innermost group, the ``%(page_rows)s`` entries of largest ``spec.weight`` (all their lines)."""
    groups = [sql.Identifier(g) for g in spec.group_by]
    entity = [sql.Identifier(e) for e in spec.entity]
    partition = sql.SQL("partition by {}").format(sql.SQL(", ").join(groups)) if groups else sql.SQL("")
    order = sql.SQL(", ").join(
        [*groups, sql.Identifier("_page_rank"), *(sql.Identifier(w) for w in spec.within)]
    )
    return sql.SQL(
        """
        select * from (
            select weighted.*,
                dense_rank() over ({partition} order by _weight desc nulls last, {entity}) as _page_rank
            from (select detail.*, {weight} as _weight from ({q}) as detail) as weighted
        ) as ranked
        where _page_rank <= %(page_rows)s
        order by {order}
        """
    ).format(
        partition=partition,
        entity=sql.SQL(", ").join(entity),
        weight=spec.weight,
        q=spec.query,
        order=order,
    )


def load_report(
    conn: psycopg2.extensions.connection,
    spec: ReportSpec,
    company: str,
    period: Period,
    page_rows: int = PAGE_ROWS,
) -> ReportData:
    """The report's totals and counts for ``company`` and ``period``, and the page's largest entries."""
    p = params(company, period)
    totals: dict[GroupKey, dict[str, Decimal]] = {}
    counts: dict[GroupKey, int] = {}
    with conn.cursor() as cur:
        cur.execute(_totals_query(spec), p)
        for rec in _dicts(cur):
            key: list[str] = []
            for i, g in enumerate(spec.group_by):
                if rec[f"_rolled_{i}"]:
                    break
                key.append(rec[g])
            totals[tuple(key)] = {c.name: rec[c.name] for c in spec.summed_columns}
            counts[tuple(key)] = int(rec["_entries"])
        cur.execute(_top_query(spec), {**p, "page_rows": page_rows})
        top = _dicts(cur)
    return ReportData(spec, top, totals, counts, page_rows)

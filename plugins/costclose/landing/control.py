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
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
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
        for table in tables:
            cur.execute(
                sql.SQL("select count(*) from {} where company = %s").format(raw_table(table)), (company,)
            )
            totals["row_counts"][table.name] = int(cur.fetchone()[0])
        for metric, (table, column) in SUMS.items():
            if table not in tables:
                continue
            cur.execute(
                sql.SQL("select coalesce(sum({}), 0) from {} where company = %s").format(
                    sql.Identifier(column), raw_table(table)
                ),
                (company,),
            )
            totals[metric] = Decimal(cur.fetchone()[0])
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

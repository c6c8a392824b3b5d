"""Writing the engine's rows to schema ``bc`` with COPY, batch by batch."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from typing import Any

from psycopg2 import sql
from psycopg2.extensions import connection, cursor

from costclose.demo_erp.bulk import copy_rows
from costclose.demo_erp.costing import CLE_COLUMNS, IAE_COLUMNS, ILE_COLUMNS, VE_COLUMNS, Ledger
from costclose.demo_erp.schema import SCHEMA

Rows = list[tuple[Any, ...]]


def flush(conn: connection, ledger: Ledger) -> tuple[int, int] | None:
    """COPY the value/application/capacity entries made since the last flush; returns (first, last) VE no."""
    return write_entries(conn, *ledger.drain())


# Rows per COPY statement: ``copy_rows`` renders its rows into one in-memory CSV buffer first, so a
# batch of 50,000 value entries as one COPY held tens of MiB of text at once; slices bound that buffer.
COPY_SLICE = 5_000


def _copy_sliced(cur: cursor, table: str, columns: list[str], rows: Sequence[tuple[Any, ...]]) -> int:
    return sum(
        copy_rows(cur, SCHEMA, table, columns, rows[i : i + COPY_SLICE])
        for i in range(0, len(rows), COPY_SLICE)
    )


def write_entries(conn: connection, ves: Rows, iaes: Rows, cles: Rows) -> tuple[int, int] | None:
    """COPY drained value, application and capacity entry rows; returns (first, last) VE no."""
    with conn.cursor() as cur:
        _copy_sliced(cur, "value_entry", VE_COLUMNS, ves)
        _copy_sliced(cur, "item_application_entry", IAE_COLUMNS, iaes)
        _copy_sliced(cur, "capacity_ledger_entry", CLE_COLUMNS, cles)
    if not ves:
        return None
    nos = [row[1] for row in ves]
    return min(nos), max(nos)


def write_item_ledger(conn: connection, ledger: Ledger) -> int:
    """Upsert the item ledger entries that are new or changed since the last call."""
    return upsert_item_ledger(conn, ledger.ile_rows(changed_only=True))


def upsert_item_ledger(conn: connection, rows: Iterable[tuple[Any, ...]]) -> int:
    """Upsert item ledger entry rows (COPY into a temp table, then merge).

    Rows whose values did not change are left alone, so their row version stays put.
    """
    cols = ILE_COLUMNS
    with conn.cursor() as cur:
        cur.execute("create temp table _ile (like bc.item_ledger_entry including defaults) on commit drop")
        n, it = 0, iter(rows)
        while chunk := list(itertools.islice(it, COPY_SLICE)):
            n += copy_rows(cur, "pg_temp", "_ile", cols, chunk)
        updates = sql.SQL(", ").join(
            sql.SQL("{} = excluded.{}").format(sql.Identifier(c), sql.Identifier(c)) for c in cols[2:]
        )
        changed = sql.SQL(" or ").join(
            sql.SQL("t.{} is distinct from excluded.{}").format(sql.Identifier(c), sql.Identifier(c))
            for c in cols[2:]
        )
        cur.execute(
            sql.SQL(
                "insert into bc.item_ledger_entry as t ({cols}) select {cols} from _ile "
                "on conflict (company, entry_no) do update set {updates} where {changed}"
            ).format(cols=sql.SQL(", ").join(map(sql.Identifier, cols)), updates=updates, changed=changed)
        )
        cur.execute("drop table _ile")
    return n

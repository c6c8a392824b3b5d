"""Writing the engine's rows to schema ``bc`` with COPY, batch by batch.

The seeder hands its batches to a background writer (``simulate``). A batch waiting there used to be
its rows as Python tuples (about 1 KiB a value entry with its Decimals); ``spool_entries`` and
``spool_item_ledger`` render a batch into temporary files as soon as it leaves the engine, so batches
in flight hold disk, not memory, and ``write_spooled`` / ``upsert_item_ledger_file`` stream them in.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import IO, Any

from psycopg2 import sql
from psycopg2.extensions import connection, cursor

from costclose.demo_erp.bulk import CsvSpool, copy_file, copy_rows, spool_rows
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


_ENTRY_TABLES = (
    ("value_entry", VE_COLUMNS),
    ("item_application_entry", IAE_COLUMNS),
    ("capacity_ledger_entry", CLE_COLUMNS),
)


@dataclass
class SpooledEntries:
    """A drained batch of value, application and capacity entries rendered into temporary files."""

    files: list[tuple[IO[str], int]]  # (file, rows) per table of ``_ENTRY_TABLES``
    span: tuple[int, int] | None  # (first, last) value entry no, None without value entries

    def close(self) -> None:
        for data, _ in self.files:
            data.close()


def spool_entries(ves: Rows, iaes: Rows, cles: Rows) -> SpooledEntries:
    """Render drained rows into temporary files; the rows themselves can then be dropped."""
    span = (min(r[1] for r in ves), max(r[1] for r in ves)) if ves else None
    files: list[tuple[IO[str], int]] = []
    try:
        files.extend(spool_rows(rows) for rows in (ves, iaes, cles))
    except BaseException:
        SpooledEntries(files, None).close()
        raise
    return SpooledEntries(files, span)


class EntrySpool:
    """A batch of value, application and capacity entries being built on disk, slice by slice.

    The seeder's ``Ledger.spill`` appends here every few thousand value entries, so a batch (a G/L
    register in months with Automatic Cost Posting; Adjust Cost adds a whole month's adjustments to the
    month's last one) never waits in memory as tuples; ``finish`` hands it to ``write_spooled``.
    """

    def __init__(self) -> None:
        self._spools = [CsvSpool() for _ in _ENTRY_TABLES]
        self.ve_rows = 0
        self._span: tuple[int, int] | None = None

    def add(self, ves: Rows, iaes: Rows, cles: Rows) -> None:
        if ves:
            first, last = min(r[1] for r in ves), max(r[1] for r in ves)
            if self._span is not None:
                first, last = min(first, self._span[0]), max(last, self._span[1])
            self._span = (first, last)
            self.ve_rows += len(ves)
        for spool, rows in zip(self._spools, (ves, iaes, cles), strict=True):
            spool.write(rows)

    def finish(self) -> SpooledEntries:
        return SpooledEntries([spool.rewind() for spool in self._spools], self._span)


def write_spooled(conn: connection, batch: SpooledEntries) -> tuple[int, int] | None:
    """COPY a spooled batch (then close its files); returns (first, last) VE no like ``write_entries``."""
    try:
        with conn.cursor() as cur:
            for (table, columns), (data, n) in zip(_ENTRY_TABLES, batch.files, strict=True):
                if n:
                    copy_file(cur, SCHEMA, table, columns, data)
    finally:
        batch.close()
    return batch.span


def write_item_ledger(conn: connection, ledger: Ledger) -> int:
    """Upsert the item ledger entries that are new or changed since the last call."""
    return upsert_item_ledger(conn, ledger.ile_rows(changed_only=True))


def spool_item_ledger(rows: Iterable[tuple[Any, ...]]) -> tuple[IO[str], int]:
    """Render item ledger entry rows (``Ledger.ile_rows``) into a temporary file.

    For ``upsert_item_ledger_file``; the rows are rendered now, so the file holds their state of now.
    """
    return spool_rows(rows)


def _merge_item_ledger(cur: cursor) -> None:
    """Merge temp table ``_ile`` into ``bc.item_ledger_entry``; unchanged rows keep their row version."""
    cols = ILE_COLUMNS
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


_CREATE_ILE = "create temp table _ile (like bc.item_ledger_entry including defaults) on commit drop"


def upsert_item_ledger(conn: connection, rows: Iterable[tuple[Any, ...]]) -> int:
    """Upsert item ledger entry rows (COPY into a temp table, then merge).

    Rows whose values did not change are left alone, so their row version stays put.
    """
    with conn.cursor() as cur:
        cur.execute(_CREATE_ILE)
        n, it = 0, iter(rows)
        while chunk := list(itertools.islice(it, COPY_SLICE)):
            n += copy_rows(cur, "pg_temp", "_ile", ILE_COLUMNS, chunk)
        _merge_item_ledger(cur)
    return n


def upsert_item_ledger_file(conn: connection, spooled: tuple[IO[str], int]) -> int:
    """``upsert_item_ledger`` from rows spooled by ``spool_item_ledger`` (the file is closed after)."""
    data, n = spooled
    try:
        with conn.cursor() as cur:
            cur.execute(_CREATE_ILE)
            if n:
                copy_file(cur, "pg_temp", "_ile", ILE_COLUMNS, data)
            _merge_item_ledger(cur)
    finally:
        data.close()
    return n

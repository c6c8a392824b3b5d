"""bc2adls's consolidation for control totals, kept on disk so a nightly run only reads new delta files.

One SQLite file per (bc2adls folder, company) holds, per table and SystemId, the latest version seen
(``timestamp-0``, whether it is a delete marker, up to three amounts as text, and the row's slice key:
its posting date or G/L entry block, as ``costclose.landing.control`` cuts raw) and which delta files
have been folded in. ``latest`` is updated the way bc2adls consolidates: a newer
``timestamp-0`` wins, and on a tie a delete marker wins (on a full tie the version folded in first
stays). Memory stays bounded at any row count.

Versions are folded in set-wise: ``add`` appends them to a temporary ``pending`` table (no index), and
``flush`` merges it into ``latest`` in one statement, in key order. SystemIds are random, so upserting
each batch straight into ``latest``'s B-tree touched a random page per row: from 4 us per row on an
empty cache to 28 us at 2.5 million rows (the SQLite page cache holds 64 MiB of a table that grows
by ~100 bytes a row), which made the bc2adls load slow down with the size of the company.

Slices (dbt_project/DECISIONLOG.md 21): a partial index per table on (slice, amounts) of its live rows
lets ``figures`` total one posting date from that date's index entries only, so a nightly load
compares the dates it changed without reading the history. It is built by one sort when a slice is
first asked for after the table was folded in from nothing, not kept up while a first load folds
millions of rows in SystemId order (a random index page per row). An update that moves a row to another
date moves its index entry; a delete marker takes the row out of the index (and of every total). A
cache written before slices were kept (``user_version`` 0 with rows) is started over when opened:
every delta file is folded in again once, with slice keys (a cache without them cannot total a slice,
and guessing one from raw would compare raw with itself).
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import sqlite3
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

# (system_id, timestamp, deleted 0/1, amount0, amount1, amount2, slice key; None: unsliced table or a delete)
Version = tuple[str, int, int, str | None, str | None, str | None, str | None]

# ``pragma user_version`` of the file layout: 1 = ``latest`` has ``slice`` (slice indexes built on demand)
LAYOUT_VERSION = 1
# amounts that count in a sum (the COPY text of NULL, ``\N``, and a missing column do not)
_COUNTED = "a{i} is not null and a{i} <> '\\N'"


def cache_file(folder: Path, source_key: str, company: str) -> Path:
    digest = hashlib.sha256(f"{source_key}|{company}".encode()).hexdigest()[:24]
    return folder / f"{digest}.sqlite"


class ConsolidationCache:
    """The cached latest version per (table, SystemId) of one company in one bc2adls folder."""

    # Versions waiting in ``pending`` before ``add`` merges them (bounds the temporary space of a sort).
    FLUSH_AT = 4_000_000
    CHUNK = 50_000

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = self._open(path)
        self._pending = 0
        self._pending_table = ""

    @staticmethod
    def _connect(path: Path) -> sqlite3.Connection:
        db = sqlite3.connect(path, timeout=60)
        db.executescript(
            "pragma journal_mode = wal; pragma synchronous = normal; pragma cache_size = -65536;"
        )
        return db

    def _open(self, path: Path) -> sqlite3.Connection:
        db = self._connect(path)
        version = int(db.execute("pragma user_version").fetchone()[0])
        old = db.execute("select 1 from sqlite_master where name = 'latest'").fetchone() is not None
        if old and version < LAYOUT_VERSION:
            # written before slice keys were kept: fill them by folding every delta file in again
            log.warning(
                "The bc2adls totals cache %s predates slice keys: starting it over; the next control "
                "totals read every delta file once to rebuild it",
                path,
            )
            db.close()
            for suffix in ("", "-wal", "-shm"):
                path.with_name(path.name + suffix).unlink(missing_ok=True)
            db = self._connect(path)
        db.executescript(
            "create table if not exists seen_file (path text primary key, size integer not null); "
            "create table if not exists latest (table_name text, system_id text, ts integer, "
            "deleted integer, a0 text, a1 text, a2 text, slice text, "
            "primary key (table_name, system_id)) without rowid;"
            f"pragma user_version = {LAYOUT_VERSION};"
            # versions of one table (``_pending_table``); rowid = the order they were added in: on a full
            # tie the first one stays
            "create temp table pending (system_id text, ts integer, deleted integer, "
            "a0 text, a1 text, a2 text, slice text);"
        )
        return db

    def close(self) -> None:
        self.flush()
        self.db.commit()
        self.db.close()

    def flush(self) -> None:
        """Merge the pending versions into ``latest``, in key order (one pass over its B-tree)."""
        if not self._pending:
            return
        # ``where true``: SQLite's parser needs it before an upsert's ``on conflict`` after a select
        self.db.execute(
            "insert into latest select ?, system_id, ts, deleted, a0, a1, a2, slice from pending "
            "where true order by system_id, rowid "
            "on conflict (table_name, system_id) do update set ts = excluded.ts, "
            "deleted = excluded.deleted, a0 = excluded.a0, a1 = excluded.a1, a2 = excluded.a2, "
            "slice = excluded.slice "
            "where excluded.ts > latest.ts "
            "or (excluded.ts = latest.ts and excluded.deleted > latest.deleted)",
            (self._pending_table,),
        )
        self.db.execute("delete from pending")
        self._pending = 0

    def seen_sizes(self, folder_prefix: str) -> dict[str, int]:
        """Size of every folded-in file whose path starts with ``folder_prefix``."""
        rows = self.db.execute(
            "select path, size from seen_file where substr(path, 1, length(?)) = ?",
            (folder_prefix, folder_prefix),
        )
        return {path: int(size) for path, size in rows}

    def forget(self, table_name: str, folder_prefix: str) -> None:
        """Start the table over (a folded-in file changed)."""
        self.flush()
        # refolding every file into an index costs a random B-tree page per row; one sort afterwards
        # (``_slice_index``) does not
        self.db.execute(f"drop index if exists {_index_name(table_name)}")
        self.db.execute("delete from latest where table_name = ?", (table_name,))
        self.db.execute(
            "delete from seen_file where substr(path, 1, length(?)) = ?", (folder_prefix, folder_prefix)
        )
        self.db.commit()

    def add(self, table_name: str, versions: Iterable[Version]) -> None:
        """Fold ``versions`` in (in the order given; merged into ``latest`` by ``flush``).

        Taken in chunks: ``versions`` may be a whole file's, and may itself use the connection
        (``bc2adls_reset.supersede``), which it must not do while ``executemany`` iterates over it.
        """
        it = iter(versions)
        while chunk := list(itertools.islice(it, self.CHUNK)):
            if table_name != self._pending_table:
                self.flush()
                self._pending_table = table_name
            self.db.executemany("insert into pending values (?, ?, ?, ?, ?, ?, ?)", chunk)
            self._pending += len(chunk)
            if self._pending >= self.FLUSH_AT:
                self.flush()

    def mark_seen(self, path: str, size: int) -> None:
        self.flush()
        self.db.execute("insert or replace into seen_file values (?, ?)", (path, size))
        self.db.commit()

    def live_amounts(self, table_name: str) -> Iterator[tuple[Any, ...]]:
        """(a0, a1, a2) of every row that is alive after consolidation."""
        self.flush()
        return iter(
            self.db.execute(
                "select a0, a1, a2 from latest where table_name = ? and deleted = 0", (table_name,)
            )
        )

    def figures(self, table_name: str, amounts: int, key: str | None = None) -> list[Any]:
        """[live rows, sum of a0, ...] of the table (``key``: of that slice only), ``amounts`` sums.

        Rows are counted by SQLite; each amount column is summed exactly, as ``Decimal``, by
        ``sum(map(Decimal, ...))`` over a query of its own (no Python work per row of a table without
        amounts). A slice's figures are read from its entries of the slice index alone."""
        self.flush()
        live = "from latest where table_name = ? and deleted = 0"
        params: tuple[str, ...] = (table_name,)
        if key is not None:
            self._slice_index(table_name)
            # the table name as a literal: SQLite uses a partial index only for a term equal to its own
            live = f"from latest where table_name = {_literal(table_name)} and deleted = 0 and slice = ?"
            params = (key,)
        out: list[Any] = [int(self.db.execute(f"select count(*) {live}", params).fetchone()[0])]
        for i in range(amounts):
            texts = self.db.execute(f"select a{i} {live} and {_COUNTED.format(i=i)}", params)
            out.append(sum(map(Decimal, itertools.chain.from_iterable(texts)), Decimal(0)))
        return out

    def _slice_index(self, table_name: str) -> None:
        """Create the table's slice index if it is missing (a new cache, or the table started over).

        One partial index per table, on (slice, amounts) of its live rows: a slice is totalled from its
        own entries. Built by one sort after a table is folded in from nothing (a first load, a
        rebuild), then kept up to date by every merge (``deleted`` is an index column too: SQLite
        counts an index as covering only by its columns)."""
        name = _index_name(table_name)
        if self.db.execute("select 1 from sqlite_master where name = ?", (name,)).fetchone():
            return
        log.info("Building the bc2adls totals cache's slice index of %s (once)", table_name)
        self.db.execute(
            f"create index {name} on latest (slice, deleted, a0, a1, a2) "
            f"where table_name = {_literal(table_name)} and deleted = 0 and slice is not null"
        )
        self.db.commit()


def _index_name(table_name: str) -> str:
    if not table_name.isidentifier():
        raise ValueError(f"not a table name: {table_name!r}")
    return f"latest_slice_{table_name}"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"

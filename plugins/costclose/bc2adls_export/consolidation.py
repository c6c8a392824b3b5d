"""bc2adls's consolidation for control totals, kept on disk so a nightly run only reads new delta files.

One SQLite file per (bc2adls folder, company) holds, per table and SystemId, the latest version seen
(``timestamp-0``, whether it is a delete marker, and up to three amounts as text) and which delta
files have been folded in. ``latest`` is updated the way bc2adls consolidates: a newer
``timestamp-0`` wins, and on a tie a delete marker wins. Memory stays bounded at any row count.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

# (system_id, timestamp, deleted 0/1, amount0, amount1, amount2)
Version = tuple[str, int, int, str | None, str | None, str | None]


def cache_file(folder: Path, source_key: str, company: str) -> Path:
    digest = hashlib.sha256(f"{source_key}|{company}".encode()).hexdigest()[:24]
    return folder / f"{digest}.sqlite"


class ConsolidationCache:
    """The cached latest version per (table, SystemId) of one company in one bc2adls folder."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, timeout=60)
        self.db.executescript(
            "pragma journal_mode = wal; pragma synchronous = normal; pragma cache_size = -65536; "
            "create table if not exists seen_file (path text primary key, size integer not null); "
            "create table if not exists latest (table_name text, system_id text, ts integer, "
            "deleted integer, a0 text, a1 text, a2 text, primary key (table_name, system_id)) without rowid;"
        )

    def close(self) -> None:
        self.db.commit()
        self.db.close()

    def seen_sizes(self, folder_prefix: str) -> dict[str, int]:
        """Size of every folded-in file whose path starts with ``folder_prefix``."""
        rows = self.db.execute(
            "select path, size from seen_file where substr(path, 1, length(?)) = ?",
            (folder_prefix, folder_prefix),
        )
        return {path: int(size) for path, size in rows}

    def forget(self, table_name: str, folder_prefix: str) -> None:
        """Start the table over (a folded-in file changed)."""
        self.db.execute("delete from latest where table_name = ?", (table_name,))
        self.db.execute(
            "delete from seen_file where substr(path, 1, length(?)) = ?", (folder_prefix, folder_prefix)
        )
        self.db.commit()

    def add(self, table_name: str, versions: Iterable[Version]) -> bool:
        """Fold ``versions`` in; True when none of their SystemIds was in the cache before.

        The versions of one call must name each SystemId once (the reader keeps the latest per batch).
        New SystemIds are inserted first (``insert or ignore``, the cheap case of a first load); only
        when some were known already do all versions go through the consolidating upsert.
        """
        rows = [(table_name, *v) for v in versions]
        before = self.db.total_changes
        self.db.executemany("insert or ignore into latest values (?, ?, ?, ?, ?, ?, ?)", rows)
        if self.db.total_changes - before == len(rows):
            return True
        self.db.executemany(
            "insert into latest values (?, ?, ?, ?, ?, ?, ?) "
            "on conflict (table_name, system_id) do update set ts = excluded.ts, "
            "deleted = excluded.deleted, a0 = excluded.a0, a1 = excluded.a1, a2 = excluded.a2 "
            "where excluded.ts > latest.ts "
            "or (excluded.ts = latest.ts and excluded.deleted > latest.deleted)",
            rows,
        )
        return False

    def mark_seen(self, path: str, size: int) -> None:
        self.db.execute("insert or replace into seen_file values (?, ?)", (path, size))
        self.db.commit()

    def live_amounts(self, table_name: str) -> Iterator[tuple[Any, ...]]:
        """(a0, a1, a2) of every row that is alive after consolidation."""
        return iter(
            self.db.execute(
                "select a0, a1, a2 from latest where table_name = ? and deleted = 0", (table_name,)
            )
        )

"""Table resets in a bc2adls folder: ``_full`` delta files and Fabric's ``reset/<Entity>.txt`` markers.

bc2adls (../shared/spec/bc-interfaces.md §1.2, §1.6) marks a table reset in two ways:

* with setup "Distinguish full and incremental exports" (field 110) every delta file is named
  ``<guid>_full.csv`` or ``<guid>_incremental.csv``; a ``_full`` file is the first export after a reset:
  every live row of the company's table, in ``timestamp-0`` order, and no delete markers (the reset
  empties bc2adls's deleted-record log, so deletions made before it are never sent);
* with the Microsoft Fabric storage type the reset writes ``Files/reset/<Entity>.txt`` (an empty JSON
  object); the Fabric notebook then drops the table before loading the delta files present.

This module holds the pieces of those rules the ``bc2adls:`` reader needs: which files a ``_full``
file supersedes for a company, the marker's version (``fsspec``'s ``ukey``: a rewritten marker is a new
reset), and the bc2adls consolidation of a ``_full`` file in the totals cache. The decision on what a
``_full`` file means for rows not in it is dbt_project/DECISIONLOG.md §19.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from costclose.bc2adls_export import format as fmt
from costclose.bc2adls_export.consolidation import ConsolidationCache, Version

log = logging.getLogger(__name__)

FULL_SUFFIX = "_full.csv"
INCREMENTAL_SUFFIX = "_incremental.csv"
RESET_FOLDER = "reset"
# Enough of a file's end to hold its last line (bc2adls lines are far shorter).
_TAIL_BYTES = 1 << 20
_ID_CHUNK = 50_000


def is_full(path: str) -> bool:
    return path.endswith(FULL_SUFFIX)


def marker_path(root: str, entity: str) -> str:
    return f"{root}/{RESET_FOLDER}/{entity}.txt"


def marker_version(fs: Any, root: str, entity: str) -> str | None:
    """The version of the table's Fabric reset marker (None: there is none).

    ``ukey`` hashes the file's listing (modified time / etag and size): bc2adls rewriting the marker
    at a later reset gives a new version, so each reset is handled once per company.
    """
    path = marker_path(root, entity)
    if not fs.exists(path):
        return None
    return str(fs.ukey(path))


@dataclass(frozen=True)
class Head:
    """``timestamp-0`` and ``$Company`` of a delta file's first well-formed data line."""

    first_ts: int
    company: str | None


def _row_fields(names: list[str], line: str) -> list[str] | None:
    match = fmt.line_pattern(len(names)).match(line)
    return None if match is None else fmt.split_fields(match, len(names))


def read_head(fs: Any, path: str) -> Head:
    with fs.open(path, "rb") as f:
        names = f.readline().decode("utf-8", errors="replace").rstrip("\r\n").split(",")
        first = f.readline().decode("utf-8", errors="replace").rstrip("\r\n")
    if fmt.TIMESTAMP not in names:
        return Head(0, None)
    fields = _row_fields(names, first)
    if fields is None:
        return Head(0, None)
    company = fields[names.index(fmt.COMPANY_COLUMN)] if fmt.COMPANY_COLUMN in names else None
    try:
        return Head(int(fields[names.index(fmt.TIMESTAMP)]), company)
    except ValueError:
        return Head(0, company)


def last_timestamp(fs: Any, path: str) -> int:
    """``timestamp-0`` of the file's last well-formed line: bc2adls writes rows in timestamp order, so
    for a ``_full`` file this is the export's watermark (every later export starts above it)."""
    size = int(fs.size(path))
    with fs.open(path, "rb") as f:
        names = f.readline().decode("utf-8", errors="replace").rstrip("\r\n").split(",")
        start = max(f.tell(), size - _TAIL_BYTES)
        f.seek(start)
        tail = f.read().decode("utf-8", errors="replace")
    if fmt.TIMESTAMP not in names:
        return 0
    at = names.index(fmt.TIMESTAMP)
    lines = tail.split("\n")
    if start > 0:
        lines = lines[1:]  # the first piece may be the end of a line cut by the seek
    for line in reversed(lines):
        fields = _row_fields(names, line.rstrip("\r"))
        if fields is not None:
            try:
                return int(fields[at])
            except ValueError:
                continue
    return 0


@dataclass
class Plan:
    """Which delta files count for one company, in load order.

    ``full``: the company's latest ``_full`` file (relative path) and its last ``timestamp-0``; every
    other file whose rows start at or below that timestamp was written before the reset and is
    ``superseded`` for this company.
    """

    ordered: list[str]
    superseded: set[str] = field(default_factory=set)
    full: str | None = None
    full_last_ts: int = 0


def plan(fs: Any, paths: list[str], company: str, rel: Any, done: set[str]) -> Plan:
    """The load order of ``paths`` for ``company``: by first ``timestamp-0`` (the order bc2adls wrote
    them), without the files the company's latest ``_full`` file supersedes.

    Heads are read of the ``_full`` files and the files not yet loaded (``done`` lists loaded ones).
    """
    fulls = [p for p in paths if is_full(p)]
    heads = {p: read_head(fs, p) for p in paths if is_full(p) or rel(p) not in done}
    mine = [p for p in fulls if heads[p].company == company]
    if not mine:
        pending = [p for p in paths if rel(p) not in done]
        return Plan(sorted(pending, key=lambda p: (heads[p].first_ts, p)))
    lasts = {p: last_timestamp(fs, p) for p in mine}
    full = max(mine, key=lambda p: (lasts[p], p))
    cut = lasts[full]
    superseded = {rel(p) for p in paths if p != full and p in heads and heads[p].first_ts <= cut}
    pending = [p for p in paths if rel(p) not in done and rel(p) not in superseded]
    return Plan(sorted(pending, key=lambda p: (heads[p].first_ts, p)), superseded, rel(full), cut)


def supersede(
    cache: ConsolidationCache, table_name: str, versions: Iterable[Version], last_ts: int
) -> Iterator[Version]:
    """Pass ``versions`` (a ``_full`` file's) through; once they are all through, mark deleted every
    row of the table not among them whose latest version is not newer than the ``_full`` export.

    The ids go through a temporary SQLite table, so memory does not grow with the file.
    """
    db = cache.db
    db.execute("create temp table if not exists full_ids (system_id text primary key) without rowid")
    db.execute("delete from full_ids")
    chunk: list[tuple[str]] = []
    for version in versions:
        chunk.append((version[0],))
        if len(chunk) >= _ID_CHUNK:
            db.executemany("insert or ignore into full_ids values (?)", chunk)
            chunk = []
        yield version
    db.executemany("insert or ignore into full_ids values (?)", chunk)
    cache.flush()  # the versions of the files before this one, still pending
    gone = db.execute(
        "update latest set deleted = 1, a0 = null, a1 = null, a2 = null where table_name = ? "
        "and deleted = 0 and ts <= ? and system_id not in (select system_id from full_ids)",
        (table_name, last_ts),
    ).rowcount
    db.commit()
    if gone:
        log.info("%s: %d rows not in the _full export are gone (superseded)", table_name, gone)


def snapshot_ids(cache: ConsolidationCache, table_name: str) -> None:
    """Remember every SystemId the cache knows for the table (before a reset forgets them)."""
    cache.flush()
    db = cache.db
    db.execute("create temp table if not exists before_reset (system_id text primary key) without rowid")
    db.execute("delete from before_reset")
    db.execute("insert into before_reset select system_id from latest where table_name = ?", (table_name,))


def ids_to_drop(cache: ConsolidationCache, table_name: str) -> list[str]:
    """SystemIds to delete from raw after a reset: rows known before it that are not alive after the
    files present were consolidated again, and every row the consolidation has as deleted."""
    cache.flush()
    db = cache.db
    db.execute("create temp table if not exists before_reset (system_id text primary key) without rowid")
    rows = db.execute(
        "select system_id from before_reset b where not exists (select 1 from latest l "
        "where l.table_name = ? and l.system_id = b.system_id and l.deleted = 0) "
        "union select system_id from latest where table_name = ? and deleted = 1",
        (table_name, table_name),
    ).fetchall()
    db.execute("delete from before_reset")
    return [r[0] for r in rows]

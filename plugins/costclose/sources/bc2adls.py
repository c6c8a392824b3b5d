"""``bc2adls:<folder or fsspec URL>``: BC data as bc2adls exports it (../shared/spec/bc-interfaces.md §1).

Reads ``<Entity>.cdm.json`` and the delta files ``deltas/<Entity>/*.csv``; the format itself (names,
escaping, value formats) lives in ``costclose.bc2adls_export.format``. Only delta files not loaded yet
are read: the watermark lists the loaded files (and, inside a large file, how far the last committed
batch got). Files are taken in the order of their first ``timestamp-0`` -- the order bc2adls wrote
them -- and rows are consolidated as bc2adls does: per ``systemId`` + ``$Company`` the latest
``timestamp-0`` wins, and a delete marker (empty ``SystemCreatedAt``) removes the row.

Table resets (``costclose.sources.bc2adls_reset``): a ``<guid>_full.csv`` file (setup "Distinguish full
and incremental exports") is the company's complete table after a bc2adls reset: the company's rows
not in it, and the files written before it, are superseded (dbt_project/DECISIONLOG.md §19); the
other ``_incremental``/plain files load as usual. In a Fabric lakehouse (point the URL at its
``Files`` folder) a new ``reset/<Entity>.txt`` marker makes the next load drop the company's rows of
that table and reload them from the delta files present, once per company and marker version (kept
in the table's watermark); the marker file itself is left in place.

Remote folders: any fsspec URL works (tested with ``memory://`` and, against Azurite, ``abfs://``).
``abfs://`` (ADLS Gen2, Azure Blob Storage) and OneLake need the ``adlfs`` package: the optional extra
``azure`` (``uv sync --extra azure``). Credentials are never put in the URL; adlfs reads them from the
environment: ``AZURE_STORAGE_CONNECTION_STRING``, or the account (``AZURE_STORAGE_ACCOUNT_NAME``, or
``account_name`` in ``FSSPEC_ABFS``) with ``AZURE_STORAGE_ACCOUNT_KEY``, ``AZURE_STORAGE_SAS_TOKEN`` or a
service principal (``AZURE_STORAGE_TENANT_ID``/``AZURE_STORAGE_CLIENT_ID``/``AZURE_STORAGE_CLIENT_SECRET``),
or with none of these azure-identity's ``DefaultAzureCredential`` (``AZURE_TENANT_ID``/
``AZURE_CLIENT_ID``/``AZURE_CLIENT_SECRET``, a managed identity, ``az login``). Other constructor options
go in ``FSSPEC_ABFS``, a JSON object fsspec reads from the environment when it is imported, i.e. it must
be set when the process starts (e.g. ``{"account_name": "onelake", "account_host":
"onelake.blob.fabric.microsoft.com", "anon": false}`` for OneLake, where the container is the
workspace: ``bc2adls:abfs://<workspace>/<lakehouse>.Lakehouse/Files``). adlfs always reaches
``https://<account_host>``; a plain-http endpoint (an emulator) is given by a connection string instead.
fsspec shares one filesystem per URL and options in a process and adlfs caches directory listings
without expiry, so every read of the folder (``fetch``, ``totals``, ``companies``) drops that cache first:
files bc2adls wrote since the previous load in the same process are seen.

Nothing is dropped silently: a line with bad escaping, the wrong number of fields, a value that does
not type, invalid UTF-8, or no line end (a truncated file) becomes a quarantined ``BadRow`` naming the
file and line; a file without a header, or with a column its ``.cdm.json`` does not declare, stops
the load with an error naming the file.
"""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

import fsspec
import numpy as np

from costclose import bc_schema
from costclose.bc2adls_export import format as fmt
from costclose.bc2adls_export.consolidation import ConsolidationCache, Version, cache_file
from costclose.config import settings
from costclose.errors import CostcloseError
from costclose.landing.control import (
    SUMS,
    WHOLE,
    SliceFigures,
    Slicing,
    metrics_of,
    slicing,
    totals_of_whole,
)
from costclose.landing.copy_text import copy_value
from costclose.sources import bc2adls_reset as reset
from costclose.sources.base import BadRow, Batch

log = logging.getLogger(__name__)

PREFIX = "bc2adls:"
DEFAULT_BATCH_SIZE = 20_000
# What raw can hold: BC's BigInteger (raw ``bigint``) and BC's Decimal (.NET System.Decimal). A longer
# number cannot come from BC; it is quarantined instead of failing its whole batch (bigint) or
# distorting every sum (numeric).
INT_RANGE = (-(2**63), 2**63 - 1)
DECIMAL_MAX = Decimal("79228162514264337593543950335")
# Fast-path bounds: a number whose text is longer is checked exactly on the careful path (18 digits
# always fit a bigint, 28 characters always fit BC's Decimal).
_SHORT_TEXT = {fmt.KIND_INT: 18, fmt.KIND_DEC: 28}


class Bc2AdlsFormatError(CostcloseError):
    """A bc2adls folder or file does not have the shape bc2adls writes."""


@dataclass
class _Layout:
    """How one delta file's columns map onto a raw table."""

    header: list[str]
    columns: list[fmt.CsvColumn | None]  # per header position; None = not kept in raw
    pattern: Any
    ts_at: int
    id_at: int
    created_at: int
    company_at: int
    typed: fmt.TypedLine
    copy_plan: fmt.CopyPlan
    numbers_at: list[tuple[int, int]]  # (header position, longest text sure to be in range) of numbers
    block: fmt.BlockReader  # whole blocks of clean lines, parsed in C

    @property
    def raw_columns(self) -> list[str]:
        return [c.column for c in self.columns if c is not None and c.column is not None]


class _Event(NamedTuple):
    """One version of a row (the block reader makes plain tuples of the same shape)."""

    company: str
    system_id: str
    timestamp: int
    line: str | None  # the raw columns and the timestamp as one COPY text line; None: delete marker
    amounts: tuple[str, ...] | None = None  # texts of the summed columns; None: read them from ``line``
    key: tuple[str, ...] | None = None  # texts of the primary key columns; None: read them from ``line``


class _SeenIds:
    """The SystemIds one fetch has handed on, as sorted runs of 64-bit hashes (8 bytes an id).

    ``first_time(ids)`` is True when none of ``ids`` was in an earlier call: a batch can then be COPYed
    into a raw table that was empty when the fetch started (``Batch.unique_keys``). A hash collision
    only answers False (the batch then takes the exact upsert). This replaces asking the consolidation
    cache, whose random-key lookups slowed down with every million rows it held.
    """

    def __init__(self) -> None:
        self._runs: list[np.ndarray] = []

    def first_time(self, ids: Iterable[str]) -> bool:
        keys = np.fromiter((hash(i) for i in ids), dtype=np.int64)
        if not len(keys):
            return True
        keys.sort()
        new = not any(
            np.any(run[np.minimum(np.searchsorted(run, keys), len(run) - 1)] == keys) for run in self._runs
        )
        self._runs.append(keys)
        # merge runs of similar size (a log-structured merge): O(log n) runs, each id re-sorted O(log n) times
        while len(self._runs) > 1 and len(self._runs[-2]) <= 2 * len(self._runs[-1]):
            last = self._runs.pop()
            merged = np.concatenate((self._runs.pop(), last))
            merged.sort()
            self._runs.append(merged)
        return new


def _in_range(value: Any) -> Any:
    """``value`` if raw can hold it as BC would have sent it; ValueError otherwise."""
    if isinstance(value, int) and not isinstance(value, bool) and not INT_RANGE[0] <= value <= INT_RANGE[1]:
        raise ValueError(f"{value} is out of the integer range of BC and raw (64-bit)")
    if isinstance(value, Decimal) and abs(value) > DECIMAL_MAX:
        raise ValueError(f"{value} is out of BC's Decimal range (at most {DECIMAL_MAX} in size)")
    return value


class Bc2AdlsSource:
    """Reads a bc2adls export folder (local path or any fsspec URL)."""

    def __init__(
        self,
        url: str,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        storage_options: dict[str, Any] | None = None,
        cache_dir: Path | None = None,
    ) -> None:
        self.cache_dir = cache_dir
        if not url.startswith(PREFIX):
            raise Bc2AdlsFormatError(f"Not a bc2adls: source URL: {url!r} (expected bc2adls:<folder>).")
        self.url = url
        self.batch_size = batch_size
        try:
            self.fs, root = fsspec.core.url_to_fs(url[len(PREFIX) :], **(storage_options or {}))
        except ImportError as exc:  # fsspec's message names the package its protocol needs
            raise Bc2AdlsFormatError(
                f"Reading {url!r} needs a filesystem package that is not installed ({exc}). For abfs:// "
                "(ADLS Gen2, Fabric OneLake) install costclose's azure extra: `uv sync --extra azure`."
            ) from exc
        self.root = root.rstrip("/")
        self._fresh_listings()
        if not self.fs.isdir(self.root):
            raise Bc2AdlsFormatError(
                f"The bc2adls folder {url[len(PREFIX) :]!r} does not exist; point --source at the "
                "container/lakehouse folder that holds deltas/ and the .cdm.json files."
            )

    def _fresh_listings(self) -> None:
        """Forget the filesystem's cached directory listings before a read of the folder.

        fsspec shares one filesystem instance per URL and options in a process, and adlfs answers
        ``ls``/``exists``/``size``/``ukey`` from listings cached at the first call, without expiry: a
        later load in the same process (a scheduler, ``airflow dags test``, a CLI extract after an
        earlier one) would not see the delta files or reset markers bc2adls wrote since. Local and
        memory folders keep no such cache (the call does nothing there).
        """
        self.fs.invalidate_cache()

    # -- layout ---------------------------------------------------------------------------------

    def _rel(self, path: str) -> str:
        return path[len(self.root) + 1 :] if path.startswith(self.root + "/") else path

    def _cdm_attributes(self, table: bc_schema.Table) -> list[str]:
        entity = fmt.entity_name(table)
        path = f"{self.root}/{entity}.cdm.json"
        if not self.fs.exists(path):
            raise Bc2AdlsFormatError(
                f"{entity}.cdm.json is missing in {self.url}: bc2adls has not exported {table.bc_name} "
                f"(table {table.bc_table_no}). Add the table to the bc2adls export setup and export again."
            )
        with self.fs.open(path, "rb") as f:
            data = f.read()
        try:
            content = json.loads(data.decode("utf-8"))
            return [str(a["name"]) for a in content["definitions"][0]["hasAttributes"]]
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise Bc2AdlsFormatError(
                f"{entity}.cdm.json in {self.url} is not valid JSON ({exc}); the export was interrupted or "
                "the file was edited. Re-export the table with bc2adls (reset + export)."
            ) from exc
        except (KeyError, IndexError, TypeError) as exc:
            raise Bc2AdlsFormatError(
                f"{entity}.cdm.json in {self.url} has no definitions[0].hasAttributes list of named "
                "attributes; re-export the table with bc2adls (reset + export)."
            ) from exc

    def _delta_files(self, table: bc_schema.Table) -> list[str]:
        folder = f"{self.root}/deltas/{fmt.entity_name(table)}"
        if not self.fs.isdir(folder):
            return []
        return sorted(p for p in self.fs.ls(folder, detail=False) if p.endswith(".csv"))

    def _layout(self, table: bc_schema.Table, header_line: str, rel: str, declared: list[str]) -> _Layout:
        names = header_line.split(",")
        if fmt.TIMESTAMP not in names or fmt.SYSTEM_ID not in names:
            raise Bc2AdlsFormatError(
                f"{rel} has no header row (its first line lacks {fmt.TIMESTAMP} and {fmt.SYSTEM_ID}); "
                "bc2adls starts every file with one. Remove or re-export the file."
            )
        unknown = [n for n in names if n not in declared and n not in fmt.OPTIONAL_EXTRA_COLUMNS]
        if unknown:
            raise Bc2AdlsFormatError(
                f"{rel} has columns {unknown} that {fmt.entity_name(table)}.cdm.json does not declare; "
                "the file and its schema disagree. Re-export the table (bc2adls: reset + export)."
            )
        by_name = {c.name: c for c in fmt.csv_columns(table)}
        columns = [by_name.get(n) for n in names]
        present = {c.column for c in columns if c is not None and c.column is not None}
        missing = [c for c in table.column_names if c not in present]
        if missing:
            wanted = [c.name for c in fmt.csv_columns(table) if c.column in missing]
            raise Bc2AdlsFormatError(
                f"{rel} lacks the columns {wanted} the close needs; enable these fields of "
                f"{table.bc_name} in the bc2adls export setup, then export again."
            )
        ignored = [n for n, c in zip(names, columns, strict=True) if c is None]
        if ignored:
            log.info("%s: columns not used by the close, not landed: %s", rel, ignored)
        system = [
            names.index(n) for n in (fmt.TIMESTAMP, fmt.SYSTEM_ID, fmt.SYSTEM_CREATED_AT, fmt.COMPANY_COLUMN)
        ]
        kept = [i for i, c in enumerate(columns) if c is not None and c.column is not None]
        raw = [c.column for c in columns if c is not None and c.column is not None]
        return _Layout(
            names,
            columns,
            fmt.line_pattern(len(names)),
            *system,
            fmt.TypedLine(columns, {*kept, *system}),
            fmt.CopyPlan(columns, kept),
            [(i, _SHORT_TEXT[c.kind]) for i in kept if (c := columns[i]) and c.kind in _SHORT_TEXT],
            fmt.BlockReader(
                columns,
                kept,
                (system[0], system[1], system[2], system[3]),
                self._cached_positions(table, raw),
                [raw.index(c) for c in table.primary_key],
            ),
        )

    # -- parsing --------------------------------------------------------------------------------

    def _chunks(
        self, table: bc_schema.Table, path: str, company: str | None, declared: list[str], skip_to: int = 0
    ) -> Iterator[tuple[int, int, list[_Event], list[BadRow], bool]]:
        """Blocks of ``batch_size`` lines after line ``skip_to``, each as (first line, last line, the
        events for ``company`` (None: every company) in file order, bad rows, whether lines follow)."""
        rel = self._rel(path)
        with self.fs.open(path, "rb") as f:
            head = f.readline()
            if not head:
                raise Bc2AdlsFormatError(
                    f"{rel} is empty: it has no header row. Remove or re-export the file."
                )
            header = head.rstrip(b"\n").rstrip(b"\r") if head.endswith(b"\n") else head
            layout = self._layout(table, header.decode("utf-8", errors="replace"), rel, declared)
            number = 1
            if skip_to > 1:
                number += sum(1 for _ in itertools.islice(f, skip_to - 1))
            lines = list(itertools.islice(f, self.batch_size))
            while True:
                following = (
                    list(itertools.islice(f, self.batch_size)) if len(lines) == self.batch_size else []
                )
                first = number + 1
                number += len(lines)
                events, bad = self._parse_block(table, layout, rel, lines, first, company)
                yield first, number, events, bad, bool(following)
                if not following:
                    return
                lines = following

    def _parse_block(
        self,
        table: bc_schema.Table,
        layout: _Layout,
        rel: str,
        lines: list[bytes],
        first: int,
        company: str | None,
    ) -> tuple[list[_Event], list[BadRow]]:
        """The block's events and bad rows: all at once when every line is clean, else line by line."""
        if lines and lines[-1].endswith(b"\n"):
            try:
                text: str | None = b"".join(lines).decode("utf-8")
            except UnicodeDecodeError:
                text = None
            fast = layout.block.events(text, company) if text is not None else None
            if fast is not None:
                return fast, []  # type: ignore[return-value]  # tuples of _Event's shape
        events: list[_Event] = []
        bad: list[BadRow] = []
        for number, raw in enumerate(lines, start=first):
            ended = raw.endswith(b"\n")
            content = raw.rstrip(b"\n").rstrip(b"\r") if ended else raw
            item = self._parse_line(
                table, layout, f"{rel}:line {number}", content, ended=ended, company=company
            )
            if isinstance(item, BadRow):
                bad.append(item)
            elif item is not None:
                events.append(item)
        return events, bad

    @staticmethod
    def _split(
        table: bc_schema.Table, layout: _Layout, ref: str, raw: bytes, *, ended: bool
    ) -> tuple[str, list[str] | None, BadRow | None]:
        """The line's text and fields, or the reason it is not a well-formed bc2adls line."""
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            reason = f"{table.bc_name}: not valid UTF-8 ({exc.reason} at byte {exc.start})"
            return repr(raw), None, BadRow(ref, reason, repr(raw))
        if not ended:
            reason = f"{table.bc_name}: truncated file, the last line has no line end"
            return line, None, BadRow(ref, reason, line)
        match = layout.pattern.match(line)
        if match is None:
            reason = f"{table.bc_name}: {fmt.describe_bad_line(line, len(layout.header))}"
            return line, None, BadRow(ref, reason, line)
        return line, fmt.split_fields(match, len(layout.header)), None

    def _parse_line(
        self,
        table: bc_schema.Table,
        layout: _Layout,
        ref: str,
        raw: bytes,
        *,
        ended: bool,
        company: str | None,
    ) -> _Event | BadRow | None:
        if ended:
            fast = self._fast_event(layout, raw, company)
            if fast is not False:
                return fast
        line, fields, bad = self._split(table, layout, ref, raw, ended=ended)
        if fields is None:
            return bad
        if company is not None and fields[layout.company_at] != company:
            return None
        try:
            timestamp = fmt.PARSERS[fmt.KIND_INT](fields[layout.ts_at])
            try:
                system_id = str(fmt.PARSERS[fmt.KIND_GUID](fields[layout.id_at]))
            except ValueError as exc:
                raise ValueError(f"column {fmt.SYSTEM_ID}: {exc}") from exc
            if fields[layout.created_at] == "":
                return _Event(fields[layout.company_at], system_id, timestamp, None)
            values = []
            for text, col, name in zip(fields, layout.columns, layout.header, strict=True):
                if col is None or col.column is None:
                    continue
                try:
                    values.append(_in_range(fmt.PARSERS[col.kind](text)))
                except ValueError as exc:
                    raise ValueError(f"column {name}: {exc}") from exc
        except ValueError as exc:
            return BadRow(ref, f"{table.bc_name} {exc}", line)
        text = "\t".join(map(copy_value, values))
        return _Event(fields[layout.company_at], system_id, timestamp, f"{text}\t{timestamp}")

    @staticmethod
    def _fast_event(layout: _Layout, raw: bytes, company: str | None) -> _Event | bool | None:
        """The event of a well-formed, well-typed line; False when the careful path must decide."""
        try:
            line = raw.decode("utf-8")
            fields = layout.typed.fields(line)
            if fields is None or any(len(fields[i] or "") > bound for i, bound in layout.numbers_at):
                return False
            row_company = fmt.unescape(fields[layout.company_at] or "")
            if company is not None and row_company != company:
                return None
            timestamp = int(fields[layout.ts_at] or "")
            system_id = (fields[layout.id_at] or "").strip("{}").lower()
            if fields[layout.created_at] == "":
                return _Event(row_company, system_id, timestamp, None)
            text = layout.copy_plan.line(fields)
        except ValueError:  # includes UnicodeDecodeError and impossible dates
            return False
        return _Event(row_company, system_id, timestamp, f"{text}\t{timestamp}")

    # -- Source contract ------------------------------------------------------------------------

    def companies(self) -> list[str]:
        self._fresh_listings()
        found: set[str] = set()
        for table in (bc_schema.G_L_ACCOUNT, *bc_schema.RAW_TABLES):
            paths = self._delta_files(table)
            if not paths:
                continue
            declared = self._cdm_attributes(table)
            for path in paths:
                for *_, events, _, _ in self._chunks(table, path, None, declared):
                    found.update(event[0] for event in events)
            if found:
                break
        return sorted(found)

    def fetch(
        self, company: str, table: bc_schema.Table, watermark: dict[str, Any] | None
    ) -> Iterator[Batch]:
        self._fresh_listings()
        declared = self._cdm_attributes(table)
        done: set[str] = set((watermark or {}).get("files", []))
        partial: dict[str, Any] | None = (watermark or {}).get("partial")
        entity = fmt.entity_name(table)
        marker = reset.marker_version(self.fs, self.root, entity)
        extra = {"reset_marker": marker}
        new_marker = watermark is not None and marker is not None and marker != watermark.get("reset_marker")
        if new_marker:
            # Fabric reset: the company's rows of the table are dropped and reloaded from the files present
            log.warning("%s: %s/%s.txt is new: reloading the table", company, reset.RESET_FOLDER, entity)
            done, partial = set(), None
        paths = self._delta_files(table)
        planned = reset.plan(self.fs, paths, company, self._rel, done)
        done |= planned.superseded  # written before the company's latest _full file: never loaded
        full_pending = watermark is not None and planned.full is not None and planned.full not in done
        by_rel = {self._rel(p): p for p in planned.ordered}
        pending = list(planned.ordered)
        if partial and partial.get("file") in by_rel:
            first = by_rel[partial["file"]]
            pending = [first, *[p for p in pending if p != first]]
        else:
            partial = None
        cache = self._cache(company) if pending or new_marker else None
        seen = _SeenIds()
        try:
            if cache is not None and watermark is None:
                # nothing of the table is landed for the company (first load, or --full): the totals
                # cache starts over with the files this fetch loads, in load order (a _full file comes
                # before the files that follow it, and the ones it supersedes are not read)
                cache.forget(table.name, f"deltas/{entity}/")
            if cache is not None and (new_marker or full_pending):
                why = f"{reset.RESET_FOLDER}/{entity}.txt" if new_marker else str(planned.full)
                yield self._reset_batch(cache, table, company, why, new_marker, done, extra)
            for path in pending:
                rel = self._rel(path)
                skip_to = int(partial["line"]) if partial and partial.get("file") == rel else 0
                yield from self._file_batches(
                    company,
                    table,
                    path,
                    declared=declared,
                    skip_to=skip_to,
                    done=done,
                    cache=cache,
                    seen=seen,
                    extra=extra,
                )
                done.add(rel)
        finally:
            if cache is not None:
                cache.close()

    def _reset_batch(
        self,
        cache: ConsolidationCache,
        table: bc_schema.Table,
        company: str,
        why: str,
        new_marker: bool,
        done: set[str],
        extra: dict[str, Any],
    ) -> Batch:
        """The batch that drops the company's rows a reset removed, before the reload.

        After a Fabric reset marker the cache forgets the table and consolidates the files present
        again; rows it knew before and that are not alive now are deleted, like every row the
        consolidation has as deleted (superseded by a ``_full`` file, or deleted by a marker).
        """
        prefix = f"deltas/{fmt.entity_name(table)}/"
        reset.snapshot_ids(cache, table.name)
        if new_marker:
            cache.forget(table.name, prefix)
        self._fold_unseen(cache, table, company)
        drop = reset.ids_to_drop(cache, table.name)
        log.info("%s %s: reset (%s), %d rows to drop, then reload", company, table.name, why, len(drop))
        return Batch(
            table=table,
            columns=[],
            rows=[],
            source_ref=f"{why}: rows the reset removed",
            watermark={"files": sorted(done), "partial": None, **extra},
            delete_system_ids=[(company, system_id) for system_id in drop],
        )

    def _file_batches(
        self,
        company: str,
        table: bc_schema.Table,
        path: str,
        *,
        declared: list[str],
        skip_to: int,
        done: set[str],
        cache: ConsolidationCache | None,
        seen: _SeenIds,
        extra: dict[str, Any],
    ) -> Iterator[Batch]:
        """The file's batches; its versions are folded into the totals cache on the way."""
        rel = self._rel(path)
        size = int(self.fs.size(path))
        columns = self._raw_columns(table, path, declared)
        positions = self._cached_positions(table, columns)
        for first, last, events, bad, more in self._chunks(table, path, company, declared, skip_to):
            latest = self._latest(events)
            if cache is not None:
                cache.add(table.name, self._versions(table, latest.values(), positions))
            # SystemIds in no earlier batch of this fetch: into a raw table empty when the fetch
            # started, the batch can be COPYed as is (Batch.unique_keys), the first load's common case.
            new = seen.first_time(latest) and self._keys_unique(
                latest.values(), [columns.index(c) for c in table.primary_key]
            )
            if cache is not None and not more and skip_to == 0:  # the whole file went through the cache
                cache.mark_seen(rel, size)
            yield self._batch(
                table,
                columns,
                latest,
                bad=bad,
                rel=rel,
                span=(first, last),
                done=done,
                partial=more,
                new=new,
                extra=extra,
            )

    @staticmethod
    def _keys_unique(events: Iterable[_Event], positions: list[int]) -> bool:
        """Whether the rows (not the delete markers) have distinct primary keys."""
        keys = set()
        rows = 0
        for event in events:
            if event[3] is None:
                continue
            rows += 1
            key = event[5]
            if key is None:
                fields = event[3].split("\t")
                key = tuple(fields[i] for i in positions)
            keys.add(key)
        return len(keys) == rows

    @staticmethod
    def _latest(events: list[_Event]) -> dict[str, _Event]:
        """Per SystemId (one company), its latest version: the highest timestamp-0, on a tie the delete
        marker, else the first seen."""
        latest: dict[str, _Event] = {}
        for event in events:
            seen = latest.get(event[1])
            if seen is None or event[2] > seen[2] or (event[2] == seen[2] and event[3] is None):
                latest[event[1]] = event
        return latest

    def _raw_columns(self, table: bc_schema.Table, path: str, declared: list[str]) -> list[str]:
        with self.fs.open(path, "rb") as f:
            header = f.readline().decode("utf-8", errors="replace").rstrip("\r\n")
        return self._layout(table, header, self._rel(path), declared).raw_columns

    @staticmethod
    def _batch(
        table: bc_schema.Table,
        columns: list[str],
        events: dict[str, _Event],
        *,
        bad: list[BadRow],
        rel: str,
        span: tuple[int, int],
        done: set[str],
        partial: bool,
        new: bool,
        extra: dict[str, Any],
    ) -> Batch:
        lines = [e[3] for e in events.values() if e[3] is not None]
        watermark: dict[str, Any] = (
            {"files": sorted(done), "partial": {"file": rel, "line": span[1]}, **extra}
            if partial
            else {"files": sorted(done | {rel}), "partial": None, **extra}
        )
        return Batch(
            table=table,
            columns=columns,
            rows=[],
            source_ref=f"{rel}:lines {span[0]}-{span[1]}",
            watermark=watermark,
            bad_rows=bad,
            delete_system_ids=[(e[0], e[1]) for e in events.values() if e[3] is None],
            copy_text="\n".join(lines) + "\n" if lines else None,
            unique_keys=new,
        )

    def totals(self, company: str) -> dict[str, Any]:
        """Consolidate every delta file (as bc2adls would) and total the company's live rows.

        Lines are accepted exactly as the load accepts them; quarantined lines are not counted. The
        consolidation is cached on disk (``costclose.bc2adls_export.consolidation``): files already
        folded in -- by an earlier call or while ``fetch`` read them -- are not read again, and a
        folded-in file whose size changed (bc2adls never rewrites one) makes the table start over.
        Amounts are summed as Decimal, exactly (``ConsolidationCache.figures``).
        """
        figures = self.slice_totals(company, {t.name: [WHOLE] for t in bc_schema.RAW_TABLES})
        return totals_of_whole(figures)

    def slice_totals(self, company: str, slices: dict[str, list[str]]) -> SliceFigures:
        """The figures of the given slices (``costclose.landing.control``) of the consolidated rows.

        Each cached row keeps the slice key raw's SQL gives it (``Slicing.key_of_text`` of the same
        COPY text that is landed), so a slice is totalled from its entries of the cache's slice index:
        a nightly load reads the dates it changed, not the history. ``WHOLE`` (and every unsliced
        table) is the table's whole figures. A requested slice without rows gets zero figures."""
        self._fresh_listings()
        out: SliceFigures = {}
        cache = self._cache(company)
        try:
            for name, keys in slices.items():
                table = bc_schema.TABLES_BY_NAME[name]
                wanted = [WHOLE] if slicing(table) is None else keys
                if not wanted:
                    continue
                self._fold_unseen(cache, table, company)
                names = ["rows", *(m for m, _ in metrics_of(table))]
                out[name] = {
                    key: dict(
                        zip(
                            names,
                            cache.figures(table.name, len(names) - 1, None if key == WHOLE else key),
                            strict=True,
                        )
                    )
                    for key in wanted
                }
        finally:
            cache.close()
        return out

    def _cache(self, company: str) -> ConsolidationCache:
        folder = self.cache_dir or settings().home / "cache" / "bc2adls"
        return ConsolidationCache(cache_file(folder, f"{self.fs.protocol}|{self.root}", company))

    @staticmethod
    def _cached_positions(table: bc_schema.Table, raw_columns: list[str]) -> list[int]:
        """Positions in a row's COPY fields of what the totals cache keeps: the summed columns, then the
        slicing column (``control.slicing``) of a sliced table."""
        positions = [raw_columns.index(col) for t, col in SUMS.values() if t is table]
        cut = slicing(table)
        if cut is not None:
            positions.append(raw_columns.index(cut.column))
        return positions

    @staticmethod
    def _versions(
        table: bc_schema.Table, events: Iterable[_Event], positions: list[int]
    ) -> Iterator[Version]:
        """The cache's version of each event: amounts (texts) and slice key, or a delete marker."""
        cut: Slicing | None = slicing(table)
        amounts = len(positions) - (cut is not None)
        if amounts > 3:
            raise ValueError(f"the totals cache holds up to 3 amounts per row, not {amounts}")
        pad = (None,) * (3 - amounts)
        for event in events:
            if event[3] is None:
                yield (event[1], event[2], 1, None, None, None, None)
                continue
            texts = event[4]
            if texts is None:
                fields = event[3].split("\t")
                texts = tuple(fields[i] for i in positions)
            key = None if cut is None else cut.key_of_text(texts[amounts])
            yield (event[1], event[2], 0, *texts[:amounts], *pad, key)  # type: ignore[misc]

    def _fold_unseen(self, cache: ConsolidationCache, table: bc_schema.Table, company: str) -> None:
        """Fold the table's delta files not yet in the cache into it, in load order; a ``_full`` file
        supersedes the company's older rows, and the files it supersedes are not folded."""
        paths = self._delta_files(table)
        sizes = {self._rel(p): int(self.fs.size(p)) for p in paths}
        prefix = f"deltas/{fmt.entity_name(table)}/"
        seen = cache.seen_sizes(prefix)
        changed = [r for r, size in seen.items() if r in sizes and sizes[r] != size]
        if changed:
            log.warning("bc2adls delta files changed after they were read (%s); recounting", changed[:3])
            cache.forget(table.name, prefix)
            seen = {}
        planned = reset.plan(self.fs, paths, company, self._rel, set(seen))
        for rel in planned.superseded - set(seen):
            cache.mark_seen(rel, sizes[rel])
        if not planned.ordered:
            return
        declared = self._cdm_attributes(table)
        for path in planned.ordered:
            rel = self._rel(path)
            positions = self._cached_positions(table, self._raw_columns(table, path, declared))
            events = (e for *_, block, _, _ in self._chunks(table, path, company, declared) for e in block)
            versions = self._versions(table, events, positions)
            if rel == planned.full:
                versions = reset.supersede(cache, table.name, versions, planned.full_last_ts)
            cache.add(table.name, versions)
            cache.mark_seen(rel, sizes[rel])

"""Export a BC-shaped database's company the way bc2adls does, incrementally by row version.

``export_bc2adls(erp_url, company, folder)`` writes, for every table of ``bc_schema.RAW_TABLES``,
``<Entity>.cdm.json``, the entity's entry in ``deltas.manifest.cdm.json`` and -- when anything changed
since the last export -- one ``deltas/<Entity>/<guid>.csv`` with the rows whose ``row_version`` is
above the last exported one (so rows modified since, such as Cost Posted to G/L after posting, are
exported again) and a delete marker for every row deleted since, all in ``row_version`` order.

bc2adls keeps its per-table watermark in BC ("ADLSE Table Last Timestamp"); this exporter keeps it
in ``costclose-bc2adls-export.json`` in the folder, written after the delta files, so an export that
dies half-way is simply repeated (the reader's consolidation makes a repeated row harmless).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import fsspec
import psycopg2
import psycopg2.extensions
from psycopg2 import sql

from costclose import bc_schema
from costclose.bc2adls_export import format as fmt
from costclose.db import redact
from costclose.errors import CostcloseError
from costclose.sources.sql import DEFAULT_SETTLE_TIMEOUT, parse_sql_url, settled_row_version

log = logging.getLogger(__name__)

STATE_FILE = "costclose-bc2adls-export.json"
DELTAS = "deltas"
_FETCH = 10_000


class ExportError(CostcloseError):
    """The export could not read the ERP database or write the folder."""


@dataclass
class ExportReport:
    company: str
    folder: str
    rows: dict[str, int] = field(default_factory=dict)
    deletes: dict[str, int] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)


def _dsn_and_schema(erp_url: str) -> tuple[str, str]:
    if erp_url.startswith("sql:"):
        return parse_sql_url(erp_url)
    return erp_url, "bc"


class _Folder:
    def __init__(self, folder: str) -> None:
        self.fs, root = fsspec.core.url_to_fs(folder)
        self.root = root.rstrip("/")
        self.fs.makedirs(self.root, exist_ok=True)

    def path(self, *parts: str) -> str:
        return "/".join((self.root, *parts))

    def read_json(self, name: str) -> dict[str, Any] | None:
        path = self.path(name)
        if not self.fs.exists(path):
            return None
        with self.fs.open(path, "rb") as f:
            return json.loads(f.read().decode("utf-8"))

    def write_json(self, name: str, content: dict[str, Any]) -> None:
        tmp = self.path(f"{name}.tmp")
        with self.fs.open(tmp, "wb") as f:
            f.write(json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
        self.fs.mv(tmp, self.path(name))


def _marker(
    table: bc_schema.Table, company: str, row_version: int, system_id: Any, key: Any
) -> dict[str, Any]:
    """A delete marker as ``CreateFakeRecordForDeletedAction`` makes it: defaults, key, timestamp, id."""
    values: dict[str, Any] = {"company": company, "row_version": row_version, "system_id": system_id}
    if isinstance(key, dict):
        values.update({c: key.get(c) for c in table.key})
    elif isinstance(key, list):
        values.update(dict(zip(table.key, key, strict=False)))
    return values


def _csv_line(columns: list[fmt.CsvColumn], values: dict[str, Any]) -> str:
    return (
        ",".join(fmt.format_value(c.kind, values.get(c.column) if c.column else None) for c in columns)
        + "\r\n"
    )


_NULL_GUID_FIELD = '"{00000000-0000-0000-0000-000000000000}"'
_DATETIME_FORMAT = 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'
_SIMPLE_SQL = {
    fmt.KIND_ENUM: "coalesce(nullif({}, ''), ' ')",
    fmt.KIND_INT: "coalesce({}, 0)::text",
    fmt.KIND_DEC: "trim_scale(coalesce({}, 0))::text",
    fmt.KIND_DATE: "coalesce(to_char({}, 'YYYY-MM-DD'), '')",
    fmt.KIND_BOOL: "case when {} then 'true' else 'false' end",
}


def _sql_value(col: fmt.CsvColumn) -> sql.Composable:
    """SQL rendering one column's value exactly as ``fmt.format_value`` does (see its rules)."""
    if col.column is None:
        return sql.Literal(_NULL_GUID_FIELD)
    c = sql.Identifier(col.column)
    if col.kind == fmt.KIND_TEXT:
        return sql.SQL(
            "'\"' || replace(replace(replace(replace(coalesce({}, ''), E'\\n', ' '), E'\\r', ' '), "
            "E'\\\\', E'\\\\\\\\'), '\"', E'\\\\\"') || '\"'"
        ).format(c)
    if col.kind == fmt.KIND_GUID:
        return sql.SQL("{} || upper(coalesce({}, {}::uuid)::text) || {}").format(
            sql.Literal('"{'), c, sql.Literal(str(fmt.NULL_GUID)), sql.Literal('}"')
        )
    if col.kind in _SIMPLE_SQL:
        return sql.SQL(_SIMPLE_SQL[col.kind]).format(c)
    # DateTime: UTC with milliseconds; a NULL SystemCreatedAt is 1900-01-01 (not a delete marker)
    empty = fmt.format_datetime(fmt.NULL_CREATED_AT) if col.column == "system_created_at" else ""
    return sql.SQL("coalesce(to_char({} at time zone 'UTC', {}), {})").format(
        c, sql.Literal(_DATETIME_FORMAT), sql.Literal(empty)
    )


def line_sql(table: bc_schema.Table) -> sql.Composable:
    """SQL building each row's bc2adls CSV line (without the line end) on the database server."""
    return sql.SQL(" || ',' || ").join(_sql_value(c) for c in fmt.csv_columns(table))


class _Reader:
    """Reads one company's changes from the ERP database in one consistent snapshot."""

    def __init__(self, conn: psycopg2.extensions.connection, schema: str, company: str) -> None:
        self.conn = conn
        self.schema = schema
        self.company = company

    def _ident(self, name: str) -> sql.Composed:
        return sql.SQL("{}.{}").format(sql.Identifier(self.schema), sql.Identifier(name))

    upto: int = 2**63 - 1  # the settled row version: nothing above it is exported yet

    def deletes(self, table: bc_schema.Table, since: int) -> list[tuple[int, Any, Any]]:
        with self.conn.cursor() as cur:
            cur.execute("select to_regclass(%s)", (f"{self.schema}.deleted_record",))
            if cur.fetchone()[0] is None:
                return []
            cur.execute(
                "select column_name from information_schema.columns where table_schema = %s "
                "and table_name = 'deleted_record' and column_name = 'deleted_system_id'",
                (self.schema,),
            )
            id_col = "deleted_system_id" if cur.fetchone() else "system_id"
            cur.execute(
                sql.SQL(
                    "select row_version, {}, key from {} where company = %s and table_name = any(%s) "
                    "and row_version > %s and row_version <= %s order by row_version"
                ).format(sql.Identifier(id_col), self._ident("deleted_record")),
                (self.company, [table.name, table.bc_name], since, self.upto),
            )
            return [(int(rv), sid, key) for rv, sid, key in cur.fetchall()]

    def rows(self, table: bc_schema.Table, since: int) -> Iterator[tuple[int, str]]:
        """(row version, bc2adls CSV line) of the rows changed since ``since``, built by the server."""
        with self.conn.cursor(name=f"export_{table.name}") as cur:
            cur.itersize = _FETCH
            cur.execute(
                sql.SQL(
                    "select row_version, {} from {} where company = %s and row_version > %s "
                    "and row_version <= %s order by row_version"
                ).format(line_sql(table), self._ident(table.name)),
                (self.company, since, self.upto),
            )
            yield from cur


def _changes(
    reader: _Reader, table: bc_schema.Table, since: int, *, with_deletes: bool = True
) -> Iterator[tuple[int, str, bool]]:
    """(row version, CSV line with its end, is delete marker) in row-version order, deletions merged in."""
    columns = fmt.csv_columns(table)
    deletes = reader.deletes(table, since) if with_deletes else []
    at = 0
    for rv, line in reader.rows(table, since):
        while at < len(deletes) and deletes[at][0] < rv:
            d_rv, sid, key = deletes[at]
            yield d_rv, _csv_line(columns, _marker(table, reader.company, d_rv, sid, key)), True
            at += 1
        yield int(rv), f"{line}\r\n", False
    for d_rv, sid, key in deletes[at:]:
        yield d_rv, _csv_line(columns, _marker(table, reader.company, d_rv, sid, key)), True


def export_bc2adls(
    erp_url: str,
    company: str,
    folder: str,
    *,
    tables: list[bc_schema.Table] | None = None,
    settle_timeout: float = DEFAULT_SETTLE_TIMEOUT,
    distinguish_full: bool = False,
    reset: Iterable[bc_schema.Table] = (),
    fabric: bool = False,
) -> ExportReport:
    """Export ``company`` from the ERP database at ``erp_url`` into ``folder`` as bc2adls would.

    The options mirror bc2adls setup and actions (../shared/spec/bc-interfaces.md §1.2); their
    defaults keep plain ``<guid>.csv`` files:

    * ``distinguish_full`` -- setup "Distinguish full and incremental exports" (field 110): a table's
      first export for the company, or the first after a reset, is ``<guid>_full.csv``, the others
      ``<guid>_incremental.csv``;
    * ``reset`` -- tables reset before this export: their watermark goes back to 0 and, as bc2adls
      empties its deleted-record log on a reset, the export holds every live row and no delete marker;
    * ``fabric`` -- the Microsoft Fabric storage type: a reset also writes ``reset/<Entity>.txt`` (an
      empty JSON object, ``Communication.ResetTableExport``).
    """
    resets = {t.name for t in reset}
    dsn, schema = _dsn_and_schema(erp_url)
    out = _Folder(folder)
    state = out.read_json(STATE_FILE) or {"companies": {}}
    marks: dict[str, int] = state["companies"].setdefault(company, {}).setdefault("tables", {})
    report = ExportReport(company, folder)
    try:
        conn = psycopg2.connect(dsn)
    except psycopg2.OperationalError as exc:
        raise ExportError(f"Cannot connect to the ERP database {redact(dsn)}: {str(exc).strip()}") from exc
    conn.set_session(isolation_level=psycopg2.extensions.ISOLATION_LEVEL_REPEATABLE_READ, readonly=True)
    with conn.cursor() as cur:
        cur.execute("set timezone = 'UTC'")
    conn.commit()
    try:
        reader = _Reader(conn, schema, company)
        settled = settled_row_version(dsn, schema, timeout=settle_timeout)
        if settled is not None:
            reader.upto = settled
        manifest = out.read_json("deltas.manifest.cdm.json")
        for table in tables or bc_schema.RAW_TABLES:
            entity = fmt.entity_name(table)
            out.write_json(f"{entity}.cdm.json", fmt.entity_cdm(table))
            manifest = fmt.manifest_with_entity(manifest, table, DELTAS)
            is_reset = table.name in resets
            if is_reset:
                marks.pop(table.name, None)
                if fabric:
                    out.fs.makedirs(out.path("reset"), exist_ok=True)
                    out.write_json(f"reset/{entity}.txt", {})
            since = int(marks.get(table.name, 0))
            suffix = ("_full" if since == 0 else "_incremental") if distinguish_full else ""
            written = _write_delta(
                out, reader, table, since, report, suffix=suffix, with_deletes=not is_reset
            )
            if written is not None:
                marks[table.name] = written
        if manifest is not None:
            out.write_json("deltas.manifest.cdm.json", manifest)
    except psycopg2.Error as exc:
        raise ExportError(
            f"Reading company {company!r} from {redact(dsn)} failed: {str(exc).strip()}"
        ) from exc
    finally:
        conn.close()
    out.write_json(STATE_FILE, state)
    return report


def _write_delta(
    out: _Folder,
    reader: _Reader,
    table: bc_schema.Table,
    since: int,
    report: ExportReport,
    *,
    suffix: str = "",
    with_deletes: bool = True,
) -> int | None:
    """Write one delta file with the table's changes since ``since``; its last row version, or None."""
    entity = fmt.entity_name(table)
    columns = fmt.csv_columns(table)
    name = f"{str(uuid.uuid4()).upper()}{suffix}.csv"
    final = out.path(DELTAS, entity, name)
    tmp = f"{final}.tmp"
    last: int | None = None
    rows = deletes = 0
    out.fs.makedirs(out.path(DELTAS, entity), exist_ok=True)
    with out.fs.open(tmp, "wb") as f:
        f.write((",".join(c.name for c in columns) + "\r\n").encode("utf-8"))
        for rv, line, is_delete in _changes(reader, table, since, with_deletes=with_deletes):
            f.write(line.encode("utf-8"))
            last = rv
            deletes += is_delete
            rows += not is_delete
    if last is None:
        out.fs.rm(tmp)
        return None
    out.fs.mv(tmp, final)
    report.rows[table.name] = rows
    report.deletes[table.name] = deletes
    report.files.append(f"{DELTAS}/{entity}/{name}")
    log.info("bc2adls export %s: %d rows, %d deletes -> %s", entity, rows, deletes, name)
    return last

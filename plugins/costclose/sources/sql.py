"""``sql:<postgres URL>``: a PostgreSQL database holding BC-shaped tables (the demo ERP, or a replica).

Layout read (``?schema=`` overrides the default schema ``bc``): one table per ``bc_schema`` table, each
row carrying ``row_version`` from one global sequence ``<schema>.row_version_seq`` bumped on every
insert and update (BC's rowversion), a ``<schema>.company (name)`` table, and deletions recorded in
``<schema>.deleted_record (company, table_name, deleted_system_id, key jsonb, row_version)`` where
``key`` maps the BC key's column names to values (``system_id`` is accepted for the deleted id too).

Rows are read in ``row_version`` order past the watermark and up to the settled row version (see
``settled_row_version``: no transaction still open can add a row below it), through a server-side
cursor in batches of ``batch_size`` rows, so memory stays bounded whatever the table size. Each batch
carries the deletions whose row version falls inside it, and its watermark is the highest row
version it covers.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg2
import psycopg2.extensions
from psycopg2 import sql

from costclose import bc_schema
from costclose.db import redact
from costclose.errors import CostcloseError
from costclose.landing.control import WHOLE, SliceFigures, read_slice_totals, totals_of_whole
from costclose.sources.base import BadRow, Batch

log = logging.getLogger(__name__)

PREFIX = "sql:"
DEFAULT_SCHEMA = "bc"
DEFAULT_BATCH_SIZE = 20_000
DEFAULT_SETTLE_TIMEOUT = 600.0


class SqlSourceError(CostcloseError):
    """The sql: source cannot be read."""


def parse_sql_url(url: str) -> tuple[str, str]:
    """``sql:<postgres URL>[?schema=S]`` -> (libpq URL without ``schema``, schema)."""
    if not url.startswith(PREFIX):
        raise SqlSourceError(f"Not a sql: source URL: {redact(url)!r} (expected sql:postgresql://...).")
    parts = urlsplit(url[len(PREFIX) :])
    if parts.scheme not in ("postgresql", "postgres"):
        raise SqlSourceError(
            "sql: sources need a PostgreSQL URL such as sql:postgresql://user@host:5432/db, "
            f"got {redact(url)!r}."
        )
    query = parse_qsl(parts.query, keep_blank_values=True)
    schema = next((v for k, v in query if k == "schema"), DEFAULT_SCHEMA)
    rest = urlencode([(k, v) for k, v in query if k != "schema"])
    return urlunsplit((parts.scheme, parts.netloc, parts.path, rest, parts.fragment)), schema


def _typed_key_value(table: bc_schema.Table, column: str, value: Any) -> Any:
    kind = table.column_types()[column]
    if value is None:
        raise ValueError(f"key column {column} is null")
    if kind == bc_schema.INT:
        return int(value)
    if kind == bc_schema.DATE:
        return date.fromisoformat(str(value)[:10])
    if kind == bc_schema.DEC:
        return Decimal(str(value))
    return str(value)


# BC fields are never NULL: a NULL in the source means the field's blank value, as bc2adls and the
# APIs deliver it. Dates and DateTimes keep NULL for BC's 0D / 0DT.
_BLANKS = {bc_schema.TEXT: "''", bc_schema.INT: "0", bc_schema.DEC: "0", bc_schema.BOOL: "false"}


def _copy_field(column: str, pg_type: str) -> sql.Composable:
    """SQL for one field of a COPY text line: the value as text, escaped, ``\\N`` for NULL."""
    ident = sql.Identifier(column)
    if pg_type == bc_schema.DATETIME:
        # BC's DateTime has millisecond precision (bc2adls and the APIs carry milliseconds)
        value = sql.SQL("date_trunc('milliseconds', {})::text").format(ident)
    elif pg_type in _BLANKS and column != "row_version":
        value = sql.SQL("coalesce({}, {})::text").format(ident, sql.SQL(_BLANKS[pg_type]))
    else:
        value = sql.SQL("{}::text").format(ident)
    if pg_type == bc_schema.TEXT:
        value = sql.SQL(
            "replace(replace(replace(replace({}, E'\\\\', E'\\\\\\\\'), E'\\t', E'\\\\t'), "
            "E'\\n', E'\\\\n'), E'\\r', E'\\\\r')"
        ).format(value)
    return sql.SQL("coalesce({}, E'\\\\N')").format(value)


def _copy_line(table: bc_schema.Table, columns: list[str]) -> sql.Composable:
    """SQL building each row's COPY text line on the server: ``columns`` then the row version."""
    types = table.column_types()
    fields = [_copy_field(c, types[c]) for c in columns]
    fields.append(sql.SQL("row_version::text"))
    return sql.SQL(" || E'\\t' || ").join(fields)


def settled_row_version(dsn: str, schema: str, *, timeout: float = DEFAULT_SETTLE_TIMEOUT) -> int | None:
    """The highest row version below which no row can still appear; None without a row-version sequence.

    A row version is handed out (``nextval``) before its transaction commits, so a slow transaction
    can commit a *lower* row version after a faster one committed a higher one; reading past it would
    skip that row forever. So: read the sequence's position, then wait until every transaction that
    was writing to this database at that moment has finished. Every row version up to that position
    is then committed (or rolled back) and visible to a snapshot taken afterwards.
    """
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("select to_regclass(%s)", (f"{schema}.row_version_seq",))
            if cur.fetchone()[0] is None:
                return None
            cur.execute(
                sql.SQL("select last_value, is_called from {}.row_version_seq").format(sql.Identifier(schema))
            )
            last, called = cur.fetchone()
            bound = int(last) if called else int(last) - 1
            cur.execute("select pg_is_in_recovery()")
            if cur.fetchone()[0]:
                return bound  # a replica replays commits in order; there is no writer to wait for
            cur.execute(
                "select array_agg(backend_xid::text) from pg_stat_activity "
                "where datname = current_database() and backend_xid is not null and pid <> pg_backend_pid()"
            )
            writers = cur.fetchone()[0] or []
            deadline = time.monotonic() + timeout
            while writers:
                cur.execute(
                    "select array_agg(backend_xid::text) from pg_stat_activity "
                    "where backend_xid::text = any(%s)",
                    (writers,),
                )
                writers = cur.fetchone()[0] or []
                if not writers:
                    break
                if time.monotonic() > deadline:
                    raise SqlSourceError(
                        f"{len(writers)} transaction(s) writing to the source since before the extraction "
                        f"are still open after {timeout:.0f} s; their rows could be missed. Run the "
                        "extraction again when the source is quiet (e.g. after a seed or posting run)."
                    )
                time.sleep(0.2)
            return bound
    finally:
        conn.close()


class SqlSource:
    """Reads BC-shaped tables from PostgreSQL by row-version watermark."""

    def __init__(
        self,
        url: str,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        settle_timeout: float = DEFAULT_SETTLE_TIMEOUT,
    ) -> None:
        self.url = url
        self.dsn, self.schema = parse_sql_url(url)
        self.batch_size = batch_size
        self.settle_timeout = settle_timeout

    # -- connection helpers ---------------------------------------------------------------------

    def _connect(self) -> psycopg2.extensions.connection:
        try:
            conn = psycopg2.connect(self.dsn)
        except psycopg2.OperationalError as exc:
            raise SqlSourceError(
                f"Cannot connect to the sql: source {redact(self.url)}: {str(exc).strip()}. "
                "Check the URL in costclose.yml (or --source) and that the database is running."
            ) from exc
        conn.set_session(isolation_level=psycopg2.extensions.ISOLATION_LEVEL_REPEATABLE_READ, readonly=True)
        with conn.cursor() as cur:  # unambiguous text for dates and DateTimes in the COPY lines
            cur.execute("set datestyle = 'ISO, YMD'; set timezone = 'UTC'; set extra_float_digits = 3")
        conn.commit()
        return conn

    def _ident(self, name: str) -> sql.Composed:
        return sql.SQL("{}.{}").format(sql.Identifier(self.schema), sql.Identifier(name))

    def _columns(self, cur: psycopg2.extensions.cursor, table: bc_schema.Table) -> list[str]:
        cur.execute(
            "select column_name from information_schema.columns where table_schema = %s and table_name = %s",
            (self.schema, table.name),
        )
        present = {r[0] for r in cur.fetchall()}
        if not present:
            raise SqlSourceError(
                f"The sql: source {redact(self.url)} has no table {self.schema}.{table.name} "
                f"({table.bc_name}); point --source at a database with the BC tables, or set ?schema=."
            )
        missing = [c for c in (*table.primary_key, "row_version") if c not in present]
        if missing:
            raise SqlSourceError(
                f"{self.schema}.{table.name} lacks the columns {missing} needed for an incremental load."
            )
        return [c for c in table.column_names if c in present]

    # -- Source contract ------------------------------------------------------------------------

    def companies(self) -> list[str]:
        conn = self._connect()
        try:
            with conn.cursor() as cur:
                cur.execute(sql.SQL("select name from {} order by name").format(self._ident("company")))
                return [r[0] for r in cur.fetchall()]
        finally:
            conn.close()

    def _check_not_reset(self, cur: psycopg2.extensions.cursor, since: int) -> None:
        cur.execute("select to_regclass(%s)", (f"{self.schema}.row_version_seq",))
        if cur.fetchone()[0] is None:
            return
        cur.execute(sql.SQL("select last_value from {}").format(self._ident("row_version_seq")))
        last = int(cur.fetchone()[0])
        if last < since:
            raise SqlSourceError(
                f"The source's row versions went backwards ({self.schema}.row_version_seq is at {last}, "
                f"the last load reached {since}): the source database was recreated. "
                "Re-extract the company with `costclose extract --company NAME --full`."
            )

    def _deletes(
        self, cur: psycopg2.extensions.cursor, company: str, table: bc_schema.Table, since: int, upto: int
    ) -> list[tuple[int, tuple[Any, ...] | None, BadRow | None]]:
        cur.execute("select to_regclass(%s)", (f"{self.schema}.deleted_record",))
        if cur.fetchone()[0] is None:
            return []
        cur.execute(
            "select column_name from information_schema.columns where table_schema = %s "
            "and table_name = 'deleted_record' and column_name in ('deleted_system_id', 'system_id')",
            (self.schema,),
        )
        id_columns = {r[0] for r in cur.fetchall()}
        deleted_id = "deleted_system_id" if "deleted_system_id" in id_columns else "system_id"
        cur.execute(
            sql.SQL(
                "select row_version, key, {} from {} where company = %s and table_name = any(%s) "
                "and row_version > %s and row_version <= %s order by row_version"
            ).format(sql.Identifier(deleted_id), self._ident("deleted_record")),
            (company, [table.name, table.bc_name], since, upto),
        )
        out: list[tuple[int, tuple[Any, ...] | None, BadRow | None]] = []
        for row_version, key, system_id in cur.fetchall():
            try:
                if isinstance(key, list):
                    values = [_typed_key_value(table, c, v) for c, v in zip(table.key, key, strict=True)]
                else:
                    values = [_typed_key_value(table, c, key[c]) for c in table.key]
                out.append((int(row_version), (company, *values), None))
            except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
                bad = BadRow(
                    f"sql:{self.schema}.deleted_record row_version {row_version}",
                    f"deleted {table.bc_name} record has an unusable key ({exc}); system_id {system_id}",
                    repr(key),
                )
                out.append((int(row_version), None, bad))
        return out

    def fetch(
        self, company: str, table: bc_schema.Table, watermark: dict[str, Any] | None
    ) -> Iterator[Batch]:
        since = int(watermark["row_version"]) if watermark else -1
        settled = settled_row_version(self.dsn, self.schema, timeout=self.settle_timeout)
        upto = settled if settled is not None else 2**63 - 1
        conn = self._connect()
        try:
            with conn.cursor() as cur:
                columns = self._columns(cur, table)
                if watermark:
                    self._check_not_reset(cur, since)
                deletes = self._deletes(cur, company, table, since, upto)
            with conn.cursor(name="costclose_sql_source") as cur:
                cur.itersize = self.batch_size
                cur.execute(
                    sql.SQL(
                        "select {}, row_version from {} where company = %s and row_version > %s "
                        "and row_version <= %s order by row_version"
                    ).format(_copy_line(table, columns), self._ident(table.name)),
                    (company, since, upto),
                )
                while True:
                    rows = cur.fetchmany(self.batch_size)
                    if not rows:
                        break
                    first, last = rows[0][1], rows[-1][1]
                    taken = [d for d in deletes if d[0] <= last]
                    deletes = deletes[len(taken) :]
                    text = "\n".join(line for line, _ in rows) + "\n"
                    yield self._batch(table, columns, text, deletes=taken, span=f"{first}..{last}", last=last)
            if deletes:
                last = deletes[-1][0]
                yield self._batch(table, columns, None, deletes=deletes, span=f"deletes ..{last}", last=last)
        finally:
            conn.close()

    def _batch(
        self,
        table: bc_schema.Table,
        columns: list[str],
        copy_text: str | None,
        *,
        deletes: list[tuple[int, tuple[Any, ...] | None, BadRow | None]],
        span: str,
        last: int,
    ) -> Batch:
        return Batch(
            table=table,
            columns=columns,
            rows=[],
            source_ref=f"sql:{self.schema}.{table.name} row_version {span}",
            watermark={"row_version": int(last)},
            deletes=[key for _, key, _ in deletes if key is not None],
            bad_rows=[bad for _, _, bad in deletes if bad is not None],
            copy_text=copy_text,
            unique_keys=True,  # the source's primary key
        )

    def totals(self, company: str) -> dict[str, Any]:
        """Every table's row count and the sums of ``costclose.landing.control.SUMS``, one scan a table."""
        figures = self._read_slices(company, {t.name: [WHOLE] for t in bc_schema.RAW_TABLES}, whole=True)
        return totals_of_whole(figures)

    def slice_totals(self, company: str, slices: dict[str, list[str]]) -> SliceFigures:
        """The figures of the given slices (``costclose.landing.control``), by the same SQL as raw's.

        Served by an index on (company, posting_date) of each dated ledger (the demo ERP has them; a BC
        replica has keys on Posting Date) and by the relations' primary key for blocks of G/L entries."""
        return self._read_slices(company, slices)

    def _read_slices(self, company: str, slices: dict[str, list[str]], whole: bool = False) -> SliceFigures:
        """``read_slice_totals`` over the source's tables that exist (a replica may lack some)."""
        conn = self._connect()
        try:
            with conn.cursor() as cur:
                cur.execute(
                    "select table_name from information_schema.tables where table_schema = %s", (self.schema,)
                )
                present = {r[0] for r in cur.fetchall()}
                return read_slice_totals(
                    cur,
                    company,
                    slices,
                    lambda t: self._ident(t.name),
                    lambda t: t.name in present,
                    whole=whole,
                )
        finally:
            conn.close()

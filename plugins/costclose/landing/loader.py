"""Land one company from a source into ``raw``: batch by batch, each batch in one transaction.

For every batch a connector yields, one transaction (1) records the batch, (2) deletes the rows the
source deleted, (3) COPYs the rows into a temporary table and upserts them into ``raw`` (an updated row
replaces its previous version; a row whose BC columns did not change is left untouched), (4) writes
the batch's bad rows to ``landing.quarantine`` and (5) stores the batch's watermark. A crash between
batches therefore resumes from the last committed watermark with no duplicates and no gaps, and
rerunning a load changes nothing.

After all tables are loaded, the company's control totals in ``raw`` are compared with the source's.
When they differ because the source changed while it was read (the close posting to it, users
working), up to ``CATCH_UP_ROUNDS`` more incremental passes land the changes; a mismatch that stays
fails the load with both figures in the message. A load killed or cut off from the warehouse keeps
its committed batches; the next load marks it ``interrupted`` and resumes after them.
"""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import psycopg2
import psycopg2.extensions
from psycopg2 import sql

from costclose import bc_schema, db
from costclose.errors import CostcloseError
from costclose.landing.control import (
    WHOLE,
    ControlCheck,
    compare,
    compare_slices,
    raw_slice_totals,
    raw_totals,
    slicing,
)
from costclose.landing.copy_text import copy_buffer
from costclose.landing.prefetch import prefetched
from costclose.landing.schema import DELETES_MARKED, UNMARKED, ensure_schema, raw_table
from costclose.security.session import step_url
from costclose.sources.base import Batch, Source

log = logging.getLogger(__name__)


class LoadError(CostcloseError):
    """A load could not run or its batch could not be applied."""


class TotalsMismatchError(CostcloseError):
    """The company's control totals in raw differ from the source's after a load."""

    def __init__(self, company: str, mismatches: list[ControlCheck]) -> None:
        self.company = company
        self.mismatches = mismatches
        lines = "; ".join(f"{c.metric}: source {c.source_value} vs raw {c.raw_value}" for c in mismatches)
        super().__init__(
            f"Control totals of company {company!r} do not match after the load: {lines}. "
            "The source changed during the load or rows were lost; rerun the load, and if the "
            "difference stays, re-extract the company with --full."
        )


@dataclass
class TableLoad:
    """What one load did to one table."""

    table: str
    batches: int = 0
    upserted: int = 0
    deleted: int = 0
    quarantined: int = 0


@dataclass
class LoadReport:
    """The outcome of ``load``: per table counts, the control checks and open quarantine."""

    company: str
    source_url: str
    load_id: int
    full: bool
    tables: dict[str, TableLoad] = field(default_factory=dict)
    checks: list[ControlCheck] = field(default_factory=list)
    comparison: str = ""  # what the control totals compared: every figure (and why) or the changed slices
    quarantine_open: int = 0
    seconds: float = 0.0

    @property
    def upserted(self) -> int:
        return sum(t.upserted for t in self.tables.values())

    @property
    def deleted(self) -> int:
        return sum(t.deleted for t in self.tables.values())

    @property
    def quarantined(self) -> int:
        return sum(t.quarantined for t in self.tables.values())

    def summary(self) -> dict[str, Any]:
        """A small JSON-able summary (Airflow XCom, logs)."""
        return {
            "company": self.company,
            "load_id": self.load_id,
            "full": self.full,
            "rows": self.upserted,
            "deleted": self.deleted,
            "quarantined": self.quarantined,
            "quarantine_open": self.quarantine_open,
            "seconds": round(self.seconds, 3),
            "comparison": self.comparison,
            "tables": {name: t.upserted for name, t in self.tables.items()},
            "checks": {
                c.metric: {"source": str(c.source_value), "raw": str(c.raw_value)} for c in self.checks
            },
        }


# Extra incremental passes when the control totals differ because the source changed during the load.
CATCH_UP_ROUNDS = 2

# Called after each committed batch with (table name, batch number within the table, the table's totals).
BatchHook = Callable[[str, int, TableLoad], None]


def _json_default(value: Any) -> str:
    if isinstance(value, Decimal | UUID | date | datetime):
        return str(value)
    raise TypeError(f"watermark value {value!r} is not JSON-serialisable")


def _acquire_company_lock(conn: psycopg2.extensions.connection, company: str) -> None:
    with conn.cursor() as cur:
        cur.execute(
            "select pg_try_advisory_lock(hashtextextended('costclose.landing:' || %s, 0))", (company,)
        )
        if not cur.fetchone()[0]:
            raise LoadError(
                f"Another load of company {company!r} is running against this warehouse; "
                "wait for it to finish and run the load again."
            )
        # Holding the lock, no other load of the company runs: a run still shown as running was killed
        # (its committed batches stay; this load resumes after them).
        cur.execute(
            "update landing.load_run set status = 'interrupted', finished_at = now(), "
            "message = 'the load stopped without finishing (process killed or connection lost); "
            "a later load resumed from its last committed batch' "
            "where company = %s and status = 'running'",
            (company,),
        )


def read_watermark(
    conn: psycopg2.extensions.connection, company: str, table: bc_schema.Table
) -> dict[str, Any] | None:
    """The watermark committed for (company, table), or None before the first load."""
    with conn.cursor() as cur:
        cur.execute(
            "select watermark from landing.watermark where company = %s and table_name = %s",
            (company, table.name),
        )
        row = cur.fetchone()
    conn.commit()
    return row[0] if row else None


def _check_batch(batch: Batch) -> None:
    unknown = set(batch.columns) - set(batch.table.column_names)
    if unknown:
        raise LoadError(
            f"The source sent columns {sorted(unknown)} that {batch.table.bc_name} does not have; "
            "the connector and bc_schema disagree -- fix the connector's field map."
        )
    missing = set(batch.table.primary_key) - set(batch.columns)
    if missing and batch.rows:
        raise LoadError(
            f"The source sent {batch.table.bc_name} rows without the key columns {sorted(missing)}."
        )


def _delete_rows(cur: psycopg2.extensions.cursor, batch: Batch) -> int:
    table = batch.table
    deleted = 0
    if batch.deletes:
        key = list(table.primary_key)
        cur.execute(
            sql.SQL("create temp table _del_keys on commit drop as select {} from {} with no data").format(
                sql.SQL(", ").join(map(sql.Identifier, key)), raw_table(table)
            )
        )
        cur.copy_expert(
            sql.SQL("copy _del_keys ({}) from stdin").format(sql.SQL(", ").join(map(sql.Identifier, key))),
            copy_buffer(batch.deletes),
        )
        match = sql.SQL(" and ").join(sql.SQL("r.{c} = d.{c}").format(c=sql.Identifier(c)) for c in key)
        deleted += _delete_marking(cur, table, sql.SQL("_del_keys d where {}").format(match))
    if batch.delete_system_ids:
        cur.execute("create temp table _del_ids (company text, system_id uuid) on commit drop")
        cur.copy_expert("copy _del_ids (company, system_id) from stdin", copy_buffer(batch.delete_system_ids))
        deleted += _delete_marking(
            cur, table, sql.SQL("_del_ids d where r.company = d.company and r.system_id = d.system_id")
        )
    return deleted


def _delete_marking(cur: psycopg2.extensions.cursor, table: bc_schema.Table, using: sql.Composable) -> int:
    """``delete from raw r using <using>``, marking the deleted rows' slices dirty (the raw triggers
    cannot: deletes carry no transition table, ``schema._dirty_triggers``)."""
    cut = slicing(table)
    if cut is None:
        cur.execute(sql.SQL("delete from {} r using {}").format(raw_table(table), using))
        return cur.rowcount
    cur.execute("select set_config(%s, 'on', true)", (DELETES_MARKED,))
    cur.execute(
        sql.SQL(
            "with gone as (delete from {raw} r using {using} returning r.company, {key} as slice), "
            "marked as (insert into landing.dirty_slice (company, table_name, slice) "
            "select distinct company, %s, slice from gone "
            "on conflict (company, table_name, slice) do update set marked_at = excluded.marked_at) "
            "select count(*) from gone"
        ).format(raw=raw_table(table), using=using, key=cut.key_sql("r")),
        (table.name,),
    )
    count = int(cur.fetchone()[0])
    cur.execute("select set_config(%s, '', true)", (DELETES_MARKED,))
    return count


def _stage_rows(cur: psycopg2.extensions.cursor, batch: Batch) -> None:
    """COPY the batch into ``_stage`` (its columns, ``_source_version``, ``_ord`` = arrival order)."""
    table = batch.table
    cols = sql.SQL(", ").join(map(sql.Identifier, batch.columns))
    cur.execute(
        sql.SQL(
            "create temp table _stage on commit drop as select {}, _source_version from {} with no data"
        ).format(cols, raw_table(table))
    )
    cur.execute("alter table _stage add column _ord bigint generated always as identity")
    copy = sql.SQL("copy _stage ({}, _source_version) from stdin").format(cols)
    if batch.copy_text is not None:
        cur.copy_expert(copy, io.StringIO(batch.copy_text))
        return
    versions: Iterable[str | None] = batch.source_versions or [None] * len(batch.rows)
    cur.copy_expert(
        copy, copy_buffer((*row, version) for row, version in zip(batch.rows, versions, strict=True))
    )


def _copy_into_empty(
    cur: psycopg2.extensions.cursor, batch: Batch, batch_id: int, loaded_at: datetime
) -> int:
    """First load of a table for a company, key-unique COPY text: straight into raw, no staging."""
    text = batch.copy_text or ""
    stamped = text.replace("\n", f"\t{batch_id}\t{loaded_at.isoformat()}\n")
    cur.copy_expert(
        sql.SQL("copy {} ({}, _source_version, _batch_id, _loaded_at) from stdin").format(
            raw_table(batch.table), sql.SQL(", ").join(map(sql.Identifier, batch.columns))
        ),
        io.StringIO(stamped),
    )
    return text.count("\n")


def _quarantine_reused_entry_numbers(cur: psycopg2.extensions.cursor, batch: Batch, batch_id: int) -> int:
    """A ledger entry number already loaded under another SystemId is never overwritten.

    BC never reuses an entry number, so such a row is bad input (a restored or foreign table): it goes
    to quarantine with both SystemIds, and the loaded entry stays as it was. Setup tables are left
    alone: BC may delete and re-create a setup row under the same key with a new SystemId.
    """
    table = batch.table
    if not table.name.endswith("entry") or "system_id" not in batch.columns:
        return 0
    key = list(table.primary_key)
    match = sql.SQL(" and ").join(sql.SQL("t.{c} = s.{c}").format(c=sql.Identifier(c)) for c in key)
    cur.execute(
        sql.SQL(
            "with reused as (delete from _stage s using {raw} t where {match}"
            " and s.system_id is distinct from t.system_id and t.system_id is not null"
            " returning s.*, t.system_id as loaded_system_id)"
            " insert into landing.quarantine (company, table_name, batch_id, source_ref, reason, raw)"
            " select company, %s, %s, %s, format('entry number already loaded under SystemId %%s;"
            " this row has SystemId %%s (BC never reuses entry numbers): the loaded entry is kept',"
            " loaded_system_id, system_id), row_to_json(reused)::text from reused"
        ).format(raw=raw_table(table), match=match),
        (table.name, batch_id, batch.source_ref),
    )
    return cur.rowcount


def _upsert_rows(
    cur: psycopg2.extensions.cursor, batch: Batch, batch_id: int, loaded_at: datetime, *, into_empty: bool
) -> tuple[int, int]:
    """Upsert the batch into raw; returns (rows upserted, rows quarantined as reused entry numbers)."""
    if not batch.rows and not batch.copy_text:
        return 0, 0
    if into_empty and batch.unique_keys and batch.copy_text is not None:
        return _copy_into_empty(cur, batch, batch_id, loaded_at), 0
    table = batch.table
    cols = list(batch.columns)
    key = list(table.primary_key)
    _stage_rows(cur, batch)
    reused = _quarantine_reused_entry_numbers(cur, batch, batch_id)
    ident = [sql.Identifier(c) for c in cols]
    non_key = [c for c in cols if c not in key]
    updates = [sql.SQL("{c} = excluded.{c}").format(c=sql.Identifier(c)) for c in non_key]
    updates += [
        sql.SQL("{c} = excluded.{c}").format(c=sql.Identifier(c))
        for c in ("_batch_id", "_loaded_at", "_source_version")
    ]
    changed = sql.SQL("({}) is distinct from ({})").format(
        sql.SQL(", ").join(sql.SQL("t.{}").format(sql.Identifier(c)) for c in non_key),
        sql.SQL(", ").join(sql.SQL("excluded.{}").format(sql.Identifier(c)) for c in non_key),
    )
    conflict = (
        sql.SQL("do update set {} where {}").format(sql.SQL(", ").join(updates), changed)
        if non_key
        else sql.SQL("do nothing")
    )
    # distinct on: a key sent twice in one batch keeps its last occurrence (the newest version).
    staged = (
        sql.SQL("_stage")
        if batch.unique_keys
        else sql.SQL("(select distinct on ({key}) * from _stage order by {key}, _ord desc) s").format(
            key=sql.SQL(", ").join(map(sql.Identifier, key))
        )
    )
    cur.execute(
        sql.SQL(
            "insert into {table} as t ({cols}, _batch_id, _loaded_at, _source_version) "
            "select {cols}, %s, %s::timestamptz, _source_version from {staged} "
            "on conflict ({key}) {conflict}"
        ).format(
            staged=staged,
            table=raw_table(table),
            cols=sql.SQL(", ").join(ident),
            key=sql.SQL(", ").join(map(sql.Identifier, key)),
            conflict=conflict,
        ),
        (batch_id, loaded_at),
    )
    return cur.rowcount, reused


def _quarantine(cur: psycopg2.extensions.cursor, company: str, batch: Batch, batch_id: int) -> int:
    if not batch.bad_rows:
        return 0
    rows = [
        (company, batch.table.name, batch_id, bad.source_ref, bad.reason, bad.raw) for bad in batch.bad_rows
    ]
    cur.copy_expert(
        "copy landing.quarantine (company, table_name, batch_id, source_ref, reason, raw) from stdin",
        copy_buffer(rows),
    )
    return len(rows)


def apply_batch(
    conn: psycopg2.extensions.connection,
    load_id: int,
    company: str,
    batch: Batch,
    *,
    into_empty: bool = False,
    unmarked: bool = False,
) -> TableLoad:
    """Apply one batch and commit it together with its watermark; returns what it did.

    ``into_empty``: the company had no rows in the table when this fetch started (first load, or
    after a full reset), so key-unique COPY text can go straight into raw. ``unmarked``: the load
    compares every figure until one such comparison succeeds, so the raw triggers need not mark the
    batch's slices (``schema.UNMARKED``).
    """
    _check_batch(batch)
    watermark = json.dumps(batch.watermark, default=_json_default)
    result = TableLoad(batch.table.name)
    try:
        with conn.cursor() as cur:
            if unmarked:
                cur.execute("select set_config(%s, 'on', true)", (UNMARKED,))
            cur.execute(
                "insert into landing.batch (load_id, company, table_name, source_ref, watermark) "
                "values (%s, %s, %s, %s, %s) returning batch_id, committed_at",
                (load_id, company, batch.table.name, batch.source_ref, watermark),
            )
            batch_id, loaded_at = cur.fetchone()
            result.deleted = _delete_rows(cur, batch)
            result.upserted, reused = _upsert_rows(cur, batch, batch_id, loaded_at, into_empty=into_empty)
            result.quarantined = _quarantine(cur, company, batch, batch_id) + reused
            cur.execute(
                "update landing.batch set rows_upserted = %s, rows_deleted = %s, rows_quarantined = %s "
                "where batch_id = %s",
                (result.upserted, result.deleted, result.quarantined, batch_id),
            )
            cur.execute(
                "insert into landing.watermark (company, table_name, watermark, batch_id) "
                "values (%s, %s, %s, %s) on conflict (company, table_name) do update "
                "set watermark = excluded.watermark, batch_id = excluded.batch_id, updated_at = now()",
                (company, batch.table.name, watermark, batch_id),
            )
        conn.commit()
    except (psycopg2.OperationalError, psycopg2.InterfaceError) as exc:
        if conn.closed:
            raise LoadError(
                f"The connection to the warehouse was lost while loading the {batch.table.bc_name} batch "
                f"from {batch.source_ref} ({str(exc).strip() or type(exc).__name__}). Nothing of this batch "
                "was written; run the load again: it resumes after the last committed batch."
            ) from exc
        conn.rollback()
        raise
    except (psycopg2.DataError, psycopg2.IntegrityError) as exc:
        conn.rollback()
        raise LoadError(
            f"{batch.table.bc_name} batch from {batch.source_ref} could not be stored: {str(exc).strip()}. "
            "Nothing of this batch was written; fix the source rows (or the connector) and load again."
        ) from exc
    except BaseException:
        conn.rollback()
        raise
    result.batches = 1
    return result


def _is_empty(conn: psycopg2.extensions.connection, company: str, table: bc_schema.Table) -> bool:
    with conn.cursor() as cur:
        cur.execute(
            sql.SQL("select not exists (select 1 from {} where company = %s)").format(raw_table(table)),
            (company,),
        )
        empty = bool(cur.fetchone()[0])
    conn.commit()
    return empty


def _reset_company(
    conn: psycopg2.extensions.connection, load_id: int, company: str, tables: list[bc_schema.Table]
) -> None:
    """Full re-extract: drop the company's raw rows and watermarks; its open quarantine is superseded."""
    with conn.cursor() as cur:
        # the slices need no marks: a full load ends with a full comparison, which clears the company's
        cur.execute("select set_config(%s, 'on', true)", (DELETES_MARKED,))
        for table in tables:
            cur.execute(sql.SQL("delete from {} where company = %s").format(raw_table(table)), (company,))
            cur.execute(
                "delete from landing.watermark where company = %s and table_name = %s", (company, table.name)
            )
        cur.execute(
            "update landing.quarantine set resolved_at = now(), resolution = %s "
            "where company = %s and table_name = any(%s) and resolved_at is null and waived_at is null",
            (f"superseded by full re-extract (load {load_id})", company, [t.name for t in tables]),
        )
    conn.commit()


def _finish(conn: psycopg2.extensions.connection, load_id: int, status: str, message: str | None) -> None:
    conn.rollback()
    with conn.cursor() as cur:
        cur.execute(
            "update landing.load_run set finished_at = now(), status = %s, message = %s where load_id = %s",
            (status, message, load_id),
        )
    conn.commit()


def _record_checks(conn: psycopg2.extensions.connection, load_id: int, checks: list[ControlCheck]) -> None:
    with conn.cursor() as cur:
        for check in checks:
            cur.execute(
                "insert into landing.load_control (load_id, metric, source_value, raw_value, matches) "
                "values (%s, %s, %s, %s, %s)",
                (load_id, check.metric, check.source_value, check.raw_value, check.matches),
            )
    conn.commit()


def _open_quarantine(conn: psycopg2.extensions.connection, company: str) -> int:
    with conn.cursor() as cur:
        cur.execute(
            "select count(*) from landing.quarantine "
            "where company = %s and resolved_at is null and waived_at is null",
            (company,),
        )
        count = int(cur.fetchone()[0])
    conn.commit()
    return count


def resolve_tables(tables: Iterable[str | bc_schema.Table] | None) -> list[bc_schema.Table]:
    """Tables by name (or as given), in load order; None means every raw table."""
    if tables is None:
        return list(bc_schema.RAW_TABLES)
    wanted = []
    for t in tables:
        if isinstance(t, bc_schema.Table):
            wanted.append(t)
        elif t in bc_schema.TABLES_BY_NAME and bc_schema.TABLES_BY_NAME[t] in bc_schema.RAW_TABLES:
            wanted.append(bc_schema.TABLES_BY_NAME[t])
        else:
            names = ", ".join(x.name for x in bc_schema.RAW_TABLES)
            raise LoadError(f"Unknown table {t!r}; choose from: {names}.")
    return [t for t in bc_schema.RAW_TABLES if t in wanted]


def _analyze_changed(conn: psycopg2.extensions.connection, report: LoadReport) -> None:
    """Refresh the planner's statistics of the tables this load changed.

    Autovacuum re-analyzes only after ~10 % of a table changed, so after a night's 0.5 % the newest
    month lies beyond the statistics; the period models then plan for one row and nest loops over the
    month's real rows (minutes at 1M entries, dbt_project/DECISIONLOG.md 17). What a night makes stale
    is the row count and the ranges of the posting date and the keys: for a ledger changed by less than
    a tenth, only those columns are analyzed (the sample is the same, but computing the statistics of all
    of a ledger's 15-70 columns is most of ANALYZE's time: 5.2 s -> 1.0 s for the value entries at 1M,
    DECISIONLOG 21); autovacuum refreshes the others when a tenth of the table changed."""
    by_name = {t.name: t for t in bc_schema.RAW_TABLES}
    with conn.cursor() as cur:
        for name, done in report.tables.items():
            if not (done.upserted or done.deleted):
                continue
            table = by_name[name]
            cut = slicing(table)
            cur.execute("select reltuples from pg_class where oid = %s::regclass", (f"raw.{name}",))
            known = float(cur.fetchone()[0])
            if cut is None or done.upserted + done.deleted > known / 10:
                cur.execute(sql.SQL("analyze {}").format(raw_table(table)))
                continue
            columns = dict.fromkeys([*table.primary_key, cut.column])
            cur.execute(
                sql.SQL("analyze {} ({})").format(
                    raw_table(table), sql.SQL(", ").join(map(sql.Identifier, columns))
                )
            )
    conn.commit()


def _expand_unknown_marks(conn: psycopg2.extensions.connection) -> None:
    """A sliced raw table changed outside a load (a delete or truncate by hand): every company with a
    watermark for it gets the whole table marked, so each one's next load compares it in full."""
    with conn.cursor() as cur:
        cur.execute(
            "with unknown as (delete from landing.dirty_slice where company = '' returning table_name) "
            "insert into landing.dirty_slice (company, table_name, slice) "
            "select distinct w.company, u.table_name, %s from unknown u "
            "join landing.watermark w on w.table_name = u.table_name "
            "on conflict (company, table_name, slice) do update set marked_at = excluded.marked_at",
            (WHOLE,),
        )
    conn.commit()


def _full_comparison_reason(
    conn: psycopg2.extensions.connection, company: str, selected: list[bc_schema.Table]
) -> str | None:
    """Why this load must compare every figure with the source (not only the changed slices), or None."""
    names = [t.name for t in selected]
    with conn.cursor() as cur:
        cur.execute(
            "select not exists (select 1 from landing.load_run "
            "where company = %s and status like 'loaded%%')",
            (company,),
        )
        first = cur.fetchone()[0]
        cur.execute(
            "select not exists (select 1 from landing.load_run r where r.company = %s and r.verified "
            "and r.started_at >= coalesce((select max(f.started_at) from landing.load_run f "
            "where f.company = %s and f.is_full), '-infinity'))",
            (company, company),
        )
        unverified = cur.fetchone()[0]
        cur.execute(
            "select array_agg(table_name order by table_name) from landing.dirty_slice "
            "where company = %s and slice = %s and table_name = any(%s)",
            (company, WHOLE, names),
        )
        outside = cur.fetchone()[0]
        cur.execute(  # a mismatch stays until a comparison matches (or --full), whatever it touched
            "select c.load_id from landing.load_control c where c.load_id = (select max(k.load_id) "
            "from landing.load_control k join landing.load_run r using (load_id) where r.company = %s) "
            "and not c.matches limit 1",
            (company,),
        )
        failed = cur.fetchone()
    conn.commit()
    if first:
        return "first load"
    if unverified:
        return "no complete comparison since the company's last full load"
    if failed:
        return f"load {failed[0]} found a difference"
    if outside:
        return f"raw changed outside a load ({', '.join(outside)})"
    return None


def _dirty_slices(
    conn: psycopg2.extensions.connection, company: str, selected: list[bc_schema.Table]
) -> tuple[dict[str, list[str]], datetime]:
    """The slices to compare (the dirty ones of the sliced tables, every unsliced table whole) and the
    time they were read: marks up to then are cleared once they match."""
    slices: dict[str, list[str]] = {t.name: [WHOLE] for t in selected if slicing(t) is None}
    with conn.cursor() as cur:
        cur.execute("select clock_timestamp()")
        as_of = cur.fetchone()[0]
        cur.execute(
            "select table_name, array_agg(slice order by slice) from landing.dirty_slice "
            "where company = %s and table_name = any(%s) group by table_name",
            (company, [t.name for t in selected if slicing(t) is not None]),
        )
        slices.update(dict(cur.fetchall()))
    conn.commit()
    return slices, as_of


def _clear_marks(
    conn: psycopg2.extensions.connection, company: str, selected: list[bc_schema.Table], as_of: datetime
) -> None:
    with conn.cursor() as cur:
        cur.execute(
            "delete from landing.dirty_slice where company = %s and table_name = any(%s) and marked_at <= %s",
            (company, [t.name for t in selected], as_of),
        )
    conn.commit()


def _compare(
    conn: psycopg2.extensions.connection,
    source: Source,
    company: str,
    selected: list[bc_schema.Table],
    *,
    everything: bool,
) -> tuple[list[ControlCheck], datetime]:
    """Compare raw with the source: every figure of the company, or the dirty slices (the source then
    has ``slice_totals``). Returns the checks and the time up to which the compared marks are covered."""
    # The source's figures are read in a thread of their own while raw's are summed here: both are
    # scans on different servers (or the bc2adls cache), so the comparison costs the longer of the two,
    # not their sum (at 10.8M value entries: bc2adls cache 34 s, raw 10 s). Each source opens its own
    # connection per call.
    with ThreadPoolExecutor(1, thread_name_prefix="source-totals") as pool:
        if everything:
            with conn.cursor() as cur:
                cur.execute("select clock_timestamp()")
                as_of = cur.fetchone()[0]
            theirs = pool.submit(source.totals, company)
            ours = raw_totals(conn, company, selected)
            checks = compare(theirs.result(), ours)
        else:
            slices, as_of = _dirty_slices(conn, company, selected)
            theirs_slices = pool.submit(source.slice_totals, company, slices)  # type: ignore[attr-defined]
            ours_slices = raw_slice_totals(conn, company, slices)
            checks = compare_slices(theirs_slices.result(), ours_slices)
    conn.commit()
    return checks, as_of


def _load_tables(
    conn: psycopg2.extensions.connection,
    source: Source,
    company: str,
    selected: list[bc_schema.Table],
    report: LoadReport,
    on_batch: BatchHook | None,
    unmarked: bool,
) -> None:
    """One incremental pass over the selected tables, batch by batch."""
    for table in selected:
        totals = report.tables.setdefault(table.name, TableLoad(table.name))
        watermark = read_watermark(conn, company, table)
        into_empty = _is_empty(conn, company, table)
        for batch in prefetched(source.fetch(company, table, watermark)):
            done = apply_batch(conn, report.load_id, company, batch, into_empty=into_empty, unmarked=unmarked)
            totals.batches += 1
            totals.upserted += done.upserted
            totals.deleted += done.deleted
            totals.quarantined += done.quarantined
            log.info(
                "%s %s batch %d: %d upserted, %d deleted, %d quarantined",
                company,
                table.name,
                totals.batches,
                done.upserted,
                done.deleted,
                done.quarantined,
            )
            if on_batch is not None:
                on_batch(table.name, totals.batches, totals)


def _load_and_compare(
    conn: psycopg2.extensions.connection,
    source: Source,
    company: str,
    selected: list[bc_schema.Table],
    report: LoadReport,
    reason: str | None,
    on_batch: BatchHook | None,
    unmarked: bool,
) -> datetime:
    """Load, compare, and catch up while the source changes underneath; sets ``report.checks``."""
    for catch_up in range(CATCH_UP_ROUNDS + 1):
        if catch_up:
            # The source changed while it was read (e.g. the close posted to it): its rows
            # changed past the watermarks just committed, so another incremental pass lands them.
            log.warning("%s: the source changed during the load; catching up (pass %d)", company, catch_up)
        _load_tables(conn, source, company, selected, report, on_batch, unmarked)
        report.checks, as_of = _compare(conn, source, company, selected, everything=bool(reason))
        if all(c.matches for c in report.checks):
            return as_of
    if not reason:
        # a changed slice differs: the company-wide figures too, for the message (and the record)
        differing = [c for c in report.checks if not c.matches]
        report.comparison = "every figure (a changed slice differs)"
        everything, _ = _compare(conn, source, company, selected, everything=True)
        named = {c.metric for c in everything}
        report.checks = everything + [c for c in differing if c.metric not in named]
    return as_of


def load(
    source: Source,
    company: str,
    tables: Iterable[str | bc_schema.Table] | None = None,
    full: bool = False,
    *,
    verify: bool = False,
    warehouse_url: str | None = None,
    on_batch: BatchHook | None = None,
) -> LoadReport:
    """Land ``company`` from ``source`` into ``raw`` incrementally (``full``: re-extract it all).

    The control totals compared afterwards are those of the slices (posting dates, blocks of entry
    numbers) changed in raw since their last comparison, when the source can total slices
    (``slice_totals``); every figure of the company otherwise, and on a first load, ``full``, ``verify``
    or after raw changed outside a load (``control.py``, DECISIONLOG 21).

    ``on_batch`` is called after every committed batch (progress display; tests use it to crash
    a load between batches). Raises ``TotalsMismatchError`` when the control totals differ.
    """
    started = time.monotonic()
    selected = resolve_tables(tables)
    url = warehouse_url or step_url("extract")
    conn = psycopg2.connect(url)
    try:
        ensure_schema(conn)
        _acquire_company_lock(conn, company)
        with conn.cursor() as cur:
            cur.execute(
                "insert into landing.load_run (company, source_url, is_full) values (%s, %s, %s) "
                "returning load_id",
                (company, db.redact(source.url), full),
            )
            load_id = int(cur.fetchone()[0])
        conn.commit()
        report = LoadReport(company, db.redact(source.url), load_id, full)
        try:
            if full:
                _reset_company(conn, load_id, company, selected)
            _expand_unknown_marks(conn)
            # a lasting reason holds until a comparison of every figure succeeds, even across crashes
            lasting = "--full" if full else _full_comparison_reason(conn, company, selected)
            reason = lasting or ("--verify" if verify else None)
            if reason is None and not hasattr(source, "slice_totals"):
                reason = "the source cannot total slices"
            report.comparison = f"every figure ({reason})" if reason else "changed slices"
            unmarked = lasting is not None
            as_of = _load_and_compare(conn, source, company, selected, report, reason, on_batch, unmarked)
            conn.commit()
            _analyze_changed(conn, report)
            _record_checks(conn, load_id, report.checks)
            report.quarantine_open = _open_quarantine(conn, company)
            mismatches = [c for c in report.checks if not c.matches]
            if mismatches:
                raise TotalsMismatchError(company, mismatches)
            _clear_marks(conn, company, selected, as_of)
            if reason and len(selected) == len(bc_schema.RAW_TABLES):
                with conn.cursor() as cur:
                    cur.execute("update landing.load_run set verified = true where load_id = %s", (load_id,))
                conn.commit()
        except BaseException as exc:
            if not conn.closed:  # a lost connection: the next load marks this run interrupted
                _finish(conn, load_id, "failed", str(exc)[:2000] or type(exc).__name__)
            raise
        status = "loaded with quarantine" if report.quarantine_open else "loaded"
        _finish(conn, load_id, status, None)
    finally:
        conn.close()
    report.seconds = time.monotonic() - started
    return report

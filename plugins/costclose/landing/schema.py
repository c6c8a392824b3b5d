"""The warehouse's ``raw`` schema (current BC rows) and the ``landing`` schema (load metadata).

``raw.<table>`` holds, per (company, BC key), the current version of every row of the BC tables in
``bc_schema.RAW_TABLES``, plus the load metadata columns ``_batch_id``, ``_loaded_at`` and
``_source_version``. The dbt project reads exactly these tables as its sources.

``landing`` keeps what makes loads incremental and auditable:

* ``watermark``   -- per (company, table) the connector's opaque watermark of the last committed batch
* ``batch``       -- one row per committed batch (rows upserted / deleted / quarantined)
* ``quarantine``  -- input that could not be loaded, with the reason, where it came from and its raw text
* ``load_run``    -- one row per ``landing.load`` call, with its outcome
* ``load_control``-- the control totals compared after each load (source figure vs raw figure)
* ``dirty_slice`` -- per (company, table) the slices (posting dates, blocks of entry numbers) changed in
  ``raw`` since they were last compared with the source; statement triggers on the sliced raw tables
  keep it, whoever changes them (``control.py``: what a nightly load compares)
"""

from __future__ import annotations

import psycopg2.extensions
from psycopg2 import sql

from costclose import bc_schema

RAW_SCHEMA = "raw"
LANDING_SCHEMA = "landing"

# Serialises schema creation between concurrent loads (an arbitrary, fixed advisory-lock key).
_DDL_LOCK_KEY = 7_304_951_001

LANDING_DDL = """
create schema if not exists landing;
create table if not exists landing.load_run (
    load_id bigserial primary key,
    company text not null,
    source_url text not null,
    is_full boolean not null default false,
    started_at timestamptz not null default now(),
    finished_at timestamptz,
    status text not null default 'running',
    message text
);
create table if not exists landing.batch (
    batch_id bigserial primary key,
    load_id bigint references landing.load_run (load_id),
    company text not null,
    table_name text not null,
    source_ref text not null,
    committed_at timestamptz not null default now(),
    rows_upserted bigint not null default 0,
    rows_deleted bigint not null default 0,
    rows_quarantined bigint not null default 0,
    watermark jsonb
);
create table if not exists landing.watermark (
    company text not null,
    table_name text not null,
    watermark jsonb not null,
    batch_id bigint not null,
    updated_at timestamptz not null default now(),
    primary key (company, table_name)
);
create table if not exists landing.quarantine (
    quarantine_id bigserial primary key,
    company text not null,
    table_name text not null,
    batch_id bigint not null,
    source_ref text not null,
    reason text not null,
    raw text not null,
    quarantined_at timestamptz not null default now(),
    resolved_at timestamptz,
    resolution text,
    waived_at timestamptz,
    waiver_reason text
);
create index if not exists quarantine_open_idx on landing.quarantine (company)
    where resolved_at is null and waived_at is null;
create table if not exists landing.load_control (
    load_id bigint not null references landing.load_run (load_id),
    metric text not null,
    source_value numeric,
    raw_value numeric,
    matches boolean not null,
    checked_at timestamptz not null default now(),
    primary key (load_id, metric)
);
-- a load that compared every figure of every table with the source (first load, --full, --verify)
alter table landing.load_run add column if not exists verified boolean not null default false;
create table if not exists landing.dirty_slice (
    company text not null,      -- '' with slice '*': changed outside a load, company unknown
    table_name text not null,
    slice text not null,
    marked_at timestamptz not null default clock_timestamp(),
    primary key (company, table_name, slice)
);
"""


# ledgers are read by period: raw tables with this column get an index on (company, it)
PERIOD_COLUMN = "posting_date"

# Further indexes on raw tables. Value entries with cost left to post to the G/L are a few percent of
# history, yet every run (the nightly one too) needs them all: `int_value_entries_to_post` reads them
# through the two partial indexes below instead of scanning every value entry (DECISIONLOG.md 24). Their
# predicates are written on the expressions the staging view `stg_bc__value_entries` gives these columns
# (``coalesce(x, 0)``), so that PostgreSQL proves the model's conditions imply them. Expected cost has an
# index of its own because a company that does not post expected cost has it "unposted" on about half
# its entries: the model reads that index only for the companies that post expected cost.
# The period aggregates find what was loaded since their last build (`_loaded_at` past their watermark,
# dbt_project/macros/periods.sql) through the `_loaded_at` indexes, not by scanning every entry.
EXTRA_INDEXES: dict[str, dict[str, str]] = {
    "g_l_entry": {"g_l_entry_loaded_at_idx": "(_loaded_at)"},
    "value_entry": {
        "value_entry_loaded_at_idx": "(_loaded_at)",
        # not partial: the GX gate sums each item ledger entry's value entries through it
        # (expectations/raw_landing.py), one lookup per entry of the period instead of a scan of history
        "value_entry_item_ledger_entry_idx": "(company, item_ledger_entry_no)",
        "value_entry_actual_unposted_idx": (
            "(company) where coalesce(cost_amount_actual, 0) <> coalesce(cost_posted_to_g_l, 0)"
        ),
        "value_entry_expected_unposted_idx": (
            "(company) where coalesce(cost_amount_expected, 0) <> coalesce(expected_cost_posted_to_g_l, 0)"
        ),
    },
}


def ensure_schema(conn: psycopg2.extensions.connection) -> None:
    """Create ``raw`` and ``landing`` and all their tables if missing (idempotent, concurrency-safe).

    Commits; call it on a connection with no open work.
    """
    with conn.cursor() as cur:
        cur.execute("select pg_advisory_xact_lock(%s)", (_DDL_LOCK_KEY,))
        cur.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(RAW_SCHEMA)))
        for table in bc_schema.RAW_TABLES:
            cur.execute(
                bc_schema.create_table_sql(table, RAW_SCHEMA, extra_columns=bc_schema.RAW_LOAD_COLUMNS)
            )
            if PERIOD_COLUMN in table.column_names:
                # the period models and the nightly build read one month of a ledger: without this index
                # every period-filtered model scans the table's whole history (issue 9)
                cur.execute(
                    sql.SQL("create index if not exists {} on {}.{} (company, {})").format(
                        sql.Identifier(f"{table.name}_period_idx"),
                        sql.Identifier(RAW_SCHEMA),
                        sql.Identifier(table.name),
                        sql.Identifier(PERIOD_COLUMN),
                    )
                )
            for index, definition in EXTRA_INDEXES.get(table.name, {}).items():
                cur.execute(
                    sql.SQL("create index if not exists {} on {}.{} ").format(
                        sql.Identifier(index), sql.Identifier(RAW_SCHEMA), sql.Identifier(table.name)
                    )
                    + sql.SQL(definition)
                )
        cur.execute(LANDING_DDL)
        from costclose.landing.control import slicing  # control imports raw_table from here

        for table in bc_schema.RAW_TABLES:
            if slicing(table) is not None:
                _dirty_triggers(cur, table)
    conn.commit()


# Set (transaction-local) by the loader around deletes whose slices it marked itself.
DELETES_MARKED = "costclose.deletes_marked"
# Set (transaction-local) by the loader for the batches of a load that compares every figure for a reason
# that lasts until such a comparison succeeds (first load, --full, ...): their marks would be cleared
# unread, so the triggers skip computing them.
UNMARKED = "costclose.unmarked"


def _dirty_triggers(cur: psycopg2.extensions.cursor, table: bc_schema.Table) -> None:
    """Statement triggers that mark the slices of the rows an insert or update touched (both images).

    Deletes carry no transition table: a delete of a whole company (``--full``) would copy every row
    into it. The loader marks the slices of the rows it deletes itself (and sets ``DELETES_MARKED``);
    any other delete or a truncate marks the whole table dirty for every company (``''``, ``*``), so the
    next load of each company compares that table in full."""
    from costclose.landing.control import WHOLE, slicing

    cut = slicing(table)
    if cut is None:
        return
    function = sql.Identifier(LANDING_SCHEMA, f"mark_dirty_{table.name}")
    mark = sql.SQL(
        "insert into landing.dirty_slice (company, table_name, slice) {rows} "
        "on conflict (company, table_name, slice) do update set marked_at = excluded.marked_at;"
    )

    def images(name: str) -> sql.Composable:
        return sql.SQL("select company, {}, {} from {}").format(
            sql.Literal(table.name), cut.key_sql(), sql.Identifier(name)
        )

    body = sql.SQL(
        "begin\n"
        "  if tg_op in ('INSERT', 'UPDATE') and coalesce(current_setting({unmarked}, true), '') = 'on' then\n"
        "    return null;\n"
        "  end if;\n"
        "  if tg_op = 'INSERT' then {inserted}\n"
        "  elsif tg_op = 'UPDATE' then {updated}\n"
        "  elsif coalesce(current_setting({guc}, true), '') <> 'on' then {unknown}\n"
        "  end if;\n"
        "  return null;\n"
        "end"
    ).format(
        inserted=mark.format(rows=sql.SQL("select distinct * from ({}) n").format(images("new_rows"))),
        updated=mark.format(rows=sql.SQL("{} union {}").format(images("old_rows"), images("new_rows"))),
        guc=sql.Literal(DELETES_MARKED),
        unmarked=sql.Literal(UNMARKED),
        unknown=mark.format(
            rows=sql.SQL("values ('', {}, {})").format(sql.Literal(table.name), sql.Literal(WHOLE))
        ),
    )
    cur.execute(
        sql.SQL("create or replace function {}() returns trigger language plpgsql as {}").format(
            function, sql.Literal(body.as_string(cur))
        )
    )
    target = sql.Identifier(RAW_SCHEMA, table.name)
    # (re)creating a trigger locks the table against writes: only when one is missing
    cur.execute(
        "select array_agg(tgname::text) from pg_trigger where tgrelid = %s::regclass and not tgisinternal",
        (f"{RAW_SCHEMA}.{table.name}",),
    )
    present = set(cur.fetchone()[0] or [])
    for name, event in (
        ("mark_dirty_insert", "after insert on {} referencing new table as new_rows"),
        ("mark_dirty_update", "after update on {} referencing old table as old_rows new table as new_rows"),
        ("mark_dirty_delete", "after delete on {}"),
        ("mark_dirty_truncate", "after truncate on {}"),
    ):
        if name in present:
            continue
        ddl = "create or replace trigger {} " + event + " for each statement execute function {}()"
        cur.execute(sql.SQL(ddl).format(sql.Identifier(name), target, function))


def raw_table(table: bc_schema.Table) -> sql.Composed:
    """The qualified identifier of ``table`` in the raw schema."""
    return sql.SQL("{}.{}").format(sql.Identifier(RAW_SCHEMA), sql.Identifier(table.name))

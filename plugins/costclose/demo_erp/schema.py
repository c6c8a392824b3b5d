"""Schema ``bc`` of the demo ERP database: the BC tables of ``bc_schema`` plus demo-ERP-only tables.

Every row carries ``system_id``, ``system_created_at``, ``system_modified_at`` and ``row_version``.
``row_version`` comes from ONE sequence, ``bc.row_version_seq``: a column default on insert (so COPY
stays fast) and a ``before update`` trigger on every update, like BC's SQL ``rowversion``. Exporters use
it as their watermark, so a value entry whose Cost Posted to G/L changes is exported again. Deletes are
recorded in ``bc.deleted_record`` by an ``after delete`` trigger, for bc2adls-style exports.
"""

from __future__ import annotations

import logging

from psycopg2 import sql
from psycopg2.extensions import connection, cursor

from costclose import bc_schema

log = logging.getLogger(__name__)

SCHEMA = "bc"

SYSTEM_DEFAULTS = {
    "system_id": "gen_random_uuid()",
    "system_created_at": "now()",
    "system_modified_at": "now()",
    "row_version": "nextval('bc.row_version_seq')",
}

# Demo-ERP-only tables: (name, [(column, type)], primary key). System columns are appended.
EXTRA_TABLES: tuple[tuple[str, tuple[tuple[str, str], ...], tuple[str, ...]], ...] = (
    ("company", (("name", "text"), ("display_name", "text")), ("name",)),
    (
        "post_value_entry_to_g_l",
        (("company", "text"), ("value_entry_no", "bigint"), ("item_no", "text"), ("posting_date", "date")),
        ("company", "value_entry_no"),
    ),
    (
        "g_l_register",
        (
            ("company", "text"),
            ("no", "bigint"),
            ("from_entry_no", "bigint"),
            ("to_entry_no", "bigint"),
            ("creation_date", "date"),
            ("source_code", "text"),
            ("journal_batch_name", "text"),
            ("from_value_entry_no", "bigint"),
            ("to_value_entry_no", "bigint"),
        ),
        ("company", "no"),
    ),
    (
        "posted_journal",
        (
            ("company", "text"),
            ("idempotency_key", "text"),
            ("register_no", "bigint"),
            ("g_l_entry_nos", "bigint[]"),
        ),
        ("company", "idempotency_key"),
    ),
    (
        "deleted_record",
        (
            ("entry_no", "bigint generated always as identity"),
            ("company", "text"),
            ("table_name", "text"),
            ("deleted_system_id", "uuid"),
            ("key", "jsonb"),
        ),
        ("entry_no",),
    ),
    ("seed_manifest", (("company", "text"), ("manifest", "jsonb")), ("company",)),
    (
        "work_center",
        (
            ("company", "text"),
            ("no", "text"),
            ("name", "text"),
            ("unit_cost", "numeric"),
            ("indirect_cost_pct", "numeric"),
            ("overhead_rate", "numeric"),
            ("gen_prod_posting_group", "text"),
        ),
        ("company", "no"),
    ),
    (
        "resource",
        (
            ("company", "text"),
            ("no", "text"),
            ("name", "text"),
            ("unit_cost", "numeric"),
            ("indirect_cost_pct", "numeric"),
            ("gen_prod_posting_group", "text"),
        ),
        ("company", "no"),
    ),
    (
        "production_bom_line",
        (
            ("company", "text"),
            ("production_bom_no", "text"),
            ("line_no", "bigint"),
            ("no", "text"),
            ("quantity_per", "numeric"),
        ),
        ("company", "production_bom_no", "line_no"),
    ),
    (
        "routing_line",
        (
            ("company", "text"),
            ("routing_no", "text"),
            ("operation_no", "text"),
            ("work_center_no", "text"),
            ("run_time", "numeric"),
        ),
        ("company", "routing_no", "operation_no"),
    ),
    (
        "assembly_bom_component",
        (
            ("company", "text"),
            ("parent_item_no", "text"),
            ("line_no", "bigint"),
            ("type", "text"),
            ("no", "text"),
            ("quantity_per", "numeric"),
        ),
        ("company", "parent_item_no", "line_no"),
    ),
    (
        "posting_rule",
        (
            ("line_no", "bigint"),
            ("rule_id", "text"),
            ("ve_item_ledger_entry_type", "text"),
            ("ve_entry_type", "text"),
            ("ve_variance_type", "text"),
            ("ve_order_type", "text"),
            ("cost_part", "text"),
            ("account_type", "text"),
            ("account_setup_table", "text"),
            ("account_setup_field", "text"),
            ("bal_account_type", "text"),
            ("bal_setup_table", "text"),
            ("bal_setup_field", "text"),
        ),
        ("line_no",),
    ),
)

TOUCH_FUNCTION = """
create or replace function bc.touch_row() returns trigger language plpgsql as $$
begin
  new.system_modified_at := now();
  new.row_version := nextval('bc.row_version_seq');
  return new;
end $$;
"""

DELETE_FUNCTION = """
create or replace function bc.record_delete() returns trigger language plpgsql as $$
declare
  k jsonb := '{}'::jsonb;
  col text;
begin
  foreach col in array tg_argv loop
    k := k || jsonb_build_object(col, to_jsonb(old) -> col);
  end loop;
  insert into bc.deleted_record (company, table_name, deleted_system_id, key)
  values (coalesce(to_jsonb(old) ->> 'company', ''), tg_table_name, old.system_id, k);
  return old;
end $$;
"""


def _extra_table_sql(name: str, columns: tuple[tuple[str, str], ...], key: tuple[str, ...]) -> sql.Composed:
    cols = [sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(t)) for c, t in columns]
    cols += [
        sql.SQL("{} {} not null default {}").format(
            sql.Identifier(c), sql.SQL(t), sql.SQL(SYSTEM_DEFAULTS[c])
        )
        for c, t in bc_schema.SYSTEM_COLUMNS
    ]
    cols.append(sql.SQL("primary key ({})").format(sql.SQL(", ").join(map(sql.Identifier, key))))
    return sql.SQL("create table if not exists {}.{} ({})").format(
        sql.Identifier(SCHEMA), sql.Identifier(name), sql.SQL(", ").join(cols)
    )


def _defaults_and_triggers(cur: cursor, table: str, key: tuple[str, ...]) -> None:
    ident = sql.Identifier(SCHEMA, table)
    for col, default in SYSTEM_DEFAULTS.items():
        cur.execute(
            sql.SQL("alter table {} alter column {} set default {}").format(
                ident, sql.Identifier(col), sql.SQL(default)
            )
        )
    cur.execute(
        sql.SQL("drop trigger if exists touch_row on {}; ").format(ident)
        + sql.SQL(
            "create trigger touch_row before update on {} for each row execute function bc.touch_row()"
        ).format(ident)
    )
    # Bookkeeping tables of the demo ERP itself: their deletes are not BC data to export.
    if table in {
        "deleted_record",
        "posting_rule",
        "post_value_entry_to_g_l",
        "posted_journal",
        "seed_manifest",
    }:
        return
    cur.execute(
        sql.SQL("drop trigger if exists record_delete on {}; ").format(ident)
        + sql.SQL(
            "create trigger record_delete after delete on {} for each row "
            "execute function bc.record_delete({})"
        ).format(ident, sql.SQL(", ").join(sql.Literal(k) for k in key))
    )


def install(conn: connection) -> None:
    """Create schema ``bc`` with every table, the row-version sequence and the triggers (idempotent)."""
    with conn.cursor() as cur:
        cur.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(SCHEMA)))
        cur.execute("create sequence if not exists bc.row_version_seq")
        cur.execute(TOUCH_FUNCTION)
        cur.execute(DELETE_FUNCTION)
        for table in (*bc_schema.RAW_TABLES, *bc_schema.ERP_EXTRA_TABLES):
            cur.execute(bc_schema.create_table_sql(table, SCHEMA))
            _defaults_and_triggers(cur, table.name, table.primary_key)
            # Exporters read "row_version > watermark order by row_version": keep that an index scan.
            cur.execute(
                sql.SQL("create index if not exists {} on {} (company, row_version)").format(
                    sql.Identifier(f"{table.name}_row_version"), sql.Identifier(SCHEMA, table.name)
                )
            )
        for table in bc_schema.RAW_TABLES:
            if "posting_date" in table.column_names:
                # The nightly control totals compare the posting dates a load touched (landing/control.py):
                # like BC's keys on Posting Date, this keeps them index scans of those dates.
                cur.execute(
                    sql.SQL("create index if not exists {} on {} (company, posting_date)").format(
                        sql.Identifier(f"{table.name}_posting_date"), sql.Identifier(SCHEMA, table.name)
                    )
                )
        for name, columns, key in EXTRA_TABLES:
            cur.execute(_extra_table_sql(name, columns, key))
            _defaults_and_triggers(cur, name, key)
        cur.execute(
            "create index if not exists value_entry_ile on bc.value_entry (company, item_ledger_entry_no)"
        )
        # Room on each page for the new row versions written when Cost Posted to G/L is set.
        cur.execute("alter table bc.value_entry set (fillfactor = 85)")
        cur.execute(
            "create index if not exists relation_ve on bc.g_l_item_ledger_relation (company, value_entry_no)"
        )
    log.info("demo ERP schema %s is installed", SCHEMA)

"""Both connectors land the real demo ERP company (costclose.demo_erp) into identical raw rows."""

from __future__ import annotations

from pathlib import Path

import psycopg2

from costclose import bc_schema
from costclose.bc2adls_export.exporter import export_bc2adls
from costclose.landing import load
from costclose.sources import open_source


def raw(url: str) -> dict[str, list[tuple]]:
    out = {}
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        for table in bc_schema.RAW_TABLES:
            cur.execute(
                f"select {', '.join(table.column_names)} from raw.{table.name} "
                f"order by {', '.join(table.primary_key)}"
            )
            out[table.name] = cur.fetchall()
    conn.close()
    return out


def test_demo_company_lands_identically_through_sql_and_bc2adls_before_and_after_posting(
    clone_database, tmp_path: Path
) -> None:
    from costclose.demo_erp import gl_posting, simulate

    erp = clone_database("empty")
    simulate.seed(erp, "CRONUS", months=2, scale=0.05, seed=3)
    via_sql, via_bc2adls = clone_database("wh"), clone_database("wh")
    lake = str(tmp_path / "lake")
    export_bc2adls(erp, "CRONUS", lake)
    sql_source, lake_source = open_source(f"sql:{erp}"), open_source(f"bc2adls:{lake}")
    first_sql = load(sql_source, "CRONUS", warehouse_url=via_sql)
    first_lake = load(lake_source, "CRONUS", warehouse_url=via_bc2adls)

    assert first_sql.tables["value_entry"].upserted > 50
    assert first_lake.upserted == first_sql.upserted
    assert all(c.matches for c in first_sql.checks + first_lake.checks)
    landed = raw(via_sql)
    assert landed == raw(via_bc2adls)
    posted_at = bc_schema.VALUE_ENTRY.column_names.index("cost_posted_to_g_l")
    actual_at = bc_schema.VALUE_ENTRY.column_names.index("cost_amount_actual")
    unposted = [r for r in landed["value_entry"] if r[posted_at] != r[actual_at]]
    assert unposted, "the demo company has unposted value entries before Post Inventory Cost to G/L"

    conn = psycopg2.connect(erp)
    run = gl_posting.post_value_entries(conn, "CRONUS", queued_only=True)
    conn.commit()
    conn.close()
    assert run.value_entries_posted > 0
    export_bc2adls(erp, "CRONUS", lake)
    second_sql = load(sql_source, "CRONUS", warehouse_url=via_sql)
    second_lake = load(lake_source, "CRONUS", warehouse_url=via_bc2adls)

    assert second_sql.tables["value_entry"].upserted >= run.value_entries_posted
    assert second_lake.tables["value_entry"].upserted == second_sql.tables["value_entry"].upserted
    assert second_sql.tables["g_l_entry"].upserted == run.g_l_entries
    assert raw(via_sql) == raw(via_bc2adls)

"""Landing a company from a sql: source into raw: exact, incremental, resumable, checked."""

from __future__ import annotations

from decimal import Decimal

import pytest
from bc_source_db import (
    CrashError,
    crash_at,
    execute,
    g_l_entries,
    insert_rows,
    query,
    seed_company,
    table_rows,
    value_entries,
)

from costclose import bc_schema
from costclose.landing import LoadError, TotalsMismatchError, load, quarantine_status
from costclose.sources import open_source

COMPANY = "CRONUS International Ltd."


def raw_equals_source(source_url: str, warehouse_url: str, company: str) -> None:
    for table in bc_schema.RAW_TABLES:
        assert table_rows(warehouse_url, "raw", table, company) == table_rows(
            source_url, "bc", table, company
        ), table.name


def test_first_load_lands_every_row_and_matches_control_totals(source_url: str, warehouse_url: str) -> None:
    seed_company(source_url, COMPANY, value_entry_count=40, g_l_entry_count=25)
    seed_company(source_url, "Other Co", value_entry_count=5, g_l_entry_count=3)

    report = load(open_source(f"sql:{source_url}"), COMPANY, warehouse_url=warehouse_url)

    raw_equals_source(source_url, warehouse_url, COMPANY)
    assert report.tables["value_entry"].upserted == 40
    assert report.tables["g_l_entry"].upserted == 25
    assert report.tables["location"].upserted == 3
    assert all(c.matches for c in report.checks)
    checks = {c.metric: c for c in report.checks}
    expected_actual = sum(Decimal(r["cost_amount_actual"]) for r in value_entries(COMPANY, 1, 40))
    assert checks["cost_amount_actual"].raw_value == expected_actual
    assert checks["g_l_amount"].raw_value == sum(r["amount"] for r in g_l_entries(COMPANY, 1, 25))
    # only the requested company was landed
    assert query(warehouse_url, "select distinct company from raw.value_entry") == [(COMPANY,)]
    assert report.quarantine_open == 0


def test_rerun_changes_nothing(source_url: str, warehouse_url: str) -> None:
    seed_company(source_url, COMPANY)
    source = open_source(f"sql:{source_url}")
    load(source, COMPANY, warehouse_url=warehouse_url)
    before = query(warehouse_url, "select entry_no, _batch_id, _loaded_at from raw.value_entry order by 1")

    again = load(source, COMPANY, warehouse_url=warehouse_url)

    assert again.upserted == 0 and again.deleted == 0
    assert (
        query(warehouse_url, "select entry_no, _batch_id, _loaded_at from raw.value_entry order by 1")
        == before
    )


def test_incremental_load_picks_up_new_postings_updates_and_deletes(
    source_url: str, warehouse_url: str
) -> None:
    seed_company(source_url, COMPANY, value_entry_count=30)
    source = open_source(f"sql:{source_url}")
    load(source, COMPANY, warehouse_url=warehouse_url)

    # Post Inventory Cost to G/L: the unposted entries get Cost Posted to G/L
    posted = execute(
        source_url,
        "update bc.value_entry set cost_posted_to_g_l = cost_amount_actual "
        "where company = %s and cost_posted_to_g_l <> cost_amount_actual",
        (COMPANY,),
    )
    assert posted > 0
    insert_rows(source_url, bc_schema.VALUE_ENTRY, value_entries(COMPANY, 31, 12))
    execute(source_url, "delete from bc.location where company = %s and code = 'RED'", (COMPANY,))

    report = load(source, COMPANY, warehouse_url=warehouse_url)

    assert report.tables["value_entry"].upserted == 12 + posted
    assert report.tables["location"].deleted == 1
    raw_equals_source(source_url, warehouse_url, COMPANY)
    unposted = query(
        warehouse_url,
        "select count(*) from raw.value_entry "
        "where company = %s and entry_no <= 30 and cost_posted_to_g_l <> cost_amount_actual",
        (COMPANY,),
    )
    assert unposted == [(0,)]


def test_crash_between_batches_resumes_without_duplicates_or_gaps(
    source_url: str, warehouse_url: str
) -> None:
    seed_company(source_url, COMPANY, value_entry_count=50)
    source = open_source(f"sql:{source_url}", batch_size=7)

    with pytest.raises(CrashError):
        load(source, COMPANY, warehouse_url=warehouse_url, on_batch=crash_at("value_entry", 3))
    assert query(warehouse_url, "select count(*) from raw.value_entry") == [(21,)]

    report = load(source, COMPANY, warehouse_url=warehouse_url)

    assert report.tables["value_entry"].upserted == 29  # only the rows after the crash
    raw_equals_source(source_url, warehouse_url, COMPANY)
    # every row was landed by exactly one committed batch
    assert query(
        warehouse_url,
        "select sum(rows_upserted) from landing.batch where table_name = 'value_entry'",
    ) == [(50,)]
    assert query(warehouse_url, "select status from landing.load_run order by load_id") == [
        ("failed",),
        ("loaded",),
    ]


def test_lost_raw_rows_fail_the_load_with_both_figures_and_full_reextract_repairs(
    source_url: str, warehouse_url: str
) -> None:
    seed_company(source_url, COMPANY, value_entry_count=20)
    source = open_source(f"sql:{source_url}")
    load(source, COMPANY, warehouse_url=warehouse_url)
    total = sum(Decimal(r["cost_amount_actual"]) for r in value_entries(COMPANY, 1, 20))
    lost = query(warehouse_url, "select cost_amount_actual from raw.value_entry where entry_no = 7")[0][0]
    execute(warehouse_url, "delete from raw.value_entry where entry_no = 7")

    with pytest.raises(TotalsMismatchError) as failure:
        load(source, COMPANY, warehouse_url=warehouse_url)
    message = str(failure.value)
    assert "rows:value_entry: source 20 vs raw 19" in message
    assert f"cost_amount_actual: source {total} vs raw {total - lost}" in message
    assert query(
        warehouse_url, "select matches from landing.load_control where metric = 'rows:value_entry' order by 1"
    ) == [(False,), (True,)]

    report = load(source, COMPANY, full=True, warehouse_url=warehouse_url)
    assert report.tables["value_entry"].upserted == 20
    raw_equals_source(source_url, warehouse_url, COMPANY)


def test_hostile_company_name_is_just_a_name(source_url: str, warehouse_url: str) -> None:
    hostile = 'O\'Brien "Ltd"; drop table raw.value_entry; -- \\ %s'
    seed_company(source_url, hostile, value_entry_count=9, g_l_entry_count=4)
    seed_company(source_url, COMPANY, value_entry_count=3, g_l_entry_count=2)
    source = open_source(f"sql:{source_url}")
    assert hostile in source.companies()

    report = load(source, hostile, warehouse_url=warehouse_url)

    assert report.tables["value_entry"].upserted == 9
    raw_equals_source(source_url, warehouse_url, hostile)
    assert quarantine_status(hostile, warehouse_url=warehouse_url).open_rows == 0
    load(source, COMPANY, warehouse_url=warehouse_url)
    assert query(warehouse_url, "select count(*) from raw.value_entry") == [(12,)]


def test_recreated_source_is_refused_until_full_reextract(
    source_url: str, warehouse_url: str, clone_database
) -> None:
    seed_company(source_url, COMPANY, value_entry_count=10)
    load(open_source(f"sql:{source_url}"), COMPANY, warehouse_url=warehouse_url)
    fresh = clone_database("bc")
    execute(fresh, "insert into bc.company (name) values (%s)", (COMPANY,))
    insert_rows(fresh, bc_schema.VALUE_ENTRY, value_entries(COMPANY, 1, 2))

    with pytest.raises(Exception, match=r"went backwards.*--full"):
        load(open_source(f"sql:{fresh}"), COMPANY, warehouse_url=warehouse_url)
    report = load(open_source(f"sql:{fresh}"), COMPANY, full=True, warehouse_url=warehouse_url)
    assert report.tables["value_entry"].upserted == 2
    raw_equals_source(fresh, warehouse_url, COMPANY)


def test_unknown_table_is_a_clear_error(source_url: str, warehouse_url: str) -> None:
    with pytest.raises(LoadError, match="Unknown table 'value_entries'"):
        load(open_source(f"sql:{source_url}"), COMPANY, tables=["value_entries"], warehouse_url=warehouse_url)


def test_ledgers_are_indexed_by_period_and_analyzed_after_a_load(source_url: str, warehouse_url: str) -> None:
    seed_company(source_url, COMPANY, value_entry_count=30, g_l_entry_count=20)

    load(open_source(f"sql:{source_url}"), COMPANY, warehouse_url=warehouse_url)

    indexed = query(
        warehouse_url,
        "select tablename from pg_indexes where schemaname = 'raw' and indexdef like %s",
        ("%(company, posting_date)",),
    )
    ledgers = {"value_entry", "g_l_entry", "item_ledger_entry", "capacity_ledger_entry"}
    assert ledgers <= {r[0] for r in indexed}
    # the planner sees the rows just landed (not only what autovacuum last sampled)
    stats = dict(
        query(
            warehouse_url,
            "select c.relname, c.reltuples::int from pg_class c "
            "join pg_stat_user_tables s on s.relid = c.oid "
            "where s.schemaname = 'raw' and c.relname in ('value_entry', 'g_l_entry') "
            "and s.last_analyze is not null",
        )
    )
    assert stats == {"value_entry": 30, "g_l_entry": 20}

    # a rerun that changes nothing does not analyze again
    analyzed = "select last_analyze from pg_stat_user_tables where relname = 'value_entry'"
    before = query(warehouse_url, analyzed)
    load(open_source(f"sql:{source_url}"), COMPANY, warehouse_url=warehouse_url)
    after = query(warehouse_url, analyzed)
    assert before == after

"""Control totals by slice from a bc2adls folder: the totals cache keeps each row's slice, so a nightly
load compares the slices it changed, exactly as for the sql source (DECISIONLOG 21)."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path

import psycopg2
import pytest
from bc_source_db import day, execute, insert_rows, query, seed_company, value_entries

from costclose import bc_schema
from costclose.bc2adls_export.exporter import export_bc2adls
from costclose.landing import TotalsMismatchError, load
from costclose.landing.control import slicing
from costclose.landing.schema import UNMARKED
from costclose.sources import open_source

COMPANY = "CRONUS International Ltd."


def value_entry_slices(report) -> set[str]:
    return {
        c.metric[len("rows:value_entry[") : -1]
        for c in report.checks
        if c.metric.startswith("rows:value_entry[")
    }


def every_slice(warehouse_url: str) -> dict[str, list[str]]:
    """Every slice raw holds of every sliced table (keys by raw's own SQL)."""
    out = {}
    for table in bc_schema.RAW_TABLES:
        cut = slicing(table)
        if cut is not None:
            conn = psycopg2.connect(warehouse_url)
            with conn, conn.cursor() as cur:
                cur.execute(
                    psycopg2.sql.SQL("select distinct {} from raw.{}").format(
                        cut.key_sql(), psycopg2.sql.Identifier(table.name)
                    )
                )
                out[table.name] = sorted(r[0] for r in cur.fetchall())
            conn.close()
    return out


def a_night(source_url: str) -> None:
    """New entries, an amount changed, an entry moved to another date with a new amount, one deleted
    (its date keeps a new entry: 313 % 300 == 13)."""
    insert_rows(
        source_url, bc_schema.VALUE_ENTRY, value_entries(COMPANY, 41, 2) + value_entries(COMPANY, 313, 1)
    )
    execute(source_url, "update bc.value_entry set cost_amount_actual = 1 where entry_no = 5")
    execute(
        source_url,
        "update bc.value_entry set posting_date = '2025-06-30', cost_amount_actual = 77.77 "
        "where entry_no = 9",
    )
    execute(source_url, "delete from bc.value_entry where entry_no = 13")


def first_load(source_url: str, warehouse_url: str, tmp_path: Path):
    """Seed the company, export it to a bc2adls lake and land it: (lake, source, first load's report)."""
    seed_company(source_url, COMPANY, value_entry_count=40)
    lake = str(tmp_path / "lake")
    export_bc2adls(source_url, COMPANY, lake)
    source = open_source(f"bc2adls:{lake}")
    return lake, source, load(source, COMPANY, warehouse_url=warehouse_url)


def test_a_bc2adls_night_compares_the_changed_dates_only_and_every_figure_matches(
    source_url: str, warehouse_url: str, tmp_path: Path
) -> None:
    lake, source, first = first_load(source_url, warehouse_url, tmp_path)
    assert first.comparison == "every figure (first load)" and all(c.matches for c in first.checks)

    a_night(source_url)
    export_bc2adls(source_url, COMPANY, lake)
    night = load(source, COMPANY, warehouse_url=warehouse_url)

    assert night.comparison == "changed slices"
    # new rows' dates, the updated row's, both dates of the moved row, the deleted row's: nothing else
    assert value_entry_slices(night) == {day(41), day(42), day(5), day(9), "2025-06-30", day(13)}
    assert all(c.matches for c in night.checks)
    checks = {c.metric: c for c in night.checks}
    assert checks[f"cost_amount_actual[{day(5)}]"].source_value == Decimal(1)
    assert checks[f"rows:value_entry[{day(9)}]"].source_value == 0  # moved away
    assert checks["cost_amount_actual[2025-06-30]"].source_value == Decimal("77.77")  # moved here
    # the deleted entry dropped out of its date; the new entry of that date is counted
    assert checks[f"rows:value_entry[{day(13)}]"].source_value == 1
    assert (
        checks[f"cost_amount_actual[{day(13)}]"].source_value
        == value_entries(COMPANY, 313, 1)[0]["cost_amount_actual"]
    )
    assert checks["rows:location"].source_value == 3  # small tables are always counted whole
    assert not any(m.startswith("rows:g_l_entry[") for m in checks)  # untouched ledger: not read

    # every slice of every sliced table, from the cache, equals the sql source's figures by SQL
    slices = every_slice(warehouse_url)
    assert sum(map(len, slices.values())) > 40
    assert source.slice_totals(COMPANY, slices) == open_source(f"sql:{source_url}").slice_totals(
        COMPANY, slices
    )


def test_a_corrupted_raw_row_in_a_changed_date_fails_the_bc2adls_night(
    source_url: str, warehouse_url: str, tmp_path: Path
) -> None:
    lake, source, _ = first_load(source_url, warehouse_url, tmp_path)
    # raw damaged where no trigger marks it: only the night's new entry of that date makes it compared
    execute(
        warehouse_url,
        f"set {UNMARKED} = 'on'; update raw.value_entry set cost_amount_actual = cost_amount_actual + 5 "
        "where entry_no = 7",
    )
    assert query(warehouse_url, "select count(*) from landing.dirty_slice") == [(0,)]
    insert_rows(source_url, bc_schema.VALUE_ENTRY, value_entries(COMPANY, 307, 1))  # 307 % 300 == 7
    export_bc2adls(source_url, COMPANY, lake)
    on_day = query(
        source_url, "select sum(cost_amount_actual) from bc.value_entry where posting_date = %s", (day(7),)
    )[0][0]

    with pytest.raises(TotalsMismatchError) as failure:
        load(source, COMPANY, warehouse_url=warehouse_url)

    assert f"cost_amount_actual[{day(7)}]: source {on_day} vs raw {on_day + 5}" in str(failure.value)


def test_a_totals_cache_written_before_slices_is_rebuilt_and_totals_stay_exact(
    source_url: str, warehouse_url: str, tmp_path: Path
) -> None:
    seed_company(source_url, COMPANY, value_entry_count=40)
    lake = str(tmp_path / "lake")
    export_bc2adls(source_url, COMPANY, lake)
    cache_dir = tmp_path / "cache"
    load(open_source(f"bc2adls:{lake}", cache_dir=cache_dir), COMPANY, warehouse_url=warehouse_url)
    # the cache as the code before slices wrote it: the same versions, no slice column, user_version 0
    [path] = cache_dir.glob("*.sqlite")
    old = sqlite3.connect(path)
    old.executescript(
        "create table latest_old (table_name text, system_id text, ts integer, deleted integer, a0 text, "
        "a1 text, a2 text, primary key (table_name, system_id)) without rowid; "
        "insert into latest_old select table_name, system_id, ts, deleted, a0, a1, a2 from latest; "
        "drop table latest; alter table latest_old rename to latest; pragma user_version = 0;"
    )
    old.commit()
    old.close()

    a_night(source_url)
    export_bc2adls(source_url, COMPANY, lake)
    night = load(open_source(f"bc2adls:{lake}", cache_dir=cache_dir), COMPANY, warehouse_url=warehouse_url)

    assert night.comparison == "changed slices"
    assert value_entry_slices(night) == {day(41), day(42), day(5), day(9), "2025-06-30", day(13)}
    assert all(c.matches for c in night.checks)
    # every delta file was folded in again: the whole history is in the totals, with slices
    source = open_source(f"bc2adls:{lake}", cache_dir=cache_dir)
    slices = every_slice(warehouse_url)
    assert source.slice_totals(COMPANY, slices) == open_source(f"sql:{source_url}").slice_totals(
        COMPANY, slices
    )
    assert (
        load(source, COMPANY, verify=True, warehouse_url=warehouse_url).comparison
        == "every figure (--verify)"
    )
    assert sqlite3.connect(path).execute("pragma user_version").fetchone() == (1,)

"""Control totals that cost what changed: a nightly load compares the slices it (or anyone) touched in raw;
a first load, --full and --verify compare every figure (DECISIONLOG 21)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from bc_source_db import CrashError, crash_at, day, execute, insert_rows, query, seed_company, value_entries

from costclose import bc_schema
from costclose.landing import TotalsMismatchError, load
from costclose.sources import open_source

COMPANY = "CRONUS International Ltd."


def change_without_row_version(source_url: str, entry_no: int, amount: str) -> None:
    """A source row changed behind the row versions (a restore, a direct SQL fix): no load sees it."""
    execute(
        source_url,
        "alter table bc.value_entry disable trigger bump; "
        "update bc.value_entry set cost_amount_actual = %s where company = %s and entry_no = %s; "
        "alter table bc.value_entry enable trigger bump",
        (Decimal(amount), COMPANY, entry_no),
    )


def value_entry_slices(report) -> set[str]:
    return {
        c.metric[len("rows:value_entry[") : -1]
        for c in report.checks
        if c.metric.startswith("rows:value_entry[")
    }


def test_first_load_compares_everything_and_a_night_only_the_touched_dates(
    source_url: str, warehouse_url: str
) -> None:
    seed_company(source_url, COMPANY, value_entry_count=40)
    source = open_source(f"sql:{source_url}")
    first = load(source, COMPANY, warehouse_url=warehouse_url)
    assert first.comparison == "every figure (first load)"
    assert "rows:value_entry" in {c.metric for c in first.checks}
    assert query(warehouse_url, "select count(*) from landing.dirty_slice") == [(0,)]

    # the night: two new entries, one entry's amount changed, one entry moved to another date
    insert_rows(source_url, bc_schema.VALUE_ENTRY, value_entries(COMPANY, 41, 2))
    execute(source_url, "update bc.value_entry set cost_amount_actual = 1 where entry_no = 5")
    execute(source_url, "update bc.value_entry set posting_date = '2025-06-30' where entry_no = 9")

    night = load(source, COMPANY, warehouse_url=warehouse_url)

    assert night.comparison == "changed slices"
    # new rows' dates, the updated row's date, and both dates of the moved row: nothing else
    assert value_entry_slices(night) == {day(41), day(42), day(5), day(9), "2025-06-30"}
    assert all(c.matches for c in night.checks)
    checks = {c.metric: c for c in night.checks}
    assert checks[f"cost_amount_actual[{day(5)}]"].raw_value == Decimal(1)
    assert checks["rows:location"].raw_value == 3  # small tables are always counted whole
    assert not any(m.startswith("rows:g_l_entry[") for m in checks)  # untouched ledger: not read
    assert query(warehouse_url, "select count(*) from landing.dirty_slice") == [(0,)]


def test_a_mismatch_in_a_touched_date_fails_the_nightly_load_with_both_figures(
    source_url: str, warehouse_url: str
) -> None:
    seed_company(source_url, COMPANY, value_entry_count=40)
    source = open_source(f"sql:{source_url}")
    load(source, COMPANY, warehouse_url=warehouse_url)
    before = Decimal(
        query(source_url, "select cost_amount_actual from bc.value_entry where entry_no = 7")[0][0]
    )
    on_day = query(
        source_url, "select sum(cost_amount_actual) from bc.value_entry where posting_date = %s", (day(7),)
    )[0][0]
    total = query(source_url, "select sum(cost_amount_actual) from bc.value_entry")[0][0]
    change_without_row_version(source_url, 7, "1000.00")
    new = value_entries(COMPANY, 307, 1)  # 307 % 300 == 7: posted on the same date as entry 7
    insert_rows(source_url, bc_schema.VALUE_ENTRY, new)
    added = new[0]["cost_amount_actual"]

    with pytest.raises(TotalsMismatchError) as failure:
        load(source, COMPANY, warehouse_url=warehouse_url)

    message = str(failure.value)
    delta = Decimal("1000.00") - before
    # the date's figures and the company's, both sides
    assert f"cost_amount_actual[{day(7)}]: source {on_day + added + delta} vs raw {on_day + added}" in message
    assert f"cost_amount_actual: source {total + added + delta} vs raw {total + added}" in message
    assert "rows:value_entry" not in message  # the counts agree
    # the dirty date stays marked: the next load compares it again, and fails again
    assert query(warehouse_url, "select slice from landing.dirty_slice where table_name = 'value_entry'") == [
        (day(7),)
    ]
    with pytest.raises(TotalsMismatchError):
        load(source, COMPANY, warehouse_url=warehouse_url)


def test_a_change_in_an_untouched_date_is_caught_by_verify(source_url: str, warehouse_url: str) -> None:
    seed_company(source_url, COMPANY, value_entry_count=40)
    source = open_source(f"sql:{source_url}")
    load(source, COMPANY, warehouse_url=warehouse_url)
    total = query(source_url, "select sum(cost_amount_actual) from bc.value_entry")[0][0]
    before = Decimal(
        query(source_url, "select cost_amount_actual from bc.value_entry where entry_no = 3")[0][0]
    )
    change_without_row_version(source_url, 3, "999.99")
    insert_rows(source_url, bc_schema.VALUE_ENTRY, value_entries(COMPANY, 41, 1))
    added = value_entries(COMPANY, 41, 1)[0]["cost_amount_actual"]

    night = load(source, COMPANY, warehouse_url=warehouse_url)  # compares the new entry's date only
    assert night.comparison == "changed slices" and all(c.matches for c in night.checks)
    assert value_entry_slices(night) == {day(41)}

    with pytest.raises(TotalsMismatchError) as failure:
        load(source, COMPANY, verify=True, warehouse_url=warehouse_url)
    expected = total + added
    assert f"cost_amount_actual: source {expected - before + Decimal('999.99')} vs raw {expected}" in str(
        failure.value
    )
    assert query(
        warehouse_url, "select status, verified from landing.load_run order by load_id desc limit 1"
    ) == [("failed", False)]
    # the difference stays reported: a plain nightly load compares everything until it is repaired
    with pytest.raises(TotalsMismatchError, match=r"cost_amount_actual: source .* vs raw"):
        load(source, COMPANY, warehouse_url=warehouse_url)

    repaired = load(source, COMPANY, full=True, warehouse_url=warehouse_url)
    assert all(c.matches for c in repaired.checks) and repaired.comparison == "every figure (--full)"


def test_hand_edits_of_raw_are_compared_by_the_next_load(source_url: str, warehouse_url: str) -> None:
    seed_company(source_url, COMPANY, value_entry_count=40)
    source = open_source(f"sql:{source_url}")
    load(source, COMPANY, warehouse_url=warehouse_url)
    execute(warehouse_url, "update raw.value_entry set cost_amount_actual = 0 where entry_no = 11")

    with pytest.raises(TotalsMismatchError, match=rf"cost_amount_actual\[{day(11)}\]: source .* vs raw"):
        load(source, COMPANY, warehouse_url=warehouse_url)

    execute(warehouse_url, "delete from raw.g_l_entry where entry_no = 2")  # company unknown to the trigger
    with pytest.raises(TotalsMismatchError, match=r"rows:g_l_entry: source 25 vs raw 24"):
        load(source, COMPANY, warehouse_url=warehouse_url)


def test_a_crashed_nightly_load_leaves_its_dates_to_the_next_comparison(
    source_url: str, warehouse_url: str
) -> None:
    seed_company(source_url, COMPANY, value_entry_count=20)
    load(open_source(f"sql:{source_url}"), COMPANY, warehouse_url=warehouse_url)
    insert_rows(source_url, bc_schema.VALUE_ENTRY, value_entries(COMPANY, 21, 6))

    with pytest.raises(CrashError):
        load(
            open_source(f"sql:{source_url}", batch_size=3),
            COMPANY,
            warehouse_url=warehouse_url,
            on_batch=crash_at("value_entry", 1),
        )
    assert {r[0] for r in query(warehouse_url, "select slice from landing.dirty_slice")} == {
        day(n) for n in (21, 22, 23)
    }

    resumed = load(open_source(f"sql:{source_url}", batch_size=3), COMPANY, warehouse_url=warehouse_url)

    assert resumed.tables["value_entry"].upserted == 3
    assert value_entry_slices(resumed) == {day(n) for n in range(21, 27)}
    assert all(c.matches for c in resumed.checks)

"""Period-incremental runs (models only; the data tests run in the session build): a backfill
rewrites only its period in the aggregates and only that period and later ones in the per-period marts;
nightly runs catch back-dated entries and leave unchanged companies and periods alone; a full rebuild
gives the same marts. Also: what the posting task posted leaves the journal."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from dbt_warehouse import OPEN, POSTED, Warehouse, create_raw_schema, cronus_rows, insert_rows, load, ve

from costclose.db import connect
from costclose.transform import dbt

AGGREGATE = "intermediate.int_value_entries_aggregated_by_period"
MARTS = (
    "marts.fct_inventory_gl_reconciliation",
    "marts.fct_gl_account_reconciliation",
    "marts.fct_inventory_valuation",
    "marts.fct_inventory_valuation_items",
    "marts.fct_inventory_valuation_wip",
    "outbound.fct_adjusting_journal_per_entry",
    "outbound.fct_adjusting_journal_per_posting_group",
    "outbound.fct_adjusting_journal_skipped_entries",
    AGGREGATE,
    "intermediate.int_g_l_entries_aggregated_by_period",
)


def snapshot(wh: Warehouse) -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    for table in MARTS:
        rows = wh.query(f"select * from {table}")
        out[table] = sorted(rows, key=repr)
    return out


def slice_ctids(wh: Warehouse, company: str, period: str) -> list[tuple[Any, ...]]:
    return wh.query(
        f"select ctid::text, max_loaded_at from {AGGREGATE}"
        " where company = %s and period_start = %s order by 1",
        (company, period),
    )


VALUATION = "marts.fct_inventory_valuation_items"
ACCOUNTS = "marts.fct_gl_account_reconciliation"


def mart_ctids(wh: Warehouse, table: str, company: str) -> dict[str, list[str]]:
    """The physical row ids of a mart's rows per period: unchanged ids = rows not rewritten."""
    rows = wh.query(f"select period_start::text, ctid::text from {table} where company = %s", (company,))
    out: dict[str, list[str]] = {}
    for period, ctid in rows:
        out.setdefault(period, []).append(ctid)
    return {period: sorted(ctids) for period, ctids in out.items()}


def test_backfill_nightly_and_full_rebuild_agree(
    make_database: Callable[[str], str], shared_dir: Path, tmp_path: Path
) -> None:
    url = make_database("wh_incr")
    create_raw_schema(url)
    load(url, cronus_rows(shared_dir))
    target = tmp_path / "target"
    dbt.run_dbt(["seed"], url, target_path=target, check=True)
    first = dbt.run_dbt(["run"], url, target_path=target, check=True)
    wh = Warehouse(url=url, target_path=target, build=first)
    jan_before, mar_before = slice_ctids(wh, OPEN, "2024-01-01"), slice_ctids(wh, POSTED, "2024-03-01")
    assert jan_before and mar_before
    marts_before = {(t, c): mart_ctids(wh, t, c) for t in (VALUATION, ACCOUNTS) for c in (OPEN, POSTED)}
    assert set(marts_before[VALUATION, OPEN]) == {"2024-01-01", "2024-02-01", "2024-03-01"}

    # the posting task posted the February sale (entry 4) through its own ledger and G/L
    with connect(url) as conn, conn.cursor() as cur:
        cur.execute(
            "insert into posting.posted_value_entry (company, value_entry_no, cost_part, amount_posted,"
            " idempotency_key) values (%s, 4, 'actual', -506.6, 'k-4')",
            (OPEN,),
        )
        # a correction arrives for February: a revaluation of the sold item, already posted
        insert_rows(
            cur,
            "value_entry",
            [
                ve(
                    OPEN,
                    7,
                    "2024-02-25",
                    "Sale",
                    "Revaluation",
                    cost_amount_actual=-10,
                    cost_posted_to_g_l=-10,
                    item_no="1896-S",
                    item_ledger_entry_no=3,
                    inventory_posting_group="RESALE",
                    gen_bus_posting_group="DOMESTIC",
                    gen_prod_posting_group="RETAIL",
                )
            ],
        )
    dbt.run_dbt(["run"], url, dbt.build_vars(period="2024-02"), target_path=target, check=True)
    # a backfill of February leaves January and March untouched, row for row
    assert slice_ctids(wh, OPEN, "2024-01-01") == jan_before
    assert slice_ctids(wh, POSTED, "2024-03-01") == mar_before
    feb = wh.query(
        f"select sum(cost_amount_actual) from {AGGREGATE} where company = %s and period_start = '2024-02-01'",
        (OPEN,),
    )
    assert feb == [(Decimal("-1529.8"),)]
    journal = wh.query(
        "select count(*) from outbound.fct_adjusting_journal_per_entry where company = %s", (OPEN,)
    )
    assert journal == [(0,)]
    # the per-period marts: January is not rewritten, February and March (whose starting balances and
    # to-date figures include February) are
    for (table, company), before in marts_before.items():
        after = mart_ctids(wh, table, company)
        assert after["2024-01-01"] == before["2024-01-01"], (table, company)
        assert after["2024-02-01"] != before["2024-02-01"], (table, company)
        assert after["2024-03-01"] != before["2024-03-01"], (table, company)
    feb_open = wh.query(
        f"select ending_value from {VALUATION} where company = %s and period_start >= '2024-02-01'"
        " order by period_start",
        (OPEN,),
    )
    assert feb_open == [(Decimal("3029.6"),), (Decimal("3029.6"),)]
    marts_before = {(t, c): mart_ctids(wh, t, c) for t in (VALUATION, ACCOUNTS) for c in (OPEN, POSTED)}

    # nightly run without a period: an entry back-dated into February (March is the latest period)
    # loaded now is picked up
    with connect(url) as conn, conn.cursor() as cur:
        insert_rows(
            cur,
            "value_entry",
            [
                ve(
                    POSTED,
                    9,
                    "2024-02-28",
                    "Positive Adjmt.",
                    "Direct Cost",
                    cost_amount_actual=100,
                    item_no="1896-S",
                    inventory_posting_group="RESALE",
                    gen_prod_posting_group="RETAIL",
                )
            ],
        )
    assert datetime.now(UTC) > jan_before[0][1]
    dbt.run_dbt(["run"], url, target_path=target, check=True)
    unposted = wh.query(
        "select gl_account_no, amount from outbound.fct_adjusting_journal_per_entry"
        " where company = %s order by line_no",
        (POSTED,),
    )
    assert unposted == [("2110", Decimal(100)), ("7170", Decimal(-100))]
    assert slice_ctids(wh, OPEN, "2024-01-01") == jan_before  # untouched periods are not rewritten
    assert slice_ctids(wh, POSTED, "2024-03-01") == mar_before
    # the marts: only POSTED from February on is rewritten; OPEN did not change at all
    for table in (VALUATION, ACCOUNTS):
        assert mart_ctids(wh, table, OPEN) == marts_before[table, OPEN]
        after = mart_ctids(wh, table, POSTED)
        assert after["2024-01-01"] == marts_before[table, POSTED]["2024-01-01"]
        assert after["2024-02-01"] != marts_before[table, POSTED]["2024-02-01"]
    assert wh.query(
        f"select ending_value from {VALUATION} where company = %s and period_start = '2024-03-01'", (POSTED,)
    ) == [(Decimal("3646.2"),)]

    # a setup table re-loaded (an item's description changed): every period of every company may move,
    # so the per-period marts are rewritten whole; the aggregates are not
    marts_before = {(t, c): mart_ctids(wh, t, c) for t in (VALUATION, ACCOUNTS) for c in (OPEN, POSTED)}
    with connect(url) as conn, conn.cursor() as cur:
        insert_rows(cur, "item", [{"company": OPEN, "no": "1896-S", "description": "ATHENS Desk, renamed"}])
    dbt.run_dbt(["run"], url, target_path=target, check=True)
    for (table, company), before in marts_before.items():
        after = mart_ctids(wh, table, company)
        assert set(after) == set(before)
        assert all(after[period] != before[period] for period in before), (table, company)
    assert slice_ctids(wh, OPEN, "2024-01-01") == jan_before

    incremental = snapshot(wh)
    dbt.run_dbt(["run", "--full-refresh"], url, target_path=target, check=True)
    assert snapshot(wh) == incremental


def test_a_period_run_also_aggregates_what_was_loaded_before_its_period(
    make_database: Callable[[str], str], shared_dir: Path, tmp_path: Path
) -> None:
    """The close runs with --vars period: an entry back-dated into an earlier period and loaded in the same
    batch is aggregated by that run (the period's running balances read it), one dated after the period
    is left for the next run -- a backfill leaves later periods alone -- and is not lost (DECISIONLOG 26)."""
    url = make_database("wh_incr_backdated")
    create_raw_schema(url)
    load(url, cronus_rows(shared_dir))
    target = tmp_path / "target"
    select = ["--select", "+int_value_entries_aggregated_by_period"]
    wh = Warehouse(
        url=url, target_path=target, build=dbt.run_dbt(["run", *select], url, target_path=target, check=True)
    )
    total = f"select sum(cost_amount_actual) from {AGGREGATE} where company = %s and period_start = %s"
    january, march = wh.query(total, (POSTED, "2024-01-01")), wh.query(total, (POSTED, "2024-03-01"))
    march_before = slice_ctids(wh, POSTED, "2024-03-01")
    february_before = slice_ctids(wh, POSTED, "2024-02-01")
    kw = {"item_no": "1896-S", "inventory_posting_group": "RESALE", "gen_prod_posting_group": "RETAIL"}
    with connect(url) as conn, conn.cursor() as cur:
        insert_rows(
            cur,
            "value_entry",
            [
                ve(POSTED, 9, "2024-01-20", "Positive Adjmt.", "Direct Cost", cost_amount_actual=100, **kw),
                ve(POSTED, 10, "2024-03-20", "Positive Adjmt.", "Direct Cost", cost_amount_actual=1, **kw),
            ],
        )
    dbt.run_dbt(["run", *select], url, dbt.build_vars(period="2024-02"), target_path=target, check=True)
    assert wh.query(total, (POSTED, "2024-01-01")) == [(january[0][0] + 100,)]
    assert slice_ctids(wh, POSTED, "2024-02-01") != february_before  # the selected period is rewritten
    assert slice_ctids(wh, POSTED, "2024-03-01") == march_before  # after the period: left alone
    # the next run without a period aggregates March (and January again: the February run kept the
    # watermark from before it, so January's new entry is seen again; same figures); not February
    february = slice_ctids(wh, POSTED, "2024-02-01")
    dbt.run_dbt(["run", *select], url, target_path=target, check=True)
    assert wh.query(total, (POSTED, "2024-03-01")) == [(march[0][0] + 1,)]
    assert wh.query(total, (POSTED, "2024-01-01")) == [(january[0][0] + 100,)]
    assert slice_ctids(wh, POSTED, "2024-02-01") == february
    # and then nothing is left to aggregate
    after = {p: slice_ctids(wh, POSTED, p) for p in ("2024-01-01", "2024-02-01", "2024-03-01")}
    dbt.run_dbt(["run", *select], url, target_path=target, check=True)
    assert {p: slice_ctids(wh, POSTED, p) for p in after} == after

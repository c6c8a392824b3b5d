"""The WIP mart is incremental by production order (DECISIONLOG.md 26): on the demo ERP's company, runs
after new and back-dated production entries and a status change rewrite only the orders they touch (row
ids of every other order unchanged), and give the rows a full rebuild gives."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from costclose.db import connect
from costclose.demo_erp import simulate
from costclose.landing import load
from costclose.sources import open_source
from costclose.transform import dbt

COMPANY = "CRONUS"
WIP = "marts.fct_inventory_valuation_wip"
SELECT = ["--select", "+fct_inventory_valuation_wip"]


@pytest.fixture
def landed(make_database: Callable[[str], str]) -> str:
    """A warehouse with the demo company (4 months of production) landed from the demo ERP."""
    erp, warehouse = make_database("wip_erp"), make_database("wip_wh")
    simulate.seed(erp, COMPANY, months=4, scale=0.3, seed=11, start=date(2025, 1, 1))
    load(open_source(f"sql:{erp}"), COMPANY, warehouse_url=warehouse)
    return warehouse


def query(url: str, text: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with connect(url) as conn, conn.cursor() as cur:
        cur.execute(text, params)
        return list(cur.fetchall()) if cur.description else []


def rows_by_order(url: str) -> dict[str, list[str]]:
    """Each order's physical row ids: unchanged ids = the order was not rewritten."""
    out: dict[str, list[str]] = {}
    for order, ctid in query(url, f"select production_order_no, ctid::text from {WIP}"):
        out.setdefault(order, []).append(ctid)
    return {order: sorted(ctids) for order, ctids in out.items()}


def mart(url: str) -> list[tuple[Any, ...]]:
    columns = (
        "company, production_order_no, period_start, period_end, production_order_status, description,"
        " source_type, source_no, wip_at_start, consumption, capacity, output, wip_at_end,"
        " cost_posted_to_g_l, is_output_fully_invoiced"
    )
    return query(url, f"select {columns} from {WIP} order by 1, 2, 3")


def test_nightly_rewrites_only_the_changed_orders_and_agrees_with_a_full_rebuild(
    landed: str, tmp_path: Path
) -> None:
    url, target = landed, tmp_path / "target"
    periods = [
        p
        for (p,) in query(url, "select distinct date_trunc('month', posting_date)::date from raw.value_entry")
    ]
    last = max(periods)
    orders = [
        o
        for (o,) in query(
            url,
            "select distinct order_no from raw.value_entry where order_type = 'Production' and order_no <> ''"
            " order by 1",
        )
    ]
    assert len(orders) >= 8, orders
    # what the night brings, held back from the first build:
    # * every production entry of the last month of two orders (one new order if it starts then);
    late = query(
        url,
        "select order_no from raw.value_entry where order_type = 'Production' and posting_date >= %s"
        " group by order_no order by min(entry_no) limit 2",
        (last,),
    )
    held = [o for (o,) in late]
    # * one back-dated entry of an order whose entries end before the last month
    early = query(
        url,
        "select order_no, max(entry_no) from raw.value_entry where order_type = 'Production'"
        " group by order_no having max(posting_date) < %s order by 1 limit 1",
        (last,),
    )
    ((back_order, back_entry),) = early
    with connect(url) as conn, conn.cursor() as cur:
        cur.execute(
            "create table public.held as select * from raw.value_entry where"
            " (order_type = 'Production' and order_no = any(%s) and posting_date >= %s) or entry_no = %s",
            (held, last, back_entry),
        )
        cur.execute(
            "delete from raw.value_entry"
            " where (company, entry_no) in (select company, entry_no from public.held)"
        )
        # * a Finished order that was still Released at the first build
        cur.execute(
            "select no from raw.production_order"
            " where status = 'Finished' and no <> all(%s) order by no limit 1",
            ([*held, back_order],),
        )
        (finished,) = cur.fetchone()
        cur.execute("update raw.production_order set status = 'Released' where no = %s", (finished,))

    dbt.run_dbt(["run", *SELECT], url, target_path=target, check=True)
    before = rows_by_order(url)
    assert back_order in before and finished in before
    assert query(
        url, f"select distinct production_order_status from {WIP} where production_order_no = %s", (finished,)
    ) == [("Released",)]

    with connect(url) as conn, conn.cursor() as cur:
        cur.execute("insert into raw.value_entry select * from public.held")
        cur.execute(
            "update raw.value_entry set _loaded_at = clock_timestamp() where (company, entry_no) in"
            " (select company, entry_no from public.held)"
        )
        cur.execute(
            "update raw.production_order set status = 'Finished', _loaded_at = clock_timestamp()"
            " where no = %s",
            (finished,),
        )
    # the nightly run of the close's period (`--vars period`, as the nightly selector runs)
    dbt.run_dbt(
        ["run", *SELECT], url, dbt.build_vars(period=last.strftime("%Y-%m")), target_path=target, check=True
    )
    after = rows_by_order(url)
    active_last = {
        o
        for (o,) in query(
            url,
            f"select distinct production_order_no from {WIP} where period_start >= %s"
            " union select distinct order_no from raw.value_entry where order_type = 'Production'"
            " and posting_date >= %s",
            (last, last),
        )
    }
    rewritten = {o for o in after if after[o] != before.get(o)}
    # the changed orders are rewritten (the back-dated entry's too: a period run also aggregates what
    # was loaded since the last run); an order with no row or entry in the period and no change is not
    assert {finished, back_order} <= rewritten and set(held) & set(after) <= rewritten
    untouched = set(before) - active_last - {finished, back_order}
    assert untouched, "the demo company must have orders finished before the last month"
    assert all(after[o] == before[o] for o in untouched)
    status = f"select distinct production_order_status from {WIP} where production_order_no = %s"
    assert query(url, status, (finished,)) == [("Finished",)]
    incremental = mart(url)

    # nothing was loaded since, so a run without a period rewrites nothing
    dbt.run_dbt(["run", *SELECT], url, target_path=target, check=True)
    assert rows_by_order(url) == after

    dbt.run_dbt(["run", "--full-refresh", *SELECT], url, target_path=target, check=True)
    assert mart(url) == incremental

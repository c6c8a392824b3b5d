"""Cost Shares Breakdown (report 5848): the WIP Inventory share, Show Details, Share of Cost in Period and
the report's filters, on the session warehouse and on a rebuild with other dates and filters."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from dbt_warehouse import MFG, POSTED, Warehouse, create_raw_schema, cronus_rows, load

from costclose.transform import dbt


def test_wip_share_of_a_production_order_at_the_default_dates(warehouse: Warehouse) -> None:
    # valuation date 2024-03-31, start 2024-03-01: the order's February capacity entry is outside the window
    details = warehouse.query(
        "select source_type, entry_no, entry_type, material, capacity, total"
        " from marts.fct_cost_shares_breakdown_details"
        " where company = %s and cost_share = 'WIP Inventory' order by source_type, entry_no",
        (MFG,),
    )
    assert details == [
        # the purchased reservoirs consumed by PO-1 go into WIP; the output takes material and capacity out
        ("Item Ledger Entry", 2, "Consumption", Decimal("149.4"), Decimal(0), Decimal("149.4")),
        ("Item Ledger Entry", 4, "Output", Decimal("-149.4"), Decimal(-120), Decimal("-269.4")),
    ]
    order = warehouse.query(
        "select production_order_no, quantity, material, capacity, total, item_ledger_entry_count,"
        " capacity_ledger_entry_count from marts.fct_cost_shares_breakdown_wip where company = %s",
        (MFG,),
    )
    assert order == [("PO-1", Decimal(1), Decimal(0), Decimal(-120), Decimal(-120), 2, 0)]


def test_inventory_share_of_produced_item_carries_its_capacity(warehouse: Warehouse) -> None:
    rows = warehouse.query(
        "select item_no, quantity, material, capacity, total from marts.fct_cost_shares_breakdown"
        " where company = %s and cost_share = 'Inventory'",
        (MFG,),
    )
    assert rows == [("SP-SCM1009", Decimal(1), Decimal("149.4"), Decimal(120), Decimal("269.4"))]
    # the summary is the sum of its detail lines
    mismatches = warehouse.query(
        "select s.company, s.cost_share, s.item_no from marts.fct_cost_shares_breakdown as s"
        " join (select company, cost_share, item_no, sum(total) as total, sum(quantity) as quantity"
        "  from marts.fct_cost_shares_breakdown_details group by 1, 2, 3) as d"
        " using (company, cost_share, item_no) where s.total != d.total or s.quantity != d.quantity"
    )
    assert mismatches == []


def test_share_of_cost_in_period(warehouse: Warehouse) -> None:
    # POSTED's opening stock (January) is outside March: none of its remaining cost was posted in the period
    rows = warehouse.query(
        "select cost_share, share_of_cost_in_period from marts.fct_cost_shares_breakdown"
        " where company = %s order by cost_share",
        (POSTED,),
    )
    assert rows == [("Inventory", Decimal(0))]


def test_rebuild_with_other_dates_and_an_item_filter(
    make_database: Callable[[str], str], shared_dir: Path, tmp_path: Path
) -> None:
    url = make_database("wh_cost_shares")
    create_raw_schema(url)
    load(url, cronus_rows(shared_dir))
    run = dbt.run_dbt(
        ["run", "--select", "+fct_cost_shares_breakdown_wip", "+fct_cost_shares_breakdown"],
        url,
        {
            "valuation_date": "2024-02-29",
            "cost_shares_start_date": "2024-02-01",
            "cost_shares_item_nos": ["SP-SCM1009"],
        },
        target_path=tmp_path / "target",
        check=True,
    )
    assert run.success
    with_capacity = Warehouse(url=url, target_path=tmp_path / "target", build=run)
    # February holds the whole order: consumed 149.40 + capacity 120.00 - output 269.40 = 0 left in WIP
    assert with_capacity.query(
        "select material, capacity, total, share_of_cost_in_period, capacity_ledger_entry_count"
        " from marts.fct_cost_shares_breakdown_wip"
    ) == [(Decimal(0), Decimal(0), Decimal(0), None, 1)]
    capacity_row = with_capacity.query(
        "select capacity, share_of_cost_in_period from marts.fct_cost_shares_breakdown_details"
        " where source_type = 'Capacity Ledger Entry'"
    )
    assert capacity_row == [(Decimal(120), Decimal(1))]
    # the item filter keeps only the produced item: no other company's or item's rows
    assert with_capacity.query(
        "select company, cost_share, item_no, quantity, total from marts.fct_cost_shares_breakdown"
    ) == [(MFG, "Inventory", "SP-SCM1009", Decimal(1), Decimal("269.4"))]

"""Inventory Valuation and Inventory Valuation - WIP on the test warehouse."""

from __future__ import annotations

from decimal import Decimal

from dbt_warehouse import DOCS_POSTED, MFG, OPEN, POSTED, Warehouse


def test_inventory_valuation_rolls_balances_forward(warehouse: Warehouse) -> None:
    rows = warehouse.query(
        "select period_start::text, starting_quantity, starting_value, increases_value, decreases_value,"
        " ending_quantity, ending_value, cost_posted_to_g_l, invoiced_cost_posted_difference"
        " from marts.fct_inventory_valuation where company = %s and item_no = '1896-S' order by period_start",
        (POSTED,),
    )
    assert rows == [
        ("2024-01-01", 0, 0, 5066, 0, 10, 5066, 5066, 0),
        ("2024-02-01", 10, 5066, 0, Decimal("1013.2"), 8, Decimal("4052.8"), Decimal("4052.8"), 0),
        ("2024-03-01", 8, Decimal("4052.8"), 0, Decimal("506.6"), 7, Decimal("3546.2"), Decimal("3546.2"), 0),
    ]


def test_inventory_valuation_shows_cost_not_posted_to_g_l(warehouse: Warehouse) -> None:
    rows = warehouse.query(
        "select ending_value, invoiced_cost_posted_to_g_l, invoiced_cost_posted_difference"
        " from marts.fct_inventory_valuation_items where company = %s and period_start = '2024-02-01'",
        (OPEN,),
    )
    assert rows == [(Decimal("3039.6"), Decimal("4052.8"), Decimal("1013.2"))]


def test_wip_report_of_a_production_order(warehouse: Warehouse) -> None:
    rows = warehouse.query(
        "select period_start::text, production_order_status, wip_at_start, consumption, capacity, output,"
        " wip_at_end, cost_posted_to_g_l from marts.fct_inventory_valuation_wip where company = %s"
        " order by period_start",
        (MFG,),
    )
    # February: 149.40 consumed, 120 capacity, expected output 269.40 leaves WIP at 0; G/L WIP holds 269.40
    # because expected output is not posted (expected cost posting off). March: all zero, row omitted.
    assert rows == [
        ("2024-02-01", "Finished", 0, Decimal("149.4"), Decimal(120), Decimal("-269.4"), 0, Decimal("269.4"))
    ]


def test_cost_spec_values_remaining_quantity_at_unit_cost(warehouse: Warehouse) -> None:
    rows = warehouse.query(
        "select valuation_date::text, cost_component, remaining_quantity, cost_per_unit, amount"
        " from marts.fct_inventory_cost_spec where company = %s order by line_no",
        (POSTED,),
    )
    # 10 in at 5,066.00, 3 applied out by 2024-03-31: 7 remain at 506.60
    assert rows == [
        ("2024-03-31", "Direct Cost", 7, Decimal("506.6"), Decimal("3546.2")),
        ("2024-03-31", "Total", 7, Decimal("506.6"), Decimal("3546.2")),
    ]


def test_cost_shares_split_cost_of_sales_and_inventory(warehouse: Warehouse) -> None:
    sales = warehouse.query(
        "select quantity, material, material_overhead, capacity, variance, total"
        " from marts.fct_cost_shares_breakdown"
        " where company = %s and cost_share = 'Sales'",
        (DOCS_POSTED,),
    )
    # the docs' purchase (70 direct + 10 overhead) forwarded to its sale: COGS 80 = 70 material + 10 overhead
    assert sales == [(10, Decimal(70), Decimal(10), 0, 0, Decimal(80))]
    inventory = warehouse.query(
        "select quantity, material, total from marts.fct_cost_shares_breakdown"
        " where company = %s and cost_share = 'Inventory'",
        (POSTED,),
    )
    assert inventory == [(7, Decimal("3546.2"), Decimal("3546.2"))]

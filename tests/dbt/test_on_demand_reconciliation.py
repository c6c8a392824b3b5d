"""The reconciliation matrix on demand (macro inventory_gl_reconciliation_on_demand): any dates, BC's
location and item filters, equal to the period mart without filters."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from dbt_warehouse import MFG, OPEN, Warehouse

from costclose.transform import dbt


def reconciliation(warehouse: Warehouse, **arguments: Any) -> list[dict[str, Any]]:
    """The macro's rows through ``dbt show --inline`` (JSON literals are valid Jinja)."""
    rendered = ", ".join(f"{name}={json.dumps(value)}" for name, value in arguments.items())
    run = dbt.run_dbt(
        ["show", "--inline", f"{{{{ inventory_gl_reconciliation_on_demand({rendered}) }}}}", "--limit", "-1"],
        warehouse.url,
        target_path=warehouse.target_path,
        check=True,
    )
    table = run.result.results[0].agate_table
    return [dict(zip(table.column_names, row, strict=True)) for row in table.rows]


def by_row(rows: list[dict[str, Any]], column: str) -> dict[str, Decimal | None]:
    return {r["matrix_row"]: r[column] for r in rows}


def test_without_filters_it_equals_the_period_mart(warehouse: Warehouse) -> None:
    rows = reconciliation(warehouse, start_date="2024-03-01", end_date="2024-03-31", company=OPEN)
    mart = warehouse.query(
        "select matrix_row, inventory, inventory_interim, wip_inventory, total, gl_total, difference"
        " from marts.fct_inventory_gl_reconciliation"
        " where company = %s and period_start = '2024-03-01' and date_filter = 'period' order by row_no",
        (OPEN,),
    )
    assert len(rows) == 17
    assert [
        (
            r["matrix_row"],
            r["inventory"],
            r["inventory_interim"],
            r["wip_inventory"],
            r["total"],
            r["gl_total"],
            r["difference"],
        )
        for r in rows
    ] == mart


def test_a_location_filter_leaves_the_g_l_side_company_wide(warehouse: Warehouse) -> None:
    rows = reconciliation(warehouse, end_date="2024-03-31", location_codes=["EAST"], company=OPEN)
    # no value entry at EAST; 2110's net change to date: 5066 - 1013.20 + 100 (direct posting)
    assert by_row(rows, "inventory")["Total"] == 0
    assert by_row(rows, "inventory")["G/L Total"] == Decimal("4152.8")
    assert by_row(rows, "inventory")["Difference"] == Decimal("4152.8")


def test_an_item_filter_drops_capacity_so_wip_does_not_reconcile(warehouse: Warehouse) -> None:
    unfiltered = reconciliation(warehouse, start_date="2024-02-01", end_date="2024-02-29", company=MFG)
    # consumption 149.40 + capacity 120.00 - expected output 269.40
    assert by_row(unfiltered, "wip_inventory")["Total"] == 0
    component = reconciliation(
        warehouse, start_date="2024-02-01", end_date="2024-02-29", item_nos=["SP-BOM2001"], company=MFG
    )
    assert by_row(component, "wip_inventory")["Total"] == Decimal("149.4")
    assert by_row(component, "wip_inventory")["G/L Total"] == Decimal("269.4")

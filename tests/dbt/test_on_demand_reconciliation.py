"""The reconciliation matrix on demand (macro inventory_gl_reconciliation_on_demand): any dates, BC's
location and item filters, equal to the period mart without filters."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from dbt_warehouse import MFG, OPEN, Warehouse

from costclose.transform import on_demand


def reconciliation(warehouse: Warehouse, **arguments: Any) -> list[dict[str, Any]]:
    """The matrix through the product's entry point (``costclose transform reconciliation`` calls it)."""
    for name in ("start_date", "end_date"):
        if name in arguments:
            arguments[name] = date.fromisoformat(arguments[name])
    return on_demand.inventory_gl_reconciliation(
        warehouse.url, target_path=warehouse.target_path, **arguments
    )


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


def test_the_cli_prints_the_matrix_for_a_location(warehouse: Warehouse) -> None:
    from typer.testing import CliRunner

    from costclose.cli import app

    args = ["transform", "reconciliation", "--end", "2024-03-31", "--location", "EAST", "--company", OPEN]
    args += ["--url", warehouse.url, "--target-path", str(warehouse.target_path)]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "G/L Total" in result.output
    assert "4152.8" in result.output

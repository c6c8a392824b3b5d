"""Reports on demand, the CLI and dbt docs on the session warehouse."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from dbt_warehouse import OPEN, POSTED, Warehouse
from typer.testing import CliRunner

from costclose.cli import app
from costclose.transform import dbt, on_demand


def test_inventory_valuation_for_any_dates_matches_the_period_mart(warehouse: Warehouse) -> None:
    rows = on_demand.inventory_valuation(
        warehouse.url,
        start_date=date(2024, 2, 1),
        end_date=date(2024, 2, 29),
        company=POSTED,
        target_path=warehouse.target_path,
    )
    assert [(r["item_no"], r["starting_value"], r["decreases_value"], r["ending_value"]) for r in rows] == [
        ("1896-S", Decimal(5066), Decimal("1013.2"), Decimal("4052.8"))
    ]
    mart = warehouse.query(
        "select starting_value, decreases_value, ending_value from marts.fct_inventory_valuation_items"
        " where company = %s and period_start = '2024-02-01'",
        (POSTED,),
    )
    assert mart == [(Decimal(5066), Decimal("1013.2"), Decimal("4052.8"))]


def test_inventory_valuation_mid_period_and_location_filter(warehouse: Warehouse) -> None:
    # up to 2024-02-15 only the first of OPEN's two February sales has happened
    rows = on_demand.inventory_valuation(
        warehouse.url, end_date=date(2024, 2, 15), company=OPEN, target_path=warehouse.target_path
    )
    assert [(r["ending_quantity"], r["ending_value"]) for r in rows] == [(Decimal(7), Decimal("3546.2"))]
    elsewhere = on_demand.inventory_valuation(
        warehouse.url, location_codes=["EAST"], company=OPEN, target_path=warehouse.target_path
    )
    assert elsewhere == []


def test_cli_valuation_prints_the_report(warehouse: Warehouse) -> None:
    result = CliRunner().invoke(
        app,
        [
            "transform",
            "valuation",
            "--url",
            warehouse.url,
            "--company",
            POSTED,
            "--end",
            "2024-03-31",
            "--target-path",
            str(warehouse.target_path),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "3546.2" in result.output


def test_dbt_docs_generate_writes_a_catalog_of_every_mart(warehouse: Warehouse) -> None:
    run = dbt.run_dbt(["docs", "generate"], warehouse.url, target_path=warehouse.target_path, check=True)
    assert run.success
    catalog = (warehouse.target_path / "catalog.json").read_text()
    for mart in (
        "fct_inventory_gl_reconciliation",
        "fct_gl_account_reconciliation",
        "fct_adjusting_journal_per_entry",
    ):
        assert f"model.costclose.{mart}" in catalog

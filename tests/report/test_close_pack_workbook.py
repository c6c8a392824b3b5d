"""close_pack.xlsx opens with openpyxl: a sheet per report, BC's layout, totals that add up."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from close_pack_warehouse import COMPANY, HOSTILE, Pack, PackWarehouse
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

START = "2026-02-01"
FIRST_DATA_ROW = 7


def _cents(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def _column(ws: Worksheet, caption: str, band: str | None = None) -> int:
    """1-based column of a caption in the captions row (row 6), under ``band`` (row 5, merged) if given."""
    current_band = None
    for cell in ws[6]:
        above = ws.cell(row=5, column=cell.column).value
        if above is not None:
            current_band = above
        if cell.value == caption and (band is None or current_band == band):
            return int(cell.column)
    raise KeyError((caption, band))


@pytest.fixture(scope="module")
def workbook(pack: Pack) -> Any:
    return load_workbook(pack.out / "close_pack.xlsx")


def test_a_sheet_per_report_with_title_company_and_frozen_captions(workbook: Any) -> None:
    assert workbook.sheetnames == [
        "Inventory - G-L Reconciliation",
        "G-L Accounts",
        "Inventory Valuation",
        "Inventory Valuation - WIP",
        "Invt. Valuation - Cost Spec.",
        "Cost Shares Breakdown",
        "Adjusting Journal",
        "Skipped Entries",
    ]
    ws = workbook["Inventory Valuation"]
    assert ws["A1"].value == "Inventory Valuation"
    assert ws["A2"].value == f"Company: {HOSTILE}"
    assert ws["A4"].value == "Business Central report 1001"
    assert ws.freeze_panes == "A7"
    assert [ws.cell(row=5, column=c).value for c in (6, 8, 10, 12)] == [
        "As of 2026-01-31",
        "Increases (LCY)",
        "Decreases (LCY)",
        "As of 2026-02-28",
    ]
    value = _column(ws, "Value", "As of 2026-02-28")
    assert ws.cell(row=FIRST_DATA_ROW + 1, column=value).number_format == "#,##0.00"
    assert ws.cell(row=FIRST_DATA_ROW + 1, column=value - 1).number_format == "#,##0.00###"


def test_inventory_valuation_group_totals_are_the_sums_of_their_lines(
    workbook: Any, pack_warehouse: PackWarehouse
) -> None:
    ws = workbook["Inventory Valuation"]
    value = _column(ws, "Value", "As of 2026-02-28")
    lines: dict[str, list[Decimal]] = {}
    group_totals: dict[str, Decimal] = {}
    report_total = None
    for row in range(FIRST_DATA_ROW, ws.max_row + 1):
        first, item = ws.cell(row=row, column=1).value, ws.cell(row=row, column=2).value
        amount = ws.cell(row=row, column=value).value
        if item is not None:
            lines.setdefault(first, []).append(_cents(amount))
        elif isinstance(first, str) and first.startswith("Total "):
            group_totals[first.removeprefix("Total ")] = _cents(amount)
        elif first == "Total":
            report_total = _cents(amount)
    mart = dict(
        pack_warehouse.query(
            "select coalesce(i.inventory_posting_group, ''), sum(v.ending_value)"
            " from marts.fct_inventory_valuation_items as v"
            " left join staging.stg_bc__items as i using (company, item_no)"
            " where v.company = %s and v.period_start = %s group by 1",
            (COMPANY, START),
        )
    )
    assert set(group_totals) == {g or "(blank)" for g in mart} and len(group_totals) >= 3
    for group, amount in group_totals.items():
        assert amount == sum(lines[group if group != "(blank)" else ""]), group
        assert amount == mart[group if group != "(blank)" else ""]
    assert report_total == sum(mart.values()) == sum(group_totals.values())


def test_wip_and_cost_shares_totals(workbook: Any, pack_warehouse: PackWarehouse) -> None:
    ws = workbook["Inventory Valuation - WIP"]
    consumption = _column(ws, "Consumption")
    detail = [ws.cell(row=r, column=consumption).value for r in range(FIRST_DATA_ROW, ws.max_row + 1)]
    total_row = next(
        r for r in range(FIRST_DATA_ROW, ws.max_row + 1) if ws.cell(row=r, column=1).value == "Total"
    )
    assert _cents(ws.cell(row=total_row, column=consumption).value) == sum(
        _cents(v) for v in detail[: total_row - FIRST_DATA_ROW]
    )
    assert _cents(ws.cell(row=total_row, column=consumption).value) == pack_warehouse.value(
        "select sum(consumption) from marts.fct_inventory_valuation_wip"
        " where company = %s and period_start = %s",
        (COMPANY, START),
    )

    ws = workbook["Cost Shares Breakdown"]
    total = _column(ws, "Total")
    labels = {ws.cell(row=r, column=1).value: r for r in range(FIRST_DATA_ROW, ws.max_row + 1)}
    assert "Total Sales" in labels and "Total Inventory" in labels and "Total" not in labels
    sales = pack_warehouse.value(
        "select sum(total) from marts.fct_cost_shares_breakdown where company = %s and cost_share = 'Sales'"
        " and end_date = '2026-02-28'",
        (COMPANY,),
    )
    assert _cents(ws.cell(row=labels["Total Sales"], column=total).value) == _cents(sales)


def test_journal_sheet_balances(workbook: Any, pack: Pack) -> None:
    ws = workbook["Adjusting Journal"]
    amount = _column(ws, "Amount")
    amounts = [_cents(ws.cell(row=r, column=amount).value) for r in range(FIRST_DATA_ROW, ws.max_row + 1)]
    assert len(amounts) == len((pack.out / "adjusting_journal.csv").read_text().splitlines()) - 1
    assert sum(amounts) == 0 and any(amounts)
    assert ws.cell(row=FIRST_DATA_ROW, column=amount).number_format == "#,##0.00"

"""BC's reconciliation warnings 4 ("Compression") and 5 ("Closed Fiscal Year") in BC's order (spec §C.6)."""

from __future__ import annotations

from decimal import Decimal

from dbt_warehouse import YEAR_END, Warehouse


def warnings(warehouse: Warehouse) -> list[tuple[object, ...]]:
    return warehouse.query(
        "select period_start::text, date_filter, warning, compression_entry_count,"
        " closed_fiscal_year_closing_entry_count from marts.fct_inventory_gl_reconciliation_warnings"
        " where company = %s order by period_start, date_filter",
        (YEAR_END,),
    )


def test_closing_entries_of_a_closed_year_and_compressed_entries_are_warned_in_bc_order(
    warehouse: Warehouse,
) -> None:
    assert warnings(warehouse) == [
        # December 2023: every entry posted; the closing entries on 2023-12-31 emptied COGS and Inventory
        # Adjmt. in G/L, so those income-statement rows differ: "Closed Fiscal Year"
        ("2023-12-01", "period", "Closed Fiscal Year", Decimal(0), Decimal(3)),
        ("2023-12-01", "to_date", "Closed Fiscal Year", Decimal(0), Decimal(3)),
        # January 2024: a direct posting of 100 beside compressed entries; check 4 comes before 5 and 8
        ("2024-01-01", "period", "Compression", Decimal(2), Decimal(0)),
        ("2024-01-01", "to_date", "Compression", Decimal(2), Decimal(3)),
    ]


def test_the_matrix_shows_the_warning_on_the_rows_that_differ(warehouse: Warehouse) -> None:
    rows = warehouse.query(
        "select matrix_row, difference, warning from marts.fct_inventory_gl_reconciliation"
        " where company = %s and period_start = '2023-12-01' and date_filter = 'period'"
        " and matrix_row in ('COGS', 'Inventory Adjmt.', 'Purchase Variance') order by row_no",
        (YEAR_END,),
    )
    assert rows == [
        ("Inventory Adjmt.", Decimal("5066"), "Closed Fiscal Year"),
        ("COGS", Decimal("-1013.2"), "Closed Fiscal Year"),
        ("Purchase Variance", Decimal(0), None),
    ]


def test_drill_down_names_the_compressed_and_closing_entries(warehouse: Warehouse) -> None:
    entries = warehouse.query(
        "select g_l_entry_no, g_l_account_no, amount, reason"
        " from marts.fct_reconciliation_unexplained_gl_entries"
        " where company = %s order by g_l_entry_no",
        (YEAR_END,),
    )
    assert entries == [
        (5, "7190", Decimal("-1013.2"), "Closed Fiscal Year"),
        (6, "7170", Decimal("5066"), "Closed Fiscal Year"),
        (8, "2110", Decimal("-506.6"), "Compression"),
        (9, "7170", Decimal("506.6"), "Compression"),
        (10, "2110", Decimal(100), "Direct Posting"),
    ]

"""BC's Inventory - G/L Reconciliation and the per-G/L-account view on the test warehouse."""

from __future__ import annotations

from decimal import Decimal

from dbt_warehouse import DOCS_POSTED, MFG, OPEN, POSTED, Warehouse

ZERO = Decimal(0)


def test_fully_posted_company_shows_every_difference_zero(warehouse: Warehouse) -> None:
    rows = warehouse.query(
        "select period_start, date_filter, matrix_row, difference, inventory, inventory_interim,"
        " wip_inventory,"
        " warning from marts.fct_inventory_gl_reconciliation where company = %s",
        (DOCS_POSTED,),
    )
    assert len(rows) == 2 * 17  # one month, two date filters, BC's 17 matrix rows
    for _period, _filter, matrix_row, difference, inventory, interim, wip, warning in rows:
        assert difference in (None, ZERO)
        if matrix_row == "Difference":
            assert (inventory, interim, wip) == (ZERO, ZERO, ZERO)
        assert warning is None
    cogs = warehouse.query(
        "select total, gl_total from marts.fct_inventory_gl_reconciliation"
        " where company = %s and matrix_row = 'COGS' and date_filter = 'period'",
        (DOCS_POSTED,),
    )
    assert cogs == [(Decimal("80.0"), Decimal("80.0"))]


def test_per_account_view_is_zero_for_posted_companies_even_with_a_dual_role_account(
    warehouse: Warehouse,
) -> None:
    rows = warehouse.query(
        "select company, g_l_account_no, difference, difference_to_date, implied_amount, gl_net_change"
        " from marts.fct_gl_account_reconciliation where company in %s",
        ((POSTED, MFG, DOCS_POSTED),),
    )
    assert rows
    assert {(c, a) for c, a, d, dt, *_ in rows if d != 0 or dt != 0} == set()
    # CRONUS uses 7170 as Inventory Adjmt. and Direct Cost Applied: counted once here
    jan_7170 = warehouse.query(
        "select setup_roles, implied_amount, gl_net_change from marts.fct_gl_account_reconciliation"
        " where company = %s and g_l_account_no = '7170' and period_start = '2024-01-01'",
        (POSTED,),
    )
    assert jan_7170 == [
        ("Direct Cost Applied Account, Inventory Adjmt. Account", Decimal(-5066), Decimal(-5066))
    ]


def test_bc_matrix_counts_the_dual_role_account_in_both_rows(warehouse: Warehouse) -> None:
    # spec §C.3: BC reads 7170's net change for Inventory Adjmt. and again for Direct Cost Applied
    rows = {
        r[0]: r[1:]
        for r in warehouse.query(
            "select matrix_row, total, gl_total, difference from marts.fct_inventory_gl_reconciliation"
            " where company = %s and period_start = '2024-01-01' and date_filter = 'period'",
            (POSTED,),
        )
    }
    assert rows["Inventory Adjmt."] == (Decimal(-5066), Decimal(-5066), ZERO)
    assert rows["Direct Cost Applied"] == (ZERO, Decimal(-5066), Decimal(-5066))


def test_unposted_sale_shows_as_difference_with_bc_warning(warehouse: Warehouse) -> None:
    feb = {
        r[0]: r[1:]
        for r in warehouse.query(
            "select matrix_row, total, gl_total, difference, warning from"
            " marts.fct_inventory_gl_reconciliation"
            " where company = %s and period_start = '2024-02-01' and date_filter = 'period'",
            (OPEN,),
        )
    }
    assert feb["COGS"] == (Decimal("1519.8"), Decimal("1013.2"), Decimal("-506.6"), "Post Cost to G/L")
    account = warehouse.query(
        "select difference, unposted_amount, posted_outside_inventory_amount from"
        " marts.fct_gl_account_reconciliation"
        " where company = %s and period_start = '2024-02-01' and g_l_account_no = '7190'",
        (OPEN,),
    )
    assert account == [(Decimal("-506.6"), Decimal("506.6"), Decimal("0.0"))]
    drill = warehouse.query(
        "select value_entry_no, amount_to_post, is_postable from"
        " marts.fct_reconciliation_unposted_value_entries"
        " where company = %s order by value_entry_no",
        (OPEN,),
    )
    assert drill == [(2, Decimal("-506.6"), False), (4, Decimal("-506.6"), True)]


def test_direct_posting_to_an_inventory_account_is_explained(warehouse: Warehouse) -> None:
    warning = warehouse.query(
        "select warning from marts.fct_inventory_gl_reconciliation_warnings"
        " where company = %s and period_start = '2024-03-01' and date_filter = 'period'",
        (OPEN,),
    )
    assert warning == [("Direct Posting",)]
    entries = warehouse.query(
        "select g_l_entry_no, g_l_account_no, amount, reason from"
        " marts.fct_reconciliation_unexplained_gl_entries"
        " where company = %s",
        (OPEN,),
    )
    assert entries == [(5, "2110", Decimal(100), "Direct Posting")]
    account = warehouse.query(
        "select difference, posted_outside_inventory_amount, difference_to_date from"
        " marts.fct_gl_account_reconciliation"
        " where company = %s and period_start = '2024-03-01' and g_l_account_no = '2110'",
        (OPEN,),
    )
    # to date: +100 direct posting, +506.60 (closed-period entry) and +506.60 (unposted sale) not in G/L
    assert account == [(Decimal(100), Decimal(100), Decimal("1113.2"))]


def test_expected_output_without_expected_cost_posting_warns_expected_cost_setup(
    warehouse: Warehouse,
) -> None:
    row = warehouse.query(
        "select inventory, inventory_interim, wip_inventory, warning from"
        " marts.fct_inventory_gl_reconciliation"
        " where company = %s and period_start = '2024-02-01' and date_filter = 'period' and matrix_row"
        " = 'Difference'",
        (MFG,),
    )
    assert row == [(Decimal("0.0"), Decimal("-269.4"), Decimal("269.4"), "Expected Cost Setup")]

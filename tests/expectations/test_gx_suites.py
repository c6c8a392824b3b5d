"""Each kind of discrepancy fails the check that names it, and no other; clean data passes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import psycopg2.extensions
import pytest
from gx_warehouse import D, create_schema, insert, journal_line, recon, seed_clean, set_recon

from costclose.db import connect
from costclose.period import parse_period
from costclose.validation import Scope, Stage, ValidationResult, validate

Mutation = Callable[[psycopg2.extensions.connection], None]
CO = "CRONUS"
TIE_PRE = "tie_out.inventory_equals_gl_plus_journal"
TIE_POST = "tie_out.inventory_equals_gl"
NOTHING_LEFT = "tie_out.nothing_left_to_propose"


def run(url: str, stage: Stage, company: str = CO, tolerance: str = "0.00") -> ValidationResult:
    return validate(Scope(company, parse_period("2025-01"), Decimal(tolerance)), stage, url)


def failed(result: ValidationResult) -> set[str]:
    return {c.key for c in result.failures}


def mutate(url: str, change: Mutation) -> None:
    with connect(url) as conn:
        change(conn)


def execute(conn: psycopg2.extensions.connection, query: str, params: tuple = ()) -> None:
    with conn.cursor() as cur:
        cur.execute(query, params)


def unposted_purchase(conn: psycopg2.extensions.connection, day: date = date(2025, 1, 15)) -> None:
    """A purchase of 30.00 whose value entry is not in G/L yet (Cost Posted to G/L = 0)."""
    insert(
        conn,
        "item_ledger_entry",
        CO,
        entry_no=3,
        item_no="1000",
        posting_date=day,
        entry_type="Purchase",
        location_code="BLUE",
        quantity=D(3),
        invoiced_quantity=D(3),
    )
    insert(
        conn,
        "value_entry",
        CO,
        entry_no=3,
        item_no="1000",
        posting_date=day,
        entry_type="Direct Cost",
        item_ledger_entry_type="Purchase",
        item_ledger_entry_no=3,
        valued_quantity=D(3),
        item_ledger_entry_quantity=D(3),
        invoiced_quantity=D(3),
        location_code="BLUE",
        inventory_posting_group="RESALE",
        gen_bus_posting_group="DOMESTIC",
        gen_prod_posting_group="RETAIL",
        cost_amount_actual=D("30.00"),
        cost_posted_to_g_l=D(0),
        inventoriable=True,
    )


def journal_for_unposted(conn: psycopg2.extensions.connection, day: date = date(2025, 1, 15)) -> None:
    journal_line(conn, CO, "INVCOST-1", day, "2110", "30.00", [3])
    journal_line(conn, CO, "INVCOST-1", day, "7170", "-30.00", [3])


def with_unposted_and_journal(conn: psycopg2.extensions.connection) -> None:
    unposted_purchase(conn)
    set_recon(conn, CO, "2110", implied="70.00")
    set_recon(conn, CO, "7170", implied="-130.00")
    journal_for_unposted(conn)


def direct_posting(conn: psycopg2.extensions.connection) -> None:
    for entry_no, account, amount in [(5, "2110", "25.00"), (6, "2910", "-25.00")]:
        insert(
            conn,
            "g_l_entry",
            CO,
            entry_no=entry_no,
            g_l_account_no=account,
            posting_date=date(2025, 1, 25),
            document_no="GJ0001",
            amount=D(amount),
            transaction_no=9,
        )
    set_recon(conn, CO, "2110", gl="65.00")


def posting_group_change(conn: psycopg2.extensions.connection) -> None:
    # The setup now sends RESALE/BLUE to 2120; the G/L still has the old account 2110.
    recon(conn, CO, "2120", "40.00", "0", "Inventory Account")
    set_recon(conn, CO, "2110", implied="0")


def blank_account(conn: psycopg2.extensions.connection) -> None:
    execute(conn, "update raw.g_l_entry set g_l_account_no = '' where entry_no = 4")
    set_recon(conn, CO, "2110", gl="100.00")


def closed_period_journal(conn: psycopg2.extensions.connection) -> None:
    unposted_purchase(conn, date(2024, 12, 15))
    journal_for_unposted(conn, date(2024, 12, 15))


def missing_inventory_posting_setup(conn: psycopg2.extensions.connection) -> None:
    execute(conn, "delete from raw.inventory_posting_setup")


def missing_general_posting_setup(conn: psycopg2.extensions.connection) -> None:
    execute(conn, "delete from raw.general_posting_setup")


def unbalanced_document(conn: psycopg2.extensions.connection) -> None:
    unposted_purchase(conn)
    set_recon(conn, CO, "2110", implied="70.00")
    set_recon(conn, CO, "7170", implied="-129.99")
    journal_line(conn, CO, "INVCOST-1", date(2025, 1, 15), "2110", "30.00", [3])
    journal_line(conn, CO, "INVCOST-1", date(2025, 1, 15), "7170", "-29.99", [3])


def journal_to(account: str) -> Mutation:
    def change(conn: psycopg2.extensions.connection) -> None:
        unposted_purchase(conn)
        set_recon(conn, CO, "2110", implied="70.00")
        recon(conn, CO, account, "-30.00", "0", "Direct Cost Applied Account")
        journal_line(conn, CO, "INVCOST-1", date(2025, 1, 15), "2110", "30.00", [3])
        journal_line(conn, CO, "INVCOST-1", date(2025, 1, 15), account, "-30.00", [3])

    return change


def before_allow_posting_from(conn: psycopg2.extensions.connection) -> None:
    with_unposted_and_journal(conn)
    execute(conn, "update raw.general_ledger_setup set allow_posting_from = '2025-01-16'")


def quantity_identity(conn: psycopg2.extensions.connection) -> None:
    execute(conn, "update raw.item_ledger_entry set quantity = -5 where entry_no = 2")


def unknown_entry_type(conn: psycopg2.extensions.connection) -> None:
    execute(conn, "update raw.value_entry set entry_type = 'Direct Costs' where entry_no = 2")


def missing_required(conn: psycopg2.extensions.connection) -> None:
    execute(conn, "update raw.value_entry set cost_posted_to_g_l = null where entry_no = 1")


def null_posting_group(conn: psycopg2.extensions.connection) -> None:
    execute(conn, "update raw.value_entry set gen_bus_posting_group = null where entry_no = 1")


def no_accounting_periods_for_2025(conn: psycopg2.extensions.connection) -> None:
    execute(conn, "delete from raw.accounting_period where starting_date >= '2025-01-01'")


def capacity_entry_with_item_type(conn: psycopg2.extensions.connection) -> None:
    insert(
        conn,
        "value_entry",
        CO,
        entry_no=7,
        posting_date=date(2025, 1, 12),
        entry_type="Direct Cost",
        item_ledger_entry_type="Output",
        item_ledger_entry_no=0,
        inventoriable=True,
    )


def duplicate_value_entry(conn: psycopg2.extensions.connection) -> None:
    execute(conn, "alter table raw.value_entry drop constraint value_entry_pkey")
    insert(
        conn,
        "value_entry",
        CO,
        entry_no=2,
        posting_date=date(2025, 1, 20),
        entry_type="Revaluation",
        item_ledger_entry_type="Sale",
        item_ledger_entry_no=2,
        location_code="BLUE",
        inventoriable=True,
    )


DISCREPANCIES = {
    # the six kinds the demo company injects (issue 3 item 4)
    "unposted value entry, journal proposed": (with_unposted_and_journal, set()),
    "direct posting to an inventory account": (direct_posting, {TIE_PRE}),
    "posting-group change": (posting_group_change, {TIE_PRE}),
    "posting to a blank (deleted) account": (blank_account, {"raw.g_l_entry.account_exists", TIE_PRE}),
    "journal line dated in a closed period": (
        closed_period_journal,
        {"outbound.posting_dates_in_open_period"},
    ),
    "missing inventory posting setup row": (
        missing_inventory_posting_setup,
        {"raw.value_entry.inventory_posting_setup_exists"},
    ),
    "missing general posting setup row": (
        missing_general_posting_setup,
        {"raw.value_entry.general_posting_setup_exists"},
    ),
    # the journal as BC would refuse it
    "unbalanced journal document": (unbalanced_document, {"outbound.balanced_per_document"}),
    "journal line on a blocked account": (journal_to("8999"), {"outbound.accounts_not_blocked"}),
    "journal line on an unknown account": (journal_to("9990"), {"outbound.accounts_exist"}),
    "journal dated before Allow Posting From": (
        before_allow_posting_from,
        {"outbound.posting_dates_allowed"},
    ),
    # the raw landing
    "item ledger entry quantity != sum of its value entries": (
        quantity_identity,
        {"raw.item_ledger_entry.quantity_identity"},
    ),
    "unknown enum value": (unknown_entry_type, {"raw.value_entry.enum.entry_type"}),
    "required field missing": (missing_required, {"raw.value_entry.required.cost_posted_to_g_l"}),
    "posting group NULL instead of blank": (
        null_posting_group,
        {"raw.value_entry.required.gen_bus_posting_group"},
    ),
    "posting dates outside the accounting periods": (
        no_accounting_periods_for_2025,
        {
            "raw.value_entry.posting_date_in_accounting_period",
            "raw.item_ledger_entry.posting_date_in_accounting_period",
            "raw.g_l_entry.posting_date_in_accounting_period",
        },
    ),
    "capacity value entry with an item ledger entry type": (
        capacity_entry_with_item_type,
        {"raw.value_entry.capacity_entry_shape"},
    ),
    "duplicate value entry key": (duplicate_value_entry, {"raw.value_entry.unique_key"}),
}


def test_clean_close_passes_every_stage(warehouse: str) -> None:
    for stage in Stage:
        result = run(warehouse, stage)
        assert failed(result) == set(), stage
        assert all(c.error is None for c in result.checks)
    pre = run(warehouse, Stage.PRE_POSTING)
    assert {
        "raw_value_entry",
        "raw_item_ledger_entry",
        "raw_g_l_entry",
        "outbound_journal",
        "tie_out_pre_posting",
    } == {c.suite for c in pre.checks}
    assert len(pre.checks) >= 40
    with connect(warehouse) as conn, conn.cursor() as cur:
        cur.execute("select count(*) from pg_tables where schemaname = 'validation_work'")
        assert cur.fetchone() == (0,), "every suite's snapshot is dropped after the run"


@pytest.mark.parametrize("kind", list(DISCREPANCIES))
def test_each_discrepancy_fails_its_check_and_no_other(warehouse: str, kind: str) -> None:
    change, expected = DISCREPANCIES[kind]
    mutate(warehouse, change)
    result = run(warehouse, Stage.PRE_POSTING)
    assert failed(result) == expected
    assert result.success is (not expected)


def test_direct_posting_names_the_account_and_amounts(warehouse: str) -> None:
    mutate(warehouse, direct_posting)
    rows = run(warehouse, Stage.PRE_POSTING).check(TIE_PRE).rows
    assert rows == [
        {
            "g_l_account_no": "2110",
            "inventory_amount": "40.00",
            "g_l_amount": "65.00",
            "difference": "25.00",
            "proposed_amount": "0",
            "unexplained_difference": "-25.00",
        }
    ]


def test_unposted_entry_passes_before_posting_and_fails_after(warehouse: str) -> None:
    mutate(warehouse, with_unposted_and_journal)
    assert run(warehouse, Stage.PRE_POSTING).success
    after = run(warehouse, Stage.POST_POSTING)
    assert failed(after) == {TIE_POST, NOTHING_LEFT}
    assert {r["g_l_account_no"]: r["difference"] for r in after.check(TIE_POST).rows} == {
        "2110": "-30.00",
        "7170": "30.00",
    }
    assert [(r["gl_account_no"], r["amount"]) for r in after.check(NOTHING_LEFT).rows] == [
        ("2110", "30.00"),
        ("7170", "-30.00"),
    ]


def test_a_fully_posted_company_passes_after_posting(warehouse: str) -> None:
    mutate(warehouse, with_unposted_and_journal)

    def posted(conn: psycopg2.extensions.connection) -> None:
        execute(conn, "update raw.value_entry set cost_posted_to_g_l = cost_amount_actual")
        execute(conn, "delete from outbound.fct_adjusting_journal_per_posting_group")
        set_recon(conn, CO, "2110", gl="70.00")
        set_recon(conn, CO, "7170", gl="-130.00")

    mutate(warehouse, posted)
    assert failed(run(warehouse, Stage.POST_POSTING)) == set()


def test_tolerance_is_numeric_and_per_run(warehouse: str) -> None:
    mutate(warehouse, lambda conn: set_recon(conn, CO, "7190", gl="60.01"))
    assert failed(run(warehouse, Stage.POST_POSTING)) == {TIE_POST}
    assert failed(run(warehouse, Stage.POST_POSTING, tolerance="0.01")) == set()
    assert failed(run(warehouse, Stage.POST_POSTING, tolerance="0.009")) == {TIE_POST}
    with pytest.raises(TypeError, match="Decimal"):
        Scope(CO, parse_period("2025-01"), 0.01)  # type: ignore[arg-type]


def test_companies_are_validated_apart_even_with_hostile_names(warehouse: str) -> None:
    hostile = "O'Brien {Ltd}; drop table raw.value_entry; --"
    with connect(warehouse) as conn:
        seed_clean(conn, hostile)
    mutate(warehouse, direct_posting)  # breaks CRONUS only
    assert run(warehouse, Stage.PRE_POSTING, company=hostile).success
    assert failed(run(warehouse, Stage.PRE_POSTING)) == {TIE_PRE}

    def break_hostile(conn: psycopg2.extensions.connection) -> None:
        execute(conn, "delete from raw.general_posting_setup where company = %s", (hostile,))

    mutate(warehouse, break_hostile)
    assert failed(run(warehouse, Stage.PRE_POSTING, company=hostile)) == {
        "raw.value_entry.general_posting_setup_exists"
    }


def test_missing_marts_fail_the_gate_with_the_reason(make_database: Callable[[str], str]) -> None:
    url = make_database("gx")
    with connect(url) as conn:
        create_schema(conn)
        seed_clean(conn)
        execute(conn, "drop table marts.fct_gl_account_reconciliation")
    result = run(url, Stage.POST_POSTING)
    tie = result.check(TIE_POST)
    assert not tie.success
    assert "fct_gl_account_reconciliation" in (tie.error or "")
    assert result.check(NOTHING_LEFT).success

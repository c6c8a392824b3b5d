"""Data quality of the raw landing: what dbt and the close may assume about the BC ledgers.

Scope: one company; ledger entries posted in the period (setups and accounts company-wide).
Checks: unique keys, required fields, BC's known enum values, §A.1's identities (an item ledger
entry's quantity and invoiced quantity are the sums over its value entries; capacity value entries
have no item ledger entry type and no expected cost), posting dates inside the company's accounting
periods, G/L entries on existing accounts (BC's "Deleted Accounts"), and every setup combination
the value entries use present in the Inventory / General Posting Setup (spec §B.3).
"""

from __future__ import annotations

import great_expectations as gx
import psycopg2.extensions
from psycopg2 import sql

from costclose.validation import contracts
from costclose.validation.model import Scope
from costclose.validation.sqltext import BATCH, render
from costclose.validation.suites import SuiteSpec, expect_no_rows, with_check

# BC's enum value names (spec §A.1), blank = ''.
ITEM_LEDGER_ENTRY_TYPES = [
    "Purchase",
    "Sale",
    "Positive Adjmt.",
    "Negative Adjmt.",
    "Transfer",
    "Consumption",
    "Output",
    "",
    "Assembly Consumption",
    "Assembly Output",
]
VALUE_ENTRY_TYPES = [
    "Direct Cost",
    "Revaluation",
    "Rounding",
    "Indirect Cost",
    "Variance",
    "Direct Cost - Non Inventory",
]
VARIANCE_TYPES = [
    "",
    "Purchase",
    "Material",
    "Capacity",
    "Capacity Overhead",
    "Manufacturing Overhead",
    "Subcontracted",
    "Material - Non Inventory",
]
ORDER_TYPES = ["", "Production", "Transfer", "Service", "Assembly"]
SOURCE_TYPES = ["", "Customer", "Vendor", "Item"]

VALUE_ENTRY_REQUIRED = [
    "entry_no",
    "posting_date",
    "entry_type",
    "item_ledger_entry_type",
    "item_ledger_entry_no",
    "location_code",
    "inventory_posting_group",
    "gen_bus_posting_group",
    "gen_prod_posting_group",
    "cost_amount_actual",
    "cost_posted_to_g_l",
    "cost_amount_expected",
    "expected_cost_posted_to_g_l",
]
ITEM_LEDGER_ENTRY_REQUIRED = ["entry_no", "item_no", "posting_date", "entry_type", "quantity"]
G_L_ENTRY_REQUIRED = ["entry_no", "g_l_account_no", "posting_date", "amount"]


def _ledger_in_period(table: str, scope: Scope) -> sql.Composed:
    return sql.SQL(
        "select * from {rel} where company = {company} and posting_date between {start} and {end}"
    ).format(
        rel=contracts.raw(table).ident,
        company=sql.Literal(scope.company),
        start=sql.Literal(scope.period.start),
        end=sql.Literal(scope.period.end),
    )


def _outside_accounting_periods(conn: psycopg2.extensions.connection, scope: Scope, check: str) -> object:
    # A period runs until the day before the next one starts; the last one is a month long (the
    # company's periods are months), and a company without accounting periods has no valid date.
    query = sql.SQL(
        """
        select e.entry_no, e.posting_date, p.first_start, p.last_end
        from {batch} as e
        left join (
            select min(starting_date) as first_start,
                   (max(starting_date) + interval '1 month' - interval '1 day')::date as last_end
            from {periods} where company = {company}
        ) as p on true
        where p.first_start is null or e.posting_date < p.first_start or e.posting_date > p.last_end
        order by e.entry_no
        """
    ).format(
        batch=BATCH, periods=contracts.raw("accounting_period").ident, company=sql.Literal(scope.company)
    )
    return expect_no_rows(conn, check, "Posting dates lie inside the company's accounting periods", query)


def _key_and_required(table: str, required: list[str]) -> list[object]:
    out: list[object] = [
        with_check(
            gx.expectations.ExpectColumnValuesToBeUnique(
                column="entry_no", description=f"{table}: entry_no is unique"
            ),
            f"raw.{table}.unique_key",
        )
    ]
    out += [
        with_check(
            gx.expectations.ExpectColumnValuesToNotBeNull(
                column=col, description=f"{table}: {col} is present"
            ),
            f"raw.{table}.required.{col}",
        )
        for col in required
    ]
    return out


def _in_set(table: str, column: str, values: list[str]) -> object:
    return with_check(
        gx.expectations.ExpectColumnValuesToBeInSet(
            column=column, value_set=values, description=f"{table}: {column} is one of BC's values"
        ),
        f"raw.{table}.enum.{column}",
    )


def _value_entry_suite(scope: Scope, conn: psycopg2.extensions.connection) -> SuiteSpec:
    company = sql.Literal(scope.company)
    capacity_shape = sql.SQL(
        """
        select entry_no, item_ledger_entry_type, cost_amount_expected
        from {batch}
        where item_ledger_entry_no = 0
          and (item_ledger_entry_type <> '' or cost_amount_expected <> 0)
        order by entry_no
        """
    ).format(batch=BATCH)
    # Only entries with cost to post need a setup row (spec §B.3); assembly resources carry no
    # inventory posting group and use the General Posting Setup only. A NULL group is BC's blank here:
    # the required-field checks report the NULL itself, so one defect fails one check.
    missing_ips = sql.SQL(
        """
        select v.location_code, v.inventory_posting_group, count(*) as value_entries,
               min(v.entry_no) as first_entry_no
        from {batch} as v
        left join {ips} as s
          on s.company = {company}
         and s.location_code = coalesce(v.location_code, '')
         and s.invt_posting_group_code = coalesce(v.inventory_posting_group, '')
        where s.company is null
          and v.inventory_posting_group <> ''
          and v.inventoriable is not false
          and (v.cost_amount_actual <> 0 or v.cost_amount_expected <> 0)
        group by v.location_code, v.inventory_posting_group
        order by v.location_code nulls first, v.inventory_posting_group nulls first
        """
    ).format(batch=BATCH, ips=contracts.raw("inventory_posting_setup").ident, company=company)
    missing_gps = sql.SQL(
        """
        select v.gen_bus_posting_group, v.gen_prod_posting_group, count(*) as value_entries,
               min(v.entry_no) as first_entry_no
        from {batch} as v
        left join {gps} as s
          on s.company = {company}
         and s.gen_bus_posting_group = coalesce(v.gen_bus_posting_group, '')
         and s.gen_prod_posting_group = coalesce(v.gen_prod_posting_group, '')
        where s.company is null
          and v.inventoriable is not false
          and (v.cost_amount_actual <> 0 or v.cost_amount_expected <> 0)
        group by v.gen_bus_posting_group, v.gen_prod_posting_group
        order by v.gen_bus_posting_group, v.gen_prod_posting_group
        """
    ).format(batch=BATCH, gps=contracts.raw("general_posting_setup").ident, company=company)
    table = "value_entry"
    return SuiteSpec(
        name="raw_value_entry",
        asset_query=render(conn, _ledger_in_period(table, scope)),
        expectations=[
            *_key_and_required(table, VALUE_ENTRY_REQUIRED),
            _in_set(table, "entry_type", VALUE_ENTRY_TYPES),
            _in_set(table, "item_ledger_entry_type", ITEM_LEDGER_ENTRY_TYPES),
            _in_set(table, "variance_type", VARIANCE_TYPES),
            _in_set(table, "order_type", ORDER_TYPES),
            _in_set(table, "source_type", SOURCE_TYPES),
            expect_no_rows(
                conn,
                "raw.value_entry.capacity_entry_shape",
                "Capacity value entries (no item ledger entry) have a blank item ledger entry type and no "
                "expected cost (spec §A.1)",
                capacity_shape,
            ),
            _outside_accounting_periods(conn, scope, "raw.value_entry.posting_date_in_accounting_period"),
            expect_no_rows(
                conn,
                "raw.value_entry.inventory_posting_setup_exists",
                "Every (location, inventory posting group) the value entries use has an Inventory Posting "
                "Setup row",
                missing_ips,
            ),
            expect_no_rows(
                conn,
                "raw.value_entry.general_posting_setup_exists",
                "Every (gen. bus., gen. prod. posting group) the value entries use has a General Posting "
                "Setup row",
                missing_gps,
            ),
        ],
    )


def _item_ledger_entry_suite(scope: Scope, conn: psycopg2.extensions.connection) -> SuiteSpec:
    # Each item ledger entry of the batch sums its own value entries through the index on
    # raw.value_entry (company, item_ledger_entry_no) (costclose.landing.schema): a lateral join is one
    # index lookup per entry. The earlier semi-join on the batch's entry numbers was planned as a hash
    # join over every value entry of history, ~14 s per check at 10 million entries (1.6 s now). (GX
    # puts the batch in as a bare subquery only when the query has a join clause, so keep one.)
    def identity(ile_column: str, ve_column: str) -> sql.Composed:
        return sql.SQL(
            """
            select e.entry_no, e.{ile_column} as item_ledger_entry_value,
                   coalesce(v.total, 0) as sum_of_value_entries
            from {batch} as e
            left join lateral (
                select sum(ve.{ve_column}) as total
                from {rel} as ve
                where ve.company = {company} and ve.item_ledger_entry_no = e.entry_no
            ) as v on true
            where e.{ile_column} <> coalesce(v.total, 0)
            order by e.entry_no
            """
        ).format(
            batch=BATCH,
            ile_column=sql.Identifier(ile_column),
            ve_column=sql.Identifier(ve_column),
            rel=contracts.raw("value_entry").ident,
            company=sql.Literal(scope.company),
        )

    table = "item_ledger_entry"
    return SuiteSpec(
        name="raw_item_ledger_entry",
        asset_query=render(conn, _ledger_in_period(table, scope)),
        expectations=[
            *_key_and_required(table, ITEM_LEDGER_ENTRY_REQUIRED),
            _in_set(table, "entry_type", [t for t in ITEM_LEDGER_ENTRY_TYPES if t]),
            expect_no_rows(
                conn,
                "raw.item_ledger_entry.quantity_identity",
                "An item ledger entry's Quantity = Σ Item Ledger Entry Quantity of its value entries "
                "(spec §A.1)",
                identity("quantity", "item_ledger_entry_quantity"),
            ),
            expect_no_rows(
                conn,
                "raw.item_ledger_entry.invoiced_quantity_identity",
                "An item ledger entry's Invoiced Quantity = Σ Invoiced Quantity of its value entries "
                "(spec §A.1)",
                identity("invoiced_quantity", "invoiced_quantity"),
            ),
            _outside_accounting_periods(
                conn, scope, "raw.item_ledger_entry.posting_date_in_accounting_period"
            ),
        ],
    )


def _g_l_entry_suite(scope: Scope, conn: psycopg2.extensions.connection) -> SuiteSpec:
    unknown_accounts = sql.SQL(
        """
        select e.entry_no, e.g_l_account_no, e.posting_date, e.amount
        from {batch} as e
        left join {accounts} as a on a.company = {company} and a.no = e.g_l_account_no
        where a.no is null
        order by abs(e.amount) desc, e.entry_no
        """
    ).format(batch=BATCH, accounts=contracts.raw("g_l_account").ident, company=sql.Literal(scope.company))
    table = "g_l_entry"
    return SuiteSpec(
        name="raw_g_l_entry",
        asset_query=render(conn, _ledger_in_period(table, scope)),
        expectations=[
            *_key_and_required(table, G_L_ENTRY_REQUIRED),
            expect_no_rows(
                conn,
                "raw.g_l_entry.account_exists",
                "G/L entries are on accounts of the chart of accounts (BC's 'Deleted Accounts' warning)",
                unknown_accounts,
            ),
            _outside_accounting_periods(conn, scope, "raw.g_l_entry.posting_date_in_accounting_period"),
        ],
    )


def suites(scope: Scope, conn: psycopg2.extensions.connection) -> list[SuiteSpec]:
    return [
        _value_entry_suite(scope, conn),
        _item_ledger_entry_suite(scope, conn),
        _g_l_entry_suite(scope, conn),
    ]

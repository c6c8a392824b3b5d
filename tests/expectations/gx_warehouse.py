"""A small warehouse for the GX suites: raw BC tables and the marts they read, with one clean close.

Company CRONUS (and any other name), period 2025-01, the real CRONUS account numbers: a purchase of
100.00 into RESALE at location BLUE (Inventory 2110 / Direct Cost Applied 7170), a sale costing 60.00
(Inventory 2110 / COGS 7190), both posted; accounting periods 2024-12 (closed) to 2025-03; the
reconciliation marts as dbt builds them (``costclose.validation.contracts`` names and columns).
Tests break one thing at a time and assert which checks fail.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import psycopg2.extensions
from psycopg2 import sql

from costclose import bc_schema
from costclose.validation import contracts

PERIOD = "2025-01"
D = Decimal

MART_DDL = {
    contracts.GL_ACCOUNT_RECONCILIATION: """
        company text, period_start date, period_end date, g_l_account_no text, setup_roles text,
        implied_amount numeric, gl_net_change numeric, difference numeric""",
    contracts.ADJUSTING_JOURNAL: """
        company text, document_no text, posting_date date, side text, gl_account_no text,
        amount numeric, description text, value_entry_nos bigint[]""",
    contracts.RECONCILIATION_WARNINGS: """
        company text, period_start date, period_end date, date_filter text, warning text,
        warning_text text, is_expected_cost_setup_warning boolean, expected_cost_setup_warning_text text""",
    contracts.UNPOSTED_VALUE_ENTRIES: """
        company text, period_start date, value_entry_no bigint, cost_part text, posting_date date,
        item_no text, entry_type text, document_no text, amount_to_post numeric, account_no text,
        bal_account_no text, skip_reason text""",
    contracts.UNEXPLAINED_GL_ENTRIES: """
        company text, period_start date, g_l_entry_no bigint, posting_date date, g_l_account_no text,
        document_no text, description text, amount numeric, reason text""",
}

_DEFAULTS = {
    bc_schema.CODE: "",
    bc_schema.DEC: D("0"),
    bc_schema.INT: 0,
    bc_schema.BOOL: False,
}


def create_schema(conn: psycopg2.extensions.connection) -> None:
    with conn.cursor() as cur:
        for schema in ("raw", "marts", "outbound"):
            cur.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(schema)))
        for table in bc_schema.RAW_TABLES:
            cur.execute(bc_schema.create_table_sql(table, "raw", extra_columns=bc_schema.RAW_LOAD_COLUMNS))
        for rel, columns in MART_DDL.items():
            cur.execute(sql.SQL("create table {} ({})").format(rel.ident, sql.SQL(columns)))


def insert(conn: psycopg2.extensions.connection, table: str, company: str, **values: Any) -> None:
    """One raw row: every BC column gets BC's blank value ('' / 0 / false) unless given."""
    t = bc_schema.TABLES_BY_NAME[table]
    row: dict[str, Any] = {"company": company}
    for c in t.columns:
        if c.type in _DEFAULTS:
            row[c.name] = _DEFAULTS[c.type]
    row.update(values, _batch_id=1, _loaded_at=datetime.now(UTC), _source_version="test")
    cols = list(row)
    with conn.cursor() as cur:
        cur.execute(
            sql.SQL("insert into raw.{} ({}) values ({})").format(
                sql.Identifier(table),
                sql.SQL(", ").join(map(sql.Identifier, cols)),
                sql.SQL(", ").join(sql.Placeholder() * len(cols)),
            ),
            [row[c] for c in cols],
        )


def insert_mart(conn: psycopg2.extensions.connection, rel: contracts.Relation, **values: Any) -> None:
    cols = list(values)
    with conn.cursor() as cur:
        cur.execute(
            sql.SQL("insert into {} ({}) values ({})").format(
                rel.ident,
                sql.SQL(", ").join(map(sql.Identifier, cols)),
                sql.SQL(", ").join(sql.Placeholder() * len(cols)),
            ),
            [values[c] for c in cols],
        )


def recon(
    conn: psycopg2.extensions.connection, company: str, account: str, implied: str, gl: str, roles: str
) -> None:
    insert_mart(
        conn,
        contracts.GL_ACCOUNT_RECONCILIATION,
        company=company,
        period_start=date(2025, 1, 1),
        period_end=date(2025, 1, 31),
        g_l_account_no=account,
        setup_roles=roles,
        implied_amount=D(implied),
        gl_net_change=D(gl),
        difference=D(gl) - D(implied),
    )


def journal_line(
    conn: psycopg2.extensions.connection,
    company: str,
    document_no: str,
    posting_date: date,
    account: str,
    amount: str,
    value_entry_nos: list[int] | None = None,
) -> None:
    insert_mart(
        conn,
        contracts.ADJUSTING_JOURNAL,
        company=company,
        document_no=document_no,
        posting_date=posting_date,
        side="account" if D(amount) > 0 else "balancing",
        gl_account_no=account,
        amount=D(amount),
        description="test",
        value_entry_nos=value_entry_nos or [],
    )


def set_recon(
    conn: psycopg2.extensions.connection,
    company: str,
    account: str,
    *,
    implied: str | None = None,
    gl: str | None = None,
) -> None:
    """Change one account's implied amount and/or G/L net change (difference follows)."""
    with conn.cursor() as cur:
        if implied is not None:
            cur.execute(
                sql.SQL(
                    "update {} set implied_amount = %s where company = %s and g_l_account_no = %s"
                ).format(contracts.GL_ACCOUNT_RECONCILIATION.ident),
                (D(implied), company, account),
            )
        if gl is not None:
            cur.execute(
                sql.SQL("update {} set gl_net_change = %s where company = %s and g_l_account_no = %s").format(
                    contracts.GL_ACCOUNT_RECONCILIATION.ident
                ),
                (D(gl), company, account),
            )
        cur.execute(
            sql.SQL("update {} set difference = gl_net_change - implied_amount where company = %s").format(
                contracts.GL_ACCOUNT_RECONCILIATION.ident
            ),
            (company,),
        )


ACCOUNTS = [
    ("2110", "Resale Items", False),
    ("2111", "Resale Items (Interim)", False),
    ("2120", "Finished Goods", False),
    ("2910", "Bank", False),
    ("5510", "Invt. Accrual (Interim)", False),
    ("7170", "Cost of Retail Sold / Direct Cost Applied", False),
    ("7190", "Cost of Retail Sold", False),
    ("8999", "Blocked account", True),
]


def seed_clean(conn: psycopg2.extensions.connection, company: str = "CRONUS") -> None:
    """The clean close of 2025-01 (see the module docstring)."""
    for no, name, blocked in ACCOUNTS:
        insert(conn, "g_l_account", company, no=no, name=name, account_type="Posting", blocked=blocked)
    for start, closed in [
        (date(2024, 12, 1), True),
        (date(2025, 1, 1), False),
        (date(2025, 2, 1), False),
        (date(2025, 3, 1), False),
    ]:
        insert(conn, "accounting_period", company, starting_date=start, name=f"{start:%B}", closed=closed)
    insert(conn, "general_ledger_setup", company, primary_key="", allow_posting_from=date(2024, 12, 1))
    insert(conn, "inventory_setup", company, primary_key="", automatic_cost_posting=False)
    insert(conn, "location", company, code="BLUE", name="Blue Warehouse")
    insert(
        conn,
        "inventory_posting_setup",
        company,
        location_code="BLUE",
        invt_posting_group_code="RESALE",
        inventory_account="2110",
        inventory_account_interim="2111",
    )
    for gen_bus in ("", "DOMESTIC"):  # CRONUS has a blank-business row per product group
        insert(
            conn,
            "general_posting_setup",
            company,
            gen_bus_posting_group=gen_bus,
            gen_prod_posting_group="RETAIL",
            cogs_account="7190",
            inventory_adjmt_account="7170",
            direct_cost_applied_account="7170",
            invt_accrual_acc_interim="5510",
        )
    insert(
        conn,
        "item",
        company,
        no="1000",
        description="Bicycle",
        inventory_posting_group="RESALE",
        gen_prod_posting_group="RETAIL",
        costing_method="FIFO",
    )
    ve = {
        "item_no": "1000",
        "location_code": "BLUE",
        "inventory_posting_group": "RESALE",
        "gen_bus_posting_group": "DOMESTIC",
        "gen_prod_posting_group": "RETAIL",
        "entry_type": "Direct Cost",
        "inventoriable": True,
    }
    insert(
        conn,
        "item_ledger_entry",
        company,
        entry_no=1,
        item_no="1000",
        posting_date=date(2025, 1, 10),
        entry_type="Purchase",
        location_code="BLUE",
        quantity=D(10),
        invoiced_quantity=D(10),
        positive=True,
    )
    insert(
        conn,
        "item_ledger_entry",
        company,
        entry_no=2,
        item_no="1000",
        posting_date=date(2025, 1, 20),
        entry_type="Sale",
        location_code="BLUE",
        quantity=D(-6),
        invoiced_quantity=D(-6),
    )
    insert(
        conn,
        "value_entry",
        company,
        entry_no=1,
        posting_date=date(2025, 1, 10),
        item_ledger_entry_type="Purchase",
        item_ledger_entry_no=1,
        valued_quantity=D(10),
        item_ledger_entry_quantity=D(10),
        invoiced_quantity=D(10),
        cost_amount_actual=D("100.00"),
        cost_posted_to_g_l=D("100.00"),
        source_type="Vendor",
        **ve,
    )
    insert(
        conn,
        "value_entry",
        company,
        entry_no=2,
        posting_date=date(2025, 1, 20),
        item_ledger_entry_type="Sale",
        item_ledger_entry_no=2,
        valued_quantity=D(-6),
        item_ledger_entry_quantity=D(-6),
        invoiced_quantity=D(-6),
        cost_amount_actual=D("-60.00"),
        cost_posted_to_g_l=D("-60.00"),
        source_type="Customer",
        **ve,
    )
    for entry_no, account, day, amount, ve_no in [
        (1, "2110", 10, "100.00", 1),
        (2, "7170", 10, "-100.00", 1),
        (3, "7190", 20, "60.00", 2),
        (4, "2110", 20, "-60.00", 2),
    ]:
        insert(
            conn,
            "g_l_entry",
            company,
            entry_no=entry_no,
            g_l_account_no=account,
            posting_date=date(2025, 1, day),
            document_no=f"DOC{ve_no}",
            amount=D(amount),
            transaction_no=ve_no,
        )
        insert(conn, "g_l_item_ledger_relation", company, g_l_entry_no=entry_no, value_entry_no=ve_no)
    recon(conn, company, "2110", "40.00", "40.00", "Inventory Account")
    recon(conn, company, "2111", "0", "0", "Inventory Account (Interim)")
    recon(conn, company, "5510", "0", "0", "Invt. Accrual Acc. (Interim)")
    recon(
        conn, company, "7170", "-100.00", "-100.00", "Direct Cost Applied Account, Inventory Adjmt. Account"
    )
    recon(conn, company, "7190", "60.00", "60.00", "COGS Account")
    insert_mart(
        conn,
        contracts.RECONCILIATION_WARNINGS,
        company=company,
        period_start=date(2025, 1, 1),
        period_end=date(2025, 1, 31),
        date_filter="period",
        warning=None,
        warning_text=None,
        is_expected_cost_setup_warning=False,
    )

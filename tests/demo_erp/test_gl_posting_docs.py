"""Value entries posted to the G/L by §B's rules reproduce the docs' G/L entries and relation rows."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

from psycopg2.extensions import connection

from costclose.demo_erp import gl_posting, masterdata, store
from costclose.demo_erp.costing import ItemInfo, Ledger

D = Decimal
CENT = Decimal("0.01")


def _docs_company(conn: connection, accounts: dict[str, str], *, automatic: bool, expected: bool) -> None:
    """A company whose setup holds exactly the accounts the docs example names."""
    with conn.cursor() as cur:
        masterdata.load_posting_rules(cur)
        cur.execute("insert into bc.company (name, display_name) values ('DOCS', 'docs example')")
        for no in sorted(set(accounts.values())):
            cur.execute(
                "insert into bc.g_l_account (company, no, name, account_type, blocked, direct_posting) "
                "values ('DOCS', %s, %s, 'Posting', false, false)",
                (no, f"account {no}"),
            )
        cur.execute(
            "insert into bc.inventory_posting_setup (company, location_code, invt_posting_group_code, "
            "inventory_account, inventory_account_interim) values ('DOCS', '', 'RAW MAT', %s, %s)",
            (accounts.get("Inventory Account", ""), accounts.get("Inventory Account (Interim)", "")),
        )
        cur.execute(
            "insert into bc.general_posting_setup (company, gen_bus_posting_group, gen_prod_posting_group, "
            "direct_cost_applied_account, overhead_applied_account, cogs_account, invt_accrual_acc_interim, "
            "blocked) values ('DOCS', 'DOMESTIC', 'RAW MAT', %s, %s, %s, %s, false)",
            tuple(
                accounts.get(k, "")
                for k in (
                    "Direct Cost Applied Account",
                    "Overhead Applied Account",
                    "COGS Account",
                    "Invt. Accrual Acc. (Interim)",
                )
            ),
        )
        cur.execute(
            "insert into bc.inventory_setup (company, primary_key, automatic_cost_posting, "
            "expected_cost_posting_to_g_l) values ('DOCS', '', %s, %s)",
            (automatic, expected),
        )
        cur.execute(
            "insert into bc.accounting_period (company, starting_date, closed) "
            "values ('DOCS', '2020-01-01', false)"
        )


def _gl(conn: connection) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    with conn.cursor() as cur:
        cur.execute(
            "select entry_no, posting_date, g_l_account_no, amount from bc.g_l_entry order by entry_no"
        )
        entries = cur.fetchall()
        cur.execute(
            "select g_l_entry_no, value_entry_no, g_l_register_no from bc.g_l_item_ledger_relation "
            "order by g_l_entry_no"
        )
        return entries, cur.fetchall()


def _want(fx: dict) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    out = fx["expected_outputs_from_docs"]
    entries = [
        (
            g["entry_no"],
            date.fromisoformat(g["posting_date"]),
            g["account_no"],
            D(str(g["amount"])).quantize(CENT),
        )
        for g in out["gl_entries"]
    ]
    relations = [
        (r["gl_entry_no"], r["value_entry_no"], r["gl_register_no"]) for r in out["gl_item_ledger_relation"]
    ]
    return entries, relations


def test_inventory_posting_purchase_sale(erp_conn: connection, shared_dir: Path) -> None:
    fx = json.loads((shared_dir / "fixtures/bc_docs/inventory_posting_purchase_sale.json").read_text())
    _docs_company(erp_conn, fx["setup"]["accounts"], automatic=False, expected=False)
    item = ItemInfo("X", "FIFO", "RAW MAT", "RAW MAT", D(7), overhead_rate=D(1))
    ledger = Ledger("DOCS", {"X": item})
    ledger.purchase("X", "", D(10), D(7), d=date(2020, 1, 1), doc="P1")
    ledger.sale("X", "", D(10), date(2020, 1, 15), "S1", customer_group="DOMESTIC")
    ledger.adjust_cost()
    store.flush(erp_conn, ledger)
    run = gl_posting.post_value_entries(erp_conn, "DOCS")
    erp_conn.commit()
    assert run.value_entries_posted == 3 and run.skipped_value_entry_nos == ()
    assert _gl(erp_conn) == _want(fx)
    with erp_conn.cursor() as cur:
        cur.execute("select entry_no, cost_amount_actual, cost_posted_to_g_l from bc.value_entry order by 1")
        assert [(r[0], r[1], r[2]) for r in cur.fetchall()] == [
            (v["entry_no"], D(str(v["cost_amount_actual"])), D(str(v["cost_posted_to_gl_after_batch"])))
            for v in fx["value_entries"]
        ]


def test_expected_cost_posting_purchase(erp_conn: connection, shared_dir: Path) -> None:
    fx = json.loads((shared_dir / "fixtures/bc_docs/expected_cost_posting_purchase.json").read_text())
    _docs_company(erp_conn, fx["setup"]["accounts"], automatic=True, expected=True)
    ledger = Ledger("DOCS", {"X": ItemInfo("X", "FIFO", "RAW MAT", "RAW MAT", D("9.5"))})
    receipt = ledger.purchase("X", "", D(10), D("9.5"), d=date(2020, 1, 1), doc="R1", invoice=False)
    store.flush(erp_conn, ledger)
    gl_posting.post_value_entries(erp_conn, "DOCS")  # Automatic Cost Posting: right after the receipt
    ledger.invoice_purchase(receipt, date(2020, 1, 15), "PI1", D(10))
    store.flush(erp_conn, ledger)
    gl_posting.post_value_entries(erp_conn, "DOCS")
    erp_conn.commit()
    assert _gl(erp_conn) == _want(fx)
    with erp_conn.cursor() as cur:
        cur.execute(
            "select entry_no, cost_amount_expected, expected_cost_posted_to_g_l, cost_amount_actual, "
            "cost_posted_to_g_l from bc.value_entry order by 1"
        )
        assert cur.fetchall() == [(1, D(95), D(95), D(0), D(0)), (2, D(-95), D(-95), D(100), D(100))]

"""The dbt project on the demo ERP's seeded CRONUS company (issue 3), landed through the sql: source:
the per-account differences equal the manifest's ground truth exactly, and a fully posted company
reconciles to 0.00."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import psycopg2
import pytest
from dbt_warehouse import Warehouse, create_raw_schema
from psycopg2 import sql

from costclose.db import connect, with_database
from costclose.demo_erp import gl_posting, simulate
from costclose.landing import load
from costclose.sources import open_source
from costclose.transform import dbt

COMPANY = "CRONUS"
POSTED = "CRONUS POSTED"


@pytest.fixture(scope="module")
def demo(
    pg_server_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Warehouse, dict[str, Any]]]:
    """One demo ERP with two seeded companies, landed and built once: CRONUS with the six discrepancy
    kinds (its manifest returned) and CRONUS POSTED, fully posted."""
    names = [f"demo_{kind}_{uuid.uuid4().hex[:8]}" for kind in ("erp", "wh")]
    admin = psycopg2.connect(pg_server_url)
    admin.autocommit = True
    with admin.cursor() as cur:
        for name in names:
            cur.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    erp, warehouse = (with_database(pg_server_url, name) for name in names)
    try:
        manifest = simulate.seed(
            erp, COMPANY, months=4, scale=0.3, seed=3, start=date(2025, 1, 1), discrepancies=True
        )
        simulate.seed(erp, POSTED, months=3, scale=0.3, seed=4, start=date(2025, 1, 1))
        with connect(erp) as conn:
            gl_posting.post_value_entries(conn, POSTED, queued_only=True)
        create_raw_schema(warehouse)
        source = open_source(f"sql:{erp}")
        for company in (COMPANY, POSTED):
            load(source, company, warehouse_url=warehouse)
        target = tmp_path_factory.mktemp("demo-target")
        run = dbt.build(warehouse, target_path=target, check=False)
        yield Warehouse(url=warehouse, target_path=target, build=run), manifest
    finally:
        with admin.cursor() as cur:
            for name in names:
                cur.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
        admin.close()


def differences(wh: Warehouse, company: str) -> dict[tuple[str | None, str], Decimal]:
    rows = wh.query(
        "select g_l_account_no, to_char(period_start, 'YYYY-MM'), difference"
        " from marts.fct_gl_account_reconciliation where company = %s and difference <> 0",
        (company,),
    )
    return {(account, period): amount for account, period, amount in rows}


def test_build_passes_every_test_on_the_demo_company(demo: tuple[Warehouse, dict[str, Any]]) -> None:
    wh, _ = demo
    assert [(n.unique_id, n.message) for n in wh.build.failed()] == []


def test_differences_equal_the_seeded_discrepancies(demo: tuple[Warehouse, dict[str, Any]]) -> None:
    wh, manifest = demo
    kinds = {i["kind"] for i in manifest["injected"]}
    assert kinds == {
        "unposted_value_entries",
        "direct_posting_inventory",
        "posting_group_change",
        "deleted_account",
        "closed_period_entry",
        "missing_setup_row",
    }
    expected = {
        (d["account_no"], d["period"]): Decimal(d["amount"]) for d in manifest["expected_differences"]
    }
    assert expected
    assert differences(wh, COMPANY) == expected

    # every injected unposted value entry is either in the journal or skipped with its reason
    injected = {i["kind"]: set(i["value_entry_nos"]) for i in manifest["injected"]}
    journal = {
        r[0]
        for r in wh.query(
            "select value_entry_no from outbound.fct_adjusting_journal_per_entry where company = %s",
            (COMPANY,),
        )
    }
    skipped = dict(
        wh.query(
            "select value_entry_no, skip_reason from outbound.fct_adjusting_journal_skipped_entries"
            " where company = %s",
            (COMPANY,),
        )
    )
    assert injected["unposted_value_entries"] <= journal
    assert injected["closed_period_entry"]
    assert all("closed accounting period" in skipped[no] for no in injected["closed_period_entry"])
    assert all("is missing" in skipped[no] for no in injected["missing_setup_row"])
    deleted = wh.query(
        "select count(*) from marts.fct_reconciliation_unexplained_gl_entries"
        " where company = %s and reason = 'Deleted Accounts'",
        (COMPANY,),
    )
    assert deleted == [(3,)]


def test_fully_posted_demo_company_reconciles_to_zero(demo: tuple[Warehouse, dict[str, Any]]) -> None:
    wh, _ = demo
    assert differences(wh, POSTED) == {}
    assert wh.query(
        "select count(*) from outbound.fct_adjusting_journal_per_entry where company = %s", (POSTED,)
    ) == [(0,)]
    # BC's matrix: the inventory accounts agree; rows of accounts serving two roles (7170) do not (§C.3)
    inventory = wh.query(
        "select distinct inventory from marts.fct_inventory_gl_reconciliation"
        " where company = %s and matrix_row = 'Difference' and date_filter = 'to_date'",
        (POSTED,),
    )
    assert inventory == [(Decimal(0),)]

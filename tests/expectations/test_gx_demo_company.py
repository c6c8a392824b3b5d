"""End to end on the demo company: seeded with the six known discrepancies (and a clean twin),
extracted into raw, reconciled by the real dbt project, validated by the GX gates. Each period's failing
checks are the ones the manifest's discrepancies call for, and the tie-out reports exactly the
differences the manifest says the journal cannot explain."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest

from costclose.demo_erp.simulate import seed
from costclose.landing.loader import load
from costclose.period import parse_period
from costclose.sources import open_source
from costclose.transform.dbt import run_dbt
from costclose.validation import Scope, Stage, validate

pytestmark = pytest.mark.slow

MARTS = [
    "+fct_gl_account_reconciliation",
    "+fct_adjusting_journal_per_posting_group",
    "+fct_inventory_gl_reconciliation_warnings",
    "+fct_reconciliation_unposted_value_entries",
    "+fct_reconciliation_unexplained_gl_entries",
]
PERIODS = ["2025-01", "2025-02", "2025-03"]
TIE_PRE = "tie_out.inventory_equals_gl_plus_journal"
# The check each kind must fail besides the tie-out (None: the tie-out only, or nothing before posting).
RAW_CHECK = {
    "deleted_account": "raw.g_l_entry.account_exists",
    "missing_setup_row": "raw.value_entry.inventory_posting_setup_exists",
}


def expected(manifest: dict[str, Any]) -> tuple[dict[str, set[str]], dict[str, dict[str | None, Decimal]]]:
    """Per period: the checks that must fail, and per account what the journal cannot explain."""
    checks: dict[str, set[str]] = defaultdict(set)
    unexplained: dict[str, dict[str | None, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for kind in manifest["injected"]:
        if kind["kind"] == "unposted_value_entries":
            continue  # the adjusting journal proposes exactly these: nothing fails before posting
        for diff in kind["differences"]:
            period, account = diff["period"], diff["account_no"]
            if kind["kind"] in RAW_CHECK:
                checks[period].add(RAW_CHECK[kind["kind"]])
            # difference = G/L - implied; the tie-out reports implied - G/L - journal. Account ''
            # (blank G/L entries) and null (implied sides no setup resolves) are rows of their own.
            unexplained[period][account] -= Decimal(diff["amount"])
    for period, accounts in unexplained.items():
        if any(accounts.values()):
            checks[period].add(TIE_PRE)
    return checks, {p: {a: v for a, v in acc.items() if v} for p, acc in unexplained.items()}


@pytest.fixture(scope="module")
def demo_warehouse(tmp_path_factory: pytest.TempPathFactory, pg_server_url: str) -> dict[str, Any]:
    import psycopg2
    from psycopg2 import sql

    from costclose.db import with_database

    names = {"erp": "gx_demo_erp", "wh": "gx_demo_wh"}
    conn = psycopg2.connect(pg_server_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        for name in names.values():
            cur.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
            cur.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    erp, wh = (with_database(pg_server_url, n) for n in names.values())
    manifest = seed(erp, "CRONUS", months=3, scale=0.5, seed=7, discrepancies=True)
    seed(erp, "CRONUS CLEAN", months=1, scale=0.5, seed=7)
    for company in ("CRONUS", "CRONUS CLEAN"):
        load(open_source(f"sql:{erp}"), company, warehouse_url=wh)
    target = tmp_path_factory.mktemp("dbt-target")
    # one dbt invocation: the posting-rules seed and the marts the gates read, without dbt's own tests
    select = ["--select", "posting_rules", *MARTS, "--exclude-resource-type", "test", "unit_test"]
    run_dbt(["build", *select], wh, target_path=target, check=True)
    yield {"url": wh, "manifest": manifest}
    with conn.cursor() as cur:
        for name in names.values():
            cur.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
    conn.close()


def test_each_injected_discrepancy_fails_its_checks_per_period(demo_warehouse: dict[str, Any]) -> None:
    checks, unexplained = expected(demo_warehouse["manifest"])
    assert {k["kind"] for k in demo_warehouse["manifest"]["injected"]} >= {
        "unposted_value_entries", "direct_posting_inventory", "posting_group_change", "deleted_account",
        "closed_period_entry", "missing_setup_row",
    }  # fmt: skip
    for period in PERIODS:
        result = validate(Scope("CRONUS", parse_period(period)), Stage.PRE_POSTING, demo_warehouse["url"])
        assert {c.key for c in result.failures} == checks[period], period
        reported = {
            r["g_l_account_no"]: Decimal(r["unexplained_difference"]) for r in result.check(TIE_PRE).rows
        }
        assert reported == unexplained.get(period, {}), period


def test_the_clean_company_passes_before_posting(demo_warehouse: dict[str, Any]) -> None:
    for period in PERIODS[:2]:
        result = validate(
            Scope("CRONUS CLEAN", parse_period(period)), Stage.PRE_POSTING, demo_warehouse["url"]
        )
        assert [c.key for c in result.failures] == [], period

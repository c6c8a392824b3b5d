"""The adjusting journal (marts/outbound) on the test warehouse."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from dbt_warehouse import DOCS_EXP, DOCS_PS, OPEN, POSTED, Warehouse


@pytest.mark.parametrize(
    ("company", "fixture"),
    [(DOCS_PS, "inventory_posting_purchase_sale"), (DOCS_EXP, "expected_cost_posting_purchase")],
)
def test_per_entry_journal_reproduces_the_docs_g_l_entries(
    warehouse: Warehouse, shared_dir: Path, company: str, fixture: str
) -> None:
    doc = json.loads((shared_dir / "fixtures" / "bc_docs" / f"{fixture}.json").read_text())
    expected = [
        (g["posting_date"], g["account_no"], Decimal(str(g["amount"])))
        for g in doc["expected_outputs_from_docs"]["gl_entries"]
    ]
    lines = warehouse.query(
        "select to_char(posting_date, 'YYYY-MM-DD'), gl_account_no, amount"
        " from outbound.fct_adjusting_journal_per_entry where company = %s order by line_no",
        (company,),
    )
    assert lines == expected


def test_unposted_sale_is_journaled_and_closed_period_entry_is_skipped(warehouse: Warehouse) -> None:
    lines = warehouse.query(
        "select document_no, posting_date::text, gl_account_no, amount, value_entry_no, cost_part"
        " from outbound.fct_adjusting_journal_per_entry where company = %s order by line_no",
        (OPEN,),
    )
    assert lines == [
        ("DOC4", "2024-02-20", "2110", Decimal("-506.6"), 4, "actual"),
        ("DOC4", "2024-02-20", "7190", Decimal("506.6"), 4, "actual"),
    ]
    grouped = warehouse.query(
        "select document_no, gl_account_no, amount, value_entry_nos, description"
        " from outbound.fct_adjusting_journal_per_posting_group where company = %s order by line_no",
        (OPEN,),
    )
    assert grouped == [
        ("INVCOST-20240220", "2110", Decimal("-506.6"), [4], "Inventory - COGS, ,RESALE,DOMESTIC,RETAIL"),
        ("INVCOST-20240220", "7190", Decimal("506.6"), [4], "Inventory - COGS, ,RESALE,DOMESTIC,RETAIL"),
    ]
    skipped = warehouse.query(
        "select value_entry_no, cost_part, skip_reason, amount_to_post"
        " from outbound.fct_adjusting_journal_skipped_entries where company = %s",
        (OPEN,),
    )
    assert skipped == [
        (2, "actual", "Posting date 2024-01-20 is in a closed accounting period", Decimal("-506.6"))
    ]


def test_fully_posted_company_has_nothing_to_post(warehouse: Warehouse) -> None:
    for table in ("fct_adjusting_journal_per_entry", "fct_adjusting_journal_skipped_entries"):
        assert warehouse.query(f"select count(*) from outbound.{table} where company = %s", (POSTED,)) == [
            (0,)
        ]


def test_every_document_balances(warehouse: Warehouse) -> None:
    for table in ("fct_adjusting_journal_per_entry", "fct_adjusting_journal_per_posting_group"):
        unbalanced = warehouse.query(
            f"select company, document_no, sum(amount) from outbound.{table}"
            " group by company, document_no having sum(amount) <> 0"
        )
        assert unbalanced == []
        assert warehouse.query(f"select count(*) > 0 from outbound.{table}") == [(True,)]

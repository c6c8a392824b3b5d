"""Hostile names are just names: quotes, SQL and format metacharacters and unicode in company names and
document numbers go through extract -> dbt -> journal unchanged and change nothing else.

Three companies are seeded from the same seed into the demo ERP -- a plain control company and two
with hostile names; one also gets hostile document numbers. After extraction and a dbt build their
journals equal the control's line for line, a dbt rebuild narrowed to a hostile company (the --vars
company a backfill passes) runs and leaves every company's rows as they were, and the journal posts
to a file with the names intact.
"""

from __future__ import annotations

import csv
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from bad_fixtures import create_db, drop_db, query

from costclose.landing import load
from costclose.period import parse_period
from costclose.sources import open_source

CONTROL = "Plain Co"
OBRIEN = "O'Brien\"; drop table raw.value_entry;--"
UNICODE = "Größe ½ 株式会社 \\ %s {} $$ %(x)s"
DOC_SUFFIX = "'\"; delete from raw.item; -- %s {}"
PERIOD = "2025-03"
AGGREGATES = (
    "int_value_entries_aggregated_by_period",
    "int_production_value_entries_aggregated_by_period",
    "int_g_l_entries_aggregated_by_period",
)


@dataclass
class Chain:
    erp: str
    warehouse: str
    target_path: Path


@pytest.fixture(scope="module")
def chain(pg_server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chain]:
    from costclose.demo_erp.simulate import seed
    from costclose.transform import dbt

    suffix = uuid.uuid4().hex[:8]
    erp_name, wh_name = f"hostile_erp_{suffix}", f"hostile_wh_{suffix}"
    try:
        erp, warehouse = create_db(pg_server_url, erp_name), create_db(pg_server_url, wh_name)
        for company in (CONTROL, OBRIEN, UNICODE):
            seed(erp, company=company, months=3, scale=1, seed=5)
        # hostile free text too: the document numbers of the O'Brien company's value entries
        query(
            erp,
            "update bc.value_entry set document_no = document_no || %s where company = %s returning 1",
            (DOC_SUFFIX, OBRIEN),
        )
        source = open_source(f"sql:{erp}")
        assert set(source.companies()) == {CONTROL, OBRIEN, UNICODE}
        for company in (CONTROL, OBRIEN, UNICODE):
            report = load(source, company, warehouse_url=warehouse)
            assert all(c.matches for c in report.checks) and report.quarantine_open == 0
        target = tmp_path_factory.mktemp("dbt-hostile")
        dbt.build(warehouse, target_path=target)
        yield Chain(erp, warehouse, target)
    finally:
        drop_db(pg_server_url, erp_name)
        drop_db(pg_server_url, wh_name)


def _journal(warehouse: str, company: str) -> list[tuple[Any, ...]]:
    from costclose.posting.service import post_period
    from costclose.posting.targets import FileTarget

    summary = post_period(
        company, parse_period(PERIOD), FileTarget(Path("unused")), dry_run=True, warehouse_url=warehouse
    )
    return [
        (ln.document_no, ln.posting_date, ln.account_no, ln.amount, ln.value_entry_nos)
        for ln in summary.lines
    ]


def test_raw_holds_every_company_under_its_exact_name(chain: Chain) -> None:
    for company in (CONTROL, OBRIEN, UNICODE):
        erp = query(
            chain.erp,
            "select count(*), sum(cost_amount_actual) from bc.value_entry where company = %s",
            (company,),
        )
        raw = query(
            chain.warehouse,
            "select count(*), sum(cost_amount_actual) from raw.value_entry where company = %s",
            (company,),
        )
        assert raw == erp and raw[0][0] > 0
    assert query(chain.warehouse, "select count(distinct company) from raw.item") == [(3,)]
    docs = query(
        chain.warehouse,
        "select count(*) from raw.value_entry where company = %s and document_no like %s",
        (OBRIEN, "%" + DOC_SUFFIX.replace("%", "\\%")),
    )
    assert docs == query(
        chain.warehouse, "select count(*) from raw.value_entry where company = %s", (OBRIEN,)
    )


def test_hostile_companies_get_the_control_companys_journal(chain: Chain) -> None:
    control = _journal(chain.warehouse, CONTROL)
    assert control, "the last month's cost is not posted yet: there is a journal"
    assert _journal(chain.warehouse, UNICODE) == control
    assert _journal(chain.warehouse, OBRIEN) == control  # grouped documents: INVCOST-<date>
    per_entry = query(
        chain.warehouse,
        "select document_no from outbound.fct_adjusting_journal_per_entry where company = %s",
        (OBRIEN,),
    )
    assert per_entry and all(doc.endswith(DOC_SUFFIX) for (doc,) in per_entry)


def test_a_rebuild_narrowed_to_a_hostile_company_changes_no_row(chain: Chain) -> None:
    from costclose.transform import dbt

    def rows() -> dict[str, list[tuple[Any, ...]]]:
        return {
            m: sorted(query(chain.warehouse, f"select * from intermediate.{m}"), key=repr) for m in AGGREGATES
        }

    before = rows()
    assert all(before.values())
    for company in (OBRIEN, UNICODE):
        run = dbt.build(
            chain.warehouse, period=PERIOD, company=company, select=AGGREGATES, target_path=chain.target_path
        )
        assert run.success
        assert rows() == before, company
    assert query(chain.warehouse, "select to_regclass('raw.value_entry') is not null") == [(True,)]


def test_the_journal_file_keeps_the_names(chain: Chain, tmp_path: Path) -> None:
    from costclose.posting.service import post_period
    from costclose.posting.targets import FileTarget

    summary = post_period(
        OBRIEN, parse_period(PERIOD), FileTarget(tmp_path), dry_run=False, warehouse_url=chain.warehouse
    )
    assert summary.status == "posted"
    [path] = tmp_path.glob("*.csv")
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["company"] for r in rows} == {OBRIEN}
    assert len(rows) == len(summary.lines)
    assert sum(Decimal(r["amount"]) for r in rows) == 0

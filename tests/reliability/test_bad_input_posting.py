"""Posting-side bad input: what Post Inventory Cost to G/L would refuse is skipped, with the reason.

One warehouse holds one company per case, each the real CRONUS setup with one thing broken (a blocked
or deleted G/L account, a missing or blocked setup row, an unknown posting group or enum value, a date
BC will not post on) and the same unposted sale. One dbt build of the adjusting journal; then per case
the sale is in ``outbound.fct_adjusting_journal_skipped_entries`` with the reason and amount, and not
in the journal. A control company with nothing broken gets the sale journaled, so every skip is caused
by the broken input alone.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from bad_fixtures import create_db, drop_db, query

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "dbt"))
from dbt_warehouse import create_raw_schema, cronus_setup_rows, load, ve

from costclose.transform import dbt

Rows = dict[str, list[dict[str, Any]]]
SALE = Decimal("-506.6")


def _sale(company: str, **changes: Any) -> dict[str, Any]:
    fields = {
        "item_no": "1896-S",
        "inventory_posting_group": "RESALE",
        "gen_bus_posting_group": "DOMESTIC",
        "gen_prod_posting_group": "RETAIL",
        "cost_amount_actual": SALE,
        "invoiced_quantity": -1,
        "item_ledger_entry_quantity": -1,
        "valued_quantity": -1,
    }
    args = {"posting_date": "2024-02-20", "ile_type": "Sale", "entry_type": "Direct Cost", **changes}
    fields.update({k: v for k, v in args.items() if k not in ("posting_date", "ile_type", "entry_type")})
    return ve(company, 1, args["posting_date"], args["ile_type"], args["entry_type"], **fields)


def _company(shared_dir: Path, company: str, sale: dict[str, Any]) -> Rows:
    rows: Rows = {
        table: cronus_setup_rows(shared_dir, table, company)
        for table in ("inventory_posting_setup", "general_posting_setup", "g_l_account", "item", "location")
    }
    rows["inventory_setup"] = [
        {"company": company, "primary_key": "", "automatic_cost_posting": False,
         "expected_cost_posting_to_g_l": False}
    ]  # fmt: skip
    rows["general_ledger_setup"] = [{"company": company, "primary_key": ""}]
    rows["accounting_period"] = [
        {"company": company, "starting_date": start, "closed": closed, "name": start[:7]}
        for start, closed in (("2024-01-01", True), ("2024-02-01", False), ("2024-03-01", False))
    ]
    rows["value_entry"] = [sale]
    return rows


def _set(table: str, where: dict[str, str], **values: Any) -> Callable[[Rows], None]:
    def change(rows: Rows) -> None:
        hits = [r for r in rows[table] if all(r.get(k) == v for k, v in where.items())]
        assert hits, (table, where)
        for row in hits:
            row.update(values)

    return change


def _drop(table: str, where: dict[str, str]) -> Callable[[Rows], None]:
    def change(rows: Rows) -> None:
        kept = [r for r in rows[table] if not all(r.get(k) == v for k, v in where.items())]
        assert len(kept) < len(rows[table]), (table, where)
        rows[table] = kept

    return change


def _none(rows: Rows) -> None:
    return


GPS = {"gen_bus_posting_group": "DOMESTIC", "gen_prod_posting_group": "RETAIL"}
# case -> (sale changes, setup change, the skip reason)
CASES: dict[str, tuple[dict[str, Any], Callable[[Rows], None], str]] = {
    "blocked G/L account": (
        {},
        _set("g_l_account", {"no": "7190"}, blocked=True),
        "G/L account 7190 is blocked",
    ),
    "deleted G/L account": ({}, _drop("g_l_account", {"no": "7190"}), "G/L account 7190 does not exist"),
    "missing Inventory Posting Setup row": (
        {},
        _drop("inventory_posting_setup", {"location_code": "", "invt_posting_group_code": "RESALE"}),
        "Inventory Posting Setup (, RESALE) is missing",
    ),
    "missing General Posting Setup row": (
        {},
        _drop("general_posting_setup", GPS),
        "General Posting Setup (DOMESTIC, RETAIL) is missing",
    ),
    "blocked General Posting Setup row": (
        {},
        _set("general_posting_setup", GPS, blocked=True),
        "General Posting Setup (DOMESTIC, RETAIL) is blocked",
    ),
    "blank account in the setup": (
        {},
        _set("general_posting_setup", GPS, cogs_account=""),
        "COGS Account is blank in General Posting Setup",
    ),
    "unknown inventory posting group": (
        {"inventory_posting_group": "NOSUCH"},
        _none,
        "Inventory Posting Setup (, NOSUCH) is missing",
    ),
    "unknown gen. bus. posting group": (
        {"gen_bus_posting_group": "MARS"},
        _none,
        "General Posting Setup (MARS, RETAIL) is missing",
    ),
    "unknown item ledger entry type": (
        {"ile_type": "Teleport"},
        _none,
        "No posting rule for Item Ledger Entry Type = 'Teleport', Entry Type = 'Direct Cost'",
    ),
    "unknown entry type": (
        {"entry_type": "Magic Cost"},
        _none,
        "No posting rule for Item Ledger Entry Type = 'Sale', Entry Type = 'Magic Cost'",
    ),
    "date in a closed accounting period": (
        {"posting_date": "2024-01-20"},
        _none,
        "Posting date 2024-01-20 is in a closed accounting period",
    ),
    "date before Allow Posting From": (
        {"posting_date": "2024-02-20"},
        _set("general_ledger_setup", {"primary_key": ""}, allow_posting_from="2024-03-01"),
        "Posting date 2024-02-20 is before Allow Posting From 2024-03-01",
    ),
    "date after Allow Posting To": (
        {"posting_date": "2024-03-20"},
        _set("general_ledger_setup", {"primary_key": ""}, allow_posting_to="2024-03-15"),
        "Posting date 2024-03-20 is after Allow Posting To 2024-03-15",
    ),
}
CONTROL = "BAD POSTING CONTROL"
# a sale dated before the company's first accounting period: BC has no period to post it in
OUTSIDE = "BAD POSTING outside the accounting periods"


def _periods_from_march(rows: Rows) -> None:
    rows["accounting_period"] = [p for p in rows["accounting_period"] if p["starting_date"] >= "2024-03-01"]


def _name(case: str) -> str:
    return f"BAD POSTING {case}"


@pytest.fixture(scope="module")
def journal_warehouse(
    pg_server_url: str, shared_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    name = f"bad_post_{uuid.uuid4().hex[:8]}"
    url = create_db(pg_server_url, name)
    try:
        create_raw_schema(url)
        rows: Rows = {}
        for company, (sale, change) in {
            CONTROL: ({}, _none),
            OUTSIDE: ({}, _periods_from_march),
            **{_name(case): (sale, change) for case, (sale, change, _) in CASES.items()},
        }.items():
            one = _company(shared_dir, company, _sale(company, **sale))
            change(one)
            for table, table_rows in one.items():
                rows.setdefault(table, []).extend(table_rows)
        load(url, rows)
        run = dbt.run_dbt(
            [
                "build",
                "--select",
                "+fct_adjusting_journal_skipped_entries",
                "+fct_adjusting_journal_per_entry",
                "--exclude-resource-type",
                "test",
                "--exclude-resource-type",
                "unit_test",
            ],
            url,
            target_path=tmp_path_factory.mktemp("dbt-bad-posting"),
            check=True,
        )
        assert run.success
        yield url
    finally:
        drop_db(pg_server_url, name)


def test_the_control_company_journals_the_sale(journal_warehouse: str) -> None:
    lines = query(
        journal_warehouse,
        "select gl_account_no, amount from outbound.fct_adjusting_journal_per_entry where company = %s"
        " order by gl_account_no",
        (CONTROL,),
    )
    assert lines == [("2110", SALE), ("7190", -SALE)]
    assert query(
        journal_warehouse,
        "select count(*) from outbound.fct_adjusting_journal_skipped_entries where company = %s",
        (CONTROL,),
    ) == [(0,)]


@pytest.mark.parametrize("case", list(CASES))
def test_bad_posting_input_is_skipped_with_its_reason(journal_warehouse: str, case: str) -> None:
    reason = CASES[case][2]
    skipped = query(
        journal_warehouse,
        "select value_entry_no, cost_part, skip_reason, amount_to_post"
        " from outbound.fct_adjusting_journal_skipped_entries where company = %s",
        (_name(case),),
    )
    assert len(skipped) == 1, skipped
    [(entry, part, why, amount)] = skipped
    assert (entry, part, amount) == (1, "actual", SALE)
    assert why.startswith(reason), why
    assert query(
        journal_warehouse,
        "select count(*) from outbound.fct_adjusting_journal_per_entry where company = %s",
        (_name(case),),
    ) == [(0,)], "a skipped entry is never posted"


def test_a_date_outside_every_accounting_period_stops_the_close_at_the_gate(
    journal_warehouse: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from costclose.validation.runner import GateFailedError, gate

    monkeypatch.setenv("COSTCLOSE_CONFIG", str(tmp_path / "costclose.yml"))  # no company configured
    with pytest.raises(GateFailedError) as failure:
        gate(OUTSIDE, "2024-02", "raw", warehouse_url=journal_warehouse, notify=False, docs_root=tmp_path)
    failed = {c.key: c for c in failure.value.result.failures}
    assert "raw.value_entry.posting_date_in_accounting_period" in failed
    assert "posting_date_in_accounting_period" in str(failure.value)
    assert "fix the cause, rebuild, and run the close again" in str(failure.value)
    # and the control company, same sale inside its periods, passes that check
    from costclose.validation.runner import run

    control = run(
        CONTROL, "2024-02", stage="raw", warehouse_url=journal_warehouse, notify=False, docs_root=tmp_path
    )
    assert "raw.value_entry.posting_date_in_accounting_period" not in {c.key for c in control.failures}

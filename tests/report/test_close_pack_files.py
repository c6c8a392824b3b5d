"""The close pack's CSV files and validation.json hold the marts' numbers, with BC's columns."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from close_pack_warehouse import COMPANY, HOSTILE, HOSTILE_ITEM, PERIOD, Pack, PackWarehouse
from typer.testing import CliRunner

from costclose import config
from costclose.db import connect
from costclose.period import parse_period
from costclose.report import summary_table, write_close_pack
from costclose.report.close_files import validation_summary
from costclose.validation import store
from costclose.validation.model import CheckOutcome, ValidationResult

START, END = "2026-02-01", "2026-02-28"


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def total(records: list[dict[str, str]], column: str) -> Decimal:
    return sum((Decimal(r[column] or "0") for r in records), Decimal(0))


def test_pack_writes_every_file(pack: Pack) -> None:
    names = {
        "inventory_valuation.csv",
        "inventory_valuation_wip.csv",
        "cost_spec.csv",
        "cost_shares.csv",
        "gl_reconciliation.csv",
        "adjusting_journal.csv",
        "skipped_entries.csv",
        "validation.json",
        "close_pack.xlsx",
        "index.html",
    }
    assert {p.name for p in pack.out.iterdir()} == names
    assert pack.result["index_html"] == str(pack.out / "index.html")
    assert pack.result["fixed_files"] == dict.fromkeys(
        ("gl_reconciliation.csv", "adjusting_journal.csv", "skipped_entries.csv"), "written"
    )
    assert pack.result["status"] == "Not reconciled"  # the seeded discrepancies


def test_inventory_valuation_equals_the_mart_and_the_reconciliation(
    pack: Pack, pack_warehouse: PackWarehouse
) -> None:
    lines = rows(pack.out / "inventory_valuation.csv")
    assert list(lines[0])[:9] == [
        "company",
        "period",
        "inventory_posting_group",
        "item_no",
        "description",
        "base_unit_of_measure",
        "variant_code",
        "starting_quantity",
        "starting_value",
    ]
    count, ending, expected, increases = pack_warehouse.query(
        "select count(*), sum(ending_value), sum(ending_value_expected_included), sum(increases_value)"
        " from marts.fct_inventory_valuation_items where company = %s and period_start = %s",
        (COMPANY, START),
    )[0]
    assert len(lines) == count > 20
    assert total(lines, "ending_value") == ending
    assert total(lines, "expected_cost_included_ending_value") == expected
    assert total(lines, "increases_value") == increases
    # spec §D.0: Σ ending invoiced value = the reconciliation's item-side Inventory up to the period end
    recon_inventory = pack_warehouse.value(
        "select inventory from marts.fct_inventory_gl_reconciliation where company = %s and period_start = %s"
        " and date_filter = 'to_date' and matrix_row = 'Total'",
        (COMPANY, START),
    )
    assert total(lines, "ending_value") == recon_inventory
    hostile = next(r for r in lines if r["item_no"] == HOSTILE_ITEM)
    assert hostile["description"] == HOSTILE
    assert {r["company"] for r in lines} == {HOSTILE}


def test_wip_cost_spec_and_cost_shares_equal_their_marts(pack: Pack, pack_warehouse: PackWarehouse) -> None:
    wip = rows(pack.out / "inventory_valuation_wip.csv")
    mart = pack_warehouse.query(
        "select count(*), sum(consumption), sum(capacity), sum(output), sum(wip_at_end)"
        " from marts.fct_inventory_valuation_wip where company = %s and period_start = %s",
        (COMPANY, START),
    )[0]
    assert (len(wip), *(total(wip, c) for c in ("consumption", "capacity", "output", "wip_at_end"))) == mart
    assert mart[0] > 0

    spec = rows(pack.out / "cost_spec.csv")
    spec_total = pack_warehouse.value(
        "select sum(amount) from marts.fct_inventory_cost_spec"
        " where company = %s and valuation_date = %s and cost_component = 'Total'",
        (COMPANY, END),
    )
    assert total([r for r in spec if r["entry_type"] == "Total"], "amount") == spec_total
    assert {r["entry_type"] for r in spec} >= {"Direct Cost", "Total"}

    shares = rows(pack.out / "cost_shares.csv")
    by_share = dict(
        pack_warehouse.query(
            "select cost_share, sum(total) from marts.fct_cost_shares_breakdown"
            " where company = %s and end_date = %s group by 1",
            (COMPANY, END),
        )
    )
    assert set(by_share) == {"Sales", "Inventory"}
    for share, amount in by_share.items():
        assert total([r for r in shares if r["print_cost_share"] == share], "total") == amount


def test_close_files_have_the_close_columns_and_the_marts_numbers(
    pack: Pack, pack_warehouse: PackWarehouse
) -> None:
    recon = rows(pack.out / "gl_reconciliation.csv")
    assert list(recon[0]) == [
        "company",
        "period",
        "row",
        "column",
        "inventory",
        "gl",
        "difference",
        "warning",
    ]
    differences = {
        r["row"]: Decimal(r["difference"]) for r in recon if r["column"] == "Total" and r["difference"]
    }
    mart = dict(
        pack_warehouse.query(
            "select matrix_row, difference from marts.fct_inventory_gl_reconciliation where company = %s"
            " and period_start = %s and date_filter = 'period' and difference is not null",
            (COMPANY, START),
        )
    )
    assert differences == mart
    assert differences["COGS"] != 0

    journal = rows(pack.out / "adjusting_journal.csv")
    assert list(journal[0]) == [
        "company",
        "document_no",
        "posting_date",
        "gl_account_no",
        "amount",
        "description",
        "value_entry_nos",
    ]
    count, debit = pack_warehouse.query(
        "select count(*), sum(amount) filter (where amount > 0)"
        " from outbound.fct_adjusting_journal_per_posting_group where company = %s and posting_date <= %s",
        (COMPANY, END),
    )[0]
    assert len(journal) == count > 0
    assert total(journal, "amount") == 0  # debits equal credits
    assert total([r for r in journal if Decimal(r["amount"]) > 0], "amount") == debit
    assert all(r["value_entry_nos"].split() for r in journal)

    skipped = rows(pack.out / "skipped_entries.csv")
    assert list(skipped[0]) == ["company", "value_entry_no", "cost_part", "amount", "reason"]
    reasons = " | ".join(r["reason"] for r in skipped)
    assert "closed accounting period" in reasons and "Inventory Posting Setup" in reasons


def test_files_the_close_wrote_are_kept(pack_warehouse: PackWarehouse, tmp_path: Path) -> None:
    posted = (
        "company,document_no,posting_date,gl_account_no,amount,description,value_entry_nos\n"
        f'"{COMPANY}",INVCOST-20260228,2026-02-28,2110,12.34,posted by the close,1 2\n'
        f'"{COMPANY}",INVCOST-20260228,2026-02-28,7190,-12.34,posted by the close,1 2\n'
    )
    (tmp_path / "adjusting_journal.csv").write_text(posted, encoding="utf-8")
    result = write_close_pack(COMPANY, PERIOD, out_dir=tmp_path, warehouse_url=pack_warehouse.url)
    assert result["fixed_files"]["adjusting_journal.csv"] == "kept"
    assert result["fixed_files"]["skipped_entries.csv"] == "written"
    assert (tmp_path / "adjusting_journal.csv").read_text(encoding="utf-8") == posted
    html = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "posted by the close" in html and "as the close posted or previewed it" in html
    assert '<td class="num" id="journal-debit">12.34</td>' in html


def _stored_result(company: str, success: bool) -> ValidationResult:
    now = datetime.now(UTC)
    return ValidationResult(
        run_id=f"test-{now:%H%M%S%f}",
        company=company,
        period=PERIOD,
        stage="pre-posting",
        tolerance="0.00",
        started_at=now,
        finished_at=now,
        checks=[
            CheckOutcome(
                key="tie_out.inventory_equals_gl",
                suite="tie_out",
                description="inventory = G/L per account",
                success=success,
                unexpected_count=0 if success else 3,
            )
        ],
    )


def test_validation_json_says_when_nothing_was_validated_and_else_reports_the_latest_run(
    pack: Pack, pack_warehouse: PackWarehouse, tmp_path: Path
) -> None:
    before = json.loads((pack.out / "validation.json").read_text(encoding="utf-8"))
    assert before["status"] == "not_validated" and before["stages"] == {}
    assert "No Great Expectations run is stored" in before["message"]

    other = "VALIDATED CO"  # another company: the session's pack and its warehouse stay as they were
    with connect(pack_warehouse.url) as conn:
        store.save(conn, _stored_result(other, success=True))
    with connect(pack_warehouse.url) as conn:
        store.save(conn, _stored_result(other, success=False))
    with connect(pack_warehouse.url) as conn:
        summary = validation_summary(conn, other, parse_period(PERIOD))
    assert summary["status"] == "failed"
    stage = summary["stages"]["pre-posting"]
    assert stage["success"] is False and stage["failed_checks"] == ["tie_out.inventory_equals_gl"]
    assert stage["result"]["checks"][0]["unexpected_count"] == 3


def test_summary_table_is_the_per_account_reconciliation(pack_warehouse: PackWarehouse) -> None:
    table = summary_table(COMPANY, PERIOD, pack_warehouse.url)
    mart = pack_warehouse.query(
        "select coalesce(g_l_account_no, '(not resolved)'), implied_amount_to_date, gl_net_change_to_date,"
        " difference_to_date from marts.fct_gl_account_reconciliation"
        " where company = %s and period_start = %s"
        " and (implied_amount_to_date <> 0 or gl_net_change_to_date <> 0 or difference_to_date <> 0)",
        (COMPANY, START),
    )
    assert sorted(table) == sorted(mart)
    by_account = {a: (i, g, d) for a, i, g, d in table}
    inventory, gl, difference = by_account["2110"]
    assert difference == gl - inventory != 0


def test_cli_writes_the_pack_and_prints_index_html(
    pack_warehouse: PackWarehouse, tmp_path: Path, monkeypatch
) -> None:
    from rich.console import Console

    from costclose.cli import app

    monkeypatch.setenv("COSTCLOSE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("COSTCLOSE_DATABASE_URL", pack_warehouse.server_url)
    monkeypatch.setenv("COSTCLOSE_WAREHOUSE_DB", pack_warehouse.name)
    monkeypatch.setenv("COSTCLOSE_CONFIG", str(tmp_path / "costclose.yml"))
    monkeypatch.setattr("costclose.report.cli.console", Console(width=200))
    config.settings.cache_clear()
    try:
        runner = CliRunner()
        out = tmp_path / "pack"
        ok = runner.invoke(app, ["report", "--company", COMPANY, "--period", PERIOD, "--out", str(out)])
        assert ok.exit_code == 0, ok.output
        assert ok.output.strip().splitlines()[-1] == str(out / "index.html")
        difference = {a: d for a, _, _, d in summary_table(COMPANY, PERIOD, pack_warehouse.url)}["2110"]
        table_line = next(line for line in ok.output.splitlines() if " 2110 " in line)
        assert f"{difference:,.2f}" in table_line
        assert (out / "close_pack.xlsx").is_file()
        default = runner.invoke(app, ["report", "--company", COMPANY, "--period", PERIOD])
        assert default.exit_code == 0, default.output
        printed = Path(default.output.strip().splitlines()[-1])
        assert printed.is_file() and printed.parent.name == PERIOD
        assert printed.is_relative_to(tmp_path / "home")

        unknown = runner.invoke(app, ["report", "--company", "NO SUCH CO", "--period", PERIOD])
        assert unknown.exit_code == 1
        assert "marts hold no reconciliation" in unknown.output
    finally:
        config.settings.cache_clear()


def test_an_earlier_period_says_the_point_in_time_reports_are_not_built_for_it(
    pack_warehouse: PackWarehouse, tmp_path: Path
) -> None:
    result = write_close_pack(COMPANY, "2025-11", out_dir=tmp_path, warehouse_url=pack_warehouse.url)
    assert rows(tmp_path / "cost_spec.csv") == [] and rows(tmp_path / "cost_shares.csv") == []
    assert [n.split(" has no lines")[0] for n in result["notes"]] == [
        "Invt. Valuation - Cost Spec.",
        "Cost Shares Breakdown",
    ]
    ending = pack_warehouse.value(
        "select sum(ending_value) from marts.fct_inventory_valuation_items"
        " where company = %s and period_start = '2025-11-01'",
        (COMPANY,),
    )
    assert total(rows(tmp_path / "inventory_valuation.csv"), "ending_value") == ending
    assert "Cost Shares Breakdown was not built for this period" in (tmp_path / "index.html").read_text()

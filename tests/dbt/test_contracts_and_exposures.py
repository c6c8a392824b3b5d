"""Model contracts on every mart BI and the close pack read, exposures naming their readers, and every
model documented grain first (issue 8 part 2, issue 5 item 8). Parsed from the project: no database."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from costclose.config import PROJECT_ROOT
from costclose.transform import dbt

NO_DATABASE = "postgresql://postgres@127.0.0.1:1/none"
GRAIN_FIRST = re.compile(r"^(\(Step \d+/\d+[^)]*\) )?One row per ")


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> Any:
    run = dbt.run_dbt(["parse"], NO_DATABASE, target_path=tmp_path_factory.mktemp("target"))
    assert run.success
    return run.result


def models(manifest: Any) -> dict[str, Any]:
    return {n.name: n for n in manifest.nodes.values() if n.resource_type == "model"}


def test_every_mart_has_an_enforced_contract_with_typed_columns(manifest: Any) -> None:
    marts = {name: n for name, n in models(manifest).items() if n.fqn[1] == "marts"}
    assert len(marts) >= 15
    uncontracted = sorted(name for name, n in marts.items() if not n.config.contract.enforced)
    assert uncontracted == []
    untyped = sorted(
        f"{name}.{c}" for name, n in marts.items() for c, col in n.columns.items() if not col.data_type
    )
    assert untyped == []


def test_the_marts_bi_reads_live_in_schema_marts(manifest: Any) -> None:
    dashboard = manifest.exposures["exposure.costclose.inventory_close_dashboard"]
    schemas = {models(manifest)[ref.split(".")[-1]].schema for ref in dashboard.depends_on.nodes}
    assert schemas == {"marts"}


def exposure_models(manifest: Any, name: str) -> set[str]:
    return {ref.split(".")[-1] for ref in manifest.exposures[f"exposure.costclose.{name}"].depends_on.nodes}


def test_exposures_name_the_dashboard_the_close_pack_and_the_posting_task(manifest: Any) -> None:
    dashboard = manifest.exposures["exposure.costclose.inventory_close_dashboard"]
    assert (dashboard.type.value, dashboard.url) == (
        "dashboard",
        "http://localhost:3000/",
    )
    assert {
        "fct_inventory_gl_reconciliation",
        "fct_gl_account_reconciliation",
        "fct_inventory_valuation",
        "fct_inventory_valuation_wip",
        "fct_cost_shares_breakdown",
    } <= exposure_models(manifest, "inventory_close_dashboard")
    assert manifest.exposures["exposure.costclose.close_pack"].type.value == "application"
    posting = manifest.exposures["exposure.costclose.adjusting_journal_posting"]
    assert posting.type.value == "application"
    outbound = {
        name for name, n in models(manifest).items() if n.fqn[:3] == ["costclose", "marts", "outbound"]
    }
    assert (
        exposure_models(manifest, "adjusting_journal_posting")
        == outbound
        == {
            "fct_adjusting_journal_per_entry",
            "fct_adjusting_journal_per_posting_group",
            "fct_adjusting_journal_skipped_entries",
        }
    )


@pytest.mark.parametrize(
    ("exposure", "reader"),
    [
        ("inventory_close_dashboard", "docker/bi/dashboard.yml"),
        ("close_pack", "plugins/costclose/report"),
    ],
)
def test_each_exposure_lists_every_mart_its_reader_queries(manifest: Any, exposure: str, reader: str) -> None:
    path = PROJECT_ROOT / reader
    files = [path] if path.is_file() else sorted(Path(path).rglob("*.py"))
    queried = {m for f in files for m in re.findall(r"\bfct_[a-z_]+\b", f.read_text())}
    assert queried, f"{reader} queries no mart"
    assert queried - exposure_models(manifest, exposure) == set()


def test_every_model_is_documented_grain_first(manifest: Any) -> None:
    undocumented = sorted(
        name for name, n in models(manifest).items() if not GRAIN_FIRST.match(n.description or "")
    )
    assert undocumented == []


def test_every_mart_column_is_described(manifest: Any) -> None:
    undescribed = sorted(
        f"{name}.{column}"
        for name, n in models(manifest).items()
        if n.fqn[1] == "marts"
        for column, col in n.columns.items()
        if not (col.description or "").strip()
    )
    assert undescribed == []

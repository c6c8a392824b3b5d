"""Every card of the provisioned "Inventory close" dashboard runs under the BI role on a real warehouse.

The queries are the ones docker/bi/dashboard.yml hands to Metabase; they are rendered with Metabase's
rules for the dashboard filters (none, a company, a company and a period) and executed with the BI
role's login -- the same login and schema restriction Metabase gets.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import pytest
from security_env import COMPANY, PERIOD, RoleWarehouse

from costclose import db

ROOT = Path(__file__).resolve().parents[2]


def _provision_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bi_provision", ROOT / "docker" / "bi" / "provision.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bi_provision"] = module
    spec.loader.exec_module(module)
    return module


provision = _provision_module()
DEFINITION = provision.load_definition()
CARDS = {card["key"]: card for card in DEFINITION["cards"]}


def run_card(url: str, card: dict, values: dict[str, str]) -> tuple[list[str], list[tuple]]:
    query, params = provision.render_sql(card["query"], values)
    with db.connect(url) as conn, conn.cursor() as cur:
        cur.execute(query, params)
        return [d.name for d in cur.description], list(cur.fetchall())


def test_the_dashboard_reads_only_marts() -> None:
    assert DEFINITION["database"]["schema"] == "marts"
    for card in DEFINITION["cards"]:
        schemas = set(re.findall(r"\b(?:from|join)\s+([a-z_]+)\.", card["query"]))
        assert schemas == {"marts"}, card["key"]
        assert set(provision.tags_in(card["query"])) <= {
            p["slug"] for p in DEFINITION["dashboard"]["parameters"]
        }


@pytest.mark.parametrize(
    "values",
    [{}, {"company": COMPANY}, {"company": COMPANY, "period": PERIOD}],
    ids=["no filter", "company", "company and period"],
)
def test_every_card_runs_under_the_bi_role(readonly_warehouse: RoleWarehouse, values: dict[str, str]) -> None:
    url = readonly_warehouse.url_for("bi")
    for key, card in CARDS.items():
        columns, found = run_card(url, card, values)
        assert columns == card["columns"], key
        assert found, f"card {key} returned no rows for {values}"


def test_headline_card_equals_the_reconciliation_mart(readonly_warehouse: RoleWarehouse) -> None:
    wh = readonly_warehouse
    columns, found = run_card(wh.url_for("bi"), CARDS["headline"], {"company": COMPANY, "period": PERIOD})
    assert len(found) == 1
    row = dict(zip(columns, found[0], strict=True))
    with db.connect(wh.url) as conn, conn.cursor() as cur:
        cur.execute(
            "select matrix_row, inventory + inventory_interim + wip_inventory"
            " from marts.fct_inventory_gl_reconciliation"
            " where company = %s and period_start = %s and date_filter = 'period'"
            " and matrix_row in ('Total', 'G/L Total', 'Difference')",
            (COMPANY, f"{PERIOD}-01"),
        )
        mart = dict(cur.fetchall())
    assert row["inventory"] == mart["Total"]
    assert row["gl_total"] == mart["G/L Total"]
    assert row["difference"] == mart["Difference"] == mart["G/L Total"] - mart["Total"]
    assert row["difference"] != Decimal(0)
    assert row["status"] == "difference"


def test_trend_cards_show_the_last_13_periods(readonly_warehouse: RoleWarehouse) -> None:
    url = readonly_warehouse.url_for("bi")
    _, trend = run_card(url, CARDS["inventory_value_trend"], {"company": COMPANY, "period": PERIOD})
    assert len(trend) == 13
    assert trend[-1][0] == PERIOD
    assert [p for p, _ in trend] == sorted(p for p, _ in trend)


def test_render_sql_binds_values_and_drops_empty_optional_clauses() -> None:
    query = (
        "select 1 from marts.t where true [[and company = {{company}}]] [[and p = {{period}}]] and x = '%'"
    )
    text, params = provision.render_sql(query, {"company": "O'Brien; drop table x"})
    assert text == "select 1 from marts.t where true and company = %(company)s  and x = '%%'"
    assert params == {"company": "O'Brien; drop table x"}
    with pytest.raises(provision.ProvisionError, match="company"):
        provision.render_sql("select {{company}}", {})

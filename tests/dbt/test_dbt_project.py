"""The dbt project itself: the profile connects, the project parses, schemas land verbatim."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from costclose.transform import dbt


def test_dbt_debug_connects_through_the_profile(make_database: Callable[[str], str], tmp_path: Path) -> None:
    url = make_database("dbtdebug")
    run = dbt.run_dbt(["debug"], url, target_path=tmp_path / "target")
    assert run.success


def test_dbt_parse_builds_a_manifest_with_every_raw_table_staged(tmp_path: Path) -> None:
    # parse needs no database; any syntactically valid URL does
    run = dbt.run_dbt(["parse"], "postgresql://postgres@127.0.0.1:1/none", target_path=tmp_path / "target")
    assert run.success
    manifest = run.result
    staged = {
        n.name
        for n in manifest.nodes.values()
        if n.resource_type == "model" and n.name.startswith("stg_bc__")
    }
    assert len(staged) == 16
    assert {s.name for s in manifest.sources.values()} >= {"value_entry", "g_l_entry", "posted_value_entry"}


def test_profile_env_from_url() -> None:
    env = dbt.profile_env("postgresql://alice:s%40cret@10.0.0.5:6543/wh")
    assert env == {
        "COSTCLOSE_PG_HOST": "10.0.0.5",
        "COSTCLOSE_PG_PORT": "6543",
        "COSTCLOSE_PG_USER": "alice",
        "COSTCLOSE_PG_PASSWORD": "s@cret",
        "COSTCLOSE_PG_DBNAME": "wh",
        "COSTCLOSE_PG_ROLE": "",
    }
    with_role = dbt.profile_env(
        "postgresql://postgres@127.0.0.1:5432/wh?options=-c%20role%3Dcostclose_transform"
    )
    assert with_role["COSTCLOSE_PG_ROLE"] == "costclose_transform"


def test_nightly_selector_leaves_out_the_point_in_time_reports(tmp_path: Path) -> None:
    run = dbt.run_dbt(
        ["ls", "--selector", "nightly", "--resource-type", "model", "--output", "name"],
        "postgresql://postgres@127.0.0.1:1/none",
        target_path=tmp_path / "target",
    )
    names = set(run.result)
    assert {
        "fct_inventory_gl_reconciliation",
        "fct_adjusting_journal_per_entry",
        "fct_inventory_valuation",
    } <= names
    assert not names & {"fct_inventory_cost_spec", "fct_cost_shares_breakdown"}

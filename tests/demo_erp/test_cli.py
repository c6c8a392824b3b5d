"""`costclose demo-erp seed|url|post-cost` against the test server, as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg2
from typer.testing import CliRunner

from costclose import db
from costclose.cli import app


def test_seed_url_post_cost_and_reseed(costclose_env: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    manifest = tmp_path / "m.json"
    args = ["demo-erp", "seed", "--months", "2", "--scale", "0.3", "--seed", "4", "--start", "2025-03"]
    result = runner.invoke(app, [*args, "--manifest", str(manifest)])
    assert result.exit_code == 0, result.output
    assert "value_entry" in result.output and json.loads(manifest.read_text())["start"] == "2025-03-01"

    url = runner.invoke(app, ["demo-erp", "url"]).output.strip()
    assert url == db.database_url("erp")

    again = runner.invoke(app, args)
    assert again.exit_code != 0 and "--replace" in str(again.exception or again.output)

    posted = runner.invoke(app, ["demo-erp", "post-cost", "--company", "CRONUS"])
    assert posted.exit_code == 0 and "skipped 0" in posted.output
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("select count(*) from bc.post_value_entry_to_g_l")
        assert cur.fetchone()[0] == 0

    replaced = runner.invoke(app, [*args, "--replace", "--seed", "5", "--manifest", str(manifest)])
    assert replaced.exit_code == 0, replaced.output
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("select count(*) from bc.company")
        assert cur.fetchone()[0] == 1
        cur.execute("select count(*) from bc.post_value_entry_to_g_l")
        assert cur.fetchone()[0] > 0
        cur.execute("select count(*) from bc.deleted_record")
        assert cur.fetchone()[0] == 0  # a reseed is not a stream of deletions for exporters


def test_two_companies_share_one_database(costclose_env: Path) -> None:
    runner = CliRunner()
    for company, seed in (("CRONUS", "1"), ("CRONUS-EU", "2")):
        result = runner.invoke(
            app, ["demo-erp", "seed", "--company", company, "--months", "2", "--scale", "0.3", "--seed", seed]
        )
        assert result.exit_code == 0, result.output
    with psycopg2.connect(db.database_url("erp")) as conn, conn.cursor() as cur:
        cur.execute("select company, count(*), min(entry_no) from bc.value_entry group by 1 order by 1")
        rows = cur.fetchall()
        cur.execute("select company, count(*) from bc.g_l_account group by 1 order by 1")
        accounts = cur.fetchall()
    assert [r[0] for r in rows] == ["CRONUS", "CRONUS-EU"] and all(r[2] == 1 for r in rows)
    assert rows[0][1] != rows[1][1]
    assert accounts == [("CRONUS", 282), ("CRONUS-EU", 282)]

"""The real inventory_close DAG, run once through `airflow dags test` on a seeded demo company.

Airflow, cosmos, dbt and the posting run for real; Airflow's metadata is a throw-away SQLite file.
Database roles are on, as in `make demo`: every step connects as its least-privilege role.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from costclose import config, db, orchestrate
from costclose.airflow.approval import answering

COMPANY = "CRONUS"
PERIOD = "2026-02"


@pytest.mark.slow
def test_close_dag_posts_the_journal_once_and_writes_the_outputs(
    costclose_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from costclose.demo_erp.simulate import seed

    cfg_file = tmp_path / "costclose.yml"
    cfg_file.write_text(f"companies:\n  - name: {COMPANY}\n    source: sql:db:erp\n    posting_target: erp\n")
    monkeypatch.setenv("COSTCLOSE_CONFIG", str(cfg_file))
    config.settings.cache_clear()
    erp = db.database_url("erp")
    seed(erp, company=COMPANY, months=14, scale=1, seed=5)
    with db.connect(erp) as conn, conn.cursor() as cur:
        cur.execute("select count(*) from bc.post_value_entry_to_g_l where company = %s", (COMPANY,))
        queued_before = cur.fetchone()[0]
    assert queued_before > 0, "the demo company has value entries waiting for Post Inventory Cost to G/L"
    from costclose.security.roles import apply_roles

    apply_roles(db.database_url("warehouse"))
    monkeypatch.setenv("COSTCLOSE_DB_ROLES", "on")

    # February's journal is above the default approval threshold: a controller approves it
    metadata = f"sqlite:///{costclose_env / 'airflow' / 'airflow.db'}"
    with answering(metadata, "inventory_close", approve=True, user="controller@example.com") as controller:
        run = orchestrate.dags_test(
            "inventory_close", "2026-03-01T03:00:00+00:00", {"period_end": PERIOD, "post": True}, sqlite=True
        )
    assert run.state == "success", run.output[-4000:]
    assert len(controller.answered) == 1

    out = costclose_env / "out" / COMPANY / PERIOD
    journal = list(csv.DictReader((out / "adjusting_journal.csv").open()))
    assert journal, "the close posted a journal"
    assert sum(float(r["amount"]) for r in journal) == pytest.approx(0, abs=1e-6)
    recon = list(csv.DictReader((out / "gl_reconciliation.csv").open()))
    assert {r["row"] for r in recon} >= {"COGS", "Inventory Adjmt.", "Direct Cost Applied"}
    with db.connect(erp) as conn, conn.cursor() as cur:
        # What is still queued up to the period end lies in closed periods (skipped, as BC does).
        cur.execute(
            """
            select count(*) from bc.post_value_entry_to_g_l q
            where q.company = %s and q.posting_date <= %s and not exists (
                select 1 from bc.accounting_period p
                where p.company = q.company and p.closed and p.starting_date <= q.posting_date
                  and q.posting_date < p.starting_date + interval '1 month')
            """,
            (COMPANY, "2026-02-28"),
        )
        assert cur.fetchone()[0] == 0, "every postable entry up to the period end reached the G/L"

    # Each step ran as its own role: what it created during the run is owned by that role.
    with db.connect(db.database_url("warehouse")) as conn, conn.cursor() as cur:
        cur.execute(
            """
            select n.nspname, r.rolname, count(*)
            from pg_class c
            join pg_namespace n on n.oid = c.relnamespace
            join pg_roles r on r.oid = c.relowner
            where c.relkind in ('r', 'v', 'p') and n.nspname in ('raw', 'marts', 'outbound', 'posting')
            group by 1, 2
            """
        )
        owners = {(schema, role) for schema, role, _ in cur.fetchall()}
    assert owners == {
        ("raw", "costclose_extract"),
        ("marts", "costclose_transform"),
        ("outbound", "costclose_transform"),
        ("posting", "costclose_posting"),
    }

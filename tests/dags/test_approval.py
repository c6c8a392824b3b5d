"""The close's approval gate through real Airflow (issue 7).

`airflow dags test inventory_close` runs for real (Airflow metadata in a throw-away SQLite file); the
approval task is the standard provider's ApprovalOperator, which parks in `awaiting_input`. A thread in
this process plays the controller: it waits for the pending Human-in-the-loop request in the metadata
database and answers it through the Core API's own handler (costclose.airflow.approval), as the
Required Actions page does.

To stay inside the time budget the demo company is seeded, extracted and built once into template
databases, and each run marks the extraction and the cosmos dbt group as done
(`--mark-success-pattern`): they are tested in test_inventory_close_run.py. Everything from the
pre-posting gate on runs.

The company has the demo's unposted February (188 lines, debit total above the default threshold of
10000) and one direct posting to inventory account 2130 on 2026-02-10: an unexplained difference.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import psycopg2
import pytest
from psycopg2 import sql

from costclose import config, db, orchestrate, pipeline
from costclose.airflow.approval import answering

COMPANY = "CRONUS"
CONTROLLER = "controller@example.com"
DAG_ID = "inventory_close"
# extraction and the cosmos dbt models/tests are prebuilt in the templates
PREBUILT = r"extract|dbt\..*"


def _create(server: str, name: str, template: str | None = None) -> str:
    conn = psycopg2.connect(server)
    conn.autocommit = True
    with conn.cursor() as cur:
        query = "create database {} template {}" if template else "create database {}"
        idents = [sql.Identifier(name)] + ([sql.Identifier(template)] if template else [])
        cur.execute(sql.SQL(query).format(*idents))
    conn.close()
    return db.with_database(server, name)


def _drop(server: str, names: list[str]) -> None:
    conn = psycopg2.connect(server)
    conn.autocommit = True
    with conn.cursor() as cur:
        for n in names:
            cur.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(n)))
    conn.close()


@pytest.fixture(scope="module")
def templates(pg_server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(erp, warehouse) template databases: CRONUS seeded with a direct posting, extracted and built."""
    from costclose.demo_erp.discrepancies import _direct_posting
    from costclose.demo_erp.simulate import seed
    from costclose.landing.loader import load
    from costclose.sources import open_source
    from costclose.transform import dbt

    suffix = uuid.uuid4().hex[:8]
    erp_name, wh_name = f"tpl_aperp_{suffix}", f"tpl_apwh_{suffix}"
    erp = _create(pg_server_url, erp_name)
    wh = _create(pg_server_url, wh_name)
    seed(erp, company=COMPANY, months=14, scale=1, seed=5)
    with db.connect(erp) as conn, conn.cursor() as cur:
        _direct_posting(cur, COMPANY, date(2026, 2, 10))  # the demo ERP's own "direct posting" kind
    load(open_source("sql:" + erp), COMPANY, warehouse_url=wh)
    dbt.build(wh, target_path=tmp_path_factory.mktemp("dbt-target"))
    try:
        yield erp_name, wh_name
    finally:
        _drop(pg_server_url, [erp_name, wh_name])


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """COSTCLOSE_HOME shared by the module's runs: one Airflow metadata DB, migrated once."""
    return tmp_path_factory.mktemp("approval-home")


@dataclass
class Close:
    erp_url: str
    warehouse_url: str
    env: dict[str, str]
    metadata_file: Path
    config_file: Path

    def configure(self, **extra: str) -> None:
        lines = [f"  - name: {COMPANY}", "    source: sql:db:erp", "    posting_target: erp"]
        lines += [f"    {k}: '{v}'" for k, v in extra.items()]
        self.config_file.write_text("companies:\n" + "\n".join(lines) + "\n")

    def run(self, logical_date: str, conf: dict, mark_success: str = PREBUILT) -> str:
        """`airflow dags test` of the close; returns its run id."""
        airflow = Path(sys.executable).with_name("airflow")
        args = [str(airflow), "dags", "test", DAG_ID, logical_date, "-c", json.dumps(conf)]
        proc = subprocess.run(
            [*args, "--mark-success-pattern", mark_success],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        assert proc.returncode == 0, (proc.stdout + proc.stderr)[-6000:]
        with sqlite3.connect(self.metadata_file) as con:
            return con.execute(
                "select run_id from dag_run where dag_id = ? order by id desc limit 1", (DAG_ID,)
            ).fetchone()[0]

    def states(self, run_id: str) -> dict[str, set[str]]:
        with sqlite3.connect(self.metadata_file) as con:
            rows = con.execute(
                "select task_id, state from task_instance where dag_id = ? and run_id = ?", (DAG_ID, run_id)
            ).fetchall()
        out: dict[str, set[str]] = {}
        for task_id, state in rows:
            out.setdefault(task_id, set()).add(state)
        return out

    def run_state(self, run_id: str) -> str:
        with sqlite3.connect(self.metadata_file) as con:
            return con.execute(
                "select state from dag_run where dag_id = ? and run_id = ?", (DAG_ID, run_id)
            ).fetchone()[0]

    def hitl(self, run_id: str) -> list[dict]:
        with sqlite3.connect(self.metadata_file) as con:
            rows = con.execute(
                "select h.subject, h.body, h.chosen_options, h.responded_by from hitl_detail h"
                " join task_instance ti on ti.id = h.ti_id where ti.dag_id = ? and ti.run_id = ?",
                (DAG_ID, run_id),
            ).fetchall()
        return [
            {"subject": s, "body": b, "chosen": json.loads(c or "null"), "by": json.loads(r or "null")}
            for s, b, c, r in rows
        ]

    def erp_gl_entries(self) -> int:
        with db.connect(self.erp_url) as conn, conn.cursor() as cur:
            cur.execute("select count(*) from bc.g_l_entry where company = %s", (COMPANY,))
            return int(cur.fetchone()[0])

    def posting_runs(self) -> list[tuple]:
        with db.connect(self.warehouse_url) as conn, conn.cursor() as cur:
            cur.execute("select to_regclass('posting.posting_run') is not null")
            if not cur.fetchone()[0]:
                return []
            cur.execute(
                "select period, status, line_count, debit_total from posting.posting_run where company = %s",
                (COMPANY,),
            )
            return cur.fetchall()


@pytest.fixture
def close(
    pg_server_url: str,
    templates: tuple[str, str],
    home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Close]:
    suffix = uuid.uuid4().hex[:8]
    erp_name, wh_name = f"aperp_{suffix}", f"apwh_{suffix}"
    erp = _create(pg_server_url, erp_name, templates[0])
    wh = _create(pg_server_url, wh_name, templates[1])
    monkeypatch.setenv("COSTCLOSE_HOME", str(home))
    monkeypatch.setenv("COSTCLOSE_DATABASE_URL", pg_server_url)
    monkeypatch.setenv("COSTCLOSE_ERP_DB", erp_name)
    monkeypatch.setenv("COSTCLOSE_WAREHOUSE_DB", wh_name)
    monkeypatch.setenv("COSTCLOSE_AIRFLOW_DB", "unused_sqlite")
    monkeypatch.setenv("COSTCLOSE_CONFIG", str(tmp_path / "costclose.yml"))
    config.settings.cache_clear()
    env = orchestrate.airflow_env(sqlite=True)
    metadata = home / "airflow" / "airflow.db"
    if not metadata.exists():
        orchestrate.migrate(env)
    c = Close(erp, wh, env, metadata, tmp_path / "costclose.yml")
    c.configure()
    try:
        yield c
    finally:
        config.settings.cache_clear()
        _drop(pg_server_url, [erp_name, wh_name])


@pytest.mark.slow
def test_rejected_close_posts_nothing_and_ends(close: Close) -> None:
    preview = pipeline.preview_journal(COMPANY, "2026-02")
    assert preview.debit_total > Decimal("10000"), "the demo's February needs approval by amount alone"
    gl_before = close.erp_gl_entries()

    with answering(f"sqlite:///{close.metadata_file}", DAG_ID, approve=False, user=CONTROLLER) as ctl:
        run_id = close.run("2026-03-01T03:00:00+00:00", {"period_end": "2026-02", "post": True})

    assert len(ctl.answered) == 1, "the run waited for exactly one approval"
    [request] = close.hitl(run_id)
    assert request["chosen"] == ["Reject"] and request["by"]["name"] == CONTROLLER
    assert "2026-02" in request["subject"] and COMPANY in request["subject"]
    # the journal summary the controller saw
    body = request["body"]
    assert f"{len(preview.lines)} lines, debit total {preview.debit_total:,.2f}" in body
    assert "exceeds the threshold 10,000.00" in body
    assert "2 G/L account(s) with unexplained differences" in body
    assert "| 2130 |" in body and "-250.00" in body  # the direct posting, shown and not posted
    assert "Direct Posting: 2 entries, debit 250.00" in body

    states = close.states(run_id)
    assert states["approval"] == {"success"}
    assert states["cleared_to_post"] == {"skipped"}
    assert states["post"] == {"skipped"}
    assert states["close_outputs"] == {"skipped"}
    assert close.run_state(run_id) == "success"
    assert close.erp_gl_entries() == gl_before, "nothing reached the ERP"
    assert close.posting_runs() == []


@pytest.mark.slow
def test_below_threshold_posts_without_waiting(close: Close) -> None:
    preview = pipeline.preview_journal(COMPANY, "2026-01")
    assert Decimal(0) < preview.debit_total <= Decimal("10000")
    gl_before = close.erp_gl_entries()

    with answering(f"sqlite:///{close.metadata_file}", DAG_ID, approve=True, user=CONTROLLER) as ctl:
        # the rebuild after posting and its tie-out are covered by the approved run below
        run_id = close.run(
            "2026-02-01T03:00:00+00:00",
            {"period_end": "2026-01", "post": True},
            mark_success=PREBUILT + "|reconcile|gate_post_posting",
        )

    assert ctl.answered == [] and close.hitl(run_id) == [], "no approval was requested"
    states = close.states(run_id)
    assert states["approval"] == {"skipped"}
    assert states["approval_not_needed"] == {"success"}
    assert states["post"] == {"success"} and states["close_outputs"] == {"success"}
    assert close.posting_runs() == [("2026-01", "recorded", len(preview.lines), preview.debit_total)]
    assert close.erp_gl_entries() == gl_before + len(preview.lines)


@pytest.mark.slow
def test_approved_close_posts_and_ties_out_but_for_the_acknowledged_difference(close: Close) -> None:
    close.configure(approval_threshold="1000000")  # only the unexplained difference asks for approval
    preview = pipeline.preview_journal(COMPANY, "2026-02")
    gl_before = close.erp_gl_entries()

    with answering(f"sqlite:///{close.metadata_file}", DAG_ID, approve=True, user=CONTROLLER) as ctl:
        run_id = close.run("2026-03-01T04:00:00+00:00", {"period_end": "2026-02", "post": True})

    assert len(ctl.answered) == 1
    [request] = close.hitl(run_id)
    assert request["chosen"] == ["Approve"]
    assert "2 G/L account(s) with unexplained differences" in request["body"]
    assert "exceeds the threshold" not in request["body"]
    states = close.states(run_id)
    assert states["approval_not_needed"] == {"skipped"}
    for task in ("cleared_to_post", "post", "reextract", "reconcile", "gate_post_posting", "close_outputs"):
        assert states[task] == {"success"}, task
    assert close.run_state(run_id) == "success"
    assert close.posting_runs() == [("2026-02", "recorded", len(preview.lines), preview.debit_total)]
    assert close.erp_gl_entries() == gl_before + len(preview.lines)
    # after posting, inventory = G/L everywhere but on the two accounts of the direct posting
    with db.connect(close.warehouse_url) as conn, conn.cursor() as cur:
        cur.execute(
            "select g_l_account_no, difference from marts.fct_gl_account_reconciliation"
            " where company = %s and period_start = '2026-02-01' and difference != 0"
            " order by g_l_account_no",
            (COMPANY,),
        )
        assert cur.fetchall() == [("2130", Decimal("250.00")), ("7270", Decimal("-250.00"))]


@pytest.mark.slow
def test_cli_post_above_threshold_needs_approve(close: Close) -> None:
    from costclose.approval import ApprovalRequiredError
    from costclose.close_cli import run_close

    gl_before = close.erp_gl_entries()
    preview = pipeline.preview_journal(COMPANY, "2026-02")
    out = close.config_file.parent / "out"

    with pytest.raises(ApprovalRequiredError, match=r"exceeds the threshold.*--post --approve"):
        run_close(COMPANY, "2026-02", post=True, target=None, out=out)

    assert close.erp_gl_entries() == gl_before and close.posting_runs() == []
    # the dry-run outputs are there to review before approving
    journal = (out / "adjusting_journal.csv").read_text().splitlines()
    assert len(journal) == 1 + len(preview.lines)
    assert not (out / "approval.json").exists()


@pytest.mark.slow
def test_airflow_backfill_create_plans_one_run_per_past_month(close: Close) -> None:
    """`airflow backfill create` accepts the DAG and queues one run per month; the scheduler would run
    them (none runs here). Backfill runs are not scheduled runs, so they are dry runs: nothing posts."""
    airflow = str(Path(sys.executable).with_name("airflow"))
    with sqlite3.connect(close.metadata_file) as con:
        query = "select count(*) from serialized_dag where dag_id = ?"
        serialized = con.execute(query, (DAG_ID,)).fetchone()[0]
    if not serialized:
        subprocess.run([airflow, "dags", "reserialize"], env=close.env, check=True, capture_output=True)
    window = ["--from-date", "2025-11-01", "--to-date", "2026-01-31"]
    proc = subprocess.run(
        [airflow, "backfill", "create", "--dag-id", DAG_ID, *window],
        env=close.env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    with sqlite3.connect(close.metadata_file) as con:
        runs = con.execute(
            "select logical_date, data_interval_start, data_interval_end, run_type from dag_run"
            " where dag_id = ? and backfill_id is not null order by logical_date",
            (DAG_ID,),
        ).fetchall()
    # one run per month, each with the month as its data interval (the period it closes)
    assert [(r[1][:10], r[2][:10], r[3]) for r in runs] == [
        ("2025-11-01", "2025-12-01", "backfill"),
        ("2025-12-01", "2026-01-01", "backfill"),
        ("2026-01-01", "2026-02-01", "backfill"),
    ]

"""Faults at 20 seeded random points: nothing lost, nothing doubled, the journal posted exactly once.

The plan (which batch, which dbt node, which SQL statement) is drawn from one seeded RNG; the seed is
printed and can be set with ``COSTCLOSE_FAULT_SEED`` to replay a run. Every point is a real fault:
a SIGKILLed child process (extraction mid-batch, dbt mid-build, posting mid-transaction) or the
loader's server backend terminated by ``pg_terminate_backend`` from another connection. After each
fault the step is simply run again, and then:

* raw holds exactly the source's rows: row counts and amount sums equal the source's, and the rows
  equal a clean load's (so the marts built from them are the clean run's);
* the intermediate and marts relations equal a clean build's, relation by relation;
* the ERP holds the clean run's G/L entries of the adjusting journal, each once, and posting again
  finds nothing to post.

Each test records how many of its kill points it survived; the session summary adds them up.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from faults_db import (
    COMPANY,
    PERIOD,
    Scenario,
    erp_costclose_gl,
    fingerprint_diff,
    marts_fingerprint,
    raw_fingerprint,
    source_totals,
    warehouse_totals,
)

from costclose.errors import CostcloseError
from costclose.landing import loader
from costclose.period import parse_period
from costclose.posting.service import post_period
from costclose.posting.targets import ErpTarget
from costclose.sources import open_source

SEED = int(os.environ.get("COSTCLOSE_FAULT_SEED", "20261125"))
CHILD = Path(__file__).resolve().parent / "faults_child.py"
BATCH_SIZE = 25
# Batches a full load of the test company takes at BATCH_SIZE (all tables): the kill range.
LOAD_BATCHES = 60
DBT_NODES = 140


@dataclass(frozen=True)
class Plan:
    extraction: list[dict[str, Any]]
    dbt: list[dict[str, Any]]
    posting: list[dict[str, Any]]
    connection_drops: list[int]

    @property
    def points(self) -> int:
        return len(self.extraction) + len(self.dbt) + len(self.posting) + len(self.connection_drops)


def _plan(seed: int) -> Plan:
    rng = random.Random(seed)  # noqa: S311 - a replayable test plan, not cryptography
    extraction = [
        {"kill_batch": rng.randint(1, LOAD_BATCHES), "kill_phase": rng.choice(["upsert", "quarantine"])}
        for _ in range(6)
    ]
    dbt = [
        {"kill_node": rng.randint(1, DBT_NODES), "warehouse": warehouse}
        for warehouse in ("loaded", "built", "loaded", "built")
    ]
    # Two named points, then four SQL statements drawn later from the measured statement count.
    posting = [
        {"kill_at": "target_before_commit"},
        {"kill_at": "after_target_commit"},
        *({"kill_fraction": rng.random()} for _ in range(4)),
    ]
    drops = [rng.randint(1, LOAD_BATCHES) for _ in range(4)]
    return Plan(extraction, dbt, posting, drops)


PLAN = _plan(SEED)


def _child(mode: str, args: dict[str, Any], *, app: str = "costclose-fault-child") -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PGAPPNAME": app}
    return subprocess.Popen(
        [sys.executable, str(CHILD), mode, json.dumps(args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )


def _finish(proc: subprocess.Popen[str], timeout: float = 120) -> tuple[int, str]:
    out, _ = proc.communicate(timeout=timeout)
    return proc.returncode, out


def _report(request: pytest.FixtureRequest, kind: str, survived: int, total: int) -> None:
    request.node.user_properties.append(("kill_points", (kind, survived, total, SEED)))
    print(f"{kind}: survived {survived} of {total} kill points (seed {SEED})")


def _assert_raw_is_the_source(scenario: Scenario) -> None:
    assert warehouse_totals(scenario.warehouse_url, COMPANY) == source_totals(scenario.erp_url, COMPANY)
    diff = fingerprint_diff(scenario.templates.raw, raw_fingerprint(scenario.warehouse_url, COMPANY))
    assert not diff, f"raw differs from a clean load in {diff}"
    with psycopg2.connect(scenario.warehouse_url) as conn, conn.cursor() as cur:
        cur.execute(
            "select count(*) from landing.load_run where company = %s and status = 'running'", (COMPANY,)
        )
        assert cur.fetchone()[0] == 0, "a load killed earlier is still shown as running"
    conn.close()


def _rerun_load(scenario: Scenario) -> loader.LoadReport:
    source = open_source("sql:" + scenario.erp_url, batch_size=BATCH_SIZE)
    return loader.load(source, COMPANY, warehouse_url=scenario.warehouse_url)


def test_plan_is_twenty_points_and_printed() -> None:
    print(f"fault plan seed {SEED}: {PLAN}")
    assert PLAN.points == 20
    assert _plan(SEED) == PLAN, "the same seed gives the same plan"


def test_extraction_killed_mid_batch_then_rerun_loads_exactly_the_source(
    new_scenario, request: pytest.FixtureRequest
) -> None:
    survived = 0
    erp_url = new_scenario("empty").erp_url  # only read: one copy serves every point
    for point in PLAN.extraction:
        scenario = new_scenario("empty", erp_url=erp_url)
        args = {
            "erp_url": scenario.erp_url,
            "warehouse_url": scenario.warehouse_url,
            "company": COMPANY,
            "batch_size": BATCH_SIZE,
            **point,
        }
        code, out = _finish(_child("extract", args))
        assert code == -signal.SIGKILL, f"{point}: the load was not killed (exit {code}): {out[-2000:]}"
        report = _rerun_load(scenario)
        assert all(c.matches for c in report.checks)
        _assert_raw_is_the_source(scenario)
        survived += 1
    _report(request, "extraction SIGKILL", survived, len(PLAN.extraction))


def _dropping_upsert(real_upsert: Any, drop_at: int, url: str) -> Any:
    """``loader._upsert_rows`` that, in batch ``drop_at``, has the loader's backend terminated."""
    seen = {"batches": 0}

    def upsert(cur: psycopg2.extensions.cursor, *a: Any, **k: Any) -> tuple[int, int]:
        n = real_upsert(cur, *a, **k)
        seen["batches"] += 1
        if seen["batches"] == drop_at:
            with psycopg2.connect(url) as other, other.cursor() as oc:
                oc.execute("select pg_terminate_backend(%s)", (cur.connection.info.backend_pid,))
                assert oc.fetchone()[0]
            other.close()
        return n

    return upsert


def test_connection_dropped_mid_load_then_rerun_loads_exactly_the_source(
    new_scenario, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    survived = 0
    real_upsert = loader._upsert_rows
    erp_url = new_scenario("empty").erp_url  # only read: one copy serves every point
    for drop_at in PLAN.connection_drops:
        scenario = new_scenario("empty", erp_url=erp_url)
        upsert = _dropping_upsert(real_upsert, drop_at, scenario.warehouse_url)
        monkeypatch.setattr(loader, "_upsert_rows", upsert)
        with pytest.raises(CostcloseError) as failed:
            _rerun_load(scenario)
        message = str(failed.value)
        assert "connection" in message and "again" in message, message
        monkeypatch.setattr(loader, "_upsert_rows", real_upsert)
        _rerun_load(scenario)
        _assert_raw_is_the_source(scenario)
        survived += 1
    _report(request, "connection drop mid-load", survived, len(PLAN.connection_drops))


def _kill_dbt_at_node(args: dict[str, Any], node: int) -> tuple[int, str]:
    proc = _child("dbt", args)
    seen: list[str] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        seen.append(line)
        if f" {node} of " in line and " START " in line:
            proc.send_signal(signal.SIGKILL)
            break
    return _finish(proc)[0], "".join(seen[-20:])


def test_dbt_killed_mid_build_then_rerun_equals_a_clean_build(
    new_scenario, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    from costclose.transform import dbt

    survived = 0
    # One database name and one target folder for every run: dbt's partial parse is reused (it is
    # invalidated by a change of connection), which saves most of a parse per run.
    name, target = f"rel_dbt_{uuid.uuid4().hex[:8]}", tmp_path / "dbt-target"
    for point in PLAN.dbt:
        scenario = new_scenario(point["warehouse"], warehouse_name=name, erp_url="(no ERP: dbt only)")
        args = {"warehouse_url": scenario.warehouse_url, "target_path": str(target)}
        code, tail = _kill_dbt_at_node(args, point["kill_node"])
        assert code == -signal.SIGKILL, f"{point}: dbt was not killed (exit {code}): {tail}"
        dbt.build(scenario.warehouse_url, target_path=target)
        diff = fingerprint_diff(scenario.templates.marts, marts_fingerprint(scenario.warehouse_url))
        assert not diff, f"{point}: after the rerun these relations differ from a clean build: {diff}"
        survived += 1
    _report(request, "dbt SIGKILL mid-build", survived, len(PLAN.dbt))


def _post_args(scenario: Scenario, **kill: Any) -> dict[str, Any]:
    return {
        "erp_url": scenario.erp_url,
        "warehouse_url": scenario.warehouse_url,
        "company": COMPANY,
        "period": PERIOD,
        **kill,
    }


def _ledger(warehouse_url: str) -> list[tuple[int, str, str]]:
    with psycopg2.connect(warehouse_url) as conn, conn.cursor() as cur:
        cur.execute(
            "select value_entry_no, cost_part, sum(amount_posted)::text from posting.posted_value_entry "
            "where company = %s group by 1, 2 order by 1, 2",
            (COMPANY,),
        )
        rows = [(int(n), p, a) for n, p, a in cur.fetchall()]
    conn.close()
    return rows


def test_posting_killed_mid_transaction_then_rerun_posts_exactly_once(
    new_scenario, request: pytest.FixtureRequest
) -> None:
    clean = new_scenario("built")
    code, out = _finish(_child("post", _post_args(clean)))
    assert code == 0, out[-2000:]
    statements = int(out.split("STATEMENTS ")[1].split()[0])
    expected_gl = erp_costclose_gl(clean.erp_url, COMPANY)
    expected_ledger = _ledger(clean.warehouse_url)
    assert expected_gl and expected_ledger, "the test company has a journal to post"

    survived = 0
    for point in PLAN.posting:
        kill = dict(point)
        if "kill_fraction" in kill:
            kill = {"kill_statement": 1 + int(kill.pop("kill_fraction") * statements)}
        scenario = new_scenario("built")
        code, out = _finish(_child("post", _post_args(scenario, **kill)))
        assert code == -signal.SIGKILL, f"{kill}: the posting was not killed (exit {code}): {out[-2000:]}"
        start = time.monotonic()
        rerun = post_period(
            COMPANY,
            parse_period(PERIOD),
            ErpTarget(scenario.erp_url),
            dry_run=False,
            warehouse_url=scenario.warehouse_url,
        )
        assert time.monotonic() - start < 60
        assert rerun.status in {"posted", "recovered"}, rerun.as_dict()
        assert erp_costclose_gl(scenario.erp_url, COMPANY) == expected_gl, f"{kill}: G/L not posted once"
        assert _ledger(scenario.warehouse_url) == expected_ledger, f"{kill}: the ledger differs"
        again = post_period(
            COMPANY,
            parse_period(PERIOD),
            ErpTarget(scenario.erp_url),
            dry_run=False,
            warehouse_url=scenario.warehouse_url,
        )
        assert again.status == "nothing_to_post"
        survived += 1
    _report(request, "posting SIGKILL", survived, len(PLAN.posting))


def test_posting_killed_after_the_target_committed_then_the_next_period_posts_each_entry_once(
    new_scenario,
) -> None:
    """January's run reached the ERP but not the ledger; February's close must not post it again."""
    scenario = new_scenario("built")
    expected = post_period(
        COMPANY,
        parse_period(PERIOD),
        ErpTarget(scenario.erp_url),
        dry_run=True,
        warehouse_url=scenario.warehouse_url,
    )
    args = {**_post_args(scenario, kill_at="after_target_commit"), "period": "2026-01"}
    code, out = _finish(_child("post", args))
    assert code == -signal.SIGKILL, out[-2000:]
    assert erp_costclose_gl(scenario.erp_url, COMPANY), "January reached the ERP"
    february = post_period(
        COMPANY,
        parse_period(PERIOD),
        ErpTarget(scenario.erp_url),
        dry_run=False,
        warehouse_url=scenario.warehouse_url,
    )
    assert len(february.recovered_runs) == 1, "January's run was finished first"
    expected_gl = sorted(
        (ln.document_no, ln.posting_date.isoformat(), ln.account_no, ln.amount) for ln in expected.lines
    )
    assert erp_costclose_gl(scenario.erp_url, COMPANY) == expected_gl

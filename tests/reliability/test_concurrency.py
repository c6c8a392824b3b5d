"""Concurrency: one close of a company at a time, racing posts post once, loads do not move a close.

* two closes of the same company and period at once: one proceeds, the other stops at once with a
  message naming the running close (``costclose.locks.close_lock``); a killed close frees the lock;
* two posts of the same period racing in two processes post the journal once;
* posts of two periods of one company racing post every value entry once (the posting lock is per
  company: a period's journal covers everything unposted up to its end);
* an extraction landing new value entries while the journal is posted does not change the journal:
  what is posted is what the marts showed before the new rows arrived.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from faults_db import COMPANY, PERIOD, Scenario, erp_costclose_gl, source_totals, warehouse_totals

from costclose.locks import CloseRunningError, close_lock
from costclose.period import parse_period
from costclose.posting.service import post_period
from costclose.posting.targets import ErpTarget, Line
from costclose.sources import open_source

CHILD = Path(__file__).resolve().parent / "faults_child.py"
EARLIER_PERIOD = "2026-01"


def _child(mode: str, args: dict[str, Any], env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(CHILD), mode, json.dumps(args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
    )


def _as_gl(lines: list[Line]) -> list[tuple[str, str, str, Decimal]]:
    return sorted((ln.document_no, ln.posting_date.isoformat(), ln.account_no, ln.amount) for ln in lines)


def _post(scenario: Scenario, period: str, *, dry_run: bool) -> Any:
    return post_period(
        COMPANY,
        parse_period(period),
        ErpTarget(scenario.erp_url),
        dry_run=dry_run,
        warehouse_url=scenario.warehouse_url,
    )


def _settings_env(scenario: Scenario, tmp_path: Path) -> dict[str, str]:
    """COSTCLOSE_* variables that point costclose at the scenario's databases."""
    erp = psycopg2.extensions.parse_dsn(scenario.erp_url)
    wh = psycopg2.extensions.parse_dsn(scenario.warehouse_url)
    server = scenario.templates.server
    config = tmp_path / "costclose.yml"
    config.write_text(f"companies:\n  - name: {COMPANY}\n    source: sql:db:erp\n    posting_target: erp\n")
    return {
        "COSTCLOSE_HOME": str(tmp_path / "home"),
        "COSTCLOSE_DATABASE_URL": server,
        "COSTCLOSE_ERP_DB": erp["dbname"],
        "COSTCLOSE_WAREHOUSE_DB": wh["dbname"],
        "COSTCLOSE_CONFIG": str(config),
    }


def test_a_second_close_of_the_same_company_stops_with_a_clear_message(new_scenario, tmp_path: Path) -> None:
    """Close A runs (extracting, building); close B stops at once; A is still running; killing A frees it.

    A is SIGKILLed once B has stopped rather than left to finish: its full run is what the close tests
    cover, and here it shows that a close that dies does not block the next one.
    """
    scenario = new_scenario("built")
    env = _settings_env(scenario, tmp_path)
    args = {"company": COMPANY, "period": PERIOD}
    first = _child("close", {**args, "out": str(tmp_path / "first")}, env)
    try:
        assert first.stdout is not None
        assert first.stdout.readline().strip() == "LOCKED"
        second = _child("close", {**args, "out": str(tmp_path / "second")}, env)
        out2, _ = second.communicate(timeout=120)
        assert first.poll() is None, "the first close is still running"
        assert second.returncode == 1, out2[-3000:]
        message = out2.split("ERROR ", 1)[1]
        assert f"Another close of company '{COMPANY}' is running" in message
        assert f"costclose close {COMPANY} {PERIOD}" in message, "names the close that holds the lock"
        assert "run the close of 2026-02 again" in message
        assert not (tmp_path / "second").exists(), "the stopped close wrote nothing"
    finally:
        first.kill()
        first.communicate(timeout=60)
    # The killed close's session ended with it: the next close gets the lock (within a few seconds,
    # the time the server takes to notice the dead client).
    with close_lock(COMPANY, PERIOD, wait_seconds=10, warehouse_url=scenario.warehouse_url):
        pass


def test_close_lock_waits_for_the_running_close_when_asked(new_scenario) -> None:
    scenario = new_scenario("built")
    holder_done, holding = threading.Event(), threading.Event()

    def hold() -> None:
        with close_lock(COMPANY, PERIOD, warehouse_url=scenario.warehouse_url):
            holding.set()
            holder_done.wait(timeout=30)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(timeout=30)
        with pytest.raises(CloseRunningError, match=r"after waiting 0\.5 s"):
            with close_lock(COMPANY, EARLIER_PERIOD, wait_seconds=0.5, warehouse_url=scenario.warehouse_url):
                pass
        threading.Timer(0.5, holder_done.set).start()
        with close_lock(COMPANY, PERIOD, wait_seconds=20, warehouse_url=scenario.warehouse_url):
            assert holder_done.is_set()
    finally:
        holder_done.set()
        holder.join(timeout=30)


def test_two_racing_posts_of_the_same_period_post_the_journal_once(new_scenario) -> None:
    scenario = new_scenario("built")
    expected = _as_gl(_post(scenario, PERIOD, dry_run=True).lines)
    args = {
        "erp_url": scenario.erp_url,
        "warehouse_url": scenario.warehouse_url,
        "company": COMPANY,
        "period": PERIOD,
    }
    procs = [_child("post", args) for _ in range(2)]
    outs = [p.communicate(timeout=120)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    statuses = sorted(o.split("STATUS ")[1].split()[0] for o in outs)
    assert statuses == ["nothing_to_post", "posted"]
    assert erp_costclose_gl(scenario.erp_url, COMPANY) == expected


def test_racing_posts_of_two_periods_post_every_entry_once(new_scenario) -> None:
    scenario = new_scenario("built")
    # Posting January, then February, posts exactly what February's journal shows now.
    expected = _as_gl(_post(scenario, PERIOD, dry_run=True).lines)
    assert any(d.startswith("INVCOST-202601") for d, *_ in expected), "January has entries to post"
    errors: list[BaseException] = []

    def run(period: str) -> None:
        try:
            _post(scenario, period, dry_run=False)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(p,)) for p in (EARLIER_PERIOD, PERIOD)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert erp_costclose_gl(scenario.erp_url, COMPANY) == expected
    assert _post(scenario, PERIOD, dry_run=False).status == "nothing_to_post"


def _add_february_value_entries(erp_url: str, count: int) -> None:
    """New, unposted value entries dated in February in the source (copies of existing ones)."""
    with psycopg2.connect(erp_url) as conn, conn.cursor() as cur:
        cur.execute(
            "create temp table new_ve as select * from bc.value_entry where company = %s "
            "and posting_date between '2026-02-01' and '2026-02-28' and cost_amount_actual <> 0 "
            "order by entry_no limit %s",
            (COMPANY, count),
        )
        cur.execute(
            "update new_ve set entry_no = entry_no + (select max(entry_no) from bc.value_entry), "
            "system_id = gen_random_uuid(), cost_posted_to_g_l = 0, "
            "row_version = nextval('bc.row_version_seq')"
        )
        cur.execute("insert into bc.value_entry select * from new_ve")
        assert cur.rowcount == count
    conn.close()


def test_an_extraction_during_the_posting_does_not_change_the_journal(new_scenario) -> None:
    scenario = new_scenario("built")
    before = _post(scenario, PERIOD, dry_run=True)
    _add_february_value_entries(scenario.erp_url, 5)
    from costclose.landing.loader import load

    started = threading.Barrier(2)
    loaded: list[Any] = []

    def extract() -> None:
        started.wait(timeout=30)
        loaded.append(load(open_source("sql:" + scenario.erp_url, batch_size=25), COMPANY,
                           warehouse_url=scenario.warehouse_url))  # fmt: skip

    extraction = threading.Thread(target=extract)
    extraction.start()
    started.wait(timeout=30)
    posted = _post(scenario, PERIOD, dry_run=False)
    extraction.join(timeout=120)
    assert loaded and loaded[0].tables["value_entry"].upserted >= 5, "the extraction landed the new entries"
    assert (
        warehouse_totals(scenario.warehouse_url, COMPANY)["rows:value_entry"]
        == (source_totals(scenario.erp_url, COMPANY)["rows:value_entry"])
    )
    assert posted.status == "posted"
    assert posted.idempotency_key == before.idempotency_key, "the journal computed before the new rows"
    assert erp_costclose_gl(scenario.erp_url, COMPANY) == _as_gl(before.lines)


def test_a_source_changing_during_the_load_is_caught_up(new_scenario) -> None:
    """Entries posted in the source while raw is being loaded: the load lands them before it checks."""
    from costclose.landing.loader import load

    scenario = new_scenario("empty")
    changed: list[int] = []

    def post_in_the_source(table: str, batch_no: int, _totals: object) -> None:
        if table == "value_entry" and batch_no == 2 and not changed:
            with psycopg2.connect(scenario.erp_url) as conn, conn.cursor() as cur:
                cur.execute(
                    "update bc.value_entry set cost_posted_to_g_l = cost_amount_actual "
                    "where company = %s and entry_no in (select entry_no from bc.value_entry "
                    "where company = %s and cost_posted_to_g_l <> cost_amount_actual "
                    "order by entry_no limit 20)",
                    (COMPANY, COMPANY),
                )
                changed.append(cur.rowcount)
            conn.close()

    source = open_source("sql:" + scenario.erp_url, batch_size=25)
    report = load(source, COMPANY, warehouse_url=scenario.warehouse_url, on_batch=post_in_the_source)
    assert changed and changed[0] > 0, "the source changed under the load"
    assert all(c.matches for c in report.checks)
    assert warehouse_totals(scenario.warehouse_url, COMPANY) == source_totals(scenario.erp_url, COMPANY)

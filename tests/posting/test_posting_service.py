"""Posting the adjusting journal: exactly once, atomic, restartable, never into a closed period."""

from __future__ import annotations

import threading
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from costclose import db, pipeline
from costclose.period import parse_period
from costclose.posting.service import post_period
from costclose.posting.targets import ErpTarget, FileTarget

COMPANY = "CRONUS"
PERIOD = "2026-02"


def _erp_gl(chain) -> tuple[int, Decimal]:
    with db.connect(chain.erp_url) as conn, conn.cursor() as cur:
        cur.execute(
            "select count(*), coalesce(sum(abs(amount)), 0) from bc.g_l_entry where company = %s", (COMPANY,)
        )
        n, total = cur.fetchone()
    return int(n), Decimal(total)


def _unposted_in_erp(chain) -> int:
    with db.connect(chain.erp_url) as conn, conn.cursor() as cur:
        cur.execute("select count(*) from bc.post_value_entry_to_g_l where company = %s", (COMPANY,))
        return int(cur.fetchone()[0])


class CrashError(RuntimeError):
    pass


def test_dry_run_shows_the_journal_and_posts_nothing(chain) -> None:
    before = _erp_gl(chain)
    s = post_period(COMPANY, parse_period(PERIOD), ErpTarget(chain.erp_url), dry_run=True)
    assert s.status == "dry_run"
    assert s.lines, "the seeded company has unposted value entries"
    assert sum(ln.amount for ln in s.lines) == 0, "debits = credits"
    assert _erp_gl(chain) == before


def test_post_once_then_reconciliation_is_zero_and_a_rerun_posts_nothing(chain) -> None:
    g0, _ = _erp_gl(chain)
    s = post_period(COMPANY, parse_period(PERIOD), ErpTarget(chain.erp_url), dry_run=False)
    assert s.status == "posted"
    g1, _ = _erp_gl(chain)
    assert g1 - g0 == len(s.lines)
    again = post_period(COMPANY, parse_period(PERIOD), ErpTarget(chain.erp_url), dry_run=False)
    assert again.status == "nothing_to_post"
    assert _erp_gl(chain)[0] == g1
    # Read the G/L back and rebuild: every entry the journal covered is now posted in the ERP and
    # the per-account differences left are exactly the skipped entries and the injected ones.
    pipeline.extract(COMPANY)
    pipeline.build(PERIOD)
    with db.connect(chain.warehouse_url) as conn, conn.cursor() as cur:
        cur.execute(
            "select count(*) from intermediate.int_value_entry_postings_resolved"
            " where company = %s and skip_reason is null and posting_date <= %s",
            (COMPANY, parse_period(PERIOD).end),
        )
        assert cur.fetchone()[0] == 0, "nothing postable is left"


@pytest.mark.parametrize("point", ["before_target", "after_target_commit"])
def test_a_crash_at_any_point_then_a_rerun_posts_exactly_once(chain, point: str) -> None:
    reference = post_period(COMPANY, parse_period(PERIOD), ErpTarget(chain.erp_url), dry_run=True)

    def hook(at: str) -> None:
        if at == point:
            raise CrashError(at)

    g0, _ = _erp_gl(chain)
    with pytest.raises(CrashError):
        post_period(COMPANY, parse_period(PERIOD), ErpTarget(chain.erp_url), dry_run=False, crash_hook=hook)
    rerun = post_period(COMPANY, parse_period(PERIOD), ErpTarget(chain.erp_url), dry_run=False)
    assert rerun.status in {"posted", "recovered"}
    assert rerun.recovered_runs == [reference.idempotency_key]
    g1, _ = _erp_gl(chain)
    assert g1 - g0 == len(reference.lines), "every line posted once, none twice, none lost"
    final = post_period(COMPANY, parse_period(PERIOD), ErpTarget(chain.erp_url), dry_run=False)
    assert final.status == "nothing_to_post"


def test_two_racing_runs_post_once(chain) -> None:
    g0, _ = _erp_gl(chain)
    results: list[str] = []

    def run() -> None:
        s = post_period(COMPANY, parse_period(PERIOD), ErpTarget(chain.erp_url), dry_run=False)
        results.append(s.status)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(results) == ["nothing_to_post", "posted"]
    posted = post_period(COMPANY, parse_period(PERIOD), ErpTarget(chain.erp_url), dry_run=True)
    assert posted.status == "nothing_to_post"
    assert _erp_gl(chain)[0] > g0


def test_closed_period_entries_are_skipped_and_reported(chain) -> None:
    s = post_period(COMPANY, parse_period(PERIOD), ErpTarget(chain.erp_url), dry_run=True)
    reasons = {r["reason"] for r in s.skipped}
    assert any("closed" in r.lower() for r in reasons), reasons
    skipped_nos = {r["value_entry_no"] for r in s.skipped}
    posted_nos = {n for ln in s.lines for n in ln.value_entry_nos}
    assert not skipped_nos & posted_nos


def test_file_target_writes_an_xlsx_that_opens(chain, tmp_path: Path) -> None:
    s = post_period(COMPANY, parse_period(PERIOD), FileTarget(tmp_path), dry_run=False)
    assert s.status == "posted"
    ref = s.target_reference
    wb = load_workbook(ref["xlsx"])
    ws = wb["General Journal"]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(s.lines)
    assert round(sum(r[5] for r in rows), 2) == 0
    again = post_period(COMPANY, parse_period(PERIOD), FileTarget(tmp_path), dry_run=False)
    assert again.status == "nothing_to_post"

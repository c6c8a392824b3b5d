"""`costclose backfill` over three past periods (issue 7): it rebuilds exactly those periods' marts, in
order, and posts nothing -- in particular nothing into the closed periods they lie in.

The demo company is seeded with the known discrepancies (one value entry dated in closed January 2025
that the batch must skip), extracted and built. Then, as when someone corrects old books, the source
gets a direct posting to inventory account 2130 in March 2025 (inside the backfill) and another in
August 2025 (outside it). The backfill of 2025-02..2025-04 must show the March one and leave every
other period's rows as they were.
"""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from costclose import close_cli, config, db, pipeline

COMPANY = "CRONUS"

# per-period rows of the two reconciliation marts (the to-date rows carry earlier periods forward)
PERIOD_ROWS_SQL = """
select 'matrix', period_start, matrix_row, total, gl_total, difference
from marts.fct_inventory_gl_reconciliation
where company = %(c)s and date_filter = 'period'
union all
select 'account', period_start, coalesce(g_l_account_no, '(null)'), implied_amount, gl_net_change, difference
from marts.fct_gl_account_reconciliation
where company = %(c)s
"""


def _period_rows(url: str) -> dict[tuple[str, date, str], tuple[Decimal, Decimal, Decimal]]:
    with db.connect(url) as conn, conn.cursor() as cur:
        cur.execute(PERIOD_ROWS_SQL, {"c": COMPANY})
        return {(kind, start, row): (a, b, d) for kind, start, row, a, b, d in cur.fetchall()}


def _count(url: str, query: str) -> int:
    with db.connect(url) as conn, conn.cursor() as cur:
        cur.execute(query, (COMPANY,))
        return int(cur.fetchone()[0])


@pytest.mark.slow
def test_backfill_of_three_periods_changes_only_those_and_posts_nothing(
    costclose_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from costclose.demo_erp.discrepancies import _direct_posting
    from costclose.demo_erp.simulate import seed

    cfg_file = tmp_path / "costclose.yml"
    cfg_file.write_text(f"companies:\n  - name: {COMPANY}\n    source: sql:db:erp\n    posting_target: erp\n")
    monkeypatch.setenv("COSTCLOSE_CONFIG", str(cfg_file))
    config.settings.cache_clear()
    erp, wh = db.database_url("erp"), db.database_url("warehouse")
    seed(erp, company=COMPANY, months=14, scale=1, seed=11, discrepancies=True)
    pipeline.extract(COMPANY)
    pipeline.build()
    before = _period_rows(wh)
    with db.connect(erp) as conn, conn.cursor() as cur:
        cur.execute(
            "select starting_date from bc.accounting_period where company = %s and closed"
            " and starting_date in ('2025-02-01', '2025-03-01', '2025-04-01')",
            (COMPANY,),
        )
        assert len(cur.fetchall()) == 3, "the backfilled periods are closed in the ERP"
        _direct_posting(cur, COMPANY, date(2025, 3, 10))
        _direct_posting(cur, COMPANY, date(2025, 8, 10))
    gl_entries = _count(erp, "select count(*) from bc.g_l_entry where company = %s")

    close_cli.backfill(company=COMPANY, from_="2025-02", to="2025-04")

    after = _period_rows(wh)
    changed = {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
    march = date(2025, 3, 1)
    assert changed, "the March correction reached the marts"
    assert {start for _, start, _ in changed} == {march}, "only the backfilled periods changed"
    # G/L side of account 2130 (Raw Materials) and its balancing 7270 moved by the direct posting
    assert after[("account", march, "2130")][1] - before[("account", march, "2130")][1] == Decimal("250.00")
    assert after[("account", march, "7270")][1] - before[("account", march, "7270")][1] == Decimal("-250.00")
    # August is outside the backfill: its slice was not rebuilt, although the source changed
    august = date(2025, 8, 1)
    assert after[("account", august, "2130")] == before[("account", august, "2130")]

    # nothing posted anywhere: no new G/L entries in the ERP, no posting run in the project's ledger
    assert _count(erp, "select count(*) from bc.g_l_entry where company = %s") == gl_entries
    assert _count(wh, "select count(*) from posting.posting_run where company = %s") == 0
    for period in ("2025-02", "2025-03", "2025-04"):
        out = pipeline.output_dir(COMPANY, period)
        journal = list(csv.DictReader((out / "adjusting_journal.csv").open()))
        skipped = list(csv.DictReader((out / "skipped_entries.csv").open()))
        recon = list(csv.DictReader((out / "gl_reconciliation.csv").open()))
        assert journal == [], f"{period}: every postable entry of a closed period was posted long ago"
        # the value entry dated in closed January is reported as skipped, with the reason
        assert [s["reason"] for s in skipped] == ["Posting date 2025-01-15 is in a closed accounting period"]
        assert {r["period"] for r in recon} == {period} and len(recon) > 0

"""The real bc_extract DAG, run once through `airflow dags test`: every configured company lands in raw."""

from __future__ import annotations

from pathlib import Path

import pytest

from costclose import config, db, orchestrate

COMPANIES = ("CRONUS", "CRONUS 'Two'; --")


@pytest.mark.slow
def test_bc_extract_lands_every_configured_company(
    costclose_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from costclose.demo_erp.simulate import seed

    cfg_file = tmp_path / "costclose.yml"
    cfg_file.write_text(
        "companies:\n"
        + "".join(f'  - name: "{c}"\n    source: sql:db:erp\n    posting_target: erp\n' for c in COMPANIES)
    )
    monkeypatch.setenv("COSTCLOSE_CONFIG", str(cfg_file))
    config.settings.cache_clear()
    erp = db.database_url("erp")
    for n, company in enumerate(COMPANIES):
        seed(erp, company=company, months=3, scale=0.3, seed=20 + n)

    run = orchestrate.dags_test("bc_extract", "2026-03-02T01:00:00+00:00", sqlite=True)
    assert run.state == "success", run.output[-4000:]

    with db.connect(erp) as src, src.cursor() as cur:
        cur.execute("select company, count(*) from bc.value_entry group by company")
        expected = dict(cur.fetchall())
    with db.connect(db.database_url("warehouse")) as wh, wh.cursor() as cur:
        cur.execute("select company, count(*) from raw.value_entry group by company")
        landed = dict(cur.fetchall())
    assert landed == expected
    assert set(landed) == set(COMPANIES)

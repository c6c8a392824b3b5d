"""Fixtures for the fault and concurrency tests: a small demo company, seeded, loaded and built once.

The chain (seed the demo ERP, land it into raw, dbt build) runs once per session into three template
databases -- the ERP, a warehouse with raw loaded only, and the same warehouse after a clean dbt
build -- and every scenario gets its own copies (``CREATE DATABASE ... TEMPLATE``, well under a second
at this size), so a scenario can be killed half-way without touching the others. The clean run's
fingerprints (raw rows, marts rows) are what every rerun after a fault must reproduce.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from faults_db import (
    COMPANY,
    Scenario,
    Templates,
    create_database,
    drop_databases,
    marts_fingerprint,
    raw_fingerprint,
)

SEED_START = date(2025, 12, 1)
SEED_MONTHS = 3
SEED_SCALE = 0.3


@pytest.fixture(scope="session")
def fault_templates(pg_server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Templates]:
    from costclose.demo_erp.simulate import seed
    from costclose.landing.loader import load
    from costclose.sources import open_source
    from costclose.transform import dbt

    suffix = uuid.uuid4().hex[:8]
    tpl = Templates(pg_server_url, f"rel_erp_{suffix}", f"rel_whl_{suffix}", f"rel_whb_{suffix}")
    erp = create_database(pg_server_url, tpl.erp)
    wh = create_database(pg_server_url, tpl.wh_built)
    try:
        seed(
            erp,
            company=COMPANY,
            months=SEED_MONTHS,
            scale=SEED_SCALE,
            seed=7,
            start=SEED_START,
            discrepancies=True,
        )
        load(open_source("sql:" + erp), COMPANY, warehouse_url=wh)
        tpl.raw = raw_fingerprint(wh, COMPANY)
        create_database(pg_server_url, tpl.wh_loaded, template=tpl.wh_built)
        dbt.build(wh, target_path=tmp_path_factory.mktemp("dbt-clean"))
        tpl.marts = marts_fingerprint(wh)
        yield tpl
    finally:
        # The session's own server is thrown away with its data folder; only a server given by
        # COSTCLOSE_TEST_DATABASE_URL outlives the session and needs its databases dropped.
        if os.environ.get("COSTCLOSE_TEST_DATABASE_URL"):
            drop_databases(pg_server_url, [*dict.fromkeys(tpl.created), tpl.erp, tpl.wh_loaded, tpl.wh_built])


@pytest.fixture
def new_scenario(fault_templates: Templates) -> Callable[..., Scenario]:
    """Factory: ``new_scenario("built" | "loaded" | "empty", *, warehouse_name=None, erp_url=None)``.

    Fresh copies of the ERP and warehouse templates. ``erp_url``: read from that ERP instead of a
    copy (scenarios that only extract). The copies are not dropped after each test: every DROP
    DATABASE forces a server checkpoint (slow on a busy machine), and the session's server goes away
    as a whole (see ``fault_templates``).
    """
    server = fault_templates.server

    def _make(warehouse: str, *, warehouse_name: str | None = None, erp_url: str | None = None) -> Scenario:
        suffix = uuid.uuid4().hex[:8]
        wh_name = warehouse_name or f"rel_wh_{suffix}"
        if warehouse_name:  # a name reused across scenarios (dbt's partial parse keys on the database)
            drop_databases(server, [warehouse_name])
        if erp_url is None:
            erp_name = f"rel_erp_{suffix}"
            fault_templates.created.append(erp_name)
            erp_url = create_database(server, erp_name, template=fault_templates.erp)
        fault_templates.created.append(wh_name)
        template = {"built": fault_templates.wh_built, "loaded": fault_templates.wh_loaded, "empty": None}
        wh = create_database(server, wh_name, template=template[warehouse])
        return Scenario(fault_templates, erp_url, wh)

    return _make


_KILL_POINTS: list[tuple[str, int, int, int]] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Collect what the fault tests survived (also from xdist workers: user_properties travel)."""
    if report.when == "call":
        _KILL_POINTS.extend(value for name, value in report.user_properties if name == "kill_points")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _KILL_POINTS:
        return
    survived = sum(p[1] for p in _KILL_POINTS)
    total = sum(p[2] for p in _KILL_POINTS)
    terminalreporter.write_sep("-", f"fault injection: survived {survived} of {total} kill points")
    for kind, ok, n, seed in _KILL_POINTS:
        terminalreporter.write_line(f"  {kind}: {ok}/{n} (seed {seed})")

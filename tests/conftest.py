"""Shared fixtures: a throw-away embedded PostgreSQL for the whole test session.

Tests never touch the developer's `.costclose/` server: the session starts its own server in a
temporary folder (or uses COSTCLOSE_TEST_DATABASE_URL when set) and removes it at the end.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg2
import pytest
from psycopg2 import sql

ROOT = Path(__file__).resolve().parents[1]
# A fresh Airflow home for every test session, set before anything imports Airflow.
os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="costclose-test-airflow-"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(ROOT / "dags"))
os.environ.setdefault("AIRFLOW__COSMOS__ENABLE_TELEMETRY", "False")
# cosmos lists the dbt project (`dbt ls`) the first time inventory_close is parsed: slow on a busy box.
os.environ.setdefault("AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT", "600")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

from costclose.db import EmbeddedPostgres, with_database  # noqa: E402

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """../shared: the spec, the CRONUS setup data and the BC docs fixtures."""
    assert SHARED.is_dir(), f"expected the shared reference folder at {SHARED}"
    return SHARED


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """URL (database ``postgres``) of a PostgreSQL server that lives for the test session."""
    external = os.environ.get("COSTCLOSE_TEST_DATABASE_URL")
    if external:
        yield external
        return
    tmp = Path(tempfile.mkdtemp(prefix="costclose-test-pg-"))
    pg = EmbeddedPostgres(tmp / "pg")
    port = pg.start()
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        pg.stop()
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def make_database(pg_server_url: str) -> Iterator[Callable[[str], str]]:
    """Factory: ``make_database("erp")`` creates a fresh, uniquely named database and returns its URL.

    Databases are dropped after the test.
    """
    created: list[str] = []

    def _make(prefix: str = "t") -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        conn = psycopg2.connect(pg_server_url)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
        conn.close()
        created.append(name)
        return with_database(pg_server_url, name)

    yield _make
    conn = psycopg2.connect(pg_server_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        for name in created:
            cur.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
    conn.close()


@pytest.fixture
def costclose_env(tmp_path: Path, pg_server_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point costclose's settings at the test server and a temporary home; returns the home."""
    from costclose import config

    home = tmp_path / "costclose-home"
    monkeypatch.setenv("COSTCLOSE_HOME", str(home))
    monkeypatch.setenv("COSTCLOSE_DATABASE_URL", pg_server_url)
    suffix = uuid.uuid4().hex[:8]
    monkeypatch.setenv("COSTCLOSE_WAREHOUSE_DB", f"wh_{suffix}")
    monkeypatch.setenv("COSTCLOSE_ERP_DB", f"erp_{suffix}")
    monkeypatch.setenv("COSTCLOSE_AIRFLOW_DB", f"af_{suffix}")
    config.settings.cache_clear()
    yield home
    config.settings.cache_clear()

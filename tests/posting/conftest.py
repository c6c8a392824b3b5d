"""A seeded, extracted and built demo company, cloned per test from template databases.

Building the chain (seed the demo ERP, extract into raw, dbt build) takes ~15 s, so it is done once per
session into two template databases; every test gets its own copies (``CREATE DATABASE ... TEMPLATE``),
and so can post, crash and race without affecting the others.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg2
import pytest
from psycopg2 import sql

from costclose import config
from costclose.db import with_database

COMPANY = "CRONUS"
PERIOD = "2026-02"


def _create(server: str, name: str, template: str | None = None) -> str:
    conn = psycopg2.connect(server)
    conn.autocommit = True
    with conn.cursor() as cur:
        if template:
            cur.execute(
                sql.SQL("create database {} template {}").format(
                    sql.Identifier(name), sql.Identifier(template)
                )
            )
        else:
            cur.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    conn.close()
    return with_database(server, name)


def _drop(server: str, names: list[str]) -> None:
    conn = psycopg2.connect(server)
    conn.autocommit = True
    with conn.cursor() as cur:
        for n in names:
            cur.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(n)))
    conn.close()


@pytest.fixture(scope="session")
def posting_templates(
    pg_server_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """(erp template db, warehouse template db): CRONUS seeded with discrepancies, extracted, built."""
    from costclose.demo_erp.simulate import seed
    from costclose.landing.loader import load
    from costclose.sources import open_source
    from costclose.transform import dbt

    suffix = uuid.uuid4().hex[:8]
    erp_name, wh_name = f"tpl_erp_{suffix}", f"tpl_wh_{suffix}"
    erp = _create(pg_server_url, erp_name)
    wh = _create(pg_server_url, wh_name)
    seed(erp, company=COMPANY, months=14, scale=1, seed=11, discrepancies=True)
    load(open_source("sql:" + erp), COMPANY, warehouse_url=wh)
    dbt.build(wh, target_path=tmp_path_factory.mktemp("dbt-target"))
    try:
        yield erp_name, wh_name
    finally:
        _drop(pg_server_url, [erp_name, wh_name])


@dataclass
class Chain:
    erp_url: str
    warehouse_url: str
    home: Path


@pytest.fixture
def chain(
    pg_server_url: str, posting_templates: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Chain]:
    """Fresh copies of the template databases; costclose's settings point at them."""
    suffix = uuid.uuid4().hex[:8]
    erp_name, wh_name = f"erp_{suffix}", f"wh_{suffix}"
    erp = _create(pg_server_url, erp_name, posting_templates[0])
    wh = _create(pg_server_url, wh_name, posting_templates[1])
    home = tmp_path / "home"
    monkeypatch.setenv("COSTCLOSE_HOME", str(home))
    monkeypatch.setenv("COSTCLOSE_DATABASE_URL", pg_server_url)
    monkeypatch.setenv("COSTCLOSE_ERP_DB", erp_name)
    monkeypatch.setenv("COSTCLOSE_WAREHOUSE_DB", wh_name)
    monkeypatch.setenv("COSTCLOSE_CONFIG", str(tmp_path / "costclose.yml"))
    (tmp_path / "costclose.yml").write_text(
        f"companies:\n  - name: {COMPANY}\n    source: sql:db:erp\n    posting_target: erp\n"
    )
    config.settings.cache_clear()
    try:
        yield Chain(erp, wh, home)
    finally:
        config.settings.cache_clear()
        _drop(pg_server_url, [erp_name, wh_name])

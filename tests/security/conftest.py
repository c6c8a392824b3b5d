"""A warehouse built the way a deployment with roles builds it, cloned per test.

Once per session: the demo ERP is seeded (CRONUS with discrepancies), a fresh warehouse gets the roles
(`apply_roles`), the extraction runs as ``costclose_extract`` and dbt as the transform role's login user.
Every test gets its own copy (``CREATE DATABASE ... TEMPLATE``) with the roles applied again (a role's
per-database settings do not travel with a template), so it can post or break things freely.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg2
import pytest
from psycopg2 import sql
from security_env import COMPANY, PASSWORDS, RoleWarehouse

from costclose.db import with_database


def create_database(server: str, name: str, template: str | None = None) -> str:
    conn = psycopg2.connect(server)
    conn.autocommit = True
    with conn.cursor() as cur:
        query = sql.SQL("create database {}").format(sql.Identifier(name))
        if template:
            query = sql.SQL("{} template {}").format(query, sql.Identifier(template))
        cur.execute(query)
    conn.close()
    return with_database(server, name)


def drop_databases(server: str, names: list[str]) -> None:
    conn = psycopg2.connect(server)
    conn.autocommit = True
    with conn.cursor() as cur:
        for name in names:
            cur.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
    conn.close()


@dataclass(frozen=True)
class Templates:
    erp: str
    warehouse: str
    erp_url: str


@pytest.fixture(scope="session")
def role_templates(pg_server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Templates]:
    from costclose.demo_erp.simulate import seed
    from costclose.landing.loader import load
    from costclose.security import apply_roles, step_url
    from costclose.sources import open_source
    from costclose.transform import dbt

    suffix = uuid.uuid4().hex[:8]
    erp_name, wh_name = f"sec_tpl_erp_{suffix}", f"sec_tpl_wh_{suffix}"
    erp = create_database(pg_server_url, erp_name)
    wh = create_database(pg_server_url, wh_name)
    try:
        seed(erp, company=COMPANY, months=14, scale=1, seed=11, discrepancies=True)
        env = {**PASSWORDS, "COSTCLOSE_DB_ROLES": "on"}
        apply_roles(wh, env=env)
        load(open_source("sql:" + erp), COMPANY, warehouse_url=step_url("extract", wh, env=env))
        # models and seeds only: the data tests are tests/dbt's (and test_roles runs a model's data
        # tests under the transform role); this halves the session's setup on a busy machine
        dbt.run_dbt(
            ["build", "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"],
            step_url("transform", wh, env=env),
            target_path=tmp_path_factory.mktemp("dbt-target"),
            check=True,
        )
        yield Templates(erp_name, wh_name, erp)
    finally:
        drop_databases(pg_server_url, [erp_name, wh_name])


@pytest.fixture
def role_warehouse(pg_server_url: str, role_templates: Templates) -> Iterator[RoleWarehouse]:
    from costclose.security import apply_roles

    name = f"sec_wh_{uuid.uuid4().hex[:8]}"
    url = create_database(pg_server_url, name, role_templates.warehouse)
    env = {**PASSWORDS, "COSTCLOSE_DB_ROLES": "on"}
    try:
        apply_roles(url, env=env)
        yield RoleWarehouse(name, url, role_templates.erp_url, env)
    finally:
        drop_databases(pg_server_url, [name])


@pytest.fixture(scope="session")
def readonly_warehouse(pg_server_url: str, role_templates: Templates) -> Iterator[RoleWarehouse]:
    """One copy shared by the tests that only read (or are refused): the BI checks and dashboard cards."""
    from costclose.security import apply_roles

    name = f"sec_ro_{uuid.uuid4().hex[:8]}"
    url = create_database(pg_server_url, name, role_templates.warehouse)
    env = {**PASSWORDS, "COSTCLOSE_DB_ROLES": "on"}
    try:
        apply_roles(url, env=env)
        yield RoleWarehouse(name, url, role_templates.erp_url, env)
    finally:
        drop_databases(pg_server_url, [name])

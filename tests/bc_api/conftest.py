"""Fixtures: a small BC-shaped company (``bc_api_company``) served over HTTP on 127.0.0.1.

The company is seeded once per session into a template database; each test gets a fresh copy
(``create database ... template``), so tests may change it freely and stay fast.
The client secret is generated per test and handed over through the environment, never printed.
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Iterator

import psycopg2
import pytest
from bc_api_company import CLIENT_ID, BcEnvironment, seed_company
from psycopg2 import sql

from costclose.bc_api_server import ServerConfig, ServerThread
from costclose.db import with_database


def _admin(server_url: str, statement: sql.Composable) -> None:
    conn = psycopg2.connect(server_url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(statement)
    finally:
        conn.close()


@pytest.fixture(scope="session")
def company_template(pg_server_url: str) -> Iterator[str]:
    name = f"bcapi_template_{uuid.uuid4().hex[:8]}"
    _admin(pg_server_url, sql.SQL("create database {}").format(sql.Identifier(name)))
    seed_company(with_database(pg_server_url, name))
    yield name
    _admin(pg_server_url, sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


@pytest.fixture
def erp_url(pg_server_url: str, company_template: str) -> Iterator[str]:
    name = f"bcapi_{uuid.uuid4().hex[:10]}"
    _admin(
        pg_server_url,
        sql.SQL("create database {} template {}").format(
            sql.Identifier(name), sql.Identifier(company_template)
        ),
    )
    yield with_database(pg_server_url, name)
    _admin(pg_server_url, sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


@pytest.fixture
def bc_env(erp_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[BcEnvironment]:
    monkeypatch.setenv("BC_TEST_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("BC_TEST_CLIENT_SECRET", secrets.token_urlsafe(24))
    config = ServerConfig(
        erp_url=erp_url, client_id=CLIENT_ID, client_secret=os.environ["BC_TEST_CLIENT_SECRET"], page_size=5
    )
    with ServerThread(config) as server:
        env = {k: os.environ[k] for k in ("BC_TEST_CLIENT_ID", "BC_TEST_CLIENT_SECRET")}
        yield BcEnvironment(erp_url, server, env)

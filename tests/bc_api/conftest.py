"""Fixtures: a small BC-shaped company (``bc_api_company``) served over HTTP on 127.0.0.1.

The company is seeded once per session into a template database. Tests that only read share one
copy and one server (``bc_env``: faults and request stats are reset around each test); tests that
change the company get their own copy and server (``bc_env_rw``).
The client secret is generated per session and handed over through the environment, never printed.
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Iterator

import psycopg2
import pytest
from bc_api_company import CLIENT_ID, BcEnvironment, SecretEnv, seed_company
from psycopg2 import sql

from costclose.bc_api_server import ServerConfig, ServerThread
from costclose.db import with_database

ENV_VARS = ("BC_TEST_CLIENT_ID", "BC_TEST_CLIENT_SECRET")


def _admin(server_url: str, statement: sql.Composable) -> None:
    conn = psycopg2.connect(server_url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(statement)
    finally:
        conn.close()


@pytest.fixture(scope="session")
def credentials_env() -> Iterator[SecretEnv]:
    """The client id/secret, put in the environment for the session (and removed afterwards)."""
    values = SecretEnv(BC_TEST_CLIENT_ID=CLIENT_ID, BC_TEST_CLIENT_SECRET=secrets.token_urlsafe(24))
    saved = {k: os.environ.get(k) for k in ENV_VARS}
    os.environ.update(values)
    yield values
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def company_template(pg_server_url: str) -> Iterator[str]:
    name = f"bcapi_template_{uuid.uuid4().hex[:8]}"
    _admin(pg_server_url, sql.SQL("create database {}").format(sql.Identifier(name)))
    seed_company(with_database(pg_server_url, name))
    yield name
    _admin(pg_server_url, sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


def _copy(pg_server_url: str, template: str) -> str:
    name = f"bcapi_{uuid.uuid4().hex[:10]}"
    _admin(
        pg_server_url,
        sql.SQL("create database {} template {}").format(sql.Identifier(name), sql.Identifier(template)),
    )
    return name


def _serve(pg_server_url: str, name: str, env: dict[str, str]) -> ServerThread:
    config = ServerConfig(
        erp_url=with_database(pg_server_url, name),
        client_id=env["BC_TEST_CLIENT_ID"],
        client_secret=os.environ["BC_TEST_CLIENT_SECRET"],
        page_size=5,
    )
    return ServerThread(config).start()


@pytest.fixture(scope="session")
def shared_env(
    pg_server_url: str, company_template: str, credentials_env: dict[str, str]
) -> Iterator[BcEnvironment]:
    name = _copy(pg_server_url, company_template)
    server = _serve(pg_server_url, name, credentials_env)
    try:
        yield BcEnvironment(with_database(pg_server_url, name), server, credentials_env)
    finally:
        server.stop()
        _admin(pg_server_url, sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


@pytest.fixture
def bc_env(shared_env: BcEnvironment) -> Iterator[BcEnvironment]:
    """The shared served company, for tests that do not change it; faults armed by a test end with it."""
    shared_env.server.faults.clear()
    shared_env.server.faults.reset_stats()
    yield shared_env
    shared_env.server.faults.clear()


@pytest.fixture
def bc_env_rw(
    pg_server_url: str, company_template: str, credentials_env: dict[str, str]
) -> Iterator[BcEnvironment]:
    """A private copy of the company and its own server, for tests that change the company."""
    name = _copy(pg_server_url, company_template)
    server = _serve(pg_server_url, name, credentials_env)
    try:
        yield BcEnvironment(with_database(pg_server_url, name), server, credentials_env)
    finally:
        server.stop()
        _admin(pg_server_url, sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))

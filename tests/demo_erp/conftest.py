"""Fixtures of the demo ERP tests: a fresh ERP database with schema ``bc`` installed."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import psycopg2
import pytest
from psycopg2.extensions import connection

from costclose.demo_erp import schema


@pytest.fixture
def erp_url(make_database: Callable[[str], str]) -> str:
    """URL of a fresh database with the demo ERP schema installed."""
    url = make_database("erp")
    conn = psycopg2.connect(url)
    with conn:
        schema.install(conn)
    conn.close()
    return url


@pytest.fixture
def erp_conn(erp_url: str) -> Iterator[connection]:
    conn = psycopg2.connect(erp_url)
    yield conn
    conn.close()


@pytest.fixture
def server_conn(pg_server_url: str) -> Iterator[connection]:
    """A connection to the test server's own database, for tests that only need temp tables."""
    conn = psycopg2.connect(pg_server_url)
    yield conn
    conn.close()

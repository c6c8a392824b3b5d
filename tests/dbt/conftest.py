"""The session's warehouse: BC-shaped raw data (dbt_warehouse.py) built once by the real dbt project."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
from dbt_warehouse import Warehouse, create_raw_schema, cronus_rows, docs_rows, load
from psycopg2 import sql

from costclose.db import with_database
from costclose.transform import dbt


@pytest.fixture(scope="session")
def warehouse(pg_server_url: str, shared_dir: Path) -> Iterator[Warehouse]:
    """A fresh warehouse with the four companies, built once with ``costclose.transform.dbt.build``."""
    name = f"wh_dbt_{uuid.uuid4().hex[:8]}"
    conn = psycopg2.connect(pg_server_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    conn.close()
    url = with_database(pg_server_url, name)
    target = Path(tempfile.mkdtemp(prefix="costclose-dbt-target-"))
    try:
        create_raw_schema(url)
        rows = docs_rows(shared_dir)
        for table, table_rows in cronus_rows(shared_dir).items():
            rows.setdefault(table, []).extend(table_rows)
        load(url, rows)
        run = dbt.build(url, target_path=target, check=False)
        yield Warehouse(url=url, target_path=target, build=run)
    finally:
        shutil.rmtree(target, ignore_errors=True)
        conn = psycopg2.connect(pg_server_url)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
        conn.close()

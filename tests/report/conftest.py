"""One warehouse for the close-pack tests: the demo company, seeded with discrepancies, built once.

The company is named with markup and SQL in it, and one item's description too, so every test of the
pack also shows the names travel through CSV, XLSX and HTML as plain text.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date

import psycopg2
import pytest
from close_pack_warehouse import COMPANY, HOSTILE, HOSTILE_ITEM, PERIOD, Pack, PackWarehouse
from psycopg2 import sql

from costclose.db import connect, with_database


def _admin(server: str, statements: list[sql.Composed]) -> None:
    conn = psycopg2.connect(server)
    conn.autocommit = True
    with conn.cursor() as cur:
        for s in statements:
            cur.execute(s)
    conn.close()


@pytest.fixture(scope="session")
def pack_warehouse(pg_server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PackWarehouse]:
    """Demo ERP seeded (14 months from 2025-01, discrepancies), extracted and built by the real dbt."""
    from costclose.demo_erp.simulate import seed
    from costclose.landing.loader import load
    from costclose.sources import open_source
    from costclose.transform import dbt

    suffix = uuid.uuid4().hex[:8]
    names = [f"pack_erp_{suffix}", f"pack_wh_{suffix}"]
    _admin(pg_server_url, [sql.SQL("create database {}").format(sql.Identifier(n)) for n in names])
    erp, wh = (with_database(pg_server_url, n) for n in names)
    try:
        seed(erp, company=COMPANY, months=14, scale=0.3, seed=11, discrepancies=True, start=date(2025, 1, 1))
        load(open_source("sql:" + erp), COMPANY, warehouse_url=wh)
        with connect(wh) as conn, conn.cursor() as cur:
            cur.execute(
                "update raw.item set description = %s where company = %s and no = %s",
                (HOSTILE, COMPANY, HOSTILE_ITEM),
            )
            assert cur.rowcount == 1
        # Models and seeds only: the marts' own tests run in tests/dbt; here the pack is checked against them.
        dbt.run_dbt(
            ["build", "--exclude-resource-type", "test", "unit_test"],
            wh,
            target_path=tmp_path_factory.mktemp("pack-dbt-target"),
            check=True,
        )
        yield PackWarehouse(server_url=pg_server_url, url=wh, name=names[1], company=COMPANY)
    finally:
        _admin(
            pg_server_url,
            [sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(n)) for n in names],
        )


@pytest.fixture(scope="session")
def pack(pack_warehouse: PackWarehouse, tmp_path_factory: pytest.TempPathFactory) -> Pack:
    """The close pack of the period, written once into a fresh folder (no close files there before)."""
    from costclose.report import write_close_pack

    out = tmp_path_factory.mktemp("pack")
    result = write_close_pack(COMPANY, PERIOD, out_dir=out, warehouse_url=pack_warehouse.url)
    return Pack(out=out, result=result)

"""A small BC-shaped source database for connector and landing tests.

The layout the demo ERP uses (schema ``bc``): every ``bc_schema.RAW_TABLES`` table, a global
``row_version_seq`` bumped by a trigger on every insert/update, ``company``, and deletions recorded in
``deleted_record`` by a trigger.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from psycopg2 import sql

from costclose import bc_schema
from costclose.db import with_database

TRIGGERS = """
create or replace function {schema}.bump_row_version() returns trigger language plpgsql as $$
begin
    new.row_version := nextval('{schema}.row_version_seq');
    if tg_op = 'INSERT' then
        new.system_id := coalesce(new.system_id, gen_random_uuid());
        new.system_created_at := coalesce(new.system_created_at, date_trunc('milliseconds', now()));
    end if;
    -- BC's DateTime has millisecond precision
    new.system_modified_at := date_trunc('milliseconds', clock_timestamp());
    return new;
end $$;
create or replace function {schema}.record_delete() returns trigger language plpgsql as $$
begin
    insert into {schema}.deleted_record (company, table_name, deleted_system_id, key, row_version)
    select old.company, tg_table_name, old.system_id,
           (select jsonb_object_agg(k, to_jsonb(old) -> k) from unnest(tg_argv) k),
           nextval('{schema}.row_version_seq');
    return old;
end $$;
"""


class CrashError(RuntimeError):
    """A crash a test injects into a load between two batches."""


def crash_at(table: str, batch_no: int, message: str = "power cut") -> Callable[[str, int, object], None]:
    """An ``on_batch`` hook for ``load`` that raises ``CrashError`` when ``table``'s batch ``batch_no``
    is reported, i.e. after it was committed and before the next one."""

    def crash(table_name: str, number: int, _totals: object) -> None:
        if table_name == table and number == batch_no:
            raise CrashError(message)

    return crash


def create_bc_layout(url: str, schema: str = "bc") -> None:
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        s = sql.Identifier(schema)
        cur.execute(sql.SQL("create schema {}").format(s))
        cur.execute(sql.SQL("create sequence {}.row_version_seq").format(s))
        cur.execute(sql.SQL("create table {}.company (name text primary key)").format(s))
        cur.execute(
            sql.SQL(
                "create table {}.deleted_record (company text not null, table_name text not null, "
                "deleted_system_id uuid, key jsonb not null, row_version bigint not null)"
            ).format(s)
        )
        cur.execute(TRIGGERS.replace("{schema}", schema))
        for table in bc_schema.RAW_TABLES:
            cur.execute(bc_schema.create_table_sql(table, schema))
            name = sql.SQL("{}.{}").format(s, sql.Identifier(table.name))
            cur.execute(
                sql.SQL(
                    "create trigger bump before insert or update on {} "
                    "for each row execute function {}.bump_row_version()"
                ).format(name, s)
            )
            cur.execute(
                sql.SQL(
                    "create trigger del after delete on {} for each row execute function {}.record_delete({})"
                ).format(name, s, sql.SQL(", ").join(map(sql.Literal, table.key)))
            )
    conn.close()


def insert_rows(url: str, table: bc_schema.Table, rows: list[dict[str, Any]], schema: str = "bc") -> None:
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        for row in rows:
            cols = list(row)
            cur.execute(
                sql.SQL("insert into {}.{} ({}) values ({})").format(
                    sql.Identifier(schema),
                    sql.Identifier(table.name),
                    sql.SQL(", ").join(map(sql.Identifier, cols)),
                    sql.SQL(", ").join(sql.Placeholder() * len(cols)),
                ),
                [row[c] for c in cols],
            )
    conn.close()


def execute(url: str, statement: str, params: tuple[Any, ...] = ()) -> int:
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute(statement, params)
        count = cur.rowcount
    conn.close()
    return count


def query(url: str, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute(statement, params)
        rows = cur.fetchall()
    conn.close()
    return rows


def day(entry_no: int) -> str:
    """The posting date of the synthetic value entry ``entry_no`` (``value_entries``)."""
    return (date(2025, 1, 1) + timedelta(days=entry_no % 300)).isoformat()


def value_entries(company: str, first: int, count: int) -> list[dict[str, Any]]:
    """Value entries with awkward text (quotes, backslashes, commas, unicode) and exact decimals."""
    return [
        {
            "company": company,
            "entry_no": n,
            "item_no": f"19{n % 7:02d}-S",
            "posting_date": date(2025, 1, 1) + timedelta(days=n % 300),
            "item_ledger_entry_type": ["Purchase", "Sale", "Positive Adjmt.", "Output", ""][n % 5],
            "document_no": f'D"{n}\\x,1',
            "description": f'Entry {n}: "quoted", back\\slash; Größe ½',
            "location_code": ["BLUE", "RED", ""][n % 3],
            "inventory_posting_group": "RESALE",
            "item_ledger_entry_no": n,
            "valued_quantity": Decimal(n % 11) - Decimal("2.5"),
            "cost_per_unit": Decimal("12.34567") + n,
            "cost_amount_actual": Decimal(f"{n * 3}.{n % 100:02d}"),
            "cost_amount_expected": Decimal("0.01") * (n % 4),
            "cost_posted_to_g_l": Decimal(0) if n % 4 == 0 else Decimal(f"{n * 3}.{n % 100:02d}"),
            "expected_cost": n % 6 == 0,
            "valuation_date": date(2025, 1, 1) + timedelta(days=n % 300),
            "entry_type": ["Direct Cost", "Revaluation", "Rounding", "Indirect Cost", "Variance"][n % 5],
            "variance_type": "",
            "dimension_set_id": n % 9,
            "adjustment": n % 10 == 0,
        }
        for n in range(first, first + count)
    ]


def g_l_entries(company: str, first: int, count: int) -> list[dict[str, Any]]:
    return [
        {
            "company": company,
            "entry_no": n,
            "g_l_account_no": ["2130", "5510", "7190"][n % 3],
            "posting_date": date(2025, 2, 1) + timedelta(days=n % 200),
            "document_no": f"GL{n}",
            "amount": Decimal(f"{(-n if n % 2 else n)}.{n % 97:02d}"),
            "system_created_at": datetime(2025, 2, 1, 8, 0, tzinfo=UTC) + timedelta(minutes=n),
        }
        for n in range(first, first + count)
    ]


def master_data(company: str) -> dict[bc_schema.Table, list[dict[str, Any]]]:
    return {
        bc_schema.LOCATION: [
            {"company": company, "code": "BLUE", "name": "Blue Warehouse", "use_as_in_transit": False},
            {"company": company, "code": "RED", "name": 'Red, "the" warehouse', "use_as_in_transit": False},
            {"company": company, "code": "OWN LOG.", "name": "In transit", "use_as_in_transit": True},
        ],
        bc_schema.INVENTORY_POSTING_SETUP: [
            {
                "company": company,
                "location_code": "",
                "invt_posting_group_code": "RESALE",
                "inventory_account": "2130",
                "inventory_account_interim": "2131",
            },
            {
                "company": company,
                "location_code": "BLUE",
                "invt_posting_group_code": "RESALE",
                "inventory_account": "2130",
                "wip_account": "2140",
            },
        ],
        bc_schema.ACCOUNTING_PERIOD: [
            {
                "company": company,
                "starting_date": date(2025, m, 1),
                "name": f"M{m}",
                "new_fiscal_year": m == 1,
                "closed": m < 3,
                "date_locked": m < 3,
            }
            for m in range(1, 7)
        ],
        bc_schema.PRODUCTION_ORDER: [
            {
                "company": company,
                "status": "Released",
                "no": "101001",
                "quantity": Decimal(10),
                "due_date": date(2025, 3, 1),
            },
            {
                "company": company,
                "status": "Finished",
                "no": "101001",
                "quantity": Decimal(10),
                "finished_date": date(2025, 3, 5),
            },
        ],
        bc_schema.INVENTORY_SETUP: [
            {
                "company": company,
                "primary_key": "",
                "automatic_cost_posting": True,
                "expected_cost_posting_to_g_l": False,
                "average_cost_calc_type": "Item & Location & Variant",
            },
        ],
    }


def seed_company(url: str, company: str, value_entry_count: int = 40, g_l_entry_count: int = 25) -> None:
    """A small company: master data, value entries and G/L entries."""
    execute(url, "insert into bc.company (name) values (%s)", (company,))
    for table, rows in master_data(company).items():
        insert_rows(url, table, rows)
    insert_rows(url, bc_schema.VALUE_ENTRY, value_entries(company, 1, value_entry_count))
    insert_rows(url, bc_schema.G_L_ENTRY, g_l_entries(company, 1, g_l_entry_count))


BLANKS = {bc_schema.TEXT: "''", bc_schema.INT: "0", bc_schema.DEC: "0", bc_schema.BOOL: "false"}


def table_rows(url: str, schema: str, table: bc_schema.Table, company: str) -> list[tuple[Any, ...]]:
    """Every BC column of ``company``'s rows, ordered by key: what raw must equal.

    A NULL reads as the field's BC blank value (BC fields are never NULL; dates keep NULL for 0D).
    """
    types = table.column_types()
    select = [
        sql.SQL("coalesce({}, {})").format(sql.Identifier(c), sql.SQL(BLANKS[types[c]]))
        if types[c] in BLANKS
        else sql.Identifier(c)
        for c in table.column_names
    ]
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute(
            sql.SQL("select {} from {}.{} where company = %s order by {}").format(
                sql.SQL(", ").join(select),
                sql.Identifier(schema),
                sql.Identifier(table.name),
                sql.SQL(", ").join(map(sql.Identifier, table.primary_key)),
            ),
            (company,),
        )
        rows = cur.fetchall()
    conn.close()
    return rows


# -- fixtures shared by tests/landing and tests/sources (imported by their conftest.py) ----------


def _admin(server_url: str, statement: sql.Composable) -> None:
    conn = psycopg2.connect(server_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(statement)
    conn.close()


def _drop(server_url: str, name: str) -> None:
    _admin(server_url, sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def _templates(pg_server_url: str) -> Iterator[dict[str, str]]:
    """Template databases made once per session: the BC layout, a warehouse with raw + landing, and
    an empty one, so each test's databases are quick copies instead of fresh DDL."""
    from costclose.landing.schema import ensure_schema

    names = {kind: f"tpl_{kind}_{uuid.uuid4().hex[:8]}" for kind in ("bc", "wh", "empty")}
    for name in names.values():
        _admin(pg_server_url, sql.SQL("create database {}").format(sql.Identifier(name)))
    create_bc_layout(with_database(pg_server_url, names["bc"]))
    conn = psycopg2.connect(with_database(pg_server_url, names["wh"]))
    ensure_schema(conn)
    conn.close()
    yield names
    for name in names.values():
        _drop(pg_server_url, name)


@pytest.fixture
def clone_database(pg_server_url: str, _templates: dict[str, str]) -> Iterator[Callable[[str], str]]:
    """Factory: ``clone_database("bc" | "wh" | "empty")`` -> URL of a fresh copy; dropped after the test."""
    made: list[str] = []

    def clone(kind: str) -> str:
        name = f"{kind}_{uuid.uuid4().hex[:10]}"
        _admin(
            pg_server_url,
            sql.SQL("create database {} template {}").format(
                sql.Identifier(name), sql.Identifier(_templates[kind])
            ),
        )
        made.append(name)
        return with_database(pg_server_url, name)

    yield clone
    for name in made:
        _drop(pg_server_url, name)


@pytest.fixture
def source_url(clone_database: Callable[[str], str]) -> str:
    """A fresh database with the BC layout (schema ``bc``), no companies yet."""
    return clone_database("bc")


@pytest.fixture
def warehouse_url(clone_database: Callable[[str], str]) -> str:
    """A fresh warehouse database with the raw and landing schemas."""
    return clone_database("wh")


@pytest.fixture(autouse=True)
def _private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """costclose's home (caches such as the bc2adls totals) in a temporary folder, not the repo's."""
    from costclose import config

    monkeypatch.setenv("COSTCLOSE_HOME", str(tmp_path / "costclose-home"))
    config.settings.cache_clear()
    yield
    config.settings.cache_clear()

"""Least-privilege roles against a real warehouse: each step's role does its job and is refused the rest.

The warehouse (conftest.py) was built under the roles: extraction as ``costclose_extract``, dbt as the
transform role's login user. Each test gets its own copy.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import psycopg2
import pytest
from psycopg2 import sql
from security_env import COMPANY, PASSWORDS, PERIOD, RoleWarehouse

from costclose import db


def rows(url: str, query: str) -> list[tuple]:
    with db.connect(url) as conn, conn.cursor() as cur:
        cur.execute(query)
        return list(cur.fetchall())


def refused(
    url: str, statement: str, errors: tuple[type[Exception], ...] = (psycopg2.errors.InsufficientPrivilege,)
) -> None:
    """The statement fails with a permission error (and changes nothing)."""
    with pytest.raises(errors), db.connect(url) as conn, conn.cursor() as cur:
        cur.execute(statement)


def owner(url: str, schema: str, table: str) -> str:
    return rows(
        url,
        "select pg_get_userbyid(c.relowner) from pg_class c join pg_namespace n on n.oid = c.relnamespace "
        f"where n.nspname = '{schema}' and c.relname = '{table}'",
    )[0][0]


MARTS = "marts.fct_inventory_valuation"


def test_bi_reads_marts_and_nothing_else(readonly_warehouse: RoleWarehouse) -> None:
    from costclose.security import step_url

    wh = readonly_warehouse
    expected = rows(wh.url, f"select count(*), sum(ending_value) from {MARTS}")[0]
    assert expected[0] > 100
    login = wh.url_for("bi")
    assert "costclose_bi_login" in login
    # the server login taking the role at connection start (COSTCLOSE_DB_ROLES=on, no BI password)
    set_role_url = step_url("bi", wh.url, env={"COSTCLOSE_DB_ROLES": "on"})
    assert "costclose_bi_login" not in set_role_url
    # the login's transactions are also read-only (a write may fail on that first); the SET ROLE
    # session has no such setting, so there every refusal below is the grants' alone
    assert rows(login, "show default_transaction_read_only") == [("on",)]
    assert rows(set_role_url, "show default_transaction_read_only") == [("off",)]
    for url, write_errors in (
        (login, (psycopg2.errors.InsufficientPrivilege, psycopg2.errors.ReadOnlySqlTransaction)),
        (set_role_url, (psycopg2.errors.InsufficientPrivilege,)),
    ):
        assert rows(url, "select current_user")[0][0] == "costclose_bi"
        assert rows(url, f"select count(*), sum(ending_value) from {MARTS}")[0] == expected
        for query in (
            "select count(*) from raw.value_entry",
            "select count(*) from landing.watermark",
            "select count(*) from intermediate.int_value_entry_postings_resolved",
            "select count(*) from outbound.fct_adjusting_journal_per_posting_group",
            "select count(*) from posting.posted_value_entry",
        ):
            refused(url, query)
        for statement in (
            f"delete from {MARTS}",
            f"update {MARTS} set ending_value = 0",
            f"insert into {MARTS} (company) values ('x')",
            f"truncate {MARTS}",
            f"drop table {MARTS}",
            "create table marts.bi_scratch (a int)",
            "create schema bi_scratch",
            "create temp table bi_scratch (a int)",
            "create table public.bi_scratch (a int)",
        ):
            refused(url, statement, write_errors)
    assert rows(wh.url, f"select count(*), sum(ending_value) from {MARTS}")[0] == expected


def test_extract_role_reloads_raw_and_is_refused_the_rest(role_warehouse: RoleWarehouse) -> None:
    from costclose.landing.loader import load
    from costclose.sources import open_source

    wh = role_warehouse
    before = rows(wh.url, "select count(*), sum(cost_amount_actual) from raw.value_entry")[0]
    report = load(open_source("sql:" + wh.erp_url), COMPANY, full=True, warehouse_url=wh.url_for("extract"))
    assert report.upserted >= before[0] > 0
    assert report.checks and all(c.matches for c in report.checks)
    assert rows(wh.url, "select count(*), sum(cost_amount_actual) from raw.value_entry")[0] == before
    assert owner(wh.url, "raw", "value_entry") == "costclose_extract"
    assert owner(wh.url, "landing", "quarantine") == "costclose_extract"
    url = wh.url_for("extract")
    refused(url, f"select count(*) from {MARTS}")
    refused(url, f"delete from {MARTS}")
    refused(url, "create table marts.x (a int)")
    refused(url, "insert into posting.posted_value_entry (company) values ('x')")
    refused(url, "select count(*) from intermediate.int_value_entry_postings_resolved")


def test_transform_role_rebuilds_marts_that_bi_still_reads(
    role_warehouse: RoleWarehouse, tmp_path: Path
) -> None:
    from costclose.transform import dbt

    wh = role_warehouse
    before = rows(wh.url, f"select count(*), sum(ending_value) from {MARTS}")[0]
    old_oid = rows(wh.url, f"select '{MARTS}'::regclass::oid")[0][0]
    run = dbt.build(
        wh.url_for("transform"), select=["fct_inventory_valuation"], full_refresh=True, target_path=tmp_path
    )
    assert run.success
    # a new table (a full refresh replaces it), owned by the transform role, still readable by BI
    assert rows(wh.url, f"select '{MARTS}'::regclass::oid")[0][0] != old_oid
    assert owner(wh.url, "marts", "fct_inventory_valuation") == "costclose_transform"
    assert rows(wh.url_for("bi"), f"select count(*), sum(ending_value) from {MARTS}")[0] == before
    url = wh.url_for("transform")
    assert rows(url, "select count(*) from raw.value_entry")[0][0] > 0
    refused(url, "delete from raw.value_entry")
    refused(url, "insert into posting.posted_value_entry (company) values ('x')")
    refused(url, "delete from posting.posting_run")
    refused(url, "update landing.watermark set batch_id = 0")


def test_posting_role_posts_once_and_writes_only_its_ledger(
    role_warehouse: RoleWarehouse, tmp_path: Path
) -> None:
    from costclose.period import parse_period
    from costclose.posting.service import post_period
    from costclose.posting.targets import target_for

    wh = role_warehouse
    url = wh.url_for("posting")
    target = target_for("file", out_dir=tmp_path)
    first = post_period(COMPANY, parse_period(PERIOD), target, dry_run=False, warehouse_url=url)
    assert first.status == "posted"
    assert first.debit_total > Decimal(0)
    posted = rows(wh.url, "select count(*), sum(amount_posted) from posting.posted_value_entry")[0]
    assert posted[0] > 0
    assert rows(wh.url, "select status from posting.posting_run")[0][0] == "recorded"
    again = post_period(COMPANY, parse_period(PERIOD), target, dry_run=False, warehouse_url=url)
    assert again.status == "nothing_to_post"
    assert rows(wh.url, "select count(*), sum(amount_posted) from posting.posted_value_entry")[0] == posted
    assert owner(wh.url, "posting", "posted_value_entry") == "costclose_posting"
    assert rows(url, "select count(*) from outbound.fct_adjusting_journal_per_posting_group")[0][0] > 0
    refused(url, "select count(*) from raw.value_entry")
    refused(url, "update raw.value_entry set cost_posted_to_g_l = 0")
    refused(url, f"delete from {MARTS}")
    refused(url, "delete from outbound.fct_adjusting_journal_per_posting_group")


def test_validate_role_snapshots_and_reads_but_writes_only_its_schemas(role_warehouse: RoleWarehouse) -> None:
    from costclose.validation.snapshot import SCHEMA, snapshot

    wh = role_warehouse
    url = wh.url_for("validate")
    query = f"select company, period_start, ending_value from {MARTS} where company = 'CRONUS'"
    with snapshot(url, "roles_test", query) as table:
        assert rows(url, f'select count(*) from {SCHEMA}."{table}"')[0][0] > 0
    assert rows(url, "select count(*) from raw.value_entry")[0][0] > 0
    refused(url, f"delete from {MARTS}")
    refused(url, "delete from raw.value_entry")
    refused(url, "insert into posting.posted_value_entry (company) values ('x')")
    refused(url, "select count(*) from posting.posted_value_entry")


def test_db_connect_with_role_keeps_the_role_after_a_rollback(readonly_warehouse: RoleWarehouse) -> None:
    wh = readonly_warehouse
    with db.connect(wh.url, role="costclose_bi") as conn, conn.cursor() as cur:
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cur.execute("select count(*) from raw.value_entry")
        conn.rollback()
        cur.execute("select current_user, count(*) from marts.fct_inventory_valuation")
        user, count = cur.fetchone()
        assert user == "costclose_bi"
        assert count > 0
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cur.execute(f"delete from {MARTS}")


def test_step_url_without_roles_is_the_warehouse_url() -> None:
    from costclose.security import step_url
    from costclose.security.session import startup_options

    url = "postgresql://postgres@127.0.0.1:5432/wh"
    assert step_url("extract", url, env={}) == url
    assert step_url("extract", url, env={"COSTCLOSE_DB_ROLES": "on"}).endswith(
        "/wh?options=-c%20role%3Dcostclose_extract"
    )
    assert startup_options(step_url("transform", url, env={"COSTCLOSE_DB_ROLES": "on"})) == (
        "-c role=costclose_transform"
    )
    assert startup_options(url) is None
    conn = '{"conn_type": "postgres", "login": "etl", "password": "p@ss:w/rd", "host": "h", "port": 1}'
    with_login = step_url("extract", url, env={"AIRFLOW_CONN_COSTCLOSE_EXTRACT": conn})
    assert with_login == "postgresql://etl:p%40ss%3Aw%2Frd@127.0.0.1:5432/wh"
    with pytest.raises(ValueError, match="unknown step"):
        step_url("admin", url, env={})


def test_login_repr_hides_the_password() -> None:
    from costclose.security import login_for

    login = login_for("bi", {"COSTCLOSE_BI_PASSWORD": PASSWORDS["COSTCLOSE_BI_PASSWORD"]})
    assert login is not None
    assert login.user == "costclose_bi_login"
    assert PASSWORDS["COSTCLOSE_BI_PASSWORD"] not in repr(login)


PRIVILEGES_SQL = """
select 'relation', n.nspname || '.' || c.relname, pg_get_userbyid(c.relowner), coalesce(c.relacl::text, '')
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where n.nspname in ('raw', 'landing', 'staging', 'intermediate', 'marts', 'outbound', 'seeds', 'posting',
                    'validation', 'validation_work', 'public') and c.relkind in ('r', 'v', 'S')
union all
select 'schema', nspname, pg_get_userbyid(nspowner), coalesce(nspacl::text, '') from pg_namespace
union all
select 'default', pg_get_userbyid(defaclrole) || ' ' || coalesce(defaclnamespace::regnamespace::text, ''),
       defaclobjtype::text, defaclacl::text
from pg_default_acl
union all
select 'database', datname, pg_get_userbyid(datdba), coalesce(datacl::text, '')
from pg_database where datname = current_database()
union all
select 'role', rolname, rolcanlogin::text, coalesce(array_to_string(s.setconfig, ','), '')
from pg_roles r left join pg_db_role_setting s
    on s.setrole = r.oid and s.setdatabase = (select oid from pg_database where datname = current_database())
where rolname like 'costclose%%'
order by 1, 2, 3
"""


def test_db_roles_command_twice_changes_nothing_and_prints_no_secret(
    role_warehouse: RoleWarehouse, pg_server_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from costclose import config
    from costclose.cli import app

    wh = role_warehouse
    monkeypatch.setenv("COSTCLOSE_DATABASE_URL", pg_server_url)
    monkeypatch.setenv("COSTCLOSE_WAREHOUSE_DB", wh.name)
    for var, value in wh.env.items():
        monkeypatch.setenv(var, value)
    config.settings.cache_clear()
    runner = CliRunner()
    try:
        first = runner.invoke(app, ["db", "roles"], env={"COLUMNS": "200"})
        assert first.exit_code == 0, first.output
        before = rows(wh.url, PRIVILEGES_SQL)
        second = runner.invoke(app, ["db", "roles"], env={"COLUMNS": "200"})
        assert second.exit_code == 0, second.output
        assert rows(wh.url, PRIVILEGES_SQL) == before
        grant = runner.invoke(app, ["bi", "grant"], env={"COLUMNS": "200"})
        assert grant.exit_code == 0, grant.output
        assert rows(wh.url, PRIVILEGES_SQL) == before
    finally:
        config.settings.cache_clear()
    for role in ("costclose_extract", "costclose_transform", "costclose_posting", "costclose_validate"):
        assert role in first.output
    assert "costclose_bi_login" in grant.output
    assert "costclose_transform_login" in second.output
    for password in PASSWORDS.values():
        assert password not in first.output + second.output + grant.output
    # the stored password is a SCRAM verifier, and the login works with the clear one
    stored = rows(wh.url, "select rolpassword from pg_authid where rolname = 'costclose_bi_login'")[0][0]
    assert stored.startswith("SCRAM-SHA-256$")
    assert rows(wh.url_for("bi"), "select session_user, current_user")[0] == (
        "costclose_bi_login",
        "costclose_bi",
    )
    assert rows(wh.url_for("bi"), "show default_transaction_read_only") == [("on",)]


def test_tables_created_later_in_marts_are_readable_by_bi_whoever_creates_them(
    role_warehouse: RoleWarehouse,
) -> None:
    """DEFAULT PRIVILEGES for the transform role and for the server login (steps not yet under roles)."""
    wh = role_warehouse
    with db.connect(wh.url) as conn, conn.cursor() as cur:
        cur.execute("create table marts.made_by_admin as select 1 as n")
    with db.connect(wh.url, role="costclose_transform") as conn, conn.cursor() as cur:
        cur.execute("create table marts.made_by_transform as select 2 as n")
        cur.execute("create table staging.not_for_bi as select 3 as n")
    bi = wh.url_for("bi")
    assert rows(bi, "select n from marts.made_by_admin") == [(1,)]
    assert rows(bi, "select n from marts.made_by_transform") == [(2,)]
    refused(bi, "select n from staging.not_for_bi")
    refused(wh.url_for("posting"), "select n from marts.made_by_transform")
    assert rows(wh.url_for("validate"), "select n from marts.made_by_transform") == [(2,)]


def test_a_login_named_like_an_admin_role_is_refused(role_warehouse: RoleWarehouse) -> None:
    from costclose.errors import DatabaseError
    from costclose.security import apply_roles

    wh = role_warehouse
    admin = f"sec_admin_{wh.name[-8:]}"
    with db.connect(wh.url, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(f'create role "{admin}" superuser')
    try:
        env = {"COSTCLOSE_BI_PASSWORD": "x-Secret", "COSTCLOSE_BI_USER": admin}
        with pytest.raises(DatabaseError, match="administrator role"):
            apply_roles(wh.url, ["bi"], env=env)
        assert rows(wh.url, f"select rolsuper from pg_roles where rolname = '{admin}'") == [(True,)]
    finally:
        with db.connect(wh.url, autocommit=True) as conn, conn.cursor() as cur:
            cur.execute(f'drop role "{admin}"')


def test_a_hostile_login_name_is_an_identifier_not_sql(role_warehouse: RoleWarehouse) -> None:
    from costclose.security import apply_roles, step_url

    wh = role_warehouse
    hostile = "bi\"; drop role costclose_extract; --'"
    env = {"COSTCLOSE_BI_PASSWORD": "h-Secret-'; select 1; --", "COSTCLOSE_BI_USER": hostile}
    try:
        report = apply_roles(wh.url, ["bi"], env=env)
        assert report.logins == {"bi": hostile}
        assert rows(wh.url, "select count(*) from pg_roles where rolname = 'costclose_extract'") == [(1,)]
        url = step_url("bi", wh.url, env=env)
        assert rows(url, "select session_user, current_user") == [(hostile, "costclose_bi")]
        assert rows(url, f"select count(*) from {MARTS}")[0][0] > 0
    finally:
        with db.connect(wh.url, autocommit=True) as conn, conn.cursor() as cur:
            cur.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(hostile)))

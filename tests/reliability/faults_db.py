"""Database helpers of the reliability tests: scratch databases, fingerprints, source totals.

A fingerprint is, per relation, ``(row count, md5 of the sorted rows as JSON)``: two warehouses with
equal fingerprints hold the same rows. Load metadata (batch id, load time) is left out of raw's, since a
rerun after a crash legitimately lands rows in other batches.
"""

from __future__ import annotations

from decimal import Decimal

import psycopg2
from psycopg2 import sql

from costclose import bc_schema
from costclose.db import with_database

COMPANY = "CRONUS"
PERIOD = "2026-02"
# The dbt schemas whose relations a rerun must rebuild exactly as a clean run did.
BUILT_SCHEMAS = ("intermediate", "marts")

Fingerprint = dict[str, tuple[int, str]]


class Templates:
    """Names of the template databases and the clean run's fingerprints."""

    def __init__(self, server: str, erp: str, wh_loaded: str, wh_built: str) -> None:
        self.server = server
        self.erp = erp
        self.wh_loaded = wh_loaded
        self.wh_built = wh_built
        self.raw: Fingerprint = {}
        self.marts: Fingerprint = {}
        self.created: list[str] = []  # scenario databases, dropped with the templates


class Scenario:
    """Copies of the templates for one scenario: the ERP and warehouse URLs to work on."""

    def __init__(self, templates: Templates, erp_url: str, warehouse_url: str) -> None:
        self.templates = templates
        self.erp_url = erp_url
        self.warehouse_url = warehouse_url


def create_database(server: str, name: str, template: str | None = None) -> str:
    conn = psycopg2.connect(server)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            stmt = sql.SQL("create database {}").format(sql.Identifier(name))
            if template:
                stmt = sql.SQL("{} template {}").format(stmt, sql.Identifier(template))
            cur.execute(stmt)
    finally:
        conn.close()
    return with_database(server, name)


def drop_databases(server: str, names: list[str]) -> None:
    conn = psycopg2.connect(server)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            for name in names:
                cur.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
    finally:
        conn.close()


def _relation_fingerprint(
    cur: psycopg2.extensions.cursor, schema: str, name: str, where: sql.Composable, drop: list[str]
) -> tuple[int, str]:
    row = sql.SQL("to_jsonb(t)")
    for column in drop:
        row = sql.SQL("({} - {})").format(row, sql.Literal(column))
    cur.execute(
        sql.SQL(
            "select count(*), coalesce(md5(string_agg(j::text, '|' order by j::text)), '') "
            "from (select {} as j from {}.{} as t {}) as s"
        ).format(row, sql.Identifier(schema), sql.Identifier(name), where),
    )
    count, digest = cur.fetchone()
    return int(count), str(digest)


def raw_fingerprint(warehouse_url: str, company: str) -> Fingerprint:
    """The company's rows in every raw table, load metadata left out."""
    out: Fingerprint = {}
    with psycopg2.connect(warehouse_url) as conn, conn.cursor() as cur:
        for table in bc_schema.RAW_TABLES:
            where = sql.SQL("where t.company = {}").format(sql.Literal(company))
            out[table.name] = _relation_fingerprint(
                cur, "raw", table.name, where, ["_batch_id", "_loaded_at", "_source_version"]
            )
    conn.close()
    return out


def marts_fingerprint(warehouse_url: str) -> Fingerprint:
    """Every table and view dbt built in the intermediate and marts schemas."""
    out: Fingerprint = {}
    with psycopg2.connect(warehouse_url) as conn, conn.cursor() as cur:
        cur.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema = any(%s) order by 1, 2",
            (list(BUILT_SCHEMAS),),
        )
        for schema, name in cur.fetchall():
            out[f"{schema}.{name}"] = _relation_fingerprint(cur, schema, name, sql.SQL(""), [])
    conn.close()
    return out


def fingerprint_diff(expected: Fingerprint, actual: Fingerprint) -> list[str]:
    """Relations whose rows differ (or exist on one side only), for an assertion message."""
    names = sorted(set(expected) | set(actual))
    return [n for n in names if expected.get(n) != actual.get(n)]


def source_totals(erp_url: str, company: str) -> dict[str, Decimal]:
    """Row counts and amount sums of the company in the demo ERP (the source), flat."""
    from costclose.sources import open_source

    totals = open_source("sql:" + erp_url).totals(company)
    flat = {f"rows:{t}": Decimal(n) for t, n in totals["row_counts"].items()}
    flat.update({k: Decimal(v) for k, v in totals.items() if k != "row_counts"})
    return flat


def warehouse_totals(warehouse_url: str, company: str) -> dict[str, Decimal]:
    """The same figures measured in raw."""
    from costclose.landing.control import raw_totals

    conn = psycopg2.connect(warehouse_url)
    try:
        totals = raw_totals(conn, company, bc_schema.RAW_TABLES)
    finally:
        conn.close()
    flat = {f"rows:{t}": Decimal(n) for t, n in totals["row_counts"].items()}
    flat.update({k: Decimal(v) for k, v in totals.items() if k != "row_counts"})
    return flat


def backend_pids(url: str, application_name: str) -> list[int]:
    """PIDs of the server backends a client named ``application_name`` holds on ``url``'s database."""
    conn = psycopg2.connect(url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(
                "select pid from pg_stat_activity where datname = current_database() "
                "and application_name = %s",
                (application_name,),
            )
            return [int(r[0]) for r in cur.fetchall()]
    finally:
        conn.close()


def erp_costclose_gl(erp_url: str, company: str) -> list[tuple[str, str, str, Decimal]]:
    """The G/L entries costclose's journals created in the ERP: (document, date, account, amount), sorted."""
    with psycopg2.connect(erp_url) as conn, conn.cursor() as cur:
        cur.execute(
            "select document_no, posting_date::text, g_l_account_no, amount from bc.g_l_entry "
            "where company = %s and journal_batch_name = 'COSTCLOSE' "
            "order by document_no, posting_date, g_l_account_no, amount",
            (company,),
        )
        rows = [(d, p, a, Decimal(m)) for d, p, a, m in cur.fetchall()]
    conn.close()
    return rows

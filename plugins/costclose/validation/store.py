"""The warehouse's ``validation`` schema: every run's result, stored before any email is attempted.

``validation.result`` holds one row per run (the whole result as JSON, and where its Data Docs page
and alert email went); ``validation.check_result`` one row per expectation, for BI and audits.
"""

from __future__ import annotations

import json
import logging

import psycopg2.extensions
from psycopg2 import sql
from psycopg2.extras import Json

from costclose.validation.model import ValidationResult, jsonable

log = logging.getLogger(__name__)

DDL = """
create schema if not exists validation;
create table if not exists validation.result (
    run_id text primary key,
    company text not null,
    period text not null,
    stage text not null,
    success boolean not null,
    tolerance numeric not null,
    failed_checks text[] not null,
    started_at timestamptz not null,
    finished_at timestamptz not null,
    airflow_run_url text,
    data_docs_path text,
    alert_status text not null default 'pending',
    alert_detail text,
    result jsonb not null
);
create index if not exists result_company_period on validation.result (company, period, finished_at);
create table if not exists validation.check_result (
    run_id text not null references validation.result (run_id) on delete cascade,
    check_key text not null,
    suite text not null,
    success boolean not null,
    unexpected_count bigint,
    error text,
    primary key (run_id, check_key)
);
"""


def ensure_schema(conn: psycopg2.extensions.connection) -> None:
    with conn.cursor() as cur:
        cur.execute("select pg_advisory_xact_lock(hashtext('costclose.validation.ddl'))")
        cur.execute(DDL)


def save(conn: psycopg2.extensions.connection, result: ValidationResult) -> None:
    """Insert the run and its checks (the caller commits)."""
    ensure_schema(conn)
    with conn.cursor() as cur:
        cur.execute(
            """
            insert into validation.result (
                run_id, company, period, stage, success, tolerance, failed_checks, started_at,
                finished_at, airflow_run_url, data_docs_path, result
            ) values (%s, %s, %s, %s, %s, %s::numeric, %s, %s, %s, %s, %s, %s)
            """,
            (
                result.run_id,
                result.company,
                result.period,
                result.stage,
                result.success,
                result.tolerance,
                [c.key for c in result.failures],
                result.started_at,
                result.finished_at,
                result.airflow_run_url,
                result.data_docs_path,
                Json(json.loads(result.as_json())),
            ),
        )
        for c in result.checks:
            cur.execute(
                """
                insert into validation.check_result
                    (run_id, check_key, suite, success, unexpected_count, error)
                values (%s, %s, %s, %s, %s, %s)
                """,
                (result.run_id, c.key, c.suite, c.success, c.unexpected_count, c.error),
            )


def set_data_docs(conn: psycopg2.extensions.connection, run_id: str, path: str) -> None:
    with conn.cursor() as cur:
        cur.execute("update validation.result set data_docs_path = %s where run_id = %s", (path, run_id))


def set_alert_status(
    conn: psycopg2.extensions.connection, run_id: str, status: str, detail: str | None
) -> None:
    """``status``: 'sent', 'not_needed', 'not_requested', 'no_recipients' or 'failed' (detail says why)."""
    with conn.cursor() as cur:
        cur.execute(
            "update validation.result set alert_status = %s, alert_detail = %s where run_id = %s",
            (status, detail, run_id),
        )


def history(conn: psycopg2.extensions.connection, company: str | None = None, limit: int = 500) -> list[dict]:
    """The latest runs (newest first), for the Data Docs index."""
    ensure_schema(conn)
    query = sql.SQL(
        "select run_id, company, period, stage, success, finished_at, data_docs_path, alert_status "
        "from validation.result {} order by finished_at desc limit %s"
    ).format(sql.SQL("where company = %s") if company is not None else sql.SQL(""))
    params: tuple = (company, limit) if company is not None else (limit,)
    with conn.cursor() as cur:
        cur.execute(query, params)
        names = [d.name for d in cur.description]
        return [jsonable(dict(zip(names, row, strict=True))) for row in cur.fetchall()]

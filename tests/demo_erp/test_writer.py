"""The background writer runs jobs in order on its connection and hands a job's failure back."""

from __future__ import annotations

from collections.abc import Callable

import psycopg2
import pytest
from psycopg2.extensions import connection

from costclose.demo_erp.writer import BackgroundWriter


def test_jobs_run_in_order_and_failures_surface(server_conn: connection) -> None:
    with server_conn.cursor() as cur:
        cur.execute("create temp table bc_order_probe (n int)")
    server_conn.commit()

    def insert(n: int) -> Callable[[connection], None]:
        def job(conn: connection) -> None:
            with conn.cursor() as cur:
                cur.execute("insert into bc_order_probe values (%s)", (n,))

        return job

    writer = BackgroundWriter(server_conn, max_pending=1)
    for n in range(20):
        writer.submit(insert(n))
    writer.submit(lambda conn: conn.commit())
    writer.close()
    with server_conn.cursor() as cur:
        cur.execute("select array_agg(n order by ctid) from bc_order_probe")
        assert cur.fetchone()[0] == list(range(20))

    failing = BackgroundWriter(server_conn)
    failing.submit(lambda conn: conn.cursor().execute("select * from no_such_table"))
    with pytest.raises(psycopg2.errors.UndefinedTable, match="no_such_table"):
        failing.close()

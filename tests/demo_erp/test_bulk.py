"""COPY keeps every value exactly: blank vs NULL, awkward text, money, booleans, dates."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from psycopg2.extensions import connection

from costclose.demo_erp.bulk import copy_rows


def test_copy_round_trips_values(server_conn: connection) -> None:
    rows = [
        (1, "", None, Decimal("-0.01"), True, date(2025, 1, 31), 'tab\there, "quoted", new\nline \\ slash'),
        (2, "x", date(2024, 2, 29), Decimal("12345678901234.56789"), False, None, "plain"),
    ]
    with server_conn.cursor() as cur:
        cur.execute(
            "create temp table t "
            "(n bigint, code text, d date, amount numeric, flag boolean, d2 date, note text)"
        )
        assert copy_rows(cur, "pg_temp", "t", ["n", "code", "d", "amount", "flag", "d2", "note"], rows) == 2
        cur.execute("select n, code, d, amount, flag, d2, note from t order by n")
        assert cur.fetchall() == rows

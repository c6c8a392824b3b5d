"""Bulk writes with COPY: rows of Python values -> CSV (written by the C ``csv`` module) -> ``copy_expert``.

``QUOTE_NONNUMERIC`` quotes every non-number: numbers (``int``, ``bool``, ``Decimal``) are written
bare; text, dates and UUIDs quoted. Python 3.11's writer also writes ``None`` as a quoted empty string,
so every column that is not text is listed in COPY's ``force_null``: there an empty value is NULL.
Text columns never receive ``None`` from this package (BC's blank is ``''``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from psycopg2 import sql
from psycopg2.extensions import cursor


def copy_rows(
    cur: cursor, schema: str, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """COPY ``rows`` into ``schema.table(columns)``; returns the number of rows written."""
    buf = io.StringIO()
    writer = csv.writer(buf, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n")
    n = 0
    for row in rows:
        writer.writerow(row)
        n += 1
    if n == 0:
        return 0
    buf.seek(0)
    target = sql.Identifier(schema, table)
    cur.execute(
        sql.SQL(
            "select attname from pg_attribute where attrelid = {}::regclass and attnum > 0 "
            "and not attisdropped and atttypid <> 'text'::regtype"
        ).format(sql.Literal(target.as_string(cur)))
    )
    typed = {r[0] for r in cur.fetchall()}
    nullable = [c for c in columns if c in typed]
    options = sql.SQL("format csv")
    if nullable:
        options += sql.SQL(", force_null ({})").format(sql.SQL(", ").join(map(sql.Identifier, nullable)))
    statement = sql.SQL("copy {} ({}) from stdin with ({})").format(
        target, sql.SQL(", ").join(map(sql.Identifier, columns)), options
    )
    cur.copy_expert(statement.as_string(cur), buf)
    return n

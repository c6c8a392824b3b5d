"""Bulk writes with COPY: rows of Python values -> PostgreSQL text format -> ``copy_expert``."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from psycopg2 import sql
from psycopg2.extensions import cursor

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _escaped(value: str) -> str:
    return value.translate(_ESCAPES)


def _sequence(value: list[Any] | tuple[Any, ...]) -> str:
    return "{" + ",".join(str(v) for v in value) + "}"


# Exact type -> text; one dict lookup per value keeps COPY preparation cheap at millions of rows.
_FORMATTERS: dict[type, Callable[[Any], str]] = {
    str: _escaped,
    Decimal: str,
    int: str,
    UUID: str,
    bool: lambda v: "t" if v else "f",
    date: date.isoformat,
    datetime: datetime.isoformat,
    type(None): lambda _: "\\N",
    list: _sequence,
    tuple: _sequence,
}


def _text(value: Any) -> str:
    formatter = _FORMATTERS.get(type(value))
    return formatter(value) if formatter is not None else _escaped(str(value))


def copy_rows(
    cur: cursor, schema: str, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """COPY ``rows`` into ``schema.table(columns)``; returns the number of rows written."""
    buf = io.StringIO()
    n = 0
    write = buf.write
    for row in rows:
        write("\t".join(map(_text, row)))
        write("\n")
        n += 1
    if n == 0:
        return 0
    buf.seek(0)
    statement = sql.SQL("copy {} ({}) from stdin").format(
        sql.Identifier(schema, table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    cur.copy_expert(statement.as_string(cur), buf)
    return n

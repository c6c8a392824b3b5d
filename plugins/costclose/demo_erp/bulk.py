"""Bulk writes with COPY: rows of Python values -> CSV (written by the C ``csv`` module) -> ``copy_expert``.

``QUOTE_NONNUMERIC`` quotes every non-number: numbers (``int``, ``bool``, ``Decimal``) are written
bare; text, dates and UUIDs quoted. Python 3.11's writer also writes ``None`` as a quoted empty string,
so every column that is not text is listed in COPY's ``force_null``: there an empty value is NULL.
Text columns never receive ``None`` from this package (BC's blank is ``''``).

``copy_rows`` renders its rows into memory; ``spool_rows`` renders them into an anonymous temporary
file instead, which ``copy_file`` streams to the server in small reads, so rows waiting to be written
(the seeder's batches in flight) hold disk, not memory.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Sequence
from typing import IO, Any

from psycopg2 import sql
from psycopg2.extensions import cursor

# copy_expert's read size: the temporary file reaches the server in pieces of this many characters.
COPY_READ_SIZE = 1 << 16


def _render(rows: Iterable[Sequence[Any]], out: IO[str]) -> int:
    writer = csv.writer(out, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n")
    n = 0
    for row in rows:
        writer.writerow(row)
        n += 1
    out.seek(0)
    return n


def spool_rows(rows: Iterable[Sequence[Any]]) -> tuple[IO[str], int]:
    """Render ``rows`` as COPY CSV into an anonymous temporary file (deleted when closed); returns it,
    rewound, and the number of rows. The caller closes it (``copy_file`` does not)."""
    out = tempfile.TemporaryFile(mode="w+", encoding="utf-8", newline="")  # noqa: SIM115 - handed over
    try:
        return out, _render(rows, out)
    except BaseException:
        out.close()
        raise


class CsvSpool:
    """An anonymous temporary file that rows are appended to as COPY CSV, batch after batch."""

    def __init__(self) -> None:
        self.file: IO[str] = tempfile.TemporaryFile(mode="w+", encoding="utf-8", newline="")  # noqa: SIM115
        self._writer = csv.writer(self.file, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n")
        self.rows = 0

    def write(self, rows: Iterable[Sequence[Any]]) -> None:
        for row in rows:
            self._writer.writerow(row)
            self.rows += 1

    def rewind(self) -> tuple[IO[str], int]:
        """The file, rewound for ``copy_file``, and its number of rows; no more rows after this."""
        self.file.seek(0)
        return self.file, self.rows


def copy_file(cur: cursor, schema: str, table: str, columns: Sequence[str], data: IO[str]) -> None:
    """COPY CSV rendered by ``spool_rows`` (or ``copy_rows``) into ``schema.table(columns)``."""
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
    cur.copy_expert(statement.as_string(cur), data, size=COPY_READ_SIZE)


def copy_rows(
    cur: cursor, schema: str, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """COPY ``rows`` into ``schema.table(columns)``; returns the number of rows written."""
    buf = io.StringIO()
    n = _render(rows, buf)
    if n:
        copy_file(cur, schema, table, columns, buf)
    return n

"""SQL text for Great Expectations, rendered by psycopg2 so values are quoted, never pasted in.

GX takes queries as strings: ``add_query_asset(query=...)`` and ``UnexpectedRowsExpectation``'s
``unexpected_rows_query``, in which ``{batch}`` stands for the batch and every other brace must be
doubled. Queries are composed with ``psycopg2.sql`` (``Identifier``, ``Literal``), rendered with
``as_string`` on a live connection, then braces in the rendered text (a company named ``{x}``) are
escaped before the ``{batch}`` placeholder is put in.
"""

from __future__ import annotations

import psycopg2.extensions
from psycopg2 import sql

_BATCH_SENTINEL = "__costclose_gx_batch__"
# Use BATCH inside a composed query where GX's ``{batch}`` placeholder belongs.
BATCH = sql.SQL(_BATCH_SENTINEL)


def render(conn: psycopg2.extensions.connection, query: sql.Composable) -> str:
    """The query as text, for a GX query asset (no placeholder allowed)."""
    text = query.as_string(conn)
    if _BATCH_SENTINEL in text:
        raise ValueError("BATCH is only for unexpected-rows queries")
    return text


def render_unexpected_rows(conn: psycopg2.extensions.connection, query: sql.Composable) -> str:
    """The query as text for ``UnexpectedRowsExpectation``: braces escaped, ``{batch}`` substituted."""
    text = query.as_string(conn).replace("{", "{{").replace("}", "}}")
    return text.replace(_BATCH_SENTINEL, "{batch}")

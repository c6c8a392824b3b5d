"""Each suite validates a snapshot of its rows, not the live query.

A suite's asset is "the company's value entries posted in the period": a filter over a ledger that
can hold millions of rows. GX runs several queries per expectation over its batch, so a live query
asset would scan the whole ledger dozens of times per run. The runner copies the batch once into an
unlogged table of the ``validation_work`` schema, analyzes it, validates that, and drops it. Every
check of a suite therefore also sees the same rows, even while a load is running.

GX reads the snapshot as a *table* asset, not as a query asset over it: to learn a query asset's
columns GX 1.24 executes the query without a limit and fetches every row
(``great_expectations.expectations.metrics.util.column_reflection_fallback``), which at 10 million value
entries held the period's ~550,000 snapshot rows in the worker's memory (907 MiB peak RSS); a table
asset's columns come from the catalog.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from psycopg2 import sql

from costclose import db

log = logging.getLogger(__name__)

SCHEMA = "validation_work"


@contextmanager
def snapshot(warehouse_url: str, suite_name: str, asset_query: str) -> Iterator[str]:
    """Materialize ``asset_query`` in a table of ``SCHEMA``; yield its name; drop it afterwards."""
    name = f"b{uuid.uuid4().hex[:12]}_{suite_name}"[:63]
    table = sql.Identifier(SCHEMA, name)
    with db.connect(warehouse_url) as conn, conn.cursor() as cur:
        cur.execute("select pg_advisory_xact_lock(hashtext('costclose.validation_work'))")
        cur.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(SCHEMA)))
        # asset_query is the suite's own SQL, rendered by psycopg2 (costclose.validation.sqltext)
        cur.execute(sql.SQL("create unlogged table {} as {}").format(table, sql.SQL(asset_query)))
        cur.execute(sql.SQL("analyze {}").format(table))
    try:
        yield name
    finally:
        with db.connect(warehouse_url) as conn, conn.cursor() as cur:
            cur.execute(sql.SQL("drop table if exists {}").format(table))

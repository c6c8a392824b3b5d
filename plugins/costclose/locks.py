"""PostgreSQL advisory locks that let one close of a company run at a time.

``close_lock(company, period)`` holds a session-level advisory lock in the warehouse for the whole
close of a company (extract -> dbt -> gates -> post -> re-extract -> outputs). A second close of the
same company stops at once with a message naming the close that holds the lock (its period, server
process and start time), or, with ``wait_seconds``, waits that long for it first. The lock is per
company, not per period: a close posts everything unposted up to its period end, so two periods of
one company overlap. The lock lives on its own connection and is released when the block ends or
when the process dies (the server drops a dead client's session locks).

The posting itself takes its own, blocking per-company lock (``costclose.posting.service``) and the
loader a per-company try-lock (``costclose.landing.loader``), so posting and loading stay safe even
for callers that take no close lock.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg2
import psycopg2.extensions

from costclose import db
from costclose.errors import CostcloseError

log = logging.getLogger(__name__)

POLL_SECONDS = 0.25

HOLDER_SQL = """
with k as (select hashtextextended(%(name)s, 0) as k)
select a.pid, a.application_name, a.backend_start
from pg_locks as l
join pg_stat_activity as a on a.pid = l.pid
cross join k
where l.locktype = 'advisory' and l.granted and l.database = (
    select oid from pg_database where datname = current_database()
)
    and l.classid::bigint = (k.k >> 32) & 4294967295
    and l.objid::bigint = k.k & 4294967295
    and l.objsubid = 1
"""


class CloseRunningError(CostcloseError):
    """Another close of the same company holds the close lock."""


def close_lock_name(company: str) -> str:
    return f"costclose.close:{company}"


def _holder(conn: psycopg2.extensions.connection, name: str) -> str:
    with conn.cursor() as cur:
        cur.execute(HOLDER_SQL, {"name": name})
        row = cur.fetchone()
    if row is None:
        return "a process that has just finished"
    pid, app, started = row
    return f"{app or 'an unnamed client'} (server process {pid}, connected at {started:%Y-%m-%d %H:%M:%S %Z})"


@contextmanager
def close_lock(
    company: str, period: str, *, wait_seconds: float = 0.0, warehouse_url: str | None = None
) -> Iterator[None]:
    """Hold the close lock of ``company`` for the block; raise ``CloseRunningError`` when it is taken.

    ``period`` names this close in the lock holder's ``application_name`` (what a second close reports).
    """
    url = warehouse_url or db.database_url("warehouse")
    name = close_lock_name(company)
    conn = psycopg2.connect(url, application_name=f"costclose close {company} {period}"[:63])
    conn.autocommit = True
    try:
        deadline = time.monotonic() + wait_seconds
        with conn.cursor() as cur:
            while True:
                cur.execute("select pg_try_advisory_lock(hashtextextended(%s, 0))", (name,))
                if cur.fetchone()[0]:
                    break
                if time.monotonic() >= deadline:
                    waited = f" after waiting {wait_seconds:g} s" if wait_seconds else ""
                    raise CloseRunningError(
                        f"Another close of company {company!r} is running{waited}: {_holder(conn, name)}. "
                        f"Wait for it to finish, then run the close of {period} again: it resumes from "
                        "what the other close loaded and posted, and posts nothing twice."
                    )
                time.sleep(POLL_SECONDS)
        log.info("close lock of %s taken for %s", company, period)
        yield
    finally:
        conn.close()  # ends the session: the lock goes with it

"""A background writer: database jobs run in order on one thread while the engine simulates on.

The simulator's time is split between Python (the costing engine) and PostgreSQL (COPY, G/L posting).
Handing each month's database work to one worker thread lets the two overlap: psycopg2 releases the
GIL while the server works. Jobs run strictly in submission order on the one connection, which only
the worker touches until ``close``; at most ``max_pending`` jobs wait, which bounds the memory of
rows in flight. A job's exception stops the worker and is raised again by the next ``submit`` or by
``close``.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

from psycopg2.extensions import connection

log = logging.getLogger(__name__)

Job = Callable[[connection], None]


class BackgroundWriter:
    """Run ``job(conn)`` calls in order on a worker thread; see the module docstring."""

    def __init__(self, conn: connection, *, max_pending: int = 2) -> None:
        self._conn = conn
        self._jobs: queue.Queue[Job | None] = queue.Queue(maxsize=max_pending)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._work, name="demo-erp-writer", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            if self._error is not None:
                continue  # drain without running: the run has already failed
            try:
                job(self._conn)
            except BaseException as exc:
                log.exception("demo ERP writer job failed")
                self._error = exc

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def submit(self, job: Job) -> None:
        self._raise()
        self._jobs.put(job)

    def close(self) -> None:
        """Wait for every submitted job; raise the first job error, if any."""
        self._jobs.put(None)
        self._thread.join()
        self._raise()

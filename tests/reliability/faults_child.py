"""A costclose step in a child process that SIGKILLs itself at a chosen point (fault injection).

``python faults_child.py MODE '<json args>'``; the product code is unchanged: the kill points are set
by wrapping the product's own functions in this process only.

* ``extract``: ``costclose.landing.loader.load`` from the ``sql:`` source with a small batch size.
  ``kill_batch = k``: killed inside the k-th batch's transaction, after its rows were written to raw
  and before the commit (``kill_phase = "upsert"``) or after its quarantine/watermark writes began
  (``"quarantine"``). ``kill_after = s``: killed by a timer after s seconds, wherever it is.
* ``dbt``: ``costclose.transform.dbt.build`` (models and tests); the parent reads dbt's progress lines
  on stdout and kills this process at a chosen node.
* ``post``: ``costclose.posting.service.post_period`` to the demo ERP. ``kill_statement = n``: killed
  right after the n-th SQL statement of the whole posting (warehouse and ERP connections alike), i.e.
  inside whichever transaction is open then. ``kill_at = "target_before_commit"``: the ERP has written
  the G/L entries, its transaction is not committed. ``kill_at = "after_target_commit"``: the ERP
  committed, the project's ledger does not know it yet. Prints ``STATEMENTS n`` when it finishes.
* ``close``: ``costclose close`` 's chain (``close_cli.run_close``, a dry run) under
  ``costclose.locks.close_lock``; prints ``LOCKED`` once it holds the lock. Settings come from the
  ``COSTCLOSE_*`` environment.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from typing import Any

# SQL statements executed so far by the posting (warehouse and ERP connections together).
STATEMENTS = [0]


def _die() -> None:
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def _extract(args: dict[str, Any]) -> None:
    from costclose.landing import loader
    from costclose.sources import open_source

    kill_batch = args.get("kill_batch")
    phase = args.get("kill_phase", "upsert")
    seen = {"batches": 0}
    real_upsert, real_quarantine = loader._upsert_rows, loader._quarantine

    def upsert(*a: Any, **k: Any) -> tuple[int, int]:
        seen["batches"] += 1
        n = real_upsert(*a, **k)
        if phase == "upsert" and seen["batches"] == kill_batch:
            _die()
        return n

    def quarantine(*a: Any, **k: Any) -> int:
        n = real_quarantine(*a, **k)
        if phase == "quarantine" and seen["batches"] == kill_batch:
            _die()
        return n

    loader._upsert_rows = upsert
    loader._quarantine = quarantine
    if args.get("kill_after") is not None:
        threading.Timer(float(args["kill_after"]), _die).start()
    source = open_source("sql:" + args["erp_url"], batch_size=int(args["batch_size"]))
    report = loader.load(source, args["company"], warehouse_url=args["warehouse_url"])
    print(f"LOADED {report.upserted} BATCHES {sum(t.batches for t in report.tables.values())}", flush=True)
    os._exit(0)  # a kill timer may still be pending


def _dbt(args: dict[str, Any]) -> None:
    from pathlib import Path

    from costclose.transform import dbt

    dbt.build(args["warehouse_url"], target_path=Path(args["target_path"]))
    print("BUILT", flush=True)


def _post(args: dict[str, Any]) -> None:
    import psycopg2
    import psycopg2.extensions

    from costclose.demo_erp import journal
    from costclose.period import parse_period
    from costclose.posting.service import post_period
    from costclose.posting.targets import ErpTarget

    kill_statement = args.get("kill_statement")
    kill_at = args.get("kill_at")

    class CountingCursor(psycopg2.extensions.cursor):
        def execute(self, query: Any, params: Any = None) -> None:
            super().execute(query, params)
            STATEMENTS[0] += 1
            if kill_statement == STATEMENTS[0]:
                _die()

    real_connect = psycopg2.connect

    def connect(*a: Any, **k: Any) -> psycopg2.extensions.connection:
        k.setdefault("cursor_factory", CountingCursor)
        return real_connect(*a, **k)

    psycopg2.connect = connect
    real_write = journal._write

    def write(*a: Any, **k: Any) -> Any:
        result = real_write(*a, **k)
        if kill_at == "target_before_commit":
            _die()
        return result

    journal._write = write

    def hook(point: str) -> None:
        if point == kill_at:
            _die()

    summary = post_period(
        args["company"],
        parse_period(args["period"]),
        ErpTarget(args["erp_url"]),
        dry_run=False,
        warehouse_url=args["warehouse_url"],
        crash_hook=hook,
    )
    print(f"STATEMENTS {STATEMENTS[0]} STATUS {summary.status}", flush=True)


def _close(args: dict[str, Any]) -> None:
    """``costclose close`` (run_close, which takes the close lock itself); prints LOCKED once it holds it."""
    from collections.abc import Iterator
    from contextlib import contextmanager
    from pathlib import Path

    from costclose import locks
    from costclose.close_cli import run_close
    from costclose.errors import CostcloseError

    real_lock = locks.close_lock

    @contextmanager
    def announcing_lock(*a: Any, **k: Any) -> Iterator[None]:
        with real_lock(*a, **k):
            print("LOCKED", flush=True)
            yield

    locks.close_lock = announcing_lock
    try:
        out = Path(args["out"])
        result = run_close(args["company"], args["period"], post=False, target=None, out=out)
    except CostcloseError as exc:
        print(f"ERROR {exc}", flush=True)
        sys.exit(1)
    print(f"CLOSED {json.dumps(result['posting'])}", flush=True)


if __name__ == "__main__":
    mode, raw = sys.argv[1], sys.argv[2]
    {"extract": _extract, "dbt": _dbt, "post": _post, "close": _close}[mode](json.loads(raw))

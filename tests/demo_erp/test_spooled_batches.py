"""Batches waiting for the seeder's writer hold temporary files, not rows, and reach the ERP intact."""

from __future__ import annotations

import inspect
import threading
import tracemalloc
from collections.abc import Callable
from datetime import date
from decimal import Decimal

import psycopg2
import pytest
from psycopg2.extensions import connection

from costclose.demo_erp import costing, simulate, store
from costclose.demo_erp.bulk import copy_file, spool_rows
from costclose.demo_erp.costing import ItemInfo, Ledger
from costclose.demo_erp.writer import BackgroundWriter

D = Decimal


def test_spooled_rows_copy_exactly(server_conn: connection) -> None:
    rows = [
        (1, "", None, D("-0.01"), True, date(2025, 1, 31), 'tab\there, "quoted", new\nline \\ slash'),
        (2, "x", date(2024, 2, 29), D("12345678901234.56789"), False, None, "plain"),
    ]
    data, n = spool_rows(rows)
    assert n == 2
    with server_conn.cursor() as cur:
        cur.execute(
            "create temp table t "
            "(n bigint, code text, d date, amount numeric, flag boolean, d2 date, note text)"
        )
        copy_file(cur, "pg_temp", "t", ["n", "code", "d", "amount", "flag", "d2", "note"], data)
        cur.execute("select n, code, d, amount, flag, d2, note from t order by n")
        assert cur.fetchall() == rows
    data.close()


def test_spooled_batch_writes_the_drained_entries(erp_conn: connection) -> None:
    """A batch spooled at drain time writes exactly the rows drained, and its files are closed after."""
    item = ItemInfo("A", "FIFO", "RESALE", "RETAIL", D(10))
    ledger = Ledger("SPOOL", {"A": item})
    ledger.purchase("A", "BLUE", D(5), D("10.50"), d=date(2025, 1, 2), doc="P1")
    ledger.sale("A", "BLUE", D(2), date(2025, 1, 3), "S1")
    ves, iaes, cles = ledger.drain()
    batch = store.spool_entries(ves, iaes, cles)
    assert store.write_spooled(erp_conn, batch) == (1, 2)
    assert all(f.closed for f, _ in batch.files)
    with erp_conn.cursor() as cur:
        cur.execute(
            "select entry_no, item_ledger_entry_no, cost_amount_actual, valued_quantity from bc.value_entry "
            "where company = 'SPOOL' order by entry_no"
        )
        assert cur.fetchall() == [(1, 1, D("52.50"), D(5)), (2, 2, D("-21.00"), D(-2))]
        cur.execute("select count(*) from bc.item_application_entry where company = 'SPOOL'")
        assert cur.fetchone() == (len(iaes),)
    assert store.upsert_item_ledger_file(erp_conn, store.spool_item_ledger(ledger.ile_rows())) == 2
    with erp_conn.cursor() as cur:
        cur.execute("select entry_no, remaining_quantity from bc.item_ledger_entry where company = 'SPOOL'")
        assert sorted(cur.fetchall()) == [(1, D(3)), (2, D(0))]


class _HeldWriter(BackgroundWriter):
    """The writer, but no job runs until ``close``: every batch of the run is in flight at once."""

    def __init__(self, conn: connection, **_: object) -> None:
        self.gate = threading.Event()
        super().__init__(conn, max_pending=1000)
        super().submit(lambda _conn: self.gate.wait())

    def close(self) -> None:
        self.gate.set()
        super().close()


def _allocated_by(snapshot: tracemalloc.Snapshot, fn: Callable[..., object], statement: str) -> int:
    """Bytes still allocated by the line of ``fn`` that contains ``statement``."""
    lines, first = inspect.getsourcelines(fn)
    lineno = first + next(i for i, text in enumerate(lines) if statement in text)
    return sum(
        s.size
        for s in snapshot.statistics("lineno")
        if s.traceback[0].filename == inspect.getsourcefile(fn) and s.traceback[0].lineno == lineno
    )


def test_batches_in_flight_hold_no_rows(
    make_database: Callable[[str], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the writer held back, at every month end the month's value entry and item ledger rows are
    all waiting for it, yet none of the rows the engine built is still in memory; the ledgers arrive."""
    url = make_database("erp")
    held: list[tuple[int, int, int]] = []
    run_month = simulate.Business._run_month

    def measured(self: simulate.Business, firsts: list[date], i: int) -> None:
        run_month(self, firsts, i)
        snap = tracemalloc.take_snapshot()
        held.append(
            (
                self.ledger.ve_count,
                _allocated_by(snap, costing.Ledger._ve, "self.ve_rows.append(tuple(row))"),
                _allocated_by(snap, costing.Ledger.ile_rows, "yield ("),
            )
        )

    monkeypatch.setattr(simulate.Business, "_run_month", measured)
    monkeypatch.setattr(simulate, "BackgroundWriter", _HeldWriter)
    tracemalloc.start()
    try:
        simulate.seed(url, "HELD", months=2, scale=2, seed=3, start=date(2025, 1, 1))
    finally:
        tracemalloc.stop()
    assert len(held) == 2 and held[0][0] > 200 and held[1][0] > held[0][0], held
    assert [(ve_bytes, ile_bytes) for _, ve_bytes, ile_bytes in held] == [(0, 0), (0, 0)]
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute(
            "select count(*), count(distinct item_ledger_entry_no) filter (where item_ledger_entry_no <> 0) "
            "from bc.value_entry where company = 'HELD'"
        )
        ves, iles = cur.fetchone()
        cur.execute("select count(*) from bc.item_ledger_entry where company = 'HELD'")
        assert ves == held[-1][0] and cur.fetchone() == (iles,)

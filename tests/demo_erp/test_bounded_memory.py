"""Seeding memory follows the open state, not the history, and forgetting changes no ledger row."""

from __future__ import annotations

import gc
from collections.abc import Callable
from datetime import date
from decimal import Decimal

import psycopg2
import pytest

from costclose.demo_erp import simulate
from costclose.demo_erp.costing import ItemInfo, Ledger
from costclose.demo_erp.entries import VE_INDEX, Ile

D = Decimal
START = date(2025, 1, 1)


def _rows(url: str, query: str, *args: object) -> list[tuple[object, ...]]:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute(query, args)
        return cur.fetchall()


def test_forgotten_entries_are_unlinked_once_their_cost_cannot_change() -> None:
    """A settled purchase and its sale are cut loose; a chain off an open layer keeps its cost flow."""
    item = ItemInfo("A", "FIFO", "RESALE", "RETAIL", D(10))
    ledger = Ledger("MEM", {"A": item})
    p1 = ledger.purchase("A", "", D(2), D(10), d=date(2020, 1, 2), doc="P1")
    s1 = ledger.sale("A", "", D(2), date(2020, 1, 3), "S1")
    p2 = ledger.purchase("A", "", D(5), D(10), d=date(2020, 1, 4), doc="P2")
    shipment, receipt = ledger.transfer("A", "", "B", D(3), d=date(2020, 1, 5), doc="T1")
    s2 = ledger.sale("A", "B", D(3), date(2020, 1, 6), "S2")
    ledger.adjust_cost()

    assert ledger.prune(date(2020, 2, 1)) == 5  # all but the open layer P2
    assert [e.document_no for e in ledger.entries] == ["P2"]
    assert p1.frozen and s1.frozen and p1.applied == [] and s1.applied == []
    # P2 is open (it can still be revalued or charged): what its cost flows into stays linked.
    assert not any(e.frozen for e in (shipment, receipt, s2))
    assert receipt.transfer_from is shipment and s2.applied == [(receipt, D(3))]

    ledger.expect_charge(p2)
    ledger.item_charge(p2, date(2020, 2, 10), "PIC1", D("5.00"))  # 55 for 5 units: 11 a unit
    ledger.adjust_cost()
    assert (shipment.act, receipt.act, s2.act) == (D("-33.00"), D("33.00"), D("-33.00"))

    ledger.sale("A", "", D(2), date(2020, 2, 11), "S3")  # closes P2
    ledger.adjust_cost()
    assert ledger.prune(date(2020, 3, 1)) == 2 and ledger.entries == []
    assert all(e.frozen for e in (p2, shipment, receipt, s2))
    assert shipment.transfer_to is None and receipt.transfer_from is None and p2.applied == []


def test_finished_orders_leave_the_ledger() -> None:
    parent = ItemInfo("X", "FIFO", "FINISHED", "RETAIL", D(50))
    comp = ItemInfo("C", "FIFO", "RAW MAT", "RAW MAT", D(10))
    ledger = Ledger("MEM", {"X": parent, "C": comp})
    ledger.purchase("C", "MAIN", D(4), D(10), d=date(2020, 1, 2), doc="P1")
    done = ledger.release_order("RPO1", "Production", "X", "MAIN", qty=D(1), d=date(2020, 1, 3))
    ledger.consume(done, "C", D(2), date(2020, 1, 3))
    ledger.output(done, date(2020, 1, 4))
    released = ledger.release_order("RPO2", "Production", "X", "MAIN", qty=D(1), d=date(2020, 1, 5))
    ledger.finish(done, date(2020, 1, 6))
    ledger.adjust_cost()
    assert done.output is not None and done.output.act == D("20.00")
    assert ledger.take_finished_orders() == [done] and ledger.orders == [released]


@pytest.fixture
def live_entries(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """After each simulated month: item ledger entry objects alive in the process, and those the ledger
    still tracks (open, or not settled yet)."""
    counts: list[tuple[int, int]] = []
    run_month = simulate.Business._run_month

    def counted(self: simulate.Business, firsts: list[date], i: int) -> None:
        run_month(self, firsts, i)
        gc.collect()
        counts.append((sum(1 for o in gc.get_objects() if type(o) is Ile), len(self.ledger.entries)))

    monkeypatch.setattr(simulate.Business, "_run_month", counted)
    return counts


def test_seeding_memory_does_not_grow_with_history(
    make_database: Callable[[str], str], live_entries: list[tuple[int, int]]
) -> None:
    """Twelve months: the entries kept in memory follow the open ones, not the growing ledger.

    (Before forgotten entries were unlinked, 3,486 entries were alive at the end for 412 open ones.)
    """
    url = make_database("erp")
    simulate.seed(url, "MEM", months=12, scale=3, seed=3, start=START)
    (total,) = _rows(url, "select count(*) from bc.item_ledger_entry where company = 'MEM'")[0]
    assert len(live_entries) == 12
    alive, tracked = live_entries[-1]
    assert alive <= 3 * tracked and alive < total / 3, (live_entries, total)
    assert alive <= 1.6 * live_entries[3][0], live_entries


def test_forgetting_at_month_end_changes_nothing(make_database: Callable[[str], str]) -> None:
    """The default (settled entries leave at the end of their month) gives the ledgers of keeping all."""
    url = make_database("erp")
    for company, window in (("KEEP-0", 0), ("KEEP-99", 99)):
        simulate.seed(url, company, months=8, scale=1, seed=8, start=START, window_months=window)
    tables = [
        _rows(
            url,
            "select v.entry_no, v.item_ledger_entry_no, v.entry_type, v.posting_date, v.cost_amount_actual, "
            "v.cost_amount_expected, v.valued_quantity, v.adjustment, v.cost_posted_to_g_l, "
            "i.remaining_quantity, i.invoiced_quantity, i.open, i.last_invoice_date "
            "from bc.value_entry v left join bc.item_ledger_entry i "
            "on i.company = v.company and i.entry_no = v.item_ledger_entry_no "
            "where v.company = %s order by v.entry_no",
            company,
        )
        for company in ("KEEP-0", "KEEP-99")
    ]
    assert tables[0] == tables[1] and len(tables[0]) > 1000
    orders = [
        _rows(
            url, "select no, status, finished_date from bc.production_order where company = %s order by no", c
        )
        for c in ("KEEP-0", "KEEP-99")
    ]
    assert orders[0] == orders[1] and len(orders[0]) > 20


def _fold_scenario(ledger: Ledger, *, prune: bool) -> list[tuple[object, ...]]:
    """A final purchase layer open for months: sold from, revalued, then closed (with a Rounding entry)."""
    rows: list[tuple[object, ...]] = []
    p = ledger.purchase("A", "", D(3), D("3.33333"), d=date(2020, 1, 2), doc="P1")  # 10.00 for 3 units
    ledger.sale("A", "", D(1), date(2020, 1, 3), "S1")
    ledger.adjust_cost()
    if prune:
        assert ledger.prune(date(2020, 2, 1)) == 1  # S1; P1 stays open
        assert ledger._unfrozen == {} and p.applied == [] and p.folded_qty == D(1)
    ledger.revalue("A", date(2020, 2, 29), D("1.06"), "R1")  # the 2 units left: +0.40
    ledger.sale("A", "", D(1), date(2020, 3, 2), "S2")
    ledger.sale("A", "", D(1), date(2020, 3, 3), "S3")
    ledger.adjust_cost()
    rows.extend(ledger.drain()[0])
    return rows


def test_decreases_of_a_final_open_layer_are_cut_loose_with_the_same_ledger() -> None:
    """With charges announced at receipt, a settled sale of an open final layer is frozen and folded into
    the layer (not kept in ``_unfrozen``); revaluation and Rounding of the layer come out unchanged."""
    item = ItemInfo("A", "FIFO", "RESALE", "RETAIL", D(10))
    kept = _fold_scenario(Ledger("MEM", {"A": item}, charges_announced=True), prune=False)
    folded = _fold_scenario(Ledger("MEM", {"A": item}, charges_announced=True), prune=True)
    assert folded == kept
    types = [(r[VE_INDEX["entry_type"]], r[VE_INDEX["cost_amount_actual"]]) for r in kept]
    assert ("Revaluation", D("0.40")) in types and any(t == "Rounding" for t, _ in types), types


def test_an_item_charge_not_announced_at_receipt_is_refused_once_decreases_are_cut_loose() -> None:
    item = ItemInfo("A", "FIFO", "RESALE", "RETAIL", D(10))
    ledger = Ledger("MEM", {"A": item}, charges_announced=True)
    p = ledger.purchase("A", "", D(3), D(10), d=date(2020, 1, 2), doc="P1")
    ledger.sale("A", "", D(1), date(2020, 1, 3), "S1")
    ledger.adjust_cost()
    ledger.prune(date(2020, 2, 1))
    with pytest.raises(ValueError, match="not announced"):
        ledger.expect_charge(p)
    with pytest.raises(ValueError, match="cut loose"):
        ledger.revalue("A", date(2020, 1, 2), D("1.1"), "R1")  # before S1


def _average_scenario(ledger: Ledger, *, prune: bool) -> list[tuple[object, ...]]:
    """An Average item: a month of final entries, then months that each end with an uninvoiced receipt."""
    rows: list[tuple[object, ...]] = []
    p1 = ledger.purchase("A", "", D(4), D(10), d=date(2020, 1, 2), doc="P1")
    s1 = ledger.sale("A", "", D(1), date(2020, 1, 3), "S1")
    p2 = ledger.purchase("A", "", D(2), D(12), d=date(2020, 2, 2), doc="P2", invoice=False)
    ledger.sale("A", "", D(1), date(2020, 2, 3), "S2")
    ledger.adjust_cost()
    if prune:
        ledger.prune(date(2020, 3, 1))
        # January is folded although February still waits for P2's invoice; P1 is still open.
        assert s1 not in ledger.entries and p1 in ledger.entries
        assert [e.document_no for e in ledger.by_item["A"]] == ["P2", "S2"]
    ledger.invoice_purchase(p2, date(2020, 3, 5), "PI2", D("12.5"))
    ledger.sale("A", "", D(2), date(2020, 3, 6), "S3")  # closes P1
    ledger.sale("A", "", D(2), date(2020, 3, 7), "S4")  # closes P2
    ledger.adjust_cost()
    if prune:
        ledger.prune(date(2020, 4, 1))
        assert ledger.entries == []  # P1, folded in January while open, leaves once closed
    ledger.adjust_cost()
    rows.extend(ledger.drain()[0])
    return rows


def test_average_items_fold_the_periods_before_one_still_waiting_for_cost() -> None:
    """Folding an Average item's periods up to the first one with an uninvoiced entry (not all or nothing)
    and forgetting entries folded while open once they close give the ledger of keeping everything."""
    item = ItemInfo("A", "Average", "RESALE", "RETAIL", D(10))
    kept = _average_scenario(Ledger("MEM", {"A": item}, charges_announced=True), prune=False)
    folded = _average_scenario(Ledger("MEM", {"A": item}, charges_announced=True), prune=True)
    assert folded == kept
    assert any(r[VE_INDEX["adjustment"]] for r in kept), kept

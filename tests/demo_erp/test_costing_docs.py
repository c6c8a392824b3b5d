"""The BC docs examples that state costing outcomes replay through the engine (../shared/fixtures/bc_docs)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from costclose.demo_erp.costing import VE_COLUMNS, ItemInfo, Ledger

D = Decimal
ZERO = Decimal(0)


def _fixture(shared_dir: Path, name: str) -> dict[str, Any]:
    return json.loads((shared_dir / "fixtures" / "bc_docs" / f"{name}.json").read_text())


def _ledger(
    method: str, *, standard: Decimal = ZERO, period: str = "Month", first_allowed: date = date.min
) -> Ledger:
    item = ItemInfo("A", method, "RESALE", "RETAIL", D(10), standard_cost=standard)
    return Ledger("DOCS", {"A": item}, average_cost_period=period, first_allowed_date=lambda: first_allowed)


def _ves(ledger: Ledger) -> list[dict[str, Any]]:
    return [dict(zip(VE_COLUMNS, row, strict=True)) for row in ledger.drain()[0]]


def _iso(text: str) -> date:
    return date.fromisoformat(text)


@pytest.mark.parametrize("method", ["FIFO", "LIFO", "Average", "Standard", "Specific"])
def test_costing_methods_decrease_valuation(shared_dir: Path, method: str) -> None:
    fx = _fixture(shared_dir, "costing_methods_decrease_valuation")
    costs = fx["implicit_inputs"]["increase_costs"]
    ledger = _ledger(method, standard=D(str(fx["implicit_inputs"]["standard_cost"])))
    inbound = {}
    for e in fx["item_ledger_entries"]:
        if e["quantity"] > 0:
            inbound[e["entry_no"]] = ledger.purchase(
                "A", "", D(1), D(str(costs[str(e["entry_no"])])), d=_iso(e["posting_date"]), doc="P"
            )
    expected = {r["entry_no"]: r for r in fx["expected_outputs_from_docs"][method]}
    outbound = {}
    for e in fx["item_ledger_entries"]:
        if e["quantity"] < 0:
            fixed = inbound[expected[e["entry_no"]]["applies_to_entry"]] if method == "Specific" else None
            outbound[e["entry_no"]] = ledger.sale("A", "", D(1), _iso(e["posting_date"]), "S", fixed=fixed)
    ledger.adjust_cost()
    for no, want in expected.items():
        assert outbound[no].act == D(str(want["cost_amount_actual"])), (method, no)
    assert sum(e.act for e in ledger.entries) == 0  # the docs' invariant: quantity 0, value 0


@pytest.mark.parametrize("method", ["Average", "FIFO"])
def test_rounding_average_vs_other(shared_dir: Path, method: str) -> None:
    fx = _fixture(shared_dir, "rounding_average_vs_other")["expected_outputs_from_docs"]
    ledger = _ledger(method)
    ledger.purchase("A", "", D(3), D(10) / 3, d=date(2020, 1, 1), doc="P")
    for month in (2, 3, 4):
        ledger.sale("A", "", D(1), date(2020, month, 1), "S")
    ledger.adjust_cost()
    ves = _ves(ledger)
    per_ile: dict[int, Decimal] = {}
    for v in ves:
        if v["entry_type"] != "Rounding":
            per_ile[v["item_ledger_entry_no"]] = (
                per_ile.get(v["item_ledger_entry_no"], D(0)) + v["cost_amount_actual"]
            )
    key = "average_costing" if method == "Average" else "non_average_costing"
    want = [w for w in fx[key]["value_entries"] if w.get("entry_type") != "Rounding"]
    assert [per_ile[w["item_ledger_entry_no"]] for w in want] == [
        D(str(w["cost_amount_actual"])) for w in want
    ]
    rounding = [
        (
            v["item_ledger_entry_no"],
            v["posting_date"],
            v["cost_amount_actual"],
            v["valued_quantity"],
            v["item_ledger_entry_quantity"],
        )
        for v in ves
        if v["entry_type"] == "Rounding"
    ]
    if method == "Average":
        assert rounding == []
    else:
        assert rounding == [(1, date(2020, 1, 1), D("-0.01"), D(3), 0)]


@pytest.mark.parametrize("period", ["Day", "Month"])
def test_average_cost_period_day_vs_month(shared_dir: Path, period: str) -> None:
    fx = _fixture(shared_dir, "average_cost_period_day_vs_month")
    ledger = _ledger("Average", period=period)
    by_no = {}
    for e in fx["item_ledger_entries_before_adjustment"]:
        d, q = _iso(e["posting_date"]), D(abs(e["quantity"]))
        if e["entry_type"] == "Purchase":
            by_no[e["entry_no"]] = ledger.purchase(
                "A", "BLUE", q, D(str(e["cost_amount_actual"])), d=d, doc="P"
            )
        else:
            by_no[e["entry_no"]] = ledger.sale("A", "BLUE", q, d, "S")
    ledger.adjust_cost()
    want = fx["expected_outputs_from_docs"][f"period_{period.lower()}"]["after_adjustment_cost_amount_actual"]
    assert {no: ile.act for no, ile in by_no.items()} == {int(k): D(str(v)) for k, v in want.items()}


def test_adjustment_moved_to_first_allowed_posting_date(shared_dir: Path) -> None:
    fx = _fixture(shared_dir, "adjustment_posting_date_allowed_range")
    allow_from = _iso(fx["setup"]["general_ledger_setup"]["allow_posting_from"])
    ledger = _ledger("FIFO", first_allowed=allow_from)
    receipt = ledger.purchase("A", "BLUE", D(1), D(10), d=date(2020, 9, 1), doc="R1", invoice=False)
    sale = ledger.sale("A", "BLUE", D(1), date(2020, 9, 5), "102033", invoice=False)
    ledger.invoice_sale(sale, date(2020, 9, 6), "103022")
    ledger.invoice_purchase(receipt, date(2020, 9, 8), "PI1", D(11))
    ledger.adjust_cost()
    ves = _ves(ledger)
    adjustment = [v for v in ves if v["adjustment"]]
    invoice = next(v for v in ves if v["document_no"] == "103022" and not v["adjustment"])
    assert [
        (v["posting_date"], v["cost_amount_actual"], v["applies_to_entry"], v["source_code"])
        for v in adjustment
    ] == [
        (
            _iso(fx["expected_outputs_from_docs"]["adjustment_posting_date"]),
            D("-1.00"),
            invoice["entry_no"],
            "INVTADJMT",
        )
    ]
    assert sale.act == D(str(fx["expected_outputs_from_docs"]["ile_cost_amount_actual"]))
    assert sale.exp == 0


def test_revaluation_fifo_affected_decreases(shared_dir: Path) -> None:
    fx = _fixture(shared_dir, "revaluation_fifo_affected_decreases")
    ledger = _ledger("FIFO")
    ledger.purchase("A", "", D(6), D(10), d=date(2020, 1, 1), doc="P")
    before = {
        s: ledger.sale("A", "", D(1), d, s)
        for s, d in (("A", date(2020, 2, 1)), ("B", date(2020, 3, 1)), ("C", date(2020, 4, 1)))
    }
    assert ledger.revalue("A", date(2020, 3, 1), D("0.8"), "REVAL") == D("-8.00")
    after = {
        s: ledger.sale("A", "", D(1), d, s)
        for s, d in (("D", date(2020, 2, 1)), ("E", date(2020, 3, 1)), ("F", date(2020, 4, 1)))
    }
    ledger.adjust_cost()
    sales = {**before, **after}
    dates = {v["item_ledger_entry_no"]: v["valuation_date"] for v in _ves(ledger) if not v["adjustment"]}
    for v in fx["value_entries"]:
        if v["scenario"] and v["entry_type"] == "Direct Cost":
            assert dates[sales[v["scenario"]].entry_no] == _iso(v["valuation_date"]), v["scenario"]
    affected = {r["scenario"]: r["affected"] for r in fx["rules_from_docs"]}
    for scenario, ile in sales.items():
        assert ile.act == (D("-8.00") if affected[scenario] else D("-10.00")), scenario
    assert sum(e.act for e in ledger.entries) == 0


def test_prune_forgets_settled_entries_only() -> None:
    """Settled entries leave memory; open, uninvoiced or charge-pending ones stay; costs still flow."""
    ledger = _ledger("FIFO")
    settled_in = ledger.purchase("A", "", D(2), D(10), d=date(2020, 1, 2), doc="P1")
    settled_out = ledger.sale("A", "", D(2), date(2020, 1, 3), "S1")
    open_in = ledger.purchase("A", "", D(5), D(10), d=date(2020, 1, 4), doc="P2")
    charged = ledger.purchase("A", "", D(1), D(10), d=date(2020, 1, 5), doc="P3")
    ledger.sale("A", "", D(6), date(2020, 1, 6), "S2")  # closes P2 and P3
    ledger.expect_charge(charged)
    ledger.adjust_cost()
    # P1, S1, P2 and S2 are settled; P3 waits for its announced charge.
    assert ledger.prune(date(2020, 2, 1)) == 4
    assert [e.document_no for e in ledger.entries] == ["P3"] and open_in.remaining_quantity == 0
    ledger.item_charge(charged, date(2020, 3, 1), "PIC1", D("6.00"))
    ledger.adjust_cost()
    s2 = charged.applied[0][0]  # a forgotten entry still gets the cost that flows to it
    assert s2.document_no == "S2" and s2.act == D("-66.00") and settled_in.act + settled_out.act == 0
    assert ledger.prune(date(2020, 4, 1)) == 1 and ledger.entries == []


@pytest.mark.parametrize("case", ["transfer_average_day", "transfer_standard"])
def test_item_application_transfer_valuation(shared_dir: Path, case: str) -> None:
    fx = next(
        c for c in _fixture(shared_dir, "item_application_fixed_and_transfer")["cases"] if c["case"] == case
    )
    want = fx["expected_outputs_from_docs"]["value_entries"]
    if case == "transfer_average_day":
        ledger = _ledger("Average", period="Day")
    else:
        ledger = _ledger("Standard", standard=D(str(fx["setup"]["standard_cost_at_purchase"])))
    for v in want:
        if v["ile_type"] == "Purchase":
            ledger.purchase(
                "A", v["location"], D(1), D(str(v["cost_amount_actual"])), d=_iso(v["posting_date"]), doc="P"
            )
    if case == "transfer_standard":
        ledger.standard_cost["A"] = D(
            str(fx["setup"]["standard_cost_at_transfer"])
        )  # new standard, no revaluation
    ship = next(v for v in want if v["ile_type"] == "Transfer" and v["valued_quantity"] < 0)
    receive = next(v for v in want if v["ile_type"] == "Transfer" and v["valued_quantity"] > 0)
    out, inb = ledger.transfer(
        "A", ship["location"], receive["location"], D(1), d=_iso(ship["posting_date"]), doc="T"
    )
    ledger.adjust_cost()
    assert (out.act, inb.act) == (D(str(ship["cost_amount_actual"])), D(str(receive["cost_amount_actual"])))

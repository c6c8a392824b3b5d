"""The item posting and costing engine: item ledger, value, application and capacity entries as BC makes them.

``Ledger`` posts item transactions the way codeunit 22 does (spec §A) and runs Adjust Cost - Item
Entries (§A.10): FIFO/Standard apply outbound entries to the earliest open inbound entry, LIFO to the
latest, Specific to the fixed application, Average values decreases at the periodic weighted average
(per Average Cost Period, calc. type Item, transfers excluded, rounding residual carried into the next
decrease). Adjustment value entries (Adjustment = TRUE, source code INVTADJMT) are dated like the entry
they adjust, moved to the first allowed posting date when that date is not allowed. Non-average
inbound entries get a Rounding entry once fully applied. Revaluations affect a decrease unless the
decrease has a lower entry number and a posting date on or before the revaluation date.

The engine keeps the item ledger in memory and hands finished rows (value, application and capacity
entries) to the caller in batches (``drain``), so the database side is COPY only.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from costclose import bc_schema

ZERO = Decimal(0)
CENT = Decimal("0.01")
INBOUND_TYPES = {"Purchase", "Positive Adjmt.", "Output", "Assembly Output"}


AvgState = tuple[Decimal, Decimal, Decimal, Decimal]  # value, quantity, rounding residual, average


def r2(x: Decimal) -> Decimal:
    """Round to BC's amount rounding precision (0.01)."""
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class ItemInfo:
    no: str
    costing_method: str
    inventory_posting_group: str
    gen_prod_posting_group: str
    unit_cost: Decimal
    standard_cost: Decimal = ZERO
    indirect_cost_pct: Decimal = ZERO
    overhead_rate: Decimal = ZERO
    # Standard cost components of manufactured Standard items (material, capacity, cap. overhead).
    std_material: Decimal = ZERO
    std_capacity: Decimal = ZERO
    std_capacity_overhead: Decimal = ZERO


@dataclass(eq=False, slots=True)
class Ile:
    """An item ledger entry with the costing state Adjust Cost needs."""

    entry_no: int
    item_no: str
    posting_date: date
    entry_type: str
    location_code: str
    quantity: Decimal
    document_no: str
    source_type: str = ""
    source_no: str = ""
    order_type: str = ""
    order_no: str = ""
    gen_bus_posting_group: str = ""
    document_type: str = ""
    remaining_quantity: Decimal = ZERO
    invoiced_quantity: Decimal = ZERO
    applies_to_entry: int = 0
    last_invoice_date: date | None = None
    first_ve_no: int = 0
    invoice_ve_no: int = 0  # the last value entry that invoiced (valued) this entry; adjustments apply to it
    # Sums of this entry's value entries.
    act: Decimal = ZERO
    exp: Decimal = ZERO
    reval: Decimal = ZERO  # revaluation part of act (not forwarded as base cost)
    rounding: Decimal = ZERO
    # Outbound: [(inbound, qty>0)]; inbound: [(outbound, qty>0)].
    applied: list[tuple[Ile, Decimal]] = field(default_factory=list)
    # Inbound revaluations: (revaluation VE no, date, amount, quantity revalued).
    revaluations: list[tuple[int, date, Decimal, Decimal]] = field(default_factory=list)
    transfer_from: Ile | None = None
    transfer_to: Ile | None = None
    production: ProductionOrder | None = None
    last_cost_date: date | None = None
    written: tuple[Any, ...] | None = None  # the row state last handed to the database
    pending_charges: int = 0  # item charges announced but not yet posted

    @property
    def positive(self) -> bool:
        return self.quantity > 0

    @property
    def completely_invoiced(self) -> bool:
        return self.invoiced_quantity == self.quantity


@dataclass(eq=False, slots=True)
class ProductionOrder:
    """A released/finished production or assembly order: what it consumed and what it produced."""

    no: str
    order_type: str  # "Production" or "Assembly"
    item: ItemInfo
    location_code: str
    quantity: Decimal
    due_date: date
    consumption: list[Ile] = field(default_factory=list)
    capacity_direct: Decimal = ZERO
    capacity_indirect: Decimal = ZERO
    output: Ile | None = None
    finished_date: date | None = None
    # Output cost parts already posted: direct, and per variance type.
    posted_direct: Decimal = ZERO
    posted_variance: dict[str, Decimal] = field(default_factory=dict)


VE_COLUMNS = ["company", *(c.name for c in bc_schema.VALUE_ENTRY.columns)]
ILE_COLUMNS = ["company", *(c.name for c in bc_schema.ITEM_LEDGER_ENTRY.columns)]
IAE_COLUMNS = ["company", *(c.name for c in bc_schema.ITEM_APPLICATION_ENTRY.columns)]
CLE_COLUMNS = ["company", *(c.name for c in bc_schema.CAPACITY_LEDGER_ENTRY.columns)]


def _defaults(table: bc_schema.Table) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for col in table.columns:
        if col.type == bc_schema.BOOL:
            out[col.name] = False
        elif col.type in (bc_schema.DEC, bc_schema.INT):
            out[col.name] = 0
        elif col.type in (bc_schema.DATE, bc_schema.GUID, bc_schema.DATETIME):
            out[col.name] = None
        else:
            out[col.name] = ""
    return out


VE_DEFAULTS = _defaults(bc_schema.VALUE_ENTRY)
VE_DEFAULTS.update(inventoriable=True, user_id="DEMO", entry_type="Direct Cost")
_V = {c: i for i, c in enumerate(VE_COLUMNS)}
VE_TEMPLATE: list[Any] = [None, *(VE_DEFAULTS[c] for c in VE_COLUMNS[1:])]
CLE_DEFAULTS = _defaults(bc_schema.CAPACITY_LEDGER_ENTRY)


class Ledger:
    """Posts item transactions of one company and adjusts their cost; see the module docstring."""

    def __init__(
        self,
        company: str,
        items: dict[str, ItemInfo],
        *,
        average_cost_period: str = "Month",
        first_allowed_date: Callable[[], date] | None = None,
        first_entry_no: int = 1,
    ) -> None:
        self.company = company
        self.items = items
        self.average_cost_period = average_cost_period
        self.first_allowed_date = first_allowed_date or (lambda: date.min)
        self._ile_no = itertools.count(first_entry_no)
        self._ve_no = itertools.count(first_entry_no)
        self._iae_no = itertools.count(first_entry_no)
        self._cle_no = itertools.count(first_entry_no)
        self.entries: list[Ile] = []
        self.by_item: dict[str, list[Ile]] = {}
        self.open_inbound: dict[tuple[str, str], list[Ile]] = {}
        self.orders: list[ProductionOrder] = []
        self.standard_cost: dict[str, Decimal] = {k: v.standard_cost for k, v in items.items()}
        self.ve_rows: list[tuple[Any, ...]] = []
        self.iae_rows: list[tuple[Any, ...]] = []
        self.cle_rows: list[tuple[Any, ...]] = []
        self.ve_count = 0
        # Work for the next Adjust Cost run: inbound entries whose cost changed, Average items with
        # activity, finished outputs to value, inbound entries to check for rounding.
        self._changed: dict[int, Ile] = {}
        self._avg_touched: set[str] = set()
        self._to_value: dict[int, Ile] = {}
        self._round_check: dict[int, Ile] = {}
        # Running value and quantity of Average items (transfers excluded): the cost at posting time.
        self._avg_value: dict[str, Decimal] = {}
        self._avg_qty: dict[str, Decimal] = {}
        self._on_hand: dict[tuple[str, str], Decimal] = {}
        self._avg_state: dict[str, AvgState] = {}

    # ------------------------------------------------------------------ rows
    def drain(self) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        """Hand over (and forget) the value, application and capacity entry rows made so far."""
        out = (self.ve_rows, self.iae_rows, self.cle_rows)
        self.ve_rows, self.iae_rows, self.cle_rows = [], [], []
        return out

    def ile_rows(self, *, changed_only: bool = False) -> Iterator[tuple[Any, ...]]:
        """Item ledger entry rows; with ``changed_only``, only those new or changed since last asked."""
        for e in self.entries:
            state = (e.remaining_quantity, e.invoiced_quantity, e.last_invoice_date, e.applies_to_entry)
            if changed_only and e.written == state:
                continue
            e.written = state
            yield (
                self.company,
                e.entry_no,
                e.item_no,
                e.posting_date,
                e.entry_type,
                e.source_no,
                e.document_no,
                "",
                e.location_code,
                e.quantity,
                e.remaining_quantity,
                e.invoiced_quantity,
                e.applies_to_entry,
                e.remaining_quantity != 0,
                "",
                "",
                e.positive,
                e.source_type,
                False,
                e.posting_date,
                e.document_type,
                0,
                e.order_type,
                e.order_no,
                1 if e.order_no else 0,
                0,
                False,
                "",
                "PCS",
                e.completely_invoiced,
                e.last_invoice_date,
                False,
                False,
                "",
                "",
            )

    def _ve(self, ile: Ile | None, d: date, **fields: Any) -> int:
        no = next(self._ve_no)
        row = VE_TEMPLATE.copy()
        row[_V["company"]] = self.company
        row[_V["entry_no"]] = no
        row[_V["posting_date"]] = row[_V["valuation_date"]] = row[_V["document_date"]] = d
        if ile is not None:
            item = self.items[ile.item_no]
            for column, value in (
                ("item_no", ile.item_no),
                ("item_ledger_entry_type", ile.entry_type),
                ("source_no", ile.source_no),
                ("source_type", ile.source_type),
                ("document_no", ile.document_no),
                ("location_code", ile.location_code),
                ("inventory_posting_group", item.inventory_posting_group),
                ("item_ledger_entry_no", ile.entry_no),
                ("gen_bus_posting_group", ile.gen_bus_posting_group),
                ("gen_prod_posting_group", item.gen_prod_posting_group),
                ("document_type", ile.document_type),
                ("order_type", ile.order_type),
                ("order_no", ile.order_no),
                ("order_line_no", 1 if ile.order_no else 0),
                (
                    "valuation_date",
                    ile.posting_date if ile.positive else self._outbound_valuation_date(ile, d),
                ),
            ):
                row[_V[column]] = value
        for column, value in fields.items():
            row[_V[column]] = value
        act, exp = row[_V["cost_amount_actual"]], row[_V["cost_amount_expected"]]
        row[_V["cost_amount_actual_acy"]] = act
        row[_V["cost_amount_expected_acy"]] = exp
        vq = row[_V["valued_quantity"]]
        row[_V["cost_per_unit"]] = r2((act + exp) / vq) if vq else ZERO
        self.ve_rows.append(tuple(row))
        self.ve_count += 1
        if ile is not None:
            self._book(ile, no, row, act, exp)
        return no

    @staticmethod
    def _outbound_valuation_date(ile: Ile, d: date) -> date:
        """§A.10: a decrease is valued from its posting date, or from the latest valuation date of the
        inbound entries it is applied to (their posting or revaluation dates) when that is later."""
        latest = d
        for inb, _ in ile.applied:
            latest = max(latest, inb.posting_date, *(r[1] for r in inb.revaluations))
        return latest

    def _book(self, ile: Ile, no: int, row: list[Any], act: Decimal, exp: Decimal) -> None:
        """Keep the item ledger entry's costing state in step with its new value entry."""
        if not ile.first_ve_no:
            ile.first_ve_no = no
        if row[_V["invoiced_quantity"]] and not row[_V["adjustment"]]:
            ile.invoice_ve_no = no
        ile.act += act
        ile.exp += exp
        if self.items[ile.item_no].costing_method == "Average":
            self._avg_touched.add(ile.item_no)
            if ile.entry_type != "Transfer":
                self._avg_value[ile.item_no] = self._avg_value.get(ile.item_no, ZERO) + act + exp
        elif ile.positive and (act or exp):
            self._changed[ile.entry_no] = ile
            self._round_check[ile.entry_no] = ile
        entry_type = row[_V["entry_type"]]
        if entry_type == "Revaluation":
            ile.reval += act
        elif entry_type == "Rounding":
            ile.rounding += act

    def _iae(
        self, ile_no: int, inbound: int, outbound: int, qty: Decimal, *, d: date, transferred_from: int = 0
    ) -> None:
        self.iae_rows.append(
            (
                self.company,
                next(self._iae_no),
                ile_no,
                inbound,
                outbound,
                qty,
                d,
                transferred_from,
                False,
                None,
                False,
            )
        )

    def _new_ile(
        self, item_no: str, d: date, entry_type: str, loc: str, *, qty: Decimal, doc: str, **kw: Any
    ) -> Ile:
        ile = Ile(next(self._ile_no), item_no, d, entry_type, loc, qty, doc, **kw)
        ile.remaining_quantity = qty if qty > 0 else ZERO
        self._register(ile)
        if qty > 0:
            self._iae(ile.entry_no, ile.entry_no, 0, qty, d=d)
        return ile

    def _register(self, ile: Ile) -> None:
        self.entries.append(ile)
        self.by_item.setdefault(ile.item_no, []).append(ile)
        if ile.entry_type != "Transfer" and self.items[ile.item_no].costing_method == "Average":
            self._avg_qty[ile.item_no] = self._avg_qty.get(ile.item_no, ZERO) + ile.quantity
        if ile.quantity > 0:
            key = (ile.item_no, ile.location_code)
            self.open_inbound.setdefault(key, []).append(ile)
            self._on_hand[key] = self._on_hand.get(key, ZERO) + ile.quantity

    # ------------------------------------------------------------------ application and unit costs
    def on_hand(self, item_no: str, loc: str) -> Decimal:
        return self._on_hand.get((item_no, loc), ZERO)

    def _apply(self, out: Ile, qty: Decimal, fixed: Ile | None = None) -> None:
        """Apply the outbound ``out`` to open inbound entries (fixed, FIFO/Standard/Average or LIFO)."""
        item = self.items[out.item_no]
        pool = self.open_inbound.get((out.item_no, out.location_code), [])
        need = qty
        if fixed is not None:
            order = [fixed]
            out.applies_to_entry = fixed.entry_no
        elif item.costing_method == "LIFO":
            order = list(reversed(pool))
        else:
            order = list(pool)
        for inb in order:
            if need <= 0:
                break
            take = min(need, inb.remaining_quantity)
            if take <= 0:
                continue
            inb.remaining_quantity -= take
            if not inb.remaining_quantity:
                self._round_check[inb.entry_no] = inb
            need -= take
            out.applied.append((inb, take))
            inb.applied.append((out, take))
            self._iae(out.entry_no, inb.entry_no, out.entry_no, -take, d=out.posting_date)
        if need > 0:
            msg = f"item {out.item_no} at {out.location_code!r}: {need} more than on hand"
            raise ValueError(msg)
        key = (out.item_no, out.location_code)
        self._on_hand[key] -= qty
        if (
            any(not e.remaining_quantity for e in order[:1])
            or fixed is not None
            or item.costing_method == "LIFO"
        ):
            self.open_inbound[key] = [e for e in pool if e.remaining_quantity > 0]

    def _unit_base(self, inb: Ile) -> Decimal:
        """Cost per unit of an inbound entry as forwarded to decreases (without revaluations)."""
        return (inb.act + inb.exp - inb.reval - inb.rounding) / inb.quantity

    def _outbound_target(self, out: Ile) -> Decimal:
        """The cost (negative) a non-average decrease should carry: its share of each applied inbound."""
        total = ZERO
        for inb, q in out.applied:
            share = r2(q * self._unit_base(inb))
            for reval_no, reval_date, amount, reval_qty in inb.revaluations:
                out_no = out.first_ve_no or reval_no + 1  # not yet posted: it comes after the revaluation
                if not (out_no < reval_no and out.posting_date <= reval_date):
                    share += r2(amount * q / reval_qty)
            total += share
        return -total

    def _average_targets(self, item_no: str) -> dict[int, Decimal]:
        """Periodic weighted average cost of every decrease of an Average item (§A.10, calc. type Item)."""
        state = self._avg_state.get(item_no, (ZERO, ZERO, ZERO, self.items[item_no].unit_cost))
        return self._average_walk(self.by_item.get(item_no, []), state)[0]

    def _average_walk(self, entries: list[Ile], state: AvgState) -> tuple[dict[int, Decimal], AvgState]:
        """Walk the entries period by period from ``state`` (value, qty, residual, average)."""
        ordered = sorted(entries, key=lambda e: (e.posting_date, e.entry_no))
        targets: dict[int, Decimal] = {}
        value, qty, residual, avg = state
        for _, group in itertools.groupby(ordered, key=lambda e: self._period_key(e.posting_date)):
            period = list(group)
            in_value = sum((e.act + e.exp for e in period if e.positive and e.entry_type != "Transfer"), ZERO)
            in_qty = sum((e.quantity for e in period if e.positive and e.entry_type != "Transfer"), ZERO)
            if qty + in_qty > 0:
                avg = (value + in_value) / (qty + in_qty)
            out_value = ZERO
            for e in period:
                if e.positive:
                    continue
                exact = avg * e.quantity + residual
                targets[e.entry_no] = r2(exact)
                residual = exact - targets[e.entry_no]
                if e.entry_type != "Transfer":
                    out_value += targets[e.entry_no]
            for e in period:
                if e.entry_type == "Transfer" and e.positive and e.transfer_from is not None:
                    targets[e.entry_no] = -targets[e.transfer_from.entry_no]
            value += in_value + out_value
            qty += in_qty + sum(
                (e.quantity for e in period if not e.positive and e.entry_type != "Transfer"), ZERO
            )
        return targets, (value, qty, residual, avg)

    # ------------------------------------------------------------------ bounded memory
    def expect_charge(self, ile: Ile) -> None:
        """Announce an item charge that will be assigned to ``ile`` later (it stays in memory until then)."""
        ile.pending_charges += 1

    @staticmethod
    def _final(e: Ile) -> bool:
        """No further cost can arrive: completely invoiced, no expected cost, no announced item charge."""
        return e.invoiced_quantity == e.quantity and not e.exp and not e.pending_charges

    def prune(self, cutoff: date) -> int:
        """Forget settled entries dated before ``cutoff`` (the caller has written them); returns how many.

        An entry is settled when it is completely invoiced, has no expected cost, is closed (inbound),
        its order is finished and every entry it is applied with is also dated before ``cutoff``.
        Average items fold whole periods before ``cutoff`` into a running state instead. Objects
        still referenced by open entries stay alive; the lists the engine walks only keep the rest.
        """
        cut_key = self._period_key(cutoff)
        folded: set[int] = set()
        for item_no, entries in self.by_item.items():
            if self.items[item_no].costing_method != "Average":
                continue
            old = [e for e in entries if self._period_key(e.posting_date) < cut_key]
            if not old or any(not self._final(e) for e in old):
                continue
            state = self._avg_state.get(item_no, (ZERO, ZERO, ZERO, self.items[item_no].unit_cost))
            self._avg_state[item_no] = self._average_walk(old, state)[1]
            folded.update(e.entry_no for e in old)
            self.by_item[item_no] = [e for e in entries if self._period_key(e.posting_date) >= cut_key]

        def settled(e: Ile) -> bool:
            if e.posting_date >= cutoff or not self._final(e) or e.remaining_quantity:
                return False
            if self.items[e.item_no].costing_method == "Average":
                return e.entry_no in folded
            order = e.production
            if order is not None and (order.finished_date is None or order.finished_date >= cutoff):
                return False
            return all(p.posting_date < cutoff and p.invoiced_quantity == p.quantity for p, _ in e.applied)

        dropped = {e.entry_no for e in self.entries if settled(e)}
        if dropped:
            self.entries = [e for e in self.entries if e.entry_no not in dropped]
            for item_no, entries in self.by_item.items():
                self.by_item[item_no] = [e for e in entries if e.entry_no not in dropped]
            self._round_check = {k: v for k, v in self._round_check.items() if k not in dropped}
        return len(dropped)

    def _period_key(self, d: date) -> tuple[int, ...]:
        if self.average_cost_period == "Day":
            return (d.toordinal(),)
        return (d.year, d.month)

    def _current_cost(self, out: Ile) -> Decimal:
        """Cost of a decrease at posting time (Adjust Cost settles the final figure)."""
        item = self.items[out.item_no]
        if item.costing_method == "Average":
            # Before this decrease (its quantity is already counted, its value not yet).
            qty = self._avg_qty.get(item.no, ZERO) - (ZERO if out.entry_type == "Transfer" else out.quantity)
            value = self._avg_value.get(item.no, ZERO)
            unit = value / qty if qty > 0 else item.unit_cost
            return r2(unit * out.quantity)
        return self._outbound_target(out)

    # ------------------------------------------------------------------ postings
    def purchase(
        self,
        item_no: str,
        loc: str,
        qty: Decimal,
        unit_cost: Decimal,
        *,
        d: date,
        doc: str,
        vendor_group: str = "DOMESTIC",
        vendor_no: str = "10000",
        invoice: bool = True,
    ) -> Ile:
        """A purchase receipt (expected cost), invoiced in the same posting when ``invoice``."""
        item = self.items[item_no]
        ile = self._new_ile(
            item_no,
            d,
            "Purchase",
            loc,
            qty=qty,
            doc=doc,
            source_type="Vendor",
            source_no=vendor_no,
            gen_bus_posting_group=vendor_group,
            document_type="Purchase Receipt",
        )
        if invoice:
            self._invoice_purchase(ile, d, doc, unit_cost, qty, receipt=True)
        else:
            value = self._standard_or(item, unit_cost) * qty
            self._ve(
                ile,
                d,
                valued_quantity=qty,
                item_ledger_entry_quantity=qty,
                cost_amount_expected=r2(value),
                purchase_amount_expected=r2(unit_cost * qty),
                expected_cost=True,
                source_code="PURCHASES",
            )
        return ile

    def _standard_or(self, item: ItemInfo, unit_cost: Decimal) -> Decimal:
        return self.standard_cost[item.no] if item.costing_method == "Standard" else unit_cost

    def invoice_purchase(self, ile: Ile, d: date, doc: str, unit_cost: Decimal) -> None:
        """Invoice a received purchase: reverse the expected cost, post actual cost (and variance)."""
        self._invoice_purchase(ile, d, doc, unit_cost, ile.quantity, receipt=False)

    def _invoice_purchase(
        self, ile: Ile, d: date, doc: str, unit_cost: Decimal, qty: Decimal, *, receipt: bool
    ) -> None:
        item = self.items[ile.item_no]
        direct = r2(unit_cost * qty)
        indirect = r2(direct * item.indirect_cost_pct / 100 + item.overhead_rate * qty)
        self._ve(
            ile,
            d,
            document_type="Purchase Invoice",
            document_no=doc,
            valued_quantity=qty,
            item_ledger_entry_quantity=qty if receipt else ZERO,
            invoiced_quantity=qty,
            cost_amount_actual=direct,
            cost_amount_expected=-ile.exp,
            purchase_amount_actual=direct,
            source_code="PURCHASES",
        )
        if indirect:
            self._ve(
                ile,
                d,
                document_type="Purchase Invoice",
                document_no=doc,
                valued_quantity=qty,
                entry_type="Indirect Cost",
                cost_amount_actual=indirect,
                source_code="PURCHASES",
            )
        if item.costing_method == "Standard":
            variance = r2(self.standard_cost[item.no] * qty) - direct - indirect
            if variance:
                self._ve(
                    ile,
                    d,
                    document_type="Purchase Invoice",
                    document_no=doc,
                    valued_quantity=qty,
                    entry_type="Variance",
                    variance_type="Purchase",
                    cost_amount_actual=variance,
                    source_code="PURCHASES",
                )
        ile.invoiced_quantity += qty
        ile.last_invoice_date = d
        ile.last_cost_date = d

    def item_charge(self, ile: Ile, d: date, doc: str, amount: Decimal, charge_no: str = "P-FREIGHT") -> None:
        """An item charge (freight) assigned to a purchase receipt: Direct Cost (Variance for Standard)."""
        standard = self.items[ile.item_no].costing_method == "Standard"
        self._ve(
            ile,
            d,
            document_type="Purchase Invoice",
            document_no=doc,
            valued_quantity=ile.quantity,
            entry_type="Variance" if standard else "Direct Cost",
            variance_type="Purchase" if standard else "",
            item_charge_no=charge_no,
            cost_amount_actual=amount,
            source_code="PURCHASES",
        )
        ile.last_cost_date = d
        ile.pending_charges = max(0, ile.pending_charges - 1)

    def _outbound(
        self,
        item_no: str,
        loc: str,
        qty: Decimal,
        *,
        d: date,
        entry_type: str,
        doc: str,
        fixed: Ile | None = None,
        **kw: Any,
    ) -> Ile:
        ile = self._new_ile(item_no, d, entry_type, loc, qty=-qty, doc=doc, **kw)
        self._apply(ile, qty, fixed)
        return ile

    def sale(
        self,
        item_no: str,
        loc: str,
        qty: Decimal,
        d: date,
        doc: str,
        *,
        customer_group: str = "DOMESTIC",
        customer_no: str = "10000",
        invoice: bool = True,
        fixed: Ile | None = None,
    ) -> Ile:
        """A sales shipment (expected cost), invoiced in the same posting when ``invoice``."""
        ile = self._outbound(
            item_no,
            loc,
            qty,
            d=d,
            entry_type="Sale",
            doc=doc,
            fixed=fixed,
            source_type="Customer",
            source_no=customer_no,
            gen_bus_posting_group=customer_group,
            document_type="Sales Shipment",
        )
        if invoice:
            self._invoice_sale(ile, d, doc, first=True)
        else:
            cost = self._current_cost(ile)
            self._ve(
                ile,
                d,
                valued_quantity=-qty,
                item_ledger_entry_quantity=-qty,
                cost_amount_expected=cost,
                expected_cost=True,
                source_code="SALES",
                valued_by_average_cost=self._is_avg(ile),
            )
        return ile

    def _is_avg(self, ile: Ile) -> bool:
        return self.items[ile.item_no].costing_method == "Average"

    def invoice_sale(self, ile: Ile, d: date, doc: str) -> None:
        self._invoice_sale(ile, d, doc, first=False)

    def _invoice_sale(self, ile: Ile, d: date, doc: str, *, first: bool) -> None:
        cost = self._current_cost(ile)
        q = ile.quantity
        self._ve(
            ile,
            d,
            document_type="Sales Invoice",
            document_no=doc,
            valued_quantity=q,
            item_ledger_entry_quantity=q if first else ZERO,
            invoiced_quantity=q,
            cost_amount_actual=cost,
            cost_amount_expected=-ile.exp,
            source_code="SALES",
            valued_by_average_cost=self._is_avg(ile),
        )
        ile.invoiced_quantity = q
        ile.last_invoice_date = d
        for inb, _ in ile.applied:
            self._round_check[inb.entry_no] = inb

    def positive_adjustment(
        self, item_no: str, loc: str, qty: Decimal, unit_cost: Decimal, *, d: date, doc: str
    ) -> Ile:
        item = self.items[item_no]
        ile = self._new_ile(item_no, d, "Positive Adjmt.", loc, qty=qty, doc=doc)
        ile.invoiced_quantity = qty
        self._ve(
            ile,
            d,
            valued_quantity=qty,
            item_ledger_entry_quantity=qty,
            invoiced_quantity=qty,
            cost_amount_actual=r2(self._standard_or(item, unit_cost) * qty),
            source_code="ITEMJNL",
        )
        return ile

    def negative_adjustment(self, item_no: str, loc: str, qty: Decimal, d: date, doc: str) -> Ile:
        ile = self._outbound(item_no, loc, qty, d=d, entry_type="Negative Adjmt.", doc=doc)
        ile.invoiced_quantity = -qty
        self._ve(
            ile,
            d,
            valued_quantity=-qty,
            item_ledger_entry_quantity=-qty,
            invoiced_quantity=-qty,
            cost_amount_actual=self._current_cost(ile),
            source_code="ITEMJNL",
            valued_by_average_cost=self._is_avg(ile),
        )
        return ile

    def transfer(
        self, item_no: str, from_loc: str, to_loc: str, qty: Decimal, *, d: date, doc: str
    ) -> tuple[Ile, Ile]:
        """A direct transfer order: a negative Transfer entry and a positive one carrying its cost."""
        out = self._outbound(
            item_no,
            from_loc,
            qty,
            d=d,
            entry_type="Transfer",
            doc=doc,
            order_type="Transfer",
            order_no=doc,
            document_type="Transfer Shipment",
        )
        out.invoiced_quantity = -qty
        cost = self._current_cost(out)
        self._ve(
            out,
            d,
            valued_quantity=-qty,
            item_ledger_entry_quantity=-qty,
            invoiced_quantity=-qty,
            cost_amount_actual=cost,
            source_code="TRANSFER",
            valued_by_average_cost=self._is_avg(out),
        )
        inb = Ile(
            next(self._ile_no),
            item_no,
            d,
            "Transfer",
            to_loc,
            qty,
            doc,
            order_type="Transfer",
            order_no=doc,
            document_type="Transfer Receipt",
        )
        inb.remaining_quantity = qty
        inb.invoiced_quantity = qty
        inb.transfer_from = out
        out.transfer_to = inb
        self._register(inb)
        self._iae(inb.entry_no, inb.entry_no, out.entry_no, qty, d=d, transferred_from=out.entry_no)
        self._ve(
            inb,
            d,
            valued_quantity=qty,
            item_ledger_entry_quantity=qty,
            invoiced_quantity=qty,
            cost_amount_actual=-cost,
            source_code="TRANSFER",
        )
        return out, inb

    # ------------------------------------------------------------------ production and assembly
    def release_order(
        self, no: str, order_type: str, item_no: str, loc: str, *, qty: Decimal, d: date
    ) -> ProductionOrder:
        order = ProductionOrder(no, order_type, self.items[item_no], loc, qty, due_date=d)
        self.orders.append(order)
        return order

    def consume(self, order: ProductionOrder, component: str, qty: Decimal, d: date) -> Ile:
        assembly = order.order_type == "Assembly"
        ile = self._outbound(
            component,
            order.location_code,
            qty,
            d=d,
            entry_type="Assembly Consumption" if assembly else "Consumption",
            doc=order.no,
            order_type=order.order_type,
            order_no=order.no,
            source_type="Item",
            source_no=order.item.no,
            document_type="Posted Assembly" if assembly else "",
        )
        ile.invoiced_quantity = -qty
        self._ve(
            ile,
            d,
            valued_quantity=-qty,
            item_ledger_entry_quantity=-qty,
            invoiced_quantity=-qty,
            cost_amount_actual=self._current_cost(ile),
            source_code="ASSEMBLY" if assembly else "CONSUMPJNL",
            valued_by_average_cost=self._is_avg(ile),
        )
        ile.production = order
        order.consumption.append(ile)
        return ile

    def capacity(
        self,
        order: ProductionOrder,
        *,
        cap_type: str,
        no: str,
        minutes: Decimal,
        unit_cost: Decimal,
        indirect_pct: Decimal,
        overhead_rate: Decimal,
        gen_prod_group: str,
        d: date,
        operation_no: str = "",
    ) -> None:
        """Capacity (work center) or resource usage: a capacity ledger entry and its Direct + Indirect VEs."""
        total = r2(minutes * unit_cost)
        direct = r2((minutes * unit_cost - minutes * overhead_rate) / (1 + indirect_pct / 100))
        indirect = total - direct
        cle_no = next(self._cle_no)
        row = dict(CLE_DEFAULTS)
        row.update(
            entry_no=cle_no,
            no=no,
            posting_date=d,
            type=cap_type,
            document_no=order.no,
            operation_no=operation_no,
            work_center_no=no if cap_type == "Work Center" else "",
            quantity=minutes,
            run_time=minutes,
            invoiced_quantity=minutes,
            completely_invoiced=True,
            item_no=order.item.no,
            direct_cost=direct,
            overhead_cost=indirect,
            order_type=order.order_type,
            order_no=order.no,
            order_line_no=1,
        )
        self.cle_rows.append((self.company, *(row[c] for c in CLE_COLUMNS[1:])))
        common = {
            "item_ledger_entry_type": "",
            "order_type": order.order_type,
            "order_no": order.no,
            "order_line_no": 1,
            "source_type": "Item",
            "source_no": order.item.no,
            "document_no": order.no,
            "type": cap_type,
            "no": no,
            "capacity_ledger_entry_no": cle_no,
            "valued_quantity": minutes,
            "invoiced_quantity": minutes,
            "inventory_posting_group": order.item.inventory_posting_group
            if order.order_type == "Production"
            else "",
            "gen_prod_posting_group": gen_prod_group,
            "source_code": "CAPJNL",
        }
        self._ve(None, d, cost_amount_actual=direct, **common)
        if indirect:
            self._ve(
                None,
                d,
                entry_type="Indirect Cost",
                cost_amount_actual=indirect,
                **{**common, "invoiced_quantity": ZERO},
            )
        order.capacity_direct += direct
        order.capacity_indirect += indirect

    def output(self, order: ProductionOrder, d: date) -> Ile:
        """Post the order's output: expected cost for production, actual cost at once for assembly."""
        assembly = order.order_type == "Assembly"
        ile = self._new_ile(
            order.item.no,
            d,
            "Assembly Output" if assembly else "Output",
            order.location_code,
            qty=order.quantity,
            doc=order.no,
            order_type=order.order_type,
            order_no=order.no,
            source_type="Item",
            source_no=order.item.no,
            document_type="Posted Assembly" if assembly else "",
        )
        ile.production = order
        order.output = ile
        q = order.quantity
        if assembly:
            cost = self._order_actual(order)
            ile.invoiced_quantity = q
            self._ve(
                ile,
                d,
                valued_quantity=q,
                item_ledger_entry_quantity=q,
                invoiced_quantity=q,
                cost_amount_actual=cost,
                source_code="ASSEMBLY",
            )
            order.posted_direct = cost
            order.finished_date = d
        else:
            item = order.item
            unit = self.standard_cost[item.no] if item.costing_method == "Standard" else item.unit_cost
            self._ve(
                ile,
                d,
                valued_quantity=q,
                item_ledger_entry_quantity=q,
                expected_cost=True,
                cost_amount_expected=r2(unit * q),
                source_code="OUTPUTJNL",
            )
        return ile

    def finish(self, order: ProductionOrder, d: date) -> None:
        """Change the production order's status to Finished; Adjust Cost then values the output."""
        order.finished_date = d
        if order.output is not None:
            self._to_value[order.output.entry_no] = order.output

    def _order_actual(self, order: ProductionOrder) -> Decimal:
        material = -sum((c.act for c in order.consumption), ZERO)
        return material + order.capacity_direct + order.capacity_indirect

    # ------------------------------------------------------------------ revaluation
    def revalue(self, item_no: str, d: date, factor: Decimal, doc: str) -> Decimal:
        """Revaluation journal (Calculate Inventory Value per entry): open invoiced inbound entries x factor.

        Standard items get a new standard cost. Returns the total revaluation amount.
        """
        item = self.items[item_no]
        total = ZERO
        targets = [e for e in self.by_item.get(item_no, []) if e.positive and e.posting_date <= d]
        for inb in sorted(targets, key=lambda e: e.entry_no):
            # The revaluable quantity is the invoiced quantity remaining at the revaluation date (§A.10).
            at_date = inb.quantity - sum((q for out, q in inb.applied if out.posting_date <= d), ZERO)
            if at_date <= 0 or inb.exp:
                continue
            unit = (
                (inb.act / inb.quantity) if item.costing_method != "Standard" else self.standard_cost[item_no]
            )
            amount = r2(unit * (factor - 1) * at_date)
            if not amount:
                continue
            no = self._ve(
                inb,
                d,
                entry_type="Revaluation",
                valued_quantity=at_date,
                cost_amount_actual=amount,
                partial_revaluation=at_date != inb.quantity,
                source_code="REVALJNL",
                document_no=doc,
                gen_bus_posting_group="",
                document_type="",
                valuation_date=d,
            )
            inb.revaluations.append((no, d, amount, at_date))
            inb.last_cost_date = d
            total += amount
        if item.costing_method == "Standard":
            self.standard_cost[item_no] = (self.standard_cost[item_no] * factor).quantize(Decimal("0.00001"))
        return total

    # ------------------------------------------------------------------ adjust cost
    def _adjust_date(self, d: date) -> date:
        first = self.first_allowed_date()
        return max(d, first)

    def adjust_cost(self) -> int:
        """Adjust Cost - Item Entries: forward costs along applications; returns the entries it made.

        Only what changed since the last run is visited: decreases applied to inbound entries whose
        cost changed, finished outputs, and Average items with activity (recomputed per item). The
        work list is processed in entry-number order, so a consumption is settled before its output,
        a transfer shipment before its receipt and an inbound entry before the decreases applied to it.
        """
        before = self.ve_count
        heap: list[tuple[int, Ile]] = []
        queued: set[int] = set()

        def push(e: Ile | None) -> None:
            if e is not None and e.entry_no not in queued:
                queued.add(e.entry_no)
                heapq.heappush(heap, (e.entry_no, e))

        changed, self._changed = self._changed, {}
        for inb in changed.values():
            for out, _ in inb.applied:
                push(out)
        for out in self._to_value.values():
            push(out)
        self._to_value = {}
        while heap or self._avg_touched:
            if not heap:
                # Average items last (they are purchased, not produced): their decreases may feed outputs.
                for item_no in sorted(self._avg_touched):
                    for e in self._adjust_average(item_no):
                        push(e)
                self._avg_touched = set()
                continue
            _, ile = heapq.heappop(heap)
            for dependent in self._adjust_entry(ile):
                push(dependent)
        self._rounding()
        self._changed = {}
        return self.ve_count - before

    def _adjust_entry(self, ile: Ile) -> list[Ile]:
        """Settle one entry's cost; return the entries whose cost depends on it, if it changed."""
        if self.items[ile.item_no].costing_method == "Average" and ile.entry_type not in (
            "Output",
            "Assembly Output",
        ):
            return []
        if ile.entry_type in ("Output", "Assembly Output"):
            changed = self._adjust_output(ile)
        elif ile.positive and ile.transfer_from is not None:
            changed = self._settle(ile, -ile.transfer_from.act)
        elif ile.positive or not ile.invoiced_quantity:
            return []
        else:
            changed = self._settle(ile, self._outbound_target(ile))
        return self._dependents(ile) if changed else []

    def _dependents(self, ile: Ile) -> list[Ile]:
        if ile.positive:
            return [out for out, _ in ile.applied]
        if ile.transfer_to is not None:
            return [ile.transfer_to]
        if ile.production is not None and ile.production.output is not None:
            return [ile.production.output]
        return []

    def _settle(self, ile: Ile, target: Decimal) -> bool:
        diff = target - ile.act
        if not diff:
            return False
        self._adjustment(ile, diff, self._adjust_date(ile.last_invoice_date or ile.posting_date))
        return True

    def _adjust_average(self, item_no: str) -> list[Ile]:
        """Settle every decrease (and transfer receipt) of an Average item at its periodic average."""
        targets = self._average_targets(item_no)
        dependents: list[Ile] = []
        for ile in self.by_item.get(item_no, []):
            if ile.positive and ile.transfer_from is None:
                continue
            if not ile.positive and not ile.invoiced_quantity:
                continue
            if ile.entry_no in targets and self._settle(ile, targets[ile.entry_no]):
                dependents.extend(self._dependents(ile) if not ile.positive else [])
        self._avg_touched.discard(item_no)
        return dependents

    def _adjustment(self, ile: Ile, amount: Decimal, d: date, **kw: Any) -> None:
        self._ve(
            ile,
            d,
            valued_quantity=ile.quantity,
            cost_amount_actual=amount,
            adjustment=True,
            applies_to_entry=ile.invoice_ve_no or ile.first_ve_no,
            source_code="INVTADJMT",
            valued_by_average_cost=self._is_avg(ile) and not ile.positive,
            **kw,
        )

    def _adjust_output(self, ile: Ile) -> bool:
        order = ile.production
        if order is None or order.finished_date is None:
            return False
        before = ile.act
        actual = self._order_actual(order)
        d = self._adjust_date(ile.posting_date)
        if order.order_type == "Assembly":
            if actual != order.posted_direct:
                self._adjustment(ile, actual - order.posted_direct, d)
                order.posted_direct = actual
            return ile.act != before
        q = ile.quantity
        if not ile.invoiced_quantity:
            # First valuation of a finished order: reverse the expected cost, post the actual cost.
            self._ve(
                ile,
                d,
                valued_quantity=q,
                invoiced_quantity=q,
                cost_amount_actual=actual,
                cost_amount_expected=-ile.exp,
                adjustment=True,
                applies_to_entry=ile.first_ve_no,
                source_code="INVTADJMT",
            )
            ile.invoiced_quantity = q
            ile.last_invoice_date = d
            order.posted_direct = actual
        elif actual != order.posted_direct:
            self._adjustment(ile, actual - order.posted_direct, d)
            order.posted_direct = actual
        if order.item.costing_method == "Standard":
            self._variances(order, ile, d)
        return ile.act != before

    def _variances(self, order: ProductionOrder, ile: Ile, d: date) -> None:
        item, q = order.item, order.quantity
        std = self.standard_cost[item.no]
        material = -sum((c.act for c in order.consumption), ZERO)
        std_mat, std_cap, std_cap_oh = (
            r2(x * q) for x in (item.std_material, item.std_capacity, item.std_capacity_overhead)
        )
        wanted = {
            "Material": std_mat - material,
            "Capacity": std_cap - order.capacity_direct,
            "Capacity Overhead": std_cap_oh - order.capacity_indirect,
        }
        wanted["Manufacturing Overhead"] = r2(std * q) - std_mat - std_cap - std_cap_oh
        for vtype, amount in wanted.items():
            delta = amount - order.posted_variance.get(vtype, ZERO)
            if delta:
                self._ve(
                    ile,
                    d,
                    valued_quantity=q,
                    entry_type="Variance",
                    variance_type=vtype,
                    cost_amount_actual=delta,
                    adjustment=True,
                    applies_to_entry=ile.first_ve_no,
                    source_code="INVTADJMT",
                )
                order.posted_variance[vtype] = amount

    def _rounding(self) -> None:
        """Rounding entries for fully applied, fully invoiced non-average inbound entries."""
        candidates, self._round_check = self._round_check, {}
        for ile in sorted(candidates.values(), key=lambda e: e.entry_no):
            if not ile.positive or ile.remaining_quantity or self._is_avg(ile) or not ile.applied:
                continue
            if not ile.completely_invoiced or any(not o.completely_invoiced for o, _ in ile.applied):
                continue
            if self.items[ile.item_no].costing_method == "Standard" and ile.exp:
                continue
            forwarded = ZERO
            for out, q in ile.applied:
                share = r2(q * self._unit_base(ile))
                for reval_no, reval_date, amount, reval_qty in ile.revaluations:
                    if not (out.first_ve_no < reval_no and out.posting_date <= reval_date):
                        share += r2(amount * q / reval_qty)
                forwarded += share
            residual = forwarded - ile.act
            if residual and abs(residual) < Decimal(1):
                d = self._adjust_date(ile.last_cost_date or ile.last_invoice_date or ile.posting_date)
                self._ve(
                    ile,
                    d,
                    entry_type="Rounding",
                    valued_quantity=ile.quantity,
                    cost_amount_actual=residual,
                    adjustment=True,
                    source_code="INVTADJMT",
                )

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
entries) to the caller in batches (``drain``), so the database side is COPY only. ``prune`` forgets
settled entries and cuts the links of those whose cost can no longer change, and finished orders are
handed over (``take_finished_orders``), so memory follows the open state (open entries, recent months,
released orders), not the history.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from typing import Any

from costclose.demo_erp.adjust import CostAdjustment
from costclose.demo_erp.entries import (
    CLE_COLUMNS,
    CLE_DEFAULTS,
    IAE_COLUMNS,
    ILE_COLUMNS,
    VE_COLUMNS,
    VE_INDEX,
    VE_TEMPLATE,
    ZERO,
    AvgState,
    Ile,
    ItemInfo,
    ProductionOrder,
    link,
    r2,
)

Rows = list[tuple[Any, ...]]

__all__ = [
    "CLE_COLUMNS", "IAE_COLUMNS", "ILE_COLUMNS", "VE_COLUMNS", "ZERO", "Ile", "ItemInfo", "Ledger",
    "ProductionOrder", "r2",
]  # fmt: skip


class Ledger(CostAdjustment):
    """Posts item transactions of one company and adjusts their cost; see the module docstring."""

    SPILL_EVERY = 5_000  # value entry rows handed to ``spill`` at a time

    def __init__(
        self,
        company: str,
        items: dict[str, ItemInfo],
        *,
        average_cost_period: str = "Month",
        first_allowed_date: Callable[[], date] | None = None,
        first_entry_no: int = 1,
        charges_announced: bool = False,
    ) -> None:
        self.company = company
        # The caller announces every item charge when it posts the receipt (``expect_charge``) and dates
        # revaluations on or after the decreases posted before them: then an open layer that is final
        # cannot change what it forwards, and ``prune`` cuts its settled decreases loose (``_fold``).
        self.charges_announced = charges_announced
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
        # Where rows go once ``spill_every`` value entries are waiting (the seeder spools them to disk);
        # None: they wait for ``drain``.
        self.spill: Callable[[Rows, Rows, Rows], None] | None = None
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
        self._avg_folded: dict[str, tuple[int, ...]] = {}
        # Forgotten entries whose cost can still change (see ``prune``): kept linked until they cannot.
        self._unfrozen: dict[int, Ile] = {}

    # ------------------------------------------------------------------ rows
    def drain(self) -> tuple[Rows, Rows, Rows]:
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
        row[VE_INDEX["company"]] = self.company
        row[VE_INDEX["entry_no"]] = no
        row[VE_INDEX["posting_date"]] = row[VE_INDEX["valuation_date"]] = row[VE_INDEX["document_date"]] = d
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
                row[VE_INDEX[column]] = value
        for column, value in fields.items():
            row[VE_INDEX[column]] = value
        act, exp = row[VE_INDEX["cost_amount_actual"]], row[VE_INDEX["cost_amount_expected"]]
        row[VE_INDEX["cost_amount_actual_acy"]] = act
        row[VE_INDEX["cost_amount_expected_acy"]] = exp
        vq = row[VE_INDEX["valued_quantity"]]
        row[VE_INDEX["cost_per_unit"]] = r2((act + exp) / vq) if vq else ZERO
        self.ve_rows.append(tuple(row))
        self.ve_count += 1
        if ile is not None:
            self._book(ile, no, row, act, exp)
        if self.spill is not None and len(self.ve_rows) >= self.SPILL_EVERY:
            self.spill(*self.drain())
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
        if row[VE_INDEX["invoiced_quantity"]] and not row[VE_INDEX["adjustment"]]:
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
        entry_type = row[VE_INDEX["entry_type"]]
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
            link(out, inb, take)
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

    def take_finished_orders(self) -> list[ProductionOrder]:
        """Hand over (and forget) the finished orders; the ledger keeps only the released ones.

        Entries that can still be adjusted reach their order through ``Ile.production``.
        """
        done = [o for o in self.orders if o.finished_date is not None]
        if done:
            self.orders = [o for o in self.orders if o.finished_date is None]
        return done

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
            if inb.folded_until is not None and inb.folded_until > d:
                msg = f"revaluation of {item_no} on {d}: decreases after it are cut loose from {inb.entry_no}"
                raise ValueError(msg)
            applied = sum((q for out, q in inb.applied if out.posting_date <= d), ZERO)
            at_date = inb.quantity - inb.folded_qty - applied
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
            inb.revaluations = [*inb.revaluations, (no, d, amount, at_date)]
            inb.last_cost_date = d
            total += amount
        if item.costing_method == "Standard":
            self.standard_cost[item_no] = (self.standard_cost[item_no] * factor).quantize(Decimal("0.00001"))
        return total

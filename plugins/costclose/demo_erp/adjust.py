"""Adjust Cost - Item Entries (spec §A.10) and the cost each decrease should carry, as a mixin of ``Ledger``.

Decreases of non-average items carry their share of each applied inbound entry (plus revaluations
that affect them); Average items use the periodic weighted average; outputs are valued from their
order's consumption and capacity (with variances for Standard items); transfer receipts carry their
shipment's cost. ``adjust_cost`` visits only what changed, in entry-number order, and adds Rounding
entries for fully applied inbound entries. ``prune`` lets settled entries leave memory.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from costclose.demo_erp.entries import ZERO, AvgState, Ile, ItemInfo, ProductionOrder, r2


class CostAdjustment:
    """The cost-flow half of ``costclose.demo_erp.costing.Ledger`` (which provides the state below)."""

    items: dict[str, ItemInfo]
    entries: list[Ile]
    by_item: dict[str, list[Ile]]
    standard_cost: dict[str, Decimal]
    average_cost_period: str
    first_allowed_date: Callable[[], date]
    ve_count: int
    _changed: dict[int, Ile]
    _avg_touched: set[str]
    _to_value: dict[int, Ile]
    _round_check: dict[int, Ile]
    _avg_value: dict[str, Decimal]
    _avg_qty: dict[str, Decimal]
    _avg_state: dict[str, AvgState]
    _avg_folded: dict[str, tuple[int, ...]]  # Average items: periods before this key are folded
    _unfrozen: dict[int, Ile]
    charges_announced: bool

    _ve: Callable[..., int]  # Ledger's value entry writer

    def _is_avg(self, ile: Ile) -> bool:
        return self.items[ile.item_no].costing_method == "Average"

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
        if ile.folded_qty:
            msg = f"item charge for entry {ile.entry_no} not announced at its receipt (charges_announced)"
            raise ValueError(msg)
        ile.pending_charges += 1

    @staticmethod
    def _final(e: Ile) -> bool:
        """No further cost can arrive: completely invoiced, no expected cost, no announced item charge."""
        return e.invoiced_quantity == e.quantity and not e.exp and not e.pending_charges

    def prune(self, cutoff: date) -> int:
        """Forget settled entries dated before ``cutoff`` (the caller has written them); returns how many.

        An entry is settled when it is completely invoiced, has no expected cost, is closed (inbound),
        its order is finished and every entry it is applied with is also dated before ``cutoff``.
        Average items fold whole periods before ``cutoff`` (and before the first period with an entry
        that is not final) into a running state instead; their entries leave once closed, in this
        prune or a later one. Objects still referenced by open entries stay alive; the lists the
        engine walks only keep the rest.
        """
        cut_key = self._period_key(cutoff)
        for item_no, entries in self.by_item.items():
            if self.items[item_no].costing_method != "Average":
                continue
            # Whole periods before ``cutoff`` and before the first one with an entry still waiting for
            # cost (a busy item nearly always has one in the month just ended: folding all or nothing
            # never folded it, and its history stayed in memory).
            upto = min(
                (self._period_key(e.posting_date) for e in entries if not self._final(e)), default=cut_key
            )
            upto = min(upto, cut_key)
            old = [e for e in entries if self._period_key(e.posting_date) < upto]
            if not old:
                continue
            state = self._avg_state.get(item_no, (ZERO, ZERO, ZERO, self.items[item_no].unit_cost))
            self._avg_state[item_no] = self._average_walk(old, state)[1]
            self._avg_folded[item_no] = upto
            self.by_item[item_no] = [e for e in entries if self._period_key(e.posting_date) >= upto]

        def settled(e: Ile) -> bool:
            if e.posting_date >= cutoff or not self._final(e) or e.remaining_quantity:
                return False
            if self.items[e.item_no].costing_method == "Average":
                # folded (in this prune or an earlier one: an open layer folds, then closes later)
                return self._period_key(e.posting_date) < self._avg_folded.get(e.item_no, ())
            order = e.production
            if order is not None and (order.finished_date is None or order.finished_date >= cutoff):
                return False
            return all(p.posting_date < cutoff and p.invoiced_quantity == p.quantity for p, _ in e.applied)

        gone = [e for e in self.entries if settled(e)]
        dropped = {e.entry_no for e in gone}
        if dropped:
            self.entries = [e for e in self.entries if e.entry_no not in dropped]
            for item_no, entries in self.by_item.items():
                self.by_item[item_no] = [e for e in entries if e.entry_no not in dropped]
            self._round_check = {k: v for k, v in self._round_check.items() if k not in dropped}
        self._freeze(gone)
        return len(dropped)

    def _freeze(self, gone: list[Ile]) -> None:
        """Cut the links of forgotten entries whose cost can no longer change, so they can be freed.

        A forgotten entry is read again only when Adjust Cost gives it a new value entry: a decrease
        when one of its inbound entries changes, a transfer receipt when its shipment changes, an
        output when its order's consumption changes (purchases and positive adjustments are final;
        forgotten Average entries are folded into the item's running state). Its cost can change only
        while something upstream is still in ``entries`` (or forgotten but still able to change), so
        the rest is frozen: its ``applied`` pairs, transfer and order links are dropped (the object
        itself stays as long as a live decrease reads its cost). Without this, every forgotten entry
        stayed reachable from the open ones through chains of ``applied`` pairs and the ledger's
        orders, and memory grew with the whole history. Entries that can still change wait in
        ``_unfrozen`` for a later prune.
        """
        candidates = sorted([*self._unfrozen.values(), *gone], key=lambda e: e.entry_no)
        live = {e.entry_no for e in self.entries}
        memo: dict[int, bool] = {}

        def can_change(e: Ile) -> bool:
            if e.frozen:
                return False
            known = memo.get(e.entry_no)
            if known is not None:
                return known
            if e.entry_no in live and not self._fixed_layer(e):
                return True
            memo[e.entry_no] = True  # while deciding (the upstream graph has no cycles: entry numbers grow)
            order = e.production
            if e.entry_no in live:  # an open layer that is final: only its transfer shipment can change it
                result = e.transfer_from is not None and can_change(e.transfer_from)
            elif e.entry_type in ("Output", "Assembly Output"):
                unfinished = order is None or order.finished_date is None
                result = unfinished or any(map(can_change, order.consumption))
            elif self.items[e.item_no].costing_method == "Average":
                result = False  # folded: Adjust Cost only settles Average entries still in ``by_item``
            elif e.positive:
                result = e.transfer_from is not None and can_change(e.transfer_from)
            else:
                result = any(can_change(inb) for inb, _ in e.applied)
            memo[e.entry_no] = result
            return result

        self._unfrozen = {}
        for e in candidates:
            if can_change(e):
                self._unfrozen[e.entry_no] = e
                continue
            e.frozen = True
            if not e.positive:
                for inb, q in e.applied:
                    if inb.entry_no in live and not self._is_avg(inb):
                        self._fold(inb, e, q)
            e.applied = []
            e.transfer_from = e.transfer_to = None
            e.production = None

    def _fixed_layer(self, e: Ile) -> bool:
        """An inbound entry whose cost per unit, as forwarded to decreases, can no longer change.

        Final (completely invoiced, no expected cost, no announced item charge), not Average, not an
        output; a transfer receipt also needs its shipment to be unable to change (``_freeze`` checks).
        Revaluations change its cost, but not that of decreases posted before them (``_fold``). Only
        when the caller announces every item charge at the receipt (``charges_announced``).
        """
        return (
            self.charges_announced
            and e.positive
            and e.entry_type not in ("Output", "Assembly Output")
            and not self._is_avg(e)
            and self._final(e)
        )

    def _forwarded(self, inb: Ile, out: Ile, q: Decimal) -> Decimal:
        """What ``inb`` forwards to ``q`` of the decrease ``out``, revaluations that affect it included."""
        share = r2(q * self._unit_base(inb))
        for reval_no, reval_date, amount, reval_qty in inb.revaluations:
            if not (out.first_ve_no < reval_no and out.posting_date <= reval_date):
                share += r2(amount * q / reval_qty)
        return share

    def _fold(self, inb: Ile, out: Ile, q: Decimal) -> None:
        """Cut the frozen decrease ``out`` loose from the open layer ``inb``, keeping what inb needs of it.

        ``inb`` is a final layer (``_fixed_layer``): the cost it forwards to ``out`` cannot change, and
        a later revaluation (dated on or after ``out``) does not affect ``out``. What ``inb`` still
        reads of its decreases (Rounding: the cost forwarded to them; revaluation: the quantity applied
        by its date; ``prune``: that they are invoiced and old enough) is kept as sums, so ``out``
        can be freed while the layer stays open for months. The ledgers do not change.
        """
        inb.folded_qty += q
        inb.folded_cost += self._forwarded(inb, out, q)
        if inb.folded_until is None or out.posting_date > inb.folded_until:
            inb.folded_until = out.posting_date
        inb.applied = [pair for pair in inb.applied if pair[0] is not out]

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
            if not ile.positive or ile.remaining_quantity or self._is_avg(ile):
                continue
            if not ile.applied and not ile.folded_qty:
                continue
            if not ile.completely_invoiced or any(not o.completely_invoiced for o, _ in ile.applied):
                continue
            if self.items[ile.item_no].costing_method == "Standard" and ile.exp:
                continue
            forwarded = ile.folded_cost + sum((self._forwarded(ile, out, q) for out, q in ile.applied), ZERO)
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

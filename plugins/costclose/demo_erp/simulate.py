"""The simulator: months of a CRONUS business posted through the costing engine, deterministic per seed.

Each working day it posts purchases (received, invoiced later at a slightly different price, some
with a freight item charge), sales (shipped, invoiced later), positive/negative adjustments, transfers
between locations, weekly production orders (consumption, work-center capacity with direct and
indirect cost, output at expected cost, finishing) and assembly orders (components + a resource). At
each month end it revalues some items (two months of the run), runs Adjust Cost - Item Entries, writes
the month's entries with COPY and posts them to the G/L: Automatic Cost Posting is on for the first
half of the run (entries posted as they are made) and off afterwards (entries queued in
``bc.post_value_entry_to_g_l`` and posted by the month-end batch, except in the last month, which stays
unposted). After a month's batch the month before it is closed and Allow Posting From moves forward,
so later adjustments of old entries are dated at the first allowed date.

Scale: ``scale`` 1 is a few thousand value entries over 14 months; volume grows linearly with it. Rows
leave the engine in batches, spooled to temporary files as they are made (``store.EntrySpool``), so
the database side is COPY only and batches waiting for the writer hold disk, not memory.

Generated items (``seed(..., items=N)``, see ``masterdata.generated_item_rows``) take their share of the
daily purchases, sales, adjustments and transfers (their number over all tradeable items), at every
location whose Inventory Posting Setup covers their posting group; transfers between them go through an
in-transit location when one is set up (shipment, then receipt 1-3 days later). Generated items whose
Gen. Prod. Posting Group has no COGS account (RAW MAT) are not sold: their stock is used up by negative
adjustments. Without generated items no random draw changes, so the ledgers are those of CRONUS alone.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import json
import logging
import random
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg2
from psycopg2.extensions import connection, cursor

from costclose.demo_erp import discrepancies as discrepancy_kinds
from costclose.demo_erp import gl_posting, masterdata, schema, store
from costclose.demo_erp.bulk import copy_rows
from costclose.demo_erp.costing import ZERO, Ile, ItemInfo, Ledger, ProductionOrder, r2
from costclose.demo_erp.errors import DemoErpError
from costclose.demo_erp.writer import BackgroundWriter

log = logging.getLogger(__name__)

DEFAULT_START = date(2025, 1, 1)
FLUSH_EVERY = 50_000  # value entries kept in memory before a COPY
SALES_LOCATIONS = ("MAIN", "EAST", "WEST")
CUSTOMER_GROUPS = (("DOMESTIC", "10000", 70), ("EU", "20000", 20), ("EXPORT", "30000", 10))
REVALUATIONS = {
    3: (("1896-S", Decimal("0.95")), ("SP-BOM2010", Decimal("1.04"))),
    8: (("WRB-2001", Decimal("1.06")), ("1920-S", Decimal("0.97"))),
}
PRODUCED = ("SP-SCM1009", "SP-SCM1020", "SP-SCM1011")
REORDER_POINT = 20
ASSEMBLED = ("1925-W", "1953-W")
BENCH_LOCATIONS = 3  # locations each generated item is stocked at (at most its group's)


@dataclass(slots=True)
class _Pending:
    due: date
    action: Callable[[date], None]


@dataclass
class Business:
    """One company's simulated business over a run of months."""

    conn: connection
    company: str
    start: date
    months: int
    scale: float
    rng: random.Random
    items: dict[str, ItemInfo] = field(default_factory=dict)
    allow_from: date = date.min
    pending: list[tuple[date, int, _Pending]] = field(default_factory=list)  # a heap by due date
    open_orders: list[ProductionOrder] = field(default_factory=list)
    doc_counters: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    unit_costs: dict[str, Decimal] = field(default_factory=dict)
    work_centers: list[tuple[Any, ...]] = field(default_factory=list)
    resources: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    boms: dict[str, list[tuple[str, Decimal]]] = field(default_factory=dict)
    routings: dict[str, list[tuple[str, str, Decimal]]] = field(default_factory=dict)
    assembly_boms: dict[str, list[tuple[str, str, Decimal]]] = field(default_factory=dict)
    auto_months: int = 0
    # Generated items: their numbers, the locations (and in-transit locations) their inventory posting
    # group is set up for, and those that can be sold (General Posting Setup has a COGS account).
    bench_items: list[str] = field(default_factory=list)
    bench_locations: dict[str, tuple[str, ...]] = field(default_factory=dict)
    bench_transit: dict[str, tuple[str, ...]] = field(default_factory=dict)
    bench_sellable: set[str] = field(default_factory=set)
    bench_share: float = 0.0
    # Settled entries leave memory this many months after the month they are dated in (0: at its end).
    window_months: int = 0
    automatic: bool = True  # Automatic Cost Posting in the month being simulated
    ledger: Ledger = field(init=False)
    writer: BackgroundWriter = field(init=False)
    _batch: store.EntrySpool = field(init=False)  # the value entry batch being built, on disk
    _seq: Iterator[int] = field(default_factory=itertools.count)

    def __post_init__(self) -> None:
        self._load_setup()
        self.allow_from = self.start
        # Item charges are announced when their receipt is posted and revaluations are dated at month end.
        self.ledger = Ledger(
            self.company, self.items, first_allowed_date=lambda: self.allow_from, charges_announced=True
        )
        self.auto_months = self.months // 2

    def _later(self, item: _Pending) -> None:
        """Schedule an action (an invoice, a charge, finishing an order) for its due date, in order."""
        heapq.heappush(self.pending, (item.due, next(self._seq), item))

    # ------------------------------------------------------------------ setup
    def _load_setup(self) -> None:
        with self.conn.cursor() as cur:
            cur.execute(
                "select no, costing_method, inventory_posting_group, gen_prod_posting_group, unit_cost, "
                "standard_cost, indirect_cost, overhead_rate, type, replenishment_system "
                "from bc.item where company = %s order by no",
                (self.company,),
            )
            raw_items = cur.fetchall()
            cur.execute(
                "select no, unit_cost, indirect_cost_pct, overhead_rate, gen_prod_posting_group "
                "from bc.work_center where company = %s order by no",
                (self.company,),
            )
            self.work_centers = cur.fetchall()
            cur.execute(
                "select no, unit_cost, indirect_cost_pct, gen_prod_posting_group from bc.resource "
                "where company = %s",
                (self.company,),
            )
            self.resources = {r[0]: r for r in cur.fetchall()}
            cur.execute(
                "select production_bom_no, no, quantity_per from bc.production_bom_line where company = %s "
                "order by production_bom_no, line_no",
                (self.company,),
            )
            for parent, comp, qty in cur.fetchall():
                self.boms.setdefault(parent, []).append((comp, qty))
            cur.execute(
                "select routing_no, operation_no, work_center_no, run_time from bc.routing_line "
                "where company = %s order by routing_no, operation_no",
                (self.company,),
            )
            for parent, op, wc, run_time in cur.fetchall():
                self.routings.setdefault(parent, []).append((op, wc, run_time))
            cur.execute(
                "select parent_item_no, type, no, quantity_per from bc.assembly_bom_component "
                "where company = %s order by parent_item_no, line_no",
                (self.company,),
            )
            for parent, typ, no, qty in cur.fetchall():
                self.assembly_boms.setdefault(parent, []).append((typ, no, qty))
            self._load_bench_setup(cur, raw_items)
        wc = {w[0]: w for w in self.work_centers}
        for no, method, ipg, gpg, unit_cost, std, ind, ohr, typ, _ in raw_items:
            if typ != "Inventory":
                continue
            self.unit_costs[no] = unit_cost
            std_parts = (ZERO, ZERO, ZERO)
            if method == "Standard" and no in self.boms:
                material = sum((q * self._cost_of(c, raw_items) for c, q in self.boms[no]), ZERO)
                direct = sum(
                    (t * (wc[w][1] - wc[w][3]) / (1 + wc[w][2] / 100) for _, w, t in self.routings[no]), ZERO
                )
                total = sum((t * wc[w][1] for _, w, t in self.routings[no]), ZERO)
                std_parts = (r2(material), r2(direct), r2(total) - r2(direct))
            self.items[no] = ItemInfo(
                no,
                method or "FIFO",
                ipg,
                gpg,
                unit_cost,
                standard_cost=std,
                indirect_cost_pct=ind,
                overhead_rate=ohr,
                std_material=std_parts[0],
                std_capacity=std_parts[1],
                std_capacity_overhead=std_parts[2],
            )

    def _load_bench_setup(self, cur: cursor, raw_items: list[tuple[Any, ...]]) -> None:
        """Pools of the generated items: where each posting group can be stocked and which can be sold."""
        self.bench_items = [r[0] for r in raw_items if masterdata.is_generated(r[0]) and r[8] == "Inventory"]
        if not self.bench_items:
            return
        cur.execute(
            "select s.invt_posting_group_code, s.location_code, l.use_as_in_transit "
            "from bc.inventory_posting_setup s join bc.location l "
            "on l.company = s.company and l.code = s.location_code "
            "where s.company = %s order by s.invt_posting_group_code, s.location_code",
            (self.company,),
        )
        stock: dict[str, list[str]] = defaultdict(list)
        transit: dict[str, list[str]] = defaultdict(list)
        for group, loc, in_transit in cur.fetchall():
            (transit if in_transit else stock)[group].append(loc)
        self.bench_locations = {g: tuple(locs) for g, locs in stock.items()}
        self.bench_transit = {g: tuple(locs) for g, locs in transit.items()}
        cur.execute(
            "select gen_prod_posting_group from bc.general_posting_setup where company = %s "
            "and gen_bus_posting_group = any(%s) group by gen_prod_posting_group "
            "having bool_and(cogs_account <> '')",
            (self.company, [g for g, _, _ in CUSTOMER_GROUPS]),
        )
        sellable_groups = {r[0] for r in cur.fetchall()}
        by_no = {r[0]: r for r in raw_items}
        self.bench_sellable = {i for i in self.bench_items if by_no[i][3] in sellable_groups}
        unstockable = [i for i in self.bench_items if by_no[i][2] not in self.bench_locations]
        if unstockable:
            raise DemoErpError(
                f"Generated item {unstockable[0]} has inventory posting group {by_no[unstockable[0]][2]!r}, "
                "which no Inventory Posting Setup row covers; add one or seed without --items."
            )

    @staticmethod
    def _cost_of(item_no: str, raw_items: list[tuple[Any, ...]]) -> Decimal:
        row = next(r for r in raw_items if r[0] == item_no)
        return row[5] if row[1] == "Standard" else row[4]

    def _doc(self, prefix: str) -> str:
        self.doc_counters[prefix] += 1
        return f"{prefix}{self.doc_counters[prefix]:06d}"

    def _count(self, rate: float) -> int:
        base = int(rate)
        return base + (1 if self.rng.random() < rate - base else 0)

    def _price(self, item_no: str, spread: float = 0.05) -> Decimal:
        unit = self.unit_costs[item_no] or Decimal(10)
        return (unit * Decimal(str(round(1 + self.rng.uniform(-spread, spread), 4)))).quantize(
            Decimal("0.00001")
        )

    # ------------------------------------------------------------------ item pools
    @functools.cached_property
    def resale_items(self) -> list[str]:
        return [
            i
            for i, it in self.items.items()
            if it.inventory_posting_group == "RESALE"
            and self.unit_costs[i] > 0
            and i not in ASSEMBLED
            and not masterdata.is_generated(i)
        ]

    def _bench_turn(self) -> bool:
        """Whether this purchase/sale/adjustment/transfer is one of a generated item (none: no draw)."""
        if not self.bench_items:
            return False
        if not self.bench_share:
            self.bench_share = len(self.bench_items) / (len(self.bench_items) + len(self.resale_items))
        return self.rng.random() < self.bench_share

    def _stocked_at(self, item_no: str) -> tuple[str, ...]:
        """The locations a generated item is stocked at: BENCH_LOCATIONS of its group's, in rotation.

        Like a real assortment, not every item is kept everywhere (and fewer item-locations hold stock,
        so fewer open entries stay in the engine's memory); the rotation covers every location.
        """
        locations = self.bench_locations[self.items[item_no].inventory_posting_group]
        if len(locations) <= BENCH_LOCATIONS:
            return locations
        first = int(item_no.removeprefix(masterdata.GENERATED_PREFIX)) % len(locations)
        return tuple(locations[(first + k) % len(locations)] for k in range(BENCH_LOCATIONS))

    def _bench_pick(self) -> tuple[str, str]:
        item_no = self.rng.choice(self.bench_items)
        return item_no, self.rng.choice(self._stocked_at(item_no))

    # ------------------------------------------------------------------ business events
    def buy(self, item_no: str, loc: str, qty: Decimal, d: date, *, invoice_now: bool | None = None) -> Ile:
        price = self._price(item_no)
        invoice_now = self.rng.random() < 0.4 if invoice_now is None else invoice_now
        doc = self._doc("PR")
        ile = self.ledger.purchase(item_no, loc, qty, price, d=d, doc=doc, invoice=invoice_now)
        if not invoice_now:
            final = (price * Decimal(str(round(1 + self.rng.uniform(-0.03, 0.03), 4)))).quantize(
                Decimal("0.00001")
            )
            # Most invoices follow within weeks; some arrive a month or two later (Adjust Cost then reaches
            # entries of closed periods and moves its adjustments to the first allowed posting date).
            lag = self.rng.randint(3, 25) if self.rng.random() < 0.85 else self.rng.randint(30, 75)
            due = d + timedelta(days=lag)
            self._later(
                _Pending(
                    due,
                    lambda day, ile=ile, p=final: self.ledger.invoice_purchase(ile, day, self._doc("PI"), p),
                )
            )
        if self.rng.random() < 0.12:
            self.ledger.expect_charge(ile)
            charge = r2(qty * (self.unit_costs[item_no] or Decimal(10)) * Decimal("0.02") + 5)
            due = d + timedelta(days=self.rng.randint(1, 50))
            self._later(
                _Pending(
                    due, lambda day, ile=ile, c=charge: self.ledger.item_charge(ile, day, self._doc("PIC"), c)
                )
            )
        return ile

    def sell(self, d: date) -> None:
        roll = self.rng.random()
        if roll < 0.2:
            item_no, loc = self.rng.choice(PRODUCED), "MAIN"
        elif roll < 0.27:
            item_no, loc = self.rng.choice(ASSEMBLED), "MAIN"
        else:
            item_no, loc = self.rng.choice(self.resale_items), self.rng.choice(SALES_LOCATIONS)
        self._sell_at(item_no, loc, d, restock=item_no in self.resale_items)

    def _sell_at(self, item_no: str, loc: str, d: date, *, restock: bool) -> None:
        on_hand = self.ledger.on_hand(item_no, loc)
        if on_hand <= 0:
            if restock:
                self.buy(item_no, loc, Decimal(self.rng.randint(10, 40)), d)
            return
        qty = min(on_hand, Decimal(self.rng.randint(1, 6)))
        group, customer = self._customer()
        fixed = None
        if self.items[item_no].costing_method == "Specific":
            pool = self.ledger.open_inbound.get((item_no, loc), [])
            fixed = self.rng.choice(pool)
            qty = min(qty, fixed.remaining_quantity)
        self._ship(item_no, loc, qty, d, (group, customer), fixed)

    def _ship(
        self, item_no: str, loc: str, qty: Decimal, d: date, customer: tuple[str, str], fixed: Ile | None
    ) -> None:
        """Post a sales shipment, invoiced with it or (half the time) 1-20 days later."""
        invoice_now = self.rng.random() < 0.5
        doc = self._doc("SS")
        ile = self.ledger.sale(
            item_no,
            loc,
            qty,
            d,
            doc,
            customer_group=customer[0],
            customer_no=customer[1],
            invoice=invoice_now,
            fixed=fixed,
        )
        if not invoice_now:
            due = d + timedelta(days=self.rng.randint(1, 20))
            self._later(
                _Pending(due, lambda day, ile=ile: self.ledger.invoice_sale(ile, day, self._doc("SI")))
            )

    def _sell_to_order(self, order: ProductionOrder, d: date) -> None:
        """Make/assemble to order (only with generated items): ship the order's output to its customer.

        CRONUS's own business sells its produced and assembled items from stock, in a fifth of its
        sales. With generated items those sales shrink to CRONUS's share of all items while production
        and assembly keep their volume, so their output would pile up month after month, and with it
        the engine's open entries (the seeder's memory grew with the months). Selling each order's
        output when the order is finished, applied to that output, keeps the stock at what is in
        production. Without generated items nothing changes.
        """
        output = order.output
        if output is None or output.remaining_quantity <= 0:
            return
        fixed = None if self.items[output.item_no].costing_method == "Average" else output
        qty = output.remaining_quantity
        self._ship(output.item_no, output.location_code, qty, d, self._customer(), fixed)

    def _customer(self) -> tuple[str, str]:
        roll = self.rng.randint(1, 100)
        for group, no, weight in CUSTOMER_GROUPS:
            if roll <= weight:
                return group, no
            roll -= weight
        return CUSTOMER_GROUPS[0][:2]

    def bench_sell(self, d: date) -> None:
        """A sale of a generated item; one that cannot be sold has some of its stock used up instead."""
        item_no, loc = self._bench_pick()
        if item_no in self.bench_sellable:
            self._sell_at(item_no, loc, d, restock=True)
            return
        on_hand = self.ledger.on_hand(item_no, loc)
        if on_hand <= 0:
            self.buy(item_no, loc, Decimal(self.rng.randint(10, 40)), d)
            return
        qty = min(on_hand, Decimal(self.rng.randint(1, 6)))
        self.ledger.negative_adjustment(item_no, loc, qty, d, self._doc("IJ"))

    def adjust_stock(self, d: date) -> None:
        item_no = self.rng.choice(self.resale_items)
        loc = self.rng.choice(SALES_LOCATIONS)
        self._adjust_at(item_no, loc, d)

    def _adjust_at(self, item_no: str, loc: str, d: date) -> None:
        doc = self._doc("IJ")
        if self.rng.random() < 0.5:
            self.ledger.positive_adjustment(
                item_no, loc, Decimal(self.rng.randint(1, 4)), self.unit_costs[item_no], d=d, doc=doc
            )
        elif self.ledger.on_hand(item_no, loc) >= 1:
            self.ledger.negative_adjustment(item_no, loc, Decimal(1), d, doc)

    def move_stock(self, d: date) -> None:
        item_no = self.rng.choice(self.resale_items)
        src, dst = self.rng.sample(SALES_LOCATIONS, 2)
        on_hand = self.ledger.on_hand(item_no, src)
        if on_hand >= 2:
            qty = min(on_hand // 2, Decimal(self.rng.randint(1, 8)))
            self.ledger.transfer(item_no, src, dst, qty, d=d, doc=self._doc("TO"))

    def bench_move(self, d: date) -> None:
        """A transfer of a generated item: through an in-transit location when its group has one."""
        item_no = self.rng.choice(self.bench_items)
        group = self.items[item_no].inventory_posting_group
        locations = self._stocked_at(item_no)
        # from a location that has stock of the item (thousands of items: a random one rarely has)
        stocked = [loc for loc in locations if self.ledger.on_hand(item_no, loc) >= 2]
        if not stocked:
            return
        src = self.rng.choice(stocked)
        dst = self.rng.choice([loc for loc in locations if loc != src])
        qty = min(self.ledger.on_hand(item_no, src) // 2, Decimal(self.rng.randint(1, 8)))
        doc = self._doc("TO")
        transit = self.bench_transit.get(group, ())
        if not transit:
            self.ledger.transfer(item_no, src, dst, qty, d=d, doc=doc)
            return
        via = self.rng.choice(transit)
        self.ledger.transfer(item_no, src, via, qty, d=d, doc=doc)
        due = d + timedelta(days=self.rng.randint(1, 3))
        self._later(
            _Pending(
                due,
                lambda day, i=item_no, v=via, t=dst, q=qty, n=doc: self.ledger.transfer(
                    i, v, t, q, d=day, doc=n
                ),
            )
        )

    def replenish(self, d: date) -> None:
        """Buy when the location's stock of the item is below its reorder point."""
        item_no, loc = self.rng.choice(self.resale_items), self.rng.choice(SALES_LOCATIONS)
        if self.ledger.on_hand(item_no, loc) < REORDER_POINT:
            self.buy(item_no, loc, Decimal(self.rng.randint(5, 30)), d)

    def bench_adjust(self, d: date) -> None:
        self._adjust_at(*self._bench_pick(), d)

    def _either(self, cronus: Callable[[date], None], bench: Callable[[date], None], d: date) -> None:
        (bench if self._bench_turn() else cronus)(d)

    def bench_replenish(self, d: date) -> None:
        item_no, loc = self._bench_pick()
        if self.ledger.on_hand(item_no, loc) < REORDER_POINT:
            self.buy(item_no, loc, Decimal(self.rng.randint(5, 30)), d)

    def _ensure(self, item_no: str, loc: str, qty: Decimal, d: date) -> None:
        short = qty - self.ledger.on_hand(item_no, loc)
        if short > 0:
            self.buy(
                item_no,
                loc,
                short + Decimal(self.rng.randint(10, 30)),
                d,
                invoice_now=self.rng.random() < 0.6,
            )

    def produce(self, d: date) -> None:
        item_no = PRODUCED[self.doc_counters["RPO"] % len(PRODUCED)]
        qty = Decimal(self.rng.randint(4, 12))
        order = self.ledger.release_order(self._doc("RPO"), "Production", item_no, "MAIN", qty=qty, d=d)
        for comp, per in self.boms[item_no]:
            need = per * qty + (Decimal(1) if self.rng.random() < 0.2 else ZERO)  # some scrap
            self._ensure(comp, "MAIN", need, d)
            self.ledger.consume(order, comp, need, d)
        wcs = {w[0]: w for w in self.work_centers}
        for op, wc_no, run_time in self.routings[item_no]:
            _, unit_cost, ind, ohr, gpg = wcs[wc_no]
            minutes = (run_time * qty * Decimal(str(round(self.rng.uniform(0.9, 1.2), 2)))).quantize(
                Decimal("0.01")
            )
            self.ledger.capacity(
                order,
                cap_type="Work Center",
                no=wc_no,
                minutes=minutes,
                unit_cost=unit_cost,
                indirect_pct=ind,
                overhead_rate=ohr,
                gen_prod_group=gpg,
                d=d,
                operation_no=op,
            )
        self.ledger.output(order, d + timedelta(days=1))
        self.open_orders.append(order)
        self._later(
            _Pending(d + timedelta(days=self.rng.randint(2, 4)), lambda day, o=order: self._finish(o, day))
        )

    def _finish(self, order: ProductionOrder, d: date) -> None:
        self.ledger.finish(order, d)
        self.open_orders.remove(order)
        if self.bench_items:
            self._sell_to_order(order, d)

    def assemble(self, d: date) -> None:
        item_no = self.rng.choice(ASSEMBLED)
        qty = Decimal(self.rng.randint(1, 3))
        order = self.ledger.release_order(self._doc("ASM"), "Assembly", item_no, "MAIN", qty=qty, d=d)
        for typ, no, per in self.assembly_boms[item_no]:
            if typ == "Item":
                self._ensure(no, "MAIN", per * qty, d)
                self.ledger.consume(order, no, per * qty, d)
            else:
                _, unit_cost, ind, gpg = self.resources[no]
                self.ledger.capacity(
                    order,
                    cap_type="Resource",
                    no=no,
                    minutes=per * qty,
                    unit_cost=unit_cost,
                    indirect_pct=ind,
                    overhead_rate=ZERO,
                    gen_prod_group=gpg,
                    d=d,
                )
        self.ledger.output(order, d)
        if self.bench_items:
            self._sell_to_order(order, d)

    # ------------------------------------------------------------------ the calendar
    def run_day(self, d: date) -> None:
        while self.pending and self.pending[0][0] <= d:
            heapq.heappop(self.pending)[2].action(d)
        if d.weekday() >= 5:
            return
        for _ in range(self._count(1.1 * self.scale)):
            self._either(self.replenish, self.bench_replenish, d)
        for _ in range(self._count(1.8 * self.scale)):
            self._either(self.sell, self.bench_sell, d)
        for _ in range(self._count(0.3 * self.scale)):
            self._either(self.adjust_stock, self.bench_adjust, d)
        for _ in range(self._count(0.25 * self.scale)):
            self._either(self.move_stock, self.bench_move, d)
        if d.weekday() == 0:
            for _ in range(max(1, self._count(1.0 * self.scale))):
                self.produce(d)
        if d.weekday() == 2:
            for _ in range(self._count(0.8 * self.scale)):
                self.assemble(d)
        if self._batch.ve_rows + len(self.ledger.ve_rows) >= FLUSH_EVERY:
            self._submit_entries(automatic=self.automatic)

    def _batch_add(self, ves: store.Rows, iaes: store.Rows, cles: store.Rows) -> None:
        self._batch.add(ves, iaes, cles)

    def _submit_entries(self, *, automatic: bool) -> None:
        """Hand the entries made so far to the writer: COPY, then post (automatic) or queue them."""
        # On disk: a batch (spilled by the engine slice by slice) holds no memory while it waits.
        self._batch.add(*self.ledger.drain())
        batch, self._batch = self._batch.finish(), store.EntrySpool()
        company = self.company

        def job(conn: connection) -> None:
            span = store.write_spooled(conn, batch)
            if span is None:
                return
            if automatic:
                gl_posting.post_value_entries(conn, company, from_entry_no=span[0], to_entry_no=span[1])
                return
            with conn.cursor() as cur:
                cur.execute(
                    """
                    insert into bc.post_value_entry_to_g_l (company, value_entry_no, item_no, posting_date)
                    select ve.company, ve.entry_no, ve.item_no, ve.posting_date
                    from bc.value_entry ve join bc.inventory_setup s on s.company = ve.company
                    where ve.company = %s and ve.entry_no between %s and %s and ve.inventoriable
                      and (ve.cost_amount_actual <> 0
                           or (ve.cost_amount_expected <> 0 and s.expected_cost_posting_to_g_l))
                    """,
                    (company, span[0], span[1]),
                )

        self.writer.submit(job)

    def _submit_month_end(self, firsts: list[date], i: int, *, automatic: bool) -> None:
        """The month's batch posting, period closing and item ledger upsert, then commit."""
        company, last = self.company, i == self.months - 1
        month_end = firsts[i + 1] - timedelta(days=1)
        close = (firsts[i - 1], firsts[i]) if i >= 1 and not last else None
        if close is not None:
            self.allow_from = close[1]  # the engine dates later adjustments from here on
        ile_rows = store.spool_item_ledger(self.ledger.ile_rows(changed_only=True))
        finished = self.ledger.take_finished_orders()  # written now, so the engine can forget them

        def job(conn: connection) -> None:
            if not automatic and not last:
                gl_posting.post_value_entries(conn, company, queued_only=True, creation_date=month_end)
            if close is not None:
                _close_period(conn, company, *close)
            store.upsert_item_ledger_file(conn, ile_rows)
            with conn.cursor() as cur:
                _write_orders(cur, company, finished)
            conn.commit()

        self.writer.submit(job)

    def run(self) -> None:
        firsts = masterdata.month_starts(self.start, self.months + 1)
        self.writer = BackgroundWriter(self.conn)
        self._batch = store.EntrySpool()
        self.ledger.spill = self._batch_add
        try:
            for i in range(self.months):
                self._run_month(firsts, i)
        finally:
            self.ledger.spill = None
            self.writer.close()
        self._finish_run()

    def _run_month(self, firsts: list[date], i: int) -> None:
        automatic = i < self.auto_months
        self.automatic = automatic
        d = firsts[i]
        while d < firsts[i + 1]:
            self.run_day(d)
            d += timedelta(days=1)
        month_end = firsts[i + 1] - timedelta(days=1)
        for item_no, factor in REVALUATIONS.get(i, ()):
            self.ledger.revalue(item_no, month_end, factor, self._doc("REVAL"))
        self.ledger.adjust_cost()
        self._submit_entries(automatic=automatic)
        self._submit_month_end(firsts, i, automatic=automatic)
        # Bounded memory: the item ledger rows are on their way; forget what can no longer change.
        if i >= self.window_months:
            dropped = self.ledger.prune(firsts[i + 1 - self.window_months])
            log.debug("company %s: %d settled item ledger entries left memory", self.company, dropped)
        log.info(
            "company %s: %s simulated, %d value entries so far", self.company, firsts[i], self.ledger.ve_count
        )

    def _finish_run(self) -> None:
        store.write_item_ledger(self.conn, self.ledger)
        with self.conn.cursor() as cur:
            _write_orders(cur, self.company, self.ledger.orders)
            for item_no, std in self.ledger.standard_cost.items():
                if self.items[item_no].costing_method == "Standard":
                    cur.execute(
                        "update bc.item set standard_cost = %s, unit_cost = %s where company = %s "
                        "and no = %s",
                        (std, std, self.company, item_no),
                    )
            cur.execute(
                "update bc.inventory_setup set automatic_cost_posting = %s where company = %s",
                (self.months <= self.auto_months, self.company),
            )


ORDER_COLUMNS = [
    "company",
    "status",
    "no",
    "description",
    "source_type",
    "source_no",
    "due_date",
    "finished_date",
    "location_code",
    "quantity",
    "inventory_posting_group",
    "gen_prod_posting_group",
    "gen_bus_posting_group",
]


def _write_orders(cur: cursor, company: str, orders: list[ProductionOrder]) -> None:
    """COPY the production orders among ``orders`` (assembly orders have no Production Order row)."""
    rows = [
        (
            company,
            "Finished" if o.finished_date else "Released",
            o.no,
            o.item.no,
            "Item",
            o.item.no,
            o.due_date,
            o.finished_date,
            o.location_code,
            o.quantity,
            o.item.inventory_posting_group,
            o.item.gen_prod_posting_group,
            "",
        )
        for o in orders
        if o.order_type == "Production"
    ]
    copy_rows(cur, "bc", "production_order", ORDER_COLUMNS, rows)


def _close_period(conn: connection, company: str, period: date, allow_from: date) -> None:
    """Close the accounting and inventory periods up to ``period``; allow posting from ``allow_from``."""
    with conn.cursor() as cur:
        cur.execute(
            "update bc.accounting_period set closed = true, date_locked = true "
            "where company = %s and starting_date <= %s and not closed",
            (company, period),
        )
        cur.execute(
            "update bc.inventory_period set closed = true "
            "where company = %s and ending_date < %s and not closed",
            (company, allow_from),
        )
        cur.execute(
            "update bc.general_ledger_setup set allow_posting_from = %s where company = %s",
            (allow_from, company),
        )


def _connect(conn_or_url: connection | str) -> tuple[connection, bool]:
    if isinstance(conn_or_url, str):
        return psycopg2.connect(conn_or_url), True
    return conn_or_url, False


def seed(
    conn_or_url: connection | str,
    company: str = "CRONUS",
    months: int = 14,
    scale: float = 1,
    seed: int = 1,
    start: date = DEFAULT_START,
    discrepancies: bool = False,
    manifest_path: Path | None = None,
    window_months: int = 0,
    items: int | None = None,
) -> dict[str, Any]:
    """Create ``company`` in the demo ERP and post ``months`` of business; returns the manifest.

    ``window_months``: item ledger entries leave memory at the end of the month they are settled in
    (or this many months later; they are written first), and forgotten entries whose cost can no longer
    change are unlinked, so memory follows the open state (open entries, the month being simulated,
    released orders), not the history, without changing any result.

    ``items``: the company's number of items; when above CRONUS's own (with the additions), generated
    items cloned from CRONUS's purchasable items fill up to it and are traded at every location.

    The manifest (see ``discrepancies`` and README.md) lists what was injected and the exact
    per-account, per-period differences between the G/L and what the value entries imply. It is also
    stored in ``bc.seed_manifest`` and, when ``manifest_path`` is given, written there as JSON.
    """
    conn, owned = _connect(conn_or_url)
    try:
        schema.install(conn)
        with conn.cursor() as cur:
            cur.execute("select 1 from bc.company where name = %s", (company,))
            if cur.fetchone():
                conn.rollback()
                raise DemoErpError(
                    f"Company {company!r} is already seeded in this database; use another company name, "
                    "or reseed with `costclose demo-erp seed --replace`."
                )
        start = start.replace(day=1)
        masterdata.load_company(conn, company, start=start, months=months, items=items)
        conn.commit()
        rng = random.Random(seed)  # noqa: S311 - a simulation, not cryptography
        business = Business(conn, company, start, months, scale, rng, window_months=window_months)
        business.run()
        injected = discrepancy_kinds.inject(conn, company, business, enabled=discrepancies)
        manifest = discrepancy_kinds.build_manifest(
            conn, company, injected, seed=seed, scale=scale, months=months, start=start
        )
        with conn.cursor() as cur:
            cur.execute(
                "insert into bc.seed_manifest (company, manifest) values (%s, %s) "
                "on conflict (company) do update set manifest = excluded.manifest",
                (company, json.dumps(manifest)),
            )
        conn.commit()
    finally:
        if owned:
            conn.close()
    if manifest_path is not None:
        manifest_path.parent.mkdir(parents=True, exist_ok=True)
        manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    log.info("company %s seeded: %d value entries", company, manifest["counts"]["value_entry"])
    return manifest

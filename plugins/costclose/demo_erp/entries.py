"""The records of the costing engine: items, item ledger entries with their costing state, orders, columns."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from costclose import bc_schema

ZERO = Decimal(0)
CENT = Decimal("0.01")


AvgState = tuple[Decimal, Decimal, Decimal, Decimal]  # value, quantity, rounding residual, average


def r2(x: Decimal) -> Decimal:
    """Round to BC's amount rounding precision (0.01)."""
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
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
    # Outbound: [(inbound, qty>0)]; inbound: [(outbound, qty>0)]. Both start as a shared empty tuple (most
    # open layers have nothing applied yet, and an empty list per entry costs 56 bytes): ``link`` appends.
    applied: list[tuple[Ile, Decimal]] | tuple[()] = ()
    # Inbound revaluations: (revaluation VE no, date, amount, quantity revalued).
    revaluations: list[tuple[int, date, Decimal, Decimal]] | tuple[()] = ()
    transfer_from: Ile | None = None
    transfer_to: Ile | None = None
    production: ProductionOrder | None = None
    last_cost_date: date | None = None
    written: tuple[Any, ...] | None = None  # the row state last handed to the database
    pending_charges: int = 0  # item charges announced but not yet posted
    # Forgotten and its cost can no longer change: its links to other entries are cut (adjust.prune).
    frozen: bool = False
    # Inbound: decreases cut loose from ``applied`` (adjust._fold), summed: quantity, cost forwarded to
    # them (as Rounding computes it) and their latest posting date.
    folded_qty: Decimal = ZERO
    folded_cost: Decimal = ZERO
    folded_until: date | None = None

    @property
    def positive(self) -> bool:
        return self.quantity > 0

    @property
    def completely_invoiced(self) -> bool:
        return self.invoiced_quantity == self.quantity


def link(out: Ile, inb: Ile, qty: Decimal) -> None:
    """Record that ``qty`` of the decrease ``out`` is applied to the inbound entry ``inb`` (both sides)."""
    for ile, pair in ((out, (inb, qty)), (inb, (out, qty))):
        if isinstance(ile.applied, list):
            ile.applied.append(pair)
        else:
            ile.applied = [pair]


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
VE_INDEX = {c: i for i, c in enumerate(VE_COLUMNS)}
VE_TEMPLATE: list[Any] = [None, *(VE_DEFAULTS[c] for c in VE_COLUMNS[1:])]
CLE_DEFAULTS = _defaults(bc_schema.CAPACITY_LEDGER_ENTRY)

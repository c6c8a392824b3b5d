"""Master data of a demo company: the W1 CRONUS setup as given, plus the few documented additions.

The CSVs in ``data/`` are verbatim copies of ../shared/data/demo_company (and the posting-rule table
of ../shared/spec/posting_rules.csv), so the product never reads ../shared at run time. Every addition
(items with the costing methods CRONUS lacks, BOMs, routings, work centers, the assembly resource, the
setups CRONUS leaves to the user, accounting periods) is listed in README.md next to this file.
"""

from __future__ import annotations

import csv
import logging
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from psycopg2.extensions import connection, cursor

from costclose import bc_schema
from costclose.demo_erp.bulk import copy_rows
from costclose.demo_erp.schema import SCHEMA

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent / "data"

# CRONUS CSV file -> the bc_schema table it fills.
CSV_TABLES: tuple[tuple[str, bc_schema.Table], ...] = (
    ("g_l_account.csv", bc_schema.G_L_ACCOUNT),
    ("gen_business_posting_group.csv", bc_schema.GEN_BUSINESS_POSTING_GROUP),
    ("gen_product_posting_group.csv", bc_schema.GEN_PRODUCT_POSTING_GROUP),
    ("inventory_posting_group.csv", bc_schema.INVENTORY_POSTING_GROUP),
    ("general_posting_setup.csv", bc_schema.GENERAL_POSTING_SETUP),
    ("inventory_posting_setup.csv", bc_schema.INVENTORY_POSTING_SETUP),
    ("location.csv", bc_schema.LOCATION),
    ("item.csv", bc_schema.ITEM),
)


@dataclass(frozen=True)
class AddedItem:
    """An item CRONUS lacks: the costing methods and manufactured/Standard items the simulator needs."""

    no: str
    description: str
    inventory_posting_group: str
    gen_prod_posting_group: str
    costing_method: str
    unit_cost: Decimal
    standard_cost: Decimal
    unit_price: Decimal
    indirect_cost_pct: Decimal
    replenishment_system: str
    base_unit_of_measure: str = "PCS"


D = Decimal
ADDED_ITEMS: tuple[AddedItem, ...] = (
    AddedItem("WRB-2000", "Whole Roasted Beans, House Blend", "RESALE", "RETAIL", "Average",
              D("10.4"), D(0), D("15.5"), D(0), "Purchase"),
    AddedItem("WRB-2001", "Whole Roasted Beans, Espresso Roast", "RESALE", "RETAIL", "LIFO",
              D("11.2"), D(0), D("16.5"), D(0), "Purchase"),
    AddedItem("SP-BOM2010", "Gasket set", "RAW MAT", "RAW MAT", "Standard",
              D("4.1"), D("4.1"), D(0), D(5), "Purchase"),
    AddedItem("SP-BOM2011", "Thermal insulation sleeve", "RAW MAT", "RAW MAT", "Average",
              D("7.35"), D(0), D(0), D(0), "Purchase"),
    AddedItem("SP-SCM1020", "Airpot Pro", "FINISHED", "RETAIL", "Standard",
              D("100"), D("100"), D(449), D(0), "Prod. Order"),
)  # fmt: skip

WORK_CENTERS = (
    # no, name, unit cost (per minute), indirect cost %, overhead rate, gen. prod. posting group
    ("100", "Assembly line", D("1.15"), D(10), D("0.05"), "MANUFACT"),
    ("200", "Packing and testing", D("0.85"), D(5), D(0), "MANUFACT"),
)
RESOURCES = (("R-ASSEMBLER", "Assembler (assembly orders)", D("0.9"), D(10), "MANUFACT"),)

# Production BOMs (BOM no = produced item) and routings (routing no = produced item).
PRODUCTION_BOMS: dict[str, tuple[tuple[str, Decimal], ...]] = {
    "SP-SCM1009": (("SP-BOM1101", D(1)), ("SP-BOM1102", D(1)), ("SP-BOM1104", D(1)), ("SP-BOM1105", D(1))),
    "SP-SCM1011": (("SP-BOM1201", D(1)), ("SP-BOM1207", D(1)), ("SP-BOM1208", D(1)), ("SP-BOM1107", D(2))),
    "SP-SCM1020": (("SP-BOM1101", D(1)), ("SP-BOM1109", D(1)), ("SP-BOM2010", D(2)), ("SP-BOM2011", D(1))),
}
ROUTINGS: dict[str, tuple[tuple[str, str, Decimal], ...]] = {
    "SP-SCM1009": (("10", "100", D(12)), ("20", "200", D(4))),
    "SP-SCM1011": (("10", "100", D(15)), ("20", "200", D(5))),
    "SP-SCM1020": (("10", "100", D(18)), ("20", "200", D(6))),
}
# Assembly BOMs of CRONUS's "-W" bundles (CRONUS defines them; the demo setup files do not carry them).
ASSEMBLY_BOMS: dict[str, tuple[tuple[str, str, Decimal], ...]] = {
    "1925-W": (("Item", "1920-S", D(1)), ("Item", "1900-S", D(6)), ("Resource", "R-ASSEMBLER", D(20))),
    "1953-W": (("Item", "1936-S", D(2)), ("Item", "1960-S", D(2)), ("Resource", "R-ASSEMBLER", D(10))),
}


def _bool(text: str) -> bool:
    return text.strip().lower() == "true"


def _typed(value: str, pg_type: str) -> Any:
    if pg_type == bc_schema.BOOL:
        return _bool(value)
    if pg_type == bc_schema.DEC:
        return Decimal(value) if value.strip() else Decimal(0)
    if pg_type == bc_schema.INT:
        return int(value) if value.strip() else 0
    return value


def csv_rows(file_name: str, table: bc_schema.Table) -> Iterator[dict[str, Any]]:
    """Rows of a CRONUS CSV as {column: typed value}, for the contract's columns only."""
    with (DATA_DIR / file_name).open(newline="", encoding="utf-8") as fh:
        for raw in csv.DictReader(fh):
            row: dict[str, Any] = {}
            for col in table.columns:
                if col.bc_field in raw:
                    row[col.name] = _typed(raw[col.bc_field] or "", col.type)
            yield row


def _defaults(table: bc_schema.Table) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for col in table.columns:
        out[col.name] = {bc_schema.BOOL: False, bc_schema.DEC: Decimal(0), bc_schema.INT: 0}.get(col.type, "")
        if col.type in (bc_schema.DATE, bc_schema.GUID, bc_schema.DATETIME):
            out[col.name] = None
    return out


def insert_rows(cur: cursor, table: bc_schema.Table, company: str, rows: list[dict[str, Any]]) -> int:
    """COPY rows (dicts of contract columns; missing ones get BC's defaults) into ``bc.<table>``."""
    cols = ["company", *(c.name for c in table.columns)]
    base = _defaults(table)
    data = [(company, *({**base, **r}[c] for c in cols[1:])) for r in rows]
    return copy_rows(cur, SCHEMA, table.name, cols, data)


def _item_rows() -> list[dict[str, Any]]:
    rows = list(csv_rows("item.csv", bc_schema.ITEM))
    for r in rows:
        r["cost_is_adjusted"] = True
        r["standard_cost"] = Decimal(0)
    rows.extend(
        {
            "no": it.no,
            "description": it.description,
            "base_unit_of_measure": it.base_unit_of_measure,
            "type": "Inventory",
            "inventory_posting_group": it.inventory_posting_group,
            "gen_prod_posting_group": it.gen_prod_posting_group,
            "costing_method": it.costing_method,
            "unit_cost": it.unit_cost,
            "standard_cost": it.standard_cost,
            "last_direct_cost": it.unit_cost,
            "unit_price": it.unit_price,
            "indirect_cost": it.indirect_cost_pct,
            "replenishment_system": it.replenishment_system,
            "cost_is_adjusted": True,
            "vendor_no": "10000" if it.replenishment_system == "Purchase" else "",
        }
        for it in ADDED_ITEMS
    )
    return rows


# Generated items (``--items N``): numbered after every CRONUS item number (upper-case letters and
# digits sort before "X-" in any collation: CRONUS's last is WRB-2001).
GENERATED_PREFIX = "X-BENCH-"
TEMPLATE_METHODS = frozenset({"FIFO", "LIFO", "Average", "Standard"})


def is_generated(item_no: str) -> bool:
    return item_no.startswith(GENERATED_PREFIX)


def template_items(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """CRONUS's purchasable inventory items with a cost, the templates of generated items (by item no.).

    Specific items are left out: the simulator trades Specific items only through production.
    """
    return sorted(
        (
            r
            for r in rows
            if r["type"] == "Inventory"
            and r["replenishment_system"] == "Purchase"
            and r["unit_cost"] > 0
            and r["costing_method"] in TEMPLATE_METHODS
        ),
        key=lambda r: r["no"],
    )


def generated_item_rows(rows: list[dict[str, Any]], total: int) -> list[dict[str, Any]]:
    """Items added to ``rows`` up to ``total`` items, cloned in turn from the templates.

    Cycling through the templates keeps their proportions of posting groups and costing methods; each
    clone's costs are the template's times a factor in [0.5, 1.5], from a fixed generator, so the same
    ``total`` gives the same items for every seed.
    """
    templates = template_items(rows)
    count = total - len(rows)
    if count <= 0 or not templates:
        return []
    rng = random.Random(total)  # noqa: S311 - deterministic test data, not cryptography
    out: list[dict[str, Any]] = []
    for n in range(1, count + 1):
        tpl = templates[(n - 1) % len(templates)]
        factor = Decimal(rng.randint(500, 1500)) / 1000
        unit_cost = (tpl["unit_cost"] * factor).quantize(Decimal("0.01"))
        out.append(
            {
                **tpl,
                "no": f"{GENERATED_PREFIX}{n:06d}",
                "description": f"{tpl['description']} (bench {n})"[:100],
                "unit_cost": unit_cost,
                "last_direct_cost": unit_cost,
                "standard_cost": unit_cost if tpl["costing_method"] == "Standard" else Decimal(0),
                "unit_price": (tpl["unit_price"] * factor).quantize(Decimal("0.01")),
                "cost_is_adjusted": True,
                "vendor_no": "10000",
            }
        )
    return out


def month_starts(start: date, count: int) -> list[date]:
    out = []
    y, m = start.year, start.month
    for _ in range(count):
        out.append(date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def load_posting_rules(cur: cursor) -> int:
    """Load the §B.2 rule table into ``bc.posting_rule`` once (it is the same for every company)."""
    cur.execute("select count(*) from bc.posting_rule")
    if cur.fetchone()[0]:
        return 0
    rows = []
    with (DATA_DIR / "posting_rules.csv").open(newline="", encoding="utf-8") as fh:
        for i, r in enumerate(csv.DictReader(fh), start=1):
            rows.append(
                (
                    i,
                    r["rule_id"],
                    r["ve_item_ledger_entry_type"].strip(),
                    r["ve_entry_type"],
                    r["ve_variance_type"],
                    r["ve_order_type"],
                    r["cost_part"],
                    r["account_type_gets_plus"],
                    r["account_setup_table"],
                    bc_schema.snake(r["account_setup_field"]),
                    r["bal_account_type_gets_minus"],
                    r["bal_setup_table"],
                    bc_schema.snake(r["bal_setup_field"]),
                )
            )
    cols = [
        "line_no", "rule_id", "ve_item_ledger_entry_type", "ve_entry_type", "ve_variance_type",
        "ve_order_type", "cost_part", "account_type", "account_setup_table", "account_setup_field",
        "bal_account_type", "bal_setup_table", "bal_setup_field",
    ]  # fmt: skip
    return copy_rows(cur, SCHEMA, "posting_rule", cols, rows)


def load_company(
    conn: connection,
    company: str,
    *,
    start: date,
    months: int,
    automatic_cost_posting: bool = False,
    expected_cost_posting: bool = False,
    items: int | None = None,
) -> None:
    """Create ``company`` with the CRONUS setup and the additions; periods cover ``months`` from ``start``.

    Accounting periods run monthly from ``start`` for ``months`` + 12 months (room for the close to
    post into the following year); none is closed yet, the simulator closes them as time passes.
    ``items``: when above the setup's own items, generated items (``generated_item_rows``) fill up to it.
    """
    with conn.cursor() as cur:
        load_posting_rules(cur)
        copy_rows(cur, SCHEMA, "company", ["name", "display_name"], [(company, f"{company} (demo)")])
        for file_name, table in CSV_TABLES:
            if table is bc_schema.ITEM:
                rows = _item_rows()
                if items is not None:
                    rows.extend(generated_item_rows(rows, items))
            else:
                rows = list(csv_rows(file_name, table))
            insert_rows(cur, table, company, rows)
        copy_rows(
            cur,
            SCHEMA,
            "work_center",
            [
                "company",
                "no",
                "name",
                "unit_cost",
                "indirect_cost_pct",
                "overhead_rate",
                "gen_prod_posting_group",
            ],
            [(company, *wc) for wc in WORK_CENTERS],
        )
        copy_rows(
            cur,
            SCHEMA,
            "resource",
            ["company", "no", "name", "unit_cost", "indirect_cost_pct", "gen_prod_posting_group"],
            [(company, *r) for r in RESOURCES],
        )
        copy_rows(
            cur,
            SCHEMA,
            "production_bom_line",
            ["company", "production_bom_no", "line_no", "no", "quantity_per"],
            [
                (company, parent, 10000 * i, comp, qty)
                for parent, lines in PRODUCTION_BOMS.items()
                for i, (comp, qty) in enumerate(lines, start=1)
            ],
        )
        copy_rows(
            cur,
            SCHEMA,
            "routing_line",
            ["company", "routing_no", "operation_no", "work_center_no", "run_time"],
            [(company, parent, op, wc, t) for parent, lines in ROUTINGS.items() for op, wc, t in lines],
        )
        copy_rows(
            cur,
            SCHEMA,
            "assembly_bom_component",
            ["company", "parent_item_no", "line_no", "type", "no", "quantity_per"],
            [
                (company, parent, 10000 * i, typ, no, qty)
                for parent, lines in ASSEMBLY_BOMS.items()
                for i, (typ, no, qty) in enumerate(lines, start=1)
            ],
        )
        insert_rows(
            cur,
            bc_schema.INVENTORY_SETUP,
            company,
            [
                {
                    "automatic_cost_posting": automatic_cost_posting,
                    "expected_cost_posting_to_g_l": expected_cost_posting,
                    "automatic_cost_adjustment": "Never",
                    "average_cost_calc_type": "Item",
                    "average_cost_period": "Month",
                    "default_costing_method": "FIFO",
                }
            ],
        )
        periods = month_starts(start, months + 12)
        insert_rows(
            cur,
            bc_schema.GENERAL_LEDGER_SETUP,
            company,
            [{"allow_posting_from": start, "allow_posting_to": None, "lcy_code": "GBP"}],
        )
        insert_rows(
            cur,
            bc_schema.ACCOUNTING_PERIOD,
            company,
            [
                {"starting_date": p, "name": p.strftime("%B"), "new_fiscal_year": p.month == start.month}
                for p in periods
            ],
        )
        insert_rows(
            cur,
            bc_schema.INVENTORY_PERIOD,
            company,
            [{"ending_date": _month_end(p), "name": p.strftime("%Y-%m")} for p in periods],
        )
    log.info("company %s: CRONUS master data loaded, %d accounting periods", company, len(periods))


def _month_end(first: date) -> date:
    nxt = month_starts(first, 2)[1]
    return date.fromordinal(nxt.toordinal() - 1)

"""BC-shaped raw data for the dbt tests, and the built warehouse they query.

Companies (each a slice of the same raw tables, as BC keeps one set of tables per company):
* ``DOCS PURCHASE SALE`` / ``DOCS EXPECTED COST``: the value entries of the BC docs examples
  (../shared/fixtures/bc_docs), not yet posted, with the docs' account numbers.
* ``CRONUS POSTED``: the real CRONUS setup, every value entry posted, G/L matching: all differences 0.
* ``CRONUS OPEN``: the real CRONUS setup with an unposted sale, an unposted entry in a closed period and a
  direct posting to an inventory account.
* ``CRONUS YEAR END``: everything posted; fiscal year 2023 closed with closing entries (CLSINCOME) on
  2023-12-31; January 2024's G/L entries date-compressed (COMPRGL) and a direct posting beside them.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from psycopg2 import sql

from costclose import bc_schema
from costclose.db import connect
from costclose.transform import dbt

DOCS_PS = "DOCS PURCHASE SALE"
DOCS_EXP = "DOCS EXPECTED COST"
POSTED = "CRONUS POSTED"
OPEN = "CRONUS OPEN"
MFG = "CRONUS MFG"
DOCS_POSTED = "DOCS POSTED"
YEAR_END = "CRONUS YEAR END"

Row = dict[str, Any]


def insert_rows(cur: Any, table: str, rows: list[Row]) -> None:
    """Insert rows (dicts of raw column -> value) into raw.<table>; later rows win on the key."""
    t = bc_schema.TABLES_BY_NAME[table]
    loaded_at = datetime.now(UTC)
    for row in rows:
        full = {**row, "_batch_id": 1, "_loaded_at": loaded_at, "_source_version": "test"}
        cols = list(full)
        keys = list(t.primary_key)
        updates = [c for c in cols if c not in keys]
        cur.execute(
            sql.SQL("insert into raw.{} ({}) values ({}) on conflict ({}) do update set {}").format(
                sql.Identifier(table),
                sql.SQL(", ").join(map(sql.Identifier, cols)),
                sql.SQL(", ").join(sql.Placeholder() * len(cols)),
                sql.SQL(", ").join(map(sql.Identifier, keys)),
                sql.SQL(", ").join(
                    sql.SQL("{} = excluded.{}").format(sql.Identifier(c), sql.Identifier(c)) for c in updates
                ),
            ),
            [full[c] for c in cols],
        )


def cronus_setup_rows(shared_dir: Path, table: str, company: str) -> list[Row]:
    """Rows of a CRONUS setup CSV (BC field names as headers) for ``company``."""
    t = bc_schema.TABLES_BY_NAME[table]
    names = set(t.column_names)
    types = t.column_types()
    out = []
    with (shared_dir / "data" / "demo_company" / f"{table}.csv").open(newline="") as fh:
        for rec in csv.DictReader(fh):
            row: Row = {"company": company}
            for header, value in rec.items():
                col = bc_schema.snake(header)
                if col not in names:
                    continue
                if types[col] == bc_schema.BOOL:
                    row[col] = value.strip().lower() == "true"
                elif types[col] == bc_schema.DEC:
                    row[col] = Decimal(value) if value else None
                else:
                    row[col] = value
            out.append(row)
    return out


def ve(company: str, entry_no: int, posting_date: str, ile_type: str, entry_type: str, **kw: Any) -> Row:
    """A raw value entry with BC's defaults (inventoriable, nothing posted)."""
    row: Row = {
        "company": company,
        "entry_no": entry_no,
        "posting_date": posting_date,
        "item_ledger_entry_type": ile_type,
        "entry_type": entry_type,
        "variance_type": "",
        "order_type": "",
        "inventoriable": True,
        "expected_cost": False,
        "adjustment": False,
        "cost_amount_actual": Decimal(0),
        "cost_amount_expected": Decimal(0),
        "cost_posted_to_g_l": Decimal(0),
        "expected_cost_posted_to_g_l": Decimal(0),
        "location_code": "",
        "variant_code": "",
        "document_no": f"DOC{entry_no}",
        "source_type": "",
        "source_no": "",
        "dimension_set_id": 0,
    }
    for key, value in kw.items():
        row[key] = (
            Decimal(str(value)) if isinstance(value, float | int) and not isinstance(value, bool) else value
        )
    if "item_ledger_entry_no" not in row:
        row["item_ledger_entry_no"] = entry_no
    return row


def gle(company: str, entry_no: int, posting_date: str, account: str, amount: str, **kw: Any) -> Row:
    return {
        "company": company,
        "entry_no": entry_no,
        "posting_date": posting_date,
        "g_l_account_no": account,
        "amount": Decimal(amount),
        "document_no": kw.get("document_no", f"G{entry_no}"),
    }


def docs_rows(shared_dir: Path) -> dict[str, list[Row]]:
    """The two BC docs examples as companies with the docs' own account numbers."""
    rows: dict[str, list[Row]] = {}
    fixtures = shared_dir / "fixtures" / "bc_docs"
    ps = json.loads((fixtures / "inventory_posting_purchase_sale.json").read_text())
    exp = json.loads((fixtures / "expected_cost_posting_purchase.json").read_text())
    for company, expected_on in ((DOCS_PS, False), (DOCS_EXP, True), (DOCS_POSTED, False)):
        rows.setdefault("inventory_setup", []).append(
            {
                "company": company,
                "primary_key": "",
                "automatic_cost_posting": False,
                "expected_cost_posting_to_g_l": expected_on,
            }
        )
        rows.setdefault("general_ledger_setup", []).append({"company": company, "primary_key": ""})
        rows.setdefault("item", []).append(
            {"company": company, "no": "DOCS-1", "type": "Inventory", "inventory_posting_group": "RAW MAT"}
        )
        rows.setdefault("inventory_posting_setup", []).append(
            {
                "company": company,
                "location_code": "",
                "invt_posting_group_code": "RAW MAT",
                "inventory_account": "2130",
                "inventory_account_interim": "2131",
            }
        )
        rows.setdefault("general_posting_setup", []).append(
            {
                "company": company,
                "gen_bus_posting_group": "DOMESTIC",
                "gen_prod_posting_group": "RAW MAT",
                "cogs_account": "7290",
                "direct_cost_applied_account": "7291",
                "overhead_applied_account": "7292",
                "invt_accrual_acc_interim": "5530",
                "inventory_adjmt_account": "7180",
                "blocked": False,
            }
        )
        for no in ("2130", "2131", "5530", "7180", "7290", "7291", "7292"):
            rows.setdefault("g_l_account", []).append(
                {"company": company, "no": no, "name": f"Account {no}", "blocked": False}
            )
    for e in ps["value_entries"]:
        rows.setdefault("value_entry", []).append(
            ve(
                DOCS_PS,
                e["entry_no"],
                e["posting_date"],
                e["item_ledger_entry_type"],
                e["entry_type"],
                item_no="DOCS-1",
                item_ledger_entry_no=e["item_ledger_entry_no"],
                cost_amount_actual=Decimal(str(e["cost_amount_actual"])),
                inventory_posting_group="RAW MAT",
                gen_bus_posting_group="DOMESTIC",
                gen_prod_posting_group="RAW MAT",
                document_no=f"DOCS-PS-{e['entry_no']}",
            )
        )
    # the same purchase and sale, posted, with the docs' six G/L entries
    for e in ps["value_entries"]:
        rows["value_entry"].append(
            ve(
                DOCS_POSTED,
                e["entry_no"],
                e["posting_date"],
                e["item_ledger_entry_type"],
                e["entry_type"],
                item_no="DOCS-1",
                item_ledger_entry_no=e["item_ledger_entry_no"],
                cost_amount_actual=Decimal(str(e["cost_amount_actual"])),
                cost_posted_to_g_l=Decimal(str(e["cost_posted_to_gl_after_batch"])),
                inventory_posting_group="RAW MAT",
                gen_bus_posting_group="DOMESTIC",
                gen_prod_posting_group="RAW MAT",
            )
        )
    for g in ps["expected_outputs_from_docs"]["gl_entries"]:
        rows.setdefault("g_l_entry", []).append(
            gle(DOCS_POSTED, g["entry_no"], g["posting_date"], g["account_no"], str(g["amount"]))
        )
    rows["g_l_item_ledger_relation"] = [
        {"company": DOCS_POSTED, "g_l_entry_no": r["gl_entry_no"], "value_entry_no": r["value_entry_no"]}
        for r in ps["expected_outputs_from_docs"]["gl_item_ledger_relation"]
    ]
    # their item ledger and application entries (the sale applied to the purchase)
    rows["item_ledger_entry"] = [
        {
            "company": DOCS_POSTED,
            "entry_no": e["entry_no"],
            "item_no": "DOCS-1",
            "posting_date": e["posting_date"],
            "entry_type": e["entry_type"],
            "quantity": Decimal(e["quantity"]),
            "drop_shipment": False,
        }
        for e in ps["item_ledger_entries"]
    ]
    rows["item_application_entry"] = [
        {
            "company": DOCS_POSTED,
            "entry_no": a["entry_no"],
            "item_ledger_entry_no": a["item_ledger_entry_no"],
            "inbound_item_entry_no": a["inbound_item_entry_no"],
            "outbound_item_entry_no": a["outbound_item_entry_no"],
            "quantity": Decimal(a["quantity"]),
            "posting_date": "2020-01-15" if a["outbound_item_entry_no"] else "2020-01-01",
        }
        for a in ps["item_application_entries"]
    ]
    for e in exp["value_entries"]:
        rows["value_entry"].append(
            ve(
                DOCS_EXP,
                e["entry_no"],
                e["posting_date"],
                e["item_ledger_entry_type"],
                e["entry_type"],
                item_no="DOCS-1",
                item_ledger_entry_no=e["item_ledger_entry_no"],
                expected_cost=e["expected_cost"],
                cost_amount_actual=Decimal(str(e["cost_amount_actual"])),
                cost_amount_expected=Decimal(str(e["cost_amount_expected"])),
                inventory_posting_group="RAW MAT",
                gen_bus_posting_group="DOMESTIC",
                gen_prod_posting_group="RAW MAT",
                document_no=f"DOCS-EXP-{e['entry_no']}",
            )
        )
    return rows


def cronus_rows(shared_dir: Path) -> dict[str, list[Row]]:
    """Two companies on the real CRONUS setup: one fully posted, one with open items."""
    rows: dict[str, list[Row]] = {}
    for company in (POSTED, OPEN, MFG):
        for table in ("inventory_posting_setup", "general_posting_setup", "g_l_account", "item", "location"):
            rows.setdefault(table, []).extend(cronus_setup_rows(shared_dir, table, company))
        rows.setdefault("inventory_setup", []).append(
            {
                "company": company,
                "primary_key": "",
                "automatic_cost_posting": False,
                "expected_cost_posting_to_g_l": False,
            }
        )
        rows.setdefault("general_ledger_setup", []).append({"company": company, "primary_key": ""})
        for start, closed in (("2024-01-01", True), ("2024-02-01", False), ("2024-03-01", False)):
            rows.setdefault("accounting_period", []).append(
                {"company": company, "starting_date": start, "closed": closed, "name": start[:7]}
            )
    common = {"item_no": "1896-S", "inventory_posting_group": "RESALE", "gen_prod_posting_group": "RETAIL"}
    posted = [
        # opening stock, a sale and a negative adjustment, all posted (CRONUS: 2110 inventory, 7170 adjmt,
        # 7190 COGS)
        ve(
            POSTED,
            1,
            "2024-01-05",
            "Positive Adjmt.",
            "Direct Cost",
            cost_amount_actual=5066,
            cost_posted_to_g_l=5066,
            invoiced_quantity=10,
            item_ledger_entry_quantity=10,
            valued_quantity=10,
            **common,
        ),
        ve(
            POSTED,
            2,
            "2024-02-10",
            "Sale",
            "Direct Cost",
            cost_amount_actual=-1013.2,
            cost_posted_to_g_l=-1013.2,
            invoiced_quantity=-2,
            item_ledger_entry_quantity=-2,
            valued_quantity=-2,
            gen_bus_posting_group="DOMESTIC",
            **common,
        ),
        ve(
            POSTED,
            3,
            "2024-03-03",
            "Negative Adjmt.",
            "Direct Cost",
            cost_amount_actual=-506.6,
            cost_posted_to_g_l=-506.6,
            invoiced_quantity=-1,
            item_ledger_entry_quantity=-1,
            valued_quantity=-1,
            **common,
        ),
    ]
    posted_gl = [
        gle(POSTED, 1, "2024-01-05", "2110", "5066"),
        gle(POSTED, 2, "2024-01-05", "7170", "-5066"),
        gle(POSTED, 3, "2024-02-10", "2110", "-1013.2"),
        gle(POSTED, 4, "2024-02-10", "7190", "1013.2"),
        gle(POSTED, 5, "2024-03-03", "2110", "-506.6"),
        gle(POSTED, 6, "2024-03-03", "7170", "506.6"),
    ]
    open_ = [
        ve(
            OPEN,
            1,
            "2024-01-05",
            "Positive Adjmt.",
            "Direct Cost",
            cost_amount_actual=5066,
            cost_posted_to_g_l=5066,
            invoiced_quantity=10,
            item_ledger_entry_quantity=10,
            valued_quantity=10,
            **common,
        ),
        # never posted, and its date is in the closed January: skipped, never posted
        ve(
            OPEN,
            2,
            "2024-01-20",
            "Negative Adjmt.",
            "Direct Cost",
            cost_amount_actual=-506.6,
            invoiced_quantity=-1,
            item_ledger_entry_quantity=-1,
            valued_quantity=-1,
            **common,
        ),
        ve(
            OPEN,
            3,
            "2024-02-10",
            "Sale",
            "Direct Cost",
            cost_amount_actual=-1013.2,
            cost_posted_to_g_l=-1013.2,
            invoiced_quantity=-2,
            item_ledger_entry_quantity=-2,
            valued_quantity=-2,
            gen_bus_posting_group="DOMESTIC",
            **common,
        ),
        # an unposted sale: in the journal and in the difference
        ve(
            OPEN,
            4,
            "2024-02-20",
            "Sale",
            "Direct Cost",
            cost_amount_actual=-506.6,
            invoiced_quantity=-1,
            item_ledger_entry_quantity=-1,
            valued_quantity=-1,
            gen_bus_posting_group="DOMESTIC",
            **common,
        ),
    ]
    open_gl = [
        gle(OPEN, 1, "2024-01-05", "2110", "5066"),
        gle(OPEN, 2, "2024-01-05", "7170", "-5066"),
        gle(OPEN, 3, "2024-02-10", "2110", "-1013.2"),
        gle(OPEN, 4, "2024-02-10", "7190", "1013.2"),
        # a manual journal straight to the inventory account in March
        gle(OPEN, 5, "2024-03-15", "2110", "100"),
        gle(OPEN, 6, "2024-03-15", "8110", "-100"),
    ]
    mfg_order = {
        "order_type": "Production",
        "order_no": "PO-1",
        "source_type": "Item",
        "source_no": "SP-SCM1009",
    }
    raw_mat = {
        "item_no": "SP-BOM2001",
        "inventory_posting_group": "RAW MAT",
        "gen_prod_posting_group": "RAW MAT",
    }
    finished = {
        "item_no": "SP-SCM1009",
        "inventory_posting_group": "FINISHED",
        "gen_prod_posting_group": "RETAIL",
    }
    mfg = [
        ve(
            MFG,
            1,
            "2024-02-01",
            "Purchase",
            "Direct Cost",
            cost_amount_actual=149.4,
            cost_posted_to_g_l=149.4,
            invoiced_quantity=10,
            item_ledger_entry_quantity=10,
            valued_quantity=10,
            gen_bus_posting_group="DOMESTIC",
            **raw_mat,
        ),
        ve(
            MFG,
            2,
            "2024-02-05",
            "Consumption",
            "Direct Cost",
            cost_amount_actual=-149.4,
            cost_posted_to_g_l=-149.4,
            invoiced_quantity=-10,
            item_ledger_entry_quantity=-10,
            valued_quantity=-10,
            **raw_mat,
            **mfg_order,
        ),
        # capacity: blank item, blank location, the output item's posting group (spec §A.1)
        ve(
            MFG,
            3,
            "2024-02-06",
            "",
            "Direct Cost",
            cost_amount_actual=120,
            cost_posted_to_g_l=120,
            item_no="",
            item_ledger_entry_no=0,
            inventory_posting_group="FINISHED",
            gen_prod_posting_group="MANUFACT",
            capacity_ledger_entry_no=1,
            type="Work Center",
            no="100",
            **mfg_order,
        ),
        # expected output, not posted (expected cost posting is off)
        ve(
            MFG,
            4,
            "2024-02-07",
            "Output",
            "Direct Cost",
            cost_amount_expected=269.4,
            expected_cost=True,
            item_ledger_entry_quantity=1,
            valued_quantity=1,
            item_ledger_entry_no=4,
            **finished,
            **mfg_order,
        ),
        # the order finished and adjusted in March: output becomes actual
        ve(
            MFG,
            5,
            "2024-03-10",
            "Output",
            "Direct Cost",
            cost_amount_actual=269.4,
            cost_amount_expected=-269.4,
            cost_posted_to_g_l=269.4,
            invoiced_quantity=1,
            valued_quantity=1,
            item_ledger_entry_no=4,
            **finished,
            **mfg_order,
        ),
    ]
    mfg_gl = [
        gle(MFG, 1, "2024-02-01", "2130", "149.4"),
        gle(MFG, 2, "2024-02-01", "7291", "-149.4"),
        gle(MFG, 3, "2024-02-05", "2130", "-149.4"),
        gle(MFG, 4, "2024-02-05", "2140", "149.4"),
        gle(MFG, 5, "2024-02-06", "2140", "120"),
        gle(MFG, 6, "2024-02-06", "7791", "-120"),
        gle(MFG, 7, "2024-03-10", "2120", "269.4"),
        gle(MFG, 8, "2024-03-10", "2140", "-269.4"),
    ]
    rows["production_order"] = [
        {
            "company": MFG,
            "status": "Finished",
            "no": "PO-1",
            "source_type": "Item",
            "source_no": "SP-SCM1009",
            "description": "Airpot",
            "quantity": Decimal(1),
        }
    ]
    # item ledger and applications of CRONUS POSTED (FIFO): the sale and the negative adjustment apply to
    # the opening stock
    rows["item_ledger_entry"] = [
        {
            "company": POSTED,
            "entry_no": no,
            "item_no": "1896-S",
            "posting_date": day,
            "entry_type": kind,
            "quantity": Decimal(qty),
            "drop_shipment": False,
        }
        for no, day, kind, qty in (
            (1, "2024-01-05", "Positive Adjmt.", 10),
            (2, "2024-02-10", "Sale", -2),
            (3, "2024-03-03", "Negative Adjmt.", -1),
        )
    ]
    # CRONUS MFG: the purchase consumed by PO-1 and the order's output (FIFO)
    rows["item_ledger_entry"] += [
        {
            "company": MFG,
            "entry_no": no,
            "item_no": item,
            "posting_date": day,
            "entry_type": kind,
            "quantity": Decimal(qty),
            "drop_shipment": False,
            "document_no": document,
            **order,
        }
        for no, item, day, kind, qty, document, order in (
            (1, "SP-BOM2001", "2024-02-01", "Purchase", 10, "PR-1", {}),
            (
                2,
                "SP-BOM2001",
                "2024-02-05",
                "Consumption",
                -10,
                "PO-1",
                {"order_type": "Production", "order_no": "PO-1"},
            ),
            (
                4,
                "SP-SCM1009",
                "2024-02-07",
                "Output",
                1,
                "PO-1",
                {"order_type": "Production", "order_no": "PO-1"},
            ),
        )
    ]
    rows["capacity_ledger_entry"] = [
        {
            "company": MFG,
            "entry_no": 1,
            "no": "100",
            "type": "Work Center",
            "posting_date": "2024-02-06",
            "document_no": "PO-1",
            "quantity": Decimal(2),
            "item_no": "SP-SCM1009",
            "subcontracting": False,
            "order_type": "Production",
            "order_no": "PO-1",
        }
    ]
    rows["item_application_entry"] = [
        {
            "company": POSTED,
            "entry_no": no,
            "item_ledger_entry_no": ile,
            "inbound_item_entry_no": 1,
            "outbound_item_entry_no": out,
            "quantity": Decimal(qty),
            "posting_date": day,
        }
        for no, ile, out, qty, day in (
            (1, 1, 0, 10, "2024-01-05"),
            (2, 2, 2, -2, "2024-02-10"),
            (3, 3, 3, -1, "2024-03-03"),
        )
    ] + [
        {
            "company": MFG,
            "entry_no": no,
            "item_ledger_entry_no": ile,
            "inbound_item_entry_no": inbound,
            "outbound_item_entry_no": out,
            "quantity": Decimal(qty),
            "posting_date": day,
        }
        for no, ile, inbound, out, qty, day in (
            (1, 1, 1, 0, 10, "2024-02-01"),
            (2, 2, 1, 2, -10, "2024-02-05"),
            (3, 4, 4, 0, 1, "2024-02-07"),
        )
    ]
    year_end_rows(shared_dir, rows)
    rows["value_entry"] = posted + open_ + mfg + rows.pop("value_entry", [])
    rows["g_l_entry"] = posted_gl + open_gl + mfg_gl + rows.pop("g_l_entry", [])
    rows["g_l_item_ledger_relation"] = [
        {"company": c, "g_l_entry_no": g, "value_entry_no": v}
        for c, pairs in (
            (POSTED, ((1, 1), (2, 1), (3, 2), (4, 2), (5, 3), (6, 3))),
            (OPEN, ((1, 1), (2, 1), (3, 3), (4, 3))),
        )
        for g, v in pairs
    ]
    rows["g_l_item_ledger_relation"] += [
        {"company": YEAR_END, "g_l_entry_no": g, "value_entry_no": v}
        for g, v in ((1, 1), (2, 1), (3, 2), (4, 2))
    ]
    return rows


def year_end_rows(shared_dir: Path, rows: dict[str, list[Row]]) -> None:
    """CRONUS YEAR END: a closed fiscal year with closing entries, then a date-compressed month."""
    for table in ("inventory_posting_setup", "general_posting_setup", "g_l_account", "item", "location"):
        rows.setdefault(table, []).extend(cronus_setup_rows(shared_dir, table, YEAR_END))
    rows.setdefault("inventory_setup", []).append(
        {
            "company": YEAR_END,
            "primary_key": "",
            "automatic_cost_posting": False,
            "expected_cost_posting_to_g_l": False,
        }
    )
    rows.setdefault("general_ledger_setup", []).append({"company": YEAR_END, "primary_key": ""})
    for start, closed, new_year in (
        ("2023-01-01", True, True),
        ("2023-12-01", True, False),
        ("2024-01-01", False, True),
    ):
        rows.setdefault("accounting_period", []).append(
            {"company": YEAR_END, "starting_date": start, "closed": closed, "new_fiscal_year": new_year}
        )
    common = {"item_no": "1896-S", "inventory_posting_group": "RESALE", "gen_prod_posting_group": "RETAIL"}
    rows.setdefault("value_entry", []).extend(
        [
            ve(
                YEAR_END,
                1,
                "2023-12-05",
                "Positive Adjmt.",
                "Direct Cost",
                cost_amount_actual=5066,
                cost_posted_to_g_l=5066,
                invoiced_quantity=10,
                item_ledger_entry_quantity=10,
                valued_quantity=10,
                **common,
            ),
            ve(
                YEAR_END,
                2,
                "2023-12-10",
                "Sale",
                "Direct Cost",
                cost_amount_actual=-1013.2,
                cost_posted_to_g_l=-1013.2,
                invoiced_quantity=-2,
                item_ledger_entry_quantity=-2,
                valued_quantity=-2,
                gen_bus_posting_group="DOMESTIC",
                **common,
            ),
            ve(
                YEAR_END,
                3,
                "2024-01-10",
                "Negative Adjmt.",
                "Direct Cost",
                cost_amount_actual=-506.6,
                cost_posted_to_g_l=-506.6,
                invoiced_quantity=-1,
                item_ledger_entry_quantity=-1,
                valued_quantity=-1,
                **common,
            ),
        ]
    )
    closing = {"source_code": "CLSINCOME"}
    compressed = {"source_code": "COMPRGL", "system_created_entry": True, "prior_year_entry": True}
    rows.setdefault("g_l_entry", []).extend(
        [
            gle(YEAR_END, 1, "2023-12-05", "2110", "5066"),
            gle(YEAR_END, 2, "2023-12-05", "7170", "-5066"),
            gle(YEAR_END, 3, "2023-12-10", "2110", "-1013.2"),
            gle(YEAR_END, 4, "2023-12-10", "7190", "1013.2"),
            # Close Income Statement on the closing date C2023-12-31 (raw: the plain date)
            {**gle(YEAR_END, 5, "2023-12-31", "7190", "-1013.2"), **closing},
            {**gle(YEAR_END, 6, "2023-12-31", "7170", "5066"), **closing},
            {**gle(YEAR_END, 7, "2023-12-31", "3120", "-4052.8"), **closing},
            # Date Compress General Ledger summed January's inventory entries (and deleted their relations)
            {**gle(YEAR_END, 8, "2024-01-01", "2110", "-506.6"), **compressed},
            {**gle(YEAR_END, 9, "2024-01-01", "7170", "506.6"), **compressed},
            # a manual journal straight to the inventory account
            gle(YEAR_END, 10, "2024-01-15", "2110", "100"),
            gle(YEAR_END, 11, "2024-01-15", "8110", "-100"),
        ]
    )


def create_raw_schema(url: str) -> None:
    with connect(url) as conn, conn.cursor() as cur:
        cur.execute("create schema if not exists raw")
        for table in bc_schema.RAW_TABLES:
            cur.execute(bc_schema.create_table_sql(table, "raw", extra_columns=bc_schema.RAW_LOAD_COLUMNS))


def load(url: str, rows: dict[str, list[Row]]) -> None:
    with connect(url) as conn, conn.cursor() as cur:
        for table, table_rows in rows.items():
            insert_rows(cur, table, table_rows)


@dataclass(frozen=True)
class Warehouse:
    url: str
    target_path: Path
    build: dbt.DbtRun

    def query(self, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with connect(self.url) as conn, conn.cursor() as cur:
            cur.execute(query, params)
            return list(cur.fetchall())

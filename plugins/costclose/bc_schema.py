"""The BC tables costclose reads and writes, as one column contract.

Every module that stores BC data -- the demo ERP (``costclose.demo_erp``), the warehouse's ``raw``
schema (``costclose.landing``) and the dbt sources -- uses these definitions, so a row means the same
thing everywhere.

Naming rule (``snake``): the BC field name, lower-cased, every run of characters other than
``[a-z0-9]`` replaced by one underscore, leading/trailing underscores stripped:
``Cost Amount (Actual)`` -> ``cost_amount_actual``, ``G/L Account No.`` -> ``g_l_account_no``,
``Cost Amount (Non-Invtbl.)(ACY)`` -> ``cost_amount_non_invtbl_acy``.

Enum and Option fields hold BC's enum *value name* (``Positive Adjmt.``, ``Direct Cost``), with BC's
blank value (``" "``) stored as the empty string ``''``; see dbt_project/DECISIONLOG.md.

Every table has a ``company`` column (BC keeps one set of tables per company; we keep one table with
the company name in it), and the keys are ``(company, <BC primary key>)``. The BC system fields
``SystemId``, ``SystemCreatedAt``, ``SystemModifiedAt`` and the row version ``timestamp`` are columns
too (``system_id``, ``system_created_at``, ``system_modified_at``, ``row_version``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# PostgreSQL types for BC data types. Money and quantities are numeric, never float.
INT = "bigint"
DEC = "numeric"
CODE = "text"
TEXT = "text"
DATE = "date"
BOOL = "boolean"
ENUM = "text"
GUID = "uuid"
DATETIME = "timestamptz"

SYSTEM_COLUMNS: tuple[tuple[str, str], ...] = (
    ("system_id", GUID),
    ("system_created_at", DATETIME),
    ("system_modified_at", DATETIME),
    ("row_version", INT),
)


def snake(bc_field_name: str) -> str:
    """Return the column name for a BC field name (the module docstring's rule)."""
    return re.sub(r"[^a-z0-9]+", "_", bc_field_name.lower()).strip("_")


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    bc_field: str
    bc_field_no: int | None = None


@dataclass(frozen=True)
class Table:
    """One BC table: its name in Postgres, BC's table number, key and columns."""

    name: str
    bc_name: str
    bc_table_no: int
    key: tuple[str, ...]
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> list[str]:
        return ["company", *(c.name for c in self.columns), *(n for n, _ in SYSTEM_COLUMNS)]

    @property
    def primary_key(self) -> tuple[str, ...]:
        return ("company", *self.key)

    def column_types(self) -> dict[str, str]:
        types = {"company": TEXT}
        types.update({c.name: c.type for c in self.columns})
        types.update(dict(SYSTEM_COLUMNS))
        return types


def _table(
    name: str,
    bc_name: str,
    bc_no: int,
    key: tuple[str, ...],
    fields: list[tuple[int | None, str, str]],
) -> Table:
    cols = tuple(Column(snake(f), t, f, no) for no, f, t in fields)
    names = {c.name for c in cols}
    missing = [k for k in key if k not in names]
    if missing:
        raise ValueError(f"{bc_name}: key columns {missing} are not columns")
    return Table(name, bc_name, bc_no, key, cols)


VALUE_ENTRY = _table(
    "value_entry",
    "Value Entry",
    5802,
    ("entry_no",),
    [
        (1, "Entry No.", INT),
        (2, "Item No.", CODE),
        (3, "Posting Date", DATE),
        (4, "Item Ledger Entry Type", ENUM),
        (5, "Source No.", CODE),
        (6, "Document No.", CODE),
        (7, "Description", TEXT),
        (8, "Location Code", CODE),
        (9, "Inventory Posting Group", CODE),
        (10, "Source Posting Group", CODE),
        (11, "Item Ledger Entry No.", INT),
        (12, "Valued Quantity", DEC),
        (13, "Item Ledger Entry Quantity", DEC),
        (14, "Invoiced Quantity", DEC),
        (15, "Cost per Unit", DEC),
        (17, "Sales Amount (Actual)", DEC),
        (23, "Discount Amount", DEC),
        (24, "User ID", CODE),
        (25, "Source Code", CODE),
        (28, "Applies-to Entry", INT),
        (33, "Global Dimension 1 Code", CODE),
        (34, "Global Dimension 2 Code", CODE),
        (41, "Source Type", ENUM),
        (43, "Cost Amount (Actual)", DEC),
        (45, "Cost Posted to G/L", DEC),
        (46, "Reason Code", CODE),
        (47, "Drop Shipment", BOOL),
        (48, "Journal Batch Name", CODE),
        (57, "Gen. Bus. Posting Group", CODE),
        (58, "Gen. Prod. Posting Group", CODE),
        (60, "Document Date", DATE),
        (61, "External Document No.", CODE),
        (68, "Cost Amount (Actual) (ACY)", DEC),
        (70, "Cost Posted to G/L (ACY)", DEC),
        (79, "Document Type", ENUM),
        (80, "Document Line No.", INT),
        (90, "Order Type", ENUM),
        (91, "Order No.", CODE),
        (92, "Order Line No.", INT),
        (98, "Expected Cost", BOOL),
        (99, "Item Charge No.", CODE),
        (100, "Valued By Average Cost", BOOL),
        (102, "Partial Revaluation", BOOL),
        (103, "Inventoriable", BOOL),
        (104, "Valuation Date", DATE),
        (105, "Entry Type", ENUM),
        (106, "Variance Type", ENUM),
        (148, "Purchase Amount (Actual)", DEC),
        (149, "Purchase Amount (Expected)", DEC),
        (150, "Sales Amount (Expected)", DEC),
        (151, "Cost Amount (Expected)", DEC),
        (152, "Cost Amount (Non-Invtbl.)", DEC),
        (156, "Cost Amount (Expected) (ACY)", DEC),
        (157, "Cost Amount (Non-Invtbl.)(ACY)", DEC),
        (158, "Expected Cost Posted to G/L", DEC),
        (159, "Exp. Cost Posted to G/L (ACY)", DEC),
        (480, "Dimension Set ID", INT),
        (1000, "Job No.", CODE),
        (5402, "Variant Code", CODE),
        (5818, "Adjustment", BOOL),
        (5819, "Average Cost Exception", BOOL),
        (5831, "Capacity Ledger Entry No.", INT),
        (5832, "Type", ENUM),
        (5834, "No.", CODE),
    ],
)

ITEM_LEDGER_ENTRY = _table(
    "item_ledger_entry",
    "Item Ledger Entry",
    32,
    ("entry_no",),
    [
        (1, "Entry No.", INT),
        (2, "Item No.", CODE),
        (3, "Posting Date", DATE),
        (4, "Entry Type", ENUM),
        (5, "Source No.", CODE),
        (6, "Document No.", CODE),
        (7, "Description", TEXT),
        (8, "Location Code", CODE),
        (12, "Quantity", DEC),
        (13, "Remaining Quantity", DEC),
        (14, "Invoiced Quantity", DEC),
        (28, "Applies-to Entry", INT),
        (29, "Open", BOOL),
        (33, "Global Dimension 1 Code", CODE),
        (34, "Global Dimension 2 Code", CODE),
        (36, "Positive", BOOL),
        (41, "Source Type", ENUM),
        (47, "Drop Shipment", BOOL),
        (60, "Document Date", DATE),
        (79, "Document Type", ENUM),
        (80, "Document Line No.", INT),
        (90, "Order Type", ENUM),
        (91, "Order No.", CODE),
        (92, "Order Line No.", INT),
        (480, "Dimension Set ID", INT),
        (904, "Assemble to Order", BOOL),
        (5402, "Variant Code", CODE),
        (5407, "Unit of Measure Code", CODE),
        (5800, "Completely Invoiced", BOOL),
        (5801, "Last Invoice Date", DATE),
        (5802, "Applied Entry to Adjust", BOOL),
        (5817, "Correction", BOOL),
        (6500, "Serial No.", CODE),
        (6501, "Lot No.", CODE),
    ],
)

ITEM_APPLICATION_ENTRY = _table(
    "item_application_entry",
    "Item Application Entry",
    339,
    ("entry_no",),
    [
        (1, "Entry No.", INT),
        (2, "Item Ledger Entry No.", INT),
        (3, "Inbound Item Entry No.", INT),
        (4, "Outbound Item Entry No.", INT),
        (11, "Quantity", DEC),
        (23, "Posting Date", DATE),
        (24, "Transferred-from Entry No.", INT),
        (27, "Cost Application", BOOL),
        (28, "Output Completely Invd. Date", DATE),
        (29, "Outbound Entry is Updated", BOOL),
    ],
)

CAPACITY_LEDGER_ENTRY = _table(
    "capacity_ledger_entry",
    "Capacity Ledger Entry",
    5832,
    ("entry_no",),
    [
        (1, "Entry No.", INT),
        (2, "No.", CODE),
        (3, "Posting Date", DATE),
        (4, "Type", ENUM),
        (6, "Document No.", CODE),
        (7, "Description", TEXT),
        (8, "Operation No.", CODE),
        (9, "Work Center No.", CODE),
        (12, "Quantity", DEC),
        (16, "Setup Time", DEC),
        (17, "Run Time", DEC),
        (19, "Invoiced Quantity", DEC),
        (20, "Output Quantity", DEC),
        (21, "Scrap Quantity", DEC),
        (28, "Completely Invoiced", BOOL),
        (52, "Last Output Line", BOOL),
        (58, "Item No.", CODE),
        (5402, "Variant Code", CODE),
        (71, "Direct Cost", DEC),
        (72, "Overhead Cost", DEC),
        (78, "Subcontracting", BOOL),
        (90, "Order Type", ENUM),
        (91, "Order No.", CODE),
        (92, "Order Line No.", INT),
        (480, "Dimension Set ID", INT),
    ],
)

G_L_ENTRY = _table(
    "g_l_entry",
    "G/L Entry",
    17,
    ("entry_no",),
    [
        (1, "Entry No.", INT),
        (3, "G/L Account No.", CODE),
        (4, "Posting Date", DATE),
        (5, "Document Type", ENUM),
        (6, "Document No.", CODE),
        (7, "Description", TEXT),
        (10, "Bal. Account No.", CODE),
        (17, "Amount", DEC),
        (23, "Global Dimension 1 Code", CODE),
        (24, "Global Dimension 2 Code", CODE),
        (27, "User ID", CODE),
        (28, "Source Code", CODE),
        (29, "System-Created Entry", BOOL),
        (30, "Prior-Year Entry", BOOL),
        (41, "Job No.", CODE),
        (42, "Quantity", DEC),
        (46, "Journal Batch Name", CODE),
        (47, "Reason Code", CODE),
        (48, "Gen. Posting Type", ENUM),
        (49, "Gen. Bus. Posting Group", CODE),
        (50, "Gen. Prod. Posting Group", CODE),
        (51, "Bal. Account Type", ENUM),
        (52, "Transaction No.", INT),
        (53, "Debit Amount", DEC),
        (54, "Credit Amount", DEC),
        (55, "Document Date", DATE),
        (56, "External Document No.", CODE),
        (57, "Source Type", ENUM),
        (58, "Source No.", CODE),
        (68, "Additional-Currency Amount", DEC),
        (73, "Reversed", BOOL),
        (480, "Dimension Set ID", INT),
        (5400, "Prod. Order No.", CODE),
    ],
)

G_L_ITEM_LEDGER_RELATION = _table(
    "g_l_item_ledger_relation",
    "G/L - Item Ledger Relation",
    5823,
    ("g_l_entry_no", "value_entry_no"),
    [
        (1, "G/L Entry No.", INT),
        (2, "Value Entry No.", INT),
        (3, "G/L Register No.", INT),
    ],
)

G_L_ACCOUNT = _table(
    "g_l_account",
    "G/L Account",
    15,
    ("no",),
    [
        (1, "No.", CODE),
        (2, "Name", TEXT),
        (4, "Account Type", ENUM),
        (9, "Income/Balance", ENUM),
        (8, "Account Category", ENUM),
        (13, "Blocked", BOOL),
        (14, "Direct Posting", BOOL),
        (16, "Reconciliation Account", BOOL),
        (34, "Totaling", TEXT),
        (43, "Gen. Posting Type", ENUM),
        (44, "Gen. Bus. Posting Group", CODE),
        (45, "Gen. Prod. Posting Group", CODE),
    ],
)

ITEM = _table(
    "item",
    "Item",
    27,
    ("no",),
    [
        (1, "No.", CODE),
        (3, "Description", TEXT),
        (8, "Base Unit of Measure", CODE),
        (10, "Type", ENUM),
        (11, "Inventory Posting Group", CODE),
        (18, "Unit Price", DEC),
        (21, "Costing Method", ENUM),
        (22, "Unit Cost", DEC),
        (24, "Standard Cost", DEC),
        (25, "Last Direct Cost", DEC),
        (28, "Indirect Cost %", DEC),
        (29, "Cost is Adjusted", BOOL),
        (91, "Gen. Prod. Posting Group", CODE),
        (5409, "Inventory Value Zero", BOOL),
        (5702, "Item Category Code", CODE),
        (5419, "Replenishment System", ENUM),
        (99000757, "Overhead Rate", DEC),
        (31, "Vendor No.", CODE),
    ],
)

LOCATION = _table(
    "location",
    "Location",
    14,
    ("code",),
    [
        (1, "Code", CODE),
        (2, "Name", TEXT),
        (5700, "Use As In-Transit", BOOL),
    ],
)

INVENTORY_POSTING_GROUP = _table(
    "inventory_posting_group",
    "Inventory Posting Group",
    94,
    ("code",),
    [(1, "Code", CODE), (2, "Description", TEXT)],
)

GEN_BUSINESS_POSTING_GROUP = _table(
    "gen_business_posting_group",
    "Gen. Business Posting Group",
    250,
    ("code",),
    [(1, "Code", CODE), (2, "Description", TEXT)],
)

GEN_PRODUCT_POSTING_GROUP = _table(
    "gen_product_posting_group",
    "Gen. Product Posting Group",
    251,
    ("code",),
    [(1, "Code", CODE), (2, "Description", TEXT)],
)

INVENTORY_POSTING_SETUP = _table(
    "inventory_posting_setup",
    "Inventory Posting Setup",
    5813,
    ("location_code", "invt_posting_group_code"),
    [
        (1, "Location Code", CODE),
        (2, "Invt. Posting Group Code", CODE),
        (6, "Inventory Account", CODE),
        (5800, "Inventory Account (Interim)", CODE),
        (99000750, "WIP Account", CODE),
        (99000753, "Material Variance Account", CODE),
        (99000754, "Capacity Variance Account", CODE),
        (99000755, "Mfg. Overhead Variance Account", CODE),
        (99000756, "Cap. Overhead Variance Account", CODE),
        (99000757, "Subcontracted Variance Account", CODE),
        (99000758, "Mat. Non-Inv. Variance Acc.", CODE),
    ],
)

GENERAL_POSTING_SETUP = _table(
    "general_posting_setup",
    "General Posting Setup",
    252,
    ("gen_bus_posting_group", "gen_prod_posting_group"),
    [
        (1, "Gen. Bus. Posting Group", CODE),
        (2, "Gen. Prod. Posting Group", CODE),
        (18, "COGS Account", CODE),
        (19, "Inventory Adjmt. Account", CODE),
        (5801, "Invt. Accrual Acc. (Interim)", CODE),
        (5803, "COGS Account (Interim)", CODE),
        (6000, "Direct Cost Non-Inv. App. Acc.", CODE),
        (99000752, "Direct Cost Applied Account", CODE),
        (99000753, "Overhead Applied Account", CODE),
        (99000754, "Purchase Variance Account", CODE),
        (50, "Blocked", BOOL),
    ],
)

INVENTORY_SETUP = _table(
    "inventory_setup",
    "Inventory Setup",
    313,
    ("primary_key",),
    [
        (1, "Primary Key", CODE),
        (2, "Automatic Cost Posting", BOOL),
        (5800, "Expected Cost Posting to G/L", BOOL),
        (5801, "Automatic Cost Adjustment", ENUM),
        (5804, "Average Cost Calc. Type", ENUM),
        (5805, "Average Cost Period", ENUM),
        (5700, "Default Costing Method", ENUM),
    ],
)

GENERAL_LEDGER_SETUP = _table(
    "general_ledger_setup",
    "General Ledger Setup",
    98,
    ("primary_key",),
    [
        (1, "Primary Key", CODE),
        (2, "Allow Posting From", DATE),
        (3, "Allow Posting To", DATE),
        (71, "LCY Code", CODE),
        (68, "Additional Reporting Currency", CODE),
    ],
)

ACCOUNTING_PERIOD = _table(
    "accounting_period",
    "Accounting Period",
    50,
    ("starting_date",),
    [
        (1, "Starting Date", DATE),
        (2, "Name", TEXT),
        (3, "New Fiscal Year", BOOL),
        (4, "Closed", BOOL),
        (5, "Date Locked", BOOL),
    ],
)

INVENTORY_PERIOD = _table(
    "inventory_period",
    "Inventory Period",
    5814,
    ("ending_date",),
    [(1, "Ending Date", DATE), (2, "Name", TEXT), (3, "Closed", BOOL)],
)

PRODUCTION_ORDER = _table(
    "production_order",
    "Production Order",
    5405,
    ("status", "no"),
    [
        (1, "Status", ENUM),
        (2, "No.", CODE),
        (3, "Description", TEXT),
        (9, "Source Type", ENUM),
        (10, "Source No.", CODE),
        (19, "Due Date", DATE),
        (22, "Finished Date", DATE),
        (20, "Location Code", CODE),
        (40, "Quantity", DEC),
        (59, "Inventory Posting Group", CODE),
        (60, "Gen. Prod. Posting Group", CODE),
        (61, "Gen. Bus. Posting Group", CODE),
    ],
)

# The tables the close needs in the warehouse's raw schema (issue 4), in load order.
RAW_TABLES: tuple[Table, ...] = (
    VALUE_ENTRY,
    ITEM_LEDGER_ENTRY,
    ITEM_APPLICATION_ENTRY,
    CAPACITY_LEDGER_ENTRY,
    G_L_ENTRY,
    G_L_ITEM_LEDGER_RELATION,
    G_L_ACCOUNT,
    ITEM,
    LOCATION,
    INVENTORY_POSTING_SETUP,
    GENERAL_POSTING_SETUP,
    INVENTORY_SETUP,
    GENERAL_LEDGER_SETUP,
    ACCOUNTING_PERIOD,
    INVENTORY_PERIOD,
    PRODUCTION_ORDER,
)

# Master data the demo ERP also keeps (posting-group lists) on top of the raw tables.
ERP_EXTRA_TABLES: tuple[Table, ...] = (
    INVENTORY_POSTING_GROUP,
    GEN_BUSINESS_POSTING_GROUP,
    GEN_PRODUCT_POSTING_GROUP,
)

# Load metadata every row of the warehouse's raw schema carries (issue 4).
RAW_LOAD_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_batch_id", INT),
    ("_loaded_at", DATETIME),
    ("_source_version", TEXT),
)

TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in (*RAW_TABLES, *ERP_EXTRA_TABLES)}


def create_table_sql(table: Table, schema: str, *, extra_columns: tuple[tuple[str, str], ...] = ()) -> str:
    """``create table if not exists`` DDL for ``table`` in ``schema``, keyed by (company, BC key).

    ``extra_columns`` adds columns after the BC ones (the raw schema's load metadata).
    Identifiers are quoted with psycopg2's ``sql.Identifier`` rules, so hostile names stay names.
    """
    from psycopg2 import sql

    types = table.column_types()
    cols = [sql.SQL("{} {}").format(sql.Identifier(n), sql.SQL(types[n])) for n in table.column_names]
    cols += [sql.SQL("{} {}").format(sql.Identifier(n), sql.SQL(t)) for n, t in extra_columns]
    cols.append(
        sql.SQL("primary key ({})").format(sql.SQL(", ").join(map(sql.Identifier, table.primary_key)))
    )
    return sql.SQL("create table if not exists {}.{} ({})").format(
        sql.Identifier(schema), sql.Identifier(table.name), sql.SQL(", ").join(cols)
    )

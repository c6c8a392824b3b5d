"""What the server publishes: API v2.0 entities and OData v4 web services, as SQL over schema ``bc``.

API v2.0 (bc-interfaces.md §2.2): ``generalLedgerEntries`` (debit/credit, no amount),
``itemLedgerEntries`` (cost/sales amounts computed from value entries, like BC's FlowFields),
``accounts``, ``journals``, ``journalLines``, ``dimensionSetLines``.

OData v4 web services (§2.3) for the tables the API lacks, one per ``bc_schema.RAW_TABLES`` entry.
Property names follow BC's EDM rule (``costclose.bc_api_client.edm_name``) on the BC field names; for
Value Entry these are the names of page 5802 "Value Entries" published as ``ValueEntries``
(../shared/data/field_maps/value_entry_5802.csv). The fields the standard page does not show (e.g.
Inventory Posting Group, Expected Cost) are published too, as a page extension would, so a connector
can land every column the close needs. Like page 5802, ``ValueEntries`` has **no** modified time; the
other services expose ``SystemId`` / ``SystemCreatedAt`` / ``SystemModifiedAt``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from psycopg2 import sql

from costclose import bc_schema
from costclose.bc_api_client import ENUM_FIELDS, SERVICE_NAMES, edm_name
from costclose.bc_api_server.query import Prop

_KIND = {
    bc_schema.INT: "int",
    bc_schema.DEC: "dec",
    bc_schema.DATE: "date",
    bc_schema.BOOL: "bool",
    bc_schema.GUID: "guid",
    bc_schema.DATETIME: "datetime",
}


@dataclass(frozen=True)
class Entity:
    """A published collection: properties, the FROM clause (alias ``t``), its key and its parent."""

    name: str
    props: tuple[Prop, ...]
    from_sql: sql.Composable
    key: tuple[str, ...]
    company_expr: sql.Composable = field(default_factory=lambda: sql.SQL("t.company"))
    etag_expr: sql.Composable | None = None

    @property
    def by_name(self) -> dict[str, Prop]:
        return {p.name: p for p in self.props}

    @property
    def key_props(self) -> list[Prop]:
        props = self.by_name
        return [props[k] for k in self.key]


def _col(name: str) -> sql.Composable:
    return sql.SQL("t.{}").format(sql.Identifier(name))


def _kind(column: bc_schema.Column) -> str:
    if column.type == bc_schema.ENUM and column.bc_field in ENUM_FIELDS:
        return "enum"
    return _KIND.get(column.type, "text")


SYSTEM_PROPS = (("SystemId", "system_id", "guid"), ("SystemCreatedAt", "system_created_at", "datetime"),
                ("SystemModifiedAt", "system_modified_at", "datetime"))  # fmt: skip


def table_props(table: bc_schema.Table) -> list[tuple[str, str, str]]:
    """(OData property, bc_schema column, kind) of a table's web service."""
    props = [(edm_name(c.bc_field), c.name, _kind(c)) for c in table.columns]
    if table.name != "value_entry":  # page 5802 has no system fields (bc-interfaces.md §2.3)
        props += list(SYSTEM_PROPS)
    return props


# Page 5802 fields the ERP layout does not keep (bc_schema has no column): served with BC's blanks.
PAGE_5802_BLANKS = (
    Prop("Salespers_Purch_Code", sql.SQL("''"), "text"),
    Prop("Cost_per_Unit_ACY", sql.SQL("0::numeric"), "dec"),
    Prop("Job_Task_No", sql.SQL("''"), "text"),
    Prop("Job_Ledger_Entry_No", sql.SQL("0"), "int"),
    Prop("Return_Reason_Code", sql.SQL("''"), "text"),
)


def odata_service(table: bc_schema.Table) -> Entity:
    props = tuple(Prop(p, _col(c), k) for p, c, k in table_props(table))
    if table.name == "value_entry":
        props += PAGE_5802_BLANKS
    key_names = {c.name: edm_name(c.bc_field) for c in table.columns}
    return Entity(
        name=SERVICE_NAMES[table.name],
        props=props,
        from_sql=sql.SQL("bc.{} t").format(sql.Identifier(table.name)),
        key=tuple(key_names[k] for k in table.key),
        etag_expr=_col("row_version"),
    )


ODATA_SERVICES: dict[str, Entity] = {
    SERVICE_NAMES[t.name]: odata_service(t) for t in bc_schema.RAW_TABLES if t.name in SERVICE_NAMES
}


def _p(name: str, expr: str, kind: str) -> Prop:
    return Prop(name, sql.SQL(expr), kind)


GENERAL_LEDGER_ENTRIES = Entity(
    name="generalLedgerEntries",
    props=(
        _p("id", "t.system_id", "guid"),
        _p("entryNumber", "t.entry_no", "int"),
        _p("postingDate", "t.posting_date", "date"),
        _p("documentNumber", "coalesce(t.document_no, '')", "text"),
        _p("documentType", "coalesce(t.document_type, '')", "enum"),
        _p("accountId", "a.system_id", "guid"),
        _p("accountNumber", "t.g_l_account_no", "text"),
        _p("description", "coalesce(t.description, '')", "text"),
        _p("debitAmount", "coalesce(t.debit_amount, greatest(t.amount, 0))", "dec"),
        _p("creditAmount", "coalesce(t.credit_amount, greatest(-t.amount, 0))", "dec"),
        _p("additionalCurrencyDebitAmount", "greatest(coalesce(t.additional_currency_amount, 0), 0)", "dec"),
        _p(
            "additionalCurrencyCreditAmount", "greatest(-coalesce(t.additional_currency_amount, 0), 0)", "dec"
        ),
        _p("lastModifiedDateTime", "t.system_modified_at", "datetime"),
    ),
    from_sql=sql.SQL(
        "bc.g_l_entry t left join bc.g_l_account a on a.company = t.company and a.no = t.g_l_account_no"
    ),
    key=("entryNumber",),
    etag_expr=sql.SQL("t.row_version"),
)

ITEM_LEDGER_ENTRIES = Entity(
    name="itemLedgerEntries",
    props=(
        _p("id", "t.system_id", "guid"),
        _p("entryNumber", "t.entry_no", "int"),
        _p("itemNumber", "t.item_no", "text"),
        _p("postingDate", "t.posting_date", "date"),
        _p("entryType", "coalesce(t.entry_type, '')", "enum"),
        _p("sourceNumber", "coalesce(t.source_no, '')", "text"),
        _p("sourceType", "coalesce(t.source_type, '')", "enum"),
        _p("documentNumber", "coalesce(t.document_no, '')", "text"),
        _p("documentType", "coalesce(t.document_type, '')", "enum"),
        _p("description", "coalesce(t.description, '')", "text"),
        _p("quantity", "t.quantity", "dec"),
        _p("salesAmountActual", "coalesce(v.sales_amount_actual, 0)", "dec"),
        _p("costAmountActual", "coalesce(v.cost_amount_actual, 0)", "dec"),
        _p("lastModifiedDateTime", "t.system_modified_at", "datetime"),
    ),
    # Cost/Sales Amount (Actual) are FlowFields over Value Entry (bc-interfaces.md §1.3).
    from_sql=sql.SQL(
        "bc.item_ledger_entry t left join lateral (select sum(ve.cost_amount_actual) as cost_amount_actual,"
        " sum(ve.sales_amount_actual) as sales_amount_actual from bc.value_entry ve"
        " where ve.company = t.company and ve.item_ledger_entry_no = t.entry_no) v on true"
    ),
    key=("entryNumber",),
    etag_expr=sql.SQL("t.row_version"),
)

ACCOUNTS = Entity(
    name="accounts",
    props=(
        _p("id", "t.system_id", "guid"),
        _p("number", "t.no", "text"),
        _p("displayName", "coalesce(t.name, '')", "text"),
        _p("category", "coalesce(t.account_category, '')", "enum"),
        _p("subCategory", "''", "text"),
        _p("blocked", "coalesce(t.blocked, false)", "bool"),
        _p("accountType", "coalesce(t.account_type, '')", "enum"),
        _p("directPosting", "coalesce(t.direct_posting, false)", "bool"),
        _p("netChange", "coalesce(n.net_change, 0)", "dec"),
        _p("consolidationTranslationMethod", "'Average_x0020_Rate_x0020__x0028_Manual_x0029_'", "text"),
        _p("excludeFromConsolidation", "false", "bool"),
        _p("lastModifiedDateTime", "t.system_modified_at", "datetime"),
    ),
    from_sql=sql.SQL(
        "bc.g_l_account t left join lateral (select sum(e.amount) as net_change from bc.g_l_entry e"
        " where e.company = t.company and e.g_l_account_no = t.no) n on true"
    ),
    key=("number",),
    etag_expr=sql.SQL("t.row_version"),
)

JOURNALS = Entity(
    name="journals",
    props=(
        _p("id", "t.id", "guid"),
        _p("code", "t.code", "text"),
        _p("displayName", "t.display_name", "text"),
        _p("templateDisplayName", "t.template_display_name", "text"),
        _p("lastModifiedDateTime", "t.last_modified", "datetime"),
        _p("balancingAccountId", "'00000000-0000-0000-0000-000000000000'::uuid", "guid"),
        _p("balancingAccountNumber", "''", "text"),
    ),
    from_sql=sql.SQL("bc_api.journal t"),
    key=("code",),
)

JOURNAL_LINES = Entity(
    name="journalLines",
    props=(
        _p("id", "t.id", "guid"),
        _p("journalId", "t.journal_id", "guid"),
        _p("journalDisplayName", "j.code", "text"),
        _p("lineNumber", "t.line_number", "int"),
        _p("accountType", "t.account_type", "text"),
        _p("accountId", "t.account_id", "guid"),
        _p("accountNumber", "t.account_number", "text"),
        _p("postingDate", "t.posting_date", "date"),
        _p("documentNumber", "t.document_number", "text"),
        _p("externalDocumentNumber", "t.external_document_number", "text"),
        _p("amount", "t.amount", "dec"),
        _p("description", "t.description", "text"),
        _p("comment", "t.comment", "text"),
        _p("taxCode", "''", "text"),
        _p("balanceAccountType", "'G/L Account'", "text"),
        _p("balancingAccountId", "'00000000-0000-0000-0000-000000000000'::uuid", "guid"),
        _p("balancingAccountNumber", "''", "text"),
        _p("lastModifiedDateTime", "t.last_modified", "datetime"),
    ),
    from_sql=sql.SQL("bc_api.journal_line t join bc_api.journal j on j.id = t.journal_id"),
    key=("journalId", "lineNumber"),
    company_expr=sql.SQL("j.company"),
)

DIMENSION_SET_LINES = Entity(
    name="dimensionSetLines",
    props=(
        _p("id", "t.id", "guid"),
        _p("code", "t.dimension_code", "text"),
        _p("parentId", "t.parent_id", "guid"),
        _p("parentType", "t.parent_type", "enum"),
        _p("displayName", "t.dimension_code", "text"),
        _p("valueId", "t.value_id", "guid"),
        _p("valueCode", "t.dimension_value_code", "text"),
        _p("valueDisplayName", "t.dimension_value_code", "text"),
    ),
    from_sql=sql.SQL(
        "bc_api.dimension_set_line t join bc_api.journal_line l on l.id = t.parent_id"
        " join bc_api.journal j on j.id = l.journal_id"
    ),
    key=("parentId", "code"),
    company_expr=sql.SQL("j.company"),
)

GL_ENTRY_DIMENSION_SET_LINES = Entity(
    name="dimensionSetLines",
    props=(
        _p("id", "md5(t.company || ':' || t.dimension_set_id || ':' || t.dimension_code)::uuid", "guid"),
        _p("code", "t.dimension_code", "text"),
        _p("parentId", "g.system_id", "guid"),
        _p("parentType", "'General Ledger Entry'", "enum"),
        _p("displayName", "t.dimension_code", "text"),
        _p("valueId", "null::uuid", "guid"),
        _p("valueCode", "t.dimension_value_code", "text"),
        _p("valueDisplayName", "t.dimension_value_code", "text"),
    ),
    from_sql=sql.SQL(
        "bc_api.dimension_set_entry t join bc.g_l_entry g"
        " on g.company = t.company and g.dimension_set_id = t.dimension_set_id"
    ),
    key=("code",),
)

API_ENTITIES: dict[str, Entity] = {
    e.name: e for e in (GENERAL_LEDGER_ENTRIES, ITEM_LEDGER_ENTRIES, ACCOUNTS, JOURNALS, JOURNAL_LINES)
}

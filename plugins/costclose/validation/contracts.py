"""The warehouse relations the gates read, named once.

The dbt project (issue 5) builds them; the suites in ``expectations/`` and the alert drill-downs read
them through these names, so a renamed model is one edit here. Tests create tables with the same names
and columns in a fresh database.
"""

from __future__ import annotations

from dataclasses import dataclass

from psycopg2 import sql


@dataclass(frozen=True)
class Relation:
    """A table or view in the warehouse."""

    schema: str
    name: str

    @property
    def ident(self) -> sql.Composed:
        return sql.SQL("{}.{}").format(sql.Identifier(self.schema), sql.Identifier(self.name))

    def __str__(self) -> str:
        return f"{self.schema}.{self.name}"


# Per company x period x G/L account (issue 5 item 5): what the value entries imply on the account
# through the posting rules, its G/L net change, and the difference (G/L - implied, as BC's §C.4).
GL_ACCOUNT_RECONCILIATION = Relation("marts", "fct_gl_account_reconciliation")
RECONCILIATION_COLUMNS = {
    "period_start": "period_start",
    "account": "g_l_account_no",
    "inventory": "implied_amount",
    "gl": "gl_net_change",
    "difference": "difference",
}

# The adjusting journal Post Inventory Cost to G/L would post (issue 5 item 6), one row per G/L line,
# debit positive. The per-posting-group summary is the one the posting task posts.
ADJUSTING_JOURNAL = Relation("outbound", "fct_adjusting_journal_per_posting_group")

# BC's warning per company x period x date filter (spec §C.6); the alert reads date_filter 'period'.
RECONCILIATION_WARNINGS = Relation("marts", "fct_inventory_gl_reconciliation_warnings")

# The drill-downs behind a difference: value entries not (fully) in G/L, with the accounts they post
# to (account_no / bal_account_no, amount_to_post, skip_reason), and G/L entries no value entry
# explains (g_l_account_no, amount, reason).
UNPOSTED_VALUE_ENTRIES = Relation("marts", "fct_reconciliation_unposted_value_entries")
UNEXPLAINED_GL_ENTRIES = Relation("marts", "fct_reconciliation_unexplained_gl_entries")

RAW_SCHEMA = "raw"


def raw(table: str) -> Relation:
    """A table of the warehouse's raw schema (``costclose.bc_schema`` names)."""
    return Relation(RAW_SCHEMA, table)

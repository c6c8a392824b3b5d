"""What stands behind each failing account: BC's warning (spec §C.6) and the entries that explain it.

Read from the dbt drill-down marts (``costclose.validation.contracts``): the value entries not yet in
G/L that post to the account, and the G/L entries on it that no value entry explains. A missing mart
(the dbt build did not get that far) leaves the evidence empty and says so; it never stops an alert.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import psycopg2
import psycopg2.extensions
from psycopg2 import sql

from costclose.validation import contracts
from costclose.validation.model import ValidationResult, jsonable

log = logging.getLogger(__name__)

TOP_ENTRIES = 5
TIE_OUT_CHECKS = (
    "tie_out.inventory_equals_gl_plus_journal",
    "tie_out.inventory_equals_gl",
)
# Setup roles whose differences BC explains with "Expected Cost Setup" when expected-cost posting is
# off (spec §C.6 check 1).
_INTERIM_ROLES = (
    "Inventory Account (Interim)",
    "WIP Account",
    "Invt. Accrual Acc. (Interim)",
    "COGS Account (Interim)",
)


def account_label(account: str | None) -> str:
    if account is None:
        return "(not resolved)"
    return account or "(blank)"


@dataclass
class AccountFailure:
    """One G/L account where inventory and G/L disagree."""

    g_l_account_no: str | None  # '' = G/L entries with a blank account; None = sides no setup resolves
    inventory: str
    gl: str
    difference: str
    proposed: str | None = None
    unexplained: str | None = None
    warning: str | None = None
    warning_text: str | None = None
    value_entries: list[dict[str, Any]] = field(default_factory=list)
    gl_entries: list[dict[str, Any]] = field(default_factory=list)


def failing_accounts(result: ValidationResult) -> list[AccountFailure]:
    """The accounts the tie-out checks reported, in the order GX returned them (largest first)."""
    out: list[AccountFailure] = []
    for check in result.failures:
        if check.key not in TIE_OUT_CHECKS:
            continue
        out.extend(
            AccountFailure(
                g_l_account_no=row.get("g_l_account_no"),
                inventory=str(row.get("inventory_amount")),
                gl=str(row.get("g_l_amount")),
                difference=str(row.get("difference")),
                proposed=None if row.get("proposed_amount") is None else str(row["proposed_amount"]),
                unexplained=None
                if row.get("unexplained_difference") is None
                else str(row["unexplained_difference"]),
            )
            for row in check.rows
        )
    return out


def _query(
    conn: psycopg2.extensions.connection, query: sql.Composable, params: tuple
) -> list[dict[str, Any]]:
    try:
        with conn.cursor() as cur:
            cur.execute(query, params)
            names = [d.name for d in cur.description]
            return [jsonable(dict(zip(names, row, strict=True))) for row in cur.fetchall()]
    except (psycopg2.errors.UndefinedTable, psycopg2.errors.UndefinedColumn) as exc:
        log.warning("drill-down not available: %s", str(exc).splitlines()[0])
        return []


def attach(
    conn: psycopg2.extensions.connection, result: ValidationResult, accounts: list[AccountFailure]
) -> None:
    """Fill in each account's warning and top entries (``conn`` in autocommit mode)."""
    from costclose.period import parse_period

    start = parse_period(result.period).start
    warning_rows = _query(
        conn,
        sql.SQL(
            "select warning, warning_text, is_expected_cost_setup_warning, expected_cost_setup_warning_text "
            "from {} where company = %s and period_start = %s and date_filter = 'period'"
        ).format(contracts.RECONCILIATION_WARNINGS.ident),
        (result.company, start),
    )
    warning = warning_rows[0] if warning_rows else {}
    roles = {
        r["g_l_account_no"]: r.get("setup_roles") or ""
        for r in _query(
            conn,
            sql.SQL(
                "select g_l_account_no, setup_roles from {} where company = %s and period_start = %s"
            ).format(contracts.GL_ACCOUNT_RECONCILIATION.ident),
            (result.company, start),
        )
    }
    for account in accounts:
        interim = any(role in (roles.get(account.g_l_account_no) or "") for role in _INTERIM_ROLES)
        if interim and warning.get("is_expected_cost_setup_warning"):
            account.warning = "Expected Cost Setup"
            account.warning_text = warning.get("expected_cost_setup_warning_text")
        else:
            account.warning = warning.get("warning")
            account.warning_text = warning.get("warning_text")
        # Value entries posting to the account (or, for the unresolved row, with a side no setup resolves).
        on_account = (
            sql.SQL("(account_no is null or bal_account_no is null)")
            if account.g_l_account_no is None
            else sql.SQL("(account_no = %(account)s or bal_account_no = %(account)s)")
        )
        account.value_entries = _query(
            conn,
            sql.SQL(
                "select value_entry_no, posting_date, item_no, entry_type, document_no, cost_part, "
                "amount_to_post, account_no, bal_account_no, skip_reason from {} "
                "where company = %(company)s and period_start = %(start)s and {} "
                "order by abs(amount_to_post) desc, value_entry_no limit %(top)s"
            ).format(contracts.UNPOSTED_VALUE_ENTRIES.ident, on_account),
            {
                "company": result.company,
                "start": start,
                "account": account.g_l_account_no,
                "top": TOP_ENTRIES,
            },
        )
        account.gl_entries = _query(
            conn,
            sql.SQL(
                "select g_l_entry_no, posting_date, g_l_account_no, document_no, description, amount, reason "
                "from {} where company = %s and period_start = %s and g_l_account_no = %s "
                "order by abs(amount) desc, g_l_entry_no limit %s"
            ).format(contracts.UNEXPLAINED_GL_ENTRIES.ident),
            (result.company, start, account.g_l_account_no, TOP_ENTRIES),
        )

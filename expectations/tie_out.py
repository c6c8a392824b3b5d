"""Tie-out: inventory (what the value entries imply on each G/L account) equals the G/L.

Reads the per-G/L-account reconciliation (issue 5 item 5) for one company and period. Before posting,
what the value entries imply must equal the G/L net change plus the proposed adjusting journal on
every account; after posting it must equal the G/L net change alone, with nothing left to propose.
Differences are compared as ``numeric`` against the company's tolerance (default 0.00).
"""

from __future__ import annotations

import psycopg2.extensions
from psycopg2 import sql

from costclose.validation import contracts
from costclose.validation.model import Scope
from costclose.validation.sqltext import BATCH, render
from costclose.validation.suites import SuiteSpec, expect_no_rows

PRE_POSTING_CHECK = "tie_out.inventory_equals_gl_plus_journal"
POST_POSTING_CHECK = "tie_out.inventory_equals_gl"
NOTHING_TO_PROPOSE_CHECK = "tie_out.nothing_left_to_propose"

_C = contracts.RECONCILIATION_COLUMNS


def _col(name: str) -> sql.Identifier:
    return sql.Identifier(_C[name])


def _reconciliation_asset(scope: Scope, conn: psycopg2.extensions.connection) -> str:
    return render(
        conn,
        sql.SQL("select * from {rel} where company = {company} and {period_start} = {start}").format(
            rel=contracts.GL_ACCOUNT_RECONCILIATION.ident,
            company=sql.Literal(scope.company),
            period_start=_col("period_start"),
            start=sql.Literal(scope.period.start),
        ),
    )


def _journal_in_period(scope: Scope) -> sql.Composed:
    return sql.SQL(
        "select * from {rel} where company = {company} and posting_date between {start} and {end}"
    ).format(
        rel=contracts.ADJUSTING_JOURNAL.ident,
        company=sql.Literal(scope.company),
        start=sql.Literal(scope.period.start),
        end=sql.Literal(scope.period.end),
    )


def pre_posting(scope: Scope, conn: psycopg2.extensions.connection) -> list[SuiteSpec]:
    """Inventory = G/L + proposed journal, per account: only differences the journal explains pass."""
    query = sql.SQL(
        """
        select
            coalesce(r.{account}, j.gl_account_no) as g_l_account_no,
            coalesce(r.{inventory}, 0) as inventory_amount,
            coalesce(r.{gl}, 0) as g_l_amount,
            coalesce(r.{gl}, 0) - coalesce(r.{inventory}, 0) as difference,
            coalesce(j.amount, 0) as proposed_amount,
            coalesce(r.{inventory}, 0) - coalesce(r.{gl}, 0) - coalesce(j.amount, 0) as unexplained_difference
        from {batch} as r
        full join (
            select gl_account_no, sum(amount) as amount
            from ({journal}) as journal
            group by gl_account_no
        ) as j on j.gl_account_no = r.{account}
        where abs(coalesce(r.{inventory}, 0) - coalesce(r.{gl}, 0) - coalesce(j.amount, 0)) > {tolerance}
        order by abs(coalesce(r.{inventory}, 0) - coalesce(r.{gl}, 0) - coalesce(j.amount, 0)) desc
        """
    ).format(
        account=_col("account"),
        inventory=_col("inventory"),
        gl=_col("gl"),
        batch=BATCH,
        journal=_journal_in_period(scope),
        tolerance=sql.SQL("{}::numeric").format(sql.Literal(str(scope.tolerance))),
    )
    return [
        SuiteSpec(
            name="tie_out_pre_posting",
            asset_query=_reconciliation_asset(scope, conn),
            expectations=[
                expect_no_rows(
                    conn,
                    PRE_POSTING_CHECK,
                    f"On every G/L account, inventory (value entries) equals G/L plus the proposed "
                    f"adjusting journal within {scope.tolerance}",
                    query,
                )
            ],
        )
    ]


def post_posting(scope: Scope, conn: psycopg2.extensions.connection) -> list[SuiteSpec]:
    """Inventory = G/L per account, and the journal proposes nothing more for the period."""
    differences = sql.SQL(
        """
        select
            {account} as g_l_account_no,
            {inventory} as inventory_amount,
            {gl} as g_l_amount,
            {gl} - {inventory} as difference
        from {batch}
        where abs({gl} - {inventory}) > {tolerance}
        order by abs({gl} - {inventory}) desc
        """
    ).format(
        account=_col("account"),
        inventory=_col("inventory"),
        gl=_col("gl"),
        batch=BATCH,
        tolerance=sql.SQL("{}::numeric").format(sql.Literal(str(scope.tolerance))),
    )
    leftover = sql.SQL(
        "select document_no, posting_date, gl_account_no, amount from {batch} order by document_no"
    ).format(batch=BATCH)
    return [
        SuiteSpec(
            name="tie_out_post_posting",
            asset_query=_reconciliation_asset(scope, conn),
            expectations=[
                expect_no_rows(
                    conn,
                    POST_POSTING_CHECK,
                    f"On every G/L account, inventory (value entries) equals G/L within {scope.tolerance}",
                    differences,
                )
            ],
        ),
        SuiteSpec(
            name="tie_out_journal_after_posting",
            asset_query=render(conn, _journal_in_period(scope)),
            expectations=[
                expect_no_rows(
                    conn,
                    NOTHING_TO_PROPOSE_CHECK,
                    "After posting, the adjusting journal proposes nothing more for the period",
                    leftover,
                )
            ],
        ),
    ]

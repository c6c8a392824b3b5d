"""Data quality of the outbound adjusting journal, checked as Business Central checks a journal.

Scope: the journal lines of one company dated up to the end of the period (everything the close
would post). A journal that breaks any of these would be refused by BC, or post somewhere it must not:
balanced per document, required fields present, accounts exist and are not blocked, posting dates
inside Allow Posting From/To (General Ledger Setup) and in an open accounting period.
"""

from __future__ import annotations

import great_expectations as gx
import psycopg2.extensions
from psycopg2 import sql

from costclose.validation import contracts
from costclose.validation.model import Scope
from costclose.validation.sqltext import BATCH, render
from costclose.validation.suites import SuiteSpec, expect_no_rows, with_check

REQUIRED = ["document_no", "posting_date", "gl_account_no", "amount"]


def suites(scope: Scope, conn: psycopg2.extensions.connection) -> list[SuiteSpec]:
    company = sql.Literal(scope.company)
    asset = sql.SQL("select * from {rel} where company = {company} and posting_date <= {end}").format(
        rel=contracts.ADJUSTING_JOURNAL.ident, company=company, end=sql.Literal(scope.period.end)
    )
    unbalanced = sql.SQL(
        """
        select document_no, sum(amount) as imbalance, count(*) as lines
        from {batch}
        group by document_no
        having sum(amount) <> 0
        order by document_no
        """
    ).format(batch=BATCH)
    accounts = contracts.raw("g_l_account").ident
    missing_accounts = sql.SQL(
        """
        select j.document_no, j.gl_account_no, j.amount
        from {batch} as j
        left join {accounts} as a on a.company = {company} and a.no = j.gl_account_no
        where a.no is null
        order by j.document_no, j.gl_account_no
        """
    ).format(batch=BATCH, accounts=accounts, company=company)
    blocked_accounts = sql.SQL(
        """
        select j.document_no, j.gl_account_no, j.amount
        from {batch} as j
        join {accounts} as a on a.company = {company} and a.no = j.gl_account_no
        where a.blocked
        order by j.document_no, j.gl_account_no
        """
    ).format(batch=BATCH, accounts=accounts, company=company)
    outside_allowed = sql.SQL(
        """
        select j.document_no, j.posting_date, s.allow_posting_from, s.allow_posting_to
        from {batch} as j
        join {setup} as s on s.company = {company}
        where j.posting_date < coalesce(s.allow_posting_from, '-infinity'::date)
           or j.posting_date > coalesce(s.allow_posting_to, 'infinity'::date)
        order by j.document_no
        """
    ).format(batch=BATCH, setup=contracts.raw("general_ledger_setup").ident, company=company)
    # The accounting period holding a date is the last one starting on or before it.
    closed_periods = sql.SQL(
        """
        select j.document_no, j.posting_date, p.starting_date as period_starting_date, p.closed
        from {batch} as j
        left join lateral (
            select starting_date, closed
            from {periods}
            where company = {company} and starting_date <= j.posting_date
            order by starting_date desc
            limit 1
        ) as p on true
        where p.starting_date is null or p.closed
        order by j.document_no
        """
    ).format(batch=BATCH, periods=contracts.raw("accounting_period").ident, company=company)
    required = [
        with_check(
            gx.expectations.ExpectColumnValuesToNotBeNull(
                column=col, description=f"journal lines have {col}"
            ),
            f"outbound.required.{col}",
        )
        for col in REQUIRED
    ]
    return [
        SuiteSpec(
            name="outbound_journal",
            asset_query=render(conn, asset),
            expectations=[
                *required,
                expect_no_rows(
                    conn,
                    "outbound.balanced_per_document",
                    "Debits equal credits in every document",
                    unbalanced,
                ),
                expect_no_rows(
                    conn,
                    "outbound.accounts_exist",
                    "Every journal line's G/L account exists in the chart of accounts",
                    missing_accounts,
                ),
                expect_no_rows(
                    conn,
                    "outbound.accounts_not_blocked",
                    "No journal line posts to a blocked account",
                    blocked_accounts,
                ),
                expect_no_rows(
                    conn,
                    "outbound.posting_dates_allowed",
                    "Posting dates lie inside Allow Posting From/To of the General Ledger Setup",
                    outside_allowed,
                ),
                expect_no_rows(
                    conn,
                    "outbound.posting_dates_in_open_period",
                    "Posting dates lie in an open accounting period",
                    closed_periods,
                ),
            ],
        )
    ]

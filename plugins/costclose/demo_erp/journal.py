"""Posting a G/L journal back into the demo ERP, validated the way BC's Gen. Jnl.-Post does.

The close's posting task (and the API engineer's journals/journalLines/Microsoft.NAV.post endpoint)
call ``post_journal``. Checks (each failure raises ``JournalRejected`` naming the line and the rule,
and changes nothing): lines balance per document; the account exists, is an account of type Posting
and is not blocked; Direct Posting is true unless the lines are system-created; the posting date is
inside General Ledger Setup's Allow Posting From/To and in an open accounting period. Then, in one
transaction under a per-company advisory lock, it writes the G/L entries, a G/L register, one G/L -
Item Ledger Relation row per covered value entry, sets Cost Posted to G/L (``cost_part="actual"``) or
Expected Cost Posted to G/L (``"expected"``) of the covered value entries to their cost amounts,
removes them from ``bc.post_value_entry_to_g_l`` and records the idempotency key. A key already posted
returns ``duplicate=True`` and changes nothing.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from psycopg2 import sql
from psycopg2.extensions import connection, cursor

from costclose.demo_erp.bulk import copy_rows
from costclose.demo_erp.gl_posting import lock_company
from costclose.errors import CostcloseError

log = logging.getLogger(__name__)

SOURCE_CODE = "GENJNL"


@dataclass(frozen=True)
class JournalLine:
    document_no: str
    posting_date: date
    account_no: str
    amount: Decimal  # debit positive, credit negative
    description: str = ""
    dimension_set_id: int = 0
    value_entry_nos: tuple[int, ...] = ()  # value entries this line covers
    cost_part: str = "actual"  # "actual" or "expected": which posted-to-G/L field it settles


@dataclass(frozen=True)
class PostResult:
    idempotency_key: str
    g_l_entry_nos: tuple[int, ...]
    register_no: int
    duplicate: bool  # True when the key was already posted (nothing changed)


class JournalRejected(CostcloseError):  # noqa: N818 - the name is the API contract (issue 3)
    """The journal breaks a BC posting rule; the message names the line and the rule. Nothing was posted."""


def _line_ref(i: int, line: JournalLine) -> str:
    return f"line {i} (document {line.document_no!r}, account {line.account_no!r}, {line.posting_date})"


def _validate_shape(lines: Sequence[JournalLine]) -> None:
    if not lines:
        raise JournalRejected("The journal has no lines; add at least one balanced document.")
    for i, line in enumerate(lines, start=1):
        if not isinstance(line.amount, Decimal):
            raise JournalRejected(f"{_line_ref(i, line)}: amount must be a Decimal, not {type(line.amount)}.")
        if line.cost_part not in ("actual", "expected"):
            raise JournalRejected(f"{_line_ref(i, line)}: cost_part must be 'actual' or 'expected'.")
        if not line.document_no:
            raise JournalRejected(f"{_line_ref(i, line)}: Document No. must have a value.")
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for line in lines:
        totals[line.document_no] += line.amount
    for doc, total in totals.items():
        if total != 0:
            raise JournalRejected(
                f"Document {doc!r} is out of balance by {total}: the lines of each document must sum to 0 "
                "(debits positive, credits negative). Fix the amounts and post again."
            )


def _validate_against_setup(
    cur: cursor, company: str, lines: Sequence[JournalLine], system_created: bool
) -> None:
    cur.execute(
        "select no, account_type, blocked, direct_posting from bc.g_l_account where company = %s", (company,)
    )
    accounts = {r[0]: r[1:] for r in cur.fetchall()}
    if not accounts:
        raise JournalRejected(f"Company {company!r} does not exist in the demo ERP (no chart of accounts).")
    cur.execute(
        "select allow_posting_from, allow_posting_to from bc.general_ledger_setup where company = %s",
        (company,),
    )
    allow_from, allow_to = cur.fetchone() or (None, None)
    cur.execute("select starting_date, closed from bc.accounting_period where company = %s", (company,))
    periods = sorted(cur.fetchall())
    covered = sorted({v for line in lines for v in line.value_entry_nos})
    if covered:
        cur.execute(
            "select array(select unnest(%s::bigint[]) except "
            "select entry_no from bc.value_entry where company = %s and entry_no = any(%s))",
            (covered, company, covered),
        )
        missing = sorted(cur.fetchone()[0])
        if missing:
            raise JournalRejected(
                f"Value entries {missing[:10]} do not exist in company {company!r}; a journal line can only "
                "cover value entries of the company it is posted to."
            )
    for i, line in enumerate(lines, start=1):
        ref = _line_ref(i, line)
        if line.account_no not in accounts:
            raise JournalRejected(f"{ref}: G/L Account {line.account_no!r} does not exist.")
        account_type, blocked, direct_posting = accounts[line.account_no]
        if account_type != "Posting":
            raise JournalRejected(
                f"{ref}: G/L Account {line.account_no!r} is a {account_type} account, not Posting."
            )
        if blocked:
            raise JournalRejected(
                f"{ref}: G/L Account {line.account_no!r} is blocked; unblock it or use another."
            )
        if not direct_posting and not system_created:
            raise JournalRejected(
                f"{ref}: Direct Posting must be Yes on G/L Account {line.account_no!r} for a manual journal "
                "line; post it as a system-created entry or use an account that allows direct posting."
            )
        if (allow_from and line.posting_date < allow_from) or (allow_to and line.posting_date > allow_to):
            raise JournalRejected(
                f"{ref}: the posting date is not within the range of allowed posting dates "
                f"({allow_from} .. {allow_to or 'no limit'}) in General Ledger Setup."
            )
        period = [p for p in periods if p[0] <= line.posting_date]
        if not period:
            raise JournalRejected(f"{ref}: the posting date is before the first accounting period.")
        if period[-1][1]:
            raise JournalRejected(
                f"{ref}: the posting date is in the closed accounting period starting {period[-1][0]}; "
                "post into an open period."
            )


def post_journal(
    conn: connection,
    company: str,
    lines: Sequence[JournalLine],
    idempotency_key: str,
    *,
    system_created: bool = True,
) -> PostResult:
    """Validate and post ``lines`` in one transaction (committed here); see the module docstring."""
    if not idempotency_key:
        raise JournalRejected("An idempotency key is required so that a retried journal posts once.")
    _validate_shape(lines)
    try:
        with conn.cursor() as cur:
            lock_company(cur, company)
            cur.execute(
                "select register_no, g_l_entry_nos from bc.posted_journal "
                "where company = %s and idempotency_key = %s",
                (company, idempotency_key),
            )
            found = cur.fetchone()
            if found:
                conn.rollback()
                log.info(
                    "journal %s of %s was already posted (register %s)", idempotency_key, company, found[0]
                )
                return PostResult(idempotency_key, tuple(found[1]), found[0], duplicate=True)
            _validate_against_setup(cur, company, lines, system_created)
            result = _write(cur, company, lines, idempotency_key, system_created)
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    log.info("journal %s of %s posted: register %d, %d G/L entries", idempotency_key, company,
             result.register_no, len(result.g_l_entry_nos))  # fmt: skip
    return result


def _write(
    cur: cursor, company: str, lines: Sequence[JournalLine], key: str, system_created: bool
) -> PostResult:
    cur.execute("select coalesce(max(entry_no), 0) + 1 from bc.g_l_entry where company = %s", (company,))
    first = cur.fetchone()[0]
    cur.execute("select coalesce(max(no), 0) + 1 from bc.g_l_register where company = %s", (company,))
    register_no = cur.fetchone()[0]
    nos = tuple(range(first, first + len(lines)))
    today = date.today()  # noqa: DTZ011 - BC stamps the register with the work date
    gl_rows = [
        (
            company, no, ln.account_no, ln.posting_date, "", ln.document_no, ln.description, "", ln.amount,
            "", "", "DEMO", SOURCE_CODE, system_created, False, "", Decimal(0), "COSTCLOSE", "", "", "", "",
            "G/L Account", register_no, max(ln.amount, Decimal(0)), max(-ln.amount, Decimal(0)),
            ln.posting_date, "", "", "", Decimal(0), False, ln.dimension_set_id, "",
        )
        for no, ln in zip(nos, lines, strict=True)
    ]  # fmt: skip
    gl_cols = [
        "company", "entry_no", "g_l_account_no", "posting_date", "document_type", "document_no",
        "description", "bal_account_no", "amount", "global_dimension_1_code", "global_dimension_2_code",
        "user_id",
        "source_code", "system_created_entry", "prior_year_entry", "job_no", "quantity", "journal_batch_name",
        "reason_code", "gen_posting_type", "gen_bus_posting_group", "gen_prod_posting_group",
        "bal_account_type", "transaction_no", "debit_amount", "credit_amount", "document_date",
        "external_document_no", "source_type", "source_no", "additional_currency_amount", "reversed",
        "dimension_set_id", "prod_order_no",
    ]  # fmt: skip
    copy_rows(cur, "bc", "g_l_entry", gl_cols, gl_rows)
    relations = [
        (company, no, ve_no, register_no)
        for no, ln in zip(nos, lines, strict=True)
        for ve_no in dict.fromkeys(ln.value_entry_nos)
    ]
    copy_rows(
        cur,
        "bc",
        "g_l_item_ledger_relation",
        ["company", "g_l_entry_no", "value_entry_no", "g_l_register_no"],
        relations,
    )
    for part, column, source in (
        ("actual", "cost_posted_to_g_l", "cost_amount_actual"),
        ("expected", "expected_cost_posted_to_g_l", "cost_amount_expected"),
    ):
        ve_nos = sorted({v for ln in lines if ln.cost_part == part for v in ln.value_entry_nos})
        if not ve_nos:
            continue
        cur.execute(
            sql.SQL(
                "update bc.value_entry set {col} = {src} "
                "where company = %s and entry_no = any(%s) and {col} is distinct from {src}"
            ).format(col=sql.Identifier(column), src=sql.Identifier(source)),
            (company, ve_nos),
        )
        cur.execute(
            "delete from bc.post_value_entry_to_g_l where company = %s and value_entry_no = any(%s)",
            (company, ve_nos),
        )
    cur.execute(
        "insert into bc.g_l_register (company, no, from_entry_no, to_entry_no, creation_date, source_code, "
        "journal_batch_name, from_value_entry_no, to_value_entry_no) "
        "values (%s, %s, %s, %s, %s, %s, %s, 0, 0)",
        (company, register_no, nos[0], nos[-1], today, SOURCE_CODE, "COSTCLOSE"),
    )
    cur.execute(
        "insert into bc.posted_journal (company, idempotency_key, register_no, g_l_entry_nos) "
        "values (%s, %s, %s, %s)",
        (company, key, register_no, list(nos)),
    )
    return PostResult(key, nos, register_no, duplicate=False)

"""General journals over the API: journals (Gen. Journal Batch) -> journalLines -> dimensionSetLines ->
``Microsoft.NAV.post``, stored in schema ``bc_api`` of the ERP database and posted through the demo
ERP's ``costclose.demo_erp.journal.post_journal`` (BC's Gen. Jnl.-Post).

BC's rules reproduced here (bc-interfaces.md §2.2): a line's G/L account must exist, be of type
Posting, not be blocked and have Direct Posting = Yes (``GenJournalLine.CheckGLAcc``), checked when the
line is created and again at posting; posting an empty batch fails with "There is nothing to post.";
after posting, the batch's lines are deleted.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from psycopg2.extensions import connection

from costclose.errors import CostcloseError

log = logging.getLogger(__name__)

DEFAULT_TEMPLATE = "GENERAL"

SCHEMA_SQL = """
create schema if not exists bc_api;
create table if not exists bc_api.journal (
    id uuid primary key, company text not null, code text not null, display_name text not null default '',
    template_display_name text not null default 'GENERAL', last_modified timestamptz not null default now(),
    unique (company, template_display_name, code));
create table if not exists bc_api.journal_line (
    id uuid primary key, journal_id uuid not null references bc_api.journal (id) on delete cascade,
    line_number bigint not null, account_type text not null default 'G/L Account', account_id uuid,
    account_number text not null, posting_date date not null, document_number text not null default '',
    external_document_number text not null default '', amount numeric not null default 0,
    description text not null default '', comment text not null default '',
    last_modified timestamptz not null default now(), unique (journal_id, line_number));
create table if not exists bc_api.dimension_set_line (
    id uuid primary key, parent_id uuid not null, parent_type text not null default 'Journal Line',
    dimension_code text not null, dimension_value_code text not null, value_id uuid,
    unique (parent_id, dimension_code));
create table if not exists bc_api.dimension_set_entry (
    company text not null, dimension_set_id bigint not null, dimension_code text not null,
    dimension_value_code text not null, primary key (company, dimension_set_id, dimension_code));
"""


class ApiRequestError(CostcloseError):
    """A request BC would refuse: answered with ``status`` and BC's error ``code``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def install(conn: connection) -> None:
    with conn.cursor() as cur:
        cur.execute(SCHEMA_SQL)
    conn.commit()


def create_journal(conn: connection, company: str, body: dict[str, Any]) -> uuid.UUID:
    code = str(body.get("code") or "").upper()
    if not code or len(code) > 10:
        raise ApiRequestError(400, "BadRequest", "The journal code must have 1 to 10 characters.")
    template = str(body.get("templateDisplayName") or DEFAULT_TEMPLATE)
    with conn.cursor() as cur:
        cur.execute(
            "select 1 from bc_api.journal where company = %s and template_display_name = %s and code = %s",
            (company, template, code),
        )
        if cur.fetchone():
            raise ApiRequestError(
                400,
                "Internal_EntityWithSameKeyExists",
                "The record already exists. Identification fields and values: "
                f"Journal Template Name='{template}',Name='{code}'",
            )
        jid = uuid.uuid4()
        cur.execute(
            "insert into bc_api.journal (id, company, code, display_name, template_display_name) "
            "values (%s, %s, %s, %s, %s)",
            (str(jid), company, code, str(body.get("displayName") or ""), template),
        )
    conn.commit()
    return jid


def journal_company(conn: connection, journal_id: uuid.UUID, company: str) -> None:
    with conn.cursor() as cur:
        cur.execute("select company from bc_api.journal where id = %s", (str(journal_id),))
        row = cur.fetchone()
    if not row or row[0] != company:
        raise ApiRequestError(404, "BadRequest_NotFound", "The journal does not exist.")


def _check_account(conn: connection, company: str, number: str) -> uuid.UUID | None:
    """BC's ``CheckGLAcc`` for a manual journal line (not system-created, template not blank)."""
    with conn.cursor() as cur:
        cur.execute(
            "select system_id, account_type, blocked, direct_posting from bc.g_l_account "
            "where company = %s and no = %s",
            (company, number),
        )
        row = cur.fetchone()
    if row is None:
        raise ApiRequestError(
            400,
            "Internal_RecordNotFound",
            f"The G/L Account does not exist. Identification fields and values: No.='{number}'",
        )
    system_id, account_type, blocked, direct_posting = row
    if account_type != "Posting":
        raise ApiRequestError(
            400,
            "Application_DialogException",
            f"Account Type must be equal to 'Posting'  in G/L Account: No.={number}. "
            f"Current value is '{account_type}'.",
        )
    if blocked:
        raise ApiRequestError(
            400,
            "Application_DialogException",
            f"Blocked must be equal to 'No'  in G/L Account: No.={number}. Current value is 'Yes'.",
        )
    if not direct_posting:
        raise ApiRequestError(
            400,
            "Application_DialogException",
            f"Direct Posting must be equal to 'Yes'  in G/L Account: No.={number}. Current value is 'No'.",
        )
    return system_id


def _account_number(conn: connection, company: str, body: dict[str, Any]) -> str:
    number = str(body.get("accountNumber") or "")
    account_id = body.get("accountId")
    if not number and account_id and account_id != str(uuid.UUID(int=0)):
        with conn.cursor() as cur:
            cur.execute(
                "select no from bc.g_l_account where company = %s and system_id = %s", (company, account_id)
            )
            row = cur.fetchone()
        if row is None:
            raise ApiRequestError(
                400, "Internal_RecordNotFound", f"The G/L Account with id {account_id} does not exist."
            )
        number = row[0]
    if not number:
        raise ApiRequestError(400, "BadRequest", "accountNumber or accountId must have a value.")
    return number


def create_line(conn: connection, company: str, journal_id: uuid.UUID, body: dict[str, Any]) -> uuid.UUID:
    journal_company(conn, journal_id, company)
    if str(body.get("accountType") or "G/L Account") != "G/L Account":
        raise ApiRequestError(
            400, "BadRequest", "This server accepts journal lines of account type G/L Account only."
        )
    number = _account_number(conn, company, body)
    account_id = _check_account(conn, company, number)
    try:
        posting_date = date.fromisoformat(str(body["postingDate"]))
        amount = Decimal(str(body.get("amount", 0)))
    except (KeyError, ValueError, ArithmeticError) as exc:
        raise ApiRequestError(400, "BadRequest", f"postingDate and amount must be valid: {exc}") from exc
    lid = uuid.uuid4()
    with conn.cursor() as cur:
        line_number = body.get("lineNumber")
        if not line_number:
            cur.execute(
                "select coalesce(max(line_number), 0) + 10000 from bc_api.journal_line where journal_id = %s",
                (str(journal_id),),
            )
            line_number = cur.fetchone()[0]
        cur.execute(
            "select 1 from bc_api.journal_line where journal_id = %s and line_number = %s",
            (str(journal_id), int(line_number)),
        )
        if cur.fetchone():
            raise ApiRequestError(
                400,
                "Internal_EntityWithSameKeyExists",
                f"The record already exists: Line No.='{line_number}'",
            )
        cur.execute(
            "insert into bc_api.journal_line (id, journal_id, line_number, account_id, account_number, "
            "posting_date, document_number, external_document_number, amount, description, comment) "
            "values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                str(lid), str(journal_id), int(line_number), str(account_id) if account_id else None, number,
                posting_date, str(body.get("documentNumber") or ""),
                str(body.get("externalDocumentNumber") or ""), amount,
                str(body.get("description") or "")[:100], str(body.get("comment") or ""),
            ),
        )  # fmt: skip
    conn.commit()
    return lid


def delete_line(conn: connection, company: str, journal_id: uuid.UUID, line_id: uuid.UUID) -> None:
    journal_company(conn, journal_id, company)
    with conn.cursor() as cur:
        cur.execute("delete from bc_api.dimension_set_line where parent_id = %s", (str(line_id),))
        cur.execute(
            "delete from bc_api.journal_line where id = %s and journal_id = %s",
            (str(line_id), str(journal_id)),
        )
        if cur.rowcount == 0:
            raise ApiRequestError(404, "BadRequest_NotFound", "The journal line does not exist.")
    conn.commit()


def create_dimension_line(
    conn: connection, company: str, journal_id: uuid.UUID, line_id: uuid.UUID, body: dict[str, Any]
) -> uuid.UUID:
    journal_company(conn, journal_id, company)
    code = str(body.get("code") or "").upper()
    value = str(body.get("valueCode") or "").upper()
    if not code or not value:
        raise ApiRequestError(400, "BadRequest", "code and valueCode must have a value.")
    did = uuid.uuid4()
    with conn.cursor() as cur:
        cur.execute(
            "select 1 from bc_api.journal_line where id = %s and journal_id = %s",
            (str(line_id), str(journal_id)),
        )
        if not cur.fetchone():
            raise ApiRequestError(404, "BadRequest_NotFound", "The journal line does not exist.")
        cur.execute(
            "insert into bc_api.dimension_set_line (id, parent_id, dimension_code, dimension_value_code) "
            "values (%s, %s, %s, %s) on conflict (parent_id, dimension_code) "
            "do update set dimension_value_code = excluded.dimension_value_code",
            (str(did), str(line_id), code, value),
        )
    conn.commit()
    return did


def _dimension_set_id(conn: connection, company: str, dims: list[tuple[str, str]]) -> int:
    """BC's Dimension Set ID for a set of (dimension, value): reuse an equal set or number a new one."""
    if not dims:
        return 0
    with conn.cursor() as cur:
        cur.execute(
            "select dimension_set_id from bc_api.dimension_set_entry where company = %s group by 1 "
            "having array_agg(dimension_code || '=' || dimension_value_code order by dimension_code) = %s",
            (company, [f"{c}={v}" for c, v in sorted(dims)]),
        )
        row = cur.fetchone()
        if row:
            return int(row[0])
        cur.execute("select pg_advisory_xact_lock(hashtext('bc_api.dimension_set_entry'))")
        cur.execute("select coalesce(max(dimension_set_id), 0) + 1 from bc_api.dimension_set_entry")
        new_id = int(cur.fetchone()[0])
        cur.executemany(
            "insert into bc_api.dimension_set_entry values (%s, %s, %s, %s)",
            [(company, new_id, c, v) for c, v in dims],
        )
    conn.commit()
    return new_id


@dataclass(frozen=True)
class _Line:
    id: str
    document_no: str
    posting_date: date
    account_no: str
    amount: Decimal
    description: str


def post(conn: connection, company: str, journal_id: uuid.UUID) -> int:
    """``Microsoft.NAV.post``: post every line of the batch as one journal, then delete the lines."""
    from costclose.demo_erp.journal import JournalLine, JournalRejected, post_journal

    journal_company(conn, journal_id, company)
    with conn.cursor() as cur:
        cur.execute(
            "select id, document_number, posting_date, account_number, amount, description "
            "from bc_api.journal_line where journal_id = %s order by line_number",
            (str(journal_id),),
        )
        lines = [_Line(str(r[0]), *r[1:]) for r in cur.fetchall()]
        cur.execute(
            "select parent_id, dimension_code, dimension_value_code from bc_api.dimension_set_line "
            "where parent_id = any(%s::uuid[])",
            ([ln.id for ln in lines],),
        )
        dims: dict[str, list[tuple[str, str]]] = {}
        for parent, code, value in cur.fetchall():
            dims.setdefault(str(parent), []).append((code, value))
    conn.commit()
    if not lines:
        raise ApiRequestError(400, "Application_DialogException", "There is nothing to post.")
    for ln in lines:
        _check_account(conn, company, ln.account_no)
    journal_lines = [
        JournalLine(
            document_no=ln.document_no,
            posting_date=ln.posting_date,
            account_no=ln.account_no,
            amount=ln.amount,
            description=ln.description,
            dimension_set_id=_dimension_set_id(conn, company, dims.get(ln.id, [])),
        )
        for ln in lines
    ]
    key = "bc_api:" + hashlib.sha256(",".join(ln.id for ln in lines).encode()).hexdigest()[:32]
    try:
        result = post_journal(conn, company, journal_lines, key, system_created=False)
    except JournalRejected as exc:
        raise ApiRequestError(400, "Application_DialogException", str(exc)) from exc
    with conn.cursor() as cur:
        cur.execute(
            "delete from bc_api.dimension_set_line where parent_id = any(%s::uuid[])",
            ([ln.id for ln in lines],),
        )
        cur.execute("delete from bc_api.journal_line where id = any(%s::uuid[])", ([ln.id for ln in lines],))
    conn.commit()
    log.info("journal %s of %s posted: %d G/L entries (duplicate=%s)", journal_id, company,
             len(result.g_l_entry_nos), result.duplicate)  # fmt: skip
    return len(result.g_l_entry_nos)

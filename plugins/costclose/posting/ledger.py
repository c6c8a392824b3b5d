"""The project's own posting ledger in the warehouse (schema ``posting``).

* ``posting.posting_run`` — one row per idempotency key: what was (to be) posted, to which target,
  and how far it got (``started`` -> ``target_committed`` -> ``recorded``; ``dry_run``; ``empty``).
* ``posting.posted_value_entry`` — per value entry and cost part, the amount posted and what the
  source still showed as unposted at that time (``source_unposted``, for audit). The adjusting journal
  subtracts these amounts only from entries the source still shows as unposted: once the
  re-extracted source shows Cost Posted to G/L = Cost Amount (value entries are immutable apart from
  those fields), the entry drops out of the journal by itself.

The dbt project creates ``posted_value_entry`` with the same columns (on-run-start hook), so a fresh
warehouse builds before anything was posted.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import psycopg2.extensions

DDL = """
create schema if not exists posting;
create table if not exists posting.posted_value_entry (
    company text not null,
    value_entry_no bigint not null,
    cost_part text not null check (cost_part in ('actual', 'expected')),
    amount_posted numeric not null,
    idempotency_key text not null,
    posted_at timestamptz not null default now()
);
alter table posting.posted_value_entry add column if not exists source_unposted numeric;
create unique index if not exists posted_value_entry_key
    on posting.posted_value_entry (idempotency_key, company, value_entry_no, cost_part);
create table if not exists posting.posting_run (
    idempotency_key text primary key,
    company text not null,
    period text not null,
    target text not null,
    status text not null check (status in ('started', 'target_committed', 'recorded', 'dry_run', 'empty')),
    line_count integer not null,
    debit_total numeric not null,
    lines jsonb not null,
    entries jsonb not null,
    target_reference jsonb,
    started_at timestamptz not null default now(),
    finished_at timestamptz
);
create table if not exists posting.skipped_entry (
    idempotency_key text,
    company text not null,
    period text not null,
    value_entry_no bigint not null,
    cost_part text not null,
    amount numeric not null,
    reason text not null,
    reported_at timestamptz not null default now()
);
"""


def ensure_schema(conn: psycopg2.extensions.connection) -> None:
    with conn.cursor() as cur:
        cur.execute(DDL)


@dataclass(frozen=True)
class EntryDelta:
    """What one value entry's cost part still needs on the G/L."""

    value_entry_no: int
    cost_part: str
    amount: Decimal
    source_unposted: Decimal

    def as_dict(self) -> dict[str, Any]:
        return {
            "value_entry_no": self.value_entry_no,
            "cost_part": self.cost_part,
            "amount": str(self.amount),
            "source_unposted": str(self.source_unposted),
        }


def unfinished_runs(conn: psycopg2.extensions.connection, company: str) -> list[dict[str, Any]]:
    """The company's runs (any period) that reached the target (or may have) but were not recorded."""
    with conn.cursor() as cur:
        cur.execute(
            """
            select idempotency_key, target, status, lines, entries
            from posting.posting_run
            where company = %s and status in ('started', 'target_committed')
            order by started_at
            """,
            (company,),
        )
        cols = [d.name for d in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def start_run(
    conn: psycopg2.extensions.connection,
    *,
    key: str,
    company: str,
    period: str,
    target: str,
    status: str,
    lines: list[dict[str, Any]],
    entries: Iterable[EntryDelta],
) -> None:
    debit = sum((Decimal(str(ln["amount"])) for ln in lines if Decimal(str(ln["amount"])) > 0), Decimal(0))
    entries_json = [e.as_dict() for e in entries]
    with conn.cursor() as cur:
        cur.execute(
            """
            insert into posting.posting_run
                (idempotency_key, company, period, target, status, line_count, debit_total, lines, entries)
            values (%s, %s, %s, %s, %s, %s, %s, %s, %s)
            on conflict (idempotency_key) do nothing
            """,
            (
                key,
                company,
                period,
                target,
                status,
                len(lines),
                debit,
                json.dumps(lines, default=str),
                json.dumps(entries_json),
            ),
        )


def mark(conn: psycopg2.extensions.connection, key: str, status: str, reference: dict | None = None) -> None:
    with conn.cursor() as cur:
        cur.execute(
            """
            update posting.posting_run
            set status = %s, target_reference = coalesce(%s::jsonb, target_reference),
                finished_at = case when %s in ('recorded', 'dry_run', 'empty') then now() end
            where idempotency_key = %s
            """,
            (status, json.dumps(reference, default=str) if reference else None, status, key),
        )


def record_entries(conn: psycopg2.extensions.connection, key: str, company: str, entries: list[dict]) -> None:
    """Write the per-entry ledger rows of a run that reached its target, and mark it recorded."""
    with conn.cursor() as cur:
        for e in entries:
            cur.execute(
                """
                insert into posting.posted_value_entry
                    (company, value_entry_no, cost_part, amount_posted, idempotency_key, source_unposted)
                values (%s, %s, %s, %s, %s, %s)
                on conflict (idempotency_key, company, value_entry_no, cost_part) do nothing
                """,
                (
                    company,
                    int(e["value_entry_no"]),
                    e["cost_part"],
                    Decimal(e["amount"]),
                    key,
                    Decimal(e["source_unposted"]),
                ),
            )
    mark(conn, key, "recorded")

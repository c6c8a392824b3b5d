"""Post a company's adjusting journal for a period, exactly once.

The amounts come from dbt: ``intermediate.int_value_entry_postings_resolved`` lists, per value entry
and cost part, what the source showed as unposted when dbt last built (``amount_unposted``) with its
accounts and skip reason. Under the posting lock this module subtracts this project's ledger *as it is
now* (``posting.posted_value_entry``), so the delta ("what should be posted - what already was") is
right even when the marts were built before another run posted. Lines are summarized per posting
group as BC's batch does ("Per Posting Group": positive and negative amounts not netted), one document
per posting date.

Exactly once, step by step:

1. a session advisory lock per company (not per period: a run posts everything unposted up to its
   period end, so runs for two periods of one company overlap): a second run waits, then finds
   nothing left;
2. runs of the company that a crash left ``started``/``target_committed`` -- for any period -- are
   finished first: the target is asked to post the same lines under the same key (it answers
   "duplicate" when it already has them), then the ledger is recorded. Only then is the delta
   computed, so a later period never posts again what a crashed run already sent to the target;
3. the delta is grouped into lines; the idempotency key is a hash of (company, period, target, lines);
4. the run is stored ``started`` (committed) -> the target posts -> ``target_committed`` -> the
   per-entry ledger rows and ``recorded`` commit together.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import psycopg2.extensions

from costclose.period import Period
from costclose.posting import ledger
from costclose.posting.targets import Line, PostingError, Target
from costclose.security.session import step_url

log = logging.getLogger(__name__)

RESOLVED = "intermediate.int_value_entry_postings_resolved"

# Per Posting Group summary (spec §B.1): one line pair per posting date, account pair, location,
# inventory posting group, gen. posting groups, dimension set, cost part and sign.
DELTA_SQL = f"""
with ledger as (
    select value_entry_no, cost_part, sum(amount_posted) as amount_posted
    from posting.posted_value_entry
    where company = %(company)s
    group by 1, 2
),
delta as (
    select r.*, r.amount_unposted - coalesce(l.amount_posted, 0) as amount_now
    from {RESOLVED} as r
    left join ledger as l using (value_entry_no, cost_part)
    where r.company = %(company)s and r.posting_date <= %(period_end)s
)
"""

LINES_SQL = f"""
{DELTA_SQL},
postable as (
    select *, amount_now < 0 as is_negative
    from delta
    where skip_reason is null and amount_now != 0
),
grouped as (
    select
        posting_date, cost_part, account_no, bal_account_no, account_type, bal_account_type,
        location_code, inventory_posting_group, gen_bus_posting_group, gen_prod_posting_group,
        dimension_set_id, is_negative,
        sum(amount_now) as amount,
        array_agg(value_entry_no order by value_entry_no) as value_entry_nos
    from postable
    group by 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12
)
select
    %(prefix)s || '-' || to_char(posting_date, 'YYYYMMDD') as document_no,
    posting_date, cost_part, account_no, bal_account_no, amount, value_entry_nos, dimension_set_id,
    account_type || ' - ' || bal_account_type || ', ' || coalesce(location_code, '') || ','
        || coalesce(inventory_posting_group, '') || ',' || coalesce(gen_bus_posting_group, '') || ','
        || coalesce(gen_prod_posting_group, '') as description
from grouped
order by posting_date, cost_part desc, account_no, bal_account_no, location_code,
    inventory_posting_group, gen_bus_posting_group, gen_prod_posting_group, dimension_set_id, is_negative
"""

ENTRIES_SQL = f"""
{DELTA_SQL}
select value_entry_no, cost_part, amount_now, amount_unposted
from delta
where skip_reason is null and amount_now != 0
order by value_entry_no, cost_part
"""

SKIPPED_SQL = f"""
{DELTA_SQL}
select value_entry_no, cost_part, amount_now, skip_reason
from delta
where skip_reason is not null and amount_now != 0
order by value_entry_no, cost_part
"""


@dataclass
class PostingSummary:
    company: str
    period: str
    target: str
    dry_run: bool
    idempotency_key: str | None
    status: str  # posted | dry_run | nothing_to_post | recovered
    lines: list[Line] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    recovered_runs: list[str] = field(default_factory=list)
    target_reference: dict[str, Any] | None = None

    @property
    def debit_total(self) -> Decimal:
        return sum((ln.amount for ln in self.lines if ln.amount > 0), Decimal(0))

    def as_dict(self) -> dict[str, Any]:
        return {
            "company": self.company,
            "period": self.period,
            "target": self.target,
            "dry_run": self.dry_run,
            "idempotency_key": self.idempotency_key,
            "status": self.status,
            "line_count": len(self.lines),
            "debit_total": str(self.debit_total),
            "skipped_count": len(self.skipped),
            "recovered_runs": self.recovered_runs,
        }


def _lines(cur: psycopg2.extensions.cursor, params: dict[str, Any]) -> list[Line]:
    cur.execute(LINES_SQL, params)
    out: list[Line] = []
    for doc, pdate, part, acc, bal, raw_amount, ves, dim, desc in cur.fetchall():
        amount = Decimal(raw_amount)
        nos = tuple(int(v) for v in ves)
        out.append(Line(doc, pdate, acc, amount, desc, nos, part, int(dim or 0)))
        out.append(Line(doc, pdate, bal, -amount, desc, nos, part, int(dim or 0)))
    return out


def idempotency_key(company: str, period: str, target: str, lines: list[Line]) -> str:
    payload = json.dumps(
        {"company": company, "period": period, "target": target, "lines": [ln.as_dict() for ln in lines]},
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _lock(conn: psycopg2.extensions.connection, company: str) -> None:
    with conn.cursor() as cur:
        # Session-level lock: held across the run's several commits, released on disconnect.
        cur.execute("select pg_advisory_lock(hashtextextended('costclose.posting:' || %s, 0))", (company,))
    conn.commit()


def _finish(
    conn: psycopg2.extensions.connection,
    target: Target,
    company: str,
    key: str,
    lines: list[Line],
    entries: list[dict[str, Any]],
    crash_hook: Callable[[str], None] | None,
) -> dict[str, Any]:
    reference = target.post(company, lines, key)
    if crash_hook:
        crash_hook("after_target_commit")
    ledger.mark(conn, key, "target_committed", reference)
    conn.commit()
    ledger.record_entries(conn, key, company, entries)
    conn.commit()
    return reference


def post_period(
    company: str,
    period: Period,
    target: Target,
    *,
    dry_run: bool,
    warehouse_url: str | None = None,
    document_prefix: str = "INVCOST",
    crash_hook: Callable[[str], None] | None = None,
) -> PostingSummary:
    """Post (or, with ``dry_run``, only compute) the company's journal for everything up to the period end.

    ``crash_hook`` is for fault-injection tests: it is called at named points and may raise.
    """
    url = warehouse_url or step_url("posting")
    params = {"company": company, "period_end": period.end, "prefix": document_prefix}
    conn = psycopg2.connect(url)
    try:
        ledger.ensure_schema(conn)
        conn.commit()
        _lock(conn, company)
        recovered: list[str] = []
        if not dry_run:
            for run in ledger.unfinished_runs(conn, company):
                if run["target"] != target.name:
                    raise PostingError(
                        f"an unfinished posting run {run['idempotency_key'][:12]} to target {run['target']} "
                        f"must be finished first: rerun with --target {run['target']}"
                    )
                log.warning("finishing posting run %s left by a crash", run["idempotency_key"][:12])
                lines = [Line.from_dict(d) for d in run["lines"]]
                _finish(conn, target, company, run["idempotency_key"], lines, run["entries"], None)
                recovered.append(run["idempotency_key"])
        with conn.cursor() as cur:
            lines = _lines(cur, params)
            cur.execute(ENTRIES_SQL, params)
            entries = [
                ledger.EntryDelta(int(n), part, Decimal(amt), Decimal(unposted))
                for n, part, amt, unposted in cur.fetchall()
            ]
            cur.execute(SKIPPED_SQL, params)
            skipped = [
                {"value_entry_no": n, "cost_part": p, "amount": a, "reason": r}
                for n, p, a, r in cur.fetchall()
            ]
        conn.commit()
        summary = PostingSummary(
            company, period.key, target.name, dry_run, None, "nothing_to_post", lines, skipped, recovered
        )
        if not lines:
            summary.status = "recovered" if recovered else "nothing_to_post"
            return summary
        key = idempotency_key(company, period.key, target.name, lines)
        summary.idempotency_key = key
        if dry_run:
            summary.status = "dry_run"
            return summary
        ledger.start_run(
            conn,
            key=key,
            company=company,
            period=period.key,
            target=target.name,
            status="started",
            lines=[ln.as_dict() for ln in lines],
            entries=entries,
        )
        _record_skipped(conn, key, company, period.key, skipped)
        conn.commit()
        if crash_hook:
            crash_hook("before_target")
        entries_json = [e.as_dict() for e in entries]
        summary.target_reference = _finish(conn, target, company, key, lines, entries_json, crash_hook)
        summary.status = "posted"
        return summary
    finally:
        conn.close()


def _record_skipped(
    conn: psycopg2.extensions.connection, key: str, company: str, period: str, skipped: list[dict[str, Any]]
) -> None:
    with conn.cursor() as cur:
        for s in skipped:
            cur.execute(
                "insert into posting.skipped_entry (idempotency_key, company, period, value_entry_no,"
                " cost_part, amount, reason) values (%s, %s, %s, %s, %s, %s, %s)",
                (key, company, period, s["value_entry_no"], s["cost_part"], s["amount"], s["reason"]),
            )

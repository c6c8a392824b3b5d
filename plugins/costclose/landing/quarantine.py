"""Quarantined input per company: the close must not post while any of it is unresolved.

A quarantine row is *open* until it is resolved (a full re-extract supersedes it) or explicitly
waived with a reason (``waive_quarantine``), which is recorded on each row it covers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import psycopg2

from costclose import db
from costclose.errors import CostcloseError
from costclose.landing.schema import ensure_schema
from costclose.security.session import step_url


@dataclass(frozen=True)
class QuarantineStatus:
    """Open quarantine of one company, per table."""

    company: str
    open_rows: int
    by_table: dict[str, int] = field(default_factory=dict)
    examples: list[tuple[str, str, str]] = field(default_factory=list)  # (table, source_ref, reason)

    @property
    def blocks_posting(self) -> bool:
        """True while the close must not post for this company."""
        return self.open_rows > 0

    def message(self) -> str:
        if not self.blocks_posting:
            return f"Company {self.company!r} has no unresolved quarantine."
        tables = ", ".join(f"{t}: {n}" for t, n in sorted(self.by_table.items()))
        return (
            f"Company {self.company!r} has {self.open_rows} unresolved quarantined rows ({tables}). "
            "Fix the source and re-extract with `costclose extract --company NAME --full`, or waive "
            "them with `costclose quarantine waive --company NAME --reason TEXT`."
        )


def quarantine_status(company: str, *, warehouse_url: str | None = None) -> QuarantineStatus:
    """The company's open (unresolved, unwaived) quarantine."""
    url = warehouse_url or step_url("extract")
    with db.connect(url) as conn:
        ensure_schema(conn)
        with conn.cursor() as cur:
            cur.execute(
                "select table_name, count(*) from landing.quarantine "
                "where company = %s and resolved_at is null and waived_at is null group by table_name",
                (company,),
            )
            by_table = {name: int(n) for name, n in cur.fetchall()}
            cur.execute(
                "select table_name, source_ref, reason from landing.quarantine "
                "where company = %s and resolved_at is null and waived_at is null "
                "order by quarantine_id limit 5",
                (company,),
            )
            examples = [tuple(r) for r in cur.fetchall()]
    return QuarantineStatus(company, sum(by_table.values()), by_table, examples)


def waive_quarantine(company: str, reason: str, *, warehouse_url: str | None = None) -> int:
    """Waive every open quarantine row of ``company`` with ``reason``; returns how many rows."""
    if not reason or not reason.strip():
        raise CostcloseError("A waiver needs a reason: say why posting may go ahead without these rows.")
    url = warehouse_url or step_url("extract")
    try:
        with db.connect(url) as conn:
            ensure_schema(conn)
            with conn.cursor() as cur:
                cur.execute(
                    "update landing.quarantine set waived_at = now(), waiver_reason = %s "
                    "where company = %s and resolved_at is null and waived_at is null",
                    (reason.strip(), company),
                )
                return cur.rowcount
    except psycopg2.Error as exc:
        raise CostcloseError(f"Could not waive the quarantine of {company!r}: {exc}") from exc

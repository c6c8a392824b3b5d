"""`demo --reseed` starts a company over: its warehouse rows go, other companies' stay."""

from __future__ import annotations

from pathlib import Path

from costclose import db, pipeline
from costclose.landing.schema import ensure_schema
from costclose.posting import ledger


def test_forget_company_removes_only_that_company(costclose_env: Path) -> None:
    url = db.database_url("warehouse")
    with db.connect(url) as conn:
        ensure_schema(conn)
        ledger.ensure_schema(conn)
        with conn.cursor() as cur:
            for company in ("A", "B"):
                cur.execute(
                    "insert into raw.location (company, code, name) values (%s, 'EAST', 'East')", (company,)
                )
                cur.execute(
                    "insert into posting.posted_value_entry"
                    " (company, value_entry_no, cost_part, amount_posted, idempotency_key)"
                    " values (%s, 1, 'actual', 5, 'k')",
                    (company,),
                )
    pipeline.forget_company("A")
    with db.connect(url) as conn, conn.cursor() as cur:
        cur.execute(
            "select company from raw.location union all select company from posting.posted_value_entry"
        )
        assert sorted(r[0] for r in cur.fetchall()) == ["B", "B"]

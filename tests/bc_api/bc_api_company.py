"""A small BC-shaped company in a fresh ERP database, served over HTTP by the BC API server.

The layout is the demo ERP's (``costclose.demo_erp.schema.install``: schema ``bc`` from bc_schema, row
versions, ``bc.company``); the rows are a handful of hand-written BC-shaped records, so every amount a
test asserts is known here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from costclose.bc_api_client import RetryPolicy
from costclose.bc_api_server import ServerThread
from costclose.db import connect
from costclose.demo_erp.schema import install
from costclose.sources.bc_api import BcApiSource

COMPANY = "CRONUS International Ltd."
OTHER_COMPANY = "My Company"  # a second company in the same database: nothing of it may leak
CLIENT_ID = "costclose-tests"
N_VALUE_ENTRIES = 23
# Tests retry fast: the server's faults are instantaneous, only the counts matter.
FAST_RETRY = RetryPolicy(attempts=6, max_seconds=20, backoff_base=0.01, backoff_max=0.05, retry_after_cap=1)

ACCOUNTS = [
    # no, name, account type, blocked, direct posting
    ("2110", "Resale Items", "Posting", False, False),
    ("2130", "Raw Materials", "Posting", False, False),
    ("5510", "Invt. Accrual (Interim)", "Posting", False, False),
    ("7170", "Inventory Adjmt., Retail", "Posting", False, False),
    ("8620", "Miscellaneous Adjustments", "Posting", False, True),
    ("8640", "Other Costs of Operations", "Posting", False, True),
    ("8699", "Blocked Adjustments", "Posting", True, True),
    ("2100", "INVENTORY", "Heading", False, False),
]


def value_entry(no: int) -> dict[str, object]:
    """Value entry ``no``: every third one is unposted (Cost Posted to G/L = 0); amounts have cents."""
    cost = Decimal(no * 10) + Decimal("0.25")
    return {
        "entry_no": no,
        "item_no": "1896-S" if no % 2 else "1900-S",
        "posting_date": date(2026, 1 + no % 3, 10),
        "item_ledger_entry_type": "Positive Adjmt." if no % 2 else "Sale",
        "document_no": f"DOC{no:04d}",
        "location_code": "MAIN" if no % 4 else "",
        "inventory_posting_group": "RESALE",
        "item_ledger_entry_no": no,
        "valued_quantity": Decimal(no),
        "cost_amount_actual": cost,
        "cost_posted_to_g_l": Decimal(0) if no % 3 == 0 else cost,
        "cost_amount_expected": Decimal(0),
        "expected_cost_posted_to_g_l": Decimal(0),
        "entry_type": "Direct Cost",
        "variance_type": "",
        "adjustment": no % 5 == 0,
        "dimension_set_id": 0,
        "expected_cost": False,
        "inventoriable": True,
    }


def _insert(cur: object, table: str, rows: list[dict[str, object]]) -> None:
    from psycopg2 import sql

    for row in rows:
        cur.execute(  # type: ignore[attr-defined]
            sql.SQL("insert into bc.{} ({}) values ({})").format(
                sql.Identifier(table),
                sql.SQL(", ").join(map(sql.Identifier, row)),
                sql.SQL(", ").join(sql.Placeholder() * len(row)),
            ),
            list(row.values()),
        )


def seed_company(url: str) -> None:
    with connect(url) as conn:
        install(conn)
        with conn.cursor() as cur:
            cur.execute("insert into bc.company (name, display_name) values (%s, %s)", (COMPANY, COMPANY))
            _insert(
                cur,
                "g_l_account",
                [
                    {
                        "company": COMPANY,
                        "no": n,
                        "name": name,
                        "account_type": t,
                        "blocked": b,
                        "direct_posting": d,
                        "account_category": "Assets" if n < "3" else "Expense",
                        "income_balance": "Balance Sheet",
                    }
                    for n, name, t, b, d in ACCOUNTS
                ],
            )
            _insert(
                cur,
                "general_ledger_setup",
                [
                    {
                        "company": COMPANY,
                        "primary_key": "",
                        "allow_posting_from": date(2026, 1, 1),
                        "allow_posting_to": date(2026, 12, 31),
                        "lcy_code": "USD",
                    }
                ],
            )
            _insert(
                cur,
                "accounting_period",
                [
                    {
                        "company": COMPANY,
                        "starting_date": date(2026, m, 1),
                        "name": date(2026, m, 1).strftime("%B"),
                        "new_fiscal_year": m == 1,
                        "closed": m == 1,
                        "date_locked": m == 1,
                    }
                    for m in range(1, 13)
                ],
            )
            _insert(
                cur,
                "inventory_setup",
                [
                    {
                        "company": COMPANY,
                        "primary_key": "",
                        "automatic_cost_posting": False,
                        "expected_cost_posting_to_g_l": False,
                        "average_cost_calc_type": "Item & Location & Variant",
                        "average_cost_period": "Day",
                        "default_costing_method": "FIFO",
                    }
                ],
            )
            _insert(
                cur,
                "location",
                [{"company": COMPANY, "code": c, "name": c} for c in ("MAIN", "EAST", "WEST")],
            )
            _insert(
                cur,
                "item_ledger_entry",
                [
                    {
                        "company": COMPANY,
                        "entry_no": n,
                        "item_no": "1896-S" if n % 2 else "1900-S",
                        "posting_date": date(2026, 1 + n % 3, 10),
                        "entry_type": "Positive Adjmt." if n % 2 else "Sale",
                        "source_type": "",
                        "document_no": f"DOC{n:04d}",
                        "location_code": "MAIN",
                        "quantity": Decimal(n),
                        "remaining_quantity": Decimal(n),
                        "open": True,
                        "positive": n % 2 == 1,
                    }
                    for n in range(1, 6)
                ],
            )
            _insert(
                cur,
                "value_entry",
                [{"company": COMPANY, **value_entry(n)} for n in range(1, N_VALUE_ENTRIES + 1)],
            )
            cur.execute(
                "insert into bc.company (name, display_name) values (%s, %s)", (OTHER_COMPANY, OTHER_COMPANY)
            )
            other = [
                {"company": OTHER_COMPANY, **value_entry(n), "cost_amount_actual": Decimal(999)}
                for n in (1, 2, 3)
            ]
            _insert(cur, "value_entry", other)
            account = {"company": OTHER_COMPANY, "no": "2110", "name": "Other", "account_type": "Posting"}
            _insert(cur, "g_l_account", [{**account, "direct_posting": True}])
            _insert(
                cur,
                "g_l_entry",
                [
                    {
                        "company": COMPANY,
                        "entry_no": 1,
                        "g_l_account_no": "2110",
                        "posting_date": date(2026, 2, 10),
                        "document_no": "DOC0001",
                        "document_type": "",
                        "description": "Direct Cost",
                        "amount": Decimal("10.25"),
                        "debit_amount": Decimal("10.25"),
                        "credit_amount": Decimal(0),
                    },
                    {
                        "company": COMPANY,
                        "entry_no": 2,
                        "g_l_account_no": "7170",
                        "posting_date": date(2026, 2, 10),
                        "document_no": "DOC0001",
                        "document_type": "",
                        "description": "Direct Cost",
                        "amount": Decimal("-10.25"),
                        "debit_amount": Decimal(0),
                        "credit_amount": Decimal("10.25"),
                    },
                ],
            )


class SecretEnv(dict[str, str]):
    """Environment variables holding the client secret; shown redacted in failure reports."""

    def __repr__(self) -> str:
        return f"SecretEnv({sorted(self)}, values redacted)"


@dataclass
class BcEnvironment:
    """A served company: the ERP database, the running server and a connector factory."""

    erp_url: str
    server: ServerThread
    env: dict[str, str] = field(repr=False)  # holds the client secret: never in a failure report

    @property
    def source_url(self) -> str:
        refs = "client_id_env=BC_TEST_CLIENT_ID&client_secret_env=BC_TEST_CLIENT_SECRET"
        return f"bc_api:{self.server.base_url}?{refs}"

    def source(self, **options: object) -> BcApiSource:
        options.setdefault("retry", FAST_RETRY)
        return BcApiSource(self.source_url, environ=self.env, **options)  # type: ignore[arg-type]

"""Known discrepancies between the G/L and the value entries, injected on request, with a manifest.

Definition used throughout (also written into every manifest): for an account A and a month P,

    difference(A, P) = net change of A in P (all G/L entries)
                       - what the company's value entries dated in P imply on A

where "imply" applies the §B.2 posting rules with the company's *current* posting setup to each value
entry's Cost Amount (Actual) (and Cost Amount (Expected) when Expected Cost Posting to G/L is on): the
account side gets +amount, the balancing side -amount. A side whose account cannot be resolved (missing
setup row, blank account) is implied on account ``null``; G/L entries with a blank account count on
``""``. A fully posted company with no injections has no difference at all.

The kinds (``--discrepancies`` injects 2-6; 1 exists in every seeded company because the last month's
cost is not posted yet, as in a real company before its period-end batch):
 1. ``unposted_value_entries``: value entries not yet posted to the G/L (queued in Post Value Entry to G/L).
 2. ``direct_posting_inventory``: a manual journal straight to an inventory account.
 3. ``posting_group_change``: the Inventory Posting Setup of (MAIN, RAW MAT) re-pointed to a new
    inventory account after entries were posted to the old one.
 4. ``deleted_account``: G/L entries whose account was deleted (their account no. is blank).
 5. ``closed_period_entry``: a value entry dated in a closed accounting period (never posted).
 6. ``missing_setup_row``: a value entry at a location/posting group with no Inventory Posting Setup row.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from psycopg2.extensions import connection, cursor

from costclose.demo_erp import gl_posting, store
from costclose.demo_erp.bulk import copy_rows

if TYPE_CHECKING:
    from costclose.demo_erp.simulate import Business

log = logging.getLogger(__name__)

FORMAT = "costclose.demo_erp.manifest/1"
DEFINITION = (
    "difference(account, period) = G/L net change of the account in the period (all G/L entries) minus what "
    "the value entries dated in the period imply on the account via the spec's posting rules (section B.2) "
    "and the company's current posting setup (Cost Amount (Actual); plus Cost Amount (Expected) only when "
    "Expected Cost Posting to G/L is on). Account side +amount, balancing side -amount. account_no null: an "
    "implied amount whose account cannot be resolved; account_no '': G/L entries with a blank account. "
    "period = 'YYYY-MM' of the posting date. Amounts are decimal strings."
)
NEW_RAW_MAT_ACCOUNT = ("2135", "Raw Materials, Main Warehouse")

Diffs = dict[tuple[str | None, str], Decimal]


def _period(d: date) -> str:
    return d.strftime("%Y-%m")


def _add(diffs: Diffs, account: str | None, d: date, amount: Decimal) -> None:
    diffs[(account, _period(d))] += amount


def _diff_list(diffs: Diffs) -> list[dict[str, Any]]:
    return [
        {"account_no": a, "period": p, "amount": str(v)}
        for (a, p), v in sorted(diffs.items(), key=lambda kv: (kv[0][0] is None, kv[0][0] or "", kv[0][1]))
        if v != 0
    ]


def _unposted_diffs(cur: cursor, company: str, exclude: set[int]) -> tuple[Diffs, list[int]]:
    """-(what the not-yet-posted parts of value entries imply), per account and period."""
    cur.execute(
        "select ve.entry_no from bc.value_entry ve join bc.inventory_setup s on s.company = ve.company "
        "where ve.company = %s and ve.inventoriable and (ve.cost_amount_actual <> ve.cost_posted_to_g_l "
        "or (s.expected_cost_posting_to_g_l and ve.cost_amount_expected <> ve.expected_cost_posted_to_g_l))",
        (company,),
    )
    nos = [r[0] for r in cur.fetchall() if r[0] not in exclude]
    diffs: Diffs = defaultdict(Decimal)
    if not nos:
        return diffs, nos
    gl_posting.resolve_parts(cur, company, entry_nos=nos)
    cur.execute("select account_no, bal_account_no, posting_date, amount from _ve_part")
    for account, bal, d, amount in cur.fetchall():
        _add(diffs, account or None, d, -amount)
        _add(diffs, bal or None, d, amount)
    cur.execute("drop table _ve_part")
    return diffs, nos


def _next_no(cur: cursor, table: str, company: str, column: str = "entry_no") -> int:
    cur.execute(f"select coalesce(max({column}), 0) + 1 from bc.{table} where company = %s", (company,))
    return int(cur.fetchone()[0])


def _direct_posting(cur: cursor, company: str, day: date) -> dict[str, Any]:
    amount = Decimal("250.00")
    first = _next_no(cur, "g_l_entry", company)
    register = _next_no(cur, "g_l_register", company, "no")
    rows = [
        (
            company,
            first,
            "2130",
            day,
            "STOCKFIX-1",
            "Stock count correction, raw materials",
            "7270",
            amount,
            "GENJNL",
            False,
            register,
            amount,
            Decimal(0),
        ),
        (
            company,
            first + 1,
            "7270",
            day,
            "STOCKFIX-1",
            "Stock count correction, raw materials",
            "2130",
            -amount,
            "GENJNL",
            False,
            register,
            Decimal(0),
            amount,
        ),
    ]
    copy_rows(
        cur,
        "bc",
        "g_l_entry",
        [
            "company",
            "entry_no",
            "g_l_account_no",
            "posting_date",
            "document_no",
            "description",
            "bal_account_no",
            "amount",
            "source_code",
            "system_created_entry",
            "transaction_no",
            "debit_amount",
            "credit_amount",
        ],
        rows,
    )
    cur.execute(
        "insert into bc.g_l_register (company, no, from_entry_no, to_entry_no, creation_date, source_code, "
        "journal_batch_name) values (%s, %s, %s, %s, %s, 'GENJNL', 'DEFAULT')",
        (company, register, first, first + 1, day),
    )
    diffs: Diffs = defaultdict(Decimal)
    _add(diffs, "2130", day, amount)
    _add(diffs, "7270", day, -amount)
    return {
        "kind": "direct_posting_inventory",
        "description": "A manual G/L journal (Direct Posting switched on briefly) debits inventory account "
        "2130 and credits 7270 with no value entry behind it.",
        "g_l_entry_nos": [first, first + 1],
        "value_entry_nos": [],
        "differences": diffs,
    }


def _posting_group_change(cur: cursor, company: str) -> dict[str, Any]:
    no, name = NEW_RAW_MAT_ACCOUNT
    cur.execute(
        "insert into bc.g_l_account (company, no, name, account_type, income_balance, "
        "account_category, blocked, "
        "direct_posting, reconciliation_account, totaling, gen_posting_type, gen_bus_posting_group, "
        "gen_prod_posting_group) values (%s, %s, %s, 'Posting', 'Balance Sheet', 'Assets', false, "
        "false, false, "
        "'', '', '', '')",
        (company, no, name),
    )
    # What was posted to the old account by value entries of (MAIN, RAW MAT) on their inventory side.
    cur.execute(
        """
        select g.posting_date, sum(g.amount)
        from bc.g_l_entry g
        join bc.g_l_item_ledger_relation r on r.company = g.company and r.g_l_entry_no = g.entry_no
        join bc.value_entry v on v.company = r.company and v.entry_no = r.value_entry_no
        where g.company = %s and g.g_l_account_no = '2130' and v.location_code = 'MAIN'
          and v.inventory_posting_group = 'RAW MAT'
        group by g.posting_date
        """,
        (company,),
    )
    diffs: Diffs = defaultdict(Decimal)
    for d, amount in cur.fetchall():
        _add(diffs, "2130", d, amount)
        _add(diffs, no, d, -amount)
    cur.execute(
        "update bc.inventory_posting_setup set inventory_account = %s "
        "where company = %s and location_code = 'MAIN' and invt_posting_group_code = 'RAW MAT'",
        (no, company),
    )
    return {
        "kind": "posting_group_change",
        "description": f"Inventory Posting Setup (MAIN, RAW MAT) Inventory Account changed from 2130 to {no} "
        "after its value entries were posted to 2130; the setup now implies the new account.",
        "g_l_entry_nos": [],
        "value_entry_nos": [],
        "differences": diffs,
    }


def _deleted_account(cur: cursor, company: str, before: date) -> dict[str, Any]:
    cur.execute(
        """
        select g.entry_no, g.g_l_account_no, g.posting_date, g.amount
        from bc.g_l_entry g
        where g.company = %s and g.g_l_account_no = '7190' and g.posting_date < %s and abs(g.amount) >= 10
        order by g.entry_no desc limit 3
        """,
        (company, before),
    )
    rows = cur.fetchall()
    diffs: Diffs = defaultdict(Decimal)
    for _, account, d, amount in rows:
        _add(diffs, account, d, -amount)
        _add(diffs, "", d, amount)
    cur.execute(
        "update bc.g_l_entry set g_l_account_no = '' where company = %s and entry_no = any(%s)",
        (company, [r[0] for r in rows]),
    )
    return {
        "kind": "deleted_account",
        "description": "Three COGS G/L entries (account 7190) now carry a blank account no., as after the "
        "account they were posted to was deleted and re-created.",
        "g_l_entry_nos": [r[0] for r in rows],
        "value_entry_nos": [],
        "differences": diffs,
    }


def _extra_entry(
    conn: connection, business: Business, item_no: str, loc: str, day: date, doc: str
) -> list[int]:
    """Post a positive adjustment through the engine and write it (queued, not posted)."""
    ledger = business.ledger
    ledger.positive_adjustment(item_no, loc, Decimal(5), business.unit_costs[item_no], d=day, doc=doc)
    span = store.flush(conn, ledger)
    assert span is not None  # noqa: S101 - the engine just made a value entry
    store.write_item_ledger(conn, ledger)
    with conn.cursor() as cur:
        cur.execute(
            "insert into bc.post_value_entry_to_g_l (company, value_entry_no, item_no, posting_date) "
            "select company, entry_no, item_no, posting_date from bc.value_entry "
            "where company = %s and entry_no between %s and %s",
            (business.company, span[0], span[1]),
        )
    return list(range(span[0], span[1] + 1))


def _implied_by(cur: cursor, company: str, nos: list[int]) -> Diffs:
    """-(implied) of whole value entries (none of them posted), per resolved account and period."""
    diffs: Diffs = defaultdict(Decimal)
    gl_posting.resolve_parts(cur, company, entry_nos=nos)
    cur.execute("select account_no, bal_account_no, posting_date, amount from _ve_part")
    for account, bal, d, amount in cur.fetchall():
        _add(diffs, account or None, d, -amount)
        _add(diffs, bal or None, d, amount)
    cur.execute("drop table _ve_part")
    return diffs


def inject(conn: connection, company: str, business: Business, *, enabled: bool) -> list[dict[str, Any]]:
    """Inject kinds 2-6 when ``enabled``; always measure kind 1 (unposted value entries) last."""
    injected: list[dict[str, Any]] = []
    claimed: set[int] = set()
    firsts = [business.start]
    for _ in range(business.months):
        nxt = firsts[-1] + timedelta(days=32)
        firsts.append(nxt.replace(day=1))
    last_month = firsts[business.months - 1]
    if enabled:
        with conn.cursor() as cur:
            injected.append(_direct_posting(cur, company, last_month + timedelta(days=9)))
            injected.append(_posting_group_change(cur, company))
            injected.append(_deleted_account(cur, company, last_month))
        closed_day = firsts[0] + timedelta(days=14)
        nos = _extra_entry(conn, business, "1896-S", "MAIN", closed_day, "LATE-ADJ-1")
        with conn.cursor() as cur:
            injected.append(
                {
                    "kind": "closed_period_entry",
                    "description": f"A positive adjustment dated {closed_day}, in a closed period: Post "
                    "Inventory Cost to G/L skips it, so it stays unposted.",
                    "g_l_entry_nos": [],
                    "value_entry_nos": nos,
                    "differences": _implied_by(cur, company, nos),
                }
            )
        claimed.update(nos)
        missing_day = last_month + timedelta(days=11)
        nos = _extra_entry(conn, business, "1896-S", "S83000", missing_day, "NOSETUP-1")
        with conn.cursor() as cur:
            cur.execute(
                "select count(*) from bc.inventory_posting_setup where company = %s and "
                "location_code = 'S83000' "
                "and invt_posting_group_code = 'RESALE'",
                (company,),
            )
            assert cur.fetchone()[0] == 0  # noqa: S101 - CRONUS has no such row; the kind relies on it
            injected.append(
                {
                    "kind": "missing_setup_row",
                    "description": "A positive adjustment of a RESALE item at S83000, which has no Inventory "
                    "Posting Setup row for RESALE: its inventory side cannot be resolved and the "
                    "batch skips it.",
                    "g_l_entry_nos": [],
                    "value_entry_nos": nos,
                    "differences": _implied_by(cur, company, nos),
                }
            )
        claimed.update(nos)
    with conn.cursor() as cur:
        diffs, nos = _unposted_diffs(cur, company, claimed)
    injected.insert(
        0,
        {
            "kind": "unposted_value_entries",
            "description": "Value entries not posted to the G/L yet (Automatic Cost Posting off "
            "and the last month's Post Inventory Cost to G/L has not run).",
            "g_l_entry_nos": [],
            "value_entry_nos": nos,
            "differences": diffs,
        },
    )
    log.info("company %s: %d discrepancy kinds recorded", company, len(injected))
    return injected


def build_manifest(
    conn: connection,
    company: str,
    injected: list[dict[str, Any]],
    *,
    seed: int,
    scale: float,
    months: int,
    start: date,
) -> dict[str, Any]:
    """The ground-truth manifest (JSON-able); see the module docstring and README.md for the format."""
    total: Diffs = defaultdict(Decimal)
    kinds = []
    for kind in injected:
        for key, amount in kind["differences"].items():
            total[key] += amount
        value_nos = kind["value_entry_nos"]
        kinds.append(
            {
                "kind": kind["kind"],
                "description": kind["description"],
                "g_l_entry_nos": kind["g_l_entry_nos"],
                "value_entry_count": len(value_nos),
                "value_entry_nos": value_nos[:1000],
                "differences": _diff_list(kind["differences"]),
            }
        )
    counts = {}
    with conn.cursor() as cur:
        for table in (
            "value_entry",
            "item_ledger_entry",
            "g_l_entry",
            "capacity_ledger_entry",
            "item_application_entry",
            "post_value_entry_to_g_l",
        ):
            cur.execute(f"select count(*) from bc.{table} where company = %s", (company,))
            counts[table] = cur.fetchone()[0]
    return {
        "format": FORMAT,
        "company": company,
        "seed": seed,
        "scale": scale,
        "months": months,
        "start": start.isoformat(),
        "definition": DEFINITION,
        "counts": counts,
        "injected": kinds,
        "expected_differences": _diff_list(total),
    }

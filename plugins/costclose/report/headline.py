"""The figures a controller reads first, the chart series and the drill-downs, from the marts.

Every sum and share is computed by PostgreSQL here; Python only arranges the rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import psycopg2.extensions

from costclose.period import Period
from costclose.report.fetch import Row, params

CHART_PERIODS = 13

# BC's Inventory - G/L Reconciliation with Date Filter ..<period end> (spec §C.5): the Total, G/L Total
# and Difference rows of the three balance-sheet columns. Σ ending invoiced value of Inventory Valuation
# = the Total row's Inventory (spec §D.0).
BALANCES_SQL = """
select matrix_row, inventory, inventory_interim, wip_inventory
from marts.fct_inventory_gl_reconciliation
where company = %(company)s and period_start = %(period_start)s and date_filter = 'to_date'
    and matrix_row in ('Total', 'G/L Total', 'Difference')
"""

ACCOUNTS_SQL = """
select g_l_account_no, setup_roles, implied_amount_to_date, gl_net_change_to_date, difference_to_date,
    implied_amount, gl_net_change, difference, unposted_amount_to_date,
    posted_outside_inventory_amount_to_date,
    abs(difference_to_date) <= %(tolerance)s as is_reconciled
from marts.fct_gl_account_reconciliation
where company = %(company)s and period_start = %(period_start)s
    and (implied_amount_to_date <> 0 or gl_net_change_to_date <> 0 or difference_to_date <> 0)
order by g_l_account_no nulls last
"""

ACCOUNT_TOTALS_SQL = """
select count(*) filter (where abs(difference_to_date) > %(tolerance)s) as accounts_with_difference,
    coalesce(sum(abs(difference_to_date)) filter (where abs(difference_to_date) > %(tolerance)s), 0)
        as absolute_difference
from marts.fct_gl_account_reconciliation
where company = %(company)s and period_start = %(period_start)s
"""

WARNING_SQL = """
select date_filter, warning, warning_text, is_expected_cost_setup_warning, expected_cost_setup_warning_text
from marts.fct_inventory_gl_reconciliation_warnings
where company = %(company)s and period_start = %(period_start)s
order by date_filter
"""

MATRIX_SQL = """
select matrix_row, inventory, inventory_interim, wip_inventory, total, gl_total, difference, warning
from marts.fct_inventory_gl_reconciliation
where company = %(company)s and period_start = %(period_start)s and date_filter = 'period'
order by row_no
"""

VALUE_BY_GROUP_SQL = """
select to_char(v.period_start, 'YYYY-MM') as period, coalesce(i.inventory_posting_group, '') as grp,
    sum(v.ending_value) as ending_value
from marts.fct_inventory_valuation_items as v
left join staging.stg_bc__items as i on i.company = v.company and i.item_no = v.item_no
where v.company = %(company)s and v.period_start <= %(period_start)s
    and v.period_start > %(period_start)s - interval '13 months'
group by 1, 2
order by 1, 2
"""

FLOWS_SQL = """
select to_char(period_start, 'YYYY-MM') as period, sum(increases_value) as increases,
    sum(decreases_value) as decreases
from marts.fct_inventory_valuation_items
where company = %(company)s and period_start <= %(period_start)s
    and period_start > %(period_start)s - interval '13 months'
group by 1
order by 1
"""

WIP_SQL = """
select production_order_no, consumption, capacity, output, wip_at_end
from marts.fct_inventory_valuation_wip
where company = %(company)s and period_start = %(period_start)s
    and (consumption <> 0 or capacity <> 0 or output <> 0 or wip_at_end <> 0)
order by abs(consumption) + abs(capacity) + abs(output) + abs(wip_at_end) desc, production_order_no
limit 15
"""

# Cost of goods sold split into BC's cost shares (report 5848, Print Cost Share = Sales).
COGS_SHARES_SQL = """
with sales as (
    select
        coalesce(sum(material), 0) as material, coalesce(sum(capacity), 0) as capacity,
        coalesce(sum(capacity_overhead), 0) as capacity_overhead,
        coalesce(sum(material_overhead), 0) as material_overhead,
        coalesce(sum(subcontracted), 0) as subcontracted, coalesce(sum(variance), 0) as variance,
        coalesce(sum(revaluation), 0) as revaluation, coalesce(sum(rounding), 0) as rounding,
        coalesce(sum(total), 0) as total
    from marts.fct_cost_shares_breakdown
    where company = %(company)s and cost_share = 'Sales'
        and start_date = %(period_start)s and end_date = %(period_end)s
)
select share, round(amount, 2) as amount,
    case when total = 0 then 0 else round(100 * amount / total, 1) end as percent
from sales
cross join lateral (values
    (1, 'Material Direct Cost Applied', material), (2, 'Capacity Direct Cost Applied', capacity),
    (3, 'Capacity Overhead', capacity_overhead), (4, 'Material Overhead', material_overhead),
    (5, 'Subcontracted', subcontracted), (6, 'Variance', variance), (7, 'Revaluation', revaluation),
    (8, 'Rounding', rounding)
) as s (share_no, share, amount)
order by share_no
"""

# Drill-downs to the entries behind each account's difference up to the period end. The files
# (unposted_value_entries.csv, unexplained_gl_entries.csv) hold every entry; the page, per account with
# a difference above the tolerance, its count, its sum and the %(page_rows)s largest entries.
UNPOSTED_SQL = """
select u.value_entry_no, u.cost_part, u.posting_date, u.item_no, u.item_ledger_entry_type, u.entry_type,
    u.document_no, u.amount_to_post, u.account_no, u.bal_account_no, u.skip_reason
from marts.fct_reconciliation_unposted_value_entries as u
where u.company = %(company)s and u.posting_date <= %(period_end)s and u.amount_to_post <> 0
order by u.posting_date, u.value_entry_no, u.cost_part
"""

UNEXPLAINED_SQL = """
select g_l_entry_no, posting_date, g_l_account_no, document_no, description, source_code, amount, reason
from marts.fct_reconciliation_unexplained_gl_entries
where company = %(company)s and posting_date <= %(period_end)s
order by posting_date, g_l_entry_no
"""

_DIFFERENT_ACCOUNTS = """
    select g_l_account_no as account
    from marts.fct_gl_account_reconciliation
    where company = %(company)s and period_start = %(period_start)s
        and abs(difference_to_date) > %(tolerance)s
"""

# A value entry not in the G/L belongs to both its account and its balancing account.
UNPOSTED_TOP_SQL = f"""
with accounts as ({_DIFFERENT_ACCOUNTS}),
per_account as (
    select a.account, u.*,
        row_number() over w as _rank, count(*) over w as _count, sum(u.amount_to_post) over w as _sum
    from accounts as a
    join ({UNPOSTED_SQL.replace("order by u.posting_date, u.value_entry_no, u.cost_part", "")}) as u
        on a.account is not distinct from u.account_no or a.account is not distinct from u.bal_account_no
    window w as (partition by a.account order by abs(u.amount_to_post) desc, u.value_entry_no, u.cost_part
        rows between unbounded preceding and unbounded following)
)
select * from per_account where _rank <= %(page_rows)s order by account, _rank
"""

UNEXPLAINED_TOP_SQL = f"""
with accounts as ({_DIFFERENT_ACCOUNTS}),
per_account as (
    select a.account, g.*,
        row_number() over w as _rank, count(*) over w as _count, sum(g.amount) over w as _sum
    from accounts as a
    join ({UNEXPLAINED_SQL.replace("order by posting_date, g_l_entry_no", "")}) as g
        on a.account is not distinct from g.g_l_account_no
    window w as (partition by a.account order by abs(g.amount) desc, g.g_l_entry_no
        rows between unbounded preceding and unbounded following)
)
select * from per_account where _rank <= %(page_rows)s order by account, _rank
"""

UNPOSTED_COLUMNS = (
    "value_entry_no",
    "cost_part",
    "posting_date",
    "item_no",
    "item_ledger_entry_type",
    "entry_type",
    "document_no",
    "amount_to_post",
    "account_no",
    "bal_account_no",
    "skip_reason",
)
UNEXPLAINED_COLUMNS = (
    "g_l_entry_no",
    "posting_date",
    "g_l_account_no",
    "document_no",
    "description",
    "source_code",
    "amount",
    "reason",
)
DRILL_FILES = (
    ("unposted_value_entries.csv", UNPOSTED_COLUMNS, UNPOSTED_SQL),
    ("unexplained_gl_entries.csv", UNEXPLAINED_COLUMNS, UNEXPLAINED_SQL),
)


@dataclass
class Headline:
    """Inventory vs G/L at the period end, per account and in total, with BC's warning."""

    balances: dict[str, dict[str, Decimal]]  # 'Total' | 'G/L Total' | 'Difference' -> column -> amount
    accounts: list[Row]
    accounts_with_difference: int
    absolute_difference: Decimal
    tolerance: Decimal
    warnings: dict[str, Row]  # date filter -> warning row
    matrix: list[Row] = field(default_factory=list)

    @property
    def is_reconciled(self) -> bool:
        return self.accounts_with_difference == 0

    @property
    def status(self) -> str:
        return "Reconciled" if self.is_reconciled else "Not reconciled"

    @property
    def warning(self) -> Row:
        return self.warnings.get("period") or {}


def _rows(cur: psycopg2.extensions.cursor, query: str, p: dict[str, Any]) -> list[Row]:
    cur.execute(query, p)
    names = [d.name for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def load_headline(
    conn: psycopg2.extensions.connection, company: str, period: Period, tolerance: Decimal
) -> Headline:
    p = {**params(company, period), "tolerance": tolerance}
    with conn.cursor() as cur:
        balances = {
            r["matrix_row"]: {k: r[k] for k in ("inventory", "inventory_interim", "wip_inventory")}
            for r in _rows(cur, BALANCES_SQL, p)
        }
        accounts = _rows(cur, ACCOUNTS_SQL, p)
        totals = _rows(cur, ACCOUNT_TOTALS_SQL, p)[0]
        warnings = {r["date_filter"]: r for r in _rows(cur, WARNING_SQL, p)}
        matrix = _rows(cur, MATRIX_SQL, p)
    return Headline(
        balances=balances,
        accounts=accounts,
        accounts_with_difference=int(totals["accounts_with_difference"]),
        absolute_difference=totals["absolute_difference"],
        tolerance=tolerance,
        warnings=warnings,
        matrix=matrix,
    )


@dataclass
class Charts:
    """The series behind the page's four charts."""

    periods: list[str]
    value_by_group: dict[str, dict[str, Decimal]]  # posting group -> period -> ending value
    flows: list[Row]
    wip: list[Row]
    cogs_shares: list[Row]


def load_charts(conn: psycopg2.extensions.connection, company: str, period: Period) -> Charts:
    p = params(company, period)
    with conn.cursor() as cur:
        by_group = _rows(cur, VALUE_BY_GROUP_SQL, p)
        flows = _rows(cur, FLOWS_SQL, p)
        wip = _rows(cur, WIP_SQL, p)
        shares = _rows(cur, COGS_SHARES_SQL, p)
    periods = sorted({r["period"] for r in by_group} | {r["period"] for r in flows})
    value_by_group: dict[str, dict[str, Decimal]] = {}
    for r in by_group:
        value_by_group.setdefault(r["grp"], {})[r["period"]] = r["ending_value"]
    return Charts(periods, value_by_group, flows, wip, shares)


@dataclass
class Entries:
    """The entries behind one account's difference: how many, their sum, the largest ones."""

    count: int = 0
    amount: Decimal = Decimal(0)
    top: list[Row] = field(default_factory=list)


@dataclass
class DrillDown:
    """Per account with a difference: value entries not in the G/L and G/L entries no value entry
    explains (counts and sums by PostgreSQL, the ``page_rows`` largest by amount)."""

    unposted: dict[str | None, Entries]
    unexplained: dict[str | None, Entries]
    page_rows: int

    def unposted_for(self, account: str | None) -> Entries:
        return self.unposted.get(account) or Entries()

    def unexplained_for(self, account: str | None) -> Entries:
        return self.unexplained.get(account) or Entries()


def _per_account(rows: list[Row]) -> dict[str | None, Entries]:
    out: dict[str | None, Entries] = {}
    for r in rows:
        e = out.setdefault(r["account"], Entries(int(r["_count"]), r["_sum"]))
        e.top.append(r)
    return out


def load_drill_down(
    conn: psycopg2.extensions.connection, company: str, period: Period, tolerance: Decimal, page_rows: int
) -> DrillDown:
    p = {**params(company, period), "tolerance": tolerance, "page_rows": page_rows}
    with conn.cursor() as cur:
        return DrillDown(
            unposted=_per_account(_rows(cur, UNPOSTED_TOP_SQL, p)),
            unexplained=_per_account(_rows(cur, UNEXPLAINED_TOP_SQL, p)),
            page_rows=page_rows,
        )

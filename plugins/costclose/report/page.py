"""index.html: one self-contained page (inline CSS and SVG, no script, no external URL).

Rendered by a jinja2 template with autoescaping on, so every company, item and account text is
HTML-escaped; the charts are escaped SVG from ``costclose.report.charts``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2
import psycopg2.extensions
from markupsafe import Markup

from costclose.period import Period
from costclose.report import charts
from costclose.report.fetch import ReportData
from costclose.report.headline import Charts, DrillDown, Headline

TEMPLATES = Path(__file__).resolve().parent / "templates"
BALANCE_COLUMNS = (
    ("inventory", "Inventory"),
    ("inventory_interim", "Inventory (Interim)"),
    ("wip_inventory", "WIP Inventory"),
)

# Totals of the journal file as written (what was posted or previewed), summed by PostgreSQL.
JOURNAL_TOTALS_SQL = """
select account, count(*) as lines, coalesce(sum(amount) filter (where amount > 0), 0) as debit,
    coalesce(-sum(amount) filter (where amount < 0), 0) as credit
from unnest(%s::text[], %s::numeric[]) as t (account, amount)
group by rollup (account)
order by account nulls last
"""


def money(value: Decimal | str | None) -> str:
    if value is None or value == "":
        return ""
    return f"{Decimal(value):,.2f}"


def unit_cost(value: Decimal | None) -> str:
    return "" if value is None else f"{value:,.5f}"


def quantity(value: Decimal | None) -> str:
    if value is None:
        return ""
    return f"{value.normalize():,f}" if value == value.to_integral_value() else f"{value:,}"


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["money"] = money
    env.filters["qty"] = quantity
    env.filters["unit_cost"] = unit_cost
    return env


def element_id(text: str | None, index: int) -> str:
    """A stable, safe id fragment for an account number (codes are short; anything odd is replaced)."""
    if text is None:
        return f"unresolved-{index}"
    if text == "":
        return f"blank-{index}"
    return re.sub(r"[^A-Za-z0-9_-]", "_", text)


def journal_totals(
    conn: psycopg2.extensions.connection, journal: list[dict[str, str]]
) -> tuple[list[dict[str, str]], dict[str, str]]:
    with conn.cursor() as cur:
        cur.execute(
            JOURNAL_TOTALS_SQL,
            ([r["gl_account_no"] for r in journal], [r["amount"] or "0" for r in journal]),
        )
        rows = cur.fetchall()
    per_account = [
        {"account": a, "lines": str(n), "debit": money(d), "credit": money(c)}
        for a, n, d, c in rows
        if a is not None
    ]
    grand = next(({"debit": money(d), "credit": money(c)} for a, n, d, c in rows if a is None), None)
    return per_account, grand or {"debit": money(Decimal(0)), "credit": money(Decimal(0))}


def grouped(
    rows: list[dict[str, Any]], keys: tuple[str, ...]
) -> list[tuple[tuple[str, ...], list[dict[str, Any]]]]:
    """Rows (already sorted by ``keys``) in runs of equal keys, for group tables with drill-down."""
    out: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for r in rows:
        out.setdefault(tuple(r[k] for k in keys), []).append(r)
    return list(out.items())


def chart_markup(c: Charts) -> dict[str, Markup]:
    groups = sorted(c.value_by_group)
    value_series = [
        charts.Series(g or "(blank)", [c.value_by_group[g].get(p, Decimal(0)) for p in c.periods])
        for g in groups
    ]
    flow_periods = [r["period"] for r in c.flows]
    return {
        "value_by_group": charts.column_chart(
            "chart-value-by-group", "Inventory value by posting group", c.periods, value_series, stacked=True
        ),
        "flows": charts.column_chart(
            "chart-increases-decreases",
            "Increases vs decreases",
            flow_periods,
            [
                charts.Series("Increases", [r["increases"] for r in c.flows]),
                charts.Series("Decreases", [r["decreases"] for r in c.flows]),
            ],
            stacked=False,
        ),
        "wip": charts.bar_chart(
            "chart-wip",
            "WIP by production order",
            [r["production_order_no"] for r in c.wip],
            [
                charts.Series("Consumption", [r["consumption"] for r in c.wip]),
                charts.Series("Capacity", [r["capacity"] for r in c.wip]),
                charts.Series("Output", [r["output"] for r in c.wip]),
                charts.Series("WIP at end", [r["wip_at_end"] for r in c.wip]),
            ],
        ),
        "cogs": charts.bar_chart(
            "chart-cogs-shares",
            "COGS cost shares",
            [f"{r['share']} ({r['percent']}%)" for r in c.cogs_shares],
            [charts.Series("Cost of goods sold", [r["amount"] for r in c.cogs_shares])],
        ),
    }


def render(
    *,
    conn: psycopg2.extensions.connection,
    company: str,
    period: Period,
    headline: Headline,
    chart_data: Charts,
    drill: DrillDown,
    reports: dict[str, ReportData],
    journal: list[dict[str, str]],
    journal_source: str,
    skipped: list[dict[str, str]],
    validation: dict[str, Any],
    files: list[str],
    notes: list[str],
) -> str:
    valuation = reports["inventory_valuation"]
    per_account, grand = journal_totals(conn, journal)
    cogs_available = bool(reports["cost_shares"].rows)
    context = {
        "company": company,
        "period": period,
        "day_before_start": period.start - timedelta(days=1),
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "headline": headline,
        "balance_columns": BALANCE_COLUMNS,
        "account_ids": [element_id(a["g_l_account_no"], i) for i, a in enumerate(headline.accounts)],
        "drill": drill,
        "charts": chart_data,
        "svg": chart_markup(chart_data),
        "cogs_available": cogs_available and any(r["amount"] for r in chart_data.cogs_shares),
        "cogs_note": (
            "Cost Shares Breakdown was not built for this period (the mart holds the latest period only; "
            "rebuild with dbt var cost_shares_start_date / valuation_date)."
            if not cogs_available
            else "No sales in the period."
        ),
        "valuation": valuation,
        "valuation_groups": [(k[0], v) for k, v in grouped(valuation.rows, ("inventory_posting_group",))],
        "cost_spec": reports["cost_spec"],
        "cost_spec_groups": grouped(reports["cost_spec"].rows, ("inventory_posting_group",)),
        "cost_shares": reports["cost_shares"],
        "cost_shares_groups": grouped(
            reports["cost_shares"].rows, ("print_cost_share", "inventory_posting_group")
        ),
        "wip": reports["inventory_valuation_wip"],
        "journal": journal,
        "journal_source": journal_source,
        "journal_accounts": per_account,
        "journal_debit": grand["debit"],
        "journal_credit": grand["credit"],
        "skipped": skipped,
        "validation": validation,
        "files": files,
        "notes": notes,
    }
    return environment().get_template("index.html.j2").render(**context)

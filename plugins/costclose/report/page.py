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
from markupsafe import Markup

from costclose.period import Period
from costclose.report import charts
from costclose.report.close_files import FileSummary
from costclose.report.fetch import ReportData
from costclose.report.headline import Charts, DrillDown, Headline

TEMPLATES = Path(__file__).resolve().parent / "templates"
BALANCE_COLUMNS = (
    ("inventory", "Inventory"),
    ("inventory_interim", "Inventory (Interim)"),
    ("wip_inventory", "WIP Inventory"),
)


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


def journal_totals(journal: FileSummary) -> tuple[list[dict[str, str]], dict[str, str]]:
    per_account = [
        {"account": a, "lines": f"{n:,}", "debit": money(d), "credit": money(c)}
        for a, (n, d, c) in sorted(journal.per_account.items())
    ]
    return per_account, {"debit": money(journal.debit), "credit": money(journal.credit)}


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
    company: str,
    period: Period,
    headline: Headline,
    chart_data: Charts,
    drill: DrillDown,
    reports: dict[str, ReportData],
    journal: FileSummary,
    journal_source: str,
    skipped: FileSummary,
    validation: dict[str, Any],
    files: list[str],
    notes: list[str],
    page_rows: int,
) -> dict[str, Any]:
    """The page's context: every total and chart over all lines (summed by PostgreSQL), and per section
    only the ``page_rows`` largest lines, with how many more there are and which file holds them."""
    valuation = reports["inventory_valuation"]
    per_account, grand = journal_totals(journal)
    cogs_available = not reports["cost_shares"].is_empty
    return {
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
        "cost_spec": reports["cost_spec"],
        "cost_shares": reports["cost_shares"],
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
        "page_rows": page_rows,
    }


def write(path: Path, context: dict[str, Any]) -> int:
    """Render the page into ``path`` as a stream (jinja2's ``generate``); return its size in characters."""
    template = environment().get_template("index.html.j2")
    size = 0
    with path.open("w", encoding="utf-8") as fh:
        for chunk in template.generate(**context):
            fh.write(chunk)
            size += len(chunk)
    return size

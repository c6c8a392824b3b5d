"""``write_close_pack``: the close pack of one company and period, from the dbt marts.

Writes into the period's output folder: the four valuation reports as CSV, the close's own files
(kept when the close wrote them, see ``close_files``), the drill-down files (every value entry not in
the G/L, every G/L entry no value entry explains), validation.json, close_pack.xlsx and index.html.

Memory does not grow with the number of lines: the CSV files and the workbook are streamed from
server-side cursors (and the close's files line by line), and index.html is bounded: its totals and
charts are computed by PostgreSQL over all lines, its tables show the ``page_rows`` largest lines per
section and say how many more lines which file holds.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg2.extensions

from costclose import db
from costclose.errors import CostcloseError
from costclose.period import Period, parse_period
from costclose.report import close_files, page, workbook
from costclose.report.fetch import PAGE_ROWS, load_report, params, stream, stream_report
from costclose.report.headline import DRILL_FILES, load_charts, load_drill_down, load_headline
from costclose.report.reports import COST_SHARES, COST_SPEC, VALUATION_REPORTS
from costclose.report.spec import ReportSpec
from costclose.security.session import step_url

log = logging.getLogger(__name__)

PACK_FILES = (
    "inventory_valuation.csv",
    "inventory_valuation_wip.csv",
    "cost_spec.csv",
    "cost_shares.csv",
    "gl_reconciliation.csv",
    "adjusting_journal.csv",
    "skipped_entries.csv",
    "unposted_value_entries.csv",
    "unexplained_gl_entries.csv",
    "validation.json",
    "close_pack.xlsx",
    "index.html",
)


def _csv_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")  # never 1E+2 / 0E-20 in a file a person reads
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def write_report_csv(
    path: Path, conn: psycopg2.extensions.connection, spec: ReportSpec, company: str, period: Period
) -> int:
    """Every line of the report, streamed from a server-side cursor into the file."""
    header = ["company", "period", *(c.name for c in spec.columns)]
    lines = (
        [company, period.key, *(_csv_value(r[c.name]) for c in spec.columns)]
        for r in stream_report(conn, spec, company, period)
    )
    return close_files.write_csv(path, header, lines)


def write_query_csv(
    path: Path,
    conn: psycopg2.extensions.connection,
    columns: tuple[str, ...],
    query: str,
    company: str,
    period: Period,
) -> int:
    """A drill-down file: ``company`` and ``columns`` of every row of ``query``, streamed."""
    rows = stream(conn, query, params(company, period))
    lines = ([company, *(_csv_value(r[c]) for c in columns)] for r in rows)
    return close_files.write_csv(path, ["company", *columns], lines)


def _tolerance(company: str) -> Decimal:
    from costclose.companies import DEFAULT_TOLERANCE, load_companies

    cfg = load_companies().get(company)
    return cfg.tolerance if cfg else DEFAULT_TOLERANCE


def _check_marts(conn: psycopg2.extensions.connection, company: str, period: Period) -> None:
    with conn.cursor() as cur:
        cur.execute("select to_regclass('marts.fct_inventory_gl_reconciliation') is not null")
        if not cur.fetchone()[0]:
            raise CostcloseError(
                "The warehouse has no marts yet: run `costclose transform build` (or the close) first."
            )
        cur.execute(
            "select exists (select 1 from marts.fct_inventory_gl_reconciliation"
            " where company = %s and period_start = %s)",
            (company, period.start),
        )
        if not cur.fetchone()[0]:
            raise CostcloseError(
                f"The marts hold no reconciliation for {company!r} {period.key}: check the company name, "
                f"extract it and run `costclose transform build --period {period.key}` first."
            )


def write_close_pack(
    company: str,
    period: str,
    out_dir: Path | None = None,
    warehouse_url: str | None = None,
    page_rows: int = PAGE_ROWS,
) -> dict[str, Any]:
    """Write the close pack of ``company`` for ``period`` (YYYY-MM) and return what was written.

    Reads the dbt marts of ``warehouse_url`` (default: costclose's warehouse); writes to ``out_dir``
    (default: ``pipeline.output_dir(company, period)``). The files hold every line (streamed: memory
    does not grow with the lines); index.html shows the totals of all lines and, per section, the
    ``page_rows`` largest lines with how many more there are in which file.
    """
    p = parse_period(period)
    if out_dir is None:
        from costclose.pipeline import output_dir

        out_dir = output_dir(company, p.key)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    url = warehouse_url or step_url("validate")
    tolerance = _tolerance(company)
    notes: list[str] = []
    lines: dict[str, int] = {}
    with db.connect(url) as conn:
        _check_marts(conn, company, p)
        reports = {spec.key: load_report(conn, spec, company, p, page_rows) for spec in VALUATION_REPORTS}
        for spec in VALUATION_REPORTS:
            lines[spec.csv_name] = write_report_csv(out / spec.csv_name, conn, spec, company, p)
        for name, columns, query in DRILL_FILES:
            lines[name] = write_query_csv(out / name, conn, columns, query, company, p)
        for spec, var in (
            (COST_SPEC, "valuation_date"),
            (COST_SHARES, "cost_shares_start_date/valuation_date"),
        ):
            if reports[spec.key].is_empty:
                notes.append(
                    f"{spec.title} has no lines for {p.key}: its mart is built for one date (dbt var {var}, "
                    "default the latest period end); rebuild the point_in_time models with that var for "
                    "this period."
                )
        fixed = close_files.write_fixed_files(conn, company, p, out)
        validation = close_files.validation_summary(conn, company, p)
        close_files.write_validation_json(out / "validation.json", validation)
        headline = load_headline(conn, company, p, tolerance)
        sheets = workbook.write_workbook(
            out / "close_pack.xlsx",
            company,
            p,
            conn,
            reports,
            headline,
            out / "adjusting_journal.csv",
            out / "skipped_entries.csv",
        )
        journal = close_files.summarize(out / "adjusting_journal.csv", page_rows, "gl_account_no")
        skipped = close_files.summarize(out / "skipped_entries.csv", page_rows)
        lines["adjusting_journal.csv"], lines["skipped_entries.csv"] = journal.lines, skipped.lines
        context = page.render(
            company=company,
            period=p,
            headline=headline,
            chart_data=load_charts(conn, company, p),
            drill=load_drill_down(conn, company, p, tolerance, page_rows),
            reports=reports,
            journal=journal,
            journal_source=(
                "kept as found in the folder (the close writes what it posted or previewed)"
                if fixed["adjusting_journal.csv"] == "kept"
                else "from the marts"
            ),
            skipped=skipped,
            validation=validation,
            files=list(PACK_FILES),
            notes=notes,
            page_rows=page_rows,
        )
    index = out / "index.html"
    page.write(index, context)
    log.info("close pack of %s %s written to %s", company, p.key, out)
    return {
        "company": company,
        "period": p.key,
        "out_dir": str(out),
        "index_html": str(index),
        "files": {name: str(out / name) for name in PACK_FILES},
        "lines": lines,
        "fixed_files": fixed,
        "sheets": sheets,
        "status": headline.status,
        "accounts_with_difference": headline.accounts_with_difference,
        "validation_status": validation["status"],
        "notes": notes,
    }


SUMMARY_SQL = """
select coalesce(g_l_account_no, '(not resolved)') as account, implied_amount_to_date, gl_net_change_to_date,
    difference_to_date
from marts.fct_gl_account_reconciliation
where company = %s and period_start = %s
    and (implied_amount_to_date <> 0 or gl_net_change_to_date <> 0 or difference_to_date <> 0)
order by g_l_account_no nulls last
"""


def summary_table(
    company: str, period: str, warehouse_url: str | None = None
) -> list[tuple[str, Decimal, Decimal, Decimal]]:
    """Per G/L account up to the period end: (account, inventory (value entries imply), G/L, difference)."""
    p = parse_period(period)
    with db.connect(warehouse_url or step_url("bi")) as conn, conn.cursor() as cur:
        cur.execute(SUMMARY_SQL, (company, p.start))
        return [(a, i, g, d) for a, i, g, d in cur.fetchall()]

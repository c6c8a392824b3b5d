"""close_pack.xlsx: one sheet per report, laid out like BC's printed reports.

Each sheet: title, company, period and report number; a band row (BC's column groups such as
"Increases (LCY)") and the column captions; the detail lines with a total line per inventory posting
group and a report total; money as ``#,##0.00``, quantities and unit costs with their decimals; the
panes frozen below the captions. The totals are the ones PostgreSQL summed (``fetch.ReportData``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from costclose.period import Period
from costclose.report.fetch import ReportData
from costclose.report.headline import Headline
from costclose.report.reports import COST_SPEC, VALUATION_REPORTS
from costclose.report.spec import Column, Kind

MONEY_FORMAT = "#,##0.00"
QUANTITY_FORMAT = "#,##0.00###"
UNIT_COST_FORMAT = "#,##0.00000"
COUNT_FORMAT = "#,##0"
FORMATS = {
    Kind.MONEY: MONEY_FORMAT,
    Kind.QUANTITY: QUANTITY_FORMAT,
    Kind.UNIT_COST: UNIT_COST_FORMAT,
    Kind.COUNT: COUNT_FORMAT,
    Kind.DATE: "yyyy-mm-dd",
}
TITLE = Font(bold=True, size=14)
BOLD = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDE5EE")
GROUP_FILL = PatternFill("solid", fgColor="F2F2F2")
TOP_LINE = Border(top=Side(style="thin"))
DOUBLE_LINE = Border(top=Side(style="thin"), bottom=Side(style="double"))
HEADER_ROW = 6  # band row 5, captions row 6, data from row 7

MATRIX_COLUMNS = (
    Column("matrix_row", ""),
    Column("inventory", "Inventory", Kind.MONEY),
    Column("inventory_interim", "Inventory (Interim)", Kind.MONEY),
    Column("wip_inventory", "WIP Inventory", Kind.MONEY),
    Column("total", "Total", Kind.MONEY),
    Column("gl_total", "G/L Total", Kind.MONEY),
    Column("difference", "Difference", Kind.MONEY),
    Column("warning", "Warning"),
)
ACCOUNT_COLUMNS = (
    Column("g_l_account_no", "G/L Account No."),
    Column("setup_roles", "Setup Roles"),
    Column("implied_amount_to_date", "Value Entries Imply (to date)", Kind.MONEY),
    Column("gl_net_change_to_date", "G/L Balance (to date)", Kind.MONEY),
    Column("difference_to_date", "Difference (to date)", Kind.MONEY),
    Column("implied_amount", "Value Entries Imply (period)", Kind.MONEY),
    Column("gl_net_change", "G/L Net Change (period)", Kind.MONEY),
    Column("difference", "Difference (period)", Kind.MONEY),
    Column("unposted_amount_to_date", "Not Posted to G/L", Kind.MONEY),
    Column("posted_outside_inventory_amount_to_date", "Posted Outside Inventory", Kind.MONEY),
)
JOURNAL_COLUMNS = (
    Column("document_no", "Document No."),
    Column("posting_date", "Posting Date"),
    Column("gl_account_no", "G/L Account No."),
    Column("amount", "Amount", Kind.MONEY),
    Column("description", "Description"),
    Column("value_entry_nos", "Value Entry Nos."),
)
SKIPPED_COLUMNS = (
    Column("value_entry_no", "Entry No."),
    Column("cost_part", "Cost Part"),
    Column("amount", "Amount", Kind.MONEY),
    Column("reason", "Reason"),
)


def _bands(columns: Sequence[Column], dates: dict[str, str]) -> list[tuple[int, int, str]]:
    """(first column, last column, caption) of each run of columns under the same band (1-based)."""
    runs: list[tuple[int, int, str]] = []
    for i, c in enumerate(columns, start=1):
        band = c.band.format(**dates)
        if runs and runs[-1][2] == band and band:
            runs[-1] = (runs[-1][0], i, band)
        elif band:
            runs.append((i, i, band))
    return runs


def _header(ws: Worksheet, data: ReportData, company: str, lines: list[str], dates: dict[str, str]) -> None:
    spec = data.spec
    ws["A1"] = spec.title
    ws["A1"].font = TITLE
    ws["A2"] = f"Company: {company}"
    ws["A3"] = lines[0]
    ws["A4"] = lines[1]
    for first, last, caption in _bands(spec.columns, dates):
        cell = ws.cell(row=HEADER_ROW - 1, column=first, value=caption)
        cell.font = BOLD
        cell.alignment = Alignment(horizontal="center")
        if last > first:
            ws.merge_cells(
                start_row=HEADER_ROW - 1, start_column=first, end_row=HEADER_ROW - 1, end_column=last
            )
    for i, c in enumerate(spec.columns, start=1):
        cell = ws.cell(row=HEADER_ROW, column=i, value=c.caption)
        cell.font = BOLD
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="right" if c.kind != Kind.TEXT else "left", wrap_text=True)
        width = 14 if c.kind != Kind.TEXT else max(12, min(40, len(c.caption) + 4))
        if c.name == "description":
            width = 34
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=1)


def _write_row(ws: Worksheet, row: int, columns: Sequence[Column], values: dict[str, Any]) -> None:
    for i, c in enumerate(columns, start=1):
        value = values.get(c.name)
        cell = ws.cell(row=row, column=i, value=value)
        if c.kind in FORMATS:
            cell.number_format = FORMATS[c.kind]


def _total_row(
    ws: Worksheet, row: int, data: ReportData, key: tuple[str, ...], label: str, border: Border
) -> None:
    columns = data.spec.columns
    _write_row(ws, row, columns, data.total(key))
    ws.cell(row=row, column=1, value=label)
    for i in range(1, len(columns) + 1):
        cell = ws.cell(row=row, column=i)
        cell.font = BOLD
        cell.border = border
        cell.fill = GROUP_FILL


def _group_label(value: str) -> str:
    return value if value else "(blank)"


def write_sheet(
    ws: Worksheet, data: ReportData, company: str, lines: list[str], dates: dict[str, str]
) -> None:
    """Detail lines with control breaks on the report's group columns, then the report total."""
    spec = data.spec
    _header(ws, data, company, lines, dates)
    row = HEADER_ROW + 1
    groups = spec.group_by
    current: tuple[str, ...] | None = None
    if not data.rows:
        ws.cell(row=row, column=1, value="(no lines for this period)").font = Font(italic=True)
        row += 1
    for rec in data.rows:
        key = tuple(rec[g] for g in groups)
        if current is not None and key != current:
            row = _close_groups(ws, row, data, current, key)
        if key != current:
            for level in range(len(groups)):
                if current is None or key[: level + 1] != current[: level + 1]:
                    cell = ws.cell(row=row, column=1, value=_group_label(key[level]))
                    cell.font = BOLD
                    row += 1
            current = key
        _write_row(ws, row, spec.columns, rec)
        row += 1
    if current is not None:
        row = _close_groups(ws, row, data, current, None)
    if spec.report_total and spec.summed_columns:
        _total_row(ws, row, data, (), "Total", DOUBLE_LINE)
        row += 1


def _close_groups(
    ws: Worksheet, row: int, data: ReportData, current: tuple[str, ...], nxt: tuple[str, ...] | None
) -> int:
    """Total lines for every group level that ends between ``current`` and ``nxt`` (innermost first)."""
    if not data.spec.summed_columns:
        return row
    for level in range(len(current), 0, -1):
        if nxt is not None and nxt[:level] == current[:level]:
            break
        _total_row(ws, row, data, current[:level], f"Total {_group_label(current[level - 1])}", TOP_LINE)
        row += 1
    return row


def write_table_sheet(
    ws: Worksheet,
    title: str,
    company: str,
    lines: list[str],
    columns: Sequence[Column],
    rows: list[dict[str, Any]],
) -> None:
    """A plain sheet (journal, skipped entries, reconciliation): captions and rows, no grouping."""
    ws["A1"] = title
    ws["A1"].font = TITLE
    ws["A2"] = f"Company: {company}"
    ws["A3"] = lines[0]
    ws["A4"] = lines[1]
    for i, c in enumerate(columns, start=1):
        cell = ws.cell(row=HEADER_ROW, column=i, value=c.caption)
        cell.font = BOLD
        cell.fill = HEADER_FILL
        ws.column_dimensions[get_column_letter(i)].width = 16 if c.kind != Kind.TEXT else 22
    for r, rec in enumerate(rows, start=HEADER_ROW + 1):
        _write_row(ws, r, columns, rec)
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=1)


def new_workbook() -> Workbook:
    wb = Workbook()
    wb.remove(wb.active)
    return wb


def period_lines(period: Period, report_id: str, as_of: date | None = None) -> list[str]:
    when = f"Valuation date {as_of}" if as_of else f"Period {period.key}: {period.start} .. {period.end}"
    return [when, f"Business Central report {report_id}" if report_id else "costclose close pack"]


def _decimal_rows(rows: list[dict[str, str]], money_columns: tuple[str, ...]) -> list[dict[str, Any]]:
    """CSV text back to numbers for the workbook (a parse, not a calculation)."""
    return [{k: (Decimal(v) if k in money_columns and v else v) for k, v in r.items()} for r in rows]


def write_workbook(
    path: Path,
    company: str,
    period: Period,
    reports: dict[str, ReportData],
    headline: Headline,
    journal: list[dict[str, str]],
    skipped: list[dict[str, str]],
) -> list[str]:
    """close_pack.xlsx: the reconciliation, the per-account view, the four reports, journal, skipped."""
    wb = new_workbook()
    write_table_sheet(
        wb.create_sheet("Inventory - G-L Reconciliation"),
        f"Inventory - G/L Reconciliation, {period.key}",
        company,
        period_lines(period, "5845"),
        MATRIX_COLUMNS,
        headline.matrix,
    )
    write_table_sheet(
        wb.create_sheet("G-L Accounts"),
        f"Inventory = G/L per account, up to {period.end}",
        company,
        period_lines(period, ""),
        ACCOUNT_COLUMNS,
        headline.accounts,
    )
    dates = {"day_before_start": str(period.start - timedelta(days=1)), "end": str(period.end)}
    for spec in VALUATION_REPORTS:
        as_of = period.end if spec is COST_SPEC else None
        write_sheet(
            wb.create_sheet(spec.sheet_name),
            reports[spec.key],
            company,
            period_lines(period, spec.report_id, as_of),
            dates,
        )
    write_table_sheet(
        wb.create_sheet("Adjusting Journal"),
        f"Adjusting journal up to {period.end} (Post Inventory Cost to G/L)",
        company,
        period_lines(period, "1002"),
        JOURNAL_COLUMNS,
        _decimal_rows(journal, ("amount",)),
    )
    write_table_sheet(
        wb.create_sheet("Skipped Entries"),
        "Skipped entries (Post Inventory Cost to G/L)",
        company,
        period_lines(period, "1002"),
        SKIPPED_COLUMNS,
        _decimal_rows(skipped, ("amount",)),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return list(wb.sheetnames)

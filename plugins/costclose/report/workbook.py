"""close_pack.xlsx: one sheet per report, laid out like BC's printed reports.

Each sheet: title, company, period and report number; a band row (BC's column groups such as
"Increases (LCY)") and the column captions; the detail lines with a total line per inventory posting
group and a report total; money as ``#,##0.00``, quantities and unit costs with their decimals; the
panes frozen below the captions. The totals are the ones PostgreSQL summed (``fetch.ReportData``).
The workbook is written in openpyxl's write-only (streaming) mode, so it holds every line of every
report at a memory that does not grow with them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg2.extensions
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from costclose.period import Period
from costclose.report.close_files import iter_csv
from costclose.report.fetch import ReportData, stream_report
from costclose.report.headline import Headline
from costclose.report.reports import COST_SPEC, VALUATION_REPORTS
from costclose.report.spec import Column, Kind, ReportSpec

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
ITALIC = Font(italic=True)
MAX_SHEET_ROWS = 1_048_576  # Excel's rows per sheet
MAX_CELL_TEXT = 32_767  # Excel's characters per cell
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


def _cell(ws: WriteOnlyWorksheet, value: Any, **style: Any) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=value)
    for name, v in style.items():
        setattr(cell, name, v)
    return cell


def _title_rows(ws: WriteOnlyWorksheet, title: str, company: str, lines: list[str]) -> None:
    ws.append([_cell(ws, title, font=TITLE)])
    ws.append([f"Company: {company}"])
    ws.append([lines[0]])
    ws.append([lines[1]])


def _header(
    ws: WriteOnlyWorksheet, spec: ReportSpec, company: str, lines: list[str], dates: dict[str, str]
) -> None:
    # a streaming sheet takes its column widths, panes and merged ranges before its first row
    for i, c in enumerate(spec.columns, start=1):
        width = 14 if c.kind != Kind.TEXT else max(12, min(40, len(c.caption) + 4))
        if c.name == "description":
            width = 34
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = f"A{HEADER_ROW + 1}"
    _title_rows(ws, spec.title, company, lines)
    band_row: list[Any] = [None] * len(spec.columns)
    for first, last, caption in _bands(spec.columns, dates):
        band_row[first - 1] = _cell(ws, caption, font=BOLD, alignment=Alignment(horizontal="center"))
        if last > first:
            ws.merged_cells.add(
                f"{get_column_letter(first)}{HEADER_ROW - 1}:{get_column_letter(last)}{HEADER_ROW - 1}"
            )
    ws.append(band_row)
    ws.append(
        [
            _cell(
                ws,
                c.caption,
                font=BOLD,
                fill=HEADER_FILL,
                alignment=Alignment(horizontal="right" if c.kind != Kind.TEXT else "left", wrap_text=True),
            )
            for c in spec.columns
        ]
    )


def _row(ws: WriteOnlyWorksheet, columns: Sequence[Column], values: dict[str, Any]) -> list[Any]:
    out: list[Any] = []
    for c in columns:
        value = values.get(c.name)
        if isinstance(value, str) and len(value) > MAX_CELL_TEXT:
            value = value[: MAX_CELL_TEXT - 60].rsplit(" ", 1)[0] + " ... (cut: the CSV file has all of it)"
        out.append(_cell(ws, value, number_format=FORMATS[c.kind]) if c.kind in FORMATS else value)
    return out


def _total_row(
    ws: WriteOnlyWorksheet, data: ReportData, key: tuple[str, ...], label: str, border: Border
) -> list[Any]:
    values: dict[str, Any] = dict(data.total(key))
    out: list[Any] = []
    for i, c in enumerate(data.spec.columns):
        value = label if i == 0 else values.get(c.name)
        cell = _cell(ws, value, font=BOLD, border=border, fill=GROUP_FILL)
        if i and c.kind in FORMATS:
            cell.number_format = FORMATS[c.kind]
        out.append(cell)
    return out


def _group_label(value: str) -> str:
    return value if value else "(blank)"


def write_sheet(
    ws: WriteOnlyWorksheet,
    data: ReportData,
    lines_of_report: Iterable[dict[str, Any]],
    company: str,
    lines: list[str],
    dates: dict[str, str],
) -> int:
    """Detail lines (a stream) with control breaks on the report's group columns, then the report total.

    Returns the detail lines written. A report longer than a sheet can hold (Excel's 1,048,576 rows)
    stops with a line that names the CSV file holding every line.
    """
    spec = data.spec
    _header(ws, spec, company, lines, dates)
    row = HEADER_ROW + 1
    groups = spec.group_by
    current: tuple[str, ...] | None = None
    written = 0
    for rec in lines_of_report:
        if row >= MAX_SHEET_ROWS - len(groups) - 3:
            more = data.count() - written if spec.total_filter is None else None
            ws.append(
                [
                    _cell(
                        ws,
                        f"The sheet stops here (Excel holds {MAX_SHEET_ROWS:,} rows): "
                        f"{f'{more:,} more lines' if more is not None else 'the remaining lines'} "
                        f"are in {spec.csv_name}.",
                        font=ITALIC,
                    )
                ]
            )
            row += 1
            break
        key = tuple(rec[g] for g in groups)
        if current is not None and key != current:
            row = _close_groups(ws, row, data, current, key)
        if key != current:
            for level in range(len(groups)):
                if current is None or key[: level + 1] != current[: level + 1]:
                    ws.append([_cell(ws, _group_label(key[level]), font=BOLD)])
                    row += 1
            current = key
        ws.append(_row(ws, spec.columns, rec))
        row += 1
        written += 1
    else:
        if current is not None:
            row = _close_groups(ws, row, data, current, None)
    if not written:
        ws.append([_cell(ws, "(no lines for this period)", font=ITALIC)])
    if spec.report_total and spec.summed_columns:
        ws.append(_total_row(ws, data, (), "Total", DOUBLE_LINE))
    return written


def _close_groups(
    ws: WriteOnlyWorksheet, row: int, data: ReportData, current: tuple[str, ...], nxt: tuple[str, ...] | None
) -> int:
    """Total lines for every group level that ends between ``current`` and ``nxt`` (innermost first)."""
    if not data.spec.summed_columns:
        return row
    for level in range(len(current), 0, -1):
        if nxt is not None and nxt[:level] == current[:level]:
            break
        ws.append(
            _total_row(ws, data, current[:level], f"Total {_group_label(current[level - 1])}", TOP_LINE)
        )
        row += 1
    return row


def write_table_sheet(
    ws: WriteOnlyWorksheet,
    title: str,
    company: str,
    lines: list[str],
    columns: Sequence[Column],
    rows: Iterable[dict[str, Any]],
) -> int:
    """A plain sheet (journal, skipped entries, reconciliation): captions and rows (a stream), no grouping."""
    for i, c in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = 16 if c.kind != Kind.TEXT else 22
    ws.freeze_panes = f"A{HEADER_ROW + 1}"
    _title_rows(ws, title, company, lines)
    ws.append([])
    ws.append([_cell(ws, c.caption, font=BOLD, fill=HEADER_FILL) for c in columns])
    written = 0
    for rec in rows:
        if written >= MAX_SHEET_ROWS - HEADER_ROW - 1:
            ws.append(
                [_cell(ws, f"The sheet stops here (Excel holds {MAX_SHEET_ROWS:,} rows).", font=ITALIC)]
            )
            break
        ws.append(_row(ws, columns, rec))
        written += 1
    return written


def new_workbook() -> Workbook:
    return Workbook(write_only=True)


def period_lines(period: Period, report_id: str, as_of: date | None = None) -> list[str]:
    when = f"Valuation date {as_of}" if as_of else f"Period {period.key}: {period.start} .. {period.end}"
    return [when, f"Business Central report {report_id}" if report_id else "costclose close pack"]


def _decimal_rows(rows: Iterable[dict[str, str]], money_columns: tuple[str, ...]) -> Iterator[dict[str, Any]]:
    """CSV text back to numbers for the workbook (a parse, not a calculation), one row at a time."""
    for r in rows:
        yield {k: (Decimal(v) if k in money_columns and v else v) for k, v in r.items()}


def write_workbook(
    path: Path,
    company: str,
    period: Period,
    conn: psycopg2.extensions.connection,
    reports: dict[str, ReportData],
    headline: Headline,
    journal: Path,
    skipped: Path,
) -> list[str]:
    """close_pack.xlsx: the reconciliation, the per-account view, the four reports, journal, skipped.

    Written in openpyxl's write-only mode: each report's lines come from a server-side cursor and go to
    the sheet as they come, the close files are read line by line, so memory does not grow with lines.
    """
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
            stream_report(conn, spec, company, period),
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
        _decimal_rows(iter_csv(journal), ("amount",)),
    )
    write_table_sheet(
        wb.create_sheet("Skipped Entries"),
        "Skipped entries (Post Inventory Cost to G/L)",
        company,
        period_lines(period, "1002"),
        SKIPPED_COLUMNS,
        _decimal_rows(iter_csv(skipped), ("amount",)),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    names = list(wb.sheetnames)
    wb.save(path)
    return names

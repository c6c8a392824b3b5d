"""``costclose transform``: build the dbt project, generate its docs, run reports on demand."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from costclose import db
from costclose.errors import CostcloseError
from costclose.transform import dbt, on_demand

console = Console()
err_console = Console(stderr=True)

app = typer.Typer(
    help="The dbt project: valuation marts, reconciliation, adjusting journal.", no_args_is_help=True
)

UrlOption = Annotated[
    str | None, typer.Option("--url", help="Warehouse URL (default: costclose's warehouse database).")
]


def _url(url: str | None) -> str:
    return url or db.database_url("warehouse")


def _date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()  # noqa: DTZ007 - a calendar date, no time zone
    except ValueError as exc:
        raise CostcloseError(f"Dates look like 2024-03-31, got {value!r}.") from exc


@app.command("build")
def build_command(
    period: Annotated[str | None, typer.Option(help="Rebuild one period only: 2024-03.")] = None,
    company: Annotated[str | None, typer.Option(help="Restrict to one company.")] = None,
    full_refresh: Annotated[bool, typer.Option("--full-refresh", help="Rebuild incremental models.")] = False,
    selector: Annotated[
        str | None, typer.Option(help="A selector of selectors.yml: nightly, point_in_time.")
    ] = None,
    url: UrlOption = None,
) -> None:
    """dbt build: seeds, models, unit and data tests."""
    with console.status("dbt build ..."):
        run = dbt.build(
            _url(url),
            period=period,
            company=company,
            selector=selector,
            full_refresh=full_refresh,
            check=False,
        )
    passed = sum(1 for n in run.nodes if n.status in {"success", "pass"})
    console.print(f"{passed} of {len(run.nodes)} nodes passed")
    if not run.success:
        for node in run.failed():
            err_console.print(f"[red]{node.status}[/] {node.unique_id}: {node.message}")
        raise typer.Exit(1)


@app.command("docs")
def docs_command(url: UrlOption = None) -> None:
    """dbt docs generate (catalog and manifest in dbt_project/target)."""
    dbt.run_dbt(["docs", "generate"], _url(url), check=True)
    console.print(f"docs written to {dbt.PROJECT_DIR / 'target'}")


StartOption = Annotated[str | None, typer.Option("--start", help="Starting date, 2024-01-01.")]
EndOption = Annotated[str | None, typer.Option("--end", help="Ending date, 2024-01-31 (default: no limit).")]
ItemOption = Annotated[list[str] | None, typer.Option("--item", help="Item filter (repeatable).")]
CompanyOption = Annotated[str | None, typer.Option("--company", help="One company.")]
TargetPathOption = Annotated[Path | None, typer.Option("--target-path", hidden=True)]


def _print_rows(title: str, rows: list[dict], columns: list[str], text_columns: set[str]) -> None:
    """One table of an on-demand report: the columns the rows have, text left and figures right."""
    table = Table(title=title)
    present = [c for c in columns if not rows or c in rows[0]]
    for column in present:
        table.add_column(column, justify="left" if column in text_columns else "right")
    for row in rows:
        table.add_row(*("" if row[c] is None else str(row[c]) for c in present))
    console.print(table)


@app.command("valuation")
def valuation_command(
    start: StartOption = None,
    end: EndOption = None,
    location: Annotated[list[str] | None, typer.Option(help="Location filter (repeatable).")] = None,
    item: ItemOption = None,
    company: CompanyOption = None,
    url: UrlOption = None,
    target_path: TargetPathOption = None,
) -> None:
    """Inventory Valuation (report 1001) for any dates and filters."""
    rows = on_demand.inventory_valuation(
        _url(url),
        start_date=_date(start),
        end_date=_date(end),
        location_codes=location,
        item_nos=item,
        company=company,
        target_path=target_path,
    )
    columns = ["company", "item_no", "starting_value", "increases_value", "decreases_value", "ending_value"]
    columns += ["ending_quantity", "cost_posted_to_g_l"]
    title = f"Inventory Valuation {start or '...'} .. {end or '...'}"
    _print_rows(title, rows, columns, {"company", "item_no"})


@app.command("reconciliation")
def reconciliation_command(
    start: StartOption = None,
    end: EndOption = None,
    location: Annotated[
        list[str] | None, typer.Option(help="Location filter, item side only (repeatable).")
    ] = None,
    item: ItemOption = None,
    company: CompanyOption = None,
    url: UrlOption = None,
    target_path: TargetPathOption = None,
) -> None:
    """Inventory - G/L Reconciliation matrix for any dates and BC's location/item filters."""
    rows = on_demand.inventory_gl_reconciliation(
        _url(url),
        start_date=_date(start),
        end_date=_date(end),
        location_codes=location,
        item_nos=item,
        company=company,
        target_path=target_path,
    )
    columns = ["company", "matrix_row", "inventory", "inventory_interim", "wip_inventory", "total"]
    columns += ["gl_total", "difference", "warning"]
    _print_rows(
        f"Inventory - G/L Reconciliation {start or '...'} .. {end or '...'}",
        rows,
        columns,
        {"company", "matrix_row", "warning"},
    )

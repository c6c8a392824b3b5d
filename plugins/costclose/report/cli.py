"""``costclose report``: write the close pack of one company and period from the current warehouse."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from costclose.errors import CostcloseError

console = Console()


def reconciliation_table(company: str, period: str, warehouse_url: str | None = None) -> Table:
    """The short per-account reconciliation (inventory, G/L, difference) the demo prints."""
    from costclose.report import summary_table

    table = Table(title=f"Inventory vs G/L per account, {escape(company)}, up to the end of {period}")
    for col in ("G/L account", "inventory (value entries)", "G/L", "difference"):
        table.add_column(col, justify="left" if col == "G/L account" else "right")
    for account, inventory, gl, difference in summary_table(company, period, warehouse_url):
        style = "red" if difference else ""
        table.add_row(
            account or "(blank)",
            f"{inventory:,.2f}",
            f"{gl:,.2f}",
            f"[{style}]{difference:,.2f}[/]" if style else f"{difference:,.2f}",
        )
    return table


def report(
    company: Annotated[str, typer.Option(help="The company, as named in BC / costclose.yml")],
    period: Annotated[str, typer.Option(help="The accounting period, YYYY-MM")],
    out: Annotated[
        Path | None, typer.Option(help="Output folder (default: COSTCLOSE_HOME/out/<company>/<period>)")
    ] = None,
) -> None:
    """Write the close pack (BC's reports as CSV, close_pack.xlsx, index.html) from the built marts."""
    from costclose.report import write_close_pack

    try:
        with console.status(f"writing the close pack of {escape(company)} {period} ..."):
            result = write_close_pack(company, period, out_dir=out)
        console.print(reconciliation_table(company, result["period"]))
    except CostcloseError as exc:
        Console(stderr=True).print(f"[bold red]error:[/] {escape(str(exc))}")
        raise typer.Exit(1) from exc
    for note in result["notes"]:
        console.print(f"[yellow]note:[/] {escape(note)}")
    console.print(f"status: {result['status']}; validation: {result['validation_status']}")
    typer.echo(result["index_html"])

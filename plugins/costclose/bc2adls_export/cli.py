"""CLI: export the demo ERP's company as bc2adls would (``export-bc2adls DIR [--company]``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from costclose import db
from costclose.bc2adls_export.exporter import export_bc2adls

console = Console()


def export_bc2adls_command(
    folder: Annotated[Path, typer.Argument(help="The bc2adls container/lakehouse folder to write.")],
    company: Annotated[str, typer.Option("--company", help="The company to export.")] = "CRONUS",
    erp_url: Annotated[
        str | None, typer.Option("--erp-url", help="PostgreSQL URL of the ERP (default: the demo ERP).")
    ] = None,
) -> None:
    """Write the company's tables exactly as bc2adls does, incrementally since the last export."""
    url = erp_url or db.database_url("erp")
    report = export_bc2adls(url, company, str(folder))
    table = Table(title=escape(f"bc2adls export of {company!r} to {folder}"))
    for col in ("table", "rows", "delete markers"):
        table.add_column(col, justify="left" if col == "table" else "right")
    for name, rows in report.rows.items():
        table.add_row(name, f"{rows:,}", f"{report.deletes.get(name, 0):,}")
    console.print(table)
    console.print(
        f"{len(report.files)} delta files written"
        if report.files
        else "nothing changed since the last export"
    )

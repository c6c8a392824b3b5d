"""CLI: ``costclose extract`` and ``costclose quarantine status|waive``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from costclose import companies
from costclose.db import redact
from costclose.landing.loader import LoadReport, TableLoad, load
from costclose.landing.quarantine import quarantine_status, waive_quarantine
from costclose.sources import open_source

console = Console()

MAX_CHECKS_SHOWN = 40

quarantine_app = typer.Typer(
    help="Quarantined input that blocks posting until resolved or waived.", no_args_is_help=True
)


def extract(
    company: Annotated[str, typer.Option("--company", help="The company name, as BC spells it.")],
    source: Annotated[
        str | None,
        typer.Option("--source", help="sql:<postgres URL>, bc2adls:<folder> or bc_api:<URL>; remembered."),
    ] = None,
    full: Annotated[bool, typer.Option("--full", help="Re-extract the company from scratch.")] = False,
    verify: Annotated[
        bool,
        typer.Option(
            "--verify",
            help="Compare every control figure with the source, not only the slices this load changed.",
        ),
    ] = False,
    table: Annotated[
        list[str] | None, typer.Option("--table", help="Only this raw table (repeatable).")
    ] = None,
) -> None:
    """Land a company's BC data into the warehouse's raw schema (incremental; --full re-extracts)."""
    config = companies.remember_source(company, source) if source else companies.get_company(company)
    url = config.source_url()
    connector = open_source(url)
    console.print(
        f"extracting [bold]{escape(company)}[/] from {escape(redact(config.source or url))}"
        f"{' (full)' if full else ''}"
    )
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("starting ...", total=None)

        def on_batch(table_name: str, batch_no: int, totals: TableLoad) -> None:
            progress.update(
                task,
                description=f"{table_name}: batch {batch_no}, {totals.upserted:,} rows, "
                f"{totals.deleted:,} deleted, {totals.quarantined:,} quarantined",
            )

        report = load(connector, company, tables=table or None, full=full, verify=verify, on_batch=on_batch)
    print_report(report)


def print_report(report: LoadReport) -> None:
    summary = Table(title=escape(f"{report.company}: load {report.load_id} in {report.seconds:.1f} s"))
    for col in ("table", "batches", "upserted", "deleted", "quarantined"):
        summary.add_column(col, justify="left" if col == "table" else "right")
    for t in report.tables.values():
        summary.add_row(t.table, f"{t.batches:,}", f"{t.upserted:,}", f"{t.deleted:,}", f"{t.quarantined:,}")
    summary.add_row(
        "[bold]total", "", f"{report.upserted:,}", f"{report.deleted:,}", f"{report.quarantined:,}"
    )
    console.print(summary)
    checks = Table(title=escape(f"control totals (source vs raw): {report.comparison}"))
    for col in ("figure", "source", "raw", ""):
        checks.add_column(col, justify="left" if col == "figure" else "right")
    shown = report.checks
    if len(shown) > MAX_CHECKS_SHOWN:  # a night touching many dates: the differences, then a count
        differing = [c for c in report.checks if not c.matches]
        shown = differing[:MAX_CHECKS_SHOWN]
        checks.caption = (
            f"{len(report.checks) - len(shown):,} more figures, "
            f"{len(differing) - len(shown):,} of them differing"
        )
    for c in shown:
        checks.add_row(
            c.metric, str(c.source_value), str(c.raw_value), "[green]ok" if c.matches else "[red]DIFF"
        )
    console.print(checks)
    if report.quarantine_open:
        console.print(
            f"[yellow]{report.quarantine_open} quarantined rows are unresolved: the close will not post for "
            f"{escape(repr(report.company))}.[/] See `costclose quarantine status --company NAME`."
        )


@quarantine_app.command("status")
def status(company: Annotated[str, typer.Option("--company")]) -> None:
    """Show the company's unresolved quarantine."""
    result = quarantine_status(company)
    console.print(escape(result.message()))
    for table_name, ref, reason in result.examples:
        console.print(escape(f"  {table_name}  {ref}  {reason}"))
    if result.blocks_posting:
        raise typer.Exit(2)


@quarantine_app.command("waive")
def waive(
    company: Annotated[str, typer.Option("--company")],
    reason: Annotated[str, typer.Option("--reason", help="Why posting may go ahead without these rows.")],
) -> None:
    """Waive every unresolved quarantined row of the company (recorded with the reason)."""
    count = waive_quarantine(company, reason)
    console.print(escape(f"waived {count} quarantined rows of {company!r}"))

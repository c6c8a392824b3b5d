"""CLI: ``costclose db roles`` (every step's role) and ``costclose bi grant`` (the BI role alone)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from costclose import db
from costclose.errors import CostcloseError
from costclose.security.roles import ROLES, RolesReport, apply_roles

console = Console()
err_console = Console(stderr=True)

bi_app = typer.Typer(help="The BI tool's access to the marts.", no_args_is_help=True)


def _apply(steps: list[str] | None) -> RolesReport:
    try:
        return apply_roles(db.database_url("warehouse"), steps)
    except (CostcloseError, ValueError) as exc:
        err_console.print(f"[bold red]error:[/] {escape(str(exc))}")
        raise typer.Exit(1) from exc


def _show(report: RolesReport) -> None:
    table = Table(title=f"roles in {escape(report.database)}")
    # Role and login names whole on any terminal width; the prose columns wrap instead.
    for col in ("role", "login user"):
        table.add_column(col, no_wrap=True)
    for col in ("owns", "reads", "purpose"):
        table.add_column(col, overflow="fold")
    for name in report.roles:
        spec = ROLES[name.removeprefix("costclose_")]
        table.add_row(
            name,
            escape(report.logins.get(spec.step, "-")),
            ", ".join(spec.owns) or "-",
            ", ".join(spec.reads) or "-",
            spec.purpose,
        )
    console.print(table)
    if report.created_roles:
        console.print(f"created: {', '.join(report.created_roles)}")
    if report.reowned:
        console.print(f"{report.reowned} existing tables/views now owned by their step's role")


def roles_command(
    step: Annotated[
        list[str] | None,
        typer.Option("--step", help=f"Only this step's role (repeatable): {', '.join(ROLES)}."),
    ] = None,
) -> None:
    """Create or update the least-privilege roles in the warehouse (idempotent; rerun any time).

    Login users are created for steps whose password is in the environment (COSTCLOSE_<STEP>_PASSWORD,
    or the Airflow connection AIRFLOW_CONN_COSTCLOSE_<STEP>); passwords are never printed.
    """
    _show(_apply(step))


@bi_app.command("grant")
def bi_grant() -> None:
    """Create the read-only BI role: reads the marts schema, cannot read raw or write anything."""
    _show(_apply(["bi"]))

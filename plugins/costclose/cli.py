"""The ``costclose`` command line.

Each area adds its commands as a typer sub-app in the "subcommands" block at the bottom.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from typing import Annotated
from urllib.parse import unquote, urlsplit

import typer
from rich.console import Console

from costclose import logging_setup

logging_setup.quiet()

from costclose import db  # noqa: E402 - after quieting the loggers
from costclose.config import settings  # noqa: E402
from costclose.errors import CostcloseError  # noqa: E402

console = Console()
err_console = Console(stderr=True)

app = typer.Typer(
    name="costclose",
    help="Period-end inventory cost close of a Business Central company: extract, value, reconcile, post.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(
    help="The PostgreSQL server: embedded (default) or COSTCLOSE_DATABASE_URL.", no_args_is_help=True
)
app.add_typer(db_app, name="db")


def fail(message: str, code: int = 1) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)


@db_app.command("up")
def db_up() -> None:
    """Start the embedded PostgreSQL (if not using COSTCLOSE_DATABASE_URL) and create the databases."""
    cfg = settings()
    try:
        with console.status("starting PostgreSQL ..."):
            urls = {role: db.database_url(role) for role in ("warehouse", "erp", "airflow")}
    except CostcloseError as exc:
        raise fail(str(exc)) from exc
    where = "COSTCLOSE_DATABASE_URL" if cfg.database_url else f"embedded, data in {cfg.pg_dir}"
    console.print(f"[green]PostgreSQL is up[/] ({where})")
    for role, url in urls.items():
        console.print(f"  {role:<10} {db.redact(url)}")


@db_app.command("down")
def db_down() -> None:
    """Stop the embedded PostgreSQL (its data stays in .costclose/pg)."""
    cfg = settings()
    if cfg.database_url:
        console.print("COSTCLOSE_DATABASE_URL is set: that server is not ours to stop.")
        return
    try:
        stopped = db.embedded(cfg).stop()
    except CostcloseError as exc:
        raise fail(str(exc)) from exc
    console.print("stopped" if stopped else "the embedded database was not running")


@db_app.command("url")
def db_url(
    role: Annotated[str, typer.Argument(help="warehouse, erp, airflow or server")] = "warehouse",
    show_password: Annotated[
        bool, typer.Option("--show-password", help="Print the password too (default: masked)")
    ] = False,
) -> None:
    """Print the URL of one of costclose's databases (starting the embedded server if needed)."""
    try:
        url = db.server_url() if role == "server" else db.database_url(role)
    except (CostcloseError, ValueError) as exc:
        raise fail(str(exc)) from exc
    typer.echo(url if show_password else db.redact(url))


@db_app.command("psql")
def db_psql(
    role: Annotated[str, typer.Argument(help="warehouse, erp or airflow")] = "warehouse",
) -> None:
    """Open psql on one of costclose's databases."""
    try:
        url = db.database_url(role)
    except (CostcloseError, ValueError) as exc:
        raise fail(str(exc)) from exc
    from pgserver._commands import POSTGRES_BIN_PATH

    psql = shutil.which("psql") or str(POSTGRES_BIN_PATH / "psql")
    # The password goes through the environment, not the command line (visible in ps).
    parts = urlsplit(url)
    env = os.environ.copy()
    if parts.password:
        env["PGPASSWORD"] = unquote(parts.password)
    sys.exit(subprocess.call([psql, db.redact(url).replace(":***@", "@")], env=env))  # noqa: S603


# --- subcommands: each area registers its typer sub-app here -----------------------------------

from costclose.bc2adls_export.cli import export_bc2adls_command  # noqa: E402
from costclose.bc_api_server.cli import app as bc_api_app  # noqa: E402
from costclose.close_cli import backfill, close, demo  # noqa: E402
from costclose.demo_erp.cli import app as demo_erp_app  # noqa: E402
from costclose.landing.cli import extract, quarantine_app  # noqa: E402
from costclose.report.cli import report  # noqa: E402
from costclose.security.cli import bi_app, roles_command  # noqa: E402
from costclose.transform.cli import app as transform_app  # noqa: E402
from costclose.validation.cli import app as validate_app  # noqa: E402

app.command("demo")(demo)
app.command("close")(close)
app.command("backfill")(backfill)
app.command("extract")(extract)
app.command("report")(report)
app.add_typer(quarantine_app, name="quarantine")
app.add_typer(demo_erp_app, name="demo-erp")
demo_erp_app.command("export-bc2adls")(export_bc2adls_command)
app.add_typer(bc_api_app, name="bc-api")
app.add_typer(validate_app, name="validate")
app.add_typer(transform_app, name="transform")
db_app.command("roles")(roles_command)
app.add_typer(bi_app, name="bi")


def main() -> None:
    try:
        app()
    except CostcloseError as exc:
        err_console.print(f"[bold red]error:[/] {exc}")
        sys.exit(1)


if __name__ == "__main__":
    main()

"""``costclose demo-erp ...``: seed the demo company, print its URL, run Post Inventory Cost to G/L."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from psycopg2 import sql
from rich.console import Console
from rich.table import Table

from costclose import db
from costclose.config import settings
from costclose.demo_erp.errors import DemoErpError

console = Console()

app = typer.Typer(
    help="The BC-shaped demo ERP: seed a company, show its URL, post its cost.", no_args_is_help=True
)


def _month(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        year, month = (int(p) for p in text.split("-"))
        return date(year, month, 1)
    except ValueError as exc:
        raise DemoErpError(f"--start must look like 2025-01 (year-month), not {text!r}.") from exc


def company_exists(url: str, company: str) -> bool:
    with db.connect(url) as conn, conn.cursor() as cur:
        cur.execute("select to_regclass('bc.company') is not null")
        if not cur.fetchone()[0]:
            return False
        cur.execute("select 1 from bc.company where name = %s", (company,))
        return cur.fetchone() is not None


def remove_company(url: str, company: str) -> None:
    """Delete every row of ``company`` from schema ``bc`` (triggers off: a reseed is not an export delete)."""
    with db.connect(url) as conn, conn.cursor() as cur:
        cur.execute("set local session_replication_role = replica")
        cur.execute(
            "select table_name from information_schema.columns where table_schema = 'bc' and "
            "column_name = 'company'"
        )
        for (table,) in cur.fetchall():
            cur.execute(
                sql.SQL("delete from bc.{} where company = %s").format(sql.Identifier(table)), (company,)
            )
        cur.execute("delete from bc.company where name = %s", (company,))


@app.command("seed")
def seed_command(
    company: Annotated[str, typer.Option(help="Company name (several can live in one database).")] = "CRONUS",
    months: Annotated[int, typer.Option(min=1, help="Months of business to simulate.")] = 14,
    scale: Annotated[float, typer.Option(min=0.05, help="Volume: 1 = a few thousand value entries.")] = 1.0,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same ledgers.")] = 1,
    start: Annotated[str | None, typer.Option(help="First month, YYYY-MM (default 2025-01).")] = None,
    discrepancies: Annotated[bool, typer.Option(help="Inject the six known discrepancy kinds.")] = False,
    manifest: Annotated[
        Path | None, typer.Option(help="Where to write the ground-truth manifest JSON.")
    ] = None,
    replace: Annotated[bool, typer.Option(help="Replace the company if it is already seeded.")] = False,
    items: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Items of the company (issue 9: 20000); above CRONUS's own, generated items cloned from "
            "CRONUS's purchasable items (X-BENCH-000001, ...) fill up to it, traded at every location.",
        ),
    ] = None,
) -> None:
    """Create the company from the CRONUS setup and post months of business the way BC does."""
    from costclose.demo_erp import simulate

    url = db.database_url("erp")
    if company_exists(url, company):
        if not replace:
            raise DemoErpError(
                f"Company {company!r} is already seeded in the demo ERP; pass --replace to reseed it."
            )
        remove_company(url, company)
    first = _month(start) or simulate.DEFAULT_START
    path = manifest or settings().outputs_dir / f"demo_erp_manifest_{company}.json"
    with console.status(f"seeding {company}: {months} months at scale {scale} ..."):
        result = simulate.seed(
            url,
            company,
            months=months,
            scale=scale,
            seed=seed,
            start=first,
            discrepancies=discrepancies,
            manifest_path=path,
            items=items,
        )
    table = Table(title=f"demo ERP company {company}")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, count in result["counts"].items():
        table.add_row(name, f"{count:,}")
    console.print(table)
    kinds = ", ".join(k["kind"] for k in result["injected"])
    console.print(f"discrepancies recorded: {kinds}")
    console.print(f"manifest: {path}")


@app.command("url")
def url_command() -> None:
    """Print the demo ERP's database URL."""
    console.print(db.database_url("erp"), soft_wrap=True, highlight=False)


@app.command("post-cost")
def post_cost_command(company: Annotated[str, typer.Option(help="Company name.")] = "CRONUS") -> None:
    """Run Post Inventory Cost to G/L (report 1002) for the entries queued in Post Value Entry to G/L."""
    from costclose.demo_erp import gl_posting

    with db.connect(db.database_url("erp")) as conn:
        run = gl_posting.post_value_entries(conn, company, queued_only=True)
    console.print(
        f"posted {run.value_entries_posted:,} value entries as {run.g_l_entries:,} G/L entries"
        f" (register {run.register_no}); skipped {len(run.skipped_value_entry_nos):,}"
    )

"""``costclose validate``: run a gate for one company and period, print a pass/fail table.

Exit code 0 when every check passes, 1 when a check fails, 2 when the result could not be mailed
(it is stored all the same).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from costclose.errors import CostcloseError
from costclose.validation.model import Stage, ValidationResult

console = Console()
err_console = Console(stderr=True)

app = typer.Typer(
    help="Great Expectations gates: validate one company and period.", invoke_without_command=True
)


def _detail(result: ValidationResult, key: str) -> str:
    check = result.check(key)
    if check.error:
        return check.error
    if check.success or not check.rows:
        return ""
    first = ", ".join(f"{k}={v}" for k, v in check.rows[0].items())
    total = max(check.unexpected_count or 0, len(check.rows))  # GX returns at most 200 rows
    more = f" (+{total - 1} more)" if total > 1 else ""
    return first + more


def print_result(result: ValidationResult) -> None:
    table = Table(title=f"{result.company} {result.period} {result.stage} (tolerance {result.tolerance})")
    table.add_column("status")
    table.add_column("check")
    table.add_column("unexpected", justify="right")
    table.add_column("first breaking row / error", overflow="fold")
    for c in result.checks:
        status = "[green]PASS[/]" if c.success else "[bold red]FAIL[/]"
        count = "" if c.unexpected_count is None else str(c.unexpected_count)
        table.add_row(status, c.key, count, _detail(result, c.key))
    console.print(table)
    verdict = "[green]passed[/]" if result.success else f"[bold red]FAILED[/] ({len(result.failures)} checks)"
    console.print(f"{len(result.checks)} checks {verdict}; run {result.run_id}")
    if result.data_docs_path:
        console.print(f"Data Docs: {result.data_docs_path}")


@app.callback(invoke_without_command=True)
def validate(
    company: Annotated[str, typer.Option(help="The company, as named in costclose.yml / BC.")],
    period: Annotated[str, typer.Option(help="The accounting period, YYYY-MM.")],
    stage: Annotated[Stage, typer.Option(help="Which gate.")] = Stage.PRE_POSTING,
    tolerance: Annotated[
        str | None, typer.Option(help="Accepted difference per account (default: costclose.yml, else 0.00).")
    ] = None,
    notify: Annotated[bool, typer.Option(help="Mail the company's recipients as the close would.")] = True,
) -> None:
    """Run the gate, store the result in validation.result, write its Data Docs page, print the table."""
    from costclose.alerts import AlertDeliveryError
    from costclose.validation.runner import run

    try:
        amount = None if tolerance is None else Decimal(tolerance)
    except InvalidOperation as exc:
        err_console.print(f"[bold red]error:[/] --tolerance {tolerance!r} is not a number (for example 0.01)")
        raise typer.Exit(2) from exc
    try:
        with console.status(f"validating {company} {period} ({stage.value}) ..."):
            result = run(company, period, stage=stage, tolerance=amount, notify=notify)
    except AlertDeliveryError as exc:
        print_result(exc.result)  # type: ignore[attr-defined]
        err_console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(2) from exc
    except CostcloseError as exc:
        err_console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(2) from exc
    print_result(result)
    if not result.success:
        raise typer.Exit(1)

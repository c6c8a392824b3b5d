"""``costclose close``, ``costclose backfill`` and ``costclose demo``: the close from the command line.

``close`` runs the DAG's chain outside the scheduler with the same task functions
(``costclose.pipeline``, ``costclose.approval``); ``demo`` seeds the demo company and runs the real
``inventory_close`` DAG once through Airflow.

Approval outside Airflow: a post whose journal needs a controller's approval (debit total above the
company's ``approval_threshold``, or unexplained differences; see ``costclose.approval``) stops with
``ApprovalRequiredError`` after writing the dry-run outputs to review, unless ``--approve`` is given;
the approval is then recorded in ``approval.json`` beside the outputs (who, when, what was approved).
"""

from __future__ import annotations

import getpass
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from costclose import approval, db, locks, pipeline
from costclose.config import settings
from costclose.errors import CostcloseError
from costclose.period import parse_period, periods_between

console = Console()

DEMO_COMPANY = "CRONUS"
DEMO_MONTHS = 14
DEMO_START = "2025-01"
DEMO_CONTROLLER = "demo-controller"


def _fail(exc: Exception) -> typer.Exit:
    Console(stderr=True).print(f"[bold red]error:[/] {exc}")
    return typer.Exit(1)


def _recon_table(company: str, period: str) -> Table:
    rows = pipeline.reconciliation(company, parse_period(period))
    table = Table(title=f"Inventory - G/L Reconciliation, {company}, {period}")
    for col in ("row", "total (value entries)", "G/L total", "difference", "warning"):
        table.add_column(col, justify="left" if col in ("row", "warning") else "right")
    for r in rows:
        if r["total"] is None and r["gl_total"] is None:
            continue
        table.add_row(
            r["matrix_row"],
            f"{r['total']:,.2f}",
            f"{r['gl_total']:,.2f}",
            f"{r['difference']:,.2f}",
            r["warning"] or "",
        )
    return table


def _account_table(company: str, period: str) -> Table:
    """The per-G/L-account reconciliation the gate uses (one account in two roles counted once)."""
    p = parse_period(period)
    table = Table(title=f"Inventory = G/L per account, {company}, up to {p.end}")
    for col in ("G/L account", "roles", "value entries imply", "G/L balance", "difference"):
        table.add_column(col, justify="left" if col in ("G/L account", "roles") else "right")
    with db.connect(db.database_url("warehouse")) as conn, conn.cursor() as cur:
        cur.execute(
            "select g_l_account_no, setup_roles, implied_amount_to_date, gl_net_change_to_date,"
            " difference_to_date from marts.fct_gl_account_reconciliation"
            " where company = %s and period_start = %s order by g_l_account_no",
            (company, p.start),
        )
        for acc, roles, implied, gl, diff in cur.fetchall():
            table.add_row(acc or "(blank)", str(roles or ""), f"{implied:,.2f}", f"{gl:,.2f}", f"{diff:,.2f}")
    return table


def _posting_line(company: str, period: str) -> str:
    with db.connect(db.database_url("warehouse")) as conn, conn.cursor() as cur:
        cur.execute(
            "select status, line_count, debit_total, target from posting.posting_run"
            " where company = %s and period = %s and status = 'recorded' order by started_at",
            (company, period),
        )
        runs = cur.fetchall()
    if not runs:
        return "posted: nothing (no unposted value entries up to the period end)"
    return "; ".join(f"posted {n} journal lines, debit {d:,.2f}, to {t}" for _, n, d, t in runs)


def record_approval(out_dir: Path, review: dict, user: str) -> Path:
    """``approval.json``: who approved which journal outside Airflow, when, and why it was asked."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "approval.json"
    record = {"approved_by": user, "approved_at": datetime.now(UTC).isoformat(timespec="seconds"), **review}
    path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return path


def run_close(
    company: str,
    period: str,
    *,
    post: bool,
    target: str | None,
    out: Path | None,
    approve: bool = False,
) -> dict:
    """The chain of the close DAG for one company and period, step by step with progress.

    A post that needs approval raises ``ApprovalRequiredError`` (after the dry-run outputs are written)
    unless ``approve``.
    """
    p = parse_period(period)
    out_dir = out or pipeline.output_dir(company, p.key)
    result: dict = {"company": company, "period": p.key, "out_dir": str(out_dir)}
    # One close per company at a time: a second one stops here, naming the running one.
    with locks.close_lock(company, p.key), console.status(f"extracting {company} ...") as status:
        result["extract"] = pipeline.extract(company, verify=True)
        status.update(f"dbt build for {p.key} ...")
        pipeline.build(p.key)
        status.update("pre-posting gate (Great Expectations) ...")
        result["gate"] = approval.pre_posting_gate(company, p.key, stop=post)
        acknowledged: list[dict] = []
        if post:
            review = approval.review(company, p.key, result["gate"], target=target)
            result["review"] = review
            if review["needs_approval"] and not approve:
                status.update("writing the dry-run outputs for review ...")
                pipeline.post(company, p.key, target=target, dry_run=True, out_dir=out_dir)
                pipeline.write_close_outputs(company, p.key, out_dir)
                raise approval.ApprovalRequiredError(
                    f"{company} {p.key}: posting needs a controller's approval "
                    f"({'; '.join(review['reasons'])}). Nothing was posted. Review the journal and the "
                    f"reconciliation in {out_dir}, then run the close again with --post --approve."
                )
            if review["needs_approval"]:
                result["approval"] = str(record_approval(out_dir, review, getpass.getuser()))
                acknowledged = review["unexplained"]
        status.update("posting the adjusting journal ..." if post else "computing the adjusting journal ...")
        result["posting"] = pipeline.post(company, p.key, target=target, dry_run=not post, out_dir=out_dir)
        if post and result["posting"]["status"] in ("posted", "recovered"):
            status.update("re-extracting the G/L and rebuilding the reconciliation ...")
            pipeline.extract(company)
            pipeline.build(p.key)
            status.update("post-posting tie-out ...")
            result["tie_out"] = approval.post_posting_gate(company, p.key, acknowledged)
        status.update("writing the close outputs and the close pack ...")
        result["outputs"] = pipeline.write_close_outputs(company, p.key, out_dir)
        result["pack"] = pipeline.close_pack(company, p.key, out_dir)
    return result


def close(
    company: Annotated[str, typer.Option(help="The company, as configured in costclose.yml")],
    period: Annotated[str, typer.Option(help="The accounting period, YYYY-MM")],
    post: Annotated[
        bool, typer.Option("--post/--dry-run", help="Post the journal (default: dry run)")
    ] = False,
    target: Annotated[str | None, typer.Option(help="erp, bc_api or file (default: the company's)")] = None,
    out: Annotated[Path | None, typer.Option(help="Output folder (default: COSTCLOSE_HOME/out/...)")] = None,
    approve: Annotated[
        bool,
        typer.Option(
            "--approve",
            help="With --post: approve a journal that needs a controller's approval (debit total above the "
            "company's approval_threshold, or unexplained differences); recorded in approval.json",
        ),
    ] = False,
) -> None:
    """Run the close of one company and period: extract, build, (post), reconcile, write the outputs."""
    try:
        result = run_close(company, period, post=post, target=target, out=out, approve=approve)
        console.print(_recon_table(company, result["period"]))
    except CostcloseError as exc:
        raise _fail(exc) from exc
    gate = result["gate"]
    failed = [
        *gate["blocking_failures"],
        *([approval.UNEXPLAINED_CHECK] if gate["unexplained_count"] else []),
    ]
    console.print(
        f"pre-posting gate: {'[green]passed[/]' if gate['success'] else '[red]FAILED[/]'} "
        f"({', '.join(failed) or 'all checks'}); Data Docs: {gate['data_docs']}"
    )
    if gate["unexplained_count"]:
        console.print(
            f"[yellow]{gate['unexplained_count']} G/L account(s) with unexplained differences[/] "
            "(reported, never posted)"
        )
    if "approval" in result:
        console.print(f"approved by {getpass.getuser()}: {result['approval']}")
    posting = result["posting"]
    verb = "posted" if posting["status"] == "posted" else f"{posting['status']} (nothing posted)"
    console.print(
        f"journal: {posting['line_count']} lines, debit {posting['debit_total']}, {verb}; "
        f"{posting['skipped_count']} skipped entries"
    )
    console.print(f"outputs: [bold]{result['out_dir']}[/]")
    console.print(f"close pack: [bold]{result['pack']['index_html']}[/]")


def backfill(
    company: Annotated[str, typer.Option(help="The company, as configured in costclose.yml")],
    from_: Annotated[str, typer.Option("--from", help="First period, YYYY-MM")],
    to: Annotated[str, typer.Option(help="Last period, YYYY-MM")],
) -> None:
    """Rebuild past periods' marts and reconciliation in order. Posts nothing."""
    try:
        periods = periods_between(from_, to)
        pipeline.extract(company)
        for p in periods:
            with console.status(f"rebuilding {p.key} ..."):
                pipeline.build(p.key)
                pipeline.post(company, p.key, dry_run=True)
                outputs = pipeline.write_close_outputs(company, p.key)
                pipeline.close_pack(company, p.key)
            console.print(f"{p.key}: rebuilt, total difference {outputs['total_difference']}")
    except CostcloseError as exc:
        raise _fail(exc) from exc


def demo(
    reseed: Annotated[bool, typer.Option(help="Drop and seed the demo company again")] = False,
    scale: Annotated[float, typer.Option(help="Size of the demo business (1 = a few thousand entries)")] = 1,
) -> None:
    """Start the database, seed the demo company, run the close DAG once through Airflow, show outputs."""
    from costclose import companies, orchestrate
    from costclose.airflow.approval import answering
    from costclose.demo_erp.cli import remove_company
    from costclose.demo_erp.simulate import seed
    from costclose.security.roles import apply_roles

    cfg = settings()
    try:
        with console.status("starting PostgreSQL ..."):
            erp_url = db.database_url("erp")
            warehouse_url = db.database_url("warehouse")
        # Least privilege from the start: every step below connects as its own role (extraction writes
        # raw only, dbt its schemas, posting its ledger, the pack and BI read marts).
        roles = apply_roles(warehouse_url)
        os.environ["COSTCLOSE_DB_ROLES"] = "on"
        console.print(f"database roles: {', '.join(roles.roles)} (each step runs as its own)")
        last = parse_period(DEMO_START)
        for _ in range(DEMO_MONTHS - 1):
            last = last.next()
        if reseed or not _demo_seeded(erp_url):
            with console.status(f"seeding {DEMO_COMPANY}: {DEMO_MONTHS} months from {DEMO_START} ..."):
                if reseed:
                    remove_company(erp_url, DEMO_COMPANY)
                    pipeline.forget_company(DEMO_COMPANY)
                seed(
                    erp_url,
                    company=DEMO_COMPANY,
                    months=DEMO_MONTHS,
                    scale=scale,
                    seed=42,
                    start=parse_period(DEMO_START).start,
                )
            console.print(
                f"seeded the demo company {DEMO_COMPANY} ({_value_entries(erp_url):,} value entries)"
            )
        companies.upsert_company(DEMO_COMPANY, source="sql:db:erp", posting_target="erp")
        console.print(f"registered {DEMO_COMPANY} in {cfg.config_file} (source sql:db:erp, target erp)")
        metadata_url = orchestrate.airflow_env()["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
        with (
            console.status(
                f"running the inventory_close DAG through Airflow for {last.key} (a few minutes; log in "
                f"{cfg.home / 'airflow'}) ..."
            ),
            # The demo's journal is above the default approval threshold: the run waits for a
            # controller, and the demo plays that part through Airflow's own HITL API handler.
            answering(metadata_url, "inventory_close", approve=True, user=DEMO_CONTROLLER) as controller,
        ):
            run = orchestrate.dags_test(
                "inventory_close",
                # The period is the explicit period_end; the logical date only names this run, so
                # every `make demo` gets a run of its own.
                datetime.now(UTC).isoformat(timespec="seconds"),
                {"period_end": last.key, "post": True},
            )
        for request in controller.answered:
            console.print(f"approval requested: [bold]{request.subject}[/] -> approved as {DEMO_CONTROLLER}")
        if run.state != "success":
            raise CostcloseError(f"the inventory_close DAG run failed; read {run.log_file}")
        console.print(f"[green]inventory_close succeeded[/] (Airflow log: {run.log_file})")
        console.print(_posting_line(DEMO_COMPANY, last.key))
        console.print(_account_table(DEMO_COMPANY, last.key))
        console.print(_recon_table(DEMO_COMPANY, last.key))
    except CostcloseError as exc:
        raise _fail(exc) from exc
    out = pipeline.output_dir(DEMO_COMPANY, last.key)
    console.print(f"outputs of the close: [bold]{out}[/]")
    for f in sorted(out.glob("*")):
        console.print(f"  {f.name}")
    console.print(f"close pack (open in a browser): [bold]{out / 'index.html'}[/]")


def _value_entries(erp_url: str) -> int:
    with db.connect(erp_url) as conn, conn.cursor() as cur:
        cur.execute("select count(*) from bc.value_entry where company = %s", (DEMO_COMPANY,))
        return int(cur.fetchone()[0])


def _demo_seeded(erp_url: str) -> bool:
    with db.connect(erp_url) as conn, conn.cursor() as cur:
        cur.execute("select to_regclass('bc.value_entry') is not null")
        if not cur.fetchone()[0]:
            return False
        cur.execute("select exists (select 1 from bc.value_entry where company = %s)", (DEMO_COMPANY,))
        return bool(cur.fetchone()[0])

"""The close's steps as plain functions, shared by the DAGs' tasks and the CLI.

Each function does one step for one company (or period), talks to the databases itself and returns a
small JSON-able dict, so an Airflow task body is one call and ``costclose close`` runs the very same
code outside the scheduler.
"""

from __future__ import annotations

import csv
import logging
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from costclose import db
from costclose.config import settings
from costclose.errors import CostcloseError
from costclose.period import Period, parse_period, period_for_run
from costclose.security.session import step_url

if TYPE_CHECKING:
    from costclose.posting.service import PostingSummary
    from costclose.posting.targets import Target

log = logging.getLogger(__name__)

DBT_ENV_KEYS = (
    "COSTCLOSE_PG_HOST",
    "COSTCLOSE_PG_PORT",
    "COSTCLOSE_PG_USER",
    "COSTCLOSE_PG_DBNAME",
    "COSTCLOSE_PG_ROLE",
)


def configured_companies() -> list[str]:
    from costclose.companies import load_companies

    names = list(load_companies())
    if not names:
        raise CostcloseError(
            "No company is configured: seed the demo company (`costclose demo-erp seed`) or add one with "
            "`costclose extract --company NAME --source URL`."
        )
    return names


def close_context(
    period_end: str | None, data_interval_start: datetime | None, companies: list[str] | None
) -> dict[str, Any]:
    """Which period and companies a close run works on, and dbt's connection (host/port/db/user only)."""
    from costclose.transform.dbt import profile_env

    period = period_for_run(period_end, data_interval_start)
    env = profile_env(step_url("transform"))
    return {
        **period.as_dict(),
        "companies": companies or configured_companies(),
        "dbt_env": {k: env[k] for k in DBT_ENV_KEYS},
    }


def extract(
    company: str, *, full: bool = False, verify: bool = False, source_url: str | None = None
) -> dict[str, Any]:
    """Load the company's ledgers into raw, incrementally (``full``: everything again).

    ``verify``: compare every control figure with the source's, not only the slices this load changed
    (DECISIONLOG 21). The close's own extraction verifies: the nightly loads compare what changed, and a
    period is closed on totals compared over the company's whole history.
    """
    from costclose.companies import get_company
    from costclose.landing.loader import load
    from costclose.sources import open_source

    url = source_url or get_company(company).source_url()
    report = load(open_source(url), company, full=full, verify=verify, warehouse_url=step_url("extract"))
    return {
        "company": company,
        "rows": report.upserted,
        "deleted": report.deleted,
        "quarantined": report.quarantined,
        "quarantine_open": report.quarantine_open,
        "seconds": round(report.seconds, 2),
    }


def forget_company(company: str) -> None:
    """Remove a company's rows from the warehouse (raw, watermarks, posting ledger): it starts over."""
    from psycopg2 import sql

    with db.connect(db.database_url("warehouse")) as conn, conn.cursor() as cur:
        cur.execute(
            "select c.table_schema, c.table_name from information_schema.columns c"
            " join information_schema.tables t using (table_schema, table_name)"
            " where c.column_name = 'company' and t.table_type = 'BASE TABLE'"
            " and c.table_schema in ('raw', 'landing', 'posting', 'validation')"
        )
        tables = cur.fetchall()
        for schema, table in tables:
            cur.execute(
                sql.SQL("delete from {}.{} where company = %s").format(
                    sql.Identifier(schema), sql.Identifier(table)
                ),
                (company,),
            )
    log.info("forgot %s in the warehouse (%d tables)", company, len(tables))


def build(period: str | None = None, company: str | None = None) -> dict[str, Any]:
    """dbt build (models + tests) for one period (or everything)."""
    from costclose.transform.dbt import build as dbt_build

    run = dbt_build(step_url("transform"), period=period, company=company)
    return {"period": period, "nodes": len(run.nodes), "success": run.success}


def gate(company: str, period: str, stage: str, *, stop: bool) -> dict[str, Any]:
    """Run a validation stage; with ``stop`` a failure raises (the close must not go on)."""
    from costclose.validation.runner import GateFailedError, run

    result = run(company, period, stage=stage)
    if stop and not result.success:
        raise GateFailedError(result)
    return {
        "success": result.success,
        "failed_checks": ", ".join(c.key for c in result.failures),
        "data_docs": result.data_docs_path,
        "run_id": result.run_id,
    }


def post(
    company: str, period: str, *, target: str | None = None, dry_run: bool = True, out_dir: Path | None = None
) -> dict[str, Any]:
    """Post (or preview) the company's adjusting journal up to the period end, exactly once."""
    from costclose.posting.service import post_period

    if not dry_run:
        from costclose.landing.quarantine import quarantine_status

        status = quarantine_status(company, warehouse_url=step_url("extract"))
        if status.blocks_posting:
            raise CostcloseError(f"Posting stopped: {status.message()}")
    out = out_dir or output_dir(company, period)
    tgt = _posting_target(company, target, out)
    summary = post_period(company, parse_period(period), tgt, dry_run=dry_run)
    out.mkdir(parents=True, exist_ok=True)
    _write_csv(
        out / "adjusting_journal.csv",
        [
            "company",
            "document_no",
            "posting_date",
            "gl_account_no",
            "amount",
            "description",
            "value_entry_nos",
        ],
        [
            [
                company,
                ln.document_no,
                ln.posting_date,
                ln.account_no,
                ln.amount,
                ln.description,
                " ".join(map(str, ln.value_entry_nos)),
            ]
            for ln in summary.lines
        ],
    )
    _write_csv(
        out / "skipped_entries.csv",
        ["company", "value_entry_no", "cost_part", "amount", "reason"],
        [[company, s["value_entry_no"], s["cost_part"], s["amount"], s["reason"]] for s in summary.skipped],
    )
    return summary.as_dict()


def _posting_target(company: str, target: str | None, out: Path) -> Target:
    """The company's posting target (``target`` overrides the configured one)."""
    from costclose.companies import get_company
    from costclose.posting.targets import target_for

    configured = get_company(company).posting_target_url() or "file"
    spec = target or configured
    if spec == "bc_api" and configured.startswith("bc_api:"):
        spec = configured  # --target bc_api: the company's configured BC API
    erp_url = db.database_url("erp") if spec == "erp" else None
    return target_for(spec, erp_url=erp_url, out_dir=out)


def preview_journal(company: str, period: str, *, target: str | None = None) -> PostingSummary:
    """The journal a post would send right now (a dry run of the posting service, nothing written)."""
    from costclose.posting.service import post_period

    tgt = _posting_target(company, target, output_dir(company, period))
    return post_period(company, parse_period(period), tgt, dry_run=True)


def output_dir(company: str, period: str) -> Path:
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in company)
    return settings().outputs_dir / safe / period


def _write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


RECON_SQL = """
select matrix_row, inventory, inventory_interim, wip_inventory, total, gl_total, difference, warning
from marts.fct_inventory_gl_reconciliation
where company = %s and period_start = %s and date_filter = 'period'
order by row_no
"""


def reconciliation(company: str, period: Period) -> list[dict[str, Any]]:
    """BC's Inventory - G/L Reconciliation matrix of the period, one dict per row."""
    with db.connect(step_url("bi")) as conn, conn.cursor() as cur:
        cur.execute(RECON_SQL, (company, period.start))
        cols = [d.name for d in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def write_close_outputs(company: str, period: str, out_dir: Path | None = None) -> dict[str, Any]:
    """gl_reconciliation.csv (long form: row x column with inventory, G/L, difference, warning)."""
    p = parse_period(period)
    out = out_dir or output_dir(company, period)
    rows = reconciliation(company, p)
    long: list[list[Any]] = []
    for r in rows:
        for column, key in (
            ("Inventory", "inventory"),
            ("Inventory (Interim)", "inventory_interim"),
            ("WIP Inventory", "wip_inventory"),
        ):
            long.append([company, period, r["matrix_row"], column, r[key], None, None, None])
        long.append(
            [
                company,
                period,
                r["matrix_row"],
                "Total",
                r["total"],
                r["gl_total"],
                r["difference"],
                r["warning"],
            ]
        )
    _write_csv(
        out / "gl_reconciliation.csv",
        ["company", "period", "row", "column", "inventory", "gl", "difference", "warning"],
        long,
    )
    difference = next((r["difference"] for r in rows if r["matrix_row"] == "Total"), Decimal(0))
    return {"company": company, "period": period, "out_dir": str(out), "total_difference": str(difference)}


def close_pack(company: str, period: str, out_dir: Path | None = None) -> dict[str, Any]:
    """The close pack (BC's reports as CSV, close_pack.xlsx, index.html, validation.json) of a close."""
    from costclose.report import write_close_pack

    return write_close_pack(company, parse_period(period).key, out_dir)


LAST_POSTING_SQL = """
select status, line_count, debit_total
from posting.posting_run
where company = %s and period = %s
order by status = 'recorded' desc, started_at desc
limit 1
"""


def notify(company: str, period: str, out_dir: Path | None = None) -> dict[str, Any]:
    """Mail the company's recipients how the close ended: per-account reconciliation, posting, pack."""
    from costclose.alerts.close_notice import send_close_notice
    from costclose.report import summary_table

    p = parse_period(period)
    out = out_dir or output_dir(company, p.key)
    with db.connect(step_url("posting")) as conn, conn.cursor() as cur:
        cur.execute("select to_regclass('posting.posting_run') is not null")
        posting = None
        if cur.fetchone()[0]:
            cur.execute(LAST_POSTING_SQL, (company, p.key))
            row = cur.fetchone()
            if row is not None:
                posting = dict(zip(("status", "line_count", "debit_total"), row, strict=True))
    pack = {"index_html": str(out / "index.html")} if (out / "index.html").exists() else {}
    return send_close_notice(company, p.key, pack, summary_table(company, p.key), posting)

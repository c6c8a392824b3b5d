"""``run``: validate one company and period, store the result, write its Data Docs page, then mail.

Order matters for "nothing lost": the result is committed to ``validation.result`` before the Data
Docs page is written and before any email is attempted. A mail server that is down makes ``run``
raise ``AlertDeliveryError`` (the Airflow task fails visibly) with the stored result attached.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from costclose import db, logging_setup
from costclose.config import settings
from costclose.errors import CostcloseError
from costclose.period import Period, parse_period
from costclose.security.session import step_url
from costclose.validation import data_docs, gx_engine, store
from costclose.validation.model import Scope, Stage, ValidationResult
from costclose.validation.suites import suites_for

log = logging.getLogger(__name__)


def data_docs_root() -> Path:
    return settings().outputs_dir / "data_docs"


def _run_id(scope: Scope, stage: Stage, started: datetime) -> str:
    return f"{started:%Y%m%dT%H%M%S}-{scope.period.key}-{stage.value}-{uuid.uuid4().hex[:8]}"


def validate(
    scope: Scope, stage: Stage, warehouse_url: str, airflow_run_url: str | None = None
) -> ValidationResult:
    """Run the stage's suites and return the result (nothing stored, nothing sent)."""
    logging_setup.quiet()  # before the suites import GX: its import logs an INFO flood
    started = datetime.now(UTC)
    run_id = _run_id(scope, stage, started)
    with db.connect(warehouse_url) as conn:
        suites = suites_for(stage, scope, conn)
    checks = gx_engine.run_suites(warehouse_url, suites, run_id)
    return ValidationResult(
        run_id=run_id,
        company=scope.company,
        period=scope.period.key,
        stage=stage.value,
        tolerance=str(scope.tolerance),
        started_at=started,
        finished_at=datetime.now(UTC),
        checks=checks,
        airflow_run_url=airflow_run_url,
    )


def run(
    company: str,
    period: str | Period,
    *,
    stage: Stage | str = Stage.PRE_POSTING,
    warehouse_url: str | None = None,
    tolerance: Decimal | None = None,
    recipients: Sequence[str] | None = None,
    send_success_email: bool | None = None,
    airflow_run_url: str | None = None,
    notify: bool = True,
    docs_root: Path | None = None,
    smtp_conn_id: str | None = None,
) -> ValidationResult:
    """Validate ``company`` for ``period`` at ``stage``; store, document and (if needed) mail the result.

    Tolerance, recipients and the success-email flag default to the company's configuration
    (``costclose.yml``), else 0.00, nobody, and no success email.
    """
    from costclose.alerts import AlertDeliveryError, send_validation_email
    from costclose.alerts.recipients import company_alerting

    stage = Stage(stage)
    period = parse_period(period) if isinstance(period, str) else period
    configured = company_alerting(company)
    scope = Scope(company, period, configured.tolerance if tolerance is None else tolerance)
    to = list(configured.recipients if recipients is None else recipients)
    success_mail = configured.send_success_email if send_success_email is None else send_success_email
    url = warehouse_url or step_url("validate")
    root = docs_root or data_docs_root()

    result = validate(scope, stage, url, airflow_run_url)
    with db.connect(url) as conn:
        store.save(conn, result)
    log.info("validation %s: %s (%d failed checks)", result.run_id, result.success, len(result.failures))

    try:
        page = data_docs.write_page(root, result)
        result.data_docs_path = str(page)
        with db.connect(url) as conn:
            store.set_data_docs(conn, result.run_id, str(page))
    except OSError as exc:
        # the result is stored; its page can be written again from validation.result
        log.error("Data Docs not written to %s: %s", root, exc)

    if not notify:
        status, detail = "not_requested", "run without notification"
    elif result.success and not success_mail:
        status, detail = "not_needed", None
    elif not to:
        status, detail = "no_recipients", "no alert recipients configured for the company"
        log.warning("%s %s: %s", company, period.key, detail)
    else:
        try:
            send_validation_email(result, to, warehouse_url=url, data_docs_root=root, conn_id=smtp_conn_id)
        except AlertDeliveryError as exc:
            with db.connect(url) as conn:
                store.set_alert_status(conn, result.run_id, "failed", str(exc))
            _refresh_index(url, root)
            exc.result = result  # type: ignore[attr-defined]
            raise
        status, detail = "sent", f"to {len(to)} recipient(s)"
    with db.connect(url) as conn:
        store.set_alert_status(conn, result.run_id, status, detail)
    _refresh_index(url, root)
    return result


class GateFailedError(CostcloseError):
    """A validation gate failed: the close stops here (the result is stored and was mailed)."""

    def __init__(self, result: ValidationResult) -> None:
        failed = ", ".join(c.key for c in result.failures)
        super().__init__(
            f"{result.company} {result.period}: the {result.stage} gate failed ({failed}). See the Data Docs "
            f"page {result.data_docs_path} or validation.result run {result.run_id}; fix the cause, rebuild, "
            "and run the close again."
        )
        self.result = result


def run_url_from_context(context: Mapping[str, Any]) -> str | None:
    """The Airflow run's URL, from a task's context (the task log URL without its task part)."""
    ti = context.get("ti") or context.get("task_instance")
    log_url = getattr(ti, "log_url", None)
    return log_url.split("/tasks/")[0] if log_url else None


def gate(company: str, period: str | Period, stage: Stage | str, **kwargs: Any) -> dict[str, Any]:
    """``run`` for a DAG task: a small JSON-able summary when the gate passes, else ``GateFailedError``."""
    result = run(company, period, stage=stage, **kwargs)
    if not result.success:
        raise GateFailedError(result)
    return {
        "run_id": result.run_id,
        "company": result.company,
        "period": result.period,
        "stage": result.stage,
        "checks": len(result.checks),
        "data_docs": result.data_docs_path,
    }


def _refresh_index(url: str, root: Path) -> None:
    """Rewrite Data Docs' index.html from every stored run (with its final alert status)."""
    try:
        with db.connect(url) as conn:
            runs = store.history(conn)
        data_docs.write_index(root, runs)
    except OSError as exc:
        log.error("Data Docs index not written to %s: %s", root, exc)  # the runs stay in the warehouse

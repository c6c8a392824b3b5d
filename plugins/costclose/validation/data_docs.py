"""Data Docs: one static HTML page per validation run, plus an index of every run.

GX's own ``SiteBuilder`` does work with an ephemeral context (tried with ``add_data_docs_site`` and
``UpdateDataDocsAction``), but it renders one page per suite and batch rather than per run, and it
rebuilds its index from the context's in-memory results store, so each process's index forgets every
earlier run. The close needs one page per run that an alert email can link to, and an index of all
runs, which lives in the warehouse (``validation.result``). So this small renderer writes both from
costclose's own stored results; the pages carry the same content GX's would (each expectation, its
outcome, the observed value and the breaking rows).

Pages go to ``COSTCLOSE_HOME/out/data_docs/`` (``<company>/<period>/<run_id>.html`` and ``index.html``).
"""

from __future__ import annotations

import hashlib
import html
import re
from pathlib import Path
from typing import Any

from costclose.validation.model import CheckOutcome, ValidationResult

MAX_ROWS_SHOWN = 50

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}
td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;font-size:.9rem}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.pass{color:#186a3b;font-weight:600}.fail{color:#a01010;font-weight:600}
h2{margin-top:2rem}code{background:#f4f4f4;padding:0 .2rem}
"""


def company_slug(company: str) -> str:
    """A file-system-safe folder name for any company name (quotes, slashes, unicode)."""
    readable = re.sub(r"[^A-Za-z0-9._-]+", "_", company).strip("._") or "company"
    digest = hashlib.sha256(company.encode()).hexdigest()[:8]
    return f"{readable[:40]}-{digest}"


def page_path(root: Path, result: ValidationResult) -> Path:
    return root / company_slug(result.company) / result.period / f"{result.run_id}.html"


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value))


def _status(ok: bool) -> str:
    return '<span class="pass">PASS</span>' if ok else '<span class="fail">FAIL</span>'


def _rows_table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return ""
    columns = list(dict.fromkeys(k for r in rows for k in r))
    head = "".join(f"<th>{_e(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{_e(r.get(c))}</td>" for c in columns) + "</tr>" for r in rows[:MAX_ROWS_SHOWN]
    )
    more = f"<p>{len(rows) - MAX_ROWS_SHOWN} more rows not shown.</p>" if len(rows) > MAX_ROWS_SHOWN else ""
    return f"<table><tr>{head}</tr>{body}</table>{more}"


def _check_html(c: CheckOutcome) -> str:
    detail = f"<p><b>Error:</b> {_e(c.error)}</p>" if c.error else ""
    count = "" if c.unexpected_count is None else f"; unexpected: {_e(c.unexpected_count)}"
    return (
        f'<h3 id="{_e(c.key)}">{_status(c.success)} <code>{_e(c.key)}</code></h3>'
        f"<p>{_e(c.description)} (observed: {_e(c.observed)}{count})</p>{detail}"
        f"{'' if c.success else _rows_table(c.rows)}"
    )


def render_page(result: ValidationResult) -> str:
    suites: dict[str, list[CheckOutcome]] = {}
    for c in result.checks:
        suites.setdefault(c.suite, []).append(c)
    summary = "".join(
        f"<tr><td>{_status(c.success)}</td><td><a href='#{_e(c.key)}'>{_e(c.key)}</a></td>"
        f"<td>{_e(c.suite)}</td><td class='num'>{_e(c.unexpected_count)}</td></tr>"
        for c in result.checks
    )
    sections = "".join(
        f"<h2>Suite <code>{_e(name)}</code></h2>" + "".join(_check_html(c) for c in checks)
        for name, checks in suites.items()
    )
    airflow = (
        f"<p>Airflow run: <a href='{_e(result.airflow_run_url)}'>{_e(result.airflow_run_url)}</a></p>"
        if result.airflow_run_url
        else ""
    )
    title = f"{result.company} {result.period} {result.stage}"
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{_e(title)}</title>"
        f"<style>{_STYLE}</style></head><body>"
        f"<p><a href='../../index.html'>All validation runs</a></p>"
        f"<h1>{_status(result.success)} {_e(title)}</h1>"
        f"<p>Run <code>{_e(result.run_id)}</code>, {_e(result.started_at.isoformat())} to "
        f"{_e(result.finished_at.isoformat())}; tolerance {_e(result.tolerance)}; "
        f"{len(result.failures)} of {len(result.checks)} checks failed.</p>{airflow}"
        f"<table><tr><th>status</th><th>check</th><th>suite</th><th>unexpected</th></tr>{summary}</table>"
        f"{sections}</body></html>"
    )


def render_index(runs: list[dict[str, Any]], root: Path) -> str:
    rows = []
    for r in runs:
        path = r.get("data_docs_path")
        link = _e(Path(path).relative_to(root)) if path and Path(path).is_relative_to(root) else None
        name = f"<a href='{link}'>{_e(r['run_id'])}</a>" if link else _e(r["run_id"])
        rows.append(
            f"<tr><td>{_status(bool(r['success']))}</td><td>{_e(r['company'])}</td><td>{_e(r['period'])}</td>"
            f"<td>{_e(r['stage'])}</td><td>{_e(r['finished_at'])}</td><td>{name}</td>"
            f"<td>{_e(r.get('alert_status'))}</td></tr>"
        )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>costclose Data Docs</title>"
        f"<style>{_STYLE}</style></head><body><h1>costclose validation runs</h1>"
        "<table><tr><th>status</th><th>company</th><th>period</th><th>stage</th><th>finished</th>"
        f"<th>run</th><th>alert</th></tr>{''.join(rows)}</table></body></html>"
    )


def write_page(root: Path, result: ValidationResult) -> Path:
    path = page_path(root, result)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_page(result), encoding="utf-8")
    return path


def write_index(root: Path, runs: list[dict[str, Any]]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    path = root / "index.html"
    path.write_text(render_index(runs, root), encoding="utf-8")
    return path

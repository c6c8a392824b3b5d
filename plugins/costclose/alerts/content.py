"""The words and tables of costclose's emails: plain text and HTML with the same content.

Nothing secret goes in: company, period, accounts, amounts, entry numbers and links only; error texts
pass through ``scrub`` (URL passwords and ``password=``/``token=`` style values masked).
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from costclose.alerts.evidence import TIE_OUT_CHECKS, AccountFailure, account_label
from costclose.validation.model import ValidationResult
from costclose.validation.redaction import scrub

SUBJECT_MAX = 200


@dataclass(frozen=True)
class Email:
    subject: str
    text: str
    html: str


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value))


def text_table(
    headers: Sequence[str], rows: Sequence[Sequence[object]], numeric: set[int] | None = None
) -> str:
    """A fixed-width table; columns in ``numeric`` are right-aligned."""
    numeric = numeric or set()
    cells = [[("" if v is None else str(v)) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            v.rjust(w) if i in numeric else v.ljust(w)
            for i, (v, w) in enumerate(zip(values, widths, strict=True))
        ).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in cells)])


def html_table(
    headers: Sequence[str], rows: Sequence[Sequence[object]], numeric: set[int] | None = None
) -> str:
    numeric = numeric or set()
    head = "".join(
        f"<th style='text-align:left;border:1px solid #ccc;padding:4px'>{_e(h)}</th>" for h in headers
    )
    body = "".join(
        "<tr>"
        + "".join(
            f"<td style='border:1px solid #ccc;padding:4px;text-align:{'right' if i in numeric else 'left'}'>"
            f"{_e(v)}</td>"
            for i, v in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table style='border-collapse:collapse'><tr>{head}</tr>{body}</table>"


def _what_failed(result: ValidationResult, accounts: list[AccountFailure]) -> list[str]:
    parts: list[str] = []
    if accounts:
        names = ", ".join(account_label(a.g_l_account_no) for a in accounts[:5])
        names += ", ..." if len(accounts) > 5 else ""
        parts.append(f"inventory <> G/L on {len(accounts)} account(s) ({names})")
    parts += [c.key for c in result.failures if c.key not in TIE_OUT_CHECKS]
    return parts


def validation_subject(result: ValidationResult, accounts: list[AccountFailure]) -> str:
    head = f"[costclose] {result.company} {result.period} {result.stage}"
    if result.success:
        return f"{head}: passed"
    subject = f"{head} FAILED: " + "; ".join(_what_failed(result, accounts))
    return subject if len(subject) <= SUBJECT_MAX else subject[: SUBJECT_MAX - 3] + "..."


ACCOUNT_HEADERS = [
    "G/L account",
    "inventory",
    "G/L",
    "difference",
    "proposed journal",
    "unexplained",
    "BC warning",
]
VE_HEADERS = [
    "value entry",
    "posting date",
    "item",
    "entry type",
    "document",
    "part",
    "to post",
    "account",
    "bal. account",
    "skip reason",
]
GL_HEADERS = ["G/L entry", "posting date", "account", "document", "description", "amount", "reason"]


def _account_rows(accounts: list[AccountFailure]) -> list[list[object]]:
    return [
        [a.g_l_account_no, a.inventory, a.gl, a.difference, a.proposed, a.unexplained, a.warning]
        for a in accounts
    ]


def _ve_rows(a: AccountFailure) -> list[list[object]]:
    keys = [
        "value_entry_no",
        "posting_date",
        "item_no",
        "entry_type",
        "document_no",
        "cost_part",
        "amount_to_post",
        "account_no",
        "bal_account_no",
        "skip_reason",
    ]
    return [[r.get(k) for k in keys] for r in a.value_entries]


def _gl_rows(a: AccountFailure) -> list[list[object]]:
    keys = [
        "g_l_entry_no",
        "posting_date",
        "g_l_account_no",
        "document_no",
        "description",
        "amount",
        "reason",
    ]
    return [[r.get(k) for k in keys] for r in a.gl_entries]


def _links(result: ValidationResult, data_docs_url: str | None) -> list[tuple[str, str]]:
    links = []
    if data_docs_url:
        links.append(("Data Docs", data_docs_url))
    if result.airflow_run_url:
        links.append(("Airflow run", result.airflow_run_url))
    return links


def data_docs_link(
    result: ValidationResult, base_url: str | None = None, root: Path | None = None
) -> str | None:
    """The page's URL: ``base_url`` + its path under the Data Docs root, else a file:// URI."""
    if not result.data_docs_path:
        return None
    path = Path(result.data_docs_path)
    if base_url and root is not None and path.is_relative_to(root):
        return base_url.rstrip("/") + "/" + path.relative_to(root).as_posix()
    return path.resolve().as_uri()


def validation_email(
    result: ValidationResult, accounts: list[AccountFailure], data_docs_url: str | None = None
) -> Email:
    """The alert (or success note) for one company and period."""
    subject = validation_subject(result, accounts)
    links = _links(result, data_docs_url)
    intro = f"The {result.stage} validation of {result.company} for {result.period} " + (
        "passed." if result.success else "FAILED. The close stops before posting until this is resolved."
    )
    failed = [c for c in result.failures if c.key not in TIE_OUT_CHECKS]
    num = {1, 2, 3, 4, 5}
    text = [intro, ""]
    parts = [f"<p>{_e(intro)}</p>"]
    if accounts:
        text += [
            "Failing G/L accounts (inventory = what the value entries imply):",
            "",
            text_table(ACCOUNT_HEADERS, _account_rows(accounts), num),
            "",
        ]
        parts += ["<h3>Failing G/L accounts</h3>", html_table(ACCOUNT_HEADERS, _account_rows(accounts), num)]
        for a in accounts:
            title = f"Account {account_label(a.g_l_account_no)}: BC warning {a.warning or '(none)'}"
            text += [title + (f" - {a.warning_text}" if a.warning_text else "")]
            parts += [f"<h4>{_e(title)}</h4>" + (f"<p>{_e(a.warning_text)}</p>" if a.warning_text else "")]
            if a.value_entries:
                text += ["  Top value entries not yet in G/L:", text_table(VE_HEADERS, _ve_rows(a), {6})]
                parts += ["<p>Top value entries not yet in G/L</p>", html_table(VE_HEADERS, _ve_rows(a), {6})]
            if a.gl_entries:
                text += [
                    "  Top G/L entries no value entry explains:",
                    text_table(GL_HEADERS, _gl_rows(a), {5}),
                ]
                parts += [
                    "<p>Top G/L entries no value entry explains</p>",
                    html_table(GL_HEADERS, _gl_rows(a), {5}),
                ]
            if not a.value_entries and not a.gl_entries:
                text += ["  (no drill-down rows for this account)"]
            text += [""]
    if failed:
        rows = [[c.key, c.unexpected_count, scrub(c.error or c.description)] for c in failed]
        text += ["Other failed checks:", text_table(["check", "unexpected", "detail"], rows, {1}), ""]
        parts += ["<h3>Other failed checks</h3>", html_table(["check", "unexpected", "detail"], rows, {1})]
    for label, url in links:
        text.append(f"{label}: {url}")
        parts.append(f"<p>{_e(label)}: <a href='{_e(url)}'>{_e(url)}</a></p>")
    text.append(f"Run id: {result.run_id}")
    parts.append(f"<p>Run id: {_e(result.run_id)}</p>")
    return Email(subject, "\n".join(text) + "\n", "<html><body>" + "".join(parts) + "</body></html>")


def task_failure_email(facts: Mapping[str, Any]) -> Email:
    """The task-failure note: which DAG, task, run and try failed, with the scrubbed error."""
    subject = f"[costclose] task failed: {facts.get('dag_id')}.{facts.get('task_id')}"
    if facts.get("companies"):
        subject += f" ({', '.join(facts['companies'])} {facts.get('period') or ''})".rstrip()
    rows = [[k, scrub(str(v))] for k, v in facts.items() if v not in (None, "", [])]
    text = "A costclose task failed.\n\n" + text_table(["", ""], rows) + "\n"
    body = "<html><body><p>A costclose task failed.</p>" + html_table(["", ""], rows) + "</body></html>"
    return Email(subject[:SUBJECT_MAX], text, body)

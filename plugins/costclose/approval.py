"""Whether a close needs a controller's approval before it posts, and what the controller is shown.

A post needs approval (issue 7) when, for any company of the run,

* the journal's absolute total -- its debit total, which equals its credit total since every document
  balances -- exceeds the company's ``approval_threshold`` (``costclose.yml``, default 10000), or
* unexplained differences exist: G/L accounts where inventory (what the value entries imply) differs
  from the G/L *plus the proposed journal* -- direct postings to inventory accounts, deleted accounts,
  posting-group changes, entries the batch must skip. The journal never contains them (it is built
  from value entries only), so they are never posted automatically; the pre-posting gate has already
  stored and mailed them (``costclose.validation.run``), and the approval shows them again.

Dry runs never need approval. In Airflow the approval is the standard provider's ``ApprovalOperator``
(``dags/inventory_close.py``); on the command line it is ``costclose close --post --approve``.

The gates here wrap ``costclose.validation.run``: before posting, a failing tie-out whose only cause is
unexplained differences does not stop the close -- it asks for approval instead; every other failing
check still stops it. After an approved post, the tie-out may fail by exactly the differences the
controller acknowledged and by nothing else.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from costclose import db
from costclose.errors import CostcloseError
from costclose.period import parse_period
from costclose.security.session import step_url

log = logging.getLogger(__name__)

# Stable check keys of expectations/tie_out.py (the expectations folder is loaded by path, not imported).
UNEXPLAINED_CHECK = "tie_out.inventory_equals_gl_plus_journal"
POST_POSTING_TIE_OUT = "tie_out.inventory_equals_gl"

UNEXPLAINED_GL_ENTRIES_SQL = """
select reason, count(*) as entries, coalesce(sum(amount) filter (where amount > 0), 0) as debit
from marts.fct_reconciliation_unexplained_gl_entries
where company = %s and period_start = %s
group by reason
order by reason
"""


class ApprovalRequiredError(CostcloseError):
    """``costclose close --post`` without ``--approve`` on a journal that needs a controller's approval."""


@dataclass(frozen=True)
class Difference:
    """One G/L account the proposed journal does not explain (amounts as exact decimal strings)."""

    account: str | None
    inventory: str
    gl: str
    proposed: str
    unexplained: str

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Difference:
        return cls(
            account=row.get("g_l_account_no"),
            inventory=str(row.get("inventory_amount")),
            gl=str(row.get("g_l_amount")),
            proposed=str(row.get("proposed_amount")),
            unexplained=str(row.get("unexplained_difference")),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "inventory": self.inventory,
            "gl": self.gl,
            "proposed": self.proposed,
            "unexplained": self.unexplained,
        }


def pre_posting_gate(
    company: str, period: str, *, stop: bool = True, airflow_run_url: str | None = None
) -> dict[str, Any]:
    """The pre-posting gate, where unexplained differences call for approval instead of stopping.

    With ``stop``, any other failing check raises ``GateFailedError`` (the close must not go on).
    Returns a JSON-able summary including the unexplained differences.
    """
    from costclose.validation.runner import GateFailedError, run

    result = run(company, period, stage="pre-posting", airflow_run_url=airflow_run_url)
    blocking = [c.key for c in result.failures if c.key != UNEXPLAINED_CHECK]
    if blocking and stop:
        raise GateFailedError(result)
    unexplained: list[dict[str, Any]] = []
    unexplained_count = 0
    tie_out = next((c for c in result.failures if c.key == UNEXPLAINED_CHECK), None)
    if tie_out is not None:
        unexplained = [Difference.from_row(r).as_dict() for r in tie_out.rows]
        unexplained_count = max(tie_out.unexpected_count or 0, len(unexplained))
        log.warning(
            "%s %s: %d G/L account(s) with unexplained differences; posting needs approval",
            company,
            period,
            unexplained_count,
        )
    return {
        "run_id": result.run_id,
        "company": company,
        "period": parse_period(period).key,
        "success": result.success,
        "blocking_failures": blocking,
        "unexplained": unexplained,
        "unexplained_count": unexplained_count,
        "data_docs": result.data_docs_path,
    }


def _unexplained_gl_entries(company: str, period: str) -> list[dict[str, Any]]:
    with db.connect(step_url("bi")) as conn, conn.cursor() as cur:
        cur.execute(UNEXPLAINED_GL_ENTRIES_SQL, (company, parse_period(period).start))
        return [{"reason": r, "entries": int(n), "debit": str(d)} for r, n, d in cur.fetchall()]


def review(company: str, period: str, gate: dict[str, Any], *, target: str | None = None) -> dict[str, Any]:
    """What the controller decides on for one company: the journal a post would send now, the
    unexplained differences, and whether approval is needed (and why)."""
    from costclose import pipeline
    from costclose.companies import get_company

    threshold = get_company(company).approval_threshold
    journal = pipeline.preview_journal(company, period, target=target)
    per_account: dict[str, Decimal] = {}
    for line in journal.lines:  # a summary for display; the amounts themselves come from dbt
        per_account[line.account_no] = per_account.get(line.account_no, Decimal(0)) + line.amount
    reasons: list[str] = []
    if journal.debit_total > threshold:
        reasons.append(
            f"journal debit total {journal.debit_total:,.2f} exceeds the threshold {threshold:,.2f}"
        )
    if gate["unexplained_count"]:
        reasons.append(f"{gate['unexplained_count']} G/L account(s) with unexplained differences")
    return {
        "company": company,
        "period": parse_period(period).key,
        "target": journal.target,
        "line_count": len(journal.lines),
        "debit_total": str(journal.debit_total),
        "approval_threshold": str(threshold),
        "accounts": [[acc, str(amount)] for acc, amount in sorted(per_account.items())],
        "skipped_count": len(journal.skipped),
        "unexplained": gate["unexplained"],
        "unexplained_count": gate["unexplained_count"],
        "unexplained_gl_entries": _unexplained_gl_entries(company, period),
        "gate_run_id": gate["run_id"],
        "data_docs": gate["data_docs"],
        "needs_approval": bool(reasons),
        "reasons": reasons,
    }


def subject(reviews: list[dict[str, Any]]) -> str:
    period = reviews[0]["period"] if reviews else "?"
    waiting = [r["company"] for r in reviews if r["needs_approval"]]
    return f"Inventory cost close {period}: approve posting for {', '.join(waiting) or 'no company'}?"


def _md(text: object) -> str:
    """Escape Markdown table delimiters in a value shown in the approval body."""
    return str(text).replace("|", "\\|")


def body(reviews: list[dict[str, Any]]) -> str:
    """The approval request in Markdown (the Required Actions page renders it), one section per company."""
    out = [
        "Approve to post the adjusting journals below; reject to end the run without posting. "
        "Unexplained differences are never posted: they stay in the reconciliation until someone "
        "corrects them in Business Central.",
        "",
    ]
    for r in reviews:
        out += [
            f"### {_md(r['company'])} — {r['period']}",
            "",
            f"**Needs approval:** {_md('; '.join(r['reasons']) or 'no')}",
            "",
            f"**Journal:** {r['line_count']} lines, debit total {Decimal(r['debit_total']):,.2f} "
            f"(threshold {Decimal(r['approval_threshold']):,.2f}), target `{_md(r['target'])}`, "
            f"{r['skipped_count']} skipped entries",
            "",
        ]
        if r["accounts"]:
            out += ["| G/L account | net amount |", "|---|---:|"]
            out += [f"| {_md(acc)} | {Decimal(amount):,.2f} |" for acc, amount in r["accounts"]]
            out.append("")
        if r["unexplained"]:
            out += [
                f"**Unexplained differences** ({r['unexplained_count']} account(s); not posted):",
                "",
                "| G/L account | inventory | G/L | proposed | unexplained |",
                "|---|---:|---:|---:|---:|",
            ]
            out += [
                f"| {_md(d['account'] if d['account'] is not None else '(not resolved)')} | {d['inventory']} "
                f"| {d['gl']} | {d['proposed']} | {d['unexplained']} |"
                for d in r["unexplained"]
            ]
            out.append("")
        if r["unexplained_gl_entries"]:
            out.append(
                "G/L entries no value entry explains in the period: "
                + ", ".join(
                    f"{_md(e['reason'])}: {e['entries']} entries, debit {Decimal(e['debit']):,.2f}"
                    for e in r["unexplained_gl_entries"]
                )
            )
            out.append("")
        if r["data_docs"]:
            out += [f"Pre-posting gate: run `{r['gate_run_id']}`, Data Docs `{_md(r['data_docs'])}`", ""]
    return "\n".join(out)


def post_posting_gate(
    company: str,
    period: str,
    acknowledged: list[dict[str, Any]],
    *,
    airflow_run_url: str | None = None,
) -> dict[str, Any]:
    """The post-posting tie-out, tolerating exactly the unexplained differences a controller approved.

    After the approved journal is posted, an account's G/L - inventory must equal minus its
    acknowledged unexplained difference (inventory - G/L - proposed before posting), and no other
    account may differ; any other failing check raises ``GateFailedError``.
    """
    from costclose.validation.runner import GateFailedError, run

    result = run(company, period, stage="post-posting", airflow_run_url=airflow_run_url)
    expected = {d["account"]: -Decimal(d["unexplained"]) for d in acknowledged}
    remaining: list[dict[str, Any]] = []
    for check in result.failures:
        if check.key != POST_POSTING_TIE_OUT or (check.unexpected_count or 0) > len(check.rows):
            raise GateFailedError(result)
        for row in check.rows:
            account = row.get("g_l_account_no")
            if account not in expected or Decimal(str(row.get("difference"))) != expected[account]:
                raise GateFailedError(result)
            remaining.append({"account": account, "difference": str(row.get("difference"))})
    return {
        "run_id": result.run_id,
        "company": company,
        "period": parse_period(period).key,
        "success": result.success,
        "acknowledged_differences": remaining,
        "data_docs": result.data_docs_path,
    }

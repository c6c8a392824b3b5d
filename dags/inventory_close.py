"""
### inventory_close — the period-end inventory cost close

For the accounting period that ends at the run's data interval (monthly schedule), or the explicit
`period_end` (`YYYY-MM`) of a manual run:

1. **resolve_period** — which period, which companies (`costclose.yml`), the warehouse connection
   for dbt (host, port, database and user; never a password);
2. **extract** — one mapped task per company makes sure the raw ledgers are current (incremental
   from the last watermark, every control total compared with the source, not only the changed slices);
3. **dbt** — astronomer-cosmos builds every model with its tests for that period: the Inventory
   Valuation, WIP, Cost Spec. and Cost Shares marts, the Inventory - G/L Reconciliation and the
   adjusting journal (`marts/outbound`);
4. **gate_pre_posting** — per company, the Great Expectations gate: raw landing and outbound journal
   checks, and inventory = G/L + the proposed journal per G/L account. A failing check stops the close
   before anything is posted and mails the company's recipients — except *unexplained differences*
   (accounts where inventory ≠ G/L + journal: direct postings, deleted accounts, skipped entries):
   they are stored and mailed the same way, never posted, and call for approval instead;
5. **review** — for every company the journal a post would send now (lines, debit total, net amount
   per G/L account, skipped entries) and its unexplained differences; approval is needed when a
   company's debit total exceeds its `approval_threshold` (`costclose.yml`, default 10000) or it has
   unexplained differences;
6. **approval_route** → **approval** or **approval_not_needed** — dry runs and journals that need no
   approval go straight on. Otherwise **approval** (the standard provider's `ApprovalOperator`)
   shows the review on the run's *Required Actions* page and waits (state `awaiting_input`) for a
   controller: *Approve* posts, *Reject* skips the posting and everything after it (nothing reaches
   the target; the run ends). Unanswered after 7 days the task fails and mails, nothing posted;
7. **post** — per company, in the size-1 pool `costclose_posting`: the adjusting journal is posted to
   the company's target exactly once (idempotency key, the project's own ledger). Scheduled runs
   post; manual runs (and `airflow backfill` runs) are dry runs unless `post` is true;
8. **reextract** + **reconcile** — the G/L is read back and the reconciliation marts rebuilt;
9. **gate_post_posting** — inventory = G/L with nothing left to propose (after a real post), except
   exactly the unexplained differences the controller approved;
10. **close_outputs** — per company `gl_reconciliation.csv`, `adjusting_journal.csv` and
   `skipped_entries.csv` under `COSTCLOSE_HOME/out/<company>/<period>/`;
11. **close_pack** — per company BC's reports as CSV (Inventory Valuation, - WIP, Cost Spec., Cost
   Shares), the entries behind each difference (`unposted_value_entries.csv`,
   `unexplained_gl_entries.csv`), `validation.json`, `close_pack.xlsx` and the offline `index.html`
   beside them;
12. **notify** — per company one email to its recipients: per-account inventory vs G/L, what was
   posted, where the pack is.

One run at a time (`max_active_runs=1`). The same chain runs by hand with
`costclose close --company NAME --period YYYY-MM [--post [--approve]]`; past periods are rebuilt
(never posted) with `costclose backfill --company NAME --from YYYY-MM --to YYYY-MM`.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.providers.standard.operators.hitl import ApprovalOperator
from airflow.sdk import Param, TriggerRule, dag, get_current_context, task
from airflow.timetables.interval import CronDataIntervalTimetable

from costclose.airflow.assets import CLOSE_MARTS, RAW_LEDGERS
from costclose.airflow.dbt_group import dbt_build_group, dbt_rebuild_task
from costclose.airflow.defaults import DEFAULT_ARGS


@dag(
    dag_id="inventory_close",
    # At 03:00 on the 1st, close the month that just ended: the data interval is that month.
    schedule=CronDataIntervalTimetable("0 3 1 * *", timezone="UTC"),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,  # past periods are closed on purpose, with `costclose backfill` or `airflow backfill`
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    params={
        "period_end": Param(None, type=["null", "string"], description="YYYY-MM; empty = data interval"),
        "companies": Param([], type="array", description="empty = every configured company"),
        "post": Param(None, type=["null", "boolean"], description="empty = post on scheduled runs only"),
        "target": Param(None, type=["null", "string"], description="erp, bc_api or file; empty = company's"),
    },
    tags=["costclose", "close"],
    doc_md=__doc__,
)
def inventory_close() -> None:
    @task
    def resolve_period() -> dict:
        from costclose import pipeline

        ctx = get_current_context()
        context = pipeline.close_context(
            ctx["params"].get("period_end"),
            ctx.get("data_interval_start"),
            ctx["params"].get("companies") or None,
        )
        post = ctx["params"].get("post")
        context["post"] = bool(post) if post is not None else ctx["dag_run"].run_type == "scheduled"
        context["target"] = ctx["params"].get("target")
        return context

    @task
    def companies(context: dict) -> list[str]:
        return context["companies"]

    @task(max_active_tis_per_dagrun=4)
    def extract(company: str) -> dict:
        from costclose import pipeline

        # the close compares every control figure with the source's, not only the changed slices
        return pipeline.extract(company, verify=True)

    @task
    def gate_pre_posting(company: str, context: dict) -> dict:
        from costclose.approval import pre_posting_gate
        from costclose.validation.runner import run_url_from_context

        return pre_posting_gate(
            company, context["period"], airflow_run_url=run_url_from_context(get_current_context())
        )

    @task
    def review(context: dict, gates: list[dict]) -> dict:
        from costclose import approval

        reviews = [
            approval.review(g["company"], context["period"], g, target=context["target"]) for g in gates
        ]
        return {
            "companies": {r["company"]: r for r in reviews},
            "needs_approval": context["post"] and any(r["needs_approval"] for r in reviews),
            "subject": approval.subject(reviews),
            "body": approval.body(reviews),
        }

    @task.branch
    def approval_route(reviewed: dict) -> str:
        return "approval" if reviewed["needs_approval"] else "approval_not_needed"

    @task
    def gate_post_posting(company: str, context: dict, reviewed: dict) -> dict:
        from costclose.approval import post_posting_gate, pre_posting_gate
        from costclose.validation.runner import run_url_from_context

        url = run_url_from_context(get_current_context())
        if not context["post"]:
            return pre_posting_gate(company, context["period"], airflow_run_url=url)
        acknowledged = reviewed["companies"][company]["unexplained"]
        return post_posting_gate(company, context["period"], acknowledged, airflow_run_url=url)

    @task(pool="costclose_posting", pool_slots=1)
    def post(company: str, context: dict) -> dict:
        from costclose import pipeline

        return pipeline.post(
            company, context["period"], target=context["target"], dry_run=not context["post"]
        )

    @task(outlets=[RAW_LEDGERS])
    def reextract(company: str) -> dict:
        from costclose import pipeline

        return pipeline.extract(company)

    @task(outlets=[CLOSE_MARTS])
    def close_outputs(context: dict) -> list[dict]:
        from costclose import pipeline

        return [pipeline.write_close_outputs(c, context["period"]) for c in context["companies"]]

    @task
    def close_pack(company: str, context: dict) -> dict:
        from costclose import pipeline

        return pipeline.close_pack(company, context["period"])

    @task
    def notify(company: str, context: dict) -> dict:
        from costclose import pipeline

        return pipeline.notify(company, context["period"])

    context = resolve_period()
    names = companies(context)
    extracted = extract.expand(company=names)
    marts = dbt_build_group("dbt", context_task_id="resolve_period")
    gated = gate_pre_posting.partial(context=context).expand(company=names)
    reviewed = review(context, gated)
    approval = ApprovalOperator(
        task_id="approval",
        subject="{{ ti.xcom_pull(task_ids='review')['subject'] }}",
        body="{{ ti.xcom_pull(task_ids='review')['body'] }}",
        # Unanswered for a week: the task fails (and mails), nothing is posted, next month can run.
        response_timeout=timedelta(days=7),
    )
    approval_not_needed = EmptyOperator(task_id="approval_not_needed")
    # Runs after an approval or when none was needed; a rejection skips it, and with it the posting.
    cleared_to_post = EmptyOperator(
        task_id="cleared_to_post", trigger_rule=TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS
    )
    posted = post.partial(context=context).expand(company=names)
    reread = reextract.expand(company=names)
    # Everything the G/L read-back changes: the period aggregates, the resolved postings, the
    # reconciliation and the outbound journal (staging are views and need no rebuild).
    reconciled = dbt_rebuild_task(
        "reconcile",
        context_task_id="resolve_period",
        select=["path:models/intermediate", "path:models/marts"],
    )
    tied_out = gate_post_posting.partial(context=context, reviewed=reviewed).expand(company=names)
    extracted >> marts >> gated
    approval_route(reviewed) >> [approval, approval_not_needed] >> cleared_to_post
    # The outputs before the pack: the pack keeps the journal files the post wrote, adds BC's reports.
    (
        cleared_to_post
        >> posted
        >> reread
        >> reconciled
        >> tied_out
        >> close_outputs(context)
        >> close_pack.partial(context=context).expand(company=names)
        >> notify.partial(context=context).expand(company=names)
    )


inventory_close()

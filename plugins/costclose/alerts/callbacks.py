"""``on_task_failure``: the Airflow ``on_failure_callback`` of every costclose task.

It mails the failure through the same path as the validation alerts. Recipients: the alert
recipients of the companies the run works on (its ``companies`` param, else every configured
company), plus ``COSTCLOSE_ALERT_RECIPIENTS`` (comma-separated, for the data team). A callback must
not hide the task's own failure, so a mail error is logged, not raised: the task is failed in
Airflow either way.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from costclose.alerts import content
from costclose.alerts.mail import AlertDeliveryError, send_mail
from costclose.alerts.recipients import recipients_for

log = logging.getLogger(__name__)


def _facts(context: Mapping[str, Any]) -> dict[str, Any]:
    ti = context.get("ti") or context.get("task_instance")
    params = context.get("params") or {}
    exception = context.get("exception")
    companies = list(params.get("companies") or [])
    return {
        "dag_id": getattr(ti, "dag_id", None),
        "task_id": getattr(ti, "task_id", None),
        "run_id": getattr(ti, "run_id", None) or context.get("run_id"),
        "map_index": getattr(ti, "map_index", None)
        if getattr(ti, "map_index", -1) not in (-1, None)
        else None,
        "try_number": getattr(ti, "try_number", None),
        "companies": companies,
        "period": params.get("period_end"),
        "error": f"{type(exception).__name__}: {str(exception).splitlines()[0][:500]}" if exception else None,
        "log": getattr(ti, "log_url", None),
    }


def on_task_failure(context: Mapping[str, Any]) -> None:
    facts = _facts(context)
    to = recipients_for(facts["companies"] or None)
    extra = [a.strip() for a in os.environ.get("COSTCLOSE_ALERT_RECIPIENTS", "").split(",") if a.strip()]
    to = list(dict.fromkeys([*to, *extra]))
    if not to:
        log.warning(
            "task %s.%s failed; no alert recipients are configured", facts["dag_id"], facts["task_id"]
        )
        return
    email = content.task_failure_email(facts)
    try:
        send_mail(to, email.subject, email.text, email.html)
    except AlertDeliveryError as exc:
        log.error(
            "the task-failure alert could not be sent: %s", exc
        )  # no traceback: the message says it all

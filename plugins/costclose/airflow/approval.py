"""The close's approval in Airflow: find a pending approval and answer it as the UI does.

The ``approval`` task of ``inventory_close`` is the standard provider's ``ApprovalOperator``: on Airflow
3.3 it writes a Human-in-the-loop detail and parks in ``awaiting_input`` until someone responds on the
Required Actions page (or through the REST API ``PATCH .../taskInstances/{task_id}/{map_index}/
hitlDetails``). :func:`respond` runs that endpoint's own handler (``update_hitl_detail``) on a session
of the metadata database, so the response is validated, recorded and the task resumed exactly as when
a controller clicks "Approve" or "Reject". ``costclose demo`` answers the demo's approval with it, and
the tests use it to play the controller.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

APPROVE = "Approve"
REJECT = "Reject"


@dataclass(frozen=True)
class PendingApproval:
    """A Human-in-the-loop request waiting for an answer."""

    dag_id: str
    run_id: str
    task_id: str
    map_index: int
    subject: str
    body: str | None


def pending(session: Session, dag_id: str, created_after: datetime | None = None) -> list[PendingApproval]:
    """The DAG's task instances waiting for input whose request has no response yet, oldest first
    (only requests made after ``created_after``, when given)."""
    from airflow.models.hitl import HITLDetail
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.state import TaskInstanceState

    query = (
        select(
            TaskInstance.dag_id,
            TaskInstance.run_id,
            TaskInstance.task_id,
            TaskInstance.map_index,
            HITLDetail.subject,
            HITLDetail.body,
        )
        .join(HITLDetail, HITLDetail.ti_id == TaskInstance.id)
        .where(
            TaskInstance.dag_id == dag_id,
            TaskInstance.state == TaskInstanceState.AWAITING_INPUT,
            HITLDetail.responded_at.is_(None),
        )
        .order_by(HITLDetail.created_at)
    )
    if created_after is not None:
        query = query.where(HITLDetail.created_at > created_after)
    return [PendingApproval(*row) for row in session.execute(query).all()]


def respond(session: Session, request: PendingApproval, *, approve: bool, user: str) -> None:
    """Answer ``request`` through the Core API's own handler, as user ``user``; commits."""
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser
    from airflow.api_fastapi.core_api.datamodels.hitl import UpdateHITLDetailPayload
    from airflow.api_fastapi.core_api.routes.public.hitl import update_hitl_detail

    update_hitl_detail(
        dag_id=request.dag_id,
        dag_run_id=request.run_id,
        task_id=request.task_id,
        update_hitl_detail_payload=UpdateHITLDetailPayload(chosen_options=[APPROVE if approve else REJECT]),
        user=SimpleAuthManagerUser(username=user, role="user"),
        session=session,
        map_index=request.map_index,
    )
    session.commit()
    log.info("%s %s/%s as %s", APPROVE if approve else REJECT, request.run_id, request.task_id, user)


@dataclass
class Responder:
    """Answers every approval of ``dag_id`` requested while it runs (see :func:`answering`); requests
    older than the responder (say, of an earlier run someone left waiting) are left alone."""

    metadata_url: str
    dag_id: str
    approve: bool
    user: str
    poll_seconds: float = 1.0
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    answered: list[PendingApproval] = field(default_factory=list)
    last_error: BaseException | None = None
    _stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        engine = create_engine(self.metadata_url)
        try:
            while not self._stop.is_set():
                try:
                    with Session(engine) as session:
                        for request in pending(session, self.dag_id, self.started):
                            respond(session, request, approve=self.approve, user=self.user)
                            self.answered.append(request)
                except Exception as exc:  # e.g. the metadata DB is not migrated yet: keep polling
                    self.last_error = exc
                self._stop.wait(self.poll_seconds)
        finally:
            engine.dispose()

    def stop(self) -> None:
        self._stop.set()


@contextmanager
def answering(metadata_url: str, dag_id: str, *, approve: bool, user: str) -> Iterator[Responder]:
    """A background thread that approves (or rejects) the DAG's pending approvals until the block ends."""
    responder = Responder(metadata_url, dag_id, approve, user)
    thread = threading.Thread(target=responder.run, name=f"hitl-responder-{dag_id}", daemon=True)
    thread.start()
    try:
        yield responder
    finally:
        responder.stop()
        thread.join(timeout=30)

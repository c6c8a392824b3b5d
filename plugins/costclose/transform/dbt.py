"""Run the dbt project in-process with dbt's programmatic ``dbtRunner``.

Other code (CLI, tests, benchmarks) calls :func:`run_dbt` or :func:`build` instead of shelling out.
The connection comes from a warehouse URL: it is turned into the ``COSTCLOSE_PG_*`` variables that
``dbt_project/profiles.yml`` reads, so the same profile serves this module, astronomer-cosmos
(``ProfileConfig(profiles_yml_filepath=PROFILES_DIR / "profiles.yml")``) and a developer's shell.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from costclose.config import PROJECT_ROOT
from costclose.errors import CostcloseError
from costclose.security.session import startup_role

log = logging.getLogger(__name__)

PROJECT_DIR = PROJECT_ROOT / "dbt_project"
PROFILES_DIR = PROJECT_DIR
PROFILES_YML = PROFILES_DIR / "profiles.yml"

# dbtRunner reads the environment while rendering profiles.yml; one invocation at a time per process.
_LOCK = threading.Lock()


class TransformError(CostcloseError):
    """dbt could not run, or a model or test failed."""


@dataclass(frozen=True)
class NodeResult:
    """The outcome of one dbt node (model, seed, test, unit test)."""

    unique_id: str
    status: str
    message: str | None
    failures: int | None


@dataclass(frozen=True)
class DbtRun:
    """What one dbt invocation did: overall success and each node's status."""

    command: tuple[str, ...]
    success: bool
    nodes: tuple[NodeResult, ...] = field(default_factory=tuple)
    result: Any = None

    def failed(self) -> list[NodeResult]:
        return [n for n in self.nodes if n.status in {"error", "fail", "runtime error"}]

    def status_of(self, name_fragment: str) -> list[NodeResult]:
        return [n for n in self.nodes if name_fragment in n.unique_id]


def profile_env(warehouse_url: str) -> dict[str, str]:
    """The COSTCLOSE_PG_* variables profiles.yml reads, from a ``postgresql://`` URL."""
    parts = urlsplit(warehouse_url)
    if parts.scheme not in {"postgresql", "postgres"} or not parts.hostname:
        raise TransformError(
            f"The warehouse URL must look like postgresql://user@host:port/db, got {parts.scheme}://... "
            "(a unix-socket host is not supported: use 127.0.0.1)."
        )
    dbname = parts.path.lstrip("/")
    if not dbname:
        raise TransformError("The warehouse URL names no database: add /<database> to it.")
    return {
        "COSTCLOSE_PG_HOST": parts.hostname,
        "COSTCLOSE_PG_PORT": str(parts.port or 5432),
        "COSTCLOSE_PG_USER": unquote(parts.username or "postgres"),
        "COSTCLOSE_PG_PASSWORD": unquote(parts.password or ""),
        "COSTCLOSE_PG_DBNAME": unquote(dbname),
        # dbt-postgres' ``role`` (profiles.yml): the role a step URL's ``options=-c role=...`` names.
        # Not PGOPTIONS: an environment variable would leak into every later libpq connection of the
        # process (the ERP's, Airflow's), not only dbt's.
        "COSTCLOSE_PG_ROLE": startup_role(warehouse_url) or "",
    }


@contextlib.contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _node_results(result: Any) -> tuple[NodeResult, ...]:
    rows = getattr(result, "results", None) or []
    out = []
    for r in rows:
        node = getattr(r, "node", None)
        status = getattr(r, "status", "")
        out.append(
            NodeResult(
                unique_id=getattr(node, "unique_id", "?"),
                status=str(getattr(status, "value", status)),
                message=getattr(r, "message", None),
                failures=getattr(r, "failures", None),
            )
        )
    return tuple(out)


def run_dbt(
    args: Sequence[str],
    warehouse_url: str,
    vars: Mapping[str, Any] | None = None,
    *,
    target_path: Path | None = None,
    check: bool = False,
) -> DbtRun:
    """Invoke ``dbt <args>`` on the project against ``warehouse_url``.

    ``vars`` become ``--vars``; ``target_path`` keeps artifacts apart (tests, parallel runs).
    With ``check=True`` a failed invocation raises :class:`TransformError` naming the failed nodes.
    """
    from dbt.cli.main import dbtRunner

    cli = [*args, "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROFILES_DIR)]
    if vars:
        cli += ["--vars", json.dumps(dict(vars), default=str)]
    env = profile_env(warehouse_url)
    if target_path is not None:
        # env rather than flags: not every dbt command accepts --target-path (debug does not)
        env["DBT_TARGET_PATH"] = str(target_path)
        env["DBT_LOG_PATH"] = str(target_path / "logs")
    log.info("dbt %s", " ".join(args))
    with _LOCK, _environment(env):
        res = dbtRunner().invoke(cli)
    if res.exception is not None:
        raise TransformError(f"dbt {' '.join(args)} could not run: {res.exception}")
    run = DbtRun(
        command=tuple(args), success=bool(res.success), nodes=_node_results(res.result), result=res.result
    )
    if check and not run.success:
        failed = ", ".join(f"{n.unique_id} ({n.status}: {n.message})" for n in run.failed()) or "see dbt.log"
        raise TransformError(f"dbt {' '.join(args)} failed: {failed}. Fix the data or the model and rerun.")
    return run


def build_vars(period: str | None = None, company: str | None = None) -> dict[str, str]:
    """The --vars of a build limited to one period ('YYYY-MM') and/or one company."""
    out: dict[str, str] = {}
    if period:
        out["period"] = period
    if company:
        out["company"] = company
    return out


def build(
    warehouse_url: str,
    period: str | None = None,
    company: str | None = None,
    *,
    select: Sequence[str] = (),
    selector: str | None = None,
    full_refresh: bool = False,
    target_path: Path | None = None,
    check: bool = True,
) -> DbtRun:
    """``dbt build`` (seeds, models, tests): the whole project, or one period/company rebuilt.

    ``selector``: a selector of dbt_project/selectors.yml, e.g. ``nightly`` (everything but the
    point-in-time Cost Spec./Cost Shares reports). Raises :class:`TransformError` when a model or test
    fails (unless ``check=False``).
    """
    args = ["build"]
    if select:
        args += ["--select", *select]
    if selector:
        args += ["--selector", selector]
    if full_refresh:
        args.append("--full-refresh")
    return run_dbt(args, warehouse_url, build_vars(period, company), target_path=target_path, check=check)

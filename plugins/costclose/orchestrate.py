"""Run costclose's DAGs through the real Airflow CLI (``airflow dags test``) on this machine.

Used by ``costclose demo``/``costclose close`` and by tests: Airflow's metadata lives in the
``airflow`` database of costclose's PostgreSQL server (SQLite when asked, for fast tests), its home
under ``COSTCLOSE_HOME/airflow``; the DAGs and the package come from this repository.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from costclose import db
from costclose.config import PROJECT_ROOT, Settings, settings
from costclose.errors import CostcloseError

log = logging.getLogger(__name__)


# Posting runs one at a time across all DAG runs (issue 7): a size-1 pool.
POSTING_POOL = "costclose_posting"


class AirflowRunError(CostcloseError):
    """An Airflow command failed; the message names the log to read."""


def airflow_env(cfg: Settings | None = None, *, sqlite: bool = False) -> dict[str, str]:
    """The environment the Airflow CLI needs to run costclose's DAGs locally."""
    cfg = cfg or settings()
    home = cfg.home / "airflow"
    home.mkdir(parents=True, exist_ok=True)
    if sqlite:
        conn = f"sqlite:///{home / 'airflow.db'}"
    else:
        conn = db.database_url("airflow", cfg).replace("postgresql://", "postgresql+psycopg2://", 1)
    env = dict(os.environ)
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": conn,
            "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT_ROOT / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": env.get("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING"),
            "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
            # cosmos runs `dbt ls` the first time inventory_close is parsed (then caches it).
            "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": env.get("AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT", "600"),
            "COSTCLOSE_RETRY_DELAY_SECONDS": env.get("COSTCLOSE_RETRY_DELAY_SECONDS", "5"),
            "GX_ANALYTICS_ENABLED": "False",
            "COSTCLOSE_HOME": str(cfg.home),
            "COSTCLOSE_CONFIG": str(cfg.config_file),
            "COSTCLOSE_WAREHOUSE_DB": cfg.warehouse_db,
            "COSTCLOSE_ERP_DB": cfg.erp_db,
            "COSTCLOSE_AIRFLOW_DB": cfg.airflow_db,
            # The running server (embedded or not) is handed to Airflow explicitly, so tasks reuse it.
            "COSTCLOSE_DATABASE_URL": db.server_url(cfg),
        }
    )
    return env


def _airflow(args: list[str], env: dict[str, str], log_file: Path) -> subprocess.CompletedProcess[str]:
    """Run the Airflow CLI, streaming its output into ``log_file`` (follow it with ``tail -f``)."""
    exe = Path(sys.executable).with_name("airflow")
    cmd = [str(exe), *args]
    log.info("running %s (log: %s)", " ".join(cmd), log_file)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("a") as fh:
        fh.write(f"$ {' '.join(cmd)}\n")
        fh.flush()
        start = fh.tell()
        proc = subprocess.run(cmd, env=env, stdout=fh, stderr=subprocess.STDOUT, text=True, check=False)  # noqa: S603
    with log_file.open() as fh:
        fh.seek(start)
        output = fh.read()
    return subprocess.CompletedProcess(cmd, proc.returncode, output, "")


def migrate(env: dict[str, str]) -> None:
    """``airflow db migrate`` (idempotent) on the configured metadata database."""
    log_file = Path(env["AIRFLOW_HOME"]) / "costclose-cli.log"
    proc = _airflow(["db", "migrate"], env, log_file)
    if proc.returncode != 0:
        raise AirflowRunError(f"`airflow db migrate` failed; see {log_file}")
    proc = _airflow(["pools", "set", POSTING_POOL, "1", "costclose: one posting at a time"], env, log_file)
    if proc.returncode != 0:
        raise AirflowRunError(f"`airflow pools set {POSTING_POOL}` failed; see {log_file}")


@dataclass(frozen=True)
class DagRunResult:
    dag_id: str
    state: str
    log_file: Path
    output: str


def dags_test(
    dag_id: str, logical_date: str, conf: dict | None = None, *, sqlite: bool = False
) -> DagRunResult:
    """Run one DAG run for real with ``airflow dags test`` and return its final state."""
    env = airflow_env(sqlite=sqlite)
    migrate(env)
    log_file = Path(env["AIRFLOW_HOME"]) / f"{dag_id}-{logical_date[:10]}.log"
    args = ["dags", "test", dag_id, logical_date]
    if conf:
        args += ["-c", json.dumps(conf)]
    proc = _airflow(args, env, log_file)
    out = proc.stdout + proc.stderr
    state = "success" if proc.returncode == 0 and "state=failed" not in out else "failed"
    return DagRunResult(dag_id, state, log_file, out)

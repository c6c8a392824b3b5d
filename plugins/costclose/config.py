"""Settings read once from the environment into a frozen dataclass."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

# The repository root: plugins/costclose/config.py -> parents[2].
PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Settings:
    """Where costclose keeps its state and which PostgreSQL server it uses.

    ``database_url`` is a server URL (``COSTCLOSE_DATABASE_URL``); the warehouse, the demo ERP and
    Airflow's metadata are separate databases on that server. When it is unset, costclose runs an
    embedded PostgreSQL with its data under ``home / "pg"``.
    """

    home: Path
    database_url: str | None
    warehouse_db: str
    erp_db: str
    airflow_db: str
    config_file: Path

    @property
    def pg_dir(self) -> Path:
        return self.home / "pg"

    @property
    def outputs_dir(self) -> Path:
        return self.home / "out"


def load_settings(env: os._Environ[str] | dict[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    home = Path(env.get("COSTCLOSE_HOME", PROJECT_ROOT / ".costclose")).resolve()
    return Settings(
        home=home,
        database_url=env.get("COSTCLOSE_DATABASE_URL") or None,
        warehouse_db=env.get("COSTCLOSE_WAREHOUSE_DB", "costclose_warehouse"),
        erp_db=env.get("COSTCLOSE_ERP_DB", "costclose_erp"),
        airflow_db=env.get("COSTCLOSE_AIRFLOW_DB", "costclose_airflow"),
        config_file=Path(env.get("COSTCLOSE_CONFIG", PROJECT_ROOT / "costclose.yml")),
    )


@cache
def settings() -> Settings:
    """The process-wide settings (read once)."""
    return load_settings()

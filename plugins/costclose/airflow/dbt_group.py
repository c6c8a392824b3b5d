"""astronomer-cosmos wiring: the dbt project as an Airflow task group.

One ``ProfileConfig`` over ``dbt_project/profiles.yml`` (the same file the CLI uses). The connection
comes in through ``COSTCLOSE_PG_*`` environment variables that an upstream task publishes (host,
port, database, user — never the password, which stays in the worker's environment), so nothing
touches the database while the DAG file is parsed.
"""

from __future__ import annotations

import sys
from pathlib import Path

from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import LoadMode, TestBehavior

from costclose.config import PROJECT_ROOT

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
DBT_EXECUTABLE = Path(sys.executable).with_name("dbt")
ENV_KEYS = ("COSTCLOSE_PG_HOST", "COSTCLOSE_PG_PORT", "COSTCLOSE_PG_USER", "COSTCLOSE_PG_DBNAME")


def dbt_build_group(
    group_id: str, context_task_id: str, select: list[str] | None = None, **kwargs: object
) -> DbtTaskGroup:
    """A ``DbtTaskGroup`` building every model (with its tests) for the period chosen upstream.

    ``context_task_id`` names the task whose XCom holds ``{"period": ..., "dbt_env": {...}}``.
    """
    pull = f"ti.xcom_pull(task_ids='{context_task_id}')"
    env = {key: f"{{{{ {pull}['dbt_env']['{key}'] }}}}" for key in ENV_KEYS}
    return DbtTaskGroup(
        group_id=group_id,
        project_config=ProjectConfig(DBT_PROJECT_DIR),
        profile_config=ProfileConfig(
            profile_name="costclose",
            target_name="warehouse",
            profiles_yml_filepath=DBT_PROJECT_DIR / "profiles.yml",
        ),
        # LOCAL: one dbt process per model, then every test in one task at the end (AFTER_ALL), so a
        # test spanning several models (the tie-outs) runs once all of them exist. (BUILD ran such a
        # test inside the first model's build, before the others were built.) ExecutionMode.WATCHER
        # (one dbt build feeding deferrable sensors) hung under `airflow dags test` here, without a
        # triggerer, so it is not used.
        execution_config=ExecutionConfig(dbt_executable_path=str(DBT_EXECUTABLE)),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_LS,
            test_behavior=TestBehavior.AFTER_ALL,
            select=select or [],
        ),
        operator_args={
            "vars": {"period": f"{{{{ {pull}['period'] }}}}"},
            "env": env,
            "append_env": True,
            "install_deps": False,
        },
        **kwargs,
    )

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
from cosmos.operators.local import DbtBuildLocalOperator

from costclose.config import PROJECT_ROOT

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
DBT_EXECUTABLE = Path(sys.executable).with_name("dbt")
# COSTCLOSE_PG_ROLE is ``costclose_transform`` when database roles are on (costclose.security).
ENV_KEYS = (
    "COSTCLOSE_PG_HOST",
    "COSTCLOSE_PG_PORT",
    "COSTCLOSE_PG_USER",
    "COSTCLOSE_PG_DBNAME",
    "COSTCLOSE_PG_ROLE",
)


def _profile() -> ProfileConfig:
    return ProfileConfig(
        profile_name="costclose",
        target_name="warehouse",
        profiles_yml_filepath=DBT_PROJECT_DIR / "profiles.yml",
    )


def _runtime_args(context_task_id: str) -> dict[str, object]:
    """Templated dbt vars and connection env, pulled from the context task's XCom at run time."""
    pull = f"ti.xcom_pull(task_ids='{context_task_id}')"
    return {
        "vars": {"period": f"{{{{ {pull}['period'] }}}}"},
        "env": {key: f"{{{{ {pull}['dbt_env']['{key}'] }}}}" for key in ENV_KEYS},
        "append_env": True,
        "install_deps": False,
    }


def dbt_rebuild_task(task_id: str, context_task_id: str, select: list[str]) -> DbtBuildLocalOperator:
    """One cosmos task running ``dbt build --select ...``: the rebuild after posting, where one dbt
    process for the selected models beats one task per model."""
    return DbtBuildLocalOperator(
        task_id=task_id,
        project_dir=str(DBT_PROJECT_DIR),
        profile_config=_profile(),
        dbt_executable_path=str(DBT_EXECUTABLE),
        select=select,
        **_runtime_args(context_task_id),
    )


def dbt_build_group(group_id: str, context_task_id: str, **kwargs: object) -> DbtTaskGroup:
    """A ``DbtTaskGroup`` building every model (with its tests) for the period chosen upstream.

    ``context_task_id`` names the task whose XCom holds ``{"period": ..., "dbt_env": {...}}``.
    """
    return DbtTaskGroup(
        group_id=group_id,
        project_config=ProjectConfig(DBT_PROJECT_DIR),
        profile_config=_profile(),
        # LOCAL: one dbt process per model, then every test in one task at the end (AFTER_ALL), so a
        # test spanning several models (the tie-outs) runs once all of them exist. (BUILD ran such a
        # test inside the first model's build, before the others were built.) ExecutionMode.WATCHER
        # (one dbt build feeding deferrable sensors) hung under `airflow dags test` here, without a
        # triggerer, so it is not used.
        execution_config=ExecutionConfig(dbt_executable_path=str(DBT_EXECUTABLE)),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_LS,
            test_behavior=TestBehavior.AFTER_ALL,
        ),
        operator_args=_runtime_args(context_task_id),
        **kwargs,
    )

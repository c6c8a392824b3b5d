"""Every DAG in dags/ imports cleanly and carries what operators need: tags, owner, docs, retries."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

DAGS_DIR = Path(__file__).resolve().parents[2] / "dags"
DAG_FILES = sorted(p for p in DAGS_DIR.glob("*.py") if not p.name.startswith("_"))


@pytest.fixture(scope="module")
def dagbag():
    # cosmos caches its `dbt ls` in an Airflow Variable while the DAG file is parsed: a metadata DB
    # must exist, as it does for a real dag-processor.
    airflow = Path(sys.executable).with_name("airflow")
    subprocess.run([str(airflow), "db", "migrate"], check=True, capture_output=True, timeout=300)
    from airflow.models.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS_DIR))


def test_dags_import_without_errors(dagbag) -> None:
    assert dagbag.import_errors == {}
    assert len(dagbag.dags) == len(DAG_FILES)


@pytest.mark.parametrize("path", DAG_FILES, ids=lambda p: p.stem)
def test_file_name_is_dag_id_and_dag_is_documented(dagbag, path: Path) -> None:
    dag = dagbag.dags.get(path.stem)
    assert dag is not None, f"{path.name} must define a DAG with dag_id {path.stem!r}"
    assert dag.tags, "tags"
    assert dag.doc_md and len(dag.doc_md) > 100, "doc_md (the module docstring)"
    assert dag.max_active_runs == 1
    for t in dag.tasks:
        assert t.owner and t.owner != "airflow", f"{t.task_id}: owner"
        assert t.retries >= 2, f"{t.task_id}: retries"


@pytest.mark.parametrize("path", DAG_FILES, ids=lambda p: p.stem)
def test_no_cycles(dagbag, path: Path) -> None:
    from airflow.utils.dag_cycle_tester import check_cycle

    check_cycle(dagbag.dags[path.stem])

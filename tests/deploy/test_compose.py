"""docker-compose.yml is valid Compose and wires what the README promises (no Docker engine here)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parents[2]


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_validates_against_the_compose_spec(shared_dir: Path) -> None:
    schema = json.loads((shared_dir / "data" / "compose-spec.json").read_text())
    jsonschema.validate(_compose(), schema)


def test_compose_has_the_airflow_services_and_mounts() -> None:
    services = _compose()["services"]
    for name in (
        "postgres",
        "redis",
        "airflow-apiserver",
        "airflow-scheduler",
        "airflow-dag-processor",
        "airflow-triggerer",
        "airflow-worker",
    ):
        assert name in services, name
    mounts = {v.split(":")[0] for v in services["airflow-worker"]["volumes"]}
    assert {"./dags", "./plugins", "./dbt_project", "./expectations"} <= mounts
    assert services["airflow-worker"]["environment"]["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"


def test_every_compose_variable_is_listed_in_env_example() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    used = set(re.findall(r"(?<!\$)\$\{([A-Z0-9_]+)", text))
    listed = {
        line.split("=", 1)[0]
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    }
    assert used <= listed, sorted(used - listed)


def test_dockerfile_installs_from_the_lock_file() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert "uv.lock" in text
    assert "uv sync --frozen" in text


def test_compose_has_the_bi_tool_wired_to_the_bi_role() -> None:
    services = _compose()["services"]
    metabase = services["metabase"]
    image, _, tag = metabase["image"].partition(":")
    assert image == "metabase/metabase"
    assert tag
    assert tag != "latest"
    assert "3000:3000" in metabase["ports"]
    # Metabase itself never sees the server's admin login: it gets the BI login from bi-provision
    assert not any("COSTCLOSE_DATABASE_URL" in str(v) for v in metabase["environment"].values())
    provision = services["bi-provision"]
    assert provision["command"][-1] == "/opt/costclose/docker/bi/provision.py"
    assert provision["depends_on"]["metabase"]["condition"] == "service_healthy"
    assert provision["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully"
    assert "./docker/bi:/opt/costclose/docker/bi:ro" in provision["volumes"]
    assert provision["restart"] == "no"
    # the roles (and the BI login) exist before anything provisions or runs
    init = " ".join(services["airflow-init"]["command"])
    assert "costclose db up && costclose db roles" in init
    assert (ROOT / "docker" / "bi" / "provision.py").is_file()
    assert (ROOT / "docker" / "bi" / "dashboard.yml").is_file()

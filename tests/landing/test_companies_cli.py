"""Company configuration (costclose.yml) and the `costclose extract` / `quarantine` commands."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import psycopg2
import pytest
import yaml
from bc_source_db import seed_company
from typer.testing import CliRunner

from costclose import companies, config
from costclose.db import database_url
from costclose.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def cli_env(costclose_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """costclose settings on the test server, with costclose.yml in a temporary folder."""
    config_file = tmp_path / "costclose.yml"
    monkeypatch.setenv("COSTCLOSE_CONFIG", str(config_file))
    config.settings.cache_clear()
    return config_file


def test_example_config_lists_companies_with_references_only() -> None:
    configured = companies.load_companies(REPO / "costclose.example.yml")
    assert list(configured) == ["CRONUS", "CRONUS International Ltd.", "CRONUS UK Ltd."]
    cronus = configured["CRONUS"]
    assert cronus.posting_target == "erp" and cronus.source == "sql:db:erp"
    assert cronus.tolerance == Decimal("0.01") and cronus.approval_threshold == Decimal("10000")
    assert configured["CRONUS UK Ltd."].source == "sql:env:CRONUS_UK_REPLICA_URL"


@pytest.mark.parametrize(
    "source",
    [
        "sql:postgresql://reader:s3cret@replica/bc",
        "bc_api:https://api.businesscentral.dynamics.com/v2.0/prod?client_secret=abc",
    ],
)
def test_inline_secrets_are_refused(source: str) -> None:
    text = yaml.safe_dump({"companies": [{"name": "X", "source": source}]})
    with pytest.raises(ConfigError, match=r"secret written inline.*env:VARIABLE"):
        companies.parse(text)


def test_references_resolve_from_environment_airflow_connections_and_own_databases(
    costclose_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ERP_URL", "postgresql://reader@replica:5432/bc")
    monkeypatch.setenv("AIRFLOW_CONN_BC_REPLICA", "postgres://reader:pw@replica:5432/bc")
    assert companies.resolve("sql:env:ERP_URL") == "sql:postgresql://reader@replica:5432/bc"
    assert companies.resolve("sql:conn:bc_replica") == "sql:postgresql://reader:pw@replica:5432/bc"
    assert companies.resolve("sql:db:erp") == "sql:" + database_url("erp")
    monkeypatch.delenv("ERP_URL")
    with pytest.raises(ConfigError, match="ERP_URL, which is not set"):
        companies.resolve("sql:env:ERP_URL", what="the source of 'X'")


def test_bad_numbers_and_recipients_are_clear_errors() -> None:
    with pytest.raises(ConfigError, match="tolerance of 'X' must be a non-negative number"):
        companies.parse("companies:\n  - name: X\n    tolerance: -1\n")
    with pytest.raises(ConfigError, match="must be e-mail addresses"):
        companies.parse("companies:\n  - name: X\n    alert_recipients: [nobody]\n")


def test_extract_command_lands_and_remembers_the_source(
    cli_env: Path, source_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from costclose.cli import app

    company = 'Hostile "Co" [bold]x[/]; --'  # SQL and rich-markup metacharacters
    seed_company(source_url, company, value_entry_count=11, g_l_entry_count=4)
    runner = CliRunner()

    first = runner.invoke(app, ["extract", "--company", company, "--source", f"sql:{source_url}"])

    assert first.exit_code == 0, first.output
    assert "value_entry" in first.output and "DIFF" not in first.output
    assert companies.get_company(company).source == f"sql:{source_url}"
    conn = psycopg2.connect(database_url("warehouse"))
    with conn, conn.cursor() as cur:
        cur.execute("select count(*) from raw.value_entry where company = %s", (company,))
        assert cur.fetchone() == (11,)
    conn.close()

    again = runner.invoke(app, ["extract", "--company", company])  # the remembered source
    assert again.exit_code == 0, again.output
    assert "total" in again.output

    status = runner.invoke(app, ["quarantine", "status", "--company", company])
    assert status.exit_code == 0 and "no unresolved quarantine" in status.output

    refused = runner.invoke(
        app, ["extract", "--company", company, "--source", "sql:postgresql://u:pw@localhost/erp"]
    )
    assert isinstance(refused.exception, ConfigError)
    assert companies.get_company(company).source == f"sql:{source_url}"  # not overwritten


def test_extract_of_unconfigured_company_says_what_to_do(cli_env: Path) -> None:
    from costclose.cli import app

    result = CliRunner().invoke(app, ["extract", "--company", "Nobody Ltd."])
    assert isinstance(result.exception, ConfigError)
    assert "pass --source" in str(result.exception)


def test_tolerance_defaults_to_exact_and_threshold_to_ten_thousand() -> None:
    parsed = companies.parse("companies:\n  - name: X\n    source: sql:db:erp\n")
    assert parsed["X"].tolerance == Decimal("0.00")
    assert parsed["X"].approval_threshold == Decimal("10000")

"""Secrets come only from the environment or Airflow connections, and are never printed.

One close of a small company read through the BC API with a client secret, against a PostgreSQL URL
with a password, alerting through an SMTP connection with a password: every log record, every CLI
output, every file under COSTCLOSE_HOME (close pack, data docs, caches), every email and the load
history in the warehouse are scanned for the three secrets. None may appear. An inline secret in a
source URL is refused without being repeated, and a failing alert delivery does not print the SMTP
password either.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
import yaml
from bad_fixtures import API_COMPANY, CLIENT_ID, admin, create_db, drop_db, query, seed_api_company
from psycopg2 import sql
from smtp_inbox import Inbox, free_port
from typer.testing import CliRunner

BC_SECRET = "S3cr3t-token-XYZ"  # noqa: S105 - the test's client secret, asserted never to leak
PG_PASSWORD = "Pg-P4ssw0rd-XYZ"  # noqa: S105
SMTP_PASSWORD = "Smtp-P4ss-XYZ"  # noqa: S105
SECRETS = (BC_SECRET, PG_PASSWORD, SMTP_PASSWORD)
PG_ROLE = "costclose_secret_test"
PERIOD = "2026-02"


def _smtp_uri(port: int) -> str:
    return (
        f"smtp://costclose:{SMTP_PASSWORD}@127.0.0.1:{port}"
        "?disable_ssl=true&disable_tls=true&from_email=costclose%40example.com&retry_limit=0&timeout=5"
    )


def _leaks(text: str | bytes, where: str) -> list[str]:
    data = text.encode("utf-8", "replace") if isinstance(text, str) else text
    return [
        f"{secret!r} in {where}"
        for secret in SECRETS
        if any(form.encode() in data for form in {secret, quote(secret, safe="")})
    ]


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    """An SMTP server that wants this test's login."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        return AuthResult(success=auth_data.password == SMTP_PASSWORD.encode())

    box = Inbox(port=free_port())
    controller = Controller(
        box, hostname="127.0.0.1", port=box.port, authenticator=authenticate, auth_require_tls=False
    )
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


@pytest.fixture
def secret_world(
    pg_server_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, inbox: Inbox
) -> Iterator[Path]:
    """The BC API server (client secret), a password-protected database login, costclose's settings
    and costclose.yml pointing at them; returns COSTCLOSE_HOME."""
    from costclose import config
    from costclose.bc_api_server import ServerConfig, ServerThread

    suffix = uuid.uuid4().hex[:8]
    erp_name = f"secret_erp_{suffix}"
    erp = create_db(pg_server_url, erp_name)
    seed_api_company(erp)
    admin(pg_server_url, sql.SQL("drop role if exists {}").format(sql.Identifier(PG_ROLE)))
    admin(
        pg_server_url,
        sql.SQL("create role {} login superuser password {}").format(
            sql.Identifier(PG_ROLE), sql.Literal(PG_PASSWORD)
        ),
    )
    server = ServerThread(ServerConfig(erp_url=erp, client_id=CLIENT_ID, client_secret=BC_SECRET)).start()
    parts = urlsplit(pg_server_url)
    home = tmp_path / "home"
    settings_env = {
        "COSTCLOSE_HOME": str(home),
        "COSTCLOSE_DATABASE_URL": f"postgresql://{PG_ROLE}:{PG_PASSWORD}@{parts.hostname}:{parts.port}/postgres",
        "COSTCLOSE_WAREHOUSE_DB": f"secret_wh_{suffix}",
        "COSTCLOSE_ERP_DB": erp_name,
        "COSTCLOSE_AIRFLOW_DB": f"secret_af_{suffix}",
        "COSTCLOSE_CONFIG": str(tmp_path / "costclose.yml"),
        "BC_CLIENT_ID": CLIENT_ID,
        "BC_CLIENT_SECRET": BC_SECRET,
        "AIRFLOW_CONN_SMTP_DEFAULT": _smtp_uri(inbox.port),
    }
    for key, value in settings_env.items():
        monkeypatch.setenv(key, value)
    (tmp_path / "costclose.yml").write_text(
        yaml.safe_dump(
            {
                "companies": [
                    {
                        "name": API_COMPANY,
                        "source": f"bc_api:{server.base_url}",
                        "posting_target": "file",
                        "alert_recipients": ["controller@example.com"],
                    }
                ]
            }
        ),
        encoding="utf-8",
    )
    config.settings.cache_clear()
    try:
        yield home
    finally:
        config.settings.cache_clear()
        server.stop()
        drop_db(pg_server_url, erp_name)
        drop_db(pg_server_url, settings_env["COSTCLOSE_WAREHOUSE_DB"])
        drop_db(pg_server_url, settings_env["COSTCLOSE_AIRFLOW_DB"])
        admin(pg_server_url, sql.SQL("drop role if exists {}").format(sql.Identifier(PG_ROLE)))


def _cli(*args: str) -> tuple[int, str]:
    from costclose.cli import app

    result = CliRunner().invoke(app, list(args))
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        output += f"\n{type(result.exception).__name__}: {result.exception}"
    return result.exit_code, output


def test_no_secret_is_printed_logged_written_or_mailed(
    secret_world: Path, inbox: Inbox, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from costclose import db

    caplog.set_level(logging.DEBUG)
    outputs: dict[str, str] = {}

    code, outputs["db up"] = _cli("db", "up")
    assert code == 0, outputs["db up"]
    code, outputs["extract"] = _cli("extract", "--company", API_COMPANY)
    assert code == 0, outputs["extract"]
    warehouse = db.database_url("warehouse")
    assert query(warehouse, "select count(*) from raw.value_entry where company = %s", (API_COMPANY,)) == [
        (23,)
    ], "the extraction read every value entry through the API with the secret"

    code, outputs["close"] = _cli("close", "--company", API_COMPANY, "--period", PERIOD, "--dry-run")
    assert code == 0, outputs["close"]
    out_dir = secret_world / "out"
    pack = {p.name for p in out_dir.rglob("*") if p.is_file()}
    assert {"adjusting_journal.csv", "skipped_entries.csv", "gl_reconciliation.csv"} <= pack, pack
    assert inbox.messages, "the failed pre-posting gate was mailed to the controller"

    # an inline secret is refused, and the refusal does not repeat it
    inline = f"sql:postgresql://reader:{PG_PASSWORD}@127.0.0.1:5432/erp"
    code, outputs["inline source"] = _cli("extract", "--company", "Inline", "--source", inline)
    assert code != 0 and "inline" in outputs["inline source"]

    # an alert that cannot be delivered: the error names the connection, not its password
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", _smtp_uri(free_port()))
    code, outputs["validate, mail down"] = _cli("validate", "--company", API_COMPANY, "--period", PERIOD)
    assert code != 0 and "Could not send" in outputs["validate, mail down"]
    assert "'smtp_default'" in outputs["validate, mail down"]

    leaks: list[str] = []
    for name, text in outputs.items():
        leaks += _leaks(text, f"the output of `costclose {name}`")
    leaks += _leaks(
        "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records), "logs"
    )
    files = [p for p in secret_world.rglob("*") if p.is_file()]
    assert len(files) >= 5
    for path in files:
        leaks += _leaks(path.read_bytes(), str(path.relative_to(secret_world)))
    for n, message in enumerate(inbox.messages):
        leaks += _leaks(message.as_bytes(), f"email {n} ({message['Subject']})")
    for table in ("landing.load_run", "validation.result"):
        rows = query(warehouse, f"select t::text from {table} t")
        leaks += _leaks("\n".join(r[0] for r in rows), table)
    assert leaks == []

"""``costclose bc-api serve`` serves the configured ERP database to a ``bc_api:`` connector."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from bc_api_company import COMPANY, FAST_RETRY, OTHER_COMPANY, BcEnvironment
from typer.testing import CliRunner

from costclose.errors import ConfigError
from costclose.sources.bc_api import BcApiSource


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_refuses_to_start_without_credentials_in_the_environment() -> None:
    from costclose.cli import app

    result = CliRunner().invoke(
        app, ["bc-api", "serve", "--client-id-env", "NO_SUCH_ID", "--client-secret-env", "NO_SUCH_SECRET"]
    )
    assert isinstance(result.exception, ConfigError)
    assert "Set NO_SUCH_ID, NO_SUCH_SECRET" in str(result.exception)


def test_serve_serves_the_erp_database_to_the_connector(
    pg_server_url: str, bc_env: BcEnvironment, credentials_env: dict[str, str], tmp_path: Path
) -> None:
    erp_db = urlsplit(bc_env.erp_url).path.lstrip("/")  # the shared served copy: this test only reads
    port = _free_port()
    env = {
        **os.environ,
        "COSTCLOSE_HOME": str(tmp_path),
        "COSTCLOSE_DATABASE_URL": pg_server_url,
        "COSTCLOSE_ERP_DB": erp_db,
        "BC_CLIENT_ID": credentials_env["BC_TEST_CLIENT_ID"],
        "BC_CLIENT_SECRET": credentials_env["BC_TEST_CLIENT_SECRET"],
    }
    command = [sys.executable, "-m", "costclose.cli", "bc-api", "serve", "--port", str(port)]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            assert time.monotonic() < deadline, "the server did not start within 60 s"
            time.sleep(0.2)
        url = f"bc_api:http://127.0.0.1:{port}/v2.0/production"
        with BcApiSource(url, environ=env, retry=FAST_RETRY) as source:
            assert source.companies() == [COMPANY, OTHER_COMPANY]
            assert source.totals(COMPANY)["row_counts"]["value_entry"] == 23
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=20)
    assert f"on http://127.0.0.1:{port}/v2.0/production" in output
    assert credentials_env["BC_TEST_CLIENT_SECRET"] not in output

"""``bc2adls:abfs://<container>/<folder>``: a demo company's bc2adls export in Azure Blob Storage (Azurite,
Microsoft's emulator) lands exactly like the same export in a local folder, and later exports are picked up.

Credentials reach the connector only through the environment, never through the URL: a connection string
(``AZURE_STORAGE_CONNECTION_STRING``), or account name + key with the endpoint in ``FSSPEC_ABFS`` through
``costclose extract`` in its own process, as the README documents. The export is uploaded by a separate
adlfs filesystem, as bc2adls writes from BC while costclose reads.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from azurite import ACCOUNT, ACCOUNT_KEY, AzuriteBlob, start_azurite_blob
from bc_source_db import seed_company
from psycopg2 import sql

from costclose import bc_schema
from costclose.bc2adls_export.exporter import export_bc2adls
from costclose.db import database_url
from costclose.landing import load
from costclose.sources import open_source

COMPANY = "CRONUS"
FOLDER = "bc2adls"
# every variable adlfs or azure-identity would read: the test's credentials are the only ones in play
AZURE_VARIABLES = (
    "AZURE_STORAGE_ACCOUNT_NAME",
    "AZURE_STORAGE_ACCOUNT_KEY",
    "AZURE_STORAGE_SAS_TOKEN",
    "AZURE_STORAGE_CONNECTION_STRING",
    "AZURE_STORAGE_CLIENT_ID",
    "AZURE_STORAGE_CLIENT_SECRET",
    "AZURE_STORAGE_TENANT_ID",
    "AZURE_STORAGE_ANON",
    "AZURE_CLIENT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_TENANT_ID",
)


@pytest.fixture(scope="module")
def azurite() -> Iterator[AzuriteBlob]:
    server, workdir = start_azurite_blob()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def raw_rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        for table in bc_schema.RAW_TABLES:
            cur.execute(
                sql.SQL("select {} from raw.{} order by {}").format(
                    sql.SQL(", ").join(map(sql.Identifier, table.column_names)),
                    sql.Identifier(table.name),
                    sql.SQL(", ").join(map(sql.Identifier, table.primary_key)),
                )
            )
            out[table.name] = cur.fetchall()
    conn.close()
    return out


def cost_totals(url: str, schema: str) -> tuple[Any, ...]:
    """Value entries: count and the three cost sums; G/L entries: count and amount."""
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute(
            sql.SQL(
                "select (select count(*) from {s}.value_entry where company = %(c)s), "
                "(select sum(cost_amount_actual) from {s}.value_entry where company = %(c)s), "
                "(select sum(cost_amount_expected) from {s}.value_entry where company = %(c)s), "
                "(select sum(cost_posted_to_g_l) from {s}.value_entry where company = %(c)s), "
                "(select count(*) from {s}.g_l_entry where company = %(c)s), "
                "(select sum(amount) from {s}.g_l_entry where company = %(c)s)"
            ).format(s=sql.Identifier(schema)),
            {"c": COMPANY},
        )
        row = cur.fetchone()
    conn.close()
    return tuple(row)


def upload(fs: Any, local: Path, remote: str, relative: list[str] | None = None) -> None:
    """Copy the export's files (paths relative to ``local``; default: all) to ``remote`` with adlfs."""
    if relative is None:
        relative = sorted(str(p.relative_to(local)) for p in local.rglob("*") if p.is_file())
    fs.put([str(local / rel) for rel in relative], [f"{remote}/{rel}" for rel in relative])  # concurrently


# a writer in its own process, configured by the environment only (as the extract that follows)
UPLOAD = """
import pathlib, sys
import fsspec
local, container, folder = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3]
fs = fsspec.filesystem("abfs")
fs.mkdir(container)
files = sorted(p for p in local.rglob("*") if p.is_file())
fs.put([str(p) for p in files], [f"{container}/{folder}/{p.relative_to(local)}" for p in files])
"""


def run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)


def clear_azure_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in AZURE_VARIABLES:
        monkeypatch.delenv(variable, raising=False)


def test_export_in_azure_blob_storage_lands_like_the_local_folder_and_increments(
    azurite: AzuriteBlob,
    clone_database: Callable[[str], str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from costclose.demo_erp import gl_posting, simulate

    erp = clone_database("empty")
    simulate.seed(erp, COMPANY, months=2, scale=0.05, seed=3)
    lake = tmp_path / "lake"
    export_bc2adls(erp, COMPANY, str(lake))
    container = f"bc2adls-{uuid.uuid4().hex[:12]}"
    writer = azurite.filesystem()
    writer.mkdir(container)
    remote = f"{container}/{FOLDER}"
    upload(writer, lake, remote)

    clear_azure_credentials(monkeypatch)
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", azurite.connection_string)
    url = f"bc2adls:abfs://{remote}"
    assert azurite.connection_string.split("AccountKey=")[1].split(";")[0] not in url
    source = open_source(url)
    assert "abfs" in source.fs.protocol
    assert source.companies() == [COMPANY]

    via_local, via_abfs = clone_database("wh"), clone_database("wh")
    local_first = load(open_source(f"bc2adls:{lake}"), COMPANY, warehouse_url=via_local)
    first = load(source, COMPANY, warehouse_url=via_abfs)

    assert first.tables["value_entry"].upserted > 50
    assert {t: r.upserted for t, r in first.tables.items()} == {
        t: r.upserted for t, r in local_first.tables.items()
    }
    assert first.quarantined == 0
    assert all(c.matches for c in first.checks)
    assert raw_rows(via_abfs) == raw_rows(via_local)
    assert cost_totals(via_abfs, "raw") == cost_totals(via_local, "raw") == cost_totals(erp, "bc")

    # Post Inventory Cost to G/L in the ERP: new G/L entries, value entries whose Cost Posted to G/L
    # changed. bc2adls exports the increment; only its new files are uploaded.
    conn = psycopg2.connect(erp)
    run = gl_posting.post_value_entries(conn, COMPANY, queued_only=True)
    conn.commit()
    conn.close()
    assert run.value_entries_posted > 0 and run.g_l_entries > 0
    increment = export_bc2adls(erp, COMPANY, str(lake))
    new_files = [f for f in increment.files if f.startswith("deltas/")]
    assert new_files
    upload(writer, lake, remote, new_files)

    # a new source in the same process, as the next scheduled load would open it
    local_second = load(open_source(f"bc2adls:{lake}"), COMPANY, warehouse_url=via_local)
    second = load(open_source(url), COMPANY, warehouse_url=via_abfs)

    assert second.tables["value_entry"].upserted == local_second.tables["value_entry"].upserted
    assert second.tables["value_entry"].upserted >= run.value_entries_posted
    assert second.tables["g_l_entry"].upserted == run.g_l_entries
    assert all(c.matches for c in second.checks)
    assert raw_rows(via_abfs) == raw_rows(via_local)
    assert cost_totals(via_abfs, "raw") == cost_totals(via_local, "raw") == cost_totals(erp, "bc")
    again = load(open_source(url), COMPANY, warehouse_url=via_abfs)
    assert (again.upserted, again.deleted) == (0, 0)


def test_costclose_extract_reads_abfs_with_account_key_and_fsspec_abfs_endpoint(
    clone_database: Callable[[str], str],
    costclose_env: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The production recipe: account name and key from the environment, the endpoint (``account_host``,
    always https in adlfs) in ``FSSPEC_ABFS``, which fsspec reads when a process starts."""
    source = clone_database("bc")
    seed_company(source, COMPANY, value_entry_count=30, g_l_entry_count=12)
    lake = tmp_path / "lake"
    export_bc2adls(source, COMPANY, str(lake))
    via_local = clone_database("wh")
    load(open_source(f"bc2adls:{lake}"), COMPANY, warehouse_url=via_local)

    server, workdir = start_azurite_blob(https=True)
    try:
        clear_azure_credentials(monkeypatch)
        config_file = tmp_path / "costclose.yml"
        env = {
            **os.environ,
            "COSTCLOSE_CONFIG": str(config_file),
            "AZURE_STORAGE_ACCOUNT_NAME": ACCOUNT,
            "AZURE_STORAGE_ACCOUNT_KEY": ACCOUNT_KEY,
            "FSSPEC_ABFS": json.dumps({"account_host": server.account_host}),
            # trust the emulator's certificate (aiohttp fixes its TLS context at import: a fresh process)
            "SSL_CERT_FILE": str(server.cert_file),
        }
        container = f"bc2adls-{uuid.uuid4().hex[:12]}"
        uploaded = run([sys.executable, "-c", UPLOAD, str(lake), container, FOLDER], env)
        assert uploaded.returncode == 0, uploaded.stderr
        url = f"bc2adls:abfs://{container}/{FOLDER}"
        costclose = Path(sys.executable).with_name("costclose")
        done = run([str(costclose), "extract", "--company", COMPANY, "--source", url], env)
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "DIFF" not in done.stdout
    assert ACCOUNT_KEY not in done.stdout + done.stderr + config_file.read_text()
    assert url in config_file.read_text()  # remembered, without any credential
    warehouse = database_url("warehouse")
    assert raw_rows(warehouse) == raw_rows(via_local)
    assert cost_totals(warehouse, "raw") == cost_totals(via_local, "raw") == cost_totals(source, "bc")
    assert cost_totals(warehouse, "raw")[0] == 30

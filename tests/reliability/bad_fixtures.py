"""Fixtures and helpers of the bad-input, secrets and hostile-name tests (no conftest: imported).

* ``bc2adls_case``: a bc2adls lake of a small company already landed in a warehouse (both cloned per
  test from session templates), so a test adds one bad delta file and loads again incrementally;
* ``api_case``: the BC-shaped API server over a small company, its rows already landed in a warehouse,
  and ``RewritingProxy`` in front of it for payloads the server itself never sends;
* ``raw_snapshot``: every BC column of every raw table of a company, to prove nothing already loaded
  was lost or changed by a failed or partly quarantined load.
"""

from __future__ import annotations

import shutil
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import psycopg2
import pytest
from psycopg2 import sql

TESTS = Path(__file__).resolve().parents[1]
for folder in ("sources", "bc_api", "alerts"):  # the shared helper modules of those folders
    if str(TESTS / folder) not in sys.path:
        sys.path.insert(0, str(TESTS / folder))

from bc_api_company import CLIENT_ID, FAST_RETRY, BcEnvironment, SecretEnv  # noqa: E402
from bc_api_company import COMPANY as API_COMPANY  # noqa: E402
from bc_api_company import seed_company as seed_api_company  # noqa: E402
from bc_source_db import (  # noqa: E402
    _private_home,
    _templates,
    clone_database,
    seed_company,
    source_url,
    table_rows,
    warehouse_url,
)

from costclose import bc_schema  # noqa: E402
from costclose.bc2adls_export import format as fmt  # noqa: E402
from costclose.bc2adls_export.exporter import export_bc2adls  # noqa: E402
from costclose.db import with_database  # noqa: E402
from costclose.landing import load  # noqa: E402
from costclose.sources import open_source  # noqa: E402
from costclose.sources.bc_api import BcApiSource  # noqa: E402

__all__ = [
    "API_COMPANY",
    "COMPANY",
    "FAST_RETRY",
    "_api_server",
    "_bc2adls_templates",
    "_private_home",
    "_templates",
    "api_case",
    "bc2adls_case",
    "clone_database",
    "raw_snapshot",
    "source_url",
    "warehouse_url",
]

COMPANY = "CRONUS International Ltd."
VE_FOLDER = f"deltas/{fmt.entity_name(bc_schema.VALUE_ENTRY)}"


def admin(server_url: str, statement: sql.Composable) -> None:
    conn = psycopg2.connect(server_url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(statement)
    finally:
        conn.close()


def create_db(server_url: str, name: str, template: str | None = None) -> str:
    statement = sql.SQL("create database {}").format(sql.Identifier(name))
    if template:
        statement = sql.SQL("create database {} template {}").format(
            sql.Identifier(name), sql.Identifier(template)
        )
    admin(server_url, statement)
    return with_database(server_url, name)


def drop_db(server_url: str, name: str) -> None:
    admin(server_url, sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


def query(url: str, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    conn = psycopg2.connect(url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(statement, params)
            return list(cur.fetchall())
    finally:
        conn.close()


def raw_snapshot(warehouse: str, company: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every BC column of every raw row of ``company``, per table, ordered by key."""
    return {t.name: table_rows(warehouse, "raw", t, company) for t in bc_schema.RAW_TABLES}


def quarantine_rows(warehouse: str, company: str) -> list[tuple[str, str, str, str]]:
    """(table, source_ref, reason, raw) of the company's open quarantine, in order."""
    return query(
        warehouse,
        "select table_name, source_ref, reason, raw from landing.quarantine "
        "where company = %s and resolved_at is null and waived_at is null order by quarantine_id",
        (company,),
    )


# -- bc2adls ---------------------------------------------------------------------------------------


def field_spans(line: str, width: int) -> list[tuple[int, int]]:
    """(start, end) of each field's text in a well-formed bc2adls line, quotes included."""
    match = fmt.line_pattern(width).match(line)
    assert match is not None, line
    spans = []
    for i in range(width):
        if match.group(2 * i + 1) is not None:
            spans.append((match.start(2 * i + 1) - 1, match.end(2 * i + 1) + 1))
        else:
            spans.append((match.start(2 * i + 2), match.end(2 * i + 2)))
    return spans


@dataclass
class Bc2AdlsCase:
    """A lake whose rows are already landed in ``warehouse``; ``line(...)`` builds new delta lines."""

    lake: Path
    warehouse: str
    header: str
    template: str  # a data line of entry 1, without its line end
    cache_dir: Path

    @property
    def names(self) -> list[str]:
        return self.header.split(",")

    def line(self, entry_no: int | str = 900, **fields: str) -> str:
        """Entry 1's line as a new entry (own SystemId, a later timestamp-0), ``fields`` replaced by
        raw CSV text (header names without their ``-<field no>`` suffix, e.g. ``CostAmountActual``)."""
        by_name = {n.split("-")[0] if n != fmt.TIMESTAMP else n: i for i, n in enumerate(self.names)}
        values = {
            "EntryNo": str(entry_no),
            fmt.TIMESTAMP: "99000000000",
            "systemId": '"{' + str(uuid.uuid5(uuid.NAMESPACE_OID, f"bad-{entry_no}")).upper() + '}"',
            **fields,
        }
        spans = field_spans(self.template, len(self.names))
        texts = [self.template[s:e] for s, e in spans]
        for name, text in values.items():
            texts[by_name[name.split("-")[0] if name != fmt.TIMESTAMP else name]] = text
        return ",".join(texts)

    def write(self, content: str | bytes, name: str = "99999999-BAD.csv", folder: str = VE_FOLDER) -> Path:
        path = self.lake / folder / name
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return path

    def source(self) -> Any:
        return open_source(f"bc2adls:{self.lake}", cache_dir=self.cache_dir)

    def load(self) -> Any:
        return load(self.source(), COMPANY, warehouse_url=self.warehouse)


@pytest.fixture(scope="session")
def _bc2adls_templates(
    pg_server_url: str, _templates: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, str]]:
    """(lake, warehouse template name): a company with 40 value entries exported and landed once."""
    suffix = uuid.uuid4().hex[:8]
    src_name, wh_name = f"bad_src_{suffix}", f"bad_wh_{suffix}"
    src = create_db(pg_server_url, src_name, _templates["bc"])
    wh = create_db(pg_server_url, wh_name, _templates["wh"])
    lake = tmp_path_factory.mktemp("bad-lake")
    try:
        seed_company(src, COMPANY, value_entry_count=40, g_l_entry_count=25)
        export_bc2adls(src, COMPANY, str(lake))
        source = open_source(f"bc2adls:{lake}", cache_dir=tmp_path_factory.mktemp("bad-cache"))
        report = load(source, COMPANY, warehouse_url=wh)
        assert report.tables["value_entry"].upserted == 40 and report.quarantine_open == 0
        yield lake, wh_name
    finally:
        drop_db(pg_server_url, src_name)
        drop_db(pg_server_url, wh_name)


@pytest.fixture
def bc2adls_case(
    pg_server_url: str, _bc2adls_templates: tuple[Path, str], tmp_path: Path
) -> Iterator[Bc2AdlsCase]:
    lake_template, wh_template = _bc2adls_templates
    lake = tmp_path / "lake"
    shutil.copytree(lake_template, lake)
    name = f"bad_wh_{uuid.uuid4().hex[:10]}"
    warehouse = create_db(pg_server_url, name, wh_template)
    [first] = (lake / VE_FOLDER).glob("*.csv")
    lines = first.read_bytes().decode("utf-8").split("\r\n")
    template = next(line for line in lines[1:] if line.startswith("1,"))
    try:
        yield Bc2AdlsCase(lake, warehouse, lines[0], template, tmp_path / "cache")
    finally:
        drop_db(pg_server_url, name)


# -- BC API ----------------------------------------------------------------------------------------

Rewrite = Callable[[str, bytes], tuple[int, bytes] | None]


class RewritingProxy:
    """An HTTP proxy on 127.0.0.1 in front of the BC-shaped server: ``rewrite(path_and_query, body)``
    may replace a response with ``(status, body)`` -- payloads the server itself never produces.
    Links in bodies are rewritten to the proxy's origin so paging stays on one host."""

    def __init__(self, upstream_origin: str) -> None:
        self.upstream = upstream_origin
        self.rewrite: Rewrite | None = None
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {
                    k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")
                }
                resp = httpx.request(
                    self.command, proxy.upstream + self.path, headers=headers, content=body, timeout=30
                )
                status, content = (
                    resp.status_code,
                    resp.content.replace(proxy.upstream.encode(), proxy.origin.encode()),
                )
                if proxy.rewrite is not None:
                    replaced = proxy.rewrite(self.path, content)
                    if replaced is not None:
                        status, content = replaced
                self.send_response(status)
                self.send_header("Content-Type", resp.headers.get("content-type", "application/json"))
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_POST = _forward  # noqa: N815 - stdlib handler names

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@dataclass
class ApiCase:
    """The served company already landed in ``warehouse`` through ``proxy``; ``source()`` reads again."""

    env: BcEnvironment
    proxy: RewritingProxy
    warehouse: str

    @property
    def source_url(self) -> str:
        refs = "client_id_env=BC_TEST_CLIENT_ID&client_secret_env=BC_TEST_CLIENT_SECRET"
        path = self.env.server.base_url[len(self.env.server.origin) :]
        return f"bc_api:{self.proxy.origin}{path}?{refs}"

    def source(self, environ: dict[str, str] | None = None) -> BcApiSource:
        return BcApiSource(
            self.source_url, environ=self.env.env if environ is None else environ, retry=FAST_RETRY
        )

    def load(self, environ: dict[str, str] | None = None) -> Any:
        with self.source(environ) as source:
            return load(source, API_COMPANY, warehouse_url=self.warehouse)


@pytest.fixture(scope="module")
def _api_server(pg_server_url: str) -> Iterator[tuple[BcEnvironment, RewritingProxy, str]]:
    """The served company, a proxy in front of it and a warehouse template holding its first load."""
    import secrets

    from costclose.bc_api_server import ServerConfig, ServerThread

    env = SecretEnv(BC_TEST_CLIENT_ID=CLIENT_ID, BC_TEST_CLIENT_SECRET=secrets.token_urlsafe(24))
    suffix = uuid.uuid4().hex[:8]
    erp_name, wh_name = f"bad_erp_{suffix}", f"bad_apiwh_{suffix}"
    erp = create_db(pg_server_url, erp_name)
    seed_api_company(erp)
    server = ServerThread(
        ServerConfig(
            erp_url=erp, client_id=CLIENT_ID, client_secret=env["BC_TEST_CLIENT_SECRET"], page_size=5
        )
    ).start()
    proxy = RewritingProxy(server.origin)
    try:
        wh = create_db(pg_server_url, wh_name)
        case = ApiCase(BcEnvironment(erp, server, env), proxy, wh)
        report = case.load()
        assert report.tables["value_entry"].upserted == 23 and report.quarantine_open == 0
        yield case.env, proxy, wh_name
    finally:
        proxy.stop()
        server.stop()
        drop_db(pg_server_url, wh_name)
        drop_db(pg_server_url, erp_name)


@pytest.fixture
def api_case(pg_server_url: str, _api_server: tuple[BcEnvironment, RewritingProxy, str]) -> Iterator[ApiCase]:
    env, proxy, wh_template = _api_server
    name = f"bad_apiwh_{uuid.uuid4().hex[:10]}"
    warehouse = create_db(pg_server_url, name, wh_template)
    env.server.faults.clear()
    env.server.faults.reset_stats()
    proxy.rewrite = None
    try:
        yield ApiCase(env, proxy, warehouse)
    finally:
        env.server.faults.clear()
        proxy.rewrite = None
        drop_db(pg_server_url, name)

"""The FastAPI application: a BC environment serving one ERP database in BC's payload shapes.

Routes (``<env>`` is any environment name, as in ``https://api.businesscentral.dynamics.com/v2.0/<env>``):

* ``POST /oauth2/v2.0/token`` or ``/<tenant>/oauth2/v2.0/token`` -- OAuth2 client credentials;
* ``/v2.0/<env>/api/v2.0/companies``, ``companies({id})/generalLedgerEntries|itemLedgerEntries|accounts|
  journals``, ``journals({id})/journalLines``, ``journalLines({id})/dimensionSetLines``,
  ``journals({id})/Microsoft.NAV.post``, ``generalLedgerEntries({id})/dimensionSetLines``;
* ``/v2.0/<env>/ODataV4/Company('<name>')/<Service>`` (and ``/$count``) for every raw table
  (``entities.ODATA_SERVICES``).

Collections page server-side (``@odata.nextLink`` with ``$skiptoken``; ``Prefer: odata.maxpagesize``
lowers the page size) and accept ``$filter``, ``$select``, ``$top``, ``$count=true`` and
``$apply=aggregate(...)``. Decimals are exact JSON numbers. Faults are injected by
``faults.FaultMiddleware``.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import re
import secrets
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, quote, unquote

import psycopg2
from fastapi import FastAPI, Request
from fastapi.responses import Response
from psycopg2 import sql
from psycopg2.extensions import connection
from psycopg2.pool import ThreadedConnectionPool

from costclose.bc_api_client import dumps, encode_enum
from costclose.bc_api_server import journals
from costclose.bc_api_server.entities import (
    API_ENTITIES,
    DIMENSION_SET_LINES,
    GL_ENTRY_DIMENSION_SET_LINES,
    JOURNAL_LINES,
    JOURNALS,
    ODATA_SERVICES,
    Entity,
)
from costclose.bc_api_server.faults import FaultMiddleware, FaultPlan, error_body
from costclose.bc_api_server.query import (
    ODataQueryError,
    Prop,
    make_skiptoken,
    parse_apply,
    parse_filter,
    parse_skiptoken,
)

log = logging.getLogger(__name__)

BLANK_DATE = "0001-01-01"
BLANK_DATETIME = "0001-01-01T00:00:00Z"
JSON = "application/json; odata.metadata=minimal; charset=utf-8"


@dataclass
class ServerConfig:
    """What one server instance serves and whom it lets in. The secret is compared, never logged."""

    erp_url: str
    client_id: str
    client_secret: str = field(repr=False)
    page_size: int = 20_000  # BC online's fixed maximum (bc-interfaces.md §2.4)
    token_ttl: int = 3599
    faults: FaultPlan = field(default_factory=FaultPlan)


class _Tokens:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[str, float] = {}

    def issue(self, ttl: int) -> str:
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._tokens[token] = time.monotonic() + ttl
        return token

    def valid(self, token: str) -> bool:
        with self._lock:
            expires = self._tokens.get(token)
        return expires is not None and time.monotonic() < expires

    def revoke_all(self) -> None:
        with self._lock:
            self._tokens.clear()


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(body), status_code=status, media_type=JSON, headers=headers)


def _error(status: int, code: str, message: str) -> Response:
    return Response(error_body(code, message), status_code=status, media_type=JSON)


def _out(kind: str, value: Any) -> Any:
    """A database value in BC's JSON form (BC has no nulls: blanks are '', 0, 0001-01-01)."""
    if kind == "enum":
        return encode_enum(value or "")
    if value is None:
        return {"int": 0, "dec": Decimal(0), "bool": False, "date": BLANK_DATE, "datetime": BLANK_DATETIME,
                "guid": str(uuid.UUID(int=0))}.get(kind, "")  # fmt: skip
    if kind == "guid":
        return str(value)
    if kind == "datetime" and isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if kind == "date" and isinstance(value, date):
        return value.isoformat()
    return value


def _etag(row_version: Any) -> str:
    return 'W/"' + base64.b64encode(f"'{row_version};'".encode()).decode() + '"'


class BcApiServer:
    """State shared by the routes: config, connection pool, tokens."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.tokens = _Tokens()
        self._pool: ThreadedConnectionPool | None = None
        self._pool_lock = threading.Lock()

    @contextlib.contextmanager
    def db(self) -> Iterator[connection]:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadedConnectionPool(1, 12, self.config.erp_url)
                conn = self._pool.getconn()
                try:
                    journals.install(conn)
                finally:
                    self._pool.putconn(conn)
            pool = self._pool
        conn = pool.getconn()
        try:
            yield conn
            conn.rollback()
        except BaseException:
            conn.rollback()
            raise
        finally:
            pool.putconn(conn)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.closeall()
            self._pool = None

    def issue_token(self, form: dict[str, str]) -> Response:
        """The token endpoint (Entra ID's shape): client credentials in, bearer token out."""
        if form.get("grant_type") != "client_credentials":
            return _json(
                {
                    "error": "unsupported_grant_type",
                    "error_description": "AADSTS70003: use client_credentials.",
                },
                400,
            )
        config = self.config
        secret_ok = secrets.compare_digest(
            form.get("client_secret", "").encode(), config.client_secret.encode()
        )
        if form.get("client_id") != config.client_id or not secret_ok:
            return _json(
                {
                    "error": "invalid_client",
                    "error_description": "AADSTS7000215: Invalid client secret provided.",
                },
                401,
            )
        token = self.tokens.issue(config.token_ttl)
        return _json(
            {
                "token_type": "Bearer",
                "expires_in": config.token_ttl,
                "ext_expires_in": config.token_ttl,
                "access_token": token,
            }
        )

    # -- companies ----------------------------------------------------------------------------------

    def companies(self, conn: connection) -> list[tuple[str, str, str]]:
        """(id, name, display name) of each company in the ERP database."""
        with conn.cursor() as cur:
            cur.execute("select to_regclass('bc.company') is not null")
            if cur.fetchone()[0]:
                cur.execute(
                    "select system_id, name, coalesce(nullif(display_name, ''), name) "
                    "from bc.company order by name"
                )
                return [(str(i), n, d) for i, n, d in cur.fetchall()]
            cur.execute("select distinct company from bc.g_l_account order by 1")
            return [(str(uuid.uuid5(uuid.NAMESPACE_URL, f"costclose:{n}")), n, n) for (n,) in cur.fetchall()]

    def company_by_id(self, conn: connection, company_id: str) -> str:
        for cid, name, _ in self.companies(conn):
            if cid == company_id.strip("'").lower():
                return name
        raise LookupError(f"The company with id {company_id} does not exist.")

    def company_by_segment(self, conn: connection, segment: str) -> str:
        m = re.fullmatch(r"Company\('(.*)'\)", segment) or re.fullmatch(
            r"Company\(Id=([0-9a-fA-F-]{36})\)", segment
        )
        if not m:
            raise LookupError(f"'{segment}' is not a company segment like Company('CRONUS').")
        value = m.group(1).replace("''", "'")
        names = {n: n for _, n, _ in self.companies(conn)} | {i: n for i, n, _ in self.companies(conn)}
        if value.lower() in names:
            return names[value.lower()]
        if value in names:
            return names[value]
        raise LookupError(f"Cannot open company {value}.")

    # -- collections --------------------------------------------------------------------------------

    def _where(
        self, request: Request, entity: Entity, company: str, extra: list[tuple[sql.Composable, list[Any]]]
    ) -> tuple[sql.Composable, list[Any]]:
        """``from ... where ...`` for the company, the route's scope and ``$filter``, with parameters."""
        where: list[sql.Composable] = [sql.SQL("{} = %s").format(entity.company_expr)]
        args: list[Any] = [company]
        scope = list(extra)
        if request.query_params.get("$filter"):
            scope.append(parse_filter(request.query_params["$filter"], entity.by_name))
        for cond, values in scope:
            where.append(cond)
            args.extend(values)
        return sql.SQL("from {} where {}").format(entity.from_sql, sql.SQL(" and ").join(where)), args

    def collection(
        self,
        request: Request,
        conn: connection,
        entity: Entity,
        company: str,
        extra: list[tuple[sql.Composable, list[Any]]] | None = None,
    ) -> Response:
        """One page of a collection, with ``@odata.nextLink`` when more remain."""
        params = request.query_params
        base, args = self._where(request, entity, company, extra or [])
        if params.get("$apply"):
            return self._aggregate(conn, request, entity, base, args)
        body: dict[str, Any] = {"@odata.context": f"{_root(request)}/$metadata#{entity.name}"}
        if params.get("$count") == "true":
            with conn.cursor() as cur:
                cur.execute(sql.SQL("select count(*) {}").format(base), args)
                body["@odata.count"] = cur.fetchone()[0]
        keys = entity.key_props
        key_list = sql.SQL(", ").join(k.expr for k in keys)
        if params.get("$skiptoken"):
            args = [*args, *parse_skiptoken(params["$skiptoken"], keys)]
            base = sql.SQL("{} and ({}) > ({})").format(
                base, key_list, sql.SQL(", ").join(sql.SQL("%s") for _ in keys)
            )
        selected = _selected(params.get("$select"), entity)
        page = self.page_size(request)
        top = int(params["$top"]) if params.get("$top") else None
        limit = min(page, top) if top is not None else page
        query = sql.SQL("select {}, {}, {} {} order by {} limit %s").format(
            sql.SQL(", ").join(p.expr for p in selected),
            entity.etag_expr or sql.SQL("null"),
            key_list,
            base,
            key_list,
        )
        with conn.cursor() as cur:
            cur.execute(query, [*args, limit + 1])
            rows = cur.fetchall()
        n = len(selected)
        body["value"] = [_item(entity, selected, row) for row in rows[:limit]]
        if len(rows) > limit and top is None:
            body["@odata.nextLink"] = _next_link(request, make_skiptoken(list(rows[limit - 1][n + 1 :])))
        applied = "odata.maxpagesize" in request.headers.get("prefer", "")
        return _json(body, headers={"Preference-Applied": f"odata.maxpagesize={page}"} if applied else None)

    def _aggregate(
        self, conn: connection, request: Request, entity: Entity, base: sql.Composable, args: list[Any]
    ) -> Response:
        aggs = parse_apply(request.query_params["$apply"], entity.by_name)
        with conn.cursor() as cur:
            cur.execute(sql.SQL("select {} {}").format(sql.SQL(", ").join(a for a, _ in aggs), base), args)
            row = cur.fetchone()
        value = dict(zip([name for _, name in aggs], row, strict=True))
        return _json({"@odata.context": f"{_root(request)}/$metadata#{entity.name}", "value": [value]})

    def count(self, request: Request, conn: connection, entity: Entity, company: str) -> Response:
        base, args = self._where(request, entity, company, [])
        with conn.cursor() as cur:
            cur.execute(sql.SQL("select count(*) {}").format(base), args)
            n = cur.fetchone()[0]
        return Response(str(n), media_type="text/plain")

    def one(
        self,
        request: Request,
        conn: connection,
        entity: Entity,
        key: tuple[str, uuid.UUID],
        status: int = 200,
    ) -> Response:
        """The entity ``key`` = (company, id) as a single JSON object (201 after a create)."""
        query = sql.SQL("select {}, null from {} where {} = %s and {} = %s").format(
            sql.SQL(", ").join(p.expr for p in entity.props),
            entity.from_sql,
            entity.company_expr,
            entity.by_name["id"].expr,
        )
        with conn.cursor() as cur:
            cur.execute(query, (key[0], str(key[1])))
            row = cur.fetchone()
        if row is None:
            return _error(404, "BadRequest_NotFound", f"The {entity.name} record does not exist.")
        item = {"@odata.context": f"{_root(request)}/$metadata#{entity.name}/$entity"}
        item.update(_item(entity, list(entity.props), row))
        return _json(item, status=status)

    def page_size(self, request: Request) -> int:
        m = re.search(r"odata\.maxpagesize=(\d+)", request.headers.get("prefer", ""))
        wanted = int(m.group(1)) if m else self.config.page_size
        return max(1, min(wanted, self.config.page_size))


def _selected(select: str | None, entity: Entity) -> list[Prop]:
    if not select:
        return list(entity.props)
    props = entity.by_name
    names = [n.strip() for n in select.split(",")]
    unknown = [n for n in names if n not in props]
    if unknown:
        raise ODataQueryError(f"Could not find a property named '{unknown[0]}'.")
    return [props[n] for n in names]


def _item(entity: Entity, selected: list[Prop], row: tuple[Any, ...]) -> dict[str, Any]:
    """One record: ``@odata.etag`` (from the row version) first, then the properties in BC's form."""
    n = len(selected)
    item: dict[str, Any] = {}
    if entity.etag_expr is not None:
        item["@odata.etag"] = _etag(row[n])
    item.update({p.name: _out(p.kind, v) for p, v in zip(selected, row[:n], strict=True)})
    return item


def _next_link(request: Request, skiptoken: str) -> str:
    """The request's URL with ``$skiptoken`` set, written the way BC writes it (``$skiptoken=12``)."""
    kept = [p for p in request.url.query.split("&") if p and not unquote(p).startswith("$skiptoken=")]
    kept.append("$skiptoken=" + quote(skiptoken, safe="',:-"))
    url = request.url
    path = quote(url.path, safe="/()',=$:@")
    return f"{url.scheme}://{url.netloc}{path}?" + "&".join(kept)


def _guid(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text.strip("'"))
    except ValueError as exc:
        raise LookupError(f"'{text}' is not a valid id.") from exc


class Handlers:
    """The routes' bodies: each takes the request, a database connection and the path parameters."""

    def __init__(self, server: BcApiServer) -> None:
        self.server = server

    def _company(self, conn: connection, p: dict[str, str]) -> str:
        return self.server.company_by_id(conn, p["cid"])

    def list_companies(self, request: Request, conn: connection, p: dict[str, str]) -> Response:
        rows = [
            {
                "id": i,
                "systemVersion": "26.0",
                "timestamp": 0,
                "name": n,
                "displayName": d,
                "businessProfileId": "",
            }
            for i, n, d in self.server.companies(conn)
        ]
        return _json({"@odata.context": f"{_root(request)}/$metadata#companies", "value": rows})

    def api_collection(self, request: Request, conn: connection, p: dict[str, str]) -> Response:
        company = self._company(conn, p)
        if p["entity"] == "dimensionSetLines":
            return self.server.collection(request, conn, DIMENSION_SET_LINES, company)
        if p["entity"] not in API_ENTITIES:
            raise LookupError(f"No HTTP resource was found that matches the request URI: {p['entity']}")
        return self.server.collection(request, conn, API_ENTITIES[p["entity"]], company)

    def create_journal(self, request: Request, conn: connection, p: dict[str, str]) -> Response:
        company = self._company(conn, p)
        jid = journals.create_journal(conn, company, _body(request))
        return self.server.one(request, conn, JOURNALS, (company, jid), 201)

    def journal_lines(self, request: Request, conn: connection, p: dict[str, str]) -> Response:
        company = self._company(conn, p)
        journals.journal_company(conn, _guid(p["jid"]), company)
        scope = [(sql.SQL("t.journal_id = %s"), [str(_guid(p["jid"]))])]
        return self.server.collection(request, conn, JOURNAL_LINES, company, scope)

    def create_line(self, request: Request, conn: connection, p: dict[str, str]) -> Response:
        company = self._company(conn, p)
        lid = journals.create_line(conn, company, _guid(p["jid"]), _body(request))
        return self.server.one(request, conn, JOURNAL_LINES, (company, lid), 201)

    def delete_line(self, request: Request, conn: connection, p: dict[str, str]) -> Response:
        journals.delete_line(conn, self._company(conn, p), _guid(p["jid"]), _guid(p["lid"]))
        return Response(status_code=204)

    def line_dimensions(self, request: Request, conn: connection, p: dict[str, str]) -> Response:
        company = self._company(conn, p)
        journals.journal_company(conn, _guid(p["jid"]), company)
        scope = [(sql.SQL("t.parent_id = %s"), [str(_guid(p["lid"]))])]
        return self.server.collection(request, conn, DIMENSION_SET_LINES, company, scope)

    def create_line_dimension(self, request: Request, conn: connection, p: dict[str, str]) -> Response:
        company = self._company(conn, p)
        did = journals.create_dimension_line(conn, company, _guid(p["jid"]), _guid(p["lid"]), _body(request))
        return self.server.one(request, conn, DIMENSION_SET_LINES, (company, did), 201)

    def post_journal(self, request: Request, conn: connection, p: dict[str, str]) -> Response:
        journals.post(conn, self._company(conn, p), _guid(p["jid"]))
        return Response(status_code=204)

    def gl_entry_dimensions(self, request: Request, conn: connection, p: dict[str, str]) -> Response:
        scope = [(sql.SQL("g.system_id = %s"), [str(_guid(p["gid"]))])]
        return self.server.collection(
            request, conn, GL_ENTRY_DIMENSION_SET_LINES, self._company(conn, p), scope
        )

    def _service(self, conn: connection, p: dict[str, str]) -> tuple[str, Entity]:
        company = self.server.company_by_segment(conn, unquote(p["company_segment"]))
        if p["service"] not in ODATA_SERVICES:
            raise LookupError(f"No HTTP resource was found that matches the request URI: {p['service']}")
        return company, ODATA_SERVICES[p["service"]]

    def odata_collection(self, request: Request, conn: connection, p: dict[str, str]) -> Response:
        company, entity = self._service(conn, p)
        return self.server.collection(request, conn, entity, company)

    def odata_count(self, request: Request, conn: connection, p: dict[str, str]) -> Response:
        company, entity = self._service(conn, p)
        return self.server.count(request, conn, entity, company)


API = "/v2.0/{env}/api/v2.0/companies({cid})"
ODATA = "/v2.0/{env}/ODataV4/{company_segment}/{service}"
JOURNAL = API + "/journals({jid})"
LINE = JOURNAL + "/journalLines({lid})"
ROUTES: tuple[tuple[str, str, str], ...] = (
    ("/v2.0/{env}/api/v2.0/companies", "list_companies", "GET"),
    (API + "/journals", "create_journal", "POST"),
    (JOURNAL + "/journalLines", "journal_lines", "GET"),
    (JOURNAL + "/journalLines", "create_line", "POST"),
    (LINE, "delete_line", "DELETE"),
    (LINE + "/dimensionSetLines", "line_dimensions", "GET"),
    (LINE + "/dimensionSetLines", "create_line_dimension", "POST"),
    (JOURNAL + "/Microsoft.NAV.post", "post_journal", "POST"),
    (API + "/generalLedgerEntries({gid})/dimensionSetLines", "gl_entry_dimensions", "GET"),
    (API + "/{entity}", "api_collection", "GET"),
    (ODATA + "/$count", "odata_count", "GET"),
    (ODATA, "odata_collection", "GET"),
)


def _root(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def create_app(config: ServerConfig) -> FastAPI:
    """The ASGI app, fault middleware and token check included."""
    server = BcApiServer(config)
    app = FastAPI(title="BC-shaped API server (costclose)", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.server = server
    app.state.faults = config.faults
    app.add_middleware(FaultMiddleware, plan=config.faults)  # type: ignore[arg-type]

    @app.middleware("http")
    async def authorize(request: Request, call_next: Any) -> Response:
        if request.url.path.endswith("/oauth2/v2.0/token"):
            return await call_next(request)
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer ") or not server.tokens.valid(auth[7:]):
            resp = _error(
                401, "Authentication_InvalidCredentials", "The server has rejected the client credentials."
            )
            resp.headers["WWW-Authenticate"] = 'Bearer realm="", error="invalid_token"'
            return resp
        return await call_next(request)

    async def token(request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        return server.issue_token(form)

    app.add_api_route("/oauth2/v2.0/token", token, methods=["POST"])
    app.add_api_route("/{tenant}/oauth2/v2.0/token", token, methods=["POST"])
    handlers = Handlers(server)
    for path, name, method in ROUTES:
        app.add_api_route(path, _endpoint(server, getattr(handlers, name)), methods=[method])
    return app


def _body(request: Request) -> dict[str, Any]:
    return request.state.json_body  # type: ignore[no-any-return]


def _guarded(server: BcApiServer, handler: Any, request: Request) -> Response:
    """Run a handler with a pooled connection; BC-shaped errors for what goes wrong."""
    try:
        with server.db() as conn:
            return handler(request, conn, dict(request.path_params))  # type: ignore[no-any-return]
    except (ODataQueryError, ValueError) as exc:  # ValueError: e.g. $top=abc
        return _error(400, "BadRequest", str(exc))
    except LookupError as exc:
        return _error(404, "BadRequest_NotFound", str(exc))
    except journals.ApiRequestError as exc:
        return _error(exc.status, exc.code, str(exc))
    except psycopg2.Error as exc:
        log.exception("BC API server: database error on %s", request.url.path)
        return _error(500, "Internal_ServerError", f"An internal error occurred: {type(exc).__name__}.")


def _endpoint(server: BcApiServer, handler: Any) -> Any:
    """An async endpoint that reads the JSON body, then runs the (blocking) handler in a worker thread."""
    from starlette.concurrency import run_in_threadpool

    async def endpoint(request: Request) -> Response:
        raw = await request.body()
        try:
            request.state.json_body = json.loads(raw, parse_float=Decimal) if raw else {}
        except ValueError:
            return _error(400, "BadRequest", "The request body is not valid JSON.")
        return await run_in_threadpool(_guarded, server, handler, request)

    return endpoint

"""Provision the "Inventory close" Metabase dashboard from docker/bi/dashboard.yml, idempotently.

Run by the compose service ``bi-provision`` (the costclose image) once Metabase is healthy:

1. first start: ``POST /api/setup`` creates the admin (``MB_ADMIN_EMAIL`` / ``MB_ADMIN_PASSWORD``) with
   the setup token from ``GET /api/session/properties``; later starts log in with ``POST /api/session``;
2. the warehouse connection, restricted to the ``marts`` schema and logging in as the BI role's user
   (``COSTCLOSE_BI_PASSWORD`` / ``AIRFLOW_CONN_COSTCLOSE_BI``, the login ``costclose db roles`` created);
3. a collection ``costclose``, one native-SQL card per entry of dashboard.yml, and the dashboard with
   its filters wired to each card's ``{{company}}`` / ``{{period}}`` variables;
4. Metabase's custom home page set to the dashboard, so ``http://localhost:3000/`` opens it.

Objects are found again by name (database) or by name inside the collection (cards, dashboard) and
updated in place, so a rerun changes nothing and keeps ids (and the dashboard's URL) stable.
Secrets come from the environment only and are never logged.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx
import yaml

log = logging.getLogger("costclose.bi.provision")

HERE = Path(__file__).resolve().parent
DEFINITION = HERE / "dashboard.yml"
# stable ids for template tags and dashboard parameters (a rerun must not change them)
NAMESPACE = uuid.UUID("0b6c3f57-5f0e-4c43-9d0e-7d1f2c1e9a10")
_TAG = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_OPTIONAL = re.compile(r"\[\[(.*?)\]\]", re.DOTALL)


class ProvisionError(RuntimeError):
    """Metabase refused a request, or the environment lacks a setting; the message says which."""


# -- the dashboard definition ----------------------------------------------------------------------


def load_definition(path: Path = DEFINITION) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


def tags_in(query: str) -> list[str]:
    """The Metabase variables (``{{name}}``) a native query uses, in order of first use."""
    return list(dict.fromkeys(_TAG.findall(query)))


def render_sql(query: str, values: Mapping[str, str]) -> tuple[str, dict[str, str]]:
    """The query as Metabase runs it for these filter values, as psycopg2 SQL + parameters.

    Metabase's rules: a ``[[ ... ]]`` clause is kept only when every variable in it has a value; a
    variable outside such a clause must have one. Values are bound as parameters, never spliced in.
    Hand-written because the syntax is Metabase's own; used to test every card against the warehouse.
    """

    def optional(match: re.Match[str]) -> str:
        inner = match.group(1)
        return inner if all(values.get(t) for t in tags_in(inner)) else ""

    text = _OPTIONAL.sub(optional, query)
    missing = [t for t in tags_in(text) if not values.get(t)]
    if missing:
        raise ProvisionError(f"the query needs a value for {', '.join(missing)}")
    text = text.replace("%", "%%")
    text = _TAG.sub(lambda m: f"%({m.group(1)})s", text)
    return text, {t: values[t] for t in tags_in(query) if values.get(t)}


def template_tags(card_key: str, query: str, parameters: Mapping[str, str]) -> dict[str, Any]:
    """Metabase's ``template-tags`` of a native query: one optional text variable per ``{{name}}``."""
    return {
        tag: {
            "id": str(uuid.uuid5(NAMESPACE, f"{card_key}/{tag}")),
            "name": tag,
            "display-name": parameters.get(tag, tag),
            "type": "text",
            "required": False,
        }
        for tag in tags_in(query)
    }


def dashboard_parameters(definition: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "id": uuid.uuid5(NAMESPACE, f"parameter/{p['slug']}").hex[:8],
            "name": p["name"],
            "slug": p["slug"],
            "type": "string/=",
            "sectionId": "string",
        }
        for p in definition["dashboard"].get("parameters", [])
    ]


# -- the connection Metabase uses --------------------------------------------------------------------


def warehouse_details(bi_url: str, schema: str) -> dict[str, Any]:
    """Metabase's postgres ``details`` for the BI role's URL, restricted to ``schema``."""
    parts = urlsplit(bi_url)
    if not parts.username or parts.password is None:
        raise ProvisionError(
            "The BI role has no login: set COSTCLOSE_BI_PASSWORD (or AIRFLOW_CONN_COSTCLOSE_BI) and run "
            "`costclose db roles` first."
        )
    return {
        "host": parts.hostname,
        "port": parts.port or 5432,
        "dbname": unquote(parts.path.lstrip("/")),
        "user": unquote(parts.username),
        "password": unquote(parts.password),
        "ssl": False,
        "schema-filters-type": "inclusion",
        "schema-filters-patterns": schema,
    }


def bi_url_from_environment(env: Mapping[str, str]) -> str:
    """The warehouse URL with the BI role's login, from COSTCLOSE_DATABASE_URL and the BI credentials.

    Never falls back to the server's own login: Metabase gets the BI role or nothing.
    """
    from costclose.db import with_database
    from costclose.security.credentials import login_for
    from costclose.security.session import with_login

    server = env.get("COSTCLOSE_DATABASE_URL")
    if not server:
        raise ProvisionError("COSTCLOSE_DATABASE_URL is not set: the BI tool needs the warehouse's server.")
    login = login_for("bi", env)
    if login is None:
        raise ProvisionError(
            "The BI role has no login: set COSTCLOSE_BI_PASSWORD (or AIRFLOW_CONN_COSTCLOSE_BI) in .env and "
            "run `costclose db roles` first."
        )
    warehouse = with_database(server, env.get("COSTCLOSE_WAREHOUSE_DB", "costclose_warehouse"))
    return with_login(warehouse, login.user, login.password)


# -- Metabase's REST API -----------------------------------------------------------------------------


def _data(payload: Any) -> list[dict[str, Any]]:
    """List endpoints answer a list, or ``{"data": [...]}`` in newer Metabase versions."""
    if isinstance(payload, dict):
        return list(payload.get("data", []))
    return list(payload)


@dataclass
class Result:
    """What a provisioning run ended with (ids are Metabase's)."""

    database_id: int
    collection_id: int
    dashboard_id: int
    card_ids: dict[str, int] = field(default_factory=dict)
    created: list[str] = field(default_factory=list)

    def dashboard_path(self) -> str:
        return f"/dashboard/{self.dashboard_id}"


class Metabase:
    """A small client over httpx: JSON in, JSON out, a clear error for any refusal."""

    def __init__(self, client: httpx.Client) -> None:
        self.http = client

    def call(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        response = self.http.request(method, path, json=body, params=params or None)
        if response.status_code >= 400:
            # never echo the request body: it may carry a password
            raise ProvisionError(
                f"Metabase answered {response.status_code} to {method} {path}: {response.text[:300]}"
            )
        return response.json() if response.content else None

    def wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if self.http.get("/api/health").json().get("status") == "ok":
                    return
            except (httpx.HTTPError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise ProvisionError(
                    f"Metabase at {self.http.base_url} was not healthy after {timeout:.0f} s."
                )
            time.sleep(2)

    def login(self, email: str, password: str, site_name: str) -> None:
        props = self.call("GET", "/api/session/properties")
        if not props.get("has-user-setup") and props.get("setup-token"):
            log.info("first start: creating the Metabase admin %s", email)
            answer = self.call(
                "POST",
                "/api/setup",
                {
                    "token": props["setup-token"],
                    "user": {
                        "email": email,
                        "password": password,
                        "first_name": "costclose",
                        "last_name": "admin",
                        "site_name": site_name,
                    },
                    "prefs": {"site_name": site_name, "allow_tracking": False},
                },
            )
        else:
            answer = self.call("POST", "/api/session", {"username": email, "password": password})
        self.http.headers["X-Metabase-Session"] = answer["id"]

    def ensure_database(self, name: str, details: dict[str, Any], result_created: list[str]) -> int:
        body = {"name": name, "engine": "postgres", "details": details}
        for db in _data(self.call("GET", "/api/database")):
            if db.get("name") == name:
                self.call("PUT", f"/api/database/{db['id']}", body)
                return int(db["id"])
        result_created.append("database")
        return int(self.call("POST", "/api/database", {**body, "is_full_sync": True})["id"])

    def ensure_collection(self, name: str, created: list[str]) -> int:
        for coll in _data(self.call("GET", "/api/collection")):
            if coll.get("name") == name and not coll.get("archived") and isinstance(coll.get("id"), int):
                return int(coll["id"])
        created.append("collection")
        body = {"name": name, "color": "#509EE3", "parent_id": None}
        return int(self.call("POST", "/api/collection", body)["id"])

    def items(self, collection_id: int, model: str) -> dict[str, int]:
        found = _data(self.call("GET", f"/api/collection/{collection_id}/items", models=model))
        return {i["name"]: int(i["id"]) for i in found if i.get("model") == model}


def provision(mb: Metabase, definition: Mapping[str, Any], details: dict[str, Any]) -> Result:
    """Create or update the database connection, the cards and the dashboard; return their ids."""
    created: list[str] = []
    database_id = mb.ensure_database(definition["database"]["name"], details, created)
    dash = definition["dashboard"]
    collection_id = mb.ensure_collection(dash["collection"], created)
    labels = {p["slug"]: p["name"] for p in dash.get("parameters", [])}
    existing_cards = mb.items(collection_id, "card")
    card_ids: dict[str, int] = {}
    for card in definition["cards"]:
        body = {
            "name": card["name"],
            "description": f"costclose card {card['key']} (docker/bi/dashboard.yml)",
            "display": card["display"],
            "collection_id": collection_id,
            "visualization_settings": {},
            "dataset_query": {
                "type": "native",
                "database": database_id,
                "native": {
                    "query": card["query"],
                    "template-tags": template_tags(card["key"], card["query"], labels),
                },
            },
        }
        if card["name"] in existing_cards:
            card_ids[card["key"]] = existing_cards[card["name"]]
            mb.call("PUT", f"/api/card/{card_ids[card['key']]}", body)
        else:
            card_ids[card["key"]] = int(mb.call("POST", "/api/card", body)["id"])
            created.append(f"card {card['key']}")
    parameters = dashboard_parameters(definition)
    dash_body = {
        "name": dash["name"],
        "description": dash.get("description", ""),
        "collection_id": collection_id,
        "parameters": parameters,
    }
    dashboards = mb.items(collection_id, "dashboard")
    if dash["name"] in dashboards:
        dashboard_id = dashboards[dash["name"]]
    else:
        dashboard_id = int(mb.call("POST", "/api/dashboard", dash_body)["id"])
        created.append("dashboard")
    current = mb.call("GET", f"/api/dashboard/{dashboard_id}")
    placed = {dc.get("card_id"): dc["id"] for dc in current.get("dashcards", []) if dc.get("card_id")}
    param_ids = {p["slug"]: p["id"] for p in parameters}
    dashcards = []
    for n, card in enumerate(definition["cards"], start=1):
        card_id = card_ids[card["key"]]
        dashcards.append(
            {
                "id": placed.get(card_id, -n),  # negative: a new dashcard
                "card_id": card_id,
                **card["layout"],
                "parameter_mappings": [
                    {
                        "parameter_id": param_ids[tag],
                        "card_id": card_id,
                        "target": ["variable", ["template-tag", tag]],
                    }
                    for tag in tags_in(card["query"])
                    if tag in param_ids
                ],
                "visualization_settings": {},
            }
        )
    mb.call("PUT", f"/api/dashboard/{dashboard_id}", {**dash_body, "dashcards": dashcards})
    # Metabase's home page opens the dashboard: a URL that does not depend on the dashboard's id
    mb.call("PUT", "/api/setting/custom-homepage-dashboard", {"value": dashboard_id})
    mb.call("PUT", "/api/setting/custom-homepage", {"value": True})
    return Result(database_id, collection_id, dashboard_id, card_ids, created)


def main(env: Mapping[str, str] | None = None) -> Result:
    env = os.environ if env is None else env
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    base = env.get("MB_URL", "http://metabase:3000")
    email, password = env.get("MB_ADMIN_EMAIL"), env.get("MB_ADMIN_PASSWORD")
    if not email or not password:
        raise ProvisionError("Set MB_ADMIN_EMAIL and MB_ADMIN_PASSWORD (the Metabase admin) in .env.")
    definition = load_definition(Path(env.get("COSTCLOSE_BI_DASHBOARD", str(DEFINITION))))
    details = warehouse_details(bi_url_from_environment(env), definition["database"]["schema"])
    with httpx.Client(base_url=base, timeout=60) as client:
        mb = Metabase(client)
        mb.wait_healthy(float(env.get("MB_WAIT_SECONDS", "300")))
        mb.login(email, password, env.get("MB_SITE_NAME", "costclose"))
        result = provision(mb, definition, details)
    public = env.get("MB_PUBLIC_URL", "http://localhost:3000").rstrip("/")
    log.info(
        "dashboard %r: %s%s (%d cards; created: %s)",
        definition["dashboard"]["name"],
        public,
        result.dashboard_path(),
        len(result.card_ids),
        ", ".join(result.created) or "nothing, all updated in place",
    )
    return result


if __name__ == "__main__":
    try:
        main()
    except ProvisionError as exc:
        log.error("%s", exc)
        sys.exit(1)

"""docker/bi/provision.py against a recording stand-in for Metabase's REST API.

No Docker engine (and so no Metabase) runs here. The server below is a FAKE Metabase: a small in-memory
model of the endpoints the script calls, which records every request. It is used only to check the
script's request sequence -- first start (setup) versus rerun (login, everything updated in place, no
duplicates), the warehouse connection it configures, the cards' native SQL and the dashboard's filter
wiring -- not Metabase's behaviour. The SQL of every card is run for real under the BI role in
tests/security/test_bi_dashboard.py.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
# test-only secrets; the tests check they never reach the log
ADMIN = {"MB_ADMIN_EMAIL": "admin@example.com", "MB_ADMIN_PASSWORD": "mb-Admin-Secret-1"}
BI_PASSWORD = "bi-Provision-Secret-2"  # noqa: S105


def _provision_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "bi_provision_deploy", ROOT / "docker" / "bi" / "provision.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bi_provision_deploy"] = module
    spec.loader.exec_module(module)
    return module


provision = _provision_module()


@dataclass
class FakeMetabase:
    """In-memory state of the fake: what exists, and every request (method, path, query, body)."""

    requests: list[tuple[str, str, dict, Any]] = field(default_factory=list)
    setup_done: bool = False
    sessions: set[str] = field(default_factory=set)
    objects: dict[str, dict[int, dict]] = field(
        default_factory=lambda: {"database": {}, "collection": {}, "card": {}, "dashboard": {}}
    )
    next_id: int = 1
    settings: dict[str, Any] = field(default_factory=dict)

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def calls(self, method: str, prefix: str) -> list[tuple[str, str, dict, Any]]:
        return [r for r in self.requests if r[0] == method and r[1].startswith(prefix)]

    def handle(  # noqa: PLR0911, PLR0912 - one flat router for the fake's dozen endpoints
        self, method: str, path: str, query: dict, body: Any, session: str | None
    ) -> tuple[int, Any]:
        parts = path.strip("/").split("/")[1:]  # drop "api"
        if path == "/api/health":
            return 200, {"status": "ok"}
        if path == "/api/session/properties":
            return 200, {
                "has-user-setup": self.setup_done,
                "setup-token": None if self.setup_done else "tok-1",
            }
        if path == "/api/setup" and method == "POST":
            if self.setup_done or body["token"] != "tok-1":  # noqa: S105 - the fake's setup token
                return 403, {"message": "setup already done"}
            self.setup_done = True
            self.sessions.add("s-setup")
            return 200, {"id": "s-setup"}
        if path == "/api/session" and method == "POST":
            ok = body == {"username": ADMIN["MB_ADMIN_EMAIL"], "password": ADMIN["MB_ADMIN_PASSWORD"]}
            if not (self.setup_done and ok):
                return 401, {"message": "bad credentials"}
            self.sessions.add("s-login")
            return 200, {"id": "s-login"}
        if session not in self.sessions:
            return 401, "Unauthenticated"
        kind = parts[0]
        if kind == "setting" and method == "PUT":
            self.settings[parts[1]] = body["value"]
            return 204, None
        store = self.objects.get(kind)
        if store is None:
            return 404, {"message": f"no endpoint {path}"}
        if kind == "collection" and len(parts) == 3 and parts[2] == "items":
            models = query.get("models", [])
            items = [
                {"id": i, "name": o["name"], "model": k}
                for k in ("card", "dashboard")
                for i, o in self.objects[k].items()
                if o.get("collection_id") == int(parts[1]) and k in models
            ]
            return 200, {"data": items}
        if len(parts) == 1 and method == "GET":
            listed = [{"id": i, **o} for i, o in store.items()]
            if kind == "collection":
                return 200, [{"id": "root", "name": "Our analytics"}, *listed]
            return 200, {"data": listed} if kind == "database" else listed
        if len(parts) == 1 and method == "POST":
            new = self.new_id()
            store[new] = dict(body)
            if kind == "dashboard":
                store[new]["dashcards"] = []
            return 200, {"id": new, **store[new]}
        obj_id = int(parts[1])
        if obj_id not in store:
            return 404, {"message": "not found"}
        if method == "GET":
            return 200, {"id": obj_id, **store[obj_id]}
        if method == "PUT":
            update = dict(body)
            if kind == "dashboard" and "dashcards" in update:
                update["dashcards"] = [
                    {**dc, "id": dc["id"] if dc["id"] > 0 else self.new_id()} for dc in update["dashcards"]
                ]
            store[obj_id].update(update)
            return 200, {"id": obj_id, **store[obj_id]}
        return 405, {"message": "method not allowed"}


@pytest.fixture
def fake_metabase() -> Iterator[tuple[str, FakeMetabase]]:
    state = FakeMetabase()

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            split = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            query = parse_qs(split.query)
            state.requests.append((self.command, split.path, query, body))
            status, answer = state.handle(
                self.command, split.path, query, body, self.headers.get("X-Metabase-Session")
            )
            data = b"" if answer is None else json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = _serve  # noqa: N815 - http.server's naming

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()


def _env(url: str) -> dict[str, str]:
    return {
        **ADMIN,
        "MB_URL": url,
        "MB_WAIT_SECONDS": "5",
        "COSTCLOSE_DATABASE_URL": "postgresql://costclose:server-pw@postgres:5432/postgres",
        "COSTCLOSE_BI_PASSWORD": BI_PASSWORD,
    }


def test_first_run_sets_up_metabase_and_defines_the_dashboard(
    fake_metabase: tuple[str, FakeMetabase], caplog: pytest.LogCaptureFixture
) -> None:
    url, mb = fake_metabase
    definition = provision.load_definition()
    with caplog.at_level(logging.INFO):
        result = provision.main(_env(url))
    paths = [(m, p) for m, p, _, _ in mb.requests]
    assert paths[:3] == [("GET", "/api/health"), ("GET", "/api/session/properties"), ("POST", "/api/setup")]
    setup_body = mb.calls("POST", "/api/setup")[0][3]
    assert setup_body["user"]["email"] == ADMIN["MB_ADMIN_EMAIL"]
    # the warehouse connection: the BI login on the warehouse database, marts only
    (database,) = mb.objects["database"].values()
    assert database["engine"] == "postgres"
    details = database["details"]
    assert (details["host"], details["port"], details["dbname"]) == ("postgres", 5432, "costclose_warehouse")
    assert (details["user"], details["password"]) == ("costclose_bi_login", BI_PASSWORD)
    assert (details["schema-filters-type"], details["schema-filters-patterns"]) == ("inclusion", "marts")
    # one native card per definition entry, in the costclose collection
    cards = mb.objects["card"]
    assert sorted(c["name"] for c in cards.values()) == sorted(c["name"] for c in definition["cards"])
    for card in definition["cards"]:
        stored = cards[result.card_ids[card["key"]]]
        assert stored["collection_id"] == result.collection_id
        assert stored["dataset_query"]["type"] == "native"
        assert stored["dataset_query"]["database"] == result.database_id
        assert stored["dataset_query"]["native"]["query"] == card["query"]
        assert set(stored["dataset_query"]["native"]["template-tags"]) == set(
            provision.tags_in(card["query"])
        )
    # the dashboard: every card placed, every filter wired to the cards that use it
    dashboard = mb.objects["dashboard"][result.dashboard_id]
    assert dashboard["name"] == "Inventory close"
    assert [p["slug"] for p in dashboard["parameters"]] == ["company", "period"]
    assert {dc["card_id"] for dc in dashboard["dashcards"]} == set(result.card_ids.values())
    by_card = {dc["card_id"]: dc for dc in dashboard["dashcards"]}
    headline = by_card[result.card_ids["headline"]]
    assert {m["target"][1][1] for m in headline["parameter_mappings"]} == {"company", "period"}
    cost_shares = by_card[result.card_ids["cost_shares"]]
    assert {m["target"][1][1] for m in cost_shares["parameter_mappings"]} == {"company"}
    assert sorted(result.created) == sorted(
        ["database", "collection", "dashboard", *(f"card {c['key']}" for c in definition["cards"])]
    )
    assert mb.settings == {"custom-homepage-dashboard": result.dashboard_id, "custom-homepage": True}
    assert f"/dashboard/{result.dashboard_id}" in caplog.text
    for secret in (BI_PASSWORD, ADMIN["MB_ADMIN_PASSWORD"], "server-pw"):
        assert secret not in caplog.text


def test_rerun_logs_in_and_updates_in_place(fake_metabase: tuple[str, FakeMetabase]) -> None:
    url, mb = fake_metabase
    first = provision.main(_env(url))
    dashcard_ids = {dc["id"] for dc in mb.objects["dashboard"][first.dashboard_id]["dashcards"]}
    counts = {k: len(v) for k, v in mb.objects.items()}
    mb.requests.clear()
    second = provision.main(_env(url))
    assert mb.calls("POST", "/api/setup") == []
    assert len(mb.calls("POST", "/api/session")) == 1
    for created in ("/api/database", "/api/collection", "/api/card", "/api/dashboard"):
        assert mb.calls("POST", created) == [], created
    assert {k: len(v) for k, v in mb.objects.items()} == counts
    assert (second.dashboard_id, second.card_ids, second.database_id) == (
        first.dashboard_id,
        first.card_ids,
        first.database_id,
    )
    assert second.created == []
    assert {dc["id"] for dc in mb.objects["dashboard"][second.dashboard_id]["dashcards"]} == dashcard_ids


def test_without_a_bi_login_it_says_what_to_set(fake_metabase: tuple[str, FakeMetabase]) -> None:
    url, mb = fake_metabase
    env = _env(url)
    del env["COSTCLOSE_BI_PASSWORD"]
    with pytest.raises(provision.ProvisionError, match="COSTCLOSE_BI_PASSWORD"):
        provision.main(env)
    assert mb.requests == []

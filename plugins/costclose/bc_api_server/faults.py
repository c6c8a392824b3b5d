"""Fault injection for tests: the failures a real BC environment produces, on demand.

``FaultPlan.arm(kind, times=..., path_contains=..., retry_after=...)`` makes the next ``times`` matching
requests fail (``times=-1``: every one, for "persistent" failures). Kinds:

* ``429`` (throttled, with ``Retry-After``), ``500``, ``503``, ``504``: BC's error body and status;
* ``401``: the token is refused;
* ``drop``: headers are sent, then the connection is closed mid-body;
* ``truncate``: a 200 response whose JSON body is cut in half;
* ``corrupt``: the first record of a collection gets a number written as localized text ("1.234,50");
* ``slow``: the request is answered normally after ``delay`` seconds (to observe concurrency).

The plan also records what the server saw (requests, ``Data-Access-Intent``, peak concurrency), so
tests assert on the client's behaviour from the server's side.
"""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from costclose.bc_api_client import dumps

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

KINDS = ("429", "500", "503", "504", "401", "drop", "truncate", "corrupt", "slow")

_MESSAGES = {
    "429": ("TooManyRequests", "Too many requests reached. Wait a bit and try again."),
    "500": ("Internal_ServerError", "An internal error occurred."),
    "503": ("ServiceUnavailable", "The service is temporarily unavailable. Try again later."),
    "504": ("GatewayTimeout", "The request took too long to complete."),
    "401": ("Authentication_InvalidCredentials", "The server has rejected the client credentials."),
}


class DroppedConnection(Exception):  # noqa: N818 - the name says what the client sees
    """Raised inside the server to make uvicorn close the connection mid-response."""


@dataclass
class Fault:
    kind: str
    times: int  # -1 = forever
    path_contains: str = ""
    retry_after: float | None = None
    delay: float = 0.0
    method: str = ""  # only requests with this method ("" = any)


@dataclass
class RequestRecord:
    method: str
    path: str
    query: str
    data_access_intent: str | None


@dataclass
class FaultPlan:
    """Switches tests flip; thread-safe (the server runs in its own thread)."""

    faults: list[Fault] = field(default_factory=list)
    requests: list[RequestRecord] = field(default_factory=list)
    fired: dict[str, int] = field(default_factory=dict)
    in_flight: int = 0
    max_in_flight: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def arm(
        self,
        kind: str,
        *,
        times: int = 1,
        path_contains: str = "",
        retry_after: float | None = None,
        delay: float = 0.0,
        method: str = "",
    ) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown fault {kind!r}; use one of {KINDS}")
        with self._lock:
            self.faults.append(Fault(kind, times, path_contains, retry_after, delay, method.upper()))

    def clear(self) -> None:
        with self._lock:
            self.faults.clear()

    def reset_stats(self) -> None:
        with self._lock:
            self.requests.clear()
            self.fired.clear()
            self.max_in_flight = 0

    def take(self, method: str, path_and_query: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.method and fault.method != method:
                    continue
                if fault.times != 0 and fault.path_contains in path_and_query:
                    if fault.times > 0:
                        fault.times -= 1
                    self.fired[fault.kind] = self.fired.get(fault.kind, 0) + 1
                    return fault
            return None

    def enter(self, record: RequestRecord) -> None:
        with self._lock:
            self.requests.append(record)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def leave(self) -> None:
        with self._lock:
            self.in_flight -= 1


def error_body(code: str, message: str) -> bytes:
    """BC's error payload; BC appends a correlation id to every message."""
    return json.dumps(
        {"error": {"code": code, "message": f"{message}  CorrelationId:  {uuid.uuid4()}."}}
    ).encode()


def _corrupt(body: bytes) -> bytes:
    """The first record's first number rewritten as localized text, as a misconfigured proxy might."""
    try:
        data = json.loads(body, parse_float=Decimal)
    except ValueError:
        return body
    records = data.get("value") if isinstance(data, dict) else None
    if records and isinstance(records[0], dict):
        for name, value in records[0].items():
            if isinstance(value, int | Decimal) and not isinstance(value, bool):
                records[0][name] = "1.234,50"
                break
    return dumps(data).encode()


class FaultMiddleware:
    """ASGI middleware applying a ``FaultPlan`` before (or, for ``truncate``, after) the app."""

    def __init__(self, app: ASGIApp, plan: FaultPlan) -> None:
        self.app = app
        self.plan = plan

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode().lower(): v.decode() for k, v in scope.get("headers", [])}
        query = scope.get("query_string", b"").decode()
        record = RequestRecord(scope["method"], scope["path"], query, headers.get("data-access-intent"))
        self.plan.enter(record)
        try:
            fault = self.plan.take(scope["method"], f"{scope['path']}?{query}")
            if fault is None:
                await self.app(scope, receive, send)
            elif fault.kind == "slow":
                await asyncio.sleep(fault.delay)
                await self.app(scope, receive, send)
            elif fault.kind in ("truncate", "corrupt"):
                await self._rewritten(scope, receive, send, fault.kind)
            elif fault.kind == "drop":
                headers = [(b"content-type", b"application/json"), (b"content-length", b"4096")]
                await send({"type": "http.response.start", "status": 200, "headers": headers})
                await send({"type": "http.response.body", "body": b'{"value": [', "more_body": True})
                raise DroppedConnection("fault injection: connection dropped")
            else:
                await self._error(send, fault)
        finally:
            self.plan.leave()

    async def _error(self, send: Send, fault: Fault) -> None:
        code, message = _MESSAGES[fault.kind]
        body = error_body(code, message)
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        if fault.retry_after is not None:
            headers.append((b"retry-after", str(fault.retry_after).encode()))
        await send({"type": "http.response.start", "status": int(fault.kind), "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _rewritten(self, scope: Scope, receive: Receive, send: Send, kind: str) -> None:
        start: Message = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            else:
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        body = b"".join(chunks)
        cut = body[: max(1, len(body) // 2)] if kind == "truncate" else _corrupt(body)
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(cut)).encode()))
        await send({"type": "http.response.start", "status": start.get("status", 200), "headers": headers})
        await send({"type": "http.response.body", "body": cut})

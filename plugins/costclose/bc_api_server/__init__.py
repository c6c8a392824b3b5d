"""A BC-shaped HTTP server for the demo company: Business Central's API v2.0 and OData v4 web services
over an ERP database laid out by ``costclose.bc_schema`` (schema ``bc``), with OAuth2 client
credentials, server-driven paging, journal posting and switchable faults for tests (README.md).

``create_app(ServerConfig(...))`` builds the ASGI app; ``run_in_thread(config)`` / ``ServerThread``
serve it on 127.0.0.1 on a free port for tests and local runs. The names are loaded on first use, so
importing the CLI (``costclose bc-api``) does not load FastAPI.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "ServerConfig": "costclose.bc_api_server.app",
    "create_app": "costclose.bc_api_server.app",
    "FaultPlan": "costclose.bc_api_server.faults",
    "ServerThread": "costclose.bc_api_server.runner",
    "run_in_thread": "costclose.bc_api_server.runner",
}

__all__ = ["FaultPlan", "ServerConfig", "ServerThread", "create_app", "run_in_thread"]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

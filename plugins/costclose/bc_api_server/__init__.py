"""A BC-shaped HTTP server for the demo company: Business Central's API v2.0 and OData v4 web services
over an ERP database laid out by ``costclose.bc_schema`` (schema ``bc``), with OAuth2 client
credentials, server-driven paging, journal posting and switchable faults for tests.

``create_app(ServerConfig(...))`` builds the ASGI app; ``run_in_thread(config)`` serves it on
127.0.0.1 on a free port for tests and local runs.
"""

from costclose.bc_api_server.app import ServerConfig, create_app
from costclose.bc_api_server.faults import FaultPlan
from costclose.bc_api_server.runner import ServerThread, run_in_thread

__all__ = ["FaultPlan", "ServerConfig", "ServerThread", "create_app", "run_in_thread"]

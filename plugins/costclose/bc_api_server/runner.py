"""Serve the BC-shaped app with uvicorn on 127.0.0.1 in a background thread (tests, local runs)."""

from __future__ import annotations

import logging
import socket
import threading
import time

import uvicorn

from costclose.bc_api_server.app import ServerConfig, create_app
from costclose.bc_api_server.faults import FaultPlan
from costclose.errors import CostcloseError

log = logging.getLogger(__name__)


class ServerThread:
    """A running server: ``base_url`` is the environment root the ``bc_api:`` connector takes."""

    def __init__(self, config: ServerConfig, *, environment: str = "production") -> None:
        self.config = config
        self.app = create_app(config)
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.port = int(self._sock.getsockname()[1])
        self.origin = f"http://127.0.0.1:{self.port}"
        self.base_url = f"{self.origin}/v2.0/{environment}"
        self.token_url = f"{self.origin}/oauth2/v2.0/token"
        self._server = uvicorn.Server(
            uvicorn.Config(self.app, log_level="warning", access_log=False, timeout_graceful_shutdown=2)
        )
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )

    @property
    def faults(self) -> FaultPlan:
        return self.config.faults

    def start(self, timeout: float = 10.0) -> ServerThread:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise CostcloseError(f"The BC API server did not start on {self.origin}.")
            time.sleep(0.02)
        log.info("BC API server on %s", self.base_url)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self.app.state.server.close()
        self._sock.close()

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def run_in_thread(config: ServerConfig, *, environment: str = "production") -> ServerThread:
    """Start a server for ``config`` and return it (call ``stop()`` when done)."""
    return ServerThread(config, environment=environment).start()

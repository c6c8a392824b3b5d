"""Fixtures: a small BC-shaped company (``bc_api_company``) served over HTTP on 127.0.0.1.

The client secret is generated per test and handed over through the environment, never printed.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator

import pytest
from bc_api_company import CLIENT_ID, BcEnvironment, seed_company

from costclose.bc_api_server import ServerConfig, ServerThread


@pytest.fixture
def bc_env(make_database: Callable[[str], str], monkeypatch: pytest.MonkeyPatch) -> Iterator[BcEnvironment]:
    monkeypatch.setenv("BC_TEST_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("BC_TEST_CLIENT_SECRET", secrets.token_urlsafe(24))
    url = make_database("bcapi")
    seed_company(url)
    config = ServerConfig(
        erp_url=url, client_id=CLIENT_ID, client_secret=os.environ["BC_TEST_CLIENT_SECRET"], page_size=5
    )
    with ServerThread(config) as server:
        env = {k: os.environ[k] for k in ("BC_TEST_CLIENT_ID", "BC_TEST_CLIENT_SECRET")}
        yield BcEnvironment(url, server, env)

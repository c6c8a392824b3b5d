"""Fixtures for the GX suites: a fresh warehouse database with one clean close seeded."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from gx_warehouse import create_schema, seed_clean

from costclose.db import connect


@pytest.fixture
def warehouse(make_database: Callable[[str], str]) -> str:
    """URL of a warehouse holding the clean close of CRONUS 2025-01."""
    url = make_database("gx")
    with connect(url) as conn:
        create_schema(conn)
        seed_clean(conn)
    return url

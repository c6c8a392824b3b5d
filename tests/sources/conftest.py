"""Fixtures for landing tests: a BC-shaped source database and a warehouse database."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# Make the BC-shaped source database helper importable from this folder.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sources"))

from bc_source_db import create_bc_layout


@pytest.fixture(autouse=True)
def _private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """costclose's home (caches such as the bc2adls totals) in a temporary folder, not the repo's."""
    from costclose import config

    monkeypatch.setenv("COSTCLOSE_HOME", str(tmp_path / "costclose-home"))
    config.settings.cache_clear()
    yield
    config.settings.cache_clear()


@pytest.fixture
def source_url(make_database: Callable[[str], str]) -> str:
    """A fresh database with the BC layout (schema ``bc``), no companies yet."""
    url = make_database("src")
    create_bc_layout(url)
    return url


@pytest.fixture
def warehouse_url(make_database: Callable[[str], str]) -> str:
    return make_database("wh")

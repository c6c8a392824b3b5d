"""Fixtures: BC-shaped source databases and warehouses, cloned from per-session templates."""

from __future__ import annotations

import sys
from pathlib import Path

# The helper module (and its fixtures) lives in tests/sources; make it importable from here too.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sources"))

from bc_source_db import _private_home, _templates, clone_database, source_url, warehouse_url

__all__ = ["_private_home", "_templates", "clone_database", "source_url", "warehouse_url"]

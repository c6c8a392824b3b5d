"""The close-pack tests' company, period and warehouse handle (imported by conftest and the tests)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from costclose.db import connect

HOSTILE = "<script>alert(1)</script>'; drop table x;--"
COMPANY = HOSTILE
HOSTILE_ITEM = "1896-S"
PERIOD = "2026-02"


@dataclass(frozen=True)
class PackWarehouse:
    server_url: str
    url: str
    name: str
    company: str

    def query(self, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with connect(self.url) as conn, conn.cursor() as cur:
            cur.execute(query, params)
            return list(cur.fetchall())

    def value(self, query: str, params: tuple[Any, ...] = ()) -> Any:
        return self.query(query, params)[0][0]


@dataclass(frozen=True)
class Pack:
    out: Path
    result: dict[str, Any]


def money(value: Decimal) -> str:
    """How the page prints an amount."""
    return f"{value:,.2f}"

"""Encode typed Python rows as PostgreSQL COPY text format, for ``copy_expert`` bulk loads."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_value(value: Any) -> str:
    """One field in COPY text format (``\\N`` for NULL)."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).translate(_ESCAPES)


def copy_buffer(rows: Iterable[Sequence[Any]]) -> io.StringIO:
    """A text buffer holding ``rows`` in COPY text format, positioned at its start."""
    buf = io.StringIO()
    write = buf.write
    for row in rows:
        write("\t".join(map(copy_value, row)))
        write("\n")
    buf.seek(0)
    return buf

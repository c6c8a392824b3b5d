"""The close pack (issue 8): BC's reports as CSV, one workbook and one offline HTML page per close.

``write_close_pack`` and ``summary_table`` live in ``costclose.report.pack``; they are loaded on first
use so that importing the CLI does not import openpyxl and jinja2.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from costclose.report.pack import summary_table, write_close_pack

__all__ = ["summary_table", "write_close_pack"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from costclose.report import pack

        return getattr(pack, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

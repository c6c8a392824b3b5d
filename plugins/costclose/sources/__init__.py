"""Source connectors: one module per way data leaves BC (bc2adls, bc_api, sql), one contract.

``open_source(url)`` picks the connector from the URL's prefix: ``sql:<postgres URL>``,
``bc2adls:<folder or fsspec URL>`` or ``bc_api:<base URL>``.
"""

from __future__ import annotations

import importlib
from typing import Any

from costclose.db import redact
from costclose.errors import CostcloseError
from costclose.sources.base import Source

PREFIXES = ("sql:", "bc2adls:", "bc_api:")


def open_source(url: str, **options: Any) -> Source:
    """The connector for ``url``; ``options`` go to its constructor (e.g. ``batch_size``)."""
    if url.startswith("sql:"):
        from costclose.sources.sql import SqlSource

        return SqlSource(url, **options)
    if url.startswith("bc2adls:"):
        from costclose.sources.bc2adls import Bc2AdlsSource

        return Bc2AdlsSource(url, **options)
    if url.startswith("bc_api:"):
        module = importlib.import_module("costclose.sources.bc_api")
        factory = getattr(module, "open_source", None) or getattr(module, "BcApiSource", None)
        if factory is None:
            raise CostcloseError("The bc_api connector is not available in this installation.")
        return factory(url, **options)
    raise CostcloseError(
        f"Unknown source URL {redact(url)!r}: it must start with one of {', '.join(PREFIXES)} "
        "(e.g. sql:postgresql://user@host:5432/erp or bc2adls:/data/bc2adls)."
    )

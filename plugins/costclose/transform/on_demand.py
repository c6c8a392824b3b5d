"""Reports for any dates and filters, computed by the dbt project's macros (``dbt show --inline``).

The money math stays in SQL (``dbt_project/macros/inventory_valuation_on_demand.sql``); this module only
renders the call and returns the rows.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from costclose.transform.dbt import TransformError, run_dbt


def _literal(value: Any) -> str:
    """A Jinja literal for a macro argument (JSON is valid Jinja for str, list, None)."""
    if value is None:
        return "none"
    return json.dumps(value)


def inventory_valuation(
    warehouse_url: str,
    *,
    start_date: date | None = None,
    end_date: date | None = None,
    location_codes: Sequence[str] | None = None,
    item_nos: Sequence[str] | None = None,
    company: str | None = None,
    target_path: Path | None = None,
) -> list[dict[str, Any]]:
    """Inventory Valuation (report 1001) per company x item for the given dates and filters."""
    if start_date and end_date and start_date > end_date:
        raise TransformError(f"The start date {start_date} is after the end date {end_date}: swap them.")
    call = (
        "{{ inventory_valuation_on_demand("
        f"start_date={_literal(start_date and start_date.isoformat())}, "
        f"end_date={_literal(end_date and end_date.isoformat())}, "
        f"location_codes={_literal(list(location_codes) if location_codes is not None else None)}, "
        f"item_nos={_literal(list(item_nos) if item_nos is not None else None)}, "
        f"company={_literal(company)}) }}}}"
    )
    run = run_dbt(
        ["show", "--inline", call, "--limit", "-1"], warehouse_url, target_path=target_path, check=True
    )
    results = getattr(run.result, "results", None) or []
    if not results or getattr(results[0], "agate_table", None) is None:
        raise TransformError("dbt show returned no table; see the dbt log.")
    table = results[0].agate_table
    names = list(table.column_names)
    return [dict(zip(names, row, strict=True)) for row in table.rows]

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


def _show(macro: str, warehouse_url: str, arguments: dict[str, Any], target_path: Path | None) -> list[dict]:
    """Rows of ``{{ macro(arguments) }}`` through ``dbt show --inline``."""
    rendered = ", ".join(f"{name}={_literal(value)}" for name, value in arguments.items())
    run = run_dbt(
        ["show", "--inline", f"{{{{ {macro}({rendered}) }}}}", "--limit", "-1"],
        warehouse_url,
        target_path=target_path,
        check=True,
    )
    results = getattr(run.result, "results", None) or []
    if not results or getattr(results[0], "agate_table", None) is None:
        raise TransformError("dbt show returned no table; see the dbt log.")
    table = results[0].agate_table
    names = list(table.column_names)
    return [dict(zip(names, row, strict=True)) for row in table.rows]


def _arguments(
    start_date: date | None,
    end_date: date | None,
    location_codes: Sequence[str] | None,
    item_nos: Sequence[str] | None,
    company: str | None,
) -> dict[str, Any]:
    if start_date and end_date and start_date > end_date:
        raise TransformError(f"The start date {start_date} is after the end date {end_date}: swap them.")
    return {
        "start_date": start_date and start_date.isoformat(),
        "end_date": end_date and end_date.isoformat(),
        "location_codes": list(location_codes) if location_codes is not None else None,
        "item_nos": list(item_nos) if item_nos is not None else None,
        "company": company,
    }


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
    args = _arguments(start_date, end_date, location_codes, item_nos, company)
    return _show("inventory_valuation_on_demand", warehouse_url, args, target_path)


def inventory_gl_reconciliation(
    warehouse_url: str,
    *,
    start_date: date | None = None,
    end_date: date | None = None,
    location_codes: Sequence[str] | None = None,
    item_nos: Sequence[str] | None = None,
    company: str | None = None,
    target_path: Path | None = None,
) -> list[dict[str, Any]]:
    """Inventory - G/L Reconciliation matrix (§C) for any dates, with BC's location and item filters."""
    args = _arguments(start_date, end_date, location_codes, item_nos, company)
    return _show("inventory_gl_reconciliation_on_demand", warehouse_url, args, target_path)

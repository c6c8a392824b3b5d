"""Run suites with Great Expectations Core (1.24) in an ephemeral context against the warehouse.

One ephemeral context per validation run: nothing on disk but what costclose writes itself (the
result in the warehouse, the Data Docs page), so Airflow workers and the CLI need no GX project.
"""

from __future__ import annotations

import logging
from typing import Any

from costclose import logging_setup
from costclose.validation.model import CheckOutcome, jsonable
from costclose.validation.redaction import scrub
from costclose.validation.snapshot import SCHEMA, snapshot
from costclose.validation.suites import SuiteSpec

log = logging.getLogger(__name__)

# Rows kept per failing check (GX itself returns at most 200).
MAX_ROWS = 200


def _context() -> Any:
    logging_setup.quiet()
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return ctx


def _rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    details = result.get("details") or {}
    if "unexpected_rows" in details:
        return [jsonable(dict(r)) for r in details["unexpected_rows"][:MAX_ROWS]]
    values = result.get("partial_unexpected_list") or []
    return [v if isinstance(v, dict) else {"value": v} for v in jsonable(values)]


def _error(info: dict[str, Any]) -> str | None:
    """The first error message in GX's exception info (flat, or keyed by metric when several failed)."""
    candidates = [info] + [v for v in info.values() if isinstance(v, dict)]
    for candidate in candidates:
        if candidate.get("raised_exception"):
            message = str(candidate.get("exception_message") or "the expectation raised an error")
            return scrub(message.splitlines()[0])[:500]
    return None


def _outcome(suite: str, validation: Any) -> CheckOutcome:
    config = validation.expectation_config
    meta = config.meta or {}
    result = validation.result or {}
    error = _error(validation.exception_info or {})
    observed = result.get("observed_value")
    count = result.get("unexpected_count")
    if count is None and isinstance(observed, int) and config.type == "unexpected_rows_expectation":
        count = observed
    return CheckOutcome(
        key=str(meta.get("check", config.type)),
        suite=suite,
        description=config.description or config.type,
        success=bool(validation.success) and error is None,
        observed=jsonable(observed),
        unexpected_count=count,
        rows=_rows(result),
        error=error,
    )


def run_suites(warehouse_url: str, suites: list[SuiteSpec], run_name: str) -> list[CheckOutcome]:
    """Validate every suite; a suite that cannot run fails each of its checks with the error."""
    import great_expectations as gx

    ctx = _context()
    source = ctx.data_sources.add_postgres("warehouse", connection_string=warehouse_url)
    outcomes: list[CheckOutcome] = []
    for spec in suites:
        try:
            with snapshot(warehouse_url, spec.name, spec.asset_query) as table:
                # a table asset, not a query asset: see costclose.validation.snapshot
                asset = source.add_table_asset(spec.name, table_name=table, schema_name=SCHEMA)
                batch = asset.add_batch_definition_whole_table("whole")
                suite = ctx.suites.add(gx.ExpectationSuite(name=spec.name, expectations=spec.expectations))
                definition = ctx.validation_definitions.add(
                    gx.ValidationDefinition(name=f"{run_name}:{spec.name}", data=batch, suite=suite)
                )
                result = definition.run(result_format="COMPLETE")
        except Exception as exc:  # a broken suite is a failed gate, recorded with its reason
            message = scrub(str(exc)).splitlines()[0][:500]
            log.warning("suite %s could not run: %s", spec.name, message)
            outcomes.extend(
                CheckOutcome(
                    key=e.meta["check"],
                    suite=spec.name,
                    description=e.description or e.type,
                    success=False,
                    error=f"the suite could not run: {message}",
                )
                for e in spec.expectations
            )
            continue
        outcomes.extend(_outcome(spec.name, r) for r in result.results)
    return outcomes

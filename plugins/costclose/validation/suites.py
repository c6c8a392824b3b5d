"""The suite contract between ``expectations/`` (what to expect) and the runner (how to run it).

A suite is one GX query asset (the rows of one company and period) plus the expectations on it.
Every expectation carries a stable ``check`` key in its ``meta``: results, Data Docs, emails and
tests refer to checks by that key.

The suite definitions live in the repository's ``expectations/`` folder (see its README): they are
loaded by path as the package ``costclose_expectations``, because ``expectations/`` is not on
``sys.path`` in Airflow workers, the CLI or the Docker image, while ``plugins/costclose`` is.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import psycopg2.extensions
from psycopg2 import sql

from costclose.config import PROJECT_ROOT
from costclose.errors import CostcloseError
from costclose.validation import sqltext

if TYPE_CHECKING:
    from costclose.validation.model import Scope, Stage

PACKAGE_NAME = "costclose_expectations"


@dataclass
class SuiteSpec:
    """One GX suite over one query asset."""

    name: str
    asset_query: str
    expectations: list[Any] = field(default_factory=list)  # great_expectations Expectation objects

    def check_keys(self) -> list[str]:
        return [e.meta["check"] for e in self.expectations]


SuiteBuilder = Callable[["Scope", psycopg2.extensions.connection], list[SuiteSpec]]


def expectations_dir() -> Path:
    return Path(os.environ.get("COSTCLOSE_EXPECTATIONS_DIR", PROJECT_ROOT / "expectations"))


def load_expectations() -> ModuleType:
    """Import ``expectations/`` as the package ``costclose_expectations`` (once per process)."""
    if PACKAGE_NAME in sys.modules:
        return sys.modules[PACKAGE_NAME]
    folder = expectations_dir()
    init = folder / "__init__.py"
    if not init.is_file():
        raise CostcloseError(
            f"The GX suites were not found at {folder}. Run from the costclose repository, or set "
            "COSTCLOSE_EXPECTATIONS_DIR to its expectations/ folder."
        )
    spec = importlib.util.spec_from_file_location(
        PACKAGE_NAME, init, submodule_search_locations=[str(folder)]
    )
    if spec is None or spec.loader is None:
        raise CostcloseError(f"Cannot import the GX suites from {folder}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[PACKAGE_NAME] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[PACKAGE_NAME]
        raise
    return module


def suites_for(stage: Stage, scope: Scope, conn: psycopg2.extensions.connection) -> list[SuiteSpec]:
    """The suites a stage runs, built for one scope (``expectations.SUITES_BY_STAGE``)."""
    package = load_expectations()
    builders: list[SuiteBuilder] = package.SUITES_BY_STAGE[stage]
    return [suite for build in builders for suite in build(scope, conn)]


# --- helpers the suite modules use -------------------------------------------------------------


def expect_no_rows(
    conn: psycopg2.extensions.connection, check: str, description: str, query: sql.Composable
) -> Any:
    """An ``UnexpectedRowsExpectation``: the check fails with the rows ``query`` returns.

    ``query`` is composed with psycopg2 and uses ``sqltext.BATCH`` for the suite's batch.
    """
    import great_expectations as gx

    return gx.expectations.UnexpectedRowsExpectation(
        unexpected_rows_query=sqltext.render_unexpected_rows(conn, query),
        description=description,
        meta={"check": check},
    )


def with_check(expectation: Any, check: str) -> Any:
    """Tag a built-in GX expectation with its check key."""
    expectation.meta = {**(expectation.meta or {}), "check": check}
    return expectation

"""GX's INFO flood through Airflow's structlog is silenced by costclose.logging_setup.quiet()."""

from __future__ import annotations

import subprocess
import sys

SNIPPET = "import airflow, great_expectations"


def _stderr(code: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    return proc.stdout + proc.stderr


def test_gx_info_flood_is_silenced() -> None:
    noisy = _stderr(SNIPPET)
    quiet = _stderr("from costclose import logging_setup; logging_setup.quiet(); " + SNIPPET)
    assert noisy.count("Skipping registering function") > 10, "the flood this guards against exists"
    assert "Skipping registering function" not in quiet


def test_cli_help_lists_the_commands_without_noise() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "costclose.cli", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "Skipping registering function" not in proc.stdout + proc.stderr
    for command in ("db", "demo", "demo-erp", "extract", "close", "validate", "backfill"):
        assert command in proc.stdout

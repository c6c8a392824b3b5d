"""``costclose validate`` prints a pass/fail table and exits non-zero on failure."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from gx_warehouse import create_schema, seed_clean, set_recon
from rich.console import Console
from typer.testing import CliRunner

from costclose import db
from costclose.cli import app


def test_validate_prints_the_table_and_exits_by_outcome(
    costclose_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The CLI's console is made at import time; give it a known width so no cell wraps.
    monkeypatch.setattr("costclose.validation.cli.console", Console(width=220))
    url = db.database_url("warehouse")
    with db.connect(url) as conn:
        create_schema(conn)
        seed_clean(conn)
    runner = CliRunner()
    args = ["validate", "--company", "CRONUS", "--period", "2025-01", "--no-notify"]

    ok = runner.invoke(app, [*args, "--stage", "post-posting"])
    assert ok.exit_code == 0, ok.output
    assert "PASS" in ok.output and "tie_out.inventory_equals_gl" in ok.output
    assert "2 checks passed" in ok.output

    with db.connect(url) as conn:
        set_recon(conn, "CRONUS", "7190", gl="61.50")
    bad = runner.invoke(app, [*args, "--stage", "post-posting"])
    assert bad.exit_code == 1, bad.output
    assert "FAIL" in bad.output and "g_l_account_no=7190" in bad.output and "difference=1.50" in bad.output
    assert "2 checks FAILED (1 checks)" in bad.output
    run_id = re.search(r"; run (\S+)", bad.output).group(1)  # type: ignore[union-attr]
    page = next((costclose_env / "out" / "data_docs").rglob(f"{run_id}.html"))
    assert "<td>7190</td>" in page.read_text()

    lenient = runner.invoke(app, [*args, "--stage", "post-posting", "--tolerance", "1.50"])
    assert lenient.exit_code == 0, lenient.output

    wrong = runner.invoke(app, ["validate", "--company", "CRONUS", "--period", "2025-13"])
    assert wrong.exit_code == 2
    assert "month must be 01..12" in wrong.output

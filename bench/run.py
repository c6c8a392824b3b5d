"""Benchmarks (not tests): seed a demo company, then time the floor and the pipeline against it.

    make bench                      # scale 20 (about 50,000 value entries)
    BENCH_SCALE=200 make bench      # bigger

Prints figures and ratios and appends a line to bench/RESULTS.md:
* seed rate (value entries per second) of the demo ERP;
* the floor: a bare COPY of the value entries (out of the ERP and back into a table) and one
  aggregating scan over them;
* extraction through the sql connector, as a ratio to COPY's rate (target >= 0.5);
* a full dbt build, as a ratio to the aggregating scan (target <= 3x);
* peak RSS of this process.
"""

from __future__ import annotations

import io
import os
import platform
import resource
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import psycopg2

from costclose import db, logging_setup

HERE = Path(__file__).resolve().parent
T = TypeVar("T")


def _timed(label: str, fn: Callable[[], T]) -> tuple[T, float]:
    t0 = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t0
    print(f"{label:<40} {dt:8.2f} s")
    return out, dt


def main() -> None:
    logging_setup.quiet()
    scale = float(os.environ.get("BENCH_SCALE", "20"))
    home = Path(tempfile.mkdtemp(prefix="costclose-bench-"))
    os.environ["COSTCLOSE_HOME"] = str(home)
    from costclose.demo_erp.simulate import seed
    from costclose.landing.loader import load
    from costclose.sources import open_source
    from costclose.transform import dbt

    erp, wh = db.database_url("erp"), db.database_url("warehouse")
    _, t_seed = _timed(
        f"seed demo ERP (scale {scale:g})", lambda: seed(erp, company="BENCH", scale=scale, seed=3)
    )
    with db.connect(erp) as conn, conn.cursor() as cur:
        cur.execute("select count(*) from bc.value_entry")
        n = int(cur.fetchone()[0])
    print(f"value entries: {n:,}  ({n / t_seed:,.0f} per second seeded)")

    def copy_floor() -> None:
        buf = io.StringIO()
        with db.connect(erp) as src, src.cursor() as cur:
            cur.copy_expert("copy bc.value_entry to stdout", buf)
        buf.seek(0)
        conn = psycopg2.connect(erp)
        with conn, conn.cursor() as cur:
            cur.execute("create temp table bench_copy (like bc.value_entry)")
            cur.copy_expert("copy bench_copy from stdin", buf)
        conn.close()

    _, t_copy = _timed("floor: COPY value entries out and in", copy_floor)

    def scan() -> None:
        with db.connect(erp) as conn, conn.cursor() as cur:
            cur.execute(
                "select company, item_no, location_code, date_trunc('month', posting_date),"
                " sum(cost_amount_actual), sum(cost_amount_expected), sum(cost_posted_to_g_l)"
                " from bc.value_entry group by 1, 2, 3, 4"
            )
            cur.fetchall()

    _, t_scan = _timed("floor: one aggregating scan", scan)
    report, t_extract = _timed(
        "extract (sql connector, all tables)",
        lambda: load(open_source("sql:" + erp), "BENCH", warehouse_url=wh),
    )
    # Extraction loads all 16 tables; the floor COPYs the value entries only: compare rows per second.
    row_rate = report.upserted / t_extract
    copy_rate = n / t_copy
    _, t_build = _timed(
        "dbt build (all models and tests)", lambda: dbt.build(wh, target_path=home / "target")
    )
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print()
    print(
        f"extraction: {report.upserted:,} rows (16 tables) at {row_rate:,.0f} rows/s"
        f" vs COPY {copy_rate:,.0f} rows/s"
        f" -> ratio {row_rate / copy_rate:.2f} (target >= 0.50)"
    )
    print(f"dbt build / aggregating scan: {t_build / t_scan:.1f}x (target <= 3x)")
    print(f"peak RSS of this process: {rss_mb:,.0f} MiB (target < 1024)")
    line = (
        f"| {datetime.now(UTC):%Y-%m-%d} | {platform.node()} {os.cpu_count()} cores | {n:,} | "
        f"{n / t_seed:,.0f}/s | {row_rate / copy_rate:.2f} | {t_build:.1f} s | {t_build / t_scan:.1f}x | "
        f"{rss_mb:,.0f} MiB |"
    )
    results = HERE / "RESULTS.md"
    if not results.exists():
        results.write_text(
            "# Benchmark results\n\n| date | machine | value entries | seed rate | extract/COPY | dbt build |"
            " build/scan | peak RSS |\n|---|---|---|---|---|---|---|---|\n"
        )
    with results.open("a") as fh:
        fh.write(line + "\n")
    print(f"recorded in {results}")
    db.embedded().stop()


if __name__ == "__main__":
    main()

"""Benchmarks of issue 9 (not tests): seed a demo company of N value entries, then time the floor and
every step of the close against it, on one machine, in one run.

    make bench                                   # 60,000 value entries: a few minutes
    .venv/bin/python bench/run.py --entries 300000
    .venv/bin/python bench/run.py --entries 1000000 --entries 10000000   # growth 1M -> 10M (hours)
    .venv/bin/python bench/run.py --entries 11000000 --months 24 --items 20000 --home DIR \
        --steps sql,build --reuse-warehouses                             # some steps on a seeded home

Measured (issue 9 part 2):
  (a) the floor: a bare COPY of the value entries (out of the ERP, into a table) and one aggregating scan;
  (b) extraction through the sql and the bc2adls connectors, rows per second and the ratio to COPY;
  (c) a full dbt build of all models and tests (--full-refresh), and its ratio to the aggregating scan;
      also the same with the `nightly` selector (no point-in-time reports: the base of the nightly run);
  (d) the Great Expectations pre-posting gate;
  (e) a full close of one period (``costclose close`` as a dry run: extract, dbt build of the period,
      gate, journal, outputs);
  (f) the nightly increment (50,000 new + 5,000 updated value entries at 10 million, proportionally
      fewer below): extract (sql, and bc2adls after a new export) + dbt build of the period with the
      ``nightly`` selector + gate, and its ratio to the full build;
  (g) peak RSS of every process: each step of (b)-(f) runs in a spawned process of its own, as each is a
      task of its own under Airflow (and `costclose close` is one process), so each step's figure is its
      own; and each backend of the embedded PostgreSQL (sampled; a backend's RSS includes the shared
      buffers it touched);
  (h) with two or more ``--entries``, the growth of every figure from the smallest to the largest run.

Every run appends a row to bench/RESULTS.md with machine, date and load average. Targets (issue 9
part 3) are printed next to the figures; a missed target is reported, not hidden.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import psutil
from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
COMPANY = "BENCH"
MONTHS = 14
# Value entries the demo ERP posts per unit of ``scale`` and month (measured: scale 20, 14 months ->
# 59,862 entries); used to pick the scale for --entries.
VE_PER_SCALE_MONTH = 214.0
# With --items the generated business also sells what production and assembly finish (make to order):
# about 7 % more entries per scale-month (measured at scale 2142, 4 months: 1,878,724 vs 1,726,722).
ITEMS_VE_FACTOR = 1.07
NIGHTLY_NEW, NIGHTLY_UPDATED, NIGHTLY_AT = 50_000, 5_000, 10_000_000
T = TypeVar("T")
console = Console(highlight=False)


@dataclass
class Figures:
    """What one run measured (seconds unless named otherwise)."""

    entries: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    rss_mib: dict[str, float] = field(default_factory=dict)
    # where a dbt build's time went: per build, its models' and tests' summed times and slowest nodes
    breakdown: list[str] = field(default_factory=list)

    def rate(self, rows: str, seconds: str) -> float:
        return self.rows[rows] / self.seconds[seconds] if self.seconds.get(seconds) else 0.0


class PostgresMemory:
    """Samples the RSS of the embedded server's processes (postmaster and backends) every 0.2 s."""

    def __init__(self, pg_dir: Path) -> None:
        self.pg_dir = pg_dir
        self.peak_backend = 0
        self.peak_total = 0
        self.step_peak = 0  # the largest backend since the caller last reset it (one step's)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-pg-rss", daemon=True)

    def _processes(self) -> list[psutil.Process]:
        pid_file = self.pg_dir / "postmaster.pid"
        if not pid_file.exists():
            return []
        try:
            postmaster = psutil.Process(int(pid_file.read_text().split()[0]))
            return [postmaster, *postmaster.children(recursive=True)]
        except (psutil.Error, ValueError, IndexError):
            return []

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            sizes = []
            for proc in self._processes():
                try:
                    sizes.append(proc.memory_info().rss)
                except psutil.Error:
                    continue
            if sizes:
                self.peak_backend = max(self.peak_backend, *sizes)
                self.step_peak = max(self.step_peak, *sizes)
                self.peak_total = max(self.peak_total, sum(sizes))

    def __enter__(self) -> PostgresMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _timed(figures: Figures, key: str, label: str, fn: Callable[[], T]) -> T | None:
    """Run ``fn``, record its time under ``key``; a failure is recorded as a note, not raised."""
    t0 = time.perf_counter()
    try:
        out = fn()
    except Exception as exc:  # a benchmark reports what failed and goes on with the other figures
        figures.notes.append(f"{label} FAILED: {type(exc).__name__}: {str(exc)[:300]}")
        console.print(f"[red]{label:<52} failed: {type(exc).__name__}: {str(exc)[:300]}[/red]")
        return None
    figures.seconds[key] = time.perf_counter() - t0
    console.print(f"{label:<52} {figures.seconds[key]:9.2f} s")
    return out


def _scalar(url: str, query: str, params: tuple[Any, ...] = ()) -> Any:
    from costclose import db

    with db.connect(url) as conn, conn.cursor() as cur:
        cur.execute(query, params)
        return cur.fetchone()[0]


def _copy_floor(erp: str, spool: Path) -> None:
    """COPY the value entries out of the ERP into a file and back into an unindexed table.

    The rows go through a file on disk, not memory: at 10 million entries they are several GiB, and the
    connectors' batches also leave the client process, so the floor pays the same trip."""
    from costclose import db

    with db.connect(erp) as conn, conn.cursor() as cur, spool.open("wb") as out:
        cur.copy_expert("copy bc.value_entry to stdout", out)
    with db.connect(erp) as conn, conn.cursor() as cur, spool.open("rb") as src:
        cur.execute("create temp table bench_copy (like bc.value_entry)")
        cur.copy_expert("copy bench_copy from stdin", src)
        conn.commit()
    spool.unlink()


def _scan(erp: str) -> None:
    from costclose import db

    # A server-side cursor read in batches: the ~3.6 million groups at 10M still cross the wire, but
    # the process holds one batch, not all of them (fetchall held 1,228 MiB at 10M).
    with db.connect(erp) as conn, conn.cursor(name="bench_scan") as cur:
        cur.itersize = 50_000
        cur.execute(
            "select company, item_no, location_code, date_trunc('month', posting_date),"
            " sum(cost_amount_actual), sum(cost_amount_expected), sum(cost_posted_to_g_l)"
            " from bc.value_entry group by 1, 2, 3, 4"
        )
        for _row in cur:
            pass


def _nightly_changes(erp: str, new: int, updated: int) -> tuple[int, int]:
    """Post ``new`` value entries (copies of the latest month's, with their own numbers and SystemIds)
    and change Cost Posted to G/L of ``updated`` entries, as a night of BC postings would."""
    from costclose import db

    with db.connect(erp) as conn, conn.cursor() as cur:
        cur.execute(
            "select column_name from information_schema.columns where table_schema = 'bc' "
            "and table_name = 'value_entry' and column_name not in "
            "('entry_no', 'system_id', 'row_version', 'system_created_at', 'system_modified_at') "
            "order by ordinal_position"
        )
        cols = [r[0] for r in cur.fetchall()]
        from psycopg2 import sql

        col_list = sql.SQL(", ").join(map(sql.Identifier, cols))
        cur.execute(
            sql.SQL(
                "insert into bc.value_entry (entry_no, {cols}) "
                "select m.top + row_number() over (order by v.entry_no), {cols} "
                "from (select * from bc.value_entry where company = %s order by entry_no desc limit %s) v, "
                "(select max(entry_no) as top from bc.value_entry where company = %s) m"
            ).format(cols=col_list),
            (COMPANY, new, COMPANY),
        )
        inserted = cur.rowcount
        cur.execute(
            "update bc.value_entry set cost_posted_to_g_l = cost_amount_actual "
            "where company = %s and entry_no in (select entry_no from bc.value_entry where company = %s "
            "and cost_posted_to_g_l <> cost_amount_actual order by entry_no limit %s)",
            (COMPANY, COMPANY, updated),
        )
        changed = cur.rowcount
        conn.commit()
    return inserted, changed


def _write_config(home: Path) -> Path:
    config = home / "costclose.yml"
    config.write_text(
        "companies:\n"
        f"  - name: {COMPANY}\n"
        "    source: sql:db:erp\n"
        f"    posting_target: file:{home / 'journals'}\n"
        '    tolerance: "0.00"\n'
        '    approval_threshold: "1000000000"\n',
        encoding="utf-8",
    )
    return config


@dataclass
class Bench:
    """One run's databases and folders."""

    home: Path
    erp: str
    wh: str
    adls_wh: str
    period: str
    figures: Figures = field(default_factory=Figures)
    # what the nightly step measures after changing the ERP: the sql source with its dbt build and gate,
    # and/or the bc2adls source (its export and load), e.g. bc2adls alone on a home without sql warehouse
    nightly_sources: tuple[str, ...] = ("sql", "bc2adls")

    @property
    def lake(self) -> Path:
        return self.home / "bc2adls"

    def timed(self, key: str, label: str, fn: Callable[[], T]) -> T | None:
        return _timed(self.figures, key, label, fn)


def _seed_child(b: Bench, months: int, scale: float, items: int | None) -> None:
    """Seed through the CLI in a child process, so the seeder's memory is measured on its own (it is the
    demo ERP's, not the close's) and the bench process holds only what the close holds."""
    cmd = [sys.executable, "-c", "from costclose.cli import main; main()", "demo-erp", "seed"]
    cmd += ["--company", COMPANY, "--months", str(months), "--scale", f"{scale:.2f}", "--seed", "3"]
    if items:
        cmd += ["--items", str(items)]
    started = time.perf_counter()
    # the child reports its own peak RSS through getrusage(RUSAGE_CHILDREN) once it has been waited for
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    b.figures.rss_mib["seeding process (demo ERP)"] = (
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    )
    seconds = time.perf_counter() - started
    (b.home / "seeded.json").write_text(
        json.dumps({"months": months, "scale": scale, "items": items, "seconds": seconds})
    )


def _seed_and_floor(b: Bench, entries: int, months: int, items: int | None, floor: bool = True) -> None:
    f = b.figures
    seeded = b.home / "seeded.json"
    if seeded.exists():
        # --home of an earlier run: the company is already in its ERP; the seed figures are that run's
        earlier = json.loads(seeded.read_text())
        f.seconds["seed"] = earlier["seconds"]
        console.print(f"reusing the company seeded in {b.home} ({earlier})")
    else:
        per_scale_month = VE_PER_SCALE_MONTH * (ITEMS_VE_FACTOR if items else 1.0)
        scale = max(entries / (per_scale_month * months), 0.05)
        label = f"seed demo ERP ({months} months, scale {scale:.1f}, items {items or 'CRONUS'})"
        b.timed("seed", label, lambda: _seed_child(b, months, scale, items))
    f.entries = int(_scalar(b.erp, "select count(*) from bc.value_entry"))
    f.rows["seed"] = f.rows["copy"] = f.entries
    console.print(f"value entries: {f.entries:,} ({f.rate('seed', 'seed'):,.0f}/s seeded)")
    if floor:
        # in a process of its own: the scan fetches a row per item, location and month (millions at 10M),
        # and a step process inherits this process's peak RSS (Linux keeps ru_maxrss across fork + exec)
        _run_step(b, "floor")


def _floor(b: Bench) -> None:
    b.timed(
        "copy", "(a) floor: COPY value entries out and in", lambda: _copy_floor(b.erp, b.home / "copy.spool")
    )
    b.timed("scan", "(a) floor: one aggregating scan", lambda: _scan(b.erp))


def _extract_sql(b: Bench) -> None:
    from costclose.landing.loader import load
    from costclose.sources import open_source

    report = b.timed(
        "sql",
        "(b) extract, sql connector (16 tables)",
        lambda: load(open_source("sql:" + b.erp), COMPANY, warehouse_url=b.wh),
    )
    if report is not None:
        b.figures.rows["sql"] = report.upserted


def _extract_bc2adls(b: Bench) -> None:
    from costclose.bc2adls_export.exporter import export_bc2adls
    from costclose.landing.loader import load
    from costclose.sources import open_source

    b.timed("export", "    bc2adls export of the ERP (not part of (b))", lambda: _export(b, export_bc2adls))
    report = b.timed(
        "bc2adls",
        "(b) extract, bc2adls connector (16 tables)",
        lambda: load(_adls_source(b, open_source), COMPANY, warehouse_url=b.adls_wh),
    )
    if report is not None:
        b.figures.rows["bc2adls"] = report.upserted


def _export(b: Bench, export: Callable[..., Any]) -> Any:
    return export(b.erp, COMPANY, str(b.lake))


def _adls_source(b: Bench, open_source: Callable[..., Any]) -> Any:
    return open_source(f"bc2adls:{b.lake}", cache_dir=b.home / "cache")


def _breakdown(f: Figures, label: str, run: Any, slowest: int = 8) -> None:
    """Record where a dbt build's time went: the summed time of its models and of its tests (both
    sums of dbt's per-node execution times; with one thread they add up to the build less dbt's own
    start and parse) and its slowest nodes."""
    results = getattr(getattr(run, "result", None), "results", None) or []
    timed = [(r.node.resource_type, r.node.name, float(r.execution_time or 0.0)) for r in results]
    if not timed:
        return
    by_type: dict[str, float] = {}
    for kind, _name, seconds in timed:
        by_type[str(kind)] = by_type.get(str(kind), 0.0) + seconds
    kinds = ", ".join(f"{kind.split('.')[-1]}s {s:.1f} s" for kind, s in sorted(by_type.items()))
    top = sorted(timed, key=lambda t: -t[2])[:slowest]
    nodes = ", ".join(f"{name} {seconds:.1f}" for _k, name, seconds in top)
    f.breakdown.append(f"{label}: {kinds}; slowest: {nodes}")


def _build(b: Bench) -> None:
    from costclose.transform import dbt

    # --full-refresh: the build from nothing, whichever step built the warehouse before
    run = b.timed("build", "(c) dbt build, all models and tests", lambda: dbt.build(b.wh, full_refresh=True))
    _breakdown(b.figures, "full build", run)


def _base(b: Bench) -> None:
    """Everything but the point-in-time reports, from nothing: what the nightly increment builds on."""
    from costclose.transform import dbt

    run = b.timed(
        "base",
        "(c) dbt build, nightly selector (no point-in-time reports)",
        lambda: dbt.build(b.wh, selector="nightly", full_refresh=True),
    )
    _breakdown(b.figures, "nightly-selector build", run)


def _gates(b: Bench) -> None:
    from costclose.validation.runner import run as validate

    b.timed(
        "gates",
        f"(d) GX pre-posting gate ({b.period}; GX's start included)",
        lambda: validate(COMPANY, b.period, stage="pre-posting", warehouse_url=b.wh, notify=False),
    )


def _close(b: Bench) -> None:
    from costclose.close_cli import run_close

    b.timed(
        "close",
        f"(e) full close of {b.period} (dry run)",
        lambda: run_close(COMPANY, b.period, post=False, target=None, out=b.home / "out" / "close"),
    )


def _nightly(b: Bench) -> None:
    from costclose.bc2adls_export.exporter import export_bc2adls
    from costclose.landing.loader import load
    from costclose.sources import open_source

    f = b.figures
    share = f.entries / NIGHTLY_AT
    new, updated = max(1, round(NIGHTLY_NEW * share)), max(1, round(NIGHTLY_UPDATED * share))
    f.rows["nightly_new"], f.rows["nightly_updated"] = _nightly_changes(b.erp, new, updated)
    changes = f"{f.rows['nightly_new']:,} new + {f.rows['nightly_updated']:,} updated"
    if "sql" in b.nightly_sources:
        _nightly_sql(b, changes)
    if "bc2adls" not in b.nightly_sources:
        return
    if not (b.lake / "deltas.manifest.cdm.json").exists() and not (b.lake / "deltas").exists():
        f.notes.append("nightly bc2adls not measured: the bc2adls step did not run on this home")
        return
    b.timed("nightly_export", "    bc2adls export of the night's changes", lambda: _export(b, export_bc2adls))
    b.timed(
        "nightly_bc2adls",
        f"(f) nightly: extract {changes} (bc2adls)",
        lambda: load(_adls_source(b, open_source), COMPANY, warehouse_url=b.adls_wh),
    )


def _nightly_sql(b: Bench, changes: str) -> None:
    """The night through the sql source: extract, the nightly dbt build of the period, the gate."""
    from costclose.landing.loader import load
    from costclose.sources import open_source
    from costclose.transform import dbt
    from costclose.validation.runner import run as validate

    f = b.figures
    b.timed(
        "nightly_extract",
        f"(f) nightly: extract {changes} (sql)",
        lambda: load(open_source("sql:" + b.erp), COMPANY, warehouse_url=b.wh),
    )
    run = b.timed(
        "nightly_build",
        f"(f) nightly: dbt build of {b.period} (selector nightly)",
        lambda: dbt.build(b.wh, period=b.period, selector="nightly", check=False),
    )
    _breakdown(f, "nightly build", run)
    if run is not None and run.failed():
        # the night's new entries are copies of existing ones (same item ledger entries), so tests that
        # tie value entries to their item ledger entries may fail; the time is what is measured here
        names = ", ".join(n.unique_id.split(".")[-1] for n in run.failed()[:5])
        f.notes.append(
            f"nightly dbt build: {len(run.failed())} failed nodes on the synthetic increment ({names})"
        )
    b.timed(
        "nightly_gates",
        "(f) nightly: GX pre-posting gate",
        lambda: validate(COMPANY, b.period, stage="pre-posting", warehouse_url=b.wh, notify=False),
    )


# Each measured step runs in a process of its own, as each is a task of its own under Airflow (and
# `costclose close` is one process): its peak RSS is its own, not the sum of everything run before it.
STEPS: dict[str, Callable[[Bench], None]] = {
    "floor": _floor,
    "sql": _extract_sql,
    "bc2adls": _extract_bc2adls,
    "base": _base,
    "build": _build,
    "gates": _gates,
    "close": _close,
    "nightly": _nightly,
}
ALL_STEPS = tuple(STEPS)


def _step_child(step: str, b: Bench, pipe: Any) -> None:
    """In a spawned process: run one step and send its figures and this process's peak RSS back."""
    from costclose import config, logging_setup

    config.settings.cache_clear()
    logging_setup.quiet()
    STEPS[step](b)
    usage = resource.getrusage
    pipe.send(
        (
            b.figures,
            usage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            usage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        )
    )
    pipe.close()


def _run_step(b: Bench, step: str, timeout: float | None = None) -> None:
    """Run ``step`` in a fresh process (spawned, not forked: dbt and GX start as in a task); merge its
    figures into the run's. A step still running after ``timeout`` seconds is stopped (its process and
    its queries) and recorded as not finished."""
    ctx = multiprocessing.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_step_child, args=(step, b, send), name=f"bench-{step}")
    started = time.perf_counter()
    proc.start()
    send.close()
    figures = None
    if receive.poll(timeout):
        try:
            figures, rss, children = receive.recv()
        except EOFError:
            figures = None
    else:
        proc.kill()
        _terminate_queries(b)
        elapsed = time.perf_counter() - started
        message = f"step {step}: not finished after {elapsed:,.0f} s (--step-timeout); stopped"
        b.figures.notes.append(message)
        console.print(f"[red]{message}[/red]")
    proc.join()
    f = b.figures
    if figures is None:
        if proc.exitcode == -9:
            return
        f.notes.append(f"step {step}: its process died (exit code {proc.exitcode})")
        console.print(f"[red]step {step}: its process died (exit code {proc.exitcode})[/red]")
        return
    known, known_breakdown = len(f.notes), len(f.breakdown)
    f.seconds.update(figures.seconds)
    f.rows.update(figures.rows)
    f.notes.extend(figures.notes[known:])
    f.breakdown.extend(figures.breakdown[known_breakdown:])
    f.rss_mib[f"{step} process"] = rss
    if children:
        f.rss_mib[f"{step} child processes (largest)"] = children


def _terminate_queries(b: Bench) -> None:
    """End the backends of a stopped step: PostgreSQL does not notice a killed client mid-query."""
    from costclose import db

    names = [url.rsplit("/", 1)[-1].split("?")[0] for url in (b.wh, b.adls_wh, b.erp)]
    with db.connect(b.erp) as conn, conn.cursor() as cur:
        cur.execute(
            "select pg_terminate_backend(pid) from pg_stat_activity "
            "where datname = any(%s) and pid <> pg_backend_pid() and backend_type = 'client backend'",
            (names,),
        )


def _fresh_warehouses(server: str, names: list[str]) -> None:
    """Drop and create the warehouses, so a run on a reused home extracts and builds from nothing."""
    from psycopg2 import sql

    from costclose import db

    with db.connect(server) as conn:
        conn.autocommit = True
        with conn.cursor() as cur:
            for name in names:
                cur.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
    for name in names:
        db.ensure_database(server, name)


def run_once(
    entries: int,
    months: int,
    keep: bool,
    items: int | None = None,
    home: Path | None = None,
    seed_only: bool = False,
    steps: tuple[str, ...] = ALL_STEPS,
    reuse_warehouses: bool = False,
    step_timeout: float | None = None,
    nightly_sources: tuple[str, ...] = ("sql", "bc2adls"),
) -> Figures:
    """One complete run against an embedded server in a temporary COSTCLOSE_HOME (or ``home``: a kept
    one, whose seeded company is reused; warehouses are rebuilt from nothing; the nightly step changes
    its ERP, so a third run on it measures a company that had two nights of changes)."""
    keep = keep or home is not None
    home = home or Path(tempfile.mkdtemp(prefix="costclose-bench-"))
    home.mkdir(parents=True, exist_ok=True)
    os.environ["COSTCLOSE_HOME"] = str(home)
    os.environ.pop("COSTCLOSE_DATABASE_URL", None)
    os.environ["COSTCLOSE_CONFIG"] = str(_write_config(home))
    # dbt artifacts and logs of every build (also the close's own) stay in this run's home
    os.environ["DBT_TARGET_PATH"] = str(home / "target")
    os.environ["DBT_LOG_PATH"] = str(home / "target" / "logs")
    os.environ.setdefault("DBT_QUIET", "true")
    from costclose import config, db, logging_setup

    config.settings.cache_clear()
    logging_setup.quiet()
    server = db.server_url()
    db.ensure_database(server, "bench_bc2adls")
    warehouse = db.database_url("warehouse")
    if not reuse_warehouses:
        _fresh_warehouses(server, [warehouse.rsplit("/", 1)[-1].split("?")[0], "bench_bc2adls"])
        shutil.rmtree(home / "bc2adls", ignore_errors=True)
        shutil.rmtree(home / "cache", ignore_errors=True)
    b = Bench(
        home,
        db.database_url("erp"),
        db.database_url("warehouse"),
        db.with_database(server, "bench_bc2adls"),
        f"{2025 + (months - 1) // 12}-{(months - 1) % 12 + 1:02d}",
        nightly_sources=nightly_sources,
    )
    try:
        with PostgresMemory(config.settings().pg_dir) as pg_memory:
            _seed_and_floor(b, entries, months, items, floor="floor" in steps or seed_only)
            if seed_only:
                return b.figures
            for step in STEPS:
                if step in steps and step != "floor":
                    pg_memory.step_peak = 0
                    _run_step(b, step, step_timeout)
                    b.figures.rss_mib[f"postgres backend during {step}"] = pg_memory.step_peak / 2**20
        b.figures.rss_mib["postgres backend"] = pg_memory.peak_backend / 2**20
        b.figures.rss_mib["postgres all processes"] = pg_memory.peak_total / 2**20
    finally:
        db.embedded().stop()
        if not keep:
            shutil.rmtree(home, ignore_errors=True)
        else:
            console.print(f"kept {home}")
    rss = b.figures.rss_mib
    rss["bench process (orchestration)"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return b.figures


def _ratio(num: float, den: float) -> float:
    return num / den if den else float("nan")


def summarize(f: Figures) -> dict[str, float]:
    s = f.seconds
    copy_rate = f.rate("copy", "copy")
    nightly = s.get("nightly_extract", 0) + s.get("nightly_build", 0) + s.get("nightly_gates", 0)
    return {
        "seed rate (VE/s)": f.rate("seed", "seed"),
        "COPY rate (VE/s)": copy_rate,
        "scan (s)": s.get("scan", float("nan")),
        "sql extract / COPY": _ratio(f.rate("sql", "sql"), copy_rate) if "sql" in f.rows else float("nan"),
        "bc2adls extract / COPY": (
            _ratio(f.rate("bc2adls", "bc2adls"), copy_rate) if "bc2adls" in f.rows else float("nan")
        ),
        "dbt build (s)": s.get("build", float("nan")),
        "dbt build / scan": _ratio(s.get("build", float("nan")), s.get("scan", 0)),
        "dbt build, nightly selector (s)": s.get("base", float("nan")),
        "nightly dbt build / nightly-selector build": _ratio(
            s.get("nightly_build", float("nan")), s.get("base", 0)
        ),
        "GX gate (s)": s.get("gates", float("nan")),
        "close of one period (s)": s.get("close", float("nan")),
        "nightly extract, sql (s)": s.get("nightly_extract", float("nan")),
        "nightly extract, bc2adls (s)": s.get("nightly_bc2adls", float("nan")),
        "nightly increment (s)": nightly if nightly else float("nan"),
        "nightly / full build": _ratio(nightly, s.get("build", 0)) if nightly else float("nan"),
        "peak RSS, largest process (MiB)": max(
            (v for k, v in f.rss_mib.items() if k != "postgres all processes"), default=0.0
        ),
    }


TARGETS: dict[str, tuple[str, Callable[[float], bool]]] = {
    "sql extract / COPY": (">= 0.5", lambda v: v >= 0.5),
    "bc2adls extract / COPY": (">= 0.5", lambda v: v >= 0.5),
    "dbt build / scan": ("<= 3", lambda v: v <= 3),
    "nightly / full build": ("<= 0.10", lambda v: v <= 0.10),
    "nightly extract, sql (s)": ("< 60", lambda v: v < 60),
    "nightly extract, bc2adls (s)": ("< 60", lambda v: v < 60),
    "nightly increment (s)": ("< 120", lambda v: v < 120),
    "close of one period (s)": ("< 900 at 10M", lambda v: v < 900),
    "peak RSS, largest process (MiB)": ("< 1024", lambda v: v < 1024),
}


def report(f: Figures) -> dict[str, float]:
    summary = summarize(f)
    table = Table(title=f"{f.entries:,} value entries")
    for col in ("figure", "value", "target", ""):
        table.add_column(col, justify="left" if col in ("figure", "") else "right")
    for name, value in summary.items():
        target, ok = TARGETS.get(name, ("", lambda v: True))
        verdict = "" if not target or math.isnan(value) else ("met" if ok(value) else "MISSED")
        table.add_row(name, f"{value:,.2f}" if value < 1000 else f"{value:,.0f}", target, verdict)
    console.print(table)
    for name, mib in f.rss_mib.items():
        console.print(f"peak RSS {name:<40} {mib:8,.0f} MiB")
    for line in f.breakdown:
        console.print(f"dbt time, {line}")
    for note in f.notes:
        console.print(f"[red]{note}[/red]")
    return summary


def record(f: Figures, summary: dict[str, float]) -> None:
    header = (
        "| date | machine | load avg (1/5/15 min) | value entries | seed VE/s | COPY VE/s | scan s "
        "| sql/COPY | bc2adls/COPY | dbt build s | build/scan | gate s | close s | nightly s | nightly/build "
        "| peak RSS MiB (largest process / pg backend) |"
    )
    if "## Issue 9 runs" not in (RESULTS.read_text() if RESULTS.exists() else ""):
        with RESULTS.open("a") as fh:
            fh.write(f"\n## Issue 9 runs (bench/run.py --entries N)\n\n{header}\n{'|---' * 16}|\n")
    load1, load5, load15 = os.getloadavg()
    s = summary

    def n(key: str, fmt: str = "{:.2f}") -> str:
        value = s[key]
        return "failed" if math.isnan(value) else fmt.format(value)

    row = (
        f"| {datetime.now(UTC):%Y-%m-%d %H:%M} | {platform.node()} {os.cpu_count()} cores "
        f"| {load1:.1f}/{load5:.1f}/{load15:.1f} | {f.entries:,} | {n('seed rate (VE/s)', '{:,.0f}')} "
        f"| {n('COPY rate (VE/s)', '{:,.0f}')} | {n('scan (s)')} | {n('sql extract / COPY')} "
        f"| {n('bc2adls extract / COPY')} | {n('dbt build (s)', '{:.1f}')} "
        f"| {n('dbt build / scan', '{:.1f}')} "
        f"| {n('GX gate (s)', '{:.1f}')} | {n('close of one period (s)', '{:.1f}')} "
        f"| {n('nightly increment (s)', '{:.1f}')} | {n('nightly / full build')} "
        f"| {max((v for k, v in f.rss_mib.items() if not k.startswith('postgres')), default=0):,.0f} / "
        f"{f.rss_mib.get('postgres backend', 0):,.0f} |"
    )
    with RESULTS.open("a") as fh:
        fh.write(row + "\n")
    console.print(f"recorded in {RESULTS}")


def growth(runs: list[Figures]) -> None:
    """(h): how every time grew from the smallest to the largest run, against the growth in entries."""
    small, large = min(runs, key=lambda f: f.entries), max(runs, key=lambda f: f.entries)
    factor = large.entries / small.entries
    console.print(f"\n(h) growth {small.entries:,} -> {large.entries:,} entries ({factor:.1f}x):")
    for key in sorted(set(small.seconds) & set(large.seconds)):
        grew = _ratio(large.seconds[key], small.seconds[key])
        limit = 1.2 * factor  # issue 9: 1M -> 10M within 12x the time
        verdict = "met" if grew <= limit else "MISSED"
        console.print(f"  {key:<20} {grew:6.1f}x  (target <= {limit:.0f}x: {verdict})")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--entries",
        type=int,
        action="append",
        help="value entries of the demo company (repeat for a growth comparison); default 60000",
    )
    parser.add_argument("--months", type=int, default=MONTHS, help="months of business (default 14)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary COSTCLOSE_HOME")
    parser.add_argument("--no-record", action="store_true", help="do not append to bench/RESULTS.md")
    parser.add_argument(
        "--items", type=int, help="items of the company (issue 9: 20000); default CRONUS's own items"
    )
    parser.add_argument(
        "--home",
        type=Path,
        help="COSTCLOSE_HOME to use and keep; a company seeded there by an earlier run is reused "
        "(one --entries only)",
    )
    parser.add_argument(
        "--seed-only",
        action="store_true",
        help="seed the company into --home (and measure the floor), then stop; a later run with the same "
        "--home measures the rest",
    )
    parser.add_argument(
        "--steps",
        default=",".join(ALL_STEPS),
        help=f"comma-separated steps to measure, in this order: {','.join(ALL_STEPS)} (default all); "
        "each but floor runs in a process of its own",
    )
    parser.add_argument(
        "--reuse-warehouses",
        action="store_true",
        help="with --home: keep the warehouses (and bc2adls export) of an earlier run instead of rebuilding "
        "them from nothing, e.g. to measure build or close on an earlier run's extraction",
    )
    parser.add_argument(
        "--step-timeout",
        type=float,
        help="seconds a step may run before it is stopped and recorded as not finished (default: no limit)",
    )
    parser.add_argument(
        "--nightly-sources",
        default="sql,bc2adls",
        help="what the nightly step measures: sql (extract, dbt, gate) and/or bc2adls (export, load); "
        "bc2adls alone needs no sql warehouse (default sql,bc2adls)",
    )
    args = parser.parse_args()
    steps = tuple(step.strip() for step in args.steps.split(",") if step.strip())
    unknown = sorted(set(steps) - set(ALL_STEPS))
    if unknown:
        parser.error(f"unknown steps {unknown}; known: {', '.join(ALL_STEPS)}")
    nightly_sources = tuple(x.strip() for x in args.nightly_sources.split(",") if x.strip())
    if not nightly_sources or set(nightly_sources) - {"sql", "bc2adls"}:
        parser.error(f"--nightly-sources takes sql and/or bc2adls, got {args.nightly_sources!r}")
    if args.reuse_warehouses and not args.home:
        parser.error("--reuse-warehouses needs --home")
    if args.seed_only and not args.home:
        parser.error("--seed-only needs --home")
    if args.home and len(args.entries or []) > 1:
        parser.error("--home takes one --entries")
    runs = []
    for entries in sorted(args.entries or [60_000]):
        console.rule(f"{entries:,} value entries requested, {args.months} months")
        figures = run_once(
            entries,
            args.months,
            args.keep,
            args.items,
            args.home,
            args.seed_only,
            steps,
            args.reuse_warehouses,
            args.step_timeout,
            nightly_sources,
        )
        if args.seed_only:
            console.print(f"seeded {figures.entries:,} value entries into {args.home}")
            for name, mib in figures.rss_mib.items():  # the seeding process's peak, and the floor's
                console.print(f"peak RSS {name:<40} {mib:>8,.0f} MiB")
            continue
        summary = report(figures)
        if not args.no_record:
            record(figures, summary)
        runs.append(figures)
    if len(runs) > 1:
        growth(runs)


if __name__ == "__main__":
    main()

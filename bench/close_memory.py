"""Peak memory of each step of the close, each step in a fresh process (issue 9 (g); not a test).

    .venv/bin/python bench/close_memory.py --home DIR --period 2026-12 [STEP ...] [--tracemalloc]

``DIR`` is a COSTCLOSE_HOME whose ERP holds the company (a copy of a ``bench/run.py --seed-only``
home). Steps, in the close's order (default: all of them but ``extract_full`` and ``build_full``,
which prepare a fresh warehouse): ``extract_full``, ``build_full``, ``extract`` (incremental),
``build`` (the period), ``gate`` (GX pre-posting), ``post`` (dry run: the journal), ``outputs``,
``pack``, and ``close`` (``run_close`` as one process, as bench/run.py (e) does).

Each step runs as ``python -c`` in its own process; a sampler reads its RSS and that of every
PostgreSQL process of the home every 0.2 s, and the child's own ``ru_maxrss`` is read when it ends;
``pg_backend_at_peak`` names the largest backend's pid and the statement it was running (polled from
``pg_stat_activity`` every 0.5 s; dbt's statements carry the model's node id).
With ``--tracemalloc`` the child also reports Python's traced peak (slower; memory of C libraries
such as psycopg2's result buffers is not traced, RSS is).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

COMPANY = "BENCH"

STEPS = {
    "extract_full": "from costclose import pipeline; pipeline.extract(C, full=True)",
    "build_full": "from costclose import pipeline; pipeline.build()",
    "extract": "from costclose import pipeline; pipeline.extract(C)",
    "build": "from costclose import pipeline; pipeline.build(P)",
    "gate": "from costclose import approval; approval.pre_posting_gate(C, P, stop=False)",
    "post": "from costclose import pipeline; pipeline.post(C, P, dry_run=True, out_dir=OUT)",
    "outputs": "from costclose import pipeline; pipeline.write_close_outputs(C, P, OUT)",
    "pack": "from costclose import pipeline; pipeline.close_pack(C, P, OUT)",
    "close": (
        "from costclose.close_cli import run_close; "
        "run_close(C, P, post=False, target=None, out=OUT / 'close')"
    ),
}
DEFAULT = ["extract", "build", "gate", "post", "outputs", "pack", "close"]

CHILD = """
import os, resource, sys, time, json, tracemalloc
from pathlib import Path
C, P, OUT = {company!r}, {period!r}, Path({out!r})
trace = {trace!r}
if trace:
    tracemalloc.start()
from costclose import logging_setup
logging_setup.quiet()
t0 = time.perf_counter()
{code}
seconds = time.perf_counter() - t0
traced = tracemalloc.get_traced_memory()[1] / 2**20 if trace else None
print("@@" + json.dumps({{"seconds": seconds, "traced_peak_mib": traced,
    "maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def _pg_processes(pg_dir: Path) -> list[psutil.Process]:
    out = []
    for proc in psutil.process_iter(["cmdline"]):
        cmd = proc.info.get("cmdline") or []
        if cmd and "postgres" in cmd[0] and str(pg_dir) in " ".join(cmd):
            out.append(proc)
            out.extend(proc.children())
    return out


def run_step(name: str, home: Path, period: str, out: Path, trace: bool) -> dict:
    code = CHILD.format(company=COMPANY, period=period, out=str(out), trace=trace, code=STEPS[name])
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    peak = {"child": 0, "backend": 0, "pg_total": 0, "backend_query": None}
    done = threading.Event()
    pg = _pg_processes(home / "pg")
    queries: dict[int, str] = {}  # pid -> the statement it ran when last polled

    def poll_queries() -> None:
        # What each backend is running, so the peak backend names its statement (dbt's model).
        from costclose import db

        url = db.database_url("warehouse")
        with contextlib.suppress(Exception), db.connect(url, autocommit=True) as conn:
            while not done.is_set():
                with conn.cursor() as cur:
                    cur.execute("select pid, query from pg_stat_activity where state = 'active'")
                    queries.update({pid: " ".join(q.split())[:300] for pid, q in cur.fetchall()})
                time.sleep(0.5)

    def sample() -> None:
        me = psutil.Process(child.pid)
        while not done.is_set():
            try:
                rss = me.memory_info().rss + sum(c.memory_info().rss for c in me.children(recursive=True))
                peak["child"] = max(peak["child"], rss)
            except psutil.Error:
                pass
            sizes = []
            for p in list(pg):
                with contextlib.suppress(psutil.Error):
                    sizes.append(p.memory_info().rss)
                    if p is not pg[0] and sizes[-1] > peak["backend"]:
                        peak["backend_query"] = (p.pid, queries.get(p.pid))
            with contextlib.suppress(psutil.Error, IndexError):
                pg.extend(c for c in pg[0].children() if c not in pg)
            if sizes:
                peak["backend"] = max(peak["backend"], *(sizes[1:] or sizes))
                peak["pg_total"] = max(peak["pg_total"], sum(sizes))
            time.sleep(0.2)

    threads = [threading.Thread(target=f, daemon=True) for f in (sample, poll_queries)]
    for t in threads:
        t.start()
    stdout, _ = child.communicate()
    done.set()
    for t in threads:
        t.join()
    if child.returncode != 0:
        raise SystemExit(f"step {name} failed ({child.returncode})")
    figures = json.loads(next(line[2:] for line in stdout.splitlines() if line.startswith("@@")))
    return {
        "step": name,
        "seconds": round(figures["seconds"], 1),
        "maxrss_mib": round(figures["maxrss_mib"]),
        "sampled_rss_mib": round(peak["child"] / 2**20),
        "traced_peak_mib": figures["traced_peak_mib"] and round(figures["traced_peak_mib"]),
        "pg_backend_mib": round(peak["backend"] / 2**20),
        "pg_all_mib": round(peak["pg_total"] / 2**20),
        "pg_backend_at_peak": peak["backend_query"],
        "load": os.getloadavg(),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--home", type=Path, required=True)
    ap.add_argument("--period", required=True)
    ap.add_argument("--tracemalloc", action="store_true")
    ap.add_argument("steps", nargs="*", default=DEFAULT)
    args = ap.parse_args()
    home = args.home.resolve()
    os.environ["COSTCLOSE_HOME"] = str(home)
    os.environ["COSTCLOSE_CONFIG"] = str(home / "costclose.yml")
    os.environ.pop("COSTCLOSE_DATABASE_URL", None)
    os.environ["DBT_TARGET_PATH"] = str(home / "target")
    os.environ["DBT_LOG_PATH"] = str(home / "target" / "logs")
    os.environ.setdefault("DBT_QUIET", "true")
    from costclose import db

    db.server_url()  # started here, before the step and the query poller race to start it
    out = home / "out" / "steps"
    out.mkdir(parents=True, exist_ok=True)
    for name in args.steps:
        result = run_step(name, home, args.period, out, args.tracemalloc)
        print(json.dumps(result), flush=True)
    for f in sorted(out.rglob("*")):
        if f.is_file():
            print(f"{f.relative_to(out)}\t{f.stat().st_size:,}")


if __name__ == "__main__":
    main()

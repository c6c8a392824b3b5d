"""``python -m costclose.sqllint``: sqlfluff (dbt templater, postgres dialect) over the dbt project.

The dbt templater compiles every model, which needs a reachable warehouse (introspective macros such
as ``is_incremental()``): this starts costclose's database for the duration (and stops the embedded
one again if it was not running), then runs sqlfluff from inside ``dbt_project/`` where its
``.sqlfluff`` lives.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from costclose import db
from costclose.config import PROJECT_ROOT, settings
from costclose.transform.dbt import profile_env

PATHS = ("models", "macros", "data-tests", "analyses")


def main(argv: list[str] | None = None) -> int:
    cfg = settings()
    embedded = None if cfg.database_url else db.embedded(cfg)
    was_running = embedded is not None and embedded.port() is not None
    try:
        env = {**os.environ, **profile_env(db.database_url("warehouse"))}
        project = PROJECT_ROOT / "dbt_project"
        paths = [p for p in PATHS if (project / p).is_dir()]
        cmd = [str(Path(sys.executable).with_name("sqlfluff")), "lint", *(argv or []), *paths]
        return subprocess.call(cmd, cwd=project, env=env)  # noqa: S603
    finally:
        if embedded is not None and not was_running:
            embedded.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

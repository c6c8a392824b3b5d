"""The PostgreSQL server costclose uses: a remote one, or an embedded one started on demand.

The embedded server runs pgserver's bundled PostgreSQL binaries, but on TCP ``127.0.0.1:<free port>``
rather than pgserver's own unix-socket-only start: a socket host breaks astronomer-cosmos's Asset URIs
under Airflow 3 (see ../shared/STACK_NOTES.md). That is why this module drives ``initdb``/``pg_ctl``
itself instead of calling ``pgserver.get_server``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
from psycopg2 import sql

from costclose.config import Settings, settings
from costclose.errors import DatabaseError

__all__ = [
    "DatabaseError",
    "EmbeddedPostgres",
    "connect",
    "database_url",
    "redact",
    "server_url",
    "with_database",
]

log = logging.getLogger(__name__)

SUPERUSER = "postgres"
# pgserver runs the server as this system user when we are root (postgres refuses to run as root).
SYSTEM_USER = "pgserver"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class EmbeddedPostgres:
    """A PostgreSQL data directory served on 127.0.0.1; started once and reused across commands."""

    pgdata: Path

    @property
    def log_file(self) -> Path:
        return self.pgdata.parent / "postgres.log"

    def _run_as(self) -> str | None:
        if os.geteuid() != 0:
            return None
        from pgserver.utils import ensure_user_exists

        ensure_user_exists(SYSTEM_USER)
        return SYSTEM_USER

    def _pg(self, exe: str, args: list[str], timeout: float = 60) -> str:
        from pgserver._commands import POSTGRES_BIN_PATH

        cmd = [str(POSTGRES_BIN_PATH / exe), "-D", str(self.pgdata), *args]
        proc = subprocess.run(  # noqa: S603 - fixed binary from the pgserver wheel
            cmd, capture_output=True, text=True, timeout=timeout, user=self._run_as(), check=False
        )
        if proc.returncode != 0:
            raise DatabaseError(
                f"{exe} failed ({proc.returncode}): {proc.stderr.strip() or proc.stdout.strip()}\n"
                f"See the server log at {self.log_file}."
            )
        return proc.stdout

    def port(self) -> int | None:
        """The port of the running server, or None when it is not running."""
        pid_file = self.pgdata / "postmaster.pid"
        if not pid_file.exists():
            return None
        lines = pid_file.read_text().splitlines()
        try:
            pid, port = int(lines[0]), int(lines[3])
        except (IndexError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return port

    def _ensure_initialized(self) -> None:
        if (self.pgdata / "PG_VERSION").exists():
            return
        self.pgdata.mkdir(parents=True, exist_ok=True)
        user = self._run_as()
        if user is not None:
            import pwd

            from pgserver._commands import POSTGRES_BIN_PATH
            from pgserver.utils import ensure_folder_permissions, ensure_prefix_permissions

            ensure_prefix_permissions(self.pgdata)
            ensure_prefix_permissions(POSTGRES_BIN_PATH)
            ensure_folder_permissions(POSTGRES_BIN_PATH, 0o055)
            ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", 0o044)
            entry = pwd.getpwnam(user)
            for p in (self.pgdata, self.pgdata.parent):
                os.chown(p, entry.pw_uid, entry.pw_gid)
        log.info("initdb %s", self.pgdata)
        from pgserver._commands import POSTGRES_BIN_PATH

        proc = subprocess.run(  # noqa: S603
            [
                str(POSTGRES_BIN_PATH / "initdb"),
                "-D",
                str(self.pgdata),
                "--auth=trust",
                "--encoding=utf8",
                "--no-instructions",
                "-U",
                SUPERUSER,
            ],
            capture_output=True,
            text=True,
            user=user,
            check=False,
        )
        if proc.returncode != 0:
            raise DatabaseError(f"initdb failed: {proc.stderr.strip()}")

    def start(self) -> int:
        """Start the server if it is not running; return its port."""
        running = self.port()
        if running is not None:
            return running
        self._ensure_initialized()
        port = _free_port()
        opts = (
            f"-h 127.0.0.1 -p {port} -k {self.pgdata} -c max_connections=300 "
            "-c shared_buffers=256MB -c work_mem=64MB -c maintenance_work_mem=256MB "
            "-c max_wal_size=4GB -c checkpoint_timeout=30min"
        )
        self._pg("pg_ctl", ["-w", "-t", "60", "-o", opts, "-l", str(self.log_file), "start"], 90)
        for _ in range(100):
            if self.port() == port:
                return port
            time.sleep(0.1)
        raise DatabaseError(f"PostgreSQL did not come up on port {port}; see {self.log_file}")

    def stop(self) -> bool:
        """Stop the server; return False if it was not running."""
        if self.port() is None:
            return False
        self._pg("pg_ctl", ["-w", "-m", "fast", "stop"])
        return True


def embedded(cfg: Settings | None = None) -> EmbeddedPostgres:
    cfg = cfg or settings()
    return EmbeddedPostgres(cfg.pg_dir)


def server_url(cfg: Settings | None = None, *, start: bool = True) -> str:
    """The URL of the server (database ``postgres``), starting the embedded one if needed."""
    cfg = cfg or settings()
    if cfg.database_url:
        return cfg.database_url
    pg = embedded(cfg)
    port = pg.start() if start else pg.port()
    if port is None:
        raise DatabaseError("The embedded database is not running. Start it with `costclose db up`.")
    return f"postgresql://{SUPERUSER}@127.0.0.1:{port}/postgres"


def with_database(url: str, dbname: str) -> str:
    """Return ``url`` pointing at database ``dbname``."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + dbname, parts.query, parts.fragment))


def database_url(role: str, cfg: Settings | None = None) -> str:
    """The URL of one of costclose's databases: ``warehouse``, ``erp`` or ``airflow``.

    The database is created on first use.
    """
    cfg = cfg or settings()
    names = {"warehouse": cfg.warehouse_db, "erp": cfg.erp_db, "airflow": cfg.airflow_db}
    if role not in names:
        raise ValueError(f"unknown database role {role!r}; use one of {sorted(names)}")
    base = server_url(cfg)
    ensure_database(base, names[role])
    return with_database(base, names[role])


def ensure_database(server: str, dbname: str) -> bool:
    """Create ``dbname`` on ``server`` if missing; return True when it was created."""
    try:
        conn = psycopg2.connect(server)
    except psycopg2.OperationalError as exc:
        raise DatabaseError(
            f"Cannot connect to PostgreSQL at {redact(server)}: {exc}. "
            "Check COSTCLOSE_DATABASE_URL, or unset it to use the embedded database."
        ) from exc
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("select 1 from pg_database where datname = %s", (dbname,))
            if cur.fetchone():
                return False
            with contextlib.suppress(psycopg2.errors.DuplicateDatabase):
                cur.execute(sql.SQL("create database {}").format(sql.Identifier(dbname)))
            return True
    finally:
        conn.close()


def redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


@contextlib.contextmanager
def connect(
    url: str, *, autocommit: bool = False, role: str | None = None
) -> Iterator[psycopg2.extensions.connection]:
    """A psycopg2 connection that is closed afterwards (committed on success when not autocommit).

    ``role``: a database role (e.g. ``costclose_extract``) the session takes with ``SET ROLE`` before
    anything else; a rollback later does not undo it.
    """
    conn = psycopg2.connect(url)
    if role is not None:
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(sql.SQL("set role {}").format(sql.Identifier(role)))
        except BaseException:
            conn.close()
            raise
    conn.autocommit = autocommit
    try:
        yield conn
        if not autocommit:
            conn.commit()
    except BaseException:
        if not autocommit:
            conn.rollback()
        raise
    finally:
        conn.close()

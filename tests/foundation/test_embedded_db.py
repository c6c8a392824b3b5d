"""The embedded PostgreSQL starts on TCP, accepts connections, is reused, and stops."""

from __future__ import annotations

from pathlib import Path

import psycopg2
import pytest

from costclose import config, db


def test_embedded_server_starts_accepts_a_connection_and_stops(tmp_path: Path) -> None:
    pg = db.EmbeddedPostgres(tmp_path / "pg")
    port = pg.start()
    try:
        assert pg.start() == port, "a second start reuses the running server"
        conn = psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres")
        with conn.cursor() as cur:
            cur.execute("select current_setting('listen_addresses'), version()")
            listen, version = cur.fetchone()
        conn.close()
        assert listen == "127.0.0.1"
        assert version.startswith("PostgreSQL 16")
    finally:
        assert pg.stop() is True
    assert pg.port() is None
    assert pg.stop() is False


def test_database_roles_are_separate_databases_on_one_server(costclose_env: Path) -> None:
    urls = {role: db.database_url(role) for role in ("warehouse", "erp", "airflow")}
    assert len({u.rsplit("/", 1)[1] for u in urls.values()}) == 3
    assert len({u.rsplit("/", 1)[0] for u in urls.values()}) == 1
    for url in urls.values():
        with db.connect(url) as conn, conn.cursor() as cur:
            cur.execute("select 1")
            assert cur.fetchone() == (1,)


def test_unknown_role_and_unreachable_server_fail_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="unknown database role"):
        db.database_url(
            "nope", config.load_settings({"COSTCLOSE_DATABASE_URL": "postgresql://x@127.0.0.1:1/p"})
        )
    cfg = config.load_settings({"COSTCLOSE_DATABASE_URL": "postgresql://u:secret@127.0.0.1:1/postgres"})
    with pytest.raises(db.DatabaseError) as err:
        db.database_url("warehouse", cfg)
    assert "secret" not in str(err.value)
    assert "COSTCLOSE_DATABASE_URL" in str(err.value)


def test_redact_hides_the_password() -> None:
    assert db.redact("postgresql://bob:hunter2@h:5432/d") == "postgresql://bob:***@h:5432/d"
    assert db.redact("postgresql://bob@h/d") == "postgresql://bob@h/d"

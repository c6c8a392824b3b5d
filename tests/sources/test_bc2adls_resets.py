"""bc2adls table resets (``_full`` exports, Fabric ``reset/<Entity>.txt``) and a non-local fsspec folder."""

from __future__ import annotations

import uuid
from pathlib import Path

import fsspec
import psycopg2
import pytest
from bc_source_db import CrashError, crash_at, execute, insert_rows, seed_company, table_rows, value_entries
from psycopg2 import sql

from costclose import bc_schema
from costclose.bc2adls_export.exporter import export_bc2adls
from costclose.landing import load
from costclose.sources import open_source
from costclose.sources.bc2adls import Bc2AdlsFormatError

COMPANY = "CRONUS International Ltd."
OTHER = "Other Co"
VE_FOLDER = "deltas/ValueEntry-5802/"


def raw_rows(url: str, company: str) -> dict[str, list[tuple]]:
    return {t.name: table_rows(url, "raw", t, company) for t in bc_schema.RAW_TABLES}


def source_rows(url: str, company: str) -> dict[str, list[tuple]]:
    return {t.name: table_rows(url, "bc", t, company) for t in bc_schema.RAW_TABLES}


def value_entry_totals(url: str, schema: str, company: str) -> tuple:
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute(
            sql.SQL(
                "select count(*), sum(cost_amount_actual), sum(cost_amount_expected), "
                "sum(cost_posted_to_g_l) from {}.value_entry where company = %s"
            ).format(sql.Identifier(schema)),
            (company,),
        )
        row = cur.fetchone()
    conn.close()
    return row


def _count(url: str, query: str, params: tuple) -> int:
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute(query, params)
        value = int(cur.fetchone()[0])
    conn.close()
    return value


def deleted_rows(url: str, company: str) -> int:
    return _count(
        url,
        "select coalesce(sum(rows_deleted), 0) from landing.batch "
        "where company = %s and table_name = 'value_entry'",
        (company,),
    )


def reset_batches(url: str, company: str) -> int:
    """Batches that applied a Fabric reset marker to the company's value entries."""
    return _count(
        url,
        "select count(*) from landing.batch where company = %s and table_name = 'value_entry' "
        "and source_ref like 'reset/ValueEntry-5802.txt:%%'",
        (company,),
    )


def ve_files(report_files: list[str]) -> list[str]:
    return [f for f in report_files if f.startswith(VE_FOLDER)]


def test_full_export_after_a_reset_replaces_the_company_rows(
    source_url: str, warehouse_url: str, tmp_path: Path
) -> None:
    seed_company(source_url, COMPANY, value_entry_count=20)
    seed_company(source_url, OTHER, value_entry_count=5)
    lake = str(tmp_path / "lake")
    first = export_bc2adls(source_url, COMPANY, lake, distinguish_full=True)
    export_bc2adls(source_url, OTHER, lake, distinguish_full=True)
    assert first.files and all(f.endswith("_full.csv") for f in first.files)
    source = open_source(f"bc2adls:{lake}")
    load(source, COMPANY, warehouse_url=warehouse_url)
    load(source, OTHER, warehouse_url=warehouse_url)
    other_before = raw_rows(warehouse_url, OTHER)
    assert value_entry_totals(warehouse_url, "raw", COMPANY)[0] == 20

    # an incremental export nobody loaded yet, then BC deletes two entries and the table is reset:
    # bc2adls empties its deleted-record log, so the _full export is the only trace of the deletions
    execute(
        source_url,
        "update bc.value_entry set cost_posted_to_g_l = cost_amount_actual "
        "where company = %s and entry_no = 3",
        (COMPANY,),
    )
    [pre] = ve_files(export_bc2adls(source_url, COMPANY, lake, distinguish_full=True).files)
    assert pre.endswith("_incremental.csv")
    execute(source_url, "delete from bc.value_entry where company = %s and entry_no in (4, 7)", (COMPANY,))
    execute(
        source_url,
        "update bc.value_entry set cost_amount_actual = cost_amount_actual + 1.25 "
        "where company = %s and entry_no = 5",
        (COMPANY,),
    )
    reset = export_bc2adls(source_url, COMPANY, lake, distinguish_full=True, reset=[bc_schema.VALUE_ENTRY])
    [full] = ve_files(reset.files)
    assert full.endswith("_full.csv")
    assert (reset.rows["value_entry"], reset.deletes["value_entry"]) == (18, 0)
    insert_rows(source_url, bc_schema.VALUE_ENTRY, value_entries(COMPANY, 21, 3))
    [after] = ve_files(export_bc2adls(source_url, COMPANY, lake, distinguish_full=True).files)
    assert after.endswith("_incremental.csv")

    # killed right after the batch that drops the superseded rows: 20 - entries 4 and 7
    with pytest.raises(CrashError):
        load(
            source,
            COMPANY,
            warehouse_url=warehouse_url,
            on_batch=crash_at("value_entry", 1, "killed after the reset's first batch"),
        )
    assert value_entry_totals(warehouse_url, "raw", COMPANY)[0] == 18

    report = load(source, COMPANY, warehouse_url=warehouse_url)

    assert raw_rows(warehouse_url, COMPANY) == source_rows(source_url, COMPANY)
    assert value_entry_totals(warehouse_url, "raw", COMPANY) == value_entry_totals(source_url, "bc", COMPANY)
    assert value_entry_totals(warehouse_url, "raw", COMPANY)[0] == 21
    assert deleted_rows(warehouse_url, COMPANY) == 2
    assert all(c.matches for c in report.checks)
    assert raw_rows(warehouse_url, OTHER) == other_before
    again = load(source, COMPANY, warehouse_url=warehouse_url)
    assert (again.upserted, again.deleted) == (0, 0)


def test_fabric_reset_marker_drops_and_reloads_the_company_once(
    source_url: str, warehouse_url: str, tmp_path: Path
) -> None:
    seed_company(source_url, COMPANY, value_entry_count=12, g_l_entry_count=4)
    seed_company(source_url, OTHER, value_entry_count=4, g_l_entry_count=2)
    files = tmp_path / "Files"  # a lakehouse's Files root
    [loaded] = ve_files(export_bc2adls(source_url, COMPANY, str(files), fabric=True).files)
    export_bc2adls(source_url, OTHER, str(files), fabric=True)
    source = open_source(f"bc2adls:{files}")
    load(source, COMPANY, warehouse_url=warehouse_url)
    load(source, OTHER, warehouse_url=warehouse_url)
    other_before = raw_rows(warehouse_url, OTHER)
    gl_before = raw_rows(warehouse_url, COMPANY)["g_l_entry"]

    # the Fabric notebook removed the delta file it processed; BC deletes two entries, then the table
    # is reset: the marker is written and the next export holds every live row, no delete marker
    (files / loaded).unlink()
    execute(source_url, "delete from bc.value_entry where company = %s and entry_no in (2, 9)", (COMPANY,))
    [full] = ve_files(
        export_bc2adls(source_url, COMPANY, str(files), fabric=True, reset=[bc_schema.VALUE_ENTRY]).files
    )
    marker = files / "reset" / "ValueEntry-5802.txt"
    assert marker.read_text() == "{}"

    report = load(source, COMPANY, warehouse_url=warehouse_url)

    assert raw_rows(warehouse_url, COMPANY) == source_rows(source_url, COMPANY)
    assert value_entry_totals(warehouse_url, "raw", COMPANY) == value_entry_totals(source_url, "bc", COMPANY)
    assert value_entry_totals(warehouse_url, "raw", COMPANY)[0] == 10
    assert report.tables["value_entry"].deleted == 2
    assert all(c.matches for c in report.checks)
    assert raw_rows(warehouse_url, COMPANY)["g_l_entry"] == gl_before  # other tables untouched
    assert raw_rows(warehouse_url, OTHER) == other_before  # other companies untouched
    assert marker.exists()  # the customer's file stays
    again = load(source, COMPANY, warehouse_url=warehouse_url)
    assert (again.upserted, again.deleted) == (0, 0)
    assert reset_batches(warehouse_url, COMPANY) == 1  # handled exactly once

    # the other company meets the same marker on its next load: its rows reload from its files, unchanged
    other = load(source, OTHER, warehouse_url=warehouse_url)
    assert other.tables["value_entry"].deleted == 0 and all(c.matches for c in other.checks)
    assert raw_rows(warehouse_url, OTHER) == other_before
    assert reset_batches(warehouse_url, OTHER) == 1

    # a later reset rewrites the marker: handled again
    (files / full).unlink()
    execute(source_url, "delete from bc.value_entry where company = %s and entry_no = 3", (COMPANY,))
    export_bc2adls(source_url, COMPANY, str(files), fabric=True, reset=[bc_schema.VALUE_ENTRY])
    second = load(source, COMPANY, warehouse_url=warehouse_url)
    assert second.tables["value_entry"].deleted == 1
    assert raw_rows(warehouse_url, COMPANY) == source_rows(source_url, COMPANY)
    assert value_entry_totals(warehouse_url, "raw", COMPANY)[0] == 9
    assert reset_batches(warehouse_url, COMPANY) == 2


def test_reader_lands_from_a_non_local_fsspec_filesystem(source_url: str, warehouse_url: str) -> None:
    seed_company(source_url, COMPANY, value_entry_count=15, g_l_entry_count=6)
    root = f"/costclose-test-{uuid.uuid4().hex}"
    lake = f"memory://{root}/lake"
    memory = fsspec.filesystem("memory")
    try:
        export_bc2adls(source_url, COMPANY, lake, distinguish_full=True)
        assert memory.exists(f"{root}/lake/ValueEntry-5802.cdm.json")
        source = open_source(f"bc2adls:{lake}")
        assert "memory" in source.fs.protocol

        report = load(source, COMPANY, warehouse_url=warehouse_url)

        assert report.tables["value_entry"].upserted == 15
        assert raw_rows(warehouse_url, COMPANY) == source_rows(source_url, COMPANY)
        assert value_entry_totals(warehouse_url, "raw", COMPANY) == value_entry_totals(
            source_url, "bc", COMPANY
        )
        assert all(c.matches for c in report.checks)

        insert_rows(source_url, bc_schema.VALUE_ENTRY, value_entries(COMPANY, 16, 4))
        export_bc2adls(source_url, COMPANY, lake, distinguish_full=True)
        second = load(source, COMPANY, warehouse_url=warehouse_url)
        assert second.tables["value_entry"].upserted == 4
        assert raw_rows(warehouse_url, COMPANY) == source_rows(source_url, COMPANY)
    finally:
        memory.rm(root, recursive=True)


def test_a_storage_url_whose_filesystem_package_is_missing_is_refused_clearly() -> None:
    # gcsfs is not a dependency: fsspec knows gs:// but cannot import its implementation
    expected = r"needs a filesystem package .*gcsfs.*uv sync --extra azure"
    with pytest.raises(Bc2AdlsFormatError, match=expected):
        open_source("bc2adls:gs://bucket/lakehouse/Files")

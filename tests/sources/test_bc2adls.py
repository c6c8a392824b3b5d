"""bc2adls: the exporter writes bc2adls's exact format; the reader lands it like the sql connector."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg2
import pytest
from bc_source_db import (
    CrashError,
    crash_at,
    execute,
    insert_rows,
    query,
    seed_company,
    table_rows,
    value_entries,
)

from costclose import bc_schema
from costclose.bc2adls_export.exporter import export_bc2adls
from costclose.landing import TotalsMismatchError, load, quarantine_status, waive_quarantine
from costclose.sources import open_source
from costclose.sources.bc2adls import Bc2AdlsFormatError

COMPANY = "CRONUS International Ltd."


def raw_rows(url: str, company: str) -> dict[str, list[tuple]]:
    return {t.name: table_rows(url, "raw", t, company) for t in bc_schema.RAW_TABLES}


def source_rows(url: str, company: str) -> dict[str, list[tuple]]:
    return {t.name: table_rows(url, "bc", t, company) for t in bc_schema.RAW_TABLES}


def test_sql_and_bc2adls_land_identical_raw_rows(source_url: str, clone_database, tmp_path: Path) -> None:
    seed_company(source_url, COMPANY, value_entry_count=30, g_l_entry_count=12)
    seed_company(source_url, "Other Co", value_entry_count=4, g_l_entry_count=2)
    export_bc2adls(source_url, COMPANY, str(tmp_path / "lake"))
    export_bc2adls(source_url, "Other Co", str(tmp_path / "lake"))
    via_sql, via_bc2adls = clone_database("wh"), clone_database("wh")

    load(open_source(f"sql:{source_url}"), COMPANY, warehouse_url=via_sql)
    report = load(open_source(f"bc2adls:{tmp_path / 'lake'}"), COMPANY, warehouse_url=via_bc2adls)

    assert raw_rows(via_bc2adls, COMPANY) == raw_rows(via_sql, COMPANY) == source_rows(source_url, COMPANY)
    assert report.tables["value_entry"].upserted == 30
    assert all(c.matches for c in report.checks)
    assert {c.metric for c in report.checks} >= {"rows:value_entry", "cost_posted_to_g_l", "g_l_amount"}


def test_export_writes_bc2adls_exact_format(source_url: str, tmp_path: Path) -> None:
    seed_company(source_url, COMPANY, value_entry_count=3, g_l_entry_count=1)
    execute(source_url, "delete from bc.location where company = %s and code = 'RED'", (COMPANY,))
    # a row from before BC v17 has no SystemCreatedAt: bc2adls writes 1900-01-01, not a delete marker
    execute(source_url, "update bc.location set system_created_at = null where code = 'BLUE'")
    lake = tmp_path / "lake"

    report = export_bc2adls(source_url, COMPANY, str(lake))

    assert (lake / "ValueEntry-5802.cdm.json").is_file()
    assert (lake / "GLItemLedgerRelation-5823.cdm.json").is_file()
    manifest = (lake / "deltas.manifest.cdm.json").read_text()
    assert '"rootLocation":"deltas/ValueEntry-5802"' in manifest and '"globPattern":"/*.csv"' in manifest
    [ve_file] = (lake / "deltas" / "ValueEntry-5802").glob("*.csv")
    raw = ve_file.read_bytes()
    lines = raw.split(b"\r\n")
    assert lines[-1] == b""  # every line ends with CRLF
    header = lines[0].decode().split(",")
    assert header[:4] == ["EntryNo-1", "ItemNo-2", "PostingDate-3", "ItemLedgerEntryType-4"]
    assert header[-7:] == [
        "timestamp-0",
        "systemId-2000000000",
        "SystemCreatedAt-2000000001",
        "SystemCreatedBy-2000000002",
        "SystemModifiedAt-2000000003",
        "SystemModifiedBy-2000000004",
        "$Company",
    ]
    assert "CostAmountActual-43" in header and "CostAmountNonInvtblACY-157" in header
    first = lines[1].decode()
    # entry 1: Sale, document D"1\x,1 -> quoted, backslash and quote escaped, no quote doubling
    assert first.startswith('1,"1901-S",2025-01-02,Sale,"","D\\"1\\\\x,1",')
    assert first.endswith(f',"{COMPANY}"')
    assert ',"{00000000-0000-0000-0000-000000000000}",' in first
    # the deleted location is exported as a delete marker: empty SystemCreatedAt
    [loc_file] = (lake / "deltas" / "Location-14").glob("*.csv")
    loc_lines = loc_file.read_text(encoding="utf-8").splitlines()
    loc_header = loc_lines[0].split(",")
    created = loc_header.index("SystemCreatedAt-2000000001")
    markers = [line for line in loc_lines[1:] if line.split(",")[created] == ""]
    assert len(markers) == 1 and markers[0].startswith('"RED",')
    [blue] = [line for line in loc_lines[1:] if line.startswith('"BLUE",')]
    assert blue.split(",")[created] == "1900-01-01T00:00:00.000Z"
    assert report.rows["location"] == 2 and report.deletes["location"] == 1


def test_incremental_export_and_load_pick_up_new_updated_and_deleted_rows(
    source_url: str, warehouse_url: str, tmp_path: Path
) -> None:
    seed_company(source_url, COMPANY, value_entry_count=20)
    lake = str(tmp_path / "lake")
    export_bc2adls(source_url, COMPANY, lake)
    source = open_source(f"bc2adls:{lake}")
    load(source, COMPANY, warehouse_url=warehouse_url)

    posted = execute(
        source_url,
        "update bc.value_entry set cost_posted_to_g_l = cost_amount_actual "
        "where company = %s and cost_posted_to_g_l <> cost_amount_actual",
        (COMPANY,),
    )
    insert_rows(source_url, bc_schema.VALUE_ENTRY, value_entries(COMPANY, 21, 6))
    execute(source_url, "delete from bc.accounting_period where company = %s and name = 'M6'", (COMPANY,))
    second = export_bc2adls(source_url, COMPANY, lake)
    assert second.rows == {"value_entry": posted + 6, "accounting_period": 0}
    assert second.deletes == {"value_entry": 0, "accounting_period": 1}
    assert export_bc2adls(source_url, COMPANY, lake).files == []  # nothing changed since

    report = load(source, COMPANY, warehouse_url=warehouse_url)

    assert report.tables["value_entry"].upserted == posted + 6
    assert report.tables["accounting_period"].deleted == 1
    assert raw_rows(warehouse_url, COMPANY) == source_rows(source_url, COMPANY)
    assert load(source, COMPANY, warehouse_url=warehouse_url).upserted == 0


def test_crash_between_batches_resumes_inside_a_file(
    source_url: str, warehouse_url: str, tmp_path: Path
) -> None:
    seed_company(source_url, COMPANY, value_entry_count=45)
    lake = str(tmp_path / "lake")
    export_bc2adls(source_url, COMPANY, lake)
    source = open_source(f"bc2adls:{lake}", batch_size=10)

    with pytest.raises(CrashError):
        load(source, COMPANY, warehouse_url=warehouse_url, on_batch=crash_at("value_entry", 2, "killed"))
    assert query(warehouse_url, "select count(*) from raw.value_entry") == [(20,)]

    load(source, COMPANY, warehouse_url=warehouse_url)

    assert raw_rows(warehouse_url, COMPANY) == source_rows(source_url, COMPANY)
    assert query(
        warehouse_url, "select sum(rows_upserted) from landing.batch where table_name = 'value_entry'"
    ) == [(45,)]


def _write_delta(lake: Path, text: str, name: str = "BAD.csv") -> Path:
    path = lake / "deltas" / "ValueEntry-5802" / name
    path.write_bytes(text.encode("utf-8"))
    return path


def test_malformed_rows_are_quarantined_with_file_and_line(
    source_url: str, warehouse_url: str, tmp_path: Path
) -> None:
    seed_company(source_url, COMPANY, value_entry_count=5)
    lake = tmp_path / "lake"
    export_bc2adls(source_url, COMPANY, str(lake))
    [good] = (lake / "deltas" / "ValueEntry-5802").glob("*.csv")
    header, row = good.read_bytes().decode("utf-8").split("\r\n")[:2]
    system_id = re.search(r'"\{[0-9A-F-]{36}\}"', row).group(0)
    assert row.startswith("1,")
    # entry 900: a copy of entry 1 with its own entry no. and SystemId
    ok = "900," + row[2:].replace(system_id, '"{9D1B6C36-1D43-4E0B-9A57-0C1F7A2E5B11}"')
    bad_escape = ok.replace('"1901-S"', '"19\\x01-S"')
    short = ok.rsplit(",", 3)[0]
    untypeable = "9x1," + row[2:].replace(system_id, '"{0B0B6C36-1D43-4E0B-9A57-0C1F7A2E5B12}"')
    truncated = ok[: len(ok) // 2]
    _write_delta(
        lake,
        "\r\n".join([header, ok, bad_escape, short, untypeable]) + "\r\n" + truncated,
        name="00000000-BAD.csv",
    )

    report = load(open_source(f"bc2adls:{lake}"), COMPANY, warehouse_url=warehouse_url)

    assert report.tables["value_entry"].quarantined == 4
    rows = query(
        warehouse_url,
        "select source_ref, reason, raw from landing.quarantine where company = %s order by quarantine_id",
        (COMPANY,),
    )
    refs = [r[0] for r in rows]
    assert refs == [f"deltas/ValueEntry-5802/00000000-BAD.csv:line {n}" for n in (3, 4, 5, 6)]
    reasons = [r[1] for r in rows]
    assert "bad escape sequence" in reasons[0]
    width = len(header.split(","))
    assert f"has {width - 3} fields, the header has {width}" in reasons[1]
    assert "column EntryNo-1: '9x1' is not an integer" in reasons[2]
    assert "truncated" in reasons[3]
    assert rows[1][2] == short
    # the good line of the same file was landed; the control totals cover the landed rows
    assert query(warehouse_url, "select count(*) from raw.value_entry where entry_no = 900") == [(1,)]
    assert all(c.matches for c in report.checks)
    status = quarantine_status(COMPANY, warehouse_url=warehouse_url)
    assert status.blocks_posting and status.open_rows == 4 and status.by_table == {"value_entry": 4}

    assert waive_quarantine(COMPANY, "test data, reviewed", warehouse_url=warehouse_url) == 4
    assert not quarantine_status(COMPANY, warehouse_url=warehouse_url).blocks_posting


def test_file_without_header_or_with_unknown_column_stops_the_load(
    source_url: str, warehouse_url: str, tmp_path: Path
) -> None:
    seed_company(source_url, COMPANY, value_entry_count=2)
    lake = tmp_path / "lake"
    export_bc2adls(source_url, COMPANY, str(lake))
    [good] = (lake / "deltas" / "ValueEntry-5802").glob("*.csv")
    header, row = good.read_bytes().decode("utf-8").split("\r\n")[:2]
    bad = _write_delta(lake, row + "\r\n", name="00000000-NOHEADER.csv")
    source = open_source(f"bc2adls:{lake}")

    with pytest.raises(Bc2AdlsFormatError, match=r"00000000-NOHEADER\.csv has no header row"):
        load(source, COMPANY, warehouse_url=warehouse_url)

    bad.write_text(header + ",Surprise-77\r\n" + row + ',"x"\r\n', encoding="utf-8")
    with pytest.raises(
        Bc2AdlsFormatError, match=r"columns \['Surprise-77'\] that ValueEntry-5802\.cdm\.json"
    ):
        load(source, COMPANY, warehouse_url=warehouse_url)


def test_hostile_company_name_round_trips(source_url: str, warehouse_url: str, tmp_path: Path) -> None:
    hostile = 'Bob\'s "Best", \\Co\\; delete from raw.item; --'
    seed_company(source_url, hostile, value_entry_count=6, g_l_entry_count=3)
    seed_company(source_url, COMPANY, value_entry_count=2, g_l_entry_count=1)
    lake = str(tmp_path / "lake")
    export_bc2adls(source_url, hostile, lake)
    export_bc2adls(source_url, COMPANY, lake)
    source = open_source(f"bc2adls:{lake}")
    assert source.companies() == sorted([hostile, COMPANY])

    report = load(source, hostile, warehouse_url=warehouse_url)

    assert report.tables["value_entry"].upserted == 6
    assert raw_rows(warehouse_url, hostile) == source_rows(source_url, hostile)


def test_server_built_csv_lines_equal_the_python_formatter(source_url: str) -> None:
    """The exporter builds lines in SQL for speed; they equal the reference formatter's, value for value."""
    from psycopg2 import sql

    from costclose.bc2adls_export import format as fmt
    from costclose.bc2adls_export.exporter import _csv_line, line_sql

    seed_company(source_url, COMPANY, value_entry_count=12, g_l_entry_count=3)
    execute(
        source_url,
        "update bc.value_entry set system_created_at = '2025-03-04 05:06:07.891999+02', "
        "description = E'tab\\there, new\\nline, \"q\" \\\\ end' where entry_no = 2",
    )
    execute(source_url, "update bc.location set system_created_at = null where code = 'BLUE'")
    conn = psycopg2.connect(source_url)
    compared = 0
    with conn, conn.cursor() as cur:
        cur.execute("set timezone = 'Europe/Copenhagen'")  # the exporter must not depend on it
        for table in bc_schema.RAW_TABLES:
            cur.execute(
                sql.SQL("select {}, {} from bc.{} order by row_version").format(
                    line_sql(table),
                    sql.SQL(", ").join(map(sql.Identifier, table.column_names)),
                    sql.Identifier(table.name),
                )
            )
            for line, *values in cur.fetchall():
                row = dict(zip(table.column_names, values, strict=True))
                if row["system_created_at"] is None:
                    row["system_created_at"] = fmt.NULL_CREATED_AT
                assert f"{line}\r\n" == _csv_line(fmt.csv_columns(table), row), (table.name, line)
                compared += 1
    conn.close()
    assert compared == 12 + 3 + 3 + 2 + 6 + 2 + 1  # every seeded row of every table


def test_totals_cache_reads_new_files_only_and_notices_a_rewritten_file(
    source_url: str, warehouse_url: str, tmp_path: Path
) -> None:
    seed_company(source_url, COMPANY, value_entry_count=8)
    lake = tmp_path / "lake"
    export_bc2adls(source_url, COMPANY, str(lake))
    source = open_source(f"bc2adls:{lake}")
    load(source, COMPANY, warehouse_url=warehouse_url)
    insert_rows(source_url, bc_schema.VALUE_ENTRY, value_entries(COMPANY, 9, 3))
    export_bc2adls(source_url, COMPANY, str(lake))
    assert source.totals(COMPANY)["row_counts"]["value_entry"] == 11  # the cached 8 + the new file's 3

    [first, _] = sorted((lake / "deltas" / "ValueEntry-5802").glob("*.csv"), key=lambda p: p.stat().st_mtime)
    lines = first.read_bytes().split(b"\r\n")
    first.write_bytes(b"\r\n".join(lines[:-3]) + b"\r\n")  # two rows fewer: not what bc2adls ever does

    assert source.totals(COMPANY)["row_counts"]["value_entry"] == 9
    # a night that changed nothing compares no date of the value entries (DECISIONLOG 21); --verify
    # compares every figure and finds the file's two rows missing
    night = load(source, COMPANY, warehouse_url=warehouse_url)
    assert night.comparison == "changed slices" and all(c.matches for c in night.checks)
    with pytest.raises(TotalsMismatchError, match="rows:value_entry: source 9 vs raw 11"):
        load(source, COMPANY, verify=True, warehouse_url=warehouse_url)

"""The ``bc_api:`` connector against the BC-shaped server: paging, faults, typing, incremental runs."""

from __future__ import annotations

import json
import time
from decimal import Decimal

import pytest
from bc_api_company import (
    CLIENT_ID,
    COMPANY,
    FAST_RETRY,
    N_VALUE_ENTRIES,
    OTHER_COMPANY,
    BcEnvironment,
    value_entry,
)

from costclose import bc_schema
from costclose.bc_api_client import BcApiAuthError, BcApiError
from costclose.db import connect
from costclose.errors import CostcloseError
from costclose.sources.base import Batch
from costclose.sources.bc_api import BcApiSource


def _load(source: BcApiSource, table: bc_schema.Table, watermark: dict | None = None) -> list[Batch]:
    return list(source.fetch(COMPANY, table, watermark))


def _rows(batches: list[Batch]) -> dict[int, dict[str, object]]:
    """entry_no -> row as a dict, over all batches (later batches win, as in the raw upsert)."""
    out: dict[int, dict[str, object]] = {}
    for b in batches:
        for row in b.rows:
            rec = dict(zip(b.columns, row, strict=True))
            out[rec["entry_no"]] = rec  # type: ignore[index]
    return out


def test_value_entries_land_typed_across_pages(bc_env: BcEnvironment) -> None:
    with bc_env.source() as source:
        batches = _load(source, bc_schema.VALUE_ENTRY)
    assert len(batches) == 5  # five pages of five
    assert all(b.source_ref.startswith(bc_env.server.base_url + "/ODataV4/Company(") for b in batches)
    rows = _rows(batches)
    assert sorted(rows) == list(range(1, N_VALUE_ENTRIES + 1))
    assert sum(r["cost_amount_actual"] for r in rows.values()) == Decimal("2765.75")
    assert rows[1]["item_ledger_entry_type"] == "Positive Adjmt."  # XML-encoded on the wire
    assert rows[2]["variance_type"] == ""  # BC's blank enum value
    assert rows[4]["location_code"] == ""
    assert rows[5]["adjustment"] is True
    assert rows[3]["inventory_posting_group"] == "RESALE"
    assert batches[-1].watermark == {"last_entry_no": 23, "unposted": [[n, n] for n in range(3, 22, 3)]}
    assert not any(b.bad_rows for b in batches)


def test_general_ledger_entries_from_api_v2_get_amount_from_debit_and_credit(bc_env: BcEnvironment) -> None:
    with bc_env.source() as source:
        rows = _rows(_load(source, bc_schema.G_L_ENTRY))
        totals = source.totals(COMPANY)
    assert {n: (r["g_l_account_no"], r["amount"]) for n, r in rows.items()} == {
        1: ("2110", Decimal("10.25")),
        2: ("7170", Decimal("-10.25")),
    }
    assert totals["row_counts"]["value_entry"] == N_VALUE_ENTRIES
    assert totals["row_counts"]["g_l_account"] == 8
    assert totals["cost_amount_actual"] == Decimal("2765.75")
    assert totals["cost_posted_to_g_l"] == Decimal("2765.75") - sum(
        value_entry(n)["cost_amount_actual"]
        for n in range(3, 22, 3)  # type: ignore[misc]
    )
    assert totals["g_l_amount"] == Decimal("0.00")


def test_a_429_storm_is_waited_out_honouring_retry_after(bc_env: BcEnvironment) -> None:
    faults = bc_env.server.faults
    faults.arm("429", times=4, path_contains="ValueEntries", retry_after=0.2)
    started = time.monotonic()
    with bc_env.source() as source:
        rows = _rows(_load(source, bc_schema.VALUE_ENTRY))
    assert faults.fired["429"] == 4
    assert len(rows) == N_VALUE_ENTRIES
    assert time.monotonic() - started >= 0.8  # four Retry-After: 0.2 honoured, not hammered


def test_503_and_504_are_retried_and_every_read_is_read_only(bc_env: BcEnvironment) -> None:
    faults = bc_env.server.faults
    faults.arm("503", times=2, path_contains="skiptoken")
    faults.arm("504", times=1, path_contains="ValueEntries")
    with bc_env.source() as source:
        rows = _rows(_load(source, bc_schema.VALUE_ENTRY))
    assert len(rows) == N_VALUE_ENTRIES
    assert faults.fired == {"503": 2, "504": 1}
    reads = [r for r in faults.requests if r.method == "GET"]
    assert reads
    assert {r.data_access_intent for r in reads} == {"ReadOnly"}


def test_a_dropped_connection_is_retried(bc_env: BcEnvironment) -> None:
    faults = bc_env.server.faults
    faults.arm("drop", times=2, path_contains="ValueEntries")
    with bc_env.source() as source:
        rows = _rows(_load(source, bc_schema.VALUE_ENTRY))
    assert faults.fired["drop"] == 2
    assert sorted(rows) == list(range(1, N_VALUE_ENTRIES + 1))


def test_a_truncated_json_page_ends_in_an_error_naming_the_page(bc_env: BcEnvironment) -> None:
    bc_env.server.faults.arm("truncate", times=-1, path_contains="skiptoken")
    with bc_env.source() as source, pytest.raises(BcApiError) as err:
        _load(source, bc_schema.VALUE_ENTRY)
    message = str(err.value)
    page = "/ValueEntries?$filter=Entry_No%20ge%201%20and%20Entry_No%20le%2023&$skiptoken=5"
    assert f"/ODataV4/Company('CRONUS%20International%20Ltd.'){page}" in message
    assert "not complete JSON" in message
    assert "failed after 6 attempts" in message


def test_persistent_http_500_ends_in_an_error_after_bounded_retries(bc_env: BcEnvironment) -> None:
    faults = bc_env.server.faults
    faults.arm("500", times=-1, path_contains="generalLedgerEntries")
    with bc_env.source() as source, pytest.raises(CostcloseError) as err:
        _load(source, bc_schema.G_L_ENTRY)
    assert "/generalLedgerEntries failed after 6 attempts" in str(err.value)
    assert "HTTP 500 Internal_ServerError" in str(err.value)
    assert faults.fired["500"] == 6


def test_a_refused_token_ends_in_an_auth_error_naming_the_url(bc_env: BcEnvironment) -> None:
    bc_env.server.faults.arm("401", times=-1, path_contains="ItemLedgerEntries")
    with bc_env.source() as source, pytest.raises(BcApiAuthError) as err:
        _load(source, bc_schema.ITEM_LEDGER_ENTRY)
    assert "ItemLedgerEntries answered 401 Unauthorized" in str(err.value)
    with pytest.raises(BcApiAuthError, match="refused client"):
        BcApiSource(bc_env.source_url, environ={**bc_env.env, "BC_TEST_CLIENT_SECRET": "wrong"}).companies()
    with pytest.raises(BcApiAuthError, match="Set the environment variable"):
        BcApiSource(bc_env.source_url, environ={}).companies()


def test_an_untypeable_record_becomes_a_bad_row_not_a_gap(bc_env: BcEnvironment) -> None:
    bc_env.server.faults.arm("corrupt", times=1, path_contains="Entry_No%20le")
    with bc_env.source() as source:
        batches = _load(source, bc_schema.VALUE_ENTRY)
    bad = [b for batch in batches for b in batch.bad_rows]
    assert len(bad) == 1
    assert bad[0].source_ref.endswith("/ValueEntries?$filter=Entry_No%20ge%201%20and%20Entry_No%20le%2023")
    assert "Entry_No: '1.234,50' is not an integer" in bad[0].reason
    assert '"Entry_No": "1.234,50"' in bad[0].raw
    assert len(_rows(batches)) == N_VALUE_ENTRIES - 1


def test_rereads_run_at_most_five_at_a_time(bc_env_rw: BcEnvironment) -> None:
    with bc_env_rw.source() as source:
        first = _load(source, bc_schema.VALUE_ENTRY)[-1].watermark
    with connect(bc_env_rw.erp_url) as conn, conn.cursor() as cur:
        cur.execute("insert into bc.value_entry (company, entry_no, cost_amount_actual, cost_posted_to_g_l) "
                    "select %s, n, 1, 1 from generate_series(24, 60) n", (COMPANY,))  # fmt: skip
    faults = bc_env_rw.server.faults
    faults.reset_stats()
    faults.arm("slow", times=-1, path_contains="Entry_No", delay=0.3)
    with bc_env_rw.source(lookback=0, reread_chunk=1, range_width=4) as source:
        batches = _load(source, bc_schema.VALUE_ENTRY, first)
    rereads = [r for r in faults.requests if "Entry_No%20eq" in r.query]
    ranges = [r for r in faults.requests if "Entry_No%20le" in r.query]
    assert len(rereads) == 7  # one request per unposted entry (3, 6, ..., 21)
    assert len(ranges) == 10  # entries 24..60, four per request
    assert 3 <= faults.max_in_flight <= 5  # side by side, never more than five
    numbers = [n for b in batches for n in _rows([b])]
    assert numbers == [*range(3, 22, 3), *range(24, 61)]  # and in order: the watermark only moves forward


def test_updated_cost_posted_to_g_l_is_picked_up_by_the_next_incremental_run(
    bc_env_rw: BcEnvironment,
) -> None:
    with bc_env_rw.source(lookback=2) as source:
        first = _load(source, bc_schema.VALUE_ENTRY)[-1].watermark
    # Post Inventory Cost to G/L posts entries 3 and 6; an old posted entry changes (outside the look-back
    # and not unposted: by design not re-read); two new entries arrive, one of them unposted.
    with connect(bc_env_rw.erp_url) as conn, conn.cursor() as cur:
        cur.execute(
            "update bc.value_entry set cost_posted_to_g_l = cost_amount_actual where company = %s "
            "and entry_no in (3, 6)",
            (COMPANY,),
        )
        cur.execute(
            "insert into bc.value_entry (company, entry_no, cost_amount_actual, cost_posted_to_g_l) "
            "values (%s, 24, 5.5, 5.5), (%s, 25, 7.75, 0)",
            (COMPANY, COMPANY),
        )
    with bc_env_rw.source(lookback=2) as source:
        batches = _load(source, bc_schema.VALUE_ENTRY, first)
    rows = _rows(batches)
    assert sorted(rows) == [3, 6, 9, 12, 15, 18, 21, 22, 23, 24, 25]
    assert rows[3]["cost_posted_to_g_l"] == Decimal("30.25")
    assert rows[6]["cost_posted_to_g_l"] == Decimal("60.25")
    assert rows[25]["cost_amount_actual"] == Decimal("7.75")
    last = batches[-1].watermark
    assert last["last_entry_no"] == 25
    assert last["unposted"] == [[9, 9], [12, 12], [15, 15], [18, 18], [21, 21], [25, 25]]
    with bc_env_rw.source(lookback=2) as source:
        again = _rows(_load(source, bc_schema.VALUE_ENTRY, last))
    assert sorted(again) == [9, 12, 15, 18, 21, 24, 25]  # nothing new: the unposted + the last 2


def test_setup_tables_are_read_whole_and_removed_rows_become_deletes(bc_env_rw: BcEnvironment) -> None:
    with bc_env_rw.source() as source:
        first = _load(source, bc_schema.LOCATION)
        with connect(bc_env_rw.erp_url) as conn, conn.cursor() as cur:
            cur.execute("delete from bc.location where company = %s and code = 'EAST'", (COMPANY,))
        second = _load(source, bc_schema.LOCATION, first[-1].watermark)
    assert sum(len(b.rows) for b in first) == 3
    assert sum(len(b.rows) for b in second) == 2
    assert second[-1].deletes == [(COMPANY, "EAST")]


def test_an_expired_token_is_fetched_again_once(bc_env: BcEnvironment) -> None:
    with bc_env.source() as source:
        assert source.companies() == [COMPANY, OTHER_COMPANY]
        bc_env.server.app.state.server.tokens.revoke_all()  # every token issued so far expires
        rows = _rows(_load(source, bc_schema.VALUE_ENTRY))
    assert len(rows) == N_VALUE_ENTRIES
    assert len([r for r in bc_env.server.faults.requests if r.path.endswith("/oauth2/v2.0/token")]) == 2


def test_a_load_interrupted_between_pages_resumes_without_gaps_or_repeats(bc_env_rw: BcEnvironment) -> None:
    with connect(bc_env_rw.erp_url) as conn, conn.cursor() as cur:
        cur.execute("insert into bc.item_ledger_entry (company, entry_no, item_no, quantity) "
                    "select %s, n, '1896-S', n from generate_series(6, 13) n", (COMPANY,))  # fmt: skip
    with bc_env_rw.source() as source:
        first = next(source.fetch(COMPANY, bc_schema.ITEM_LEDGER_ENTRY, None))  # then the process dies
        assert first.watermark["next"].startswith("/ODataV4/")  # relative: survives a new host or port
        rest = _load(source, bc_schema.ITEM_LEDGER_ENTRY, first.watermark)
        again = _load(source, bc_schema.ITEM_LEDGER_ENTRY, rest[-1].watermark)
    assert [r[1] for r in first.rows] == [1, 2, 3, 4, 5]
    assert [r[1] for b in rest for r in b.rows] == list(range(6, 14))
    assert rest[-1].watermark["next"] is None
    # the next run re-reads only what changed within the overlap window (here: everything is recent)
    assert sorted(r[1] for b in again for r in b.rows) == list(range(1, 14))


def test_credentials_can_come_from_an_airflow_connection(
    bc_env: BcEnvironment, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = bc_env.env["BC_TEST_CLIENT_SECRET"]
    monkeypatch.setenv(
        "AIRFLOW_CONN_BC_API_TEST", json.dumps({"conn_type": "http", "login": CLIENT_ID, "password": secret})
    )
    url = f"bc_api:{bc_env.server.base_url}?conn_id=bc_api_test"
    with BcApiSource(url, environ={}, retry=FAST_RETRY) as source:
        assert source.companies() == [COMPANY, OTHER_COMPANY]

"""Posting a journal through the API (journals -> journalLines -> dimensionSetLines -> Microsoft.NAV.post)
lands G/L entries in the ERP, and BC's refusals come back as clear errors that change nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from bc_api_company import COMPANY, FAST_RETRY, BcEnvironment

from costclose.bc_api_client import (
    ApiJournalLine,
    BcApiClient,
    BcApiError,
    Credentials,
    DirectPostingError,
    post_journal,
)
from costclose.db import connect


def _client(bc_env: BcEnvironment) -> BcApiClient:
    creds = Credentials("costclose-tests", bc_env.env["BC_TEST_CLIENT_SECRET"], bc_env.server.token_url)
    return BcApiClient(bc_env.server.base_url, creds, retry=FAST_RETRY)


def _g_l(bc_env: BcEnvironment) -> list[tuple[object, ...]]:
    with connect(bc_env.erp_url) as conn, conn.cursor() as cur:
        cur.execute(
            "select g_l_account_no, amount, document_no, posting_date, dimension_set_id, "
            "system_created_entry from bc.g_l_entry where company = %s and entry_no > 2 order by entry_no",
            (COMPANY,),
        )
        return cur.fetchall()


def _journal_lines(bc_env: BcEnvironment) -> int:
    with connect(bc_env.erp_url) as conn, conn.cursor() as cur:
        cur.execute("select count(*) from bc_api.journal_line")
        return int(cur.fetchone()[0])


LINES = [
    ApiJournalLine("ADJ-2026-03", date(2026, 3, 31), "8620", Decimal("123.45"), "Cost adjustment",
                   (("DEPARTMENT", "SALES"), ("AREA", "30"))),
    ApiJournalLine("ADJ-2026-03", date(2026, 3, 31), "8640", Decimal("-123.45"), "Cost adjustment",
                   (("DEPARTMENT", "SALES"), ("AREA", "30"))),
]  # fmt: skip


def test_posting_a_journal_through_the_api_lands_g_l_entries(bc_env_rw: BcEnvironment) -> None:
    with _client(bc_env_rw) as client:
        result = post_journal(client, COMPANY, LINES, journal_code="CC202603")
        root = f"{client.api_root}/companies({client.get(client.api_root + '/companies')['value'][0]['id']})"
        gl = [r for p in client.pages(f"{root}/generalLedgerEntries") for r in p.rows]
        dims = client.get(f"{root}/generalLedgerEntries({gl[-1]['id']})/dimensionSetLines")["value"]
    assert result.lines_posted == 2
    posted = _g_l(bc_env_rw)
    assert [(a, amt, doc, d, manual) for a, amt, doc, d, _, manual in posted] == [
        ("8620", Decimal("123.45"), "ADJ-2026-03", date(2026, 3, 31), False),
        ("8640", Decimal("-123.45"), "ADJ-2026-03", date(2026, 3, 31), False),
    ]
    assert posted[0][4] == posted[1][4] > 0  # one dimension set for both lines
    assert {(d["code"], d["valueCode"]) for d in dims} == {("DEPARTMENT", "SALES"), ("AREA", "30")}
    assert [(g["accountNumber"], g["debitAmount"], g["creditAmount"]) for g in gl[-2:]] == [
        ("8620", Decimal("123.45"), 0),
        ("8640", 0, Decimal("123.45")),
    ]
    assert _journal_lines(bc_env_rw) == 0  # BC deletes the posted lines


def test_accounts_without_direct_posting_are_reported_before_anything_is_sent(
    bc_env_rw: BcEnvironment,
) -> None:
    lines = [
        ApiJournalLine("ADJ-1", date(2026, 3, 31), "2110", Decimal("10"), "Inventory"),
        ApiJournalLine("ADJ-1", date(2026, 3, 31), "7170", Decimal("-10"), "Inventory adjustment"),
    ]
    with _client(bc_env_rw) as client, pytest.raises(DirectPostingError) as err:
        post_journal(client, COMPANY, lines, journal_code="CC1")
    assert "Direct Posting = No: 2110, 7170" in str(err.value)
    assert _g_l(bc_env_rw) == []
    assert [r for r in bc_env_rw.server.faults.requests if r.method == "POST" and "journals" in r.path] == []


def test_a_journal_bc_refuses_posts_nothing_and_a_retry_posts_once(bc_env_rw: BcEnvironment) -> None:
    closed = [ApiJournalLine(ln.document_no, date(2026, 1, 31), ln.account_no, ln.amount) for ln in LINES]
    with _client(bc_env_rw) as client:
        with pytest.raises(BcApiError) as err:
            post_journal(client, COMPANY, closed, journal_code="CC202601")
        assert "closed accounting period starting 2026-01-01" in str(err.value)
        assert _g_l(bc_env_rw) == []
        assert _journal_lines(bc_env_rw) == 2  # BC keeps the lines of a batch that failed to post
        # The rerun with a corrected date reuses the batch, replaces its lines and posts them once.
        post_journal(client, COMPANY, LINES, journal_code="CC202601")
    assert [row[1] for row in _g_l(bc_env_rw)] == [Decimal("123.45"), Decimal("-123.45")]
    assert _journal_lines(bc_env_rw) == 0


def test_a_write_whose_answer_is_lost_is_not_sent_again(bc_env_rw: BcEnvironment) -> None:
    faults = bc_env_rw.server.faults
    faults.arm("drop", times=1, path_contains="/journals", method="POST")
    faults.arm("truncate", times=1, path_contains="/journalLines", method="POST")
    with _client(bc_env_rw) as client:
        with pytest.raises(BcApiError, match="the connection dropped"):
            post_journal(client, COMPANY, LINES, journal_code="CCLOST1")
        with pytest.raises(BcApiError, match="not complete JSON"):
            post_journal(client, COMPANY, LINES, journal_code="CCLOST1")
    posts = [r for r in faults.requests if r.method == "POST" and not r.path.endswith("/token")]
    assert [r.path.rsplit("/", 1)[-1] for r in posts] == ["journals", "journals", "journalLines"]
    assert _journal_lines(bc_env_rw) == 1  # BC created the line whose answer was lost: once
    assert _g_l(bc_env_rw) == []


def test_the_bc_api_posting_target_posts_a_key_once(bc_env_rw: BcEnvironment) -> None:
    """The close's bc_api target: configured like the source, idempotent on the run's key."""
    from costclose.posting.targets import Line, target_for

    target = target_for(bc_env_rw.source_url)
    lines = [
        Line(
            "INVCOST-20260331", date(2026, 3, 31), "8620", Decimal("50.00"), "Inventory cost", (7,), "actual"
        ),
        Line(
            "INVCOST-20260331", date(2026, 3, 31), "8640", Decimal("-50.00"), "Inventory cost", (7,), "actual"
        ),
    ]
    key = "ab" * 32
    before = len(_g_l(bc_env_rw))
    first = target.post(COMPANY, lines, key)
    second = target.post(COMPANY, lines, key)
    posted = _g_l(bc_env_rw)
    assert first["duplicate"] is False
    assert second["duplicate"] is True
    assert len(posted) - before == 2, "posted once, not twice"
    assert {r[2] for r in posted[before:]} == {"CCABABABABABAB-0331"}

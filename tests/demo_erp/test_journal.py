"""Journals posted back into the demo ERP: BC's checks refuse bad journals whole; a key posts once."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from psycopg2.extensions import connection

from costclose.demo_erp import masterdata
from costclose.demo_erp.journal import JournalLine, JournalRejected, post_journal

D = Decimal


@pytest.fixture
def company(erp_conn: connection) -> str:
    masterdata.load_company(erp_conn, "CRONUS", start=date(2025, 1, 1), months=3)
    with erp_conn.cursor() as cur:
        cur.execute("update bc.accounting_period set closed = true where starting_date = '2025-01-01'")
        cur.execute("update bc.general_ledger_setup set allow_posting_from = '2025-02-01'")
        # One unposted purchase value entry (Raw Materials at MAIN) the journal will cover.
        cur.execute(
            """
            insert into bc.value_entry (company, entry_no, item_no, posting_date, item_ledger_entry_type,
              entry_type, variance_type, location_code, inventory_posting_group, gen_bus_posting_group,
              gen_prod_posting_group, cost_amount_actual, cost_posted_to_g_l, cost_amount_expected,
              expected_cost_posted_to_g_l, inventoriable, order_type, source_type)
            values ('CRONUS', 1, 'SP-BOM1101', '2025-02-10', 'Purchase', 'Direct Cost', '', 'MAIN', 'RAW MAT',
                    'DOMESTIC', 'RAW MAT', 362.60, 0, 0, 0, true, '', 'Vendor')
            """
        )
        cur.execute(
            "insert into bc.post_value_entry_to_g_l (company, value_entry_no, item_no, posting_date) "
            "values ('CRONUS', 1, 'SP-BOM1101', '2025-02-10')"
        )
    erp_conn.commit()
    return "CRONUS"


def _state(conn: connection) -> tuple[object, ...]:
    with conn.cursor() as cur:
        cur.execute(
            "select (select count(*) from bc.g_l_entry), (select count(*) from bc.g_l_register), "
            "(select count(*) from bc.posted_journal), (select cost_posted_to_g_l from bc.value_entry), "
            "(select count(*) from bc.post_value_entry_to_g_l)"
        )
        return cur.fetchone()


def _lines(day: date = date(2025, 2, 28), debit: str = "2130", credit: str = "7291") -> list[JournalLine]:
    return [
        JournalLine("INVT-2025-02", day, debit, D("362.60"), "Purchase cost", value_entry_nos=(1,)),
        JournalLine("INVT-2025-02", day, credit, D("-362.60"), "Purchase cost", value_entry_nos=(1,)),
    ]


def test_journal_posts_entries_relations_and_settles_value_entries(
    erp_conn: connection, company: str
) -> None:
    with erp_conn.cursor() as cur:
        cur.execute("select row_version from bc.value_entry where entry_no = 1")
        version_before = cur.fetchone()[0]
    result = post_journal(erp_conn, company, _lines(), "close-2025-02-run-1")
    assert not result.duplicate and len(result.g_l_entry_nos) == 2
    with erp_conn.cursor() as cur:
        cur.execute("select g_l_account_no, amount from bc.g_l_entry order by entry_no")
        assert cur.fetchall() == [("2130", D("362.60")), ("7291", D("-362.60"))]
        cur.execute("select count(*) from bc.g_l_item_ledger_relation where value_entry_no = 1")
        assert cur.fetchone()[0] == 2
    assert _state(erp_conn) == (2, 1, 1, D("362.60"), 0)
    with erp_conn.cursor() as cur:  # the settled value entry has a new row version: exporters see it again
        cur.execute("select row_version > %s from bc.value_entry where entry_no = 1", (version_before,))
        assert cur.fetchone()[0] is True


def test_same_key_twice_posts_once(erp_conn: connection, company: str) -> None:
    first = post_journal(erp_conn, company, _lines(), "close-2025-02-run-1")
    again = post_journal(erp_conn, company, _lines(), "close-2025-02-run-1")
    assert again.duplicate and again.g_l_entry_nos == first.g_l_entry_nos
    assert again.register_no == first.register_no
    assert _state(erp_conn) == (2, 1, 1, D("362.60"), 0)


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (
            [JournalLine("D1", date(2025, 2, 28), "2130", D("10.00")),
             JournalLine("D1", date(2025, 2, 28), "7291", D("-9.99"))],
            "out of balance by 0.01",
        ),
        (_lines(day=date(2025, 1, 31)), "allowed posting dates"),
        (_lines(credit="7293"), "blocked"),
        (_lines(credit="9999"), "not Posting"),
        (_lines(credit="7292"), "does not exist"),
    ],
)  # fmt: skip
def test_bad_journal_is_refused_and_changes_nothing(
    erp_conn: connection, company: str, lines: list[JournalLine], message: str
) -> None:
    with erp_conn.cursor() as cur:
        cur.execute("update bc.g_l_account set blocked = true where no = '7293'")
    erp_conn.commit()
    before = _state(erp_conn)
    with pytest.raises(JournalRejected, match=message):
        post_journal(erp_conn, company, lines, "bad-journal")
    assert _state(erp_conn) == before


def test_closed_period_is_refused_even_inside_allowed_dates(erp_conn: connection, company: str) -> None:
    with erp_conn.cursor() as cur:
        cur.execute("update bc.general_ledger_setup set allow_posting_from = null")
    erp_conn.commit()
    before = _state(erp_conn)
    with pytest.raises(JournalRejected, match="closed accounting period starting 2025-01-01"):
        post_journal(erp_conn, company, _lines(day=date(2025, 1, 31)), "closed-period")
    assert _state(erp_conn) == before


def test_direct_posting_required_for_manual_lines(erp_conn: connection, company: str) -> None:
    with pytest.raises(JournalRejected, match="Direct Posting must be Yes on G/L Account '2130'"):
        post_journal(erp_conn, company, _lines(), "manual", system_created=False)
    ok = post_journal(
        erp_conn, company, _lines(debit="8210", credit="2910"), "manual-ok", system_created=False
    )
    assert not ok.duplicate


def test_unknown_value_entry_is_refused(erp_conn: connection, company: str) -> None:
    before = _state(erp_conn)
    lines = [
        JournalLine("D9", date(2025, 2, 28), "2130", D("1.00"), value_entry_nos=(1, 999)),
        JournalLine("D9", date(2025, 2, 28), "7291", D("-1.00"), value_entry_nos=(1, 999)),
    ]
    with pytest.raises(JournalRejected, match=r"Value entries \[999\] do not exist"):
        post_journal(erp_conn, company, lines, "unknown-ve")
    assert _state(erp_conn) == before


def test_racing_posts_serialize(erp_url: str, company: str) -> None:
    """Eight threads post four keys twice each at once: four registers, contiguous entry numbers."""
    import threading

    import psycopg2

    results: list[object] = []
    errors: list[BaseException] = []

    def worker(key: str) -> None:
        conn = psycopg2.connect(erp_url)
        try:
            results.append(post_journal(conn, company, _lines(debit="8210", credit="2910"), key))
        except BaseException as exc:
            errors.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, args=(f"race-{i % 4}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    posted = [r for r in results if not r.duplicate]
    assert len(posted) == 4 and len(results) == 8
    nos = sorted(n for r in posted for n in r.g_l_entry_nos)
    assert nos == list(range(1, 9))
    with psycopg2.connect(erp_url) as conn, conn.cursor() as cur:
        cur.execute("select count(*), count(distinct idempotency_key) from bc.posted_journal")
        assert cur.fetchone() == (4, 4)

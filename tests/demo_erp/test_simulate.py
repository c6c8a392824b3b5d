"""A seeded company: every entry type occurs, the G/L ties out once posted, the manifest is the truth."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import psycopg2
import pytest

from costclose.demo_erp import gl_posting, simulate

ORACLE = (Path(__file__).parent / "implied.sql").read_text()
START = date(2025, 1, 1)


def _measured(url: str, company: str = "CRONUS") -> list[tuple[str | None, str, Decimal]]:
    """Independent SQL (tests/demo_erp/implied.sql): G/L net change minus what the value entries imply."""
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute(ORACLE, {"company": company})
        return cur.fetchall()


def _rows(url: str, query: str, *args: object) -> list[tuple[object, ...]]:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute(query, args)
        return cur.fetchall()


@pytest.fixture(scope="module")
def seeded(pg_server_url: str) -> str:
    """One company: 14 months at scale 1, no injected discrepancies (shared by the read-only tests)."""
    import uuid

    from costclose.db import with_database

    name = f"erp_sim_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(pg_server_url)
    admin.autocommit = True
    admin.cursor().execute(f'create database "{name}"')
    url = with_database(pg_server_url, name)
    simulate.seed(url, "CRONUS", months=14, scale=1, seed=11, start=START)
    yield url
    admin.cursor().execute(f'drop database "{name}" with (force)')
    admin.close()


def test_every_item_ledger_and_value_entry_type_occurs(seeded: str) -> None:
    ile_types = {r[0] for r in _rows(seeded, "select distinct entry_type from bc.item_ledger_entry")}
    assert ile_types == {
        "Purchase",
        "Sale",
        "Positive Adjmt.",
        "Negative Adjmt.",
        "Transfer",
        "Consumption",
        "Output",
        "Assembly Consumption",
        "Assembly Output",
    }
    ve_types = {r[0] for r in _rows(seeded, "select distinct entry_type from bc.value_entry")}
    assert ve_types == {"Direct Cost", "Indirect Cost", "Variance", "Revaluation", "Rounding"}
    variance = {
        r[0]
        for r in _rows(
            seeded, "select distinct variance_type from bc.value_entry where entry_type = 'Variance'"
        )
    }
    assert {"Purchase", "Material", "Capacity", "Capacity Overhead", "Manufacturing Overhead"} <= variance
    methods = _rows(
        seeded,
        "select distinct i.costing_method from bc.value_entry v join bc.item i "
        "on i.company = v.company and i.no = v.item_no",
    )
    assert {r[0] for r in methods} == {"FIFO", "LIFO", "Average", "Standard", "Specific"}
    capacity = _rows(
        seeded,
        "select count(*), count(*) filter (where item_no = '' and location_code = '' "
        "and item_ledger_entry_no = 0 and source_type = 'Item') from bc.value_entry "
        "where item_ledger_entry_type = ''",
    )
    assert capacity[0][0] > 0 and capacity[0][0] == capacity[0][1]
    # Receipts/shipments carry expected cost; their invoices reverse it (§A.9).
    expected = _rows(
        seeded,
        "select count(*) from bc.value_entry where expected_cost and cost_amount_expected <> 0 "
        "and item_ledger_entry_quantity <> 0 and invoiced_quantity = 0",
    )
    assert expected[0][0] > 0
    # Σ ILE quantity over its VEs = ILE quantity; Σ invoiced quantity = ILE invoiced quantity.
    broken = _rows(
        seeded,
        """
        select count(*) from bc.item_ledger_entry l
        join (select item_ledger_entry_no, sum(item_ledger_entry_quantity) q, sum(invoiced_quantity) iq
              from bc.value_entry where item_ledger_entry_no <> 0 group by 1) v
          on v.item_ledger_entry_no = l.entry_no
        where v.q <> l.quantity or v.iq <> l.invoiced_quantity""",
    )
    assert broken == [(0,)]


def test_adjustments_moved_to_the_first_allowed_date_and_periods_closed(seeded: str) -> None:
    moved = _rows(
        seeded,
        """
        select count(*) from bc.value_entry v
        join bc.item_ledger_entry l on l.entry_no = v.item_ledger_entry_no
        where v.adjustment and v.entry_type = 'Direct Cost' and date_trunc('month', v.posting_date)
              > date_trunc('month', coalesce((select max(posting_date) from bc.value_entry w
                 where w.item_ledger_entry_no = l.entry_no and not w.adjustment), l.posting_date))""",
    )
    assert moved[0][0] > 0
    closed = _rows(
        seeded,
        "select count(*) filter (where closed), min(starting_date) filter (where not closed) "
        "from bc.accounting_period",
    )
    allow_from = _rows(seeded, "select allow_posting_from from bc.general_ledger_setup")[0][0]
    assert closed[0] == (12, date(2026, 1, 1)) and allow_from == date(2026, 1, 1)
    # A moved adjustment is dated on the first allowed date of its run: the first day of a month.
    days = _rows(
        seeded,
        """
        select distinct extract(day from v.posting_date) from bc.value_entry v
        join bc.item_ledger_entry l on l.entry_no = v.item_ledger_entry_no
        where v.adjustment and v.posting_date > l.posting_date and v.entry_type = 'Direct Cost'
          and l.entry_type = 'Sale' and date_trunc('month', v.posting_date) > date_trunc('month', coalesce(
              l.last_invoice_date, l.posting_date))""",
    )
    assert days == [(1,)]


def test_unposted_entries_exist_only_where_cost_posting_was_off(seeded: str) -> None:
    queued = _rows(seeded, "select min(posting_date), count(*) from bc.post_value_entry_to_g_l")[0]
    assert queued[1] > 0 and queued[0] >= date(2026, 1, 1)
    unposted = _rows(
        seeded, "select count(*) from bc.value_entry where cost_amount_actual <> cost_posted_to_g_l"
    )
    assert unposted[0][0] == queued[1]
    relations = _rows(
        seeded,
        "select count(*) from bc.value_entry v where cost_posted_to_g_l <> 0 and not exists "
        "(select 1 from bc.g_l_item_ledger_relation r where r.value_entry_no = v.entry_no)",
    )
    assert relations == [(0,)]


def test_manifest_matches_the_measured_differences(seeded: str) -> None:
    manifest = _rows(seeded, "select manifest from bc.seed_manifest where company = 'CRONUS'")[0][0]
    assert [k["kind"] for k in manifest["injected"]] == ["unposted_value_entries"]
    want = [(d["account_no"], d["period"], Decimal(d["amount"])) for d in manifest["expected_differences"]]
    assert want and sorted(_measured(seeded), key=str) == sorted(want, key=str)


def test_fully_posted_company_has_zero_difference(make_database: Callable[[str], str]) -> None:
    url = make_database("erp")
    simulate.seed(url, "CRONUS", months=4, scale=0.5, seed=5, start=START)
    assert _measured(url) != []
    with psycopg2.connect(url) as conn:
        run = gl_posting.post_value_entries(conn, "CRONUS", queued_only=True)
    assert run.value_entries_posted > 0 and run.skipped_value_entry_nos == ()
    assert _measured(url) == []
    assert _rows(url, "select count(*) from bc.post_value_entry_to_g_l") == [(0,)]


def test_discrepancies_manifest_is_exact(make_database: Callable[[str], str], tmp_path: Path) -> None:
    url = make_database("erp")
    path = tmp_path / "manifest.json"
    manifest = simulate.seed(
        url, "CRONUS", months=5, scale=0.5, seed=3, start=START, discrepancies=True, manifest_path=path
    )
    kinds = [k["kind"] for k in manifest["injected"]]
    assert kinds == [
        "unposted_value_entries",
        "direct_posting_inventory",
        "posting_group_change",
        "deleted_account",
        "closed_period_entry",
        "missing_setup_row",
    ]
    assert all(k["differences"] for k in manifest["injected"])
    want = sorted(
        ((d["account_no"], d["period"], Decimal(d["amount"])) for d in manifest["expected_differences"]),
        key=str,
    )
    assert sorted(_measured(url), key=str) == want
    assert path.read_text().count('"kind"') == 6
    by_kind = {k["kind"]: k for k in manifest["injected"]}
    assert {d["account_no"] for d in by_kind["missing_setup_row"]["differences"]} == {None, "7170"}
    assert {d["period"] for d in by_kind["closed_period_entry"]["differences"]} == {"2025-01"}


def test_same_seed_same_ledgers(make_database: Callable[[str], str]) -> None:
    url = make_database("erp")  # three companies side by side in one database
    sums = []
    for company, seed in (("SEED-9A", 9), ("SEED-9B", 9), ("SEED-10", 10)):
        simulate.seed(url, company, months=3, scale=0.5, seed=seed, start=START)
        sums.append(
            _rows(
                url,
                "select count(*), sum(cost_amount_actual), sum(cost_amount_expected), sum(valued_quantity), "
                "(select sum(amount) filter (where amount > 0) from bc.g_l_entry where company = %s) "
                "from bc.value_entry where company = %s",
                company,
                company,
            )[0]
        )
    assert sums[0] == sums[1]
    assert sums[0] != sums[2]


def test_forgetting_settled_entries_changes_nothing(make_database: Callable[[str], str]) -> None:
    """Bounded memory: a one-month window gives exactly the ledgers of a run that keeps everything."""
    url = make_database("erp")
    tables = []
    for company, window in (("WINDOW-1", 1), ("WINDOW-99", 99)):
        simulate.seed(url, company, months=6, scale=0.5, seed=21, start=START, window_months=window)
        tables.append((
            _rows(url, "select entry_no, item_ledger_entry_no, entry_type, posting_date, cost_amount_actual, "
                       "cost_amount_expected, cost_posted_to_g_l from bc.value_entry where company = %s "
                       "order by entry_no", company),
            _rows(url, "select entry_no, quantity, remaining_quantity, invoiced_quantity, open, "
                       "completely_invoiced, last_invoice_date from bc.item_ledger_entry where company = %s "
                       "order by entry_no", company),
        ))  # fmt: skip
    assert tables[0][0] == tables[1][0] and len(tables[0][0]) > 500
    assert tables[0][1] == tables[1][1]


def test_seeding_an_existing_company_is_refused_with_advice(make_database: Callable[[str], str]) -> None:
    from costclose.demo_erp.errors import DemoErpError

    url = make_database("erp")
    simulate.seed(url, "CRONUS", months=1, scale=0.2, seed=1, start=START)
    before = _rows(url, "select count(*), max(row_version) from bc.value_entry")
    with pytest.raises(DemoErpError, match="--replace"):
        simulate.seed(url, "CRONUS", months=1, scale=0.2, seed=2, start=START)
    assert _rows(url, "select count(*), max(row_version) from bc.value_entry") == before


def test_g_l_registers_and_value_entries_balance(seeded: str) -> None:
    unbalanced = _rows(
        seeded,
        "select g_l_register_no, sum(g.amount) from bc.g_l_item_ledger_relation r "
        "join bc.g_l_entry g on g.entry_no = r.g_l_entry_no group by 1 having sum(g.amount) <> 0",
    )
    assert unbalanced == []
    per_ve = _rows(seeded, """
        select count(*) from (
          select v.entry_no, v.cost_posted_to_g_l + v.expected_cost_posted_to_g_l as posted,
                 sum(g.amount) filter (where g.g_l_account_no in
                   (select inventory_account from bc.inventory_posting_setup
                    union select wip_account from bc.inventory_posting_setup)) as on_inventory
          from bc.value_entry v
          join bc.g_l_item_ledger_relation r on r.value_entry_no = v.entry_no
          join bc.g_l_entry g on g.entry_no = r.g_l_entry_no
          where v.item_ledger_entry_no <> 0 and v.item_ledger_entry_type not in ('Consumption', 'Output')
          group by v.entry_no, v.cost_posted_to_g_l, v.expected_cost_posted_to_g_l) x
        where posted <> on_inventory""")  # fmt: skip
    assert per_ve == [(0,)]  # §D.0: an item VE's posted cost is exactly what reached the inventory account

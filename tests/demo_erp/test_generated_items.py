"""``seed(..., items=N)``: generated items are real bc.item rows, traded at every location, and tie out."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import psycopg2
import pytest

from costclose.demo_erp import gl_posting, masterdata, simulate

ORACLE = (Path(__file__).parent / "implied.sql").read_text()
START = date(2025, 1, 1)
ITEMS = 300


def _rows(url: str, query: str, *args: object) -> list[tuple[object, ...]]:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute(query, args)
        return cur.fetchall()


@pytest.fixture(scope="module")
def bench_company(pg_server_url: str) -> str:
    """300 items (CRONUS's 69 + 231 generated), 2 months at scale 3, then fully posted to the G/L."""
    import uuid

    from costclose.db import with_database

    name = f"erp_items_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(pg_server_url)
    admin.autocommit = True
    admin.cursor().execute(f'create database "{name}"')
    url = with_database(pg_server_url, name)
    simulate.seed(url, "BENCH", months=2, scale=3, seed=3, start=START, items=ITEMS)
    yield url
    admin.cursor().execute(f'drop database "{name}" with (force)')
    admin.close()


def test_items_fill_up_to_the_requested_count_after_cronus(bench_company: str) -> None:
    assert _rows(bench_company, "select count(*) from bc.item where company = 'BENCH'") == [(ITEMS,)]
    generated = _rows(
        bench_company,
        "select no from bc.item where company = 'BENCH' and no like 'X-BENCH-%%' order by no",
    )
    assert len(generated) == ITEMS - 69
    assert generated[0] == ("X-BENCH-000001",) and generated[-1] == (f"X-BENCH-{ITEMS - 69:06d}",)
    # sorted after every CRONUS item, in the database's own collation
    last_cronus = _rows(
        bench_company, "select max(no) from bc.item where company = 'BENCH' and no not like 'X-BENCH-%%'"
    )[0][0]
    assert _rows(bench_company, "select %s < 'X-BENCH-000001'", last_cronus) == [(True,)]


def test_generated_items_clone_the_templates_methods_and_groups(bench_company: str) -> None:
    templates = masterdata.template_items(masterdata._item_rows())
    by_method = _rows(
        bench_company,
        "select costing_method, inventory_posting_group, gen_prod_posting_group, count(*) from bc.item "
        "where company = 'BENCH' and no like 'X-BENCH-%%' group by 1, 2, 3 order by 1, 2, 3",
    )
    # 231 clones cycle through the 50 templates: 4 full rounds and the first 31 again
    want: dict[tuple[str, str, str], int] = {}
    for n in range(ITEMS - 69):
        t = templates[n % len(templates)]
        key = (t["costing_method"], t["inventory_posting_group"], t["gen_prod_posting_group"])
        want[key] = want.get(key, 0) + 1
    assert {(m, i, g): c for m, i, g, c in by_method} == want
    assert {k[0] for k in want} == {"FIFO", "LIFO", "Average", "Standard"}
    assert _rows(
        bench_company,
        "select count(*) from bc.item where company = 'BENCH' and no like 'X-BENCH-%%' "
        "and (unit_cost <= 0 or costing_method = 'Specific')",
    ) == [(0,)]


def test_generated_items_are_traded_at_every_location(bench_company: str) -> None:
    per_location = dict(
        _rows(
            bench_company,
            "select location_code, count(*) from bc.value_entry where company = 'BENCH' "
            "and item_no like 'X-BENCH-%%' group by 1",
        )
    )
    locations = {r[0] for r in _rows(bench_company, "select code from bc.location where company = 'BENCH'")}
    assert set(per_location) == locations and len(locations) == 10
    # each generated item is kept at 3 of its group's locations (plus the in-transit ones it moves through)
    widest = _rows(
        bench_company,
        "select max(n) from (select item_no, count(distinct location_code) as n from bc.value_entry "
        "where company = 'BENCH' and item_no like 'X-BENCH-%%' and location_code not like '%% LOG.' "
        "group by 1) s",
    )
    assert widest == [(3,)]
    traded = _rows(
        bench_company,
        "select count(distinct item_no), count(*) filter (where item_ledger_entry_type = 'Sale'), "
        "count(*) filter (where item_ledger_entry_type = 'Purchase'), "
        "count(*) filter (where item_ledger_entry_type = 'Transfer'), "
        "count(*) filter (where item_ledger_entry_type = 'Negative Adjmt.') "
        "from bc.value_entry where company = 'BENCH' and item_no like 'X-BENCH-%%'",
    )[0]
    items, sales, purchases, transfers, negative = traded
    assert items > (ITEMS - 69) // 2
    assert min(sales, purchases, transfers, negative) > 0
    # the generated items take most of the trade; CRONUS's own production still runs
    cronus = _rows(
        bench_company,
        "select count(*) from bc.value_entry where company = 'BENCH' and item_ledger_entry_type = 'Output'",
    )
    assert cronus[0][0] > 0
    # RAW MAT clones are never sold (no COGS account for RAW MAT in the General Posting Setup)
    assert _rows(
        bench_company,
        "select count(*) from bc.value_entry where company = 'BENCH' and item_no like 'X-BENCH-%%' "
        "and item_ledger_entry_type = 'Sale' and inventory_posting_group = 'RAW MAT'",
    ) == [(0,)]


def test_fully_posted_company_with_generated_items_ties_out(bench_company: str) -> None:
    with psycopg2.connect(bench_company) as conn:
        run = gl_posting.post_value_entries(conn, "BENCH", queued_only=True)
    assert run.value_entries_posted > 0 and run.skipped_value_entry_nos == ()
    with psycopg2.connect(bench_company) as conn, conn.cursor() as cur:
        cur.execute(ORACLE, {"company": "BENCH"})
        assert cur.fetchall() == []
    inventory = _rows(
        bench_company,
        "select coalesce(sum(cost_amount_actual), 0) from bc.value_entry where company = 'BENCH' "
        "and item_no like 'X-BENCH-%%'",
    )[0][0]
    assert isinstance(inventory, Decimal) and inventory > 0


def test_items_at_or_below_cronus_count_change_nothing(make_database: Callable[[str], str]) -> None:
    plain, capped = make_database("erp"), make_database("erp")
    simulate.seed(plain, "CRONUS", months=1, scale=0.3, seed=9, start=START)
    simulate.seed(capped, "CRONUS", months=1, scale=0.3, seed=9, start=START, items=69)
    query = (
        "select entry_no, item_no, location_code, entry_type, cost_amount_actual, cost_amount_expected "
        "from bc.value_entry order by entry_no"
    )
    assert _rows(plain, query) == _rows(capped, query) != []


def test_cli_seed_with_items(costclose_env: Path) -> None:
    from typer.testing import CliRunner

    from costclose import db
    from costclose.cli import app

    args = ["demo-erp", "seed", "--company", "BENCH", "--months", "1", "--scale", "0.5", "--items", "120"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    url = db.database_url("erp")
    assert _rows(url, "select count(*) from bc.item where company = 'BENCH'") == [(120,)]
    traded = _rows(
        url,
        "select count(distinct item_no) from bc.value_entry where company = 'BENCH' "
        "and item_no like 'X-BENCH-%%'",
    )
    assert traded[0][0] > 0


def test_orders_sell_their_output_when_finished(bench_company: str) -> None:
    """With generated items, production and assembly are to order: no finished order's output stays in
    stock (it piled up month after month, sold only in CRONUS's small share of the sales)."""
    left = _rows(
        bench_company,
        "select i.entry_type, coalesce(o.status, 'Finished'), count(*), sum(i.remaining_quantity) "
        "from bc.item_ledger_entry i left join bc.production_order o "
        "on o.company = i.company and o.no = i.order_no "
        "where i.company = 'BENCH' and i.entry_type in ('Output', 'Assembly Output') "
        "and i.remaining_quantity > 0 "
        "group by 1, 2",
    )
    assert all(status == "Released" for _, status, _, _ in left), left
    sold = _rows(
        bench_company,
        "select count(*) from bc.item_ledger_entry s join bc.item_ledger_entry o "
        "on o.company = s.company and o.entry_no = s.applies_to_entry "
        "where s.company = 'BENCH' and s.entry_type = 'Sale' "
        "and o.entry_type in ('Output', 'Assembly Output')",
    )[0][0]
    assert sold > 20, sold  # shipped against (applied to) their order's output

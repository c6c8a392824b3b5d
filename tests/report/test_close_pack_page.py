"""index.html in a real headless Chromium: offline, headline = marts, names escaped, no script runs."""

from __future__ import annotations

import re
import shutil
from decimal import Decimal
from pathlib import Path

from close_pack_warehouse import COMPANY, HOSTILE, Pack, PackWarehouse, money

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
START = "2026-02-01"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def test_the_page_has_no_external_reference_and_escapes_every_name(pack: Pack) -> None:
    html = (pack.out / "index.html").read_text(encoding="utf-8")
    assert not re.search(
        r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/|<script|<link rel=\"stylesheet\"|@import", html, re.I
    )
    assert HOSTILE not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&#39;; drop table x;--" in html


def test_index_html_in_headless_chromium(pack: Pack, pack_warehouse: PackWarehouse, tmp_path: Path) -> None:
    assert CHROMIUM.is_file(), (
        f"Chromium is missing at {CHROMIUM}: install Debian's chromium (`apt-get install chromium`, "
        "which `make unit` does) to run the close-pack page test."
    )
    from playwright.sync_api import sync_playwright

    console_errors: list[str] = []
    failed: list[str] = []
    requested: list[str] = []
    dialogs: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 1000})
            page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: console_errors.append(str(e)))
            page.on("requestfailed", lambda r: failed.append(r.url))
            page.on("request", lambda r: requested.append(r.url))
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto((pack.out / "index.html").as_uri(), wait_until="load")

            headline = {
                key: page.text_content(f"#headline-{key}")
                for key in (
                    "inventory-value-entries",
                    "inventory-gl",
                    "inventory-difference",
                    "wip_inventory-value-entries",
                    "status",
                    "warning",
                    "accounts-with-difference",
                )
            }
            account_2110 = {
                k: page.text_content(f"#account-2110-{k}") for k in ("inventory", "gl", "difference")
            }
            company_text = page.text_content("#company-name")
            descriptions = page.locator("td.description").all_text_contents()
            charts = page.locator("svg.chart").count()
            details = page.locator("details").count()
            ARTIFACTS.mkdir(exist_ok=True)
            shot = ARTIFACTS / "close_pack_index.png"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    shutil.copy(shot, tmp_path / shot.name)

    assert console_errors == []
    assert failed == []
    assert requested and all(u.startswith("file://") for u in requested), requested
    assert dialogs == []
    assert company_text == HOSTILE and HOSTILE in descriptions

    balances = {
        row: (inv, wip)
        for row, inv, wip in pack_warehouse.query(
            "select matrix_row, inventory, wip_inventory from marts.fct_inventory_gl_reconciliation"
            " where company = %s and period_start = %s and date_filter = 'to_date'",
            (COMPANY, START),
        )
    }
    assert headline["inventory-value-entries"] == money(balances["Total"][0])
    assert headline["inventory-gl"] == money(balances["G/L Total"][0])
    assert headline["inventory-difference"] == money(balances["Difference"][0]) != "0.00"
    assert headline["wip_inventory-value-entries"] == money(balances["Total"][1])
    assert headline["status"] == "Not reconciled"
    assert headline["warning"] == pack_warehouse.value(
        "select warning from marts.fct_inventory_gl_reconciliation_warnings"
        " where company = %s and period_start = %s and date_filter = 'period'",
        (COMPANY, START),
    )
    accounts = pack_warehouse.query(
        "select g_l_account_no, implied_amount_to_date, gl_net_change_to_date, difference_to_date"
        " from marts.fct_gl_account_reconciliation where company = %s and period_start = %s",
        (COMPANY, START),
    )
    assert headline["accounts-with-difference"] == str(sum(1 for *_, d in accounts if d != 0))
    inv, gl, diff = next(a[1:] for a in accounts if a[0] == "2110")
    assert account_2110 == {"inventory": money(inv), "gl": money(gl), "difference": money(diff)}
    assert diff != Decimal(0)
    assert charts == 4 and details > 10
    assert (tmp_path / shot.name).stat().st_size > 50_000


def _section(html: str, element_id: str) -> str:
    anchor = html.index(f'id="{element_id}"')
    return html[anchor : html.index("</section>", anchor) if "</section>" in html[anchor:] else None]


def test_drill_downs_reach_value_entry_and_g_l_entry_numbers(
    pack: Pack, pack_warehouse: PackWarehouse
) -> None:
    html = (pack.out / "index.html").read_text(encoding="utf-8")
    drill = html[html.index('id="drill-2110"') : html.index("</details>", html.index('id="drill-2110"'))]
    unposted = pack_warehouse.query(
        "select value_entry_no from marts.fct_reconciliation_unposted_value_entries where company = %s"
        " and posting_date <= '2026-02-28' and amount_to_post <> 0"
        " and '2110' in (account_no, bal_account_no)",
        (COMPANY,),
    )
    assert len(unposted) > 5
    assert all(f"<td>{no}</td>" in drill for (no,) in unposted)

    direct = pack_warehouse.query(
        "select g_l_entry_no, g_l_account_no from marts.fct_reconciliation_unexplained_gl_entries"
        " where company = %s and posting_date <= '2026-02-28' and reason = 'Direct Posting'",
        (COMPANY,),
    )
    assert direct
    for entry_no, account in direct:
        start = html.index(f'id="drill-{account}"')
        assert f"<td>{entry_no}</td>" in html[start : html.index("</details>", start)]

    journal = _section(html, "journal")
    first = (pack.out / "adjusting_journal.csv").read_text(encoding="utf-8").splitlines()[1]
    assert f'<td class="small">{first.rsplit(",", 1)[1]}</td>' in journal
    skipped = _section(html, "skipped")
    nos = [line.split(",")[1] for line in (pack.out / "skipped_entries.csv").read_text().splitlines()[1:]]
    assert len(nos) == 2 and all(f"<td>{no}</td>" in skipped for no in nos)
    assert "not_validated" in _section(html, "validation")

"""The BC-shaped server answers in BC's payload shapes: auth, paging, filters, enums, property names."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from bc_api_company import CLIENT_ID, COMPANY, N_VALUE_ENTRIES, BcEnvironment

from costclose.bc_api_client import BcApiAuthError, BcApiClient, BcApiError, Credentials, company_segment


def _client(bc_env: BcEnvironment, wrong_secret: str | None = None) -> BcApiClient:
    creds = Credentials(
        CLIENT_ID, wrong_secret or bc_env.env["BC_TEST_CLIENT_SECRET"], bc_env.server.token_url
    )
    return BcApiClient(bc_env.server.base_url, creds)


def _company_id(client: BcApiClient) -> str:
    return client.get(f"{client.api_root}/companies")["value"][0]["id"]


def test_token_is_required_and_a_wrong_secret_is_refused(bc_env: BcEnvironment) -> None:
    anonymous = httpx.get(f"{bc_env.server.base_url}/api/v2.0/companies")
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "Authentication_InvalidCredentials"
    with _client(bc_env, "not-the-secret") as client, pytest.raises(BcApiAuthError) as err:
        client.get(f"{client.api_root}/companies")
    assert "refused client 'costclose-tests'" in str(err.value)
    assert "not-the-secret" not in str(err.value)


def test_value_entries_page_with_next_links_until_every_entry_is_sent_once(bc_env: BcEnvironment) -> None:
    with _client(bc_env) as client:
        url = f"{client.odata_root}/{company_segment(COMPANY)}/ValueEntries"
        pages = list(client.pages(url))
    assert len(pages) == 5  # 23 entries, 5 per page
    assert all("$skiptoken=" in p.next_link for p in pages[:-1])
    assert pages[-1].next_link is None
    numbers = [r["Entry_No"] for p in pages for r in p.rows]
    assert numbers == list(range(1, N_VALUE_ENTRIES + 1))
    assert sum(r["Cost_Amount_Actual"] for p in pages for r in p.rows) == Decimal("2765.75")


def test_filter_on_entry_numbers_and_xml_encoded_enums(bc_env: BcEnvironment) -> None:
    with _client(bc_env) as client:
        base = f"{client.odata_root}/{company_segment(COMPANY)}/ValueEntries"
        late = [r for p in client.pages(f"{base}?$filter={quote('Entry_No gt 20')}") for r in p.rows]
        flt = quote("Item_Ledger_Entry_Type eq 'Positive_x0020_Adjmt_x002E_' and Entry_No le 6")
        positive = [r for p in client.pages(f"{base}?$filter={flt}") for r in p.rows]
        count = client.get(f"{base}/$count?$filter={quote('Cost_Posted_to_G_L eq 0')}")
    assert [r["Entry_No"] for r in late] == [21, 22, 23]
    assert [r["Entry_No"] for r in positive] == [1, 3, 5]
    assert {r["Item_Ledger_Entry_Type"] for r in positive} == {"Positive_x0020_Adjmt_x002E_"}
    assert count == 7  # entries 3, 6, ..., 21 are unposted


def test_api_entities_have_bc_v2_shapes(bc_env: BcEnvironment) -> None:
    with _client(bc_env) as client:
        root = f"{client.api_root}/companies({_company_id(client)})"
        gl = client.get(f"{root}/generalLedgerEntries")["value"]
        ile = client.get(f"{root}/itemLedgerEntries")["value"]
        accounts = {a["number"]: a for page in client.pages(f"{root}/accounts") for a in page.rows}
    assert "amount" not in gl[0]
    assert [(g["accountNumber"], g["debitAmount"], g["creditAmount"]) for g in gl] == [
        ("2110", Decimal("10.25"), 0),
        ("7170", 0, Decimal("10.25")),
    ]
    assert ile[0]["entryType"] == "Positive_x0020_Adjmt_x002E_"
    assert ile[0]["sourceType"] == "_x0020_"
    assert ile[0]["costAmountActual"] == Decimal("10.25")  # computed from the value entries (FlowField)
    assert accounts["2110"]["directPosting"] is False
    assert accounts["8620"]["directPosting"] is True
    assert accounts["2110"]["netChange"] == Decimal("10.25")


def test_value_entries_service_uses_page_5802_property_names(bc_env: BcEnvironment, shared_dir: Path) -> None:
    field_map = shared_dir / "data/field_maps/value_entry_5802.csv"
    with field_map.open(newline="") as f:
        page_column = next(
            c for c in csv.DictReader(f).fieldnames or [] if c.startswith("odata_v4_property if page")
        )
    with field_map.open(newline="") as f:
        page_props = {
            r[page_column] for r in csv.DictReader(f) if r[page_column] and r["field_class"] == "Normal"
        }
    with _client(bc_env) as client:
        record = client.get(f"{client.odata_root}/{company_segment(COMPANY)}/ValueEntries")["value"][0]
    missing = page_props - set(record)
    assert not missing, f"page 5802 properties not served: {sorted(missing)}"
    assert "SystemModifiedAt" not in record  # page 5802 has no modified time


def test_journal_line_on_an_account_without_direct_posting_is_refused_like_bc(bc_env: BcEnvironment) -> None:
    with _client(bc_env) as client:
        root = f"{client.api_root}/companies({_company_id(client)})"
        journal = client.request("POST", f"{root}/journals", body={"code": "TEST", "displayName": "Test"})
        assert journal["code"] == "TEST"
        line = {
            "accountNumber": "2110",
            "postingDate": "2026-03-31",
            "documentNumber": "T1",
            "amount": Decimal("5"),
        }
        resp = httpx.post(
            f"{root}/journals({journal['id']})/journalLines",
            json={**line, "amount": 5},
            headers={"Authorization": f"Bearer {client.token()}"},
        )
        nothing = httpx.post(
            f"{root}/journals({journal['id']})/Microsoft.NAV.post",
            headers={"Authorization": f"Bearer {client.token()}"},
        )
    assert resp.status_code == 400
    message = resp.json()["error"]["message"]
    assert message.startswith(
        "Direct Posting must be equal to 'Yes'  in G/L Account: No.=2110. Current value is 'No'."
    )
    assert "CorrelationId" in message
    assert nothing.status_code == 400
    assert nothing.json()["error"]["message"].startswith("There is nothing to post.")


def test_an_unpublished_web_service_is_reported_with_what_to_do(bc_env: BcEnvironment) -> None:
    with _client(bc_env) as client, pytest.raises(BcApiError) as err:
        client.get(f"{client.odata_root}/{company_segment(COMPANY)}/ValueEntriesQuery")
    assert "HTTP 404" in str(err.value)
    assert "publish it on BC's Web Services page" in str(err.value)


def test_the_token_is_never_sent_to_another_host(bc_env: BcEnvironment) -> None:
    with _client(bc_env) as client, pytest.raises(BcApiError, match="points to another host"):
        list(client.pages("http://127.0.0.2:9/v2.0/production/api/v2.0/companies"))
    assert bc_env.server.faults.requests == []

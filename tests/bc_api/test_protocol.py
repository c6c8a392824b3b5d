"""BC's OData conventions as the client and server implement them (no server needed)."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from costclose import bc_schema
from costclose.bc_api_client import _parse_retry_after, decode_enum, edm_name, encode_enum


def test_enum_values_are_xml_encoded_as_bc_sends_them() -> None:
    assert encode_enum("Positive Adjmt.") == "Positive_x0020_Adjmt_x002E_"  # the docs' example
    assert encode_enum("") == "_x0020_"  # BC's blank enum value
    for value in ("Positive Adjmt.", "Item & Location & Variant", "G/L Account", "Direct Cost", ""):
        assert decode_enum(encode_enum(value)) == value


def test_page_5802_property_names_follow_from_the_bc_field_names(shared_dir: Path) -> None:
    with (shared_dir / "data/field_maps/value_entry_5802.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    page = next(c for c in rows[0] if c.startswith("odata_v4_property if page"))
    ours = {c.bc_field: edm_name(c.bc_field) for c in bc_schema.VALUE_ENTRY.columns}
    published = {r["field_name"]: r[page] for r in rows if r[page] and r["field_name"] in ours}
    assert len(published) == 50  # every page field bc_schema keeps
    assert {name: ours[name] for name in published} == published


def test_retry_after_in_seconds_or_as_a_date_and_garbage_is_ignored() -> None:
    assert _parse_retry_after("7") == 7.0
    in_30s = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 <= (_parse_retry_after(in_30s) or 0) <= 30
    assert _parse_retry_after("soon") is None
    assert _parse_retry_after(None) is None

"""Bad input ends in a clear error or a quarantine row naming its source, and loses nothing loaded before.

Each case starts from a company already landed in a warehouse, feeds one kind of bad input and loads
again. Either the load stops with a ``CostcloseError`` whose message names the source (file, page URL)
and what to do, or the bad record is quarantined with a ``source_ref`` naming where it came from while
the good records next to it land. In every case the rows loaded before are exactly as they were.
Posting-side bad input (blocked or deleted accounts, missing setup, unknown posting groups or enum
values, dates outside the accounting periods) is listed in the adjusting journal's skipped entries.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest
from bad_fixtures import (
    API_COMPANY,
    COMPANY,
    VE_FOLDER,
    ApiCase,
    Bc2AdlsCase,
    _api_server,
    _bc2adls_templates,
    _private_home,
    _templates,
    api_case,
    bc2adls_case,
    clone_database,
    quarantine_rows,
    query,
    raw_snapshot,
)

from costclose import bc_schema
from costclose.bc2adls_export import format as fmt
from costclose.bc_api_client import dumps
from costclose.errors import CostcloseError

__all__ = [
    "_api_server",
    "_bc2adls_templates",
    "_private_home",
    "_templates",
    "api_case",
    "bc2adls_case",
    "clone_database",
]

CDM = f"{fmt.entity_name(bc_schema.VALUE_ENTRY)}.cdm.json"


@dataclass(frozen=True)
class Quarantined:
    """The bad line is quarantined with this reason; ``good`` new entries of the same file land."""

    reason: str
    good: tuple[int, ...] = (901,)


@dataclass(frozen=True)
class Refused:
    """The load stops with a CostcloseError whose message holds every fragment."""

    fragments: tuple[str, ...]
    new_rows_may_land: bool = False  # the error comes from the control totals, after the batches


def _file(*lines: str, end: str = "\r\n") -> Callable[[Bc2AdlsCase], None]:
    """A delta file: the header, a good entry 901, then ``lines`` (formatted with the case)."""

    def write(case: Bc2AdlsCase) -> None:
        body = [case.header, case.line(901), *(ln.format(case=case) if "{case" in ln else ln for ln in lines)]
        case.write("\r\n".join(body) + end)

    return write


def _bad(**fields: str) -> Callable[[Bc2AdlsCase], None]:
    def write(case: Bc2AdlsCase) -> None:
        case.write("\r\n".join([case.header, case.line(901), case.line(902, **fields)]) + "\r\n")

    return write


def _raw_line(make: Callable[[Bc2AdlsCase], str | bytes]) -> Callable[[Bc2AdlsCase], None]:
    def write(case: Bc2AdlsCase) -> None:
        bad = make(case)
        head = ("\r\n".join([case.header, case.line(901)]) + "\r\n").encode()
        case.write(head + (bad if isinstance(bad, bytes) else bad.encode()) + b"\r\n")

    return write


def _no_header(case: Bc2AdlsCase) -> None:
    case.write("\r\n".join([case.line(901), case.line(902)]) + "\r\n")


def _unknown_column(case: Bc2AdlsCase) -> None:
    case.write(case.header + ",Surprise-77\r\n" + case.line(901) + ',"x"\r\n')


def _missing_column(case: Bc2AdlsCase) -> None:
    names = case.names
    drop = names.index("CostAmountActual-43")
    header = ",".join(n for i, n in enumerate(names) if i != drop)
    case.write(header + "\r\n")


def _truncated(case: Bc2AdlsCase) -> None:
    line = case.line(902)
    case.write("\r\n".join([case.header, case.line(901), line[: len(line) // 2]]))


def _empty(case: Bc2AdlsCase) -> None:
    case.write(b"")


def _broken_cdm(case: Bc2AdlsCase) -> None:
    case.write(case.header + "\r\n" + case.line(901) + "\r\n")
    text = (case.lake / CDM).read_text(encoding="utf-8")
    (case.lake / CDM).write_text(text[: len(text) // 2], encoding="utf-8")


def _missing_cdm(case: Bc2AdlsCase) -> None:
    case.write(case.header + "\r\n" + case.line(901) + "\r\n")
    (case.lake / CDM).unlink()


def _duplicate_in_file(case: Bc2AdlsCase) -> None:
    # two different records (own SystemIds) claiming the same entry number
    twin = case.line(901, systemId='"{0B0B6C36-1D43-4E0B-9A57-0C1F7A2E5B12}"', CostAmountActual="5")
    case.write("\r\n".join([case.header, case.line(901), twin]) + "\r\n")


BC2ADLS_CASES: dict[str, tuple[Callable[[Bc2AdlsCase], None], Quarantined | Refused]] = {
    "null entry no": (_bad(EntryNo=""), Quarantined("EntryNo-1")),
    "non-numeric amount": (_bad(CostAmountActual="12.5x"), Quarantined("CostAmountActual-43")),
    "localized amount": (_bad(CostAmountActual='"1.234,50"'), Quarantined("CostAmountActual-43")),
    "amount beyond BC's decimal range": (
        _bad(CostAmountActual="1" + "0" * 40),
        Quarantined("CostAmountActual-43"),
    ),
    "entry no beyond the integer range": (_bad(EntryNo="99999999999999999999"), Quarantined("EntryNo-1")),
    "impossible posting date": (_bad(PostingDate="2025-02-30"), Quarantined("PostingDate-3")),
    "boolean that is not true/false": (_bad(Adjustment="yes"), Quarantined("Adjustment-5818")),
    "malformed SystemId": (_bad(systemId='"{not-a-guid}"'), Quarantined("systemId-2000000000")),
    "malformed DateTime": (
        _bad(SystemCreatedAt="2025-01-01 10:00"),
        Quarantined("SystemCreatedAt-2000000001"),
    ),
    "bad escaping": (
        _raw_line(lambda c: c.line(902, DocumentNo='"D\\x1"')),
        Quarantined("bad escape sequence"),
    ),
    "unterminated quote": (
        _raw_line(lambda c: c.line(902, DocumentNo='"D1')),
        Quarantined("field"),
    ),
    "too few fields": (
        _raw_line(lambda c: c.line(902).rsplit(",", 3)[0]),
        Quarantined("fields, the header has"),
    ),
    "invalid UTF-8": (
        _raw_line(lambda c: c.line(902, Description='"caf\udce9"').encode("utf-8", "surrogateescape")),
        Quarantined("not valid UTF-8"),
    ),
    "truncated file": (_truncated, Quarantined("truncated file")),
    "missing header": (_no_header, Refused(("99999999-BAD.csv has no header row", "re-export"))),
    "unknown column": (_unknown_column, Refused(("Surprise-77", CDM, "Re-export"))),
    "missing column": (
        _missing_column,
        Refused(("99999999-BAD.csv lacks the columns", "CostAmountActual-43")),
    ),
    "empty file": (_empty, Refused(("99999999-BAD.csv has no header row", "re-export"))),
    "unreadable cdm.json": (_broken_cdm, Refused((CDM, "re-export"))),
    "missing cdm.json": (_missing_cdm, Refused((CDM, "is missing", "export again"))),
    "duplicate entry no in one file": (
        _duplicate_in_file,
        Refused(("rows:value_entry: source 42 vs raw 41", "re-extract"), new_rows_may_land=True),
    ),
}


@pytest.mark.parametrize("name", list(BC2ADLS_CASES))
def test_bad_bc2adls_input(bc2adls_case: Bc2AdlsCase, name: str) -> None:
    make, expected = BC2ADLS_CASES[name]
    before = raw_snapshot(bc2adls_case.warehouse, COMPANY)
    make(bc2adls_case)

    if isinstance(expected, Refused):
        with pytest.raises(CostcloseError) as failure:
            bc2adls_case.load()
        for fragment in expected.fragments:
            assert fragment.lower() in str(failure.value).lower()
        after = raw_snapshot(bc2adls_case.warehouse, COMPANY)
        if expected.new_rows_may_land:
            after["value_entry"] = [r for r in after["value_entry"] if r[1] <= 40]
        assert after == before
        assert quarantine_rows(bc2adls_case.warehouse, COMPANY) == []
        return

    report = bc2adls_case.load()

    [(table, ref, reason, raw)] = quarantine_rows(bc2adls_case.warehouse, COMPANY)
    assert (table, ref) == ("value_entry", f"{VE_FOLDER}/99999999-BAD.csv:line 3")
    assert expected.reason in reason
    assert raw, "the original text is kept for whoever fixes the source"
    assert report.quarantined == 1 and report.quarantine_open == 1
    assert all(c.matches for c in report.checks), "control totals cover exactly the landed rows"
    after = raw_snapshot(bc2adls_case.warehouse, COMPANY)
    landed = query(
        bc2adls_case.warehouse,
        "select entry_no from raw.value_entry where company = %s and entry_no > 40 order by 1",
        (COMPANY,),
    )
    assert landed == [(n,) for n in expected.good]
    assert {t: rows for t, rows in after.items() if t != "value_entry"} == {
        t: rows for t, rows in before.items() if t != "value_entry"
    }
    assert [r for r in after["value_entry"] if r[1] <= 40] == before["value_entry"]


# -- BC API: the server's own faults, and payloads only a broken proxy or endpoint would send ---------


def _fault(kind: str, path: str, times: int = -1) -> Callable[[ApiCase], None]:
    def arm(case: ApiCase) -> None:
        case.env.server.faults.arm(kind, times=times, path_contains=path, retry_after=0.01)

    return arm


PAGES = "Entry_No%20ge%201"  # the value entry pages (not the highest-entry-number aggregate)


def _rewrite(
    change: Callable[[dict], object], path: str = PAGES, every: bool = False
) -> Callable[[ApiCase], None]:
    """The first (``every``: each) response on ``path``: ``change(body)`` returns the new body."""

    def arm(case: ApiCase) -> None:
        done: list[bool] = []

        def rewrite(request_path: str, content: bytes) -> tuple[int, bytes] | None:
            if (done and not every) or path not in request_path:
                return None
            done.append(True)
            new = change(json.loads(content, parse_float=Decimal))
            return 200, new if isinstance(new, bytes) else dumps(new).encode()

        case.proxy.rewrite = rewrite

    return arm


def _first_record(**changes: object) -> Callable[[dict], object]:
    def change(body: dict) -> object:
        body["value"][0].update(changes)
        return body

    return change


def _replace_first(record: object) -> Callable[[dict], object]:
    def change(body: dict) -> object:
        body["value"][0] = record
        return body

    return change


def _token_without_token(case: ApiCase) -> None:
    def rewrite(request_path: str, content: bytes) -> tuple[int, bytes] | None:
        return (200, b"<html>Sign in</html>") if "oauth2" in request_path else None

    case.proxy.rewrite = rewrite


def _next_link_elsewhere(body: dict) -> object:
    body["@odata.nextLink"] = "http://192.0.2.1/v2.0/production/ODataV4/ValueEntries?$skiptoken=5"
    return body


API_CASES: dict[str, tuple[Callable[[ApiCase], None], Quarantined | Refused]] = {
    "truncated JSON page": (
        _fault("truncate", "ValueEntries"),
        Refused(("ValueEntries", "not complete JSON", "failed after 6 attempts", "run again later")),
    ),
    "HTTP 500 that persists": (
        _fault("500", "generalLedgerEntries"),
        Refused(("/generalLedgerEntries", "failed after 6 attempts", "HTTP 500", "run again later")),
    ),
    "HTTP 429 that persists": (
        _fault("429", "ItemLedgerEntries"),
        Refused(("/ItemLedgerEntries", "failed after 6 attempts", "HTTP 429", "throttling")),
    ),
    "HTTP 401 on a page": (
        _fault("401", "ItemLedgerEntries"),
        Refused(("/ItemLedgerEntries", "answered 401 Unauthorized", "grant the Entra app a permission set")),
    ),
    "a localized number from a proxy": (_fault("corrupt", PAGES, times=1), Quarantined("is not an integer")),
    "not an OData collection": (
        _rewrite(lambda body: {"error": "maintenance"}, every=True),
        Refused(("/ValueEntries", "did not return an OData collection")),
    ),
    "aggregate without a value list": (
        _rewrite(lambda body: {"error": "maintenance"}, path="$apply=aggregate"),
        Refused(("/ValueEntries?$apply=", "unusable highest entry number", "no 'value' list")),
    ),
    "HTML instead of JSON": (
        _rewrite(lambda body: b"<html><body>Service Unavailable</body></html>", every=True),
        Refused(("/ValueEntries", "not complete JSON", "run again later")),
    ),
    "record without its entry no": (
        _rewrite(_first_record(Entry_No=None)),
        Quarantined("the key field(s) ['entry_no'] are missing"),
    ),
    "amount as text": (
        _rewrite(_first_record(Cost_Amount_Actual="12.5x")),
        Quarantined("Cost_Amount_Actual: '12.5x' is not a number"),
    ),
    "amount beyond BC's decimal range": (
        _rewrite(_first_record(Cost_Amount_Actual=Decimal("1E+40"))),
        Quarantined(
            "Cost_Amount_Actual: 10000000000000000000000000000000000000000 is out of BC's Decimal range"
        ),
    ),
    "entry no beyond the integer range": (
        _rewrite(_first_record(Entry_No=2**64)),
        Quarantined("is out of the integer range"),
    ),
    "a record that is not an object": (
        _rewrite(_replace_first(42)),
        Quarantined("the record is not a JSON object"),
    ),
    "next link to another host": (
        _rewrite(_next_link_elsewhere),
        Refused(("points to another host", "the token is not sent there")),
    ),
    "token endpoint answers without a token": (
        _token_without_token,
        Refused(("token endpoint", "without an OAuth2 token", "token_url")),
    ),
}


@pytest.mark.parametrize("name", list(API_CASES))
def test_bad_api_input(api_case: ApiCase, name: str) -> None:
    make, expected = API_CASES[name]
    before = raw_snapshot(api_case.warehouse, API_COMPANY)
    make(api_case)

    if isinstance(expected, Refused):
        with pytest.raises(CostcloseError) as failure:
            api_case.load()
        for fragment in expected.fragments:
            assert fragment.lower() in str(failure.value).lower()
        assert quarantine_rows(api_case.warehouse, API_COMPANY) == []
    else:
        report = api_case.load()
        [(_table, ref, reason, raw)] = quarantine_rows(api_case.warehouse, API_COMPANY)
        assert ref.startswith(api_case.proxy.origin) and "/ValueEntries" in ref, ref
        assert expected.reason in reason and raw
        assert report.quarantine_open == 1
    # the rows landed before are all still there, unchanged
    assert raw_snapshot(api_case.warehouse, API_COMPANY) == before


@pytest.mark.parametrize(
    ("environ", "fragments"),
    [
        ({"BC_TEST_CLIENT_ID": "costclose-tests", "BC_TEST_CLIENT_SECRET": "wrong"}, ("refused client",)),
        ({}, ("Set the environment variable(s) BC_TEST_CLIENT_ID, BC_TEST_CLIENT_SECRET",)),
    ],
    ids=["wrong client secret", "no credentials in the environment"],
)
def test_refused_credentials(api_case: ApiCase, environ: dict[str, str], fragments: tuple[str, ...]) -> None:
    before = raw_snapshot(api_case.warehouse, API_COMPANY)
    with pytest.raises(CostcloseError) as failure:
        api_case.load(environ)
    for fragment in fragments:
        assert fragment in str(failure.value)
    assert "wrong" not in str(failure.value), "a secret is never repeated in a message"
    assert raw_snapshot(api_case.warehouse, API_COMPANY) == before


def test_an_entry_number_reused_under_another_system_id_never_overwrites_the_loaded_entry(
    bc2adls_case: Bc2AdlsCase,
) -> None:
    """BC never reuses an entry number: a second record claiming entry 7 is quarantined, entry 7 kept."""
    before = raw_snapshot(bc2adls_case.warehouse, COMPANY)
    impostor = bc2adls_case.line(7, CostAmountActual="999999")
    bc2adls_case.write("\r\n".join([bc2adls_case.header, bc2adls_case.line(901), impostor]) + "\r\n")

    try:
        bc2adls_case.load()
    except CostcloseError as failure:
        # the source's totals count the impostor, raw does not: the load says so with both figures
        assert "value_entry" in str(failure) or "control total" in str(failure).lower(), failure

    [(table, ref, reason, raw)] = quarantine_rows(bc2adls_case.warehouse, COMPANY)
    assert table == "value_entry"
    assert ref.startswith(f"{VE_FOLDER}/99999999-BAD.csv")
    assert "already loaded under SystemId" in reason
    assert "999999" in raw
    after = raw_snapshot(bc2adls_case.warehouse, COMPANY)
    assert [r for r in after["value_entry"] if r[1] <= 40] == before["value_entry"]

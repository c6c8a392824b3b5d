"""``bc_api:<base URL>``: Business Central's API v2.0 and OData v4 web services (bc-interfaces.md §2).

The base URL is the environment root, e.g. ``bc_api:https://api.businesscentral.dynamics.com/v2.0/<tenant>/
production``; options ride in its query string and are removed before calling BC:

* ``tenant=<id>`` (token URL ``https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token``) or
  ``token_url=<url>`` (default: ``<origin>/oauth2/v2.0/token``, a BC-shaped server);
* credentials by reference only: ``client_id_env`` / ``client_secret_env`` (environment variable names,
  default ``BC_CLIENT_ID`` / ``BC_CLIENT_SECRET``) or ``conn_id`` (an Airflow connection);
* ``lookback`` (value entries re-read behind the last entry number, default 1000), ``page_size``;
* ``gl_entries=odata`` reads G/L entries from the ``GLEntries`` web service (every G/L Entry column)
  instead of API v2.0 ``generalLedgerEntries`` (the default; no source code, posting groups, dimensions).

Where each table comes from and how it is read incrementally:

* Value Entry -- the page 5802 web service ``ValueEntries``. It has no modified time, and Cost Posted to
  G/L / Expected Cost Posted to G/L change after an entry is created (Post Inventory Cost to G/L), so
  the watermark keeps the last entry number *and* the entries that were unposted at the last load. Each
  run re-reads those (up to 5 requests in parallel), then reads from ``last - lookback`` onwards in
  entry-number ranges side by side (at most 5 requests in flight across the source), in order.
  An update to an entry that was fully posted at the last load and lies behind the look-back is not
  seen (BC offers no modified time here; bc2adls, with its row version, does see it).
* G/L Entry -- API v2.0 ``generalLedgerEntries`` (``amount`` = debit - credit; the API has no amount),
  by ``lastModifiedDateTime``.
* Modified-time reads re-read a window (default 10 minutes) behind the last modification seen, so a
  transaction that commits late with an earlier time is not missed; re-read rows upsert unchanged.
* Item Ledger Entry, Item Application Entry, Capacity Ledger Entry, G/L - Item Ledger Relation -- their
  web services, by ``SystemModifiedAt`` (they change after posting: Remaining Quantity, Open, ...).
* Setup and master data -- read whole each run; keys that disappeared become deletes.

Every record is typed onto the ``bc_schema`` columns (XML-encoded enum values decoded, BC's blank dates
as NULL). What the web services do not carry stays out of the batch's columns: ``row_version`` (the
record's ``@odata.etag`` becomes its source version instead) and, for Value Entry, the system fields.
A record that cannot be typed, or lacks its key, becomes a ``BadRow`` naming the page URL; a
page that stays unreadable after retries (HTTP 500, truncated JSON) or a refused token ends the load with
a ``CostcloseError`` naming the URL. Nothing is dropped silently.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

from costclose import bc_schema
from costclose.bc_api_client import (
    ENUM_FIELDS,
    SERVICE_NAMES,
    BcApiClient,
    BcApiError,
    Page,
    RetryPolicy,
    company_segment,
    decode_enum,
    edm_name,
    odata_literal,
    resolve_credentials,
)
from costclose.errors import ConfigError
from costclose.sources.base import BadRow, Batch

log = logging.getLogger(__name__)

T = TypeVar("T")
PREFIX = "bc_api:"
OPTIONS = (
    "tenant", "token_url", "client_id_env", "client_secret_env", "conn_id",
    "lookback", "page_size", "gl_entries",
)  # fmt: skip
DEFAULT_LOOKBACK = 1000
MODIFIED_OVERLAP = timedelta(minutes=10)
CHUNK_CONDITIONS = 25  # entry-number conditions per re-read request: URLs stay under ~2,000 characters

MODIFIED_TABLES = frozenset(
    {
        "item_ledger_entry",
        "item_application_entry",
        "capacity_ledger_entry",
        "g_l_item_ledger_relation",
        "g_l_entry",
    }
)
SYSTEM_PROPS = {
    "SystemId": "system_id",
    "SystemCreatedAt": "system_created_at",
    "SystemModifiedAt": "system_modified_at",
}

# API v2.0 generalLedgerEntries -> bc_schema g_l_entry (amount is computed: debit - credit).
GL_API_PROPS = {
    "entryNumber": "entry_no",
    "accountNumber": "g_l_account_no",
    "postingDate": "posting_date",
    "documentType": "document_type",
    "documentNumber": "document_no",
    "description": "description",
    "debitAmount": "debit_amount",
    "creditAmount": "credit_amount",
    "id": "system_id",
    "lastModifiedDateTime": "system_modified_at",
}


# What raw can hold: BC's BigInteger (raw ``bigint``) and BC's Decimal (.NET System.Decimal). A larger
# number cannot come from BC: it is quarantined, not left to fail its batch or distort every sum.
INT_RANGE = (-(2**63), 2**63 - 1)
DECIMAL_MAX = Decimal("79228162514264337593543950335")


class UntypeableValue(ValueError):  # noqa: N818 - reads as the reason a record is quarantined
    pass


def _typed(pg_type: str, value: Any, column: str) -> Any:  # noqa: PLR0911, PLR0912 - one branch per BC type
    """A JSON value as the Python value of a ``bc_schema`` column type (strict: no guessing)."""
    if value is None:
        return None
    try:
        if pg_type == bc_schema.INT:
            if isinstance(value, bool) or not isinstance(value, int | Decimal) or value != int(value):
                raise UntypeableValue(f"{column}: {value!r} is not an integer")
            if not INT_RANGE[0] <= int(value) <= INT_RANGE[1]:
                raise UntypeableValue(f"{column}: {value} is out of the integer range of BC and raw (64-bit)")
            return int(value)
        if pg_type == bc_schema.DEC:
            if isinstance(value, bool) or not isinstance(value, int | Decimal):
                raise UntypeableValue(f"{column}: {value!r} is not a number")
            if not Decimal(value).is_finite() or abs(Decimal(value)) > DECIMAL_MAX:
                raise UntypeableValue(f"{column}: {value} is out of BC's Decimal range (|x| <= 7.9E+28)")
            return Decimal(value)
        if pg_type == bc_schema.BOOL:
            if not isinstance(value, bool):
                raise UntypeableValue(f"{column}: {value!r} is not a boolean")
            return value
        if not isinstance(value, str):
            raise UntypeableValue(f"{column}: {value!r} is not a string")
        if pg_type == bc_schema.DATE:
            return None if value.startswith("0001-01-01") else date.fromisoformat(value[:10])
        if pg_type == bc_schema.DATETIME:
            if value.startswith("0001-01-01"):
                return None
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        if pg_type == bc_schema.GUID:
            return uuid.UUID(value)
        return value
    except (ValueError, ArithmeticError) as exc:
        if isinstance(exc, UntypeableValue):
            raise
        raise UntypeableValue(f"{column}: {value!r} ({exc})") from exc


def _enum_columns(table: bc_schema.Table) -> set[str]:
    return {c.name for c in table.columns if c.bc_field in ENUM_FIELDS}


@dataclass(frozen=True)
class FieldMap:
    """How one table's payload maps onto its ``bc_schema`` columns."""

    table: bc_schema.Table
    props: dict[str, str]  # payload property -> column
    enums: frozenset[str]

    @property
    def columns(self) -> list[str]:
        present = set(self.props.values())
        if self.table.name == "g_l_entry" and "debit_amount" in present:
            present |= {"amount"}
        return ["company", *(c for c in self.table.column_names if c in present)]


def odata_field_map(table: bc_schema.Table) -> FieldMap:
    props = {edm_name(c.bc_field): c.name for c in table.columns}
    if table.name != "value_entry":
        props.update(SYSTEM_PROPS)
    return FieldMap(table, props, frozenset(_enum_columns(table)))


def gl_api_field_map() -> FieldMap:
    return FieldMap(bc_schema.G_L_ENTRY, dict(GL_API_PROPS), frozenset({"document_type"}))


def _runs(numbers: Iterable[int]) -> list[list[int]]:
    """Sorted integers as [first, last] runs (compact in a watermark and in a $filter)."""
    out: list[list[int]] = []
    for n in sorted(set(numbers)):
        if out and n == out[-1][1] + 1:
            out[-1][1] = n
        else:
            out.append([n, n])
    return out


def _from_runs(runs: Iterable[Iterable[int]]) -> set[int]:
    out: set[int] = set()
    for first, last in runs:
        out.update(range(int(first), int(last) + 1))
    return out


class BcApiSource:
    """The ``bc_api:`` connector (``costclose.sources.base.Source``)."""

    def __init__(
        self,
        url: str,
        *,
        environ: dict[str, str] | None = None,
        lookback: int | None = None,
        page_size: int | None = None,
        retry: RetryPolicy | None = None,
        max_concurrency: int = 5,
        modified_overlap: timedelta = MODIFIED_OVERLAP,
        reread_chunk: int = CHUNK_CONDITIONS,
        range_width: int = 20_000,
    ) -> None:
        if not url.startswith(PREFIX):
            raise ConfigError(f"Not a bc_api: source URL: {url!r} (expected bc_api:https://...).")
        parts = urlsplit(url[len(PREFIX) :])
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(f"bc_api: sources need an http(s) base URL, got {url!r}.")
        query = dict(parse_qsl(parts.query))
        unknown = [k for k in query if k not in OPTIONS]
        if unknown:
            raise ConfigError(
                f"Unknown bc_api: option(s) {unknown}; use {', '.join(OPTIONS)}. Secrets never go in the "
                "URL: name the environment variables (client_id_env, client_secret_env) or an Airflow "
                "conn_id."
            )
        self.url = url
        self.base_url = urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))
        if query.get("token_url"):
            token_url = query["token_url"]
        elif query.get("tenant"):
            token_url = f"https://login.microsoftonline.com/{query['tenant']}/oauth2/v2.0/token"
        else:
            token_url = f"{parts.scheme}://{parts.netloc}/oauth2/v2.0/token"
        self._credentials_ref = {
            "token_url": token_url,
            "client_id_env": query.get("client_id_env"),
            "client_secret_env": query.get("client_secret_env"),
            "conn_id": query.get("conn_id"),
        }
        self._environ = environ
        self.gl_entries = query.get("gl_entries", "api")
        if self.gl_entries not in ("api", "odata"):
            raise ConfigError(f"bc_api: option gl_entries must be api or odata, not {self.gl_entries!r}.")
        self.lookback = int(query.get("lookback", lookback if lookback is not None else DEFAULT_LOOKBACK))
        self.page_size = int(query["page_size"]) if query.get("page_size") else page_size
        self.retry = retry
        self.max_concurrency = max_concurrency
        self.modified_overlap = modified_overlap
        self.reread_chunk = reread_chunk
        self.range_width = range_width  # entry numbers per request when reading new value entries
        self._client: BcApiClient | None = None
        self._company_ids: dict[str, str] = {}

    @property
    def credentials_ref(self) -> dict[str, str | None]:
        """The token URL and credential references (names, never secrets) this URL configures."""
        return dict(self._credentials_ref)

    @property
    def client(self) -> BcApiClient:
        if self._client is None:
            creds = resolve_credentials(environ=self._environ, **self._credentials_ref)  # type: ignore[arg-type]
            self._client = BcApiClient(
                self.base_url,
                creds,
                max_concurrency=self.max_concurrency,
                retry=self.retry,
                page_size=self.page_size,
            )
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def __enter__(self) -> BcApiSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- Source contract ----------------------------------------------------------------------------

    def companies(self) -> list[str]:
        body = self.client.get(f"{self.client.api_root}/companies")
        self._company_ids = {str(r["name"]): str(r["id"]) for r in body.get("value", [])}
        return sorted(self._company_ids)

    def company_id(self, company: str) -> str:
        if company not in self._company_ids:
            self.companies()
        if company not in self._company_ids:
            raise BcApiError(
                f"Company {company!r} is not served by {self.client.api_root}/companies "
                f"(it has {sorted(self._company_ids)}); check the company name in costclose.yml."
            )
        return self._company_ids[company]

    def fetch(
        self, company: str, table: bc_schema.Table, watermark: dict[str, Any] | None
    ) -> Iterator[Batch]:
        if table.name not in SERVICE_NAMES:
            raise BcApiError(f"The bc_api: connector does not read {table.bc_name}.")
        if table.name == "value_entry":
            yield from self._value_entries(company, watermark or {})
        elif table.name == "g_l_entry" and self.gl_entries == "api":
            url = f"{self.client.api_root}/companies({self.company_id(company)})/generalLedgerEntries"
            yield from self._modified(
                company, gl_api_field_map(), url, "lastModifiedDateTime", watermark or {}
            )
        elif table.name in MODIFIED_TABLES:
            yield from self._modified(company, odata_field_map(table), self._service_url(company, table),
                                      "SystemModifiedAt", watermark or {})  # fmt: skip
        else:
            yield from self._snapshot(company, table, watermark or {})

    def totals(self, company: str) -> dict[str, Any]:
        client = self.client

        def count(table: bc_schema.Table) -> tuple[str, int]:
            return table.name, int(client.get(f"{self._service_url(company, table)}/$count"))

        with ThreadPoolExecutor(self.max_concurrency) as pool:
            counts = dict(pool.map(count, [t for t in bc_schema.RAW_TABLES if t.name in SERVICE_NAMES]))
        apply = quote(
            "aggregate(Cost_Amount_Actual with sum as cost_amount_actual, Cost_Amount_Expected with sum as "
            "cost_amount_expected, Cost_Posted_to_G_L with sum as cost_posted_to_g_l)"
        )
        sums = client.get(f"{self._service_url(company, bc_schema.VALUE_ENTRY)}?$apply={apply}")["value"][0]
        gl_url = f"{client.api_root}/companies({self.company_id(company)})/generalLedgerEntries"
        gl_apply = quote("aggregate(debitAmount with sum as debit, creditAmount with sum as credit)")
        gl = client.get(f"{gl_url}?$apply={gl_apply}")["value"][0]
        return {
            "row_counts": counts,
            "cost_amount_actual": Decimal(sums["cost_amount_actual"]),
            "cost_amount_expected": Decimal(sums["cost_amount_expected"]),
            "cost_posted_to_g_l": Decimal(sums["cost_posted_to_g_l"]),
            "g_l_amount": Decimal(gl["debit"]) - Decimal(gl["credit"]),
        }

    # -- reading ------------------------------------------------------------------------------------

    def _service_url(self, company: str, table: bc_schema.Table) -> str:
        return f"{self.client.odata_root}/{company_segment(company)}/{SERVICE_NAMES[table.name]}"

    def _rows(
        self, company: str, fmap: FieldMap, page: Page
    ) -> tuple[list[tuple[Any, ...]], list[BadRow], list[str | None]]:
        """Type a page's records onto ``fmap.columns``; bad records become ``BadRow``s."""
        columns = fmap.columns
        types = fmap.table.column_types()
        rows: list[tuple[Any, ...]] = []
        bad: list[BadRow] = []
        versions: list[str | None] = []
        key = set(fmap.table.key)
        for record in page.rows:
            try:
                if not isinstance(record, dict):
                    raise UntypeableValue("the record is not a JSON object")
                values: dict[str, Any] = {"company": company}
                for prop, column in fmap.props.items():
                    raw = record.get(prop)
                    if column in fmap.enums and isinstance(raw, str):
                        raw = decode_enum(raw)
                    values[column] = _typed(types[column], raw, prop)
                if fmap.table.name == "g_l_entry" and "debit_amount" in values:
                    debit, credit = values.get("debit_amount"), values.get("credit_amount")
                    values["amount"] = None if debit is None or credit is None else debit - credit
                missing = [c for c in key if values.get(c) is None]
                if missing:
                    raise UntypeableValue(f"the key field(s) {missing} are missing")
            except UntypeableValue as exc:
                bad.append(BadRow(page.url, f"{fmap.table.bc_name}: {exc}", json.dumps(record, default=str)))
                continue
            rows.append(tuple(values.get(c) for c in columns))
            versions.append(record.get("@odata.etag") or record.get("lastModifiedDateTime"))
        return rows, bad, versions

    def _batch(
        self, company: str, fmap: FieldMap, page: Page, watermark: dict[str, Any]
    ) -> tuple[Batch, list[tuple[Any, ...]]]:
        rows, bad, versions = self._rows(company, fmap, page)
        batch = Batch(
            table=fmap.table,
            columns=fmap.columns,
            rows=rows,
            source_ref=page.url,
            watermark=watermark,
            bad_rows=bad,
            source_versions=[v or "" for v in versions],
        )
        return batch, rows

    def _modified(
        self, company: str, fmap: FieldMap, url: str, modified_prop: str, watermark: dict[str, Any]
    ) -> Iterator[Batch]:
        """Rows modified since the watermark's ``since`` (minus an overlap for late commits)."""
        since = watermark.get("since")
        pending_max = watermark.get("pending_max") or since
        start = watermark.get("next")
        if start:  # resume an interrupted read at the page it stopped before
            start = self.base_url + start if start.startswith("/") else start
        else:
            start = url
            if since:
                cutoff = datetime.fromisoformat(since) - self.modified_overlap
                start = f"{url}?$filter={quote(f'{modified_prop} ge {odata_literal(cutoff)}')}"
        mod_at = fmap.columns.index(fmap.props[modified_prop])
        for page in self.client.pages(start):
            mark = dict(watermark)
            batch, rows = self._batch(company, fmap, page, mark)
            seen = [r[mod_at] for r in rows if r[mod_at] is not None]
            if seen:
                top = max(seen).astimezone(UTC).isoformat(timespec="microseconds")
                pending_max = max(pending_max, top) if pending_max else top
            if page.next_link:
                link = page.next_link
                rel = link[len(self.base_url) :] if link.startswith(self.base_url + "/") else link
                mark.update(since=since, pending_max=pending_max, next=rel)
            else:
                mark.update(since=pending_max, pending_max=None, next=None)
            batch.watermark = mark
            yield batch

    def _snapshot(self, company: str, table: bc_schema.Table, watermark: dict[str, Any]) -> Iterator[Batch]:
        """Small setup tables: read whole; keys gone since the last load become deletes."""
        fmap = odata_field_map(table)
        key_at = [fmap.columns.index(c) for c in table.primary_key]
        previous = {tuple(k) for k in watermark.get("keys", [])}
        current: set[tuple[Any, ...]] = set()
        pages = list(self.client.pages(self._service_url(company, table)))
        for i, page in enumerate(pages):
            batch, rows = self._batch(company, fmap, page, {})
            current.update(tuple(_key_json(r[k]) for k in key_at) for r in rows)
            if i == len(pages) - 1:
                gone = previous - current
                batch.deletes = [
                    tuple(_key_value(table, c, v) for c, v in zip(table.primary_key, k, strict=True))
                    for k in sorted(gone)
                ]
                batch.watermark = {"keys": sorted([list(k) for k in current])}
            else:
                batch.watermark = dict(watermark)  # nothing is final until the whole table is read
            yield batch

    # -- value entries ------------------------------------------------------------------------------

    def _expected_cost_posting(self, company: str) -> bool:
        url = f"{self._service_url(company, bc_schema.INVENTORY_SETUP)}"
        rows = [r for page in self.client.pages(url) for r in page.rows]
        return any(bool(r.get("Expected_Cost_Posting_to_G_L")) for r in rows) or not rows

    def _value_entries(self, company: str, watermark: dict[str, Any]) -> Iterator[Batch]:
        fmap = odata_field_map(bc_schema.VALUE_ENTRY)
        cols = fmap.columns
        at = {c: cols.index(c) for c in ("entry_no", "cost_amount_actual", "cost_posted_to_g_l",
                                         "cost_amount_expected", "expected_cost_posted_to_g_l")}  # fmt: skip
        expected_posting = self._expected_cost_posting(company)

        def unposted(row: tuple[Any, ...]) -> bool:
            def differs(amount: str, posted: str) -> bool:
                return (row[at[amount]] or 0) != (row[at[posted]] or 0)

            return differs("cost_amount_actual", "cost_posted_to_g_l") or (
                expected_posting and differs("cost_amount_expected", "expected_cost_posted_to_g_l")
            )

        last = int(watermark.get("last_entry_no", 0))
        pending = _from_runs(watermark.get("unposted", []))
        start = max(0, last - self.lookback) + 1 if watermark else 1
        url = self._service_url(company, bc_schema.VALUE_ENTRY)

        # 1. Re-read the entries that were unposted at the last load (those below the look-back).
        targets = sorted(n for n in pending if n < start)
        runs = _runs(targets)
        chunks = [runs[i : i + self.reread_chunk] for i in range(0, len(runs), self.reread_chunk)]

        def reread(chunk: list[list[int]]) -> list[Page]:
            conds = [
                f"Entry_No eq {a}" if a == b else f"(Entry_No ge {a} and Entry_No le {b})" for a, b in chunk
            ]
            return list(self.client.pages(f"{url}?$filter={quote(' or '.join(conds))}"))

        def read(flt: str) -> list[Page]:
            return list(self.client.pages(f"{url}?$filter={quote(flt)}"))

        with ThreadPoolExecutor(self.max_concurrency) as pool:
            for chunk, pages in _in_order(pool, reread, chunks, self.max_concurrency):
                asked = _from_runs(chunk)
                for page in pages:
                    batch, rows = self._batch(company, fmap, page, {})
                    if batch.bad_rows:
                        asked.clear()  # an unreadable record keeps its whole chunk in the re-read set
                    for row in rows:
                        asked.discard(row[at["entry_no"]])
                        (pending.add if unposted(row) else pending.discard)(row[at["entry_no"]])
                    batch.watermark = {"last_entry_no": last, "unposted": _runs(pending)}
                    yield batch
                pending -= asked  # asked for but no longer in BC: nothing left to wait for
                if asked:
                    log.warning("value entries %s are no longer served by %s", sorted(asked)[:20], url)
            # 2. New entries and the look-back window: entry-number ranges read side by side (in order
            # of commit), then whatever arrived after the highest number seen at the start.
            top = self._max_entry_no(url)
            ranges = [
                f"Entry_No ge {a} and Entry_No le {min(a + self.range_width - 1, top)}"
                for a in range(start, top + 1, self.range_width)
            ]
            ranges.append(f"Entry_No gt {max(top, start - 1)}")
            previous: dict[str, Any] | None = None
            for _, pages in _in_order(pool, read, ranges, self.max_concurrency):
                for page in pages:
                    batch, rows = self._batch(company, fmap, page, {})
                    for row in rows:
                        n = row[at["entry_no"]]
                        (pending.add if unposted(row) else pending.discard)(n)
                        last = max(last, n)
                    batch.watermark = {"last_entry_no": last, "unposted": _runs(pending)}
                    if rows or batch.bad_rows or batch.watermark != previous:
                        yield batch
                    previous = batch.watermark

    def _max_entry_no(self, url: str) -> int:
        apply = quote("aggregate(Entry_No with max as last_entry_no)")
        body = self.client.get(f"{url}?$apply={apply}")
        value = body.get("value") if isinstance(body, dict) else None
        try:
            # an empty company answers an empty list; anything but a list of objects is not OData
            if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
                raise UntypeableValue(f"no 'value' list of records in {str(body)[:200]!r}")
            return int(_typed(bc_schema.INT, (value or [{}])[0].get("last_entry_no"), "Entry_No") or 0)
        except UntypeableValue as exc:
            raise BcApiError(
                f"BC API {url}?$apply={apply} returned an unusable highest entry number: {exc}"
            ) from exc


def _in_order(
    pool: ThreadPoolExecutor, fn: Callable[[T], list[Page]], items: Sequence[T], ahead: int
) -> Iterator[tuple[T, list[Page]]]:
    """``fn`` over ``items`` on ``pool``, at most ``ahead`` running, results in the order of ``items``."""
    queue: deque[tuple[T, Future[list[Page]]]] = deque()
    for item in items:
        queue.append((item, pool.submit(fn, item)))
        if len(queue) >= ahead:
            done, future = queue.popleft()
            yield done, future.result()
    while queue:
        done, future = queue.popleft()
        yield done, future.result()


def _key_json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _key_value(table: bc_schema.Table, column: str, value: Any) -> Any:
    if column != "company" and table.column_types()[column] == bc_schema.DATE and isinstance(value, str):
        return date.fromisoformat(value)
    return value


def open_source(url: str, **options: Any) -> BcApiSource:
    return BcApiSource(url, **options)

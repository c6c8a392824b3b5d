"""HTTP client for Business Central's API v2.0 and OData v4 web services, shared by the ``bc_api:``
connector (``costclose.sources.bc_api``) and the ``bc_api`` posting target.

What it does, following ../shared/spec/bc-interfaces.md §2:

* OAuth2 client credentials (``grant_type=client_credentials``); the token is cached until shortly
  before it expires and fetched again after a 401.
* At most ``max_concurrency`` (BC online: 5) requests in flight per client, across threads.
* Retries 429 / 502 / 503 / 504, HTTP 500, dropped connections and truncated JSON bodies with
  exponential back-off (tenacity), honouring ``Retry-After``; bounded by attempts *and* elapsed time.
* ``Data-Access-Intent: ReadOnly`` on reads, so BC serves them from the read-only replica.
* Follows ``@odata.nextLink`` until it is absent (server-driven paging), refusing to loop.
* Decimals are parsed as ``Decimal``, never float.

It also holds the small pieces of BC's OData protocol both sides need: the EDM property-name rule
(``edm_name``) and the XML encoding of enum values (``encode_enum`` / ``decode_enum``).
"""

from __future__ import annotations

import email.utils
import json
import logging
import re
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import tenacity

from costclose.errors import CostcloseError

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# Statuses that say the request was not executed: only these are retried for writes (POST/DELETE),
# so a create is never sent twice after BC may already have done it.
REJECTED_STATUSES = frozenset({429, 503})
BC_SCOPE = "https://api.businesscentral.dynamics.com/.default"


class BcApiError(CostcloseError):
    """A Business Central API call failed; the message names the URL and what to do."""


class BcApiAuthError(BcApiError):
    """The credentials were refused (token endpoint or 401 from BC)."""


class DirectPostingError(BcApiError):
    """Journal lines target G/L accounts that BC will not accept (Direct Posting = No, blocked, missing)."""


class _Retryable(Exception):  # noqa: N818 - internal signal for tenacity, never escapes this module
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


# --------------------------------------------------------------------------------------------------
# BC's OData naming and value encoding


# OData v4 service names (BC: the object name without spaces) of the raw tables, shared by the
# connector and the BC-shaped server.
SERVICE_NAMES: dict[str, str] = {
    "value_entry": "ValueEntries",
    "item_ledger_entry": "ItemLedgerEntries",
    "item_application_entry": "ItemApplicationEntries",
    "capacity_ledger_entry": "CapacityLedgerEntries",
    "g_l_entry": "GLEntries",
    "g_l_item_ledger_relation": "GLItemLedgerRelations",
    "g_l_account": "GLAccounts",
    "item": "Items",
    "location": "Locations",
    "inventory_posting_setup": "InventoryPostingSetup",
    "general_posting_setup": "GeneralPostingSetup",
    "inventory_setup": "InventorySetup",
    "general_ledger_setup": "GeneralLedgerSetup",
    "accounting_period": "AccountingPeriods",
    "inventory_period": "InventoryPeriods",
    "production_order": "ProductionOrders",
}


def edm_name(bc_field_name: str) -> str:
    """The OData property name BC gives a page/query field (the EDM rule of bc-interfaces.md §2.3):
    space -> ``_``, ``.`` removed, ``(`` ``)`` removed, ``/`` and ``-`` -> ``_``, ``'`` -> ``_x0027_``,
    ``%`` -> ``Percent``. ``Cost Amount (Non-Invtbl.)(ACY)`` -> ``Cost_Amount_Non_InvtblACY``."""
    name = bc_field_name.replace("%", "Percent").replace("'", "_x0027_")
    name = name.replace(".", "").replace("(", "").replace(")", "")
    return re.sub(r"[ /\-]", "_", name)


# BC fields of an Enum/Option type (``bc_schema`` stores ENUM and CODE both as ``text``): OData
# sends their values XML-encoded (``Positive_x0020_Adjmt_x002E_``).
ENUM_FIELDS = frozenset(
    {
        "Item Ledger Entry Type", "Source Type", "Document Type", "Order Type", "Entry Type",
        "Variance Type", "Type", "Account Type", "Income/Balance", "Account Category",
        "Gen. Posting Type", "Bal. Account Type", "Costing Method", "Replenishment System",
        "Automatic Cost Adjustment", "Average Cost Calc. Type", "Average Cost Period",
        "Default Costing Method", "Status",
    }
)  # fmt: skip


_ENCODED = re.compile(r"_x([0-9A-Fa-f]{4})_")


def encode_enum(value: str) -> str:
    """BC's XML encoding of an enum value name: ``Positive Adjmt.`` -> ``Positive_x0020_Adjmt_x002E_``.
    The blank value (stored as ``''``, BC's ``" "``) is ``_x0020_``."""
    text = value or " "
    return "".join(ch if ch.isalnum() and ch.isascii() else f"_x{ord(ch):04X}_" for ch in text)


def decode_enum(value: str) -> str:
    """Inverse of ``encode_enum``; BC's blank enum value comes back as ``''``."""
    text = _ENCODED.sub(lambda m: chr(int(m.group(1), 16)), value)
    return "" if text.strip() == "" else text


def odata_literal(value: Any) -> str:
    """A value as an OData ``$filter`` literal."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, date):
        return value.isoformat()
    return "'" + str(value).replace("'", "''") + "'"


def company_segment(company: str) -> str:
    """The OData v4 company path segment: ``Company('CRONUS International Ltd.')``."""
    return "Company('" + quote(company.replace("'", "''"), safe="") + "')"


def _json_value(value: Any) -> str:  # noqa: PLR0911 - one return per JSON type
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, datetime):
        return json.dumps(value.astimezone(UTC).isoformat().replace("+00:00", "Z"))
    if isinstance(value, date):
        return json.dumps(value.isoformat())
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(k))}:{_json_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_json_value(v) for v in value) + "]"
    return json.dumps(str(value))


def dumps(value: Any) -> str:
    """JSON text with ``Decimal`` written as an exact JSON number (BC's decimals), dates as ISO strings."""
    return _json_value(value)


# --------------------------------------------------------------------------------------------------
# Credentials


@dataclass(frozen=True)
class Credentials:
    """OAuth2 client credentials, resolved from a reference at the moment they are needed."""

    client_id: str
    client_secret: str = field(repr=False)
    token_url: str
    scope: str = BC_SCOPE


def resolve_credentials(
    *,
    token_url: str,
    client_id_env: str | None = None,
    client_secret_env: str | None = None,
    conn_id: str | None = None,
    scope: str = BC_SCOPE,
    environ: dict[str, str] | None = None,
) -> Credentials:
    """Credentials by reference only: environment variable names, or an Airflow connection id
    (login = client id, password = client secret). Secrets are never accepted inline."""
    import os

    env = dict(os.environ) if environ is None else environ
    if conn_id:
        try:
            from airflow.sdk import BaseHook
        except ImportError as exc:  # pragma: no cover - Airflow is part of the locked environment
            raise BcApiAuthError(f"Airflow is needed to read connection {conn_id!r}: {exc}") from exc
        conn = BaseHook.get_connection(conn_id)
        if not conn.login or not conn.password:
            raise BcApiAuthError(
                f"Airflow connection {conn_id!r} needs login (client id) and password (client secret)."
            )
        return Credentials(conn.login, conn.password, token_url, scope)
    id_var = client_id_env or "BC_CLIENT_ID"
    secret_var = client_secret_env or "BC_CLIENT_SECRET"
    missing = [v for v in (id_var, secret_var) if not env.get(v)]
    if missing:
        raise BcApiAuthError(
            f"Set the environment variable(s) {', '.join(missing)} to the Entra app's client id/secret "
            "(or configure an Airflow connection id) to read from the BC API."
        )
    return Credentials(env[id_var], env[secret_var], token_url, scope)


# --------------------------------------------------------------------------------------------------
# The client


@dataclass
class RetryPolicy:
    """Bounds on retrying one request: attempts and total seconds, back-off base and cap."""

    attempts: int = 8
    max_seconds: float = 120.0
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    retry_after_cap: float = 60.0


@dataclass
class Page:
    url: str
    rows: list[dict[str, Any]]
    next_link: str | None


def _parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds or as an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return max(0.0, (parsed - datetime.now(UTC)).total_seconds())


def _error_message(response: httpx.Response) -> str:
    """BC's error body ``{"error": {"code": ..., "message": ...}}`` (or the token endpoint's form)."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:300]
    err = body.get("error") if isinstance(body, dict) else None
    if isinstance(err, dict):
        return f"{err.get('code', '')}: {err.get('message', '')}".strip(": ")
    if isinstance(err, str):
        return f"{err}: {body.get('error_description', '')}"
    return response.text[:300]


class BcApiClient:
    """One BC environment: ``base_url`` is the environment root, e.g.
    ``https://api.businesscentral.dynamics.com/v2.0/<tenant>/<environment>``; API v2.0 lives at
    ``<base>/api/v2.0`` and OData v4 web services at ``<base>/ODataV4``."""

    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        *,
        max_concurrency: int = 5,
        retry: RetryPolicy | None = None,
        timeout: float = 60.0,
        page_size: int | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.credentials = credentials
        self.retry = retry or RetryPolicy()
        self.page_size = page_size
        self._slots = threading.BoundedSemaphore(max_concurrency)
        self._token_lock = threading.Lock()
        self._token: str | None = None
        self._token_expires = 0.0
        self._http = httpx.Client(
            timeout=timeout,
            limits=httpx.Limits(max_connections=max_concurrency, max_keepalive_connections=max_concurrency),
            follow_redirects=False,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> BcApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def api_root(self) -> str:
        return f"{self.base_url}/api/v2.0"

    @property
    def odata_root(self) -> str:
        return f"{self.base_url}/ODataV4"

    # -- auth ---------------------------------------------------------------------------------------

    def _fetch_token(self) -> str:
        creds = self.credentials
        form = {
            "grant_type": "client_credentials",
            "client_id": creds.client_id,
            "client_secret": creds.client_secret,
            "scope": creds.scope,
        }
        try:
            resp = self._http.post(creds.token_url, data=form)
        except httpx.TransportError as exc:
            raise BcApiAuthError(f"Cannot reach the token endpoint {creds.token_url}: {exc}") from exc
        if resp.status_code != 200:
            raise BcApiAuthError(
                f"The token endpoint {creds.token_url} refused client {creds.client_id!r} "
                f"(HTTP {resp.status_code}: {_error_message(resp)}). Check the client id/secret the "
                "configuration refers to and that the Entra app is registered in Business Central."
            )
        try:
            body = resp.json()
            token = str(body["access_token"])
            expires_in = float(body.get("expires_in", 3600))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise BcApiAuthError(
                f"The token endpoint {creds.token_url} answered HTTP 200 without an OAuth2 token "
                f"({type(exc).__name__}: {str(exc)[:200]}). Check the token_url/tenant of the source "
                "configuration: it must be the Entra ID token endpoint of the BC tenant."
            ) from exc
        self._token_expires = time.monotonic() + expires_in - 60
        return token

    def token(self, *, refresh: bool = False) -> str:
        with self._token_lock:
            if refresh or self._token is None or time.monotonic() >= self._token_expires:
                self._token = self._fetch_token()
            return self._token

    # -- requests -----------------------------------------------------------------------------------

    def _send(self, method: str, url: str, *, read_only: bool, body: Any = None) -> httpx.Response:
        headers = {
            "Accept": "application/json",
            "Data-Access-Intent": "ReadOnly" if read_only else "ReadWrite",
        }
        if self.page_size and method == "GET":
            headers["Prefer"] = f"odata.maxpagesize={self.page_size}"
        refreshed = False
        while True:
            headers["Authorization"] = f"Bearer {self.token(refresh=refreshed)}"
            with self._slots:
                content = None if body is None else dumps(body).encode()
                if content is not None:
                    headers["Content-Type"] = "application/json"
                resp = self._http.request(method, url, headers=headers, content=content)
            if resp.status_code == 401 and not refreshed:
                refreshed = True  # an expired token: fetch a new one once
                continue
            return resp

    def request(self, method: str, url: str, *, body: Any = None, read_only: bool | None = None) -> Any:
        """One call with retries; returns the parsed JSON body (``None`` for 204)."""
        read_only = method == "GET" if read_only is None else read_only
        policy = self.retry
        started = time.monotonic()

        def wait(state: tenacity.RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            backoff = min(policy.backoff_max, policy.backoff_base * 2 ** (state.attempt_number - 1))
            if isinstance(exc, _Retryable) and exc.retry_after is not None:
                backoff = min(policy.retry_after_cap, max(backoff, exc.retry_after))
            remaining = policy.max_seconds - (time.monotonic() - started)
            return max(0.0, min(backoff, remaining))

        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(_Retryable),
            stop=tenacity.stop_after_attempt(policy.attempts) | tenacity.stop_after_delay(policy.max_seconds),
            wait=wait,
            before_sleep=lambda s: log.warning(
                "BC API %s %s: %s; retry %d", method, url, s.outcome.exception(), s.attempt_number
            ),
            reraise=True,
        )
        try:
            return retrying(self._attempt, method, url, body, read_only=read_only, write=method != "GET")
        except _Retryable as exc:
            attempts = retrying.statistics.get("attempt_number", policy.attempts)
            raise BcApiError(
                f"BC API {method} {url} failed after {attempts} attempts "
                f"({time.monotonic() - started:.1f} s): {exc}. Business Central is unavailable or "
                "throttling; run again later (a load resumes from its last committed batch)."
            ) from exc

    def _attempt(self, method: str, url: str, body: Any, *, read_only: bool, write: bool) -> Any:
        try:
            resp = self._send(method, url, read_only=read_only, body=body)
        except httpx.TransportError as exc:
            if write and not isinstance(exc, httpx.ConnectError):
                raise BcApiError(
                    f"BC API {method} {url}: the connection dropped ({exc}); BC may or may not have done "
                    "it. Check the journal in BC before retrying."
                ) from exc
            raise _Retryable(f"connection error: {type(exc).__name__}: {exc}") from exc
        status = resp.status_code
        if status in (REJECTED_STATUSES if write else RETRY_STATUSES):
            raise _Retryable(
                f"HTTP {status} {_error_message(resp)}", _parse_retry_after(resp.headers.get("Retry-After"))
            )
        if status == 401:
            raise BcApiAuthError(
                f"BC API {method} {url} answered 401 Unauthorized twice ({_error_message(resp)}). "
                "The token was refused: grant the Entra app a permission set in Business Central "
                "(Microsoft Entra Applications page) and check the tenant/environment in the source URL."
            )
        if status == 204:
            return None
        if status == 404 and "/ODataV4/" in url:
            raise BcApiError(
                f"BC API {method} {url} failed: HTTP 404 {_error_message(resp)}. The web service is not "
                "published: publish it on BC's Web Services page (e.g. page 5802 'Value Entries' as "
                "ValueEntries) or check the company name."
            )
        if status >= 400:
            raise BcApiError(f"BC API {method} {url} failed: HTTP {status} {_error_message(resp)}")
        try:
            return json.loads(resp.text, parse_float=Decimal)
        except ValueError as exc:
            problem = f"the response is not complete JSON ({len(resp.content)} bytes: {exc})"
            if write:  # BC did the write; sending it again would do it twice
                raise BcApiError(f"BC API {method} {url}: {problem}. Check the journal in BC.") from exc
            raise _Retryable(problem) from exc

    def get(self, url: str) -> Any:
        return self.request("GET", url)

    def pages(self, url: str, *, max_pages: int = 1_000_000) -> Iterator[Page]:
        """Follow ``@odata.nextLink`` from ``url``; one ``Page`` per response."""
        seen: set[str] = set()
        next_url: str | None = url
        count = 0
        while next_url is not None:
            if not self.same_origin(next_url):
                raise BcApiError(
                    f"BC API paging from {url} points to another host ({next_url}); the token is not sent "
                    "there. Check the base URL in the source configuration."
                )
            if next_url in seen or count >= max_pages:
                raise BcApiError(
                    f"BC API paging from {url} did not end (next link {next_url} repeats or more than "
                    f"{max_pages} pages); report this to the BC administrator."
                )
            seen.add(next_url)
            body = self.get(next_url)
            if not isinstance(body, dict) or not isinstance(body.get("value"), list):
                raise BcApiError(f"BC API {next_url} did not return an OData collection (no 'value' list).")
            link = body.get("@odata.nextLink")
            yield Page(next_url, body["value"], link)
            next_url = link
            count += 1

    def same_origin(self, url: str) -> bool:
        return urlsplit(url).netloc == urlsplit(self.base_url).netloc


# --------------------------------------------------------------------------------------------------
# Posting a journal: journals -> journalLines -> dimensionSetLines -> Microsoft.NAV.post


@dataclass(frozen=True)
class ApiJournalLine:
    """One general-journal line to post through BC's API (debit positive, credit negative)."""

    document_no: str
    posting_date: date
    account_no: str
    amount: Decimal
    description: str = ""
    dimensions: tuple[tuple[str, str], ...] = ()  # (dimension code, dimension value code)


@dataclass(frozen=True)
class ApiPostResult:
    journal_id: str
    journal_code: str
    lines_posted: int


def company_id(client: BcApiClient, company: str) -> str:
    """The API v2.0 id of ``company`` (matched on name, display name or id)."""
    body = client.get(f"{client.api_root}/companies")
    for row in body.get("value", []):
        if company in (row.get("name"), row.get("displayName"), row.get("id")):
            return str(row["id"])
    raise BcApiError(f"Company {company!r} is not in {client.api_root}/companies; check the company name.")


_company_id = company_id  # the name the posting target imports


def check_accounts(client: BcApiClient, company_id: str, account_nos: Sequence[str]) -> None:
    """BC refuses general-journal lines on accounts without Direct Posting (bc-interfaces.md §2.2):
    check every account first and name all the offenders in one message."""
    wanted = sorted(set(account_nos))
    found: dict[str, dict[str, Any]] = {}
    for i in range(0, len(wanted), 20):
        chunk = wanted[i : i + 20]
        flt = " or ".join(f"number eq {odata_literal(a)}" for a in chunk)
        select = "number,displayName,accountType,blocked,directPosting"  # not netChange: a G/L sum
        url = f"{client.api_root}/companies({company_id})/accounts?$filter={quote(flt)}&$select={select}"
        for page in client.pages(url):
            found.update({str(r["number"]): r for r in page.rows})
    missing = [a for a in wanted if a not in found]
    blocked = [a for a in wanted if a in found and found[a].get("blocked")]
    not_direct = [a for a in wanted if a in found and not found[a].get("directPosting")]
    problems = []
    if missing:
        problems.append(f"G/L accounts that do not exist: {', '.join(missing)}")
    if blocked:
        problems.append(f"blocked G/L accounts: {', '.join(blocked)}")
    if not_direct:
        problems.append(
            f"G/L accounts with Direct Posting = No: {', '.join(not_direct)} (BC refuses journal lines on "
            "them; switch Direct Posting on for these accounts in BC, or post with the `file` target and "
            "import the journal manually)"
        )
    if problems:
        raise DirectPostingError("Cannot post the journal through the BC API: " + "; ".join(problems) + ".")


def post_journal(
    client: BcApiClient,
    company: str,
    lines: Sequence[ApiJournalLine],
    *,
    journal_code: str,
    display_name: str = "costclose adjusting entries",
) -> ApiPostResult:
    """Post ``lines`` as one general-journal batch ``journal_code`` (max 10 characters, BC's Code[10]).

    A batch left over from an interrupted attempt is reused and emptied first, so a retry posts the
    lines once. All lines are posted by one ``Microsoft.NAV.post``: BC posts a batch all or nothing.
    """
    if not lines:
        raise BcApiError("The journal has no lines: there is nothing to post.")
    if len(journal_code) > 10:
        raise BcApiError(f"Journal code {journal_code!r} is longer than BC's 10 characters.")
    cid = company_id(client, company)
    check_accounts(client, cid, [ln.account_no for ln in lines])
    root = f"{client.api_root}/companies({cid})"
    flt = quote(f"code eq {odata_literal(journal_code)}")
    existing = client.get(f"{root}/journals?$filter={flt}").get("value", [])
    if existing:
        journal = existing[0]
        old = client.get(f"{root}/journals({journal['id']})/journalLines").get("value", [])
        for line in old:
            client.request("DELETE", f"{root}/journals({journal['id']})/journalLines({line['id']})")
    else:
        journal = client.request(
            "POST", f"{root}/journals", body={"code": journal_code, "displayName": display_name}
        )
    jid = journal["id"]
    for n, ln in enumerate(lines, start=1):
        created = client.request(
            "POST",
            f"{root}/journals({jid})/journalLines",
            body={
                "lineNumber": n * 10000,
                "accountType": "G/L Account",
                "accountNumber": ln.account_no,
                "postingDate": ln.posting_date.isoformat(),
                "documentNumber": ln.document_no,
                "amount": ln.amount,
                "description": ln.description[:100],
            },
        )
        for code, value in ln.dimensions:
            client.request(
                "POST",
                f"{root}/journals({jid})/journalLines({created['id']})/dimensionSetLines",
                body={"code": code, "valueCode": value},
            )
    client.request("POST", f"{root}/journals({jid})/Microsoft.NAV.post", read_only=False)
    log.info("posted journal %s (%d lines) to %s", journal_code, len(lines), company)
    return ApiPostResult(jid, journal_code, len(lines))

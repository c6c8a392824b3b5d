"""The company configuration: one place listing every company the close runs for.

Locally it is ``costclose.yml`` (path: ``settings().config_file``, env ``COSTCLOSE_CONFIG``); in
production the same document can come from the Airflow Variable ``costclose_companies`` (read from
``AIRFLOW_VAR_COSTCLOSE_COMPANIES`` when no file exists). Each company has its source URL, posting
target, alert recipients, tolerance and approval threshold::

    companies:
      - name: CRONUS International Ltd.
        source: sql:postgresql://postgres@127.0.0.1:5432/costclose_erp
        posting_target: erp
        alert_recipients: [controller@example.com]
        tolerance: "0.01"
        approval_threshold: "10000"

Secrets only by reference, never inline: a source or posting target may be ``env:VAR`` (the whole URL
from an environment variable), ``conn:CONN_ID`` (an Airflow connection), ``db:ROLE`` (one of
costclose's own databases, e.g. ``db:erp`` for the demo ERP -- its URL changes with the embedded
server's port), or a connector prefix followed by any of them (``sql:env:ERP_URL``, ``sql:db:erp``).
A URL with a password, or a query parameter such as ``password=``/``client_secret=``, is refused with
an error saying what to do.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import yaml

from costclose.config import settings
from costclose.errors import ConfigError

log = logging.getLogger(__name__)

AIRFLOW_VARIABLE_ENV = "AIRFLOW_VAR_COSTCLOSE_COMPANIES"
CONNECTOR_PREFIXES = ("sql:", "bc2adls:", "bc_api:")
SECRET_PARAMS = frozenset(
    {"password", "pwd", "secret", "client_secret", "token", "access_token", "sig", "key"}
)
# Issue 6: the tie-out tolerance defaults to 0.00 (exact), configurable per company.
DEFAULT_TOLERANCE = Decimal("0.00")
DEFAULT_APPROVAL_THRESHOLD = Decimal("10000")


@dataclass(frozen=True)
class CompanyConfig:
    """One configured company. ``source`` and ``posting_target`` are kept as written (references)."""

    name: str
    source: str | None = None
    posting_target: str | None = None
    alert_recipients: tuple[str, ...] = ()
    tolerance: Decimal = DEFAULT_TOLERANCE
    approval_threshold: Decimal = DEFAULT_APPROVAL_THRESHOLD
    success_email: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def source_url(self) -> str:
        """The source URL with references (``env:``, ``conn:``) resolved."""
        if not self.source:
            raise ConfigError(
                f"Company {self.name!r} has no source configured; run "
                f"`costclose extract --company {self.name!r} --source URL` once, or add `source:` "
                "to its entry in costclose.yml."
            )
        return resolve(self.source, what=f"the source of {self.name!r}")

    def posting_target_url(self) -> str | None:
        return (
            resolve(self.posting_target, what=f"the posting target of {self.name!r}")
            if self.posting_target
            else None
        )

    def to_yaml(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name}
        if self.source is not None:
            out["source"] = self.source
        if self.posting_target is not None:
            out["posting_target"] = self.posting_target
        out["alert_recipients"] = list(self.alert_recipients)
        out["tolerance"] = str(self.tolerance)
        out["approval_threshold"] = str(self.approval_threshold)
        if self.success_email:
            out["success_email"] = True
        out.update(self.extra)
        return out


# -- references and secrets ---------------------------------------------------------------------


def check_no_inline_secret(value: str, *, what: str) -> None:
    """Refuse a URL that carries a password or secret inline."""
    rest = value
    for prefix in CONNECTOR_PREFIXES:
        if rest.startswith(prefix):
            rest = rest[len(prefix) :]
            break
    if rest.startswith(("env:", "conn:", "db:")):
        return
    parts = urlsplit(rest)
    secret_params = [k for k, _ in parse_qsl(parts.query) if k.lower() in SECRET_PARAMS]
    if (parts.scheme and parts.password) or secret_params:
        raise ConfigError(
            f"{what} has a secret written inline ({'password' if parts.password else secret_params}). "
            "Secrets go by reference only: put the URL in an environment variable and write "
            "`env:VARIABLE` (e.g. sql:env:ERP_URL), or use an Airflow connection with `conn:CONN_ID`; "
            "for PostgreSQL a ~/.pgpass file or PGPASSWORD also works."
        )


def _airflow_connection_uri(conn_id: str) -> str:
    env = os.environ.get(f"AIRFLOW_CONN_{conn_id.upper()}")
    if env:
        if env.lstrip().startswith("{"):
            return _uri_from_json(conn_id, env)
        return env
    try:
        from airflow.sdk import Connection
    except ImportError as exc:
        raise ConfigError(
            f"Airflow connection {conn_id!r} is not available: set AIRFLOW_CONN_{conn_id.upper()} "
            "or run inside Airflow."
        ) from exc
    try:
        return Connection.get(conn_id).get_uri()
    except Exception as exc:  # Airflow raises several types for a missing connection
        raise ConfigError(f"Airflow connection {conn_id!r} could not be read: {exc}") from exc


def _uri_from_json(conn_id: str, text: str) -> str:
    try:
        spec = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"AIRFLOW_CONN_{conn_id.upper()} is neither a URI nor JSON: {exc}") from exc
    scheme = {"postgres": "postgresql"}.get(spec.get("conn_type", ""), spec.get("conn_type", ""))
    auth = quote(spec.get("login") or "", safe="")
    if spec.get("password"):
        auth += ":" + quote(spec["password"], safe="")
    host = spec.get("host") or ""
    port = f":{spec['port']}" if spec.get("port") else ""
    return f"{scheme}://{auth + '@' if auth else ''}{host}{port}/{spec.get('schema') or ''}"


def resolve(value: str, *, what: str = "a URL") -> str:
    """Resolve ``env:VAR`` / ``conn:ID`` / ``db:ROLE`` (optionally after a connector prefix) to a URL."""
    prefix = next((p for p in CONNECTOR_PREFIXES if value.startswith(p)), "")
    rest = value[len(prefix) :]
    if rest.startswith("db:"):
        from costclose.db import database_url

        try:
            resolved = database_url(rest[len("db:") :])
        except ValueError as exc:
            raise ConfigError(f"{what}: {exc}") from exc
    elif rest.startswith("env:"):
        var = rest[len("env:") :]
        if var not in os.environ:
            raise ConfigError(f"{what} refers to the environment variable {var}, which is not set; set it.")
        resolved = os.environ[var]
    elif rest.startswith("conn:"):
        resolved = _airflow_connection_uri(rest[len("conn:") :])
    else:
        return value
    if prefix and resolved.startswith(CONNECTOR_PREFIXES):
        return resolved
    if prefix == "sql:" and resolved.startswith("postgres://"):
        resolved = "postgresql://" + resolved[len("postgres://") :]
    return prefix + resolved


# -- reading and writing the document ------------------------------------------------------------


def _decimal(value: Any, *, what: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise ConfigError(f"{what} must be a number, got {value!r}.") from exc
    if not number.is_finite() or number < 0:
        raise ConfigError(f"{what} must be a non-negative number, got {value!r}.")
    return number


def _parse_entry(entry: Any, where: str) -> CompanyConfig:
    if not isinstance(entry, dict) or not str(entry.get("name") or "").strip():
        raise ConfigError(f"{where}: every company needs a `name:`.")
    name = str(entry["name"])
    for key in ("source", "posting_target"):
        if entry.get(key) is not None:
            check_no_inline_secret(str(entry[key]), what=f"{where}: {key} of {name!r}")
    recipients = entry.get("alert_recipients") or []
    if isinstance(recipients, str):
        recipients = [recipients]
    bad = [r for r in recipients if "@" not in str(r)]
    if bad:
        raise ConfigError(f"{where}: alert_recipients of {name!r} must be e-mail addresses, got {bad}.")
    known = {
        "name",
        "source",
        "posting_target",
        "alert_recipients",
        "tolerance",
        "approval_threshold",
        "success_email",
    }
    return CompanyConfig(
        name=name,
        source=None if entry.get("source") is None else str(entry["source"]),
        posting_target=None if entry.get("posting_target") is None else str(entry["posting_target"]),
        alert_recipients=tuple(str(r) for r in recipients),
        tolerance=_decimal(entry.get("tolerance", DEFAULT_TOLERANCE), what=f"{where}: tolerance of {name!r}"),
        approval_threshold=_decimal(
            entry.get("approval_threshold", DEFAULT_APPROVAL_THRESHOLD),
            what=f"{where}: approval_threshold of {name!r}",
        ),
        success_email=bool(entry.get("success_email", False)),
        extra={k: v for k, v in entry.items() if k not in known},
    )


def parse(text: str, where: str = "costclose.yml") -> dict[str, CompanyConfig]:
    """Companies from a YAML (or JSON) document."""
    try:
        doc = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{where} is not valid YAML: {exc}") from exc
    entries = doc.get("companies", []) if isinstance(doc, dict) else None
    if not isinstance(entries, list):
        raise ConfigError(f"{where} must have a `companies:` list (see costclose.example.yml).")
    out: dict[str, CompanyConfig] = {}
    for entry in entries:
        company = _parse_entry(entry, where)
        if company.name in out:
            raise ConfigError(f"{where}: company {company.name!r} is listed twice.")
        out[company.name] = company
    return out


def config_path(path: Path | None = None) -> Path:
    return path or settings().config_file


def load_companies(path: Path | None = None) -> dict[str, CompanyConfig]:
    """Every configured company by name (empty when nothing is configured)."""
    file = config_path(path)
    if file.is_file():
        return parse(file.read_text(encoding="utf-8"), str(file))
    if path is None and os.environ.get(AIRFLOW_VARIABLE_ENV):
        return parse(os.environ[AIRFLOW_VARIABLE_ENV], "Airflow Variable costclose_companies")
    return {}


def get_company(name: str, path: Path | None = None) -> CompanyConfig:
    companies = load_companies(path)
    if name not in companies:
        known = ", ".join(repr(n) for n in companies) or "none"
        raise ConfigError(
            f"Company {name!r} is not configured in {config_path(path)} (configured: {known}). "
            "Add it there, or pass --source to `costclose extract` to register it."
        )
    return companies[name]


def save_companies(companies: dict[str, CompanyConfig], path: Path | None = None) -> Path:
    """Write the document (atomically: a temporary file, then a rename)."""
    file = config_path(path)
    file.parent.mkdir(parents=True, exist_ok=True)
    doc = {"companies": [c.to_yaml() for c in companies.values()]}
    tmp = file.with_name(file.name + ".tmp")
    tmp.write_text(
        "# costclose company configuration (see costclose.example.yml). Secrets by reference only.\n"
        + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True),
        encoding="utf-8",
    )
    tmp.replace(file)
    return file


def upsert_company(name: str, path: Path | None = None, **fields: Any) -> CompanyConfig:
    """Add ``name`` or update the given fields of its entry (e.g. ``source=...``), and save."""
    companies = load_companies(path)
    current = companies.get(name, CompanyConfig(name))
    entry = current.to_yaml() | {k: v for k, v in fields.items() if v is not None}
    if "alert_recipients" in fields and fields["alert_recipients"] is not None:
        entry["alert_recipients"] = list(fields["alert_recipients"])
    updated = _parse_entry(entry, str(config_path(path)))
    companies[name] = updated
    save_companies(companies, path)
    log.info("company %r saved in %s", name, config_path(path))
    return updated


def remember_source(name: str, source: str, path: Path | None = None) -> CompanyConfig:
    """Record ``source`` as the company's source (an explicit ``--source`` is remembered)."""
    check_no_inline_secret(source, what="--source")
    return upsert_company(name, path, source=source)

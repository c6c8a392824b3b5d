"""Who gets a company's mail, and its close settings, from the company configuration.

Reads ``costclose.companies`` (``costclose.yml``) when it is there; a company without configured
recipients gets no mail (the result is still stored and shown).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CompanyAlerting:
    recipients: tuple[str, ...] = ()
    tolerance: Decimal = Decimal("0.00")
    send_success_email: bool = False


def company_alerting(company: str) -> CompanyAlerting:
    """The company's recipients, tolerance and success-email flag (defaults when not configured)."""
    try:
        from costclose import companies
    except ImportError:
        return CompanyAlerting()
    return companies_alerting(companies, company)


def companies_alerting(module: object, company: str) -> CompanyAlerting:
    load = getattr(module, "load_companies", None)
    if load is None:
        return CompanyAlerting()
    try:
        configured = load()
    except Exception as exc:  # a broken costclose.yml must not stop a validation
        log.warning("company configuration not read: %s", exc)
        return CompanyAlerting()
    entry = _find(configured, company)
    if entry is None:
        return CompanyAlerting()
    tolerance = getattr(entry, "tolerance", None)
    return CompanyAlerting(
        recipients=tuple(getattr(entry, "alert_recipients", None) or ()),
        tolerance=Decimal(str(tolerance)) if tolerance is not None else Decimal("0.00"),
        send_success_email=bool(getattr(entry, "success_email", False)),
    )


def _find(configured: object, company: str) -> object | None:
    if isinstance(configured, dict):
        return configured.get(company)
    for entry in configured or ():  # type: ignore[attr-defined]
        if getattr(entry, "name", None) == company:
            return entry
    return None


def recipients_for(companies: list[str] | None) -> list[str]:
    """The union of the recipients of ``companies`` (None = every configured company)."""
    if companies is None:
        try:
            from costclose import companies as module
        except ImportError:
            return []
        load = getattr(module, "load_companies", None)
        try:
            configured = load() if load else []
        except Exception:  # see company_alerting
            return []
        names = (
            list(configured) if isinstance(configured, dict) else [getattr(c, "name", "") for c in configured]
        )
        companies = [n for n in names if n]
    out: list[str] = []
    for name in companies:
        out += company_alerting(name).recipients
    return list(dict.fromkeys(out))

"""Who gets a company's mail, and its tolerance, from the company configuration (``costclose.yml``).

A company that is not configured gets the defaults: no recipients (the result is still stored and
shown), tolerance 0.00, no success email.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal

from costclose import companies
from costclose.errors import ConfigError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CompanyAlerting:
    recipients: tuple[str, ...] = ()
    tolerance: Decimal = Decimal("0.00")
    send_success_email: bool = False


def company_alerting(company: str) -> CompanyAlerting:
    """The company's recipients, tolerance and success-email flag (raises ConfigError on a broken file)."""
    entry = companies.load_companies().get(company)
    if entry is None:
        return CompanyAlerting()
    return CompanyAlerting(entry.alert_recipients, entry.tolerance, entry.success_email)


def recipients_for(names: list[str] | None) -> list[str]:
    """The union of the recipients of ``names`` (None = every configured company).

    For failure callbacks: a broken configuration yields no recipients and a log line, never an error.
    """
    try:
        configured = companies.load_companies()
    except ConfigError as exc:
        log.warning("company configuration not read: %s", exc)
        return []
    chosen = configured.values() if names is None else [configured[n] for n in names if n in configured]
    return list(dict.fromkeys(r for c in chosen for r in c.alert_recipients))

"""Accounting periods as the close sees them: a key ``YYYY-MM`` and an inclusive date range.

The demo company's accounting periods are calendar months (BC's default); a period is named by the
month its start date falls in. The period of a scheduled run comes from its data interval, never from
"now".
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from costclose.errors import CostcloseError

_PERIOD_RE = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?$")


@dataclass(frozen=True, order=True)
class Period:
    start: date
    end: date  # inclusive

    @property
    def key(self) -> str:
        return f"{self.start:%Y-%m}"

    def next(self) -> Period:
        return month_of(self.end + timedelta(days=1))

    def previous(self) -> Period:
        return month_of(self.start - timedelta(days=1))

    def as_dict(self) -> dict[str, str]:
        return {"period": self.key, "start": self.start.isoformat(), "end": self.end.isoformat()}


def month_of(day: date) -> Period:
    last = calendar.monthrange(day.year, day.month)[1]
    return Period(date(day.year, day.month, 1), date(day.year, day.month, last))


def parse_period(text: str) -> Period:
    """``2025-03`` (a month) or ``2025-03-31`` (a date inside it) -> that month's period."""
    m = _PERIOD_RE.match(text.strip())
    if not m:
        raise CostcloseError(f"period {text!r} is not YYYY-MM or YYYY-MM-DD (for example 2025-03)")
    year, month = int(m.group(1)), int(m.group(2))
    if not 1 <= month <= 12:
        raise CostcloseError(f"period {text!r}: month must be 01..12")
    return month_of(date(year, month, 1))


def period_for_run(period_end: str | None, data_interval_start: datetime | None) -> Period:
    """The period a close run works on: an explicit ``period_end`` wins, else the data interval's month."""
    if period_end:
        return parse_period(period_end)
    if data_interval_start is None:
        raise CostcloseError("a manual run needs a period_end (YYYY-MM): it has no data interval")
    return month_of(data_interval_start.date())


def periods_between(first: str, last: str) -> list[Period]:
    """Every period from ``first`` to ``last`` inclusive, in order (for backfills)."""
    start, stop = parse_period(first), parse_period(last)
    if stop < start:
        raise CostcloseError(f"--from {first} is after --to {last}")
    out = [start]
    while out[-1] < stop:
        out.append(out[-1].next())
    return out

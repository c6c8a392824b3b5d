from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from costclose.errors import CostcloseError
from costclose.period import parse_period, period_for_run, periods_between


def test_parse_period_month_and_date() -> None:
    p = parse_period("2024-02")
    assert (p.start, p.end, p.key) == (date(2024, 2, 1), date(2024, 2, 29), "2024-02")
    assert parse_period("2025-12-15").end == date(2025, 12, 31)


@pytest.mark.parametrize("bad", ["2025", "2025-13", "25-01", "march", ""])
def test_bad_periods_are_refused_with_the_expected_format(bad: str) -> None:
    with pytest.raises(CostcloseError, match=r"YYYY-MM|month must be"):
        parse_period(bad)


def test_run_period_prefers_explicit_then_data_interval() -> None:
    interval = datetime(2025, 5, 1, 3, tzinfo=UTC)
    assert period_for_run("2025-01", interval).key == "2025-01"
    assert period_for_run(None, interval).key == "2025-05"
    with pytest.raises(CostcloseError, match="period_end"):
        period_for_run(None, None)


def test_periods_between_crosses_the_year_end() -> None:
    keys = [p.key for p in periods_between("2024-11", "2025-02")]
    assert keys == ["2024-11", "2024-12", "2025-01", "2025-02"]
    with pytest.raises(CostcloseError):
        periods_between("2025-03", "2025-01")

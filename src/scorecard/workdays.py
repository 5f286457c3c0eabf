"""The official Chinese working-day calendar, for working-day and business-hours windows.

Weekends and public holidays are skipped and adjusted working days (调休) are
counted, as published by the State Council and kept by the ``holidays``
package. This module only answers "which days are working days"; turning
that into deadlines is :mod:`scorecard.clock`'s job.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

# ``holidays`` is imported where a calendar is made: loading its countries takes about 0.2 s, paid
# otherwise by every command at start-up, the many that never count working days too.


def covered_years() -> range:
    """Years for which the official holiday and 调休 schedule is published in the package."""
    from holidays.countries.china import ChinaStaticHolidays

    years = sorted(ChinaStaticHolidays.special_public_holidays)
    return range(years[0], years[-1] + 1)


@lru_cache(maxsize=32)
def working_days(first: date, last: date) -> tuple[bool, ...]:
    """For each day from ``first`` to ``last`` (both included): is it a working day?

    A loop over days, not tickets: a few thousand calls at most, cached.
    """
    import holidays

    cn = holidays.China(years=range(first.year, last.year + 1))
    return tuple(cn.is_working_day(first + timedelta(d)) for d in range((last - first).days + 1))

"""The official Chinese working-day calendar, for working-day windows ("2wd").

Weekends and public holidays are skipped and adjusted working days (调休) are
counted, as published by the State Council and kept by the ``holidays``
package. Deadlines are computed by lookup tables joined in polars, not by a
Python loop over tickets.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays
import polars as pl
from holidays.countries.china import ChinaStaticHolidays


def covered_years() -> range:
    """Years for which the official holiday and 调休 schedule is published in the package."""
    years = sorted(ChinaStaticHolidays.special_public_holidays)
    return range(years[0], years[-1] + 1)


@lru_cache(maxsize=8)
def _calendar(first: date, last: date) -> pl.DataFrame:
    cn = holidays.China(years=range(first.year, last.year + 1))
    days = [first + timedelta(d) for d in range((last - first).days + 1)]
    working = [cn.is_working_day(d) for d in days]
    return pl.DataFrame({"day": days, "working": working}, schema={"day": pl.Date, "working": pl.Boolean}).with_columns(
        ordinal=pl.col("working").cast(pl.Int32).cum_sum()
    )


def deadline_table(first: date, last: date, amount: int) -> pl.DataFrame:
    """Receipt day -> deadline (exclusive instant) for an ``amount``-working-day window.

    The deadline is the end of the ``amount``-th working day strictly after the
    day of receipt: a ticket received on a non-working day starts counting on
    the next working day (遇节假日顺延).
    """
    # Pad the end so that the n-th working day after ``last`` is in the table.
    cal = _calendar(first, last + timedelta(days=amount * 3 + 40))
    work = cal.filter("working").select(target_ordinal="ordinal", due_day="day")
    return (
        cal.filter(pl.col("day") <= last)
        .with_columns(target_ordinal=pl.col("ordinal") + amount)
        .join(work, on="target_ordinal", how="left")
        .select(
            receipt_day="day",
            deadline=(pl.col("due_day") + pl.duration(days=1)).cast(pl.Datetime("us")),
        )
    )


def is_working_day(day: date) -> bool:
    return bool(holidays.China(years=day.year).is_working_day(day))

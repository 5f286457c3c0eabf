"""Date-times and dates from text or native cells, to naive local time.

Formats are tried in order, each on the cells no earlier format could read,
so a file written in one format (the usual case) costs one vectorised
``strptime`` over the column. Month, day and hour may have one digit
(``2026/3/5 9:00``, as Excel writes them in a Chinese locale). A value with an
offset or ``Z`` is converted to the configured zone, then made naive like
every other timestamp in scorecard.

A date column also takes a date-time at exactly 00:00 (Excel and many
exports write dates that way); any other time of day is an error rather
than silently cut off. A date-time column takes a date alone as 00:00 of
that day: an Excel cell formatted as a date reaches scorecard as a
date-time at 00:00, indistinguishable from one typed with its time, so the
same text in a CSV file is read the same way (docs/inputs.md, "Dates and
times in Excel cells").
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import polars as pl

DATETIME = pl.Datetime("us")

# Plain formats first: polars parses them several times faster than ones with %.f.
_NAIVE = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y/%m/%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S%.f",
)
# %#z reads Z, +08:00, +0800 and +08.
_WITH_OFFSET = (
    "%Y-%m-%dT%H:%M:%S%.f%#z",
    "%Y-%m-%dT%H:%M%#z",
    "%Y-%m-%d %H:%M:%S%.f%#z",
    "%Y-%m-%d %H:%M%#z",
)
_DATES = ("%Y-%m-%d", "%Y/%m/%d")


def parse_datetime_text(text: pl.Series, timezone: str) -> pl.Series:
    """Naive Datetime("us"); null where the text is null or in no accepted format."""
    steps: list[_Step] = [partial(_naive, fmt=f) for f in _NAIVE]
    steps += [partial(_with_offset, fmt=f, timezone=timezone) for f in _WITH_OFFSET]
    steps += [partial(_midnight, fmt=f) for f in _DATES]  # last: only cells nothing else read
    return _try_in_turn(text, steps)


def parse_date_text(text: pl.Series, timezone: str) -> tuple[pl.Series, pl.Series]:
    """(Date values, mask of cells holding a date-time with a time of day)."""
    dates = _try_in_turn(text, [partial(_date, fmt=f) for f in _DATES])
    has_time = pl.repeat(False, text.len(), eager=True)
    rest = (dates.is_null() & text.is_not_null()).arg_true()
    if rest.len():
        stamps = parse_datetime_text(text.gather(rest), timezone)
        sub_dates, sub_has_time = date_from_datetime(stamps)
        ok = sub_dates.is_not_null()
        dates.scatter(rest.filter(ok), sub_dates.filter(ok))
        has_time.scatter(rest.filter(sub_has_time), True)
    return dates, has_time


def date_from_datetime(stamps: pl.Series) -> tuple[pl.Series, pl.Series]:
    """(Dates of the stamps at 00:00, mask of stamps with a time of day)."""
    frame = stamps.to_frame("t").select(
        date=pl.when(pl.col("t").dt.time() == pl.time(0)).then(pl.col("t").dt.date()),
        has_time=(pl.col("t").dt.time() != pl.time(0)).fill_null(False),
    )
    return frame.get_column("date"), frame.get_column("has_time")


def native_datetime(values: pl.Series, timezone: str) -> pl.Series:
    """A Datetime column (Parquet, Excel) as naive local time in microseconds."""
    dtype = values.dtype
    if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
        values = values.dt.convert_time_zone(timezone).dt.replace_time_zone(None)
    return values.cast(DATETIME)


_Step = Callable[[pl.Series], pl.Series]
# No cache of the distinct texts (cache=False): time stamps are mostly distinct, and filling the
# cache cost more than it saved; the values are the same either way.


def _naive(text: pl.Series, fmt: str) -> pl.Series:
    return text.str.strptime(DATETIME, fmt, strict=False, cache=False)


def _with_offset(text: pl.Series, fmt: str, timezone: str) -> pl.Series:
    aware = text.str.to_datetime(fmt, time_unit="us", strict=False, cache=False)
    return aware.dt.convert_time_zone(timezone).dt.replace_time_zone(None)


def _date(text: pl.Series, fmt: str) -> pl.Series:
    return text.str.strptime(pl.Date, fmt, strict=False, cache=False)


def _midnight(text: pl.Series, fmt: str) -> pl.Series:
    return _date(text, fmt).cast(DATETIME)


def _try_in_turn(text: pl.Series, steps: list[_Step]) -> pl.Series:
    """Apply each parser to the cells still unread; the first success wins."""
    out = steps[0](text)
    todo = out.is_null() & text.is_not_null()
    for step in steps[1:]:
        where = todo.arg_true()
        if where.len() == 0:
            break
        parsed = step(text.gather(where))
        ok = parsed.is_not_null()
        out.scatter(where.filter(ok), parsed.filter(ok))
        todo.scatter(where.filter(ok), False)
    return out

"""The service clock: every deadline of a ticket, as polars expressions and joins.

A window is measured on one of three clocks (docs/service-clock.md):

- clock hours (``"24h"``): every instant counts;
- working days (``"2wd"``): whole working days of the official calendar count,
  starting the day after receipt, so the deadline is the end of the N-th
  working day after the day of receipt;
- business hours (``"8bh"``): only ``[general] business_hours`` of working days count.

Each clock is a *reading*: a monotone map from an instant to the amount of
counted time (integer microseconds) since a fixed origin, made of integer
arithmetic and lookups in small per-day arrays. A deadline is then "the
earliest instant whose reading is the start's reading plus the window" —
the inverse of the reading — so no Python code ever runs per ticket.

Pauses (the ``pauses`` table) stop the clock. Sorted by start, pause *k*
moves the deadline later by its counted length when it begins before the
deadline as moved by the pauses before it. Because pauses of one ticket do
not overlap, ``reading(start_k) - (counted length of the pauses before k)``
never decreases with *k*, so "begins before the moved deadline" is one
vectorised comparison per pause and the moved deadline one sum per ticket.
A pause still open pushes the deadline out of reach (null).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import polars as pl

from scorecard.config import Window
from scorecard.periods import Period
from scorecard.workdays import working_days

MICROS_PER_HOUR = 3_600_000_000
MICROS_PER_DAY = 24 * MICROS_PER_HOUR
_INT = pl.Int64


@dataclass(frozen=True, slots=True)
class DeadlineSpec:
    """One deadline per ticket: ``column`` = the window of the ticket's category, counted from ``origin``."""

    column: str
    origin: str  # a timestamp column of the tickets
    windows: Mapping[str, Window]  # category -> window


@dataclass(frozen=True, slots=True)
class Calendar:
    """Working days from ``first_day`` on, as arrays indexed by day (0 = ``first_day``)."""

    first_day: int  # days since 1970-01-01
    working: pl.Series  # Int64 0/1 per day
    before: pl.Series  # Int64 per day (one longer): working days strictly before the day
    workdays: pl.Series  # Int64: day numbers (since 1970-01-01) of the working days, in order

    @classmethod
    def build(cls, first: date, last: date, spare: int) -> Calendar:
        """Every day from ``first`` to ``last``, and at least ``spare`` working days after ``last``."""
        end = last + timedelta(days=2 * spare + 30)
        while True:
            flags = working_days(first, end)
            after = sum(flags[(last - first).days + 1 :])
            if after >= spare:
                break
            end += timedelta(days=2 * (spare - after) + 30)
        epoch = date(1970, 1, 1)
        first_day = (first - epoch).days
        working = pl.Series(flags, dtype=_INT)
        before = pl.concat([pl.Series([0], dtype=_INT), working.cum_sum()])
        workdays = pl.Series([first_day + i for i, w in enumerate(flags) if w], dtype=_INT)
        return cls(first_day, working, before, workdays)


class _Clock:
    def reading(self, at: pl.Expr) -> pl.Expr:
        raise NotImplementedError

    def origin(self, at: pl.Expr) -> pl.Expr:
        """The reading from which a window starting at ``at`` counts."""
        return self.reading(at)

    def instant(self, value: pl.Expr) -> pl.Expr:
        """The earliest instant whose reading is ``value``."""
        raise NotImplementedError

    def length(self, window: Window) -> int:
        raise NotImplementedError


class _Hours(_Clock):
    def reading(self, at: pl.Expr) -> pl.Expr:
        return at.dt.epoch("us")

    def instant(self, value: pl.Expr) -> pl.Expr:
        return pl.from_epoch(value, time_unit="us")

    def length(self, window: Window) -> int:
        return window.amount * MICROS_PER_HOUR


class _Days(_Clock):
    """Counts ``[opens, closes)`` of each working day: the whole day for working-day windows."""

    def __init__(self, calendar: Calendar, opens: int, closes: int, from_next_day: bool) -> None:
        self.cal = calendar
        self.opens, self.closes = opens, closes
        self.span = closes - opens
        self.from_next_day = from_next_day

    def _index(self, at: pl.Expr) -> pl.Expr:
        return at.dt.epoch("us").floordiv(MICROS_PER_DAY) - self.cal.first_day

    def reading(self, at: pl.Expr) -> pl.Expr:
        us = at.dt.epoch("us")
        index = self._index(at)
        time_of_day = us - (index + self.cal.first_day) * MICROS_PER_DAY
        inside = (time_of_day - self.opens).clip(0, self.span)
        return pl.lit(self.cal.before).gather(index) * self.span + pl.lit(self.cal.working).gather(index) * inside

    def origin(self, at: pl.Expr) -> pl.Expr:
        if not self.from_next_day:
            return self.reading(at)
        # a working-day window starts counting the day after receipt
        return pl.lit(self.cal.before).gather(self._index(at) + 1) * self.span

    def instant(self, value: pl.Expr) -> pl.Expr:
        # a reading that is a whole number of days is reached when the previous working day closes
        whole, rest = value.floordiv(self.span), value.mod(self.span)
        at_close = rest == 0
        nth = pl.when(at_close).then(whole - 1).otherwise(whole)
        day = pl.lit(self.cal.workdays).gather(nth)
        offset = pl.when(at_close).then(pl.lit(self.closes, _INT)).otherwise(self.opens + rest)
        return pl.from_epoch(day * MICROS_PER_DAY + offset, time_unit="us")

    def length(self, window: Window) -> int:
        return window.amount * (self.span if window.unit == "wd" else MICROS_PER_HOUR)


@dataclass(frozen=True, slots=True)
class ClockSettings:
    business_minutes: tuple[int, int]  # opening and closing, minutes after midnight


def _clocks(units: Collection[str], calendar: Callable[[], Calendar], settings: ClockSettings) -> dict[str, _Clock]:
    out: dict[str, _Clock] = {}
    for unit in units:
        if unit == "h":
            out[unit] = _Hours()
        elif unit == "wd":
            out[unit] = _Days(calendar(), 0, MICROS_PER_DAY, from_next_day=True)
        else:
            opens, closes = (m * 60_000_000 for m in settings.business_minutes)
            out[unit] = _Days(calendar(), opens, closes, from_next_day=False)
    return out


def _by_category(windows: Mapping[str, Window], value: Callable[[Window], pl.Expr]) -> pl.Expr:
    distinct = set(windows.values())
    if len(distinct) == 1:
        return value(next(iter(distinct)))
    expr = pl.lit(None)
    for category, window in windows.items():
        expr = pl.when(pl.col("category") == category).then(value(window)).otherwise(expr)
    return expr


def _by_unit(clocks: Mapping[str, _Clock], value: Callable[[_Clock, pl.Expr], pl.Expr]) -> pl.Expr:
    """``value`` on the clock of each row (``_unit``); rows of other clocks see null, never an out-of-range lookup."""
    if len(clocks) == 1:
        ((_, clock),) = clocks.items()
        return value(clock, pl.lit(True))
    expr = pl.lit(None, _INT)
    for unit, clock in clocks.items():
        mine = pl.col("_unit") == unit
        expr = pl.when(mine).then(value(clock, mine)).otherwise(expr)
    return expr


def _masked(at: str, mine: pl.Expr) -> pl.Expr:
    return pl.when(mine).then(pl.col(at))


def _bounds(
    tickets: pl.LazyFrame, specs: Sequence[DeadlineSpec], pauses: pl.DataFrame | None, period: Period
) -> tuple[date, date]:
    """The days every reading may fall on: the period, the stages' start columns, the pauses."""
    lo, hi = period.start - timedelta(days=1), period.end
    found: list[datetime | None] = []
    origins = sorted({s.origin for s in specs} - {"received_at"})
    if origins:
        row = tickets.select(
            pl.min_horizontal(*(pl.col(c).min() for c in origins)).alias("lo"),
            pl.max_horizontal(*(pl.col(c).max() for c in origins)).alias("hi"),
        ).collect()
        found += row.row(0)
    if pauses is not None and pauses.height:
        found += [pauses.get_column("paused_at").min(), pauses.get_column("paused_at").max()]  # type: ignore[list-item]
        found += [pauses.get_column("resumed_at").min(), pauses.get_column("resumed_at").max()]  # type: ignore[list-item]
    seen = [f for f in found if f is not None]
    lo, hi = min([lo, *seen]), max([hi, *seen])
    return lo.date() - timedelta(days=1), hi.date() + timedelta(days=1)


def with_deadlines(
    tickets: pl.LazyFrame,
    specs: Sequence[DeadlineSpec],
    pauses: pl.DataFrame | None,
    period: Period,
    settings: ClockSettings,
) -> pl.LazyFrame:
    """``tickets`` (``ticket_id``, ``category`` and each spec's origin column) with one Datetime column per spec.

    ``pauses`` has ``ticket_id``, ``paused_at``, ``resumed_at`` (null: still paused),
    validated: no two pauses of a ticket overlap. A deadline is null when a pause
    that began before it is still open.
    """
    pauses = pauses if pauses is not None and pauses.height else None
    units = {w.unit for s in specs for w in s.windows.values()}
    built: list[Calendar] = []

    def calendar() -> Calendar:
        if not built:
            first, last = _bounds(tickets, specs, pauses, period)
            spare = max((w.amount for s in specs for w in s.windows.values() if w.unit == "wd"), default=0)
            opens, closes = settings.business_minutes
            hours = max((w.amount for s in specs for w in s.windows.values() if w.unit == "bh"), default=0)
            spare = max(spare, -(-hours * 60 // (closes - opens))) + 2
            built.append(Calendar.build(first, last, spare))
        return built[0]

    clocks = _clocks(units, calendar, settings)
    for spec in specs:
        tickets = _with_deadline(
            tickets, spec, pauses, {u: clocks[u] for u in sorted({w.unit for w in spec.windows.values()})}
        )
    return tickets


def _with_deadline(
    tickets: pl.LazyFrame, spec: DeadlineSpec, pauses: pl.DataFrame | None, clocks: Mapping[str, _Clock]
) -> pl.LazyFrame:
    origin = pl.col(spec.origin)
    lf = tickets.with_columns(
        _unit=_by_category(spec.windows, lambda w: pl.lit(w.unit)),
        _from=_by_category(spec.windows, lambda w: clocks[w.unit].origin(origin)),
        _length=_by_category(spec.windows, lambda w: pl.lit(clocks[w.unit].length(w), _INT)),
    ).with_columns(_due=pl.col("_from") + pl.col("_length"))
    if pauses is not None:
        moved = _moved_by_pauses(lf.select("ticket_id", "_unit", "_from", "_due"), pauses, clocks)
        lf = lf.join(moved, on="ticket_id", how="left", maintain_order="left").with_columns(
            _due=pl.when(pl.col("_open").fill_null(False))
            .then(None)
            .otherwise(pl.col("_due") + pl.col("_moved").fill_null(0))
        )
    due = _by_unit(clocks, lambda c, mine: c.instant(pl.when(mine).then(pl.col("_due"))))
    lf = lf.with_columns(due.cast(pl.Datetime("us")).alias(spec.column))
    return lf.drop("_unit", "_from", "_length", "_due", *(["_moved", "_open"] if pauses is not None else []))


def _moved_by_pauses(due: pl.LazyFrame, pauses: pl.DataFrame, clocks: Mapping[str, _Clock]) -> pl.LazyFrame:
    """Per paused ticket: how much counted time the pauses add (``_moved``), and whether an open one counts."""
    start = _by_unit(clocks, lambda c, mine: c.reading(_masked("paused_at", mine)))
    end = _by_unit(clocks, lambda c, mine: c.reading(_masked("resumed_at", mine)))
    # only the part of a pause after the window's start counts
    length = (end - pl.max_horizontal(start, pl.col("_from"))).clip(lower_bound=0)
    counted = pl.col("_length_p").fill_null(0)
    return (
        pauses.lazy()
        .select("ticket_id", "paused_at", "resumed_at")
        .join(due, on="ticket_id", how="inner")
        .with_columns(_start=start, _length_p=length)
        .sort("ticket_id", "paused_at")
        .with_columns(_before=(counted.cum_sum() - counted).over("ticket_id"))
        .filter(pl.col("_start") - pl.col("_before") < pl.col("_due"))
        .group_by("ticket_id")
        .agg(_moved=counted.sum(), _open=pl.col("_length_p").is_null().any())
    )


def ticket_state(done: pl.Expr, deadline: pl.Expr, cutoff: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """on_time / late / pending of one deadline (the bound included).

    Done at or before the deadline is on time; done after it, or not done with
    the deadline at or before the cut-off, is late; otherwise pending. A null
    deadline (a pause still open) is never reached: on time when done, pending
    when not.
    """
    return (
        pl.when(done.is_not_null() & (deadline.is_null() | (done <= deadline)))
        .then(pl.lit("on_time", dtype=dtype))
        .when(done.is_not_null() | (deadline <= cutoff))
        .then(pl.lit("late", dtype=dtype))
        .otherwise(pl.lit("pending", dtype=dtype))
    )

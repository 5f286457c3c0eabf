"""Periods: calendar months written ``YYYY-MM``, and their bounds in local time."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from scorecard.i18n import t

_PERIOD_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True, slots=True, order=True)
class Period:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Period:
        m = _PERIOD_RE.match(text.strip())
        if not m:
            raise ValueError(t("not_a_period", text=repr(text)))
        return cls(int(m.group(1)), int(m.group(2)))

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def next(self) -> Period:
        return Period(self.year + self.month // 12, self.month % 12 + 1)

    def prev(self) -> Period:
        return Period(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def shift(self, months: int) -> Period:
        index = self.year * 12 + (self.month - 1) + months
        return Period(index // 12, index % 12 + 1)

    @property
    def start(self) -> datetime:
        """First instant of the month, naive local time."""
        return datetime(self.year, self.month, 1)  # noqa: DTZ001 - naive local time by design (docs/metrics-and-rules.md#periods)

    @property
    def end(self) -> datetime:
        """First instant of the next month, naive local time (exclusive bound)."""
        return self.next().start

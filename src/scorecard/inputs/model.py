"""The records loading produces: tables in flight, and the period's result."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from scorecard.inputs.schema import Table
from scorecard.issues import Issues
from scorecard.periods import Period


@dataclass(frozen=True, slots=True)
class LoadedTable:
    name: str
    source: str | None  # file name as shown in messages, e.g. "complaints.csv"; None when absent
    sha256: str | None  # of the file bytes
    frame: pl.DataFrame  # every canonical column (typed, defaults filled) + "_line" (Int64)
    given: frozenset[str]  # canonical columns present in the file (e.g. whether first_reply_at was given)


@dataclass(frozen=True, slots=True)
class PeriodInputs:
    period: Period
    folder: Path
    tables: dict[str, LoadedTable]  # every table of schema.TABLES; an absent optional table is empty
    issues: Issues  # all errors and warnings
    # rows typed but not assessed (tickets and conduct events outside the month, surveys of
    # C-mode partners), kept for the record
    left_out: dict[str, pl.DataFrame] = dataclasses.field(default_factory=dict)


def bad_flag(name: str) -> str:
    """Column of a staged frame marking the cells of ``name`` that failed to parse."""
    return f"_bad_{name}"


@dataclass(frozen=True, slots=True)
class StagedTable:
    """A table typed but not yet checked against the others.

    ``frame`` also carries ``_bad_<column>`` flags for columns with unreadable
    cells, so a cross-table check can tell an empty cell from a bad one (the bad
    one is already reported) and the flags stay aligned when rows are dropped.
    """

    table: Table
    source: str | None
    sha256: str | None
    frame: pl.DataFrame
    given: frozenset[str]
    labels: dict[str, str]  # canonical name -> how messages name the column
    # keys of rows left out before typing (a terminated partner's tickets): rows elsewhere that
    # refer to them are left out too, not reported as unknown
    excluded_keys: pl.Series | None = None

    def label(self, name: str) -> str:
        return self.labels.get(name, name)

    def has(self, *names: str) -> bool:
        """The file was read and has these columns: checks on them mean something."""
        return self.source is not None and all(n in self.given for n in names)

    def readable(self, name: str) -> pl.Expr:
        """True where the cell of ``name`` did not fail to parse."""
        flag = bad_flag(name)
        return ~pl.col(flag) if flag in self.frame.columns else pl.lit(True)

    def with_frame(self, frame: pl.DataFrame) -> StagedTable:
        return dataclasses.replace(self, frame=frame)

    def loaded(self) -> LoadedTable:
        frame = self.frame.select(*self.table.names, "_line")
        return LoadedTable(self.table.name, self.source, self.sha256, frame, self.given)

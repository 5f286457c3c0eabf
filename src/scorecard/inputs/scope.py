"""Rows that are valid but not part of this assessment: left out, with a warning.

At scale a month can hold thousands of such rows (a late export, a
terminated partner's backlog), so warnings are aggregated: one per file and
reason (per partner for terminated partners) with a count and the first
few line numbers.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from scorecard.inputs.model import StagedTable
from scorecard.issues import Issue, Severity
from scorecard.periods import Period
from scorecard.report.shown import shown

_LINES_SHOWN = 5


def left_out(source: str, column: str | None, rows: pl.DataFrame, noun: tuple[str, str], why: str) -> Issue:
    """One warning for ``rows``: '3 tickets received outside 2026-03, left out (lines 4, 9, 12)'."""
    n = rows.height
    lines = rows.get_column("_line").head(_LINES_SHOWN).to_list()
    shown = ", ".join(map(str, lines)) + (f" and {n - len(lines)} more" if n > len(lines) else "")
    where = f"line {shown}" if n == 1 else f"lines {shown}"
    text = f"{n} {noun[0] if n == 1 else noun[1]} {why}, left out ({where})"
    return Issue(source, lines[0] if n == 1 else None, column, text, None, Severity.WARNING)


def split_excluded(
    frame: pl.DataFrame, excluded: Mapping[str, str], source: str, column: str
) -> tuple[pl.DataFrame, list[Issue]]:
    """Rows of partners excluded from this period (terminated earlier), one warning per partner."""
    if not excluded or frame.height == 0:
        return frame, []
    ids = list(excluded)
    hit = pl.col("partner_id").is_in(ids).fill_null(False)
    dropped = frame.filter(hit)
    if dropped.height == 0:
        return frame, []
    warnings = [
        left_out(source, column, rows, ("row", "rows"), f"of partner '{shown(pid)}' ({excluded[pid]})")
        for (pid,), rows in dropped.select("partner_id", "_line").group_by("partner_id", maintain_order=True)
    ]
    return frame.filter(~hit), sorted(warnings, key=Issue.sort_key)


def tickets_in_period(complaints: StagedTable, period: Period) -> tuple[StagedTable, list[Issue]]:
    """A ticket belongs to the period of its received_at (SPEC §2)."""
    if not complaints.has("received_at"):
        return complaints, []
    at = pl.col("received_at")
    outside = at.is_not_null() & ((at < period.start) | (at >= period.end))
    return _drop(complaints, outside, "received_at", ("ticket", "tickets"), f"received outside {period}")


def conduct_in_period(conduct: StagedTable, period: Period) -> tuple[StagedTable, list[Issue]]:
    if not conduct.has("occurred_on"):
        return conduct, []
    on = pl.col("occurred_on")
    outside = on.is_not_null() & ((on < period.start.date()) | (on >= period.end.date()))
    return _drop(conduct, outside, "occurred_on", ("event", "events"), f"outside {period}")


def surveys_of_emp(surveys: StagedTable, partners: StagedTable) -> tuple[StagedTable, list[Issue]]:
    """Revisit surveys are an EMP measure; a survey of a C-mode partner is not scored."""
    if not (surveys.has("partner_id") and partners.has("partner_id", "mode")):
        return surveys, []
    c_mode = partners.frame.filter(pl.col("mode") == "C").get_column("partner_id")
    return _drop(
        surveys,
        pl.col("partner_id").is_in(c_mode.implode()),
        "partner_id",
        ("survey", "surveys"),
        "of C-mode partners",
    )


def _drop(
    staged: StagedTable, condition: pl.Expr, column: str, noun: tuple[str, str], why: str
) -> tuple[StagedTable, list[Issue]]:
    condition = condition.fill_null(False)
    rows = staged.frame.filter(condition)
    if rows.height == 0:
        return staged, []
    warning = left_out(staged.source or "", staged.label(column), rows, noun, why)
    return staged.with_frame(staged.frame.filter(~condition)), [warning]

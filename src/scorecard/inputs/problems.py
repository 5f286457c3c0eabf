"""Error rows to capped Issues.

A check hands over the offending rows as a frame; only the first ``cap`` rows of
each check are ever turned into messages, so a column of ten million bad cells
costs one filter, not ten million Python strings. Which errors are shown is
decided once at the end, in the order they are printed (``Issue.sort_key``):
every check contributes its first ``cap`` rows in line order, so the first
``cap`` of the union are exactly the first ``cap`` overall.
"""

from __future__ import annotations

from collections import Counter

import polars as pl

from scorecard.i18n import tn
from scorecard.issues import Issue


class ErrorSink:
    """Collects errors from every check, remembers how many there were in total."""

    def __init__(self, cap: int, summary_source: str) -> None:
        self._cap = max(cap, 0)
        self._summary_source = summary_source  # used when the dropped errors span several files
        self._shown: list[Issue] = []
        self._totals: Counter[str] = Counter()

    def add(self, source: str, line: int | None, column: str | None, message: str, expected: str | None = None) -> None:
        self._totals[source] += 1
        self._shown.append(Issue(source, line, column, message, expected))

    def add_issue(self, issue: Issue) -> None:
        self._totals[issue.source] += 1
        self._shown.append(issue)

    def add_rows(
        self,
        source: str,
        column: str | None,
        rows: pl.DataFrame,
        message: pl.Expr,
        expected: str | None = None,
    ) -> None:
        """One error per row of ``rows`` (in line order, with ``_line``).

        ``message`` is an expression evaluated on the first ``cap`` rows only.
        """
        if rows.height == 0:
            return
        self._totals[source] += rows.height
        head = rows.head(self._cap).select(pl.col("_line"), message.alias("_message"))
        for line, text in head.iter_rows():
            self._shown.append(Issue(source, line, column, text, expected))

    @property
    def count(self) -> int:
        return sum(self._totals.values())

    def issues(self) -> list[Issue]:
        """The first ``cap`` errors in print order, then one line with the count of the rest."""
        ordered = sorted(self._shown, key=Issue.sort_key)
        kept = ordered[: self._cap]
        dropped = self._totals - Counter(i.source for i in kept)
        rest = sum(dropped.values())
        if rest:
            sources = sorted(dropped)
            source = sources[0] if len(sources) == 1 else self._summary_source
            by_file = "" if len(sources) == 1 else " (" + ", ".join(f"{s}: {dropped[s]}" for s in sources) + ")"
            kept.append(Issue(source, None, None, tn("more_errors", rest, cap=self._cap, by_file=by_file)))
        return kept

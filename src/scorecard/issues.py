"""Problems found in inputs or configuration, collected as values.

Validation never raises on bad input: it collects :class:`Issue` values and
the CLI prints them all as ``file:line: column: message (expected …)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum

from scorecard.i18n import t
from scorecard.report.shown import shown


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Issue:
    source: str  # file name relative to the period folder (or config path)
    line: int | None  # line a person sees when opening the file; header = 1
    column: str | None
    message: str
    expected: str | None = None
    severity: Severity = Severity.ERROR
    key: str | None = None  # the id of the record it is about (ticket_id, refund_id, partner_id)
    # how the terminal groups warnings of one kind: (noun, plural noun, what happened)
    group: tuple[str, str, str] | None = None

    def __str__(self) -> str:
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        parts = [where]
        if self.column:
            parts.append(self.column)
        if self.key is not None:
            parts.append(shown(self.key))  # a record id from the inputs: data, shown as such
        text = self.message + (t("expected", expected=self.expected) if self.expected else "")
        return ": ".join([*parts, text])

    def as_json(self) -> dict[str, object]:
        """As manifest.json lists a warning: one object per record."""
        return {"file": self.source, "line": self.line, "column": self.column, "key": self.key, "message": self.message}

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def sort_key(self) -> tuple[str, int, str, str]:
        return (self.source, self.line or 0, self.column or "", self.message)


class Issues:
    """An ordered collection of issues; errors and warnings together."""

    def __init__(self, items: Iterable[Issue] = ()) -> None:
        self._items: list[Issue] = list(items)

    def add(self, issue: Issue) -> None:
        self._items.append(issue)

    def error(
        self, source: str, line: int | None, column: str | None, message: str, expected: str | None = None
    ) -> None:
        self._items.append(Issue(source, line, column, message, expected))

    def warning(
        self, source: str, line: int | None, column: str | None, message: str, expected: str | None = None
    ) -> None:
        self._items.append(Issue(source, line, column, message, expected, Severity.WARNING))

    def extend(self, other: Iterable[Issue]) -> None:
        self._items.extend(other)

    def __iter__(self) -> Iterator[Issue]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    @property
    def errors(self) -> list[Issue]:
        return sorted((i for i in self._items if i.is_error), key=Issue.sort_key)

    @property
    def warnings(self) -> list[Issue]:
        return sorted((i for i in self._items if not i.is_error), key=Issue.sort_key)

    @property
    def has_errors(self) -> bool:
        return any(i.is_error for i in self._items)


SHOWN_PER_GROUP = 5


def grouped(warnings: Iterable[Issue]) -> list[str]:
    """Warnings about many records of one kind on one line each, naming the records:
    "complaints.csv: 2 tickets received outside 2026-01, left out: T1 (line 111), T2 (line 112)"."""
    groups: dict[tuple[str, str | None, tuple[str, str, str]], list[Issue]] = {}
    out: list[str] = []
    for w in warnings:
        if w.group is None or w.key is None:
            out.append(str(w))
            continue
        groups.setdefault((w.source, w.column, w.group), []).append(w)
    for (source, column, (noun, plural, why)), items in groups.items():
        head = items[:SHOWN_PER_GROUP]
        named = t("list_sep").join(t("key_on_line", key=shown(w.key), line=w.line) for w in head)
        if len(items) > len(head):
            named += t("and_more", count=len(items) - len(head))
        where = f"{source}: {column}" if column else source
        things = noun if len(items) == 1 else plural
        out.append(t("grouped_warning", where=where, count=len(items), things=things, why=why, named=named))
    return out


class InputError(Exception):
    """Raised at a stage boundary when inputs or configuration have errors.

    Carries the collected issues; the CLI prints them and exits with code 1.
    """

    def __init__(self, issues: Issues | list[Issue], summary: str = "input errors") -> None:
        self.issues = issues if isinstance(issues, Issues) else Issues(issues)
        super().__init__(summary)

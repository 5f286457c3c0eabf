"""A table's rows written in one loop give the very workbook that writing each cell with
Sheet.value gives: the same cells, formats (made in the same order), widths and print area."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

import pytest

from scorecard.report.xlsx import Book, Cell, Col, Kind, Sheet

CREATED = datetime(2026, 4, 1, 8, 0, 0)  # noqa: DTZ001 - a workbook's stored creation time
COLS = [
    Col("id"),
    Col("名称 name"),
    Col("amount", "money"),
    Col("share", "pct"),
    Col("score", "dec2"),
    Col("day", "date"),
    Col("at", "datetime"),
    Col("fixed width", "text", 12),
]
ROWS: list[list[Any]] = [
    ["SI-1", "华东服务有限公司", 123450, 0.05, 91.5, date(2026, 3, 1), datetime(2026, 3, 1, 8, 30), "x"],  # noqa: DTZ001
    ["=cmd", "+1", -99, None, "", None, None, "a much longer text than twelve"],
    ["", None, 0, Cell("money", 100), Cell("text", "mixed"), Cell("text", "2026-03-01"), None, None],
    ["@x", "a " * 40, 10**12, 1, 0, date(2026, 1, 31), datetime(2026, 1, 31), "-"],  # noqa: DTZ001
]


def _cell_by_cell(s: Sheet, r: int, kinds: Sequence[Kind], rows: Iterable[Sequence[Any]]) -> int:
    """How a table's rows were written before the one-loop path: Sheet.value for every cell."""
    for row in rows:
        for c, (kind, v) in enumerate(zip(kinds, row, strict=True)):
            if isinstance(v, Cell):
                s.value(r, c, v.kind, v.value)
            else:
                s.value(r, c, kind, v)
        r += 1
    return r


def _book(monkeypatch: pytest.MonkeyPatch | None) -> bytes:
    book = Book("title", "DRAFT", CREATED)
    s = book.sheet("sheet", "heading")
    if monkeypatch is not None:
        monkeypatch.setattr(Sheet, "_bulk_fitted", _cell_by_cell)
    s.table(COLS, ROWS, totals=["total", "", 1, None, None, None, None, ""])
    s.caption("second")
    s.table(COLS[:3], [r[:3] for r in reversed(ROWS)], main=False)
    s.finish()
    if monkeypatch is not None:
        monkeypatch.undo()
    return book.to_bytes()


def test_one_loop_gives_the_cell_by_cell_workbook(monkeypatch: pytest.MonkeyPatch) -> None:
    fast = _book(None)
    slow = _book(monkeypatch)
    assert fast == slow
    assert len(fast) > 3000


def test_money_must_be_integer_fen() -> None:
    s = Book("t").sheet("s", "h")
    with pytest.raises(TypeError, match="integer fen"):
        s.table([Col("amount", "money")], [[1.5]])

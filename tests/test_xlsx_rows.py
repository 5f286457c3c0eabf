"""FastWorksheet stores and writes cells as xlsxwriter itself does: a workbook made with its bulk
row writer and its cell-XML loop has the very bytes of one made with xlsxwriter's own
write_string / write_number and _write_rows."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from typing import Any

import pytest
import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from scorecard.report.xlsx import Book, Cell, Col
from scorecard.report.xlsx_rows import FastWorksheet, _spans

CREATED = datetime(2026, 4, 1, 8, 0, 0)  # noqa: DTZ001 - a workbook's stored creation time
LONG = "长" * 20_000  # over xlsxwriter's 32,767 UTF-16 units only when counted twice: still whole
TOO_LONG = "x" * 40_000  # truncated by xlsxwriter
COLS = [Col("id"), Col("名称 name"), Col("amount", "money"), Col("share", "pct"), Col("day", "date"), Col("note")]
ROWS: list[list[Any]] = [
    ["SI-1", "华东 & <服务>", 123450, 0.05, date(2026, 3, 1), 'say "hi"'],
    ["=cmd", "+1", -99, None, None, "tab\there\x01ctl _x0041_"],
    ["", None, 0, Cell("money", 100), Cell("text", "mixed"), LONG],
    ["@x", "  spaced  ", 10**12, 1, datetime(2026, 1, 31, 23, 59), TOO_LONG],  # noqa: DTZ001
]


def _cell_by_cell(
    self: Worksheet, first_row: int, columns: list[list[Any]], formats: list[Any]
) -> tuple[int, int] | None:
    """What put_columns stands for: one write_string / write_number per cell, row by row."""
    last = None
    for i, values in enumerate(zip(*columns, strict=True)):
        for col, value in enumerate(values):
            fmt = formats[col][i] if isinstance(formats[col], list) else formats[col]
            if isinstance(value, str):
                self.write_string(first_row + i, col, value, fmt)
            elif value is not None:
                self.write_number(first_row + i, col, value, fmt)
            else:
                continue
            last = (first_row + i, max(col, last[1] if last else col))
    return last


def _book() -> bytes:
    book = Book("title & co", "DRAFT", CREATED, "prepared by a")
    s = book.sheet("first", "heading")
    s.table(COLS, ROWS * 9, totals=["total", "", 1, None, None, ""])
    s.caption("second")
    s.table(COLS[:3], [r[:3] for r in reversed(ROWS)], main=False, fit=False)
    s.ws.set_row(60, 30)  # a row with a height and no cells
    s.ws.set_row(5, None, book.fmt(bold=True))  # a row format: its cells without a format take it
    s.ws.set_column(7, 7, 12, book.fmt(italic=True))  # a column format, likewise
    s.ws.write_string(5, 7, "in a formatted row and column")
    s.ws.write_formula(6, 7, "=1+1", None, 2)  # a cell type the fast loop leaves to xlsxwriter
    s.ws.write_boolean(6, 8, True)
    # the widest block, columns without cells and one with a format per cell: the sheet's dimensions
    bold = book.fmt(bold=True)
    block: list[list[Any]] = [["a", None], [None, "b"], *([[None, None]] * 10), [2.5, 3.0]]
    formats: list[Any] = [None, [None, bold], *([None] * 10), bold]
    assert s.ws.put_columns(70, block, formats) == (71, 12)
    s.ws.put_columns(80, [[None], [None]], [None, None])  # no cell at all
    s.finish()
    t = book.sheet("second", "two")
    t.table([Col("n", "int")], [[i] for i in range(100)])
    t.finish()
    book.sheet("empty", "nothing but its heading").finish()
    return book.to_bytes()


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n) for n in z.namelist()}


def test_the_fast_worksheet_writes_xlsxwriters_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    fast = _book()
    monkeypatch.setattr(FastWorksheet, "_write_rows", Worksheet._write_rows)
    monkeypatch.setattr(FastWorksheet, "put_columns", _cell_by_cell)
    slow = _book()
    assert _members(fast) == _members(slow)
    assert fast == slow
    sheet = _members(fast)["xl/worksheets/sheet1.xml"].decode()
    assert '<c r="H7" s="1"><f>1+1</f><v>2</v></c>' in sheet
    assert '<row r="61" spans="1:3" ht="30" customHeight="1"/>' in sheet
    assert 'spans="1:6"' in sheet


def test_a_sheet_with_a_comment_is_written_by_xlsxwriter() -> None:
    def made(cls: type[Worksheet]) -> bytes:
        buffer = io.BytesIO()
        wb = xlsxwriter.Workbook(buffer, {"in_memory": True})
        ws = wb.add_worksheet("s", worksheet_class=cls)
        ws.write_string(0, 0, "a")
        ws.write_number(20, 3, 1.5)
        ws.write_comment(2, 5, "a comment")
        wb.set_properties({"created": CREATED})
        wb.close()
        return buffer.getvalue()

    assert made(FastWorksheet) == made(Worksheet)


def test_spans_are_each_block_of_16_rows_first_and_last_column() -> None:
    table: dict[int, dict[int, Any]] = {0: {2: None}, 15: {0: None, 4: None}, 16: {7: None}, 40: {}}
    assert _spans(table) == {0: "1:5", 1: "8:8"}


def test_shared_strings_are_written_as_xlsxwriter_writes_them() -> None:
    """The one-pass shared-strings writer against xlsxwriter's own, on random strings: escapes,
    white space at either end (ASCII and not), control characters, their look-alikes, rich runs."""
    import random

    from scorecard.report.xlsx_rows import _NOT_PLAIN, FastWorkbook

    pieces = [*"ab中文😀&<>\"' \t\n\r", "\x01", "\x1f", "_x0041_", "_x00", "<r>", "</r>", "\ufffe", "\u00a0", "\u3000"]
    pieces += ["\u200b", "x" * 40]

    def made(cls: type[Any], strings: list[str]) -> bytes:
        buffer = io.BytesIO()
        wb = cls(buffer, {"in_memory": True})
        ws = wb.add_worksheet("s")
        for i, s in enumerate(strings):
            ws.write_string(i // 3, i % 3, s)
        wb.set_properties({"created": CREATED})
        wb.close()
        return _members(buffer.getvalue())["xl/sharedStrings.xml"]

    rng = random.Random(20261201)
    plain = 0
    for case in range(400):
        tame = case % 2 == 0  # half from pieces that need no escape of xlsxwriter's own: the one-pass path
        escaped = ("\x01", "\x1f", "\r", "_x0041_", "_x00", "<r>", "\ufffe")
        choice = [p for p in pieces if p not in escaped] if tame else pieces
        strings = ["".join(rng.choices(choice, k=rng.randint(0, 6))) for _ in range(rng.randint(1, 30))]
        strings += rng.sample(strings, k=min(3, len(strings)))  # repeats: one shared string each
        fast, slow = made(FastWorkbook, strings), made(xlsxwriter.Workbook, strings)
        assert fast == slow, strings
        plain += not _NOT_PLAIN.search("".join(strings))
    assert plain >= 200

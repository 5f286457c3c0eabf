"""Worksheet cells in bulk: xlsxwriter's own cell store and XML, without its per-cell overhead.

A finance workbook of 10,000 partners has some 300,000 cells. xlsxwriter spends
most of its time on them twice: once per ``write_*`` call (argument
conversion, bounds and dimension checks, a named tuple) and once more per cell
when the workbook is closed (attribute lists, escaping, one file write per
element). :class:`FastWorksheet` keeps xlsxwriter's data model — the same
``table`` of the same cell tuples, the same shared-string table, formats
indexed in the same order — and only does the two hot loops in fewer steps:
:meth:`FastWorksheet.put_row` stores a row of strings and numbers at once,
and ``_write_rows`` writes the sheet's cells as the very XML xlsxwriter writes
(the tests compare the bytes). Anything it does not handle (comments, rich
strings, formulas, custom default row heights) goes to xlsxwriter's own code.
:class:`FastWorkbook` writes the shared strings (one per distinct text: a
statement's every ticket id) the same way: as xlsxwriter writes them, in one
pass, leaving to xlsxwriter any string that needs its escapes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from typing import Any

from xlsxwriter.packager import Packager
from xlsxwriter.sharedstrings import SharedStrings
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import CellDatetimeTuple, CellNumberTuple, CellStringTuple, Worksheet

# A string longer than this may exceed Excel's 32,767 UTF-16 units: xlsxwriter truncates it, so it
# takes xlsxwriter's path.
SHORT_STRING = 16_383
# What xlsxwriter writes a string's text with more than its XML escapes for: control characters and
# text that looks like their escape (_xHHHH_), the two non-characters, a rich string's "<r>" runs.
_NOT_PLAIN = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_|<r>")


class FastWorksheet(Worksheet):  # type: ignore[misc]  # xlsxwriter ships no type information
    """An xlsxwriter worksheet with a bulk row writer and a faster cell-XML loop (same bytes)."""

    def put_columns(
        self, first_row: int, columns: Sequence[Sequence[Any]], formats: Sequence[Any]
    ) -> tuple[int, int] | None:
        """Store a block of cells given column by column, from ``first_row`` down: a ``str`` as a
        shared string, a ``float`` as a number, ``None`` as no cell. A column's format is one
        format for all its cells, or a list of one per cell. The cells are stored row by row, in
        column order, exactly as that many ``write_string``/``write_number`` calls store them
        (shared strings numbered in that order). Returns the last row and column stored in, None
        when there is no cell."""
        used = [c for c, column in enumerate(columns) if any(v is not None for v in column)]
        if not used:
            return None
        cells = zip(*columns, strict=True)
        if first_row + len(columns[0]) > self.xls_rowmax or len(columns) > self.xls_colmax or self.constant_memory:
            return self._put_slowly(first_row, cells, formats)
        sst = self.str_table
        ids = sst.string_table
        table = self.table
        each = [isinstance(f, list) for f in formats]
        new, string_cell, number_cell, isfinite = tuple.__new__, CellStringTuple, CellNumberTuple, math.isfinite
        strings, first, last = 0, None, first_row
        for i, values in enumerate(cells):
            row = first_row + i
            stored = None
            for col, value in enumerate(values):
                if value is None:
                    continue
                if stored is None:
                    stored = table[row]
                fmt = formats[col][i] if each[col] else formats[col]
                if value.__class__ is str:
                    if len(value) > SHORT_STRING:
                        self.write_string(row, col, value, fmt)
                        continue
                    index = ids.get(value)
                    if index is None:
                        index = ids[value] = sst.unique_count
                        sst.unique_count += 1
                    strings += 1
                    stored[col] = new(string_cell, (index, fmt))
                elif isfinite(value):
                    stored[col] = new(number_cell, (value, fmt))
                else:
                    self.write_number(row, col, value, fmt)  # xlsxwriter's error, or its #NUM! option
            if stored is not None:
                if first is None:
                    first = row
                last = row
        sst.count += strings
        assert first is not None  # a used column has a value: its row was stored in
        self._check_dimensions(first, used[0])
        self._check_dimensions(last, used[-1])
        return last, used[-1]

    def _put_slowly(
        self, first_row: int, cells: Iterable[tuple[Any, ...]], formats: Sequence[Any]
    ) -> tuple[int, int] | None:
        last: tuple[int, int] | None = None
        for i, values in enumerate(cells):
            for col, value in enumerate(values):
                if value is None:
                    continue
                fmt = formats[col][i] if isinstance(formats[col], list) else formats[col]
                if isinstance(value, str):
                    self.write_string(first_row + i, col, value, fmt)
                else:
                    self.write_number(first_row + i, col, value, fmt)
                last = (first_row + i, max(col, last[1] if last else col))
        return last

    def _write_rows(self) -> None:
        if self.comments or self.default_row_height != self.original_row_height or self.excel_version != 2007:
            super()._write_rows()
            return
        if self.dim_rowmin is None:
            return
        table, row_info, col_info = self.table, self.row_info, self.col_info
        spans = _spans(table)
        self.row_spans = spans
        # ' s="N"' per format (formats hash by identity), N given when first written, as xlsxwriter does
        xf_of: dict[Any, str] = {}
        names = [xl_col_to_name(c) for c in range(self.dim_colmax + 1)]
        write = self.fh.write
        string_cell, number_cells = CellStringTuple, (CellNumberTuple, CellDatetimeTuple)
        for row_num in range(self.dim_rowmin, self.dim_rowmax + 1):
            cells = table.get(row_num)
            info = row_info.get(row_num)
            if not cells:
                if info is not None:
                    self._write_empty_row(row_num, spans.get(row_num // 16), info)
                continue
            if info is not None:
                self._write_row(row_num, spans.get(row_num // 16), info)
                parts = []
            else:
                span = spans.get(row_num // 16)
                parts = [f'<row r="{row_num + 1}" spans="{span}">' if span else f'<row r="{row_num + 1}">']
            ref_row = str(row_num + 1)
            row_format = info.row_format if info is not None else None
            for col_num in sorted(cells) if len(cells) > 1 else cells:
                cell = cells[col_num]
                cls = cell.__class__
                if cls is not string_cell and cls not in number_cells:
                    write("".join(parts))
                    parts = []
                    self._write_cell(row_num, col_num, cell)
                    continue
                value, fmt = cell
                if not fmt:
                    fmt = row_format
                    if not fmt and col_num in col_info:
                        fmt = col_info[col_num].column_format
                s: str | None = "" if fmt is None else xf_of.get(fmt)
                if s is None:
                    s = xf_of[fmt] = f' s="{fmt._get_xf_index()}"'
                if cls is string_cell:
                    parts.append(f'<c r="{names[col_num]}{ref_row}"{s} t="s"><v>{value}</v></c>')
                else:
                    parts.append(f'<c r="{names[col_num]}{ref_row}"{s}><v>{value:.16G}</v></c>')
            parts.append("</row>")
            write("".join(parts))


def _spans(table: dict[int, dict[int, Any]]) -> dict[int, str]:
    """The ``spans`` of each block of 16 rows: its first and last used column (1-based), as
    xlsxwriter's ``_calculate_spans`` gives them for cells without comments."""
    bounds: dict[int, tuple[int, int]] = {}
    for row_num, cells in table.items():
        if not cells:
            continue
        block = row_num // 16
        lo, hi = min(cells), max(cells)
        if block in bounds:
            was = bounds[block]
            bounds[block] = (min(was[0], lo), max(was[1], hi))
        else:
            bounds[block] = (lo, hi)
    return {block: f"{lo + 1}:{hi + 1}" for block, (lo, hi) in bounds.items()}


class FastWorkbook(Workbook):  # type: ignore[misc]  # xlsxwriter ships no type information
    """An xlsxwriter workbook whose shared strings are written in one pass (same bytes)."""

    def _get_packager(self) -> Packager:  # xlsxwriter's hook for its packager
        return _Packager()


class _Packager(Packager):  # type: ignore[misc]
    def _write_shared_strings_file(self) -> None:  # as xlsxwriter's, with the faster writer
        sst = _SharedStrings()
        sst.string_table = self.workbook.str_table
        if not self.workbook.str_table.count:
            return
        sst._set_xml_writer(self._filename("xl/sharedStrings.xml"))
        sst._assemble_xml_file()


class _SharedStrings(SharedStrings):  # type: ignore[misc]
    def _write_sst_strings(self) -> None:
        strings: list[str] = self.string_table.string_array
        if not strings or _NOT_PLAIN.search("".join(strings)):  # also a false alarm across two strings: slower, same
            super()._write_sst_strings()
            return
        # the XML escapes of every string at once: "\x00", a control character, is in none of them
        escaped = "\x00".join(strings).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        self.fh.write(
            "".join(
                # leading or trailing white space is kept by an attribute, as xlsxwriter marks it
                f'<si><t xml:space="preserve">{e}</t></si>'
                if s[:1].isspace() or s[-1:].isspace()
                else f"<si><t>{e}</t></si>"
                for s, e in zip(strings, escaped.split("\x00"), strict=True)
            )
        )

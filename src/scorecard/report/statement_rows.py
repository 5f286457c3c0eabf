"""A statement's ticket rows written straight as sheet XML: the same cells, made at a fraction of the cost.

A large partner has thousands of tickets, eight cells each. Through
xlsxwriter every cell is a method call, a tuple kept in the sheet's table and,
when the workbook is saved, a few more calls to write it as XML: most of the
time a statement took. Here the cells of every ticket of a chunk of partners
are made at once, as polars expressions (:func:`sheet_cells`, when the tickets
are prepared): each ticket's row as XML with two things left to fill in — its
row number and its text cells' numbers in the workbook's shared strings, which
depend on the workbook it goes into. :func:`ticket_rows` fills them in for one
partner's workbook exactly as writing cell by cell would: each text takes its
shared string's number in the order the cells are written (row by row, left to
right), numbers are written as xlsxwriter writes them (``%.16G``), and style
numbers are filled in when the workbook is saved (xlsxwriter numbers styles in
the order it first writes them). The sheet's XML writer is wrapped to add
these rows after the rows above them (the heading and the header), so the saved
workbook has the same bytes as one written cell by cell. That leans on
xlsxwriter's inner workings (the version is pinned); a test compares every part
of the workbook with the cell-by-cell one, over random tickets.
"""

from __future__ import annotations

from itertools import chain
from typing import Any

import polars as pl

from scorecard.i18n import t
from scorecard.report.formats import FORMULA_PREFIXES
from scorecard.report.xlsx import NUMBER_FORMATS, Book, Sheet

# Longer text is checked by xlsxwriter against Excel's limit (and cut): such a sheet is written cell by cell.
MAX_FAST_TEXT = 16_383
_BLOCK = 16  # xlsxwriter gives each block of 16 rows one "spans" hint: the columns its cells use
# Stand-ins until the workbook is saved (style numbers) or the partner's sheet is made (row number,
# shared string number); never in a number or a cell reference.
_QUOTED, _STAMP, _DEC2, _ROW, _SHARED = "\x01", "\x02", "\x03", "\x04", "\x05"
TEXT_COLUMNS = ("A", "C", "F", "G")  # the ticket sheet's text columns, left to right
LABELS = ("urgent", "normal", "difficult", "on_time", "late", "pending")


def labels(lang: str) -> dict[str, str]:
    """The words the ticket sheet shows for categories and states."""
    return {k: t(k, lang) for k in LABELS}


def flag_words(lang: str) -> tuple[str, str]:
    return t("repeat", lang), t("major", lang)


def sheet_cells(tickets: pl.DataFrame, lang: str) -> list[pl.Series]:
    """For each prepared ticket (statement_view.prepare_tickets): ``sheet_xml``, its cells as
    sheet XML with the row number and shared-string numbers left as stand-ins; ``sheet_A``,
    ``sheet_C``, ``sheet_F``, ``sheet_G``, its text cells' strings (null: no cell);
    ``sheet_lo``/``sheet_hi``, its first and last used column (null: no cell)."""
    label = labels(lang)
    repeat, major = flag_words(lang)
    on_repeat, on_major = pl.col("is_repeat").fill_null(False), pl.col("is_major").fill_null(False)
    both = pl.when(on_repeat & on_major).then(pl.lit(f"{repeat}, {major}"))
    flag = both.when(on_repeat).then(pl.lit(repeat)).when(on_major).then(pl.lit(major))
    shown = {
        "category": pl.col("category").replace(label),  # a category without a label is shown as it is
        "state": pl.col("state").replace_strict(label, default=None, return_dtype=pl.String),
        "flags": flag,
    }
    # the ticket columns left to right: the value, and the style of a number cell (None: a shared string)
    columns = (
        ("A", pl.col("ticket_id"), None),
        ("B", pl.col("received_n"), _STAMP),
        ("C", shown["category"], None),
        ("D", pl.col("deadline_n"), _STAMP),
        ("E", pl.col("resolved_n"), _STAMP),
        ("F", shown["state"], None),
        ("G", shown["flags"], None),
        ("H", pl.col("hours_n"), _DEC2),
    )
    # the cells' values first, as columns: the XML below reads each several times
    values = tickets.select(
        (x if style else pl.when(x != "").then(x)).alias(c)  # "" is no cell
        for c, x, style in columns
    )
    cells = []
    for c, _, style in columns:
        x = pl.col(c)
        if style is None:  # text that begins like a formula gets the quote prefix, as cell by cell
            quoted = pl.any_horizontal(x.str.starts_with(p) for p in FORMULA_PREFIXES)
            mark = pl.when(quoted).then(pl.lit(f' s="{_QUOTED}"')).otherwise(pl.lit(""))
            xml = pl.concat_str(pl.lit(f'<c r="{c}{_ROW}"'), mark, pl.lit(f' t="s"><v>{_SHARED}</v></c>'))
        else:
            xml = pl.concat_str(pl.lit(f'<c r="{c}{_ROW}" s="{style}"><v>'), x, pl.lit("</v></c>"))
        cells.append(pl.when(x.is_not_null()).then(xml).otherwise(pl.lit("")))
    present = [pl.when(pl.col(c).is_not_null()).then(pl.lit(i, dtype=pl.Int32)) for i, (c, _, _) in enumerate(columns)]
    return values.select(
        pl.concat_str(cells).alias("sheet_xml"),
        *(pl.col(c).alias(f"sheet_{c}") for c in TEXT_COLUMNS),
        pl.min_horizontal(present).alias("sheet_lo"),
        pl.max_horizontal(present).alias("sheet_hi"),
    ).get_columns()


def ticket_rows(book: Book, sheet: Sheet, first: int, tickets: pl.DataFrame) -> None:
    """Write ``tickets`` (prepared, with :func:`sheet_cells`) from row ``first`` on, as the last
    rows of ``sheet``: the id, received, category, deadline, resolved, state, flags (repeat,
    major) and resolution hours of each, as cells of the ticket columns' kinds would be."""
    if tickets.height == 0:
        return
    ws = sheet.ws
    if any(r >= first and cells for r, cells in ws.table.items()):
        raise ValueError("the ticket rows must be the sheet's last")
    styles = {
        _QUOTED: book.fmt(quote_prefix=True),
        _STAMP: book.fmt(num_format=NUMBER_FORMATS["datetime"]),
        _DEC2: book.fmt(num_format=NUMBER_FORMATS["dec2"]),
    }
    xml, lo, hi = (tickets.get_column(c).to_list() for c in ("sheet_xml", "sheet_lo", "sheet_hi"))
    # each text's shared-string number, taken in the order the cells are written (as cell by cell)
    texts = zip(*(tickets.get_column(f"sheet_{c}").to_list() for c in TEXT_COLUMNS), strict=True)
    numbers = [ws.str_table._get_shared_string_index(x) for x in chain.from_iterable(texts) if x is not None]
    # each block of 16 rows: the columns its cells use, those of the rows above it in the block too
    spans: dict[int, str] = {}
    for block in range(first // _BLOCK, (first + len(xml) - 1) // _BLOCK + 1):
        top, end = max(block * _BLOCK, first), min((block + 1) * _BLOCK, first + len(xml))
        used = [c for c in chain(lo[top - first : end - first], hi[top - first : end - first]) if c is not None]
        if used:
            used += [c for r in range(block * _BLOCK, top) for c in ws.table.get(r) or ()]
            spans[block] = f"{min(used) + 1}:{max(used) + 1}"
    rows, written = [], []
    for r, cells in enumerate(xml, start=first):
        if cells:  # a row without a cell is not written, as xlsxwriter skips it
            ref = str(r + 1)
            rows.append(f'<row r="{ref}" spans="{spans[r // _BLOCK]}">{cells.replace(_ROW, ref)}</row>')
            written.append(r)
    if not rows:
        return
    parts = "".join(rows).split(_SHARED)  # one stand-in per text cell, in the order they were numbered
    text = "".join(chain.from_iterable(zip(parts[:-1], map(str, numbers), strict=True))) + parts[-1]
    ws._check_dimensions(written[0], min(c for c in lo if c is not None))
    ws._check_dimensions(written[-1], max(c for c in hi if c is not None))
    _append_on_save(ws, text, spans, styles)


def _append_on_save(ws: Any, xml: str, hints: dict[int, str], styles: dict[str, Any]) -> None:
    write_rows, calculate_spans = ws._write_rows, ws._calculate_spans

    def spans_too() -> None:
        calculate_spans()
        ws.row_spans.update(hints)

    def rows_then_ours() -> None:
        write_rows()
        text = xml
        # style numbers in the order the cells first use them, as xlsxwriter gives them out
        for mark in sorted((m for m in styles if m in text), key=text.index):
            text = text.replace(mark, str(styles[mark]._get_xf_index()))
        ws.fh.write(text)

    ws._calculate_spans = spans_too
    ws._write_rows = rows_then_ours

"""A statement's ticket rows written straight as sheet XML: the same cells, made at a fraction of the cost.

A large partner has thousands of tickets, eight cells each. Through
xlsxwriter every cell is a method call, a tuple kept in the sheet's table and,
when the workbook is saved, a few more calls to write it as XML: most of the
time a statement took. Here each row is one string, made as xlsxwriter would
make it: its text cells take their places in the workbook's shared strings in
the same order, and its style numbers are filled in when the workbook is saved
(xlsxwriter numbers styles in the order it first writes them). The sheet's
XML writer is wrapped to add these rows after the rows above them (the heading
and the header), so the saved workbook has the same bytes as one written cell
by cell. That leans on xlsxwriter's inner workings (the version is pinned); a
test compares every part of the workbook with the cell-by-cell one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from scorecard.report.formats import FORMULA_PREFIXES
from scorecard.report.statement_view import TicketRow
from scorecard.report.xlsx import NUMBER_FORMATS, Book, Sheet

# Longer text is checked by xlsxwriter against Excel's limit (and cut): such a sheet is written cell by cell.
MAX_FAST_TEXT = 16_383
_BLOCK = 16  # xlsxwriter gives each block of 16 rows one "spans" hint: the columns its cells use
# Stand-ins for style numbers until the workbook is saved (never in a number or a cell reference).
_QUOTED, _STAMP, _DEC2 = "\x01", "\x02", "\x03"


def ticket_rows(
    book: Book, sheet: Sheet, first: int, tickets: Sequence[TicketRow], label: dict[str, str], flags: tuple[str, str]
) -> None:
    """Write ``tickets`` from row ``first`` on, as the last rows of ``sheet``: the id, received, category,
    deadline, resolved, state, flags (repeat, major) and resolution hours of each, as cells of the
    ticket columns' kinds would be."""
    if not tickets:
        return
    ws = sheet.ws
    if any(r >= first and cells for r, cells in ws.table.items()):
        raise ValueError("the ticket rows must be the sheet's last")
    shared = ws.str_table._get_shared_string_index
    styles = {
        _QUOTED: book.fmt(quote_prefix=True),
        _STAMP: book.fmt(num_format=NUMBER_FORMATS["datetime"]),
        _DEC2: book.fmt(num_format=NUMBER_FORMATS["dec2"]),
    }
    repeat, major = flags
    flag_text = {(True, True): f"{repeat}, {major}", (True, False): repeat, (False, True): major}
    quoted = f' s="{_QUOTED}"'

    def cell(col: str, ref: int, value: str) -> str:
        # text that begins like a formula gets the quote prefix, as the cell-by-cell path gives it
        style = quoted if value.startswith(FORMULA_PREFIXES) else ""
        return f'<c r="{col}{ref}"{style} t="s"><v>{shared(value)}</v></c>'

    written: list[tuple[int, str]] = []
    spans: dict[int, list[int]] = {}
    for r, x in enumerate(tickets, start=first):
        ref = r + 1
        tid, rx, dx, vx, hours = x.ticket_id, x.received_x, x.deadline_x, x.resolved_x, x.resolution_hours
        category, state = label.get(x.category, x.category), label[x.state]
        flag = flag_text.get((bool(x.is_repeat), bool(x.is_major)), "")
        # the cells left to right, each only when it has a value (as xlsxwriter skips an empty one)
        xml = (
            (cell("A", ref, tid) if tid else "")
            + ("" if rx is None else f'<c r="B{ref}" s="{_STAMP}"><v>{float(rx):.16G}</v></c>')
            + (cell("C", ref, category) if category else "")
            + ("" if dx is None else f'<c r="D{ref}" s="{_STAMP}"><v>{float(dx):.16G}</v></c>')
            + ("" if vx is None else f'<c r="E{ref}" s="{_STAMP}"><v>{float(vx):.16G}</v></c>')
            + (cell("F", ref, state) if state else "")
            + (cell("G", ref, flag) if flag else "")
            + ("" if hours is None else f'<c r="H{ref}" s="{_DEC2}"><v>{float(hours):.16G}</v></c>')
        )
        if tid and state:  # every ticket but an odd one: from A to F, G or H
            lo, hi = 0, 7 if hours is not None else 6 if flag else 5
        else:
            used = [
                c for c, v in enumerate((tid, rx, category, dx, vx, state, flag, hours)) if v is not None and v != ""
            ]
            if not used:
                continue
            lo, hi = used[0], used[-1]
        written.append((r, xml))
        block = spans.setdefault(r // _BLOCK, [lo, hi])
        block[0] = min(block[0], lo)
        block[1] = max(block[1], hi)
    if not written:
        return
    for b, block in spans.items():  # a block shared with the rows above spans their cells too
        for r in range(b * _BLOCK, min(b * _BLOCK + _BLOCK, first)):
            if ws.table.get(r):
                block[0], block[1] = min(block[0], *ws.table[r]), max(block[1], *ws.table[r])
    ws._check_dimensions(written[0][0], min(lo for lo, _ in spans.values()))
    ws._check_dimensions(written[-1][0], max(hi for _, hi in spans.values()))
    hints = {b: f"{lo + 1}:{hi + 1}" for b, (lo, hi) in spans.items()}
    xml = "".join(f'<row r="{r + 1}" spans="{hints[r // _BLOCK]}">{cells}</row>' for r, cells in written)
    _append_on_save(ws, xml, hints, styles)


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

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
by cell.
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
    both = f"{repeat}, {major}"

    def text(col: str, ref: int, value: str) -> str:
        quoted = f' s="{_QUOTED}"' if value.startswith(FORMULA_PREFIXES) else ""
        return f'<c r="{col}{ref}"{quoted} t="s"><v>{shared(value)}</v></c>'

    def number(col: str, ref: int, value: float | None, style: str) -> str:
        return "" if value is None else f'<c r="{col}{ref}" s="{style}"><v>{float(value):.16G}</v></c>'

    written: list[tuple[int, str]] = []
    spans: dict[int, list[int]] = {}
    for r, x in enumerate(tickets, start=first):
        ref = r + 1
        category, state = label.get(x.category, x.category), label[x.state]
        flag = both if x.is_repeat and x.is_major else repeat if x.is_repeat else major if x.is_major else ""
        present = (x.ticket_id, x.received_x, category, x.deadline_x, x.resolved_x, state, flag, x.resolution_hours)
        used = [c for c, v in enumerate(present) if v is not None and v != ""]
        if not used:
            continue
        written.append(
            (
                r,
                (text("A", ref, x.ticket_id) if x.ticket_id else "")
                + number("B", ref, x.received_x, _STAMP)
                + (text("C", ref, category) if category else "")
                + number("D", ref, x.deadline_x, _STAMP)
                + number("E", ref, x.resolved_x, _STAMP)
                + (text("F", ref, state) if state else "")
                + (text("G", ref, flag) if flag else "")
                + number("H", ref, x.resolution_hours, _DEC2),
            )
        )
        block = spans.setdefault(r // _BLOCK, [used[0], used[-1]])
        block[0], block[1] = min(block[0], used[0]), max(block[1], used[-1])
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

"""Safe workbooks: nothing from the inputs becomes a formula, a link or a number.

Every workbook of scorecard is made here: created with xlsxwriter's string
conversions off, text written with ``write_string`` (a quote-prefix format
when it begins like a formula), money as numbers from integer fen with a
``#,##0.00`` format, frozen headers, filters, widths and print setup.
"""

from __future__ import annotations

import gc
import io
import math
import os
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal, cast

from scorecard.i18n import t
from scorecard.report.formats import FORMULA_PREFIXES
from scorecard.report.xlsx_rows import FastWorkbook, FastWorksheet

WORKBOOK_OPTIONS = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "in_memory": True,
}
MONEY_FORMAT = "#,##0.00"
# Printable width of A4 in Excel column units (characters of the default 11 pt
# font) at 100 %, with 0.4 in side margins.
PAGE_WIDTH = {"portrait": 100, "landscape": 148}
# Below this scale the type (11 pt, so 6.6 pt) gets too small to read; wider sheets go over pages across.
MIN_PRINT_SCALE = 0.6
DEFAULT_WIDTH = 8.43
KEY_COLUMNS = 2  # partner id and name: repeated on every page across
LINE_HEIGHT = 15  # points per line of 11 pt text
EXCEL_EPOCH = datetime(1899, 12, 30)  # noqa: DTZ001 - a day count, not an instant
MAX_WIDTH = 60

Kind = Literal["text", "money", "int", "pct", "dec2", "dec4", "date", "datetime"]
NUMBER_FORMATS: dict[str, str] = {
    "money": MONEY_FORMAT,
    "int": "0",
    "pct": "0.00%",
    "dec2": "0.00",
    "dec4": "0.0000",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
}


def excel_serial(value: datetime | date) -> float:
    """A date or naive datetime as Excel's day number."""
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)  # noqa: DTZ001 - naive local, as stored
    delta = value - EXCEL_EPOCH
    return delta.days + delta.seconds / 86400


def run_time(stamp: str) -> datetime:
    """A workbook's creation time: the run's time from the ledger (UTC), so making a workbook
    again gives the same bytes."""
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ")  # noqa: DTZ007 - stored in UTC


class _CharWidths(dict[str, int]):
    """Each character's columns, looked up in the Unicode database once (a few thousand at most)."""

    def __missing__(self, ch: str) -> int:
        width = self[ch] = 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        return width


_CHAR_WIDTHS = _CharWidths()


def display_width(text: str) -> int:
    """Columns a text takes: CJK and other wide characters count twice."""
    if text.isascii():
        return len(text)
    return sum(map(_CHAR_WIDTHS.__getitem__, text))


def wrapped_lines(text: str, width: float) -> int:
    """Lines ``text`` takes when wrapped at word boundaries in a column ``width`` wide."""
    room = max(int(width) - 1, 1)
    lines, used = 1, 0
    for word in text.split():
        w = display_width(word)
        if used and used + 1 + w > room:
            lines, used = lines + 1, w
        else:
            used += w + (1 if used else 0)
    return lines


def header_escape(text: str) -> str:
    """Text for a print header/footer: ``&`` would start a control code."""
    return text.replace("&", "&&")[:200]


@dataclass(frozen=True, slots=True)
class Cell:
    """A value whose kind differs from its column's (a metric in a column of metrics)."""

    kind: Kind
    value: Any


@dataclass(frozen=True, slots=True)
class Col:
    label: str
    kind: Kind = "text"
    width: int | None = None  # None: fitted to the content


def as_kind(kind: str) -> Kind:
    """A column kind from text, checked (specs are written as plain tuples)."""
    if kind != "text" and kind not in NUMBER_FORMATS:
        raise ValueError(f"not a column kind: {kind!r}")
    return cast(Kind, kind)


def columns(lang: str, *specs: str | tuple[str, str] | tuple[str, str, int | None]) -> list[Col]:
    """Columns labelled in ``lang``: "key", ("key", kind) or ("key", kind, width)."""
    out = []
    for spec in specs:
        if isinstance(spec, str):
            out.append(Col(t(spec, lang)))
        else:
            width = spec[2] if len(spec) == 3 else None
            out.append(Col(t(spec[0], lang), as_kind(spec[1]), width))
    return out


@contextmanager
def without_cycle_collection() -> Iterator[None]:
    """Python's cycle collector paused while a big workbook is made (and its rows read): the
    hundreds of thousands of rows, cells and strings of 10,000 partners form no reference cycles,
    yet every pass of the collector walks them all — a third of the time of such a workbook.
    Reference counting frees them all the same; the collector resumes after."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def _columns(kinds: Sequence[Kind], rows: Iterable[Sequence[Any]], *, strict: bool = True) -> list[tuple[Any, ...]]:
    """A table's rows as its columns; every row has a cell for each column (or, not ``strict``, at
    most one: the missing cells are empty)."""
    rows = list(rows)
    n = len(kinds)
    for row in rows:
        if len(row) > n or (strict and len(row) < n):
            raise ValueError(f"a table row has {len(row)} cells for {n} columns")
    if not strict and any(len(row) < n for row in rows):
        rows = [(*row, *([None] * (n - len(row)))) for row in rows]
    return list(zip(*rows, strict=True)) if rows else []


def _money_column(column: Sequence[Any]) -> list[float | None]:
    """Fen as yuan, the number a money cell holds; integer fen only."""
    out: list[float | None] = []
    for v in column:
        if v is None or v == "":
            out.append(None)
        elif isinstance(v, int):
            out.append(v / 100)  # exact fen -> nearest double; fine far below 10^13 fen
        else:
            raise TypeError(f"money must be integer fen, not {type(v).__name__}")
    return out


def _money_width(column: Sequence[Any]) -> int:
    """The widest of the column's amounts as fitting measures them (``1,234.00``): the width grows
    with the size of the whole yuan on each side of zero, so the largest and the smallest decide."""
    amounts = [v for v in column if v is not None and v != ""]
    if not amounts:
        return -1
    return max(len(f"{max(amounts) // 100:,}.00"), len(f"{min(amounts) // 100:,}.00"))


def _fen_to_yuan(v: Any) -> float:
    return int(v) / 100


class Book:
    """One workbook in memory; :meth:`save` writes it atomically."""

    def __init__(
        self, title: str, mark: str | None = None, created: datetime | None = None, signoff: str | None = None
    ) -> None:
        self.buffer = io.BytesIO()
        self.wb = FastWorkbook(self.buffer, WORKBOOK_OPTIONS)
        props: dict[str, Any] = {"title": title, "comments": "scorecard"}
        if created is not None:
            props["created"] = created
        self.wb.set_properties(props)
        self.title = title
        self.mark = mark  # "DRAFT …" on every sheet of a draft month
        self.signoff = signoff  # month, draft/closed, prepared / approved / closed by, on every sheet
        self._formats: dict[tuple[tuple[str, Any], ...], Any] = {}
        self._widths: dict[str, int] = {}  # non-ASCII texts' display widths: names recur on every sheet

    def fmt(self, **props: Any) -> Any:
        key = tuple(sorted(props.items()))
        if key not in self._formats:
            self._formats[key] = self.wb.add_format(dict(props))
        return self._formats[key]

    def text_width(self, text: str) -> int:
        """:func:`display_width`, remembered for the texts that need the Unicode database."""
        if text.isascii():
            return len(text)
        width = self._widths.get(text)
        if width is None:
            width = self._widths[text] = display_width(text)
        return width

    def sheet(self, name: str, heading: str) -> Sheet:
        return Sheet(self, name[:31], heading)

    def to_bytes(self) -> bytes:
        self.wb.close()
        return self.buffer.getvalue()

    def save(self, path: Path) -> None:
        atomic_write(path, self.to_bytes())


class Sheet:
    """A worksheet that writes typed, safe cells and remembers column widths."""

    def __init__(self, book: Book, name: str, heading: str) -> None:
        self.book = book
        self.ws: FastWorksheet = book.wb.add_worksheet(name, worksheet_class=FastWorksheet)
        self.widths: dict[int, int] = {}
        self.fixed: set[int] = set()
        self.last_row, self.last_col = 0, 0  # the print area
        self.headers: list[tuple[int, list[str]]] = []  # table header rows: their height is set at the end
        self.fixed.add(0)  # the heading does not widen the first column
        self.text(0, 0, heading, bold=True, font_size=14)
        if book.mark:
            self.text(1, 0, book.mark, bold=True, font_color="#B42318")
        if book.signoff:
            self.text(2, 0, book.signoff, italic=True)
        self.fixed.discard(0)
        self.row = 4 if book.signoff else 3 if book.mark else 2  # next free row, after one blank
        self.ws.set_paper(9)  # A4
        self.ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
        # every printed page says which sheet it is, and the footer which workbook
        centre = f'&C&"-,Bold"&KB42318{header_escape(book.mark)}' if book.mark else ""
        self.ws.set_header(f"&L{header_escape(heading)}{centre}&R&P / &N")
        signed = f"&R{header_escape(book.signoff)}" if book.signoff else ""
        self.ws.set_footer(f"&L{header_escape(book.title)}{signed}")

    # --- cells ---------------------------------------------------------------

    def text(self, row: int, col: int, value: str | None, **props: Any) -> None:
        if value is None or value == "":
            return
        value = str(value)
        if value.startswith(FORMULA_PREFIXES):
            props = {**props, "quote_prefix": True}
        self.ws.write_string(row, col, value, self.book.fmt(**props) if props else None)
        self._used(row, col)
        self._fit(col, value)

    def value(self, row: int, col: int, kind: Kind, value: Any, **props: Any) -> None:
        """Write ``value`` as ``kind``; money is integer fen, rates exact or float."""
        if value is None or value == "":
            return
        if kind == "text":
            self.text(row, col, value, **props)
            return
        fmt = self.book.fmt(num_format=NUMBER_FORMATS[kind], **props)
        if kind == "money":
            if not isinstance(value, int):
                raise TypeError(f"money must be integer fen, not {type(value).__name__}")
            number: float = value / 100  # exact fen -> nearest double; fine far below 10^13 fen
            shown = f"{value // 100:,}.00"
        elif kind in ("date", "datetime") and isinstance(value, date | datetime):
            number = excel_serial(value)
            shown = "0000-00-00 00:00" if kind == "datetime" else "0000-00-00"
        else:
            number = float(value)
            shown = f"{number:,.4f}"
        self.ws.write_number(row, col, number, fmt)
        self._used(row, col)
        self._fit(col, shown)

    def _used(self, row: int, col: int) -> None:
        self.last_row, self.last_col = max(self.last_row, row), max(self.last_col, col)

    def reserve(self, row: int, col: int) -> None:
        """Print up to this cell too (a chart over the cells is not a written cell)."""
        self._used(row, col)

    def _fit(self, col: int, shown: str) -> None:
        self._fit_width(col, display_width(shown))

    def _fit_width(self, col: int, width: int) -> None:
        if col not in self.fixed:
            self.widths[col] = min(max(self.widths.get(col, 0), width + 2), MAX_WIDTH)

    # --- blocks --------------------------------------------------------------

    def caption(self, text: str) -> None:
        self.text(self.row, 0, text, bold=True, font_size=12)
        self.row += 1

    def pairs(self, rows: Iterable[tuple[str, str, Any]]) -> None:
        """Label / value lines (a summary block)."""
        for label, kind, value in rows:
            self.text(self.row, 0, label)
            self.value(self.row, 1, as_kind(kind), value)
            self.row += 1
        self.row += 1

    def table(
        self,
        cols: Sequence[Col],
        rows: Iterable[Sequence[Any]],
        *,
        totals: Sequence[Any] | None = None,
        main: bool = True,
        fit: bool = True,
        written_apart: int = 0,
    ) -> tuple[int, int]:
        """A header and rows; ``main`` tables get the frozen header, filter and repeated print row.

        ``fit=False`` is the fast path for long tables (tickets): plain values of the
        column's kind, no width fitting (give the columns widths). ``written_apart`` rows
        follow ``rows`` that the caller writes itself (a statement's ticket rows, as XML).
        Returns (first data row, last data row) in 0-based rows.
        """
        header = self.row
        self.headers.append((header, [c.label for c in cols]))
        hfmt = {"bold": True, "bg_color": "#E8EEF5", "bottom": 1, "text_wrap": True, "valign": "top"}
        for c, col in enumerate(cols):
            # a header wraps: it widens its column only to its longest word
            self.fixed.add(c)
            self.text(header, c, col.label, **hfmt)
            self.fixed.discard(c)
            self._fit(c, max(col.label.split(), key=display_width, default=""))
            if col.width is not None:
                self.widths[c] = col.width
                self.fixed.add(c)
        r = header + 1
        kinds = [c.kind for c in cols]
        if fit:
            r = self._bulk_fitted(r, kinds, rows)
        else:
            r = self._bulk(r, kinds, rows) + written_apart
            self._used(r - 1, len(cols) - 1)
        last = r - 1
        if main:
            self.ws.freeze_panes(header + 1, 0)
            self.ws.autofilter(header, 0, max(last, header), len(cols) - 1)
            self.ws.repeat_rows(header)
        if totals is not None:
            for c, (kind, v) in enumerate(zip(kinds, totals, strict=True)):
                self.value(r, c, kind, v, bold=True, top=1)
            r += 1
        self.row = r + 1
        return header + 1, last

    def _bulk_fitted(self, r: int, kinds: Sequence[Kind], rows: Iterable[Sequence[Any]]) -> int:
        """The rows of a table, each cell exactly as :meth:`value` writes and fits it, a column at
        a time: each column's values made and measured in one pass, its width the widest of them
        (fitting is a maximum capped at ``MAX_WIDTH``), then the whole block stored at once."""
        table = _columns(kinds, rows)
        if not table:
            return r
        book = self.book
        # formats are made when first used, as value() makes them
        formats: dict[str, Any] = {}

        def number_format(kind: str) -> Any:
            if kind not in formats:
                formats[kind] = book.fmt(num_format=NUMBER_FORMATS[kind])
            return formats[kind]

        values: list[list[Any]] = []
        cell_formats: list[Any] = []
        made: list[Any]
        fmt: Any
        for c, (kind, column) in enumerate(zip(kinds, table, strict=True)):
            if any(isinstance(v, Cell) for v in column):
                made, fmt, width = self._mixed_column(kind, column, number_format)
            elif kind == "text":
                made, fmt, width = self._text_column(column)
            elif kind == "money":
                made, fmt, width = _money_column(column), number_format(kind), _money_width(column)
            elif kind in ("date", "datetime") and any(isinstance(v, date | datetime) for v in column):
                made, fmt, width = self._mixed_column(kind, column, number_format)
            else:
                made = [None if v is None or v == "" else float(v) for v in column]
                fmt = number_format(kind) if any(v is not None for v in made) else None
                width = max((len(f"{v:,.4f}") for v in made if v is not None), default=-1)
            values.append(made)
            cell_formats.append(fmt)
            if width >= 0:
                self._fit_width(c, width)
        stored = self.ws.put_columns(r, values, cell_formats)
        if stored is not None:
            self.last_row, self.last_col = max(self.last_row, stored[0]), max(self.last_col, stored[1])
        return r + len(table[0])

    def _text_column(self, column: Sequence[Any]) -> tuple[list[str | None], Any, int]:
        shown = [None if v is None or v == "" else v if v.__class__ is str else str(v) for v in column]
        quoted = [s is not None and s.startswith(FORMULA_PREFIXES) for s in shown]
        fmt: Any = None
        if any(quoted):
            q = self.book.fmt(quote_prefix=True)
            fmt = [q if yes else None for yes in quoted]
        width = max(map(self.book.text_width, [s for s in shown if s is not None]), default=-1)
        return shown, fmt, width

    def _mixed_column(
        self, column_kind: Kind, column: Sequence[Any], number_format: Callable[[str], Any]
    ) -> tuple[list[Any], list[Any], int]:
        """A column with cells of other kinds (or dates): each cell as :meth:`value` writes it."""
        made: list[Any] = []
        fmts: list[Any] = []
        width = -1
        for cell in column:
            kind, v = (cell.kind, cell.value) if isinstance(cell, Cell) else (column_kind, cell)
            if v is None or v == "":
                made.append(None)
                fmts.append(None)
                continue
            if kind == "text":
                shown = str(v)
                made.append(shown)
                fmts.append(self.book.fmt(quote_prefix=True) if shown.startswith(FORMULA_PREFIXES) else None)
                w = self.book.text_width(shown)
            elif kind == "money":
                if not isinstance(v, int):
                    raise TypeError(f"money must be integer fen, not {type(v).__name__}")
                made.append(v / 100)
                fmts.append(number_format(kind))
                w = len(f"{v // 100:,}.00")
            elif kind in ("date", "datetime") and isinstance(v, date | datetime):
                made.append(excel_serial(v))
                fmts.append(number_format(kind))
                w = 16 if kind == "datetime" else 10  # "0000-00-00 00:00", "0000-00-00"
            else:
                number = float(v)
                made.append(number)
                fmts.append(number_format(kind))
                w = len(f"{number:,.4f}")
            width = max(width, w)
        return made, fmts, width

    def _bulk(self, r: int, kinds: Sequence[Kind], rows: Iterable[Sequence[Any]]) -> int:
        table = _columns(kinds, rows, strict=False)
        if not table:
            return r
        book = self.book
        formats = [None if k == "text" else book.fmt(num_format=NUMBER_FORMATS[k]) for k in kinds]
        quoted = book.fmt(quote_prefix=True)
        values: list[list[Any]] = []
        cell_formats: list[Any] = []
        for kind, fmt, column in zip(kinds, formats, table, strict=False):
            if fmt is None:
                shown = [None if v is None or v == "" else str(v) for v in column]
                values.append(shown)
                cell_formats.append([quoted if s and s.startswith(FORMULA_PREFIXES) else None for s in shown])
            else:
                convert: Callable[[Any], float] = _fen_to_yuan if kind == "money" else float
                values.append([None if v is None or v == "" else convert(v) for v in column])
                cell_formats.append(fmt)
        self.ws.put_columns(r, values, cell_formats)
        return r + len(table[0])

    def finish(self) -> None:
        for col, width in self.widths.items():
            self.ws.set_column(col, col, width)
        for row, labels in self.headers:
            # wrapped headers need their height: not every spreadsheet fits it on opening
            lines = max(wrapped_lines(label, self.widths.get(c, DEFAULT_WIDTH)) for c, label in enumerate(labels))
            if lines > 1:
                self.ws.set_row(row, LINE_HEIGHT * lines)
        self._page_setup()

    def _page_setup(self) -> None:
        """A4 with a readable type size: portrait when the columns fit it, else landscape;
        fitted to the page width, or, when that would shrink the type below ``MIN_PRINT_SCALE``,
        spread over enough pages across with the key columns (id, name) repeated on each."""
        ws = self.ws
        total = sum(self.widths.get(c, DEFAULT_WIDTH) for c in range(self.last_col + 1))
        ws.print_area(0, 0, self.last_row, self.last_col)
        if total <= PAGE_WIDTH["portrait"]:
            ws.set_portrait()
        else:
            ws.set_landscape()
        page = PAGE_WIDTH["portrait" if total <= PAGE_WIDTH["portrait"] else "landscape"]
        if total * MIN_PRINT_SCALE <= page:
            ws.fit_to_pages(1, 0)
            return
        keys = sum(self.widths.get(c, DEFAULT_WIDTH) for c in range(min(KEY_COLUMNS, self.last_col)))
        across = math.ceil((total - keys) / (page - keys))
        ws.repeat_columns(0, KEY_COLUMNS - 1)
        ws.print_across()  # the parts of one row band print one after the other
        ws.fit_to_pages(across, 0)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write(path: Path, data: bytes) -> None:
    """Temporary file in the same folder, flushed and fsynced, then moved in place.

    The file gets the mode any new file gets (umask), not mkstemp's private
    0600: finance opens the workbook under another account.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:40]}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

"""How a view's tables are laid out: fitted to a terminal, plain in a pipe, or as CSV / JSON data
(docs/terminal.md).

A view builds :class:`Grid` objects (columns with a kind, rows of cells) for people and plain rows
(dicts keyed by scorecard.csv's field names) for programs. On a terminal a grid is fitted to the
width: text columns wrap at word boundaries (and between Chinese characters), numbers, ids,
periods and timestamps are never broken; a grid whose narrowest layout is still too wide is
split into several tables that repeat its first column, and when not even that fits each row
becomes a block of ``label: value`` lines. Written to a pipe or a file a grid is a plain aligned
table, one line per row, as wide as it needs: nothing is ever cut.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from scorecard.report.csvfiles import _csv
from scorecard.report.formats import csv_text
from scorecard.report.shown import visible

Kind = Literal["num", "id", "text"]
FORMATS = ("table", "csv", "json")

# Where a line may break: at spaces, and on either side of a Chinese (wide) character.
_WIDE = "\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
_TOKEN = re.compile(f"[{_WIDE}]|[^\\s{_WIDE}]+|\\s+")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")
# A text column is not made narrower than this (or its longest word): "暂停结算" on one line, not four.
TEXT_MIN = 8


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str
    kind: Kind = "text"  # num: right-aligned, never broken; id: never broken; text: wrapped at words


@dataclass
class Grid:
    """One table for people: a title, its columns and rows of cells (a cell may hold line breaks)."""

    title: str | Text
    columns: list[Column]
    rows: list[list[Text]] = field(default_factory=list)
    styles: list[str] = field(default_factory=list)

    def add(self, *cells: str | Text, style: str = "") -> None:
        if len(cells) != len(self.columns):
            raise ValueError(f"{len(cells)} cells for {len(self.columns)} columns")
        # a cell's own line breaks stay line breaks; every other control character is written out
        self.rows.append([c if isinstance(c, Text) else Text("\n".join(map(visible, c.split("\n")))) for c in cells])
        self.styles.append(style)


def _tokens(text: str) -> list[tuple[int, int, bool]]:
    """(start, end, is_space) of each unbreakable piece of a line."""
    return [(m.start(), m.end(), m.group().isspace()) for m in _TOKEN.finditer(text)]


def _lines(text: Text) -> list[Text]:
    return list(text.split("\n", allow_blank=True)) if "\n" in text.plain else [text]


def min_width(text: Text, kind: Kind) -> int:
    """The narrowest a cell can be without breaking a word (or anything, for numbers and ids)."""
    widths = [0]
    for line in _lines(text):
        if kind == "text":
            widths += [cell_len(line.plain[s:e]) for s, e, space in _tokens(line.plain) if not space]
            widths.append(min(cell_len(line.plain), TEXT_MIN))
        else:
            widths.append(cell_len(line.plain))
    return max(widths)


def natural_width(text: Text) -> int:
    return max([0, *(cell_len(line.plain) for line in _lines(text))])


def wrap(text: Text, width: int) -> Text:
    """``text`` broken into lines of at most ``width`` cells at word boundaries; a word longer than
    the width keeps a line of its own, whole."""
    out: list[Text] = []
    for line in _lines(text):
        plain = line.plain
        start: int | None = None  # first character of the current output line
        end = 0  # end of its last word
        used = 0
        for s, e, space in _tokens(plain):
            if space:
                continue
            gap = cell_len(plain[end:s]) if start is not None else 0
            w = cell_len(plain[s:e])
            if start is not None and used + gap + w > width:
                out.append(line[start:end])
                start, used = None, 0
                gap = 0
            if start is None:
                start = s
            used += gap + w
            end = e
        out.append(line[start:end] if start is not None else Text(""))
    return Text("\n").join(out)


def _fit(widths_min: list[int], widths_max: list[int], room: int) -> list[int] | None:
    """Column widths within ``room`` cells, each at least its minimum; None when the minimums do not
    fit. The space left goes first to the columns that need least to be shown whole (fewest lines),
    the rest is shared in proportion to what each column would still use."""
    if sum(widths_max) <= room:
        return list(widths_max)
    if sum(widths_min) > room:
        return None
    widths = list(widths_min)
    spare = room - sum(widths)
    for i in sorted(range(len(widths)), key=lambda j: widths_max[j] - widths_min[j]):
        want = widths_max[i] - widths[i]
        if want > spare:
            break
        widths[i] += want
        spare -= want
    wants = [mx - w for w, mx in zip(widths, widths_max, strict=True)]
    total = sum(wants)
    if total:
        shares = [want * spare // total for want in wants]
        for i, add in enumerate(shares):
            widths[i] += add
        left = spare - sum(shares)
        for i in sorted(range(len(wants)), key=lambda j: -wants[j])[:left]:
            widths[i] += 1
    return widths


def show(console: Console, grid: Grid) -> None:
    """Print a grid the way the output is read: fitted on a terminal, plain in a pipe."""
    if console.is_terminal:
        fitted(console, grid)
    else:
        plain(console, grid)


def fitted(console: Console, grid: Grid) -> None:
    """The grid at the terminal's width: one table if its narrowest layout fits; else its columns in
    several tables, one under the other, each repeating the first column (the row's key); else
    blocks of ``label: value`` lines."""
    n = len(grid.columns)
    headers = [Text(c.label) for c in grid.columns]
    mins = [
        max([min_width(h, "text"), *(min_width(r[i], c.kind) for r in grid.rows)])
        for i, (c, h) in enumerate(zip(grid.columns, headers, strict=True))
    ]
    maxs = [max([natural_width(h), *(natural_width(r[i]) for r in grid.rows)]) for i, h in enumerate(headers)]
    maxs = [max(a, b) for a, b in zip(mins, maxs, strict=True)]

    def room(count: int) -> int:
        return console.width - (3 * count + 1)  # borders, and one space either side of a cell

    groups: list[list[int]] = [list(range(n))]
    if sum(mins) > room(n):
        groups = [[0]]
        for i in range(1, n):
            if sum(mins[j] for j in groups[-1]) + mins[i] <= room(len(groups[-1]) + 1):
                groups[-1].append(i)
            elif mins[0] + mins[i] <= room(2):
                groups.append([0, i])
            else:
                records(console, grid)
                return
    for g, cols in enumerate(groups):
        widths = _fit([mins[i] for i in cols], [maxs[i] for i in cols], room(len(cols)))
        assert widths is not None  # the groups were made to fit
        table = Table(title=grid.title if g == 0 else None)
        for i, w in zip(cols, widths, strict=True):
            table.add_column(
                wrap(headers[i], w),
                justify="right" if grid.columns[i].kind == "num" else "left",
                width=w,
                no_wrap=True,
                overflow="fold",  # never reached: every cell is wrapped to its width already
            )
        for row, style in zip(grid.rows, grid.styles, strict=True):
            cells = [
                row[i] if grid.columns[i].kind != "text" else wrap(row[i], w) for i, w in zip(cols, widths, strict=True)
            ]
            table.add_row(*cells, style=style)
        console.print(table)


def records(console: Console, grid: Grid) -> None:
    """Each row as a block of ``label: value`` lines, for a table no terminal this narrow can hold.
    A value goes under its label, indented, when beside it there is no room for its longest word."""
    if grid.title:
        title = grid.title if isinstance(grid.title, Text) else Text(grid.title)
        console.print(title, style="bold")
    label_width = max([0, *(cell_len(c.label) for c in grid.columns)])
    beside_room = console.width - label_width - 2
    under = Text("  ")
    for row, style in zip(grid.rows, grid.styles, strict=True):
        for c, cell in zip(grid.columns, row, strict=True):
            if not cell.plain:
                continue
            if min_width(cell, c.kind) <= beside_room:
                value = wrap(cell, beside_room) if c.kind == "text" else cell
                lines = _lines(value)
                head = Text(c.label + " " * (label_width - cell_len(c.label)) + ": ")
                console.print(Text.assemble(head, lines[0]), style=style, soft_wrap=True)
                pad = Text(" " * (label_width + 2))
                rest = lines[1:]
            else:
                value = wrap(cell, console.width - 2) if c.kind == "text" else cell
                console.print(wrap(Text(c.label + ":"), console.width), style=style, soft_wrap=True)
                pad, rest = under, _lines(value)
            for line in rest:
                console.print(Text.assemble(pad, line), style=style, soft_wrap=True)
        console.print()


def plain(console: Console, grid: Grid) -> None:
    """A plain aligned table: the title, a header line and one line per row, columns apart by two
    spaces, no box drawing, as wide as it needs (a cell's own line breaks become spaces)."""
    headers = [c.label for c in grid.columns]
    rows = [[" ".join(line.plain for line in _lines(cell)) for cell in row] for row in grid.rows]
    widths = [max([cell_len(h), *(cell_len(r[i]) for r in rows)]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        parts = []
        for c, cell, w in zip(grid.columns, cells, widths, strict=True):
            pad = " " * (w - cell_len(cell))
            parts.append(pad + cell if c.kind == "num" else cell + pad)
        return "  ".join(parts).rstrip()

    title = grid.title.plain if isinstance(grid.title, Text) else grid.title
    for text in ([title] if title else []) + [line(headers), *(line(r) for r in rows)]:
        console.print(Text(text), soft_wrap=True, crop=False)
    console.print()


# --- data for programs --------------------------------------------------------------------------

Rows = list[dict[str, object]]


def _cell(value: object) -> str:
    """A value as a CSV cell: counts and amounts as written, lists joined by ';' (as scorecard.csv's
    breached_rules), text guarded against being taken for a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    text = str(value)
    return text if _NUMBER.fullmatch(text) else csv_text(text)


def csv_bytes(sections: Mapping[str, Rows], columns: Sequence[str] = ()) -> bytes:
    """One CSV file: the rows of a single table, or of several with a first ``section`` column
    naming the table and the union of their columns (a cell of another table's column is empty).
    ``columns`` come first, so that a table without rows still has its header."""
    several = len(sections) > 1
    header: list[str] = (["section"] if several else []) + list(columns)
    for rows in sections.values():
        for row in rows:
            header += [k for k in row if k not in header]
    lines = []
    for name, rows in sections.items():
        for row in rows:
            full = ({"section": name} if several else {}) | dict(row)
            lines.append([_cell(full.get(k)) for k in header])
    return _csv(lines, header)


def emit(console: Console, sections: Mapping[str, Rows], fmt: str, columns: Sequence[str] = ()) -> None:
    """Write a view's data to the console's file: JSON (a list of rows for a one-table view, else
    an object of lists keyed by table name) or CSV (UTF-8 with a BOM, as every CSV scorecard writes)."""
    stream = console.file
    if fmt == "json":
        data: object = next(iter(sections.values())) if len(sections) == 1 else dict(sections)
        stream.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        stream.flush()
        return
    payload = csv_bytes(sections, columns)
    stream.flush()
    buffer = getattr(stream, "buffer", None)
    if buffer is not None:
        buffer.write(payload)
        buffer.flush()
    else:  # a text-only stream (a StringIO in a test)
        stream.write(payload.decode("utf-8"))

"""An .xlsx workbook checked for what a person sees, before any cell is read.

The cell reader (calamine) reads what is stored, which is not always what
Excel shows: a formula written by a script and never calculated has no value
(read as empty, then as a default or zero), an error cell (``#N/A``) is read
as empty, a hidden sheet can come first, and a sheet reaching cell XFD1048576
makes the reader allocate the whole grid. So the workbook's own XML is read
first, incrementally and with the standard library only:

- ``xl/workbook.xml``: every sheet must be visible;
- the first sheet's XML: its declared ``<dimension>`` (checked before any
  cell), then every cell: where it is (the sheet's real extent), whether it
  is an error (``t="e"``) or a formula without a cached value (``<f>`` and
  no ``<v>``).

An encrypted (password-protected) workbook is not a zip archive but an OLE
container holding an ``EncryptedPackage`` stream; it is named as such.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError, XMLPullParser, fromstring

from scorecard.i18n import t, tn
from scorecard.issues import Issue
from scorecard.report.shown import shown

_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
_CHUNK = 1 << 16
_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d{1,7})")
_PLAIN_SHEET_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_LIMIT = "general.max_sheet_cells"
_SHARED_STRINGS = "xl/sharedStrings.xml"
# The cell reader unpacks the sheet and its shared strings whole: a small archive that unpacks
# to gigabytes (a zip bomb) is refused by the sizes the archive declares. 200 bytes a cell is
# several times what real sheets hold (about 45 bytes a cell, strings included).
_BYTES_PER_CELL = 200
_MIN_UNPACKED = 64 << 20


def is_encrypted(path: Path) -> bool:
    """An OLE container with an ``EncryptedPackage`` stream: Office's password-protected workbook."""
    tail = b""
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            if _ENCRYPTED_STREAM in tail + chunk:
                return True
            tail = chunk[-len(_ENCRYPTED_STREAM) :]
    return False


def column_letters(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _column_number(letters: str) -> int:
    number = 0
    for ch in letters.upper():
        number = number * 26 + ord(ch) - ord("A") + 1
    return number


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _attr(element: Element, name: str) -> str | None:
    """An attribute by local name, whatever its namespace (transitional or strict OOXML)."""
    for key, value in element.attrib.items():
        if _local(key) == name:
            return value
    return None


def sheet_ref(name: str) -> str:
    """The sheet as Excel writes it in a reference: quoted when it is not a plain name."""
    text = shown(name, 40)
    return text if _PLAIN_SHEET_NAME.fullmatch(text) else "'" + text.replace("'", "''") + "'"


def _elements(zf: zipfile.ZipFile, member: str, events: tuple[str, ...] = ("end",)) -> Iterator[tuple[str, Element]]:
    """The member's elements as they are parsed, a chunk at a time (never the whole part in memory)."""
    parser: XMLPullParser[Element] = XMLPullParser(events=events)  # type: ignore[arg-type]
    with zf.open(member) as fh:
        while chunk := fh.read(_CHUNK):
            parser.feed(chunk)
            yield from parser.read_events()  # type: ignore[misc]
    parser.close()
    yield from parser.read_events()  # type: ignore[misc]


def check_workbook(path: Path, *, max_cells: int, max_errors: int, fast: bool = True) -> list[Issue]:
    """Problems that make the workbook read differently from what Excel shows; [] when there are none."""
    name = path.name
    try:
        with zipfile.ZipFile(path) as zf:
            if "xl/workbook.xml" not in zf.namelist():
                return [_unreadable(name, t("no_workbook_xml"))]
            sheets, recalculate = _sheets(zf)
            if not sheets:
                return [Issue(name, None, None, t("no_sheet"), t("no_sheet_expected"))]
            hidden = [
                Issue(
                    f"{name}:{sheet_ref(sheet)}",
                    None,
                    None,
                    t("very_hidden_sheet" if state == "veryHidden" else "hidden_sheet"),
                    t("hidden_sheet_expected"),
                )
                for sheet, state, _ in sheets
                if state in ("hidden", "veryHidden")
            ]
            if hidden:
                return hidden
            first, _, part = sheets[0]
            if part is None or part not in zf.namelist():
                return [Issue(name, None, None, t("sheet_no_part", sheet=sheet_ref(first)))]
            unpacked = sum(zf.getinfo(m).file_size for m in (part, _SHARED_STRINGS) if m in zf.namelist())
            most = max(_MIN_UNPACKED, max_cells * _BYTES_PER_CELL)
            if unpacked > most:
                return [
                    Issue(
                        f"{name}:{sheet_ref(first)}",
                        None,
                        None,
                        t("sheet_unpacks_to", size=f"{unpacked:,}"),
                        t("sheet_unpacks_expected", most=f"{most:,}", per_cell=_BYTES_PER_CELL, limit=_LIMIT),
                    )
                ]
            check = _check_cells_fast if fast else _check_cells
            found = check(
                zf,
                part,
                f"{name}:{sheet_ref(first)}",
                max_cells=max_cells,
                max_errors=max_errors,
                recalculate=recalculate,
            )
            if found is None:  # a layout the fast scan does not know: the element by element parse
                found = _check_cells(
                    zf,
                    part,
                    f"{name}:{sheet_ref(first)}",
                    max_cells=max_cells,
                    max_errors=max_errors,
                    recalculate=recalculate,
                )
            return found
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ParseError, KeyError, EOFError, ValueError) as e:
        return [_unreadable(name, shown(e, 120))]


def _unreadable(name: str, why: str) -> Issue:
    return Issue(name, None, None, t("cannot_read_workbook", why=why), t("an_xlsx_workbook"))


def _sheets(zf: zipfile.ZipFile) -> tuple[list[tuple[str, str, str | None]], bool]:
    """(name, state, part) of every sheet, in workbook order (the order Excel's tabs show), and
    whether the workbook asks to be recalculated when opened (``fullCalcOnLoad``)."""
    targets: dict[str, str] = {}
    if "xl/_rels/workbook.xml.rels" in zf.namelist():
        for _, el in _elements(zf, "xl/_rels/workbook.xml.rels"):
            if _local(el.tag) == "Relationship" and el.get("Id") and el.get("Target"):
                target = el.get("Target", "")
                targets[el.get("Id", "")] = (
                    target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
                )
    sheets = []
    recalculate = False
    for _, el in _elements(zf, "xl/workbook.xml"):
        if _local(el.tag) == "sheet":
            rid = _attr(el, "id")
            sheets.append((el.get("name", ""), el.get("state", "visible"), targets.get(rid or "")))
        elif _local(el.tag) == "calcPr":
            recalculate = el.get("fullCalcOnLoad") in ("1", "true")
    return sheets, recalculate


def _check_cells(
    zf: zipfile.ZipFile, part: str, where: str, *, max_cells: int, max_errors: int, recalculate: bool
) -> list[Issue]:
    """The sheet's size first, then each cell; stops at the first sign that the sheet is too large."""
    issues: list[Issue] = []
    more = 0
    max_row = max_col = 0
    row = 0
    col = 0
    sheet_data: Element | None = None
    for event, el in _elements(zf, part, ("start", "end")):
        tag = _local(el.tag)
        if event == "start":
            if tag == "sheetData":
                sheet_data = el
            elif tag == "dimension":
                declared = _too_large(el.get("ref", ""), max_cells)
                if declared:
                    return [_declares_too_many(where, declared, max_cells)]
            elif tag == "row":
                row = int(el.get("r") or row + 1)
                col = 0
            continue
        if tag != "c":
            if tag == "row" and sheet_data is not None:
                sheet_data.clear()  # rows already checked: memory stays flat however long the sheet
            continue
        ref = el.get("r")
        match = _REF.fullmatch(ref) if ref else None
        if match:
            col, row = _column_number(match.group(1)), int(match.group(2))
        else:
            col += 1
        if row > max_row or col > max_col:
            max_row, max_col = max(max_row, row), max(max_col, col)
            if max_row * max_col > max_cells:
                return [_too_far(where, max_row, max_col, max_cells)]
        problem = _cell_problem(el, recalculate)
        if problem:
            if len(issues) < max_errors:
                issues.append(Issue(f"{where}!{column_letters(col)}{row}", None, None, problem[0], problem[1]))
            else:
                more += 1
        el.clear()
    if more:
        issues.append(Issue(where, None, None, tn("more_cells", more)))
    return issues


def _too_far(where: str, max_row: int, max_col: int, max_cells: int) -> Issue:
    return Issue(
        where,
        None,
        None,
        t(
            "sheet_reaches",
            cell=f"{column_letters(max_col)}{max_row}",
            size=t("sheet_size", rows=f"{max_row:,}", cols=f"{max_col:,}", cells=f"{max_row * max_col:,}"),
        ),
        t("at_most_cells", most=f"{max_cells:,}", limit=_LIMIT),
    )


# The fast scan: regular expressions over the sheet's bytes, a few MB of whole rows at a time.
# Parsing each cell as an element took fifteen times longer than the cell reader itself; this
# costs about as much. The patterns are compiled for the sheet's own tag prefix (usually none),
# so that each starts with a literal; only error and formula cells are parsed as elements.
_SHEET_DATA = re.compile(rb"<([A-Za-z_][\w.-]*:)?sheetData[\s/>]")
_DIMENSION = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?dimension\s[^>]*?\bref=[\"']([^\"']*)")
_PREFIX = re.compile(rb"<([A-Za-z_][\w.-]*):")
_FAST_CHUNK = 4 << 20
_MAX_PENDING = 64 << 20  # bytes without one whole row: not a sheet a person made


class _Patterns:
    def __init__(self, prefix: bytes) -> None:
        p = re.escape(prefix)
        self.cell = b"<" + prefix + b"c "
        # a cell without attributes, or its name followed by other white space: the full parse reads it
        self.odd_cell = re.compile(b"<" + p + rb"c[\t\r\n/>]")
        self.column = re.compile(b"<" + p + rb"c [^>]*?\br=[\"']\$?([A-Za-z]{1,3})")
        self.row = re.compile(b"<" + p + rb"row\s[^>]*?\br=[\"'](\d{1,7})[\"']")
        self.row_tag = b"<" + prefix + b"row"
        self.ref = re.compile(b"<" + p + rb"c [^>]*?\br=[\"']\$?([A-Za-z]{1,3})\$?(\d{1,7})[\"']")
        self.cell_end = re.compile(b"</" + p + rb"c>")
        self.error = re.compile(b"<" + p + rb"c [^>]*?\bt=[\"']e[\"']")
        self.formula = re.compile(b"<" + p + rb"f[\s/>]")
        self.row_end = b"</" + prefix + b"row>"


def _cell_element(xml: bytes) -> Element | None:
    try:
        return fromstring(xml)
    except ParseError:
        prefix = _PREFIX.match(xml)
        if prefix is None:
            return None
        try:
            return fromstring(b'<w xmlns:%s="urn:w">%s</w>' % (prefix.group(1), xml))[0]
        except ParseError:
            return None


def _check_cells_fast(
    zf: zipfile.ZipFile, part: str, where: str, *, max_cells: int, max_errors: int, recalculate: bool
) -> list[Issue] | None:
    """What :func:`_check_cells` finds; None when the sheet is laid out in a way it does not read
    (cells without a reference, a row without a number, a formula outside a cell), so that the
    element by element parse decides."""
    issues: list[Issue] = []
    more = 0
    max_row = max_col = 0
    buf = b""
    pat: _Patterns | None = None
    with zf.open(part) as fh:
        while True:
            data = fh.read(_FAST_CHUNK)
            buf += data
            if pat is None:
                opening = _SHEET_DATA.search(buf)
                if opening is None and data:
                    if len(buf) > _MAX_PENDING:
                        return None
                    continue
                dimension = _DIMENSION.search(buf, 0, opening.start() if opening else len(buf))
                declared = dimension and _too_large(dimension.group(1).decode("ascii", "replace"), max_cells)
                if declared:
                    return [_declares_too_many(where, declared, max_cells)]
                pat = _Patterns((opening.group(1) or b"") if opening else b"")
            cut = buf.rfind(pat.row_end)
            cut = len(buf) if not data else cut + len(pat.row_end) if cut >= 0 else -1
            if cut < 0:
                if len(buf) > _MAX_PENDING:
                    return [Issue(where, None, None, t("row_too_long", size=f"{_MAX_PENDING:,}"), t("a_sheet_of_rows"))]
                continue
            segment, buf = buf[:cut], buf[cut:]
            if pat.odd_cell.search(segment):
                return None
            columns = pat.column.findall(segment)
            rows = pat.row.findall(segment)
            if len(columns) != segment.count(pat.cell) or len(rows) != segment.count(pat.row_tag):
                return None
            if columns:
                max_col = max(max_col, *(_column_number(c.decode()) for c in {c.upper() for c in columns}))
            if rows:
                max_row = max(max_row, *(int(r) for r in set(rows)))
            if max_row * max_col > max_cells:
                return [_too_far(where, max_row, max_col, max_cells)]
            maybe_errors = b't="e"' in segment or b"t='e'" in segment  # one quick search before the pattern
            starts = {m.start() for m in pat.error.finditer(segment)} if maybe_errors else set()
            for formula in pat.formula.finditer(segment):
                start = segment.rfind(b"<", 0, formula.start())
                if start < 0 or not segment.startswith(pat.cell, start):
                    return None
                starts.add(start)
            for start in sorted(starts):
                tag_end = segment.find(b">", start)
                if segment[tag_end - 1 : tag_end] == b"/":
                    end = tag_end + 1
                else:
                    close = pat.cell_end.search(segment, tag_end)
                    if close is None:
                        return None
                    end = close.end()
                cell = _cell_element(segment[start:end])
                ref = pat.ref.match(segment, start)
                if cell is None or ref is None:
                    return None
                problem = _cell_problem(cell, recalculate)
                if problem is None:
                    continue
                if len(issues) < max_errors:
                    at = ref.group(1).decode().upper() + ref.group(2).decode()
                    issues.append(Issue(f"{where}!{at}", None, None, problem[0], problem[1]))
                else:
                    more += 1
            if not data:
                break
    if more:
        issues.append(Issue(where, None, None, tn("more_cells", more)))
    return issues


def _cell_problem(cell: Element, recalculate: bool) -> tuple[str, str] | None:
    """An error cell, or a formula whose stored value is not what Excel shows.

    A program that writes formulas (openpyxl, xlsxwriter) stores no value, or
    a placeholder 0 and asks Excel to recalculate on opening: either way the
    stored value is not the one a person sees.
    """
    formula = value = None
    for child in cell:
        tag = _local(child.tag)
        if tag == "f":
            formula = child
        elif tag == "v":
            value = child
    if cell.get("t") == "e":
        shown_value = shown(value.text if value is not None else "", 20)
        return t("error_cell", value=shown_value), t("error_cell_expected")
    if formula is not None and (value is None or recalculate):
        text = f" ={shown(formula.text, 40)}" if formula.text else ""
        return (
            t("formula_uncalculated", formula=text),
            t("formula_uncalculated_expected"),
        )
    return None


def _declares_too_many(where: str, declared: str, max_cells: int) -> Issue:
    """The sheet's own dimension declares more cells than are read: refused before any cell is."""
    return Issue(
        where,
        None,
        None,
        t("sheet_declares", declared=declared),
        t("at_most_cells", most=f"{max_cells:,}", limit=_LIMIT),
    )


def _too_large(ref: str, max_cells: int) -> str | None:
    """The declared range, when it reaches beyond ``max_cells`` counted from A1."""
    end = ref.rsplit(":", maxsplit=1)[-1]
    match = _REF.fullmatch(end)
    if not match:
        return None
    rows, cols = int(match.group(2)), _column_number(match.group(1))
    if rows * cols <= max_cells:
        return None
    return f"{shown(ref, 30)}: " + t("sheet_size", rows=f"{rows:,}", cols=f"{cols:,}", cells=f"{rows * cols:,}")

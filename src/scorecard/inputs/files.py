"""Find a table's file in the period folder and read it, untyped, into polars.

Each format is read the way it stores values: CSV as text (every column a
string; typing is :mod:`scorecard.inputs.parse`'s job), Parquet and Excel with
their native cell types. What comes out is the same for all three: the
headers as written, columns named by position (a file may repeat a header),
and ``_line``, the line a person sees when opening the file (header = 1).

The format is checked against the bytes, never trusted from the extension,
and the CSV encoding is detected from the bytes (BOM, strict UTF-8, else
GB18030), never from the locale.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import logging
import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import fastexcel
import polars as pl
import polars.selectors as cs

from scorecard.i18n import t
from scorecard.inputs.schema import FORMATS
from scorecard.inputs.settings import DEFAULT_MAX_SHEET_CELLS
from scorecard.inputs.xlsx import check_workbook, is_encrypted
from scorecard.issues import Issue
from scorecard.report.shown import shown

_CHUNK = 1 << 20
_UTF8_BOM = b"\xef\xbb\xbf"
_ZIP = b"PK\x03\x04"
_PARQUET = b"PAR1"
_OLE = b"\xd0\xcf\x11\xe0"
_MAGIC = {
    _ZIP: "magic_zip",
    _PARQUET: "magic_parquet",
    _OLE: "magic_xls",
    b"%PDF": "magic_pdf",
}
# Extra CSV fields read past the header's width, to notice rows with too many fields.
_EXTRA_FIELDS = 1
# Rows searched for the header at the top of an Excel sheet.
_HEADER_SEARCH_ROWS = 50
# fastexcel logs a warning for every column without a value; an empty optional
# column is normal here, and whatever matters is reported as an Issue.
logging.getLogger("fastexcel.types.dtype").setLevel(logging.ERROR)


@dataclass(frozen=True, slots=True)
class RawTable:
    source: str  # file name as shown in messages
    sha256: str
    headers: tuple[str, ...]  # as written, stripped of whitespace and BOM ("" for an empty header cell)
    frame: pl.DataFrame  # "_line" (Int64) and one column per header, named "c0", "c1", …
    # CSV lines with more fields than the header has, "_line" only
    ragged: pl.DataFrame


def position(i: int) -> str:
    """Name of the i-th column of a raw frame."""
    return f"c{i}"


def find_table_file(folder: Path, files: list[Path], table: str) -> tuple[Path | None, list[Issue]]:
    """The one file holding ``table`` among ``files`` (names compared case-insensitively)."""
    where = folder.name
    found = [p for p in files if p.name.lower() in {table + ext for ext in FORMATS}]
    if len(found) > 1:
        names = ", ".join(shown(p.name) for p in found)
        return None, [Issue(where, None, None, t("two_files", table=table, names=names), t("one_file_only"))]
    if found:
        return found[0], []
    others = [p.name for p in files if p.stem.lower() == table and not p.name.startswith("~$")]
    if others:
        return None, [
            Issue(
                where,
                None,
                None,
                t("no_readable_file", table=table, files=", ".join(map(shown, others))),
                _choices(table),
            )
        ]
    return None, []


def missing_table(folder: Path, table: str) -> Issue:
    return Issue(folder.name, None, None, t("missing_table", table=table), _choices(table))


def _choices(table: str) -> str:
    return t("one_of_files", choices=", ".join(table + ext for ext in FORMATS))


def read_table_file(
    path: Path, *, max_sheet_cells: int = DEFAULT_MAX_SHEET_CELLS, max_errors: int = 200
) -> RawTable | list[Issue]:
    """Read one table file; Issues naming the file (or the cell) when it is not what it claims to be."""
    try:
        scan = _scan(path)
    except OSError as e:
        return [Issue(path.name, None, None, t("cannot_read_file", why=e.strerror or e))]
    if scan.size == 0:
        return [Issue(path.name, None, None, t("empty_file"), t("header_then_lines"))]
    suffix = path.suffix.lower()
    read: RawTable | Issue | list[Issue]
    try:
        if suffix == ".csv":
            read = _read_csv(path, scan)
        elif suffix == ".parquet":
            read = _read_parquet(path, scan)
        else:
            read = _read_xlsx(path, scan, max_sheet_cells=max_sheet_cells, max_errors=max_errors)
    except (pl.exceptions.PolarsError, fastexcel.FastExcelError, OSError) as e:
        kind = {".csv": "CSV", ".parquet": "Parquet"}.get(suffix) or t("an_excel_workbook")
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        return [Issue(path.name, None, None, t("cannot_read_as", kind=kind, why=shown(first, 200)))]
    return [read] if isinstance(read, Issue) else read


@dataclass(frozen=True, slots=True)
class _Scan:
    size: int
    sha256: str
    head: bytes
    tail: bytes
    has_nul: bool
    utf8_error_at: int | None  # byte offset of the first invalid UTF-8 sequence; None when valid
    lines: int  # physical lines, as an editor counts them ("\n"; a last line without one counts)


def _scan(path: Path) -> _Scan:
    """One streaming pass: hash, magic bytes, NUL bytes and strict UTF-8 validity.

    Streaming keeps memory flat for the 10-million-row files of the README's Performance section.
    """
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    head = b""
    tail = b""
    size = 0
    has_nul = False
    error_at: int | None = None
    newlines = 0
    with path.open("rb") as f:
        while True:
            chunk = f.read(_CHUNK)
            if error_at is None:
                pending = len(decoder.getstate()[0])
                try:
                    decoder.decode(chunk, final=not chunk)
                except UnicodeDecodeError as e:
                    error_at = size - pending + e.start
            if not chunk:
                break
            if not head:
                head = chunk[:8]
            digest.update(chunk)
            size += len(chunk)
            has_nul = has_nul or b"\x00" in chunk
            newlines += chunk.count(b"\n")
            tail = (tail + chunk)[-4:]
    lines = newlines + (1 if tail and not tail.endswith(b"\n") else 0)
    return _Scan(size, digest.hexdigest(), head, tail, has_nul, error_at, lines)


def csv_lookalike(head: bytes) -> bool:
    """The first bytes are another format's, or UTF-16 text: not a file to read as CSV as it is."""
    return head.startswith((*_MAGIC, b"\xff\xfe", b"\xfe\xff"))


def _what_it_is(head: bytes) -> str | None:
    return next((t(what) for magic, what in _MAGIC.items() if head.startswith(magic)), None)


def _read_csv(path: Path, scan: _Scan) -> RawTable | Issue:
    """All columns as strings, empty string = null.

    ``_line`` is the line an editor shows where the record starts (header = 1),
    also after a quoted cell holding a line break (see :func:`_record_lines`).
    The whole file is in one encoding (see :func:`_decode`).
    """
    expected = t("csv_expected")
    if what := _what_it_is(scan.head):
        return Issue(path.name, None, None, t("not_csv_it_is", what=what), expected)
    if scan.head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return Issue(path.name, None, None, t("utf16"), t("utf8_or_gbk"))
    if scan.has_nul:
        return Issue(path.name, None, None, t("csv_nul"), expected)
    source: Path | bytes = path
    if scan.utf8_error_at is not None:
        decoded = _decode(path.name, path.read_bytes(), scan.utf8_error_at)
        if isinstance(decoded, Issue):
            return decoded
        source = decoded
    header = pl.read_csv(source, has_header=False, n_rows=1, infer_schema=False, truncate_ragged_lines=True)
    headers = tuple(clean_header(v) for v in header.row(0)) if header.height else ()
    if not any(headers):
        return Issue(path.name, 1, None, t("no_header_line"), t("header_then_lines"))
    width = len(headers)
    extra = [f"x{i}" for i in range(_EXTRA_FIELDS)]
    frame = pl.read_csv(
        source,
        has_header=False,
        infer_schema=False,
        schema={**{position(i): pl.String for i in range(width)}, **dict.fromkeys(extra, pl.String)},
        missing_columns="insert",
        truncate_ragged_lines=True,
        row_index_name="_line",
        row_index_offset=1,
    )
    frame = frame.with_columns(pl.col("_line").cast(pl.Int64))
    if frame.height != scan.lines:  # a record spans lines (or the reader split them differently)
        starts = _record_lines(source if isinstance(source, bytes) else path.read_bytes(), frame.height)
        if starts is not None:
            frame = frame.with_columns(starts.gather(frame.get_column("_line") - 1).alias("_line"))
    frame = frame.slice(1)  # row 0 is the header
    ragged = frame.filter(pl.any_horizontal(pl.col(extra).is_not_null())).select("_line")
    frame = drop_blank_rows(tidy(frame.drop(extra)))
    return RawTable(path.name, scan.sha256, headers, frame, ragged)


_ASCII = rb"[\x00-\x09\x0b-\x7f]"  # without the line feed
_MULTI = rb"(?:[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3})"
_WIDE = rb"[\xe0-\xef][\x80-\xbf]{2}"  # a character from U+0800 on: every CJK character
# A line that is valid UTF-8 and not only ASCII (the alternatives start with different bytes,
# so the match is linear).
_UTF8_TEXT_LINE = re.compile(rb"(?m)^" + _ASCII + rb"*" + _MULTI + rb"(?:" + _ASCII + rb"|" + _MULTI + rb")*$")
# A line with a byte outside ASCII.
_NON_ASCII_LINE = re.compile(rb"(?m)^[^\n\x80-\xff]*[\x80-\xff]")
# A valid UTF-8 line with at least two CJK characters: GB18030/GBK text never pairs up like
# this by chance, so in a GB18030 file it is a UTF-8 line.
_UTF8_CJK_LINE = re.compile(
    rb"(?m)^(?:"
    + _ASCII
    + rb"|[\xc2-\xdf][\x80-\xbf]|[\xf0-\xf4][\x80-\xbf]{3})*"
    + _WIDE
    + rb"(?:"
    + _ASCII
    + rb"|[\xc2-\xdf][\x80-\xbf]|[\xf0-\xf4][\x80-\xbf]{3})*"
    + _WIDE
    + rb"(?:"
    + _ASCII
    + rb"|"
    + _MULTI
    + rb")*$"
)


def _decode(name: str, data: bytes, utf8_error_at: int) -> bytes | Issue:
    """A file that is not valid UTF-8, as UTF-8 bytes; an Issue when it mixes encodings.

    The file is in the encoding most of its non-ASCII lines are in. When that
    is UTF-8, the first line that is not (a GBK line pasted into a UTF-8 file)
    is the error. Otherwise the file must decode whole as GB18030, and a line
    that is UTF-8 CJK text (a UTF-8 line pasted into a GBK file) is the error:
    decoded as GB18030 it would become mojibake without any error.
    """
    line = data.count(b"\n", 0, utf8_error_at) + 1
    if data.startswith(_UTF8_BOM):
        return Issue(name, line, None, t("bom_not_utf8"), t("utf8_text"))
    utf8_lines = sum(1 for _ in _UTF8_TEXT_LINE.finditer(data))
    other_lines = sum(1 for _ in _NON_ASCII_LINE.finditer(data)) - utf8_lines
    if utf8_lines > other_lines:
        return Issue(
            name,
            line,
            None,
            t("line_not_utf8", count=utf8_lines),
            t("one_encoding"),
        )
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        return Issue(name, line, None, t("neither_utf8_nor_gbk"), t("utf8_or_gbk"))
    utf8_line = _UTF8_CJK_LINE.search(data)
    if utf8_line:
        line = data.count(b"\n", 0, utf8_line.start()) + 1
        return Issue(name, line, None, t("utf8_line_in_gbk"), t("one_encoding"))
    return text.encode("utf-8")


def _record_lines(data: bytes, records: int) -> pl.Series | None:
    """The physical line each CSV record starts on, when a quoted cell holds line breaks.

    Python's csv module counts the physical lines it has read; polars does not.
    None when the two readers do not see the same number of records: the
    record number is kept then (it is exact up to the first multi-line cell).
    """
    reader = csv.reader(io.StringIO(data.decode("utf-8-sig", errors="replace"), newline=""))
    starts = []
    read = 0
    limit = csv.field_size_limit(len(data) + 1)  # a cell may be as long as the file
    try:
        for _ in reader:
            starts.append(read + 1)
            read = reader.line_num
    except csv.Error:
        return None
    finally:
        csv.field_size_limit(limit)
    return pl.Series(starts, dtype=pl.Int64) if len(starts) == records else None


def _read_parquet(path: Path, scan: _Scan) -> RawTable | Issue:
    """Native column types; ``_line`` = row index + 2, as if the file had a header line."""
    if not (scan.head.startswith(_PARQUET) and scan.tail == _PARQUET):
        what = _what_it_is(scan.head)
        message = t("not_parquet_it_is", what=what) if what else t("not_parquet")
        return Issue(path.name, None, None, message, t("magic_parquet"))
    data = pl.read_parquet(path).rechunk().with_columns((cs.categorical() | cs.enum()).cast(pl.String))
    headers = tuple(clean_header(c) for c in data.columns)
    frame = data.rename({c: position(i) for i, c in enumerate(data.columns)}).with_row_index("_line", offset=2)
    frame = tidy(frame.with_columns(pl.col("_line").cast(pl.Int64)))
    return RawTable(path.name, scan.sha256, headers, frame, _no_lines())


def _read_xlsx(path: Path, scan: _Scan, *, max_sheet_cells: int, max_errors: int) -> RawTable | Issue | list[Issue]:
    """First sheet, through calamine; the header is the first non-empty row.

    ``_line`` is the sheet's row number, so a sheet that starts lower down
    still points at the row Excel shows. The workbook is checked first
    (:mod:`scorecard.inputs.xlsx`): calamine would read hidden sheets,
    uncalculated formulas and error cells silently, and allocate a huge
    sheet's whole grid.
    """
    if scan.head.startswith(_OLE) and is_encrypted(path):
        return Issue(
            path.name,
            None,
            None,
            t("workbook_encrypted"),
            t("workbook_encrypted_expected"),
        )
    if not scan.head.startswith(_ZIP):
        what = _what_it_is(scan.head)
        message = t("not_xlsx_it_is", what=what) if what else t("not_xlsx")
        return Issue(path.name, None, None, message, t("an_xlsx_workbook"))
    problems = check_workbook(path, max_cells=max_sheet_cells, max_errors=max_errors)
    if problems:
        return problems
    reader = fastexcel.read_excel(path)
    probe = reader.load_sheet(0, header_row=None, skip_rows=0, n_rows=_HEADER_SEARCH_ROWS, dtypes="string")
    top = probe.to_polars()
    filled = [i for i, row in enumerate(top.iter_rows()) if any(v is not None and v.strip() for v in row)]
    if not filled:
        where = t("first_sheet_empty") if top.height == 0 else t("no_header_rows", count=top.height)
        return Issue(path.name, None, None, where, t("header_then_rows"))
    header_row = filled[0]
    headers = tuple(clean_header(v) for v in top.row(header_row))
    data = reader.load_sheet(0, header_row=header_row, schema_sample_rows=None).to_polars()
    data = data.select(data.columns[: len(headers)])
    frame = data.rename({c: position(i) for i, c in enumerate(data.columns)}).with_row_index(
        "_line", offset=header_row + 2
    )
    frame = drop_blank_rows(tidy(frame.with_columns(pl.col("_line").cast(pl.Int64))))
    return RawTable(path.name, scan.sha256, headers, frame, _no_lines())


def clean_header(value: object) -> str:
    return "" if value is None else str(value).replace("\ufeff", "").strip()


def tidy(frame: pl.DataFrame, padded: Collection[str] | None = None) -> pl.DataFrame:
    """Strip text cells; a cell of only spaces is empty, like an empty one.

    Only the columns that have such cells are rewritten: copying every text
    column of a 10-million-row file (the usual file has none) doubled the
    memory of loading it. A cell is padded when ``strip_chars()`` (which strips
    Unicode White_Space) makes it shorter: faster than a regex over every cell.
    ``padded`` limits the columns looked at for padding (the others only have
    their empty cells made null): see :func:`scorecard.inputs.load` for when a
    padded cell cannot go unnoticed.
    """
    text = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    looked = [c for c in text if padded is None or c in padded]
    # one column at a time: each check makes a stripped copy of its column for a moment, and all
    # at once (polars runs a select's expressions together) held one per text column of 10M rows
    strip = [
        c
        for c in looked
        if frame.select((pl.col(c).str.strip_chars().str.len_bytes() != pl.col(c).str.len_bytes()).any()).item()
    ]
    blank = {c for c in text if frame.select((pl.col(c) == "").any()).item()}
    if strip:
        frame = frame.with_columns(pl.col(strip).str.strip_chars())
        # a stripped column may have become blank where it was only spaces
        has_blank = frame.select((pl.col(strip) == "").any())
        blank |= {c for c in strip if has_blank.get_column(c)[0]}
    # blanking is a second pass, run only on the (rare) columns that need it
    return frame.with_columns(pl.when(pl.col(c) != "").then(pl.col(c)).alias(c) for c in text if c in blank)


def drop_blank_rows(frame: pl.DataFrame) -> pl.DataFrame:
    """Blank lines are not records (their line numbers stay counted)."""
    if frame.width == 1:
        return frame
    blank = pl.all_horizontal(pl.exclude("_line").is_null())
    if not frame.select(blank.any()).item():
        return frame  # the usual file: no copy of every column for nothing
    return frame.filter(~blank)


def _no_lines() -> pl.DataFrame:
    return pl.DataFrame(schema={"_line": pl.Int64})


def table_file_hashes(folder: Path) -> dict[str, str | None] | None:
    """SHA-256 of each table's file in ``folder`` (None for an absent table), without parsing them:
    how `close` tells that a month's inputs changed since it was run. None when the folder is gone."""
    from scorecard.inputs.schema import TABLES

    try:
        files = sorted(p for p in folder.iterdir() if p.is_file())
    except OSError:
        return None
    out: dict[str, str | None] = {}
    for name in TABLES:
        path, _ = find_table_file(folder, files, name)
        if path is None:
            out[name] = None
            continue
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        out[name] = digest.hexdigest()
    return out

"""A plain CSV file read in blocks of whole lines, hashed as it is read.

The whole-file reader (:func:`scorecard.inputs.files.read_table_file`) holds
a file's bytes and every cell of it as text at once, and passes over the
bytes in Python for the hash and the UTF-8 check before polars reads them:
for a month of ten million tickets that is most of the time and memory of
loading. Most files are plain: UTF-8, one record per line, every record as
wide as the header. Such a file is read here one block of lines at a time;
each block is hashed, parsed by polars with the whole-file reader's own
options, and typed by the caller before the next block is read, so only one
block's text is ever held.

Whatever this reader cannot vouch for raises :class:`NotPlain`, and the
caller reads the file again with the whole-file reader, which words every
problem (bytes that are not UTF-8, a record spanning lines, a row with too
many fields, a header cell left empty …). That keeps one set of rules for
what a file means: a block is parsed exactly as the same lines of the whole
file are, because parsing stops and starts cleanly at a line break outside
quotes, and every block is checked to end at one:

- polars refuses a quoted cell still open at the end of the bytes it is
  given, so a block cannot end inside quotes unnoticed;
- a block with quotes and fewer records than lines holds a quoted line
  break, which only the whole-file reader numbers right (without quotes,
  polars ends a record at every line break, a blank line's too);
- polars refuses bytes that are not UTF-8 in any cell it reads as text, and
  every cell is read (a row with more fields than the header goes back to the
  whole-file reader, which reads it all);
- polars drops a byte-order mark at the start of what it is given, so a
  block other than the first must not start with one.

Bad cells are found by the caller while it types a block; the first one
sends the file to the whole-file reader too, so that its messages, and
every other one, are worded, counted and capped as they always were.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

import polars as pl

from scorecard.inputs.files import clean_header, csv_lookalike, drop_blank_rows, position, tidy

# Bytes read at a time: large enough that polars parses each block on every core, small enough
# that one block's text is a small part of what the typed table holds in the end.
BLOCK_BYTES = 1 << 24
_EXTRA = "x0"  # one field past the header's width: a row that has it has too many
_UTF8_BOM = b"\xef\xbb\xbf"


class NotPlain(Exception):
    """The file needs the whole-file reader (which also words the problem, if it is one)."""


class CsvBlocks:
    """The header, then the data lines in blocks; ``sha256`` once every block was read."""

    def __init__(
        self,
        path: Path,
        padded: Callable[[tuple[str, ...]], Collection[str]],
        block_bytes: int | None = None,
    ) -> None:
        """``padded`` is told the headers before any data line is read; it names the columns
        (``c0``, ``c1`` …) whose cells are stripped when padded (:func:`files.tidy`), or raises
        :class:`NotPlain`."""
        self.path = path
        self.padded = padded
        self.block_bytes = block_bytes or BLOCK_BYTES
        self.headers: tuple[str, ...] = ()
        self.sha256: str | None = None

    def frames(self) -> Iterator[pl.DataFrame]:
        """Each block as the whole-file reader's frame of those lines would be: text cells
        stripped (an empty one null), blank lines left out, ``_line`` as an editor counts lines.

        The next block is read while the caller types this one (polars works outside the GIL),
        so reading and typing share the cores; one block more is held meanwhile.
        """
        blocks = self._frames()
        try:
            with ThreadPoolExecutor(max_workers=1) as reader:
                ahead = reader.submit(next, blocks, None)
                while (frame := ahead.result()) is not None:
                    ahead = reader.submit(next, blocks, None)
                    yield frame
                    del frame
        finally:
            blocks.close()

    def _frames(self) -> Generator[pl.DataFrame]:
        digest = hashlib.sha256()
        schema: dict[str, pl.DataType] | None = None
        padded: Collection[str] = ()
        line = 1  # of the block's first record
        with self.path.open("rb") as f:
            while block := _whole_lines(f, self.block_bytes):
                digest.update(block)  # the blocks are the file's bytes, in order
                if b"\x00" in block:
                    raise NotPlain
                if schema is None:
                    schema = self._header(block)
                    padded = self.padded(self.headers)
                frame, records = self._parse(block, schema, line, padded)
                del block
                line += records
                yield frame
        if schema is None:
            raise NotPlain  # an empty file
        self.sha256 = digest.hexdigest()

    def _header(self, block: bytes) -> dict[str, pl.DataType]:
        if not block or csv_lookalike(block[:8]):
            raise NotPlain
        # the first line only: a header spanning lines is not plain (its block has fewer records than lines)
        first = block[: block.find(b"\n") + 1] or block
        header = _polars(
            lambda: pl.read_csv(first, has_header=False, n_rows=1, infer_schema=False, truncate_ragged_lines=True)
        )
        headers = tuple(clean_header(v) for v in header.row(0)) if header.height else ()
        if not headers or not all(headers):
            raise NotPlain  # no header, or a column without one: the whole file decides what it holds
        self.headers = headers
        return {**{position(i): pl.String() for i in range(len(headers))}, _EXTRA: pl.String()}

    @staticmethod
    def _parse(
        block: bytes, schema: dict[str, pl.DataType], line: int, padded: Collection[str]
    ) -> tuple[pl.DataFrame, int]:
        """The block's frame, and how many records (lines) it holds."""
        if line > 1 and block.startswith(_UTF8_BOM):
            raise NotPlain  # polars would take a cell's leading U+FEFF for the file's byte-order mark
        frame = _polars(
            lambda: pl.read_csv(
                block,
                has_header=False,
                infer_schema=False,
                schema=schema,
                missing_columns="insert",
                truncate_ragged_lines=True,
                row_index_name="_line",
                row_index_offset=line,
            )
        )
        records = frame.height
        # polars ends a record at every line break outside quotes, a blank line included: only a
        # quoted line break makes a record span lines (counting them is worth it only then)
        if b'"' in block and records != block.count(b"\n") + (not block.endswith(b"\n")):
            raise NotPlain
        if frame.get_column(_EXTRA).null_count() < records:
            raise NotPlain
        frame = frame.drop(_EXTRA).with_columns(pl.col("_line").cast(pl.Int64))
        if line == 1:
            frame = frame.slice(1)  # the header
        return drop_blank_rows(tidy(frame, padded)), records


def _whole_lines(f: BinaryIO, size: int) -> bytes:
    """The next ``size`` bytes or so, up to the last line break in them (all that is left at the
    end of the file); the file is left just after them. Read once, without a copy joining pieces."""
    start = f.tell()
    block = b""
    while more := f.read(size):
        block += more  # joins pieces only for a line longer than a block
        if len(more) < size:
            return block  # the end of the file
        cut = block.rfind(b"\n") + 1
        if cut:
            f.seek(start + cut)
            return block[:cut] if cut < len(block) else block
    return block


def _polars(read: Callable[[], pl.DataFrame]) -> pl.DataFrame:
    """What polars cannot parse, the whole-file reader reports."""
    try:
        return read()
    except pl.exceptions.PolarsError as e:
        raise NotPlain from e

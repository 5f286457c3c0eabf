"""A plain CSV file read in blocks (inputs/csvblocks.py) loads exactly as the whole-file reader loads it.

Small blocks (a few lines each) put block boundaries everywhere; each test also checks which reader
ran, so that a comparison cannot pass because both sides took the same way.
"""

# Messages are asserted whole, as users read them; timestamps are naive local time by design.
# ruff: noqa: DTZ001

from __future__ import annotations

import hashlib
import random
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
from conftest import InputsFolder
from polars.testing import assert_frame_equal

from scorecard.inputs import csvblocks, load
from scorecard.inputs.files import RawTable, tidy
from scorecard.inputs.model import PeriodInputs
from scorecard.issues import Issue


@pytest.fixture
def whole_file_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the files the whole-file reader read; blocks of about three lines."""
    monkeypatch.setattr(csvblocks, "BLOCK_BYTES", 97)
    read: list[str] = []
    original = load.read_table_file

    def recorded(path: Path, **kwargs: int) -> RawTable | list[Issue]:
        read.append(path.name)
        return original(path, **kwargs)

    monkeypatch.setattr(load, "read_table_file", recorded)
    return read


def whole_file(inputs: InputsFolder, monkeypatch: pytest.MonkeyPatch, **settings: object) -> PeriodInputs:
    """The same folder loaded by the whole-file reader alone."""
    with monkeypatch.context() as m:
        m.setattr(load, "_stage_plain_csv", lambda *a, **k: None)
        return inputs.load(**settings)


def assert_same(a: PeriodInputs, b: PeriodInputs) -> None:
    assert [str(i) for i in a.issues] == [str(i) for i in b.issues]
    assert a.tables.keys() == b.tables.keys()
    for name, table in a.tables.items():
        other = b.tables[name]
        assert (table.source, table.sha256, table.given) == (other.source, other.sha256, other.given)
        assert_frame_equal(table.frame, other.frame)
    for name, frame in a.left_out.items():
        assert_frame_equal(frame, b.left_out[name])


STAMPS = ("2026-03-{d:02d} {h:02d}:{m:02d}:{s:02d}", "2026/3/{d} {h}:{m:02d}", "2026-03-{d:02d}T{h:02d}:{m:02d}")
FLAGS = ("true", "false", "TRUE", "False", "1", "0", "yes", "n", "是", "否", "")


def random_complaints(rng: random.Random, rows: int) -> str:
    """Good tickets in the forms people's exports write them: quoted cells, padded text, blank lines,
    several date-time forms, flags and categories in any case, empty optional cells."""
    lines = ["ticket_id,partner_id,received_at,resolved_at,first_reply_at,category,valid,is_repeat,reopen_count,note"]
    for i in range(rows):
        if rng.random() < 0.05:
            lines.append(rng.choice(["", " ", ",,,,,,,,,"]))
        d, h, m, s = rng.randint(1, 30), rng.randint(0, 22), rng.randint(0, 59), rng.randint(0, 59)
        received = rng.choice([*STAMPS[:1] * 4, *STAMPS]).format(d=d, h=h, m=m, s=s)
        resolved = rng.choice(["", f"2026-03-{d:02d} 23:{m:02d}:{s:02d}", f"2026-03-{d:02d}"])
        ticket = f"T{i:05d}"
        if rng.random() < 0.1:
            ticket = f'"{ticket}"'
        partner = rng.choice(["P1", "P2", " P1", "P2 ", '"P1"', "\u3000P2"])
        category = rng.choice(["", "urgent", "Normal", "DIFFICULT", '"normal"'])
        note = rng.choice(["", "a note", '"with, a comma"', '"said ""no"""', "说明"])
        cells = [ticket, partner, received, resolved, "", category, rng.choice(FLAGS), rng.choice(FLAGS)]
        lines.append(",".join([*cells, rng.choice(["", "0", "2", "+3"]), note]))
    ending = rng.choice(["\n", "\r\n"])
    return ending.join(lines) + rng.choice([ending, ""])


@pytest.mark.parametrize("seed", range(25))
def test_random_good_files_load_as_the_whole_file_reader_loads_them(
    inputs: InputsFolder, whole_file_reads: list[str], monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    rng = random.Random(seed)
    text = random_complaints(rng, rng.randint(0, 60))
    data = (b"\xef\xbb\xbf" if rng.random() < 0.3 else b"") + text.encode()
    inputs.raw("complaints.csv", data)
    # a terminated partner's rows are left out (with a warning each) block by block too
    settings: dict[str, object] = {"excluded_partners": {"P2": "terminated in 2026-02"}} if seed % 3 == 0 else {}
    blocks = inputs.load(**settings)
    assert whole_file_reads == []  # every file of the folder was read in blocks
    assert_same(blocks, whole_file(inputs, monkeypatch, **settings))
    assert blocks.tables["complaints"].sha256 == hashlib.sha256(data).hexdigest()


def test_blocks_keep_line_numbers_and_values(inputs: InputsFolder, whole_file_reads: list[str]) -> None:
    rows = [f"T{i},P{1 + i % 2},2026-03-02 09:{i:02d}:00,,urgent" for i in range(40)]
    rows[10] = ""
    rows[25] = "  "
    inputs.csv("complaints", "ticket_id,partner_id,received_at,resolved_at,category\n" + "\n".join(rows) + "\n")
    result = inputs.load()
    assert whole_file_reads == []
    frame = result.tables["complaints"].frame
    assert frame.height == 38
    assert frame["_line"].to_list() == [i + 2 for i in range(40) if i not in (10, 25)]
    assert frame.filter(pl.col("_line") == 41).row(0, named=True) | {"_line": 41} == {
        "ticket_id": "T39",
        "partner_id": "P2",
        "received_at": datetime(2026, 3, 2, 9, 39),
        "resolved_at": None,
        "first_reply_at": None,
        "category": "urgent",
        "valid": True,
        "is_repeat": False,
        "is_major": False,
        "reopen_count": 0,
        "_line": 41,
    }


def test_a_bad_cell_in_a_later_block_keeps_its_exact_message(inputs: InputsFolder, whole_file_reads: list[str]) -> None:
    rows = [f"T{i},P1,2026-03-02 09:00,," for i in range(30)]
    rows[20] = "T20,P1,2026-03-02 09:00,,maybe"
    rows[27] = "T27,P1,02/03/2026 09:00,,"
    inputs.csv("complaints", "ticket_id,partner_id,received_at,resolved_at,valid\n" + "\n".join(rows) + "\n")
    assert inputs.errors() == [
        "complaints.csv:22: valid: not a yes/no value: 'maybe' (expected true/false, 1/0, yes/no, y/n or 是/否)",
        "complaints.csv:29: received_at: not a date-time: '02/03/2026 09:00' "
        "(expected YYYY-MM-DD HH:MM[:SS], YYYY/MM/DD HH:MM[:SS] or ISO 8601)",
    ]
    assert whole_file_reads == ["complaints.csv"]


def test_a_padded_flag_is_read_by_the_whole_file_reader(inputs: InputsFolder, whole_file_reads: list[str]) -> None:
    """Flags are not looked at for padding on the way in: a padded one fails to match and the file
    goes to the whole-file reader, which strips it."""
    rows = [f"T{i},P1,2026-03-02 09:00,,true" for i in range(20)]
    rows[15] = "T15,P1,2026-03-02 09:00,, FALSE "
    rows[16] = "T16,P1,2026-03-02 09:00,,  "
    inputs.csv("complaints", "ticket_id,partner_id,received_at,resolved_at,valid\n" + "\n".join(rows) + "\n")
    result = inputs.load()
    assert list(result.issues) == []
    assert result.tables["complaints"].frame["valid"].to_list()[14:18] == [True, False, True, True]
    assert whole_file_reads == ["complaints.csv"]


def test_a_quoted_line_break_goes_to_the_whole_file_reader(inputs: InputsFolder, whole_file_reads: list[str]) -> None:
    rows = [f"T{i},P1,2026-03-02 09:00,,x" for i in range(20)]
    rows[12] = 'T12,P1,2026-03-02 09:00,,"two\nlines"'
    inputs.csv("complaints", "ticket_id,partner_id,received_at,resolved_at,note\n" + "\n".join(rows) + "\n")
    result = inputs.load(columns={"complaints": {"note": "ticket_note"}})
    assert whole_file_reads == ["complaints.csv"]
    lines = result.tables["complaints"].frame["_line"].to_list()
    assert lines[11:15] == [13, 14, 16, 17]


@pytest.mark.parametrize("size", range(1, 70))  # every cut of the file, right after a quoted line break too
def test_a_quoted_line_break_at_any_block_boundary_goes_to_the_whole_file_reader(
    inputs: InputsFolder, whole_file_reads: list[str], monkeypatch: pytest.MonkeyPatch, size: int
) -> None:
    monkeypatch.setattr(csvblocks, "BLOCK_BYTES", size)
    inputs.csv("settlement", 'partner_id,gross_amount,note\nP1,100,"a\nb"\nP2,200,"c\n\nd,e"\n')
    result = inputs.load(columns={"settlement": {"note": "settlement_note"}})
    assert whole_file_reads == ["settlement.csv"]
    assert result.tables["settlement"].frame["_line"].to_list() == [2, 4]


def test_a_line_starting_with_u_feff_is_not_taken_for_a_byte_order_mark(
    inputs: InputsFolder, whole_file_reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(csvblocks, "BLOCK_BYTES", 24)
    inputs.csv("partners", "partner_id,partner_name,mode\nP1,Alpha,C\n\ufeffP2,Beta,EMP\n")
    result = inputs.load()
    assert whole_file_reads == ["partners.csv"]
    assert result.tables["partners"].frame["partner_id"].to_list() == ["P1", "\ufeffP2"]


@pytest.mark.parametrize(
    "data",
    [
        b"partner_id,gross_amount\nP1,100\nP2,1,2\n",  # too many fields
        b"partner_id,,gross_amount\nP1,x,100\nP2,,200\n",  # a column without a header
        "partner_id,gross_amount\nP1,100\nP2,合计\n".encode("gb18030"),  # not UTF-8
        b"partner_id,gross_amount\nP1,100\nP2,2\x00\n",  # a NUL byte
        b"",
    ],
)
def test_what_is_not_plain_is_read_whole(inputs: InputsFolder, whole_file_reads: list[str], data: bytes) -> None:
    inputs.raw("settlement.csv", data)
    inputs.load()
    assert whole_file_reads == ["settlement.csv"]


def test_a_header_only_file_is_an_empty_table(inputs: InputsFolder, whole_file_reads: list[str]) -> None:
    inputs.csv("refunds", "refund_id,partner_id,amount,kind")
    result = inputs.load()
    assert whole_file_reads == []
    assert result.tables["refunds"].frame.height == 0
    assert result.tables["refunds"].given == {"refund_id", "partner_id", "amount", "kind"}


def test_tidy_strips_what_the_regex_for_white_space_matched() -> None:
    """A cell is padded when strip_chars() shortens it: the same cells as ``^\\s|\\s$`` found before."""
    chars = [chr(c) for c in range(0x3100) if not 0xD800 <= c < 0xE000]
    frame = pl.DataFrame({"c0": [f"{c}x" for c in chars], "c1": [f"x{c}" for c in chars], "c2": chars})
    out = tidy(frame, padded=("c0", "c1"))
    white = pl.Series(chars).str.contains(r"^\s$")
    assert white.sum() == 25  # Unicode White_Space below U+3100
    assert (out["c0"] == "x").to_list() == white.to_list()
    assert (out["c1"] == "x").to_list() == white.to_list()
    assert out["c2"].to_list() == chars  # not looked at for padding: kept as written

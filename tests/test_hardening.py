"""Hostile and damaged inputs, ledgers and environments: each a clear refusal (exit 1, the file and
what is wrong, no traceback) that changes nothing outside inputs/ (docs/inputs.md, "Hostile and
damaged inputs")."""

from __future__ import annotations

import errno
import hashlib
import io
import re
import sqlite3
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlsxwriter
from conftest import tree_bytes
from rich.console import Console
from typer.testing import CliRunner, Result

from scorecard import pipeline, workspace
from scorecard.cli import app
from scorecard.inputs.xlsx import check_workbook
from scorecard.issues import InputError, Issue, Severity
from scorecard.ledger import Ledger
from scorecard.ledger.migrations import SCHEMA_VERSION
from scorecard.periods import Period
from scorecard.report import outputs
from scorecard.report.shown import as_text, shown, visible
from scorecard.report.terminal import print_issues
from scorecard.workspace import Workspace

# Data that must come out exactly as written: rich markup, an emoji code, an ESC sequence.
MARKUP = "[/]"
BOLD = "[bold]x"
EMOJI = ":x:"
ESC = "\x1b[2J\x1b[31m"


def cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})


def refused(result: Result) -> str:
    assert result.exit_code == 1, f"exit {result.exit_code}:\n{result.output}\n{result.exception!r}"
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.output


def outside_inputs(ws: Workspace) -> dict[str, str]:
    """Hash of every file of the workspace except inputs/ (the ledger included, byte for byte)."""
    return {
        name: hashlib.sha256(data).hexdigest()
        for name, data in tree_bytes(ws.root).items()
        if not name.startswith("inputs/")
    }


def add_lines(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8", newline="") as fh:
        fh.write(text)


# --- shown values ------------------------------------------------------------------------------


def test_shown_writes_controls_out_and_cuts_long_values() -> None:
    assert shown("a\nb\r\tc\x1b[31m\x00\x7f\x9b\u202e") == "a\\nb\\r\\tc\\x1b[31m\\x00\\x7f\\x9b\\u202e"
    assert shown("x" * 200_000) == "x" * 80 + "…(200000 characters)"
    assert shown(None) == ""
    assert shown("江苏智联 [/] :x:") == "江苏智联 [/] :x:"  # markup and emoji codes are left to the printer


def test_print_issues_prints_data_as_plain_text() -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, width=300, force_terminal=True, color_system=None)
    value = f"{MARKUP}{BOLD}{EMOJI}\nerror: forged{ESC}"
    print_issues(
        console,
        [Issue("a.csv", 2, MARKUP, value), Issue("b.csv", 3, EMOJI, value, None, Severity.WARNING)],
        "en",
        wrote_nothing=True,
    )
    text = buffer.getvalue()
    assert text.splitlines() == [
        f"warning: b.csv:3: :x:: {MARKUP}{BOLD}{EMOJI}\\nerror: forged\\x1b[2J\\x1b[31m",
        f"error: a.csv:2: [/]: {MARKUP}{BOLD}{EMOJI}\\nerror: forged\\x1b[2J\\x1b[31m",
        "1 error found; nothing was written",
    ]
    assert "\x1b" not in text and "❌" not in text


def test_hostile_ids_and_headers_through_every_input_message(feb_ws: Workspace) -> None:
    """Markup, emoji codes, escapes, newlines and a 200,000-character value, in ids and headers."""
    month = feb_ws.inputs / "2026-03"
    long_id = "L" * 200_000
    billing = month / "billing.csv"
    header, *rest = billing.read_text(encoding="utf-8").splitlines(keepends=True)
    billing.write_text(header.rstrip("\n") + f',"{MARKUP}{EMOJI}\n{ESC}"\n' + "".join(rest), encoding="utf-8")
    first = len((month / "settlement.csv").read_bytes().splitlines()) + 1
    add_lines(
        month / "settlement.csv",
        f'"{MARKUP}",1\n"{BOLD}",1\n"{EMOJI}",1\n"{ESC}",1\n"x\nerror: forged",1\n{long_id},1\n"{MARKUP}",2\n',
    )
    before = outside_inputs(feb_ws)
    output = refused(cli("-w", str(feb_ws.root), "--lang", "en", "validate", "2026-03"))
    lines = output.splitlines()
    assert f"unknown partner '{MARKUP}'" in output
    assert f"unknown partner '{BOLD}'" in output
    assert f"unknown partner '{EMOJI}'" in output
    assert "unknown partner '\\x1b[2J\\x1b[31m'" in output
    assert "unknown partner 'x\\nerror: forged'" in output
    assert f"unknown partner '{'L' * 80}…(200000 characters)'" in output
    assert f"duplicate partner_id '{MARKUP}'" in output
    assert f"settlement.csv:{first}: partner_id: unknown partner '{MARKUP}'" in output
    assert "billing.csv:1: [/]:x:\\n\\x1b[2J\\x1b[31m: unknown column, ignored" in output
    assert not any(line.startswith("error: forged") for line in lines)
    assert "\x1b" not in output and "❌" not in output
    assert max(map(len, lines)) < 400  # the long id is cut, not echoed
    assert outside_inputs(feb_ws) == before


# --- the ledger on open ------------------------------------------------------------------------


def test_a_ledger_with_damaged_pages_is_refused(feb_ws: Workspace) -> None:
    data = bytearray(feb_ws.db.read_bytes())
    page = 4096
    assert len(data) > 3 * page
    data[2 * page : 3 * page] = bytes(range(256)) * (page // 256)  # garbage over a b-tree page
    feb_ws.db.write_bytes(bytes(data))
    before = outside_inputs(feb_ws)
    for args in (
        ["close", "2026-02"],
        ["run", "2026-02"],
        ["history", "SI-0001"],
        ["reopen", "2026-01", "--reason", "x"],
    ):
        output = refused(cli("-w", str(feb_ws.root), "--lang", "en", *args))
        assert f"error: {feb_ws.db}: the ledger is damaged" in output, output
        assert "restored from a backup" in output
    assert outside_inputs(feb_ws) == before


def test_a_damaged_ticket_chunk_is_refused_where_it_is_read(feb_ws: Workspace) -> None:
    """The open's quick check leaves the ticket chunks (most of the file) to their SHA-256, checked
    when a chunk is read: the month's tickets are refused, the rest of the ledger still answers."""
    with sqlite3.connect(feb_ws.db) as c:
        (data,) = c.execute("SELECT data FROM ticket_chunks WHERE period = '2026-02' AND chunk = 0").fetchone()
        damaged = bytearray(data)
        damaged[len(damaged) // 2] ^= 0xFF
        c.execute("UPDATE ticket_chunks SET data = ? WHERE period = '2026-02' AND chunk = 0", (bytes(damaged),))
    output = refused(cli("-w", str(feb_ws.root), "--lang", "en", "explain", "SI-0001", "2026-02"))
    assert "ticket chunk 0 of 2026-02 no longer matches its SHA-256; it was not read" in output, output
    assert "restored from a backup" in output
    history = cli("-w", str(feb_ws.root), "--lang", "en", "history", "SI-0001")  # reads no tickets
    assert history.exit_code == 0, history.output


def test_a_missing_ticket_chunk_is_refused(feb_ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    """A month stored in several chunks (small ones here) whose middle chunk is gone: refused where
    its tickets are read, not shown short."""
    from scorecard.ledger import store

    monkeypatch.setattr(store, "CHUNK_ROWS", 60)
    pipeline.run(feb_ws, Period.parse("2026-02"))
    with sqlite3.connect(feb_ws.db) as c:
        assert c.execute("SELECT count(*) FROM ticket_chunks WHERE period = '2026-02'").fetchone()[0] >= 3
        c.execute("DELETE FROM ticket_chunks WHERE period = '2026-02' AND chunk = 1")
    with Ledger(feb_ws.db, readonly=True) as ledger, pytest.raises(store.DamagedChunk) as refusal:
        ledger.record(Period.parse("2026-02"))
    assert "ticket chunk 1 of 2026-02 is missing" in str(refusal.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"partner_id,gross\nP1,1\n" * 200, "not a ledger: the file is not an SQLite database"),
        (b"", "the ledger file is empty (0 bytes)"),
    ],
)
def test_a_file_that_is_not_a_ledger_is_refused(feb_ws: Workspace, content: bytes, message: str) -> None:
    feb_ws.db.write_bytes(content)
    before = outside_inputs(feb_ws)
    for args in (["close", "2026-02"], ["run", "2026-02"], ["history", "SI-0001"]):
        output = refused(cli("-w", str(feb_ws.root), "--lang", "en", *args))
        assert f"error: {feb_ws.db}: {message}" in output, output
    assert outside_inputs(feb_ws) == before


def test_a_foreign_sqlite_database_is_refused(feb_ws: Workspace) -> None:
    feb_ws.db.unlink()
    conn = sqlite3.connect(feb_ws.db)
    conn.execute("CREATE TABLE customers (id TEXT)")
    conn.commit()
    conn.close()
    before = outside_inputs(feb_ws)
    output = refused(cli("-w", str(feb_ws.root), "--lang", "en", "run", "2026-02"))
    assert f"error: {feb_ws.db}: not a scorecard ledger (an SQLite database with other tables: customers)" in output
    assert outside_inputs(feb_ws) == before


def test_a_ledger_of_a_newer_schema_is_refused(feb_ws: Workspace) -> None:
    conn = sqlite3.connect(feb_ws.db)
    conn.execute("INSERT INTO migrations VALUES (999, 'from the future', '2030-01-01')")
    conn.commit()
    conn.close()
    before = outside_inputs(feb_ws)
    for args in (["close", "2026-02"], ["history", "SI-0001"]):
        output = refused(cli("-w", str(feb_ws.root), "--lang", "en", *args))
        assert (
            f"the ledger was written by a newer scorecard (schema 999; this version knows up to {SCHEMA_VERSION})"
            in output
        )
    assert outside_inputs(feb_ws) == before


def test_a_missing_ledger_is_not_created_by_close_or_a_mistyped_db(feb_ws: Workspace) -> None:
    mistyped = feb_ws.root / "scorecrad.db"
    before = outside_inputs(feb_ws)
    output = refused(cli("-w", str(feb_ws.root), "--db", str(mistyped), "--lang", "en", "close", "2026-02"))
    assert f"no ledger at {mistyped}" in output
    output = refused(cli("-w", str(feb_ws.root), "--db", str(mistyped), "--lang", "en", "run", "2026-02"))
    assert f"error: {mistyped}: no ledger here, but {feb_ws.out} holds assessed months (2026-01, 2026-02)" in output
    assert "--new-ledger" in output
    assert not mistyped.exists()
    assert outside_inputs(feb_ws) == before


def test_new_ledger_starts_a_history_only_when_asked(feb_ws: Workspace) -> None:
    feb_ws.db.unlink()
    before = outside_inputs(feb_ws)
    output = refused(cli("-w", str(feb_ws.root), "--lang", "en", "run", "2026-01"))
    assert "holds assessed months (2026-01, 2026-02)" in output
    assert not feb_ws.db.exists()
    assert outside_inputs(feb_ws) == before
    result = cli("-w", str(feb_ws.root), "--lang", "en", "run", "2026-01", "--new-ledger")
    assert result.exit_code == 0, result.output
    assert feb_ws.db.exists()
    # and never over an existing ledger
    output = refused(cli("-w", str(feb_ws.root), "--lang", "en", "run", "2026-01", "--new-ledger"))
    assert "--new-ledger given, but a ledger exists here" in output


def test_a_new_workspace_starts_its_ledger_without_the_option(tmp_path: Path) -> None:
    from conftest import new_workspace

    ws = new_workspace(tmp_path / "ws", ["2026-01"])
    assert cli("-w", str(ws.root), "run", "2026-01").exit_code == 0
    assert ws.db.exists()


# --- the environment ---------------------------------------------------------------------------


def test_a_workspace_that_does_not_exist_is_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "mistyped"
    commands = [
        ["close", "2026-01"],
        ["reopen", "2026-01", "--reason", "x"],
        ["run", "2026-01"],
        ["validate", "2026-01"],
        ["status"],
        ["history", "SI-0001"],
        ["explain", "SI-0001", "2026-01"],
        ["statements", "2026-01"],
        ["export", "finance", "2026-01"],
    ]
    for args in commands:
        output = refused(cli("-w", str(missing), "--lang", "en", *args))
        assert str(missing) in output
    assert not missing.exists()
    assert list(tmp_path.iterdir()) == []


def test_the_lock_of_a_missing_workspace_says_so(tmp_path: Path) -> None:
    missing = tmp_path / "mistyped"
    with pytest.raises(InputError) as refusal, Workspace.at(missing).lock():
        pass
    assert [str(i) for i in refusal.value.issues] == [
        f"{missing}: no workspace here (expected a workspace folder (scorecard init FOLDER))"
    ]
    assert not missing.exists()


def test_a_lock_path_that_is_a_folder(feb_ws: Workspace) -> None:
    lock = feb_ws.root / ".scorecard.lock"
    lock.unlink(missing_ok=True)
    lock.mkdir()
    before = outside_inputs(feb_ws)
    output = refused(cli("-w", str(feb_ws.root), "--lang", "en", "close", "2026-02"))
    assert f"error: {lock}: Is a directory (a folder is in the way of a file; move it)" in output
    assert outside_inputs(feb_ws) == before
    assert lock.is_dir()


def test_a_read_only_workspace(feb_ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every write into the workspace fails as on a read-only mount (the tests may run as root,
    for whom permission bits do not stop a write)."""
    real_open = open

    def read_only_open(file: object, mode: str = "r", *args: object, **kwargs: object) -> object:
        if any(m in mode for m in "wax+"):
            raise OSError(errno.EROFS, "Read-only file system", str(file))
        return real_open(file, mode, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(workspace, "open", read_only_open, raising=False)
    before = outside_inputs(feb_ws)
    output = refused(cli("-w", str(feb_ws.root), "--lang", "en", "run", "2026-02"))
    lock = feb_ws.root / ".scorecard.lock"
    assert f"error: {lock}: Read-only file system (the file system is read-only; work on a writable copy)" in output
    assert outside_inputs(feb_ws) == before


@pytest.mark.parametrize("failing_write", [1, 2, 3])
def test_a_full_disk_while_writing_outputs_leaves_nothing_half_written(
    feb_ws: Workspace, monkeypatch: pytest.MonkeyPatch, failing_write: int
) -> None:
    real = outputs.fsync_write
    calls: list[Path] = []

    def fill_up(path: Path, data: bytes) -> None:
        calls.append(path)
        if len(calls) == failing_write:
            real(path, data[: len(data) // 2])  # a part reached the disk before it filled up
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        real(path, data)

    monkeypatch.setattr(outputs, "fsync_write", fill_up)
    before = outside_inputs(feb_ws)
    output = refused(cli("-w", str(feb_ws.root), "--lang", "en", "run", "2026-02"))
    assert f"error: {calls[-1]}: No space left on device (free some space and run the command again)" in output
    assert outside_inputs(feb_ws) == before
    assert sorted(p.name for p in feb_ws.out.iterdir()) == ["2026-01", "2026-02"]  # no temporary folder left


def test_a_full_disk_while_writing_the_ledger(feb_ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    def full(*_: object, **__: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(pipeline, "store_record", full)
    before = outside_inputs(feb_ws)
    output = refused(cli("-w", str(feb_ws.root), "--lang", "en", "run", "2026-02"))
    assert f"error: {feb_ws.db}: the ledger cannot be read or written: database or disk is full" in output
    assert outside_inputs(feb_ws) == before


def test_visible_is_idempotent_on_shown_values() -> None:
    value = shown("a\nb\x1b")
    assert visible(value) == value


# --- Excel read for what a person sees ---------------------------------------------------------


def settlement_rows(ws: Workspace, month: str) -> list[list[object]]:
    """The month's settlement.csv as worksheet rows (amounts as numbers)."""
    header, *rows = (ws.inputs / month / "settlement.csv").read_text(encoding="utf-8").splitlines()
    return [header.split(","), *([pid, float(amount)] for pid, amount in (r.split(",") for r in rows))]


def as_workbook(ws: Workspace, month: str, change: Callable[[Any], None]) -> Path:
    """settlement.csv replaced by settlement.xlsx, its workbook changed by ``change`` before saving."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Sheet1"
    for row in settlement_rows(ws, month):
        sheet.append(row)
    change(book)
    folder = ws.inputs / month
    (folder / "settlement.csv").unlink()
    path = folder / "settlement.xlsx"
    book.save(path)
    return path


def run_refused(ws: Workspace, *args: str) -> str:
    before = outside_inputs(ws)
    output = refused(cli("-w", str(ws.root), "--lang", "en", "run", "2026-02", *args))
    assert outside_inputs(ws) == before
    return output


def test_a_plain_workbook_still_runs(feb_ws: Workspace) -> None:
    as_workbook(feb_ws, "2026-02", lambda book: None)
    result = cli("-w", str(feb_ws.root), "run", "2026-02")
    assert result.exit_code == 0, result.output


def test_a_formula_never_calculated_is_an_error_naming_the_cell(feb_ws: Workspace) -> None:
    def formula(book: Any) -> None:
        book.active["B5"] = "=B3*2"  # openpyxl stores no calculated value

    as_workbook(feb_ws, "2026-02", formula)
    output = run_refused(feb_ws)
    assert (
        "error: settlement.xlsx:Sheet1!B5: formula =B3*2 without a calculated value (the workbook was written by "
        "a program and never calculated) (expected values: open the workbook in Excel and save it, or paste the "
        "values)"
    ) in output


def test_a_formula_with_a_placeholder_value_and_recalculation_on_open(feb_ws: Workspace) -> None:
    """xlsxwriter stores 0 as the value and asks Excel to recalculate on opening."""
    folder = feb_ws.inputs / "2026-02"
    rows = settlement_rows(feb_ws, "2026-02")
    (folder / "settlement.csv").unlink()
    book = xlsxwriter.Workbook(folder / "settlement.xlsx")
    sheet = book.add_worksheet("Data")
    for r, row in enumerate(rows):
        sheet.write_row(r, 0, row)
    sheet.write_formula("B4", "=B2+B3")
    book.close()
    output = run_refused(feb_ws)
    assert "error: settlement.xlsx:Data!B4: formula =B2+B3 without a calculated value" in output


@pytest.mark.parametrize("code", ["#N/A", "#VALUE!", "#DIV/0!", "#REF!"])
def test_an_error_cell_is_an_error_naming_the_cell(feb_ws: Workspace, code: str) -> None:
    def error(book: Any) -> None:
        book.active["B3"] = code
        book.active["B3"].data_type = "e"

    as_workbook(feb_ws, "2026-02", error)
    output = run_refused(feb_ws)
    assert f"error: settlement.xlsx:Sheet1!B3: error cell {code}" in output


@pytest.mark.parametrize(("state", "word"), [("hidden", "hidden"), ("veryHidden", "very hidden")])
def test_a_hidden_sheet_is_an_error_naming_it(feb_ws: Workspace, state: str, word: str) -> None:
    def hide(book: Any) -> None:
        other = book.create_sheet("Old data", 0)
        other.append(["partner_id", "gross_amount"])
        other.append(["SI-0001", 999999])
        other.sheet_state = state

    as_workbook(feb_ws, "2026-02", hide)
    output = run_refused(feb_ws)
    assert f"error: settlement.xlsx:'Old data': {word} sheet: the workbook holds data a person opening it" in output


def test_a_sheet_declaring_a_huge_dimension_is_refused_before_reading(feb_ws: Workspace) -> None:
    def far(book: Any) -> None:
        book.active["XFD1048576"] = 1

    path = as_workbook(feb_ws, "2026-02", far)
    assert path.stat().st_size < 20_000
    output = run_refused(feb_ws)
    assert (
        "error: settlement.xlsx:Sheet1: the sheet declares A1:XFD1048576: 1,048,576 rows × 16,384 columns = "
        "17,179,869,184 cells (expected at most 5,000,000 (general.max_sheet_cells))"
    ) in output


def test_a_far_cell_without_a_declared_dimension_is_refused(feb_ws: Workspace) -> None:
    def far(book: Any) -> None:
        book.active["XFD1048576"] = 1

    path = as_workbook(feb_ws, "2026-02", far)
    rewrite_member(path, "xl/worksheets/sheet1.xml", lambda xml: re.sub(rb"<dimension[^>]*/>", b"", xml))
    output = run_refused(feb_ws)
    assert "error: settlement.xlsx:Sheet1: the sheet reaches cell XFD1048576: 1,048,576 rows × 16,384 columns" in output


def test_the_sheet_limit_is_a_setting(feb_ws: Workspace) -> None:
    config = feb_ws.config.read_text(encoding="utf-8")
    feb_ws.config.write_text(config.replace("max_sheet_cells = 5_000_000", "max_sheet_cells = 20"), encoding="utf-8")
    as_workbook(feb_ws, "2026-02", lambda book: None)
    output = run_refused(feb_ws)
    assert "error: settlement.xlsx:Sheet1: the sheet declares A1:B43: 43 rows × 2 columns = 86 cells" in output
    assert "(expected at most 20 (general.max_sheet_cells))" in output


def test_a_password_protected_workbook_is_named_as_such(feb_ws: Workspace) -> None:
    """An encrypted workbook: an OLE compound file whose directory names an EncryptedPackage stream."""
    folder = feb_ws.inputs / "2026-02"
    (folder / "settlement.csv").unlink()
    entry = "EncryptedPackage".encode("utf-16-le").ljust(64, b"\0")
    (folder / "settlement.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + entry + bytes(4000))
    output = run_refused(feb_ws)
    assert "error: settlement.xlsx: the workbook is password-protected (encrypted)" in output


def rewrite_member(path: Path, member: str, change: Callable[[bytes], bytes]) -> None:
    with zipfile.ZipFile(path) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    members[member] = change(members[member])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def hostile_workbook(path: Path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Data 1"
    sheet.append(["partner_id", "gross_amount"])
    sheet.append(["P1", "=1/0"])
    for r in range(3, 306):
        sheet.cell(r, 1, "P")
        sheet.cell(r, 2, "#N/A").data_type = "e"
    book.save(path)
    return path


@pytest.mark.parametrize("fast", [True, False])
def test_the_fast_scan_and_the_full_parse_agree(tmp_path: Path, fast: bool) -> None:
    path = hostile_workbook(tmp_path / "settlement.xlsx")
    issues = [str(i) for i in check_workbook(path, max_cells=10_000, max_errors=5, fast=fast)]
    assert issues == [
        "settlement.xlsx:'Data 1'!B2: formula =1/0 without a calculated value (the workbook was written by a "
        "program and never calculated) (expected values: open the workbook in Excel and save it, or paste the values)",
        *(
            f"settlement.xlsx:'Data 1'!B{r}: error cell #N/A (expected a value (fix the formula or type the value))"
            for r in range(3, 7)
        ),
        "settlement.xlsx:'Data 1': ... and 299 more such cells not shown",
    ]
    far = [str(i) for i in check_workbook(path, max_cells=500, max_errors=5, fast=fast)]
    assert far == [
        "settlement.xlsx:'Data 1': the sheet declares A1:B305: 305 rows × 2 columns = 610 cells "
        "(expected at most 500 (general.max_sheet_cells))"
    ]


def test_cells_without_references_are_read_by_the_full_parse(tmp_path: Path) -> None:
    path = hostile_workbook(tmp_path / "settlement.xlsx")
    rewrite_member(path, "xl/worksheets/sheet1.xml", lambda xml: re.sub(rb' r="[A-Z]+\d+"', b"", xml))
    issues = [str(i) for i in check_workbook(path, max_cells=10_000, max_errors=2)]
    assert issues[0].startswith("settlement.xlsx:'Data 1'!B2: formula =1/0 without a calculated value")
    assert issues[1].startswith("settlement.xlsx:'Data 1'!B3: error cell #N/A")


# --- encodings, line numbers, files outside the workspace ------------------------------------


def partners_lines(ws: Workspace, month: str = "2026-02") -> list[str]:
    return (ws.inputs / month / "partners.csv").read_text(encoding="utf-8").splitlines(keepends=True)


def test_a_utf8_file_with_one_gbk_line_names_that_line(feb_ws: Workspace) -> None:
    lines = partners_lines(feb_ws)
    data = b"".join(line.encode("gbk") if n == 5 else line.encode("utf-8") for n, line in enumerate(lines, 1))
    (feb_ws.inputs / "2026-02" / "partners.csv").write_bytes(data)
    output = run_refused(feb_ws)
    assert (
        "error: partners.csv:5: not UTF-8, though 41 other lines are (a line in another encoding, such as GBK?) "
        "(expected the whole file in one encoding, UTF-8 or GB18030/GBK)"
    ) in output
    assert "nothing was written" in output


def test_a_gbk_file_with_one_utf8_line_names_that_line(feb_ws: Workspace) -> None:
    lines = partners_lines(feb_ws)
    data = b"".join(line.encode("utf-8") if n == 7 else line.encode("gbk") for n, line in enumerate(lines, 1))
    (feb_ws.inputs / "2026-02" / "partners.csv").write_bytes(data)
    output = run_refused(feb_ws)
    assert "error: partners.csv:7: a UTF-8 line in a GB18030/GBK file" in output


def test_a_whole_gbk_file_still_reads(feb_ws: Workspace) -> None:
    path = feb_ws.inputs / "2026-02" / "partners.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("gbk"))
    result = cli("-w", str(feb_ws.root), "run", "2026-02")
    assert result.exit_code == 0, result.output
    assert "江苏智联信息技术有限公司" in (feb_ws.out / "2026-02" / "scorecard.csv").read_text(encoding="utf-8-sig")


def test_line_numbers_stay_right_after_quoted_line_breaks(feb_ws: Workspace) -> None:
    """Line 3 holds a name over three lines; the bad mode further down is on line 10 of the file."""
    lines = partners_lines(feb_ws)
    lines[2] = 'SI-0002,"南京云帆\r\n网络\n科技有限公司",C\n'  # lines 3 to 5
    lines[6] = lines[6].replace(",EMP\n", ",X\n")  # now physical line 9
    lines[7] = lines[7].replace(",C\n", f",{MARKUP}\n")  # now physical line 10
    (feb_ws.inputs / "2026-02" / "partners.csv").write_text("".join(lines), encoding="utf-8", newline="")
    output = run_refused(feb_ws)
    assert "error: partners.csv:9: mode: unknown mode: 'X'" in output
    assert f"error: partners.csv:10: mode: unknown mode: '{MARKUP}'" in output


def test_a_mis_encoded_line_after_a_quoted_line_break_is_named_by_its_physical_line(feb_ws: Workspace) -> None:
    lines = partners_lines(feb_ws)
    lines[2] = 'SI-0002,"南京云帆\n网络科技有限公司",C\n'  # lines 3 and 4
    data = b"".join(line.encode("gbk") if n == 9 else line.encode("utf-8") for n, line in enumerate(lines, 1))
    (feb_ws.inputs / "2026-02" / "partners.csv").write_bytes(data)
    output = run_refused(feb_ws)
    assert "error: partners.csv:10: not UTF-8, though" in output


@pytest.mark.parametrize("link", [True, False])
def test_an_input_outside_the_workspace_is_refused_unread(
    feb_ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, link: bool
) -> None:
    from scorecard.inputs import load

    secret = tmp_path / "elsewhere" / "partners.csv"
    secret.parent.mkdir()
    secret.write_text("SECRET-FIRST-LINE,x,y\n", encoding="utf-8")
    path = feb_ws.inputs / "2026-02" / "partners.csv"
    path.unlink()
    if link:
        path.symlink_to(secret)
    else:  # the period folder itself links elsewhere
        folder = feb_ws.inputs / "2026-02"
        for f in folder.iterdir():
            f.rename(secret.parent / f.name)
        folder.rmdir()
        folder.symlink_to(secret.parent)
    opened: list[Path] = []
    real = load.read_table_file
    monkeypatch.setattr(load, "read_table_file", lambda p, **kw: opened.append(p) or real(p, **kw))
    output = run_refused(feb_ws)
    assert f"error: partners.csv: the file is outside the workspace (it leads to {secret}); it was not read" in output
    assert "SECRET" not in output
    assert all(p.name != "partners.csv" for p in opened)


def test_a_link_inside_the_workspace_is_followed(feb_ws: Workspace) -> None:
    path = feb_ws.inputs / "2026-02" / "partners.csv"
    copy = feb_ws.inputs / "partners-2026-02.csv"
    path.rename(copy)
    path.symlink_to(copy)
    result = cli("-w", str(feb_ws.root), "run", "2026-02")
    assert result.exit_code == 0, result.output


HOSTILE = f"{MARKUP}{BOLD}{EMOJI}\n{ESC}"
HOSTILE_SHOWN = f"{MARKUP}{BOLD}{EMOJI}\\n\\x1b[2J\\x1b[31m"


@pytest.mark.parametrize(
    ("table", "text", "expected"),
    [
        # a cell that cannot be read (parse)
        (
            "settlement",
            f'partner_id,gross_amount\nP1,"{HOSTILE}"\nP2,5000\n',
            f"settlement.csv:2: gross_amount: not an amount in yuan with at most 2 decimals: '{HOSTILE_SHOWN}'",
        ),
        # an unknown enum value
        (
            "partners",
            f'partner_id,partner_name,mode\nP1,Alpha,"{HOSTILE}"\nP2,Beta,EMP\n',
            f"partners.csv:2: mode: unknown mode: '{HOSTILE_SHOWN}'",
        ),
        # a partner without a billing row, and one in billing that partners does not know
        (
            "partners",
            f'partner_id,partner_name,mode\nP1,Alpha,C\nP2,Beta,EMP\n"{HOSTILE}",Gamma,C\n',
            f"partners.csv:4: partner_id: partner '{HOSTILE_SHOWN}' has no row in billing.csv",
        ),
        # an empty count for a C-mode partner
        (
            "billing",
            f'partner_id,billed_users,group_customers\nP1,,\nP2,,12\n"{HOSTILE}",1,\n',
            f"billing.csv:4: partner_id: unknown partner '{HOSTILE_SHOWN}'",
        ),
        # a duplicate key
        (
            "complaints",
            "ticket_id,partner_id,received_at,resolved_at\n"
            f'"{HOSTILE}",P1,2026-03-02 09:00,\n"{HOSTILE}",P2,2026-03-05 10:00,\n',
            # the first ticket's id spans lines 2 and 3, so the second ticket starts on line 4
            f"complaints.csv:4: ticket_id: duplicate ticket_id '{HOSTILE_SHOWN}' (first on line 2)",
        ),
        # a header given twice (one by its canonical name, one mapped)
        (
            "settlement",
            f'partner_id,gross_amount,"{HOSTILE}"\nP1,1,2\nP2,5000,1\n',
            f"settlement.csv:1: gross_amount: column given twice: 'gross_amount' (column 2) and '{HOSTILE_SHOWN}'",
        ),
    ],
)
def test_hostile_values_in_every_kind_of_input_error(inputs: Any, table: str, text: str, expected: str) -> None:
    inputs.csv(table, text)
    errors = inputs.errors(columns={"settlement": {HOSTILE: "gross_amount"}})
    assert any(e.startswith(expected) for e in errors), errors
    assert all("\n" not in e and "\x1b" not in e for e in errors)


def test_a_hostile_file_name_is_shown(inputs: Any) -> None:
    inputs.raw(f"partners.x{ESC}\n", b"partner_id\n")
    (inputs.folder / "partners.csv").unlink(missing_ok=True)
    errors = inputs.errors()
    assert (
        "2026-03: no readable file for table 'partners': partners.x\\x1b[2J\\x1b[31m\\n is not a supported format"
        in (errors[0])
    )


def test_a_sheet_that_unpacks_to_too_much_is_refused(tmp_path: Path) -> None:
    """A few kilobytes of archive whose strings unpack to 70 MB (the limit is at least 64 MB)."""
    book = openpyxl.Workbook()
    book.active.append(["partner_id", "gross_amount"])
    book.active.append(["P1", 1])
    path = tmp_path / "settlement.xlsx"
    book.save(path)
    rewrite_member(path, "xl/worksheets/sheet1.xml", lambda xml: xml + b" " * (70 << 20))
    assert path.stat().st_size < 200_000
    issues = [str(i) for i in check_workbook(path, max_cells=1000, max_errors=5)]
    with zipfile.ZipFile(path) as zf:
        unpacked = sum(
            i.file_size for i in zf.infolist() if i.filename in ("xl/worksheets/sheet1.xml", "xl/sharedStrings.xml")
        )
    assert unpacked > 70 << 20
    assert issues == [
        f"settlement.xlsx:Sheet: the sheet and its strings unpack to {unpacked:,} bytes "
        "(expected at most 67,108,864 (200 bytes per cell of general.max_sheet_cells))"
    ]


def test_an_outputs_folder_that_cannot_be_written(feb_ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    def denied(prefix: str, dir: Path) -> str:
        raise PermissionError(errno.EACCES, "Permission denied", str(dir))

    monkeypatch.setattr(workspace.tempfile, "mkdtemp", denied)
    before = outside_inputs(feb_ws)
    output = refused(cli("-w", str(feb_ws.root), "--lang", "en", "run", "2026-02"))
    assert f"error: {feb_ws.out}: Permission denied (check the folder's permissions)" in output
    assert outside_inputs(feb_ws) == before


def test_as_text_is_never_markup() -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, width=200, color_system=None)
    console.print(as_text(f"{MARKUP}{EMOJI}\n{ESC}"))
    assert buffer.getvalue() == f"{MARKUP}{EMOJI}\\n\\x1b[2J\\x1b[31m\n"


def test_markup_in_a_partner_id_reaches_the_run_summary_as_text(tmp_path: Path) -> None:
    from conftest import new_workspace

    ws = new_workspace(tmp_path / "ws", ["2026-01"])
    for f in (ws.inputs / "2026-01").iterdir():  # SI-0003 is on hold in 2026-01: it is listed
        f.write_text(f.read_text(encoding="utf-8").replace("SI-0003", "SI-[/]3"), encoding="utf-8")
    result = cli("-w", str(ws.root), "--lang", "en", "run", "2026-01")
    assert result.exit_code == 0, repr(result.exception)
    assert "SI-[/]3" in result.output


CUT_WRITE = """
import os, signal, sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA cache_size = 2")
conn.execute("BEGIN IMMEDIATE")
# rows grow, so the file grows: page 1 (which keeps the file's size) is journaled, as in a real run
changed = conn.execute(
    "UPDATE partner_results SET partner_name = partner_name || printf('%.3000c', 'x') WHERE period = '2026-02'"
)
assert changed.rowcount > 0
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_journal_from_another_copy_of_the_ledger_is_refused(feb_ws: Workspace, demo_template: Path) -> None:
    """A hot journal left by a crash of this very file is played back (the kill tests show it); one
    copied beside another copy of the ledger would write that copy's pages into it: refused."""
    import shutil
    import signal
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", CUT_WRITE, str(feb_ws.db)], check=False, capture_output=True)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    journal = Path(f"{feb_ws.db}-journal")
    assert journal.stat().st_size > 0
    other = feb_ws.root.parent / "other" / "scorecard.db"
    other.parent.mkdir()
    shutil.copy(demo_template / "scorecard.db", other)  # another copy of a ledger, months further on
    shutil.copy(journal, f"{other}-journal")
    before = other.read_bytes()
    result = CliRunner().invoke(app, ["--db", str(other), "-w", str(feb_ws.root), "--lang", "en", "status"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "left by another copy" in result.output and "-journal" in result.output
    assert other.read_bytes() == before  # nothing played back into it
    # the file's own journal is its crash recovery: the ledger opens, rolled back to its last commit
    assert CliRunner().invoke(app, ["-w", str(feb_ws.root), "status"]).exit_code == 0
    assert not journal.exists()

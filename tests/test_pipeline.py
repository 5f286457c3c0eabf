"""End-to-end robustness of ``pipeline``: idempotent runs, order independence, killed runs,
concurrent runs, period discipline, terminated partners, and the demo's numbers against the
independent oracle in ``fixtures/expected``.

Workspaces are private copies of session templates (``conftest.py``): ``feb_ws`` (2026-01
closed, 2026-02 a draft with outputs) and ``demo_ws`` (all seven months run and closed).
"""

from __future__ import annotations

import csv
import fcntl
import io
import json
import random
import re
import signal
import sqlite3
import stat
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from conftest import FIXTURES, MONTHS, approve_and_close, copy_workspace, ledger_dump, new_workspace, tree_bytes
from typer.testing import CliRunner, Result

from scorecard import pipeline
from scorecard.cli import app
from scorecard.ledger import Ledger
from scorecard.periods import Period
from scorecard.workspace import Workspace

FEB = Period.parse("2026-02")
MONEY = (
    "gross_amount",
    "refund_deduction",
    "score_deduction",
    "receivable_in",
    "receivable_out",
    "held_in",
    "held_out",
    "released",
    "payout",
    "fine_deduction",
)
# the money columns after the required ones: fines, and the prior-period adjustment and restatements (signed)
SIGNED = ("fine_deduction", "adjustment", "held_restated", "receivable_restated")
LOCK_MESSAGE = "another scorecard command is running on this workspace"


# --- helpers -----------------------------------------------------------------------------------


def cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})


def assert_reported(result: Result, code: int, *needles: str) -> None:
    """Exit ``code``, every needle in the output, and never a traceback."""
    text = result.output
    assert result.exit_code == code, f"exit {result.exit_code}, expected {code}:\n{text}\n{result.exception!r}"
    assert "Traceback" not in text
    if code == 1:  # a reported error, not an exception that escaped
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    for needle in needles:
        assert needle in text, f"{needle!r} not in:\n{text}"


def visible(tree: dict[str, bytes]) -> dict[str, bytes]:
    """Files at final paths: nothing under a hidden (temporary or set-aside) folder."""
    return {k: v for k, v in tree.items() if not any(part.startswith(".") for part in Path(k).parts)}


def read_text(path: Path) -> tuple[str, str]:
    """A CSV's text and the encoding it was written in (keeping a BOM)."""
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        return data.decode("utf-8-sig"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("gb18030"), "gb18030"


def set_cell(path: Path, line: int, column: str, value: str) -> None:
    """Replace one cell, addressed as a person sees it (header = line 1), keeping the encoding."""
    text, encoding = read_text(path)
    lines = text.splitlines(keepends=True)
    header = next(csv.reader([lines[0]]))
    row = next(csv.reader([lines[line - 1]]))
    row[header.index(column)] = value
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(row)
    lines[line - 1] = buf.getvalue()
    path.write_bytes("".join(lines).encode(encoding))


def csv_rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def bump_february(ws: Workspace) -> None:
    """Change 2026-02's inputs so that a new run's outputs and ledger rows differ from the draft's."""
    set_cell(ws.inputs_for(FEB) / "settlement.csv", 2, "gross_amount", "125531.98")


# --- a month run twice ------------------------------------------------------------------------


def test_running_a_month_twice_changes_nothing(feb_ws: Workspace) -> None:
    out_before, dump_before = tree_bytes(feb_ws.out), ledger_dump(feb_ws.db)
    assert dump_before["partner_results"], "the draft has results"

    pipeline.run(feb_ws, FEB)
    assert tree_bytes(feb_ws.out) == out_before  # scorecard.csv, notices.csv, manifest.json: same bytes
    assert ledger_dump(feb_ws.db) == dump_before  # no row added, none changed

    # Through the CLI too.
    assert_reported(cli("-w", str(feb_ws.root), "run", "2026-02"), 0)
    assert tree_bytes(feb_ws.out) == out_before
    assert ledger_dump(feb_ws.db) == dump_before


def test_output_folder_is_as_readable_as_the_workspace(feb_ws: Workspace) -> None:
    """A month's folder gets the permissions any new folder gets (umask), like ``out/`` itself,
    not the 0700 of a private temporary folder: finance reads it under another account."""
    expected = stat.S_IMODE(feb_ws.out.stat().st_mode)
    for month in ("2026-01", "2026-02"):
        mode = stat.S_IMODE((feb_ws.out / month).stat().st_mode)
        assert mode == expected, f"out/{month} is {mode:o}, out/ is {expected:o}"


# --- shuffled rows ------------------------------------------------------------------------------


def shuffle_csv(path: Path, rng: random.Random) -> None:
    """Data lines in a random order, header first, bytes of each line (and so the encoding) kept."""
    data = path.read_bytes()
    assert b"\r" not in data
    header, *rows = data.rstrip(b"\n").split(b"\n")
    text, _ = read_text(path)
    assert len(list(csv.reader(io.StringIO(text)))) == len(rows) + 1, f"{path}: a record spans lines"
    if len(rows) < 2:
        return
    original = list(rows)
    while rows == original:
        rng.shuffle(rows)
    path.write_bytes(b"\n".join([header, *rows]) + b"\n")


def shuffle_xlsx(path: Path, rng: random.Random) -> None:
    """Data rows of the first sheet in a random order (values moved, each cell's format kept)."""
    wb = openpyxl.load_workbook(path)
    sheet = wb.worksheets[0]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    original = list(rows)
    while rows == original:
        rng.shuffle(rows)
    for r, values in enumerate(rows, start=2):
        for c, value in enumerate(values, start=1):
            sheet.cell(r, c).value = value
    wb.save(path)


def test_shuffled_input_rows_give_identical_outputs(demo_template: Path, tmp_path: Path) -> None:
    ws = new_workspace(tmp_path / "shuffled")
    rng = random.Random(20260101)
    shuffled = 0
    for path in sorted(ws.inputs.glob("*/*.csv")):
        before = path.read_bytes()
        shuffle_csv(path, rng)
        shuffled += path.read_bytes() != before
    assert shuffled >= 40  # every table of every month with two rows or more
    shuffle_xlsx(ws.inputs / "2026-04" / "settlement.xlsx", rng)
    gb = ws.inputs / "2026-03" / "complaints.csv"
    assert read_text(gb)[1] == "gb18030" and read_text(gb)[0].startswith("工单编号")
    assert (ws.inputs / "2026-05" / "partners.csv").read_bytes().startswith(b"\xef\xbb\xbf")

    for month in MONTHS:
        pipeline.run(ws, Period.parse(month))
        approve_and_close(ws, Period.parse(month))

    demo = Workspace.at(demo_template)
    for month in MONTHS:
        for name in ("scorecard.csv", "notices.csv"):
            assert (ws.out / month / name).read_bytes() == (demo.out / month / name).read_bytes(), f"{month}/{name}"
        got = json.loads((ws.out / month / "manifest.json").read_text(encoding="utf-8"))
        want = json.loads((demo.out / month / "manifest.json").read_text(encoding="utf-8"))
        assert got["totals_fen"] == want["totals_fen"], month
        assert got["counts"] == want["counts"], month
        assert len(got["warnings"]) == len(want["warnings"]), month

    # The ledger holds the same numbers; only file hashes and source line numbers may differ.
    skip = frozenset(
        {
            "inputs",
            "periods.inputs_hash",
            "periods.run_by",
            "periods.closed_by",
            "refunds.line",
            "partner_results.settlement_line",
            "money_lines.source_line",
            "conduct.seq",
            "conduct.line",
            "surveys.seq",
            "surveys.line",
            "warnings",
            "ticket_chunks.data",
            "ticket_chunks.sha256",
        }
    )
    assert ledger_dump(ws.db, skip=skip) == ledger_dump(demo.db, skip=skip)
    # The stored tickets too, but for their line numbers.
    assert _tickets(ws.db) == _tickets(demo.db)


def _tickets(db: Path) -> dict[str, list[tuple[object, ...]]]:
    with Ledger(db, readonly=True) as ledger:
        return {
            str(p.period): sorted(ledger.record(p.period)["tickets"].drop("line").rows(), key=repr)
            for p in ledger.periods()
        }


def test_mean_resolution_hours_independent_of_row_order(tmp_path: Path) -> None:
    """Four tickets whose exact mean resolution is 7.935 h (571,056 s / 4 / 3600): a float mean
    summed in file order gives 7.93 in one order and 7.94 in another, so scorecard.csv changed
    with the order of the rows."""
    durations = [42505, 19832, 51810, 117]  # seconds
    outputs = []
    for order in ([0, 1, 2, 3], [0, 2, 1, 3], [3, 2, 1, 0]):
        ws = new_workspace(tmp_path / f"order-{''.join(map(str, order))}", MONTHS[:1])
        path = ws.inputs / "2026-01" / "complaints.csv"
        text, _ = read_text(path)
        lines = [line for line in text.splitlines() if ",SI-0002," not in line]
        for i in order:
            received = datetime(2026, 1, 2 + i, 9, 0, 0)  # noqa: DTZ001 - naive local time, as in the inputs
            resolved = received + timedelta(seconds=durations[i])
            lines.append(
                f"TS2026019990{i},SI-0002,{received:%Y-%m-%d %H:%M:%S},{resolved:%Y-%m-%d %H:%M:%S},"
                ",normal,true,false,false"
            )
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        pipeline.run(ws, Period.parse("2026-01"))
        outputs.append((ws.out / "2026-01" / "scorecard.csv").read_bytes())
        row = next(r for r in csv_rows(ws.out / "2026-01" / "scorecard.csv") if r["partner_id"] == "SI-0002")
        assert row["valid_complaints"] == "4"
    assert outputs[0] == outputs[1] == outputs[2], [
        next(r for r in csv.DictReader(io.StringIO(o.decode("utf-8-sig"))) if r["partner_id"] == "SI-0002")[
            "avg_resolution_hours"
        ]
        for o in outputs
    ]


# --- killed runs --------------------------------------------------------------------------------

# Runs ``pipeline.run`` with one stage patched to SIGKILL the process at its N-th call.
KILLED_RUN = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path

    from scorecard import pipeline
    from scorecard.ledger import Ledger
    import scorecard.report.outputs as outputs
    from scorecard.periods import Period
    from scorecard.workspace import Workspace

    root, period, point, nth = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    calls = 0

    def hit():
        global calls
        calls += 1
        return calls == nth

    def die():
        os.kill(os.getpid(), signal.SIGKILL)

    if point == "write":  # the N-th output file, half written to disk
        real_write = outputs.fsync_write
        def fsync_write(path, data):
            if hit():
                with open(path, "wb") as fh:
                    fh.write(data[: len(data) // 2])
                    fh.flush()
                die()
            real_write(path, data)
        outputs.fsync_write = fsync_write
    elif point in ("transaction", "transaction-spill"):  # 1: the draft's rows deleted; 2: all rows in, before COMMIT
        real_store, real_event = pipeline.store_record, Ledger.add_event
        def store_record(*args, **kwargs):
            if hit():
                die()
            return real_store(*args, **kwargs)
        def add_event(self, *args, **kwargs):
            if hit():
                die()
            return real_event(self, *args, **kwargs)
        pipeline.store_record = store_record
        Ledger.add_event = add_event
        if point == "transaction-spill":  # a big ledger: pages spill to the file before COMMIT
            real_init = Ledger.__init__
            def init(self, *args, **kwargs):
                real_init(self, *args, **kwargs)
                self.conn.execute("PRAGMA cache_size = 2")
            Ledger.__init__ = init
    elif point == "swap":  # between the two renames: the old folder set aside, the new one not yet in place
        real_replace = os.replace
        def replace(src, dst, *args, **kwargs):
            if Path(src).name.startswith("." + period + ".new-") and hit():
                die()
            return real_replace(src, dst, *args, **kwargs)
        os.replace = replace
    pipeline.run(Workspace.at(Path(root)), Period.parse(period))
    print("the run finished: it was not killed")
    """
)


@pytest.fixture(scope="module")
def bumped_reference(feb_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """``bump_february`` then an uninterrupted run of 2026-02: what every killed run must end as."""
    ws = copy_workspace(feb_template, tmp_path_factory.mktemp("reference") / "ws")
    bump_february(ws)
    pipeline.run(ws, FEB)
    return ws


@pytest.mark.parametrize(
    ("point", "nth"),
    [
        ("write", 1),  # scorecard.csv half written
        ("write", 3),  # manifest.json half written (both CSVs complete in the temporary folder)
        ("transaction", 1),  # the draft's rows deleted, nothing inserted yet
        ("transaction", 2),  # every row inserted, just before COMMIT
        ("transaction-spill", 2),  # the same on a ledger whose pages spilled to the file before COMMIT
    ],
)
def test_killed_run_leaves_previous_state(feb_ws: Workspace, bumped_reference: Workspace, point: str, nth: int) -> None:
    bump_february(feb_ws)
    out_before, db_before = tree_bytes(feb_ws.out), feb_ws.db.read_bytes()
    new_outputs = visible(tree_bytes(bumped_reference.out))
    assert visible(out_before) != new_outputs, "the new run must write other outputs, or the test proves nothing"

    proc = subprocess.run(
        [sys.executable, "-c", KILLED_RUN, str(feb_ws.root), "2026-02", point, str(nth)],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stdout + proc.stderr

    # The old outputs, whole, at their final paths; no partial file anywhere a reader looks.
    assert visible(tree_bytes(feb_ws.out)) == visible(out_before)
    # A reader can open the ledger at once, and sees it as before the run, byte for byte.
    assert_reported(cli("-w", str(feb_ws.root), "history", "SI-0001"), 0, "2026-02")
    assert feb_ws.db.read_bytes() == db_before

    # A re-run ends exactly where an uninterrupted run ends, and leaves nothing behind.
    assert_reported(cli("-w", str(feb_ws.root), "run", "2026-02"), 0)
    assert ledger_dump(feb_ws.db) == ledger_dump(bumped_reference.db)
    assert tree_bytes(feb_ws.out) == tree_bytes(bumped_reference.out)  # hidden leftovers included
    assert not Path(f"{feb_ws.db}-journal").exists()


def kill_during_swap(ws: Workspace) -> None:
    """Kill a run of 2026-02 after its old output folder was set aside, before the new one is in."""
    proc = subprocess.run(
        [sys.executable, "-c", KILLED_RUN, str(ws.root), "2026-02", "swap", "1"],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if proc.returncode == 0:  # the swap went through without a rename of the new folder (an atomic exchange)
        assert "not killed" in proc.stdout
        return
    assert proc.returncode == -signal.SIGKILL, proc.stdout + proc.stderr


def test_run_killed_between_the_two_renames(feb_ws: Workspace, bumped_reference: Workspace) -> None:
    """The ledger has committed; the output folder is mid-swap. A reader must still find a whole
    folder (old or new) at ``out/2026-02``; the next run makes outputs and ledger agree."""
    bump_february(feb_ws)
    out_before = visible(tree_bytes(feb_ws.out))
    new_outputs = visible(tree_bytes(bumped_reference.out))

    kill_during_swap(feb_ws)

    assert ledger_dump(feb_ws.db) == ledger_dump(bumped_reference.db)  # committed before the swap
    after = visible(tree_bytes(feb_ws.out))
    whole = after in (out_before, new_outputs)
    assert whole, (
        f"out/2026-02 holds neither the old nor the new outputs: visible files {sorted(after)}; "
        f"on disk: {sorted(p.name for p in feb_ws.out.iterdir())}"
    )

    assert_reported(cli("-w", str(feb_ws.root), "run", "2026-02"), 0)
    assert ledger_dump(feb_ws.db) == ledger_dump(bumped_reference.db)
    assert tree_bytes(feb_ws.out) == tree_bytes(bumped_reference.out)


def test_rerun_after_a_kill_between_the_renames_restores_consistency(
    feb_ws: Workspace, bumped_reference: Workspace
) -> None:
    """Whatever the folder showed after the kill, the next run puts outputs and ledger in agreement."""
    bump_february(feb_ws)
    kill_during_swap(feb_ws)
    assert_reported(cli("-w", str(feb_ws.root), "run", "2026-02"), 0)
    assert ledger_dump(feb_ws.db) == ledger_dump(bumped_reference.db)
    assert tree_bytes(feb_ws.out) == tree_bytes(bumped_reference.out)  # no .old / .new-* left


# --- two runs at once ---------------------------------------------------------------------------

SCORECARD = str(Path(sys.executable).with_name("scorecard"))


def test_second_run_stops_while_the_workspace_is_locked(feb_ws: Workspace, bumped_reference: Workspace) -> None:
    bump_february(feb_ws)
    out_before, db_before = tree_bytes(feb_ws.out), feb_ws.db.read_bytes()
    with open(feb_ws.root / ".scorecard.lock", "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)  # a first, slow command holds the workspace
        proc = subprocess.run(
            [SCORECARD, "--lang", "en", "-w", str(feb_ws.root), "run", "2026-02"],
            check=False,
            capture_output=True,
            text=True,
            timeout=120,
        )
        fcntl.flock(fh, fcntl.LOCK_UN)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert LOCK_MESSAGE in proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert tree_bytes(feb_ws.out) == out_before
    assert feb_ws.db.read_bytes() == db_before

    assert_reported(cli("--lang", "en", "-w", str(feb_ws.root), "run", "2026-02"), 0)  # the lock is free again
    assert ledger_dump(feb_ws.db) == ledger_dump(bumped_reference.db)


# Imports everything, waits at a barrier (a file per racer), then runs the CLI: a genuine race.
RACER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from scorecard.cli import app

    me, other = Path(sys.argv[1]), Path(sys.argv[2])
    me.touch()
    deadline = time.monotonic() + 60
    while not other.exists() and time.monotonic() < deadline:
        time.sleep(0.0002)
    app(sys.argv[3:], prog_name="scorecard")
    """
)


def test_two_runs_started_together(feb_ws: Workspace, bumped_reference: Workspace, tmp_path: Path) -> None:
    bump_february(feb_ws)
    args = ["--lang", "en", "-w", str(feb_ws.root), "run", "2026-02"]
    a, b = tmp_path / "ready-a", tmp_path / "ready-b"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, str(me), str(other), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for me, other in ((a, b), (b, a))
    ]
    outcomes = [(p.wait(timeout=120), *p.communicate()) for p in procs]
    codes = sorted(code for code, _, _ in outcomes)
    assert codes == [0, 1], outcomes
    loser = next(o for o in outcomes if o[0] == 1)
    assert LOCK_MESSAGE in loser[2], loser
    assert all("Traceback" not in o[1] + o[2] for o in outcomes), outcomes

    # Nothing duplicated: exactly the ledger and outputs of one uninterrupted run.
    assert ledger_dump(feb_ws.db) == ledger_dump(bumped_reference.db)
    assert tree_bytes(feb_ws.out) == tree_bytes(bumped_reference.out)


def test_two_console_scripts_started_together(feb_ws: Workspace, bumped_reference: Workspace) -> None:
    bump_february(feb_ws)
    procs = [
        subprocess.Popen(
            [SCORECARD, "--lang", "en", "-w", str(feb_ws.root), "run", "2026-02"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outcomes = [(p.wait(timeout=120), *p.communicate()) for p in procs]
    assert {code for code, _, _ in outcomes} <= {0, 1}, outcomes
    assert any(code == 0 for code, _, _ in outcomes), outcomes
    for code, stdout, stderr in outcomes:
        assert "Traceback" not in stdout + stderr
        if code == 1:
            assert LOCK_MESSAGE in stderr
    assert ledger_dump(feb_ws.db) == ledger_dump(bumped_reference.db)
    assert tree_bytes(feb_ws.out) == tree_bytes(bumped_reference.out)


# --- period discipline through the CLI ----------------------------------------------------------


def test_running_out_of_order_is_refused(feb_ws: Workspace) -> None:
    ws = str(feb_ws.root)
    db_before, out_before = feb_ws.db.read_bytes(), tree_bytes(feb_ws.out)
    assert_reported(cli("--lang", "en", "-w", ws, "run", "2026-03"), 1, "the next to run is 2026-02")
    assert_reported(cli("--lang", "en", "-w", ws, "close", "2026-03"), 1, "2026-03 has not been run")
    assert_reported(cli("--lang", "en", "-w", ws, "run", "2026-01"), 1, "2026-01 is closed")
    assert_reported(cli("--lang", "en", "-w", ws, "close", "2026-01"), 1, "2026-01 is already closed")
    assert feb_ws.db.read_bytes() == db_before
    assert tree_bytes(feb_ws.out) == out_before


def test_closed_months_reopen_and_rerun(demo_ws: Workspace) -> None:
    ws = str(demo_ws.root)
    who = frozenset({"periods.run_by", "periods.closed_by"})  # the demo ran as its own user
    dump_before = ledger_dump(demo_ws.db, skip=who)
    out_before = tree_bytes(demo_ws.out)

    assert_reported(cli("--lang", "en", "-w", ws, "close", "2026-07"), 1, "2026-07 is already closed")
    assert_reported(cli("--lang", "en", "-w", ws, "run", "2026-07"), 1, "2026-07 is closed", "reopen")
    assert_reported(cli("--lang", "en", "-w", ws, "run", "2026-05"), 1, "2026-05 is closed")
    assert_reported(cli("--lang", "en", "-w", ws, "run", "2026-08"), 1)  # no inputs, and nothing written
    assert_reported(
        cli("--lang", "en", "-w", ws, "reopen", "2026-06", "--reason", "typo"), 1, "only the last closed month"
    )
    assert_reported(cli("--lang", "en", "-w", ws, "reopen", "2026-07", "--reason", "  "), 1, "reason")
    assert ledger_dump(demo_ws.db, skip=who) == dump_before
    assert tree_bytes(demo_ws.out) == out_before

    assert_reported(cli("--lang", "en", "-w", ws, "reopen", "2026-07", "--reason", "billing resent the July file"), 0)
    assert_reported(cli("--lang", "en", "-w", ws, "reopen", "2026-07", "--reason", "again"), 1, "cannot reopen 2026-07")
    assert_reported(cli("--lang", "en", "-w", ws, "run", "2026-06"), 1, "2026-06 is closed")
    assert_reported(cli("--lang", "en", "-w", ws, "run", "2026-07"), 0)
    assert_reported(cli("--lang", "en", "-w", ws, "close", "2026-07"), 1, "not approved", "anyone but")
    assert_reported(cli("--lang", "en", "-w", ws, "--user", "checker", "approve", "2026-07"), 0)
    assert_reported(cli("--lang", "en", "-w", ws, "close", "2026-07"), 0)
    # Same inputs: the re-run changes no number (only who ran it), and the reopening is on record.
    assert ledger_dump(demo_ws.db, skip=who) == dump_before
    after = tree_bytes(demo_ws.out)
    run_files = ("scorecard.csv", "notices.csv", "watch.csv", "manifest.json")
    assert {k: v for k, v in after.items() if k.endswith(run_files) and not k.startswith(".discarded/")} == {
        k: v for k, v in out_before.items() if k.endswith(run_files)
    }
    # A re-run moves the month's earlier workbook and statements aside, never deletes them: they
    # may have been handed out, and no longer belong to the month's record.
    assert not any(k.startswith("2026-07/") and not k.endswith(run_files) for k in after)
    assert any(k.startswith("2026-07/statements/") for k in out_before)
    moved = {
        k.removeprefix(".discarded/2026-07-1/"): v for k, v in after.items() if k.startswith(".discarded/2026-07-1/")
    }
    assert moved == {k.removeprefix("2026-07/"): v for k, v in out_before.items() if k.startswith("2026-07/")}
    with Ledger(demo_ws.db, readonly=True) as ledger:
        events = [(e["command"], e["period"], e["reason"]) for e in ledger.events()]
    assert ("reopen", "2026-07", "billing resent the July file") in events
    assert [c for c, p, _ in events if p == "2026-07"][-4:] == ["reopen", "run", "approve", "close"]


def test_changed_rules_need_allow_rule_change(feb_ws: Workspace) -> None:
    ws = str(feb_ws.root)
    config = feb_ws.config.read_text(encoding="utf-8")
    assert config.count("threshold = 5 ") >= 1
    feb_ws.config.write_text(config.replace("threshold = 5 ", "threshold = 6 ", 1), encoding="utf-8")
    db_before, out_before = feb_ws.db.read_bytes(), tree_bytes(feb_ws.out)
    assert_reported(cli("-w", ws, "run", "2026-02"), 1, "--allow-rule-change")
    assert feb_ws.db.read_bytes() == db_before
    assert tree_bytes(feb_ws.out) == out_before
    assert_reported(cli("-w", ws, "run", "2026-02", "--allow-rule-change"), 0)
    assert tree_bytes(feb_ws.out) != out_before


def test_a_closed_month_cannot_be_changed_even_in_sql(demo_ws: Workspace) -> None:
    conn = sqlite3.connect(demo_ws.db, isolation_level=None)
    try:
        for sql in (
            "UPDATE partner_results SET payout = payout + 1 WHERE period = '2026-03'",
            "DELETE FROM states WHERE period = '2026-03'",
            "UPDATE periods SET status = 'draft' WHERE period = '2026-07'",
            "DELETE FROM periods WHERE period = '2026-07'",
        ):
            with pytest.raises(sqlite3.DatabaseError):
                conn.execute(sql)
    finally:
        conn.close()


# --- terminated partners ------------------------------------------------------------------------


def test_terminated_partner_rows_are_warnings(demo_template: Path) -> None:
    out = demo_template / "out"
    march = {r["partner_id"]: r for r in csv_rows(out / "2026-03" / "scorecard.csv")}
    assert march["SI-0003"]["status"] == "terminated"
    assert march["SI-0003"]["payout"] == "0.00"
    assert march["SI-0003"]["held_out"] == "121003.32"  # pending final settlement

    april = csv_rows(out / "2026-04" / "scorecard.csv")
    assert "SI-0003" not in {r["partner_id"] for r in april}
    warnings = json.loads((out / "2026-04" / "manifest.json").read_text(encoding="utf-8"))["warnings"]
    about = [w for w in warnings if "'SI-0003'" in w["message"]]
    for source in ("partners.csv", "billing.csv", "complaints.csv", "settlement.xlsx"):
        assert any(w["file"] == source for w in about), f"no warning for {source}: {about}"
    # One warning per ignored row, naming its record: the oracle lists 54.
    expected = sum(
        "SI-0003" in line
        for line in (FIXTURES / "expected" / "2026-04" / "warnings.txt").read_text(encoding="utf-8").splitlines()
    )
    assert len(about) == expected == 54
    tickets = [w for w in about if w["file"] == "complaints.csv"]
    assert tickets and all(w["key"].startswith("TS202604") and w["line"] > 1 for w in tickets)
    assert all(w["key"] == "SI-0003" for w in about if w["file"] != "complaints.csv")


def test_terminated_partner_rows_in_a_later_month(tmp_path: Path, demo_template: Path) -> None:
    """SI-0003 (terminated 2026-03) turns up again in every table of 2026-05: all left out, with warnings."""
    ws = new_workspace(tmp_path / "ws", MONTHS[:5])
    for month in MONTHS[:4]:
        pipeline.run(ws, Period.parse(month))
        approve_and_close(ws, Period.parse(month))
    may = ws.inputs / "2026-05"
    extra = {
        "partners.csv": "SI-0003,苏州汇通通信工程有限公司,C",
        "billing.csv": "SI-0003,61000,",
        "settlement.csv": "SI-0003,40000.00",
        "complaints.csv": "TS20260599999,SI-0003,2026-05-06 10:00:00,2026-05-06 12:00:00,,normal,1,0,0",
        "refunds.csv": "RF2026059999,SI-0003,100.00,double,",
        "conduct.csv": "SI-0003,attitude,2026-05-07,",
        "surveys.csv": "SI-0003,JT0000000001,90",
    }
    for name, row in extra.items():
        path = may / name
        text, encoding = read_text(path)
        path.write_bytes((text + row + "\n").encode(encoding))

    outcome = pipeline.run(ws, Period.parse("2026-05"))
    assert "SI-0003" not in outcome.record.partner_ids()
    warnings = [str(w) for w in outcome.warnings]
    for name in extra:
        assert any(w.startswith(name) and "SI-0003" in w for w in warnings), f"{name}: {warnings}"
    # Everyone else is exactly as in the demo.
    assert (ws.out / "2026-05" / "scorecard.csv").read_bytes() == (
        demo_template / "out" / "2026-05" / "scorecard.csv"
    ).read_bytes()


# --- the demo against the oracle ----------------------------------------------------------------


@pytest.mark.parametrize("month", MONTHS)
def test_demo_scorecard_equals_expected(demo_template: Path, month: str) -> None:
    got = csv_rows(demo_template / "out" / month / "scorecard.csv")
    want = csv_rows(FIXTURES / "expected" / month / "scorecard.csv")
    assert [r["partner_id"] for r in got] == [r["partner_id"] for r in want]
    columns = [c for c in want[0] if c in got[0]]
    assert len(columns) == len(want[0]), f"columns missing: {set(want[0]) - set(got[0])}"
    diffs = [(w["partner_id"], c, g[c], w[c]) for g, w in zip(got, want, strict=True) for c in columns if g[c] != w[c]]
    assert not diffs, diffs[:20]


def test_demo_settlement_invariant_and_carry_over(demo_template: Path) -> None:
    last: dict[str, dict[str, str]] = {}  # the partner's previous assessed month
    checked = 0
    for month in MONTHS:
        for r in csv_rows(demo_template / "out" / month / "scorecard.csv"):
            m = {k: Decimal(r[k]) for k in (*MONEY, *SIGNED)}
            for k in MONEY:
                assert re.fullmatch(r"\d+\.\d\d", r[k]), (month, r["partner_id"], k, r[k])
            for k in SIGNED:
                assert re.fullmatch(r"-?\d+\.\d\d", r[k]), (month, r["partner_id"], k, r[k])
            lhs = (
                m["payout"]
                + (m["held_out"] - m["held_in"])
                + m["refund_deduction"]
                + m["score_deduction"]
                + m["fine_deduction"]
                + m["receivable_in"]
            )
            assert lhs == m["gross_amount"] + m["receivable_out"] + m["adjustment"], (month, r["partner_id"], m)
            prev = last.get(r["partner_id"])
            # the balances carried in, after any restatement of a prior-period correction
            held = Decimal(prev["held_out"] if prev else "0") + m["held_restated"]
            assert m["held_in"] == held, (month, r["partner_id"])
            assert m["receivable_in"] == Decimal(prev["receivable_out"] if prev else "0") + m["receivable_restated"], (
                month,
                r["partner_id"],
            )
            if m["released"]:
                assert m["released"] == m["held_in"] and m["held_out"] == 0, (month, r["partner_id"])
            last[r["partner_id"]] = r
            checked += 1
    assert checked == 290  # 42+42+42+42+40+41+41 partner-months
    # SI-0008 was absent in 2026-05: its held balance waited from 04 for 06.
    assert last["SI-0008"]["released"] == "164231.03"


# --- bad input writes nothing -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file", "line", "column", "value"),
    [
        ("settlement.csv", 5, "gross_amount", "1,234.00"),
        ("settlement.csv", 6, "gross_amount", "12.345"),
        ("settlement.csv", 7, "gross_amount", "¥100.00"),
        ("complaints.csv", 7, "ticket_id", "TS20260200001"),  # the id on line 2
        ("complaints.csv", 9, "resolved_at", "2026-01-01 00:00:00"),  # before it was received
        ("complaints.csv", 10, "partner_id", "SI-9999"),
        ("refunds.csv", 3, "amount", "-5"),
        ("billing.csv", 4, "billed_users", "many"),
        ("partners.csv", 5, "mode", "B2B"),
    ],
)
def test_bad_input_writes_nothing(feb_ws: Workspace, file: str, line: int, column: str, value: str) -> None:
    set_cell(feb_ws.inputs_for(FEB) / file, line, column, value)
    out_before, db_before = tree_bytes(feb_ws.out), feb_ws.db.read_bytes()

    result = cli("--lang", "en", "-w", str(feb_ws.root), "run", "2026-02")
    assert_reported(result, 1, f"{file}:{line}: {column}: ", "nothing was written")
    assert tree_bytes(feb_ws.out) == out_before
    assert feb_ws.db.read_bytes() == db_before
    assert_reported(cli("-w", str(feb_ws.root), "validate", "2026-02"), 1, f"{file}:{line}: {column}: ")


def test_all_errors_of_a_month_reported_at_once(feb_ws: Workspace) -> None:
    folder = feb_ws.inputs_for(FEB)
    set_cell(folder / "settlement.csv", 5, "gross_amount", "1,234.00")
    set_cell(folder / "complaints.csv", 7, "ticket_id", "TS20260200001")
    out_before, db_before = tree_bytes(feb_ws.out), feb_ws.db.read_bytes()
    result = cli("--lang", "en", "-w", str(feb_ws.root), "run", "2026-02")
    assert_reported(result, 1, "settlement.csv:5: gross_amount: ", "complaints.csv:7: ticket_id: ", "2 errors")
    assert tree_bytes(feb_ws.out) == out_before
    assert feb_ws.db.read_bytes() == db_before
    assert not list(feb_ws.out.glob(".*")), "a temporary folder was left behind"


def test_record_tickets_are_in_ledger_order_as_made(tmp_path: Path) -> None:
    """The tickets are put in the ledger's order once, as they are loaded (the month's and those
    received outside it, merged): the run's record holds them in that order, row for row as stored."""
    from scorecard.ledger.store import ORDER, in_order

    ws = new_workspace(tmp_path / "ws", ["2026-05"])
    shuffle_csv(ws.inputs / "2026-05" / "complaints.csv", random.Random(7))
    outcome = pipeline.run(ws, Period.parse("2026-05"))
    tickets = outcome.record["tickets"]
    assert tickets.height == 439
    assert tickets.filter(pl.col("state") == "outside").height >= 1  # received on 30 April
    assert in_order(tickets, ORDER["tickets"])
    assert tickets.equals(tickets.sort(list(ORDER["tickets"]), nulls_last=True, maintain_order=True))
    with Ledger(ws.db, readonly=True) as ledger:
        assert ledger.record(Period.parse("2026-05"))["tickets"].equals(tickets)

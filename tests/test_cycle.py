"""The month cycle on the record (docs/ledger.md): one draft at a time, nothing lost silently,
closed months' views rendered from the record alone, outputs that always agree with the ledger."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from conftest import approve_and_close, ledger_dump, new_workspace, tree_bytes
from typer.testing import CliRunner

from scorecard import pipeline
from scorecard.cli import app
from scorecard.ledger import Ledger, LedgerError, reading
from scorecard.periods import Period
from scorecard.report.finance import export_finance
from scorecard.report.outputs import mismatch, month_files
from scorecard.report.statements import statements
from scorecard.status import ledger_status
from scorecard.workspace import Workspace

JAN, FEB, MAR = Period(2026, 1), Period(2026, 2), Period(2026, 3)


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_running_another_month_while_a_draft_exists_refuses_and_loses_nothing(tmp_path: Path) -> None:
    """run 01, run 02 with nothing closed: the second run is refused, January's draft and outputs stay."""
    ws = new_workspace(tmp_path / "ws", ["2026-01", "2026-02", "2026-03"])
    pipeline.run(ws, JAN, user="maker")
    dump, out = ledger_dump(ws.db), tree_bytes(ws.out)
    held = sum(r["held_out"] for r in reading.record(ws, JAN).rows("partner_results"))
    assert held == 107_111_97  # what a silent replacement used to lose

    code, text = cli("-w", str(ws.root), "--lang", "en", "run", "2026-02")
    assert code == 1
    assert "2026-01 is a draft" in text and "scorecard close 2026-01" in text and "--discard-draft" in text
    assert "Traceback" not in text
    assert ledger_dump(ws.db) == dump and tree_bytes(ws.out) == out

    # the other way out: discard it, on record, its outputs moved where nobody pays from them
    outcome = pipeline.run(ws, FEB, user="maker", discard_draft=True)
    assert outcome.discarded is not None and outcome.discarded.period == JAN
    assert not (ws.out / "2026-01").exists()
    aside = ws.out / ".discarded" / "2026-01-1"
    assert tree_bytes(aside) == {k.removeprefix("2026-01/"): v for k, v in out.items() if k.startswith("2026-01/")}
    with Ledger(ws.db, readonly=True) as ledger:
        assert [p.period for p in ledger.periods()] == [FEB]
        discard = next(e for e in ledger.events() if e["command"] == "discard")
    detail = json.loads(discard["detail"])
    assert discard["period"] == "2026-01" and discard["user"] == "maker"
    assert detail["held_out"] == 107_111_97 and detail["partners"] == 42


def test_a_rerun_replaces_its_own_draft_and_moves_handed_out_files_aside(feb_ws: Workspace) -> None:
    export_finance(feb_ws, FEB, "en")
    before = tree_bytes(feb_ws.out / "2026-02")
    outcome = pipeline.run(feb_ws, FEB)
    assert outcome.record.info.run_seq == 2
    assert [p.name for p in outcome.moved] == ["2026-02-1"]
    assert tree_bytes(outcome.moved[0]) == before  # the workbook finance may have opened is kept
    assert not (feb_ws.out / "2026-02" / "settlement-2026-02.xlsx").exists()
    assert mismatch(feb_ws.out / "2026-02", outcome.record.info) is None


def test_reopen_with_a_draft_of_the_next_month_refuses_unless_told(feb_ws: Workspace) -> None:
    dump = ledger_dump(feb_ws.db)
    with pytest.raises(LedgerError, match="2026-02 is a draft"):
        pipeline.reopen(feb_ws, JAN, "billing resent")
    assert ledger_dump(feb_ws.db) == dump
    discarded = pipeline.reopen(feb_ws, JAN, "billing resent", discard_draft=True)
    assert discarded is not None and discarded.period == FEB
    assert (feb_ws.out / ".discarded" / "2026-02-1" / "scorecard.csv").exists()
    assert not (feb_ws.out / "2026-02").exists()
    with Ledger(feb_ws.db, readonly=True) as ledger:
        assert [(p.period, p.status) for p in ledger.periods()] == [(JAN, "draft")]
        assert [e["command"] for e in ledger.events()][-2:] == ["discard", "reopen"]


@pytest.mark.parametrize("change", ["inputs", "config"])
def test_close_refuses_when_what_was_assessed_changed(feb_ws: Workspace, change: str) -> None:
    if change == "inputs":
        path = feb_ws.inputs / "2026-02" / "settlement.csv"
        path.write_bytes(path.read_bytes() + b"\n")
    else:
        feb_ws.config.write_text(
            feb_ws.config.read_text(encoding="utf-8").replace("threshold = 5 ", "threshold = 6 ", 1), encoding="utf-8"
        )
    dump = ledger_dump(feb_ws.db)
    code, text = cli("-w", str(feb_ws.root), "--lang", "en", "close", "2026-02")
    assert code == 1 and "re-run it first" in text and "Traceback" not in text
    assert ledger_dump(feb_ws.db) == dump
    if change == "inputs":
        pipeline.run(feb_ws, FEB)
        approve_and_close(feb_ws, FEB)  # re-run first: then it closes


def _cells(path: Path) -> list[tuple[str, str, Any]]:
    wb = openpyxl.load_workbook(path)
    return [(ws.title, c.coordinate, c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row]


def test_closed_month_views_come_from_the_record_alone(demo_ws: Workspace, tmp_path: Path) -> None:
    """After closing: delete the inputs, change the configuration — every view is the same."""
    june = Period(2026, 6)
    statements(demo_ws, june, "en")
    book = export_finance(demo_ws, june, "en").path
    pages = tree_bytes(demo_ws.out / "2026-06" / "statements")
    cells = _cells(book)
    files = month_files(reading.record(demo_ws, june), "en")
    explain = cli("-w", str(demo_ws.root), "--lang", "en", "explain", "SI-0009", "2026-06")
    history = cli("-w", str(demo_ws.root), "--lang", "en", "history", "SI-0009")

    shutil.rmtree(demo_ws.inputs)
    text = demo_ws.config.read_text(encoding="utf-8")
    demo_ws.config.write_text(
        text.replace("threshold = 4 ", "threshold = 2 ").replace("0.75", "0.95"), encoding="utf-8"
    )

    statements(demo_ws, june, "en")
    assert tree_bytes(demo_ws.out / "2026-06" / "statements") == pages  # the same HTML bytes
    assert _cells(export_finance(demo_ws, june, "en").path) == cells  # the same cell values
    assert month_files(reading.record(demo_ws, june), "en") == files
    assert cli("-w", str(demo_ws.root), "--lang", "en", "explain", "SI-0009", "2026-06") == explain
    assert cli("-w", str(demo_ws.root), "--lang", "en", "history", "SI-0009") == history
    # and the configuration file gone altogether
    demo_ws.config.unlink()
    assert cli("-w", str(demo_ws.root), "--lang", "en", "explain", "SI-0009", "2026-06") == explain


def test_outputs_rendered_from_the_ledger_equal_those_of_the_run(feb_ws: Workspace) -> None:
    outcome = pipeline.run(feb_ws, FEB)
    stored = reading.record(feb_ws, FEB)
    for name, data in month_files(stored, "zh").items():
        assert (feb_ws.out / "2026-02" / name).read_bytes() == data, name
    for name, frame in outcome.record.tables.items():
        assert stored[name].equals(frame), name


def test_zero_base_breach_is_charted_as_a_breach(demo_ws: Workspace) -> None:
    """SI-0013 in 2026-06: complaints on a base of 0 users — no rate to draw, but a breach."""
    outcome = statements(demo_ws, Period(2026, 6), "en", "SI-0013")
    page = (outcome.folder / outcome.written[0].html).read_text(encoding="utf-8")
    assert page.count('class="breach-no-value"') == 1
    statements(demo_ws, Period(2026, 7), "en", "SI-0013")
    july = (outcome.folder / outcome.written[0].html).read_text(encoding="utf-8")
    assert july.count('class="breach-no-value"') == 1  # June's breach, drawn from June's record


def test_manifest_warnings_name_their_records(demo_template: Path) -> None:
    manifest = json.loads((demo_template / "out" / "2026-05" / "manifest.json").read_text(encoding="utf-8"))
    tickets = [w for w in manifest["warnings"] if w["file"] == "complaints.csv"]
    assert [w["key"] for w in tickets] == ["TS20260500001", "TS20260500002", "TS20260500003"]
    assert all(set(w) == {"file", "line", "column", "key", "message"} for w in manifest["warnings"])
    assert all(isinstance(w["line"], int) and w["line"] > 1 for w in manifest["warnings"])


def test_status_lists_months_and_balances_carried(demo_ws: Workspace) -> None:
    st = ledger_status(demo_ws)
    assert [str(m.info.period) for m in st.months] == [f"2026-{m:02d}" for m in range(1, 8)]
    assert all(m.info.status == "closed" and m.outputs is None for m in st.months)
    assert all(m.info.run_by == "demo-manager" and m.info.closed_by == "demo-finance" for m in st.months)
    pending = {b.partner_id: b.held for b in st.balances if b.kind == "pending_final"}
    assert pending == {"SI-0003": 121_003_32, "SI-0004": 647_832_70}
    assert sum(pending.values()) == 768_836_02
    # the finance workbook lists them too
    wb = openpyxl.load_workbook(export_finance(demo_ws, Period(2026, 7), "en").path)
    values = [c.value for row in wb["Balances carried"].iter_rows() for c in row]
    assert "SI-0003" in values and "SI-0004" in values and 7688.3602e2 in values
    # an edited output is seen
    (demo_ws.out / "2026-03" / "scorecard.csv").write_text("edited", encoding="utf-8")
    assert next(m for m in ledger_status(demo_ws).months if str(m.info.period) == "2026-03").outputs == (
        "scorecard.csv was changed"
    )
    code, text = cli("-w", str(demo_ws.root), "--lang", "en", "status")
    assert code == 0 and "768836.02" in text


CUT_AFTER_COMMIT = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from scorecard import pipeline
    from scorecard.periods import Period
    from scorecard.workspace import Workspace

    def die(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)

    pipeline.holds_more_than_the_run = die  # called right after the ledger's COMMIT, before the swap
    pipeline.run(Workspace.at(Path(sys.argv[1])), Period.parse(sys.argv[2]))
    """
)


def test_a_run_cut_between_commit_and_output_swap_is_put_right(feb_ws: Workspace) -> None:
    settlement = feb_ws.inputs / "2026-02" / "settlement.csv"
    settlement.write_text(
        settlement.read_text(encoding="utf-8").replace("SI-0001,", "SI-0001,1", 1), encoding="utf-8"
    )  # so the new run's outputs differ from the old ones
    proc = subprocess.run(
        [sys.executable, "-c", CUT_AFTER_COMMIT, str(feb_ws.root), "2026-02"],
        check=False,
        capture_output=True,
        timeout=120,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    with Ledger(feb_ws.db, readonly=True) as ledger:
        info = ledger.period(FEB)
    assert info is not None and info.run_seq == 2  # the ledger committed …
    assert mismatch(feb_ws.out / "2026-02", info) == "rendered from run 1, the ledger holds run 2"  # … the folder not
    assert "rendered from run 1" in cli("-w", str(feb_ws.root), "--lang", "en", "status")[1]

    approve_and_close(feb_ws, FEB)  # close renders the month from its record before freezing it
    assert mismatch(feb_ws.out / "2026-02", info) is None
    stored = reading.record(feb_ws, FEB)
    for name, data in month_files(stored, "zh").items():
        assert (feb_ws.out / "2026-02" / name).read_bytes() == data
    assert (feb_ws.out / ".discarded" / "2026-02-1" / "scorecard.csv").exists()  # the stale folder, kept aside


def test_a_terminated_partner_gets_no_deadline_to_rectify_by(demo_template: Path) -> None:
    """SI-0003, terminated in March: its notices of that month carry no rectification deadline."""
    march = reading.record(Workspace.at(demo_template), MAR, "SI-0003")
    kinds = {a["kind"]: a["deadline"] for a in march.rows("actions")}
    assert "terminate" in kinds and kinds.get("notice") is None
    jan = reading.record(Workspace.at(demo_template), JAN, "SI-0003")
    assert any(a["kind"] == "notice" and a["deadline"] is not None for a in jan.rows("actions"))

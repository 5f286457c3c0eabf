"""Accepted disputes in money (docs/disputes.md#money): the open month's own records corrected in
its assessment, closed months' records through the corrected history, never by editing them.

The oracle here is a second workspace whose inputs carry the corrections from the start, run
from scratch: after the run, every partner's cumulative payout + held − receivable must equal it."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest
from conftest import approve_and_close, ledger_dump, new_workspace, tree_bytes
from typer.testing import CliRunner

from scorecard import pipeline
from scorecard.cli import app
from scorecard.corrections import Correction
from scorecard.ledger import Ledger, reading
from scorecard.periods import Period
from scorecard.report.finance import export_finance
from scorecard.workspace import Workspace

JAN, FEB, MAR, APR = (Period(2026, m) for m in (1, 2, 3, 4))
MONTHS = ["2026-01", "2026-02", "2026-03", "2026-04"]


def run_and_close(ws: Workspace, *periods: Period) -> None:
    for p in periods:
        pipeline.run(ws, p)
        approve_and_close(ws, p)


def rewrite(path: Path, change: dict[str, dict[str, str]], key: str) -> None:
    """Set columns of the rows whose ``key`` is in ``change`` (the file's own encoding and headers)."""
    raw = path.read_bytes()
    encoding = "utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "utf-8"
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError:
        encoding, text = "gb18030", raw.decode("gb18030")
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    for row in rows[1:]:
        if row and row[header.index(key)] in change:
            for col, value in change[row[header.index(key)]].items():
                row[header.index(col)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_bytes(out.getvalue().encode(encoding))


def cumulative(ws: Workspace, upto: Period) -> dict[str, int]:
    """Per partner: Σ payout over the months up to ``upto``, plus held, minus receivable carried out of it."""
    out: dict[str, int] = {}
    with Ledger(ws.db, readonly=True) as ledger:
        for info in ledger.periods():
            if info.period > upto:
                continue
            for r in ledger.results(info.period):
                out[r["partner_id"]] = out.get(r["partner_id"], 0) + r["payout"]
        for r in ledger.conn.execute("SELECT partner_id, held, receivable FROM states WHERE period = ?", (str(upto),)):
            out[r[0]] = out.get(r[0], 0) + r[1] - r[2]
    return out


@pytest.fixture(scope="module")
def two_months(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("disputes") / "ws"
    ws = new_workspace(root, MONTHS)
    run_and_close(ws, JAN, FEB)
    return root


def test_a_closed_month_correction_releases_a_hold_through_an_adjustment(two_months: Path, tmp_path: Path) -> None:
    """SI-0017 breached at exactly 5.0 per 10k in February (10 / 20,000) and was held; one of its
    tickets did not count, so February was compliant: the held money is paid with March."""
    ws = Workspace.at(tmp_path / "ws")
    import shutil

    shutil.copytree(two_months, ws.root)
    closed_before = {k: v for k, v in tree_bytes(ws.out).items() if k.startswith(("2026-01", "2026-02"))}
    dump_before = {t: [r for r in rows if r[0] in ("2026-01", "2026-02")] for t, rows in ledger_dump(ws.db).items()}
    d1 = Correction("D-0001", "SI-0017", FEB, "ticket", "TS20260200003")
    outcome = pipeline.run(ws, MAR, corrections=[d1])

    # closed months untouched: rows and outputs
    assert {t: [r for r in rows if r[0] in ("2026-01", "2026-02")] for t, rows in ledger_dump(ws.db).items()} == (
        dump_before
    )
    assert {k: v for k, v in tree_bytes(ws.out).items() if k.startswith(("2026-01", "2026-02"))} == closed_before

    march = outcome.record.rows("partner_results", "SI-0017")[0]
    feb = reading.record(ws, FEB).rows("partner_results", "SI-0017")[0]
    assert feb["held_out"] == 26_059_57 and feb["payout"] == 0
    assert march["held_restated"] == -26_059_57  # the corrected February held nothing
    assert march["held_in"] == 0 and march["released"] == 0
    assert march["adjustment"] > 26_059_57 - 1_000_00  # February paid, less its (now lower) score deduction
    assert (
        march["payout"]
        + march["held_out"]
        - march["held_in"]
        + march["refund_deduction"]
        + march["score_deduction"]
        + march["fine_deduction"]
        + march["receivable_in"]
        == march["gross_amount"] + march["receivable_out"] + march["adjustment"]
    )
    parts = outcome.record.rows("adjustments", "SI-0017")
    assert {p["corrected_period"] for p in parts} == {"2026-02"}
    assert sum(p["amount"] for p in parts) == march["adjustment"]
    assert {p["component"] for p in parts} >= {"hold"}
    assert [c["dispute_id"] for c in outcome.record.rows("corrections")] == ["D-0001"]
    lines = outcome.record.rows("money_lines", "SI-0017")
    assert [x["amount"] for x in lines if x["kind"] == "adjustment"] == [march["adjustment"]]
    assert sum(x["amount"] for x in lines) == march["payout"]

    # the oracle: the same months from scratch with the ticket invalid in February's inputs
    oracle = new_workspace(tmp_path / "oracle", MONTHS)
    rewrite(oracle.inputs / "2026-02" / "complaints.csv", {"TS20260200003": {"valid": "0"}}, "ticket_id")
    run_and_close(oracle, JAN, FEB)
    pipeline.run(oracle, MAR)
    assert cumulative(ws, MAR) == cumulative(oracle, MAR)  # every partner, to the fen
    scratch = reading.record(oracle, MAR).rows("partner_results", "SI-0017")[0]
    assert march["payout"] == scratch["payout"] + march["adjustment"]

    # every view shows it
    book = openpyxl.load_workbook(export_finance(ws, MAR, "en").path)
    values = [c.value for row in book["Disputes"].iter_rows() for c in row]
    assert "D-0001" in values and "TS20260200003" in values
    text = CliRunner().invoke(app, ["-w", str(ws.root), "--lang", "en", "explain", "SI-0017", "2026-03"]).output
    assert "D-0001" in text and "Prior-period adjustment" in text
    row = next(
        r
        for r in csv.DictReader(io.StringIO((ws.out / "2026-03" / "scorecard.csv").read_text("utf-8-sig")))
        if r["partner_id"] == "SI-0017"
    )
    assert row["held_restated"] == "-26059.57"


def test_an_open_month_correction_is_applied_in_its_own_assessment(two_months: Path, tmp_path: Path) -> None:
    import shutil

    ws = Workspace.at(tmp_path / "ws")
    shutil.copytree(two_months, ws.root)
    base = pipeline.run(ws, MAR).record
    refunds = base.rows("refunds", "SI-0011")
    assert refunds, "SI-0011 has refunds in March"
    void = refunds[0]
    outcome = pipeline.run(ws, MAR, corrections=[Correction("D-0002", "SI-0011", MAR, "refund", void["refund_id"])])
    before = base.rows("partner_results", "SI-0011")[0]
    after = outcome.record.rows("partner_results", "SI-0011")[0]
    assert after["refund_deduction"] == before["refund_deduction"] - void["deduction"]
    assert after["adjustment"] == 0 and after["held_restated"] == 0  # no adjustment line needed
    assert void["refund_id"] not in {r["refund_id"] for r in outcome.record.rows("refunds")}


def test_a_partner_terminated_before_keeps_its_correction_in_its_pending_balance(tmp_path: Path) -> None:
    """SI-0003, terminated in March with 121,003.32 held, had a February ticket that did not count and one
    resolved in time: its balance pending final settlement is restated in April; its termination stands."""
    ws = new_workspace(tmp_path / "ws", MONTHS)
    run_and_close(ws, JAN, FEB, MAR)
    march = reading.record(ws, MAR, "SI-0003")
    assert march.rows("partner_results")[0]["status"] == "terminated"
    feb_tickets = reading.record(ws, FEB, "SI-0003")["tickets"]
    late = feb_tickets.filter(feb_tickets["state"] == "late").row(0, named=True)
    corrections = [
        Correction("D-0003", "SI-0003", MAR, "ticket", reading.record(ws, MAR, "SI-0003")["tickets"]["ticket_id"][0]),
        Correction("D-0004", "SI-0003", FEB, "ticket", late["ticket_id"], late["received_at"]),
    ]
    outcome = pipeline.run(ws, APR, corrections=corrections)
    assert "SI-0003" not in outcome.record.partner_ids()
    assert {c["dispute_id"] for c in outcome.record.rows("corrections")} == {"D-0003", "D-0004"}
    # the oracle from scratch: the corrected inputs, the recorded termination kept (it still breaches)
    oracle = new_workspace(tmp_path / "oracle", MONTHS)
    rewrite(oracle.inputs / "2026-03" / "complaints.csv", {corrections[0].record_id: {"是否有效": "否"}}, "工单编号")
    rewrite(
        oracle.inputs / "2026-02" / "complaints.csv",
        {late["ticket_id"]: {"resolved_at": late["received_at"].strftime("%Y-%m-%d %H:%M:%S")}},
        "ticket_id",
    )
    run_and_close(oracle, JAN, FEB, MAR)
    pipeline.run(oracle, APR)
    assert cumulative(ws, APR) == cumulative(oracle, APR)


DISPUTES_HEADER = "dispute_id,partner_id,period,record,record_id,decision,correction,filed_on,late,note\n"


def test_the_disputes_table_checks_every_row_against_the_records(two_months: Path, tmp_path: Path) -> None:
    import shutil

    ws = Workspace.at(tmp_path / "ws")
    shutil.copytree(two_months, ws.root)
    feb = reading.record(ws, FEB)
    tickets = feb["tickets"]
    own = tickets.filter((tickets["partner_id"] == "SI-0017") & (tickets["state"] != "invalid"))["ticket_id"][0]
    other = tickets.filter(tickets["partner_id"] == "SI-0001")["ticket_id"][0]
    invalid = tickets.filter(tickets["state"] == "invalid")
    path = ws.inputs / "2026-03" / "disputes.csv"
    path.write_text(
        DISPUTES_HEADER
        + f"D1,SI-0017,2026-02,ticket,{own},accepted,,2026-03-05,,\n"  # fine
        + "D2,SI-0017,2026-02,ticket,NO-SUCH,accepted,,,,\n"  # line 3: unknown record
        + f"D3,SI-0017,2026-02,ticket,{other},accepted,,,,\n"  # line 4: another partner's
        + f"D4,SI-0017,2026-05,ticket,{own},accepted,,,,\n"  # line 5: neither closed nor the open month
        + "D5,SI-0017,2026-03,refund,NO-REFUND,accepted,,,,\n"  # line 6: the open month's record, unknown
        + f"D6,SI-0001,2026-02,ticket,{other},accepted,fixed it,,,\n"  # line 7: not a correction
        + f"D7,{invalid['partner_id'][0]},2026-02,ticket,{invalid['ticket_id'][0]},accepted,,,,\n"  # 8: did not count
        + f"D8,SI-0001,2026-02,ticket,{other},accepted,resolved_at=2026-01-01 00:00,,,\n"  # 9: before received
        + f"D9,SI-0001,2026-02,ticket,{other},accepted,,2026-03-20,,\n",  # line 10: after the window
        encoding="utf-8",
    )
    dump, out = ledger_dump(ws.db), tree_bytes(ws.out)
    result = CliRunner().invoke(app, ["-w", str(ws.root), "--lang", "en", "run", "2026-03"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    text = result.output
    for line, words in {
        3: "no ticket 'NO-SUCH' in 2026-02",
        4: "is partner 'SI-0001''s, not 'SI-0017''s",
        5: "2026-05 is neither a closed month nor 2026-03",
        6: "no refund 'NO-REFUND' in 2026-03",
        7: "not a correction: 'fixed it'",
        8: "did not count in 2026-02",
        9: "is before the ticket's received_at",
        10: "after the window for 2026-02 closed on 2026-03-10",
    }.items():
        assert f"disputes.csv:{line}:" in text and words in text, (line, words, text)
    assert ledger_dump(ws.db) == dump and tree_bytes(ws.out) == out  # nothing written

    # the good row alone, and a rejected one: applied as in a closed-month correction
    path.write_text(
        DISPUTES_HEADER
        + f"D1,SI-0017,2026-02,ticket,{own},accepted,,2026-03-05,,\n"
        + f"D2,SI-0001,2026-02,ticket,{other},rejected,invalid,,,\n",
        encoding="utf-8",
    )
    outcome = pipeline.run(ws, MAR)
    assert [c["dispute_id"] for c in outcome.record.rows("corrections")] == ["D1"]
    assert outcome.record.rows("partner_results", "SI-0017")[0]["held_restated"] == -26_059_57
    assert any(w.key == "D2" and "ignored" in w.message for w in outcome.warnings)
    pipeline.run(ws, MAR)  # a re-run reads the table again: not a reuse of its ids
    approve_and_close(ws, MAR)
    # April: the correction stays applied (from March's record) and is not paid twice
    april = pipeline.run(ws, APR).record
    assert april.rows("partner_results", "SI-0017")[0]["adjustment"] == 0
    assert april.rows("partner_results", "SI-0017")[0]["held_restated"] == 0
    # and its id cannot be used again
    (ws.inputs / "2026-04" / "disputes.csv").write_text(
        DISPUTES_HEADER + f"D1,SI-0001,2026-02,ticket,{other},accepted,,,,\n", encoding="utf-8"
    )
    result = CliRunner().invoke(app, ["-w", str(ws.root), "--lang", "en", "run", "2026-04"])
    assert result.exit_code == 1 and "disputes.csv:2: dispute_id: dispute id 'D1' is already used" in result.output


def test_a_dispute_filed_and_decided_in_the_register_is_applied_by_the_next_run(
    two_months: Path, tmp_path: Path
) -> None:
    """The register (`dispute add` / `dispute decide`, or the portal) and the money meet at the next run."""
    import shutil
    from datetime import UTC, datetime

    from scorecard.disputes.service import decide_in, file_in

    ws = Workspace.at(tmp_path / "ws")
    shutil.copytree(two_months, ws.root)
    did = file_in(
        ws, FEB, "ticket", "TS20260200003", "not our customer", "si-0017", datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
    )
    pending = pipeline.run(ws, MAR).record
    assert pending.rows("corrections") == [] and pending.rows("partner_results", "SI-0017")[0]["adjustment"] == 0
    decide_in(ws, did, True, "checked: another operator's customer", "manager", datetime(2026, 3, 6, 9, 0, tzinfo=UTC))
    applied = pipeline.run(ws, MAR).record  # a decision takes effect at the next run of the open month
    assert [c["dispute_id"] for c in applied.rows("corrections")] == [did]
    march = applied.rows("partner_results", "SI-0017")[0]
    assert march["held_restated"] == -26_059_57 and march["adjustment"] > 0

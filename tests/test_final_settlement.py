"""Final settlement of terminated partners and guarantee deposits (docs/sign-off-and-audit.md#final-settlement)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest
from conftest import MONTHS, approve_and_close, new_workspace
from test_finance import fen, table
from test_pipeline import cli

from scorecard import pipeline
from scorecard.final_settlement import FinalAmounts, settle_final
from scorecard.ledger import Ledger, LedgerError, reading
from scorecard.payments import export_payments, month_total, payments_path
from scorecard.periods import Period
from scorecard.report.finance import export_finance, workbook_path
from scorecard.status import ledger_status
from scorecard.workspace import Workspace

MAR, APR, MAY = Period(2026, 3), Period(2026, 4), Period(2026, 5)
GONE = "SI-0003"  # terminated in 2026-03 with 121,003.32 held pending final settlement
HELD = 121_003_32


def test_the_held_balance_covers_the_receivable_then_the_deposit_and_the_rest_is_paid() -> None:
    assert settle_final("pay", 1000_00, 3000_00, 5000_00) == FinalAmounts(1000_00, 2000_00, 3000_00, 0, 3000_00, 0)
    assert settle_final("pay", 5000_00, 1000_01, 0) == FinalAmounts(1000_01, 0, 0, 0, 3999_99, 0)
    # the deposit covers a receivable the held balance left, to the fen; what nothing covers stays owed
    assert settle_final("pay", 100_00, 1000_00, 899_99) == FinalAmounts(100_00, 899_99, 0, 0, 0, 1)
    # --forfeit keeps the held balance; the deposit left is returned all the same
    assert settle_final("forfeit", 5000_00, 1000_00, 2000_00) == FinalAmounts(1000_00, 0, 2000_00, 4000_00, 2000_00, 0)


def _deposits(ws: Workspace, month: str, rows: dict[str, str]) -> None:
    lines = ["partner_id,amount", *(f"{pid},{amount}" for pid, amount in rows.items())]
    (ws.inputs / month / "deposits.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _payees(ws: Workspace, month: str, ids: list[str]) -> None:
    lines = [
        "partner_id,payee_name,bank_name,account_no",
        *(f"{p},{p} Ltd,ICBC,62220200{i:08d}" for i, p in enumerate(ids)),
    ]
    (ws.inputs / month / "payees.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def terminated_ws(tmp_path: Path) -> Workspace:
    """2026-01 … 03 run and closed, deposits paid in January; SI-0003 terminated in March."""
    ws = new_workspace(tmp_path / "ws", MONTHS[:5])
    _deposits(ws, "2026-01", {GONE: "5000.00", "SI-0005": "2000.00"})
    for month in MONTHS[:3]:
        pipeline.run(ws, Period.parse(month))
        approve_and_close(ws, Period.parse(month))
    return ws


def _finals(ws: Workspace, period: Period) -> list[dict[str, object]]:
    return reading.record(ws, period).rows("final_settlements")


def _state(ws: Workspace, period: Period, pid: str) -> dict[str, object]:
    return reading.record(ws, period, pid).rows("states")[0]


def test_a_terminated_partners_held_balance_is_paid_once_and_only_once(terminated_ws: Workspace) -> None:
    ws = terminated_ws
    assert _state(ws, MAR, GONE)["held"] == HELD
    before = ledger_status(ws)
    assert any(b.partner_id == GONE and b.kind == "pending_final" for b in before.balances)
    assert before.deposits == {GONE: 5000_00, "SI-0005": 2000_00}
    with pytest.raises(LedgerError, match="SI-0005 is not a terminated partner"):
        pipeline.settle_terminated(ws, "SI-0005", "pay", "no")
    with pytest.raises(LedgerError, match="needs a reason"):
        pipeline.settle_terminated(ws, GONE, "pay", " ")
    decision = pipeline.settle_terminated(ws, GONE, "pay", "contract ended, no claims", user="finance-lead")
    assert decision.period == APR
    with pytest.raises(LedgerError, match="already recorded for 2026-04"):
        pipeline.settle_terminated(ws, GONE, "forfeit", "changed our mind")

    payees = [r["partner_id"] for r in pipeline.run(ws, APR).record.rows("partner_results")]
    _payees(ws, "2026-04", [*payees, GONE])  # a terminated partner's payee row is kept, not left out
    for _ in range(2):  # running the month twice pays nothing twice
        outcome = pipeline.run(ws, APR)
        assert [(f["partner_id"], f["held"], f["deposit"], f["amount"]) for f in _finals(ws, APR)] == [
            (GONE, HELD, 5000_00, HELD + 5000_00)
        ]
    assert GONE not in outcome.record.partner_ids()  # paid with the month, not assessed in it
    assert _state(ws, APR, GONE)["held"] == 0
    deposits = {r["partner_id"]: r for r in reading.record(ws, APR).rows("deposits")}
    assert (deposits[GONE]["deposit_in"], deposits[GONE]["returned"], deposits[GONE]["deposit_out"]) == (
        5000_00,
        5000_00,
        0,
    )
    assert deposits["SI-0005"]["deposit_out"] == 2000_00  # the ledger keeps the balance of an active partner
    after = ledger_status(ws)
    assert not any(b.partner_id == GONE for b in after.balances)
    assert after.deposits == {"SI-0005": 2000_00}
    shown = cli("--lang", "en", "-w", str(ws.root), "status").output
    assert "Guarantee deposits held" in shown and "2000.00" in shown

    approve_and_close(ws, APR)
    result = export_payments(ws, APR, "en")
    data = payments_path(ws, APR).read_bytes()
    rows = list(csv.DictReader(io.StringIO(data[3:].decode("utf-8"))))
    gone = [r for r in rows if r["partner_id"] == GONE]
    assert [(r["amount"], r["reference"]) for r in gone] == [("126003.32", f"2026-04/{GONE}")]
    record = reading.record(ws, APR)
    assert result.total == month_total(record) == record.totals()["payout"] + HELD + 5000_00

    export_finance(ws, APR, "en")
    wb = openpyxl.load_workbook(workbook_path(ws, APR))
    _, body, totals = table(wb["Final settlements"], "Partner ID")
    assert [(r[0], r[2], fen(r[4]), fen(r[11])) for r in body] == [(GONE, "Final settlement", HELD, HELD + 5000_00)]
    assert totals is not None and fen(totals[11]) == HELD + 5000_00
    _, _, pay_totals = table(wb["Payments"], "Partner ID")
    assert pay_totals is not None and fen(pay_totals[5]) == result.total

    # The next month finds nothing left to settle.
    pipeline.run(ws, MAY)
    assert _finals(ws, MAY) == []
    with pytest.raises(LedgerError, match="nothing to settle"):
        pipeline.settle_terminated(ws, GONE, "pay", "again")


def test_forfeit_keeps_the_held_balance_and_close_waits_for_the_run(terminated_ws: Workspace) -> None:
    ws = terminated_ws
    pipeline.run(ws, APR)
    pipeline.settle_terminated(ws, GONE, "forfeit", "compensation claim 2026-17")
    with pytest.raises(LedgerError, match=f"final settlement of {GONE} was recorded after its draft was run"):
        approve_and_close(ws, APR)
    pipeline.run(ws, APR)
    [final] = _finals(ws, APR)
    assert (final["forfeited"], final["deposit_returned"], final["amount"]) == (HELD, 5000_00, 5000_00)
    approve_and_close(ws, APR)
    with Ledger(ws.db, readonly=True) as ledger:
        events = [(e["command"], e["reason"]) for e in ledger.events(APR)]
    assert ("final_settlement", "compensation claim 2026-17") in events
    assert reading.verify(ws)[0] == []

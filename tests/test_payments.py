"""Payees, the payment file and the workbook's sign-off, Payments and Changes sheets."""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl
import pytest
from conftest import CHECKER, InputsFolder, approve_and_close
from test_finance import fen, table
from test_pipeline import assert_reported, cli

from scorecard import pipeline
from scorecard.issues import InputError
from scorecard.ledger import Ledger, reading
from scorecard.payments import export_payments, payments_path
from scorecard.periods import Period
from scorecard.report.finance import export_finance, workbook_path
from scorecard.workspace import Workspace

FEB = Period(2026, 2)
HOSTILE = '=HYPERLINK("http://evil.example","pay here")'


def _payees(ws: Workspace, period: Period, *, skip: str | None = None, hostile: str | None = None) -> list[str]:
    """A payee for every partner of the month's partners file (but ``skip``); ``hostile``'s cells are formulas."""
    text = (ws.inputs / str(period) / "partners.csv").read_bytes().decode("utf-8-sig")
    ids = [row[0] for row in csv.reader(io.StringIO(text))][1:]
    lines = ["partner_id,payee_name,bank_name,account_no"]
    for i, pid in enumerate(ids):
        if pid == skip:
            continue
        name = HOSTILE if pid == hostile else f"{pid} 有限公司"
        bank = "+cmd|' /C calc'!A0" if pid == hostile else "中国工商银行"
        lines.append(f'{pid},"{name.replace(chr(34), chr(34) * 2)}",{bank},6222 0200 {i:08d}')
    (ws.inputs / str(period) / "payees.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return ids


def _ledger_payout(ws: Workspace, period: Period) -> dict[str, int]:
    with Ledger(ws.db, readonly=True) as ledger:
        return {r["partner_id"]: r["payout"] for r in ledger.results(period)}


def _read_csv(path: Any) -> list[dict[str, str]]:
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(data[3:].decode("utf-8"))))


# --- the payees table ------------------------------------------------------------------------------


def test_payees_are_validated_like_every_input(inputs: InputsFolder) -> None:
    inputs.csv(
        "payees",
        "partner_id,payee_name,bank_name,account_no\n"
        "P1,Alpha Ltd,ICBC,6222 0200 0001\n"
        "P1,Alpha again,ICBC,6222020000002\n"
        "P9,Nobody,ICBC,6222020000003\n"
        "P2,,ICBC,=1+2\n",
    )
    assert inputs.errors() == [
        "payees.csv:3: partner_id: duplicate partner_id 'P1' (first on line 2) (expected a unique partner_id)",
        "payees.csv:4: partner_id: unknown partner 'P9' (expected a partner_id of partners.csv)",
        "payees.csv:5: account_no: not a bank account number: '=1+2' (expected 6 to 34 letters or digits)",
        "payees.csv:5: payee_name: empty cell (expected a text value)",
    ]


# --- export payments ---------------------------------------------------------------------------------


def test_a_draft_is_refused(feb_ws: Workspace) -> None:
    assert_reported(
        cli("--lang", "en", "-w", str(feb_ws.root), "export", "payments", "2026-02"),
        1,
        "is a draft",
        "closed months only",
    )
    assert not payments_path(feb_ws, FEB).exists()


def test_payments_total_the_months_payout_and_no_cell_is_a_formula(feb_ws: Workspace) -> None:
    target = next(pid for pid, v in sorted(_ledger_payout(feb_ws, FEB).items()) if v > 0)
    _payees(feb_ws, FEB, hostile=target)
    pipeline.run(feb_ws, FEB)
    approve_and_close(feb_ws, FEB)
    assert_reported(cli("--lang", "en", "-w", str(feb_ws.root), "export", "payments", "2026-02"), 0, "written")
    rows = _read_csv(payments_path(feb_ws, FEB))
    payout = _ledger_payout(feb_ws, FEB)
    paid = {pid: v for pid, v in payout.items() if v > 0}
    assert len(paid) >= 5 and len(paid) < len(payout)  # someone is on hold or terminated: not paid
    assert [r["partner_id"] for r in rows] == sorted(paid)
    assert {r["partner_id"]: int(r["amount"].replace(".", "")) for r in rows} == paid
    assert sum(int(r["amount"].replace(".", "")) for r in rows) == sum(payout.values())
    assert all(r["reference"] == f"2026-02/{r['partner_id']}" for r in rows)
    hostile = next(r for r in rows if r["partner_id"] == target)
    assert hostile["payee_name"] == "'" + HOSTILE and hostile["bank_name"] == "'+cmd|' /C calc'!A0"
    for r in rows:
        for value in r.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value

    # The workbook's Payments sheet is the same list; every sheet says who prepared, approved, closed.
    export_finance(feb_ws, FEB, "en")
    wb = openpyxl.load_workbook(workbook_path(feb_ws, FEB))
    header, body, totals = table(wb["Payments"], "Partner ID")
    assert header == ["Partner ID", "Partner name", "Payee", "Bank", "Account number", "Amount", "Reference"]
    assert {r[0]: fen(r[5]) for r in body} == paid
    assert totals is not None and fen(totals[5]) == sum(payout.values())
    hostile_row = next(r for r in wb["Payments"].iter_rows() if r[0].value == target)
    assert hostile_row[2].value == HOSTILE and hostile_row[2].data_type == "s" and hostile_row[2].quotePrefix
    assert hostile_row[3].data_type == "s" and hostile_row[3].quotePrefix
    with Ledger(feb_ws.db, readonly=True) as ledger:
        info = ledger.period(FEB)
    assert info is not None
    for ws in wb.worksheets:
        line = ws["A3"].value
        assert line.startswith("2026-02 · closed · Prepared by "), (ws.title, line)
        assert f"Approved by {CHECKER} " in line and f"Closed by {CHECKER} {info.closed_at}" in line
        assert info.run_at in line


def test_a_partner_paid_without_a_payee_is_an_error_at_export(feb_ws: Workspace) -> None:
    payout = _ledger_payout(feb_ws, FEB)
    unpaid = next(pid for pid, v in sorted(payout.items()) if v > 0)
    _payees(feb_ws, FEB, skip=unpaid)
    pipeline.run(feb_ws, FEB)
    approve_and_close(feb_ws, FEB)
    with pytest.raises(InputError) as raised:
        export_payments(feb_ws, FEB, "en")
    assert [str(i) for i in raised.value.issues] == [
        f"payees.csv: partner_id: partner '{unpaid}' ({_name(feb_ws, unpaid)}) is paid "
        f"{_yuan(payout[unpaid])} in 2026-02 but has no row in payees "
        "(expected one row per partner paid: partner_id, payee_name, bank_name, account_no)"
    ]
    assert not payments_path(feb_ws, FEB).exists()


def _name(ws: Workspace, pid: str) -> str:
    return reading.record(ws, FEB, pid).rows("partner_results")[0]["partner_name"]


def _yuan(fen_: int) -> str:
    return f"{fen_ // 100}.{fen_ % 100:02d}"


# --- the Changes sheet -------------------------------------------------------------------------------


def _bump_gross(ws: Workspace, period: Period, pid: str, yuan: int) -> None:
    path = ws.inputs / str(period) / "settlement.csv"
    text = path.read_bytes().decode("utf-8-sig")
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith(pid + ","):
            cells = line.split(",")
            cells[1] = f"{float(cells[1]) + yuan:.2f}"
            lines[i] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_changes_after_an_approval_and_after_a_reopening(feb_ws: Workspace) -> None:
    export_finance(feb_ws, FEB, "en")
    assert "Changes" not in openpyxl.load_workbook(workbook_path(feb_ws, FEB)).sheetnames
    before = _ledger_payout(feb_ws, FEB)
    pid = next(p for p, v in sorted(before.items()) if v > 0)
    pipeline.approve(feb_ws, FEB, user=CHECKER)
    _bump_gross(feb_ws, FEB, pid, 1000)
    pipeline.run(feb_ws, FEB)
    after = _ledger_payout(feb_ws, FEB)
    assert after[pid] > before[pid]

    export_finance(feb_ws, FEB, "en")
    wb = openpyxl.load_workbook(workbook_path(feb_ws, FEB))
    header, body, _ = table(wb["Changes"], "Partner ID")
    assert header[:7] == [
        "Partner ID",
        "Partner name",
        "From run",
        "To run",
        "Payout before",
        "Payout after",
        "Difference",
    ]
    assert [(r[0], r[2], r[3], fen(r[4]), fen(r[5]), fen(r[6])) for r in body] == [
        (pid, 1, 2, before[pid], after[pid], after[pid] - before[pid])
    ]
    assert body[0][7].startswith(f"re-run after the approval by {CHECKER}")
    assert "Not approved" in wb["Summary"]["A3"].value or "not approved" in wb["Summary"]["A3"].value

    approve_and_close(feb_ws, FEB)
    pipeline.reopen(feb_ws, FEB, "settlement file corrected")
    _bump_gross(feb_ws, FEB, pid, -1000)
    pipeline.run(feb_ws, FEB)
    export_finance(feb_ws, FEB, "en")
    _, body, _ = table(openpyxl.load_workbook(workbook_path(feb_ws, FEB))["Changes"], "Partner ID")
    assert [(r[0], r[2], r[3], fen(r[4]), fen(r[5])) for r in body] == [
        (pid, 1, 2, before[pid], after[pid]),
        (pid, 2, 3, after[pid], before[pid]),
    ]
    assert "reopened by" in body[1][7] and "settlement file corrected" in body[1][7]

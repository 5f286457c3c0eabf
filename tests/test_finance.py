"""The settlement workbook: read back with openpyxl, reconciled to the fen, safe, labelled, atomic."""

from __future__ import annotations

import re
import stat
import zipfile
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from report_scenario import FEB, HOSTILE_TEXT, JAN, MAR, PARTNERS, PERIODS, build
from typer.testing import CliRunner

from scorecard.cli import app
from scorecard.i18n import t
from scorecard.ledger import Ledger
from scorecard.periods import Period
from scorecard.report.adjustments import partner_money
from scorecard.report.finance import (
    TABLES,
    TOTAL_FIELDS,
    WHEN_USED,
    FinanceData,
    export_finance,
    finance_book,
    read_finance,
    workbook_path,
)
from scorecard.report.formats import FORMULA_PREFIXES
from scorecard.report.xlsx import MONEY_FORMAT
from scorecard.settle import RefundFact, settle
from scorecard.status import balances
from scorecard.workspace import Workspace

SHEETS = {
    "en": [
        "Summary",
        "Partners",
        "Adjustments",
        "Holds and releases",
        "Refunds",
        "Notices",
        "Disputes",
        "Balances carried",
        "Payments",
        "Versions and inputs",
    ],
    "zh": [
        "汇总",
        "结算明细",
        "调整明细",
        "暂停结算与释放",
        "退费",
        "通知与处分",
        "申诉与调整",
        "结转余额",
        "付款",
        "版本与输入",
    ],
}
KIND_LABELS = {
    "Gross amount": "gross",
    "Refund deduction": "refund",
    "Score-linked deduction": "score",
    "Receivable carried in": "receivable_in",
    "Shortfall carried to next period": "receivable_out",
    "Withheld this period": "hold",
    "Withheld on termination": "terminated",
    "Release of earlier holds": "release",
}


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """The report scenario with every period's workbook exported in English."""
    ws = build(tmp_path_factory.mktemp("finance") / "ws")
    for period in PERIODS:
        export_finance(ws, period, "en")
    return ws


def fen(value: Any) -> int:
    """A money cell back to fen (cells hold fen/100 as a double)."""
    assert isinstance(value, int | float) and not isinstance(value, bool), value
    return round(value * 100)


def table(ws: Any, header_first: str) -> tuple[list[str], list[tuple[Any, ...]], tuple[Any, ...] | None]:
    """The table whose header row starts with ``header_first``: header, data rows, totals row."""
    rows = list(ws.iter_rows(values_only=True))
    start = next(i for i, r in enumerate(rows) if r[0] == header_first)
    header = [c for c in rows[start] if c is not None]
    body = []
    for r in rows[start + 1 :]:
        if all(c is None for c in r):
            break
        body.append(r[: len(header)])
    totals = body.pop() if body and body[-1][0] in ("Total", "Payout", "合计", "实付金额") else None
    return header, body, totals


def ledger_totals(ws: Workspace, period: Period) -> dict[str, int]:
    with Ledger(ws.db) as ledger:
        rows = ledger.results(period)
        return {f: sum(r[f] for r in rows) for f in TOTAL_FIELDS}


@pytest.mark.parametrize("period", PERIODS)
def test_totals_are_sums_of_lines_and_equal_the_ledger(scenario: Workspace, period: Period) -> None:
    wb = openpyxl.load_workbook(workbook_path(scenario, period))
    assert wb.sheetnames == SHEETS["en"]
    ledger = ledger_totals(scenario, period)

    header, lines, total = table(wb["Adjustments"], "Partner ID")
    assert header == ["Partner ID", "Partner name", "Kind", "Basis", "Rule ID", "Amount", "Before the cap"]
    by_kind: dict[str, int] = defaultdict(int)
    by_partner: dict[str, int] = defaultdict(int)
    for pid, _name, kind, _basis, _rule, amount, _uncapped in lines:
        by_kind[KIND_LABELS[kind]] += fen(amount)
        by_partner[pid] += fen(amount)
    assert total is not None and fen(total[5]) == sum(by_kind.values()) == ledger["payout"]
    assert by_kind["fine"] == -ledger["fine_deduction"]
    assert by_kind["gross"] == ledger["gross_amount"]
    assert by_kind["refund"] == -ledger["refund_deduction"]
    assert by_kind["score"] == -ledger["score_deduction"]
    assert by_kind["receivable_in"] == -ledger["receivable_in"]
    assert by_kind["receivable_out"] == ledger["receivable_out"]
    assert by_kind["release"] == ledger["released"]
    with Ledger(scenario.db) as led:
        assert by_partner == {r["partner_id"]: r["payout"] for r in led.results(period)}  # every partner, to the fen

    _, kinds, kinds_total = table(wb["Summary"], "Kind")
    assert {KIND_LABELS[k]: fen(a) for k, _n, _p, a in kinds} == {k: v for k, v in by_kind.items() if v or k == "gross"}
    assert kinds_total is not None and fen(kinds_total[3]) == ledger["payout"]
    _, grand, _ = table(wb["Summary"], "Item")
    grand_fen = {label: fen(v) for label, v in grand}
    assert grand_fen["Gross amount"] == ledger["gross_amount"]
    assert grand_fen["Refund deduction (double/full)"] == ledger["refund_deduction"]
    assert grand_fen["Score-linked deduction"] == ledger["score_deduction"]
    assert grand_fen["Receivable carried in"] == ledger["receivable_in"]
    assert grand_fen["Receivable carried out"] == ledger["receivable_out"]
    assert grand_fen["Held (opening)"] == ledger["held_in"]
    assert grand_fen["Held (closing)"] == ledger["held_out"]
    assert grand_fen["Released"] == ledger["released"]
    assert grand_fen["Payout"] == ledger["payout"]
    assert next(v for k, v in grand_fen.items() if k.startswith("Check")) == 0

    header, partners, ptotal = table(wb["Partners"], "Partner ID")
    assert ptotal is not None
    labels = {t(f, "en"): f for f in TOTAL_FIELDS}
    shown = [(i, labels[h]) for i, h in enumerate(header) if h in labels]
    assert [f for _, f in shown] == [f for f in TOTAL_FIELDS if f not in WHEN_USED or ledger[f]]  # none left out
    for i, field in shown:
        assert sum(fen(r[i]) for r in partners) == fen(ptotal[i]) == ledger[field], field

    _, refunds, rtotal = table(wb["Refunds"], "Partner ID")
    assert sum(fen(r[7]) for r in refunds) == (fen(rtotal[7]) if rtotal else 0) == ledger["refund_deduction"]

    _, _, htotal = table(wb["Holds and releases"], "Partner ID")
    assert htotal is not None
    assert fen(htotal[7]) == ledger["held_out"] and fen(htotal[6]) == ledger["released"]


def test_every_money_line_kind_occurs(scenario: Workspace) -> None:
    """The scenario exercises every kind of line, so the reconciliation above covers them all."""
    kinds = set()
    with Ledger(scenario.db) as ledger:
        for period in PERIODS:
            kinds |= {x["kind"] for pm in read_finance(ledger, period).money.values() for x in pm.lines}
    assert kinds == set(KIND_LABELS.values())


@pytest.mark.parametrize("period", PERIODS)
def test_amounts_are_numbers_with_the_money_format(scenario: Workspace, period: Period) -> None:
    wb = openpyxl.load_workbook(workbook_path(scenario, period))
    money_headers = {
        "Gross amount",
        "Refund deduction (double/full)",
        "Score-linked deduction",
        "Receivable carried in",
        "Receivable carried out",
        "Held (opening)",
        "Held (closing)",
        "Released",
        "Payout",
        "Amount",
        "Amount charged",
        "Withheld this period",
    }
    checked = 0
    for ws in wb.worksheets:
        header_row: dict[int, str] = {}
        for row in ws.iter_rows():
            if str(row[0].fill.fgColor.rgb).endswith("E8EEF5"):  # a table's header row
                header_row = {c.column: c.value for c in row if c.value is not None}
                continue
            if all(c.value is None for c in row):
                header_row = {}
                continue
            for c in row:
                if header_row.get(c.column) in money_headers and c.value is not None:
                    assert c.data_type == "n" and isinstance(c.value, int | float), (
                        ws.title,
                        c.coordinate,
                        c.value,
                    )
                    assert c.number_format == MONEY_FORMAT, (ws.title, c.coordinate)
                    checked += 1
    assert checked > 50


def cells(path: Path) -> list[Any]:
    wb = openpyxl.load_workbook(path)
    return [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]


@pytest.mark.parametrize("period", [JAN, MAR])
def test_no_formula_or_link_comes_from_data(scenario: Workspace, period: Period) -> None:
    path = workbook_path(scenario, period)
    texts = set()
    for c in cells(path):
        assert c.data_type != "f", (c.coordinate, c.value)
        assert c.hyperlink is None, c.coordinate
        if isinstance(c.value, str):
            texts.add(c.value)
            if c.value.startswith(FORMULA_PREFIXES):
                assert c.quotePrefix, (c.coordinate, c.value)  # shown as text, never evaluated
    for name, _, _ in PARTNERS.values():
        assert name in texts  # written as the very text, not mangled
    with zipfile.ZipFile(path) as z:
        xml = "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml") or n.endswith(".rels"))
    assert "<f>" not in xml and "<f " not in xml
    assert "<hyperlink" not in xml and "relationships/hyperlink" not in xml


def test_hostile_texts_are_quote_prefixed(scenario: Workspace) -> None:
    texts = {c.value: c for c in cells(workbook_path(scenario, JAN)) if isinstance(c.value, str)}
    for text in (
        '=HYPERLINK("http://evil.example/x","click")',
        "+1 Charlie 通信",
        "-2 Delta 企业服务",
        "@x Echo",
        '=HYPERLINK("http://x")',
        "+86 138",
    ):
        assert texts[text].quotePrefix, text
    assert not texts["http://x.example/foxtrot"].quotePrefix  # plain text, and no link either
    assert set(HOSTILE_TEXT[:-1]) <= set(texts)


def test_draft_is_marked_on_every_sheet_and_closed_is_not(scenario: Workspace) -> None:
    draft = openpyxl.load_workbook(workbook_path(scenario, MAR))
    for ws in draft.worksheets:
        assert ws["A2"].value == "DRAFT: period not closed, amounts may change", ws.title
        assert "DRAFT" in (ws.oddHeader.center.text or ""), ws.title
        assert "DRAFT" in (ws.oddFooter.left.text or "")  # the workbook's title: "… — draft"
    closed = openpyxl.load_workbook(workbook_path(scenario, FEB))
    for ws in closed.worksheets:
        assert "DRAFT" not in str(ws["A1"].value) and ws["A2"].value is None
        assert not ws.oddHeader.center.text


def test_layout_frozen_filtered_printable(scenario: Workspace) -> None:
    wb = openpyxl.load_workbook(workbook_path(scenario, JAN))
    for name in SHEETS["en"][1:]:
        ws = wb[name]
        assert ws.freeze_panes is not None and ws.auto_filter.ref, name
        assert ws.print_title_rows, name
        assert ws.page_setup.fitToHeight == 0, name
        assert ws.page_setup.fitToWidth in (None, 1), name  # 1 is Excel's default, left out of the file
        assert ws.sheet_properties.pageSetUpPr.fitToPage, name
    widths = {k: v.width for k, v in wb["Adjustments"].column_dimensions.items()}
    assert widths["D"] > widths["E"] > 5  # the basis is wide, the rule id narrower


def test_page_setup_per_sheet(scenario: Workspace) -> None:
    """Each sheet's own title in its page header, the workbook's in the footer; portrait where
    narrow, landscape where wide; the print area is exactly the used cells."""
    wb = openpyxl.load_workbook(workbook_path(scenario, JAN))
    headers = {ws.title: ws.oddHeader.left.text for ws in wb.worksheets}
    assert headers == {
        "Summary": "Settlement 2026-01",
        "Partners": "Partners 2026-01",
        "Adjustments": "Adjustments 2026-01",
        "Holds and releases": "Holds and releases 2026-01",
        "Refunds": "Refunds 2026-01",
        "Notices": "Notices 2026-01",
        "Disputes": "Disputes 2026-01",
        "Balances carried": "Balances carried 2026-01",
        "Payments": "Payments 2026-01",
        "Versions and inputs": "Versions and inputs 2026-01",
    }
    assert {ws.oddFooter.left.text for ws in wb.worksheets} == {"Settlement 2026-01"}
    assert wb["Summary"].page_setup.orientation == "portrait"
    assert wb["Partners"].page_setup.orientation == "landscape"
    for ws in wb.worksheets:
        assert ws.page_setup.paperSize == 9, ws.title  # A4
        last = f"{openpyxl.utils.get_column_letter(ws.max_column)}{ws.max_row}"
        assert ws.print_area == f"'{ws.title}'!$A$1:${last[: -len(str(ws.max_row))]}${ws.max_row}", ws.title


def test_a_sheet_too_wide_for_one_page_goes_across_with_the_key_columns_repeated(tmp_path: Path) -> None:
    from scorecard.report.xlsx import Book, Col

    book = Book("wide")
    sheet = book.sheet("wide", "A wide sheet")
    cols = [Col("Partner ID"), Col("Partner name"), *(Col(f"Amount {i}", "money") for i in range(30))]
    sheet.table(cols, [["P1", "Alpha", *(123_456_789 for _ in range(30))]])
    sheet.finish()
    path = tmp_path / "wide.xlsx"
    book.save(path)
    ws = openpyxl.load_workbook(path)["wide"]
    assert ws.page_setup.orientation == "landscape"
    assert ws.page_setup.fitToWidth == 4  # 30 columns of 14 and the repeated 2 key columns at ≥ 60 %
    assert ws.print_title_cols == "$A:$B"


def test_holds_say_what_lifts_them(scenario: Workspace) -> None:
    wb = openpyxl.load_workbook(workbook_path(scenario, JAN))
    _, holds, _ = table(wb["Holds and releases"], "Partner ID")
    lifts = {r[0]: r[8] for r in holds}
    assert lifts["BRAVO-02"] == "released with the first period in which c-complaint-rate is no longer breached"
    assert lifts["CHARLIE-03"] == "held through 2026-01; released with 2026-02 unless another hold is then active"
    rules = {r[0]: r[3] for r in holds}
    assert rules["CHARLIE-03"] == "c-on-time"
    wb = openpyxl.load_workbook(workbook_path(scenario, MAR))
    _, holds, _ = table(wb["Holds and releases"], "Partner ID")
    assert {r[0]: r[8] for r in holds}["ECHO-05"] == "cooperation terminated: held amounts await final settlement"


def test_refunds_show_customer_and_multiplier(scenario: Workspace) -> None:
    wb = openpyxl.load_workbook(workbook_path(scenario, JAN))
    _, refunds, _ = table(wb["Refunds"], "Partner ID")
    got = {r[2]: (r[3], r[4], fen(r[5]), r[6], fen(r[7])) for r in refunds}
    assert got["RF-B-1"] == ('=HYPERLINK("http://x")', "double", 100_00, 2, 200_00)
    assert got["RF-B-2"] == (None, "full", 50_50, 1, 50_50)


def test_notices_and_versions(scenario: Workspace) -> None:
    wb = openpyxl.load_workbook(workbook_path(scenario, JAN))
    _, notices, _ = table(wb["Notices"], "Partner ID")
    kinds = {(r[0], r[4]) for r in notices}
    assert ("FOXTROT-06", "review") in kinds and ("BRAVO-02", "rectification notice") in kinds
    assert all(r[4] not in ("hold until compliant", "terminate") for r in notices)  # money effects are elsewhere
    audit = {r[0]: r[1] for r in wb["Versions and inputs"].iter_rows(values_only=True) if r[0]}
    assert audit["Rule version"] == "2026.1" and audit["Inputs hash"] == "inputs-2026-01"
    assert re.fullmatch(r"[0-9a-f]{64}", audit["Configuration hash"])
    _, inputs, _ = table(wb["Versions and inputs"], "Table")
    assert inputs == [("partners", "partners.csv", "ab" * 32, 7)]


@pytest.mark.parametrize("period", PERIODS)
def test_the_workbook_needs_only_its_tables(scenario: Workspace, period: Period) -> None:
    """Read with only the tables it names, the month gives the very workbook the whole record gives."""
    with Ledger(scenario.db) as ledger:
        data = read_finance(ledger, period)
        whole = ledger.record(period)
        full = FinanceData(whole, partner_money(whole), balances(ledger, period), data.signoff, data.changes)
    assert set(data.record.tables) == set(TABLES)
    assert "tickets" in whole.tables and "tickets" not in data.record.tables
    assert all(data.record[name].equals(whole[name]) for name in TABLES)
    made = finance_book(data, "en").to_bytes()
    assert made == finance_book(full, "en").to_bytes()
    assert len(made) > 5000


def test_chinese_labels(scenario: Workspace, tmp_path: Path) -> None:
    with Ledger(scenario.db) as ledger:
        book = finance_book(read_finance(ledger, MAR), "zh")
    path = tmp_path / "zh.xlsx"
    book.save(path)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == SHEETS["zh"]
    assert wb["汇总"]["A1"].value == "结算汇总 2026-03 — 草稿"
    assert wb["调整明细"]["A2"].value == "草稿：本期未关账，金额可能变动"
    assert "草稿" in wb["退费"].oddHeader.center.text


def test_written_atomically_over_an_old_file(scenario: Workspace) -> None:
    path = workbook_path(scenario, FEB)
    path.write_bytes(b"old")
    export_finance(scenario, FEB, "en")
    assert zipfile.is_zipfile(path)
    assert [
        p.name for p in path.parent.iterdir() if p.name.startswith(".") and p.name != ".record.json"
    ] == []  # no temporary file left


def test_workbook_is_as_readable_as_any_new_file(scenario: Workspace, tmp_path: Path) -> None:
    """Finance opens it under another account: the umask's mode, not a temporary file's 0600."""
    probe = tmp_path / "probe"
    probe.write_bytes(b"")
    expected = stat.S_IMODE(probe.stat().st_mode)
    assert stat.S_IMODE(workbook_path(scenario, JAN).stat().st_mode) == expected


def test_cli(scenario: Workspace) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["-w", str(scenario.root), "--lang", "en", "export", "finance", "2026-02"])
    assert result.exit_code == 0, result.output
    assert "settlement workbook written to" in result.output and "settlement-2026-02.xlsx" in result.output
    result = runner.invoke(app, ["--lang", "en", "-w", str(scenario.root), "export", "finance", "2026-09"])
    assert result.exit_code == 1 and "has not been run" in result.output
    result = runner.invoke(app, ["--lang", "en", "-w", str(scenario.root), "export", "finance", "2026-13"])
    assert result.exit_code == 2


def test_demo_workbook_matches_its_ledger(demo_ws: Workspace) -> None:
    """The real pipeline's ledger, every month: lines, summary and ledger agree to the fen."""
    for period in (Period(2026, 3), Period(2026, 6)):
        outcome = export_finance(demo_ws, period, "zh")
        wb = openpyxl.load_workbook(outcome.path)
        _, lines, total = table(wb["调整明细"], "合作伙伴编号")
        assert total is not None
        assert sum(fen(r[5]) for r in lines) == fen(total[5]) == ledger_totals(demo_ws, period)["payout"]
        assert outcome.totals == ledger_totals(demo_ws, period)


@settings(max_examples=1500, deadline=None)
@given(
    gross=st.integers(0, 10**11),
    refunds=st.lists(st.tuples(st.integers(1, 10**8), st.sampled_from(["double", "full"])), max_size=4),
    share=st.sampled_from(["0", "0.02", "0.05", "0.10", "0.20"]),
    receivable_in=st.integers(0, 10**9),
    held_in=st.integers(0, 10**10),
    state=st.sampled_from(["active", "on_hold", "terminated"]),
)
def test_money_lines_always_add_up_to_the_payout(
    gross: int, refunds: list[tuple[int, str]], share: str, receivable_in: int, held_in: int, state: str
) -> None:
    """Any settlement the engine can make: its lines sum to the payout, to the fen, with the right signs."""
    facts = [RefundFact(f"R{i}", kind, a) for i, (a, kind) in enumerate(refunds)]
    s, lines = settle(
        gross,
        facts,
        Decimal(share),
        receivable_in,
        held_in,
        terminated=state == "terminated",
        on_hold=state == "on_hold",
    )
    assert sum(x.amount for x in lines) == s.payout
    assert -sum(x.amount for x in lines if x.kind == "refund") == s.refund_deduction == sum(f.deduction for f in facts)
    negative = ("refund", "score", "receivable_in", "hold", "terminated")
    assert all(x.amount < 0 for x in lines if x.kind in negative)
    assert all(x.amount > 0 for x in lines if x.kind in ("receivable_out", "release"))

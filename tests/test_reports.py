"""Reports from the stored records (docs/reports.md): the half-year bulletin reconciles with
the months' records; the service report counts from the record's tickets, reopen_count included."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from conftest import new_workspace
from typer.testing import CliRunner

from scorecard import pipeline
from scorecard.cli import app
from scorecard.issues import InputError
from scorecard.ledger import Ledger, reading
from scorecard.periods import Period
from scorecard.record import exact
from scorecard.report.halfyear import gather, parse_half, write_half_year
from scorecard.report.service import service_figures, write_service
from scorecard.workspace import Workspace

H1 = [Period(2026, m) for m in range(1, 7)]


def test_half_year_totals_reconcile_with_the_months_records(demo_ws: Workspace) -> None:
    h = gather(demo_ws, "2026H1")
    assert h.months == H1 and h.missing == []
    grand = h.total()
    with Ledger(demo_ws.db, readonly=True) as ledger:
        records = [ledger.record(m) for m in H1]
    for m, rec in zip(H1, records, strict=True):
        f, counts, totals = h.month_total(m), rec.counts(), rec.totals()
        assert f.partner_months == counts["partners_assessed"]
        assert f.valid == counts["valid_complaints"] == sum(f.by_category.values())
        assert f.on_hold == counts["on_hold"] and f.terminated == counts["terminated"]
        assert f.breaches == counts["breaches"]
        assert f.refunds == totals["refund_deduction"] and f.fines == totals["fine_deduction"]
        assert f.sanctions == rec["actions"].filter(rec["actions"]["kind"] == "sanction").height
        for r in rec.rows("partner_results"):  # the p90 of each partner-month is the month's own metric
            assert h.cells[(m, r["partner_id"])].p90_hours == exact(
                r["p90_resolution_hours_num"], r["p90_resolution_hours_den"]
            )
    assert grand.valid == sum(rec.counts()["valid_complaints"] for rec in records) == 2919
    assert grand.fines == sum(rec.totals()["fine_deduction"] for rec in records) == 500_00 + 719_87
    assert grand.terminated == 2  # SI-0003 (March), SI-0004 (April)
    by_partner = sum(h.partner_total(pid).valid for pid in h.partners)
    assert by_partner == grand.valid


def test_half_year_files_workbook_totals_and_a_self_contained_page(demo_ws: Workspace) -> None:
    h, xlsx, html = write_half_year(demo_ws, "2026h1", "en")
    assert xlsx == demo_ws.out / "2026H1" / "half-year-2026H1.xlsx"
    wb = openpyxl.load_workbook(xlsx)
    assert wb.sheetnames == ["By month", "By partner", "Partner months"]
    rows = [r for r in wb["By month"].iter_rows(values_only=True) if r and r[0] in ("Total", *map(str, H1))]
    header = next(r for r in wb["By month"].iter_rows(values_only=True) if r and r[0] == "Period")
    valid = header.index("Valid complaints")
    assert [r[valid] for r in rows[:-1]] == [h.month_total(m).valid for m in H1]
    assert rows[-1][valid] == sum(r[valid] for r in rows[:-1]) == 2919
    page = html.read_text("utf-8")
    assert page.count("<svg") == 2 and "Half-year complaint bulletin 2026H1" in page
    assert "src=" not in page and "<link" not in page and "<script" not in page  # nothing fetched


def test_half_year_reads_closed_months_only(demo_ws: Workspace) -> None:
    assert [m for m, _ in gather(demo_ws, "2026H2").missing] == [Period(2026, m) for m in range(8, 13)]
    pipeline.reopen(demo_ws, Period(2026, 7), "check July")  # back to a draft
    with pytest.raises(InputError) as e:
        gather(demo_ws, "2026H2")
    assert any("no closed month in 2026H2" in str(i) for i in e.value.issues)
    res = CliRunner().invoke(app, ["-w", str(demo_ws.root), "report", "half-year", "2026H2"])
    assert res.exit_code == 1 and "Traceback" not in res.output


def test_half_year_argument_is_checked() -> None:
    assert parse_half("2026H2")[1][0] == Period(2026, 7)
    for bad in ("2026H3", "2026-06", "H1"):
        with pytest.raises(InputError) as e:
            parse_half(bad)
        assert any("not a half-year" in str(i) for i in e.value.issues)


def test_service_report_counts_from_the_record(demo_ws: Workspace) -> None:
    rec = reading.record(demo_ws, Period(2026, 6))
    figures = {p.partner_id: p for p in service_figures(rec)}
    for r in rec.rows("partner_results"):
        p = figures[r["partner_id"]]
        assert p.requests == r["valid_complaints"] == sum(p.by_category.values())
        assert p.resolved == r["resolved_tickets"]
        assert len(p.unfinished) == p.requests - p.resolved
        assert p.first_time == p.resolved and p.reopened == 0  # the demo's complaints have no reopen_count
    path, only = write_service(demo_ws, Period(2026, 6), "en", "SI-0013")
    assert [p.partner_id for p in only] == ["SI-0013"] and path.name.startswith("service-2026-06-SI-0013")
    wb = openpyxl.load_workbook(path)
    listed = {r[0] for r in wb["Complaint list"].iter_rows(values_only=True) if r and r[0] and r[0].startswith("SI-")}
    assert listed == {"SI-0013"}  # one partner's report holds no other partner's tickets


def test_reopen_count_feeds_the_first_time_completion_rate(tmp_path: Path) -> None:
    ws = new_workspace(tmp_path / "ws", ["2026-01"])
    path = ws.inputs / "2026-01" / "complaints.csv"
    lines = path.read_text("utf-8").splitlines()
    sent_back = {}
    out = [lines[0] + ",reopen_count"]
    for i, line in enumerate(lines[1:]):
        pid = line.split(",")[1]
        n = 2 if pid == "SI-0001" and line.split(",")[3] and i % 2 == 0 else 0
        if n:
            sent_back[line.split(",")[0]] = n
        out.append(f"{line},{n if n else ''}")  # an empty cell is 0
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    pipeline.run(ws, Period(2026, 1))
    rec = reading.record(ws, Period(2026, 1), "SI-0001")
    p = service_figures(rec)[0]
    assert sent_back and p.reopened == len(sent_back)
    assert p.first_time == p.resolved - len(sent_back)
    stored = dict(rec["tickets"].select("ticket_id", "reopen_count").iter_rows())
    assert all(stored[k] == v for k, v in sent_back.items())


def test_reopen_count_must_be_a_whole_number_not_below_zero(tmp_path: Path) -> None:
    ws = new_workspace(tmp_path / "ws", ["2026-01"])
    path = ws.inputs / "2026-01" / "complaints.csv"
    lines = path.read_text("utf-8").splitlines()
    path.write_text(
        "\n".join([lines[0] + ",reopen_count", lines[1] + ",-1", *(x + ",0" for x in lines[2:])]) + "\n", "utf-8"
    )
    with pytest.raises(InputError) as e:
        pipeline.validate(ws, Period(2026, 1))
    assert any("complaints.csv:2" in str(i) and "reopen_count" in str(i) for i in e.value.issues)


def test_demo_july_has_tickets_sent_back(demo_ws: Workspace) -> None:
    rec = reading.record(demo_ws, Period(2026, 7), "SI-0001")
    (p,) = service_figures(rec)
    # TS20260700001 (sent back twice) was withdrawn by dispute D-2607-004: TS20260700006 is the one left
    assert p.reopened == 1 and p.first_time == p.resolved - 1
    assert p.first_time_rate is not None and p.first_time_rate < 1

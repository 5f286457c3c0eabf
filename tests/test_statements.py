"""Partner statements: isolation, reconciliation, safety, languages, parallel rendering, the browser."""

from __future__ import annotations

import html
import io
import os
import random
import re
import shutil
import subprocess
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import polars as pl
import pytest
from report_scenario import FEB, JAN, MAR, PARTNERS, PERIODS, build
from typer.testing import CliRunner

from scorecard.cli import app
from scorecard.ledger import Ledger, reading
from scorecard.periods import Period
from scorecard.report import statement_xlsx
from scorecard.report.formats import FORMULA_PREFIXES
from scorecard.report.statement_data import gather, ticket_frame, trend
from scorecard.report.statement_view import build_view, prepare_tickets, show
from scorecard.report.statement_xlsx import statement_book
from scorecard.report.statements import Written, safe_stem, statements, write_statements
from scorecard.report.xlsx import MONEY_FORMAT
from scorecard.workspace import Workspace

SCREENSHOT = os.environ.get("SCORECARD_SCREENSHOT")  # e.g. docs/statement.png, to refresh the README picture


def render(ws: Workspace, period: Period, lang: str, folder: Path, workers: int = 1) -> dict[str, Written]:
    """The scenario's statements, from its ledger's records."""
    with Ledger(ws.db) as ledger:
        record = ledger.record(period)
        ctx, packs = gather(record, trend(ledger, period), lang=lang)
    tickets = ticket_frame(record["tickets"], packs)
    return {w.partner_id: w for w in write_statements(folder, ctx, packs, tickets, workers=workers)}


@pytest.fixture(scope="module")
def scenario(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Workspace, dict[tuple[Period, str], dict[str, Written]]]:
    ws = build(tmp_path_factory.mktemp("statements") / "ws")
    out = {}
    for period in PERIODS:
        for lang in ("en", "zh"):
            out[period, lang] = render(ws, period, lang, ws.out_for(period) / f"statements-{lang}")
    return ws, out


def folder(ws: Workspace, period: Period, lang: str = "en") -> Path:
    return ws.out_for(period) / f"statements-{lang}"


def page(ws: Workspace, period: Period, pid: str, lang: str = "en") -> str:
    return (folder(ws, period, lang) / f"{safe_stem(pid)}.html").read_text(encoding="utf-8")


def book(ws: Workspace, period: Period, pid: str, lang: str = "en") -> openpyxl.Workbook:
    return openpyxl.load_workbook(folder(ws, period, lang) / f"{safe_stem(pid)}.xlsx")


def all_cells(wb: openpyxl.Workbook) -> list[Any]:
    return [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]


def visible_text(page_html: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page_html))


# --- file names -------------------------------------------------------------------------------

HOSTILE_IDS = [
    "../x",
    "a/b",
    "a\\b",
    "a b",
    "中文伙伴",
    "CON",
    "nul",
    "LPT1",
    "com1.txt",
    ".",
    "..",
    ".hidden",
    "-rf",
    "x" * 500,
    "",
    "   ",
    'a:b*c?d"e<f>g|h',
    "Ａ１",
    "trailing.",
    "SI-0001",
    "SI_0001",
    "si-0001",
]


def test_file_names_are_safe_whatever_the_id(tmp_path: Path) -> None:
    stems = [safe_stem(pid) for pid in HOSTILE_IDS]
    assert len(set(stems)) == len(stems)  # ids that slug alike stay apart
    for pid, stem in zip(HOSTILE_IDS, stems, strict=True):
        assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}-[0-9a-f]{10}", stem), (pid, stem)
        assert stem.split("-")[0].upper() not in {"CON", "PRN", "AUX", "NUL", "COM1", "LPT1"} or "-" in stem
        path = tmp_path / f"{stem}.html"
        path.write_text("x")
        assert path.resolve().parent == tmp_path.resolve()
    assert safe_stem("SI-0001") == safe_stem("SI-0001")  # stable: a partner finds its file again
    assert safe_stem("SI-0001").startswith("SI-0001-")


# --- isolation --------------------------------------------------------------------------------


def test_no_statement_holds_another_partners_data(scenario: Any) -> None:
    ws, _ = scenario
    with Ledger(ws.db) as ledger:
        for period in PERIODS:
            results = {r["partner_id"]: dict(r) for r in ledger.results(period)}
            refunds: dict[str, list[str]] = {}
            for x in ledger.record(period).rows("refunds"):
                refunds.setdefault(x["partner_id"], []).append(x["refund_id"])
            for lang in ("en", "zh"):
                for pid, own in results.items():
                    own_amounts = {own[f] for f in ("gross_amount", "payout", "held_out", "held_in", "released")}
                    page_text = page(ws, period, pid, lang)
                    cells = all_cells(book(ws, period, pid, lang))
                    strings = [c.value for c in cells if isinstance(c.value, str)]
                    numbers = {round(c.value * 100) for c in cells if isinstance(c.value, int | float)}
                    for other, r in results.items():
                        if other == pid:
                            continue
                        for secret in (
                            other,
                            r["partner_name"],
                            html.escape(r["partner_name"]),
                            *refunds.get(other, []),
                        ):
                            if secret:
                                assert secret not in page_text, (period, pid, secret)
                                assert not any(secret in s for s in strings), (period, pid, secret)
                        for amount in (r["gross_amount"], r["payout"], r["held_out"]):
                            if amount and amount not in own_amounts:
                                assert show(amount, "money") not in page_text, (period, pid, amount)
                                assert amount not in numbers, (period, pid, amount)


def test_demo_statements_are_isolated(demo_ws: Workspace) -> None:
    """All statements of a real period (41 partners): ids and ticket ids found are the partner's own."""
    period = Period(2026, 6)
    outcome = statements(demo_ws, period, "zh")
    assert len(outcome.written) == 41
    tickets = reading.record(demo_ws, period)["tickets"].select("partner_id", "ticket_id")
    own_tickets = {pid: set(g["ticket_id"]) for (pid,), g in tickets.group_by("partner_id")}
    with Ledger(demo_ws.db) as ledger:
        results = {r["partner_id"]: dict(r) for r in ledger.results(period)}
    for w in outcome.written:
        page_text = (outcome.folder / w.html).read_text(encoding="utf-8")
        strings = " ".join(
            str(c.value) for c in all_cells(openpyxl.load_workbook(outcome.folder / w.xlsx)) if isinstance(c.value, str)
        )
        for text in (page_text, strings):
            assert set(re.findall(r"SI-\d{4}", text)) == {w.partner_id}
            assert set(re.findall(r"TS\d{11}", text)) <= own_tickets.get(w.partner_id, set())
            for other, r in results.items():
                if other != w.partner_id:
                    assert r["partner_name"] not in text
        assert show(results[w.partner_id]["payout"], "money") in page_text
    files = {n for w in outcome.written for n in (w.html, w.xlsx)}
    assert {p.name for p in outcome.folder.iterdir()} == files  # only the partners' own files
    index = (outcome.folder.parent / "statements-index.csv").read_text(encoding="utf-8-sig").splitlines()
    assert index[0] == "partner_id,partner_name,html,xlsx" and len(index) == 42


# --- what a statement says ----------------------------------------------------------------------


def test_money_lines_add_up_to_the_ledger_payout(scenario: Any) -> None:
    ws, _ = scenario
    with Ledger(ws.db) as ledger:
        for period in PERIODS:
            for r in ledger.results(period):
                sheet = book(ws, period, r["partner_id"])["Statement"]
                rows = list(sheet.iter_rows(values_only=True))
                start = next(i for i, row in enumerate(rows) if row[0] == "Item") + 1
                end = next(i for i in range(start, len(rows)) if rows[i][0] == "Payout")
                lines = [round(row[2] * 100) for row in rows[start:end]]
                assert lines[0] == r["gross_amount"]
                assert sum(lines) == round(rows[end][2] * 100) == r["payout"], (period, r["partner_id"])
                cells = [c for row in sheet.iter_rows(min_row=start + 1, max_row=end + 1) for c in row[2:3]]
                assert all(c.number_format == MONEY_FORMAT and c.data_type == "n" for c in cells)
                shown = re.search(r'id="payout">([^<]+)<', page(ws, period, r["partner_id"]))
                assert shown is not None and shown.group(1) == show(r["payout"], "money")


def test_metrics_against_thresholds_and_what_to_fix(scenario: Any) -> None:
    ws, _ = scenario
    text = visible_text(page(ws, JAN, "CHARLIE-03"))
    assert re.search(
        r"c-on-time\s+Complaints completed within 24 h below 75%\s+On-time completion rate\s+"
        r"50.00 %\s+< 75.00 %\s+yes\s+1\s+rectification notice, hold for months\s+≥ 75.00 %",
        text,
    )
    assert re.search(r"c-complaint-rate\s+.*?\s+2.0000\s+≥ 5.0000\s+no\s+0", text)
    assert "Weighted points" in text and "Deduction bands" in text
    sheet = book(ws, JAN, "CHARLIE-03")["Metrics and rules"]
    rows = [r for r in sheet.iter_rows(values_only=True) if r[0] == "c-on-time"]
    assert rows and rows[0][3] == "50.00 %" and rows[0][4] == "< 75.00 %" and rows[0][5] == "yes"


def test_holds_say_what_lifts_them(scenario: Any) -> None:
    ws, _ = scenario
    assert "released with the first period in which c-complaint-rate is no longer breached" in page(ws, JAN, "BRAVO-02")
    assert "held through 2026-01; released with 2026-02 unless another hold is then active" in page(
        ws, JAN, "CHARLIE-03"
    )
    assert "cooperation terminated: held amounts await final settlement" in page(ws, MAR, "ECHO-05")
    feb = visible_text(page(ws, FEB, "BRAVO-02"))
    assert re.search(
        r"Release of earlier holds\s+No hold active: amounts held in earlier periods are released"
        r"\s+\+22,033.38",
        feb,
    )


def test_refunds_conduct_and_notices(scenario: Any) -> None:
    ws, _ = scenario
    text = visible_text(page(ws, JAN, "BRAVO-02"))
    assert re.search(r'RF-B-1\s+=HYPERLINK\("http://x"\)\s+double\s+100.00\s+2\s+200.00', text)
    assert re.search(r"Refund deduction\s+Refunds: 2 \(see the refund list\)\s+−250.50", text)
    assert re.search(r"rectification notice\s+c-complaint-rate\s+Rectify within the deadline\s+1\s+2026-03-03", text)
    delta = visible_text(page(ws, JAN, "DELTA-04"))
    assert re.search(r"2026-01-03\s+poor attitude\s+5.00\s+=cmd\|' /C calc'!A0", delta)
    assert re.search(r"Shortfall carried to next period\s+.*\s+\+1,432.76", delta)
    sheet = book(ws, JAN, "DELTA-04")["Statement"]  # conduct events are listed under the money
    note = next(c for row in sheet.iter_rows() for c in row if c.value == "=cmd|' /C calc'!A0")
    assert note.quotePrefix and note.data_type == "s"


def test_tickets_late_and_pending_marked_large_partner_page_lists_late_only(scenario: Any) -> None:
    ws, _ = scenario
    golf = page(ws, FEB, "../evil/GOLF-07")
    listed = re.findall(r"TK-\.\./evil/GOLF-07-02-\d{3}", golf)
    assert len(listed) == 5 and 'class="late"' in golf  # 60 tickets, 5 late: the page lists the late ones
    assert "Only late and pending tickets are listed here" in golf
    assert "60 valid complaints: 55 on time, 5 late, 0 pending" in visible_text(golf)
    sheet = book(ws, FEB, "../evil/GOLF-07")["Tickets"]
    ids = [r[0] for r in sheet.iter_rows(values_only=True) if isinstance(r[0], str) and r[0].startswith("TK-")]
    assert len(ids) == 60  # the workbook holds them all
    rows = {r[0]: r for r in sheet.iter_rows(values_only=True) if r[0] in ids}
    assert sum(1 for r in rows.values() if r[5] == "late") == 5
    first = next(c for row in sheet.iter_rows() for c in row if c.value == ids[0])
    received = sheet.cell(first.row, 2)
    assert received.is_date and received.number_format == "yyyy-mm-dd hh:mm"
    small = page(ws, JAN, "CHARLIE-03")
    assert len(re.findall(r"TK-CHARLIE-03-01-\d{3}", small)) == 4  # a small partner sees every ticket


def _same_as_cell_by_cell(view: Any, monkeypatch: pytest.MonkeyPatch, what: object) -> None:
    """The statement's workbook, every part, the same bytes as with its ticket rows cell by cell."""
    fast = zipfile.ZipFile(io.BytesIO(statement_book(view).to_bytes()))
    monkeypatch.setattr(statement_xlsx, "MAX_FAST_TEXT", -1)  # every sheet cell by cell
    slow = zipfile.ZipFile(io.BytesIO(statement_book(view).to_bytes()))
    monkeypatch.undo()
    assert fast.namelist() == slow.namelist()
    for name in slow.namelist():
        assert fast.read(name) == slow.read(name), (what, name)


def test_ticket_rows_written_as_xml_are_the_cells_xlsxwriter_writes(
    scenario: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every part of every workbook the same bytes as when each ticket cell goes through xlsxwriter
    (a closed month and a draft one, ids that look like formulas, pending tickets with cells left empty)."""
    ws, _ = scenario
    compared, drafts = 0, set()
    for period in (FEB, MAR):
        with Ledger(ws.db) as ledger:
            record = ledger.record(period)
            ctx, packs = gather(record, trend(ledger, period), lang="en")
        drafts.add(ctx.draft)
        frame = ticket_frame(record["tickets"], packs)
        # each partner's first id written with a quote prefix, as an id starting like a formula is
        formula = pl.when(pl.col("partner_id").is_first_distinct()).then(pl.lit("=HYPERLINK(1)"))
        rows = prepare_tickets(frame.with_columns(ticket_id=formula.otherwise("ticket_id")), ctx.lang)
        for pack in packs:
            start, n = pack.tickets
            tickets = rows.slice(start, n)
            _same_as_cell_by_cell(build_view(ctx, pack, tickets), monkeypatch, (period, pack.partner_id))
            compared += bool(n)
    assert compared >= 5 and drafts == {False, True}


def _random_tickets(rng: random.Random, n: int) -> pl.DataFrame:
    """``n`` tickets of one partner with every kind of cell the sheet meets: ids plain, empty,
    formula-like, with XML specials or control characters; categories with and without a word;
    pending tickets with no resolution; every pair of flags."""
    ids = ["TK-1", "", "=SUM(A1)", "+1", "-x", "@me", "\tTK", "a&b<c>", "id\x01ctl", "  pad ", "中文编号", "_x0041_"]
    start = datetime(2026, 3, 1)  # noqa: DTZ001 - ticket times are local wall-clock times
    rows = []
    for _ in range(n):
        received = start + timedelta(seconds=rng.randrange(31 * 86_400))
        state = rng.choice(["on_time", "late", "pending"])
        resolved = None if state == "pending" else received + timedelta(seconds=rng.randrange(1, 9 * 86_400))
        hours = None if resolved is None else (resolved - received).total_seconds() / 3600
        rows.append(
            {
                "ticket_id": rng.choice(ids) + str(rng.randrange(1000)) * rng.randint(0, 1),
                "partner_id": "P",
                "received_at": received,
                "resolved_at": resolved,
                "deadline": received + timedelta(hours=rng.choice([4, 24, 72])),
                "category": rng.choice(["urgent", "normal", "difficult", "其他", "", "=odd"]),
                "state": state,
                "is_repeat": rng.random() < 0.3,
                "is_major": rng.random() < 0.2,
                "resolution_hours": hours,
            }
        )
    schema = {
        "ticket_id": pl.String,
        "partner_id": pl.String,
        "received_at": pl.Datetime("us"),
        "resolved_at": pl.Datetime("us"),
        "deadline": pl.Datetime("us"),
        "category": pl.String,
        "state": pl.String,
        "is_repeat": pl.Boolean,
        "is_major": pl.Boolean,
        "resolution_hours": pl.Float64,
    }
    return pl.DataFrame(rows, schema=schema)


def test_ticket_rows_as_xml_equal_cell_by_cell_on_random_tickets(
    scenario: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rows made as XML against xlsxwriter cell by cell, every part of the workbook, on 120
    random partners' tickets (0 to 70 rows: blocks of 16 shared with the header and not), in both
    languages and a draft and a closed month."""
    ws, _ = scenario
    rng = random.Random(20261201)
    contexts = []
    for period in (FEB, MAR):
        with Ledger(ws.db) as ledger:
            record = ledger.record(period)
            for lang in ("en", "zh"):
                ctx, packs = gather(record, trend(ledger, period), lang=lang)
                contexts.append((ctx, packs[0]))
    compared = 0
    for case in range(120):
        ctx, pack = contexts[case % len(contexts)]
        frame = _random_tickets(rng, rng.choice([0, 1, 2, 11, 12, 13, 27, 28, 29, 45, 70]))
        _same_as_cell_by_cell(build_view(ctx, pack, prepare_tickets(frame, ctx.lang)), monkeypatch, case)
        compared += frame.height > 0
    assert compared > 100


def test_trend_chart_inline_svg_and_native_excel_chart(scenario: Any) -> None:
    ws, _ = scenario
    text = page(ws, MAR, "ECHO-05")
    assert text.count("<svg") == 2 and "stroke-dasharray" in text  # values against a dashed threshold
    assert text.count('fill="#b42318"') == 3  # three breaching months marked
    path = folder(ws, MAR) / f"{safe_stem('ECHO-05')}.xlsx"
    with zipfile.ZipFile(path) as z:
        assert {"xl/charts/chart1.xml", "xl/charts/chart2.xml"} <= set(z.namelist())
    trend = book(ws, MAR, "ECHO-05")["Trend"]
    rows = [r for r in trend.iter_rows(values_only=True) if r[0] in ("2026-01", "2026-02", "2026-03")]
    assert [(r[0], r[1], r[2]) for r in rows] == [("2026-01", 5.5, 5), ("2026-02", 6, 5), ("2026-03", 6.5, 5)]


def test_pages_are_self_contained_and_escape_markup(scenario: Any) -> None:
    ws, outs = scenario
    for (period, lang), written in outs.items():
        for w in written.values():
            text = (folder(ws, period, lang) / w.html).read_text(encoding="utf-8")
            assert "<script" not in text.lower()
            assert not re.search(r"""\s(src|href)=|url\(|@import""", text)  # nothing to fetch
            assert "default-src 'none'" in text
    golf = page(ws, JAN, "../evil/GOLF-07")
    assert "&lt;script&gt;alert(&#39;golf&#39;)&lt;/script&gt; &amp; Co" in golf
    assert "&lt;b&gt;bold&lt;/b&gt;" in golf


def test_workbooks_hold_no_formula_or_link(scenario: Any) -> None:
    ws, outs = scenario
    for period in PERIODS:
        for w in outs[period, "en"].values():
            path = folder(ws, period) / w.xlsx
            for c in all_cells(openpyxl.load_workbook(path)):
                assert c.data_type != "f" and c.hyperlink is None, (w.partner_id, c.coordinate)
                if isinstance(c.value, str) and c.value.startswith(FORMULA_PREFIXES):
                    assert c.quotePrefix, (w.partner_id, c.coordinate, c.value)
            with zipfile.ZipFile(path) as z:
                sheets = "".join(z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/"))
            assert "<f>" not in sheets and "<hyperlink" not in sheets
    names = {str(c.value) for c in all_cells(book(ws, JAN, "BRAVO-02"))}
    assert PARTNERS["BRAVO-02"][0] in " ".join(names)


def test_draft_marked_closed_not(scenario: Any) -> None:
    ws, _ = scenario
    assert "DRAFT: period not closed, amounts may change" in page(ws, MAR, "ALPHA-01")
    assert "草稿：本期未关账，金额可能变动" in page(ws, MAR, "ALPHA-01", "zh")
    assert "DRAFT" not in page(ws, FEB, "ALPHA-01")
    for sheet in book(ws, MAR, "ALPHA-01").worksheets:
        assert sheet["A2"].value == "DRAFT: period not closed, amounts may change", sheet.title
        assert "DRAFT" in sheet.oddHeader.center.text
    assert all("DRAFT" not in str(s["A2"].value) for s in book(ws, FEB, "ALPHA-01").worksheets)


def test_languages(scenario: Any) -> None:
    ws, _ = scenario
    zh, en = page(ws, JAN, "BRAVO-02", "zh"), page(ws, JAN, "BRAVO-02", "en")
    assert "实付金额" in zh and "从应结算金额到实付金额" in zh and "每万计费用户有效投诉量达到5件" in zh
    assert "Payout" in en and "From gross amount to payout" in en and "at or above 5" in en
    assert "Payout" not in zh and "实付金额" not in en
    assert book(ws, JAN, "BRAVO-02", "zh").sheetnames == ["对账单", "指标与规则", "工单", "趋势"]
    assert book(ws, JAN, "BRAVO-02").sheetnames == ["Statement", "Metrics and rules", "Tickets", "Trend"]


def test_parallel_rendering_writes_the_same_statements(scenario: Any, tmp_path: Path) -> None:
    ws, outs = scenario
    parallel = render(ws, FEB, "en", tmp_path / "parallel", workers=2)
    assert parallel == outs[FEB, "en"]
    for w in parallel.values():
        assert (tmp_path / "parallel" / w.html).read_bytes() == (folder(ws, FEB) / w.html).read_bytes()
        a = [(c.coordinate, c.value) for c in all_cells(openpyxl.load_workbook(tmp_path / "parallel" / w.xlsx))]
        b = [(c.coordinate, c.value) for c in all_cells(openpyxl.load_workbook(folder(ws, FEB) / w.xlsx))]
        assert a == b


def test_cli_all_and_one_partner(demo_ws: Workspace) -> None:
    runner = CliRunner()
    root = str(demo_ws.root)
    result = runner.invoke(app, ["-w", root, "--lang", "en", "statements", "2026-05"])
    assert result.exit_code == 0, result.output
    assert "40 statements written to" in result.output
    target = demo_ws.out_for(Period(2026, 5)) / "statements"
    before = {p.name: p.stat().st_mtime_ns for p in target.iterdir()}
    result = runner.invoke(app, ["--lang", "en", "-w", root, "statements", "2026-05", "--partner", "SI-0021"])
    assert result.exit_code == 0, result.output
    after = {p.name: p.stat().st_mtime_ns for p in target.iterdir()}
    changed = {n for n in after if after[n] != before.get(n)}
    assert changed == {f"{safe_stem('SI-0021')}.html", f"{safe_stem('SI-0021')}.xlsx"}
    result = runner.invoke(app, ["--lang", "en", "-w", root, "statements", "2026-05", "--partner", "SI-9999"])
    assert result.exit_code == 1 and "SI-9999 was not assessed in 2026-05" in result.output


# --- in a browser -------------------------------------------------------------------------------


def chromium() -> str | None:
    return next(
        (
            p
            for p in (shutil.which("chromium"), shutil.which("chromium-browser"), "/usr/bin/chromium")
            if p and Path(p).exists()
        ),
        None,
    )


@pytest.mark.skipif(chromium() is None, reason="chromium not found (apt-get install chromium)")
def test_statement_renders_in_headless_chromium(demo_ws: Workspace, tmp_path: Path) -> None:
    period = Period(2026, 6)
    outcome = statements(demo_ws, period, "zh", "SI-0009")
    with Ledger(demo_ws.db) as ledger:
        payout = ledger.results(period, "SI-0009")[0]["payout"]
        held = ledger.results(period, "SI-0009")[0]["held_out"]
    url = (outcome.folder / outcome.written[0].html).resolve().as_uri()
    flags = [
        chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--enable-logging=stderr",
        "--v=0",
        "--hide-scrollbars",
    ]
    dom = subprocess.run([*flags, "--dump-dom", url], capture_output=True, text=True, timeout=120, check=True)
    assert f'<div class="value" id="payout">{show(payout, "money")}</div>' in dom.stdout
    assert show(held, "money") in dom.stdout and "南通新讯科技有限公司" in dom.stdout
    assert ":CONSOLE" not in dom.stderr, dom.stderr  # no console error, no blocked fetch
    shot = Path(SCREENSHOT) if SCREENSHOT else tmp_path / "statement.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    run = subprocess.run(
        [*flags, f"--screenshot={shot.resolve()}", "--window-size=1280,2000", url],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert ":CONSOLE" not in run.stderr, run.stderr
    assert shot.stat().st_size > 50_000  # a rendered page, not a blank one
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

"""Printing: a statement from a real browser, the finance workbook from a real spreadsheet.

Headless Chromium prints a demo statement to PDF and LibreOffice converts the
finance workbook to PDF; each test is skipped where its program is not
installed (``.ci/run`` installs both). With ``SCORECARD_PRINT_PICTURES=docs``
the first page of each PDF is also written as a PNG (``pdftoppm``) to refresh
the README's pictures.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from scorecard.periods import Period
from scorecard.report.finance import export_finance
from scorecard.report.statements import statements
from scorecard.workspace import Workspace

PICTURES = os.environ.get("SCORECARD_PRINT_PICTURES")
A4 = (595, 842)  # points, portrait


def program(*names: str) -> str | None:
    return next((p for p in map(shutil.which, names) if p), None)


CHROMIUM = program("chromium", "chromium-browser")
SOFFICE = program("soffice", "libreoffice")


def text_of(pdf: Path) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(pdf).pages]


def sizes(pdf: Path) -> list[tuple[int, int]]:
    return [(round(float(p.mediabox.width)), round(float(p.mediabox.height))) for p in PdfReader(pdf).pages]


def picture(pdf: Path, page: int, name: str) -> None:
    if PICTURES and shutil.which("pdftoppm"):
        out = Path(PICTURES) / name
        subprocess.run(
            ["pdftoppm", "-r", "80", "-f", str(page), "-l", str(page), "-png", "-singlefile", str(pdf), str(out)],
            check=True,
            timeout=60,
        )


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not found (apt-get install chromium)")
def test_statement_prints_on_a4_in_at_most_three_pages_with_every_column(demo_ws: Workspace, tmp_path: Path) -> None:
    """SI-0009 in June 2026: on hold, two rules breached, 45 tickets — a busy partner."""
    period = Period(2026, 6)
    outcome = statements(demo_ws, period, "en", "SI-0009")
    page = (outcome.folder / outcome.written[0].html).resolve()
    pdf = tmp_path / "statement.pdf"
    subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf}",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )
    pages = text_of(pdf)
    assert 1 <= len(pages) <= 3, len(pages)
    assert set(sizes(pdf)) == {A4}
    text = "\n".join(pages)
    # the rules table's last column, "To comply", with the on-time rule's target: not clipped
    assert "To comply" in text
    assert "≥ 75.00 %" in text
    # rule text wraps by words: "Complaints completed within 24 h below 75%" keeps its words whole
    words = {w for p in pages for line in p.splitlines() for w in line.split()}
    assert {"Complaints", "completed", "within"} <= words
    assert "TS20260600428" in text  # the last ticket of the list
    picture(pdf, 1, "statement-print")


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice not found (apt-get install libreoffice-calc)")
def test_finance_workbook_converts_to_pdf_with_each_sheet_titled(demo_ws: Workspace, tmp_path: Path) -> None:
    outcome = export_finance(demo_ws, Period(2026, 6), "en")
    book = tmp_path / "settlement.xlsx"
    shutil.copy(outcome.path, book)
    subprocess.run(
        [
            str(SOFFICE),
            f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(book),
        ],
        capture_output=True,
        timeout=300,
        check=True,
    )
    pdf = tmp_path / "settlement.pdf"
    pages = text_of(pdf)
    # one page per sheet, two for the 60 adjustment lines and two for the payments; every sheet fits the
    # page width
    assert len(pages) == 12, "\n".join(p.splitlines()[0] for p in pages)
    first_lines = [p.splitlines()[0] if p else "" for p in pages]
    assert first_lines == [
        "Settlement 2026-06 1 / 12",
        "Partners 2026-06 2 / 12",
        "Adjustments 2026-06 3 / 12",
        "Adjustments 2026-06 4 / 12",
        "Holds and releases 2026-06 5 / 12",
        "Refunds 2026-06 6 / 12",
        "Notices 2026-06 7 / 12",
        "Disputes 2026-06 8 / 12",
        "Balances carried 2026-06 9 / 12",
        "Payments 2026-06 10 / 12",
        "Payments 2026-06 11 / 12",
        "Versions and inputs 2026-06 12 / 12",
    ]
    assert sizes(pdf)[0] == A4 and sizes(pdf)[1] == A4[::-1]  # summary portrait, partners landscape
    assert "Payout" in pages[1] and "3,548,010.86" in pages[1]  # the last column and its total
    picture(pdf, 2, "workbook-print")

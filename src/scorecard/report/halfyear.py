"""`report half-year 2026H1`: the association's half-year complaint bulletin (docs/reports.md).

每半年《客户投诉情况通报》: per partner and in total, per month, valid / repeat / major
complaints, by category, the on-time rate, average and p90 resolution hours, breaches,
holds, terminations, sanctions, refunds and fines — read from the stored records of the
half's *closed* months only (a draft may still change), as a workbook and one
self-contained HTML page with inline SVG charts. Every figure is a count or a sum of the
records' rows, so the totals reconcile with the months' records.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import polars as pl
from markupsafe import Markup, escape

from scorecard.i18n import t
from scorecard.issues import InputError, Issue
from scorecard.ledger import Ledger
from scorecard.money import format_fen
from scorecard.periods import Period
from scorecard.record import MonthRecord
from scorecard.report.chart import Point, line_chart
from scorecard.report.formats import fixed
from scorecard.report.xlsx import Book, Col, Kind, atomic_write, columns
from scorecard.workspace import Workspace

CATEGORIES = ("urgent", "normal", "difficult")
COUNTED = ("on_time", "late", "pending")
_HALF_RE = re.compile(r"^(\d{4})H([12])$")


def parse_half(text: str) -> tuple[str, list[Period]]:
    m = _HALF_RE.match(text.strip().upper())
    if not m:
        raise InputError([Issue("report half-year", None, text, t("not_half_year"), t("half_year_expected"))])
    year, half = int(m.group(1)), int(m.group(2))
    return f"{year}H{half}", [Period(year, month) for month in range(6 * half - 5, 6 * half + 1)]


@dataclass(slots=True)
class Figures:
    """Counts and sums over some partner-months: one partner's month, a month, the half."""

    partner_months: int = 0
    valid: int = 0
    repeat: int = 0
    major: int = 0
    by_category: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CATEGORIES, 0))
    on_time: int = 0
    late: int = 0
    pending: int = 0
    resolved: int = 0
    resolution_seconds: int = 0
    breaches: int = 0
    on_hold: int = 0
    terminated: int = 0
    sanctions: int = 0
    refunds: int = 0  # refund_deduction, fen
    fines: int = 0  # fine_deduction, fen
    seconds: list[int] = field(default_factory=list)  # each resolved valid ticket, for the p90

    @property
    def on_time_rate(self) -> Fraction | None:
        n = self.on_time + self.late
        return Fraction(self.on_time, n) if n else None

    @property
    def avg_hours(self) -> Fraction | None:
        return Fraction(self.resolution_seconds, 3600 * self.resolved) if self.resolved else None

    @property
    def p90_hours(self) -> Fraction | None:
        """The 90th percentile, linear between ranks, as the month's metric is computed."""
        if not self.seconds:
            return None
        value = pl.Series(self.seconds, dtype=pl.Int64).quantile(0.9, interpolation="linear")
        return None if value is None else Fraction(str(value)) / 3600

    def add(self, other: Figures) -> None:
        for name in (
            "partner_months",
            "valid",
            "repeat",
            "major",
            "on_time",
            "late",
            "pending",
            "resolved",
            "resolution_seconds",
            "breaches",
            "on_hold",
            "terminated",
            "sanctions",
            "refunds",
            "fines",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for c in CATEGORIES:
            self.by_category[c] += other.by_category[c]
        self.seconds.extend(other.seconds)


@dataclass(slots=True)
class HalfYear:
    label: str
    months: list[Period]  # closed months in the report
    missing: list[tuple[Period, str]]  # months of the half left out, and why
    names: dict[str, str]
    cells: dict[tuple[Period, str], Figures]  # (month, partner) -> figures
    on_time_limits: dict[Period, float | None] = field(default_factory=dict)  # charted threshold per month

    def month_total(self, month: Period) -> Figures:
        out = Figures()
        for (m, _), f in self.cells.items():
            if m == month:
                out.add(f)
        return out

    def partner_total(self, partner_id: str) -> Figures:
        out = Figures()
        for (_, pid), f in self.cells.items():
            if pid == partner_id:
                out.add(f)
        return out

    def total(self) -> Figures:
        out = Figures()
        for f in self.cells.values():
            out.add(f)
        return out

    @property
    def partners(self) -> list[str]:
        return sorted(self.names)


def month_figures(record: MonthRecord) -> dict[str, Figures]:
    """One Figures per partner assessed in the month, from its record alone."""
    out: dict[str, Figures] = {}
    breaches = record.breached_rules()
    sanctions: dict[str, int] = {}
    for a in record.rows("actions"):
        if a["kind"] == "sanction":
            sanctions[a["partner_id"]] = sanctions.get(a["partner_id"], 0) + 1
    for r in record.rows("partner_results"):
        pid = r["partner_id"]
        out[pid] = Figures(
            partner_months=1,
            valid=r["valid_complaints"],
            repeat=r["repeat_complaints"],
            major=r["major_complaints"],
            on_time=r["on_time_tickets"],
            late=r["late_tickets"],
            pending=r["pending_tickets"],
            resolved=r["resolved_tickets"],
            resolution_seconds=r["resolution_seconds"],
            breaches=len(breaches.get(pid, [])),
            on_hold=int(r["status"] == "on_hold"),
            terminated=int(r["status"] == "terminated"),
            sanctions=sanctions.get(pid, 0),
            refunds=r["refund_deduction"],
            fines=r["fine_deduction"],
        )
    tickets = record["tickets"].filter(pl.col("valid") & pl.col("state").is_in(COUNTED))
    for pid, category, seconds in tickets.select("partner_id", "category", "resolution_seconds").iter_rows():
        f = out.get(pid)
        if f is None:
            continue
        f.by_category[category] = f.by_category.get(category, 0) + 1
        if seconds is not None:
            f.seconds.append(seconds)
    return out


def gather(ws: Workspace, text: str) -> HalfYear:
    label, periods = parse_half(text)
    if not ws.db.exists():
        raise InputError([Issue(str(ws.db), None, None, t("half_year_no_ledger"))])
    months, missing, names, cells = [], [], {}, {}
    limits: dict[Period, float | None] = {}
    with Ledger(ws.db, readonly=True) as ledger:
        for p in periods:
            info = ledger.period(p)
            if info is None:
                missing.append((p, "not_run"))
                continue
            if info.draft:
                missing.append((p, "draft"))
                continue
            record = ledger.record(p)
            months.append(p)
            limits[p] = next(
                (float(r.threshold) * 100 for r in record.ruleset.rules if r.metric == "on_time_rate" and r.threshold),
                None,
            )
            names.update(dict(record["partner_results"].select("partner_id", "partner_name").iter_rows()))
            for pid, f in month_figures(record).items():
                cells[(p, pid)] = f
    if not months:
        raise InputError(
            [
                Issue(
                    str(ws.db),
                    None,
                    label,
                    t("half_year_none_closed", label=label),
                    t("half_year_none_closed_expected"),
                )
            ]
        )
    return HalfYear(label, months, missing, names, cells, limits)


# --- the workbook ------------------------------------------------------------------------------

FIGURE_COLS: list[tuple[str, Kind]] = [
    ("valid_complaints", "int"),
    ("repeat_complaints", "int"),
    ("major_complaints", "int"),
    *((c, "int") for c in CATEGORIES),
    ("on_time_rate", "pct"),
    ("avg_resolution_hours", "dec2"),
    ("p90_resolution_hours", "dec2"),
    ("breaches", "int"),
    ("hy_on_hold", "int"),
    ("hy_terminated", "int"),
    ("sanctions", "int"),
    ("refund_deduction", "money"),
    ("fine_deduction", "money"),
]


def figure_values(f: Figures) -> list[object]:
    return [
        f.valid,
        f.repeat,
        f.major,
        *(f.by_category[c] for c in CATEGORIES),
        f.on_time_rate,
        f.avg_hours,
        f.p90_hours,
        f.breaches,
        f.on_hold,
        f.terminated,
        f.sanctions,
        f.refunds,
        f.fines,
    ]


def half_year_book(h: HalfYear, lang: str) -> Book:
    title = f"{t('half_year_title', lang)} {h.label}"
    book = Book(title)
    figure_cols = columns(lang, *FIGURE_COLS)
    s = book.sheet(t("sheet_by_month", lang), title)
    s.pairs(
        [
            (t("months_included", lang), "text", ", ".join(str(m) for m in h.months)),
            (t("months_left_out", lang), "text", _missing_text(h, lang) or t("none", lang)),
        ]
    )
    s.table(
        [Col(t("period", lang)), Col(t("partners", lang), "int"), *figure_cols],
        [[str(m), h.month_total(m).partner_months, *figure_values(h.month_total(m))] for m in h.months],
        totals=[t("total", lang), h.total().partner_months, *figure_values(h.total())],
    )
    s.finish()
    s = book.sheet(t("hy_partners", lang), f"{t('hy_partners', lang)} {h.label}")
    s.table(
        [Col(t("partner_id", lang)), Col(t("partner_name", lang)), Col(t("months", lang), "int"), *figure_cols],
        [
            [pid, h.names[pid], h.partner_total(pid).partner_months, *figure_values(h.partner_total(pid))]
            for pid in h.partners
        ],
        totals=[t("total", lang), "", h.total().partner_months, *figure_values(h.total())],
    )
    s.finish()
    s = book.sheet(t("sheet_partner_months", lang), f"{t('sheet_partner_months', lang)} {h.label}")
    s.table(
        [Col(t("period", lang)), Col(t("partner_id", lang)), Col(t("partner_name", lang)), *figure_cols],
        [
            [str(m), pid, h.names[pid], *figure_values(h.cells[(m, pid)])]
            for pid in h.partners
            for m in h.months
            if (m, pid) in h.cells
        ],
    )
    s.finish()
    return book


def _missing_text(h: HalfYear, lang: str) -> str:
    return ", ".join(f"{p} ({t('month_' + why, lang)})" for p, why in h.missing)


# --- the HTML page -----------------------------------------------------------------------------


def _cell(kind: Kind, value: object) -> str:
    if value is None:
        return "—"
    if kind == "money":
        return format_fen(int(value))  # type: ignore[call-overload]
    if kind == "pct":
        return f"{fixed(value * 100, 2)} %"  # type: ignore[operator]
    if kind == "dec2":
        return fixed(value, 2)  # type: ignore[arg-type]
    return str(value)


def _table(head: list[str], rows: list[list[str]], total: list[str] | None = None, cls: str = "") -> str:
    out = [f'<table class="{cls}"><thead><tr>', *(f"<th>{escape(h)}</th>" for h in head), "</tr></thead><tbody>"]
    for r in rows:
        out.append("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in r) + "</tr>")
    out.append("</tbody>")
    if total is not None:
        out.append("<tfoot><tr>" + "".join(f"<td>{escape(c)}</td>" for c in total) + "</tr></tfoot>")
    out.append("</table>")
    return "".join(out)


CSS = """
body { font-family: -apple-system, "Segoe UI", "PingFang SC", "Microsoft YaHei", sans-serif; color: #1f2937;
       margin: 0; background: #f3f4f6; }
.page { max-width: 1180px; margin: 24px auto; background: #fff; padding: 28px 32px; border-radius: 8px;
        box-shadow: 0 1px 3px rgba(0,0,0,.08); }
h1 { font-size: 22px; margin: 0 0 6px; } h2 { font-size: 16px; margin: 26px 0 10px; }
.note { color: #6b7280; font-size: 13px; }
.charts { display: grid; grid-template-columns: 1fr 1fr; gap: 18px; }
.chart { width: 100%; height: auto; } .tick { font-size: 11px; fill: #6b7280; }
table { border-collapse: collapse; width: 100%; font-size: 12.5px; }
th, td { border-bottom: 1px solid #e5e7eb; padding: 5px 7px; text-align: right; white-space: nowrap; }
th { background: #e8eef5; font-weight: 600; }
td:first-child, th:first-child, .partners td:nth-child(2), .partners th:nth-child(2) { text-align: left; }
tfoot td { font-weight: 700; border-top: 2px solid #1f2937; }
.wide { overflow-x: auto; }
"""


def half_year_html(h: HalfYear, lang: str) -> str:
    title = f"{t('half_year_title', lang)} {h.label}"
    kinds = [k for _, k in FIGURE_COLS]
    figure_head = [t(name, lang) for name, _ in FIGURE_COLS]

    def values(f: Figures) -> list[str]:
        return [_cell(k, v) for k, v in zip(kinds, figure_values(f), strict=True)]

    totals = [(m, h.month_total(m)) for m in h.months]
    valid_chart = line_chart(
        [Point(str(m), float(f.valid), None) for m, f in totals], t("valid_complaints", lang), lambda v: f"{v:g}"
    )
    on_time_chart = line_chart(
        [
            Point(str(m), None if f.on_time_rate is None else float(f.on_time_rate * 100), h.on_time_limits.get(m))
            for m, f in totals
        ],
        t("on_time_rate", lang),
        lambda v: f"{v:g}%",
        ceiling=100.0,
    )
    by_month = _table(
        [t("period", lang), t("partners", lang), *figure_head],
        [[str(m), str(f.partner_months), *values(f)] for m, f in totals],
        [t("total", lang), str(h.total().partner_months), *values(h.total())],
    )
    by_partner = _table(
        [t("partner_id", lang), t("partner_name", lang), t("months", lang), *figure_head],
        [
            [pid, h.names[pid], str(h.partner_total(pid).partner_months), *values(h.partner_total(pid))]
            for pid in h.partners
        ],
        [t("total", lang), "", str(h.total().partner_months), *values(h.total())],
        "partners",
    )
    missing = _missing_text(h, lang)
    note = f"{t('months_included', lang)}: {', '.join(str(m) for m in h.months)}"
    if missing:
        note += f" · {t('months_left_out', lang)}: {missing}"
    return (
        "<!doctype html>\n"
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
        f'<title>{escape(title)}</title><style>{CSS}</style></head><body><div class="page">'
        f'<h1>{escape(title)}</h1><p class="note">{escape(note)}</p>'
        f'<div class="charts"><div><h2>{escape(t("valid_complaints", lang))}</h2>{valid_chart}</div>'
        f"<div><h2>{escape(t('on_time_rate', lang))}</h2>{on_time_chart}</div></div>"
        f'<h2>{escape(t("sheet_by_month", lang))}</h2><div class="wide">{Markup(by_month)}</div>'
        f'<h2>{escape(t("hy_partners", lang))}</h2><div class="wide">{Markup(by_partner)}</div>'
        f'<p class="note">{escape(t("half_year_note", lang))}</p>'
        "</div></body></html>\n"
    )


def write_half_year(ws: Workspace, text: str, lang: str) -> tuple[HalfYear, Path, Path]:
    """out/2026H1/half-year-2026H1.xlsx and .html."""
    h = gather(ws, text)
    folder = ws.out / h.label
    folder.mkdir(parents=True, exist_ok=True)
    xlsx = folder / f"half-year-{h.label}.xlsx"
    html = folder / f"half-year-{h.label}.html"
    half_year_book(h, lang).save(xlsx)
    atomic_write(html, half_year_html(h, lang).encode("utf-8"))
    return h, xlsx, html

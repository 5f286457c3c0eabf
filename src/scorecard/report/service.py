"""`report service P [--partner PID]`: the SI service analysis report (docs/reports.md).

What the mobile operator asks every partner for each month: requests by category, the
resolution rate, the first-time completion rate (resolved and never sent back after an
unsatisfied revisit, 回访不满意转回: the optional ``reopen_count`` of the complaints), the
average resolution time, the unfinished list, satisfaction and the complaint list — read
from the month's stored record (a closed month's report never changes).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import polars as pl

from scorecard.i18n import t
from scorecard.issues import InputError, Issue
from scorecard.ledger import Ledger
from scorecard.periods import Period
from scorecard.record import MonthRecord
from scorecard.report.statements import safe_stem
from scorecard.report.xlsx import Book, Col, columns
from scorecard.workspace import Workspace

CATEGORIES = ("urgent", "normal", "difficult")
COUNTED = ("on_time", "late", "pending")


@dataclass(frozen=True, slots=True)
class PartnerService:
    partner_id: str
    partner_name: str
    by_category: dict[str, int]
    requests: int  # valid tickets counted in the month
    resolved: int
    first_time: int  # resolved and never sent back
    reopened: int  # tickets sent back at least once
    avg_hours: Fraction | None
    satisfaction: Fraction | None
    tickets: list[dict[str, Any]]  # the complaint list, in the record's order

    @property
    def resolution_rate(self) -> Fraction | None:
        return Fraction(self.resolved, self.requests) if self.requests else None

    @property
    def first_time_rate(self) -> Fraction | None:
        return Fraction(self.first_time, self.resolved) if self.resolved else None

    @property
    def unfinished(self) -> list[dict[str, Any]]:
        return [x for x in self.tickets if x["resolved_at"] is None]


def service_figures(record: MonthRecord) -> list[PartnerService]:
    tickets = record["tickets"].filter(pl.col("valid") & pl.col("state").is_in(COUNTED))
    by_partner: dict[str, list[dict[str, Any]]] = {}
    for row in tickets.iter_rows(named=True):
        by_partner.setdefault(row["partner_id"], []).append(row)
    out = []
    for r in record.rows("partner_results"):
        mine = by_partner.get(r["partner_id"], [])
        resolved = [x for x in mine if x["resolved_at"] is not None]
        out.append(
            PartnerService(
                r["partner_id"],
                r["partner_name"],
                {c: sum(1 for x in mine if x["category"] == c) for c in CATEGORIES},
                len(mine),
                len(resolved),
                sum(1 for x in resolved if not x["reopen_count"]),
                sum(1 for x in mine if x["reopen_count"]),
                Fraction(r["resolution_seconds"], 3600 * r["resolved_tickets"]) if r["resolved_tickets"] else None,
                Fraction(r["survey_total"], r["survey_count"]) if r["survey_count"] else None,
                mine,
            )
        )
    return out


def service_book(record: MonthRecord, partners: list[PartnerService], lang: str) -> Book:
    title = f"{t('service_title', lang)} {record.period}"
    if record.info.draft:
        title += f" — {t('draft_short', lang)}"
    book = Book(title, t("draft_mark", lang) if record.info.draft else None)
    s = book.sheet(t("sheet_service", lang), title)
    cols = [
        *columns(lang, "partner_id", "partner_name", ("requests", "int")),
        *(Col(t(c, lang), "int") for c in CATEGORIES),
        *columns(
            lang,
            ("resolved_count", "int"),
            ("resolution_rate", "pct"),
            ("first_time_rate", "pct"),
            ("sent_back", "int"),
            ("avg_resolution_hours", "dec2"),
            ("unfinished", "int"),
            ("satisfaction", "dec2"),
        ),
    ]
    rows = [
        [
            p.partner_id,
            p.partner_name,
            p.requests,
            *(p.by_category[c] for c in CATEGORIES),
            p.resolved,
            p.resolution_rate,
            p.first_time_rate,
            p.reopened,
            p.avg_hours,
            len(p.unfinished),
            p.satisfaction,
        ]
        for p in partners
    ]
    s.table(cols, rows)
    s.finish()
    ticket_cols = columns(
        lang,
        "partner_id",
        "ticket_id",
        "category",
        ("received_at", "datetime"),
        ("deadline", "datetime"),
        ("resolved_at", "datetime"),
        "state",
        ("reopen_count", "int"),
    )

    def ticket_row(p: PartnerService, x: dict[str, Any]) -> list[Any]:
        return [
            p.partner_id,
            x["ticket_id"],
            t(x["category"], lang),
            x["received_at"],
            x["deadline"],
            x["resolved_at"],
            t(x["state"], lang),
            x["reopen_count"] or 0,
        ]

    s = book.sheet(t("unfinished", lang), f"{t('unfinished', lang)} {record.period}")
    s.table(ticket_cols, [ticket_row(p, x) for p in partners for x in p.unfinished])
    s.finish()
    s = book.sheet(t("complaint_list", lang), f"{t('complaint_list', lang)} {record.period}")
    s.table(ticket_cols, [ticket_row(p, x) for p in partners for x in p.tickets])
    s.finish()
    return book


def write_service(
    ws: Workspace, period: Period, lang: str, partner_id: str | None = None
) -> tuple[Path, list[PartnerService]]:
    """out/P/service/service-P.xlsx (every partner) or service-P-PID.xlsx (one partner's only)."""
    if not ws.db.exists():
        raise InputError([Issue(str(ws.db), None, None, t("no_ledger_run_first", period=period))])
    with Ledger(ws.db, readonly=True) as ledger:
        record = ledger.record(period, partner_id)
    if partner_id is not None and record["partner_results"].height == 0:
        raise InputError([Issue(str(ws.db), None, None, t("partner_not_assessed", partner=partner_id, period=period))])
    partners = service_figures(record)
    name = f"service-{period}" + (f"-{safe_stem(partner_id)}" if partner_id is not None else "") + ".xlsx"
    path = ws.out_for(period) / "service" / name
    service_book(record, partners, lang).save(path)
    return path, partners

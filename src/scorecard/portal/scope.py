"""What a logged-in partner may see and do: every partner page reads through one PartnerScope.

Isolation by construction: a PartnerScope is made from the session's account
alone (:func:`partner_scope`), holds that account's partner id, and every read
it offers filters by it. No route takes a partner id from the URL; what a
route names (a month, a dispute, a notice, a report) is looked up inside the
scope, and anything outside it is ``None`` — which the routes answer 404,
exactly as for something that does not exist.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from scorecard.disputes import register
from scorecard.disputes.register import Dispute, Settings
from scorecard.ledger import Ledger
from scorecard.periods import Period
from scorecard.portal.accounts import Account, stamp
from scorecard.record import MonthRecord, PeriodInfo
from scorecard.report.statement_data import gather, ticket_frame, trend
from scorecard.report.statement_html import render_html
from scorecard.report.statement_view import build_view, prepare_tickets

RECTIFICATION = "notice"  # the action kind a rectification report answers (限期整改)


def notice_key(partner_id: str, period: Period, seq: int) -> str:
    """An opaque id for a notice in URLs: it names no partner and cannot be guessed from another's."""
    return hashlib.sha256(f"{partner_id}\x00{period}\x00{seq}".encode()).hexdigest()[:20]


@dataclass(frozen=True, slots=True)
class Month:
    info: PeriodInfo
    status: str
    payout: int

    @property
    def provisional(self) -> bool:
        return self.info.draft


@dataclass(frozen=True, slots=True)
class Notice:
    key: str
    period: Period
    seq: int
    rule_id: str
    kind: str
    label: str
    deadline: str | None
    reports: list[dict[str, Any]]


class PartnerScope:
    """One partner's view of the ledger. Built only by :func:`partner_scope`."""

    def __init__(self, ledger: Ledger, partner_id: str) -> None:
        self._ledger = ledger
        self.partner_id = partner_id

    # --- months and statements --------------------------------------------------------------

    def months(self) -> list[Month]:
        """The months this partner was assessed in: closed ones, and the open draft (provisional)."""
        rows = self._ledger.conn.execute(
            "SELECT period, status, payout FROM partner_results WHERE partner_id = ? ORDER BY period DESC",
            (self.partner_id,),
        ).fetchall()
        infos = {str(p.period): p for p in self._ledger.periods()}
        return [Month(infos[r["period"]], r["status"], r["payout"]) for r in rows if r["period"] in infos]

    def month(self, period: Period) -> MonthRecord | None:
        """The partner's cut of the month's record (None: not assessed then, or never run)."""
        if self._ledger.period(period) is None:
            return None
        record = self._ledger.record(period, self.partner_id)
        return record if record["partner_results"].height else None

    def statement_html(self, period: Period, lang: str) -> str | None:
        """The month's statement page, rendered from the record as `scorecard statements` does."""
        record = self.month(period)
        if record is None:
            return None
        ctx, packs = gather(record, trend(self._ledger, period, self.partner_id), lang=lang)
        tickets = ticket_frame(record["tickets"], packs)
        rows = prepare_tickets(tickets, lang)
        start, n = packs[0].tickets
        return render_html(build_view(ctx, packs[0], rows.slice(start, n)))

    # --- notices and rectification reports ------------------------------------------------------

    def notices(self, lang: str) -> list[Notice]:
        rows = self._ledger.conn.execute(
            "SELECT period, seq, rule_id, kind, label_zh, label_en, deadline FROM actions"
            " WHERE partner_id = ? ORDER BY period DESC, seq",
            (self.partner_id,),
        ).fetchall()
        reports: dict[tuple[str, int], list[dict[str, Any]]] = {}
        for r in self._ledger.conn.execute(
            "SELECT * FROM portal_reports WHERE partner_id = ? ORDER BY filed_at", (self.partner_id,)
        ):
            reports.setdefault((r["period"], r["notice_seq"]), []).append(dict(r))
        return [
            Notice(
                notice_key(self.partner_id, Period.parse(r["period"]), r["seq"]),
                Period.parse(r["period"]),
                r["seq"],
                r["rule_id"],
                r["kind"],
                (r["label_zh"] if lang == "zh" else r["label_en"]) or r["kind"],
                r["deadline"],
                reports.get((r["period"], r["seq"]), []),
            )
            for r in rows
        ]

    def notice(self, key: str, lang: str) -> Notice | None:
        return next((n for n in self.notices(lang) if n.key == key), None)

    def add_report(
        self, notice: Notice, text: str, upload: tuple[str, str, int, str, str] | None, user: str, now: datetime
    ) -> str:
        """A rectification report on one of the partner's own rectification notices.
        ``upload``: stored file name, content type, size, sha256, the name the partner gave."""
        report_id = "R-" + secrets.token_hex(8)
        stored, ctype, size, sha, original = upload or (None, None, None, None, None)
        with self._ledger.write() as c:
            c.execute(
                "INSERT INTO portal_reports (report_id, partner_id, period, notice_seq, rule_id, text, file_name,"
                " file_type, file_size, file_sha256, original_name, filed_by, filed_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    report_id,
                    self.partner_id,
                    str(notice.period),
                    notice.seq,
                    notice.rule_id,
                    text,
                    stored,
                    ctype,
                    size,
                    sha,
                    original,
                    user,
                    stamp(now),
                ),
            )
            detail = {"report_id": report_id, "partner_id": self.partner_id, "rule_id": notice.rule_id, "file": sha}
            self._ledger.add_event(c, "portal report", notice.period, user, "", json.dumps(detail))
        return report_id

    def report(self, report_id: str) -> dict[str, Any] | None:
        row = self._ledger.conn.execute(
            "SELECT * FROM portal_reports WHERE report_id = ? AND partner_id = ?", (report_id, self.partner_id)
        ).fetchone()
        return dict(row) if row else None

    # --- disputes --------------------------------------------------------------------------

    def disputes(self) -> list[Dispute]:
        return register.list_disputes(self._ledger, partner=self.partner_id)

    def dispute(self, dispute_id: str) -> Dispute | None:
        return register.get(self._ledger, dispute_id, self.partner_id)

    def file_dispute(
        self,
        period: Period,
        kind: str,
        record_id: str,
        reason: str,
        correction: str | None,
        user: str,
        now: datetime,
        settings: Settings,
    ) -> str:
        """Through the register, as the partner: a record of another partner is "no such record"."""
        return register.file(
            self._ledger,
            period,
            kind,
            record_id,
            reason,
            user,
            now,
            partner_id=self.partner_id,
            correction=correction,
            settings=settings,
            source="portal",
        )


def partner_scope(ledger: Ledger, account: Account | None) -> PartnerScope | None:
    """The one way to a partner's data: from the logged-in account, never from a request's values."""
    if account is None or account.role != "partner" or account.partner_id is None:
        return None
    return PartnerScope(ledger, account.partner_id)

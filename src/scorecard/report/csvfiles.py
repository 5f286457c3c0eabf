"""scorecard.csv and notices.csv, and the one CSV writer of every CSV output."""

from __future__ import annotations

import re
from collections.abc import Sequence

from scorecard.assess import PartnerResult
from scorecard.config import RuleSet
from scorecard.money import format_fen
from scorecard.periods import Period
from scorecard.report.formats import csv_text, fixed, share
from scorecard.rules import notice_deadline

SCORECARD_COLUMNS = [
    "period",
    "partner_id",
    "partner_name",
    "mode",
    "valid_complaints",
    "billed_users",
    "group_customers",
    "complaint_rate_per_10k",
    "on_time_rate",
    "response_score",
    "satisfaction",
    "score",
    "band_pct",
    "breached_rules",
    "status",
    "gross_amount",
    "refund_deduction",
    "score_deduction",
    "receivable_in",
    "receivable_out",
    "held_in",
    "held_out",
    "released",
    "payout",
    # after the required columns: what a reviewer asks next
    "repeat_complaints",
    "major_complaints",
    "late_tickets",
    "pending_tickets",
    "reply_on_time_rate",
    "avg_resolution_hours",
    "p90_resolution_hours",
    "conduct_events",
    "rule_version",
]

NOTICE_COLUMNS = [
    "period",
    "partner_id",
    "partner_name",
    "rule_id",
    "kind",
    "streak",
    "deadline",
    "text",
    "rule_description",
]


# A field holding any of these is quoted. Python's csv module leaves a lone CR
# unquoted when the line ends in LF, and Excel then splits the row.
_QUOTE_IF = re.compile(r'[",\r\n]')


def _field(value: str) -> str:
    return '"' + value.replace('"', '""') + '"' if _QUOTE_IF.search(value) else value


def _csv(rows: list[list[str]], header: list[str]) -> bytes:
    """Every CSV file scorecard writes: UTF-8 with a BOM (so that Excel on a Chinese
    Windows does not read it as GBK), LF line ends, and every field that holds a
    quote, a comma, a CR or an LF quoted. The same rows always give the same bytes."""
    lines = [",".join(_field(v) for v in row) + "\n" for row in (header, *rows)]
    return ("\ufeff" + "".join(lines)).encode("utf-8")


def _opt_int(v: int | None) -> str:
    return "" if v is None else str(v)


def scorecard_csv(period: Period, results: Sequence[PartnerResult], ruleset: RuleSet) -> bytes:
    rows = []
    for r in sorted(results, key=lambda r: r.partner_id):
        m, s = r.metrics, r.settlement
        rows.append(
            [
                str(period),
                csv_text(m.partner_id),
                csv_text(m.partner_name),
                m.mode,
                str(m.valid_complaints),
                _opt_int(m.billed_users),
                _opt_int(m.group_customers),
                fixed(m.complaint_rate_per_10k, 4),
                fixed(m.on_time_rate, 4),
                fixed(m.response_score, 2),
                fixed(m.satisfaction, 2),
                fixed(r.score.score, 2),
                share(r.score.band_pct),
                ";".join(r.breached_rules),
                r.status,
                format_fen(s.gross_amount),
                format_fen(s.refund_deduction),
                format_fen(s.score_deduction),
                format_fen(s.receivable_in),
                format_fen(s.receivable_out),
                format_fen(s.held_in),
                format_fen(s.held_out),
                format_fen(s.released),
                format_fen(s.payout),
                str(m.repeat_complaints),
                str(m.major_complaints),
                str(m.late_tickets),
                str(m.pending_tickets),
                fixed(m.reply_on_time_rate, 4),
                fixed(m.avg_resolution_hours, 2),
                fixed(m.p90_resolution_hours, 2),
                str(m.conduct_events),
                ruleset.version,
            ]
        )
    return _csv(rows, SCORECARD_COLUMNS)


def notices_csv(period: Period, results: Sequence[PartnerResult], ruleset: RuleSet, lang: str) -> bytes:
    descriptions = {rule.id: rule.description.get(lang) for rule in ruleset.rules}
    rows = []
    for r in sorted(results, key=lambda r: r.partner_id):
        for f in r.notices:
            deadline = notice_deadline(period, f.action)
            rows.append(
                [
                    str(period),
                    csv_text(r.partner_id),
                    csv_text(r.metrics.partner_name),
                    f.rule_id,
                    f.kind,
                    str(f.streak),
                    str(deadline or ""),
                    f.action.label.get(lang) if f.action.label else "",
                    descriptions[f.rule_id],
                ]
            )
        if r.settlement.released:
            rows.append(
                [
                    str(period),
                    csv_text(r.partner_id),
                    csv_text(r.metrics.partner_name),
                    "",
                    "release",
                    "",
                    "",
                    format_fen(r.settlement.released),
                    "",
                ]
            )
    return _csv(rows, NOTICE_COLUMNS)

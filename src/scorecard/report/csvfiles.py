"""scorecard.csv and notices.csv rendered from the month's record (docs/ledger.md#outputs), and the one CSV
writer of every CSV output."""

from __future__ import annotations

import re
from decimal import Decimal

from scorecard.money import format_fen
from scorecard.record import MonthRecord, exact
from scorecard.report.formats import csv_text, fixed, share
from scorecard.settle import MONEY_FIELDS

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
    "fine_deduction",
    "adjustment",
    "held_restated",
    "receivable_restated",
    # after those: what a reviewer asks next
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


# The money columns of scorecard.csv in order: the settlement's, then those later features add.
CSV_MONEY = tuple(
    f for f in MONEY_FIELDS if f not in ("fine_deduction", "adjustment", "held_restated", "receivable_restated")
)
CSV_MONEY_LATER = ("fine_deduction", "adjustment", "held_restated", "receivable_restated")


def scorecard_csv(record: MonthRecord) -> bytes:
    breached = record.breached_rules()
    version = record.info.ruleset_version
    rows = []
    for r in record["partner_results"].iter_rows(named=True):
        avg = exact(r["resolution_seconds"], 3600 * r["resolved_tickets"]) if r["resolved_tickets"] else None
        rows.append(
            [
                str(record.period),
                csv_text(r["partner_id"]),
                csv_text(r["partner_name"]),
                r["mode"],
                str(r["valid_complaints"]),
                _opt_int(r["billed_users"]),
                _opt_int(r["group_customers"]),
                fixed(exact(r["complaint_rate_num"], r["complaint_rate_den"]), 4),
                fixed(exact(r["on_time_rate_num"], r["on_time_rate_den"]), 4),
                fixed(Decimal(r["response_score"]), 2),
                fixed(exact(r["survey_total"], 100 * r["survey_count"]) if r["survey_count"] else None, 2),
                fixed(Decimal(r["score"]), 2),
                share(Decimal(r["band_pct"])),
                ";".join(breached.get(r["partner_id"], [])),
                r["status"],
                *(format_fen(r[f]) for f in CSV_MONEY),
                *(format_fen(r[f]) for f in CSV_MONEY_LATER),
                str(r["repeat_complaints"]),
                str(r["major_complaints"]),
                str(r["late_tickets"]),
                str(r["pending_tickets"]),
                fixed(exact(r["reply_on_time_rate_num"], r["reply_on_time_rate_den"]), 4),
                fixed(avg, 2),
                fixed(exact(r["p90_resolution_hours_num"], r["p90_resolution_hours_den"]), 2),
                str(r["conduct_events"]),
                version,
            ]
        )
    return _csv(rows, SCORECARD_COLUMNS)


def notices_csv(record: MonthRecord, lang: str) -> bytes:
    descriptions = {rule.id: rule.description.get(lang) for rule in record.ruleset.rules}
    names = dict(record["partner_results"].select("partner_id", "partner_name").iter_rows())
    released = dict(record["partner_results"].select("partner_id", "released").iter_rows())
    by_partner: dict[str, list[dict[str, object]]] = {}
    for a in record["actions"].iter_rows(named=True):
        by_partner.setdefault(a["partner_id"], []).append(a)
    rows = []
    for pid in record.partner_ids():
        for a in by_partner.get(pid, []):
            label = a["label_zh"] if lang == "zh" else a["label_en"]
            rows.append(
                [
                    str(record.period),
                    csv_text(pid),
                    csv_text(names[pid]),
                    str(a["rule_id"]),
                    str(a["kind"]),
                    str(a["streak"]),
                    str(a["deadline"] or ""),
                    csv_text(str(label)) if label else "",
                    descriptions.get(str(a["rule_id"]), ""),
                ]
            )
        if released[pid]:
            rows.append(
                [
                    str(record.period),
                    csv_text(pid),
                    csv_text(names[pid]),
                    "",
                    "release",
                    "",
                    "",
                    format_fen(released[pid]),
                    "",
                ]
            )
    return _csv(rows, NOTICE_COLUMNS)

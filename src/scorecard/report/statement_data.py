"""What one partner's statement is made from, gathered once for all partners from the record.

The main process reads the month's record once, groups every row by partner,
and hands the workers plain, picklable packs: a pack holds only its own
partner's rows, so a statement cannot show another partner's data.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import polars as pl

from scorecard.config import RuleSet
from scorecard.ledger import Ledger
from scorecard.periods import Period
from scorecard.record import MonthRecord, exact
from scorecard.report.adjustments import PartnerMoney, partner_money

TREND_MONTHS = 12
# The charted metrics: the complaint measure of the partner's mode, and the on-time rate.
COMPLAINT_METRIC = {"C": "complaint_rate_per_10k", "EMP": "valid_complaints"}
ON_TIME_METRIC = "on_time_rate"
COUNTED = ("on_time", "late", "pending")
TICKET_COLUMNS = [
    "ticket_id",
    "partner_id",
    "received_at",
    "resolved_at",
    "deadline",
    "category",
    "state",
    "is_repeat",
    "is_major",
    "resolution_hours",
]


@dataclass(frozen=True, slots=True)
class Charted:
    """One month's charted rule result, as that month's record holds it."""

    value: Fraction | None
    threshold: Fraction | None
    op: str
    breached: bool


@dataclass(frozen=True, slots=True)
class Context:
    """What every statement of the month shares (no partner data)."""

    lang: str
    period: Period
    draft: bool
    ruleset: RuleSet
    ruleset_version: str
    run_at: str  # the record's time: what the workbooks are dated (never the clock)


@dataclass(slots=True)
class PartnerPack:
    """One partner's rows, and nothing else."""

    result: dict[str, Any]
    money: PartnerMoney
    rules: list[dict[str, Any]] = field(default_factory=list)
    sub_scores: list[dict[str, Any]] = field(default_factory=list)
    notices: list[dict[str, Any]] = field(default_factory=list)
    refunds: list[dict[str, Any]] = field(default_factory=list)
    conduct: list[dict[str, Any]] = field(default_factory=list)
    watch: list[dict[str, Any]] = field(default_factory=list)  # rules the partner is on watch for
    trend: dict[Period, dict[str, Charted]] = field(default_factory=dict)  # month -> metric -> result
    corrections: list[dict[str, Any]] = field(default_factory=list)
    adjustments: list[dict[str, Any]] = field(default_factory=list)
    tickets: tuple[int, int] = (0, 0)  # offset and count in the ticket frame handed over with the pack

    @property
    def partner_id(self) -> str:
        return str(self.result["partner_id"])


def _grouped(rows: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        out[r["partner_id"]].append(r)
    return out


def trend(ledger: Ledger, period: Period, partner_id: str | None = None) -> dict[str, dict[Period, dict[str, Charted]]]:
    """Per partner, each month's first rule result on each charted metric, from each month's record."""
    out: dict[str, dict[Period, dict[str, Charted]]] = defaultdict(dict)
    charted = {*COMPLAINT_METRIC.values(), ON_TIME_METRIC}
    for r in ledger.trend(period, TREND_MONTHS, partner_id):
        if r["metric"] not in charted:
            continue
        month = out[r["partner_id"]].setdefault(Period.parse(r["period"]), {})
        month.setdefault(
            r["metric"],
            Charted(
                exact(r["value_num"], r["value_den"]),
                exact(r["comparand_num"], r["comparand_den"]),
                r["op"],
                bool(r["breached"]),
            ),
        )
    return out


def gather(
    record: MonthRecord, trends: dict[str, dict[Period, dict[str, Charted]]], *, lang: str
) -> tuple[Context, list[PartnerPack]]:
    """The shared context and one pack per partner of ``record``."""
    money = partner_money(record)
    rules = _grouped(record.rows("rule_results"))
    subs = _grouped(record.rows("sub_scores"))
    notices = _grouped(record.rows("actions"))
    refunds = _grouped(record.rows("refunds"))
    conduct = _grouped(r for r in record.rows("conduct") if r["state"] == "counted")
    corrections = _grouped(record.rows("corrections"))
    adjustments = _grouped(record.rows("adjustments"))
    watch = _grouped(record.rows("watch"))
    packs = [
        PartnerPack(
            result=r,
            money=money[r["partner_id"]],
            rules=rules.get(r["partner_id"], []),
            sub_scores=subs.get(r["partner_id"], []),
            notices=notices.get(r["partner_id"], []),
            refunds=refunds.get(r["partner_id"], []),
            conduct=conduct.get(r["partner_id"], []),
            watch=watch.get(r["partner_id"], []),
            trend=trends.get(r["partner_id"], {}),
            corrections=corrections.get(r["partner_id"], []),
            adjustments=adjustments.get(r["partner_id"], []),
        )
        for r in record.rows("partner_results")
    ]
    ctx = Context(
        lang, record.period, record.info.draft, record.ruleset, record.info.ruleset_version, record.info.run_at
    )
    return ctx, packs


def ticket_frame(tickets: pl.DataFrame, packs: list[PartnerPack]) -> pl.DataFrame:
    """The counted tickets of the packs' partners, sorted by partner; sets each pack's span in it.

    The record keeps its tickets in this order already (docs/ledger.md#record), so the sort is a
    check that costs one pass, and each partner's span is a run of equal ids."""
    from scorecard.ledger.store import sort

    frame = sort(
        "tickets",
        tickets.lazy()
        .filter(pl.col("state").is_in(COUNTED))
        .with_columns(resolution_hours=pl.col("resolution_seconds") / 3600)  # display only
        .select(TICKET_COLUMNS)
        .collect(),
    )
    spans: dict[str, tuple[int, int]] = {}
    offset = 0
    runs = frame.select(pl.col("partner_id").rle()).unnest("partner_id")
    for n, pid in runs.select("len", "value").iter_rows():
        spans[pid] = (offset, n)
        offset += n
    for pack in packs:
        pack.tickets = spans.get(pack.partner_id, (0, 0))
    return frame

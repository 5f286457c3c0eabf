"""What one partner's statement is made from, gathered once for all partners.

The main process reads the ledger and the re-assessed period once, groups
every row by partner, and hands the workers plain, picklable packs: a pack
holds only its own partner's rows, so a statement cannot show another
partner's data.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

import polars as pl

from scorecard.config import Config, RuleSet
from scorecard.issues import InputError
from scorecard.ledger import Ledger, LedgerError
from scorecard.periods import Period
from scorecard.report.adjustments import HoldInfo

TREND_MONTHS = 12
# The charted metrics: the complaint measure of the partner's mode, and the on-time rate.
COMPLAINT_METRIC = {"C": "complaint_rate_per_10k", "EMP": "valid_complaints"}
ON_TIME_METRIC = "on_time_rate"
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
# period -> (mode, metric) -> (op, threshold)
Thresholds = dict[Period, dict[tuple[str, str], tuple[str, Fraction]]]


@dataclass(frozen=True, slots=True)
class Context:
    """What every statement of the period shares (no partner data)."""

    lang: str
    period: Period
    draft: bool
    ruleset: RuleSet
    deductions: dict[str, Decimal]  # conduct event -> points
    thresholds: Thresholds  # in force each month of the chart


@dataclass(slots=True)
class PartnerPack:
    """One partner's rows, and nothing else."""

    result: dict[str, Any]
    rules: list[dict[str, Any]] = field(default_factory=list)
    notices: list[dict[str, Any]] = field(default_factory=list)
    refunds: list[dict[str, Any]] = field(default_factory=list)
    conduct: list[tuple[date, str, str | None]] = field(default_factory=list)
    trend: list[tuple[Period, Any, Any, Any]] = field(default_factory=list)  # period, rate, count, on-time
    hold: HoldInfo = field(default_factory=HoldInfo)
    tickets: tuple[int, int] = (0, 0)  # offset and count in the ticket frame handed over with the pack

    @property
    def partner_id(self) -> str:
        return str(self.result["partner_id"])


def chart_thresholds(config: Config, periods: Iterable[Period]) -> Thresholds:
    out: Thresholds = {}
    for p in periods:
        try:
            ruleset = config.ruleset_for(p)
        except InputError:  # before the first rule set: no line drawn
            continue
        found: dict[tuple[str, str], tuple[str, Fraction]] = {}
        for rule in ruleset.rules:
            for mode in rule.modes:
                if rule.threshold is not None:
                    found.setdefault((mode, rule.metric), (rule.op, Fraction(rule.threshold)))
        out[p] = found
    return out


def _grouped(rows: Iterable[Any]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        out[r["partner_id"]].append(dict(r))
    return out


def gather(
    ledger: Ledger,
    period: Period,
    config: Config,
    ruleset: RuleSet,
    *,
    lang: str,
    conduct: pl.DataFrame,
    only: str | None = None,
) -> tuple[Context, list[PartnerPack]]:
    """The shared context and one pack per partner assessed in ``period`` (or only ``only``)."""
    info = ledger.period(period)
    if info is None:
        raise LedgerError(f"{period} has not been run")
    results = [dict(r) for r in ledger.results(period, only)]
    if only is not None and not results:
        raise LedgerError(f"{only} was not assessed in {period}")
    rules = _grouped(ledger.rule_results(period, only))
    notices = _grouped(ledger.notices(period, only))
    refunds = _grouped(ledger.refunds(period, only))
    through = ledger.hold_month_rules(period)
    trend: dict[str, list[tuple[Period, Any, Any, Any]]] = defaultdict(list)
    for row in ledger.trend(period, TREND_MONTHS):
        if only is None or row["partner_id"] == only:
            trend[row["partner_id"]].append(
                (
                    Period.parse(row["period"]),
                    row["complaint_rate_per_10k"],
                    row["valid_complaints"],
                    row["on_time_rate"],
                )
            )
    events: dict[str, list[tuple[date, str, str | None]]] = defaultdict(list)
    frame = conduct if only is None else conduct.filter(pl.col("partner_id") == only)
    for pid, day, kind, note in (
        frame.select("partner_id", "occurred_on", "event_type", "note").sort("partner_id", "occurred_on").iter_rows()
    ):
        events[pid].append((day, kind, note))
    packs = []
    for r in results:
        pid = r["partner_id"]
        terminated_by = tuple(n["rule_id"] for n in notices.get(pid, []) if n["kind"] == "terminate")
        packs.append(
            PartnerPack(
                result=r,
                rules=rules.get(pid, []),
                notices=notices.get(pid, []),
                refunds=refunds.get(pid, []),
                conduct=events.get(pid, []),
                trend=trend.get(pid, []),
                hold=HoldInfo.parse(r["holds"], through.get(pid, ()), terminated_by),
            )
        )
    ctx = Context(
        lang,
        period,
        info.status == "draft",
        ruleset,
        dict(config.response.deductions),
        chart_thresholds(config, (period.shift(-i) for i in range(TREND_MONTHS))),
    )
    return ctx, packs


def ticket_frame(tickets: pl.LazyFrame | pl.DataFrame, packs: list[PartnerPack]) -> pl.DataFrame:
    """The valid tickets of the packs' partners, sorted by partner; sets each pack's span in it."""
    lf = tickets.lazy().select(TICKET_COLUMNS)
    if len(packs) == 1:
        lf = lf.filter(pl.col("partner_id") == packs[0].partner_id)
    frame = lf.sort("partner_id", "received_at", "ticket_id").collect()
    spans: dict[str, tuple[int, int]] = {}
    offset = 0
    for pid, n in frame.group_by("partner_id", maintain_order=True).len().iter_rows():
        spans[pid] = (offset, n)
        offset += n
    for pack in packs:
        pack.tickets = spans.get(pack.partner_id, (0, 0))
    return frame

"""Metrics per partner and month (docs/metrics-and-rules.md#metrics).

Per-ticket work is polars expressions over the ticket table (deadlines, late,
pending, resolution hours) aggregated once per partner; the per-partner ratios
are then formed exactly with ``Fraction`` so that rule boundaries (exactly 5.0
per 10k, exactly 75 %) compare without binary rounding.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import polars as pl

from scorecard.clock import ClockSettings, DeadlineSpec, ticket_state, with_deadlines
from scorecard.config import STAGE_METRIC_PREFIX, Config, RuleSet, Window, Windows
from scorecard.inputs.schema import CATEGORIES
from scorecard.periods import Period
from scorecard.settle import RefundFact, refund_deduction

TEN_THOUSAND = 10_000
# A ticket's state: an Enum compares as a small integer, several times faster than text on 10M rows.
STATE = pl.Enum(["on_time", "late", "pending", "invalid", "outside"])


@dataclass(frozen=True, slots=True)
class PartnerMetrics:
    """Everything measured for one partner in one period. Rates are exact; None = empty."""

    partner_id: str
    partner_name: str
    mode: str
    billed_users: int | None
    group_customers: int | None
    valid_complaints: int
    repeat_complaints: int
    major_complaints: int
    complaint_rate_per_10k: Fraction | None
    zero_base: bool  # complaints on a base of 0: the rate is empty but counts as breached
    assessable_tickets: int
    on_time_tickets: int
    late_tickets: int
    pending_tickets: int
    on_time_rate: Fraction | None
    reply_on_time_rate: Fraction | None
    avg_resolution_hours: Fraction | None  # reporting only
    p90_resolution_hours: Fraction | None
    conduct_events: int
    response_score: Decimal
    survey_count: int
    satisfaction: Fraction | None
    refund_total: int  # fen: the refund deduction, from settle.refund_deduction
    gross_amount: int  # fen
    service_cost: int  # fen: valid_complaints × unit_cost
    refunds: tuple[RefundFact, ...] = ()  # the refunds the deduction is made of
    settlement_line: int | None = None  # where gross_amount came from
    survey_total: int = 0  # hundredths of a point, summed
    invalid_tickets: int = 0
    resolved_tickets: int = 0
    resolution_seconds: int = 0
    # per configured stage whose columns were given: (name, on time, late, pending)
    stages: tuple[tuple[str, int, int, int], ...] = ()

    def value(self, name: str) -> Fraction | Decimal | int | None:
        if name.startswith(STAGE_METRIC_PREFIX):
            return self.stage_on_time_rate(name.removeprefix(STAGE_METRIC_PREFIX))
        value: Fraction | Decimal | int | None = getattr(self, name)
        return value

    def stage_on_time_rate(self, stage: str) -> Fraction | None:
        """Like on_time_rate, for one stage: empty when the stage was not measured or nothing was assessable."""
        for name, on_time, late, _ in self.stages:
            if name == stage:
                return _ratio(on_time, on_time + late)
        return None


def cutoff(period: Period, config: Config) -> date:
    """The assessment cut-off day: first day of next month plus the grace days."""
    return period.end.date() + timedelta(days=config.general.cutoff_grace_days)


def _windows(windows: Windows) -> dict[str, Window]:
    return {c: windows.for_category(c) for c in CATEGORIES}


def stage_columns(name: str) -> tuple[str, str]:
    """The ticket columns of a stage: its deadline and its state."""
    return f"deadline:{name}", f"state:{name}"


def ticket_status(
    complaints: pl.LazyFrame,
    period: Period,
    config: Config,
    with_reply: bool,
    pauses: pl.DataFrame | None = None,
    stages: Sequence[str] = (),
) -> pl.LazyFrame:
    """Every ticket with its deadline and state: on_time / late / pending, or invalid.

    A ticket resolved at or before its deadline is on time (the bound
    included); resolved after it, or unresolved with the deadline at or before
    the cut-off, is late; unresolved with the deadline after the cut-off is
    pending and left out of the rate. Deadlines come from :mod:`scorecard.clock`
    (pauses, working days, business hours). ``stages`` are the configured stages
    whose columns the complaints file has; each gets a deadline and a state
    (null when its start is not recorded).
    """
    cut = pl.lit(cutoff(period, config)).cast(pl.Datetime("us"))
    lf = complaints
    specs = [DeadlineSpec("deadline", "received_at", _windows(config.windows.completion))]
    if with_reply:
        specs.append(DeadlineSpec("reply_deadline", "received_at", _windows(config.windows.reply)))
    for name in stages:
        stage = config.windows.stages[name]
        specs.append(DeadlineSpec(stage_columns(name)[0], stage.from_, dict.fromkeys(CATEGORIES, stage.window)))
    lf = with_deadlines(lf, specs, pauses, period, ClockSettings(config.general.business_minutes))
    out = lf.with_columns(
        state=pl.when(~pl.col("valid"))
        .then(pl.lit("invalid", dtype=STATE))
        .otherwise(ticket_state(pl.col("resolved_at"), pl.col("deadline"), cut, STATE)),
        # whole seconds: integer sums do not depend on row order, float sums do
        resolution_seconds=(pl.col("resolved_at") - pl.col("received_at")).dt.total_seconds(),
        resolution_hours=(pl.col("resolved_at") - pl.col("received_at")).dt.total_seconds() / 3600,  # display only
    )
    if with_reply:
        out = out.with_columns(reply_state=ticket_state(pl.col("first_reply_at"), pl.col("reply_deadline"), cut, STATE))
    stage_keep: list[str] = []
    for name in stages:
        stage = config.windows.stages[name]
        deadline, state = stage_columns(name)
        out = out.with_columns(
            pl.when(pl.col(stage.from_).is_null())
            .then(None)
            .otherwise(ticket_state(pl.col(stage.to), pl.col(deadline), cut, STATE))
            .alias(state)
        )
        stage_keep += [c for c in (stage.from_, stage.to) if c not in stage_keep] + [deadline, state]
    keep = [
        "ticket_id",
        "partner_id",
        "received_at",
        "resolved_at",
        "category",
        "valid",
        "is_repeat",
        "is_major",
        "_line",
        "deadline",
        "state",
        "resolution_seconds",
        "resolution_hours",
    ]
    if with_reply:
        keep += ["first_reply_at", "reply_deadline", "reply_state"]
    keep += [c for c in stage_keep if c not in keep]
    return out.select(keep)


def ticket_counts(tickets: pl.LazyFrame, with_reply: bool, stages: Sequence[str] = ()) -> pl.LazyFrame:
    """One row per partner: the counts the metrics are formed from (valid tickets; invalid ones counted apart)."""
    invalid = pl.col("state") == "invalid"
    aggs = [
        invalid.sum().alias("invalid_tickets"),
        pl.len().alias("valid_complaints"),
        pl.col("is_repeat").sum().alias("repeat_complaints"),
        pl.col("is_major").sum().alias("major_complaints"),
        (pl.col("state") == "on_time").sum().alias("on_time_tickets"),
        (pl.col("state") == "late").sum().alias("late_tickets"),
        (pl.col("state") == "pending").sum().alias("pending_tickets"),
        pl.col("resolution_seconds").sum().alias("resolution_seconds"),
        pl.col("resolution_seconds").count().alias("resolved_tickets"),
        pl.col("resolution_seconds").quantile(0.9, interpolation="linear").alias("p90_resolution_seconds"),
    ]
    if with_reply:
        aggs += [
            (pl.col("reply_state") == "on_time").sum().alias("reply_on_time"),
            (pl.col("reply_state") == "late").sum().alias("reply_late"),
        ]
    for name in stages:
        state = pl.col(stage_columns(name)[1])
        aggs += [(state == s).sum().alias(f"{s}:{name}") for s in ("on_time", "late", "pending")]
    valid = tickets.filter(~invalid)
    return (
        tickets.group_by("partner_id")
        .agg(invalid.sum().alias("invalid_tickets"))
        .join(valid.group_by("partner_id").agg(aggs[1:]), on="partner_id", how="left")
        .with_columns(pl.exclude("partner_id", "p90_resolution_seconds").fill_null(0))
    )


def _ratio(num: int, den: int) -> Fraction | None:
    return Fraction(num, den) if den else None


def compute(
    partners: pl.DataFrame,
    billing: pl.DataFrame,
    settlement: pl.DataFrame,
    counts: pl.DataFrame,
    conduct: pl.DataFrame,
    surveys: pl.DataFrame,
    refunds: pl.DataFrame,
    config: Config,
    ruleset: RuleSet,
    with_reply: bool,
    stages: Sequence[str] = (),
) -> list[PartnerMetrics]:
    """Per-partner metrics (a Python loop over partners, not tickets)."""
    deductions = config.response.deductions
    conduct_points = {
        r["partner_id"]: (r["n"], sum((deductions[e] for e in r["events"]), Decimal(0)))
        for r in conduct.group_by("partner_id")
        .agg(pl.len().alias("n"), pl.col("event_type").alias("events"))
        .to_dicts()
    }
    survey = {
        r["partner_id"]: (r["n"], r["total"])
        for r in surveys.group_by("partner_id")
        .agg(pl.len().alias("n"), pl.col("score").sum().alias("total"))
        .to_dicts()
    }
    refund_facts: dict[str, list[RefundFact]] = defaultdict(list)
    for rid, pid, kind, amount, line, customer in (
        refunds.sort("refund_id")
        .select("refund_id", "partner_id", "kind", "amount", "_line", "customer_id")
        .iter_rows()
    ):
        refund_facts[pid].append(RefundFact(rid, kind, amount, line, customer))
    bill = {r["partner_id"]: r for r in billing.to_dicts()}
    gross = {pid: (g, line) for pid, g, line in settlement.select("partner_id", "gross_amount", "_line").iter_rows()}
    count = {r["partner_id"]: r for r in counts.to_dicts()}
    unit_cost_fen = int(ruleset.unit_cost * 100)

    out = []
    for p in partners.sort("partner_id").iter_rows(named=True):
        pid, mode = p["partner_id"], p["mode"]
        c = count.get(pid, {})
        valid = c.get("valid_complaints", 0)
        b = bill[pid]
        base = b["billed_users"] if mode == "C" else b["group_customers"]
        rate = _ratio(valid * TEN_THOUSAND, base) if base else (Fraction(0) if valid == 0 else None)
        on_time, late = c.get("on_time_tickets", 0), c.get("late_tickets", 0)
        n_events, points = conduct_points.get(pid, (0, Decimal(0)))
        n_surveys, total = survey.get(pid, (0, 0))
        out.append(
            PartnerMetrics(
                partner_id=pid,
                partner_name=p["partner_name"],
                mode=mode,
                billed_users=b["billed_users"],
                group_customers=b["group_customers"],
                valid_complaints=valid,
                repeat_complaints=c.get("repeat_complaints", 0),
                major_complaints=c.get("major_complaints", 0),
                complaint_rate_per_10k=rate,
                zero_base=rate is None,
                assessable_tickets=on_time + late,
                on_time_tickets=on_time,
                late_tickets=late,
                pending_tickets=c.get("pending_tickets", 0),
                on_time_rate=_ratio(on_time, on_time + late),
                reply_on_time_rate=(
                    _ratio(c.get("reply_on_time", 0), c.get("reply_on_time", 0) + c.get("reply_late", 0))
                    if with_reply
                    else None
                ),
                avg_resolution_hours=(
                    Fraction(c["resolution_seconds"], 3600 * c["resolved_tickets"])
                    if c.get("resolved_tickets")
                    else None
                ),
                # the interpolated quantile of whole seconds, taken exactly from its decimal text
                p90_resolution_hours=(
                    None
                    if c.get("p90_resolution_seconds") is None
                    else Fraction(str(c["p90_resolution_seconds"])) / 3600
                ),
                conduct_events=n_events,
                response_score=max(Decimal(100) - points, Decimal(0)),
                survey_count=n_surveys,
                # survey scores are hundredths of a point
                satisfaction=Fraction(total, 100 * n_surveys) if n_surveys else None,
                refund_total=refund_deduction(refund_facts.get(pid, ())),
                gross_amount=gross[pid][0],
                service_cost=valid * unit_cost_fen,
                refunds=tuple(refund_facts.get(pid, ())),
                settlement_line=gross[pid][1],
                survey_total=total,
                invalid_tickets=c.get("invalid_tickets", 0),
                resolved_tickets=c.get("resolved_tickets", 0),
                resolution_seconds=c.get("resolution_seconds", 0) or 0,
                stages=tuple(
                    (name, c.get(f"on_time:{name}", 0), c.get(f"late:{name}", 0), c.get(f"pending:{name}", 0))
                    for name in stages
                ),
            )
        )
    return out

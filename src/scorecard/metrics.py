"""Metrics of SPEC §4, per partner and period.

Per-ticket work is polars expressions over the ticket table (deadlines, late,
pending, resolution hours) aggregated once per partner; the per-partner ratios
are then formed exactly with ``Fraction`` so that rule boundaries (exactly 5.0
per 10k, exactly 75 %) compare without binary rounding.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import polars as pl

from scorecard.config import Config, RuleSet, Windows
from scorecard.periods import Period
from scorecard.workdays import deadline_table

TEN_THOUSAND = 10_000
# A ticket's state: an Enum compares as a small integer, several times faster than text on 10M rows.
STATE = pl.Enum(["on_time", "late", "pending"])


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
    refund_total: int  # fen
    gross_amount: int  # fen
    service_cost: int  # fen: valid_complaints × unit_cost

    def value(self, name: str) -> Fraction | Decimal | int | None:
        value: Fraction | Decimal | int | None = getattr(self, name)
        return value


def cutoff(period: Period, config: Config) -> date:
    """The assessment cut-off day: first day of next month plus the grace days."""
    return period.end.date() + timedelta(days=config.general.cutoff_grace_days)


def _deadline(
    received: pl.Expr, category: pl.Expr, windows: Windows, period: Period, prefix: str
) -> tuple[pl.Expr, list[pl.DataFrame]]:
    """Deadline expression per category; working-day windows join lookup tables."""
    lookups: list[pl.DataFrame] = []
    expr = pl.lit(None, dtype=pl.Datetime("us"))
    for cat in ("urgent", "normal", "difficult"):
        w = windows.for_category(cat)
        if w.unit == "h":
            value = received + pl.duration(hours=w.amount)
        else:
            name = f"{prefix}_{cat}_wd"
            lookups.append(
                deadline_table(period.start.date() - timedelta(days=1), period.end.date(), w.amount).rename(
                    {"deadline": name, "receipt_day": f"{name}_day"}
                )
            )
            value = pl.col(name)
        expr = pl.when(category == cat).then(value).otherwise(expr)
    return expr, lookups


def ticket_status(complaints: pl.LazyFrame, period: Period, config: Config, with_reply: bool) -> pl.LazyFrame:
    """Valid tickets with their deadline and state: on_time / late / pending.

    A ticket resolved at or before its deadline is on time (the bound
    included); resolved after it, or unresolved with the deadline at or before
    the cut-off, is late; unresolved with the deadline after the cut-off is
    pending and left out of the rate.
    """
    cut = pl.lit(cutoff(period, config)).cast(pl.Datetime("us"))
    lf = complaints.filter(pl.col("valid"))
    due, lookups = _deadline(pl.col("received_at"), pl.col("category"), config.windows.completion, period, "due")
    exprs: dict[str, pl.Expr] = {"deadline": due}
    if with_reply:
        reply_due, reply_lookups = _deadline(
            pl.col("received_at"), pl.col("category"), config.windows.reply, period, "reply"
        )
        lookups += reply_lookups
        exprs["reply_deadline"] = reply_due
    if lookups:
        lf = lf.with_columns(_receipt_day=pl.col("received_at").dt.date())
        for table in lookups:
            day_col = next(c for c in table.columns if c.endswith("_day"))
            lf = lf.join(table.lazy(), left_on="_receipt_day", right_on=day_col, how="left")
    lf = lf.with_columns(**exprs)
    resolved = pl.col("resolved_at").is_not_null()
    state = (
        pl.when(resolved & (pl.col("resolved_at") <= pl.col("deadline")))
        .then(pl.lit("on_time", dtype=STATE))
        .when(resolved | (pl.col("deadline") <= cut))
        .then(pl.lit("late", dtype=STATE))
        .otherwise(pl.lit("pending", dtype=STATE))
    )
    out = lf.with_columns(
        state=state,
        # whole seconds: integer sums do not depend on row order, float sums do
        resolution_seconds=(pl.col("resolved_at") - pl.col("received_at")).dt.total_seconds(),
        resolution_hours=(pl.col("resolved_at") - pl.col("received_at")).dt.total_seconds() / 3600,  # display only
    )
    if with_reply:
        replied = pl.col("first_reply_at").is_not_null()
        out = out.with_columns(
            reply_state=pl.when(replied & (pl.col("first_reply_at") <= pl.col("reply_deadline")))
            .then(pl.lit("on_time", dtype=STATE))
            .when(replied | (pl.col("reply_deadline") <= cut))
            .then(pl.lit("late", dtype=STATE))
            .otherwise(pl.lit("pending", dtype=STATE))
        )
    keep = [
        "ticket_id",
        "partner_id",
        "received_at",
        "resolved_at",
        "category",
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
    return out.select(keep)


def ticket_counts(tickets: pl.LazyFrame, with_reply: bool) -> pl.LazyFrame:
    """One row per partner: the counts the metrics are formed from."""
    aggs = [
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
    return tickets.group_by("partner_id").agg(aggs)


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
    multiplier = pl.when(pl.col("kind") == "double").then(2).otherwise(1)
    refund = dict(refunds.group_by("partner_id").agg((pl.col("amount") * multiplier).sum().alias("r")).iter_rows())
    bill = {r["partner_id"]: r for r in billing.to_dicts()}
    gross = dict(settlement.select("partner_id", "gross_amount").iter_rows())
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
                refund_total=refund.get(pid, 0),
                gross_amount=gross[pid],
                service_cost=valid * unit_cost_fen,
            )
        )
    return out

"""Metrics per partner and month (docs/metrics-and-rules.md#metrics).

Per-ticket work is polars expressions over the ticket table (deadlines, late,
pending, resolution hours) aggregated once per partner; the per-partner ratios
are then formed exactly with ``Fraction`` so that rule boundaries (exactly 5.0
per 10k, exactly 75 %) compare without binary rounding.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import polars as pl

from scorecard.clock import ClockSettings, DeadlineSpec, ticket_state, with_deadlines
from scorecard.config import STAGE_METRIC_PREFIX, Config, RuleSet, Window, Windows
from scorecard.engine.reduced import reduced
from scorecard.inputs.schema import CATEGORIES
from scorecard.periods import Period
from scorecard.settle import REFUND_MULTIPLIER, RefundFact

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
    ]
    if with_reply:
        keep += ["first_reply_at", "reply_deadline", "reply_state"]
    keep += [c for c in stage_keep if c not in keep]
    if "reopen_count" in complaints.collect_schema().names():  # carried for the record's tickets
        keep.append("reopen_count")
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


def _fraction(num: int | None, den: int | None) -> Fraction | None:
    return None if num is None or den is None else Fraction(num, den)


# The exact values a metrics frame keeps as reduced pairs ``<name>_num`` / ``<name>_den`` (null: empty).
PAIRS = (
    "complaint_rate",
    "on_time_rate",
    "reply_on_time_rate",
    "avg_resolution_hours",
    "p90_resolution_hours",
    "satisfaction",
)
# Per-partner columns of a metrics frame (the stages' counts come after them).
FRAME_SCHEMA: dict[str, pl.DataType] = {
    "partner_id": pl.String(),
    "partner_name": pl.String(),
    "mode": pl.String(),
    "billed_users": pl.Int64(),
    "group_customers": pl.Int64(),
    "valid_complaints": pl.Int64(),
    "repeat_complaints": pl.Int64(),
    "major_complaints": pl.Int64(),
    "invalid_tickets": pl.Int64(),
    "on_time_tickets": pl.Int64(),
    "late_tickets": pl.Int64(),
    "pending_tickets": pl.Int64(),
    "zero_base": pl.Boolean(),
    "resolved_tickets": pl.Int64(),
    "resolution_seconds": pl.Int64(),
    "conduct_events": pl.Int64(),
    "response_score": pl.String(),  # the Decimal's text
    "response_hundredths": pl.Int64(),  # the score × 100; null when finer than hundredths
    "survey_count": pl.Int64(),
    "survey_total": pl.Int64(),
    "refund_total": pl.Int64(),
    "gross_amount": pl.Int64(),
    "service_cost": pl.Int64(),
    "settlement_line": pl.Int64(),
} | {f"{name}_{end}": pl.Int64() for name in PAIRS for end in ("num", "den")}
REFUND_SCHEMA: dict[str, pl.DataType] = {
    "refund_id": pl.String(),
    "partner_id": pl.String(),
    "kind": pl.String(),
    "amount": pl.Int64(),
    "multiplier": pl.Int64(),
    "deduction": pl.Int64(),
    "customer_id": pl.String(),
    "line": pl.Int64(),
}
_COUNTS = (
    "invalid_tickets",
    "valid_complaints",
    "repeat_complaints",
    "major_complaints",
    "on_time_tickets",
    "late_tickets",
    "pending_tickets",
    "resolution_seconds",
    "resolved_tickets",
)


def stage_count_columns(stage: str) -> tuple[str, str, str]:
    """A metrics frame's (and ticket_counts') columns of a stage: on time, late, pending."""
    return f"on_time:{stage}", f"late:{stage}", f"pending:{stage}"


@dataclass(frozen=True, slots=True)
class MetricsFrame:
    """The month's metrics as frames, every value exact in integers.

    ``partners``: one row per partner in partner order (:data:`FRAME_SCHEMA`, then the counts of
    each of ``stages``, the stages measured this month); every rate a pair in lowest terms, as
    ``Fraction`` keeps it. ``refunds``: the refunds of those partners, by partner and refund id
    (:data:`REFUND_SCHEMA`). :meth:`objects` turns the rows into :class:`PartnerMetrics`.
    """

    partners: pl.DataFrame
    refunds: pl.DataFrame
    stages: tuple[str, ...] = ()

    def objects(self) -> list[PartnerMetrics]:
        """One PartnerMetrics per row (for the Fraction engine and whatever reads metrics one by one)."""
        facts: dict[str, list[RefundFact]] = defaultdict(list)
        for rid, pid, kind, amount, line, customer in self.refunds.select(
            "refund_id", "partner_id", "kind", "amount", "line", "customer_id"
        ).iter_rows():
            facts[pid].append(RefundFact(rid, kind, amount, line, customer))
        out = []
        for r in self.partners.iter_rows(named=True):
            pid = r["partner_id"]
            on_time, late = r["on_time_tickets"], r["late_tickets"]
            out.append(
                PartnerMetrics(
                    partner_id=pid,
                    partner_name=r["partner_name"],
                    mode=r["mode"],
                    billed_users=r["billed_users"],
                    group_customers=r["group_customers"],
                    valid_complaints=r["valid_complaints"],
                    repeat_complaints=r["repeat_complaints"],
                    major_complaints=r["major_complaints"],
                    complaint_rate_per_10k=_fraction(r["complaint_rate_num"], r["complaint_rate_den"]),
                    zero_base=r["zero_base"],
                    assessable_tickets=on_time + late,
                    on_time_tickets=on_time,
                    late_tickets=late,
                    pending_tickets=r["pending_tickets"],
                    on_time_rate=_fraction(r["on_time_rate_num"], r["on_time_rate_den"]),
                    reply_on_time_rate=_fraction(r["reply_on_time_rate_num"], r["reply_on_time_rate_den"]),
                    avg_resolution_hours=_fraction(r["avg_resolution_hours_num"], r["avg_resolution_hours_den"]),
                    p90_resolution_hours=_fraction(r["p90_resolution_hours_num"], r["p90_resolution_hours_den"]),
                    conduct_events=r["conduct_events"],
                    response_score=Decimal(r["response_score"]),
                    survey_count=r["survey_count"],
                    satisfaction=_fraction(r["satisfaction_num"], r["satisfaction_den"]),
                    refund_total=r["refund_total"],
                    gross_amount=r["gross_amount"],
                    service_cost=r["service_cost"],
                    refunds=tuple(facts.get(pid, ())),
                    settlement_line=r["settlement_line"],
                    survey_total=r["survey_total"],
                    invalid_tickets=r["invalid_tickets"],
                    resolved_tickets=r["resolved_tickets"],
                    resolution_seconds=r["resolution_seconds"],
                    stages=tuple((s, *(r[c] for c in stage_count_columns(s))) for s in self.stages),
                )
            )
        return out

    @classmethod
    def of(cls, metrics: Sequence[PartnerMetrics]) -> MetricsFrame:
        """The frame of metrics formed one by one (tests, and metrics made without a frame). The stages
        are those any partner measured; a partner that did not measure one has null counts for it."""
        stages = list(dict.fromkeys(name for m in metrics for name, *_ in m.stages))
        rows: list[tuple[Any, ...]] = []
        refunds: list[tuple[Any, ...]] = []
        for m in metrics:
            hundredths = m.response_score * 100
            measured = {name: counts for name, *counts in m.stages}
            rows.append(
                (
                    m.partner_id,
                    m.partner_name,
                    m.mode,
                    m.billed_users,
                    m.group_customers,
                    m.valid_complaints,
                    m.repeat_complaints,
                    m.major_complaints,
                    m.invalid_tickets,
                    m.on_time_tickets,
                    m.late_tickets,
                    m.pending_tickets,
                    m.zero_base,
                    m.resolved_tickets,
                    m.resolution_seconds,
                    m.conduct_events,
                    str(m.response_score),
                    int(hundredths) if hundredths == hundredths.to_integral_value() else None,
                    m.survey_count,
                    m.survey_total,
                    m.refund_total,
                    m.gross_amount,
                    m.service_cost,
                    m.settlement_line,
                    *(
                        x
                        for v in (
                            m.complaint_rate_per_10k,
                            m.on_time_rate,
                            m.reply_on_time_rate,
                            m.avg_resolution_hours,
                            m.p90_resolution_hours,
                            m.satisfaction,
                        )
                        for x in ((None, None) if v is None else (v.numerator, v.denominator))
                    ),
                    *(x for s in stages for x in measured.get(s, (None, None, None))),
                )
            )
            refunds += [
                (f.refund_id, m.partner_id, f.kind, f.amount, f.multiplier, f.deduction, f.customer_id, f.line)
                for f in m.refunds
            ]
        schema = FRAME_SCHEMA | {c: pl.Int64() for s in stages for c in stage_count_columns(s)}
        return cls(
            pl.DataFrame(rows, schema=schema, orient="row"),
            pl.DataFrame(refunds, schema=REFUND_SCHEMA, orient="row"),
            tuple(stages),
        )


def _response(conduct: pl.DataFrame, deductions: dict[str, Decimal]) -> pl.DataFrame:
    """partner_id, conduct_events, response_score (text) and response_hundredths per partner with events.

    The score is 100 less the events' Decimal deductions, floored at 0, in Decimal as configured
    (its text keeps the deductions' places). It depends only on which events a partner had, so it
    is worked out once per distinct set of events, not once per partner."""
    per = conduct.group_by("partner_id").agg(
        pl.len().cast(pl.Int64).alias("conduct_events"),
        pl.col("event_type").cast(pl.String).sort().str.join("\n").alias("_events"),
    )
    kinds = per.get_column("_events").unique().to_list()
    texts: list[str] = []
    hundredths: list[int | None] = []
    for events in kinds:
        points = sum((deductions[e] for e in events.split("\n")), Decimal(0))
        score = max(Decimal(100) - points, Decimal(0))
        h = score * 100
        texts.append(str(score))
        hundredths.append(int(h) if h == h.to_integral_value() else None)
    scores = pl.DataFrame(
        {"_events": kinds, "response_score": texts, "response_hundredths": hundredths},
        schema={"_events": pl.String, "response_score": pl.String, "response_hundredths": pl.Int64},
    )
    return per.join(scores, on="_events", how="left").drop("_events")


def _p90_hours(seconds: pl.Series) -> tuple[pl.Series, pl.Series]:
    """The p90 resolution time in hours as (num, den) in lowest terms: the interpolated quantile of
    whole seconds (a float) taken exactly from its shortest decimal text, over 3600. Python's
    integers: the text can have 17 digits, and over 3600 the terms can pass 64 bits before reducing."""
    num: list[int | None] = []
    den: list[int | None] = []
    for x in seconds.to_list():
        if x is None:
            num.append(None)
            den.append(None)
        else:
            n, d = Decimal(str(x)).as_integer_ratio()
            g = math.gcd(n, d * 3600)
            num.append(n // g)
            den.append(d * 3600 // g)
    return pl.Series(num, dtype=pl.Int64), pl.Series(den, dtype=pl.Int64)


def metrics_frame(
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
) -> MetricsFrame:
    """Per-partner metrics as one frame (docs/metrics-and-rules.md#metrics): column expressions over
    the partners, their counts and their facts, with every rate an exact pair in lowest terms."""
    c = pl.col
    stage_cols = [col for s in stages for col in stage_count_columns(s)]
    want = ["partner_id", *_COUNTS, *(("reply_on_time", "reply_late") if with_reply else ()), *stage_cols]
    count = counts.select(
        c("partner_id"),
        *(c(k).cast(pl.Int64) for k in want[1:]),
        c("p90_resolution_seconds").cast(pl.Float64),
    )
    survey = surveys.group_by("partner_id").agg(
        pl.len().cast(pl.Int64).alias("survey_count"), c("score").sum().cast(pl.Int64).alias("survey_total")
    )
    facts = (
        refunds.select(
            "refund_id",
            "partner_id",
            c("kind").cast(pl.String),
            c("amount").cast(pl.Int64),
            c("kind").cast(pl.String).replace_strict(REFUND_MULTIPLIER, return_dtype=pl.Int64).alias("multiplier"),
            c("customer_id").cast(pl.String),
            c("_line").cast(pl.Int64).alias("line"),
        )
        .join(partners.select("partner_id"), on="partner_id", how="semi")
        .with_columns(deduction=c("amount") * c("multiplier"))
        .sort("partner_id", "refund_id", maintain_order=True)
        .select(list(REFUND_SCHEMA))
    )
    refund_total = facts.group_by("partner_id").agg(c("deduction").sum().alias("refund_total"))
    for table in (billing, settlement):  # the loaded inputs have a row of each for every partner
        missing = partners.join(table, on="partner_id", how="anti")
        if not missing.is_empty():
            raise KeyError(missing.get_column("partner_id")[0])
    frame = (
        partners.select("partner_id", "partner_name", "mode")
        .sort("partner_id")
        .join(billing.select("partner_id", "billed_users", "group_customers"), on="partner_id", how="left")
        .join(
            settlement.select("partner_id", "gross_amount", c("_line").alias("settlement_line")),
            on="partner_id",
            how="left",
        )
        .join(count, on="partner_id", how="left")
        .join(_response(conduct, config.response.deductions), on="partner_id", how="left")
        .join(survey, on="partner_id", how="left")
        .join(refund_total, on="partner_id", how="left")
    )
    base = pl.when(c("mode") == "C").then(c("billed_users")).otherwise(c("group_customers")).fill_null(0)
    valid, on_time, late = c("valid_complaints"), c("on_time_tickets"), c("late_tickets")
    none = pl.lit(None, dtype=pl.Int64)
    reply = (c("reply_on_time"), c("reply_on_time") + c("reply_late")) if with_reply else (none, none)
    unit_cost_fen = int(ruleset.unit_cost * 100)
    frame = frame.with_columns(
        *(c(k).fill_null(0) for k in (*want[1:], "conduct_events", "survey_count", "survey_total", "refund_total")),
        # no conduct events: the full 100 points
        c("response_score").fill_null(str(Decimal(100) - Decimal(0))),
        pl.when(c("response_score").is_null())
        .then(100 * 100)
        .otherwise(c("response_hundredths"))
        .alias("response_hundredths"),
    ).with_columns(
        # a base of 0 (or none): no complaints is a rate of 0, complaints an empty rate that counts
        complaint_rate_num=pl.when(base > 0).then(valid * TEN_THOUSAND).when(valid == 0).then(0),
        complaint_rate_den=pl.when(base > 0).then(base).when(valid == 0).then(1),
        zero_base=(base <= 0) & (valid > 0),
        on_time_rate_num=pl.when(on_time + late > 0).then(on_time),
        on_time_rate_den=pl.when(on_time + late > 0).then(on_time + late),
        reply_on_time_rate_num=pl.when(reply[1] > 0).then(reply[0]),
        reply_on_time_rate_den=pl.when(reply[1] > 0).then(reply[1]),
        avg_resolution_hours_num=pl.when(c("resolved_tickets") > 0).then(c("resolution_seconds")),
        avg_resolution_hours_den=pl.when(c("resolved_tickets") > 0).then(c("resolved_tickets") * 3600),
        # survey scores are hundredths of a point
        satisfaction_num=pl.when(c("survey_count") > 0).then(c("survey_total")),
        satisfaction_den=pl.when(c("survey_count") > 0).then(c("survey_count") * 100),
        service_cost=valid * unit_cost_fen,
    )
    p90_num, p90_den = _p90_hours(frame.get_column("p90_resolution_seconds"))
    frame = frame.with_columns(p90_resolution_hours_num=p90_num, p90_resolution_hours_den=p90_den)
    frame = reduced(frame, {name: (f"{name}_num", f"{name}_den") for name in PAIRS if name != "p90_resolution_hours"})
    schema = FRAME_SCHEMA | dict.fromkeys(stage_cols, pl.Int64())
    return MetricsFrame(frame.select(list(schema)).cast(schema), facts, tuple(stages))  # type: ignore[arg-type]


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
    """Per-partner metrics as objects: the rows of :func:`metrics_frame`."""
    return metrics_frame(
        partners, billing, settlement, counts, conduct, surveys, refunds, config, ruleset, with_reply, stages
    ).objects()

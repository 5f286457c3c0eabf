"""Metric values as exact pairs ``<metric>_num / <metric>_den`` from per-partner counts.

The same definitions as :mod:`scorecard.metrics` (docs/metrics-and-rules.md),
without ``Fraction``: a rate is kept as its two integers, null when empty. The
pairs are not reduced; a rule or a score only ever cross-multiplies them.
"""

from __future__ import annotations

import polars as pl

from scorecard.config import STAGE_METRIC_PREFIX
from scorecard.engine.exact import COUNT_LIMIT, FEN_LIMIT, TERM_LIMIT, check_bounds

TEN_THOUSAND = 10_000

# The per-partner input: column -> (dtype, nullable, exclusive bound on magnitude).
COMPONENTS: dict[str, tuple[pl.DataType, bool, int | None]] = {
    "partner_id": (pl.String(), False, None),
    "mode": (pl.String(), False, None),  # "C" or "EMP"
    "billed_users": (pl.Int64(), True, COUNT_LIMIT),  # the complaint-rate base of C partners
    "group_customers": (pl.Int64(), True, COUNT_LIMIT),  # … of EMP partners
    "valid_complaints": (pl.Int64(), False, COUNT_LIMIT),
    "repeat_complaints": (pl.Int64(), False, COUNT_LIMIT),
    "major_complaints": (pl.Int64(), False, COUNT_LIMIT),
    "on_time_tickets": (pl.Int64(), False, COUNT_LIMIT),
    "late_tickets": (pl.Int64(), False, COUNT_LIMIT),
    "reply_on_time": (pl.Int64(), True, COUNT_LIMIT),  # null: the complaints carry no first_reply_at
    "reply_late": (pl.Int64(), True, COUNT_LIMIT),
    "resolved_tickets": (pl.Int64(), False, COUNT_LIMIT),
    "resolution_seconds": (pl.Int64(), False, TERM_LIMIT),  # sum over resolved tickets
    "p90_hours_num": (pl.Int64(), True, TERM_LIMIT),  # the p90 resolution time in hours, exactly
    "p90_hours_den": (pl.Int64(), True, TERM_LIMIT),
    "response_hundredths": (pl.Int64(), False, TERM_LIMIT),  # response score × 100
    "survey_count": (pl.Int64(), False, COUNT_LIMIT),
    "survey_total": (pl.Int64(), False, TERM_LIMIT),  # sum of survey scores, hundredths of a point
    "refund_total": (pl.Int64(), False, FEN_LIMIT),  # fen
    "gross_amount": (pl.Int64(), False, FEN_LIMIT),  # fen
    "service_cost": (pl.Int64(), False, FEN_LIMIT),  # fen
}

# Metrics whose value can be empty (null pair); the others are always present.
NULLABLE = frozenset(
    {
        "complaint_rate_per_10k",
        "on_time_rate",
        "reply_on_time_rate",
        "avg_resolution_hours",
        "p90_resolution_hours",
        "satisfaction",
    }
)
# Metrics whose denominator is the same for every partner (the value's own scale).
FIXED_DEN: dict[str, int] = {
    "valid_complaints": 1,
    "repeat_complaints": 1,
    "major_complaints": 1,
    "response_score": 100,
    "refund_total": 1,
    "service_cost": 1,
    "gross_amount": 1,
}


def _pair(num: pl.Expr, den: pl.Expr, present: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    none = pl.lit(None, dtype=pl.Int64)
    return pl.when(present).then(num).otherwise(none), pl.when(present).then(den).otherwise(none)


def metric_pairs() -> dict[str, tuple[pl.Expr, pl.Expr]]:
    """Every rule/score metric as (numerator, denominator) Int64 expressions over the components.

    Products formed here stay in Int64: ``valid × 10000 < 2**54``,
    ``3600 × resolved < 2**52``, ``100 × surveys < 2**47``.
    """
    c = pl.col
    valid = c("valid_complaints")
    base = pl.when(c("mode") == "C").then(c("billed_users")).otherwise(c("group_customers")).fill_null(0)
    # Complaints on a base of 0: empty (and breached under zero_base = "breach"); no complaints: 0.
    rate_num = pl.when(base > 0).then(valid * TEN_THOUSAND).otherwise(0)
    rate_den = pl.when(base > 0).then(base).otherwise(1)
    assessable = c("on_time_tickets") + c("late_tickets")
    replies = c("reply_on_time") + c("reply_late")
    one = pl.lit(1, dtype=pl.Int64)
    return {
        "valid_complaints": (valid, one),
        "repeat_complaints": (c("repeat_complaints"), one),
        "major_complaints": (c("major_complaints"), one),
        "complaint_rate_per_10k": _pair(rate_num, rate_den, (base > 0) | (valid == 0)),
        "on_time_rate": _pair(c("on_time_tickets"), assessable, assessable > 0),
        "reply_on_time_rate": _pair(c("reply_on_time"), replies, replies.fill_null(0) > 0),
        "avg_resolution_hours": _pair(c("resolution_seconds"), c("resolved_tickets") * 3600, c("resolved_tickets") > 0),
        "p90_resolution_hours": _pair(
            c("p90_hours_num"), c("p90_hours_den"), c("p90_hours_num").is_not_null() & c("p90_hours_den").is_not_null()
        ),
        "response_score": (c("response_hundredths"), pl.lit(100, dtype=pl.Int64)),
        "satisfaction": _pair(c("survey_total"), c("survey_count") * 100, c("survey_count") > 0),
        "refund_total": (c("refund_total"), one),
        "service_cost": (c("service_cost"), one),
        "gross_amount": (c("gross_amount"), one),
    }


def zero_base() -> pl.Expr:
    """Complaints on a complaint-rate base of 0 (or no base at all)."""
    base = pl.when(pl.col("mode") == "C").then(pl.col("billed_users")).otherwise(pl.col("group_customers"))
    return (base.fill_null(0) <= 0) & (pl.col("valid_complaints") > 0)


def check_components(components: pl.DataFrame) -> None:
    """The schema of the input and the bounds the overflow reasoning rests on."""
    missing = [c for c in COMPONENTS if c not in components.columns]
    if missing:
        raise ValueError(f"metric components: missing columns {', '.join(missing)}")
    for name, (dtype, nullable, _) in COMPONENTS.items():
        actual = components.schema[name]
        if actual != dtype and not (dtype.is_integer() and actual.is_integer()) and actual != pl.Null:
            raise ValueError(f"metric components: {name} is {actual} (expected {dtype})")
        if not nullable and components[name].null_count():
            raise ValueError(f"metric components: {name} has empty values (expected a value for every partner)")
    counts = [k for k, v in COMPONENTS.items() if v[2] == COUNT_LIMIT]
    negative = components.filter(pl.any_horizontal([pl.col(c) < 0 for c in counts]))
    if not negative.is_empty():
        raise ValueError(f"metric components: a negative count (partner {negative['partner_id'][0]})")
    bad_den = components.filter(pl.col("p90_hours_den") <= 0)
    if not bad_den.is_empty():
        raise ValueError(f"metric components: p90_hours_den must be > 0 (partner {bad_den['partner_id'][0]})")
    if components["partner_id"].is_duplicated().any():
        raise ValueError("metric components: a partner appears twice (expected one row per partner)")
    limits = {k: v[2] for k, v in COMPONENTS.items() if v[2] is not None}
    limits |= {c: COUNT_LIMIT for c in components.columns if c.startswith(("stage_on_time:", "stage_late:"))}
    check_bounds(components, limits, "metric components")
    stage = [c for c in components.columns if c.startswith(("stage_on_time:", "stage_late:"))]
    if stage and not components.filter(pl.any_horizontal([pl.col(c) < 0 for c in stage])).is_empty():
        raise ValueError("metric components: a negative stage count")


def stage_columns(stage: str) -> tuple[str, str]:
    """The optional component columns of a stage: its on-time and late tickets (null: the stage
    was not measured this month)."""
    return f"stage_on_time:{stage}", f"stage_late:{stage}"


def stage_pair(stage: str, columns: list[str]) -> tuple[pl.Expr, pl.Expr]:
    """``stage_on_time_rate:<stage>`` as a pair: on time / (on time + late), empty when the stage
    was not measured or nothing was assessable (as PartnerMetrics.stage_on_time_rate); Int64, as
    the counts are below 2**40."""
    on_time, late = stage_columns(stage)
    if on_time not in columns or late not in columns:
        none = pl.lit(None, dtype=pl.Int64)
        return none, none
    assessable = pl.col(on_time) + pl.col(late)
    return _pair(pl.col(on_time), assessable, assessable.fill_null(0) > 0)


def values_frame(components: pl.LazyFrame, stages: list[str] | None = None) -> pl.LazyFrame:
    """partner_id, mode, zero_base and ``<metric>_num`` / ``<metric>_den`` for every metric (and
    for ``stage_on_time_rate:<stage>`` of each of ``stages``).

    ``_row`` numbers the partners in input order: later stages sort on it, an
    integer, rather than on the partner's id (several times faster).
    """
    cols = [
        pl.col("partner_id"),
        pl.col("mode"),
        zero_base().alias("zero_base"),
        pl.int_range(pl.len(), dtype=pl.UInt32).alias("_row"),
    ]
    pairs = metric_pairs()
    names = components.collect_schema().names()
    for stage in stages or []:
        pairs[f"{STAGE_METRIC_PREFIX}{stage}"] = stage_pair(stage, names)
    for name, (num, den) in pairs.items():
        cols += [num.cast(pl.Int64).alias(f"{name}_num"), den.cast(pl.Int64).alias(f"{name}_den")]
    return components.select(cols)

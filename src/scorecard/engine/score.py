"""Sub-scores, the weighted score and its band, exactly, as polars expressions.

For a metric ``x = a/b`` (``b > 0``) and a points table ``(xᵢ, yᵢ)`` written
over integers ``xᵢ = Xᵢ/X``, ``yᵢ = Yᵢ/Y``, the sub-score on a segment
``xᵢ < x ≤ xᵢ₊₁`` is ``yᵢ + (yᵢ₊₁ − yᵢ)(x − xᵢ)/(xᵢ₊₁ − xᵢ)``, that is

    n / (Y·L·b)   with   n = Yᵢ·L·b + (Yᵢ₊₁ − Yᵢ)·(a·X − Xᵢ·b)·(L/ΔXᵢ)

where ``L`` is the lcm of the segments' widths ``ΔXᵢ``: one denominator per
metric whatever the segment. Within a segment ``|a·X − Xᵢ·b| ≤ ΔXᵢ·b``, so
``|n| ≤ max|Yᵢ|·L·b``. Sub-scores of 0–100 metrics are ``clip(a, 0, 100·b)/b``.

The score is ``Σ wₘ·subₘ`` over one common denominator ``Wd·C·P``: ``Wd`` the
lcm of the weights' denominators, ``C`` the lcm of the metrics' constant
denominators and ``P`` the product of the partner's variable ones (the rate
denominators: base, assessable tickets, surveys …; 1 for an empty metric). It
is rounded half up to hundredths once. All of this is Int128; the numerator is
bounded by ``200·Σ|Wn|·S·C·P`` (``S`` the largest sub-score); that bound is
kept per partner in bits (``score_bits``, from ``log2`` of each factor) and
:func:`check_scores` refuses a month where it reaches 2**126 rather than let
Int128 wrap. With the default weights ``P`` is base × assessable tickets, far
below that; only several rates on bases near 2**40 at once reach it.

Points tables take a metric as the engine holds it (money in fen), as the
Fraction engine does.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import polars as pl

from scorecard.config import RuleSet
from scorecard.engine.exact import ENGINE, I128, div_half_up, lcm, lit128, rational, wide
from scorecard.engine.values import FIXED_DEN, NULLABLE

SELF_SCORED = frozenset({"response_score", "satisfaction"})
MODES = ("C", "EMP")
BIT_BUDGET = 126  # Int128 holds magnitudes below 2**127; one bit of margin for the float bound


@dataclass(frozen=True)
class MetricScore:
    """How one metric becomes a sub-score: ``n / (K·b)``, ``b`` fixed or the partner's denominator."""

    metric: str
    table: tuple[tuple[int, int], ...]  # (Xᵢ, Yᵢ) scaled points; empty for 0–100 metrics
    x_scale: int  # X
    y_scale: int  # Y
    width_lcm: int  # L
    fixed_den: int | None  # the value's constant denominator, or None when it varies by partner
    top: int  # an integer bound on |sub-score|

    @property
    def k(self) -> int:
        return self.y_scale * self.width_lcm

    @property
    def const_den(self) -> int:
        return self.k * (self.fixed_den or 1)


def _metric_score(ruleset: RuleSet, metric: str) -> MetricScore:
    fixed = FIXED_DEN.get(metric)
    if metric in SELF_SCORED:
        return MetricScore(metric, (), 1, 1, 1, fixed, 100)
    points = {str(k): v for k, v in ruleset.score.points.items()}.get(metric)
    if not points:
        raise ValueError(f"score: {metric} has a weight but no points table")
    exact = sorted((Fraction(x), Fraction(y)) for x, y in points)
    for x, y in exact:
        rational(x), rational(y)  # refuses numbers too long for the bounds below
    x_scale = lcm([x.denominator for x, _ in exact])
    y_scale = lcm([y.denominator for _, y in exact])
    table = tuple((int(x * x_scale), int(y * y_scale)) for x, y in exact)
    widths = [x1 - x0 for (x0, _), (x1, _) in itertools.pairwise(table) if x1 > x0]
    width_lcm = lcm(widths)
    top = max(100, math.ceil(max(abs(y) for _, y in exact)))
    # b·Xᵢ and a·X must stay below 2**124 for values below 2**62; n below 2**126 (see the module docstring).
    if max(x_scale, *(abs(x) for x, _ in table)).bit_length() > 62 or (
        (max(abs(y) for _, y in table) * width_lcm * 4).bit_length() + 62 > BIT_BUDGET
    ):
        raise ValueError(f"score: the points of {metric} have too many digits for exact 128-bit arithmetic")
    return MetricScore(metric, table, x_scale, y_scale, width_lcm, fixed, top)


def _sub_numerator(ms: MetricScore, a: pl.Expr, b: pl.Expr) -> pl.Expr:
    """n of ``sub = n / (K·b)`` for a present value ``a/b`` (Int128)."""
    a, b = wide(a), wide(b)
    if not ms.table:
        return pl.min_horizontal(pl.max_horizontal(a, lit128(0)), b * 100)
    ell = ms.width_lcm
    scaled_x = a * ms.x_scale
    (x0, y0) = ms.table[0]
    expr: Any = pl.when(scaled_x <= b * x0).then(b * (y0 * ell))  # When/Then chains: polars' own types
    for (xi, yi), (xj, yj) in itertools.pairwise(ms.table):
        if xj <= xi:
            continue  # a zero-width step is never reached: x ≤ xᵢ was caught before it
        step = (yj - yi) * (ell // (xj - xi))
        expr = expr.when(scaled_x <= b * xj).then(b * (yi * ell) + (scaled_x - b * xi) * step)
    out: pl.Expr = expr.otherwise(b * (ms.table[-1][1] * ell))
    return out


@dataclass(frozen=True)
class ModePlan:
    mode: str
    weights: dict[str, tuple[int, int]]  # metric -> (Wn, Wd) as configured, before any fallback
    weight_den: int  # Wd
    candidates: tuple[str, ...]  # every metric that can carry weight once fallbacks apply
    fallback: tuple[tuple[str, str], ...]


def _mode_plan(ruleset: RuleSet, mode: str) -> ModePlan | None:
    configured = ruleset.score.weights.get(mode)  # type: ignore[call-overload]
    if configured is None:
        return None
    fracs = {m: Fraction(w) for m, w in configured.items()}
    for w in fracs.values():
        rational(w)
    wd = lcm([f.denominator for f in fracs.values()])
    candidates = list(fracs)
    for src, target in ruleset.score.fallback.items():
        if src in candidates and src in NULLABLE and target not in candidates:
            candidates.append(target)
    return ModePlan(
        mode,
        {m: (int(f * wd), wd) for m, f in fracs.items()},
        wd,
        tuple(candidates),
        tuple(ruleset.score.fallback.items()),
    )


def _weights(plan: ModePlan) -> tuple[dict[str, pl.Expr], dict[str, pl.Expr]]:
    """Per partner, each candidate's weight numerator over Wd and whether it is weighted at all.

    Replays the fallbacks in their configured order, as the Fraction engine
    does on a dict: an empty metric's weight moves onto its target.
    """
    present = {m: pl.lit(m in plan.weights) for m in plan.candidates}
    weight = {m: pl.lit(plan.weights.get(m, (0, 1))[0], dtype=pl.Int64) for m in plan.candidates}
    for src, target in plan.fallback:
        if src not in present:
            continue
        moves = present[src] & pl.col(f"{src}_num").is_null()
        moved = weight.get(target, pl.lit(0, dtype=pl.Int64)) + weight[src]
        present[src] = present[src] & ~moves
        weight[src] = pl.when(moves).then(0).otherwise(weight[src])
        present[target] = present.get(target, pl.lit(False)) | moves
        weight[target] = pl.when(moves).then(moved).otherwise(weight.get(target, pl.lit(0, dtype=pl.Int64)))
    return weight, present


def score_frame(ruleset: RuleSet, values: pl.LazyFrame) -> tuple[pl.LazyFrame, list[str]]:
    """Per partner: every candidate's sub-score and weight, the exact score, rounded score and band.

    Columns: ``sub_<m>_num``, ``sub_<m>_den`` (Int128), ``weight_<m>_num``
    (Int64, over ``weight_den``), ``weighted_<m>``; ``score_num``/``score_den``
    (Int128), ``score`` (hundredths, Int64), ``band``, ``band_min_num``/``_den``,
    ``band_share_num``/``_den``, ``score_bits`` (the overflow bound, in bits).
    """
    plans = {mode: _mode_plan(ruleset, mode) for mode in MODES}
    metrics = sorted({m for p in plans.values() if p for m in p.candidates})
    scorers = {m: _metric_score(ruleset, m) for m in metrics}
    zero_base_breaches = ruleset.zero_base == "breach"

    cols: list[pl.Expr] = []
    for m in metrics:
        ms = scorers[m]
        a, b = pl.col(f"{m}_num"), pl.col(f"{m}_den")
        # An empty complaint rate that counts as breached scores 0; any other empty metric 100.
        empty = 0 if m != "complaint_rate_per_10k" or not zero_base_breaches else None
        empty_sub = (
            pl.when(pl.col("zero_base")).then(lit128(0)).otherwise(lit128(100 * ms.k))
            if empty is None
            else lit128(100 * ms.k)
        )
        var_den = ms.fixed_den is None
        eff_b = pl.when(a.is_null()).then(lit128(1)).otherwise(wide(b)) if var_den else lit128(ms.fixed_den or 1)
        cols += [
            pl.when(a.is_null()).then(empty_sub).otherwise(_sub_numerator(ms, a, b)).alias(f"sub_{m}_num"),
            (eff_b * ms.k if var_den else lit128(ms.const_den)).alias(f"sub_{m}_den"),
            eff_b.alias(f"_b_{m}"),
        ]
    staged = values.with_columns(cols)

    by_mode = []
    for mode, plan in plans.items():
        if plan is None:
            continue
        weight, present = _weights(plan)
        variable = [m for m in plan.candidates if scorers[m].fixed_den is None]
        c = lcm([scorers[m].const_den for m in plan.candidates])
        product = lit128(1)
        for m in variable:
            product = product * pl.col(f"_b_{m}")
        terms = []
        for m in plan.candidates:
            ms = scorers[m]
            term = wide(weight[m]) * pl.col(f"sub_{m}_num") * (c // ms.const_den)
            for other in variable:
                if other != m:
                    term = term * pl.col(f"_b_{other}")
            terms.append(pl.when(present[m]).then(term).otherwise(lit128(0)))
        # A fallback onto itself doubles a weight: bound each weight by Σ|Wn|·2**(number of fallbacks).
        weight_bound = sum(abs(w) for w, _ in plan.weights.values()) << len(plan.fallback)
        const = 200 * weight_bound * max(scorers[m].top for m in plan.candidates)
        const = (const * c + plan.weight_den * c) * 2
        bits = pl.lit(float(const.bit_length()))
        for m in variable:
            bits = bits + pl.col(f"_b_{m}").cast(pl.Float64).log(2)
        by_mode.append(
            (
                mode,
                {
                    "score_num": pl.sum_horizontal(terms) if terms else lit128(0),
                    "score_den": product * (plan.weight_den * c),
                    "score_bits": bits,
                    **{f"weight_{m}_num": pl.when(present[m]).then(weight[m]) for m in plan.candidates},
                    "weight_den": pl.lit(plan.weight_den, dtype=pl.Int64),
                },
            )
        )

    def per_mode(name: str, dtype: Any) -> pl.Expr:
        expr: Any = pl  # pl, then a When/Then chain
        for mode, exprs in by_mode:
            if name in exprs:
                expr = expr.when(pl.col("mode") == mode).then(exprs[name])
        if expr is pl:
            return pl.lit(None, dtype=dtype).alias(name)
        out: pl.Expr = expr.otherwise(None).cast(dtype).alias(name)
        return out

    scored = staged.with_columns(
        [per_mode("score_num", I128), per_mode("score_den", I128), per_mode("score_bits", pl.Float64)]
        + [per_mode(f"weight_{m}_num", pl.Int64) for m in metrics]
        + [per_mode("weight_den", pl.Int64)]
    ).with_columns(
        # The rounded score is small (|score| ≤ 100·S·Σ|w| hundredths); a strict cast refuses absurd tables.
        score=div_half_up(pl.col("score_num") * 100, pl.col("score_den")).cast(pl.Int64, strict=True)
    )

    # The rounded score (hundredths) picks the first band, highest first, whose minimum it reaches.
    bands = [(rational(b.min_score), rational(b.deduction)) for b in ruleset.score.bands]
    band: Any = pl  # pl, then a When/Then chain
    for i, ((p, q), _) in enumerate(bands):
        band = band.when(wide(pl.col("score")) * q >= p * 100).then(pl.lit(i, dtype=pl.Int64))
    band_expr = band.otherwise(None) if bands else pl.lit(None, dtype=pl.Int64)
    lookup = pl.DataFrame(
        {
            "band": list(range(len(bands))),
            "band_min_num": [p for (p, _), _ in bands],
            "band_min_den": [q for (_, q), _ in bands],
            "band_share_num": [n for _, (n, _) in bands],
            "band_share_den": [d for _, (_, d) in bands],
        },
        schema={k: pl.Int64 for k in ("band", "band_min_num", "band_min_den", "band_share_num", "band_share_den")},
    )
    out = (
        scored.with_columns(band=band_expr.cast(pl.Int64))
        .join(lookup.lazy(), on="band", how="left", maintain_order="left")
        .drop([f"_b_{m}" for m in metrics])
    )
    return out, metrics


def check_scores(frame: pl.DataFrame) -> None:
    """Refuse what the exact path cannot hold, rather than wrap around silently."""
    unscored = frame.filter(pl.col("score_num").is_null())
    if not unscored.is_empty():
        row = unscored.row(0, named=True)
        raise ValueError(f"score: no weights for mode {row['mode']} (partner {row['partner_id']})")
    over = frame.filter(pl.col("score_bits") >= BIT_BUDGET)
    if not over.is_empty():
        raise ValueError(
            f"score: partner {over['partner_id'][0]} needs more than {BIT_BUDGET} bits for its exact score "
            "(too many rates weighted, or rates on very large bases)"
        )
    no_band = frame.filter(pl.col("band").is_null())
    if not no_band.is_empty():
        raise ValueError(f"score: partner {no_band['partner_id'][0]} falls below every band")


def parts_frame(scored: pl.DataFrame, metrics: list[str]) -> pl.DataFrame:
    """One row per partner × weighted metric: value, sub-score and weight as exact pairs."""
    frames = [
        scored.lazy()
        .filter(pl.col(f"weight_{m}_num").is_not_null())
        .select(
            pl.col("partner_id"),
            pl.col("_row"),
            pl.lit(i, dtype=pl.UInt32).alias("_metric"),
            pl.lit(m).alias("metric"),
            pl.col(f"{m}_num").alias("value_num"),
            pl.col(f"{m}_den").alias("value_den"),
            pl.col(f"sub_{m}_num").alias("sub_num"),
            pl.col(f"sub_{m}_den").alias("sub_den"),
            pl.col(f"weight_{m}_num").alias("weight_num"),
            pl.col("weight_den"),
        )
        for i, m in enumerate(metrics)
    ]
    schema = {
        "partner_id": pl.String,
        "metric": pl.String,
        "value_num": pl.Int64,
        "value_den": pl.Int64,
        "sub_num": I128,
        "sub_den": I128,
        "weight_num": pl.Int64,
        "weight_den": pl.Int64,
    }
    if not frames:
        return pl.DataFrame(schema=schema)
    return pl.concat(frames).sort("_row", "_metric").drop("_row", "_metric").collect(engine=ENGINE)

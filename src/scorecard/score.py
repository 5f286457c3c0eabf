"""Score and band (费用与考核分数挂钩): sub-scores, weights, band, deduction share.

Sub-scores are exact (``Fraction``); the score is the weighted sum of the
unrounded sub-scores, rounded half up to 2 decimals, and that rounded score
picks the band.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from scorecard.config import RuleSet
from scorecard.metrics import PartnerMetrics
from scorecard.money import round_half_up

HUNDRED = Fraction(100)
# Metrics already on a 0–100 scale: they are their own sub-score.
SELF_SCORED = frozenset({"response_score", "satisfaction"})


@dataclass(frozen=True, slots=True)
class SubScore:
    metric: str
    value: Fraction | None
    sub_score: Fraction
    weight: Fraction  # after any fallback


@dataclass(frozen=True, slots=True)
class ScoreResult:
    parts: tuple[SubScore, ...]
    score: Decimal  # rounded half up to 2 decimals
    band_min: Decimal
    band_pct: Decimal


def interpolate(points: list[tuple[Fraction, Fraction]], x: Fraction) -> Fraction:
    """Piecewise-linear through ``points`` (sorted by x), clamped at both ends."""
    if x <= points[0][0]:
        return points[0][1]
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        if x <= x1:
            return y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    return points[-1][1]


class Scorer:
    """A rule set's score tables, made exact once and applied to every partner."""

    def __init__(self, ruleset: RuleSet) -> None:
        self.ruleset = ruleset
        self.points: dict[str, list[tuple[Fraction, Fraction]]] = {
            metric: sorted((Fraction(x), Fraction(y)) for x, y in pts) for metric, pts in ruleset.score.points.items()
        }
        self.weights: dict[str, dict[str, Fraction]] = {
            mode: {k: Fraction(v) for k, v in w.items()} for mode, w in ruleset.score.weights.items()
        }
        self.zero_base_breaches = ruleset.zero_base == "breach"

    def sub_score(self, metric: str, m: PartnerMetrics) -> tuple[Fraction | None, Fraction]:
        raw = m.value(metric)
        if raw is None:
            # An empty complaint rate that counts as breached (zero base) scores 0;
            # any other empty metric (no assessable ticket, zero base skipped) scores 100.
            breached = metric == "complaint_rate_per_10k" and m.zero_base and self.zero_base_breaches
            return None, Fraction(0) if breached else HUNDRED
        value = raw if isinstance(raw, Fraction) else Fraction(raw)
        if metric in SELF_SCORED:
            return value, min(max(value, Fraction(0)), HUNDRED)
        return value, interpolate(self.points[metric], value)

    def score(self, m: PartnerMetrics) -> ScoreResult:
        weights = dict(self.weights[m.mode])
        for metric, target in self.ruleset.score.fallback.items():
            if metric in weights and m.value(metric) is None:
                weights[target] = weights.get(target, Fraction(0)) + weights.pop(metric)
        parts = []
        for name, weight in weights.items():
            value, sub = self.sub_score(name, m)
            parts.append(SubScore(name, value, sub, weight))
        total = sum((p.sub_score * p.weight for p in parts), Fraction(0))
        rounded = Decimal(round_half_up(total * 100)).scaleb(-2)
        band = next(b for b in self.ruleset.score.bands if rounded >= b.min_score)
        return ScoreResult(tuple(parts), rounded, band.min_score, band.deduction)


def score(m: PartnerMetrics, ruleset: RuleSet) -> ScoreResult:
    return Scorer(ruleset).score(m)

"""Rules: compare a metric, count a streak, fire actions by streak (docs/metrics-and-rules.md#rules).

The code is generic: every rule is configuration (metric, operator,
threshold or another metric, actions by streak). What an action *does* is
looked up in :data:`ACTIONS`, a registry keyed by action kind.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from scorecard.config import MONEY_METRICS, Action, Rule, RuleSet
from scorecard.metrics import PartnerMetrics
from scorecard.periods import Period
from scorecard.state import Hold

OPS: dict[str, Callable[[Fraction, Fraction], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
}


@dataclass(frozen=True, slots=True)
class Fired:
    """One action fired by one rule for one partner in one period."""

    rule_id: str
    kind: str
    streak: int
    action: Action


@dataclass(frozen=True, slots=True)
class RuleResult:
    rule_id: str
    metric: str
    op: str
    breached: bool
    streak: int
    value: Fraction | None  # the metric (fen for money metrics)
    comparand: Fraction | None  # the threshold or the other metric
    fired: tuple[Fired, ...]


@dataclass(slots=True)
class Effects:
    """What the fired actions decide for the partner's money this period."""

    hold_until_compliant: list[str] = field(default_factory=list)  # rule ids
    month_holds: list[Hold] = field(default_factory=list)  # holds of n months started this period
    terminate: list[str] = field(default_factory=list)
    fines: list[Fired] = field(default_factory=list)  # in rule order, then action order
    notices: list[Fired] = field(default_factory=list)  # every fired action


def _hold_until_compliant(effects: Effects, fired: Fired, period: Period) -> None:
    effects.hold_until_compliant.append(fired.rule_id)


def _hold_months(effects: Effects, fired: Fired, period: Period) -> None:
    assert fired.action.months is not None
    effects.month_holds.append(Hold(fired.rule_id, "months", period, period.shift(fired.action.months - 1)))


def _terminate(effects: Effects, fired: Fired, period: Period) -> None:
    effects.terminate.append(fired.rule_id)


def _fine(effects: Effects, fired: Fired, period: Period) -> None:
    effects.fines.append(fired)


def _no_money_effect(effects: Effects, fired: Fired, period: Period) -> None:
    pass


# Registry of action kinds: what each does to the partner's money. Every fired
# action, whatever its kind, is also issued as a notice (notices.csv,
# statements, finance workbook).
ACTIONS: dict[str, Callable[[Effects, Fired, Period], None]] = {
    "notice": _no_money_effect,
    "review": _no_money_effect,
    "sanction": _no_money_effect,
    "hold_until_compliant": _hold_until_compliant,
    "hold_months": _hold_months,
    "terminate": _terminate,
    "fine": _fine,  # the amount is the settlement's (scorecard.settle.FineFact)
}


def _exact(value: Fraction | Decimal | int) -> Fraction:
    return Fraction(value)


def comparand(rule: Rule, m: PartnerMetrics) -> Fraction | None:
    if rule.against is not None:
        other = m.value(rule.against)
        return None if other is None else _exact(other)
    assert rule.threshold is not None
    threshold = _exact(rule.threshold)
    return threshold * 100 if rule.metric in MONEY_METRICS else threshold  # yuan -> fen


def is_breached(rule: Rule, m: PartnerMetrics, ruleset: RuleSet) -> tuple[bool, Fraction | None, Fraction | None]:
    """Compare unrounded. An empty metric does not breach, except a complaint
    rate on a base of 0 with complaints under ``zero_base = "breach"``."""
    raw = m.value(rule.metric)
    value = None if raw is None else _exact(raw)
    other = comparand(rule, m)
    if value is None:
        zero_base = rule.metric == "complaint_rate_per_10k" and m.zero_base and ruleset.zero_base == "breach"
        return zero_base, value, other
    if other is None:
        return False, value, other
    return OPS[rule.op](value, other), value, other


def evaluate(
    m: PartnerMetrics, ruleset: RuleSet, streaks: dict[str, int], period: Period
) -> tuple[list[RuleResult], Effects]:
    """Apply every rule of the partner's mode; returns results and the fired actions' effects."""
    results = []
    effects = Effects()
    for rule in ruleset.rules:
        if m.mode not in rule.modes:
            continue
        breached, value, other = is_breached(rule, m, ruleset)
        streak = streaks.get(rule.id, 0) + 1 if breached else 0
        fired = tuple(Fired(rule.id, a.kind, streak, a) for a in rule.actions if a.fires_at(streak))
        for f in fired:
            ACTIONS[f.kind](effects, f, period)
            effects.notices.append(f)
        results.append(RuleResult(rule.id, rule.metric, rule.op, breached, streak, value, other, fired))
    return results, effects


def notice_deadline(period: Period, action: Action) -> date | None:
    """Notices are dated the first day after the period, so a deadline does not
    depend on the day the month was run."""
    if not action.deadline_days:
        return None
    return period.end.date() + timedelta(days=action.deadline_days)

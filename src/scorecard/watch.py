"""The watch list: early warning before a stronger action (docs/metrics-and-rules.md#watch-list).

A partner is on watch for a rule when

- ``streak``: it breached the rule this month and one more breaching month would fire an
  action that does not fire at today's streak (for the default rules: streak 2 of a rule
  that terminates at 3; for a ladder, each next rung), or
- ``margin``: it complies, but its value is within ``watch_margin`` × |threshold| of the
  threshold (bound included) on the compliant side.

A breach without a value (complaints on a base of 0) warns by streak like any breach.

Derived from the rule's own actions, so any configured ladder warns the same way. Only
rules with a numeric threshold have a margin; a rule against another metric warns by
streak only. A terminated partner has no next month and is never on watch.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from scorecard.config import Action, Rule, RuleSet
from scorecard.rules import RuleResult

# How strong an action is, to name the one a next breach would bring (the strongest).
STRENGTH = {
    "review": 0,
    "notice": 1,
    "sanction": 2,
    "fine": 3,
    "hold_months": 4,
    "hold_until_compliant": 5,
    "terminate": 6,
}


@dataclass(frozen=True, slots=True)
class WatchItem:
    rule_id: str
    reason: str  # streak / margin
    metric: str
    op: str
    value: Fraction | None  # None: breached on a base of 0 (zero_base = "breach")
    threshold: Fraction  # the comparand (fen for money metrics)
    streak: int  # this month's
    next_streak: int
    next_action: str  # kind of the strongest action a next breach fires
    action_index: int  # its index in the rule's actions


def _strongest(rule: Rule, actions: list[Action]) -> tuple[str, int]:
    best = max(actions, key=lambda a: STRENGTH.get(a.kind, 0))
    return best.kind, next(i for i, a in enumerate(rule.actions) if a is best)


def within_margin(op: str, value: Fraction, threshold: Fraction, margin: Decimal) -> bool:
    """Compliant, and at most ``margin`` × |threshold| from breaching (the bound included)."""
    room = abs(threshold) * Fraction(margin)
    if op == ">=":
        return threshold - room <= value < threshold
    if op == ">":
        return threshold - room <= value <= threshold
    if op == "<":
        return threshold <= value <= threshold + room
    if op == "<=":
        return threshold < value <= threshold + room
    return False  # "==": no side to be near


def watch_items(results: list[RuleResult] | tuple[RuleResult, ...], ruleset: RuleSet) -> list[WatchItem]:
    rules = {r.id: r for r in ruleset.rules}
    out = []
    for rr in results:
        rule = rules[rr.rule_id]
        if rr.comparand is None:
            continue
        nxt = rr.streak + 1
        if rr.breached:  # a breach with no value (complaints on a base of 0) warns by streak too
            now = [a for a in rule.actions if a.fires_at(rr.streak)]
            new = [a for a in rule.actions if a.fires_at(nxt) and not any(a is b for b in now)]
            if new:
                kind, index = _strongest(rule, new)
                out.append(
                    WatchItem(
                        rr.rule_id, "streak", rr.metric, rr.op, rr.value, rr.comparand, rr.streak, nxt, kind, index
                    )
                )
        elif (
            rr.value is not None
            and rule.threshold is not None
            and within_margin(rr.op, rr.value, rr.comparand, ruleset.watch_margin)
        ):
            firing = [a for a in rule.actions if a.fires_at(nxt)]
            if firing:
                kind, index = _strongest(rule, firing)
                out.append(
                    WatchItem(
                        rr.rule_id, "margin", rr.metric, rr.op, rr.value, rr.comparand, rr.streak, nxt, kind, index
                    )
                )
    return out

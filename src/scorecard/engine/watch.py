"""The watch list over rule results (docs/metrics-and-rules.md#watch-list), as polars frames.

The same items as :func:`scorecard.watch.watch_items`. Which action a next
breaching month would bring depends only on the rule and today's streak, so
it is worked out once per rule set in Python and joined: for a breach at
streak s, the strongest action firing at s + 1 and not at s (none once s
reaches the largest streak any action names); for a compliant value within
the margin, the strongest firing at streak 1. The margin's bounds
``t ∓ |t|·margin`` are exact constants, so "within the margin" is two
cross-multiplied comparisons in Int128 (factors below 2**62,
:mod:`scorecard.engine.exact`).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import polars as pl

from scorecard.config import MONEY_METRICS, Action, Rule, RuleSet
from scorecard.engine.exact import compare, rational
from scorecard.watch import STRENGTH

WATCH_COLUMNS = (
    "partner_id",
    "_row",
    "rule_seq",
    "rule_id",
    "reason",
    "value_num",
    "value_den",
    "comparand_num",
    "comparand_den",
    "streak",
    "next_streak",
    "next_action",
    "action_index",
)


def _strongest(rule: Rule, actions: list[Action]) -> tuple[str, int] | None:
    if not actions:
        return None
    best = max(actions, key=lambda a: STRENGTH.get(a.kind, 0))
    return best.kind, next(i for i, a in enumerate(rule.actions) if a is best)


def _by_streak(ruleset: RuleSet) -> pl.DataFrame:
    """rule_id × streak of a breach → the action a next breach would newly fire."""
    rows = []
    for rule in ruleset.rules:
        top = max((a.streak or a.min_streak for a in rule.actions), default=0)
        for s in range(1, top + 1):
            found = _strongest(rule, [a for a in rule.actions if a.fires_at(s + 1) and not a.fires_at(s)])
            if found:
                rows.append((rule.id, s, *found))
    return pl.DataFrame(
        rows,
        schema={"rule_id": pl.String, "streak": pl.Int64, "next_action": pl.String, "action_index": pl.Int64},
        orient="row",
    )


def _margin(rule: Rule, ruleset: RuleSet) -> tuple[pl.Expr, str, int] | None:
    """The condition "compliant, within the margin" on a rule's value, and the action it warns of."""
    if rule.threshold is None or rule.op == "==":
        return None
    found = _strongest(rule, [a for a in rule.actions if a.fires_at(1)])
    if found is None:
        return None
    threshold = Fraction(rule.threshold * 100 if rule.metric in MONEY_METRICS else rule.threshold)
    room = abs(threshold) * Fraction(ruleset.watch_margin)
    lo, hi = rational(threshold - room), rational(threshold + room)
    t = rational(threshold)
    a, b = pl.col("value_num"), pl.col("value_den")

    def cmp(op: str, bound: tuple[int, int]) -> pl.Expr:
        return compare(op, a, b, pl.lit(bound[0], dtype=pl.Int64), pl.lit(bound[1], dtype=pl.Int64))

    near: dict[str, pl.Expr] = {
        ">=": cmp(">=", lo) & cmp("<", t),
        ">": cmp(">=", lo) & cmp("<=", t),
        "<": cmp(">=", t) & cmp("<=", hi),
        "<=": cmp(">", t) & cmp("<=", hi),
    }
    return near[rule.op], *found


def watch_frame(ruleset: RuleSet, rules: pl.LazyFrame, terminated: pl.LazyFrame) -> pl.LazyFrame:
    """One row per partner × rule on watch, in rule order (WATCH_COLUMNS). ``terminated``: the
    partners terminated this month (never on watch)."""
    c = pl.col
    live = rules.filter(c("comparand_num").is_not_null()).join(terminated, on="partner_id", how="anti")
    by_streak = (
        live.filter(c("breached"))
        .join(_by_streak(ruleset).lazy(), on=["rule_id", "streak"], how="inner")
        .with_columns(reason=pl.lit("streak"))
    )
    margin_rules: list[tuple[str, pl.Expr, str, int]] = []
    for rule in ruleset.rules:
        found = _margin(rule, ruleset)
        if found:
            margin_rules.append((rule.id, *found))
    frames: list[pl.LazyFrame] = [by_streak.select(*WATCH_COLUMNS[:4], *_tail())]
    if margin_rules:
        cond: Any = pl
        kind: Any = pl
        index: Any = pl
        for rule_id, near, action, i in margin_rules:
            cond = cond.when(c("rule_id") == rule_id).then(near)
            kind = kind.when(c("rule_id") == rule_id).then(pl.lit(action))
            index = index.when(c("rule_id") == rule_id).then(pl.lit(i, dtype=pl.Int64))
        ids = [r for r, *_ in margin_rules]
        margin = (
            live.filter(~c("breached") & c("value_num").is_not_null() & c("rule_id").is_in(ids))
            .filter(cond.otherwise(pl.lit(False)))
            .with_columns(
                reason=pl.lit("margin"),
                next_action=kind.otherwise(None),
                action_index=index.otherwise(None),
            )
        )
        frames.append(margin.select(*WATCH_COLUMNS[:4], *_tail()))
    return pl.concat(frames).sort("_row", "rule_seq")


def _tail() -> list[pl.Expr | str]:
    return [
        "reason",
        "value_num",
        "value_den",
        "comparand_num",
        "comparand_den",
        "streak",
        (pl.col("streak") + 1).alias("next_streak"),
        "next_action",
        "action_index",
    ]

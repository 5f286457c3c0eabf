"""Rules, streaks and fired actions as polars expressions (docs/metrics-and-rules.md).

One row per partner × rule of the partner's mode, with the value and the
comparand kept as exact pairs; a breach is a cross-multiplied comparison in
Int128 (see :mod:`scorecard.engine.exact`). Actions fire by streak: equal to
``streak`` when the action names one, else at least ``min_streak``.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from scorecard.config import MONEY_METRICS, RuleSet
from scorecard.engine.exact import FEN_LIMIT, compare, rational
from scorecard.money import fen_times
from scorecard.periods import Period

RULE_SCHEMA = {
    "partner_id": pl.String(),
    "rule_id": pl.String(),
    "rule_seq": pl.Int64(),
    "value_num": pl.Int64(),
    "value_den": pl.Int64(),
    "comparand_num": pl.Int64(),
    "comparand_den": pl.Int64(),
    "breached": pl.Boolean(),
    "streak": pl.Int64(),
}

ACTION_DEFS_SCHEMA = {
    "rule_id": pl.String(),
    "action_seq": pl.Int64(),
    "kind": pl.String(),
    "exact_streak": pl.Int64(),
    "min_streak": pl.Int64(),
    "months": pl.Int64(),
    "deadline": pl.Date(),
    "label_zh": pl.String(),
    "label_en": pl.String(),
    "fine_fen": pl.Int64(),  # a fixed fine: its amount in fen
    "pct_num": pl.Int64(),  # a fine as a share of the gross, exactly
    "pct_den": pl.Int64(),
    "pct_text": pl.String(),  # … and as configured (the money line's share)
}

ACTION_SCHEMA = {
    "partner_id": pl.String(),
    "rule_id": pl.String(),
    "rule_seq": pl.Int64(),
    "action_seq": pl.Int64(),
    "sequence": pl.Int64(),
    "kind": pl.String(),
    "streak": pl.Int64(),
    "hold_through": pl.Int64(),
    "deadline": pl.Date(),
    "label_zh": pl.String(),
    "label_en": pl.String(),
    "months": pl.Int64(),
    "fine_fen": pl.Int64(),
    "pct_num": pl.Int64(),
    "pct_den": pl.Int64(),
    "pct_text": pl.String(),
    "terminated": pl.Boolean(),  # the partner is terminated this period (any terminate action fired)
}


def month_index(period: Period) -> int:
    """A period as one integer, ``year × 12 + month − 1``: consecutive months differ by 1."""
    return period.year * 12 + period.month - 1


def rule_results(ruleset: RuleSet, values: pl.LazyFrame, prior_streaks: pl.LazyFrame) -> pl.LazyFrame:
    """partner × rule: value, comparand, breached, streak (RULE_SCHEMA, and the partner's ``_row``)."""
    frames = []
    for seq, rule in enumerate(ruleset.rules):
        value_num, value_den = pl.col(f"{rule.metric}_num"), pl.col(f"{rule.metric}_den")
        if rule.against is not None:
            other_num, other_den = pl.col(f"{rule.against}_num"), pl.col(f"{rule.against}_den")
        else:
            assert rule.threshold is not None
            # A money threshold is written in yuan; the engine counts fen.
            threshold = rule.threshold * 100 if rule.metric in MONEY_METRICS else rule.threshold
            p, q = rational(threshold)
            other_num, other_den = pl.lit(p, dtype=pl.Int64), pl.lit(q, dtype=pl.Int64)
        zero_base_breaches = rule.metric == "complaint_rate_per_10k" and ruleset.zero_base == "breach"
        breached = (
            pl.when(value_num.is_null())
            .then(pl.col("zero_base") & pl.lit(zero_base_breaches))
            .when(other_num.is_null())
            .then(pl.lit(False))
            .otherwise(compare(rule.op, value_num, value_den, other_num, other_den))
        )
        frames.append(
            values.filter(pl.col("mode").is_in(rule.modes)).select(
                pl.col("partner_id"),
                pl.col("_row"),
                pl.lit(rule.id).alias("rule_id"),
                pl.lit(seq, dtype=pl.Int64).alias("rule_seq"),
                value_num.alias("value_num"),
                value_den.alias("value_den"),
                other_num.alias("comparand_num"),
                other_den.alias("comparand_den"),
                breached.alias("breached"),
            )
        )
    if not frames:
        return pl.LazyFrame(schema={**RULE_SCHEMA, "_row": pl.UInt32()})
    prior = prior_streaks.select("partner_id", "rule_id", pl.col("streak").alias("_prior"))
    return (
        pl.concat(frames)
        .join(prior, on=["partner_id", "rule_id"], how="left", maintain_order="left")
        .with_columns(
            streak=pl.when(pl.col("breached")).then(pl.col("_prior").fill_null(0) + 1).otherwise(0).cast(pl.Int64)
        )
        .drop("_prior")
        .sort("_row", "rule_seq")
    )


def action_definitions(ruleset: RuleSet, period: Period) -> pl.DataFrame:
    """Every configured action as a row, with its notice deadline for ``period``."""
    rows = []
    for rule in ruleset.rules:
        for seq, action in enumerate(rule.actions):
            # Notices are dated the first day after the period (as scorecard.rules.notice_deadline).
            deadline = period.end.date() + timedelta(days=action.deadline_days) if action.deadline_days else None
            # A fixed fine is rounded to the fen once, here (as scorecard.settle.FineFact.fen).
            fine_fen = None if action.amount is None else fen_times(100, action.amount)
            if fine_fen is not None and fine_fen >= FEN_LIMIT:
                raise ValueError(f"rule {rule.id}: a fine of {action.amount} is beyond the engine's exact range")
            pct = None if action.pct is None else rational(action.pct)
            rows.append(
                {
                    "rule_id": rule.id,
                    "action_seq": seq,
                    "kind": action.kind,
                    "exact_streak": action.streak,
                    "min_streak": action.min_streak,
                    "months": action.months,
                    "deadline": deadline,
                    "label_zh": action.label.zh if action.label else None,
                    "label_en": action.label.en if action.label else None,
                    "fine_fen": fine_fen,
                    "pct_num": None if pct is None else pct[0],
                    "pct_den": None if pct is None else pct[1],
                    "pct_text": None if action.pct is None else str(action.pct),
                }
            )
    return pl.DataFrame(rows, schema=ACTION_DEFS_SCHEMA)


def fired_actions(rules: pl.LazyFrame, definitions: pl.DataFrame, period: Period) -> pl.LazyFrame:
    """Each action fired this period (ACTION_SCHEMA and the partner's ``_row``), in the order rules
    and actions are configured.

    ``sequence`` numbers a partner's fired actions 0, 1, …; ``hold_through`` is
    the last month (month index) a ``hold_months`` action withholds. A partner
    terminated this period gets its termination, not a deadline to rectify by.
    """
    streak = pl.col("streak")
    fires = (
        pl.when(pl.col("exact_streak").is_not_null())
        .then(streak == pl.col("exact_streak"))
        .otherwise(streak >= pl.col("min_streak"))
    )
    return (
        rules.filter(streak >= 1)
        .select("partner_id", "_row", "rule_id", "rule_seq", "streak")
        .join(definitions.lazy(), on="rule_id", how="inner")
        .filter(fires)
        .sort("_row", "rule_seq", "action_seq")
        .with_columns(
            sequence=pl.int_range(pl.len(), dtype=pl.Int64).over("_row"),
            hold_through=pl.when(pl.col("kind") == "hold_months")
            .then(pl.col("months") + (month_index(period) - 1))
            .otherwise(None)
            .cast(pl.Int64),
            terminated=(pl.col("kind") == "terminate").any().over("_row"),
        )
        .with_columns(deadline=pl.when(pl.col("terminated")).then(None).otherwise(pl.col("deadline")))
        .select(*ACTION_SCHEMA, "_row")
    )

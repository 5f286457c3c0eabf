"""One period's assessment over whole columns: the columnar twin of :func:`scorecard.assess.assess`.

Rules, streaks, actions, score, bands and settlement are polars expressions
on integer columns, one ``collect()`` per stage, with the same results as the
``Fraction`` engine on every column (tests/test_engine_columnar.py holds the
two side by side). Nothing is rounded but the score (half up, to hundredths,
once) and the score deduction (half up, to the fen, once); rates are compared
by cross-multiplying. Why no product overflows is written next to each
product: :mod:`scorecard.engine.exact` (inputs and comparisons),
:mod:`scorecard.engine.score` (sub-scores, score), :mod:`scorecard.engine.settle`.

Input
-----
``components``: one row per partner assessed this period, the counts the
metrics are made of (:data:`scorecard.engine.values.COMPONENTS`): partner_id,
mode, billed_users, group_customers, valid/repeat/major complaints,
on_time/late tickets, reply_on_time/reply_late (null without reply times),
resolved_tickets, resolution_seconds, p90_hours_num/_den (null: no resolved
ticket), response_hundredths, survey_count, survey_total (hundredths),
refund_total, gross_amount, service_cost (fen). A partner terminated earlier
(per ``states``) is not assessed, as in the Fraction engine.

``states``: what partners carry in (:data:`STATE_SCHEMA`): partner_id,
hold_through, held, receivable, terminated_in, last_assessed; months are
month indexes ``year × 12 + month − 1`` (:func:`month_index`), null for none.
``streaks``: partner_id, rule_id, streak (only streaks above 0).

Output (:class:`Assessment`)
----------------------------
``values``   partner × ``<metric>_num``/``<metric>_den`` (null = empty) and zero_base.
``rules``    partner × rule: value and comparand pairs, breached, streak.
``actions``  each fired action: rule, kind, streak, sequence, hold_through, deadline, label.
``parts``    partner × weighted metric: value, sub-score (Int128 pair) and weight pair.
``partners`` per partner: status, on_hold, hold_until_compliant (and hold_rules: which rules),
             hold_through, terminated,
             score (hundredths), score_num/score_den (the unrounded score, Int128),
             band, band_min_num/_den, band_share_num/_den, and gross_amount,
             refund_deduction, score_deduction, receivable_in/_out, held_in/_out,
             released, payout (fen).
``states``/``streaks``  what every known partner carries into the next period,
             in the input's schemas, so months chain.

Stages, one ``collect()`` each: values, rules, actions, score (with parts),
settlement, next states. Rows come in partner order (rules by rule, actions
in firing order). ``ValueError`` refuses, before anything wraps around: an
input outside the bounds of :mod:`scorecard.engine.exact`, a mode without
weights, a partner below every band, a score needing more than 126 bits.
:mod:`scorecard.engine.bridge` converts to and from the Fraction engine's
objects.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from scorecard.config import RuleSet
from scorecard.engine.exact import ENGINE, FEN_LIMIT, check_bounds
from scorecard.engine.rules import action_definitions, fired_actions, month_index, rule_results
from scorecard.engine.score import check_scores, parts_frame, score_frame
from scorecard.engine.settle import check_invariant, effects, settlement
from scorecard.engine.values import COMPONENTS, check_components, values_frame
from scorecard.periods import Period

STATE_SCHEMA = {
    "partner_id": pl.String(),
    "hold_through": pl.Int64(),  # month index of the last month a hold of n months covers
    "held": pl.Int64(),  # fen withheld, released with the first month without a hold
    "receivable": pl.Int64(),  # fen still to deduct
    "terminated_in": pl.Int64(),  # month index, null while the partner is not terminated
    "last_assessed": pl.Int64(),  # month index
}
STREAK_SCHEMA = {"partner_id": pl.String(), "rule_id": pl.String(), "streak": pl.Int64()}

PARTNER_COLUMNS = (
    "partner_id",
    "mode",
    "status",
    "on_hold",
    "hold_until_compliant",
    "hold_rules",
    "hold_through",
    "terminated",
    "score",
    "score_num",
    "score_den",
    "band",
    "band_min_num",
    "band_min_den",
    "band_share_num",
    "band_share_den",
    "gross_amount",
    "refund_deduction",
    "score_deduction",
    "receivable_in",
    "receivable_out",
    "held_in",
    "held_out",
    "released",
    "payout",
)

__all__ = ["STATE_SCHEMA", "STREAK_SCHEMA", "Assessment", "assess_columnar", "month_index"]


@dataclass(frozen=True)
class Assessment:
    values: pl.DataFrame
    rules: pl.DataFrame
    actions: pl.DataFrame
    parts: pl.DataFrame
    partners: pl.DataFrame
    states: pl.DataFrame
    streaks: pl.DataFrame


def empty_states() -> tuple[pl.DataFrame, pl.DataFrame]:
    return pl.DataFrame(schema=STATE_SCHEMA), pl.DataFrame(schema=STREAK_SCHEMA)


def assess_columnar(
    period: Period, components: pl.DataFrame, states: pl.DataFrame, streaks: pl.DataFrame, ruleset: RuleSet
) -> Assessment:
    """Assess ``period`` for every partner in ``components`` under ``ruleset`` (see the module docstring)."""
    check_components(components)
    # Every count as Int64 whatever integer type it came in: the products in values.py assume it.
    components = components.with_columns([pl.col(k).cast(v[0]) for k, v in COMPONENTS.items()])
    states = states.select([pl.col(k).cast(v) for k, v in STATE_SCHEMA.items()])
    streaks = streaks.select([pl.col(k).cast(v) for k, v in STREAK_SCHEMA.items()])
    check_bounds(states, {"held": FEN_LIMIT, "receivable": FEN_LIMIT}, "states")
    month = month_index(period)

    # A partner terminated earlier is never assessed again.
    terminated = states.filter(pl.col("terminated_in").is_not_null()).select("partner_id")
    assessed = components.lazy().join(terminated.lazy(), on="partner_id", how="anti").sort("partner_id")

    values = values_frame(assessed).collect(engine=ENGINE)
    rules = rule_results(ruleset, values.lazy(), streaks.lazy()).collect(engine=ENGINE)
    actions = fired_actions(rules.lazy(), action_definitions(ruleset, period), period).collect(engine=ENGINE)

    scored_lf, metrics = score_frame(ruleset, values.lazy())
    scored = scored_lf.join(
        assessed.select("partner_id", "gross_amount", "refund_total"),
        on="partner_id",
        how="left",
        maintain_order="left",
    ).collect(engine=ENGINE)
    check_scores(scored)
    parts = parts_frame(scored, metrics)

    partners = (
        settlement(scored.lazy(), effects(actions.lazy()), states.lazy(), month)
        .select(PARTNER_COLUMNS)
        .collect(engine=ENGINE)
    )
    check_invariant(partners)

    next_states, next_streaks = _next_states(partners, rules, states, streaks, month)
    return Assessment(values.drop("_row"), rules.drop("_row"), actions, parts, partners, next_states, next_streaks)


def _next_states(
    partners: pl.DataFrame, rules: pl.DataFrame, states: pl.DataFrame, streaks: pl.DataFrame, month: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Assessed partners carry this month's outcome; the others keep theirs, with streaks reset
    unless terminated (an absent month breaks a streak)."""
    c = pl.col
    new = partners.lazy().select(
        "partner_id",
        "hold_through",
        c("held_out").alias("held"),
        c("receivable_out").alias("receivable"),
        pl.when(c("terminated")).then(pl.lit(month, dtype=pl.Int64)).otherwise(None).alias("terminated_in"),
        pl.lit(month, dtype=pl.Int64).alias("last_assessed"),
    )
    carried = states.lazy().join(partners.lazy().select("partner_id"), on="partner_id", how="anti")
    kept_streaks = streaks.lazy().join(
        carried.filter(c("terminated_in").is_not_null()).select("partner_id"), on="partner_id", how="semi"
    )
    new_streaks = rules.lazy().filter(c("streak") > 0).select("partner_id", "rule_id", "streak")
    out_states, out_streaks = pl.collect_all(
        [
            pl.concat([new, carried.select(list(STATE_SCHEMA))]).sort("partner_id"),
            pl.concat([new_streaks, kept_streaks.select(list(STREAK_SCHEMA))]).sort("partner_id", "rule_id"),
        ],
        engine=ENGINE,
    )
    return out_states, out_streaks

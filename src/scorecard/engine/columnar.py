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

from scorecard.config import STAGE_METRIC_PREFIX, RuleSet
from scorecard.engine.exact import ENGINE, FEN_LIMIT, check_bounds
from scorecard.engine.holds import HOLD_SCHEMA, hold_frames, prior_holds
from scorecard.engine.rules import action_definitions, fired_actions, month_index, rule_results
from scorecard.engine.score import check_scores, parts_frame, score_frame
from scorecard.engine.settle import RESTATED_SCHEMA, check_fines, check_invariant, effects, fines, settlement
from scorecard.engine.values import COMPONENTS, check_components, values_frame
from scorecard.engine.watch import watch_frame
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
    "score_uncapped",
    "fine_deduction",
    "receivable_in",
    "receivable_out",
    "held_in",
    "held_out",
    "released",
    "payout",
    "adjustment",
    "held_restated",
    "receivable_restated",
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
    holds: pl.DataFrame  # every hold active this month (HOLD_SCHEMA, in the Fraction engine's order)
    month_holds: pl.DataFrame  # the holds of n months every known partner carries out (HOLD_SCHEMA)
    fines: pl.DataFrame  # every fired fine: sequence, rule, fixed amount, share, uncapped, part (fen)
    watch: pl.DataFrame  # the watch list (engine.watch.WATCH_COLUMNS)


def empty_states() -> tuple[pl.DataFrame, pl.DataFrame]:
    return pl.DataFrame(schema=STATE_SCHEMA), pl.DataFrame(schema=STREAK_SCHEMA)


def stage_names(ruleset: RuleSet) -> list[str]:
    """The stages whose on-time rate a rule compares."""
    names = [m for r in ruleset.rules for m in (r.metric, r.against) if m and m.startswith(STAGE_METRIC_PREFIX)]
    return sorted({m.removeprefix(STAGE_METRIC_PREFIX) for m in names})


def assess_columnar(
    period: Period,
    components: pl.DataFrame,
    states: pl.DataFrame,
    streaks: pl.DataFrame,
    ruleset: RuleSet,
    *,
    holds: pl.DataFrame | None = None,
    restated: pl.DataFrame | None = None,
) -> Assessment:
    """Assess ``period`` for every partner in ``components`` under ``ruleset`` (see the module docstring).

    ``holds``: the holds of n months carried in, per rule (HOLD_SCHEMA, in their stored order);
    without it, each state's ``hold_through`` stands for one such hold. ``restated``: what the
    corrected history restates per partner (RESTATED_SCHEMA).
    """
    check_components(components)
    # Every count as Int64 whatever integer type it came in: the products in values.py assume it.
    components = components.with_columns([pl.col(k).cast(v[0]) for k, v in COMPONENTS.items()])
    states = states.select([pl.col(k).cast(v) for k, v in STATE_SCHEMA.items()])
    streaks = streaks.select([pl.col(k).cast(v) for k, v in STREAK_SCHEMA.items()])
    holds = prior_holds(states) if holds is None else holds.select([pl.col(k).cast(v) for k, v in HOLD_SCHEMA.items()])
    restated = (
        pl.DataFrame(schema=RESTATED_SCHEMA)
        if restated is None
        else restated.select([pl.col(k).cast(v) for k, v in RESTATED_SCHEMA.items()])
    )
    check_bounds(states, {"held": FEN_LIMIT, "receivable": FEN_LIMIT}, "states")
    check_bounds(restated, {k: FEN_LIMIT for k in RESTATED_SCHEMA if k != "partner_id"}, "restated amounts")
    month = month_index(period)

    # A partner terminated earlier is never assessed again.
    terminated = states.filter(pl.col("terminated_in").is_not_null()).select("partner_id")
    assessed = components.lazy().join(terminated.lazy(), on="partner_id", how="anti").sort("partner_id")

    values = values_frame(assessed, stage_names(ruleset)).collect(engine=ENGINE)
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

    # Holds: one collect for the three frames.
    rows = values.lazy().select("partner_id", "_row")
    prior = holds.lazy().with_row_index("_ord").with_columns(pl.col("_ord").cast(pl.Int64))
    active, carried, hold_summary = pl.collect_all(hold_frames(actions.lazy(), prior, rows, month), engine=ENGINE)

    # Fines and the capped deductions, then the settlement.
    cap = ruleset.caps.deduction_cap_pct if ruleset.caps else None
    fined, deductions = pl.collect_all(fines(actions.lazy(), scored.lazy(), cap), engine=ENGINE)
    check_fines(fined, deductions)
    partners = (
        settlement(
            scored.lazy(),
            effects(actions.lazy()),
            hold_summary.lazy(),
            deductions.lazy().drop("_top"),
            states.lazy(),
            restated.lazy(),
        )
        .select(PARTNER_COLUMNS)
        .collect(engine=ENGINE)
    )
    check_invariant(partners)
    fined = fined.with_columns(pl.col("uncapped").cast(pl.Int64), pl.col("part").cast(pl.Int64))

    watch = watch_frame(
        ruleset, rules.lazy(), partners.lazy().filter(pl.col("terminated")).select("partner_id")
    ).collect(engine=ENGINE)

    next_states, next_streaks = _next_states(partners, hold_summary, rules, states, streaks, month)
    return Assessment(
        values.drop("_row"),
        rules.drop("_row"),
        actions.drop("_row"),
        parts,
        partners,
        next_states,
        next_streaks,
        active,
        carried,
        fined,
        watch.drop("_row"),
    )


def _next_states(
    partners: pl.DataFrame,
    hold_summary: pl.DataFrame,
    rules: pl.DataFrame,
    states: pl.DataFrame,
    streaks: pl.DataFrame,
    month: int,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Assessed partners carry this month's outcome; the others keep theirs, with streaks reset
    unless terminated (an absent month breaks a streak)."""
    c = pl.col
    new = (
        partners.lazy()
        .join(hold_summary.lazy().select("partner_id", "state_through"), on="partner_id", how="left")
        .select(
            "partner_id",
            c("state_through").alias("hold_through"),
            c("held_out").alias("held"),
            c("receivable_out").alias("receivable"),
            pl.when(c("terminated")).then(pl.lit(month, dtype=pl.Int64)).otherwise(None).alias("terminated_in"),
            pl.lit(month, dtype=pl.Int64).alias("last_assessed"),
        )
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

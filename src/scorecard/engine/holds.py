"""Holds per rule, as polars frames (docs/settlement.md#holds).

Two kinds, as :class:`scorecard.state.Hold`: a ``hold_until_compliant``
action fired this month holds while its rule is breached (one hold per rule,
started when the streak began, no end); a ``hold_months`` action starts a
hold of n months (this month … this month + n − 1) that runs whatever happens
meanwhile and is carried in the partner's state until its last month.

Months are month indexes (:func:`scorecard.engine.rules.month_index`): a
month index is below 2**17 for any year the calendar has, so ``month + n``
and ``month + 1 − streak`` stay far inside Int64 (n and the streak are
configured or counted months, below 2**40).

The rows come in the Fraction engine's order, which the record keeps where
its sort ties (two holds of one rule started the same month): the holds until
compliant in firing order, then the carried holds of n months in their stored
order, then this month's in firing order.
"""

from __future__ import annotations

import polars as pl

# Holds of n months carried from one month into the next (the record's state_holds).
HOLD_SCHEMA = {
    "partner_id": pl.String(),
    "rule_id": pl.String(),
    "kind": pl.String(),  # "months" (a hold until compliant is never carried: it is decided each month)
    "started": pl.Int64(),  # month index
    "ends": pl.Int64(),  # month index of the last month it covers
}
_COLS = list(HOLD_SCHEMA)


def prior_holds(states: pl.DataFrame) -> pl.DataFrame:
    """The holds of n months a state frame of the old shape implies (one per partner, up to
    ``hold_through``), for callers that carry no holds per rule."""
    return states.filter(pl.col("hold_through").is_not_null()).select(
        "partner_id",
        pl.lit("hold_months").alias("rule_id"),
        pl.lit("months").alias("kind"),
        pl.min_horizontal(pl.col("last_assessed").fill_null(pl.col("hold_through")), pl.col("hold_through")).alias(
            "started"
        ),
        pl.col("hold_through").alias("ends"),
    )


def hold_frames(
    actions: pl.LazyFrame, prior: pl.LazyFrame, assessed: pl.LazyFrame, month: int
) -> tuple[pl.LazyFrame, pl.LazyFrame, pl.LazyFrame]:
    """(holds active this month, the holds of n months every known partner carries out, and per
    assessed partner with a hold: on_hold, hold_through — the last month its running holds of n
    months cover — and state_through — the same over the holds it carries out).

    ``prior``: HOLD_SCHEMA with ``_ord`` (the stored order); ``assessed``: partner_id, _row.
    """
    c = pl.col
    until = (
        actions.filter(c("kind") == "hold_until_compliant")
        .unique(["partner_id", "rule_id"], keep="first", maintain_order=True)
        .select(
            "partner_id",
            "_row",
            "rule_id",
            pl.lit("until_compliant").alias("kind"),
            (pl.lit(month + 1, dtype=pl.Int64) - c("streak")).alias("started"),
            pl.lit(None, dtype=pl.Int64).alias("ends"),
            pl.lit(0, dtype=pl.Int64).alias("_grp"),
            c("sequence").alias("_ord"),
        )
    )
    # An assessed partner keeps the holds of n months that still run this month or later.
    carried_in = (
        prior.join(assessed, on="partner_id", how="inner")
        .filter(c("ends").is_not_null() & (c("ends") >= month))
        .select("partner_id", "_row", *_COLS[1:], pl.lit(1, dtype=pl.Int64).alias("_grp"), "_ord")
    )
    new = actions.filter(c("kind") == "hold_months").select(
        "partner_id",
        "_row",
        "rule_id",
        pl.lit("months").alias("kind"),
        pl.lit(month, dtype=pl.Int64).alias("started"),
        c("hold_through").alias("ends"),
        pl.lit(2, dtype=pl.Int64).alias("_grp"),
        c("sequence").alias("_ord"),
    )
    month_holds = pl.concat([carried_in, new]).sort("_row", "_grp", "_ord")
    active = pl.concat([until, month_holds.filter(c("started") <= month)]).sort("_row", "_grp", "_ord")
    # A partner not assessed keeps its holds as they are (docs/settlement.md#absent-partners).
    absent = prior.join(assessed, on="partner_id", how="anti").sort("_ord").select(_COLS)
    carried_out = pl.concat([month_holds.select(_COLS), absent])
    months = c("kind") == "months"
    summary = (
        active.group_by("partner_id")
        .agg(pl.lit(True).alias("on_hold"), c("ends").filter(months).max().alias("hold_through"))
        .join(
            month_holds.group_by("partner_id").agg(c("ends").max().alias("state_through")),
            on="partner_id",
            how="full",
            coalesce=True,
        )
        .with_columns(c("on_hold").fill_null(False))
    )
    return active.drop("_grp", "_ord"), carried_out, summary

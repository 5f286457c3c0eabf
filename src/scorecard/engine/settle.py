"""Holds, status and settlement in integer fen, as polars expressions (docs/settlement.md).

    F = round_half_up(G × n/d) = (2·G·n + d) // (2·d)        (Int128: |2·G·n| < 2**123)
    A = G − R − F − Cin;  if A < 0: Cout = −A, A = 0          (Int64: |A| < 2**62)
    terminated or hold active: payout 0, released 0, Hout = Hin + A
    otherwise:                 released = Hin, payout = A + Hin, Hout = 0

A hold is active when a ``hold_until_compliant`` action fired this month or
a ``hold_months`` hold (this month's or one carried in) runs through it.
Amounts are below 2**60 fen on the way in (checked), so every sum above
stays below 2**63.
"""

from __future__ import annotations

import polars as pl

from scorecard.engine.exact import div_half_up, wide
from scorecard.settle import InvariantError

STATUS = pl.Enum(["active", "on_hold", "terminated"])


def effects(actions: pl.LazyFrame) -> pl.LazyFrame:
    """Per partner with a fired action: what the actions do to its money."""
    kind = pl.col("kind")
    return actions.group_by("partner_id").agg(
        (kind == "hold_until_compliant").any().alias("_hold_until_compliant"),
        # the rules holding until compliant, in firing order (the actions come sorted)
        pl.col("rule_id")
        .filter(kind == "hold_until_compliant")
        .unique(maintain_order=True)
        .alias("hold_rules"),  # one hold per rule
        pl.col("hold_through").max().alias("_hold_months_through"),
        (kind == "terminate").any().alias("terminated"),
    )


def settlement(scored: pl.LazyFrame, fx: pl.LazyFrame, prior: pl.LazyFrame, month: int) -> pl.LazyFrame:
    """scored partners + effects + prior states -> status, holds and every money column."""
    c = pl.col
    gross = c("gross_amount")
    score_deduction = div_half_up(wide(gross) * c("band_share_num"), wide(c("band_share_den")))
    through = pl.max_horizontal(c("_prior_hold_through"), c("_hold_months_through"))
    frame = (
        scored.join(fx, on="partner_id", how="left", maintain_order="left")
        .join(
            prior.select(
                "partner_id",
                c("hold_through").alias("_prior_hold_through"),
                c("held").alias("held_in"),
                c("receivable").alias("receivable_in"),
            ),
            on="partner_id",
            how="left",
            maintain_order="left",
        )
        .with_columns(
            c("held_in").fill_null(0),
            c("receivable_in").fill_null(0),
            c("terminated").fill_null(False),
            c("_hold_until_compliant").fill_null(False),
            c("hold_rules").fill_null(pl.lit([], dtype=pl.List(pl.String))),
            hold_through=pl.when(through >= month).then(through).otherwise(None).cast(pl.Int64),
            refund_deduction=c("refund_total"),
            # F ≤ |G| as the share is at most 1, so the strict cast back to Int64 cannot fail.
            score_deduction=score_deduction.cast(pl.Int64, strict=True),
        )
        .with_columns(
            on_hold=c("_hold_until_compliant") | c("hold_through").is_not_null(),
            _available=gross - c("refund_deduction") - c("score_deduction") - c("receivable_in"),
        )
        .with_columns(
            receivable_out=pl.max_horizontal(-c("_available"), pl.lit(0)),
            _available=pl.max_horizontal(c("_available"), pl.lit(0)),
            _withheld=c("terminated") | c("on_hold"),
        )
        .with_columns(
            held_out=pl.when(c("_withheld")).then(c("held_in") + c("_available")).otherwise(0),
            released=pl.when(c("_withheld")).then(0).otherwise(c("held_in")),
            payout=pl.when(c("_withheld")).then(0).otherwise(c("_available") + c("held_in")),
            status=pl.when(c("terminated"))
            .then(pl.lit("terminated"))
            .when(c("on_hold"))
            .then(pl.lit("on_hold"))
            .otherwise(pl.lit("active"))
            .cast(STATUS),
        )
    )
    return frame.drop("_available", "_withheld", "_prior_hold_through", "_hold_months_through").rename(
        {"_hold_until_compliant": "hold_until_compliant"}
    )


def check_invariant(frame: pl.DataFrame) -> None:
    """payout + (Hout − Hin) + R + F + Cin = G + Cout on every row, and nothing negative paid or held."""
    c = pl.col
    lhs = c("payout") + (c("held_out") - c("held_in")) + c("refund_deduction") + c("score_deduction")
    bad = frame.filter(
        (wide(lhs + c("receivable_in")) != wide(c("gross_amount") + c("receivable_out")))
        | (pl.min_horizontal("payout", "held_out", "receivable_out", "released") < 0)
    )
    if not bad.is_empty():
        raise InvariantError(f"settlement does not balance: {bad.row(0, named=True)}")

"""Fines, the deduction cap, status and settlement in integer fen, as polars expressions
(docs/settlement.md, the same formula as :func:`scorecard.settle.settle`).

    F₀ = round_half_up(G × n/d) = (2·G·n + d) // (2·d)         Int128: |2·G·n| < 2**123
    fineᵢ = its fixed amount in fen, or round_half_up(G × pᵢ/qᵢ)  Int128: |2·G·pᵢ| < 2**123
    cap:  room = round_half_up(G × cap),  F = min(F₀, room),    Int128, as F₀
          fine partᵢ = min(fineᵢ, max(room − F − Σⱼ<ᵢ fineⱼ, 0))  (fines in rule order)
    no cap: F = F₀, partᵢ = fineᵢ;  P = Σ partᵢ
    A = G − R − F − P − Cin + Adj;  if A < 0: Cout = −A, A = 0   Int64: six terms below 2**60
    terminated or hold active: payout 0, released 0, Hout = Hin + A
    otherwise:                 released = Hin, payout = A + Hin, Hout = 0

The capped parts are the sequential cap of :func:`scorecard.settle.capped`
written with a running sum: G ≥ 0 (the inputs refuse a negative gross) and
every share ≥ 0, so F₀, the fines and ``room − F`` are all ≥ 0, and a fine
takes what the score deduction and the fines before it left of the cap.
Amounts are below 2**60 fen on the way in (checked), a fine or P at or beyond
2**60 is refused (:func:`check_fines`), so every Int64 sum above stays below
2**63.
"""

from __future__ import annotations

from decimal import Decimal

import polars as pl

from scorecard.engine.exact import FEN_LIMIT, I128, div_half_up, rational, wide
from scorecard.settle import InvariantError

STATUS = pl.Enum(["active", "on_hold", "terminated"])
# What the corrected history restates for a partner's open month (scorecard.assess.Restated).
RESTATED_SCHEMA = {
    "partner_id": pl.String(),
    "adjustment": pl.Int64(),  # signed; enters A
    "held_restated": pl.Int64(),  # already in the state's held balance
    "receivable_restated": pl.Int64(),  # already in the state's receivable
}


def effects(actions: pl.LazyFrame) -> pl.LazyFrame:
    """Per partner with a fired action: the rules holding it until compliant, and a termination."""
    kind = pl.col("kind")
    return actions.group_by("partner_id").agg(
        # the rules holding until compliant, in firing order (the actions come sorted)
        pl.col("rule_id").filter(kind == "hold_until_compliant").unique(maintain_order=True).alias("hold_rules"),
        (kind == "terminate").any().alias("terminated"),
    )


def fines(actions: pl.LazyFrame, scored: pl.LazyFrame, cap: Decimal | None) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """(every fired fine with its amount before and after the cap, per partner the capped score
    deduction and P). ``scored``: partner_id, gross_amount, band_share_num/_den."""
    c = pl.col
    gross = wide(c("gross_amount"))
    uncapped_score = div_half_up(gross * c("band_share_num"), wide(c("band_share_den")))
    if cap is None:
        room = pl.lit(None, dtype=I128)
    else:
        p, q = rational(cap)
        room = div_half_up(gross * p, pl.lit(q, dtype=I128))  # |2·G·p| < 2**123
    base = scored.select(
        "partner_id",
        c("gross_amount"),
        uncapped_score.alias("_f0"),
        room.alias("_room"),
    ).with_columns(
        # what the score deduction leaves of the cap: ≥ 0, as F₀ ≥ 0 and F = min(F₀, room)
        _left=c("_room") - pl.min_horizontal(c("_f0"), c("_room")),
    )
    fined = (
        actions.filter(c("kind") == "fine")
        .select("partner_id", "_row", "sequence", "rule_id", "fine_fen", "pct_num", "pct_den", "pct_text")
        .join(base, on="partner_id", how="left", maintain_order="left")
        .with_columns(
            uncapped=pl.when(c("fine_fen").is_not_null())
            .then(wide(c("fine_fen")))
            .otherwise(div_half_up(wide(c("gross_amount")) * c("pct_num"), wide(c("pct_den"))))
        )
        .with_columns(_before=c("uncapped").cum_sum().over("_row") - c("uncapped"))
        .with_columns(
            part=pl.when(c("_room").is_null())
            .then(c("uncapped"))
            .otherwise(pl.min_horizontal(c("uncapped"), pl.max_horizontal(c("_left") - c("_before"), pl.lit(0)))),
        )
        .select("partner_id", "_row", "sequence", "rule_id", "fine_fen", "pct_text", "uncapped", "part")
    )
    per_partner = base.select(
        "partner_id",
        # F ≤ F₀ ≤ |G| (a band's share is at most 1): the strict cast back to Int64 cannot fail
        pl.when(c("_room").is_null())
        .then(c("_f0"))
        .otherwise(pl.min_horizontal(c("_f0"), c("_room")))
        .cast(pl.Int64, strict=True)
        .alias("score_deduction"),
        c("_f0").cast(pl.Int64, strict=True).alias("score_uncapped"),
    ).join(
        fined.group_by("partner_id").agg(c("part").sum().alias("fine_deduction"), c("uncapped").max().alias("_top")),
        on="partner_id",
        how="left",
        maintain_order="left",
    )
    return fined, per_partner


def check_fines(fined: pl.DataFrame, partners: pl.DataFrame) -> None:
    """Refuse a fine, or a month's fines, at or beyond 2**60 fen rather than let Int64 sums wrap."""
    big = partners.filter((pl.col("_top") >= FEN_LIMIT) | (pl.col("fine_deduction") >= FEN_LIMIT))
    if not big.is_empty():
        raise ValueError(f"fines: partner {big['partner_id'][0]} is fined beyond the engine's exact range")
    negative = fined.filter(pl.col("uncapped") < 0)
    if not negative.is_empty():
        raise ValueError(f"fines: partner {negative['partner_id'][0]} has a negative gross amount and a fine")


def settlement(
    scored: pl.LazyFrame,
    fx: pl.LazyFrame,
    holds: pl.LazyFrame,
    deductions: pl.LazyFrame,
    prior: pl.LazyFrame,
    restated: pl.LazyFrame,
) -> pl.LazyFrame:
    """scored partners + effects + holds + capped deductions + prior states + restatements ->
    status and every money column."""
    c = pl.col
    gross = c("gross_amount")
    frame = (
        scored.join(fx, on="partner_id", how="left", maintain_order="left")
        .join(holds.select("partner_id", "on_hold", "hold_through"), on="partner_id", how="left", maintain_order="left")
        .join(deductions, on="partner_id", how="left", maintain_order="left")
        .join(
            prior.select("partner_id", c("held").alias("held_in"), c("receivable").alias("receivable_in")),
            on="partner_id",
            how="left",
            maintain_order="left",
        )
        .join(restated, on="partner_id", how="left", maintain_order="left")
        .with_columns(
            c("held_in").fill_null(0),
            c("receivable_in").fill_null(0),
            c("terminated").fill_null(False),
            c("on_hold").fill_null(False),
            c("hold_rules").fill_null(pl.lit([], dtype=pl.List(pl.String))),
            c("fine_deduction").cast(pl.Int64).fill_null(0),
            c("adjustment").fill_null(0),
            c("held_restated").fill_null(0),
            c("receivable_restated").fill_null(0),
            refund_deduction=c("refund_total"),
        )
        .with_columns(
            hold_until_compliant=c("hold_rules").list.len() > 0,
            _available=gross
            - c("refund_deduction")
            - c("score_deduction")
            - c("fine_deduction")
            - c("receivable_in")
            + c("adjustment"),
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
    return frame.drop("_available", "_withheld")


def check_invariant(frame: pl.DataFrame) -> None:
    """payout + (Hout − Hin) + R + F + P + Cin = G + Cout + Adj on every row (in Int128), and
    nothing negative paid, held or carried."""
    c = pl.col
    lhs = (
        wide(c("payout"))
        + (wide(c("held_out")) - wide(c("held_in")))
        + wide(c("refund_deduction"))
        + wide(c("score_deduction"))
        + wide(c("fine_deduction"))
        + wide(c("receivable_in"))
    )
    rhs = wide(c("gross_amount")) + wide(c("receivable_out")) + wide(c("adjustment"))
    bad = frame.filter((lhs != rhs) | (pl.min_horizontal("payout", "held_out", "receivable_out", "released") < 0))
    if not bad.is_empty():
        raise InvariantError(f"settlement does not balance: {bad.row(0, named=True)}")

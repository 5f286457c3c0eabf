"""The money lines of every partner, from gross to payout, as one frame (the record's money_lines).

The same lines, in the same order, as :func:`scorecard.settle.settle`: gross,
each refund, the score deduction (when there is one), each fired fine (even
one the cap took to 0), the receivable carried in, the adjustment, the
receivable carried out, what a hold or a termination withholds, the release.
Each partner's lines add up to its payout (checked). Every amount is an
Int64 column the settlement already bounded; nothing is computed here but
signs and the withheld difference Hout − Hin (both below 2**62).
"""

from __future__ import annotations

import polars as pl

from scorecard.record import SCHEMAS
from scorecard.settle import InvariantError

_SCHEMA = SCHEMAS["money_lines"]


def _piece(
    frame: pl.LazyFrame, order: int, sub: pl.Expr | int, kind: pl.Expr | str, amount: pl.Expr, **cols: pl.Expr
) -> pl.LazyFrame:
    exprs = {
        "partner_id": pl.col("partner_id"),
        "_k": pl.lit(order, dtype=pl.Int64),
        "_i": sub if isinstance(sub, pl.Expr) else pl.lit(sub, dtype=pl.Int64),
        "kind": kind if isinstance(kind, pl.Expr) else pl.lit(kind),
        "amount": amount,
    }
    for name, dtype in _SCHEMA.items():
        if name in ("partner_id", "seq", "kind", "amount"):
            continue
        exprs[name] = cols.get(name, pl.lit(None, dtype=dtype))
    return frame.select([e.cast(_SCHEMA.get(n, pl.Int64)).alias(n) for n, e in exprs.items()])


def money_lines(partners: pl.DataFrame, fines: pl.DataFrame, refunds: pl.DataFrame) -> pl.DataFrame:
    """``partners``: the engine's partners with ``settlement_line`` and ``band_pct`` (the band's
    share as configured); ``fines``: the engine's fines; ``refunds``: the record's refunds of the
    assessed partners, in each partner's order."""
    c = pl.col
    p = partners.lazy()
    withheld = c("held_out") - c("held_in")
    pieces = [
        _piece(p, 0, 0, "gross", c("gross_amount"), source_line=c("settlement_line")),
        _piece(
            refunds.lazy().with_columns(_i=pl.int_range(pl.len(), dtype=pl.Int64).over("partner_id")),
            1,
            c("_i"),
            "refund",
            -c("deduction"),
            source_id=c("refund_id"),
            source_line=c("line"),
            refund_kind=c("kind"),
            base_amount=c("amount"),
            multiplier=c("multiplier"),
        ),
        _piece(
            p.filter(c("score_uncapped") != 0),
            2,
            0,
            "score",
            -c("score_deduction"),
            share=c("band_pct"),
            uncapped=pl.when(c("score_deduction") != c("score_uncapped")).then(c("score_uncapped")),
        ),
        _piece(
            fines.lazy(),
            3,
            c("sequence"),
            "fine",
            -c("part"),
            rule_id=c("rule_id"),
            base_amount=pl.when(c("fine_fen").is_not_null()).then(c("uncapped")),
            share=c("pct_text"),
            uncapped=pl.when(c("part") != c("uncapped")).then(c("uncapped")),
        ),
        _piece(p.filter(c("receivable_in") != 0), 4, 0, "receivable_in", -c("receivable_in")),
        _piece(p.filter(c("adjustment") != 0), 5, 0, "adjustment", c("adjustment")),
        _piece(p.filter(c("receivable_out") != 0), 6, 0, "receivable_out", c("receivable_out")),
        _piece(
            p.filter((c("status") != "active") & (withheld != 0)),
            7,
            0,
            pl.when(c("status") == "terminated").then(pl.lit("terminated")).otherwise(pl.lit("hold")),
            -withheld,
        ),
        _piece(p.filter(c("released") != 0), 8, 0, "release", c("released")),
    ]
    lines = (
        pl.concat(pieces)
        .sort("partner_id", "_k", "_i")
        .with_columns(seq=pl.int_range(pl.len(), dtype=pl.Int64).over("partner_id"))
        .select(list(_SCHEMA))
        .collect()
    )
    sums = lines.group_by("partner_id").agg(pl.col("amount").sum().alias("total"))
    bad = (
        partners.select("partner_id", "payout")
        .join(sums, on="partner_id", how="left")
        .filter(pl.col("total").fill_null(0) != pl.col("payout"))
    )
    if not bad.is_empty():
        raise InvariantError(f"money lines do not add up to the payout: {bad.row(0, named=True)}")
    return lines

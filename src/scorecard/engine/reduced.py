"""Exact pairs in lowest terms, as the record stores them (``Fraction``'s numerator and denominator).

The engine never reduces while it computes (a comparison cross-multiplies);
the record keeps every rational reduced, denominator > 0, 0 as 0/1. Dividing
by the gcd only shrinks the terms, so nothing can overflow. A reduced term that does not fit Int64 is
refused: the record's columns are Int64.
"""

from __future__ import annotations

import math

import polars as pl

I64_MAX = 2**63 - 1


def gcd(a: pl.Series, b: pl.Series) -> pl.Series:
    """gcd(|a|, |b|) element by element (0 where both are 0; null where either is null).

    Python's integers, one ``math.gcd`` per row: a few hundred nanoseconds each, faster than any
    column-wise Euclid for the record's sizes (a pair per partner × rule), and exact for 128 bits.
    """
    out = [None if x is None or y is None else math.gcd(x, y) for x, y in zip(a.to_list(), b.to_list(), strict=True)]
    return pl.Series(out, dtype=a.dtype)


def reduced(frame: pl.DataFrame, pairs: dict[str, tuple[str, str]]) -> pl.DataFrame:
    """``frame`` with each pair (out name → num column, den column > 0) as ``<out>_num``/``<out>_den``
    in lowest terms (Int64, both null where either is null)."""
    cols = []
    for out, (num_col, den_col) in pairs.items():
        num, den = frame.get_column(num_col), frame.get_column(den_col)
        empty = num.is_null() | den.is_null()
        g = gcd(num.fill_null(0), den.fill_null(1))
        n = (num // g).alias("n")
        d = (den // g).alias("d")
        top = pl.DataFrame([n, d]).select(pl.col("n").abs().max(), pl.col("d").max()).row(0)
        if any(x is not None and x > I64_MAX for x in top):
            raise ValueError(f"{out}: a reduced term beyond 64 bits")
        none = pl.lit(None, dtype=pl.Int64)
        pair = pl.DataFrame([n.cast(pl.Int64), d.cast(pl.Int64), empty.alias("e")]).select(
            pl.when(pl.col("e")).then(none).otherwise(pl.col("n")).alias(f"{out}_num"),
            pl.when(pl.col("e")).then(none).otherwise(pl.col("d")).alias(f"{out}_den"),
        )
        cols += pair.get_columns()
    return frame.with_columns(cols)


def fraction_text(num: pl.Series, den: pl.Series) -> pl.Series:
    """A fraction (den > 0) in lowest terms as text, ``n`` or ``n/d`` (the record's score_exact)."""
    g = gcd(num, den)
    n, d = (num // g).cast(pl.String), (den // g)
    return (
        pl.DataFrame({"n": n, "d": d})
        .select(pl.when(pl.col("d") == 1).then(pl.col("n")).otherwise(pl.col("n") + "/" + pl.col("d").cast(pl.String)))
        .to_series()
    )

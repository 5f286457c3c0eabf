"""Exact integer arithmetic as polars expressions: rationals, comparisons, rounding.

polars integers wrap silently on overflow (Int64 and Int128 alike), so every
product below is formed in a dtype chosen from a bound on its factors, and the
bounds on the inputs are checked once per call (:func:`check_bounds`):

* counts (tickets, complaints, surveys, bases) are below ``2**40``;
* amounts of fen are below ``2**60`` in magnitude (10**16 yuan);
* a metric value is a pair ``num / den`` with ``|num| < 2**62`` and
  ``0 < den < 2**62``; a configured number (threshold, table point, weight,
  band) is a reduced fraction with both terms below ``2**62``.

A cross-multiplied comparison of two such pairs multiplies two factors below
``2**62``: below ``2**124``, inside Int128 (``2**127``). Sums of several such
products are bounded where they are formed.
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction
from typing import Final

import polars as pl

I64 = pl.Int64
I128 = pl.Int128
COUNT_LIMIT = 2**40
FEN_LIMIT = 2**60
TERM_LIMIT = 2**62
# The engine's frames hold one row per partner (or partner × rule): at that size
# polars' in-memory engine runs these plans faster than the streaming default.
ENGINE: Final = "in-memory"


def rational(value: Decimal | int | Fraction) -> tuple[int, int]:
    """A configured number as a reduced fraction (numerator, denominator > 0)."""
    f = Fraction(value)
    if abs(f.numerator) >= TERM_LIMIT or f.denominator >= TERM_LIMIT:
        raise ValueError(f"{value}: too many digits for exact 128-bit comparison (at most 18 significant digits)")
    return f.numerator, f.denominator


def lit128(value: int) -> pl.Expr:
    return pl.lit(value, dtype=I128)


def wide(expr: pl.Expr) -> pl.Expr:
    return expr.cast(I128)


def compare(op: str, a: pl.Expr, b: pl.Expr, c: pl.Expr, d: pl.Expr) -> pl.Expr:
    """``a/b op c/d`` for ``b, d > 0``, as ``a·d op c·b``: two Int128 products of factors below 2**62."""
    left = wide(a) * wide(d)
    right = wide(c) * wide(b)
    match op:
        case ">=":
            return left >= right
        case ">":
            return left > right
        case "<=":
            return left <= right
        case "<":
            return left < right
        case "==":
            return left == right
    raise ValueError(f"unknown operator {op!r}")


def div_half_up(num: pl.Expr, den: pl.Expr) -> pl.Expr:
    """``num / den`` rounded half away from zero, for ``den > 0`` (as :func:`scorecard.money.div_half_up`).

    ``(2·|num| + den) // (2·den)`` with the sign of ``num``: the caller passes
    Int128 operands whose doubled magnitude is bounded below 2**127.
    """
    magnitude = (num.abs() * 2 + den) // (den * 2)
    return pl.when(num < 0).then(0 - magnitude).otherwise(magnitude)  # Int128 has no unary minus in polars


def lcm(values: list[int]) -> int:
    return math.lcm(*values) if values else 1


def check_bounds(frame: pl.DataFrame, limits: dict[str, int], what: str) -> None:
    """Refuse inputs outside the bounds the overflow reasoning rests on (one pass over the columns)."""
    present = [c for c in limits if c in frame.columns]
    if not present or frame.is_empty():
        return
    row = frame.select([pl.col(c).abs().max().alias(c) for c in present]).row(0, named=True)
    for column in present:
        top = row[column]
        if top is not None and top >= limits[column]:
            raise ValueError(f"{what}: {column} reaches {top}, beyond the engine's exact range (< {limits[column]})")

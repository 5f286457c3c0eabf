"""Money: integer fen end to end, one rounding rule (half up), parse and format.

Every amount in scorecard is an ``int`` of fen (1 yuan = 100 fen). Amounts are
parsed from text against a strict pattern (never through a float), derived
amounts are rounded once with :func:`round_half_up`, and formatted back with
exactly two decimals.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import polars as pl

# Digits, optional dot and one or two decimals. No sign, no thousands
# separators, no currency sign, ASCII digits only (full-width digits are not
# accepted: they are a sign of a hand-edited file).
MONEY_PATTERN = r"^[0-9]+(\.[0-9]{1,2})?$"
# Yuan digits accepted before the decimal point: 16 digits x 100 still fits Int64.
MAX_WHOLE_DIGITS = 16

# A numeric Excel cell must stand within this many fen of a whole fen amount.
EXCEL_FEN_TOLERANCE = 1e-6


def parse_hundredths(texts: pl.Series) -> pl.Series:
    """Text cells -> whole hundredths (money in fen, scores in hundredths of a point), Int64.

    The one money parser of scorecard: the loader reads every money and score
    cell through it. The strict pattern is checked first, then the digits are
    combined with integer arithmetic (never through a float or a polars Decimal
    cast, which round silently). Null where a cell is not strict. A leading
    '-' is kept (the amount comes out negative) so that the caller can say
    "negative amount" rather than "not an amount".
    """
    v = pl.col("v")
    negative = v.str.starts_with("-")
    magnitude = pl.when(negative).then(v.str.slice(1)).otherwise(v)
    frame = texts.to_frame("v").select(
        negative=negative,
        ok=magnitude.str.contains(MONEY_PATTERN)
        & (magnitude.str.extract(r"^([0-9]*)", 1).str.len_bytes() <= MAX_WHOLE_DIGITS),
        whole=magnitude.str.extract(r"^([0-9]+)", 1),
        cents=magnitude.str.extract(r"\.([0-9]{1,2})$", 1).fill_null("").str.pad_end(2, "0"),
    )
    amount = pl.col("whole").str.to_integer(strict=False) * 100 + pl.col("cents").str.to_integer(strict=False)
    return frame.select(
        pl.when(pl.col("ok")).then(pl.when(pl.col("negative")).then(-amount).otherwise(amount)).alias("v")
    ).to_series()


def round_half_up(value: Fraction | Decimal | int) -> int:
    """Round an exact quantity to a whole number, half away from zero (四舍五入)."""
    num, den = value.as_integer_ratio()
    return div_half_up(num, den)


def div_half_up(num: int, den: int) -> int:
    """num / den rounded half away from zero, in integers only (den > 0)."""
    q, r = divmod(abs(num), den)
    if 2 * r >= den:
        q += 1
    return q if num >= 0 else -q


def fen_times(fen: int, share: Fraction | Decimal) -> int:
    """fen × share, rounded once, half up, to the fen."""
    num, den = share.as_integer_ratio()
    return div_half_up(fen * num, den)


def format_fen(fen: int) -> str:
    """123450 -> '1234.50' (exactly two decimals, no separators)."""
    sign = "-" if fen < 0 else ""
    q, r = divmod(abs(fen), 100)
    return f"{sign}{q}.{r:02d}"

"""Money: integer fen end to end, one rounding rule (half up), parse and format.

Every amount in scorecard is an ``int`` of fen (1 yuan = 100 fen). Amounts are
parsed from text against a strict pattern (never through a float), derived
amounts are rounded once with :func:`round_half_up`, and formatted back with
exactly two decimals.
"""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction

# Digits, optional dot and one or two decimals. No sign, no thousands
# separators, no currency sign, ASCII digits only (full-width digits are not
# accepted: they are a sign of a hand-edited file).
MONEY_PATTERN = r"^[0-9]+(\.[0-9]{1,2})?$"
_MONEY_RE = re.compile(MONEY_PATTERN)

# A numeric Excel cell must stand within this many fen of a whole fen amount.
EXCEL_FEN_TOLERANCE = 1e-6


class MoneyError(ValueError):
    """A text that is not a money amount."""


def parse_yuan(text: str) -> int:
    """'1234.5' -> 123450 fen. Raises MoneyError for anything not strict."""
    s = text.strip()
    if not _MONEY_RE.match(s):
        raise MoneyError(f"not an amount in yuan with at most 2 decimals: {text!r}")
    whole, _, frac = s.partition(".")
    return int(whole) * 100 + int((frac + "00")[:2])


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


def fen_to_decimal(fen: int) -> Decimal:
    """Fen as a Decimal of yuan, for writers that want a number (Excel)."""
    return Decimal(fen).scaleb(-2)

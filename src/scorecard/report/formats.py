"""How numbers and text appear in outputs: fixed decimals, rounded half up."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from scorecard.money import div_half_up

# Cells starting with these would be taken as a formula by a spreadsheet.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\0")


def fixed(value: Fraction | Decimal | int | None, places: int) -> str:
    """Exact value -> text with exactly ``places`` decimals, half up; '' when empty."""
    if value is None:
        return ""
    num, den = value.as_integer_ratio()
    scaled = div_half_up(num * 10**places, den)
    sign = "-" if scaled < 0 else ""
    q, r = divmod(abs(scaled), 10**places)
    return f"{sign}{q}.{r:0{places}d}" if places else f"{sign}{q}"


def csv_text(text: str | None) -> str:
    """Text for a CSV cell: a leading ' keeps a spreadsheet from running it as a formula."""
    if text is None:
        return ""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def share(value: Decimal) -> str:
    """A configured share (0.05) with at least 2 decimals, never rounded."""
    exponent = value.as_tuple().exponent
    return fixed(value, max(2, -exponent if isinstance(exponent, int) else 2))

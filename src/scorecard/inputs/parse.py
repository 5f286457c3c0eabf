"""Typed values from raw cells, one column at a time, by the column's kind.

Every parser is vectorised: it returns the typed column (null where the cell
is empty or bad) and, for each way a cell can be wrong, a mask of the cells
that are. Only the loader turns the first few masked cells into messages.

Money and scores are read as text by :func:`scorecard.money.parse_hundredths`,
the one money parser, into integer hundredths. A numeric cell (Excel, Parquet) stands
for the amount it is within ``EXCEL_FEN_TOLERANCE`` of.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import polars as pl

from scorecard.i18n import t
from scorecard.inputs import temporal
from scorecard.inputs.schema import DTYPES, Column
from scorecard.money import EXCEL_FEN_TOLERANCE, MAX_WHOLE_DIGITS, parse_hundredths

BOOL_EXPECTED = "true/false, 1/0, yes/no, y/n or 是/否"
_BOOLS = {
    **dict.fromkeys(("true", "1", "yes", "y", "是"), True),
    **dict.fromkeys(("false", "0", "no", "n", "否"), False),
}
_INT_PATTERN = r"^[+-]?[0-9]+$"
# Whole numbers a float64 holds exactly; beyond this a numeric cell cannot be trusted.
_EXACT_FLOAT = 2.0**53
# Above ~10^9 fen a float64 cannot resolve EXCEL_FEN_TOLERANCE; allow a few units
# in the last place there (relative 2^-50) so an exactly stored large amount passes.
_RELATIVE_SLACK = 2.0**-50


@dataclass(frozen=True, slots=True)
class Failure:
    mask: pl.Series  # Boolean without nulls: the cells that fail this way
    message: str  # what is wrong; the loader appends the cell as written
    expected: str | None


@dataclass(frozen=True, slots=True)
class Parsed:
    values: pl.Series  # typed as schema.DTYPES[kind]; null where empty or bad
    failures: tuple[Failure, ...] = ()
    type_error: str | None = None  # the storage type cannot hold this kind at all (Parquet, Excel)


def expected_for(column: Column, choices: Collection[str] = ()) -> str:
    """What a valid cell of this column looks like, for messages."""
    match column.kind:
        case "str":
            return t("expected_text")
        case "enum":
            return t("one_of", choices=", ".join(sorted(choices)) if choices else t("none_configured_paren"))
        case "int":
            return t("expected_int") + (f" ≥ {column.min_value}" if column.min_value is not None else "")
        case "money":
            return t("expected_money", sign="> 0" if column.positive else "≥ 0")
        case "points":
            return t("expected_points")
        case "datetime":
            return t("expected_datetime")
        case "date":
            return t("expected_date")
        case "bool":
            return t("expected_bool")  # BOOL_EXPECTED
    raise AssertionError(column.kind)


def parse_column(raw: pl.Series, column: Column, *, choices: Collection[str], timezone: str) -> Parsed:
    """Typed values and failures of one column; empty cells are left to the caller."""
    expected = expected_for(column, choices)
    if raw.dtype == pl.Null:  # a column without any value (Excel, Parquet): all cells empty
        raw = raw.cast(pl.String)
    match column.kind:
        case "str":
            return _text(raw)
        case "enum":
            return _enum(raw, column, choices, expected)
        case "int":
            return _int(raw, column, expected)
        case "money" | "points":
            return _hundredths(raw, column, expected)
        case "datetime":
            return _datetime(raw, timezone, expected)
        case "date":
            return _date(raw, timezone, expected)
        case "bool":
            return _bool(raw, expected)
    raise AssertionError(column.kind)


def _eval(values: pl.Series, expr: pl.Expr) -> pl.Series:
    """Evaluate an expression over ``pl.col("v")``."""
    return values.to_frame("v").select(expr.alias("v")).to_series()


def _failed(raw: pl.Series, values: pl.Series) -> pl.Series:
    """Cells given but not read."""
    return raw.is_not_null() & values.is_null()


_V = pl.col("v")
_INTEGRAL = _V.is_finite() & (_V.floor() == _V) & (_V.abs() < _EXACT_FLOAT)


def _type_error(raw: pl.Series, what: str) -> Parsed:  # ``what``: a catalogue key (holds_…)
    return Parsed(
        pl.repeat(None, raw.len(), dtype=pl.Null, eager=True),
        (),
        t("type_cannot_hold", dtype=raw.dtype, what=t(what)),
    )


def _text(raw: pl.Series) -> Parsed:
    """Ids typed as numbers in Excel (1001 -> 1001.0) read as "1001"."""
    dtype = raw.dtype
    if dtype == pl.String:
        return Parsed(raw)
    if dtype.is_float():
        return Parsed(
            _eval(raw, pl.when(_INTEGRAL).then(_V.cast(pl.Int64).cast(pl.String)).otherwise(_V.cast(pl.String)))
        )
    if dtype.is_integer() or dtype.is_decimal() or dtype.is_temporal() or dtype == pl.Boolean:
        return Parsed(raw.cast(pl.String))
    return _type_error(raw, "holds_text")


def _enum(raw: pl.Series, column: Column, choices: Collection[str], expected: str) -> Parsed:
    """Exact match first; otherwise case-insensitive when that is unambiguous ("emp" -> "EMP")."""
    text = _text(raw)
    if text.type_error:
        return text
    folded: dict[str, list[str]] = {}
    for choice in choices:
        folded.setdefault(choice.lower(), []).append(choice)
    lookup = {low: found[0] for low, found in folded.items() if len(found) == 1}
    lookup.update({c: c for c in choices})
    exact = list(choices)
    values = _eval(
        text.values,
        pl.when(_V.is_in(exact))
        .then(_V)
        .otherwise(_V.str.to_lowercase().replace_strict(lookup, default=None, return_dtype=pl.String)),
    )
    return Parsed(values, (Failure(_failed(raw, values), t("unknown_value_of", column=column.name), expected),))


def _bool_text(raw: pl.Series) -> pl.Series:
    """Cells as written first (one lookup); lower-cased only where that missed ("TRUE", "Yes")."""
    lookup = _V.replace_strict(_BOOLS, default=None, return_dtype=pl.Boolean)
    values = _eval(raw, lookup)
    missed = (values.is_null() & raw.is_not_null()).arg_true()
    if missed.len():
        values.scatter(missed, _eval(raw.gather(missed).str.to_lowercase(), lookup))
    return values


def _bool(raw: pl.Series, expected: str) -> Parsed:
    dtype = raw.dtype
    if dtype == pl.Boolean:
        return Parsed(raw)
    if dtype == pl.String:
        values = _bool_text(raw)
    elif dtype.is_numeric():
        values = _eval(raw, pl.when(_V == 1).then(True).when(_V == 0).then(False))
    else:
        return _type_error(raw, "holds_bools")
    return Parsed(values, (Failure(_failed(raw, values), t("not_bool"), expected),))


def _int(raw: pl.Series, column: Column, expected: str) -> Parsed:
    dtype = raw.dtype
    if dtype == pl.String:
        values = _eval(raw, pl.when(_V.str.contains(_INT_PATTERN)).then(_V.str.to_integer(strict=False)))
    elif dtype.is_decimal():
        return _int(raw.cast(pl.String).str.replace(r"\.0+$", ""), column, expected)
    elif dtype.is_integer():
        values = raw.cast(pl.Int64, strict=False)
    elif dtype.is_float():
        values = _eval(raw, pl.when(_INTEGRAL).then(_V.cast(pl.Int64)))
    else:
        return _type_error(raw, "holds_ints")
    failures = [Failure(_failed(raw, values), t("not_int"), expected)]
    values, ranged = _in_range(values, column, expected, "number")
    return Parsed(values, (*failures, *ranged))


def _hundredths(raw: pl.Series, column: Column, expected: str) -> Parsed:
    """Money (fen) and scores (hundredths): 1234.5 -> 123450."""
    dtype = raw.dtype
    if dtype == pl.String:
        values = parse_hundredths(raw)
    elif dtype.is_decimal():
        # exact digits; a scale above 2 only adds trailing zeros we can drop
        return _hundredths(raw.cast(pl.String).str.replace(r"(\.[0-9]{2})0+$", "${1}"), column, expected)
    elif dtype.is_integer():
        limit = 10**MAX_WHOLE_DIGITS
        values = _eval(raw.cast(pl.Int64, strict=False), pl.when(_V.abs() < limit).then(_V * 100))
    elif dtype.is_float():
        values = _hundredths_float(raw)
    else:
        return _type_error(raw, "holds_amounts" if column.kind == "money" else "holds_scores")
    failures = [Failure(_failed(raw, values), t("not_money" if column.kind == "money" else "not_points"), expected)]
    values, ranged = _in_range(values, column, expected, "amount" if column.kind == "money" else "score")
    return Parsed(values, (*failures, *ranged))


def _hundredths_float(raw: pl.Series) -> pl.Series:
    """A numeric cell stands for the whole hundredths it is within tolerance of (2000.1 -> 200010)."""
    scaled = _V * 100.0
    nearest = scaled.round(0)
    tolerance = pl.max_horizontal(pl.lit(EXCEL_FEN_TOLERANCE), scaled.abs() * _RELATIVE_SLACK)
    ok = _V.is_finite() & (scaled.abs() < _EXACT_FLOAT) & ((scaled - nearest).abs() <= tolerance)
    return _eval(raw, pl.when(ok).then(nearest.cast(pl.Int64)))


def _in_range(values: pl.Series, column: Column, expected: str, noun: str) -> tuple[pl.Series, list[Failure]]:
    """Range failures, and the values with out-of-range cells nulled."""
    checks: list[tuple[pl.Expr, str]] = []
    low = 0 if column.kind in ("money", "points") else column.min_value
    if low == 0:
        checks.append((_V < 0, t(f"negative_{noun}")))
    elif low is not None:
        checks.append((low > _V, t(f"{noun}_below_minimum")))
    if column.positive:
        checks.append((_V == 0, t(f"{noun}_not_positive")))
    if column.max_value is not None:
        top = column.max_value / 100 if column.kind == "points" else column.max_value
        checks.append((column.max_value < _V, t(f"{noun}_above", top=f"{top:g}")))
    if not checks:
        return values, []
    masks = values.to_frame("v").select(*(cond.fill_null(False).alias(f"m{i}") for i, (cond, _) in enumerate(checks)))
    failures = [Failure(masks.get_column(f"m{i}"), message, expected) for i, (_, message) in enumerate(checks)]
    out = _eval(values, pl.when(~pl.any_horizontal(*(cond.fill_null(False) for cond, _ in checks))).then(_V))
    return out, failures


def _datetime(raw: pl.Series, timezone: str, expected: str) -> Parsed:
    dtype = raw.dtype
    if dtype == pl.String:
        values = temporal.parse_datetime_text(raw, timezone)
    elif isinstance(dtype, pl.Datetime):
        return Parsed(temporal.native_datetime(raw, timezone))
    else:
        return _type_error(raw, "holds_datetimes")
    return Parsed(values, (Failure(_failed(raw, values), t("not_datetime"), expected),))


def _date(raw: pl.Series, timezone: str, expected: str) -> Parsed:
    dtype = raw.dtype
    if dtype == pl.Date:
        return Parsed(raw)
    if dtype == pl.String:
        values, has_time = temporal.parse_date_text(raw, timezone)
    elif isinstance(dtype, pl.Datetime):
        values, has_time = temporal.date_from_datetime(temporal.native_datetime(raw, timezone))
    else:
        return _type_error(raw, "holds_dates")
    bad = _failed(raw, values) & ~has_time
    return Parsed(
        values,
        (
            Failure(bad, t("not_date"), expected),
            Failure(has_time, t("datetime_not_date"), expected),
        ),
    )


def empty_values(column: Column, height: int) -> pl.Series:
    """A column of nulls typed for ``column`` (a column the file does not have)."""
    return pl.repeat(None, height, dtype=DTYPES[column.kind], eager=True).alias(column.name)

from __future__ import annotations

from fractions import Fraction

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from scorecard.inputs.parse import parse_column
from scorecard.inputs.schema import TABLES
from scorecard.money import fen_times, format_fen, parse_hundredths, round_half_up

GROSS = TABLES["settlement"].column("gross_amount")


def loaded(texts: list[str]) -> list[int | None]:
    """Money cells as the loader reads them (null: refused)."""
    series = pl.Series("v", texts, dtype=pl.String)
    return parse_column(series, GROSS, choices=(), timezone="Asia/Shanghai").values.to_list()


@pytest.mark.parametrize(("text", "fen"), [("1234", 123400), ("1234.5", 123450), ("1234.50", 123450), ("0.01", 1)])
def test_parse_money(text: str, fen: int) -> None:
    assert parse_hundredths(pl.Series([text])).to_list() == [fen]
    assert loaded([text]) == [fen]


@pytest.mark.parametrize("text", ["1,234.50", "¥12", "-5", "1.234", "１２", "1e3", ".5", "12.", " 7"])
def test_parse_money_refuses(text: str) -> None:
    assert loaded([text]) == [None]


def test_round_half_up_not_half_even() -> None:
    assert round_half_up(Fraction(5, 2)) == 3
    assert round_half_up(Fraction(-5, 2)) == -3
    assert round_half_up(Fraction(7, 2)) == 4
    assert round_half_up(Fraction(249, 100)) == 2


def test_fen_times_rounds_once_half_up() -> None:
    assert fen_times(12345, Fraction(5, 100)) == 617  # 617.25
    assert fen_times(10, Fraction(5, 100)) == 1  # 0.5 -> 1, not 0


@given(st.lists(st.integers(min_value=0, max_value=10**13), min_size=1, max_size=20))
def test_format_parse_roundtrip_through_the_loader(fens: list[int]) -> None:
    """What the loader does with a money cell: every formatted amount reads back to its fen."""
    texts = pl.Series("v", [format_fen(f) for f in fens], dtype=pl.String)
    assert parse_hundredths(texts).to_list() == fens
    parsed = parse_column(texts, GROSS, choices=(), timezone="Asia/Shanghai")
    assert parsed.values.to_list() == fens
    assert not any(f.mask.any() for f in parsed.failures)

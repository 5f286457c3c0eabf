"""Typing cells by kind: booleans, date-times, dates, money, scores, ints, enums, defaults."""

# Messages are asserted whole, as users read them; timestamps are naive local time by design.
# ruff: noqa: DTZ001

from __future__ import annotations

from datetime import date, datetime

import polars as pl
import pytest
from conftest import InputsFolder

from scorecard.inputs.parse import Parsed, parse_column
from scorecard.inputs.schema import TABLES, Column

ZONE = "Asia/Shanghai"
RECEIVED_AT = TABLES["complaints"].column("received_at")
OCCURRED_ON = TABLES["conduct"].column("occurred_on")
VALID = TABLES["complaints"].column("valid")
GROSS = TABLES["settlement"].column("gross_amount")
AMOUNT = TABLES["refunds"].column("amount")
SCORE = TABLES["surveys"].column("score")
BILLED = TABLES["billing"].column("billed_users")
MONEY_EXPECTED = "an amount in yuan ≥ 0 with at most 2 decimals, e.g. 1234.50, without separators or currency sign"


def parse(values: list[object], column: Column, dtype: pl.DataType | None = None) -> Parsed:
    return parse_column(pl.Series("v", values, dtype=dtype), column, choices=column.choices, timezone=ZONE)


def one(value: object, column: Column, dtype: pl.DataType | None = None) -> tuple[object, list[str]]:
    """The typed value and the failure messages of one cell."""
    parsed = parse([value], column, dtype)
    return parsed.values[0], [f.message for f in parsed.failures if f.mask[0]]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("true", True), ("TRUE", True), ("1", True), ("yes", True), ("Y", True), ("是", True),
        ("false", False), ("False", False), ("0", False), ("no", False), ("n", False), ("否", False),
    ],
)  # fmt: skip
def test_boolean_spellings(text: str, expected: bool) -> None:
    assert one(text, VALID) == (expected, [])


@pytest.mark.parametrize("text", ["maybe", "2", "t", "对"])
def test_boolean_errors(text: str) -> None:
    assert one(text, VALID) == (None, ["not a yes/no value"])


def test_boolean_native_cells() -> None:
    assert parse([1.0, 0.0, 2.0], VALID).values.to_list() == [True, False, None]
    assert parse([True, None], VALID).values.to_list() == [True, None]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-01 10:00", datetime(2026, 3, 1, 10, 0)),
        ("2026-03-01 10:00:05", datetime(2026, 3, 1, 10, 0, 5)),
        ("2026/03/01 10:00", datetime(2026, 3, 1, 10, 0)),
        ("2026/03/01 10:00:05", datetime(2026, 3, 1, 10, 0, 5)),
        ("2026/3/1 9:05", datetime(2026, 3, 1, 9, 5)),  # as Excel writes it in a Chinese locale
        ("2026-03-01T10:00", datetime(2026, 3, 1, 10, 0)),
        ("2026-03-01T10:00:05", datetime(2026, 3, 1, 10, 0, 5)),
        ("2026-03-01T10:00:05.250", datetime(2026, 3, 1, 10, 0, 5, 250000)),
        ("2026-03-01T02:00:05Z", datetime(2026, 3, 1, 10, 0, 5)),
        ("2026-03-01T10:00:05+08:00", datetime(2026, 3, 1, 10, 0, 5)),
        ("2026-03-01T03:00:05.5+01:00", datetime(2026, 3, 1, 10, 0, 5, 500000)),
        ("2026-02-28T18:00:00-08:00", datetime(2026, 3, 1, 10, 0)),
        ("2026-03-01", datetime(2026, 3, 1, 0, 0)),  # a date alone is 00:00, as an Excel date cell is
        ("2026/3/1", datetime(2026, 3, 1, 0, 0)),
    ],
)
def test_datetime_formats(text: str, expected: datetime) -> None:
    assert one(text, RECEIVED_AT) == (expected, [])


@pytest.mark.parametrize(
    "text",
    [
        "2026-13-01 10:00",
        "2026-02-30 10:00",
        "2026-03-01 24:00",
        "01/03/2026 10:00",
        "2026-03-32",
        "20260301 1000",
    ],
)
def test_datetime_errors(text: str) -> None:
    assert one(text, RECEIVED_AT) == (None, ["not a date-time"])


def test_datetime_in_another_zone() -> None:
    parsed = parse_column(pl.Series(["2026-03-01T10:00:00Z"]), RECEIVED_AT, choices=(), timezone="UTC")
    assert parsed.values.to_list() == [datetime(2026, 3, 1, 10, 0)]


def test_datetime_mixed_formats_in_one_column() -> None:
    parsed = parse(["2026-03-01 10:00", "2026/3/2 11:00", None, "x", "2026-03-03T12:00:00Z"], RECEIVED_AT)
    assert parsed.values.to_list() == [
        datetime(2026, 3, 1, 10),
        datetime(2026, 3, 2, 11),
        None,
        None,
        datetime(2026, 3, 3, 20),
    ]
    assert parsed.failures[0].mask.to_list() == [False, False, False, True, False]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-05", date(2026, 3, 5)),
        ("2026/3/5", date(2026, 3, 5)),
        ("2026-03-05 00:00", date(2026, 3, 5)),
        ("2026-03-05T00:00:00", date(2026, 3, 5)),
    ],
)
def test_date_formats(text: str, expected: date) -> None:
    assert one(text, OCCURRED_ON) == (expected, [])


def test_date_errors() -> None:
    assert one("2026-03-05 14:30", OCCURRED_ON) == (None, ["a date-time with a time of day, not a date"])
    assert one("5.3.2026", OCCURRED_ON) == (None, ["not a date"])
    assert one(datetime(2026, 3, 5), OCCURRED_ON, pl.Datetime("ms")) == (date(2026, 3, 5), [])


@pytest.mark.parametrize(("text", "fen"), [("1234", 123400), ("1234.5", 123450), ("1234.50", 123450),
                                           ("0", 0), ("0.01", 1), ("007.10", 710)])  # fmt: skip
def test_money_ok(text: str, fen: int) -> None:
    assert one(text, GROSS) == (fen, [])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1,234.50", "not an amount in yuan with at most 2 decimals"),
        ("¥12", "not an amount in yuan with at most 2 decimals"),
        ("1.234", "not an amount in yuan with at most 2 decimals"),
        ("0.125", "not an amount in yuan with at most 2 decimals"),
        ("１２", "not an amount in yuan with at most 2 decimals"),
        ("1e3", "not an amount in yuan with at most 2 decimals"),
        ("12.", "not an amount in yuan with at most 2 decimals"),
        ("-5", "negative amount"),
        ("-0.5", "negative amount"),
    ],
)
def test_money_errors(text: str, message: str) -> None:
    assert one(text, GROSS) == (None, [message])


def test_money_positive() -> None:
    assert one("0", AMOUNT) == (None, ["amount must be greater than 0"])
    assert one("0.01", AMOUNT) == (1, [])


def test_money_from_numeric_cells() -> None:
    floats = parse([2000.1, 0.1 + 0.2, 2000.123, 12345678901.23, float("nan"), -1.0], GROSS)
    assert floats.values.to_list() == [200010, 30, None, 1234567890123, None, None]
    assert parse([12, None], GROSS, pl.Int64).values.to_list() == [1200, None]
    decimals = parse(["1234.500", "1.005"], GROSS, pl.Decimal(10, 3))
    assert decimals.values.to_list() == [123450, None]


def test_money_message_end_to_end(inputs: InputsFolder) -> None:
    inputs.csv("settlement", 'partner_id,gross_amount\nP1,"1,234.50"\nP2,¥12\n')
    assert inputs.errors() == [
        f"settlement.csv:2: gross_amount: not an amount in yuan with at most 2 decimals: '1,234.50' "
        f"(expected {MONEY_EXPECTED})",
        f"settlement.csv:3: gross_amount: not an amount in yuan with at most 2 decimals: '¥12' "
        f"(expected {MONEY_EXPECTED})",
    ]


def test_scores() -> None:
    parsed = parse(["87.5", "100", "0", "100.01", "-1", "87.555"], SCORE)
    assert parsed.values.to_list() == [8750, 10000, 0, None, None, None]
    failed = {f.message: f.mask.arg_true().to_list() for f in parsed.failures if f.mask.any()}
    assert failed == {
        "score above 100": [3],
        "negative score": [4],
        "not a score with at most 2 decimals": [5],
    }
    assert parse([87.5, 101.0], SCORE).values.to_list() == [8750, None]


def test_ints() -> None:
    parsed = parse(["12", "+3", "-3", "12.5", "1万"], BILLED)
    assert parsed.values.to_list() == [12, 3, None, None, None]
    failed = {f.message: f.mask.arg_true().to_list() for f in parsed.failures if f.mask.any()}
    assert failed == {"not a whole number": [3, 4], "negative number": [2]}
    assert parse([12.0, 12.5], BILLED).values.to_list() == [12, None]


def test_ids_typed_as_numbers() -> None:
    partner_id = TABLES["partners"].column("partner_id")
    assert parse([1001.0, 1001.5], partner_id).values.to_list() == ["1001", "1001.5"]
    assert parse([1001], partner_id, pl.Int64).values.to_list() == ["1001"]


def test_enums_case_insensitive_when_unambiguous() -> None:
    mode = TABLES["partners"].column("mode")
    assert parse(["C", "emp", "Emp", "B2B"], mode).values.to_list() == ["C", "EMP", "EMP", None]


def test_unknown_enum_values_list_the_allowed_ones(inputs: InputsFolder) -> None:
    inputs.csv("partners", "partner_id,partner_name,mode\nP1,Alpha,B2C\nP2,Beta,EMP\n")
    inputs.csv("refunds", "refund_id,partner_id,amount,kind\nR1,P1,10,triple\n")
    inputs.csv("conduct", "partner_id,event_type,occurred_on\nP1,rudeness,2026-03-03\n")
    inputs.csv(
        "complaints",
        "ticket_id,partner_id,received_at,resolved_at,category\nT1,P1,2026-03-02 09:00,,critical\n",
    )
    assert inputs.errors() == [
        "complaints.csv:2: category: unknown category: 'critical' (expected one of: difficult, normal, urgent)",
        "conduct.csv:2: event_type: unknown event_type: 'rudeness' (expected one of: attitude, delay)",
        "partners.csv:2: mode: unknown mode: 'B2C' (expected one of: C, EMP)",
        "refunds.csv:2: kind: unknown kind: 'triple' (expected one of: double, full)",
    ]


def test_defaults_for_empty_optional_cells(inputs: InputsFolder) -> None:
    inputs.csv(
        "complaints",
        "ticket_id,partner_id,received_at,resolved_at,category,valid,is_repeat,is_major\n"
        "T1,P1,2026-03-02 09:00,,,,,\n"
        "T2,P1,2026-03-02 09:00,,urgent,否,是,y\n",
    )
    frame = inputs.load().tables["complaints"].frame
    assert frame.select("category", "valid", "is_repeat", "is_major").rows() == [
        ("normal", True, False, False),
        ("urgent", False, True, True),
    ]


def test_defaults_for_absent_optional_columns(inputs: InputsFolder) -> None:
    table = inputs.load().tables["complaints"]
    assert "first_reply_at" not in table.given
    assert table.frame.select("first_reply_at", "category", "valid", "is_repeat", "is_major").row(0) == (
        None, "normal", True, False, False,
    )  # fmt: skip


def test_empty_cell_in_required_column(inputs: InputsFolder) -> None:
    inputs.csv("complaints", "ticket_id,partner_id,received_at,resolved_at\nT1,P1,,\n,P2,2026-03-02 09:00,\n")
    assert inputs.errors() == [
        "complaints.csv:2: received_at: empty cell (expected YYYY-MM-DD HH:MM[:SS], YYYY/MM/DD HH:MM[:SS] or ISO 8601)",
        "complaints.csv:3: ticket_id: empty cell (expected a text value)",
    ]


def test_out_of_range_end_to_end(inputs: InputsFolder) -> None:
    inputs.csv("billing", "partner_id,billed_users,group_customers\nP1,-3,\nP2,,12\n")
    inputs.csv("refunds", "refund_id,partner_id,amount,kind\nR1,P1,0,double\nR2,P1,-5,full\n")
    inputs.csv("surveys", "partner_id,customer_id,score\nP2,C1,100.5\n")
    assert inputs.errors() == [
        "billing.csv:2: billed_users: negative number: '-3' (expected a whole number ≥ 0)",
        "refunds.csv:2: amount: amount must be greater than 0: '0' (expected an amount in yuan > 0 with at most "
        "2 decimals, e.g. 1234.50, without separators or currency sign)",
        "refunds.csv:3: amount: negative amount: '-5' (expected an amount in yuan > 0 with at most 2 decimals, "
        "e.g. 1234.50, without separators or currency sign)",
        "surveys.csv:2: score: score above 100: '100.5' (expected a score from 0 to 100 with at most 2 decimals)",
    ]

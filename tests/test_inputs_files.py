"""Finding and reading table files: formats, encodings, headers, line numbers."""

# Messages are asserted whole, as users read them; timestamps are naive local time by design.
# ruff: noqa: DTZ001

from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import datetime

import polars as pl
import pytest
import xlsxwriter
from conftest import InputsFolder

from scorecard.inputs.load import load_period
from scorecard.inputs.schema import TABLES, polars_schema
from scorecard.inputs.settings import LoadSettings
from scorecard.periods import Period


def xlsx_bytes(rows: list[list[object]], start_row: int = 0) -> bytes:
    """A workbook whose first sheet holds ``rows``; datetimes become date-time cells."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet()
    stamp = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    for r, row in enumerate(rows, start=start_row):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, datetime):
                sheet.write_datetime(r, c, value, stamp)
            elif isinstance(value, int | float):
                sheet.write_number(r, c, value)
            else:
                sheet.write_string(r, c, str(value))
    book.add_worksheet("second")  # only the first sheet counts
    book.close()
    return buffer.getvalue()


def parquet_bytes(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    return buffer.getvalue()


def test_baseline_loads_clean(inputs: InputsFolder) -> None:
    result = inputs.load()
    assert list(result.issues) == []
    assert set(result.tables) == set(TABLES)
    complaints = result.tables["complaints"]
    assert complaints.source == "complaints.csv"
    assert complaints.sha256 == hashlib.sha256(inputs.path("complaints.csv").read_bytes()).hexdigest()
    assert complaints.given == {"ticket_id", "partner_id", "received_at", "resolved_at"}
    assert complaints.frame.schema == pl.Schema(polars_schema(TABLES["complaints"]))
    assert complaints.frame["_line"].to_list() == [2, 3]
    assert complaints.frame["resolved_at"].to_list() == [datetime(2026, 3, 2, 17, 30), None]


def test_absent_optional_tables_are_empty_with_dtypes(inputs: InputsFolder) -> None:
    result = inputs.load()
    for name in ("refunds", "conduct", "surveys"):
        table = result.tables[name]
        assert (table.source, table.sha256, table.given, table.frame.height) == (None, None, frozenset(), 0)
        assert table.frame.schema == pl.Schema(polars_schema(TABLES[name]))


def test_header_only_is_an_empty_table(inputs: InputsFolder) -> None:
    inputs.csv("complaints", "ticket_id,partner_id,received_at,resolved_at\n")
    result = inputs.load()
    assert not result.issues.has_errors
    assert result.tables["complaints"].frame.height == 0


def test_xlsx_and_parquet_header_only_are_empty_tables(inputs: InputsFolder) -> None:
    inputs.raw("complaints.xlsx", xlsx_bytes([["ticket_id", "partner_id", "received_at", "resolved_at"]]))
    empty = pl.DataFrame(schema={"refund_id": pl.String, "partner_id": pl.Null, "amount": pl.Null, "kind": pl.Null})
    inputs.raw("refunds.parquet", parquet_bytes(empty))
    result = inputs.load()
    assert list(result.issues) == []
    assert result.tables["complaints"].frame.height == result.tables["refunds"].frame.height == 0


def test_empty_optional_xlsx_column(inputs: InputsFolder, caplog: pytest.LogCaptureFixture) -> None:
    rows = [["refund_id", "partner_id", "amount", "kind", "customer_id"], ["R1", "P1", 5, "double", None]]
    inputs.raw("refunds.xlsx", xlsx_bytes([*rows, ["R2", "P2", 7.5, "full", None]]))
    result = inputs.load()
    assert list(result.issues) == []
    assert result.tables["refunds"].frame.select("amount", "customer_id").rows() == [(500, None), (750, None)]
    assert [r.name for r in caplog.records] == []  # no library log noise on the terminal


def test_utf8_bom(inputs: InputsFolder) -> None:
    inputs.raw("partners.csv", "\ufeffpartner_id,partner_name,mode\nP1,阿尔法,C\nP2,贝塔,EMP\n".encode())
    result = inputs.load()
    assert not result.issues.has_errors
    assert result.tables["partners"].frame["partner_name"].to_list() == ["阿尔法", "贝塔"]


def test_gb18030_with_chinese_headers_mapped(inputs: InputsFolder) -> None:
    inputs.csv(
        "complaints",
        "工单编号,合作伙伴编码,受理时间,办结时间,工单类别\nT1,P1,2026-03-02 09:00,2026-03-02 17:30,紧急\n",
        encoding="gb18030",
    )
    mapping = {
        "工单编号": "ticket_id",
        "合作伙伴编码": "partner_id",
        "受理时间": "received_at",
        "办结时间": "resolved_at",
    }
    result = inputs.load(columns={"complaints": mapping})
    # the unmapped Chinese header is decoded correctly, named as written, and ignored
    assert [str(w) for w in result.issues] == [
        "complaints.csv:1: 工单类别: unknown column, ignored (expected a column of complaints: ticket_id, "
        "partner_id, received_at, resolved_at, first_reply_at, category, valid, is_repeat, is_major, reopen_count)"
    ]
    assert result.tables["complaints"].frame["received_at"].to_list() == [datetime(2026, 3, 2, 9, 0)]


def test_gbk_values_and_mapped_header_in_messages(inputs: InputsFolder) -> None:
    inputs.csv(
        "complaints",
        "ticket_id,partner_id,受理时间,resolved_at\nT1,P1,二〇二六年三月,\n",
        encoding="gbk",
    )
    errors = inputs.errors(columns={"complaints": {"受理时间": "received_at"}})
    assert errors == [
        "complaints.csv:2: 受理时间 (received_at): not a date-time: '二〇二六年三月' "
        "(expected YYYY-MM-DD HH:MM[:SS], YYYY/MM/DD HH:MM[:SS] or ISO 8601)"
    ]


def test_neither_utf8_nor_gb18030(inputs: InputsFolder) -> None:
    inputs.raw("partners.csv", b"partner_id,partner_name,mode\nP1,A\x81\x20,C\n")
    assert inputs.errors()[0] == (
        "partners.csv:2: text is neither UTF-8 nor GB18030/GBK (expected UTF-8 or GB18030/GBK text)"
    )


def test_bom_but_not_utf8(inputs: InputsFolder) -> None:
    inputs.raw("partners.csv", b"\xef\xbb\xbfpartner_id,partner_name,mode\nP1,Alpha,C\nP2,B\xe9ta,EMP\n")
    assert inputs.errors() == [
        "partners.csv:3: not valid UTF-8, though the file starts with a UTF-8 BOM (expected UTF-8 text)"
    ]


def test_blank_lines_keep_line_numbers(inputs: InputsFolder) -> None:
    inputs.csv("settlement", "partner_id,gross_amount\n\nP1,100\n\n  \nP2,abc\n\n")
    result = inputs.load()
    assert [str(e) for e in result.issues.errors] == [
        "settlement.csv:6: gross_amount: not an amount in yuan with at most 2 decimals: 'abc' (expected an "
        "amount in yuan ≥ 0 with at most 2 decimals, e.g. 1234.50, without separators or currency sign)"
    ]
    assert result.tables["settlement"].frame["_line"].to_list() == [3, 6]


def test_cells_and_headers_are_stripped(inputs: InputsFolder) -> None:
    inputs.csv("partners", " partner_id , partner_name ,mode\n P1 , Alpha ,\u3000C\nP2,Beta,EMP\n")
    result = inputs.load()
    assert not result.issues.has_errors
    assert result.tables["partners"].frame.row(0) == ("P1", "Alpha", "C", 2)


def test_too_many_fields(inputs: InputsFolder) -> None:
    inputs.csv("settlement", "partner_id,gross_amount\nP1,1,234.50\nP2,5000,\n")
    assert inputs.errors() == [
        "settlement.csv:2: more fields than the header's 2 (expected 2 fields per line (quote cells that "
        "contain commas))"
    ]


def test_parquet_native_types(inputs: InputsFolder) -> None:
    frame = pl.DataFrame(
        {
            "ticket_id": ["T1", "T2"],
            "partner_id": ["P1", "P2"],
            "received_at": [datetime(2026, 3, 2, 9), datetime(2026, 3, 5, 10)],
            "resolved_at": pl.Series([datetime(2026, 3, 2, 1), None]).dt.replace_time_zone("UTC"),
            "is_major": [True, False],
            "category": ["urgent", None],
        }
    )
    inputs.raw("complaints.parquet", parquet_bytes(frame))
    billing = pl.DataFrame({"partner_id": ["P1", "P2"], "billed_users": [20000, None], "group_customers": [None, 12]})
    inputs.raw("billing.parquet", parquet_bytes(billing))
    partners = pl.DataFrame(
        {"partner_id": [" P1", "P2"], "partner_name": ["A", "B"], "mode": ["C", "EMP"]},
        schema={"partner_id": pl.Categorical, "partner_name": pl.String, "mode": pl.Enum(["C", "EMP"])},
    )
    inputs.raw("partners.parquet", parquet_bytes(partners))
    result = inputs.load()
    assert list(result.issues) == []
    complaints = result.tables["complaints"].frame
    assert complaints["resolved_at"].to_list() == [datetime(2026, 3, 2, 9), None]  # UTC -> Asia/Shanghai
    assert complaints["is_major"].to_list() == [True, False]
    assert complaints["category"].to_list() == ["urgent", "normal"]
    assert complaints["_line"].to_list() == [2, 3]
    assert result.tables["billing"].frame["billed_users"].to_list() == [20000, None]


def test_parquet_float_money_and_wrong_type(inputs: InputsFolder) -> None:
    settlement = pl.DataFrame({"partner_id": ["P1", "P2"], "gross_amount": [2000.1, 0.125]})
    inputs.raw("settlement.parquet", parquet_bytes(settlement))
    billing = pl.DataFrame({"partner_id": ["P1", "P2"], "billed_users": [[1], [2]], "group_customers": [1, 12]})
    inputs.raw("billing.parquet", parquet_bytes(billing))
    result = inputs.load()
    assert [str(e) for e in result.issues.errors] == [
        "billing.parquet:1: billed_users: column of type List(Int64) cannot hold whole numbers "
        "(expected a whole number ≥ 0)",
        "settlement.parquet:3: gross_amount: not an amount in yuan with at most 2 decimals: '0.125' (expected an "
        "amount in yuan ≥ 0 with at most 2 decimals, e.g. 1234.50, without separators or currency sign)",
    ]
    assert result.tables["settlement"].frame["gross_amount"].to_list() == [200010, None]


def test_xlsx_cells(inputs: InputsFolder) -> None:
    inputs.raw(
        "partners.xlsx",
        xlsx_bytes([["partner_id", "partner_name", "mode"], [1001, "Alpha", "C"], ["P2", "Beta", "EMP"]]),
    )
    inputs.raw(
        "settlement.xlsx",
        xlsx_bytes([["partner_id", "gross_amount"], [1001, 2000.1], ["P2", 2000.123]]),
    )
    inputs.raw(
        "complaints.xlsx",
        xlsx_bytes(
            [
                ["ticket_id", "partner_id", "received_at", "resolved_at"],
                ["T1", 1001, datetime(2026, 3, 2, 9, 15), "2026-03-02 17:30"],
                [None, None, None, None],
                ["T2", "P2", datetime(2026, 3, 5, 10), None],
            ]
        ),
    )
    inputs.csv("billing", "partner_id,billed_users,group_customers\n1001,20000,\nP2,,12\n")
    result = inputs.load()
    assert [str(e) for e in result.issues.errors] == [
        "settlement.xlsx:3: gross_amount: not an amount in yuan with at most 2 decimals: '2000.123' (expected an "
        "amount in yuan ≥ 0 with at most 2 decimals, e.g. 1234.50, without separators or currency sign)"
    ]
    assert result.tables["partners"].frame["partner_id"].to_list() == ["1001", "P2"]
    assert result.tables["settlement"].frame["gross_amount"].to_list() == [200010, None]
    complaints = result.tables["complaints"].frame
    assert complaints["received_at"].to_list() == [datetime(2026, 3, 2, 9, 15), datetime(2026, 3, 5, 10)]
    assert complaints["resolved_at"].to_list() == [datetime(2026, 3, 2, 17, 30), None]
    assert complaints["_line"].to_list() == [2, 4]


def test_xlsx_header_lower_down_keeps_sheet_row_numbers(inputs: InputsFolder) -> None:
    inputs.raw(
        "settlement.xlsx",
        xlsx_bytes([["partner_id", "gross_amount"], ["P1", 100], ["P2", -5]], start_row=2),
    )
    errors = inputs.errors()
    assert errors[0].startswith("settlement.xlsx:5: gross_amount: negative amount: '-5.0'")


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("complaints.csv", xlsx_bytes([["a"]]), "not a CSV file: it is a zip archive (an .xlsx workbook?)"),
        ("complaints.csv", b"ticket_id,partner_id\x00\n", "not a CSV file: it contains NUL bytes"),
        ("complaints.csv", b"PAR1\x00\x00PAR1", "not a CSV file: it is a Parquet file"),
        ("complaints.csv", "ticket_id\n".encode("utf-16"), "UTF-16 text is not supported"),
        ("complaints.xlsx", b"ticket_id,partner_id\n", "not an .xlsx workbook (not a zip archive)"),
        ("complaints.xlsx", b"\xd0\xcf\x11\xe0rest", "not an .xlsx workbook: it is a legacy Excel .xls file"),
        ("complaints.parquet", b"ticket_id,partner_id\n", "not a Parquet file (no PAR1 magic bytes)"),
        ("complaints.csv", b"", "empty file (0 bytes)"),
        ("complaints.xlsx", b"", "empty file (0 bytes)"),
    ],
)
def test_file_not_what_it_claims(inputs: InputsFolder, name: str, data: bytes, message: str) -> None:
    inputs.raw(name, data)
    errors = inputs.errors()
    assert [e for e in errors if e.startswith(name)] == [e for e in errors if message in e]
    assert len([e for e in errors if message in e]) == 1, errors


def test_xlsx_that_is_a_zip_but_not_a_workbook(inputs: InputsFolder) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hi")
    inputs.raw("complaints.xlsx", buffer.getvalue())
    (error,) = inputs.errors()
    assert error.startswith("complaints.xlsx: cannot read as an Excel workbook:")


def test_empty_sheet(inputs: InputsFolder) -> None:
    inputs.raw("complaints.xlsx", xlsx_bytes([]))
    assert inputs.errors() == [
        "complaints.xlsx: the first sheet is empty (expected a header row, then one row per record)"
    ]


def test_two_files_for_one_table(inputs: InputsFolder) -> None:
    inputs.path("complaints.xlsx").write_bytes(b"whatever")
    assert inputs.errors() == [
        "2026-03: two files for table 'complaints': complaints.csv, complaints.xlsx (expected exactly one)"
    ]


def test_missing_required_table(inputs: InputsFolder) -> None:
    inputs.path("settlement.csv").unlink()
    inputs.path("settlement.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    inputs.path("billing.csv").unlink()
    assert inputs.errors() == [
        "2026-03: missing required table 'billing' (expected one of billing.csv, billing.parquet, billing.xlsx)",
        "2026-03: no readable file for table 'settlement': settlement.xls is not a supported format "
        "(expected one of settlement.csv, settlement.parquet, settlement.xlsx)",
    ]


def test_file_names_are_case_insensitive(inputs: InputsFolder) -> None:
    inputs.path("partners.csv").rename(inputs.path("Partners.CSV"))
    result = inputs.load()
    assert list(result.issues) == []
    assert result.tables["partners"].source == "Partners.CSV"


def test_missing_folder(tmp_path: pytest.TempPathFactory) -> None:
    result = load_period(tmp_path / "2026-03", Period(2026, 3), LoadSettings(event_types=frozenset()))  # type: ignore[operator]
    assert [str(e) for e in result.issues.errors] == [
        f"2026-03: no input folder for this period (expected a folder {tmp_path}/2026-03)"
    ]
    assert set(result.tables) == set(TABLES)


def test_missing_required_column(inputs: InputsFolder) -> None:
    inputs.csv("complaints", "工单编号,partner_id,resolved_at\nT1,P1,\n")
    errors = inputs.errors(columns={"complaints": {"受理时间": "received_at"}})
    assert errors == [
        "complaints.csv:1: received_at: missing required column (expected a column 'received_at' or one "
        "mapped to it in [columns.complaints]: 受理时间)",
        "complaints.csv:1: ticket_id: missing required column (expected a column 'ticket_id')",
    ]


def test_column_mapped_twice(inputs: InputsFolder) -> None:
    inputs.csv("complaints", "ticket_id,partner_id,received_at,受理时间,resolved_at\nT1,P1,2026-03-02 09:00,,\n")
    errors = inputs.errors(columns={"complaints": {"受理时间": "received_at"}})
    assert errors == [
        "complaints.csv:1: received_at: column given twice: 'received_at' (column 3) and '受理时间' (column 4) "
        "(expected one column for received_at)"
    ]


def test_repeated_header(inputs: InputsFolder) -> None:
    inputs.csv("settlement", "partner_id,gross_amount,gross_amount\nP1,1,1\nP2,2,2\n")
    assert inputs.errors() == [
        "settlement.csv:1: gross_amount: column given twice: 'gross_amount' (column 2) and 'gross_amount' "
        "(column 3) (expected one column for gross_amount)"
    ]


def test_unknown_and_unnamed_columns_are_warnings(inputs: InputsFolder) -> None:
    inputs.csv("settlement", "partner_id,gross_amount,备注,\nP1,1,x,\nP2,2,,y\n")
    result = inputs.load()
    assert not result.issues.has_errors
    assert [str(w) for w in result.issues.warnings] == [
        "settlement.csv:1: column 4: column without a header, ignored",
        "settlement.csv:1: 备注: unknown column, ignored (expected a column of settlement: partner_id, gross_amount)",
    ]


def test_trailing_comma_in_header_is_silent(inputs: InputsFolder) -> None:
    inputs.csv("settlement", "partner_id,gross_amount,\nP1,1,\nP2,2,\n")
    assert list(inputs.load().issues) == []


def test_a_date_alone_in_a_date_time_column_is_00_00_in_excel_and_csv(inputs: InputsFolder) -> None:
    """One rule for both: an Excel cell formatted as a date and the same text in a CSV file load alike."""
    header = ["ticket_id", "partner_id", "received_at", "resolved_at"]
    book = io.BytesIO()
    wb = xlsxwriter.Workbook(book, {"in_memory": True})
    ws = wb.add_worksheet()
    date_only, stamp = wb.add_format({"num_format": "yyyy-mm-dd"}), wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    ws.write_row(0, 0, header)
    ws.write_row(1, 0, ["T1", "P1"])
    ws.write_datetime(1, 2, datetime(2026, 3, 2), date_only)
    ws.write_datetime(1, 3, datetime(2026, 3, 2, 17, 30), stamp)
    wb.close()
    inputs.raw("complaints.xlsx", book.getvalue())
    from_excel = inputs.load()
    assert from_excel.issues.errors == []
    inputs.csv("complaints", "ticket_id,partner_id,received_at,resolved_at\nT1,P1,2026-03-02,2026-03-02 17:30\n")
    from_csv = inputs.load()
    assert from_csv.issues.errors == []
    for loaded in (from_excel, from_csv):
        frame = loaded.tables["complaints"].frame
        assert frame["received_at"].to_list() == [datetime(2026, 3, 2, 0, 0)]
        assert frame["resolved_at"].to_list() == [datetime(2026, 3, 2, 17, 30)]

"""Every CSV output opens correctly in Excel: UTF-8 with BOM, and awkward fields quoted."""

from __future__ import annotations

import csv
import io

from scorecard.report.csvfiles import _csv
from scorecard.report.statements import Written, index_csv


def test_utf8_with_bom_and_lf_line_ends() -> None:
    data = _csv([["SI-0001", "华东服务有限公司"]], ["partner_id", "partner_name"])
    assert data == "\ufeffpartner_id,partner_name\nSI-0001,华东服务有限公司\n".encode()
    assert data.startswith(b"\xef\xbb\xbf")


def test_fields_with_cr_lf_quote_or_comma_are_quoted_and_read_back() -> None:
    awkward = ["a\rb", "a\nb", "a\r\nb", 'say "hi"', "x,y", "plain", ""]
    data = _csv([awkward], [f"c{i}" for i in range(len(awkward))])
    body = data.decode("utf-8-sig")
    assert body.split("\n", 1)[1] == '"a\rb","a\nb","a\r\nb","say ""hi""","x,y",plain,\n'
    rows = list(csv.reader(io.StringIO(body, newline="")))
    assert rows[1] == awkward


def test_same_rows_same_bytes() -> None:
    rows = [["1", "名,称"], ["2", "x"]]
    assert _csv(rows, ["a", "b"]) == _csv([list(r) for r in rows], ["a", "b"])


def test_statements_index_uses_the_same_writer() -> None:
    written = [Written("SI-0001", "华东\r公司", "SI-0001.html", "SI-0001.xlsx")]
    data = index_csv(written)
    assert data == _csv(
        [["SI-0001", "华东\r公司", "SI-0001.html", "SI-0001.xlsx"]], ["partner_id", "partner_name", "html", "xlsx"]
    )
    assert data.startswith("\ufeffpartner_id".encode()) and b'"\xe5\x8d\x8e\xe4\xb8\x9c\r' in data


def test_fixed_cell_gives_the_text_fixed_gives() -> None:
    from fractions import Fraction

    import polars as pl

    from scorecard.money import format_fen
    from scorecard.report.csvfiles import fen_cell, fixed_cell
    from scorecard.report.formats import fixed

    pairs = [(1, 2), (-1, 2), (5, 1000), (-5, 1000), (4, 1000), (-4, 1000), (0, 7), (2**62, 3), (-(2**62), 7), (1, 3)]
    pairs += [(n, d) for n in range(-250, 251, 7) for d in (1, 3, 8, 40, 400, 10000)]
    frame = pl.DataFrame({"n": [n for n, _ in pairs] + [None, 1], "d": [d for _, d in pairs] + [3, None]})
    for places in (0, 2, 4):
        got = frame.select(fixed_cell(pl.col("n"), pl.col("d"), places)).to_series().fill_null("").to_list()
        want = [fixed(Fraction(n, d), places) for n, d in pairs] + ["", ""]
        assert got == want
    fens = [0, 1, -1, 99, -99, 100, 123450, -123456, 2**63 - 1, -(2**63) + 1]
    got = pl.DataFrame({"f": fens}).select(fen_cell("f")).to_series().to_list()
    assert got == [format_fen(f) for f in fens]


def test_text_cell_guards_formulas_like_csv_text() -> None:
    import polars as pl

    from scorecard.report.csvfiles import text_cell
    from scorecard.report.formats import csv_text

    values = ["=SUM(A1)", "+1", "-2", "@x", "\tx", "\rx", "\0x", "plain", "a=b", "", None, "华东"]
    got = pl.DataFrame({"v": values}, schema={"v": pl.String}).select(text_cell("v")).to_series().to_list()
    assert got == [csv_text(v) for v in values]


def test_bulk_writer_quotes_like_the_field_rule() -> None:
    import polars as pl

    from scorecard.report.csvfiles import _field, csv_bytes

    awkward = ["a\rb", "a\nb", 'say "hi"', "x,y", "plain", "", '"', "名,称", None]
    frame = pl.DataFrame({"a": awkward, "b": list(reversed(awkward))}, schema={"a": pl.String, "b": pl.String})
    want = '\ufeffa,"b,c"\n' + "".join(
        _field(a or "") + "," + _field(b or "") + "\n" for a, b in zip(awkward, reversed(awkward), strict=True)
    )
    assert csv_bytes(frame, ["a", "b,c"]) == want.encode()
    assert csv_bytes(frame.clear(), ["a", "b"]) == "\ufeffa,b\n".encode()

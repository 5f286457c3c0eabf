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

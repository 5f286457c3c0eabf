"""scorecard.csv and notices.csv rendered from the month's record (docs/ledger.md#outputs), and the one CSV
writer of every CSV output."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal

import polars as pl

from scorecard.money import format_fen
from scorecard.record import MonthRecord
from scorecard.report.formats import FORMULA_PREFIXES, csv_text, fixed, share
from scorecard.settle import MONEY_FIELDS

SCORECARD_COLUMNS = [
    "period",
    "partner_id",
    "partner_name",
    "mode",
    "valid_complaints",
    "billed_users",
    "group_customers",
    "complaint_rate_per_10k",
    "on_time_rate",
    "response_score",
    "satisfaction",
    "score",
    "band_pct",
    "breached_rules",
    "status",
    "gross_amount",
    "refund_deduction",
    "score_deduction",
    "receivable_in",
    "receivable_out",
    "held_in",
    "held_out",
    "released",
    "payout",
    "fine_deduction",
    "adjustment",
    "held_restated",
    "receivable_restated",
    # after those: what a reviewer asks next
    "repeat_complaints",
    "major_complaints",
    "late_tickets",
    "pending_tickets",
    "reply_on_time_rate",
    "avg_resolution_hours",
    "p90_resolution_hours",
    "conduct_events",
    "rule_version",
]

NOTICE_COLUMNS = [
    "period",
    "partner_id",
    "partner_name",
    "rule_id",
    "kind",
    "streak",
    "deadline",
    "text",
    "rule_description",
]


# A field holding any of these is quoted. Python's csv module leaves a lone CR
# unquoted when the line ends in LF, and Excel then splits the row.
_QUOTE_IF = re.compile(r'[",\r\n]')
_QUOTE_IF_PATTERN = r'[",\r\n]'
_BOM = "\ufeff"


def _field(value: str) -> str:
    return '"' + value.replace('"', '""') + '"' if _QUOTE_IF.search(value) else value


def _csv(rows: list[list[str]], header: list[str]) -> bytes:
    """Every CSV file scorecard writes: UTF-8 with a BOM (so that Excel on a Chinese
    Windows does not read it as GBK), LF line ends, and every field that holds a
    quote, a comma, a CR or an LF quoted. The same rows always give the same bytes."""
    columns = [f"c{i}" for i in range(len(header))]
    frame = pl.DataFrame(rows, schema=dict.fromkeys(columns, pl.String), orient="row")
    return csv_bytes(frame, header)


def _quoted(column: str) -> pl.Expr:
    c = pl.col(column)
    return (
        pl.when(c.str.contains(_QUOTE_IF_PATTERN))
        .then(pl.concat_str(pl.lit('"'), c.str.replace_all('"', '""', literal=True), pl.lit('"')))
        .otherwise(c)
    )


def csv_bytes(frame: pl.DataFrame, header: list[str]) -> bytes:
    """The bulk path of :func:`_csv`: a frame of text columns (in ``header``'s order; a null
    is an empty field) as the bytes of one CSV file, quoted by the same rule, in one pass
    of polars expressions instead of a Python loop per field."""
    if frame.width != len(header):
        raise ValueError(f"{frame.width} columns for a header of {len(header)}")
    head = ",".join(_field(h) for h in header) + "\n"
    if frame.height == 0:
        return (_BOM + head).encode("utf-8")
    lines: str = frame.select(
        pl.concat_str([_quoted(c).fill_null("") for c in frame.columns], separator=",").str.join("\n")
    ).item()
    return (_BOM + head + lines + "\n").encode("utf-8")


def _opt_int(v: int | None) -> str:
    return "" if v is None else str(v)


# The money columns of scorecard.csv in order: the settlement's, then those later features add.
CSV_MONEY = tuple(
    f for f in MONEY_FIELDS if f not in ("fine_deduction", "adjustment", "held_restated", "receivable_restated")
)
CSV_MONEY_LATER = ("fine_deduction", "adjustment", "held_restated", "receivable_restated")


def scorecard_csv(record: MonthRecord) -> bytes:
    """One row per partner, every cell computed as a column expression (the same text
    :func:`fixed`, :func:`format_fen` and :func:`csv_text` give one value at a time)."""
    pr = record["partner_results"]
    breached = (
        record["rule_results"]
        .filter(pl.col("breached"))
        .group_by("partner_id")
        .agg(pl.col("rule_id").sort().str.join(";").alias("breached_rules"))
    )
    frame = pr.join(breached, on="partner_id", how="left", maintain_order="left")
    resolved = pl.col("resolved_tickets")
    surveyed = pl.col("survey_count")
    columns = [
        pl.lit(str(record.period)),
        text_cell("partner_id"),
        text_cell("partner_name"),
        pl.col("mode"),
        pl.col("valid_complaints").cast(pl.String),
        pl.col("billed_users").cast(pl.String),
        pl.col("group_customers").cast(pl.String),
        fixed_cell(pl.col("complaint_rate_num"), pl.col("complaint_rate_den"), 4),
        fixed_cell(pl.col("on_time_rate_num"), pl.col("on_time_rate_den"), 4),
        _decimal_cell(pr, "response_score", lambda v: fixed(Decimal(v), 2)),
        fixed_cell(
            pl.when(surveyed != 0).then(pl.col("survey_total")),
            pl.when(surveyed != 0).then(100 * surveyed),
            2,
        ),
        _decimal_cell(pr, "score", lambda v: fixed(Decimal(v), 2)),
        _decimal_cell(pr, "band_pct", lambda v: share(Decimal(v))),
        pl.col("breached_rules").fill_null(""),
        pl.col("status"),
        *(fen_cell(f) for f in (*CSV_MONEY, *CSV_MONEY_LATER)),
        *(pl.col(c).cast(pl.String) for c in ("repeat_complaints", "major_complaints", "late_tickets")),
        pl.col("pending_tickets").cast(pl.String),
        fixed_cell(pl.col("reply_on_time_rate_num"), pl.col("reply_on_time_rate_den"), 4),
        fixed_cell(
            pl.when(resolved != 0).then(pl.col("resolution_seconds")),
            pl.when(resolved != 0).then(3600 * resolved),
            2,
        ),
        fixed_cell(pl.col("p90_resolution_hours_num"), pl.col("p90_resolution_hours_den"), 2),
        pl.col("conduct_events").cast(pl.String),
        pl.lit(record.info.ruleset_version),
    ]
    cells = frame.select(e.alias(f"c{i}") for i, e in enumerate(columns))
    return csv_bytes(cells, SCORECARD_COLUMNS)


_FORMULA_START = "^[" + re.escape("".join(FORMULA_PREFIXES)) + "]"


def text_cell(column: str) -> pl.Expr:
    """:func:`csv_text` of every cell: a leading ' before what a spreadsheet would run as a formula."""
    c = pl.col(column)
    return pl.when(c.str.contains(_FORMULA_START)).then(pl.concat_str(pl.lit("'"), c)).otherwise(c).fill_null("")


def fixed_cell(num: pl.Expr, den: pl.Expr, places: int) -> pl.Expr:
    """:func:`fixed` of num/den (den > 0): ``places`` decimals, half away from zero; empty when
    either is null. Int128 holds |num| · 2 · 10^places for any Int64 num, so nothing overflows."""
    n = num.cast(pl.Int128)
    d = den.cast(pl.Int128)
    scaled = (2 * n.abs() * 10**places + d) // (2 * d)
    whole = (scaled // 10**places).cast(pl.String)
    sign = pl.when((n < 0) & (scaled != 0)).then(pl.lit("-")).otherwise(pl.lit(""))
    if not places:
        return pl.concat_str(sign, whole)
    part = (scaled % 10**places).cast(pl.String).str.zfill(places)
    return pl.concat_str(sign, whole, pl.lit("."), part)


def fen_cell(column: str) -> pl.Expr:
    """:func:`format_fen` of every cell: yuan with exactly two decimals."""
    return fixed_cell(pl.col(column), pl.lit(100, dtype=pl.Int64), 2)


def _decimal_cell(frame: pl.DataFrame, column: str, render: Callable[[str], str]) -> pl.Expr:
    """A column of decimal text (scores, shares) rendered once per distinct value."""
    values = frame.get_column(column).drop_nulls().unique().to_list()
    mapping = {v: render(v) for v in values}
    return pl.col(column).replace_strict(mapping, default=None, return_dtype=pl.String)


def notices_csv(record: MonthRecord, lang: str) -> bytes:
    descriptions = {rule.id: rule.description.get(lang) for rule in record.ruleset.rules}
    names = dict(record["partner_results"].select("partner_id", "partner_name").iter_rows())
    released = dict(record["partner_results"].select("partner_id", "released").iter_rows())
    by_partner: dict[str, list[dict[str, object]]] = {}
    for a in record["actions"].iter_rows(named=True):
        by_partner.setdefault(a["partner_id"], []).append(a)
    rows = []
    for pid in record.partner_ids():
        for a in by_partner.get(pid, []):
            label = a["label_zh"] if lang == "zh" else a["label_en"]
            rows.append(
                [
                    str(record.period),
                    csv_text(pid),
                    csv_text(names[pid]),
                    str(a["rule_id"]),
                    str(a["kind"]),
                    str(a["streak"]),
                    str(a["deadline"] or ""),
                    csv_text(str(label)) if label else "",
                    descriptions.get(str(a["rule_id"]), ""),
                ]
            )
        if released[pid]:
            rows.append(
                [
                    str(record.period),
                    csv_text(pid),
                    csv_text(names[pid]),
                    "",
                    "release",
                    "",
                    "",
                    format_fen(released[pid]),
                    "",
                ]
            )
    return _csv(rows, NOTICE_COLUMNS)

"""Checks across rows and tables: keys, references, completeness, time order.

Each check is a filter or an anti-join over whole columns; the offending rows
go to the ErrorSink, which formats only the first few. A check runs only
when the columns it needs were read, so one missing file or column gives
one error, not one per row of every other table.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import polars as pl

from scorecard.i18n import expr, t
from scorecard.inputs.model import StagedTable
from scorecard.inputs.problems import ErrorSink
from scorecard.report.shown import shown_expr

_SHOWN = "%Y-%m-%d %H:%M:%S"
# An open pause (no resumed_at) lasts for ever: later than any real timestamp.
_NEVER = datetime(9999, 12, 31)  # noqa: DTZ001 - naive local time like every timestamp


def check_tables(
    tables: dict[str, StagedTable],
    sink: ErrorSink,
    stages: Sequence[tuple[str, str]] = (),
    terminated: frozenset[str] = frozenset(),
) -> None:
    for staged in tables.values():
        duplicate_keys(staged, sink)
    partners = tables["partners"]
    if partners.has("partner_id"):
        known = partners.frame.get_column("partner_id").drop_nulls().unique()
        also = pl.Series("partner_id", sorted(terminated), dtype=pl.String)
        for staged in tables.values():
            if staged.table.references_partner:
                ids = pl.concat([known, also]).unique() if staged.table.keeps_terminated else known
                unknown_partners(staged, ids, partners.source or "partners", sink)
        for name in ("billing", "settlement"):
            partners_without_row(partners, tables[name], sink)
        if partners.has("mode"):
            mode_columns(partners, tables["billing"], sink)
    time_order(tables["complaints"], "resolved_at", sink)
    time_order(tables["complaints"], "first_reply_at", sink)
    for since, column in dict.fromkeys(stages):
        time_order(tables["complaints"], column, sink, since)
    pauses(tables["pauses"], tables["complaints"], sink)
    if "payees" in tables:
        account_numbers(tables["payees"], sink)


def duplicate_keys(staged: StagedTable, sink: ErrorSink) -> None:
    """Every repeat of a key after its first line, naming that line."""
    key = staged.table.key
    if key is None or not staged.has(key):
        return
    k = pl.col(key)
    ids = staged.frame.get_column(key).drop_nulls()
    if _increasing(ids) or ids.hash().n_unique() == ids.len():  # no repeat (the usual case, 4x faster)
        return
    # 64-bit hashes first (several times faster on millions of ids), then exact on the few candidates
    candidates = staged.frame.filter(k.is_not_null() & k.hash().is_duplicated())
    repeats = (
        candidates.filter(k.is_duplicated())
        .with_columns(first=pl.col("_line").min().over(key))
        .filter(pl.col("_line") != pl.col("first"))
    )
    message = expr("duplicate_key", key=pl.lit(key), value=shown_expr(k), first=pl.col("first"))
    sink.add_rows(staged.source or "", staged.label(key), repeats, message, t("a_unique", key=key))


def _increasing(ids: pl.Series) -> bool:
    """Every id after the one before it: none repeats. Exports are often in id order, and comparing
    neighbours costs a fraction of hashing them all."""
    return ids.len() < 2 or bool((ids.slice(1) > ids.slice(0, ids.len() - 1)).all())


def unknown_partners(staged: StagedTable, known: pl.Series, partners_source: str, sink: ErrorSink) -> None:
    if not staged.has("partner_id"):
        return
    p = pl.col("partner_id")
    rows = staged.frame.filter(p.is_not_null() & ~p.is_in(known.implode()))
    message = expr("unknown_partner", partner=shown_expr(p))
    sink.add_rows(
        staged.source or "", staged.label("partner_id"), rows, message, t("a_partner_id_of", source=partners_source)
    )


def partners_without_row(partners: StagedTable, other: StagedTable, sink: ErrorSink) -> None:
    """Reported at the partner's line: that is where the gap shows."""
    if not other.has("partner_id"):
        return
    p = pl.col("partner_id")
    present = other.frame.get_column("partner_id").drop_nulls().unique()
    rows = partners.frame.filter(p.is_not_null() & ~p.is_in(present.implode()))
    message = expr("partner_without_row", partner=shown_expr(p), source=pl.lit(other.source))
    sink.add_rows(
        partners.source or "",
        partners.label("partner_id"),
        rows,
        message,
        t("one_row_per_partner", source=other.source),
    )


def mode_columns(partners: StagedTable, billing: StagedTable, sink: ErrorSink) -> None:
    """C mode needs billed_users, EMP needs group_customers; the other one may stay empty."""
    if not billing.has("partner_id"):
        return
    for mode, column, what in (
        ("C", "billed_users", t("billed_users_expected")),
        ("EMP", "group_customers", t("group_customers_expected")),
    ):
        if column not in billing.given:
            continue
        ids = partners.frame.filter(pl.col("mode") == mode).get_column("partner_id").drop_nulls()
        rows = billing.frame.filter(
            pl.col("partner_id").is_in(ids.implode()) & pl.col(column).is_null() & billing.readable(column)
        )
        message = expr("empty_for_mode", mode=pl.lit(mode), partner=shown_expr(pl.col("partner_id")))
        sink.add_rows(billing.source or "", billing.label(column), rows, message, what)


def time_order(complaints: StagedTable, column: str, sink: ErrorSink, since: str = "received_at") -> None:
    """A ticket cannot be answered or resolved before it was received (nor a stage end before it began)."""
    if not complaints.has(since, column):
        return
    later, earlier = pl.col(column), pl.col(since)
    rows = complaints.frame.filter(later < earlier)
    message = expr(
        "is_before", later=later.dt.to_string(_SHOWN), since=pl.lit(since), earlier=earlier.dt.to_string(_SHOWN)
    )
    sink.add_rows(
        complaints.source or "", complaints.label(column), rows, message, t("at_or_after", column=column, since=since)
    )


def pauses(staged: StagedTable, complaints: StagedTable, sink: ErrorSink) -> None:
    """Each pause belongs to a known ticket, ends after it starts, and no two pauses of a ticket overlap."""
    if staged.source is None:
        return
    source = staged.source
    frame = staged.frame
    ticket, start, end = pl.col("ticket_id"), pl.col("paused_at"), pl.col("resumed_at")
    if staged.has("paused_at", "resumed_at"):
        rows = frame.filter(end < start)
        message = expr(
            "is_before", later=end.dt.to_string(_SHOWN), since=pl.lit("paused_at"), earlier=start.dt.to_string(_SHOWN)
        )
        sink.add_rows(
            source, staged.label("resumed_at"), rows, message, t("at_or_after", column="resumed_at", since="paused_at")
        )
    if staged.has("ticket_id") and complaints.has("ticket_id"):
        tickets = complaints.frame.select("ticket_id", "received_at").filter(ticket.is_not_null())
        rows = frame.filter(ticket.is_not_null()).join(tickets, on="ticket_id", how="anti")
        message = expr("unknown_ticket", ticket=ticket)
        sink.add_rows(source, staged.label("ticket_id"), rows, message, t("a_ticket_id_of", source=complaints.source))
        if staged.has("paused_at") and complaints.has("received_at"):
            rows = frame.join(tickets, on="ticket_id", how="inner").filter(start < pl.col("received_at")).sort("_line")
            message = expr(
                "before_received",
                at=start.dt.to_string(_SHOWN),
                received=pl.col("received_at").dt.to_string(_SHOWN),
            )
            sink.add_rows(
                source,
                staged.label("paused_at"),
                rows,
                message,
                t("at_or_after", column="paused_at", since="received_at"),
            )
    if not staged.has("ticket_id", "paused_at"):
        return
    # a pause that ends before it starts is reported above, not also as an overlap
    keyed = frame.filter(
        ticket.is_not_null() & start.is_not_null() & staged.readable("resumed_at") & ~(end < start).fill_null(False)
    )
    # the same pause given twice: reported once as a repeat, not also as an overlap
    repeats = keyed.with_columns(first=pl.col("_line").min().over("ticket_id", "paused_at", "resumed_at")).filter(
        pl.col("_line") != pl.col("first")
    )
    message = expr("pause_twice", ticket=ticket, first=pl.col("first"))
    sink.add_rows(source, None, repeats.sort("_line"), message, t("pause_once"))
    # after sorting by start, a pause overlaps an earlier one when it starts before the latest end so far
    ordered = (
        keyed.join(repeats.select("_line"), on="_line", how="anti")
        .with_columns(_end=end.fill_null(_NEVER))
        .sort("ticket_id", "paused_at", "_line")
        .with_columns(_latest=pl.col("_end").cum_max().shift(1).over("ticket_id"))
        .with_columns(
            _holder=pl.when(pl.col("_end") == pl.col("_end").cum_max())
            .then(pl.col("_line"))
            .otherwise(None)
            .forward_fill()
            .shift(1)
            .over("ticket_id")
        )
    )
    rows = ordered.filter(start < pl.col("_latest")).sort("_line")
    message = expr("pause_overlaps", ticket=ticket, line=pl.col("_holder"))
    sink.add_rows(
        source,
        staged.label("paused_at"),
        rows,
        message,
        t("pauses_apart"),
    )


# Letters and digits, optionally grouped by spaces or hyphens: a domestic account or an IBAN.
ACCOUNT_PATTERN = r"^[0-9A-Za-z]([0-9A-Za-z -]*[0-9A-Za-z])?$"


def account_numbers(payees: StagedTable, sink: ErrorSink) -> None:
    """A payee's account number is what a bank accepts: 6 to 34 letters or digits (spaces and
    hyphens between them are allowed), so nothing else reaches a payment file."""
    if not payees.has("account_no"):
        return
    acc = pl.col("account_no")
    digits = acc.str.replace_all(r"[ -]", "").str.len_chars()
    wrong = ~acc.str.contains(ACCOUNT_PATTERN) | (digits < 6) | (digits > 34)
    rows = payees.frame.filter(acc.is_not_null() & payees.readable("account_no") & wrong)
    message = expr("not_account_number", value=acc)
    sink.add_rows(payees.source or "", payees.label("account_no"), rows, message, t("account_number_expected"))

"""Rows that are valid but not part of this assessment: left out, with a warning.

Each left-out row gets its own warning naming its record (``key``: the
ticket id, refund id or partner id) and line, so manifest.json lists them one
by one; the terminal groups them (docs/inputs.md#warnings). The rows
themselves are kept apart (``left_out``) so the record can show them.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from scorecard.i18n import t
from scorecard.inputs.model import StagedTable
from scorecard.issues import Issue, Severity
from scorecard.periods import Period
from scorecard.report.shown import shown

# The column naming a table's record in a warning (docs/inputs.md#warnings).
KEY_COLUMN = {"complaints": "ticket_id", "refunds": "refund_id", "pauses": "ticket_id"}


def _key_column(table: str) -> str:
    return KEY_COLUMN.get(table, "partner_id")


def left_out(
    source: str,
    column: str | None,
    rows: pl.DataFrame,
    key: str,
    noun: tuple[str, str],
    message: str,
    group_why: str | None = None,
) -> list[Issue]:
    """One warning per row of ``rows`` (with ``_line`` and the ``key`` column); ``group_why`` is
    how the terminal words many of them ("3 tickets <group_why>")."""
    if rows.height == 0:
        return []
    keyed = rows.select(pl.col("_line"), pl.col(key).cast(pl.String).fill_null(""))
    group = (noun[0], noun[1], group_why or message)
    return [
        Issue(source, line, column, message, None, Severity.WARNING, key=k, group=group)
        for line, k in keyed.iter_rows()
    ]


def split_excluded(
    frame: pl.DataFrame, excluded: Mapping[str, str], source: str, column: str, table: str
) -> tuple[pl.DataFrame, list[Issue]]:
    """Rows of partners excluded from this month (terminated earlier): one warning per row."""
    if not excluded or frame.height == 0:
        return frame, []
    hit = pl.col("partner_id").is_in(list(excluded)).fill_null(False)
    dropped = frame.filter(hit)
    if dropped.height == 0:
        return frame, []
    key = _key_column(table) if _key_column(table) in frame.columns else "partner_id"
    warnings: list[Issue] = []
    for (pid,), rows in dropped.group_by("partner_id", maintain_order=True):
        why = t("of_excluded_partner", partner=shown(pid), why=excluded[pid])
        warnings += left_out(source, column, rows, key, (t("noun_row"), t("noun_rows")), t("row_of", why=why), why)
    return frame.filter(~hit), sorted(warnings, key=Issue.sort_key)


def tickets_in_period(complaints: StagedTable, period: Period) -> tuple[StagedTable, list[Issue], pl.DataFrame]:
    """A ticket belongs to the month of its received_at (docs/metrics-and-rules.md#tickets)."""
    if not complaints.has("received_at"):
        return complaints, [], complaints.frame.clear()
    at = pl.col("received_at")
    outside = at.is_not_null() & ((at < period.start) | (at >= period.end))
    return _drop(
        complaints, outside, "received_at", (t("noun_ticket"), t("noun_tickets")), t("received_outside", period=period)
    )


def conduct_in_period(conduct: StagedTable, period: Period) -> tuple[StagedTable, list[Issue], pl.DataFrame]:
    if not conduct.has("occurred_on"):
        return conduct, [], conduct.frame.clear()
    on = pl.col("occurred_on")
    outside = on.is_not_null() & ((on < period.start.date()) | (on >= period.end.date()))
    return _drop(
        conduct, outside, "occurred_on", (t("noun_event"), t("noun_events")), t("occurred_outside", period=period)
    )


def surveys_of_emp(surveys: StagedTable, partners: StagedTable) -> tuple[StagedTable, list[Issue], pl.DataFrame]:
    """Revisit surveys are an EMP measure; a survey of a C-mode partner is not scored."""
    if not (surveys.has("partner_id") and partners.has("partner_id", "mode")):
        return surveys, [], surveys.frame.clear()
    c_mode = partners.frame.filter(pl.col("mode") == "C").get_column("partner_id")
    return _drop(
        surveys,
        pl.col("partner_id").is_in(c_mode.implode()),
        "partner_id",
        (t("noun_survey"), t("noun_surveys")),
        t("survey_of_c_mode"),
        t("surveys_of_c_mode"),
    )


def pauses_of_excluded(pauses: StagedTable, complaints: StagedTable) -> tuple[StagedTable, list[Issue], pl.DataFrame]:
    """Pauses of a terminated partner's tickets go with the tickets."""
    ids = complaints.excluded_keys
    if ids is None or not pauses.has("ticket_id"):
        return pauses, [], pauses.frame.clear().select(*pauses.table.names, "_line")
    return _drop(
        pauses,
        pl.col("ticket_id").is_in(ids.implode()),
        "ticket_id",
        (t("noun_pause"), t("noun_pauses")),
        t("pause_of_excluded"),
        t("pauses_of_excluded"),
    )


def _drop(
    staged: StagedTable, condition: pl.Expr, column: str, noun: tuple[str, str], why: str, group_why: str | None = None
) -> tuple[StagedTable, list[Issue], pl.DataFrame]:
    condition = condition.fill_null(False)
    rows = staged.frame.filter(condition)
    if rows.height == 0:
        return staged, [], rows
    key = _key_column(staged.table.name)
    warnings = left_out(staged.source or "", staged.label(column), rows, key, noun, why, group_why)
    kept = staged.with_frame(staged.frame.filter(~condition))
    return kept, warnings, rows.select(*staged.table.names, "_line")

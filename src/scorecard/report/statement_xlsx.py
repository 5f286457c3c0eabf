"""A statement as an Excel workbook: the same tables as the page, every ticket, native charts."""

from __future__ import annotations

from scorecard.i18n import t
from scorecard.report.statement_rows import MAX_FAST_TEXT, flag_words, labels, ticket_rows
from scorecard.report.statement_view import View, row_tuples
from scorecard.report.xlsx import Book, columns, run_time

TICKET_COLUMNS = (
    ("ticket_id", "text", 22),
    ("received_at", "datetime", 17),
    ("category", "text", 10),
    ("deadline", "datetime", 17),
    ("resolved_at", "datetime", 17),
    ("state", "text", 10),
    ("flags", "text", 18),
    ("resolution_hours", "dec2", 14),
)


def statement_book(view: View) -> Book:
    lang = view.lang
    title = f"{t('statement_title', lang)} {view.ctx.period} · {view.partner_name}"
    if view.ctx.draft:
        title += f" — {t('draft_short', lang)}"
    book = Book(title, view.draft_mark, run_time(view.ctx.run_at))
    _statement(book, view, title)
    _rules(book, view)
    _tickets(book, view)
    _trend(book, view)
    return book


def _statement(book: Book, view: View, title: str) -> None:
    """The money from gross to payout, holds, notices, refunds and conduct events."""
    lang, r = view.lang, view.result
    s = book.sheet(t("sheet_statement", lang), title)
    s.pairs(
        [
            (t(key, lang), kind, value)
            for key, kind, value in (
                ("partner_id", "text", view.partner_id),
                ("partner_name", "text", view.partner_name),
                ("mode", "text", r["mode"]),
                ("period", "text", str(view.ctx.period)),
                ("status", "text", t(r["status"], lang)),
                ("score", "dec2", r["score"]),
                ("band_pct", "pct", r["band_pct"]),
                ("rule_version", "text", view.ctx.ruleset.version),
                ("amounts_in_yuan", "text", ""),
            )
        ]
    )
    s.caption(t("money_effect", lang))
    s.table(
        columns(lang, "item", ("basis", "text", 56), ("amount", "money")),
        [[x.label, x.basis, x.amount] for x in view.steps if x.kind != "payout"],
        totals=[t("payout", lang), "", r["payout"]],
        main=False,
    )
    s.pairs(
        [(t("held_balance", lang), "money", r["held_out"]), (t("receivable_out", lang), "money", r["receivable_out"])]
    )
    if view.targets:
        s.caption(t("watch_title", lang))
        s.table(columns(lang, ("target", "text", 80)), [[x] for x in view.targets], main=False)
    if view.holds:
        s.caption(t("what_lifts", lang))
        s.table(columns(lang, "reasons", "lifts_when"), [list(h) for h in view.holds], main=False)
    for caption, table in (
        (t("notices", lang), view.notices),
        (t("disputes_applied", lang), view.disputes),
        (t("adjustment_parts", lang), view.adjustments),
        (t("refunds", lang), view.refunds),
        (t("conduct", lang), view.conduct),
    ):
        if table.rows:
            s.caption(caption)
            s.table(table.cols, table.rows, totals=table.totals, main=False)
    s.widths[0] = max(s.widths.get(0, 0), 22)
    s.finish()


def _rules(book: Book, view: View) -> None:
    lang = view.lang
    s = book.sheet(t("sheet_rules", lang), f"{t('rules', lang)} {view.ctx.period} · {view.partner_name}")
    s.table(view.rules.cols, view.rules.rows)
    s.caption(t("score_breakdown", lang))
    s.table(view.score.cols, view.score.rows, totals=view.score.totals, main=False)
    s.caption(t("bands", lang))
    s.table(view.bands.cols, view.bands.rows, main=False)
    s.finish()


def _tickets(book: Book, view: View) -> None:
    """Every valid ticket (the fast path: thousands of rows for a large partner)."""
    lang = view.lang
    heading = f"{t('tickets_counted', lang)} {view.ctx.period} · {view.partner_name}"
    s = book.sheet(t("sheet_tickets", lang), heading)
    s.text(s.row - 1, 0, view.counts_text())
    label = labels(lang)
    cols = columns(lang, *TICKET_COLUMNS)
    longest = view.tickets.get_column("ticket_id").str.len_chars().max()
    if isinstance(longest, int) and longest > MAX_FAST_TEXT:  # an id xlsxwriter would cut
        first, last = s.table(cols, _ticket_cells(view, label), fit=False)
    else:
        # the header, filter and print area as for any table; the rows go in as XML (ticket_rows)
        first, last = s.table(cols, [], fit=False, written_apart=view.ticket_count)
        ticket_rows(book, s, first, view.tickets)
    for state, colour in (("late", "#B42318"), ("pending", "#B54708")):
        if view.ticket_count:
            rule = {
                "type": "cell",
                "criteria": "==",
                "value": f'"{label[state]}"',
                "format": book.fmt(font_color=colour, bold=True),
            }
            s.ws.conditional_format(first, 5, last, 5, rule)
    s.finish()


def _ticket_cells(view: View, label: dict[str, str]) -> list[list[object]]:
    repeat, major = flag_words(view.lang)
    return [
        [
            x.ticket_id,
            x.received_x,
            label.get(x.category, x.category),
            x.deadline_x,
            x.resolved_x,
            label[x.state],
            ", ".join(f for f, on in ((repeat, x.is_repeat), (major, x.is_major)) if on),
            x.resolution_hours,
        ]
        for x in row_tuples(view.tickets)
    ]


def _trend(book: Book, view: View) -> None:
    """The last 12 months against the thresholds: a table and two native line charts."""
    lang, name, metric = view.lang, t("sheet_trend", view.lang), view.complaint_metric
    s = book.sheet(name, f"{t('trend', lang)} · {view.partner_name}")
    kind = "int" if metric == "valid_complaints" else "dec4"
    cols = columns(
        lang,
        ("period", "text", 10),
        (metric, kind, 16),
        ("threshold", kind, 12),
        ("on_time_rate", "pct", 16),
        ("threshold", "pct", 12),
    )
    rows = [
        [
            str(x.period),
            x.complaint.value,
            x.complaint.threshold,
            None if x.on_time.value is None else x.on_time.value / 100,
            None if x.on_time.threshold is None else x.on_time.threshold / 100,
        ]
        for x in view.trend
    ]
    first, last = s.table(cols, rows, fit=False)
    if rows:
        charts = ((1, t(metric, lang), "G3", False), (3, t("on_time_rate", lang), "G20", True))
        for value_col, title, anchor, share in charts:
            chart = book.wb.add_chart({"type": "line"})
            cats = [name, first, 0, last, 0]
            chart.add_series(
                {
                    "name": [name, first - 1, value_col],
                    "categories": cats,
                    "values": [name, first, value_col, last, value_col],
                    "line": {"color": "#1D4ED8", "width": 2.25},
                    "marker": {
                        "type": "circle",
                        "size": 5,
                        "fill": {"color": "#1D4ED8"},
                        "border": {"color": "#1D4ED8"},
                    },
                }
            )
            chart.add_series(
                {
                    "name": [name, first - 1, value_col + 1],
                    "categories": cats,
                    "values": [name, first, value_col + 1, last, value_col + 1],
                    "line": {"color": "#B42318", "width": 1.5, "dash_type": "dash"},
                }
            )
            chart.set_title({"name": title, "name_font": {"size": 11}})
            chart.set_legend({"position": "bottom"})
            chart.show_blanks_as("gap")
            if share:
                chart.set_y_axis({"min": 0, "max": 1, "num_format": "0%"})
            chart.set_size({"width": 560, "height": 260})
            s.ws.insert_chart(anchor, chart)
        s.reserve(33, 15)  # G20 + 260 px down, G + 560 px across: the charts print too
    s.finish()

"""One partner's statement as tables of typed values, shared by the page and the workbook.

Values stay exact here (fen, fractions); the HTML page formats them as text
(:func:`show`), the workbook writes them as numbers with formats.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any, NamedTuple

import polars as pl

from scorecard.config import MONEY_METRICS, RATE_METRICS
from scorecard.i18n import t
from scorecard.periods import Period
from scorecard.record import exact
from scorecard.report.adjustments import worded
from scorecard.report.chart import Point
from scorecard.report.formats import fixed
from scorecard.report.statement_data import COMPLAINT_METRIC, ON_TIME_METRIC, Context, PartnerPack
from scorecard.report.statement_rows import sheet_cells
from scorecard.report.watchlist import target_sentence
from scorecard.report.xlsx import EXCEL_EPOCH, Cell, Col, Kind, columns

OP_SHOWN = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "==": "=", "!=": "≠"}
OP_COMPLEMENT = {">=": "<", ">": "<=", "<=": ">", "<": ">=", "==": "!="}
COUNT_METRICS = frozenset({"valid_complaints", "repeat_complaints", "major_complaints"})
PAGE_ALL_TICKETS_UP_TO = 50  # a small partner sees every ticket on the page, a larger one its late/pending
PAGE_TICKETS_MAX = 300


class TicketRow(NamedTuple):
    """A valid ticket as both renderers want it: Excel day numbers (``*_x``) and text (``*_s``)."""

    ticket_id: str
    received_x: float
    received_s: str
    category: str
    deadline_x: float
    deadline_s: str
    resolved_x: float | None
    resolved_s: str | None
    state: str  # on_time / late / pending
    is_repeat: bool
    is_major: bool
    resolution_hours: float | None


# Each number column's text as xlsxwriter writes a number into a sheet: the workbook's rows go in as XML.
SHEET_NUMBER_TEXT = {
    "received_x": "received_n",
    "deadline_x": "deadline_n",
    "resolved_x": "resolved_n",
    "resolution_hours": "hours_n",
}


def prepare_tickets(frame: pl.DataFrame, lang: str) -> pl.DataFrame:
    """The tickets as both renderers want them, for many partners at once: :class:`TicketRow`'s
    columns (Excel day numbers and text) and the workbook's ticket rows as sheet XML
    (report/statement_rows.py), computed vectorised, so a partner's statement needs no Python
    object per ticket."""
    epoch = pl.lit(EXCEL_EPOCH).cast(pl.Datetime("us"))

    def serial(c: str) -> pl.Expr:
        return (pl.col(c).cast(pl.Datetime("us")) - epoch).dt.total_microseconds() / 86_400_000_000

    def text(c: str) -> pl.Expr:
        return pl.col(c).dt.strftime("%Y-%m-%d %H:%M")

    rows = frame.select(
        "ticket_id",
        serial("received_at").alias("received_x"),
        text("received_at").alias("received_s"),
        "category",
        serial("deadline").alias("deadline_x"),
        text("deadline").alias("deadline_s"),
        serial("resolved_at").alias("resolved_x"),
        text("resolved_at").alias("resolved_s"),
        "state",
        "is_repeat",
        "is_major",
        "resolution_hours",
    )
    rows = rows.with_columns(_sheet_number(rows.get_column(x)).alias(n) for x, n in SHEET_NUMBER_TEXT.items())
    return rows.with_columns(sheet_cells(rows, lang))


def _sheet_number(column: pl.Series) -> pl.Series:
    # Python's own formatting: polars' float text is the shortest that reads back, which is not always %.16G's
    text = pl.Series(list(map("%.16G".__mod__, column.drop_nulls().to_list())), dtype=pl.String)
    if not column.null_count():
        return text
    return pl.Series([None] * column.len(), dtype=pl.String).scatter(column.is_not_null().arg_true(), text)


def row_tuples(tickets: pl.DataFrame) -> list[TicketRow]:
    return [TicketRow._make(r) for r in tickets.select(TicketRow._fields).rows()]


def metric_kind(metric: str) -> Kind:
    if metric in MONEY_METRICS:
        return "money"
    if metric in RATE_METRICS:
        return "pct"
    if metric in COUNT_METRICS:
        return "int"
    return "dec4" if metric == "complaint_rate_per_10k" else "dec2"


def show(value: Any, kind: str, places: int | None = None) -> str:
    """A value as the page shows it (exact, half up); "—" when empty."""
    if value is None or value == "":
        return "—"
    if isinstance(value, Cell):
        return show(value.value, value.kind)
    if kind == "money":
        sign = "−" if int(value) < 0 else ""
        q, r = divmod(abs(int(value)), 100)
        return f"{sign}{q:,}.{r:02d}"
    if kind == "pct":
        return f"{fixed(Fraction(value) * 100, 2 if places is None else places)} %"
    if kind in ("dec2", "dec4"):
        exact = Fraction(str(value)) if isinstance(value, float) else Fraction(value)
        return fixed(exact, places if places is not None else (2 if kind == "dec2" else 4))
    if kind == "datetime" and isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if kind == "date" and isinstance(value, date):
        return value.isoformat()
    return str(value)


def show_near(value: Any, other: Any, kind: str) -> str:
    """Enough decimals that a value just across a threshold never looks equal to it (74.996 % vs 75 %)."""
    if value is None or other is None or kind not in ("pct", "dec2", "dec4") or value == other:
        return show(value, kind)
    places = {"pct": 2, "dec2": 2, "dec4": 4}[kind]
    while places < 10 and show(value, kind, places) == show(other, kind, places):
        places += 1
    return show(value, kind, places)


@dataclass(frozen=True, slots=True)
class Table:
    cols: list[Col]
    rows: list[list[Any]]
    totals: list[Any] | None = None
    row_classes: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Step:
    """One line of the money waterfall; ``left``/``width`` are % of the widest running total."""

    label: str
    basis: str
    amount: int
    kind: str
    left: float
    width: float


@dataclass(frozen=True, slots=True)
class TrendRow:
    period: Period
    complaint: Point
    on_time: Point


@dataclass(slots=True)
class View:
    lang: str
    ctx: Context
    result: dict[str, Any]
    metrics: dict[str, Any]
    steps: list[Step]
    rules: Table
    score: Table
    bands: Table
    holds: list[tuple[str, str]]  # (why, what lifts it)
    targets: list[str]  # the watch list's plain target sentences for next month
    notices: Table
    disputes: Table  # decisions applied by this month's run
    adjustments: Table  # the adjustment by corrected month and component
    refunds: Table
    conduct: Table
    tickets: pl.DataFrame  # every valid ticket, as prepare_tickets makes them (the workbook)
    page_tickets: list[TicketRow]  # those the page lists
    trend: list[TrendRow]
    complaint_metric: str

    def t(self, key: str) -> str:
        return t(key, self.lang)

    @property
    def partner_id(self) -> str:
        return str(self.result["partner_id"])

    @property
    def partner_name(self) -> str:
        return str(self.result["partner_name"])

    @property
    def draft_mark(self) -> str | None:
        return t("draft_mark", self.lang) if self.ctx.draft else None

    @property
    def ticket_count(self) -> int:
        return self.tickets.height

    def page_note(self) -> str | None:
        if len(self.page_tickets) == self.tickets.height:
            return None
        note = t("only_late_listed", self.lang)
        late = self.tickets.height - self.tickets.get_column("state").eq("on_time").sum()
        if late > len(self.page_tickets):
            note += " " + t("more_in_workbook", self.lang).format(count=late - len(self.page_tickets))
        return note

    def counts_text(self) -> str:
        m = self.metrics
        return t("tickets_summary", self.lang).format(
            valid=m["valid_complaints"],
            on_time=m["on_time_tickets"],
            late=m["late_tickets"],
            pending=m["pending_tickets"],
        )


def build_view(ctx: Context, pack: PartnerPack, tickets: pl.DataFrame) -> View:
    lang, r = ctx.lang, pack.result
    return View(
        lang=lang,
        ctx=ctx,
        result=r,
        metrics=r,
        steps=_steps(pack, lang),
        rules=_rules(ctx, pack, lang),
        score=_score(pack, lang),
        bands=_bands(ctx, r, lang),
        holds=_holds(ctx, pack, lang),
        targets=[target_sentence(w, ctx.ruleset, lang)[0] for w in pack.watch],
        notices=_notices(pack, lang),
        disputes=disputes_table(pack.corrections, lang),
        adjustments=adjustments_table(pack.adjustments, lang),
        refunds=_refunds(pack, lang),
        conduct=_conduct(ctx, pack, lang),
        tickets=tickets,
        page_tickets=page_tickets(tickets),
        trend=_trend(ctx, pack),
        complaint_metric=COMPLAINT_METRIC.get(r["mode"], "complaint_rate_per_10k"),
    )


def page_tickets(tickets: pl.DataFrame) -> list[TicketRow]:
    if tickets.height <= PAGE_ALL_TICKETS_UP_TO:
        return row_tuples(tickets)
    return row_tuples(tickets.lazy().filter(pl.col("state") != "on_time").head(PAGE_TICKETS_MAX).collect())


def _steps(pack: PartnerPack, lang: str) -> list[Step]:
    lines = worded(pack.money, lang, per_refund=False)
    running, bounds = 0, []
    for line in lines:
        bounds.append((running, running + line.amount))
        running += line.amount
    scale = max([1, *(max(a, b) for a, b in bounds)])
    steps = [
        Step(
            t(f"adj_{x.kind}", lang),
            x.basis,
            x.amount,
            x.kind,
            100 * min(a, b) / scale,
            100 * abs(x.amount) / scale,
        )
        for x, (a, b) in zip(lines, bounds, strict=True)
    ]
    payout = pack.result["payout"]
    return [*steps, Step(t("payout", lang), "", payout, "payout", 0.0, 100 * payout / scale)]


def _rules(ctx: Context, pack: PartnerPack, lang: str) -> Table:
    """Each rule of the partner's mode: its metric against the threshold, and what to reach when breached."""
    by_id = {rule.id: rule for rule in ctx.ruleset.rules}
    fired: dict[str, list[str]] = {}
    for n in pack.notices:
        fired.setdefault(n["rule_id"], []).append(t(n["kind"], lang))
    rows, classes = [], []
    for rr in pack.rules:
        rule = by_id.get(rr["rule_id"])
        if rule is None:
            continue
        kind = metric_kind(rule.metric)
        value, comparand = exact(rr["value_num"], rr["value_den"]), exact(rr["comparand_num"], rr["comparand_den"])
        if value is None:
            value_text = t("zero_base", lang) if rr["breached"] else t("not_assessable", lang)
        else:
            value_text = show_near(value, comparand, kind)
        if rule.against is not None:
            against = t(rule.against, lang)
            threshold = f"{OP_SHOWN[rule.op]} {against} {show(comparand, metric_kind(rule.against))}"
            comply = f"{OP_SHOWN[OP_COMPLEMENT[rule.op]]} {against}"
        else:
            threshold = f"{OP_SHOWN[rule.op]} {show(comparand, kind)}"
            comply = f"{OP_SHOWN[OP_COMPLEMENT[rule.op]]} {show(comparand, kind)}"
        rows.append(
            [
                rule.id,
                rule.description.get(lang),
                t(rule.metric, lang),
                value_text,
                threshold,
                t("yes", lang) if rr["breached"] else t("no", lang),
                rr["streak"],
                ", ".join(fired.get(rule.id, [])),
                comply if rr["breached"] else "",
            ]
        )
        classes.append("breached" if rr["breached"] else "")
    cols = columns(
        lang,
        "rule_id",
        ("rule", "text", 44),
        "metric",
        "value",
        "threshold",
        "breached",
        ("streak", "int"),
        "actions",
        "to_comply",
    )
    return Table(cols, rows, row_classes=classes)


def _score(pack: PartnerPack, lang: str) -> Table:
    r = pack.result
    rows: list[list[Any]] = []
    for p in pack.sub_scores:
        sub, weight = Fraction(p["sub_score_num"], p["sub_score_den"]), Fraction(p["weight_num"], p["weight_den"])
        value = Cell(metric_kind(p["metric"]), exact(p["value_num"], p["value_den"]))
        rows.append([t(p["metric"], lang), value, sub, weight, sub * weight])
    cols = columns(
        lang, "metric", ("value", "dec2"), ("sub_score", "dec2"), ("weight", "pct"), ("contribution", "dec2")
    )
    totals = [t("score", lang), None, None, sum((x[3] for x in rows), Fraction(0)), Decimal(r["score"])]
    return Table(cols, rows, totals=totals)


def _bands(ctx: Context, r: dict[str, Any], lang: str) -> Table:
    score, bands = Decimal(r["score"]), ctx.ruleset.score.bands
    current = next((b for b in bands if score >= b.min_score), None)
    return Table(
        columns(lang, ("band_min", "dec2"), ("band_pct", "pct")),
        [[b.min_score, b.deduction] for b in bands],
        row_classes=["current" if b is current else "" for b in bands],
    )


def _holds(ctx: Context, pack: PartnerPack, lang: str) -> list[tuple[str, str]]:
    r, pm = pack.result, pack.money
    if r["status"] == "active":
        return []
    if r["status"] == "terminated":
        return [(", ".join(pm.terminated_by) or t("terminated", lang), t("lift_terminated", lang))]
    described = {rule.id: rule.description.get(lang) for rule in ctx.ruleset.rules}
    out = []
    for h in pm.holds:
        if h["kind"] == "until_compliant":
            out.append(
                (
                    f"{h['rule_id']}: {described.get(h['rule_id'], '')}",
                    t("lift_until_compliant", lang).format(rule=h["rule_id"]),
                )
            )
        else:
            through = Period.parse(h["ends"])
            reason = f"{h['rule_id']}: " + t("hold_reason_through", lang).format(through=through)
            out.append((reason, t("lift_through", lang).format(through=through, next=through.next())))
    return out


def _notices(pack: PartnerPack, lang: str) -> Table:
    rows = [
        [t(n["kind"], lang), n["rule_id"], n["label_zh"] if lang == "zh" else n["label_en"], n["streak"], n["deadline"]]
        for n in pack.notices
    ]
    cols = columns(lang, "kind", "rule_id", ("text", "text", 40), ("streak", "int"), "deadline")
    return Table(cols, rows)


def disputes_table(rows: list[dict[str, Any]], lang: str) -> Table:
    cols = columns(lang, "dispute_id", "disputed_period", "record", "record_id", "correction")
    return Table(
        cols,
        [[c["dispute_id"], c["disputed_period"], t(c["record"], lang), c["record_id"], c["correction"]] for c in rows],
    )


def adjustments_table(rows: list[dict[str, Any]], lang: str) -> Table:
    cols = columns(lang, "corrected_period", "component", ("amount", "money"))
    body = [[a["corrected_period"], t(f"component_{a['component']}", lang), a["amount"]] for a in rows]
    return Table(cols, body, totals=[t("total", lang), None, sum(a["amount"] for a in rows)] if body else None)


def _refunds(pack: PartnerPack, lang: str) -> Table:
    rows = [
        [x["refund_id"], x["customer_id"], t(x["kind"], lang), x["amount"], x["multiplier"], x["deduction"]]
        for x in pack.refunds
    ]
    cols = columns(
        lang,
        "refund_id",
        "customer_id",
        "refund_kind",
        ("refund_amount", "money"),
        ("multiplier", "int"),
        ("refund_deduction", "money"),
    )
    totals = None
    if rows:
        totals = [t("total", lang), None, None, sum(x[3] for x in rows), None, sum(x[5] for x in rows)]
    return Table(cols, rows, totals=totals)


def _conduct(ctx: Context, pack: PartnerPack, lang: str) -> Table:
    rows = [[c["occurred_on"], t(c["event_type"], lang), Decimal(c["points"]), c["note"]] for c in pack.conduct]
    cols = columns(lang, ("occurred_on", "date"), "event_type", ("points", "dec2"), ("note", "text", 50))
    return Table(cols, rows)


def _point(period: Period, charted: Any, *, scale: int) -> Point:
    """One month of a chart, drawn from that month's own record: its value, its threshold and
    whether it breached (a complaint rate on a zero base breaches with no value to draw)."""
    label = f"{period.month:02d}" if period.month != 1 else f"{period.year % 100:02d}/01"
    if charted is None:
        return Point(label, None, None, False)
    value, limit = charted.value, charted.threshold
    return Point(
        label,
        None if value is None else float(value * scale),
        None if limit is None else float(limit * scale),
        charted.breached,
        "zero base" if value is None and charted.breached else "",
    )


def _trend(ctx: Context, pack: PartnerPack) -> list[TrendRow]:
    """Up to 12 months ending with the month, from the partner's first assessed month; gaps stay empty."""
    mode = pack.result["mode"]
    metric = COMPLAINT_METRIC.get(mode, "complaint_rate_per_10k")
    known = pack.trend
    if not known:
        return []
    rows, p = [], max(min(known), ctx.period.shift(-11))
    while p <= ctx.period:
        month = known.get(p, {})
        rows.append(
            TrendRow(
                p,
                _point(p, month.get(metric), scale=1),
                _point(p, month.get(ON_TIME_METRIC), scale=100),
            )
        )
        p = p.next()
    return rows

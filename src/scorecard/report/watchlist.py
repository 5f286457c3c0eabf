"""The watch list as people read it: out/P/watch.csv, `scorecard watch P`, the run summary's
section and the statement's target sentence (docs/metrics-and-rules.md#watch-list).

The engine decides who is on watch and stores it in the record (the ``watch`` table); this
module only words it, from the record and the rule set stored with it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from scorecard.config import MONEY_METRICS, RATE_METRICS, Action, RuleSet
from scorecard.i18n import t
from scorecard.money import fen_times, format_fen
from scorecard.record import MonthRecord, exact
from scorecard.report.formats import csv_text, fixed, share

WATCH_COLUMNS = [
    "period",
    "partner_id",
    "partner_name",
    "rule_id",
    "reason",
    "metric",
    "op",
    "value",
    "threshold",
    "streak",
    "next_streak",
    "next_action",
    "target",
]
COUNT_METRICS = frozenset({"valid_complaints", "repeat_complaints", "major_complaints"})

# Per operator: what the partner must keep to (the compliant side) and what a breach is.
KEEP = {
    ">=": ("低于", "below"),
    ">": ("不超过", "at or below"),
    "<": ("不低于", "at or above"),
    "<=": ("高于", "above"),
}
BREACH = {
    ">=": ("达到或超过", "at or above"),
    ">": ("超过", "above"),
    "<": ("低于", "below"),
    "<=": ("不高于", "at or below"),
}
# How the metric reads in the sentence: {cmp} is the KEEP phrase, {th} the threshold.
METRIC_PHRASE = {
    "complaint_rate_per_10k": ("每万计费用户投诉量{cmp} {th}", "complaints {cmp} {th} per 10,000 billed users"),
    "on_time_rate": ("投诉及时完成率{cmp} {th}", "the on-time completion rate {cmp} {th}"),
    "valid_complaints": ("有效投诉{cmp} {th} 件", "valid complaints {cmp} {th}"),
    "major_complaints": ("重大投诉{cmp} {th} 件", "major complaints {cmp} {th}"),
}


@dataclass(frozen=True, slots=True)
class WatchRow:
    period: str
    partner_id: str
    partner_name: str
    rule_id: str
    reason: str  # streak / margin
    metric: str
    op: str
    value: Fraction | None
    threshold: Fraction
    streak: int
    next_streak: int
    next_action: str
    value_text: str
    threshold_text: str
    target: str  # the plain sentence, in the view's language


def number(metric: str, value: Fraction, other: Fraction | None = None) -> str:
    """A metric value as the sentence shows it: a threshold exactly; a value with enough
    decimals never to look equal to the threshold ``other`` (4.96 is not "5.0")."""
    if metric in MONEY_METRICS:
        return format_fen(int(value)) if value.denominator == 1 else fixed(value / 100, 2)
    scale = 100 if metric in RATE_METRICS else 1
    places = 1 if metric == "complaint_rate_per_10k" else 0 if metric in RATE_METRICS | COUNT_METRICS else 2
    v = value * scale
    while places < 6 and (
        Fraction(fixed(v, places)) != v
        if other is None
        else value != other and fixed(v, places) == fixed(other * scale, places)
    ):
        places += 1
    text = fixed(v, places)
    return f"{text} %" if metric in RATE_METRICS else text


def consequence(action: Action, lang: str) -> str:
    """What the action a next breach fires does, in words."""
    kind = action.kind
    if kind == "hold_months":
        return t("watch_then_hold_months", lang).format(months=action.months)
    if kind == "fine":
        if action.amount is not None:
            what = t("fine_amount", lang).format(amount=format_fen(fen_times(100, action.amount)))
        else:
            what = t("fine_pct", lang).format(pct=share((action.pct or Decimal(0)) * 100) + " %")
        return t("watch_then_fine", lang).format(what=what)
    if kind == "sanction" and action.label is not None:
        return t("watch_then_sanction", lang).format(label=action.label.get(lang))
    return t(f"watch_then_{kind}", lang)


def target_sentence(row: dict[str, Any], ruleset: RuleSet, lang: str) -> tuple[str, str, str]:
    """(sentence, value text, threshold text) for one stored watch row."""
    metric, op = row["metric"], row["op"]
    value = exact(row["value_num"], row["value_den"])
    threshold = exact(row["threshold_num"], row["threshold_den"])
    assert threshold is not None
    th = number(metric, threshold)
    at = t("watch_zero_base", lang) if value is None else number(metric, value, threshold)
    zh_en = 0 if lang == "zh" else 1
    phrase = METRIC_PHRASE.get(metric, ("{metric}{cmp} {th}", "{metric} {cmp} {th}"))[zh_en]
    keep = phrase.format(cmp=KEEP.get(op, ("", ""))[zh_en], th=th, metric=t(metric, lang))
    rule = next(r for r in ruleset.rules if r.id == row["rule_id"])
    then = consequence(rule.actions[row["action_index"]], lang)
    key = "watch_sentence_streak" if row["reason"] == "streak" else "watch_sentence_margin"
    sentence = t(key, lang).format(keep=keep, at=at, breach=BREACH.get(op, ("", ""))[zh_en], then=then)
    return sentence, at, th


def watch_rows(record: MonthRecord, lang: str) -> list[WatchRow]:
    """Every watch row of the month, in the record's order (partner, then rule order)."""
    names = dict(record["partner_results"].select("partner_id", "partner_name").iter_rows())
    ruleset = record.ruleset
    out = []
    for row in record["watch"].iter_rows(named=True):
        sentence, at, th = target_sentence(row, ruleset, lang)
        out.append(
            WatchRow(
                str(record.period),
                row["partner_id"],
                names.get(row["partner_id"], ""),
                row["rule_id"],
                row["reason"],
                row["metric"],
                row["op"],
                exact(row["value_num"], row["value_den"]),
                Fraction(row["threshold_num"], row["threshold_den"]),
                row["streak"],
                row["next_streak"],
                row["next_action"],
                at,
                th,
                sentence,
            )
        )
    return out


def watch_csv(record: MonthRecord, lang: str) -> bytes:
    """out/P/watch.csv: one row per partner × rule on watch; values as the statement words them."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(WATCH_COLUMNS)
    for r in watch_rows(record, lang):
        w.writerow(
            [
                r.period,
                csv_text(r.partner_id),
                csv_text(r.partner_name),
                r.rule_id,
                r.reason,
                r.metric,
                r.op,
                r.value_text,
                r.threshold_text,
                r.streak,
                r.next_streak,
                r.next_action,
                csv_text(r.target),
            ]
        )
    return buf.getvalue().encode("utf-8")

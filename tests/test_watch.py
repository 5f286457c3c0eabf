"""The watch list (docs/metrics-and-rules.md#watch-list): each trigger at its boundary,
the stored rows, watch.csv, `scorecard watch` and the statement's target sentence."""

from __future__ import annotations

import csv
import io
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from factories import default_config, metrics
from typer.testing import CliRunner

from scorecard.assess import assess
from scorecard.cli import app
from scorecard.config import RuleSet
from scorecard.periods import Period
from scorecard.report.watchlist import number, target_sentence
from scorecard.watch import within_margin
from scorecard.workspace import Workspace

P = Period(2026, 3)
RS = default_config().config.ruleset_for(P)


def on_watch(m, streaks: dict[str, int] | None = None, rs: RuleSet = RS) -> dict[str, tuple[str, str]]:  # type: ignore[no-untyped-def]
    """rule -> (reason, next action) after one month with previous ``streaks``."""
    from scorecard.state import PartnerState

    prev = {m.partner_id: PartnerState(m.partner_id, streaks or {})}
    (r,), _ = assess(P, [m], prev, rs)
    return {w.rule_id: (w.reason, w.next_action) for w in r.watch}


BREACH = Fraction(6)  # complaints per 10k: breaches >= 5


def test_streak_two_of_a_rule_that_terminates_at_three_is_on_watch() -> None:
    m = metrics(complaint_rate_per_10k=BREACH)
    assert "c-complaint-rate" not in on_watch(m)  # streak 1: streak 2 fires nothing new
    assert on_watch(m, {"c-complaint-rate": 1})["c-complaint-rate"] == ("streak", "terminate")  # streak 2
    assert on_watch(m, {"c-complaint-rate": 2}) == {}  # streak 3: terminated, no next month


def test_a_ladder_warns_before_each_rung_and_not_after_the_last() -> None:
    data = RS.model_dump(mode="json")
    data["rules"][0]["actions"] = [
        {"kind": "sanction", "streak": 1, "label": {"zh": "约见谈话", "en": "talk"}},
        {"kind": "sanction", "streak": 2, "label": {"zh": "通报批评", "en": "public criticism"}},
        {"kind": "sanction", "min_streak": 3, "label": {"zh": "取消评优资格", "en": "award disqualification"}},
    ]
    rs = RuleSet.model_validate(data)
    m = metrics(complaint_rate_per_10k=BREACH)
    assert on_watch(m, {}, rs)["c-complaint-rate"] == ("streak", "sanction")
    assert on_watch(m, {"c-complaint-rate": 1}, rs)["c-complaint-rate"] == ("streak", "sanction")
    assert "c-complaint-rate" not in on_watch(m, {"c-complaint-rate": 2}, rs)  # streak 3 repeats at 4


@pytest.mark.parametrize(
    ("rate", "watched"),
    [(Fraction(45, 10), True), (Fraction(44999, 10000), False), (Fraction(49999, 10000), True), (Fraction(5), False)],
)
def test_complaint_rate_margin_boundary(rate: Fraction, watched: bool) -> None:
    # >= 5 with a 10 % margin: 4.5 (the bound) up to just below 5 is on watch; 5 is a breach
    got = on_watch(metrics(complaint_rate_per_10k=rate)).get("c-complaint-rate")
    assert (got == ("margin", "hold_until_compliant")) is watched


@pytest.mark.parametrize(
    ("rate", "watched"),
    [
        (Fraction(3, 4), True),
        (Fraction(825, 1000), True),
        (Fraction(8251, 10000), False),
        (Fraction(7499, 10000), False),
    ],
)
def test_on_time_margin_boundary(rate: Fraction, watched: bool) -> None:
    # < 0.75 with a 10 % margin: 0.75 up to 0.825 (included) is on watch; 0.7499 breaches
    got = on_watch(metrics(on_time_rate=rate)).get("c-on-time")
    assert (got == ("margin", "hold_months")) is watched


def test_margin_is_a_rule_set_setting() -> None:
    rs = RuleSet.model_validate({**RS.model_dump(mode="json"), "watch_margin": "0.2"})
    assert "c-complaint-rate" in on_watch(metrics(complaint_rate_per_10k=Fraction(4)), rs=rs)
    assert "c-complaint-rate" not in on_watch(metrics(complaint_rate_per_10k=Fraction(4)))


def test_margin_on_every_operator_side() -> None:
    t, m = Fraction(10), Fraction(1, 10)
    assert within_margin(">", Fraction(10), t, m) and not within_margin(">", Fraction(8), t, m)
    assert within_margin("<=", Fraction(11), t, m) and not within_margin("<=", Fraction(10), t, m)
    assert not within_margin("==", Fraction(10), t, m)


def test_a_rule_against_another_metric_has_no_margin() -> None:
    m = metrics(valid_complaints=10, service_cost=300_00, gross_amount=310_00)  # cost just under revenue
    assert "cost-over-revenue" not in on_watch(m)


def _row(**over: Any) -> dict[str, Any]:
    row = {
        "rule_id": "c-complaint-rate",
        "reason": "streak",
        "metric": "complaint_rate_per_10k",
        "op": ">=",
        "value_num": 61,
        "value_den": 10,
        "threshold_num": 5,
        "threshold_den": 1,
        "action_index": 2,
    }
    row.update(over)
    return row


def test_target_sentence_in_english_and_chinese() -> None:
    en = target_sentence(_row(), RS, "en")[0]
    assert en == (
        "next month: keep complaints below 5.0 per 10,000 billed users (you are at 6.1); "
        "one more month at or above it ends the cooperation"
    )
    zh = target_sentence(_row(), RS, "zh")[0]
    assert zh == "下月：请保持每万计费用户投诉量低于 5.0（当前 6.1）；再有一个月达到或超过该值，将中止合作。"
    margin = target_sentence(_row(reason="margin", value_num=46, action_index=1), RS, "en")[0]
    assert margin == (
        "next month: keep complaints below 5.0 per 10,000 billed users (you are at 4.6, close to it); "
        "a month at or above it holds your settlement until you comply"
    )


def test_a_value_just_below_the_threshold_never_reads_as_the_threshold() -> None:
    assert number("complaint_rate_per_10k", Fraction(496, 100), Fraction(5)) == "4.96"
    assert number("on_time_rate", Fraction(3, 4)) == "75 %"
    assert number("on_time_rate", Fraction(7501, 10000), Fraction(3, 4)) == "75.01 %"


def test_watch_csv_command_and_statement(demo_ws: Workspace) -> None:
    rows = list(csv.DictReader(io.StringIO((demo_ws.out_for(Period(2026, 2)) / "watch.csv").read_text("utf-8"))))
    assert rows, "the demo has a partner on watch in 2026-02"
    streak = [r for r in rows if r["reason"] == "streak" and r["next_action"] == "terminate"]
    assert streak and streak[0]["streak"] == "2" and streak[0]["target"].startswith("下月：")
    pid = streak[0]["partner_id"]
    res = CliRunner().invoke(app, ["-w", str(demo_ws.root), "--lang", "en", "watch", "2026-02"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert pid in res.output and "terminate" in res.output.lower()
    res = CliRunner().invoke(
        app,
        ["-w", str(demo_ws.root), "--lang", "en", "statements", "2026-02", "--partner", pid],
        env={"COLUMNS": "200"},
    )
    assert res.exit_code == 0, res.output
    pages = list(Path(demo_ws.out_for(Period(2026, 2)) / "statements").glob("*.html"))
    html = "\n".join(p.read_text("utf-8") for p in pages)
    assert "one more month at or above it ends the cooperation" in html


def test_a_breach_on_a_zero_base_warns_by_streak_with_words_for_the_value() -> None:
    m = metrics(billed_users=0, valid_complaints=2, complaint_rate_per_10k=None, zero_base=True)
    assert on_watch(m, {"c-complaint-rate": 1})["c-complaint-rate"] == ("streak", "terminate")
    row = _row(value_num=None, value_den=None)
    assert "(you are at complaints on 0 billed users)" in target_sentence(row, RS, "en")[0]

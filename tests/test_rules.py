"""Boundaries of the default rules (docs/metrics-and-rules.md#rules): exact, unrounded comparisons."""

from __future__ import annotations

from fractions import Fraction

import pytest
from factories import default_config, metrics

from scorecard.periods import Period
from scorecard.rules import evaluate

P = Period(2026, 3)
RS = default_config().config.ruleset_for(P)


def breached(m, streaks=None) -> dict[str, int]:  # type: ignore[no-untyped-def]
    results, _ = evaluate(m, RS, streaks or {}, P)
    return {r.rule_id: r.streak for r in results if r.breached}


def test_rate_exactly_five_breaches() -> None:
    m = metrics(valid_complaints=10, billed_users=20000, complaint_rate_per_10k=Fraction(10 * 10000, 20000))
    assert "c-complaint-rate" in breached(m)


def test_rate_just_below_five_does_not_breach() -> None:
    m = metrics(valid_complaints=9999, billed_users=20000000, complaint_rate_per_10k=Fraction(9999 * 10000, 20000000))
    assert "c-complaint-rate" not in breached(m)


@pytest.mark.parametrize(
    ("on_time", "total", "hit"), [(7499, 10000, True), (3, 4, False), (9, 12, False), (2, 3, True)]
)
def test_on_time_boundary(on_time: int, total: int, hit: bool) -> None:
    m = metrics(on_time_rate=Fraction(on_time, total))
    assert ("c-on-time" in breached(m)) is hit


def test_empty_on_time_rate_does_not_fire() -> None:
    assert "c-on-time" not in breached(metrics(on_time_rate=None))


def test_zero_base_breach_and_skip() -> None:
    m = metrics(billed_users=0, valid_complaints=2, complaint_rate_per_10k=None, zero_base=True)
    assert "c-complaint-rate" in breached(m)
    skip = RS.model_copy(update={"zero_base": "skip"})
    results, _ = evaluate(m, skip, {}, P)
    assert not any(r.breached for r in results if r.rule_id == "c-complaint-rate")


def test_zero_base_without_complaints_is_compliant() -> None:
    m = metrics(billed_users=0, valid_complaints=0, complaint_rate_per_10k=Fraction(0))
    assert breached(m) == {}


def test_modes_decide_which_rules_apply() -> None:
    emp = metrics(mode="EMP", valid_complaints=5, complaint_rate_per_10k=Fraction(1000))
    assert set(breached(emp)) == {"emp-complaints"}


def test_major_and_cost_over_revenue() -> None:
    m = metrics(
        major_complaints=3,
        valid_complaints=3,
        service_cost=3 * 3000,
        gross_amount=8999,
        complaint_rate_per_10k=Fraction(3 * 10000, 20000),
    )
    assert {"major-complaints", "cost-over-revenue"} <= set(breached(m))
    assert "cost-over-revenue" not in breached(metrics(service_cost=9000, gross_amount=9000))


def test_streak_grows_and_terminate_fires_at_three() -> None:
    m = metrics(valid_complaints=10, complaint_rate_per_10k=Fraction(5))
    results, effects = evaluate(m, RS, {"c-complaint-rate": 2}, P)
    rate = next(r for r in results if r.rule_id == "c-complaint-rate")
    assert rate.streak == 3
    assert {f.kind for f in rate.fired} == {"notice", "hold_until_compliant", "terminate"}
    assert effects.terminate == ["c-complaint-rate"]


def test_compliant_period_resets_streak() -> None:
    results, _ = evaluate(metrics(), RS, {"c-complaint-rate": 2}, P)
    assert next(r for r in results if r.rule_id == "c-complaint-rate").streak == 0


def test_hold_months_covers_breach_period_only() -> None:
    _, effects = evaluate(metrics(on_time_rate=Fraction(1, 2)), RS, {}, P)
    assert [(h.rule_id, h.started, h.ends) for h in effects.month_holds] == [("c-on-time", P, P)]

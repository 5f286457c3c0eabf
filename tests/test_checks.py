"""`config check`: one broken configuration per defect, and the shipped one passes."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from scorecard.checks import check
from scorecard.config import default_config_path, parse_config
from scorecard.issues import InputError
from scorecard.periods import Period


def base() -> dict[str, Any]:
    return tomllib.loads(default_config_path().read_text(encoding="utf-8"))


def findings(data: dict[str, Any], periods: list[Period] | None = None) -> list[str]:
    loaded = parse_config(data, "scorecard.toml")
    return [str(i) for i in check(loaded, periods)]


def test_shipped_configuration_passes() -> None:
    assert findings(base()) == []


def test_demo_configuration_passes() -> None:
    text = default_config_path().read_text(encoding="utf-8") + (
        Path(__file__).parents[1] / "fixtures" / "demo.toml"
    ).read_text(encoding="utf-8")
    assert findings(tomllib.loads(text)) == []


def test_overlapping_bands() -> None:
    d = base()
    d["rulesets"][0]["score"]["bands"][1]["min_score"] = 90
    assert any("rulesets[0].score.bands: two bands start at 90" in f for f in findings(d))


def test_gapped_bands() -> None:
    d = base()
    d["rulesets"][0]["score"]["bands"].pop()  # no band from 0
    assert any("scores below 60 fall in no band" in f for f in findings(d))


def test_points_not_monotonic() -> None:
    d = base()
    d["rulesets"][0]["score"]["points"]["on_time_rate"] = [[0.5, 0], [0.75, 80], [1.0, 60]]
    assert any("score.points.on_time_rate: the table is not monotonic" in f for f in findings(d))


def test_points_x_not_increasing() -> None:
    d = base()
    d["rulesets"][0]["score"]["points"]["complaint_rate_per_10k"] = [[5, 60], [0, 100], [10, 0]]
    assert any("x values are not strictly increasing" in f for f in findings(d))


def test_weights_do_not_sum_to_one() -> None:
    d = base()
    d["rulesets"][0]["score"]["weights"]["C"]["on_time_rate"] = 0.35
    assert any("score.weights.C: weights sum to 1.05" in f for f in findings(d))


def test_rule_on_metric_the_mode_does_not_have() -> None:
    d = base()
    d["rulesets"][0]["rules"].append(
        {
            "id": "c-satisfaction",
            "modes": ["C"],
            "metric": "satisfaction",
            "op": "<",
            "threshold": 80,
            "description": {"zh": "满意度", "en": "satisfaction"},
            "actions": [{"kind": "review"}],
        }
    )
    assert any("uses satisfaction, which C partners do not have" in f for f in findings(d))


def test_action_that_can_never_fire() -> None:
    d = base()
    d["rulesets"][0]["rules"][0]["actions"].append(
        {"kind": "sanction", "streak": 4, "label": {"zh": "取消评优资格", "en": "award disqualification"}}
    )
    assert any("fires at streak 4, but the partner is terminated at streak 3" in f for f in findings(d))


def test_working_days_on_a_calendar_that_does_not_cover_the_period() -> None:
    d = base()
    d["windows"]["completion"]["difficult"] = "2wd"
    assert findings(d, [Period(2026, 3)]) == []
    out = findings(d, [Period(2031, 3)])
    assert any("windows.completion.difficult: working-day windows need the official calendar of 2031" in f for f in out)


def test_schema_errors_name_the_key_path() -> None:
    d = base()
    d["rulesets"][0]["rules"][1]["op"] = "=>"
    d["rulesets"][0]["rules"][2]["actions"][1]["kind"] = "suspend"
    d["general"]["colour"] = "blue"
    with pytest.raises(InputError) as exc:
        parse_config(d, "scorecard.toml")
    text = "\n".join(str(i) for i in exc.value.issues)
    assert "scorecard.toml: rulesets[0].rules[1].op:" in text
    assert "scorecard.toml: rulesets[0].rules[2].actions[1].kind:" in text
    assert "scorecard.toml: general.colour: Extra inputs are not permitted" in text


def test_commented_bank_ladder_example_is_valid_and_fires_by_streak() -> None:
    """The shipped configuration's commented ladder, uncommented, passes and issues one sanction a month."""
    from fractions import Fraction

    from factories import metrics

    from scorecard.rules import evaluate

    text = default_config_path().read_text(encoding="utf-8")
    example = text[text.index('# [[rulesets.rules]]\n# id = "bank-complaint-handling"') :]
    rule_text = "\n".join(line.removeprefix("# ").removeprefix("#") for line in example.splitlines())
    d = base()
    d["rulesets"][0]["rules"].append(tomllib.loads(rule_text.replace("[[rulesets.rules]]", "[[rules]]"))["rules"][0])
    assert findings(d) == []
    ruleset = parse_config(d, "scorecard.toml").config.rulesets[0]
    streaks: dict[str, int] = {}
    labels = []
    for _ in range(4):
        results, effects = evaluate(metrics(on_time_rate=Fraction(8, 10)), ruleset, streaks, Period(2026, 3))
        streaks = {r.rule_id: r.streak for r in results if r.streak}
        labels.append([f.action.label.en for f in effects.notices if f.kind == "sanction"])  # type: ignore[union-attr]
    assert labels == [
        ["Talk with management"],
        ["Public criticism"],
        ["Award disqualification"],
        ["Award disqualification"],
    ]


def test_column_mapping_to_an_unknown_column_is_refused() -> None:
    d = base()
    d["columns"] = {"complaints": {"受理时间": "received"}}
    with pytest.raises(InputError) as exc:
        parse_config(d, "scorecard.toml")
    assert "'受理时间' maps to 'received', which is not a column of complaints" in str(next(iter(exc.value.issues)))

"""`config check`: one broken configuration per defect, and the shipped one passes."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from scorecard.checks import check, errors_for_run
from scorecard.config import default_config_path, load_config, parse_config
from scorecard.issues import InputError
from scorecard.periods import Period
from scorecard.workdays import covered_years


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
    assert any("windows.completion.difficult: a 2wd window needs the official calendar of 2031" in f for f in out)


def test_schema_errors_name_the_key_path() -> None:
    d = base()
    d["rulesets"][0]["rules"][1]["op"] = "=>"
    d["rulesets"][0]["rules"][2]["actions"][1]["kind"] = "suspend"
    d["general"]["colour"] = "blue"
    with pytest.raises(InputError) as exc:
        parse_config(d, "scorecard.toml")
    text = "\n".join(str(i) for i in exc.value.issues)
    assert "scorecard.toml: rulesets[0].rules[c-on-time].op: '=>' is not allowed here" in text
    assert "scorecard.toml: rulesets[0].rules[emp-complaints].actions[1].kind: 'suspend' is not allowed here" in text
    assert "scorecard.toml: general.colour: unknown key 'colour'" in text


# --- configuration mistakes, as a person makes them in the file: file, line, rule id, suggestion ---


def config_file(tmp_path: Path, old: str, new: str, *, after: str = "") -> tuple[Path, int]:
    """The shipped configuration with ``old`` replaced by ``new`` (first time after ``after``).

    Returns the file and the line the replacement is on.
    """
    text = default_config_path().read_text(encoding="utf-8")
    start = text.index(after) if after else 0
    at = text.index(old, start)
    text = text[:at] + new + text[at + len(old) :]
    path = tmp_path / "scorecard.toml"
    path.write_text(text, encoding="utf-8")
    return path, text[:at].count("\n") + 1


def schema_errors(path: Path) -> list[str]:
    with pytest.raises(InputError) as exc:
        load_config(path)
    return [str(i) for i in exc.value.issues]


def check_errors(path: Path, period: Period | None = None) -> list[str]:
    loaded = load_config(path)
    # `config check` and `run` share these findings
    assert [str(i) for i in errors_for_run(loaded, period or Period(2026, 3))] == [
        str(i) for i in check(loaded, [period or Period(2026, 3)]).errors
    ]
    return [str(i) for i in check(loaded, [period] if period else None).errors]


def test_misspelt_key_gives_file_line_rule_id_and_suggestion(tmp_path: Path) -> None:
    path, line = config_file(tmp_path, "threshold = 0.75", "thresold = 0.75")
    errors = schema_errors(path)
    assert (
        f"{path}:{line}: rulesets[0].rules[c-on-time].thresold: unknown key 'thresold'; did you mean 'threshold'? "
        "(expected one of: id, modes, metric, op, threshold, against, description, source, actions)"
    ) in errors


def test_misspelt_table_key_in_general(tmp_path: Path) -> None:
    path, line = config_file(tmp_path, "cutoff_grace_days = 3", "cutoff_grace_day = 3")
    errors = schema_errors(path)
    assert any(e.startswith(f"{path}:{line}: general.cutoff_grace_day: unknown key") for e in errors), errors
    assert any("did you mean 'cutoff_grace_days'?" in e for e in errors)


def test_misspelt_metric_name_in_a_rule(tmp_path: Path) -> None:
    path, line = config_file(tmp_path, 'metric = "valid_complaints"', 'metric = "valid_complaint"')
    errors = schema_errors(path)
    assert any(
        e.startswith(f"{path}:{line}: rulesets[0].rules[emp-complaints].metric: 'valid_complaint' is not allowed here")
        and "did you mean 'valid_complaints'?" in e
        for e in errors
    ), errors


def test_rate_threshold_given_as_a_percentage(tmp_path: Path) -> None:
    path, line = config_file(tmp_path, "threshold = 0.75", "threshold = 75")
    assert check_errors(path) == [
        f"{path}:{line}: rulesets[0].rules[c-on-time].threshold: rule c-on-time: threshold 75 is outside the range "
        "of on_time_rate; did you mean 0.75? (expected a threshold between 0 and 1 (a share: 0.75 for 75 %))"
    ]


def test_negative_count_threshold(tmp_path: Path) -> None:
    path, line = config_file(tmp_path, "threshold = 3 ", "threshold = -3 ", after='id = "major-complaints"')
    assert check_errors(path) == [
        f"{path}:{line}: rulesets[0].rules[major-complaints].threshold: rule major-complaints: threshold -3 is "
        "outside the range of major_complaints (expected a threshold 0 or more)"
    ]


def test_points_table_outside_the_metric_range(tmp_path: Path) -> None:
    path, line = config_file(
        tmp_path, "on_time_rate = [[0.5, 0], [0.75, 60], [1.0, 100]]", "on_time_rate = [[50, 0], [75, 60], [100, 100]]"
    )
    errors = check_errors(path)
    assert len(errors) == 3
    assert errors[0] == (
        f"{path}:{line}: rulesets[0].score.points.on_time_rate[0][0]: x = 50 is outside the range of on_time_rate "
        "(expected on_time_rate values between 0 and 1 (a share: 0.75 for 75 %))"
    )


def test_working_day_window_reaching_an_uncovered_year(tmp_path: Path) -> None:
    """A 60-working-day window in November reaches into next year: its calendar must be published."""
    covered = covered_years()
    last = covered.stop - 1
    path, line = config_file(tmp_path, 'difficult = "24h"', 'difficult = "60wd"')
    assert (
        check_errors(path, Period(last, 9)) == []
    )  # 30 September + 60 working days (Golden Week off) stays in the year
    assert check_errors(path, Period(last, 11)) == [
        f"{path}:{line}: windows.completion.difficult: a 60wd window needs the official calendar of {last + 1}, "
        f"which is not published in this version of the holiday data (covers {covered.start}–{last}) "
        "(expected clock-hour windows, a shorter window or an updated 'holidays' package)"
    ]
    path, _ = config_file(tmp_path, 'difficult = "24h"', 'difficult = "2wd"')
    assert check_errors(path, Period(last, 11)) == []  # two working days from 30 November stay in the year
    assert len(check_errors(path, Period(last, 12))) == 1


def test_config_check_command_prints_line_and_suggestion(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from scorecard.cli import app

    root = tmp_path / "ws"
    assert CliRunner().invoke(app, ["init", str(root)]).exit_code == 0
    config = root / "config" / "scorecard.toml"
    text = config.read_text(encoding="utf-8").replace("threshold = 0.75", "threshold = 75", 1)
    config.write_text(text, encoding="utf-8")
    line = text[: text.index("threshold = 75")].count("\n") + 1
    result = CliRunner().invoke(app, ["--lang", "en", "-w", str(root), "config", "check"], env={"COLUMNS": "300"})
    assert result.exit_code == 1
    assert f"scorecard.toml:{line}: rulesets[0].rules[c-on-time].threshold: rule c-on-time" in result.output
    assert "did you mean 0.75?" in result.output


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


def test_run_refuses_a_rate_threshold_out_of_range_and_writes_nothing(tmp_path: Path) -> None:
    from conftest import new_workspace
    from typer.testing import CliRunner

    from scorecard.cli import app

    ws = new_workspace(tmp_path / "ws", ["2026-01"])
    text = ws.config.read_text(encoding="utf-8").replace("threshold = 0.75", "threshold = 75", 1)
    ws.config.write_text(text, encoding="utf-8")
    line = text[: text.index("threshold = 75")].count("\n") + 1
    result = CliRunner().invoke(app, ["--lang", "en", "-w", str(ws.root), "run", "2026-01"], env={"COLUMNS": "300"})
    assert result.exit_code == 1
    assert f"scorecard.toml:{line}: rulesets[0].rules[c-on-time].threshold: rule c-on-time: threshold 75" in (
        result.output
    )
    assert not ws.db.exists() and not (ws.out / "2026-01").exists()

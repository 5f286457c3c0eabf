"""Rule versions and `simulate` (docs/metrics-and-rules.md#rules)."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from rich.console import Console

from scorecard import pipeline
from scorecard.demo import run_demo
from scorecard.ledger import Ledger, LedgerError
from scorecard.periods import Period
from scorecard.simulate import simulate
from scorecard.workspace import Workspace

FIXTURES = Path(__file__).parents[1] / "fixtures"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    root = tmp_path_factory.mktemp("demo") / "ws"
    return run_demo(root, FIXTURES, Console(file=open("/dev/null", "w")))


@pytest.fixture
def ws(demo: Workspace, tmp_path: Path) -> Workspace:
    copy = tmp_path / "ws"
    shutil.copytree(demo.root, copy)
    return Workspace.at(copy)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_rule_set_applies_from_its_month_only(demo: Workspace) -> None:
    with Ledger(demo.db, readonly=True) as ledger:
        versions = {str(p.period): p.ruleset_version for p in ledger.periods()}
    assert versions == {
        "2026-01": "2026.1",
        "2026-02": "2026.1",
        "2026-03": "2026.1",
        "2026-04": "2026.2",
        "2026-05": "2026.2",
        "2026-06": "2026.3",
        "2026-07": "2026.3",
    }
    manifest = json.loads((demo.out_for(Period(2026, 4)) / "manifest.json").read_text())
    assert manifest["rule_version"] == "2026.2"
    # SI-0023 at exactly 4.0 per 10k: compliant in March (threshold 5), breaching in April (threshold 4)
    with Ledger(demo.db, readonly=True) as ledger:
        march = ledger.record(Period(2026, 3)).breached_rules().get("SI-0023", [])
        april = ledger.record(Period(2026, 4)).breached_rules().get("SI-0023", [])
    assert "c-complaint-rate" not in march
    assert "c-complaint-rate" in april


def test_closed_month_cannot_be_rerun_and_changed_rules_need_a_flag(ws: Workspace) -> None:
    july = Period(2026, 7)
    with pytest.raises(LedgerError, match="is closed"):
        pipeline.run(ws, july)
    pipeline.reopen(ws, july, "check the new threshold")
    text = ws.config.read_text(encoding="utf-8")
    ws.config.write_text(text.replace("threshold = 4 ", "threshold = 3 "), encoding="utf-8")
    with pytest.raises(LedgerError, match="rules for 2026-07 changed"):
        pipeline.run(ws, july)
    pipeline.run(ws, july, allow_rule_change=True)


def test_simulate_closed_month_touches_nothing_and_matches_a_real_run(ws: Workspace, tmp_path: Path) -> None:
    may = Period(2026, 5)
    before = sha(ws.db)
    sim = simulate(ws, may, sets=["rules.c-complaint-rate.threshold=5"])
    assert sha(ws.db) == before
    changed = {c.partner_id for c in sim.changes if c.changed}
    assert "SI-0021" in changed  # 4.5 per 10k: breaches at 4, not at 5
    alt = {c.partner_id: c.alt for c in sim.changes}
    assert alt["SI-0021"] is not None and "c-complaint-rate" not in alt["SI-0021"].breached_rules

    # The same rules in a real run on a copy of the workspace, from the state May started from.
    real = Workspace.at(tmp_path / "real")
    shutil.copytree(ws.root, real.root)
    # only the last closed month can be reopened, and one draft at a time: roll back July, June, then May
    for p in (Period(2026, 7), Period(2026, 6), may):
        pipeline.reopen(real, p, "simulate check", discard_draft=True)
    text = real.config.read_text(encoding="utf-8")
    real.config.write_text(text.replace("threshold = 4 ", "threshold = 5 "), encoding="utf-8")
    outcome = pipeline.run(real, may, allow_rule_change=True)
    totals = {f: outcome.record.totals()[f] for f in sim.totals("alt")}
    assert totals == sim.totals("alt")
    assert totals != sim.totals("base")


def test_simulate_rejects_bad_paths(ws: Workspace) -> None:
    from scorecard.issues import InputError

    with pytest.raises(InputError):
        simulate(ws, Period(2026, 5), sets=["rules.no-such-rule.threshold=5"])
    with pytest.raises(InputError):
        simulate(ws, Period(2026, 5), sets=["score.colour=blue"])


def test_simulation_workbook_reads_back_with_the_totals(ws: Workspace, tmp_path: Path) -> None:
    import openpyxl

    from scorecard.report.simulation_xlsx import write_simulation

    sim = simulate(ws, Period(2026, 5), sets=["rules.c-complaint-rate.threshold=5"])
    path = tmp_path / "what-if.xlsx"
    write_simulation(sim, path, "en")
    sheet = openpyxl.load_workbook(path).active
    rows = list(sheet.iter_rows(values_only=True))
    header = next(r for r in rows if r[0] == "Partner ID")
    totals = rows[-1]
    assert totals[0] == "Totals"
    payout = header.index("Payout · Simulated rules")
    assert round(totals[payout] * 100) == sim.totals("alt")["payout"]
    data = [r for r in rows[rows.index(header) + 1 : -1] if r[0]]
    assert len(data) == len(sim.changes)
    assert round(sum(r[payout] for r in data) * 100) == sim.totals("alt")["payout"]
    cell = sheet.cell(row=rows.index(header) + 2, column=payout + 1)
    assert cell.data_type == "n" and cell.number_format == "#,##0.00"


def test_simulate_without_a_change_refuses_and_says_what_to_give(ws: Workspace) -> None:
    from typer.testing import CliRunner

    from scorecard.cli import app
    from scorecard.issues import InputError

    with pytest.raises(InputError) as exc:
        simulate(ws, Period(2026, 5))
    assert [str(i) for i in exc.value.issues] == [
        "simulate: no change to simulate: give the rules to try (expected --rules FILE (a rule set) or "
        "--set path=value, e.g. --set rules.c-complaint-rate.threshold=4 (repeatable))"
    ]
    result = CliRunner().invoke(app, ["-w", str(ws.root), "simulate", "2026-05"], env={"COLUMNS": "300"})
    assert result.exit_code == 1
    assert "--rules FILE" in result.output and "--set path=value" in result.output


def test_simulate_with_a_rules_file(ws: Workspace, tmp_path: Path) -> None:
    """--rules FILE: the shipped rule set 2026.1 (threshold 5) in May equals --set threshold=5 on 2026.2."""
    from typer.testing import CliRunner

    from scorecard.cli import app
    from scorecard.config import default_config_path

    may = Period(2026, 5)
    before = sha(ws.db)
    by_file = simulate(ws, may, rules_file=default_config_path())
    by_set = simulate(ws, may, sets=["rules.c-complaint-rate.threshold=5"])
    assert sha(ws.db) == before
    assert by_file.alt.ruleset.version == "2026.1+file"
    assert by_file.totals("alt") == by_set.totals("alt")
    assert by_file.totals("base") == by_set.totals("base")
    assert [c.partner_id for c in by_file.changes if c.changed] == ["SI-0021"]

    bare = tmp_path / "rules.toml"  # a rule set on its own, without [[rulesets]]
    text = default_config_path().read_text(encoding="utf-8")
    body = text[text.index("\n[[rulesets]]\n") + len("\n[[rulesets]]\n") :]
    bare.write_text(body.replace("[[rulesets.", "[[").replace("[rulesets.", "["), encoding="utf-8")
    result = CliRunner().invoke(
        app, ["--lang", "en", "-w", str(ws.root), "simulate", "2026-05", "--rules", str(bare)], env={"COLUMNS": "300"}
    )
    assert result.exit_code == 0, result.output
    assert "SI-0021" in result.output
    assert "1 / 40 partners change" in result.output


def test_simulate_refuses_a_rate_threshold_out_of_range_and_a_misspelt_key(ws: Workspace) -> None:
    from scorecard.issues import InputError

    with pytest.raises(InputError) as exc:
        simulate(ws, Period(2026, 5), sets=["rules.c-on-time.threshold=75"])
    assert [str(i) for i in exc.value.issues] == [
        "--set: rulesets[0].rules[c-on-time].threshold: rule c-on-time: threshold 75 is outside the range of "
        "on_time_rate; did you mean 0.75? (expected a threshold between 0 and 1 (a share: 0.75 for 75 %))"
    ]
    with pytest.raises(InputError) as exc:
        simulate(ws, Period(2026, 5), sets=["rules.c-on-time.thresold=0.8"])
    assert any(
        "rulesets[0].rules[c-on-time].thresold: unknown key 'thresold'; did you mean 'threshold'?" in str(i)
        for i in exc.value.issues
    )

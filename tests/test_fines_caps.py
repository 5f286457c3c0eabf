"""Fines and the deduction cap (docs/settlement.md#fines, #caps): boundaries to the fen."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from factories import default_config, metrics
from test_checks import base, findings

from scorecard.assess import assess
from scorecard.config import RuleSet
from scorecard.ledger import reading
from scorecard.periods import Period
from scorecard.settle import FineFact, RefundFact, settle

P = Period(2026, 5)


def money(gross: int, share: str, fines: list[FineFact], cap: str | None, refunds: int = 0):  # type: ignore[no-untyped-def]
    r = [RefundFact("R1", "full", refunds)] if refunds else []
    return settle(
        gross,
        r,
        Decimal(share),
        0,
        0,
        terminated=False,
        on_hold=False,
        fines=fines,
        cap_pct=None if cap is None else Decimal(cap),
    )


def kinds(lines) -> list[tuple[str, int, str | None, int | None]]:  # type: ignore[no-untyped-def]
    return [(x.kind, x.amount, x.rule_id, x.uncapped) for x in lines if x.kind in ("score", "fine")]


def test_score_plus_fine_exactly_at_the_cap_is_not_capped() -> None:
    # gross 100,000.00, cap 10 % = 10,000.00; score 5 % = 5,000.00; fine 5,000.00: exactly the cap
    s, lines = money(100_000_00, "0.05", [FineFact("r1", amount=Decimal("5000"))], "0.10")
    assert (s.score_deduction, s.fine_deduction, s.payout) == (5_000_00, 5_000_00, 90_000_00)
    assert kinds(lines) == [("score", -5_000_00, None, None), ("fine", -5_000_00, "r1", None)]


def test_fine_one_fen_over_the_cap_is_capped_and_shows_its_uncapped_amount() -> None:
    s, lines = money(100_000_00, "0.05", [FineFact("r1", amount=Decimal("5000.01"))], "0.10")
    assert (s.score_deduction, s.fine_deduction, s.payout) == (5_000_00, 5_000_00, 90_000_00)
    assert kinds(lines) == [("score", -5_000_00, None, None), ("fine", -5_000_00, "r1", 5_000_01)]


def test_score_deduction_exactly_at_and_one_fen_over_the_cap() -> None:
    # gross 15 fen, cap 10 %: 1.5 fen rounds half up once to 2 fen
    at, lines_at = money(15, "0.10", [], "0.10")  # 1.5 -> 2 fen: exactly the cap
    assert at.score_deduction == 2 and kinds(lines_at) == [("score", -2, None, None)]
    over, lines_over = money(15, "0.20", [], "0.10")  # 3 fen: one fen over the cap
    assert over.score_deduction == 2 and kinds(lines_over) == [("score", -2, None, 3)]


def test_score_first_then_fines_in_rule_order() -> None:
    fines = [FineFact("a", amount=Decimal("300")), FineFact("b", pct=Decimal("0.05"))]
    s, lines = money(10_000_00, "0.05", fines, "0.10")  # cap 1,000.00; score 500.00; a 300.00; b 500.00
    assert kinds(lines) == [
        ("score", -500_00, None, None),
        ("fine", -300_00, "a", None),
        ("fine", -200_00, "b", 500_00),
    ]
    assert (s.score_deduction, s.fine_deduction) == (500_00, 500_00)


def test_a_fine_the_cap_takes_to_zero_keeps_its_line() -> None:
    s, lines = money(10_000_00, "0.10", [FineFact("a", amount=Decimal("1"))], "0.10")
    assert s.fine_deduction == 0
    assert kinds(lines) == [("score", -1_000_00, None, None), ("fine", 0, "a", 1_00)]


def test_refunds_are_never_capped() -> None:
    s, _ = money(1_000_00, "0.20", [FineFact("a", amount=Decimal("100"))], "0", refunds=700_00)
    assert (s.refund_deduction, s.score_deduction, s.fine_deduction, s.payout) == (700_00, 0, 0, 300_00)


def test_pct_fine_rounds_half_up_once_and_without_cap_nothing_is_capped() -> None:
    s, lines = money(25, "0", [FineFact("a", pct=Decimal("0.02"))], None)  # 0.5 fen -> 1
    assert s.fine_deduction == 1 and kinds(lines) == [("fine", -1, "a", None)]


def test_fines_push_a_receivable_and_keep_the_invariant() -> None:
    s, _ = money(1_000_00, "0.20", [FineFact("a", amount=Decimal("2000"))], None)
    assert (s.payout, s.receivable_out, s.fine_deduction) == (0, 1_200_00, 2_000_00)
    s.check()


def _ruleset(actions: list[dict[str, Any]], cap: str | None = None) -> RuleSet:
    data = default_config().config.ruleset_for(P).model_dump(mode="json")
    for rule in data["rules"]:
        if rule["id"] == "c-complaint-rate":
            rule["actions"] = [*rule["actions"], *actions]
    if cap is not None:
        data["caps"] = {"deduction_cap_pct": cap}
    return RuleSet.model_validate(data)


def test_fines_fire_by_streak_like_any_action() -> None:
    rs = _ruleset([{"kind": "fine", "streak": 1, "amount": "100"}, {"kind": "fine", "min_streak": 2, "pct": "0.01"}])
    breach = metrics(complaint_rate_per_10k=Fraction(6), gross_amount=10_000_00)
    states: dict = {}
    seen = []
    for t in range(2):
        results, states = assess(P.shift(t), [breach], states, rs)
        seen.append([(x.kind, x.amount, x.rule_id) for x in results[0].lines if x.kind == "fine"])
        assert "fine" in [a.fired.kind for a in results[0].actions]
    assert seen == [[("fine", -100_00, "c-complaint-rate")], [("fine", -100_00, "c-complaint-rate")]]


def test_cap_in_the_engine_applies_to_the_ruleset_cap() -> None:
    rs = _ruleset([{"kind": "fine", "amount": "900"}], cap="0.05")
    m = metrics(complaint_rate_per_10k=Fraction(5), gross_amount=10_000_00)  # score 84 -> 2 % = 200.00
    (r,), _ = assess(P, [m], {}, rs)
    assert (r.settlement.score_deduction, r.settlement.fine_deduction) == (200_00, 300_00)
    assert [x.uncapped for x in r.lines if x.kind == "fine"] == [900_00]


@pytest.mark.parametrize(
    ("action", "message"),
    [
        ({"kind": "fine"}, "a fine without 'amount' or 'pct'"),
        ({"kind": "fine", "amount": 10, "pct": 0.1}, "a fine with both 'amount' and 'pct'"),
        ({"kind": "fine", "amount": 10.005}, "actions[3].amount: more than 2 decimals"),
        ({"kind": "fine", "pct": 1.5}, "actions[3].pct: 1.5 is outside 0–1"),
    ],
)
def test_config_check_reports_a_bad_fine(action: dict[str, Any], message: str) -> None:
    d = base()
    d["rulesets"][0]["rules"][0]["actions"].append(action)
    assert any("rulesets[0].rules[c-complaint-rate].actions[3]" in f and message in f for f in findings(d)), findings(d)


@pytest.mark.parametrize(("cap", "bad"), [(-0.01, True), (0, False), (1, False), (1.01, True)])
def test_config_check_reports_a_cap_outside_0_1(cap: float, bad: bool) -> None:
    d = base()
    d["rulesets"][0]["caps"] = {"deduction_cap_pct": cap}
    hits = [f for f in findings(d) if "caps.deduction_cap_pct" in f and "outside 0–1" in f]
    assert bool(hits) is bad


def test_amount_on_another_action_kind_is_refused() -> None:
    from scorecard.config import parse_config
    from scorecard.issues import InputError

    d = base()
    d["rulesets"][0]["rules"][0]["actions"][0]["amount"] = 5
    with pytest.raises(InputError) as e:
        parse_config(d, "scorecard.toml")
    assert any("'amount' and 'pct' belong to fine only" in str(i) for i in e.value.issues)


def test_caps_table_reads_from_toml() -> None:
    text = "[[rulesets]]\n[rulesets.caps]\ndeduction_cap_pct = 0.1\n"
    assert tomllib.loads(text)["rulesets"][0]["caps"] == {"deduction_cap_pct": 0.1}


# --- the demo: rule set 2026.3 fines partners from 2026-06 under a 12 % cap ---------------------


def test_demo_shows_a_fine_a_capped_fine_and_a_capped_score(demo_ws) -> None:  # type: ignore[no-untyped-def]
    import openpyxl

    from scorecard.report.finance import export_finance, workbook_path

    june = reading.record(demo_ws, Period(2026, 6))
    lines = {(x["partner_id"], x["kind"]): x for x in june.rows("money_lines") if x["kind"] in ("score", "fine")}
    assert (lines[("SI-0009", "fine")]["amount"], lines[("SI-0009", "fine")]["uncapped"]) == (-500_00, None)
    capped = lines[("SI-0013", "fine")]  # gross 35,993.55: cap 4,319.23 - score 3,599.36 = 719.87
    assert (capped["amount"], capped["uncapped"], capped["rule_id"]) == (-719_87, 1000_00, "c-complaint-rate")
    july = reading.record(demo_ws, Period(2026, 7))
    score = next(x for x in july.rows("money_lines", "SI-0034") if x["kind"] == "score")
    assert score["uncapped"] is not None and -score["amount"] < score["uncapped"]  # a 20 % band under a 12 % cap

    export_finance(demo_ws, Period(2026, 6), "en")
    wb = openpyxl.load_workbook(workbook_path(demo_ws, Period(2026, 6)))
    rows = [r for r in wb["Adjustments"].iter_rows(values_only=True) if r and r[0] == "SI-0013" and r[2] == "Fine"]
    assert len(rows) == 1 and rows[0][5] == -719.87 and rows[0][6] == -1000.0
    assert "before the cap 1000.00" in rows[0][3]

    from typer.testing import CliRunner

    from scorecard.cli import app

    res = CliRunner().invoke(
        app, ["-w", str(demo_ws.root), "--lang", "en", "statements", "2026-06", "--partner", "SI-0013"]
    )
    assert res.exit_code == 0, res.output
    page = next((demo_ws.out_for(Period(2026, 6)) / "statements").glob("*SI-0013*.html")).read_text("utf-8")
    assert "Fine under c-complaint-rate: 1000.00 yuan" in page and "before the cap 1000.00" in page


def test_migration_6_adds_the_watch_table_and_uncapped_amounts(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import sqlite3

    from scorecard.ledger.migrations import MIGRATIONS, migrate

    conn = sqlite3.connect(tmp_path / "l.db", isolation_level=None)
    migrate(conn)
    assert 6 in [n for n, _, _ in MIGRATIONS]
    cols = {r[1] for r in conn.execute("PRAGMA table_info(money_lines)")}
    assert "uncapped" in cols
    watch = [r[1] for r in conn.execute("PRAGMA table_info(watch)")]
    assert watch[:4] == ["period", "partner_id", "seq", "rule_id"]
    triggers = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    assert {"watch_closed_insert", "watch_closed_update", "watch_closed_delete"} <= triggers


def test_simulate_shows_fines_and_a_tighter_cap(demo_ws) -> None:  # type: ignore[no-untyped-def]
    from scorecard.simulate import simulate

    sim = simulate(demo_ws, Period(2026, 6), sets=["caps.deduction_cap_pct=0.05"])
    change = next(c for c in sim.changes if c.partner_id == "SI-0013")
    assert change.base is not None and change.alt is not None
    assert change.base.money["fine_deduction"] == 719_87
    # gross 35,993.55 at 5 %: cap 1,799.68, all taken by the score deduction, the fine capped to 0
    assert (change.alt.money["score_deduction"], change.alt.money["fine_deduction"]) == (1_799_68, 0)
    assert sim.totals("alt")["fine_deduction"] < sim.totals("base")["fine_deduction"]


def test_simulate_refuses_a_fine_config_check_refuses(demo_ws) -> None:  # type: ignore[no-untyped-def]
    from scorecard.issues import InputError
    from scorecard.simulate import simulate

    with pytest.raises(InputError) as e:
        simulate(demo_ws, Period(2026, 6), sets=["caps.deduction_cap_pct=1.5"])
    assert any("caps.deduction_cap_pct: 1.5 is outside 0–1" in str(i) for i in e.value.issues)


def test_explain_names_the_fine_and_its_uncapped_amount(demo_ws) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from scorecard.cli import app

    res = CliRunner().invoke(
        app, ["-w", str(demo_ws.root), "--lang", "en", "explain", "SI-0013", "2026-06"], env={"COLUMNS": "250"}
    )
    assert res.exit_code == 0, res.output
    assert "Fine c-complaint-rate (capped by the month's deduction cap; before the cap 1000.00)" in res.output
    assert "-719.87" in res.output

"""The columnar engine against the Fraction engine (the oracle), column by column and table by table.

Random rule sets (thresholds, operators, comparisons between metrics, stage
rules, actions by exact and minimum streak, holds, terminations, fines fixed or
as a share of the gross, deduction caps, watch margins, weights, fallbacks,
points tables, bands), random metrics built to sit exactly on every boundary (a
rate at its threshold, on time exactly at the threshold share, a score exactly
at a band edge, half a hundredth, half a fen, a cap used up exactly, bases of 0,
no assessable ticket, no survey), random prior states (streaks, holds of n
months per rule, balances, terminations) and restated amounts, chained over
several months so that streaks, holds, releases, receivables and terminations
carry. The record made from each engine (scorecard.record.build_tables from the
Fraction engine's results; scorecard.engine.record_tables from the columnar
engine) must be the same, table for table, row for row, dtype for dtype, and
both engines must agree on every metric value. Each rule set is run over one
frame of many partners.
"""

from __future__ import annotations

import dataclasses
import random
import subprocess
import sys
from collections import Counter
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from factories import default_config
from hypothesis import given, settings
from hypothesis import strategies as st
from test_assess_oracle import Month as OracleMonth
from test_assess_oracle import Oracle
from test_assess_oracle import month as oracle_month

from scorecard.assess import PartnerResult, Restated, assess
from scorecard.config import RuleSet
from scorecard.engine.bridge import components_from_metrics, metrics_from_components, states_to_frames, to_index
from scorecard.engine.columnar import Assessment, assess_columnar, empty_states
from scorecard.engine.record_tables import record_tables
from scorecard.engine.values import COMPONENTS
from scorecard.ledger.store import sort
from scorecard.metrics import PartnerMetrics
from scorecard.money import fen_times
from scorecard.periods import Period
from scorecard.record import SCHEMAS, build_tables
from scorecard.score import Scorer
from scorecard.settle import RefundFact
from scorecard.state import Hold, PartnerState

METRICS = [
    "valid_complaints",
    "repeat_complaints",
    "major_complaints",
    "complaint_rate_per_10k",
    "on_time_rate",
    "reply_on_time_rate",
    "avg_resolution_hours",
    "p90_resolution_hours",
    "response_score",
    "satisfaction",
    "refund_total",
    "service_cost",
    "gross_amount",
]
# Thresholds worth sitting on, per metric (yuan for money).
THRESHOLDS: dict[str, list[str]] = {
    "valid_complaints": ["0", "1", "3", "5"],
    "repeat_complaints": ["0", "1", "2"],
    "major_complaints": ["1", "3"],
    "complaint_rate_per_10k": ["0", "2.5", "5", "7.25", "10"],
    "on_time_rate": ["0", "0.5", "0.75", "0.9", "1", "0.333"],
    "reply_on_time_rate": ["0.5", "0.75", "0.8"],
    "avg_resolution_hours": ["1", "12.5", "24"],
    "p90_resolution_hours": ["2", "24", "36.5"],
    "response_score": ["60", "90", "99.5", "100"],
    "satisfaction": ["60", "80", "85.25", "100"],
    "refund_total": ["0", "30", "1000.5"],
    "service_cost": ["0", "90", "150"],
    "gross_amount": ["0", "100", "5000.01"],
}
# Points-table x values per metric (fen for money: score tables take the value as the engine holds it).
TABLE_X: dict[str, list[str]] = {
    "valid_complaints": ["0", "2", "5", "10"],
    "repeat_complaints": ["0", "1", "4"],
    "major_complaints": ["0", "1", "3"],
    "complaint_rate_per_10k": ["0", "2.5", "5", "7.25", "10"],
    "on_time_rate": ["0", "0.5", "0.75", "0.9", "1"],
    "reply_on_time_rate": ["0", "0.5", "0.75", "1"],
    "avg_resolution_hours": ["0", "12", "24", "72"],
    "p90_resolution_hours": ["0", "24", "48"],
    "refund_total": ["0", "5000", "100000"],
    "service_cost": ["0", "9000", "30000"],
    "gross_amount": ["0", "100000", "10000000"],
}
SELF_SCORED = {"response_score", "satisfaction"}
NULLABLE = {
    "complaint_rate_per_10k",
    "on_time_rate",
    "reply_on_time_rate",
    "avg_resolution_hours",
    "p90_resolution_hours",
    "satisfaction",
}
SHARES = ["0", "0.02", "0.05", "0.1", "0.125", "0.2", "0.333", "1"]
FIRST = Period(2026, 1)


def _pick(rnd: random.Random, values: list[str]) -> Decimal:
    return Decimal(rnd.choice(values))


def _action(rnd: random.Random) -> dict[str, Any]:
    kind = rnd.choice(["notice", "hold_until_compliant", "hold_months", "terminate", "review", "sanction"])
    action: dict[str, Any] = {"kind": kind}
    if rnd.random() < 0.4:
        action["streak"] = rnd.randint(1, 3)
    elif rnd.random() < 0.5:
        action["min_streak"] = rnd.randint(1, 3)
    if kind == "hold_months":
        action["months"] = rnd.randint(1, 3)
    if kind == "notice" and rnd.random() < 0.7:
        action["deadline_days"] = rnd.choice([7, 30])
    if kind == "sanction" or rnd.random() < 0.3:
        action["label"] = {"zh": f"标签{rnd.randint(1, 9)}", "en": f"label {rnd.randint(1, 9)}"}
    return action


def _points(rnd: random.Random, metric: str) -> list[list[Decimal]]:
    xs = sorted(rnd.choice(TABLE_X[metric]) for _ in range(rnd.randint(1, 4)))
    ys = [Decimal(rnd.randint(0, 10000)).scaleb(-2) for _ in xs]
    if rnd.random() < 0.5:
        ys.sort(reverse=True)
    return [[Decimal(x), y] for x, y in zip(xs, ys, strict=True)]


def random_ruleset_data(rnd: random.Random) -> dict[str, Any]:
    rules = []
    for i in range(rnd.randint(1, 6)):
        metric = rnd.choice(METRICS)
        rule: dict[str, Any] = {
            "id": f"r{i}",
            "modes": rnd.choice([["C"], ["EMP"], ["C", "EMP"]]),
            "metric": metric,
            "op": rnd.choice([">=", ">", "<=", "<", "=="]),
            "description": {"zh": "规则", "en": "rule"},
            "actions": [_action(rnd) for _ in range(rnd.randint(0, 4))],
        }
        if rnd.random() < 0.2:
            rule["against"] = rnd.choice(METRICS)
        else:
            rule["threshold"] = _pick(rnd, THRESHOLDS[metric])
        rules.append(rule)
    if rnd.random() < 0.3:
        weights = {
            "C": {"complaint_rate_per_10k": "0.4", "on_time_rate": "0.3", "response_score": "0.3"},
            "EMP": {"valid_complaints": "0.4", "satisfaction": "0.3", "response_score": "0.3"},
        }
    else:
        weights = {
            mode: {m: str(Decimal(rnd.randint(0, 100)).scaleb(-2)) for m in rnd.sample(METRICS, rnd.randint(1, 4))}
            for mode in ("C", "EMP")
        }
    fallback = rnd.choice(
        [
            {},
            {"satisfaction": "response_score"},
            {"satisfaction": "response_score"},
            {"on_time_rate": "response_score", "satisfaction": "response_score"},
            {"complaint_rate_per_10k": "on_time_rate", "on_time_rate": "response_score"},
            {"on_time_rate": "satisfaction", "satisfaction": "response_score"},
            {"satisfaction": "on_time_rate", "reply_on_time_rate": "satisfaction"},
        ]
    )
    return {
        "version": "rnd",
        "effective_from": "2020-01",
        "zero_base": rnd.choice(["breach", "skip"]),
        "rules": rules,
        "score": {
            "weights": weights,
            "fallback": fallback,
            "points": {m: _points(rnd, m) for m in TABLE_X},
            "bands": [{"min_score": 0, "deduction": "0.2"}],
        },
    }


USUAL = {metric: [Fraction(t) for t in values] for metric, values in THRESHOLDS.items()}


def rule_thresholds(ruleset: RuleSet) -> dict[str, list[Fraction]]:
    """Each metric's thresholds in the rule set (formed once per month, not per partner)."""
    out: dict[str, list[Fraction]] = {m: [] for m in METRICS}
    for r in ruleset.rules:
        if r.threshold is not None and r.metric in out:
            out[r.metric].append(Fraction(r.threshold))
    return out


def _tie(rnd: random.Random, thresholds: dict[str, list[Fraction]], metric: str) -> Fraction | None:
    """A threshold of the rule set on ``metric`` (or a usual one), to place a value exactly on it."""
    mine = thresholds[metric]
    if mine and rnd.random() < 0.7:
        return rnd.choice(mine)
    return rnd.choice(USUAL[metric]) if rnd.random() < 0.5 else None


def random_partner(rnd: random.Random, pid: str, ruleset: RuleSet | dict[str, list[Fraction]]) -> dict[str, Any]:
    """One partner's month; ``ruleset`` (or its :func:`rule_thresholds`) gives the values to tie with."""
    thresholds = ruleset if isinstance(ruleset, dict) else rule_thresholds(ruleset)
    mode = rnd.choice(["C", "EMP"])
    valid = rnd.choice([0, 0, 1, 2, 3, 4, 5, 6, 10, rnd.randint(0, 200)])
    billed = rnd.choice([None, 0, 10_000, 20_000, rnd.randint(1, 500_000)])
    group = rnd.choice([None, 0, 12, rnd.randint(1, 5000)])
    rate = _tie(rnd, thresholds, "complaint_rate_per_10k")
    if rate is not None and rate > 0 and rnd.random() < 0.6:
        # valid × 10000 / base = p/q exactly: valid = p·k, base = 10000·q·k
        k = rnd.randint(1, 3)
        valid, base = rate.numerator * k, 10_000 * rate.denominator * k
        if mode == "C":
            billed = base
        else:
            group = base
    on_time, late = rnd.randint(0, 40), rnd.choice([0, 0, rnd.randint(0, 20)])
    share = _tie(rnd, thresholds, "on_time_rate")
    if share is not None and 0 <= share <= 1 and rnd.random() < 0.6:
        k = rnd.randint(1, 6)
        on_time, late = share.numerator * k, (share.denominator - share.numerator) * k
    if rnd.random() < 0.1:
        on_time = late = 0  # no assessable ticket
    reply_on_time = reply_late = None
    if rnd.random() < 0.7:
        reply_on_time, reply_late = rnd.randint(0, 30), rnd.randint(0, 10)
        share = _tie(rnd, thresholds, "reply_on_time_rate")
        if share is not None and 0 <= share <= 1 and rnd.random() < 0.5:
            k = rnd.randint(1, 4)
            reply_on_time, reply_late = share.numerator * k, (share.denominator - share.numerator) * k
    resolved = rnd.choice([0, rnd.randint(1, 50)])
    seconds = rnd.randint(0, 200 * 3600) * resolved
    hours = _tie(rnd, thresholds, "avg_resolution_hours")
    if hours is not None and resolved and rnd.random() < 0.5:
        seconds = int(hours * 3600 * resolved)
    p90: tuple[int, int] | None = None
    if resolved:
        p90_hours = _tie(rnd, thresholds, "p90_resolution_hours")
        if p90_hours is None or rnd.random() < 0.4:
            p90_hours = Fraction(rnd.randint(0, 720), rnd.choice([1, 2, 10, 3600]))
        p90 = (p90_hours.numerator, p90_hours.denominator)
    response = rnd.choice([10_000, 10_000, rnd.randint(0, 10_000), rnd.randint(0, 100) * 100])
    tie = _tie(rnd, thresholds, "response_score")
    if tie is not None and rnd.random() < 0.3:
        response = int(tie * 100)
    surveys = rnd.choice([0, 0, 1, 2, 3, rnd.randint(1, 20)])
    total = sum(rnd.randint(0, 10_000) for _ in range(surveys))
    tie = _tie(rnd, thresholds, "satisfaction")
    if tie is not None and surveys and rnd.random() < 0.3:
        total = int(tie * 100 * surveys)
    unit_cost = rnd.choice([3000, 2500])
    service_cost = valid * unit_cost
    gross = rnd.choice([0, rnd.randint(0, 10_000_000), rnd.randint(0, 100) * 10, service_cost, 10**11 + 5])
    refunds = rnd.choice([0, 0, rnd.randint(0, 200_000), gross, gross + rnd.randint(1, 5000)])
    money = _tie(rnd, thresholds, "refund_total")
    if money is not None and rnd.random() < 0.3:
        refunds = int(money * 100)
    return {
        "partner_id": pid,
        "mode": mode,
        "billed_users": billed,
        "group_customers": group,
        "valid_complaints": valid,
        "repeat_complaints": rnd.randint(0, valid),
        "major_complaints": rnd.choice([0, 0, rnd.randint(0, min(valid, 5)), min(valid, 3)]),
        "on_time_tickets": on_time,
        "late_tickets": late,
        "reply_on_time": reply_on_time,
        "reply_late": reply_late,
        "resolved_tickets": resolved,
        "resolution_seconds": seconds,
        "p90_hours_num": None if p90 is None else p90[0],
        "p90_hours_den": None if p90 is None else p90[1],
        "response_hundredths": response,
        "survey_count": surveys,
        "survey_total": total,
        "refund_total": refunds,
        "gross_amount": gross,
        "service_cost": service_cost,
    }


def components(rows: list[dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={k: v[0] for k, v in COMPONENTS.items()})


def with_band_edges(rnd: random.Random, data: dict[str, Any], comp: pl.DataFrame) -> RuleSet:
    """Bands whose edges are scores partners really get, so some land exactly on an edge."""
    draft = RuleSet.model_validate(data)
    scorer = Scorer(draft)
    sample = metrics_from_components(comp.sample(min(30, comp.height), seed=rnd.randint(0, 2**31)))
    scores = sorted({scorer.score(m).score for m in sample})
    scores = [s for s in scores if 0 <= s <= 100]
    edges = set(rnd.sample(scores, min(len(scores), rnd.randint(1, 4))))
    edges |= {Decimal(rnd.randint(0, 10_000)).scaleb(-2) for _ in range(rnd.randint(0, 2))}
    edges.add(Decimal(0))
    bands = [{"min_score": e, "deduction": Decimal(rnd.choice(SHARES))} for e in edges]
    return RuleSet.model_validate({**data, "score": {**data["score"], "bands": bands}})


def random_states(rnd: random.Random, ids: list[str], ruleset: RuleSet, period: Period) -> dict[str, PartnerState]:
    rule_ids = [r.id for r in ruleset.rules] + ["retired-rule"]
    states = {}
    for pid in ids:
        if rnd.random() < 0.2:
            continue  # a new partner
        streaks = {r: rnd.randint(1, 4) for r in rule_ids if rnd.random() < 0.3}
        hold = rnd.choice([None, None, period.shift(rnd.randint(-3, 3))])
        terminated = period.shift(-rnd.randint(1, 5)) if rnd.random() < 0.05 else None
        states[pid] = PartnerState(
            pid,
            streaks,
            (Hold("hold-rule", "months", min(hold, period.prev()), hold),) if hold else (),
            rnd.choice([0, 0, rnd.randint(0, 5_000_000)]),
            rnd.choice([0, 0, rnd.randint(0, 500_000)]),
            terminated,
            period.shift(-rnd.randint(1, 3)),
        )
    return states


MONEY = [
    "gross_amount",
    "refund_deduction",
    "score_deduction",
    "receivable_in",
    "receivable_out",
    "held_in",
    "held_out",
    "released",
    "payout",
]


def _pair(value: Fraction | Decimal | int | None) -> tuple[int | None, int | None]:
    if value is None:
        return None, None
    if isinstance(value, int):
        return value, 1
    return value.as_integer_ratio()


def _frame(rows: list[tuple[Any, ...]], columns: list[str]) -> pl.DataFrame:
    """Rows as a frame; a column named ``x_num`` followed by ``x_den`` is an exact pair (Int128)."""
    frame = pl.DataFrame(rows, schema=columns, orient="row", infer_schema_length=None)
    return frame.with_columns([pl.col(c).cast(pl.Int128) for c in columns if c.endswith(("_num", "_den"))])


def differences(mine: pl.DataFrame, want: pl.DataFrame, keys: list[str], what: str) -> list[str]:
    """Rows on one side only, or with any column different; pairs ``x_num``/``x_den`` compared as fractions."""
    pairs = [c.removesuffix("_num") for c in want.columns if c.endswith("_num")]
    in_pair = {f"{p}_{s}" for p in pairs for s in ("num", "den")}
    exact = [c for c in want.columns if c not in keys and c not in in_pair]
    mine = mine.select(want.columns).with_columns([pl.col(c).cast(pl.Int128) for c in in_pair])
    lists = [c for c, t in want.schema.items() if isinstance(t, pl.List)]
    mine, want = (f.with_columns([pl.col(c).list.join(",") for c in lists]) for f in (mine, want))
    # An empty side has no types of its own: give it the other side's.
    want = want.with_columns([pl.col(c).cast(t) for c, t in mine.schema.items() if want.schema[c] == pl.Null])
    joined = mine.with_columns(_mine=pl.lit(True)).join(
        want.with_columns(_want=pl.lit(True)), on=keys, how="full", coalesce=True, suffix="_o", nulls_equal=True
    )
    bad = pl.col("_mine").is_null() | pl.col("_want").is_null()
    for c in exact:
        bad = bad | pl.col(c).cast(pl.String).ne_missing(pl.col(f"{c}_o").cast(pl.String))
    for p in pairs:
        a, b, c, d = pl.col(f"{p}_num"), pl.col(f"{p}_den"), pl.col(f"{p}_num_o"), pl.col(f"{p}_den_o")
        bad = bad | (a.is_null() != c.is_null()) | (a.is_not_null() & (a * d != c * b)).fill_null(True)
    rows = joined.filter(bad)
    if rows.is_empty():
        return []
    return [f"{what}: {rows.height} rows differ", *(str(r) for r in rows.head(3).iter_rows(named=True))]


def oracle_frames(period: Period, results: list[PartnerResult], with_values: bool) -> dict[str, pl.DataFrame]:
    """The Fraction engine's results in the columnar engine's shapes (``values``: every metric, when asked)."""
    values, rules, actions, parts, partners = [], [], [], [], []
    for res in results:
        pid, m = res.partner_id, res.metrics
        if with_values:
            values.append((pid, m.zero_base, *(x for name in METRICS for x in _pair(m.value(name)))))
        rules += [(pid, r.rule_id, r.breached, r.streak, *_pair(r.value), *_pair(r.comparand)) for r in res.rules]
        for seq, a in enumerate(res.actions):
            f, label = a.fired, a.fired.action.label
            actions.append(
                (pid, seq, f.rule_id, f.kind, f.streak, a.deadline,
                 label.zh if label else None, label.en if label else None, to_index(a.hold_end))
            )  # fmt: skip
        parts += [(pid, p.metric, *_pair(p.value), *_pair(p.sub_score), *_pair(p.weight)) for p in res.score.parts]
        s, sc = res.settlement, res.score
        hold_rules = [h.rule_id for h in res.holds if h.kind == "until_compliant"]
        exact = sum((p.sub_score * p.weight for p in sc.parts), Fraction(0))
        partners.append(
            (pid, res.status, bool(hold_rules) or res.hold_through is not None, to_index(res.hold_through),
             res.status == "terminated", int(sc.score * 100), *_pair(exact), *_pair(sc.band_min),
             *_pair(sc.band_pct), ",".join(hold_rules), *(getattr(s, k) for k in MONEY))
        )  # fmt: skip
    pair = lambda name: [f"{name}_num", f"{name}_den"]  # noqa: E731
    frames = {
        "rules": _frame(rules, ["partner_id", "rule_id", "breached", "streak", *pair("value"), *pair("comparand")]),
        "actions": _frame(
            actions,
            ["partner_id", "sequence", "rule_id", "kind", "streak", "deadline", "label_zh", "label_en", "hold_through"],
        ),
        "parts": _frame(parts, ["partner_id", "metric", *pair("value"), *pair("sub"), *pair("weight")]),
        "partners": _frame(
            partners,
            [
                "partner_id",
                "status",
                "on_hold",
                "hold_through",
                "terminated",
                "score",
                *pair("score"),
                *pair("band_min"),
                *pair("band_share"),
                "hold_rules",
                *MONEY,
            ],
        ),
    }
    if with_values:
        frames["values"] = _frame(values, ["partner_id", "zero_base", *(c for name in METRICS for c in pair(name))])
    return frames


def value_differences(results: list[PartnerResult], out: Assessment) -> list[str]:
    """The engine's metric values against the Fraction engine's, every metric of every partner."""
    rows = [
        (r.partner_id, r.metrics.zero_base, *(x for name in METRICS for x in _pair(r.metrics.value(name))))
        for r in results
    ]
    pairs = [c for name in METRICS for c in (f"{name}_num", f"{name}_den")]
    return differences(out.values, _frame(rows, ["partner_id", "zero_base", *pairs]), ["partner_id"], "values")


def engine_frames(out: Assessment) -> dict[str, pl.DataFrame]:
    partners = out.partners.with_columns(pl.col("hold_rules").list.join(","))
    return {
        "values": out.values,
        "rules": out.rules,
        "actions": out.actions,
        "parts": out.parts,
        "partners": partners,
    }


KEYS = {
    "values": ["partner_id"],
    "rules": ["partner_id", "rule_id"],
    "actions": ["partner_id", "sequence"],
    "parts": ["partner_id", "metric"],
    "partners": ["partner_id"],
}


def compare(
    period: Period,
    ruleset: RuleSet,
    results: list[PartnerResult],
    oracle_states: dict[str, PartnerState],
    out: Assessment,
    tally: Counter[str],
    with_values: bool = True,
) -> list[str]:
    """Every difference between the two engines (empty when they agree), and a tally of the cases met."""
    want = oracle_frames(period, results, with_values)
    mine = engine_frames(out)
    diffs = [d for name, keys in KEYS.items() if name in want for d in differences(mine[name], want[name], keys, name)]
    want_states, want_streaks = states_to_frames(oracle_states)
    diffs += differences(out.states, want_states, ["partner_id"], "states")
    diffs += differences(out.streaks, want_streaks, ["partner_id", "rule_id"], "streaks")
    if not diffs:
        _tally(ruleset, out, tally)
    return diffs


def _tally(ruleset: RuleSet, out: Assessment, tally: Counter[str]) -> None:
    c = pl.col
    w = lambda e: e.cast(pl.Int128)  # noqa: E731
    on_time_rules = [r.id for r in ruleset.rules if r.metric == "on_time_rate" and r.threshold is not None]
    satisfaction_modes = [mode for mode, ws in ruleset.score.weights.items() if "satisfaction" in ws]
    rules, p, v = out.rules, out.partners, out.values
    at = w(c("value_num")) * w(c("comparand_den")) == w(c("comparand_num")) * w(c("value_den"))
    counts = {
        "partner-months": p.height,
        "partner-rules": rules.height,
        "fired actions": out.actions.height,
        "value exactly at comparand": rules.filter(at).height,
        "on-time exactly at threshold": rules.filter(at & c("rule_id").is_in(on_time_rules)).height,
        "zero base": v.filter(c("zero_base")).height,
        "zero base breached": rules.filter(c("value_num").is_null() & c("breached")).height,
        "no assessable ticket": v.filter(c("on_time_rate_num").is_null()).height,
        "no survey": v.filter(c("satisfaction_num").is_null() & c("mode").is_in(satisfaction_modes)).height,
        "streak carried": rules.filter(c("streak") > 1).height,
        "score half a hundredth": p.filter((c("score_num") * 200) % (c("score_den") * 2) == c("score_den")).height,
        "score exactly at band edge": p.filter(c("score") * c("band_min_den") == c("band_min_num") * 100).height,
        "deduction half a fen": p.filter(
            (w(c("gross_amount")) * c("band_share_num") * 2) % (c("band_share_den") * 2) == c("band_share_den")
        ).height,
        "held released": p.filter(c("released") > 0).height,
        "receivable carried in": p.filter(c("receivable_in") > 0).height,
        **{f"status {s}": p.filter(c("status") == s).height for s in ("active", "on_hold", "terminated")},
    }
    tally.update(counts)


STAGES = ["forward", "verify"]
FINE_AMOUNTS = ["0", "100", "250.5", "0.005", "12.345", "5000"]  # yuan: half a fen included
FINE_SHARES = ["0", "0.01", "0.025", "0.05", "0.1", "0.125", "0.2", "0.333"]
CAPS = [None, None, "0", "0.05", "0.1", "0.125", "0.2", "0.3", "1"]


def record_ruleset_data(rnd: random.Random) -> dict[str, Any]:
    """A random rule set with what the record adds: fines (fixed or a share of the gross, several
    per rule and per month), a deduction cap (often binding), a watch margin, stage rules."""
    data = random_ruleset_data(rnd)
    for rule in data["rules"]:
        for _ in range(rnd.choice([0, 0, 1, 1, 2])):
            fine: dict[str, Any] = {"kind": "fine"}
            if rnd.random() < 0.5:
                fine["amount"] = Decimal(rnd.choice(FINE_AMOUNTS))
            else:
                fine["pct"] = Decimal(rnd.choice(FINE_SHARES))
            if rnd.random() < 0.3:
                fine["streak" if rnd.random() < 0.5 else "min_streak"] = rnd.randint(1, 3)
            rule["actions"].insert(rnd.randint(0, len(rule["actions"])), fine)
    if rnd.random() < 0.5:
        data["rules"].append(
            {
                "id": f"r{len(data['rules'])}",
                "modes": ["C", "EMP"],
                "metric": f"stage_on_time_rate:{rnd.choice(STAGES)}",
                "op": rnd.choice(["<", "<="]),
                "threshold": Decimal(rnd.choice(["0.5", "0.75", "0.8"])),
                "description": {"zh": "环节", "en": "stage"},
                "actions": [_action(rnd) for _ in range(rnd.randint(1, 3))],
            }
        )
    cap = rnd.choice(CAPS)
    if cap is not None:
        data["caps"] = {"deduction_cap_pct": Decimal(cap)}
    data["watch_margin"] = Decimal(rnd.choice(["0", "0.1", "0.1", "0.25", "0.5"]))
    return data


def record_metrics(rnd: random.Random, comp: pl.DataFrame) -> list[PartnerMetrics]:
    """The partners' metrics with what the record keeps beyond the engine's counts: names, several
    refunds with ids and lines, the settlement line, pending and invalid tickets, conduct, a
    response score written with or without trailing zeros, and stage counts."""
    out = []
    for m in metrics_from_components(comp):
        refunds: list[RefundFact] = []
        left = m.refund_total
        while left:
            part = left if rnd.random() < 0.4 else rnd.randint(1, left)
            kind = "double" if part % 2 == 0 and rnd.random() < 0.5 else "full"
            amount = part // 2 if kind == "double" else part
            refunds.append(RefundFact(f"R{len(refunds):02d}-{m.partner_id}", kind, amount, rnd.randint(2, 999), None))
            left -= part
        refunds.reverse()  # ids in the order the metrics keep them (sorted)
        stages = tuple(
            (name, rnd.randint(0, 6), rnd.choice((0, 0, rnd.randint(0, 4))), rnd.randint(0, 2))
            for name in STAGES
            if rnd.random() < 0.7
        )
        extra = {
            "partner_name": rnd.choice(("", f"伙伴{m.partner_id}", f"Partner {m.partner_id}")),
            "refunds": tuple(refunds),
            "settlement_line": rnd.choice((None, rnd.randint(2, 5000))),
            "pending_tickets": rnd.choice((0, 0, rnd.randint(0, 5))),
            "invalid_tickets": rnd.choice((0, 0, rnd.randint(0, 5))),
            "conduct_events": rnd.choice((0, 0, rnd.randint(0, 3))),
            "response_score": m.response_score if rnd.random() < 0.5 else m.response_score.normalize(),
            "stages": stages,
        }
        out.append(PartnerMetrics(**{f: extra.get(f, getattr(m, f)) for f in _METRIC_FIELDS}))
    return out


_METRIC_FIELDS = [f.name for f in dataclasses.fields(PartnerMetrics)]


def record_states(rnd: random.Random, ids: list[str], ruleset: RuleSet, period: Period) -> dict[str, PartnerState]:
    """Prior states with holds of n months per rule: running, ending this month, ended, not yet
    begun, two of one rule started the same month (a tie the record's sort keeps in order)."""
    states = random_states(rnd, ids, ruleset, period)
    rule_ids = [r.id for r in ruleset.rules] + ["retired-rule"]
    out = {}
    for pid, s in states.items():
        holds = []
        for _ in range(rnd.choice([0, 0, 0, 1, 1, 2, 3])):
            started = period.shift(-rnd.randint(0, 4) if rnd.random() < 0.95 else 1)
            ends = started.shift(rnd.randint(0, 5)) if rnd.random() < 0.97 else None
            holds.append(Hold(rnd.choice(rule_ids), "months", started, ends))
        if holds and rnd.random() < 0.3:
            h = holds[0]
            holds.append(Hold(h.rule_id, "months", h.started, h.started.shift(rnd.randint(0, 5))))
        out[pid] = dataclasses.replace(s, month_holds=tuple(holds))
    return out


def record_restated(rnd: random.Random, ids: list[str]) -> dict[str, Restated]:
    return {
        pid: Restated(
            rnd.choice([rnd.randint(-500_000, 500_000), -rnd.randint(0, 10**8), rnd.randint(0, 10**6)]),
            rnd.choice([0, rnd.randint(-50_000, 50_000)]),
            rnd.choice([0, rnd.randint(-50_000, 50_000)]),
        )
        for pid in ids
        if rnd.random() < 0.15
    }


_NO_CONDUCT = pl.DataFrame(
    schema={
        "partner_id": pl.String,
        "event_type": pl.String,
        "occurred_on": pl.Date,
        "note": pl.String,
        "state": pl.String,
        "_line": pl.Int64,
    }
)
_NO_SURVEYS = pl.DataFrame(
    schema={"partner_id": pl.String, "customer_id": pl.String, "score": pl.Int64, "state": pl.String, "_line": pl.Int64}
)


def record_of(
    results: list[PartnerResult],
    states: dict[str, PartnerState],
    engine_tables: dict[str, pl.DataFrame] | None = None,
) -> dict[str, pl.DataFrame]:
    """The record's tables as the run stores them (sorted by the ledger's order)."""
    tables = build_tables(
        results,
        states,
        pl.DataFrame(schema=SCHEMAS["tickets"]),
        _NO_CONDUCT,
        _NO_SURVEYS,
        [],
        [],
        {},
        engine_tables=engine_tables,
    )
    return {name: sort(name, frame) for name, frame in tables.items()}


def record_differences(want: dict[str, pl.DataFrame], mine: dict[str, pl.DataFrame]) -> list[str]:
    """Every table whose schema, rows or order differ, with its first differing row."""
    out = []
    for name, frame in want.items():
        other = mine[name]
        if dict(other.schema) != dict(frame.schema):
            out.append(f"{name}: schema {other.schema} != {frame.schema}")
        elif not other.equals(frame):
            at = next(
                (i for i, (a, b) in enumerate(zip(other.iter_rows(), frame.iter_rows(), strict=False)) if a != b),
                min(other.height, frame.height),
            )
            mine_row = other.row(at) if at < other.height else None
            want_row = frame.row(at) if at < frame.height else None
            out.append(f"{name}: {other.height} rows against {frame.height}; row {at}: {mine_row} != {want_row}")
    return out


def _record_tally(record: dict[str, pl.DataFrame], ruleset: RuleSet, tally: Counter[str]) -> None:
    c = pl.col
    lines, holds, watch, pr = record["money_lines"], record["holds"], record["watch"], record["partner_results"]
    fines = lines.filter(c("kind") == "fine")
    fined = pr.join(fines.select("partner_id").unique(), on="partner_id", how="semi")
    if ruleset.caps:
        room = [fen_times(g, ruleset.caps.deduction_cap_pct) for g in fined["gross_amount"]]
        full = fined.with_columns(room=pl.Series(room, dtype=pl.Int64)).filter(
            c("score_deduction") + c("fine_deduction") == c("room")
        )
        # a fine taken whole that exactly fills what the cap left: the tie at the cap's boundary
        tie = fines.filter(c("uncapped").is_null() & (c("amount") != 0)).join(
            full.select("partner_id"), on="partner_id", how="semi"
        )
        tally.update({"cap exactly used up": full.height, "fine exactly filling the cap": tie.height})
    tally.update(
        {
            "fines fired": fines.height,
            "fine capped": fines.filter(c("uncapped").is_not_null()).height,
            "fine capped to 0": fines.filter(c("uncapped").is_not_null() & (c("amount") == 0)).height,
            "score deduction capped": lines.filter((c("kind") == "score") & c("uncapped").is_not_null()).height,
            "adjustment line": lines.filter(c("kind") == "adjustment").height,
            "restated partner": pr.filter((c("held_restated") != 0) | (c("receivable_restated") != 0)).height,
            "hold of n months active": holds.filter(c("kind") == "months").height,
            "hold until compliant": holds.filter(c("kind") == "until_compliant").height,
            "state holds carried out": record["state_holds"].height,
            "state hold tie": record["state_holds"]
            .filter(pl.struct("partner_id", "rule_id", "started").is_duplicated())
            .height,
            "watch by streak": watch.filter(c("reason") == "streak").height,
            "watch by margin": watch.filter(c("reason") == "margin").height,
            "stage rule evaluated": record["rule_results"].filter(c("metric").str.starts_with("stage_")).height,
            "action of a terminated partner (no deadline)": record["actions"]
            .join(pr.filter(c("status") == "terminated").select("partner_id"), on="partner_id", how="semi")
            .height,
            "hold line": lines.filter(c("kind") == "hold").height,
            "terminated line": lines.filter(c("kind") == "terminated").height,
            "release line": lines.filter(c("kind") == "release").height,
            "refund line": lines.filter(c("kind") == "refund").height,
        }
    )


def run_history(seed: int, partners: int, months: int, tally: Counter[str], ruleset: RuleSet | None = None) -> None:
    """A history of ``months`` under one random rule set: both engines assess each month from the
    same metrics and prior states, and the record made from each must be the same, table for
    table (and the engines' own frames too: metric values, rule results, parts, next states)."""
    rnd = random.Random(seed)
    ids = [f"P{i:05d}" for i in range(partners)]
    data = record_ruleset_data(rnd)
    period = FIRST.shift(rnd.randint(0, 30))
    draft = rule_thresholds(RuleSet.model_validate(data))
    first = components([random_partner(rnd, pid, draft) for pid in ids])
    if ruleset is None:
        ruleset = with_band_edges(rnd, data, first)
    states = record_states(rnd, [*ids, "GONE1", "GONE2"], ruleset, period)
    comp = first
    for month in range(months):
        if month:
            # Some partners miss a month; half of the others repeat last month's figures, so breaches recur.
            last = {r["partner_id"]: r for r in comp.iter_rows(named=True)}
            present = [pid for pid in ids if rnd.random() < 0.9]
            thresholds = rule_thresholds(ruleset)
            comp = components(
                [
                    last[pid] if pid in last and rnd.random() < 0.5 else random_partner(rnd, pid, thresholds)
                    for pid in present
                ]
            )
        metrics = record_metrics(rnd, comp)
        restated = record_restated(rnd, ids)
        engine = record_tables(period, metrics, states, ruleset, restated)
        results, oracle_states = assess(period, metrics, states, ruleset, restated=restated)
        want = record_of(results, oracle_states)
        mine = record_of([], engine.states, engine.tables)
        diffs = record_differences(want, mine)
        if month == 0:  # every metric value, also those no rule or weight of this rule set uses
            diffs += value_differences(results, engine.assessment)
        assert not diffs, f"seed {seed} month {month}: {len(diffs)} differences, first: " + "\n".join(diffs[:5])
        _tally(ruleset, engine.assessment, tally)
        _record_tally(mine, ruleset, tally)
        states, period = oracle_states, period.next()


# 38 histories × 3 months × 1100 partners, less absences and terminations: over 100,000 partner-months.
SEEDS = range(38)


@pytest.fixture(scope="module")
def histories() -> tuple[Counter[str], list[str]]:
    tally: Counter[str] = Counter()
    failures = []
    for seed in SEEDS:
        try:
            run_history(seed, 1100, 3, tally)
        except AssertionError as exc:
            failures.append(str(exc))
    return tally, failures


def test_engines_agree_on_random_histories(histories: tuple[Counter[str], list[str]]) -> None:
    tally, failures = histories
    assert not failures, f"{len(failures)} histories differ:\n" + "\n".join(failures[:3])
    assert tally["partner-months"] >= 100_000


def test_engines_agree_under_the_default_rules() -> None:
    tally: Counter[str] = Counter()
    ruleset = default_config().config.ruleset_for(FIRST)
    for seed in range(3):
        run_history(1000 + seed, 1000, 4, tally, ruleset)
    assert tally["partner-months"] > 9_000


def test_the_random_histories_reach_every_boundary(histories: tuple[Counter[str], list[str]]) -> None:
    """The histories reach the cases they are meant to cover (the counts print with ``-s``)."""
    tally, _ = histories
    print("\ncolumnar vs Fraction engine:", dict(sorted(tally.items())))
    for case in (
        "value exactly at comparand",
        "on-time exactly at threshold",
        "zero base breached",
        "no assessable ticket",
        "score half a hundredth",
        "score exactly at band edge",
        "deduction half a fen",
        "no survey",
        "streak carried",
        "held released",
        "receivable carried in",
        "status terminated",
        "status on_hold",
        # what the record adds
        "fines fired",
        "fine capped",
        "fine capped to 0",
        "fine exactly filling the cap",
        "cap exactly used up",
        "score deduction capped",
        "adjustment line",
        "restated partner",
        "hold of n months active",
        "hold until compliant",
        "state hold tie",
        "watch by streak",
        "watch by margin",
        "stage rule evaluated",
        "action of a terminated partner (no deadline)",
        "hold line",
        "terminated line",
        "release line",
    ):
        assert tally[case] >= 50, case


def test_a_hand_worked_month() -> None:
    """One C partner under the default rules, every number worked by hand."""
    ruleset = default_config().config.ruleset_for(FIRST)
    row = random_partner(random.Random(0), "P1", ruleset) | {
        "mode": "C",
        "billed_users": 20_000,
        "valid_complaints": 10,  # 5 per 10k: breaches ">= 5", sub-score 60
        "repeat_complaints": 0,
        "major_complaints": 0,
        "on_time_tickets": 3,
        "late_tickets": 1,  # exactly 75 %: does not breach "< 0.75", sub-score 60
        "response_hundredths": 9_995,  # 99.95
        "gross_amount": 1_000_010,
        "refund_total": 0,
        "service_cost": 30_000,
    }
    out = assess_columnar(FIRST, components([row]), *empty_states(), ruleset)
    p = out.partners.row(0, named=True)
    # 0.4·60 + 0.3·60 + 0.3·99.95 = 71.985 -> 71.99 (half up), band ≥ 70: 5 %
    assert Fraction(p["score_num"], p["score_den"]) == Fraction(71985, 1000)
    assert p["score"] == 7199
    assert (p["band_share_num"], p["band_share_den"]) == (1, 20)
    assert p["score_deduction"] == 50_001  # 1,000,010 × 5 % = 50,000.5 -> 50,001
    assert p["status"] == "on_hold"  # the complaint rate holds until compliant
    assert (p["payout"], p["held_out"]) == (0, 1_000_010 - 50_001)
    breached = dict(out.rules.select("rule_id", "breached").iter_rows())
    assert breached == {
        "c-complaint-rate": True,
        "c-on-time": False,
        "major-complaints": False,
        "cost-over-revenue": False,
    }
    assert out.actions["kind"].to_list() == ["notice", "hold_until_compliant"]


def test_refuses_values_beyond_its_exact_range() -> None:
    ruleset = default_config().config.ruleset_for(FIRST)
    row = random_partner(random.Random(0), "P1", ruleset) | {"gross_amount": 2**61}
    with pytest.raises(ValueError, match="gross_amount"):
        assess_columnar(FIRST, components([row]), *empty_states(), ruleset)


def test_the_engine_benchmark_runs_and_the_engines_agree_in_it() -> None:
    """bench/engine.py at a tiny size, so it cannot rot (no time is asserted)."""
    script = Path(__file__).resolve().parents[1] / "bench" / "engine.py"
    run = subprocess.run(
        [sys.executable, str(script), "--partners", "300", "--repeat", "1"], capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stderr
    assert "the engines agree" in run.stdout
    assert "faster" in run.stdout


def huge_partner(rnd: random.Random, pid: str) -> dict[str, Any]:
    """A partner near the top of the engine's exact range in every column."""
    top = 2**40 - 1
    count = lambda: rnd.choice([0, 1, top, rnd.randint(0, top)])  # noqa: E731
    valid = count()
    return {
        "partner_id": pid,
        "mode": rnd.choice(["C", "EMP"]),
        "billed_users": count(),
        "group_customers": count(),
        "valid_complaints": valid,
        "repeat_complaints": rnd.randint(0, valid),
        "major_complaints": rnd.randint(0, valid),
        "on_time_tickets": count(),
        "late_tickets": count(),
        "reply_on_time": count(),
        "reply_late": count(),
        "resolved_tickets": count(),
        "resolution_seconds": rnd.randint(0, 2**62 - 1),
        "p90_hours_num": rnd.randint(0, 2**62 - 1),
        "p90_hours_den": rnd.randint(1, 2**62 - 1),
        "response_hundredths": rnd.randint(0, 10_000),
        "survey_count": count(),
        "survey_total": rnd.randint(0, 2**62 - 1),
        "refund_total": rnd.randint(0, 2**60 - 1),
        "gross_amount": rnd.choice([2**60 - 1, rnd.randint(0, 2**60 - 1)]),
        "service_cost": rnd.randint(0, 2**60 - 1),
    }


def test_engines_agree_at_the_top_of_the_exact_range() -> None:
    """Int128 products at their largest: bases, tickets and amounts near their bounds."""
    rnd = random.Random(7)
    ruleset = default_config().config.ruleset_for(FIRST)
    comp = components([huge_partner(rnd, f"P{i:04d}") for i in range(2000)])
    big = 2**59
    states = {
        f"P{i:04d}": PartnerState(f"P{i:04d}", {}, (), rnd.randint(0, big), rnd.randint(0, big), None, None)
        for i in range(0, 2000, 2)
    }
    out = assess_columnar(FIRST, comp, *states_to_frames(states), ruleset)
    results, oracle_states = assess(FIRST, metrics_from_components(comp), states, ruleset)
    tally: Counter[str] = Counter()
    assert compare(FIRST, ruleset, results, oracle_states, out, tally) == []
    assert tally["partner-months"] == 2000
    assert out.partners["score_den"].max() > 2**80  # the common denominator really is beyond Int64


def test_refuses_a_score_too_large_for_128_bits() -> None:
    """Five rates on bases near 2**40 and beyond: the exact score would need over 126 bits."""
    data = random_ruleset_data(random.Random(0))
    rates = ["complaint_rate_per_10k", "on_time_rate", "reply_on_time_rate", "avg_resolution_hours"]
    data["score"]["weights"] = {mode: {m: "0.2" for m in [*rates, "p90_resolution_hours"]} for mode in ("C", "EMP")}
    ruleset = RuleSet.model_validate(data)
    row = huge_partner(random.Random(1), "P1") | {
        "mode": "C",
        "billed_users": 2**40 - 1,
        "on_time_tickets": 2**39,
        "late_tickets": 2**39 - 1,
        "reply_on_time": 2**39,
        "reply_late": 2**39 - 1,
        "resolved_tickets": 2**40 - 1,
        "p90_hours_den": 2**62 - 1,
    }
    with pytest.raises(ValueError, match="bits"):
        assess_columnar(FIRST, components([row]), *empty_states(), ruleset)


def test_narrow_integer_inputs_give_the_same_results() -> None:
    """Counts arriving as Int32 (as a loader may type them) are widened before any product."""
    rnd = random.Random(3)
    ruleset = default_config().config.ruleset_for(FIRST)
    rows = [random_partner(rnd, f"P{i}", ruleset) for i in range(200)]
    rows[0] |= {"mode": "C", "valid_complaints": 300_000, "billed_users": 600_000_000}  # 300,000 × 10,000 > 2**31
    wide_frame = components(rows)
    narrow = wide_frame.with_columns(
        [pl.col(c).cast(pl.Int32) for c in ("valid_complaints", "billed_users", "on_time_tickets", "late_tickets")]
    )
    a = assess_columnar(FIRST, wide_frame, *empty_states(), ruleset)
    b = assess_columnar(FIRST, narrow, *empty_states(), ruleset)
    assert a.partners.equals(b.partners)
    assert a.rules.equals(b.rules)


def _history_row(pid: str, m: Any) -> dict[str, Any]:
    """The brute-force oracle's month as counts: 12 or 2 complaints on 20,000 users (6 or 1 per 10k),
    on time 1 of 2 or 2 of 2, 3 major complaints or none."""
    valid = 12 if m.rate_breach else 2
    return {
        **{k: 0 for k, v in COMPONENTS.items() if v[0] == pl.Int64() and not v[1]},
        "partner_id": pid,
        "mode": "C",
        "billed_users": 20_000,
        "group_customers": None,
        "valid_complaints": valid,
        "major_complaints": 3 if m.major_breach else 0,
        "on_time_tickets": 1 if m.late_breach else 2,
        "late_tickets": 1 if m.late_breach else 0,
        "reply_on_time": None,
        "reply_late": None,
        "p90_hours_num": None,
        "p90_hours_den": None,
        "response_hundredths": 10_000,
        "refund_total": m.refunds,
        "gross_amount": m.gross,
        "service_cost": valid * 3000,
    }


@settings(max_examples=8, deadline=None)
@given(st.lists(st.lists(oracle_month, min_size=12, max_size=24), min_size=20, max_size=60))
def test_columnar_engine_agrees_with_the_brute_force_history_oracle(histories: list[list[Any]]) -> None:
    """The hand-written history oracle of tests/test_assess_oracle.py, month after month, all partners at once."""
    ruleset = default_config().config.ruleset_for(FIRST)
    oracles = {f"P{i:03d}": Oracle() for i in range(len(histories))}
    log: dict[str, list[tuple[int, str, int, int, int, int]]] = {pid: [] for pid in oracles}
    states, streaks = empty_states()
    start = Period(2024, 1)
    for t in range(max(len(h) for h in histories)):
        rows = []
        for (pid, oracle), h in zip(oracles.items(), histories, strict=True):
            m = h[t] if t < len(h) else OracleMonth(False, False, False, False, 0, 0)
            oracle.step(t, m)
            if m.present:
                rows.append(_history_row(pid, m))
        out = assess_columnar(start.shift(t), components(rows), states, streaks, ruleset)
        states, streaks = out.states, out.streaks
        for r in out.partners.iter_rows(named=True):
            log[r["partner_id"]].append(
                (t, r["status"], r["payout"], r["held_out"], r["receivable_out"], r["score_deduction"])
            )
    for pid, oracle in oracles.items():
        assert log[pid] == oracle.log, pid


def test_components_from_formed_metrics_assess_the_same() -> None:
    """bridge.components_from_metrics: the engine's input rebuilt from PartnerMetrics gives the same month."""
    rnd = random.Random(11)
    ruleset = with_band_edges(rnd, random_ruleset_data(rnd), components([]))
    rows = components([random_partner(rnd, f"P{i:04d}", ruleset) for i in range(1500)])
    rebuilt = components_from_metrics(metrics_from_components(rows))
    states = states_to_frames(random_states(rnd, list(rows["partner_id"]), ruleset, FIRST))
    a = assess_columnar(FIRST, rows, *states, ruleset)
    b = assess_columnar(FIRST, rebuilt, *states, ruleset)
    assert differences(b.partners, a.partners, ["partner_id"], "partners") == []
    assert differences(b.rules, a.rules, ["partner_id", "rule_id"], "rules") == []
    assert differences(b.parts, a.parts, ["partner_id", "metric"], "parts") == []
    assert a.states.equals(b.states)


def test_a_response_score_finer_than_hundredths_is_left_to_the_fraction_engine() -> None:
    """The columnar engine counts the response score in hundredths; a finer one is refused
    (the run then assesses the month with the Fraction engine)."""
    ruleset = default_config().config.ruleset_for(FIRST)
    m = metrics_from_components(components([random_partner(random.Random(0), "P1", ruleset)]))[0]
    fine = dataclasses.replace(m, response_score=Decimal("99.875"))
    with pytest.raises(ValueError, match="finer than hundredths"):
        record_tables(FIRST, [fine], {}, ruleset)
    assert record_tables(FIRST, [m], {}, ruleset).tables["partner_results"].height == 1

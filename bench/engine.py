"""Micro-benchmark of the assessment engines: the Fraction engine against the columnar one.

    python bench/engine.py [--partners 10000] [--repeat 5] [--seed 1]

Both engines assess the same month under the default rule set, from the same
per-partner counts and prior states (the metrics are formed beforehand and not
timed). Prints each engine's best and median time and the ratio, after
checking that both agree on every partner's score, status and payout.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

import polars as pl

from scorecard.assess import assess
from scorecard.config import default_config_path, load_config
from scorecard.engine.bridge import metrics_from_components, states_to_frames
from scorecard.engine.columnar import assess_columnar
from scorecard.engine.values import COMPONENTS
from scorecard.periods import Period
from scorecard.state import Hold, PartnerState

PERIOD = Period(2026, 3)


def partner(rnd: random.Random, pid: str) -> dict[str, Any]:
    """A month of one partner: 70 % C, skewed ticket volumes, a few breaches."""
    mode = "C" if rnd.random() < 0.7 else "EMP"
    tickets = int(rnd.lognormvariate(3, 1.2))
    late = sum(rnd.random() < 0.1 for _ in range(min(tickets, 50))) * max(tickets // 50, 1)
    late = min(late, tickets)
    surveys = rnd.randint(0, 12) if mode == "EMP" else 0
    return {
        "partner_id": pid,
        "mode": mode,
        "billed_users": int(tickets * 10_000 / rnd.lognormvariate(1.1, 0.5)) if mode == "C" else None,
        "group_customers": rnd.randint(5, 500) if mode == "EMP" else None,
        "valid_complaints": tickets,
        "repeat_complaints": tickets // 10,
        "major_complaints": rnd.choice([0] * 30 + [3]),
        "on_time_tickets": tickets - late,
        "late_tickets": late,
        "reply_on_time": None,
        "reply_late": None,
        "resolved_tickets": tickets,
        "resolution_seconds": tickets * rnd.randint(3600, 30 * 3600),
        "p90_hours_num": rnd.randint(1, 72 * 10) if tickets else None,
        "p90_hours_den": 10 if tickets else None,
        "response_hundredths": 10_000 - 500 * rnd.choice([0, 0, 0, 1, 2]),
        "survey_count": surveys,
        "survey_total": sum(rnd.randint(6_000, 10_000) for _ in range(surveys)),
        "refund_total": rnd.choice([0] * 9 + [rnd.randint(100, 50_000)]),
        "gross_amount": rnd.randint(10_000, 50_000_000),
        "service_cost": tickets * 3000,
    }


def prior(rnd: random.Random, pid: str) -> PartnerState:
    return PartnerState(
        pid,
        {"c-complaint-rate": rnd.randint(1, 2)} if rnd.random() < 0.1 else {},
        (Hold("c-on-time", "months", PERIOD.prev(), PERIOD),) if rnd.random() < 0.05 else (),
        rnd.choice([0] * 9 + [rnd.randint(0, 1_000_000)]),
        rnd.choice([0] * 19 + [rnd.randint(0, 100_000)]),
        None,
        PERIOD.prev(),
    )


def timed(fn: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return times, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--partners", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    rnd = random.Random(args.seed)
    ids = [f"P{i:06d}" for i in range(args.partners)]
    components = pl.DataFrame([partner(rnd, pid) for pid in ids], schema={k: v[0] for k, v in COMPONENTS.items()})
    states = {pid: prior(rnd, pid) for pid in ids if rnd.random() < 0.8}
    ruleset = load_config(default_config_path()).config.ruleset_for(PERIOD)
    metrics = metrics_from_components(components)
    state_frames = states_to_frames(states)

    fraction_times, (results, _) = timed(lambda: assess(PERIOD, metrics, states, ruleset), args.repeat)
    columnar_times, out = timed(lambda: assess_columnar(PERIOD, components, *state_frames, ruleset), args.repeat)

    mine = {r[0]: r[1:] for r in out.partners.select("partner_id", "score", "status", "payout").iter_rows()}
    for r in results:
        want = (int(r.score.score * 100), r.status, r.settlement.payout)
        if mine[r.partner_id] != want:
            raise SystemExit(f"the engines disagree on {r.partner_id}: {mine[r.partner_id]} != {want}")

    def line(name: str, times: list[float]) -> str:
        return f"| {name} | {min(times) * 1000:.1f} | {statistics.median(times) * 1000:.1f} |"

    print(f"{args.partners:,} partners, default rules, best and median of {args.repeat}; the engines agree.")
    print("| engine | best ms | median ms |\n|---|---:|---:|")
    print(line("Fraction (assess)", fraction_times))
    print(line("columnar (assess_columnar)", columnar_times))
    ratio = statistics.median(fraction_times) / statistics.median(columnar_times)
    print(f"columnar is {ratio:.1f}× faster (median against median)")


if __name__ == "__main__":
    main()

"""An oracle for prior-period adjustments (docs/disputes.md#money), written from the rules alone.

Random histories of C-mode partners under the default rules: each month some earlier month's facts of
a partner are corrected (a breach that was not one, a refund that was void). The engine runs each month
as the product does — the corrected history from the recorded months, then the open month on the
corrected state with the adjustment and the restated balances. The oracle below knows nothing of the
engine: it replays the corrected months from scratch by hand (recorded terminations standing), forms
Adj = Σ corrected payout − Σ recorded payout and the restatements, and settles the open month itself.
They must agree on every money column and the status of every open month, and every partner's
cumulative payout + held − receivable must equal the corrected history's plus the open month's.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction

from factories import default_config, metrics

from scorecard.assess import Restated, assess
from scorecard.corrections import MonthFacts, restate
from scorecard.periods import Period

RS = default_config().config.ruleset_for(Period(2026, 1))
# (complaint rate, on-time rate) and their sub-scores from the default points tables, by hand
RATE = {True: (Fraction(6), 48), False: (Fraction(1), 92)}
ON_TIME = {True: (Fraction(1, 2), 0), False: (Fraction(1), 100)}
BANDS = [(90, 0), (80, 2), (70, 5), (60, 10), (0, 20)]
HISTORIES = int(os.environ.get("SCORECARD_ORACLE_HISTORIES", "2000"))


@dataclass(frozen=True)
class Facts:
    present: bool
    rate_breach: bool
    late_breach: bool
    gross: int
    refunds: int


@dataclass
class Book:
    """The oracle's own state of one partner."""

    streak: int = 0
    held: int = 0
    receivable: int = 0
    hold_until: int = -1  # month index through which the 1-month hold runs
    terminated: bool = False


def oracle_month(b: Book, t: int, f: Facts, adj: int = 0, force_terminate: bool | None = None) -> dict[str, object]:
    """One month by hand: streak, holds, score band, settlement with Adj entering A."""
    b.streak = b.streak + 1 if f.rate_breach else 0
    if f.late_breach:
        b.hold_until = t
    score = Decimal(RATE[f.rate_breach][1] * 4 + ON_TIME[f.late_breach][1] * 3 + 100 * 3) / 10
    pct = next(p for floor, p in BANDS if score >= floor)
    fee = (f.gross * pct * 2 + 100) // 200
    a = f.gross - f.refunds - fee - b.receivable + adj
    cin = b.receivable
    b.receivable = -a if a < 0 else 0
    a = max(a, 0)
    terminate = (b.streak == 3) if force_terminate is None else force_terminate
    hold = f.rate_breach or b.hold_until >= t
    hin = b.held
    if terminate or hold:
        payout, released, b.held = 0, 0, b.held + a
    else:
        payout, released, b.held = a + b.held, b.held, 0
    b.terminated = terminate
    return {
        "status": "terminated" if terminate else "on_hold" if hold else "active",
        "payout": payout,
        "held_in": hin,
        "held_out": b.held,
        "released": released,
        "receivable_in": cin,
        "receivable_out": b.receivable,
        "refund_deduction": f.refunds,
        "score_deduction": fee,
        "adjustment": adj,
    }


def engine_metrics(pid: str, f: Facts):  # type: ignore[no-untyped-def]
    return metrics(
        partner_id=pid,
        complaint_rate_per_10k=RATE[f.rate_breach][0],
        on_time_rate=ON_TIME[f.late_breach][0],
        gross_amount=f.gross,
        refund_total=f.refunds,
    )


def random_facts(rng: random.Random) -> Facts:
    return Facts(
        rng.random() > 0.15,
        rng.random() < 0.35,
        rng.random() < 0.25,
        rng.randrange(0, 300_000_00),
        rng.choice([0, 0, 0, rng.randrange(1, 120_000_00)]),
    )


def run_history(rng: random.Random, counts: dict[str, int]) -> None:
    n_months, partners = rng.randrange(4, 9), [f"P{i}" for i in range(rng.randrange(1, 4))]
    start = Period(2025, 1)
    truth = {p: [random_facts(rng) for _ in range(n_months)] for p in partners}  # facts as corrected so far
    recorded_facts = {p: list(fs) for p, fs in truth.items()}  # facts as each month was recorded
    recorded: dict[int, dict[str, dict[str, object]]] = {}  # month -> partner -> row as recorded
    rec_states: dict[int, dict] = {}
    states: dict = {}
    for t in range(n_months):
        # accepted corrections of earlier months arrive: the true facts change, the records do not
        for p in partners:
            if t and rng.random() < 0.5:
                u = rng.randrange(0, t)
                f = truth[p][u]
                truth[p][u] = replace(f, rate_breach=f.rate_breach and rng.random() < 0.5, refunds=0)
        corrected_partners = [p for p in partners if any(truth[p][u] != recorded_facts[p][u] for u in range(t))]
        first = min(
            (u for p in corrected_partners for u in range(t) if truth[p][u] != recorded_facts[p][u]), default=None
        )
        # --- the engine: restate from the recorded months, then the open month ---
        restatements = {}
        if first is not None:
            months = [
                MonthFacts(
                    start.shift(u),
                    RS,
                    [
                        engine_metrics(p, truth[p][u])
                        for p in corrected_partners
                        if truth[p][u].present and p in recorded[u]
                    ],
                    {p: row for p, row in recorded[u].items() if p in corrected_partners},
                    {p: s for p, s in rec_states[u].items() if p in corrected_partners},
                )
                for u in range(first, t)
            ]
            before = rec_states.get(first - 1, {})
            restatements = restate(corrected_partners, before, months)
        previous = {**states, **{p: r.state for p, r in restatements.items()}}
        present = [
            engine_metrics(p, truth[p][t])
            for p in partners
            if truth[p][t].present and not (p in previous and previous[p].terminated)
        ]
        restated = {p: r.restated for p, r in restatements.items()}
        results, states = assess(start.shift(t), present, previous, RS, restated=restated)
        for p, r in restatements.items():  # terminated before: into the pending balance
            if p not in {x.partner_id for x in results} and r.state.terminated:
                net = r.state.held - r.state.receivable + r.restated.adjustment
                states[p] = replace(states[p], held=max(net, 0), receivable=max(-net, 0))
        recorded[t] = {
            r.partner_id: {
                "status": r.status,
                **{f: getattr(r.settlement, f) for f in r.settlement.__dataclass_fields__},
            }
            for r in results
        }
        rec_states[t] = dict(states)
        for p in partners:  # month t is recorded as its facts stand now, never to change
            recorded_facts[p][t] = truth[p][t]

        # --- the oracle: the corrected months by hand, then the open month ---
        for p in partners:
            book = Book()
            corrected_payouts, recorded_payouts = 0, 0
            for u in range(t):
                f = truth[p][u]
                if book.terminated:
                    continue
                if not f.present or p not in recorded[u]:
                    book.streak = 0
                    continue
                row = oracle_month(book, u, f, force_terminate=recorded[u][p]["status"] == "terminated")
                corrected_payouts += int(row["payout"])  # type: ignore[call-overload]
                recorded_payouts += int(recorded[u][p]["payout"])  # type: ignore[call-overload]
            adj = corrected_payouts - recorded_payouts
            if book.terminated:
                if p in recorded[t]:
                    raise AssertionError("a terminated partner was assessed")
                continue
            f = truth[p][t]
            if not f.present:
                continue
            want = oracle_month(book, t, f, adj=adj)
            got = recorded[t][p]
            for key, value in want.items():
                assert got[key] == value, (p, t, key, got, want)
            counts["open_months"] += 1
            counts["with_adjustment"] += adj != 0
        # the cumulative identity, every partner
        for p in partners:
            total_recorded = sum(
                int(recorded[u][p]["payout"])
                for u in range(t + 1)
                if p in recorded[u]  # type: ignore[call-overload]
            )
            s = states.get(p)
            if s is None or (not s.terminated and s.last_assessed != start.shift(t)):
                continue  # absent this month: its adjustment waits for its next assessed month
            book, total = Book(), 0
            for u in range(t + 1):
                f = truth[p][u]
                if book.terminated:
                    continue
                if not f.present or p not in recorded[u]:
                    book.streak = 0
                    continue
                row = oracle_month(book, u, f, force_terminate=recorded[u][p]["status"] == "terminated")
                total += int(row["payout"])  # type: ignore[call-overload]
            assert total_recorded + s.held - s.receivable == total + book.held - book.receivable, (p, t)
            counts["identities"] += 1
    counts["histories"] += 1


def test_adjustments_agree_with_an_independent_oracle() -> None:
    rng = random.Random(20261201)
    counts = {"histories": 0, "open_months": 0, "with_adjustment": 0, "identities": 0}
    for _ in range(HISTORIES):
        run_history(rng, counts)
    assert counts["histories"] == HISTORIES
    assert counts["with_adjustment"] > HISTORIES // 4, counts  # corrections that moved money, often
    print(counts)


def test_restated_is_zero_without_corrections() -> None:
    assert Restated() == Restated(0, 0, 0)

"""A brute-force oracle for fines and caps over random multi-month histories.

Written from the product rules (docs/settlement.md#fines, #caps), not from the engine:
the default rules plus three fines — 500.00 yuan at the first month of a complaint-rate
breach, 3 % of the gross from its second month on, 200.00 yuan every month the on-time rate
is breached — under a deduction cap drawn per history (none, 0, 5 %, 10 %, 25 %, 100 %).
The score deduction is taken first from the cap, then the fines in rule order; refunds are
never capped. Every partner-month must agree with ``scorecard.assess.assess`` and satisfy
the extended invariant ``payout + (Hout − Hin) + R + F + P + Cin = G + Cout + Adj``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from factories import default_config, metrics
from hypothesis import given, settings
from hypothesis import strategies as st

from scorecard.assess import assess
from scorecard.config import RuleSet
from scorecard.periods import Period

BASE = default_config().config.ruleset_for(Period(2026, 1)).model_dump(mode="json")
CAPS = [None, "0", "0.05", "0.10", "0.25", "1"]


def ruleset(cap: str | None) -> RuleSet:
    data = {**BASE, "rules": [dict(r) for r in BASE["rules"]]}
    for rule in data["rules"]:
        if rule["id"] == "c-complaint-rate":
            rule["actions"] = [
                *rule["actions"],
                {"kind": "fine", "streak": 1, "amount": "500"},
                {"kind": "fine", "min_streak": 2, "pct": "0.03"},
            ]
        if rule["id"] == "c-on-time":
            rule["actions"] = [*rule["actions"], {"kind": "fine", "amount": "200.00"}]
    if cap is not None:
        data["caps"] = {"deduction_cap_pct": cap}
    return RuleSet.model_validate(data)


RULESETS = {cap: ruleset(cap) for cap in CAPS}

# (complaint rate, on-time rate) choices and their sub-scores, by hand from the default
# points tables: rate 6 -> 48, rate 1 -> 92; on-time 1/2 -> 0, 1 -> 100.
RATE = {True: (Fraction(6), 48), False: (Fraction(1), 92)}
ON_TIME = {True: (Fraction(1, 2), 0), False: (Fraction(1), 100)}
BANDS = [(90, 0), (80, 2), (70, 5), (60, 10), (0, 20)]  # percent


def half_up(num: int, den: int) -> int:
    return (2 * num + den) // (2 * den)  # non-negative integers only


@dataclass
class Month:
    present: bool
    rate_breach: bool
    late_breach: bool
    major_breach: bool
    gross: int
    refunds: int


Row = tuple[int, str, int, int, int, int, int]


@dataclass
class Oracle:
    cap: Fraction | None
    rate_streak: int = 0
    held: int = 0
    receivable: int = 0
    one_month_hold_at: int = -1
    terminated: bool = False
    log: list[Row] = field(default_factory=list)

    def step(self, t: int, m: Month) -> None:
        if self.terminated:
            return
        if not m.present:
            self.rate_streak = 0
            return
        self.rate_streak = self.rate_streak + 1 if m.rate_breach else 0
        if m.late_breach:
            self.one_month_hold_at = t
        score10 = RATE[m.rate_breach][1] * 4 + ON_TIME[m.late_breach][1] * 3 + 100 * 3  # score × 10
        pct = next(p for floor, p in BANDS if score10 >= floor * 10)
        score_ded = half_up(m.gross * pct, 100)
        fines = []  # in rule order: the complaint-rate rule comes before the on-time rule
        if self.rate_streak == 1:
            fines.append(500_00)
        if self.rate_streak >= 2:
            fines.append(half_up(m.gross * 3, 100))
        if m.late_breach:
            fines.append(200_00)
        if self.cap is not None:
            room = half_up(m.gross * self.cap.numerator, self.cap.denominator)
            score_ded = min(score_ded, room)
            room -= score_ded
            capped = []
            for x in fines:
                capped.append(min(x, room))
                room -= capped[-1]
            fines = capped
        fine_ded = sum(fines)
        a = m.gross - m.refunds - score_ded - fine_ded - self.receivable
        self.receivable = -a if a < 0 else 0
        a = max(a, 0)
        terminated = self.rate_streak == 3
        hold = m.rate_breach or m.major_breach or self.one_month_hold_at == t
        if terminated or hold:
            payout, self.held = 0, self.held + a
        else:
            payout, self.held = a + self.held, 0
        self.terminated = terminated
        status = "terminated" if terminated else "on_hold" if hold else "active"
        self.log.append((t, status, payout, self.held, self.receivable, score_ded, fine_ded))


month = st.builds(
    Month,
    present=st.sampled_from([True, True, True, True, False]),
    rate_breach=st.booleans(),
    late_breach=st.booleans(),
    major_breach=st.integers(0, 9).map(lambda x: x == 0),
    gross=st.one_of(st.integers(0, 500_000_00), st.integers(0, 30_000)),  # small grosses make caps bite
    refunds=st.integers(0, 60_000_00).map(lambda x: x if x % 3 == 0 else 0),
)

CASES = {"histories": 0, "partner_months": 0, "capped_months": 0, "fined_months": 0}


@settings(max_examples=1500, deadline=None)
@given(st.sampled_from(CAPS), st.lists(st.lists(month, min_size=6, max_size=30), min_size=1, max_size=4))
def test_fines_and_caps_agree_with_oracle(cap: str | None, histories: list[list[Month]]) -> None:
    rs = RULESETS[cap]
    n = max(len(h) for h in histories)
    oracles = {f"P{i}": Oracle(None if cap is None else Fraction(cap)) for i in range(len(histories))}
    states: dict = {}
    engine: dict[str, list[Row]] = {pid: [] for pid in oracles}
    start = Period(2024, 1)
    for t in range(n):
        ms = []
        for i, h in enumerate(histories):
            pid = f"P{i}"
            m = h[t] if t < len(h) else Month(False, False, False, False, 0, 0)
            oracles[pid].step(t, m)
            if m.present and not (pid in states and states[pid].terminated):
                rate, on_time = RATE[m.rate_breach][0], ON_TIME[m.late_breach][0]
                ms.append(
                    metrics(
                        partner_id=pid,
                        complaint_rate_per_10k=rate,
                        on_time_rate=on_time,
                        major_complaints=3 if m.major_breach else 0,
                        gross_amount=m.gross,
                        refund_total=m.refunds,
                    )
                )
        results, states = assess(start.shift(t), ms, states, rs)
        for r in results:
            s = r.settlement
            # the extended invariant, written out (Adj is 0: no prior-period adjustment here)
            assert (
                s.payout
                + (s.held_out - s.held_in)
                + s.refund_deduction
                + s.score_deduction
                + s.fine_deduction
                + s.receivable_in
                == s.gross_amount + s.receivable_out + s.adjustment
            )
            assert sum(x.amount for x in r.lines) == s.payout
            assert -sum(x.amount for x in r.lines if x.kind == "fine") == s.fine_deduction
            for x in r.lines:
                if x.uncapped is not None:
                    assert x.kind in ("score", "fine") and x.uncapped > -x.amount
            if any(x.uncapped is not None for x in r.lines):
                CASES["capped_months"] += 1
            if s.fine_deduction:
                CASES["fined_months"] += 1
            engine[r.partner_id].append(
                (t, r.status, s.payout, s.held_out, s.receivable_out, s.score_deduction, s.fine_deduction)
            )
            CASES["partner_months"] += 1
    CASES["histories"] += 1
    for pid, o in oracles.items():
        assert engine[pid] == o.log, pid


def test_oracle_covered_enough() -> None:
    """Runs after the property above (file order): it really met fines and caps, thousands of times."""
    if CASES["histories"] == 0:  # run on its own
        return
    print(f"fines/caps oracle: {CASES}")
    assert CASES["histories"] >= 1000
    assert CASES["capped_months"] >= 1000 and CASES["fined_months"] >= 1000

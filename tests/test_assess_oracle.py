"""A brute-force oracle over random multi-month histories (docs/metrics-and-rules.md#rules to docs/settlement.md).

The oracle below is written from the specification alone, independently of
the engine: it tracks streaks, holds, releases, terminations and balances by
hand for C-mode partners under the default rules, and must agree with
``scorecard.assess.assess`` on every partner and every month.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from factories import default_config, metrics
from hypothesis import given, settings
from hypothesis import strategies as st

from scorecard.assess import assess
from scorecard.periods import Period

RS = default_config().config.ruleset_for(Period(2026, 1))

# (complaint rate, on-time rate) choices and their sub-scores, worked by hand
# from the default points tables: rate 6 -> 60 - 60/5 = 48, rate 1 -> 92.
RATE = {True: (Fraction(6), 48), False: (Fraction(1), 92)}
ON_TIME = {True: (Fraction(1, 2), 0), False: (Fraction(1), 100)}
BANDS = [(90, 0), (80, 2), (70, 5), (60, 10), (0, 20)]  # percent


@dataclass
class Month:
    present: bool
    rate_breach: bool
    late_breach: bool
    major_breach: bool
    gross: int
    refunds: int


@dataclass
class Oracle:
    rate_streak: int = 0
    held: int = 0
    receivable: int = 0
    hold_one_month_until: int = -1  # month index through which a 1-month hold is active
    terminated: bool = False
    log: list[tuple[int, str, int, int, int, int]] = field(default_factory=list)

    def step(self, t: int, m: Month) -> None:
        if self.terminated:
            return
        if not m.present:
            self.rate_streak = 0
            return
        self.rate_streak = self.rate_streak + 1 if m.rate_breach else 0
        if m.late_breach:
            self.hold_one_month_until = t
        score = Decimal(RATE[m.rate_breach][1] * 4 + ON_TIME[m.late_breach][1] * 3 + 100 * 3) / 10
        pct = next(p for floor, p in BANDS if score >= floor)
        f = (m.gross * pct * 2 + 100) // 200  # half up, exact for non-negative integers
        a = m.gross - m.refunds - f - self.receivable
        self.receivable = -a if a < 0 else 0
        a = max(a, 0)
        terminated = self.rate_streak == 3
        hold = m.rate_breach or m.major_breach or self.hold_one_month_until >= t
        if terminated or hold:
            payout, self.held = 0, self.held + a
        else:
            payout, self.held = a + self.held, 0
        self.terminated = terminated
        status = "terminated" if terminated else "on_hold" if hold else "active"
        self.log.append((t, status, payout, self.held, self.receivable, f))


month = st.builds(
    Month,
    present=st.sampled_from([True, True, True, True, False]),
    rate_breach=st.booleans(),
    late_breach=st.booleans(),
    major_breach=st.integers(0, 9).map(lambda x: x == 0),
    gross=st.integers(0, 500_000_00),
    refunds=st.integers(0, 60_000_00).map(lambda x: x if x % 3 == 0 else 0),
)


def _metrics(pid: str, m: Month):  # type: ignore[no-untyped-def]
    rate, _ = RATE[m.rate_breach]
    on_time, _ = ON_TIME[m.late_breach]
    return metrics(
        partner_id=pid,
        complaint_rate_per_10k=rate,
        on_time_rate=on_time,
        major_complaints=3 if m.major_breach else 0,
        gross_amount=m.gross,
        refund_total=m.refunds,
    )


CASES = {"histories": 0, "partner_months": 0}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(month, min_size=12, max_size=36), min_size=1, max_size=4))
def test_engine_agrees_with_oracle(histories: list[list[Month]]) -> None:
    n = max(len(h) for h in histories)
    oracles = {f"P{i}": Oracle() for i in range(len(histories))}
    states: dict = {}
    engine_log: dict[str, list[tuple[int, str, int, int, int, int]]] = {pid: [] for pid in oracles}
    start = Period(2024, 1)
    for t in range(n):
        period = start.shift(t)
        ms = []
        for i, h in enumerate(histories):
            pid = f"P{i}"
            m = h[t] if t < len(h) else Month(False, False, False, False, 0, 0)
            oracles[pid].step(t, m)
            # terminated partners are excluded by loading; the engine skips them too
            if m.present and not (pid in states and states[pid].terminated):
                ms.append(_metrics(pid, m))
        results, states = assess(period, ms, states, RS)
        for r in results:
            s = r.settlement
            engine_log[r.partner_id].append((t, r.status, s.payout, s.held_out, s.receivable_out, s.score_deduction))
            CASES["partner_months"] += 1
    CASES["histories"] += 1
    for pid, o in oracles.items():
        assert engine_log[pid] == o.log, pid

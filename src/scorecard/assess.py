"""One period's assessment: metrics + previous states -> results + next states.

A pure function, no I/O: rules, score and settlement for every partner
assessed this period, and the state every known partner carries into the
next period. The ledger stores both; the oracle tests drive it directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from scorecard.config import RuleSet
from scorecard.metrics import PartnerMetrics
from scorecard.money import fen_times
from scorecard.periods import Period
from scorecard.rules import Fired, RuleResult, evaluate
from scorecard.score import Scorer, ScoreResult
from scorecard.settle import Settlement, settle
from scorecard.state import PartnerState

Status = Literal["active", "on_hold", "terminated"]


@dataclass(frozen=True, slots=True)
class PartnerResult:
    metrics: PartnerMetrics
    rules: tuple[RuleResult, ...]
    score: ScoreResult
    settlement: Settlement
    status: Status
    holds: tuple[str, ...]  # why money is held: "rule-id" (until compliant) or "rule-id:through YYYY-MM"
    hold_through: Period | None
    notices: tuple[Fired, ...]

    @property
    def partner_id(self) -> str:
        return self.metrics.partner_id

    @property
    def breached_rules(self) -> list[str]:
        return sorted(r.rule_id for r in self.rules if r.breached)


def assess_partner(
    m: PartnerMetrics, prev: PartnerState, ruleset: RuleSet, period: Period, scorer: Scorer | None = None
) -> tuple[PartnerResult, PartnerState]:
    results, effects = evaluate(m, ruleset, prev.streaks, period)
    sc = (scorer or Scorer(ruleset)).score(m)
    f = fen_times(m.gross_amount, Fraction(sc.band_pct))
    hold_through = max(filter(None, (prev.hold_through, effects.hold_through)), default=None)
    if hold_through is not None and hold_through < period:
        hold_through = None
    holds = tuple(effects.hold_until_compliant) + ((f"through {hold_through}",) if hold_through else ())
    terminated = bool(effects.terminate)
    on_hold = bool(effects.hold_until_compliant) or hold_through is not None
    s = settle(m.gross_amount, m.refund_total, f, prev.receivable, prev.held, terminated=terminated, on_hold=on_hold)
    status: Status = "terminated" if terminated else "on_hold" if on_hold else "active"
    result = PartnerResult(m, tuple(results), sc, s, status, holds, hold_through, tuple(effects.notices))
    state = PartnerState(
        partner_id=m.partner_id,
        streaks={r.rule_id: r.streak for r in results if r.streak},
        hold_through=hold_through,
        held=s.held_out,
        receivable=s.receivable_out,
        terminated_in=period if terminated else None,
        last_assessed=period,
    )
    return result, state


def assess(
    period: Period, metrics: list[PartnerMetrics], previous: dict[str, PartnerState], ruleset: RuleSet
) -> tuple[list[PartnerResult], dict[str, PartnerState]]:
    results = []
    scorer = Scorer(ruleset)
    states = {pid: (s if s.terminated else s.absent()) for pid, s in previous.items()}
    for m in metrics:
        prev = previous.get(m.partner_id, PartnerState(m.partner_id))
        if prev.terminated:  # excluded by loading; never assessed again
            continue
        result, states[m.partner_id] = assess_partner(m, prev, ruleset, period, scorer)
        results.append(result)
    return results, states

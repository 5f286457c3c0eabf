"""One month's assessment: facts + previous states -> results + next states.

A pure function, no I/O: rules, score and settlement for every partner
assessed this month, and the state every known partner carries into the
next month. The record (scorecard.record) is built from its results; the
oracle tests drive it directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from scorecard.config import RuleSet
from scorecard.metrics import PartnerMetrics
from scorecard.periods import Period
from scorecard.rules import Fired, RuleResult, evaluate, notice_deadline
from scorecard.score import Scorer, ScoreResult
from scorecard.settle import FineFact, Line, Settlement, settle
from scorecard.state import Hold, PartnerState
from scorecard.watch import WatchItem, watch_items

Status = Literal["active", "on_hold", "terminated"]


@dataclass(frozen=True, slots=True)
class ActionRecord:
    """A fired action as the record keeps it: the rule, what it does, by when."""

    fired: Fired
    deadline: date | None  # a notice's deadline
    hold_end: Period | None  # the last month an n-month hold covers


@dataclass(frozen=True, slots=True)
class PartnerResult:
    metrics: PartnerMetrics
    rules: tuple[RuleResult, ...]
    score: ScoreResult
    settlement: Settlement
    status: Status
    holds: tuple[Hold, ...]  # every hold active this month, with its rule and end
    actions: tuple[ActionRecord, ...]
    lines: tuple[Line, ...]  # the money from gross to payout
    watch: tuple[WatchItem, ...] = ()  # rules a next breaching month would escalate

    @property
    def partner_id(self) -> str:
        return self.metrics.partner_id

    @property
    def breached_rules(self) -> list[str]:
        return sorted(r.rule_id for r in self.rules if r.breached)

    @property
    def hold_through(self) -> Period | None:
        """The last month the running holds of n months cover."""
        return max((h.ends for h in self.holds if h.kind == "months" and h.ends), default=None)

    @property
    def notices(self) -> tuple[Fired, ...]:
        return tuple(a.fired for a in self.actions)


@dataclass(frozen=True, slots=True)
class Restated:
    """What the corrected history changes for a partner's open month (docs/disputes.md#money)."""

    adjustment: int = 0  # enters A: paid, held or carried like the month's own money
    held: int = 0  # held_restated: already in the state's held balance
    receivable: int = 0  # receivable_restated: already in the state's receivable


def assess_partner(
    m: PartnerMetrics,
    prev: PartnerState,
    ruleset: RuleSet,
    period: Period,
    scorer: Scorer | None = None,
    *,
    restated: Restated | None = None,
    termination: bool | None = None,
) -> tuple[PartnerResult, PartnerState]:
    """``termination`` overrides the rules' decision to terminate (the corrected history keeps each
    month's recorded termination, docs/disputes.md#terminations)."""
    results, effects = evaluate(m, ruleset, prev.streaks, period)
    sc = (scorer or Scorer(ruleset)).score(m)
    streak = {r.rule_id: r.streak for r in results}
    until = tuple(
        Hold(rule_id, "until_compliant", period.shift(1 - streak[rule_id]))
        for rule_id in dict.fromkeys(effects.hold_until_compliant)
    )
    month_holds = tuple(h for h in (*prev.month_holds, *effects.month_holds) if h.ends is not None and h.ends >= period)
    holds = until + tuple(h for h in month_holds if h.active_in(period))
    terminated = bool(effects.terminate) if termination is None else termination
    on_hold = bool(holds)
    restated = restated or Restated()
    s, lines = settle(
        m.gross_amount,
        m.refunds,
        sc.band_pct,
        prev.receivable,
        prev.held,
        terminated=terminated,
        on_hold=on_hold,
        gross_line=m.settlement_line,
        adjustment=restated.adjustment,
        restated=(restated.held, restated.receivable),
        fines=[FineFact(f.rule_id, f.action.amount, f.action.pct) for f in effects.fines],
        cap_pct=ruleset.caps.deduction_cap_pct if ruleset.caps else None,
    )
    status: Status = "terminated" if terminated else "on_hold" if on_hold else "active"
    actions = tuple(
        ActionRecord(
            f,
            notice_deadline(period, f.action),
            period.shift(f.action.months - 1) if f.kind == "hold_months" and f.action.months else None,
        )
        for f in effects.notices
    )
    watch = () if terminated else tuple(watch_items(results, ruleset))
    result = PartnerResult(m, tuple(results), sc, s, status, holds, actions, lines, watch)
    state = PartnerState(
        partner_id=m.partner_id,
        streaks={r.rule_id: r.streak for r in results if r.streak},
        month_holds=month_holds,
        held=s.held_out,
        receivable=s.receivable_out,
        terminated_in=period if terminated else None,
        last_assessed=period,
    )
    return result, state


def assess(
    period: Period,
    metrics: list[PartnerMetrics],
    previous: dict[str, PartnerState],
    ruleset: RuleSet,
    *,
    restated: dict[str, Restated] | None = None,
    terminations: dict[str, bool] | None = None,
) -> tuple[list[PartnerResult], dict[str, PartnerState]]:
    results = []
    scorer = Scorer(ruleset)
    states = {pid: (s if s.terminated else s.absent()) for pid, s in previous.items()}
    for m in metrics:
        prev = previous.get(m.partner_id, PartnerState(m.partner_id))
        if prev.terminated:  # excluded by loading; never assessed again
            continue
        result, states[m.partner_id] = assess_partner(
            m,
            prev,
            ruleset,
            period,
            scorer,
            restated=(restated or {}).get(m.partner_id),
            termination=(terminations or {}).get(m.partner_id),
        )
        results.append(result)
    return results, states

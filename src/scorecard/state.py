"""What a partner carries from one month into the next.

The engine is a pure function of (this month's facts, the previous month's
states); the ledger stores one state per partner per month (docs/ledger.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from scorecard.periods import Period

HoldKind = Literal["until_compliant", "months"]


@dataclass(frozen=True, slots=True, order=True)
class Hold:
    """A reason the month's payable amount is withheld (docs/settlement.md#holds).

    ``until_compliant`` holds last while their rule is breached (``ends`` is None);
    ``months`` holds cover ``started`` … ``ends`` whatever happens meanwhile.
    """

    rule_id: str
    kind: HoldKind
    started: Period
    ends: Period | None = None

    def active_in(self, period: Period) -> bool:
        return self.started <= period and (self.ends is None or period <= self.ends)


@dataclass(frozen=True, slots=True)
class PartnerState:
    partner_id: str
    streaks: dict[str, int] = field(default_factory=dict)  # rule id -> consecutive breaching months
    month_holds: tuple[Hold, ...] = ()  # holds of n months that may still be running
    held: int = 0  # fen withheld, released when no hold is active
    receivable: int = 0  # fen still to deduct
    terminated_in: Period | None = None
    last_assessed: Period | None = None

    @property
    def terminated(self) -> bool:
        return self.terminated_in is not None

    @property
    def hold_through(self) -> Period | None:
        """The last month a running n-month hold covers."""
        return max((h.ends for h in self.month_holds if h.ends is not None), default=None)

    def absent(self) -> PartnerState:
        """Not assessed this month: streaks reset, balances and running holds wait."""
        return PartnerState(
            self.partner_id, {}, self.month_holds, self.held, self.receivable, self.terminated_in, self.last_assessed
        )

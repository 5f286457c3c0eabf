"""What a partner carries from one period into the next.

The engine is a pure function of (this period's metrics, the previous
period's states); the ledger stores one state per partner per period.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from scorecard.periods import Period


@dataclass(frozen=True, slots=True)
class PartnerState:
    partner_id: str
    streaks: dict[str, int] = field(default_factory=dict)  # rule id -> consecutive breaching periods
    hold_through: Period | None = None  # last period covered by a hold of n months
    held: int = 0  # fen withheld, released when no hold is active
    receivable: int = 0  # fen still to deduct
    terminated_in: Period | None = None
    last_assessed: Period | None = None

    @property
    def terminated(self) -> bool:
        return self.terminated_in is not None

    def absent(self) -> PartnerState:
        """Not assessed this period: streaks reset, balances wait for the next assessed period."""
        return PartnerState(
            self.partner_id, {}, self.hold_through, self.held, self.receivable, self.terminated_in, self.last_assessed
        )

"""Settlement: from gross to payout, in integer fen, line by line (docs/settlement.md).

    F, P = the score deduction and the fines, capped together at a share of G
           (score deduction first, then fines in rule order; refunds never capped)
    A = G − R − F − P − Cin + Adj;  if A < 0: Cout = −A, A = 0
    terminated:  payout 0, Hout = Hin + A      (pending final settlement)
    hold active: payout 0, Hout = Hin + A
    otherwise:   released = Hin, payout = A + Hin, Hout = 0

Invariant, checked on every settlement:
payout + (Hout − Hin) + R + F + P + Cin = G + Cout + Adj.

This module owns every amount of money the assessment derives: the refund
deduction of each refund, the score deduction, the balances, and the money
lines that explain them, so that no view ever computes money.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from decimal import Decimal

from scorecard.money import fen_times

# Wrongly charged fees are refunded at double the amount; an overcharged group
# function fee is refunded in full (docs/settlement.md#refunds).
REFUND_MULTIPLIER: dict[str, int] = {"double": 2, "full": 1}


class InvariantError(AssertionError):
    """A settlement that does not balance: a bug, never an input problem."""


@dataclass(frozen=True, slots=True)
class RefundFact:
    """One refund row as loaded: the source of one refund line."""

    refund_id: str
    kind: str
    amount: int  # fen, the wrongly charged amount
    line: int | None = None
    customer_id: str | None = None

    @property
    def multiplier(self) -> int:
        return REFUND_MULTIPLIER[self.kind]

    @property
    def deduction(self) -> int:
        return self.amount * self.multiplier


def refund_deduction(refunds: Sequence[RefundFact]) -> int:
    return sum(r.deduction for r in refunds)


def score_deduction(gross: int, share: Decimal) -> int:
    """The band's share of the gross, rounded once, half up, to the fen."""
    return fen_times(gross, share)


@dataclass(frozen=True, slots=True)
class FineFact:
    """One fine (违约金) fired by one rule: a fixed amount in yuan or a share of the gross."""

    rule_id: str
    amount: Decimal | None = None  # yuan
    pct: Decimal | None = None  # of gross_amount

    def fen(self, gross: int) -> int:
        """The fine before any cap: the amount to the fen, or the share of the gross rounded once."""
        if self.amount is not None:
            return fen_times(100, self.amount)
        assert self.pct is not None, "a fine needs an amount or a pct (config check)"
        return fen_times(gross, self.pct)


def capped(gross: int, score: int, fines: Sequence[int], cap_pct: Decimal | None) -> tuple[int, list[int]]:
    """Score deduction and fines under the month's cap (docs/settlement.md#caps).

    The cap is ``cap_pct`` of the gross, rounded half up once; the score deduction is taken
    first, then each fine in rule order, each taking what is left of the cap."""
    if cap_pct is None:
        return score, list(fines)
    room = fen_times(gross, cap_pct)
    taken = min(score, room)
    room -= taken
    out = []
    for fine in fines:
        part = min(fine, room)
        room -= part
        out.append(part)
    return taken, out


@dataclass(frozen=True, slots=True)
class Settlement:
    gross_amount: int  # G
    refund_deduction: int  # R
    score_deduction: int  # F
    fine_deduction: int  # P
    receivable_in: int  # Cin
    receivable_out: int  # Cout
    held_in: int  # Hin
    held_out: int  # Hout
    released: int
    payout: int
    adjustment: int = 0  # Adj: prior-period adjustment, signed
    held_restated: int = 0
    receivable_restated: int = 0

    def check(self) -> None:
        lhs = (
            self.payout
            + (self.held_out - self.held_in)
            + self.refund_deduction
            + self.score_deduction
            + self.fine_deduction
            + self.receivable_in
        )
        rhs = self.gross_amount + self.receivable_out + self.adjustment
        if lhs != rhs or min(self.payout, self.held_out, self.receivable_out, self.released) < 0:
            raise InvariantError(f"settlement does not balance: {self}")


# The money columns of a settlement, in the order of scorecard.csv, the ledger and the workbooks.
MONEY_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Settlement))


@dataclass(frozen=True, slots=True)
class Line:
    """One money movement of one partner in one month: its signed effect on the payout.

    The lines of a partner add up to its payout exactly (checked in :func:`settle`).
    """

    kind: str  # gross, refund, score, fine, receivable_in, adjustment, receivable_out, hold, terminated, release
    amount: int
    rule_id: str | None = None
    source_id: str | None = None  # refund id, …
    source_line: int | None = None  # line in the input file
    refund_kind: str | None = None
    base_amount: int | None = None  # a refund's wrongly charged amount; a fixed fine's amount
    multiplier: int | None = None
    share: Decimal | None = None  # the band's deduction share; a fine's share of the gross
    uncapped: int | None = None  # a capped score or fine line: what it was before the cap


def settle(
    gross: int,
    refunds: Sequence[RefundFact],
    share: Decimal,
    receivable_in: int,
    held_in: int,
    *,
    terminated: bool,
    on_hold: bool,
    gross_line: int | None = None,
    adjustment: int = 0,
    restated: tuple[int, int] = (0, 0),
    fines: Sequence[FineFact] = (),
    cap_pct: Decimal | None = None,
) -> tuple[Settlement, tuple[Line, ...]]:
    """``adjustment`` is the prior-period adjustment (signed); ``held_in`` and ``receivable_in``
    are the balances after any restatement, ``restated`` says by how much (held, receivable)."""
    r = refund_deduction(refunds)
    f_uncapped = score_deduction(gross, share)
    fines_uncapped = [x.fen(gross) for x in fines]
    f, fine_parts = capped(gross, f_uncapped, fines_uncapped, cap_pct)
    p = sum(fine_parts)
    available = gross - r - f - p - receivable_in + adjustment
    receivable_out = max(-available, 0)
    available = max(available, 0)
    held_out, released = (held_in + available, 0) if terminated or on_hold else (0, held_in)
    s = Settlement(
        gross,
        r,
        f,
        p,
        receivable_in,
        receivable_out,
        held_in,
        held_out,
        released,
        0 if terminated or on_hold else available + held_in,
        adjustment,
        *restated,
    )
    s.check()
    lines = [Line("gross", gross, source_line=gross_line)]
    lines += [
        Line(
            "refund",
            -x.deduction,
            source_id=x.refund_id,
            source_line=x.line,
            refund_kind=x.kind,
            base_amount=x.amount,
            multiplier=x.multiplier,
        )
        for x in refunds
    ]
    if f_uncapped:
        lines.append(Line("score", -f, share=share, uncapped=f_uncapped if f != f_uncapped else None))
    for fact, part, whole in zip(fines, fine_parts, fines_uncapped, strict=True):
        # every fired fine has its line, even one the cap took to 0, so the rule is named
        lines.append(
            Line(
                "fine",
                -part,
                rule_id=fact.rule_id,
                base_amount=None if fact.amount is None else whole,  # a fixed fine: its amount
                share=fact.pct,  # a fine as a share of the gross
                uncapped=whole if part != whole else None,
            )
        )
    if receivable_in:
        lines.append(Line("receivable_in", -receivable_in))
    if adjustment:
        lines.append(Line("adjustment", adjustment))
    if receivable_out:
        lines.append(Line("receivable_out", receivable_out))
    withheld = s.held_out - s.held_in  # when active, Hin leaves through the release line instead
    if (terminated or on_hold) and withheld:
        lines.append(Line("terminated" if terminated else "hold", -withheld))
    if s.released:
        lines.append(Line("release", s.released))
    if sum(x.amount for x in lines) != s.payout:
        raise InvariantError(f"money lines do not add up to the payout: {lines} != {s.payout}")
    return s, tuple(lines)

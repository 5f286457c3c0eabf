"""Settlement of SPEC §6: from gross to payout, in integer fen.

    A = G − R − F − Cin;  if A < 0: Cout = −A, A = 0
    terminated:  payout 0, Hout = Hin + A      (pending final settlement)
    hold active: payout 0, Hout = Hin + A
    otherwise:   released = Hin, payout = A + Hin, Hout = 0

Invariant, checked on every settlement: payout + (Hout − Hin) + R + F + Cin = G + Cout.
"""

from __future__ import annotations

from dataclasses import dataclass, fields


class InvariantError(AssertionError):
    """A settlement that does not balance: a bug, never an input problem."""


@dataclass(frozen=True, slots=True)
class Settlement:
    gross_amount: int  # G
    refund_deduction: int  # R
    score_deduction: int  # F
    receivable_in: int  # Cin
    receivable_out: int  # Cout
    held_in: int  # Hin
    held_out: int  # Hout
    released: int
    payout: int

    def check(self) -> None:
        lhs = (
            self.payout
            + (self.held_out - self.held_in)
            + self.refund_deduction
            + self.score_deduction
            + self.receivable_in
        )
        rhs = self.gross_amount + self.receivable_out
        if lhs != rhs or min(self.payout, self.held_out, self.receivable_out, self.released) < 0:
            raise InvariantError(f"settlement does not balance: {self}")


# The money columns of a settlement, in the order of SPEC §8 (CSV, ledger, workbooks).
MONEY_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Settlement))


def settle(
    gross: int, refunds: int, score_deduction: int, receivable_in: int, held_in: int, *, terminated: bool, on_hold: bool
) -> Settlement:
    available = gross - refunds - score_deduction - receivable_in
    receivable_out = max(-available, 0)
    available = max(available, 0)
    if terminated or on_hold:
        s = Settlement(
            gross, refunds, score_deduction, receivable_in, receivable_out, held_in, held_in + available, 0, 0
        )
    else:
        s = Settlement(
            gross, refunds, score_deduction, receivable_in, receivable_out, held_in, 0, held_in, available + held_in
        )
    s.check()
    return s

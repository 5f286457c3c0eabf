"""Settlement (docs/settlement.md): the invariant to the fen over many random partner-months."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scorecard.settle import RefundFact, Settlement, score_deduction, settle

fen = st.integers(min_value=0, max_value=10**11)
shares = st.sampled_from([Decimal(x) for x in ("0", "0.02", "0.05", "0.10", "0.20", "0.333")])


def refunds(total: int) -> list[RefundFact]:
    return [RefundFact("R1", "full", total)] if total else []


@settings(max_examples=5000, deadline=None)
@given(fen, fen, shares, fen, fen, st.booleans(), st.booleans())
def test_invariant_and_payout_never_negative(
    g: int, r: int, share: Decimal, cin: int, hin: int, term: bool, hold: bool
) -> None:
    s, lines = settle(g, refunds(r), share, cin, hin, terminated=term, on_hold=hold)
    assert s.score_deduction == score_deduction(g, share)
    assert (
        s.payout + (s.held_out - s.held_in) + s.refund_deduction + s.score_deduction + s.receivable_in
        == s.gross_amount + s.receivable_out
    )
    assert s.payout >= 0 and s.held_out >= 0 and s.receivable_out >= 0
    assert sum(x.amount for x in lines) == s.payout
    if term or hold:
        assert s.payout == 0 and s.released == 0
    else:
        assert s.held_out == 0 and s.released == hin


def test_score_deduction_rounds_half_up_once() -> None:
    assert score_deduction(25, Decimal("0.02")) == 1  # 0.5 fen rounds up
    assert score_deduction(24, Decimal("0.02")) == 0  # 0.48 fen rounds down


def test_receivable_carried_when_deductions_exceed_gross() -> None:
    s, _ = settle(100_00, refunds(150_00), Decimal("0.05"), 0, 0, terminated=False, on_hold=False)
    assert (s.payout, s.receivable_out) == (0, 55_00)
    nxt, _ = settle(100_00, [], Decimal(0), s.receivable_out, 0, terminated=False, on_hold=False)
    assert (nxt.payout, nxt.receivable_out) == (45_00, 0)


def test_hold_then_release() -> None:
    held, _ = settle(100_00, [], Decimal("0.02"), 0, 0, terminated=False, on_hold=True)
    assert (held.payout, held.held_out) == (0, 98_00)
    released, lines = settle(100_00, [], Decimal(0), 0, held.held_out, terminated=False, on_hold=False)
    assert (released.released, released.payout, released.held_out) == (98_00, 198_00, 0)
    assert [(x.kind, x.amount) for x in lines] == [("gross", 100_00), ("release", 98_00)]


def test_double_refund_is_deducted_twice() -> None:
    s, lines = settle(100_00, [RefundFact("R9", "double", 10_00, 7)], Decimal(0), 0, 0, terminated=False, on_hold=False)
    assert s.refund_deduction == 20_00 and s.payout == 80_00
    assert [(x.kind, x.amount, x.source_id, x.source_line) for x in lines][1] == ("refund", -20_00, "R9", 7)


def test_broken_settlement_is_refused() -> None:
    with pytest.raises(AssertionError):
        Settlement(100, 0, 0, 0, 0, 0, 0, 0, 0, 99).check()

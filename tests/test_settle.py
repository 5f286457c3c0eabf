"""Settlement (SPEC §6): the invariant to the fen over many random partner-months."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scorecard.settle import Settlement, settle

fen = st.integers(min_value=0, max_value=10**11)


@settings(max_examples=5000, deadline=None)
@given(fen, fen, fen, fen, fen, st.booleans(), st.booleans())
def test_invariant_and_payout_never_negative(
    g: int, r: int, f: int, cin: int, hin: int, term: bool, hold: bool
) -> None:
    s = settle(g, r, f, cin, hin, terminated=term, on_hold=hold)
    assert (
        s.payout + (s.held_out - s.held_in) + s.refund_deduction + s.score_deduction + s.receivable_in
        == s.gross_amount + s.receivable_out
    )
    assert s.payout >= 0 and s.held_out >= 0 and s.receivable_out >= 0
    if term or hold:
        assert s.payout == 0 and s.released == 0
    else:
        assert s.held_out == 0 and s.released == hin


def test_receivable_carried_when_deductions_exceed_gross() -> None:
    s = settle(100_00, 150_00, 5_00, 0, 0, terminated=False, on_hold=False)
    assert (s.payout, s.receivable_out) == (0, 55_00)
    nxt = settle(100_00, 0, 0, s.receivable_out, 0, terminated=False, on_hold=False)
    assert (nxt.payout, nxt.receivable_out) == (45_00, 0)


def test_hold_then_release() -> None:
    held = settle(100_00, 0, 2_00, 0, 0, terminated=False, on_hold=True)
    assert (held.payout, held.held_out) == (0, 98_00)
    released = settle(100_00, 0, 0, 0, held.held_out, terminated=False, on_hold=False)
    assert (released.released, released.payout, released.held_out) == (98_00, 198_00, 0)


def test_broken_settlement_is_refused() -> None:
    with pytest.raises(AssertionError):
        Settlement(100, 0, 0, 0, 0, 0, 0, 0, 99).check()

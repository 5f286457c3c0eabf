"""The ledger's table order: the fast per-key sort gives exactly polars' sort on every key."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import polars as pl
import pytest

from scorecard.ledger.store import ORDER, in_order, merged, sort


def _tickets(n: int, seed: int, seconds: int = 4) -> pl.DataFrame:
    rnd = random.Random(seed)
    start = datetime(2026, 3, 1)  # noqa: DTZ001  (naive local time, as in the record)
    return pl.DataFrame(
        {
            "partner_id": [rnd.choice(["SI-2", "SI-1", None, "SI-3", "=x"]) for _ in range(n)],
            "received_at": [
                rnd.choice([None, start, start + timedelta(seconds=rnd.randrange(seconds))]) for _ in range(n)
            ],
            "ticket_id": [rnd.choice([None, "T2", "T1", "T10"]) for _ in range(n)],
            "row": range(n),
        }
    )


@pytest.mark.parametrize("seed", range(40))
def test_sort_is_polars_sort_on_every_key(seed: int) -> None:
    frame = _tickets(3000, seed)
    if seed % 2:  # no null partner: partners ranked through a categorical's codes
        frame = frame.filter(pl.col("partner_id").is_not_null())
    keys = list(ORDER["tickets"])
    want = frame.sort(keys, nulls_last=True, maintain_order=True)
    assert sort("tickets", frame).equals(want)
    # already in time order (as the inputs come): the leading keys' sort is used
    by_time = frame.sort(["received_at", "ticket_id"], nulls_last=True, maintain_order=True)
    assert sort("tickets", by_time).equals(by_time.sort(keys, nulls_last=True, maintain_order=True))


def test_in_order_sees_one_row_out_of_place() -> None:
    frame = _tickets(500, 9).sort(list(ORDER["tickets"]), nulls_last=True, maintain_order=True)
    assert in_order(frame, ORDER["tickets"])
    swapped = pl.concat([frame.slice(1, 1), frame.slice(0, 1), frame.slice(2)])
    assert swapped.row(0) != frame.row(0)
    assert in_order(swapped, ORDER["tickets"]) == (swapped.row(0)[:3] == swapped.row(1)[:3])


def test_sort_of_numbers_first() -> None:
    frame = pl.DataFrame({"seq": [3, None, 1, 2, 1], "x": ["a", "b", "c", "d", "e"]})
    assert sort("surveys", frame).get_column("x").to_list() == ["c", "e", "d", "a", "b"]


def _le(a: tuple[object, ...], b: tuple[object, ...]) -> bool:
    """a ≤ b key by key, a null after every value: the brute-force reading of the ledger's order."""
    for x, y in zip(a, b, strict=True):
        if x == y:
            continue
        if x is None or y is None:
            return y is None
        return x < y  # type: ignore[operator]
    return True


@pytest.mark.parametrize("seed", range(400))
def test_in_order_is_row_by_row_comparison(seed: int) -> None:
    """Over small random frames with nulls and ties, sorted, nearly sorted and shuffled."""
    rnd = random.Random(seed)
    # few distinct times: partner and time tie in most rows; many: in few (both ways of comparing)
    frame = _tickets(rnd.randrange(2, 40) if seed % 2 else rnd.randrange(2, 400), seed, 4 if seed % 2 else 10_000)
    keys = ORDER["tickets"]
    if seed % 3:
        frame = frame.sort(list(keys), nulls_last=True, maintain_order=True)
        if seed % 3 == 2:  # one adjacent swap
            i = rnd.randrange(frame.height - 1)
            frame = pl.concat([frame.slice(0, i), frame.slice(i + 1, 1), frame.slice(i, 1), frame.slice(i + 2)])
    rows = frame.select(keys).rows()
    want = all(_le(rows[i - 1], rows[i]) for i in range(1, len(rows)))
    assert in_order(frame, keys) == want


@pytest.mark.parametrize("seed", range(60))
def test_merged_is_the_sort_of_both(seed: int) -> None:
    """Two frames in ticket order (the month's tickets and those received outside it) merge into
    the order one sort of both gives; with null keys the merge falls back to that sort."""
    rnd = random.Random(seed)
    keys = list(ORDER["tickets"])
    both = _tickets(rnd.randrange(1, 600), seed, 50_000).with_columns(ticket_id=pl.format("T{}", pl.col("row")))
    if seed % 4:  # no null keys: the one-pass merge
        both = both.drop_nulls(keys)
    cut = both.get_column("row") % rnd.choice([2, 3, 7]) == 0
    a, b = (both.filter(m).sort(keys, nulls_last=True, maintain_order=True) for m in (cut, ~cut))
    want = pl.concat([a, b]).sort(keys, nulls_last=True, maintain_order=True)
    got = merged("tickets", [a, b])
    assert got.equals(want)
    assert in_order(got, ORDER["tickets"])
    assert merged("tickets", [a, b.clear()]).equals(a)

"""A month's tickets stored in many chunks (encoded on threads) read back exactly as they were stored."""

from __future__ import annotations

import hashlib
import io
import random
import sqlite3
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from scorecard.ledger import Ledger, now, store
from scorecard.periods import Period
from scorecard.record import SCHEMAS, MonthRecord, PeriodInfo

MARCH = Period(2026, 3)
CHUNK = 250  # tickets per chunk here: a few dozen chunks, one partner bigger than a chunk
START = datetime(2026, 3, 1)  # noqa: DTZ001  (naive local time, as in the record)


def _tickets(seed: int) -> pl.DataFrame:
    """Tickets of 60 partners (one of them with more than a chunk's worth), in no order, every kind of null."""
    rnd = random.Random(seed)
    sizes = {f"SI-{p:04d}": rnd.choice([1, 3, 40, 90, 160, 249]) for p in range(60)}
    sizes["SI-0031"] = 3 * CHUNK + 7
    rows: list[dict[str, Any]] = []
    for pid, n in sizes.items():
        for _ in range(n):
            received = START + timedelta(seconds=rnd.randrange(31 * 86400), microseconds=rnd.choice([0, 250_000]))
            resolved = rnd.choice([None, received + timedelta(hours=rnd.randrange(1, 90))])
            rows.append(
                {
                    "ticket_id": f"T{len(rows):06d}",
                    "partner_id": pid,
                    "received_at": received,
                    "resolved_at": resolved,
                    "first_reply_at": rnd.choice([None, received + timedelta(minutes=5)]),
                    "category": rnd.choice(["complaint", "inquiry", None]),
                    "valid": rnd.random() < 0.9,
                    "is_repeat": rnd.choice([True, False, None]),
                    "is_major": rnd.random() < 0.01,
                    "deadline": received + timedelta(hours=24),
                    "reply_deadline": rnd.choice([None, received + timedelta(hours=2)]),
                    "state": rnd.choice(["on_time", "late", "pending", "invalid", "outside"]),
                    "reply_state": rnd.choice(["on_time", "late", None]),
                    "resolution_seconds": None if resolved is None else int((resolved - received).total_seconds()),
                    "line": len(rows) + 2,
                    "reopen_count": rnd.choice([0, 0, 1, 2]),
                }
            )
    rnd.shuffle(rows)
    return pl.DataFrame(rows, schema=SCHEMAS["tickets"])


def _record(tickets: pl.DataFrame) -> MonthRecord:
    """A record of the tickets and of conduct events (dates, nulls), every other table empty."""
    tables = {name: pl.DataFrame(schema=schema) for name, schema in SCHEMAS.items()}
    tables["tickets"] = tickets
    tables["conduct"] = pl.DataFrame(
        {
            "partner_id": ["SI-0001", "SI-0002", "SI-0002"],
            "seq": [1, 2, 3],
            "event_type": ["attitude", "delay", "delay"],
            "occurred_on": [date(2026, 3, 2), date(2026, 3, 1), date(2026, 3, 31)],
            "note": ["rude, on the phone", None, "“quoted”"],
            "points": ["1.5", "2", "0"],
            "state": ["counted", "counted", "invalid"],
            "line": [2, None, 4],
            "event_id": [None, "E2", "E3"],
        },
        schema=SCHEMAS["conduct"],
    )
    info = PeriodInfo(MARCH, "draft", 1, "v1", "rh", "ch", "ih", "t", now(), "u", None, None, "", "{}", "")
    return MonthRecord(info, tables)


def _stored(tmp_path: Path, record: MonthRecord, name: str = "scorecard.db") -> Ledger:
    ledger = Ledger(tmp_path / name, create=True)
    with ledger.write() as c:
        store.store_record(c, record)
    return ledger


def _chunks_as_before(ordered: pl.DataFrame) -> list[tuple[int, str, str, int]]:
    """(chunk, first partner, last partner, rows): whole partners added to a chunk while they fit,
    a partner bigger than a chunk alone in its own."""
    chunks: list[list[Any]] = []
    for pid, n in ordered.group_by("partner_id", maintain_order=True).len().iter_rows():
        if chunks and chunks[-1][3] + n <= CHUNK:
            chunks[-1][2], chunks[-1][3] = pid, chunks[-1][3] + n
        else:
            chunks.append([len(chunks), pid, pid, n])
    return [tuple(c) for c in chunks]  # type: ignore[misc]


@pytest.mark.parametrize("seed", [1, 2])
def test_tickets_in_many_chunks_read_back_row_for_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    monkeypatch.setattr(store, "CHUNK_ROWS", CHUNK)
    tickets = _tickets(seed)
    ordered = tickets.sort(list(store.ORDER["tickets"]), nulls_last=True, maintain_order=True)
    expected_chunks = _chunks_as_before(ordered)
    assert len(expected_chunks) > 12  # more chunks than are ever encoded at once
    assert ("SI-0031", "SI-0031", 3 * CHUNK + 7) in [c[1:] for c in expected_chunks]

    with _stored(tmp_path, _record(tickets)) as ledger:
        rows = ledger.conn.execute(
            "SELECT chunk, first_partner, last_partner, rows, sha256, data FROM ticket_chunks"
            " WHERE period = '2026-03' ORDER BY rowid"
        ).fetchall()
        # inserted in chunk order, numbered 0, 1, 2, …, each chunk the partners it says, whole
        assert [tuple(r)[:4] for r in rows] == expected_chunks
        offset = 0
        for r in rows:
            assert hashlib.sha256(r["data"]).hexdigest() == r["sha256"]
            chunk = pl.read_parquet(io.BytesIO(r["data"]))
            assert chunk.equals(ordered.slice(offset, r["rows"]))
            offset += r["rows"]
        assert offset == tickets.height

        back = ledger.record(MARCH)
        assert back["tickets"].schema == pl.Schema(SCHEMAS["tickets"])
        assert back["tickets"].equals(ordered)
        assert back["tickets"].rows() == ordered.rows()
        assert back["conduct"].equals(_record(tickets).tables["conduct"])
        one = ledger.record(MARCH, "SI-0031")["tickets"]
        assert one.equals(ordered.filter(pl.col("partner_id") == "SI-0031"))
        assert one.height == 3 * CHUNK + 7


def test_the_chunks_stored_do_not_depend_on_the_encoding_threads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "CHUNK_ROWS", CHUNK)
    record = _record(_tickets(3))
    stored = []
    for encoders in (1, 3):
        monkeypatch.setattr(store, "ENCODERS", encoders)
        with _stored(tmp_path, record, f"{encoders}.db") as ledger:
            stored.append(ledger.conn.execute("SELECT * FROM ticket_chunks ORDER BY chunk").fetchall())
    one, three = ([tuple(r) for r in rows] for rows in stored)
    assert len(one) > 12
    assert one == three


def test_a_chunk_that_fails_to_encode_stores_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The failure is raised where the record is stored, and the write's transaction leaves no row."""
    monkeypatch.setattr(store, "CHUNK_ROWS", CHUNK)
    write = pl.DataFrame.write_parquet

    def failing(self: pl.DataFrame, *args: Any, **kwargs: Any) -> None:
        if self.get_column("partner_id")[0] == "SI-0040":
            raise OSError("disk full")
        write(self, *args, **kwargs)

    monkeypatch.setattr(pl.DataFrame, "write_parquet", failing)
    ledger = Ledger(tmp_path / "scorecard.db", create=True)
    with pytest.raises(OSError, match="disk full"), ledger.write() as c:
        store.store_record(c, _record(_tickets(1)))
    ledger.close()
    with sqlite3.connect(tmp_path / "scorecard.db") as conn:
        assert conn.execute("SELECT count(*) FROM ticket_chunks").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM periods").fetchone() == (0,)

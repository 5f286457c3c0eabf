"""The demo's paused ticket: its stored deadline is moved by the pause (docs/service-clock.md)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl

from scorecard.ledger import reading
from scorecard.periods import Period
from scorecard.workspace import Workspace


def test_the_paused_ticket_has_its_deadline_moved(demo_template: Path) -> None:
    tickets = reading.record(Workspace.at(demo_template), Period(2026, 7), "SI-0002")["tickets"]
    row = tickets.filter(pl.col("ticket_id") == "TS20260700003").row(0, named=True)
    assert row["deadline"] == datetime(2026, 7, 2, 10, 13, 31)  # noqa: DTZ001 - naive local, as stored
    assert row["state"] == "on_time"

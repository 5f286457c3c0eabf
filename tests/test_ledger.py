"""The ledger: closed periods are immutable in the database itself; order of periods."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import polars as pl
import pytest
from factories import default_config, metrics

from scorecard.assess import assess
from scorecard.inputs.schema import TABLES, polars_schema
from scorecard.ledger import Ledger, LedgerError
from scorecard.ledger.record import RunMeta, record_period
from scorecard.periods import Period

RS = default_config().config.ruleset_for(Period(2026, 1))
NO_REFUNDS = pl.DataFrame(schema=polars_schema(TABLES["refunds"]))


def record(ledger: Ledger, period: Period, **over: object) -> None:
    previous = ledger.states_before(period)
    results, states = assess(period, [metrics(**over)], previous, RS)
    meta = RunMeta(period, RS.version, "rh", "ch", "ih", (("partners", "partners.csv", "abc", 1),))
    record_period(ledger, meta, results, states, NO_REFUNDS)


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    return Ledger(tmp_path / "scorecard.db", create=True)


def test_run_close_next(ledger: Ledger) -> None:
    jan, feb = Period(2026, 1), Period(2026, 2)
    record(ledger, jan)
    record(ledger, jan)  # a re-run replaces the draft: nothing added
    assert len(ledger.results(jan)) == 1
    ledger.close_period(jan)
    with pytest.raises(LedgerError, match="closed"):
        record(ledger, jan)
    with pytest.raises(LedgerError, match="next to run is 2026-02"):
        record(ledger, Period(2026, 3))
    record(ledger, feb)
    assert [p.status for p in ledger.periods()] == ["closed", "draft"]


def test_close_twice_and_unknown(ledger: Ledger) -> None:
    with pytest.raises(LedgerError, match="has not been run"):
        ledger.close_period(Period(2026, 1))
    record(ledger, Period(2026, 1))
    ledger.close_period(Period(2026, 1))
    with pytest.raises(LedgerError, match="already closed"):
        ledger.close_period(Period(2026, 1))


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE results SET payout = payout + 1 WHERE period = '2026-01'",
        "DELETE FROM results WHERE period = '2026-01'",
        "INSERT INTO notices VALUES ('2026-01', 'P1', 'x', 'notice', 99, 1, NULL, NULL, NULL)",
        "UPDATE states SET held = 0 WHERE period = '2026-01'",
        "DELETE FROM periods WHERE period = '2026-01'",
        "UPDATE periods SET ruleset_version = 'x' WHERE period = '2026-01'",
        "UPDATE periods SET status = 'draft' WHERE period = '2026-01'",  # reopening without a recorded reason
        "DELETE FROM events",
    ],
)
def test_database_refuses_changes_to_a_closed_period(ledger: Ledger, sql: str) -> None:
    record(ledger, Period(2026, 1))
    ledger.close_period(Period(2026, 1))
    with pytest.raises(sqlite3.DatabaseError):
        ledger.conn.execute(sql)


def test_reopen_only_last_closed_and_recorded(ledger: Ledger) -> None:
    for p in (Period(2026, 1), Period(2026, 2)):
        record(ledger, p)
        ledger.close_period(p)
    with pytest.raises(LedgerError, match="only the last closed"):
        ledger.reopen_period(Period(2026, 1), "typo in January")
    ledger.reopen_period(Period(2026, 2), "billing file corrected")
    assert ledger.period(Period(2026, 2)).status == "draft"  # type: ignore[union-attr]
    assert [e["command"] for e in ledger.events()][-1] == "reopen"
    assert ledger.events()[-1]["detail"] == "billing file corrected"
    record(ledger, Period(2026, 2))  # the reopened month can be run again


def test_invariant_enforced_by_check_constraint(ledger: Ledger) -> None:
    record(ledger, Period(2026, 1))
    with pytest.raises(sqlite3.IntegrityError):
        ledger.conn.execute("UPDATE results SET payout = payout + 1")
